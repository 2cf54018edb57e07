"""Stacked runs (:mod:`hp_lib.stacked`) against separate runs, per analog model the book trains: what chose
``hp_lib.stacked.STACKED_MODELS``.

Per model, at the setting of its first planned run in the ``cpu`` book that trains to an end (as
``precision.py``), for K ∈ ``--members``: the training time of K separate runs (seeds 0..K-1, one after the
other) in float32 and under bf16 autocast, and of the same K runs stacked in float32 and in bf16; one thread,
``--steps`` steps, the four timed in turns over ``--rounds`` rounds (``interleave.py``). The figures are
per-member throughputs, the median of the rounds' ratios: each stacked precision over the separate float32 runs
(the issue's yardstick), and ``over_book``, stacked over separate in the precision the ``cpu`` book trains the
model (``train.precision`` of ``precision="auto"``): whether stacking pays in the book. Models that cannot stack
(DenseNet-40's dropout, the text models) are listed as such.

Prints one JSON line: ``{"bench": "stacked", "models": {model: {"K4": {"fp32": ..., "bf16": ...,
"over_book": ...}, ...}}}``.
"""

from __future__ import annotations

import argparse
import json
import time

from hp_lib import stacked
from hp_lib.train import RunConfig, load_data, precision, train
from interleave import interleaved
from precision import chosen


def training_seconds(histories) -> float:
    for h in histories:
        if h.attrs["status"] != "ok":
            raise RuntimeError(f"a run diverged at step {h.attrs['diverged_step']}: a run that stops early is not timed")
    # a stacked member's time is its share of the group's: the group's training time is their sum
    return sum(h["time"].dropna().iloc[-1] for h in histories)


def compare(cfg: RunConfig, members: int, steps: int, rounds: int) -> dict:
    book = precision(cfg.replace(precision="auto"))
    cfg = cfg.replace(steps=steps, eval_every=steps, threads=1)
    data = load_data(cfg)
    runs = {p: [cfg.replace(seed=s, precision=p) for s in range(members)] for p in ("fp32", "bf16")}
    for cfgs in runs.values():  # first-call costs
        warm = [c.replace(steps=3, eval_every=3) for c in cfgs]
        stacked.train(warm, data), train(warm[0], data)
    timed = interleaved({"separate fp32": lambda: training_seconds([train(c, data) for c in runs["fp32"]]),
                         "separate bf16": lambda: training_seconds([train(c, data) for c in runs["bf16"]]),
                         "fp32": lambda: training_seconds(stacked.train(runs["fp32"], data)),
                         "bf16": lambda: training_seconds(stacked.train(runs["bf16"], data))}, rounds)
    over_book = timed[book]["speedup"] / timed[f"separate {book}"]["speedup"]
    return {"fp32": round(timed["fp32"]["speedup"], 3), "bf16": round(timed["bf16"]["speedup"], 3),
            "book_precision": book, "over_book": round(over_book, 3)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="*", default=None, help="default: every model of the cpu book")
    parser.add_argument("--members", nargs="*", type=int, default=[2, 4, 8])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = {}
    for model, cfg in chosen(args.models).items():
        if not stacked.can_stack(cfg):
            results[model] = "does not stack"
            print(f"{model:12s} does not stack", flush=True)
            continue
        start, results[model] = time.perf_counter(), {}
        for k in args.members:
            results[model][f"K{k}"] = compare(cfg, k, args.steps, args.rounds)
        print(f"{model:12s} per member, over separate float32 runs (over separate runs in the book's precision): "
              + ", ".join(f"K={k} fp32 {r['fp32']:.2f}x bf16 {r['bf16']:.2f}x ({r['over_book']:.2f}x)"
                          for k, r in zip(args.members, results[model].values()))
              + f"  [{time.perf_counter() - start:.0f} s]", flush=True)
    print(json.dumps({"bench": "stacked", "models": results}))


if __name__ == "__main__":
    main()
