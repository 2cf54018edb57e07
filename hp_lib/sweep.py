"""Run many independent configs: in worker processes across the cores, each through the result cache.

Each worker trains with ``cfg.threads`` threads; ``workers`` defaults to as many as the cores allow.
Results come back in the order of the configs.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
import multiprocessing

from . import progress
from .train import History, RunConfig, run as run_one


def default_workers(configs: list[RunConfig]) -> int:
    threads = max(c.threads for c in configs)
    return max(1, min(len(configs), (os.cpu_count() or 1) // threads))


def run(configs: list[RunConfig], workers: int | None = None, desc: str = "runs") -> list[History]:
    configs = list(configs)
    if not configs:
        return []
    workers = workers or default_workers(configs)
    if workers == 1 or len(configs) == 1:
        return [run_one(c) for c in progress.bar(configs, desc=desc)]
    # spawn: a fresh interpreter per worker, safe inside Jupyter kernels and with torch threads
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(run_one, c) for c in configs]
        for f in progress.bar(futures, desc=desc):
            f.result()
        return [f.result() for f in futures]
