"""The model-level range tests of hp_lib.lr_finder: range_test, momentum_range_test, weight_decay_search."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from hp_lib import data, lr_finder, models


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("HP_BOOK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HP_BOOK_BUILD", str(tmp_path / "build"))
    torch.manual_seed(0)


def _blobs(n: int = 256, seed: int = 0):
    """Three Gaussian classes in 5 dimensions."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    x = torch.randn(n, 5, generator=g) + 2.0 * F.one_hot(y, 5).float()
    return x, y


def _mlp() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))


def _least_squares(n: int = 64, d: int = 8, lam_max: float = 1.0):
    """``loss(w) = mean((X w - y)^2)`` with Hessian ``H = 2/n XᵀX`` of eigenvalues logspace(-2, 0)·λmax:
    ``X = U diag(s) Vᵀ`` with orthonormal ``U``, ``V`` and ``s_i = sqrt(λ_i n / 2)``. The targets have a
    residual orthogonal to the columns of X, so the minimum loss is a positive floor (its mean square)."""
    g = torch.Generator().manual_seed(0)
    q = torch.linalg.qr(torch.randn(n, n, generator=g))[0]
    v = torch.linalg.qr(torch.randn(d, d, generator=g))[0]
    lams = lam_max * torch.logspace(-2, 0, d)
    x = q[:, :d] @ torch.diag(torch.sqrt(lams * n / 2)) @ v.T
    y = x @ torch.randn(d, generator=g) + 0.3 * q[:, d:] @ torch.randn(n - d, generator=g)
    return x, y[:, None]


# --- range_test -------------------------------------------------------------------------------------------

def test_divergence_at_the_stability_limit_of_gradient_descent():
    """Full-batch gradient descent on a quadratic with Hessian H multiplies the error along each
    eigenvector of H (eigenvalue λ) by (1 − lr·λ) per step: it is stable iff lr < 2/λmax. Below that limit
    the loss can only fall, so the range test cannot stop there; above it the top component grows by
    |1 − lr·λmax| per step, and the smoothed loss needs a few dozen steps to grow from the rounding-error
    level to 5× its minimum, so the detected divergence lands a little above 2/λmax (the finer the LR
    grid, the closer). The steepest descent of the loss is where the bulk of the error is removed, well
    inside the stable region."""
    x, y = _least_squares(lam_max=1.0)
    lam_max = torch.linalg.eigvalsh(2 / len(x) * x.T @ x).max().item()
    assert lam_max == pytest.approx(1.0, rel=1e-4)
    limit = 2 / lam_max
    model = torch.nn.Linear(x.shape[1], 1, bias=False)
    # 1e-3 → 20 in 1000 iterations: about 70 iterations per doubling of the LR
    res = lr_finder.range_test(model, (x, y), loss_fn=F.mse_loss, start_lr=1e-3, end_lr=20.0, num_iter=1000,
                               mode="exp", batch_size=len(x), optimizer="sgd", momentum=0.0, weight_decay=0.0)
    print(f"2/λmax = {limit:.4g}, diverged_at = {res.diverged_at:.4g}, suggestion = {res.suggestion:.4g}")
    assert limit < res.diverged_at < 2 * limit
    assert res.suggestion < limit
    h = res.history
    assert h["lr"].iloc[-1] == res.diverged_at and len(h) < 1000
    # GD is monotone below the limit: the loss never rises while lr < 2/λmax
    stable = h[h["lr"] < limit]["loss"].to_numpy()
    assert np.all(np.diff(stable) <= 1e-6 * stable[:-1])


def test_weights_buffers_modes_and_rng_are_restored():
    x, y = _blobs()
    model = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
                                torch.nn.Dropout(0.2), torch.nn.Linear(16, 3))
    model.eval()
    model[3].train()  # mixed modes must come back as they were
    before = copy.deepcopy(model.state_dict())
    params = list(model.parameters())
    modes = [m.training for m in model.modules()]
    seen = {}
    model[1].register_forward_hook(lambda m, i, o: seen.update(running_mean=m.running_mean.clone()))
    rng = torch.get_rng_state()

    res = lr_finder.range_test(model, (x, y), start_lr=1e-3, end_lr=1.0, num_iter=30, batch_size=32,
                               val_data=_blobs(64, seed=1))
    assert len(res.history) > 5
    assert not torch.equal(seen["running_mean"], before["1.running_mean"])  # the BN stats did move
    after = model.state_dict()
    assert after.keys() == before.keys()
    assert all(torch.equal(after[k], before[k]) for k in before)
    assert all(a is b for a, b in zip(model.parameters(), params))  # same tensors, updated in place
    assert [m.training for m in model.modules()] == modes
    assert torch.equal(torch.get_rng_state(), rng)


