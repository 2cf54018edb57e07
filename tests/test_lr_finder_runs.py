"""The LR range test as the chapters run it."""

from __future__ import annotations

import numpy as np
import pytest

from hp_lib import lr_finder, schedules, train


pytestmark = pytest.mark.usefixtures("isolated_home")


def _base() -> train.RunConfig:
    return train.RunConfig(dataset="digits", model="mlp", model_kwargs={"width": 32}, n_train=200, n_val=100,
                           n_test=100, batch_size=32, steps=10, eval_every=5)


# --- lr_finder -------------------------------------------------------------------------------------------

def test_config_builds_a_range_test():
    base = _base()
    cfg = lr_finder.config(base, 1e-4, 1.0, 200, mode="exp")
    assert isinstance(cfg, train.RunConfig)
    assert cfg.steps == 200 and cfg.eval_every == 4  # 200 // 50
    assert cfg.lr == {"name": "range_test", "start_lr": 1e-4, "end_lr": 1.0, "num_steps": 200, "mode": "exp"}
    f = schedules.from_spec(cfg.lr)
    assert f(0) == pytest.approx(1e-4) and f(199) == pytest.approx(1.0)
    # everything else is the base's, and the base is unchanged
    assert (cfg.dataset, cfg.model, cfg.batch_size, cfg.model_kwargs) == ("digits", "mlp", 32, {"width": 32})
    assert base.steps == 10 and base.lr == 0.1
    assert lr_finder.config(base, 1e-3, 1.0, 30).eval_every == 1  # at least 1
    assert lr_finder.config(base, 1e-3, 1.0, 30, eval_every=7).eval_every == 7
    assert lr_finder.config(base, 1e-3, 1.0, 30).lr["mode"] == "linear"  # Smith's linear ramp by default


def test_short_range_test():
    h = lr_finder.run_config_range_test(_base(), 1e-3, 0.3, 80, mode="linear", eval_every=10)
    assert h.attrs["status"] == "ok"
    ev = lr_finder.evaluations(h)
    assert ev["step"].tolist() == [9, 19, 29, 39, 49, 59, 69, 79]
    lr = ev["lr"].to_numpy()
    assert np.all(np.diff(lr) > 0)
    ramp = schedules.range_test(1e-3, 0.3, 80, "linear")
    np.testing.assert_allclose(lr, [ramp(s) for s in ev["step"]], rtol=1e-12)
    np.testing.assert_allclose(ev["generalization_error"], ev["val_loss"] - ev["train_eval_loss"], rtol=0, atol=0)
    assert ev[["val_loss", "val_acc", "train_eval_loss"]].notna().all().all()

    s = lr_finder.suggest(h)
    assert 1e-3 <= s["steepest"] <= 0.3 and 1e-4 <= s["min_over_10"] <= 0.03


def test_smooth_is_bias_corrected():
    np.testing.assert_allclose(lr_finder.smooth(np.full(200, 3.7)), 3.7, rtol=1e-12)
    out = lr_finder.smooth([5.0, 1.0], beta=0.5)
    assert out[0] == pytest.approx(5.0)  # no pull towards 0 at the start
    assert out[1] == pytest.approx((0.5 * 0.5 * 5.0 + 0.5 * 1.0) / (1 - 0.25))
    assert len(lr_finder.smooth([])) == 0
