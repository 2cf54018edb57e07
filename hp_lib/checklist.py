"""Smith's hyper-parameter checklist (2018, start of §5), executed: four steps that set the learning rate,
the batch size, the momentum and the weight decay, then a training run with them against a plain baseline.

1. **Learning rate.** An LR range test up to a large value; the 1cycle policy then runs from a tenth of the
   best LR to it. The best LR is read as the LR where the validation loss is lowest before the run blows up.
2. **Batch size.** "A large batch size works well but the magnitude is typically constrained by the GPU
   memory": the largest candidate whose forward and backward pass fits in memory, with at least
   ``min_steps_per_epoch`` steps per epoch (on a CPU memory rarely binds; the second rule keeps some steps).
3. **Momentum.** Short runs at momentum 0.99, 0.97, 0.95 and 0.9 (the first half of the 1cycle, LR rising);
   the one with the lowest validation loss starts the cyclical momentum, which falls to 0.85.
4. **Weight decay.** A grid with one significant figure — smaller values for deep networks (1e-4, 1e-5,
   1e-6, 0), larger for shallow ones (1e-2, 1e-3, 1e-4) — searched from a snapshot: one run at the middle
   value to half its length, then each value continued from there; lowest final validation loss wins.

Then the recommendation (1cycle with cyclical momentum) and a plain baseline (constant LR 0.01, momentum
0.9, WD 5e-4: Caffe's LeNet defaults) train for the same number of steps, scored on the validation split the
choices were made on (``compare=False`` skips this; ``Report.config`` is the recommendation as a config, for a
fairer comparison on held-out data: ``hp_lib.experiments.smith_checklist`` does one).

``run(model, data, ...)`` takes either names (a model of :mod:`hp_lib.models` and a dataset of
:mod:`hp_lib.data`: every run goes through the result cache and the parallel sweep) or a reader's own
``torch.nn.Module`` and a :class:`hp_lib.data.Dataset` (built from tensors with :func:`tensors`; runs train
in this process, each from a copy of the model as given).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from . import lr_finder, sweep
from .data import Dataset
from .train import History, RunConfig, train

MOMENTA = (0.99, 0.97, 0.95, 0.9)
DEEP_WDS = (1e-4, 1e-5, 1e-6, 0.0)
SHALLOW_WDS = (1e-2, 1e-3, 1e-4)
BASELINE = {"lr": 0.01, "momentum": 0.9, "weight_decay": 5e-4}


@dataclass
class Report:
    """What the checklist found, how, and what it gave."""
    recommendation: dict
    table: pd.DataFrame          # one row per step: setting, value, how it was found
    comparison: pd.DataFrame     # recommendation against baseline: final validation loss and accuracy
    histories: dict[str, list[History]] = field(default_factory=dict)
    config: RunConfig | None = None  # the recommendation as a run config (named model and data; else None)


def tensors(x_train: torch.Tensor, y_train: torch.Tensor, x_val: torch.Tensor, y_val: torch.Tensor,
            num_classes: int | None = None) -> Dataset:
    """A reader's own tensors as a Dataset the checklist (and :func:`hp_lib.train.train`) can use."""
    if len(x_train) != len(y_train) or len(x_val) != len(y_val):
        raise ValueError(f"inputs and labels differ in length: {len(x_train)}/{len(y_train)} and {len(x_val)}/{len(y_val)}")
    k = int(num_classes or int(max(y_train.max(), y_val.max())) + 1)
    return Dataset("tensors", x_train, y_train, x_val, y_val, x_val[:0], y_val[:0], num_classes=k,
                   fingerprint="tensors")


class _Runner:
    """Runs configs either through the cache and the sweep (named model and data) or in this process on
    a reader's own model and tensors (snapshots kept in memory)."""

    def __init__(self, model, data):
        self.model, self.data = model, data
        self.snapshots: dict[tuple[str, int], dict] = {}

    @property
    def named(self) -> bool:
        return isinstance(self.model, str)

    def run(self, configs: list[RunConfig], desc: str) -> list[History]:
        if self.named:
            return sweep.run(configs, desc=desc)
        return [self._train(cfg) for cfg in configs]

    def _train(self, cfg: RunConfig) -> History:
        state = None
        if cfg.start_from is not None:
            parent = cfg.parent()
            key = (json.dumps(parent.to_dict(), sort_keys=True), cfg.start_from["step"])
            if key not in self.snapshots:
                self._train(parent)
            state = self.snapshots[key]
        parent_key = json.dumps(cfg.to_dict(), sort_keys=True)
        return train(cfg, self.data, state, model=copy.deepcopy(self.model),
                     on_snapshot=lambda step, st: self.snapshots.__setitem__((parent_key, step), st))