def test_history_columns_and_evaluations():
    x, y = _blobs()
    kw = dict(start_lr=1e-4, end_lr=1e-1, num_iter=60, batch_size=32)
    h = lr_finder.range_test(_mlp(), (x, y), **kw).history
    assert list(h.columns) == ["iteration", "lr", "loss", "smoothed_loss"]
    assert h["iteration"].tolist() == list(range(60))
    np.testing.assert_allclose(h["lr"], np.geomspace(1e-4, 1e-1, 60), rtol=1e-10)

    res = lr_finder.range_test(_mlp(), (x, y), val_data=_blobs(100, seed=1), eval_every=7, **kw)
    h = res.history
    assert list(h.columns) == ["iteration", "lr", "loss", "smoothed_loss", "val_loss", "val_acc"]
    assert len(h) == 60 and res.diverged_at is None
    ev = h.dropna(subset=["val_loss"])
    assert ev["iteration"].tolist() == [6, 13, 20, 27, 34, 41, 48, 55]  # after every 7th update
    assert ev["val_acc"].between(0, 1).all() and h["val_acc"].notna().sum() == 8
    # default: about 20 evaluations
    h = lr_finder.range_test(_mlp(), (x, y), val_data=_blobs(100, seed=1), **kw).history
    assert h["val_loss"].notna().sum() == 20

    # regression targets: a validation loss but no accuracy
    xr, yr = _least_squares()
    h = lr_finder.range_test(torch.nn.Linear(8, 1), (xr, yr), loss_fn=F.mse_loss, start_lr=1e-3, end_lr=0.1,
                             num_iter=20, val_data=(xr, yr), eval_every=5).history
    assert h["val_loss"].notna().sum() == 4 and h["val_acc"].isna().all()

    import matplotlib
    matplotlib.use("Agg")
    ax = res.plot()
    assert ax.get_xscale() == "log" and len(ax.get_lines()) == 4


def test_smoothing_and_stopping_rule():
    x, y = _blobs()
    res = lr_finder.range_test(_mlp(), (x, y), start_lr=1e-3, end_lr=1e3, num_iter=100, batch_size=32,
                               smooth=0.1, diverge_th=3.0)
    h = res.history
    loss, smoothed = h["loss"].to_numpy(), h["smoothed_loss"].to_numpy()
    expected = [loss[0]]
    for value in loss[1:]:
        expected.append(0.1 * value + 0.9 * expected[-1])  # torch-lr-finder's EMA, no bias correction
    np.testing.assert_allclose(smoothed, expected, rtol=1e-12)
    # it stopped at the first row whose smoothed loss exceeds 3× the minimum so far (or is non-finite)
    assert res.diverged_at is not None and res.diverged_at == h["lr"].iloc[-1]
    over = smoothed > 3.0 * np.minimum.accumulate(smoothed)
    assert not over[:-1].any() and (over[-1] or not np.isfinite(loss[-1]))
    # the suggestion is read on the rows before the stop
    assert h["lr"].iloc[0] < res.suggestion < res.diverged_at


