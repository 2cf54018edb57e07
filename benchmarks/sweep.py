"""What a chapter does — a grid of 8 trainings — through ``hp_lib.sweep`` against the same 8 trainings written
the usual way: a sequential ``for`` loop of DataLoader loops, with PyTorch's default threads (all cores).

Two grids, LR × weight decay (4 × 2): the 3-layer analog on MNIST-1D and LeNet on Fashion-MNIST-shaped data.
``hp_lib.sweep`` runs into an empty result cache (nothing is re-used), so its time includes starting its
worker processes, and its runs' two evaluations of the validation set (before the first step and after the
last; no training-subset evaluation: ``train_probe=False``), which the usual loops do not make. The two are timed
in turns over ``--rounds`` rounds (``interleave.py``), each sweep into a new empty cache with new workers. Prints
one JSON line: the time ratio (usual / hp_lib.sweep, the median of the rounds'), overall and per grid.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import torch

from hp_lib import sweep
from hp_lib.train import RunConfig, load_data
from interleave import interleaved
from train_loop import fashion_shaped, plain_pytorch

LRS = (0.005, 0.01, 0.02, 0.04)  # all stable: a diverged run would stop early and flatter hp_lib
WEIGHT_DECAYS = (1e-4, 1e-3)


def grid(base: RunConfig) -> list[RunConfig]:
    return [base.replace(lr=lr, weight_decay=wd) for lr in LRS for wd in WEIGHT_DECAYS]


def usual_way(configs: list[RunConfig]) -> float:
    """One training after the other, each a DataLoader loop with every core's threads."""
    start = time.perf_counter()
    for cfg in configs:
        plain_pytorch(cfg.replace(threads=os.cpu_count() or 1), load_data(cfg))
    return time.perf_counter() - start


def with_sweep(configs: list[RunConfig]) -> float:
    os.environ["HP_BOOK_BUILD"] = tempfile.mkdtemp(prefix="hp-bench-sweep-")  # an empty result cache
    sweep._stop_pool()  # and workers to start, as a chapter's first sweep has
    start = time.perf_counter()
    histories = sweep.run(configs, desc="sweep")
    seconds = time.perf_counter() - start
    for cfg, history in zip(configs, histories):
        if history.attrs["status"] != "ok":
            raise RuntimeError(f"LR {cfg.lr}, WD {cfg.weight_decay} diverged: it stopped early, no comparison")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    grids = {
        "three_layer/mnist1d": RunConfig(dataset="mnist1d", model="three_layer", n_train=4_000, n_val=500,
                                         n_test=500, steps=args.steps, eval_every=args.steps, train_probe=False,
                                         threads=1),
        "lenet/fashion_mnist": fashion_shaped(RunConfig(model="lenet", steps=args.steps, eval_every=args.steps,
                                                        train_probe=False, threads=1)),
    }
    results = {}
    for name, base in grids.items():
        configs = grid(base)
        for cfg in configs:
            load_data(cfg)  # both sides read the data from memory
        timed = interleaved({"usual": lambda: usual_way(configs), "sweep": lambda: with_sweep(configs)}, args.rounds)
        usual, ours, ratio = timed["usual"]["seconds"], timed["sweep"]["seconds"], timed["sweep"]["speedup"]
        results[name] = {"usual_s": round(usual, 1), "sweep_s": round(ours, 1), "ratio": round(ratio, 3)}
        print(f"{name:22s} usual {usual:6.1f} s   hp_lib.sweep {ours:6.1f} s   ratio {ratio:.2f}")
    total = sum(r["usual_s"] for r in results.values()) / sum(r["sweep_s"] for r in results.values())
    print(json.dumps({"bench": "sweep", "ratio_vs_naive": round(total, 3), "grids": results,
                      "torch_threads": torch.get_num_threads(), "cores": os.cpu_count()}))


if __name__ == "__main__":
    main()