def _max_batch(model, data: Dataset, candidates, min_steps_per_epoch: int, device: str) -> tuple[int, str]:
    n = len(data.y_train)
    fitting = []
    for bs in sorted(candidates):
        if n // bs < min_steps_per_epoch:
            continue
        try:  # one forward and backward pass at this batch size
            m = copy.deepcopy(model).to(device)
            m(data.x_train[:bs].to(device)).sum().backward()
            fitting.append(bs)
        except torch.OutOfMemoryError:
            break
    if not fitting:
        raise ValueError(f"no batch size among {sorted(candidates)} leaves {min_steps_per_epoch} steps per epoch "
                         f"of {n} training samples")
    return fitting[-1], f"largest of {sorted(candidates)} that fits in memory with ≥ {min_steps_per_epoch} steps per epoch"


def _deep(model) -> bool:
    """Deep if it has 10 or more weighted layers (the report's shallow example has 4)."""
    return sum(1 for m in model.modules() if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Linear))) >= 10


def _one_significant(x: float) -> float:
    return float(f"{x:.0e}") if x > 0 else 0.0


def run(model, data, *, range_end: float = 3.0, range_steps: int = 500, batch_sizes=(32, 64, 128, 256, 512),
        min_steps_per_epoch: int = 20, short_steps: int = 200, train_steps: int = 1_000, deep: bool | None = None,
        weight_decays=None, seed: int = 0, eval_every: int | None = None, device: str = "cpu", threads: int = 1,
        precision: str = "fp32", compile: bool = False, n_train: int | None = None, n_val: int | None = None,
        n_test: int | None = None, compare: bool = True) -> Report:
    """Run the four steps of the checklist on ``model`` and ``data`` (names, or a module and a Dataset), then
    (``compare``) train the recommendation against the baseline; return a :class:`Report`. With named data,
    ``n_test`` holds out a test split that no step reads (default: none when ``n_train`` is given)."""
    runner = _Runner(model, data)
    if runner.named:
        n_test = n_test if n_test is not None else (0 if n_train else None)
        base = RunConfig(dataset=data, model=model, n_train=n_train, n_val=n_val, n_test=n_test,
                         train_probe=False, seed=seed, device=device, threads=threads, precision=precision, compile=compile)
        from .train import load_data
        from . import models as models_lib

        dataset = load_data(base)
        module = models_lib.build(model, dataset.input_shape, dataset.num_classes, **base.model_kwargs)
    else:
        if not isinstance(data, Dataset):
            raise ValueError("with a model object, pass the data as a Dataset (hp_lib.checklist.tensors(...))")
        base = RunConfig(dataset="digits", model="mlp", seed=seed, device=device, threads=threads,  # labels only
                         train_probe=False, precision=precision, compile=compile)
        dataset, module = data, model
    deep = _deep(module) if deep is None else deep
    every = eval_every or max(1, range_steps // 50)
    rows, histories = [], {}

    # 1. learning rate: range test with moderate momentum and weight decay
    bs0 = min(128, len(dataset.y_train) // min_steps_per_epoch)
    probe = lr_finder.config(base.replace(batch_size=bs0, momentum=0.9, weight_decay=1e-4 if deep else 1e-3),
                             0.0, range_end, range_steps, "linear", every)
    (h_range,) = runner.run([probe], "checklist: LR range test")
    ev = lr_finder.stable_part(lr_finder.evaluations(h_range))
    max_lr = float(ev["lr"][ev["val_loss"].idxmin()])
    if max_lr <= 0:
        raise ValueError("the LR range test found no learning rate that lowers the validation loss; "
                         "try a smaller range_end or more range_steps")
    min_lr = max_lr / 10
    rows += [("1. learning rate", "max LR", f"{max_lr:.3g}", f"lowest validation loss of a range test 0 → {range_end:g}"),
             ("1. learning rate", "min LR", f"{min_lr:.3g}", "a tenth of the max LR")]
    histories["range test"] = [h_range]

    # 2. batch size
    batch_size, how = _max_batch(module, dataset, batch_sizes, min_steps_per_epoch, device)
    rows.append(("2. batch size", "batch size", str(batch_size), how))

    # 3. momentum: short runs of the 1cycle's rising half at each constant momentum
    short = base.replace(batch_size=batch_size, weight_decay=1e-4 if deep else 1e-3, steps=short_steps,
                         eval_every=short_steps, lr={"name": "range_test", "start_lr": min_lr, "end_lr": max_lr,
                                                     "num_steps": short_steps, "mode": "linear"})
    h_mom = runner.run([short.replace(momentum=m) for m in MOMENTA], "checklist: momentum")
    short_loss = {m: _final_loss(h) for m, h in zip(MOMENTA, h_mom)}
    momentum = min(short_loss, key=short_loss.get)
    rows += [("3. momentum", "max momentum", f"{momentum:g}",
              "lowest validation loss of short runs at " + ", ".join(f"{m:g} ({v:.3f})" for m, v in short_loss.items())),
             ("3. momentum", "min momentum", "0.85", "cyclical momentum falls while the LR rises")]
    histories["momentum"] = h_mom

    # 4. weight decay from a snapshot, with the recommended LR policy
    grid = tuple(weight_decays) if weight_decays is not None else (DEEP_WDS if deep else SHALLOW_WDS)
    policy = one_cycle(max_lr, min_lr, momentum, train_steps)
    middle = grid[len(grid) // 2]
    parent = base.replace(batch_size=batch_size, steps=train_steps, eval_every=max(1, train_steps // 10),
                          weight_decay=middle, snapshot_at=(train_steps // 2,), **policy)
    children = [parent.replace(snapshot_at=(), weight_decay=wd, start_from={"run": parent.to_dict(), "step": train_steps // 2})
                for wd in grid]
    h_wd = runner.run(children, "checklist: weight decay")
    final = {wd: _final_loss(h) for wd, h in zip(grid, h_wd)}
    weight_decay = _one_significant(min(final, key=final.get))
    rows.append(("4. weight decay", "weight decay", f"{weight_decay:g}",
                 f"{'deep' if deep else 'shallow'} network grid from a snapshot at WD {middle:g}: "
                 + ", ".join(f"{wd:g} ({v:.3f})" for wd, v in final.items())))
    histories["weight decay"] = h_wd

    # the recommendation against the plain baseline, same steps
    recommended = parent.replace(snapshot_at=(), weight_decay=weight_decay)
    comparison = pd.DataFrame()
    if compare:
        baseline = base.replace(batch_size=128 if len(dataset.y_train) // 128 >= min_steps_per_epoch else batch_size,
                                steps=train_steps, eval_every=max(1, train_steps // 10), **BASELINE)
        h_rec, h_base = runner.run([recommended, baseline], "checklist: recommendation vs baseline")
        histories.update({"recommendation": [h_rec], "baseline": [h_base]})
        comparison = pd.DataFrame([_summary("recommendation (1cycle)", recommended, h_rec),
                                   _summary("baseline (constant LR 0.01)", baseline, h_base)]).set_index("run")
    recommendation = {"max_lr": max_lr, "min_lr": min_lr, "batch_size": batch_size, "momentum": momentum,
                      "min_momentum": 0.85, "weight_decay": weight_decay, "steps": train_steps,
                      # what the choices were made among: the momenta, best short run first, and the WD grid
                      "momentum_ranking": sorted(short_loss, key=short_loss.get), "weight_decay_grid": grid}
    table = pd.DataFrame(rows, columns=["step", "setting", "value", "how it was found"]).set_index(["step", "setting"])
    return Report(recommendation, table, comparison, histories, recommended if runner.named else None)


def one_cycle(max_lr: float, min_lr: float, momentum: float, steps: int) -> dict:
    """The 1cycle policy as the report runs it (Caffe): LR min → max over 45 % of the steps, back to 0 by 90 %,
    then min/1000; momentum the other way, down to 0.85."""
    policy = {"name": "caffe_one_cycle", "base_lr": min_lr, "max_lr": max_lr, "stepsize": max(1, steps * 45 // 100),
              "momentum": momentum, "min_momentum": 0.85}
    return {"lr": {**policy, "select": "lr"}, "momentum": {**policy, "select": "momentum"}}


def _final_loss(h: History) -> float:
    if h.attrs.get("status") == "diverged":
        return float("inf")
    return float(h.dropna(subset=["val_loss"])["val_loss"].iloc[-1])


def _summary(name: str, cfg: RunConfig, h: History) -> dict:
    ev = h.dropna(subset=["val_loss"])
    return {"run": name, "steps": cfg.steps, "batch size": cfg.batch_size, "weight decay": cfg.weight_decay,
            "final validation loss": float(ev["val_loss"].iloc[-1]) if h.attrs.get("status") == "ok" else np.nan,
            "final validation accuracy": float(ev["val_acc"].iloc[-1]) if h.attrs.get("status") == "ok" else np.nan,
            "status": h.attrs.get("status", "ok")}
