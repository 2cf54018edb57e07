"""The training loop: History layout, determinism, divergence, config validation and the cache."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch
import pytest

from hp_lib import cache, data, models, results, schedules, train

COLUMNS = ["step", "epoch", "lr", "momentum", "train_loss", "val_loss", "val_acc",
           "train_eval_loss", "train_eval_acc", "time"]


pytestmark = pytest.mark.usefixtures("isolated_home")


def small(**changes) -> train.RunConfig:
    cfg = train.RunConfig(dataset="digits", model="mlp", model_kwargs={"width": 32}, n_train=200, n_val=100,
                          n_test=100, steps=60, batch_size=32, eval_every=20, lr=0.05)
    return cfg.replace(**changes)


@pytest.fixture(scope="module")
def history():
    return train.train(small())


def test_history_layout(history):
    assert list(history.columns) == COLUMNS
    assert len(history) == 60 + 1  # one row per step and the initial evaluation
    assert history["step"].tolist() == list(range(-1, 60))
    assert history.attrs["status"] == "ok" and history.attrs["diverged_step"] is None
    assert history.attrs["seconds"] > 0


def test_history_eval_rows(history):
    ev = history.dropna(subset=["val_loss"])
    assert ev["step"].tolist() == [-1, 19, 39, 59]
    for col in ("val_acc", "train_eval_loss", "train_eval_acc"):
        assert ev[col].notna().all()
    assert history.loc[~history["step"].isin([-1, 19, 39, 59]), "val_loss"].isna().all()
    assert ev["val_acc"].between(0, 1).all() and ev["train_eval_acc"].between(0, 1).all()
    # the training clock starts at zero, only moves forward and never counts more than the whole run
    assert ev["time"].iloc[0] == pytest.approx(0, abs=0.05)
    assert ev["time"].is_monotonic_increasing
    assert ev["time"].iloc[-1] <= history.attrs["seconds"]


def test_without_the_train_probe_only_the_train_eval_columns_are_empty(history):
    alone = train.train(small(train_probe=False))
    assert list(alone.columns) == list(history.columns)
    ev = alone.dropna(subset=["val_loss"])
    assert ev["step"].tolist() == [-1, 19, 39, 59]
    assert alone[["train_eval_loss", "train_eval_acc"]].isna().all().all()
    cols = ["step", "lr", "train_loss", "val_loss", "val_acc"]  # the probe draws no random numbers
    pd.testing.assert_frame_equal(alone[cols], history[cols], check_exact=True)
    with pytest.raises(ValueError, match="train_probe is True or False"):
        small(train_probe="no")


def test_history_train_rows(history):
    tr = history[history["step"] >= 0]
    assert np.isfinite(tr["train_loss"]).all()
    assert np.isfinite(history["val_loss"].dropna()).all()
    assert (tr["lr"] == 0.05).all() and (tr["momentum"] == 0.9).all()
    # 200 samples in batches of 32: 6 full batches per epoch
    np.testing.assert_allclose(tr["epoch"], (tr["step"] + 1) / 6)
    assert math.isnan(history.loc[0, "train_loss"])  # the initial evaluation has no training loss


def test_learns_better_than_chance(history):
    first, last = history.iloc[0], history.iloc[-1]
    assert first["val_acc"] < 0.3
    assert last["val_acc"] > 0.5  # 10 classes: chance is 0.1
    assert last["val_loss"] < first["val_loss"]
    assert last["train_eval_loss"] < first["train_eval_loss"]


def test_deterministic_on_cpu(history):
    again = train.train(small())
    # everything but the wall clock is bit-identical
    pd.testing.assert_frame_equal(history.drop(columns="time"), again.drop(columns="time"), check_exact=True)
    other_seed = train.train(small(seed=1))
    assert not other_seed["train_loss"].equals(history["train_loss"])


def test_schedule_values_are_logged():
    h = train.train(small(steps=12, eval_every=6, lr={"name": "range_test", "start_lr": 0.01, "end_lr": 0.12,
                                                       "num_steps": 12, "mode": "linear"}))
    tr = h[h["step"] >= 0]
    np.testing.assert_allclose(tr["lr"], 0.01 + 0.01 * tr["step"], rtol=1e-12)


def test_huge_lr_diverges_without_raising():
    h = train.train(small(lr=1e6))
    assert h.attrs["status"] == "diverged"
    d = h.attrs["diverged_step"]
    assert isinstance(d, int) and 0 <= d < 60
    assert h["step"].max() == d  # the run stopped there
    assert not np.isfinite(h.loc[h["step"] == d, "train_loss"]).any()
    assert list(h.columns) == COLUMNS


def test_a_diverged_run_is_shown_with_its_step_in_figures_and_tables():
    from hp_lib import plots
    from hp_lib.experiments.common import final_stats

    ok, blown = train.train(small()), train.train(small(lr=1e6))
    step = blown.attrs["diverged_step"]
    fig = plots.curves({"LR 1e6": [ok, blown]}, y="val_acc")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == [f"LR 1e6 (1/2 diverged: step {step})"]
    stats = final_stats([ok, blown])
    assert stats.diverged_text() == f"1/2 (step {step})" and stats.diverged_steps == (step,)


def test_run_uses_the_cache(tmp_path, monkeypatch):
    calls = []
    real_train = train.train
    monkeypatch.setattr(results, "train", lambda cfg, data=None, *a, **kw: calls.append(cfg) or real_train(cfg, data, *a, **kw))
    cfg = small()
    first = results.run(cfg)
    assert len(calls) == 1
    k = first.attrs["cache_key"]
    entry = tmp_path / "build" / "cache" / k[:2] / k
    assert (entry / "history.csv").is_file() and (entry / "meta.json").is_file()
    assert k == cache.key(cfg.to_dict(), data.load("digits", 200, 100, 100).fingerprint)

    second = results.run(cfg)
    assert len(calls) == 1, "the second run trained again"
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    assert second.attrs["status"] == "ok" and second.attrs["diverged_step"] is None
    assert second.attrs["cache_key"] == k

    results.run(cfg.replace(seed=1))  # another config is another entry
    assert len(calls) == 2


def test_run_cache_keeps_divergence(monkeypatch):
    calls = []
    real_train = train.train
    monkeypatch.setattr(results, "train", lambda cfg, data=None, *a, **kw: calls.append(cfg) or real_train(cfg, data, *a, **kw))
    first = results.run(small(lr=1e6))
    second = results.run(small(lr=1e6))
    assert len(calls) == 1
    assert second.attrs["status"] == "diverged"
    assert second.attrs["diverged_step"] == first.attrs["diverged_step"]
    assert isinstance(second.attrs["diverged_step"], int)
    pd.testing.assert_frame_equal(first, second, check_exact=True)


def test_restart_from_snapshot_continues_the_run_exactly():
    """A run restarted from its own snapshot, with nothing changed, reproduces the rest of the original bit
    for bit (the weights, the optimizer's momentum buffers and the minibatch order all come back)."""
    parent = small(steps=40, eval_every=10, snapshot_at=(13, 20))
    whole = results.run(parent)
    for step in (13, 20):  # mid-epoch and at an epoch boundary (6 batches per epoch: 18 is one, 20 is not)
        child = results.run(parent.replace(snapshot_at=(), start_from={"run": parent.to_dict(), "step": step}))
        assert child["step"].iloc[0] == step - 1 and not np.isnan(child["val_loss"].iloc[0])  # the snapshot, evaluated
        cols = ["step", "lr", "momentum", "train_loss"]
        pd.testing.assert_frame_equal(child.loc[child["step"] >= step, cols].reset_index(drop=True),
                                      whole.loc[whole["step"] >= step, cols].reset_index(drop=True), check_exact=True)
        evals = ["step", "val_loss", "val_acc", "train_eval_loss"]
        both = child[evals].dropna().merge(whole[evals].dropna(), on="step", suffixes=("", "_whole"))
        assert len(both) >= 3
        for col in evals[1:]:
            assert (both[col] == both[f"{col}_whole"]).all()


def test_restart_uses_its_own_weight_decay():
    parent = small(steps=30, eval_every=10, weight_decay=1e-4, snapshot_at=(12,))
    same = results.run(parent.replace(snapshot_at=(), start_from={"run": parent.to_dict(), "step": 12}))
    more = results.run(parent.replace(snapshot_at=(), weight_decay=0.5, start_from={"run": parent.to_dict(), "step": 12}))
    assert same["train_loss"].iloc[1] == more["train_loss"].iloc[1]  # same state and first minibatch ...
    assert not np.allclose(same["train_loss"].iloc[3:], more["train_loss"].iloc[3:])  # ... then WD decides


def test_snapshots_are_tensors_only():
    """Snapshots load with weights_only=True: nothing in them needs unpickling."""
    parent = small(steps=20, eval_every=10, snapshot_at=(7,))
    results.run(parent)
    state = results.snapshot(parent, 7)
    assert state["step"] == 7 and "model" in state and "optimizer" in state
    with pytest.raises(FileNotFoundError, match="no snapshot at step 8"):
        results.snapshot(parent, 8)


@pytest.mark.parametrize("changes,match", [
    ({"snapshot_at": (0,)}, "snapshot_at"),
    ({"snapshot_at": (61,)}, "snapshot_at"),
    ({"start_from": {"run": {}, "step": 5}}, "snapshot_at"),
    ({"start_from": {"step": 5}}, "'run'"),
])
def test_bad_snapshot_settings_are_rejected(changes, match):
    with pytest.raises(ValueError, match=match):
        small(**changes)


def test_three_layer_net_has_caffes_multipliers():
    """cifar3.prototxt: biases at lr_mult 2; the classifier's weights at decay_mult 250, its bias at 0."""
    model = models.build("three_layer", (3, 32, 32), 10)
    opt = torch.optim.SGD(train.param_groups(model, 4e-3), lr=0.1)
    schedules.apply(opt, lr=0.01)
    name_of = {id(p): n for n, p in model.named_parameters()}
    seen = {}
    for g in opt.param_groups:
        for p in g["params"]:
            seen[name_of[id(p)]] = (g["lr"], g["weight_decay"])
    assert seen["fc.weight"] == (0.01, pytest.approx(1.0))
    assert seen["fc.bias"] == (0.02, 0.0)
    assert seen["features.0.bias"] == (0.02, 4e-3) and seen["features.0.weight"] == (0.01, 4e-3)
    assert len(seen) == len(list(model.parameters()))


@pytest.mark.parametrize("name,shape", [("resnet20", (1, 40)), ("lenet", (1, 28, 28)), ("three_layer", (1, 40))])
def test_models_without_multipliers_get_one_group(name, shape):
    """ResNets and LeNet have none; the 1-D 3-layer analog keeps plain weight decay."""
    groups = train.param_groups(models.build(name, shape, 10), 1e-4)
    assert len(groups) == 1 and groups[0]["weight_decay"] == 1e-4


@pytest.mark.parametrize("shape, scale", [((3, 32, 32), 64.0), ((1, 40), 1.0)])
def test_three_layer_net_sees_caffes_input_scale_in_its_2d_form(shape, scale):
    """The 2-D form's first convolution sees the standardised input times 64 (cifar3.prototxt's mean-subtracted
    pixels); the 1-D analog's, the standardised input."""
    model = models.build("three_layer", shape, 10)
    seen = []
    model.features[0].register_forward_hook(lambda m, inputs, out: seen.append(inputs[0]))
    x = torch.randn(2, *shape)
    model(x)
    torch.testing.assert_close(seen[0], model.prepare(x) * scale)


def test_train_a_readers_own_model_and_tensors():
    """train() with a model object and tensors of one's own: the model is trained in place."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 5, generator=g)
    y = (x[:, 0] > 0).long()
    ds = data.Dataset("mine", x[:192], y[:192], x[192:], y[192:], x[:0], y[:0], num_classes=2, fingerprint="mine")
    model = torch.nn.Sequential(torch.nn.Linear(5, 2))
    before = model[0].weight.detach().clone()
    h = train.train(small(steps=60, batch_size=32, eval_every=20, lr=0.5), ds, model=model)
    assert not torch.equal(before, model[0].weight)
    assert h.dropna(subset=["val_acc"])["val_acc"].iloc[-1] > 0.9  # a linearly separable task, learnt
