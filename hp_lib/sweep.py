"""Run many independent configs: in worker processes across the cores, each through the result cache.

* Results already in the cache are read in this process; only the missing ones go to the workers, so an
  unchanged chapter starts no worker at all.
* The workers form one pool kept for the life of the process (starting a worker imports torch: seconds), and
  receive the longest runs first, so the cores stay busy to the end of a sweep.
* A run that continues another from its snapshot waits for that run: parents are computed in a first wave.
* :func:`prefetch` starts a chapter's runs ahead of the cells that need them, so that the plotting and the
  gaps between a chapter's experiments overlap with training instead of leaving a core idle.
* Runs that can train as one stacked model (:mod:`hp_lib.stacked`: the seeds of a configuration, grids over
  the learning rate, momentum or weight decay) go to a worker together, up to :data:`STACK_SIZE` at a time,
  grouped the same way for the same runs. Runs whose training time a chapter reads go alone (``stack=False``):
  a stack's members share its clock.

Each worker trains with ``cfg.threads`` threads; ``workers`` defaults to as many as the cores allow.
Results come back in the order of the configs.

When a build runs chapters side by side, their kernels' pools share the cores through
:func:`core_slot`: a run trains only while it holds one of the machine's slots.

Executors: ``local`` worker processes (the default), or ``ray``: each run a task on a Ray cluster
(:mod:`hp_lib.ray_pool`). :func:`use` picks one; ``python -m hp_lib build --executor ray --address auto``
does it for a whole book (through ``HP_BOOK_EXECUTOR`` and ``HP_BOOK_RAY_ADDRESS``, which the chapters'
kernels inherit). Either way results land in the same cache.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path

from . import progress, results, stacked
from .results import run as run_one, run_stack
from .train import History, RunConfig

_pool: ProcessPoolExecutor | None = None
_pool_workers = 0
_pending: dict[str, Future] = {}  # config (as JSON) -> its run, started ahead by prefetch()
_alone: set[str] = set()  # configs (as JSON) that train one by one: a chapter reads their training time

STACK_SIZE = 8  # members per stack: benchmarks/stacked.py measured more per-member throughput at 8 than at 4

# relative cost of one training sample per model (measured on MNIST-1D), to start the longest runs first
MODEL_COST = {"mlp": 0.3, "three_layer": 1.0, "lenet": 2.0, "resnet20": 4.0, "resnet56": 10.0, "wrn32_4": 10.0,
              "densenet40": 12.0, "char_lstm": 8.0, "skipgram": 0.1}


def default_workers(configs: list[RunConfig]) -> int:
    threads = max(c.threads for c in configs)
    return max(1, min(len(configs), (os.cpu_count() or 1) // threads))


def lookup(cfg: RunConfig) -> History | None:
    """The cached result of ``cfg``, or ``None``."""
    history = results.lookup(cfg)
    if history is not None:
        progress.report(f"{cfg.model}/{cfg.dataset} seed {cfg.seed}", cached=True)
    return history


def cost(cfg: RunConfig) -> float:
    """A rough size of a run, to start the longest first."""
    return cfg.steps * cfg.batch_size * MODEL_COST.get(cfg.model, 4.0)


def stacks(configs: list[RunConfig], stack: bool = True) -> list[list[RunConfig]]:
    """``configs`` as the tasks a worker trains, longest first: stacks of runs that train as one model (with
    ``stack``, for the runs not marked to go alone), else one run each."""
    alone = [c for c in configs if not stack or _ident(c) in _alone]
    together = [c for c in configs if stack and _ident(c) not in _alone]
    tasks = [[c] for c in alone] + stacked.groups(together, STACK_SIZE)
    return sorted(tasks, key=lambda task: -sum(cost(c) for c in task))


def _ident(cfg: RunConfig) -> str:
    return json.dumps(cfg.to_dict(), sort_keys=True)


def dependencies(cfg: RunConfig) -> list[RunConfig]:
    """The runs ``cfg`` starts from: the run it continues (``start_from``) and the run whose weights it
    fine-tunes (``init_from``)."""
    deps = [cfg.parent()] if cfg.start_from is not None else []
    if cfg.init_from is not None:
        deps.append(RunConfig(**cfg.init_from["run"]))
    return deps


def prefetch(configs: list[RunConfig], workers: int | None = None, stack: bool = True) -> int:
    """Start the runs of ``configs`` that are not cached yet in the worker pool, longest first, and return at
    once (the number started). A later :func:`run` of any of them waits for that run instead of starting it
    again. A chapter calls this first with every config it will need; ``stack=False`` for runs whose training
    time it reads (they then train alone here and in :func:`run`). Runs that start from a run not cached yet
    (``start_from``, ``init_from``) are left to :func:`run`, which computes that run first."""
    if not stack:
        _alone.update(_ident(c) for c in configs)
    todo: dict[str, RunConfig] = {}
    for cfg in configs:
        k = _ident(cfg)
        if k in _pending or k in todo or any(results.lookup(d) is None for d in dependencies(cfg)):
            continue
        if results.lookup(cfg) is None:
            todo[k] = cfg
    if todo:
        tasks = stacks(list(todo.values()), stack)
        pool = _get_pool(workers or default_workers([task[0] for task in tasks]))
        for task in tasks:
            _pending.update(zip(map(_ident, task), _submit(pool, task)))
    return len(todo)


EXECUTORS = ("local", "ray")


def use(executor: str = "local", address: str | None = None, num_cpus: int | None = None) -> None:
    """Run sweeps with ``executor``: "local" processes, or "ray" — on the cluster at ``address`` ("auto" or
    "HOST:PORT"), or without one on a local Ray with ``num_cpus`` CPUs. Kernels started later inherit it."""
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; valid executors: {', '.join(EXECUTORS)}")
    _stop_pool()
    for name, value in (("HP_BOOK_EXECUTOR", executor), ("HP_BOOK_RAY_ADDRESS", address),
                        ("HP_BOOK_RAY_CPUS", num_cpus)):
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = str(value)


def _get_pool(workers: int):
    global _pool, _pool_workers
    if os.environ.get("HP_BOOK_EXECUTOR", "local") == "ray":
        from .ray_pool import RayPool

        if not isinstance(_pool, RayPool):
            cpus = os.environ.get("HP_BOOK_RAY_CPUS")
            _pool = RayPool(os.environ.get("HP_BOOK_RAY_ADDRESS") or None, int(cpus) if cpus else None)
        return _pool
    # grow a pool when more workers are asked for (never while runs are queued); never shrink one: idle
    # workers cost nothing, while starting new ones costs seconds each
    if _pool is None or (_pool_workers < workers and not _pending):
        if _pool is not None:
            _pool.shutdown()
        # spawn: a fresh interpreter per worker, safe inside Jupyter kernels and with torch threads
        _pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_start_worker, initargs=(os.getpid(),))
        _pool_workers = workers
    return _pool


def _submit(pool: ProcessPoolExecutor, task: list[RunConfig]) -> list[Future]:
    """Train ``task`` (one run, or runs that stack) in a worker under this process's ``HP_BOOK_*`` settings
    (where the cache and the data are): a pool outlives changes to them, and its workers would otherwise keep
    those they started with. One future per run."""
    settings = {k: v for k, v in os.environ.items() if k.startswith("HP_BOOK_")}
    if isinstance(pool, ProcessPoolExecutor):
        whole = pool.submit(_run_with_settings, task, settings)
    else:
        whole = pool.submit(_run_with_settings, task, settings, cpus=task[0].threads)
    return [_member(whole, i) for i in range(len(task))]


def _member(whole: Future, i: int) -> Future:
    """The future of the ``i``-th run of a task's future (which gives the list of their histories)."""
    member: Future = Future()
    member.task = whole  # what cancelling it means

    def done(f: Future) -> None:
        if member.cancelled():
            return
        if f.cancelled():
            member.cancel()
        elif f.exception() is not None:
            member.set_exception(f.exception())
        else:
            member.set_result(f.result()[i])

    whole.add_done_callback(done)
    return member


