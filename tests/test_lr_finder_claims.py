"""The LR range test and the verdicts on Smith's remarks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hp_lib import claims, lr_finder, schedules, train


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


# --- claims: Remark 1 -------------------------------------------------------------------------------------

def _ev(val_loss, train_loss=None, val_acc=None) -> pd.DataFrame:
    n = len(val_loss)
    return pd.DataFrame({
        "step": np.arange(n) * 10 + 9,
        "lr": np.linspace(0.01, 1.0, n),
        "val_loss": val_loss,
        "val_acc": np.linspace(0.5, 0.9, n) if val_acc is None else val_acc,
        "train_eval_loss": np.linspace(2.0, 0.5, n) if train_loss is None else train_loss,
    })


BUMP = [2.0, 1.5, 1.0, 0.9, 1.0, 1.2, 1.3, 1.2, 1.0, 0.8, 0.7, 0.6]


def test_remark_1_reproduced():
    v = claims.remark_1(_ev(BUMP))
    assert v.status == claims.REPRODUCED and v.label() == "reproduced"
    assert len(v.evidence["windows"]) == 1
    assert v.evidence["train_loss_change"] < 0 and v.evidence["val_acc_change"] > 0
    assert v.evidence["val_loss_rise_rel"] > 0.05
    assert 0.01 < v.evidence["lr_start"] < v.evidence["lr_end"] < 1.0


def test_remark_1_not_reproduced_for_falling_loss():
    v = claims.remark_1(_ev(list(np.linspace(2.0, 0.5, 12))))
    assert v.status == claims.NOT_REPRODUCED
    assert v.evidence["windows"] == []


def test_remark_1_inconclusive_when_accuracy_shows_it():
    acc = [0.5, 0.6, 0.8, 0.8, 0.8, 0.75, 0.75, 0.75, 0.75, 0.8, 0.85, 0.9]  # 5 points lost over the bump
    v = claims.remark_1(_ev(BUMP, val_acc=acc))
    assert v.status == claims.INCONCLUSIVE
    assert v.evidence["val_acc_change"] == pytest.approx(-0.05)


def test_remark_1_inconclusive_when_training_loss_rises():
    train_loss = [2.0, 1.5, 1.0, 0.9, 1.0, 1.2, 1.3, 1.2, 1.0, 0.8, 0.7, 0.6]
    assert claims.remark_1(_ev(BUMP, train_loss=train_loss)).status == claims.INCONCLUSIVE


def test_remark_1_ignores_the_blow_up():
    # a "bump" that is really the divergence at the end of the range test is not overfitting
    v = claims.remark_1(_ev(list(np.linspace(2.0, 0.5, 10)) + [5.0, 0.4]))
    assert v.status == claims.NOT_REPRODUCED


# --- claims: Remark 2 -------------------------------------------------------------------------------------

def _sweep(val_loss, widths=(8, 16, 32, 64, 128), seeds=(0, 1)) -> pd.DataFrame:
    rows = []
    for k, w in enumerate(widths):
        for s in seeds:
            jitter = 0.01 * (s - 0.5)  # seeds differ, the mean is the given curve
            rows.append({"width": w, "seed": s, "train_loss": 1.0 / (k + 1) + jitter,
                         "val_loss": val_loss[k] + jitter, "val_acc": 0.9 - 0.2 * abs(val_loss[k] - min(val_loss))})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0)  # order must not matter


def test_remark_2_reproduced_for_u_shape():
    v = claims.remark_2(_sweep([1.0, 0.7, 0.5, 0.65, 0.9]))
    assert v.status == claims.REPRODUCED
    assert v.evidence["best_capacity"] == 32
    assert v.evidence["best_acc_capacity"] == 32
    assert v.evidence["min_val_loss"] == pytest.approx(0.5)
    assert v.evidence["rise_small_end"] == pytest.approx(1.0) and v.evidence["rise_large_end"] == pytest.approx(0.8)


def test_remark_2_not_reproduced_for_monotone_loss():
    v = claims.remark_2(_sweep([1.0, 0.8, 0.6, 0.5, 0.45]))
    assert v.status == claims.NOT_REPRODUCED
    assert v.evidence["best_capacity"] == 128


def test_verdict_labels():
    assert claims.Verdict("x", claims.INCONCLUSIVE).label("zh") == "無定論"
    assert claims.Verdict("x", claims.NOT_REPRODUCED).label() == "not reproduced"


# --- Figs. 3a, 3b, 4a -----------------------------------------------------------------------------------

def _curve(losses, accs):
    return pd.DataFrame({"step": np.arange(len(losses)), "val_loss": losses, "val_acc": accs})


def test_underfitting_verdicts():
    t = np.linspace(0, 1, 40)
    still_falling = _curve(2.0 - 1.2 * t, 0.3 + 0.4 * t)           # keeps decreasing to the end
    flat = _curve(0.3 + 1.7 * np.exp(-12 * t), 0.9 - 0.6 * np.exp(-12 * t))  # drops fast, then horizontal
    assert claims.underfitting(still_falling, flat).status == claims.REPRODUCED
    assert claims.underfitting(flat, still_falling).status == claims.NOT_REPRODUCED
    also_falling = _curve(1.5 - 1.1 * t, 0.4 + 0.45 * t)            # ends better, but has not flattened
    assert claims.underfitting(still_falling, also_falling).status == claims.INCONCLUSIVE


def test_larger_model_verdicts():
    small, large = _curve([2.0, 1.0, 0.8], [0.3, 0.6, 0.7]), _curve([2.0, 0.9, 0.6], [0.3, 0.7, 0.8])
    assert claims.larger_model_underfits_less(small, large).status == claims.REPRODUCED
    assert claims.larger_model_underfits_less(large, small).status == claims.NOT_REPRODUCED


def test_weight_decay_range_test_verdicts():
    lr = np.linspace(0.001, 0.1, 50)

    def ev(blowup_at, floor):
        loss = np.maximum(floor, 2.3 - 30 * lr)
        loss[lr > blowup_at] = 50.0
        return pd.DataFrame({"lr": lr, "val_loss": loss})

    paper_like = {1e-4: ev(0.05, 0.3), 4e-3: ev(0.08, 0.2), 1e-2: ev(0.03, 0.4)}
    assert claims.weight_decay_range_test(paper_like, 1e-4, 4e-3, 1e-2).status == claims.REPRODUCED
    reversed_ = {1e-4: ev(0.08, 0.2), 4e-3: ev(0.03, 0.4), 1e-2: ev(0.09, 0.3)}
    assert claims.weight_decay_range_test(reversed_, 1e-4, 4e-3, 1e-2).status == claims.NOT_REPRODUCED
