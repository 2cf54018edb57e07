"""hp_lib.sweep: parallel runs through the cache, in the order given."""

import os
import threading

import pandas as pd
import pytest

from hp_lib import results as stored
from hp_lib import cache, sweep, train


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("HP_BOOK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HP_BOOK_BUILD", str(tmp_path / "build"))
    sweep._stop_pool()  # each test starts its own pool
    yield
    sweep._stop_pool()


def small(**changes) -> train.RunConfig:
    cfg = train.RunConfig(dataset="digits", model="mlp", model_kwargs={"width": 16}, n_train=200, n_val=100,
                          n_test=100, steps=30, batch_size=32, eval_every=10, lr=0.05)
    return cfg.replace(**changes)


def test_parallel_sweep_equals_sequential_runs_in_order():
    configs = [small(seed=s, steps=20 + 10 * s) for s in range(3)]
    parallel = sweep.run(configs, workers=2)
    for cfg, h in zip(configs, parallel):
        alone = train.train(cfg)
        assert h["step"].max() == cfg.steps - 1  # in the order given, though the longest ran first
        cols = ["step", "lr", "train_loss", "val_loss", "val_acc"]
        pd.testing.assert_frame_equal(h[cols], alone[cols], check_exact=True)


def test_cached_results_start_no_worker(monkeypatch):
    configs = [small(seed=s) for s in range(2)]
    first = sweep.run(configs, workers=1)
    monkeypatch.setattr(sweep, "_get_pool", lambda workers: pytest.fail("a worker pool was started"))
    monkeypatch.setattr(sweep, "run_one", lambda cfg: pytest.fail("a cached config was trained again"))
    monkeypatch.setattr(sweep, "run_stack", lambda cfgs: pytest.fail("cached configs were trained again"))
    again = sweep.run(configs, workers=2)
    for a, b in zip(first, again):
        assert a.attrs["cache_key"] == b.attrs["cache_key"]


def test_restarts_wait_for_their_parent(monkeypatch):
    parent = small(steps=40, snapshot_at=(20,))
    children = [small(steps=40, weight_decay=wd, start_from={"run": parent.to_dict(), "step": 20})
                for wd in (0.0, 1e-3, 1e-2)]
    trained = []
    real = sweep.run_one
    monkeypatch.setattr(sweep, "run_one", lambda cfg: trained.append(cfg) or real(cfg))
    results = sweep.run(children, workers=1)
    assert trained[0] == parent and len(trained) == 4  # the parent once, first; then each child
    assert all(h["step"].iloc[0] == 19 for h in results)


def test_workers_follow_the_callers_cache_location(tmp_path, monkeypatch):
    """A pool started under one build folder trains later runs into the folder in force when they are asked."""
    sweep.run([small(seed=0), small(seed=1)], workers=2)  # the pool starts under the fixture's folder
    monkeypatch.setenv("HP_BOOK_BUILD", str(tmp_path / "elsewhere"))
    configs = [small(seed=2, snapshot_at=(30,)), small(seed=3, snapshot_at=(30,))]
    sweep.run(configs, workers=2)
    for cfg in configs:
        assert stored.snapshot(cfg, 30)["step"] == 30
    assert (tmp_path / "elsewhere" / "cache").is_dir()


def test_fine_tuning_runs_wait_for_their_source(monkeypatch):
    source = small(steps=20, classes=(0, 1, 2, 3, 4), n_train=300, n_test=0, snapshot_at=(20,))
    tuned = small(steps=20, classes=(5, 6, 7, 8, 9), n_train=300, n_test=0,
                  init_from={"run": source.to_dict(), "reinit": ["net.5"]})
    assert sweep.dependencies(tuned) == [source]
    assert sweep.prefetch([tuned], workers=1) == 0  # its source is not cached yet
    trained = []
    real = sweep.run_one
    monkeypatch.setattr(sweep, "run_one", lambda cfg: trained.append(cfg) or real(cfg))
    sweep.run([tuned], workers=1)
    assert trained == [source, tuned]


