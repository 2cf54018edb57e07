"""Stored results: the one home of a run's result. A run is found by its config alone.

:func:`key` names a config's result (the SHA-256 of the config, the data's fingerprint, the source of the modules
that compute runs and the torch version: :func:`hp_lib.cache.key`); :func:`lookup` reads it, :func:`run` trains
the config if it is not stored yet (after the run it continues or fine-tunes) and stores it, :func:`run_stack`
does the same for runs that train as one stack (:mod:`hp_lib.stacked`), each stored as its own run; :func:`snapshot`
loads the training state a stored run kept. :mod:`hp_lib.cache` keeps the entries on disk; the training loop
(:mod:`hp_lib.train`) knows nothing of either.
"""

from __future__ import annotations

from . import cache, progress, stacked
from .train import History, RunConfig, load_data, train


def key(cfg: RunConfig) -> str:
    return cache.key(cfg.to_dict(), load_data(cfg).fingerprint)


def lookup(cfg: RunConfig) -> History | None:
    """The stored History of ``cfg`` (its key in ``attrs["cache_key"]``), or ``None``."""
    k = key(cfg)
    history = cache.load(k)
    if history is not None:
        history.attrs["cache_key"] = k
    return history


def snapshot(cfg: RunConfig, step: int) -> dict:
    """The training state run ``cfg`` kept after ``step`` updates (its ``snapshot_at``)."""
    return cache.load_snapshot(key(cfg), step)


def run(cfg: RunConfig) -> History:
    """``train(cfg)`` through the store: an unchanged config on unchanged data and code is trained once."""
    data = load_data(cfg)
    k = cache.key(cfg.to_dict(), data.fingerprint)
    history = cache.load(k)
    cached = history is not None
    if not cached:
        state = init = None
        if cfg.start_from is not None:
            parent = cfg.parent()
            run(parent)
            state = snapshot(parent, cfg.start_from["step"])
        if cfg.init_from is not None:
            source = RunConfig(**cfg.init_from["run"])
            run(source)
            init = snapshot(source, source.steps)
        snapshots = {}
        history = train(cfg, data, state, on_snapshot=lambda step, st: snapshots.__setitem__(step, st), init=init)
        cache.save(k, history, cfg.to_dict(), snapshots)
    progress.report(f"{cfg.model}/{cfg.dataset} seed {cfg.seed}", cached=cached)
    history.attrs["cache_key"] = k
    return history


def run_stack(cfgs: list[RunConfig]) -> list[History]:
    """``run`` for configs of one :func:`hp_lib.stacked.group_key`: those not stored yet train as one stack
    (alone, if only one is missing) and each is stored under its own key."""
    data = load_data(cfgs[0])
    keys = [cache.key(c.to_dict(), data.fingerprint) for c in cfgs]
    histories = [cache.load(k) for k in keys]
    missing = [i for i, h in enumerate(histories) if h is None]
    if len(missing) == 1:
        histories[missing[0]] = run(cfgs[missing[0]])
    elif missing:
        for i, history in zip(missing, stacked.train([cfgs[i] for i in missing], data)):
            cache.save(keys[i], history, cfgs[i].to_dict())
            histories[i] = history
    for i, (cfg, history) in enumerate(zip(cfgs, histories)):
        if len(missing) != 1 or i not in missing:  # run() reported its own
            progress.report(f"{cfg.model}/{cfg.dataset} seed {cfg.seed}", cached=i not in missing)
        history.attrs["cache_key"] = keys[i]
    return histories
