"""How a sweep should use the cores: one single-thread run per core side by side ("2 × 1" on two cores), or
one run at a time with every core's threads ("1 × 2"). The book's profiles take the faster layout.

For each analog model the book trains: the same two trainings (``hp_lib.train``, batch 128, ``--steps`` steps)
run once in two worker processes at 1 thread each, started together, and once one after the other in one
worker at ``cores`` threads. Workers import torch and warm up before the clock starts. Per model: the wall
time of both layouts, the speed-up of the parallel one, and how much one run slows down when it gets a core
instead of all of them (``thread_speedup``: its 1-thread time over its all-core time, alone). The layouts are
timed in turns over ``--rounds`` rounds (``interleave.py``): medians.

Prints one JSON line: ``{"bench": "layout", "cores", "models": {model: {...}}, "faster": {model: layout}}``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

from book import MODELS as BOOK_MODELS
from interleave import interleaved

MODELS = {**BOOK_MODELS, "char_lstm": "chars"}  # every model the book trains, on its data


def config(model: str, steps: int, threads: int):
    from hp_lib.train import RunConfig

    sizes = {"fashion_mnist": (10_000, 1_000, 1_000), "chars": (4_000, 500, 500)}.get(MODELS[model], (4_000, 500, 500))
    return RunConfig(dataset=MODELS[model], model=model, n_train=sizes[0], n_val=sizes[1], n_test=sizes[2],
                     steps=steps, eval_every=steps, batch_size=128, lr=0.01, threads=threads)


def train_seconds(model: str, steps: int, threads: int, runs: int, barrier=None) -> float:
    """Warm up, wait at ``barrier`` (the other worker), then train ``runs`` runs; their training seconds."""
    from hp_lib.train import load_data, train

    cfg = config(model, steps, threads)
    data = load_data(cfg)
    train(cfg.replace(steps=5, eval_every=5), data)  # first-call costs: allocator, kernels' primitives
    if barrier is not None:
        barrier.wait()
    start = time.perf_counter()
    for seed in range(runs):
        history = train(cfg.replace(seed=seed), data)
        if history.attrs["status"] != "ok":
            raise RuntimeError(f"{model} diverged: a run that stops early is not timed")
    return time.perf_counter() - start


def measure(model: str, steps: int, cores: int, rounds: int) -> dict:
    spawn = multiprocessing.get_context("spawn")

    def parallel() -> float:
        with spawn.Manager() as manager, ProcessPoolExecutor(cores, mp_context=spawn) as pool:
            barrier = manager.Barrier(cores)
            return max(f.result() for f in [pool.submit(train_seconds, model, steps, 1, 1, barrier)
                                            for _ in range(cores)])

    def in_one_worker(threads: int, runs: int) -> float:
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            return pool.submit(train_seconds, model, steps, threads, runs).result()

    timed = interleaved({"sequential": lambda: in_one_worker(cores, cores), "parallel": parallel,
                         "alone_1_thread": lambda: in_one_worker(1, 1)}, rounds)
    sequential = timed["sequential"]["seconds"]
    return {f"{cores}x1_s": round(timed["parallel"]["seconds"], 2), f"1x{cores}_s": round(sequential, 2),
            "speedup_parallel": round(timed["parallel"]["speedup"], 3),
            "thread_speedup": round(timed["alone_1_thread"]["seconds"] / (sequential / cores), 3)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    if cores < 2:
        raise SystemExit("one core: there is no layout to choose")
    results = {}
    for model in args.models:
        results[model] = measure(model, args.steps, cores, args.rounds)
        r = results[model]
        print(f"{model:12s} {cores} x 1 thread {r[f'{cores}x1_s']:6.2f} s   1 x {cores} threads "
              f"{r[f'1x{cores}_s']:6.2f} s   parallel is {r['speedup_parallel']:.2f} x as fast")
    faster = {m: f"{cores}x1" if r["speedup_parallel"] >= 1 else f"1x{cores}" for m, r in results.items()}
    print(json.dumps({"bench": "layout", "cores": cores, "steps": args.steps, "models": results, "faster": faster}))


if __name__ == "__main__":
    main()