def test_prefetched_runs_are_waited_for_not_started_again(monkeypatch):
    """prefetch() starts runs in the pool; run() then collects those very runs (no second training) and
    returns exactly what an unprefetched sweep returns."""
    configs = [small(seed=s, steps=20 + 10 * s) for s in range(3)]
    parent = small(steps=40, snapshot_at=(20,))
    child = small(steps=40, weight_decay=1e-3, start_from={"run": parent.to_dict(), "step": 20})
    assert sweep.prefetch(configs + [child], workers=2) == 3  # the child waits for its uncached parent
    assert len(sweep._pending) == 3
    monkeypatch.setattr(sweep, "run_one", lambda cfg: pytest.fail(f"trained again: seed {cfg.seed}"))
    results = sweep.run(configs, workers=2)
    assert not sweep._pending
    for cfg, h in zip(configs, results):
        alone = train.train(cfg)
        cols = ["step", "lr", "train_loss", "val_loss", "val_acc"]
        pd.testing.assert_frame_equal(h[cols], alone[cols], check_exact=True)
    assert sweep.prefetch(configs) == 0  # all cached now


def test_longest_runs_start_first():
    runs = [small(model="mlp", steps=100), small(model="resnet20", steps=40), small(steps=10)]
    assert sorted(runs, key=lambda c: -sweep.cost(c))[0].model == "resnet20"


def test_a_sweep_on_a_local_ray_equals_the_local_executor(tmp_path, monkeypatch):
    """The ray executor (a local Ray with 2 CPUs): the same histories as local worker processes, written to
    the same cache, from which the local executor then reads every run."""
    import ray

    configs = [small(seed=s, lr=lr) for s in range(2) for lr in (0.02, 0.1)]
    local = sweep.run(configs, workers=2)
    monkeypatch.setenv("HP_BOOK_BUILD", str(tmp_path / "on-ray"))
    sweep.use("ray", num_cpus=2)
    try:
        on_ray = sweep.run(configs)
    finally:
        sweep.use("local")
        ray.shutdown()
    for a, b in zip(local, on_ray, strict=True):
        assert a.attrs["cache_key"] == b.attrs["cache_key"]
        pd.testing.assert_frame_equal(a.drop(columns="time"), b.drop(columns="time"), check_exact=True)
        assert cache.load(b.attrs["cache_key"]) is not None  # in the cache of the caller's HP_BOOK_BUILD
    monkeypatch.setattr(sweep, "_get_pool", lambda workers: pytest.fail("a cached run was trained again"))
    assert [h.attrs["cache_key"] for h in sweep.run(configs)] == [h.attrs["cache_key"] for h in local]


def test_an_unknown_executor_names_the_valid_ones():
    with pytest.raises(ValueError, match="unknown executor 'slurm'; valid executors: local, ray"):
        sweep.use("slurm")


def test_side_by_side_pools_train_no_more_runs_at_once_than_there_are_cores(tmp_path, monkeypatch):
    monkeypatch.setenv("HP_BOOK_SLOTS", str(tmp_path / "slots"))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    third_has_a_slot = threading.Event()

    def third():
        with sweep.core_slot(1, poll=0.01):
            third_has_a_slot.set()

    with sweep.core_slot(1):
        with sweep.core_slot(1):
            waiter = threading.Thread(target=third)
            waiter.start()
            assert not third_has_a_slot.wait(0.5)  # both slots are held
        assert third_has_a_slot.wait(10)  # one was given back
    waiter.join()


def test_a_run_asked_for_side_by_side_is_trained_once(tmp_path, monkeypatch):
    monkeypatch.setenv("HP_BOOK_SLOTS", str(tmp_path / "slots"))
    trained, real_train = [], train.train
    monkeypatch.setattr(stored, "train", lambda cfg, *a, **k: trained.append(cfg) or real_train(cfg, *a, **k))
    cfg, histories = small(), []
    callers = [threading.Thread(target=lambda: histories.extend(sweep._train([cfg]))) for _ in range(2)]
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    assert len(trained) == 1 and len(histories) == 2
    pd.testing.assert_frame_equal(histories[0], histories[1])