def _run_with_settings(task: list[RunConfig], settings: dict[str, str]) -> list[History]:
    for k in [k for k in os.environ if k.startswith("HP_BOOK_") and k not in settings]:
        del os.environ[k]
    os.environ.update(settings)
    return _train(task)


def _train(task: list[RunConfig]) -> list[History]:
    def train_task():
        return [run_one(task[0])] if len(task) == 1 else run_stack(task)

    folder = _slots()
    if folder is None:
        return train_task()
    # chapters side by side may ask for the same run: the first to lock it computes it, the others then
    # read it from the cache (locks taken in one global order, so that two stacks cannot wait for each other)
    with contextlib.ExitStack() as held:
        for k in sorted({results.key(cfg) for cfg in task}):
            held.enter_context(_lock(folder / "runs" / f"{k}.lock", wait=True))
        with core_slot(task[0].threads):
            return train_task()


def _slots() -> Path | None:
    folder = os.environ.get("HP_BOOK_SLOTS")
    return Path(folder) if folder and os.environ.get("HP_BOOK_EXECUTOR", "local") == "local" else None


@contextlib.contextmanager
def core_slot(threads: int, poll: float = 0.1):
    """Hold one of the machine's ``cores // threads`` slots while inside, if ``HP_BOOK_SLOTS`` names a folder
    (a build running chapters side by side sets it): the worker pools of several kernels then train no more
    runs at once than the cores allow."""
    folder = _slots()
    if folder is None:
        yield
        return
    slots = [folder / f"slot-{i}.lock" for i in range(max(1, (os.cpu_count() or 1) // threads))]
    while (held := next(filter(None, (_lock(path, wait=False) for path in slots)), None)) is None:
        time.sleep(poll)
    with held:  # closing the file releases its lock
        yield


def _lock(path: Path, wait: bool):
    """The file ``path`` (made if missing), open and exclusively locked until closed or its process ends,
    however it ends; if another process holds the lock: waits for it, or without ``wait`` returns ``None``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    f = open(path, "a")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        return f
    except BlockingIOError:
        f.close()
        return None


def _start_worker(parent: int) -> None:
    """Workers leave Ctrl-C (and a notebook kernel's interrupt) to the parent, which stops them itself; and
    they end when the parent is gone (killed with SIGKILL, it cannot stop them), instead of idling forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def exit_when_orphaned():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=exit_when_orphaned, daemon=True).start()


def _stop_pool() -> None:
    """Kill the workers now (a run killed mid-way leaves no cache entry: they are written atomically)."""
    global _pool
    if _pool is not None:
        for process in list((getattr(_pool, "_processes", None) or {}).values()):
            process.terminate()
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None
    _pending.clear()


@atexit.register
def _shutdown() -> None:
    if _pool is not None:
        _pool.shutdown(cancel_futures=True)


def run(configs: list[RunConfig], workers: int | None = None, desc: str = "runs", stack: bool = True) -> list[History]:
    """The Histories of ``configs``, in their order: from the cache, from the runs :func:`prefetch` started, or
    trained now (in stacks, unless ``stack=False``; runs they continue from first)."""
    configs = list(configs)
    # a run prefetch() started is collected from its worker below (which reports it), not looked up here
    results: list[History | None] = [None if _ident(c) in _pending else lookup(c) for c in configs]
    missing = [i for i, h in enumerate(results) if h is None]
    if not missing:
        return results
    parents = {_ident(d): d for i in missing for d in dependencies(configs[i])}
    waves = [[p for p in parents.values() if lookup(p) is None], [configs[i] for i in missing]]
    workers = workers or default_workers([configs[i] for i in missing])
    done: dict[int, History] = {}
    with progress.bar(total=len({_ident(c) for c in waves[1]}) + len(waves[0]), desc=desc) as bar:
        for wave_no, wave in enumerate(waves):
            if not wave:
                continue
            unique = {_ident(cfg): cfg for cfg in wave}
            started = {k: _pending.pop(k) for k in unique if k in _pending}
            tasks = stacks([cfg for k, cfg in unique.items() if k not in started], stack)
            in_process = os.environ.get("HP_BOOK_EXECUTOR", "local") == "local" and (workers == 1 or len(tasks) == 1)
            by_ident: dict[str, History] = {}
            if not started and in_process:
                for task in tasks:
                    for cfg, history in zip(task, _train(task)):
                        by_ident[_ident(cfg)] = history
                        bar.update()
            else:
                pool = _get_pool(workers)
                futures = {f: k for k, f in started.items()}
                for task in tasks:
                    futures.update({f: _ident(cfg) for cfg, f in zip(task, _submit(pool, task))})
                try:
                    for f in as_completed(futures):
                        by_ident[futures[f]] = f.result()
                        bar.update()
                except KeyboardInterrupt:
                    _stop_pool()
                    raise
                except BaseException:  # a failed run: leave nothing queued behind it
                    for f in futures:
                        f.task.cancel()
                    raise
            histories = [by_ident[_ident(cfg)] for cfg in wave]
            if wave_no == 1:
                done = dict(zip(missing, histories))
    return [done.get(i, h) for i, h in enumerate(results)]