def test_optimizers_and_linear_mode():
    x, y = _blobs()
    with pytest.raises(ValueError, match="'sgd', 'adam'"):
        lr_finder.range_test(_mlp(), (x, y), optimizer="rmsprop")

    made = []

    def rmsprop(params):
        made.append(torch.optim.RMSprop(params, lr=123.0))
        return made[-1]

    h = lr_finder.range_test(_mlp(), (x, y), optimizer=rmsprop, start_lr=1e-5, end_lr=1e-3, num_iter=20,
                             mode="linear", batch_size=32).history
    assert len(made) == 1 and len(h) == 20
    assert made[0].param_groups[0]["lr"] == pytest.approx(1e-3)  # the schedule wrote into it
    assert len(made[0].state) > 0  # and it stepped
    np.testing.assert_allclose(h["lr"], np.linspace(1e-5, 1e-3, 20), rtol=1e-12)

    h = lr_finder.range_test(_mlp(), (x, y), optimizer="adam", start_lr=1e-5, end_lr=1e-2, num_iter=20,
                             batch_size=32).history
    assert len(h) == 20 and np.isfinite(h["loss"]).all()


# --- momentum_range_test ----------------------------------------------------------------------------------

def test_momentum_range_test():
    x, y = _blobs()
    made = []

    def sgd(params):
        made.append(torch.optim.SGD(params, lr=123.0, momentum=0.0))
        return made[-1]

    res = lr_finder.momentum_range_test(_mlp(), (x, y), lr=0.05, num_iter=40, batch_size=32, optimizer=sgd,
                                        val_data=_blobs(100, seed=1))
    h = res.history
    assert "momentum" in h and "lr" not in h
    assert h["momentum"].iloc[0] == pytest.approx(0.7)
    np.testing.assert_allclose(h["momentum"], np.linspace(0.7, 1.0, 40)[:len(h)], rtol=1e-12)
    if res.diverged_at is None:
        assert h["momentum"].iloc[-1] == pytest.approx(1.0)
    else:
        assert res.diverged_at == h["momentum"].iloc[-1]
    assert made[0].param_groups[0]["momentum"] == pytest.approx(h["momentum"].iloc[-1])
    assert made[0].param_groups[0]["lr"] == 0.05  # the callable's own LR is replaced by ``lr``
    assert 0.7 <= res.suggestion <= 1.0
    stable = h if res.diverged_at is None else h.iloc[:-1]
    assert res.suggestion == stable["momentum"].iloc[stable["smoothed_loss"].argmin()]


# --- weight_decay_search ----------------------------------------------------------------------------------

def test_weight_decay_search():
    d = data.load("digits", 300, 200, 100)
    model = models.build("mlp", d.input_shape, d.num_classes, width=64)
    before = copy.deepcopy(model.state_dict())
    decays = [1e-2, 1e-4, 1e-3]
    kw = dict(snapshot_iter=60, lr=0.05, num_iter=30, val_data=(d.x_val, d.y_val), batch_size=32)

    res = lr_finder.weight_decay_search(model, (d.x_train, d.y_train), weight_decays=decays, **kw)
    h = res.history
    assert list(h.columns) == ["weight_decay", "iteration", "loss", "val_loss", "val_acc"]
    assert h["weight_decay"].drop_duplicates().tolist() == decays  # one block per weight decay, in order
    for _, block in h.groupby("weight_decay"):
        assert block["iteration"].tolist() == list(range(60, 90))
        assert block.dropna(subset=["val_loss"])["iteration"].tolist() == [89]  # evaluated at the end
    # every block starts from the same snapshot on the same minibatch: identical first losses
    assert h[h["iteration"] == 60]["loss"].nunique() == 1
    assert res.snapshot_weight_decay == 1e-3  # the middle one
    assert res.best in decays
    final = h[h["iteration"] == 89].set_index("weight_decay")["val_loss"]
    assert res.best == final.idxmin()
    assert res.seconds_saved > 0
    after = model.state_dict()
    assert all(torch.equal(after[k], before[k]) for k in before)

    # the same search with only the middle weight decay reproduces its block exactly
    alone = lr_finder.weight_decay_search(model, (d.x_train, d.y_train), weight_decays=[1e-3], eval_every=10, **kw)
    assert alone.seconds_saved == 0 and alone.best == 1e-3
    middle = h[h["weight_decay"] == 1e-3].reset_index(drop=True)
    pd.testing.assert_series_equal(alone.history["loss"], middle["loss"])
    assert alone.history.dropna(subset=["val_loss"])["iteration"].tolist() == [69, 79, 89]
    assert alone.history["val_loss"].iloc[-1] == pytest.approx(middle["val_loss"].iloc[-1], rel=1e-6)
