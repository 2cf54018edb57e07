"""Stacked runs (:mod:`hp_lib.stacked`) against separate runs, per analog model the book trains.

Per model, at the setting of its first planned run in the ``cpu`` book that trains to an end (as
``precision.py``), for K ∈ ``--members``: the training time of K separate float32 runs (seeds 0..K-1, one after
the other) and of the same K runs stacked, in float32 and under bf16 autocast; one thread, ``--steps`` steps,
timed in turns (separate, stacked fp32, stacked bf16, separate, ...) over ``--rounds`` rounds
(``interleave.py``). The figure is the per-member throughput of the stacked runs over
that of the separate runs: the median of the rounds' ratios. Models that cannot stack (DenseNet-40's dropout,
the text models) are listed as such.

Prints one JSON line: ``{"bench": "stacked", "models": {model: {"K4": {"fp32": ..., "bf16": ...}, ...}}}``.
"""

from __future__ import annotations

import argparse
import json
import time

from hp_lib import stacked
from hp_lib.train import RunConfig, load_data, train

from interleave import interleaved
from precision import book_configs


def training_seconds(histories) -> float:
    for h in histories:
        if h.attrs["status"] != "ok":
            raise RuntimeError(f"a run diverged at step {h.attrs['diverged_step']}: a run that stops early is not timed")
    # a stacked member's time is its share of the group's: the group's training time is their sum
    return sum(h["time"].dropna().iloc[-1] for h in histories)


def compare(cfg: RunConfig, members: int, steps: int, rounds: int) -> dict:
    cfg = cfg.replace(steps=steps, eval_every=steps, threads=1, precision="fp32")
    data = load_data(cfg)
    cfgs = [cfg.replace(seed=s) for s in range(members)]
    bf16 = [c.replace(precision="bf16") for c in cfgs]
    warm = [c.replace(steps=3, eval_every=3) for c in cfgs]
    stacked.train(warm, data), stacked.train([c.replace(precision="bf16") for c in warm], data), train(warm[0], data)
    timed = interleaved({"separate": lambda: training_seconds([train(c, data) for c in cfgs]),
                         "fp32": lambda: training_seconds(stacked.train(cfgs, data)),
                         "bf16": lambda: training_seconds(stacked.train(bf16, data))}, rounds)
    return {p: round(timed[p]["speedup"], 3) for p in ("fp32", "bf16")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="*", default=None, help="default: every model of the cpu book")
    parser.add_argument("--members", nargs="*", type=int, default=[1, 2, 4, 8])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    configs = book_configs()
    unknown = sorted(set(args.models or ()) - set(configs))
    if unknown:
        raise SystemExit(f"unknown models {unknown}; the cpu book trains {sorted(configs)}")
    results = {}
    for model in args.models or configs:
        cfg = configs[model]
        if not stacked.stackable(cfg):
            results[model] = "does not stack"
            print(f"{model:12s} does not stack", flush=True)
            continue
        start, results[model] = time.perf_counter(), {}
        for k in args.members:
            results[model][f"K{k}"] = compare(cfg, k, args.steps, args.rounds)
        print(f"{model:12s} per-member throughput over separate float32 runs: " + ", ".join(
            f"K={k} fp32 {r['fp32']:.2f}x bf16 {r['bf16']:.2f}x" for k, r in
            zip(args.members, results[model].values())) + f"  [{time.perf_counter() - start:.0f} s]", flush=True)
    print(json.dumps({"bench": "stacked", "models": results}))


if __name__ == "__main__":
    main()
