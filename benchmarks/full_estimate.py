"""What a GPU run of the whole ``full`` book would take: every run each chapter plans at the ``full`` profile,
its training FLOPs per step counted by ``torch.utils.flop_counter`` (forward and backward, on meta tensors
of the real shapes: nothing is computed), times its steps, plus its evaluations (forward passes over the
validation set at every ``eval_every``, and over an equal training subset where ``train_probe`` asks for one
and the averaged weights' where ``ema`` does). The time then follows from a GPU's bf16 peak and a utilization,
which is assumed, not measured: the estimate is given for several.

Stacking (:mod:`hp_lib.stacked`) does not change the FLOPs; it changes how busy the GPU is, which
``benchmarks/gpu_step.py`` measures. This script reports the share of the FLOPs in runs that train in stacks of
two or more (as the sweep groups each chapter's runs).

Not counted: the checklist chapter and the coarse-to-fine and fine-tuning runs of "choosing
hyper-parameters", whose configs depend on earlier results (their share is small: a few short runs each).

Prints one JSON line: ``{"bench": "full_estimate", "runs", "pflop", "stacked_share", "hours": {gpu: {utilization:
hours}}}``.
"""

from __future__ import annotations

import argparse
import json
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from hp_lib import experiments, models, sweep
from hp_lib.train import RunConfig, load_data

IMAGES = {"cifar10": ((3, 32, 32), 10), "cifar100": ((3, 32, 32), 100), "mnist": ((1, 28, 28), 10),
          "imagenet": ((3, 230, 230), 1000)}
GPUS_BF16_TFLOPS = {"A100": 312, "H100 SXM": 989}  # dense bf16 peaks from the vendor's data sheets
UTILIZATIONS = (0.1, 0.25, 0.5)


def full_configs() -> list[RunConfig]:
    configs = [c for chapter in experiments.chapters() for c in chapter.plan("full")]
    unique = {json.dumps(c.to_dict(), sort_keys=True): c for c in configs}  # two chapters may list a run each
    return list(unique.values())


def example(cfg: RunConfig, n: int) -> tuple[torch.Tensor, torch.Tensor, int]:
    """``n`` inputs and labels of ``cfg``'s data, as meta tensors (image datasets the full profile downloads),
    or its first samples (the datasets made offline), and the number of classes."""
    if cfg.dataset in IMAGES:
        shape, classes = IMAGES[cfg.dataset]
        return torch.empty((n, *shape), device="meta"), torch.zeros(n, dtype=torch.long, device="meta"), classes
    data = load_data(cfg.replace(device="cpu"))
    rows = torch.arange(n) % len(data.y_train)
    return data.x_train[rows].to("meta"), data.y_train[rows].to("meta"), data.num_classes


@lru_cache(maxsize=None)
def flops(model: str, model_kwargs: str, dataset: str, batch_size: int, train: bool) -> int:
    """FLOPs of one training step (forward and backward) or one forward pass of ``batch_size`` samples."""
    cfg = RunConfig(dataset=dataset, model=model, model_kwargs=json.loads(model_kwargs))
    x, y, classes = example(cfg, batch_size)
    net = models.build(model, tuple(x.shape[1:]), classes, **cfg.model_kwargs).to("meta").train(train)
    with FlopCounterMode(display=False) as counter, torch.set_grad_enabled(train):
        loss = F.cross_entropy(net(x), y)
        if train:
            loss.backward()
    return counter.get_total_flops()


def run_flops(cfg: RunConfig) -> float:
    kwargs = json.dumps(cfg.model_kwargs, sort_keys=True)
    steps = cfg.steps - (cfg.start_from["step"] if cfg.start_from else 0)
    training = steps * flops(cfg.model, kwargs, cfg.dataset, cfg.batch_size, True)
    n_val = cfg.n_val or 10_000
    evaluations = steps // cfg.eval_every + 1
    per_sample = flops(cfg.model, kwargs, cfg.dataset, 100, False) / 100
    passes = 1 + cfg.train_probe + (cfg.ema is not None)  # validation set, training subset, averaged weights
    return training + evaluations * passes * n_val * per_sample


def stacked_share() -> float:
    """The share of the FLOPs in runs that train as members of a stack of two or more, each chapter's runs
    grouped as :func:`hp_lib.sweep.stacks` groups them (a timed experiment's runs alone)."""
    stacked, total = {}, {}
    for chapter in experiments.chapters():
        for timed in (True, False):
            for task in sweep.stacks(chapter.plan("full", timed=timed), stack=not timed):
                for cfg in task:
                    key = json.dumps(cfg.to_dict(), sort_keys=True)
                    total[key] = run_flops(cfg)
                    if len(task) > 1:
                        stacked[key] = total[key]
    return sum(stacked.values()) / sum(total.values())


def main():
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    configs = full_configs()
    by_model: dict[str, float] = {}
    for cfg in configs:
        by_model[cfg.model] = by_model.get(cfg.model, 0.0) + run_flops(cfg)
    total = sum(by_model.values())
    hours = {gpu: {f"{u:.0%}": round(total / (peak * 1e12 * u) / 3600, 1) for u in UTILIZATIONS}
             for gpu, peak in GPUS_BF16_TFLOPS.items()}
    for model, f in sorted(by_model.items(), key=lambda item: -item[1]):
        print(f"{model:12s} {f / 1e15:9.1f} PFLOP")
    share = stacked_share()
    print(f"{len(configs)} runs, {total / 1e15:.0f} PFLOP ({share:.0%} of them in stacked runs): " +
          ", ".join(f"{gpu} {h['25%']} h at 25 % of its bf16 peak" for gpu, h in hours.items()))
    print(json.dumps({"bench": "full_estimate", "runs": len(configs), "pflop": round(total / 1e15, 1),
                      "stacked_share": round(share, 3),
                      "pflop_by_model": {m: round(f / 1e15, 2) for m, f in by_model.items()}, "hours": hours}))


if __name__ == "__main__":
    main()
