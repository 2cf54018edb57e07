"""§3 (test loss): one record per stable id, the arms the paper's settings on paired seeds, and the points of a
curve a test reads chosen on the other seeds, never on the seed they score."""

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from hp_lib import profiles, verdicts
from hp_lib.experiments import smith_test_loss as ex
from hp_lib.train import History

IDS = ["smith-fig-1a", "smith-fig-1b", "smith-remark-1", "smith-fig-2", "smith-remark-2", "smith-fig-3a",
       "smith-fig-3b", "smith-fig-4a", "smith-fig-4b"]


def test_every_stable_id_is_one_test_but_the_drawing_of_fig_2():
    assert list(ex.CHAPTER.items) == IDS
    assert sorted(t.id for t in ex.TESTS) == sorted(i for i in IDS if i != "smith-fig-2")
    for t in (part for t in ex.TESTS for part in getattr(t, "parts", (t,))):
        if t.measure != "accuracy":  # losses state their margin; accuracies take the binomial rule
            assert t.margin in (ex.LOG_LOSS_MARGIN, ex.NATS_MARGIN) and t.why_margin
    v = ex.illustrate_fig_2()
    assert (v.id, v.kind, v.status) == ("smith-fig-2", verdicts.ILLUSTRATION, verdicts.ILLUSTRATION)


def test_the_arms_are_the_papers_settings_and_run_on_the_paired_seeds():
    p = profiles.get("cpu")
    grids = {"smith-fig-3a": ex.underfitting_setup("cpu"), "smith-fig-3b": ex.capacity_models_setup("cpu"),
             "smith-fig-4a": ex.weight_decay_range_setup("cpu"), "smith-fig-4b": ex.overfitting_setup("cpu")}
    for t in ex.tests(*grids):
        readings = {ex.VAL, ex.TRAIN} | {ex.at(n, p) for n in (ex.SHALLOW, ex.DEEP) for p in (ex.THREE_QUARTERS,
                                                                                             ex.END_OF_RUN)}
        for arm in set(t.arms) - readings:  # readings of one arm's runs (Figs. 3b, 4a) are not arms of their own
            assert [c.seed for c in grids[t.id].configs[arm]] == list(p.paired_seeds), (t.id, arm)
    k = ex.LR_SCALE_3LAYER["cpu"]  # the 3-layer net's one LR scale
    assert [c.lr for cs in (grids["smith-fig-3a"].configs[ex.lr_arm(lr)] for lr in (0.001, 0.004)) for c in cs[:1]] \
        == [0.001 * k, 0.004 * k]
    assert grids["smith-fig-4a"].configs[ex.wd_arm(4e-3)][0].lr["end_lr"] == 0.01 * k
    assert {c.weight_decay for c in grids["smith-fig-4a"].configs[ex.wd_arm(4e-3)]} == {4e-3}
    assert ex.range_test_setup("cpu").seeds == p.paired_seeds and ex.capacity_setup("cpu").seeds == p.paired_seeds
    drawn = ex.weight_decay_range_setup("cpu").configs[ex.wd_arm(1e-2)]  # only drawn: the figures' seeds
    assert [c.seed for c in drawn] == list(p.seeds)
    chosen = Counter(c.seed for c in ex.CHAPTER.plan("cpu", seeds=[7, 8, 9]))  # a reader's seeds win, for every run
    assert set(chosen) == {7, 8, 9} and len(set(chosen.values())) == 1


def test_overfitting_items_run_on_the_analog_with_noisy_labels():
    """On the CPU profiles every item runs on the harder MNIST-1D; those about overfitting and regularisation
    with noisy training labels; at ``full`` the paper's CIFAR-10 with its labels."""
    def data(cfg):
        return cfg.dataset, cfg.label_noise
    noisy, clean = ("mnist1d_hard", ex.LABEL_NOISE), ("mnist1d_hard", 0.0)
    assert data(ex.range_test_setup("cpu").base) == noisy and data(ex.capacity_setup("cpu").base) == noisy
    assert {data(c) for c in ex.weight_decay_range_setup("cpu").all()} == {noisy}
    assert {data(c) for c in ex.overfitting_setup("cpu").all()} == {noisy}
    assert {data(c) for c in ex.underfitting_setup("cpu").all()} == {clean}
    assert {data(c) for c in ex.capacity_models_setup("cpu").all()} == {clean}
    assert data(ex.range_test_setup("full").base) == ("cifar10", 0.0)
    assert {data(c) for c in ex.weight_decay_range_setup("full").all()} == {("cifar10", 0.0)}
    assert data(ex.range_test_setup("cpu", dataset="digits").base) == ("digits", 0.0)  # a reader's data as it is
    analog = ex.analog_setup("cpu")
    assert {data(c) for c in analog.all()} == {("mnist1d", 0.0), clean, noisy}
    assert {c.model for c in analog.all()} == {"resnet20"}


def test_the_paper_effect_of_fig_3b_is_its_logs_loss_ratio():
    (claim,) = ex.tests("smith-fig-3b")
    t, *still_falling = claim.parts
    assert math.isclose(t.paper, 100 * math.log(2.421 / 2.140)) and t.higher_is_better is False
    assert (t.treated, t.baseline) == (ex.DEEP, ex.SHALLOW)
    assert [p.treated for p in still_falling] == [ex.at(n, ex.THREE_QUARTERS) for n in (ex.SHALLOW, ex.DEEP)]
    # the less and the more powerful network: the analog's ResNets, the paper's ImageNet networks at full
    for profile, models in (("cpu", ("resnet20", "resnet56")), ("full", ("resnet50", "inception_resnet_v2"))):
        grid = ex.capacity_models_setup(profile)
        assert (grid.configs[ex.SHALLOW][0].model, grid.configs[ex.DEEP][0].model) == models


def test_fig_4a_tells_overfitting_from_instability():
    """After the lowest test loss, overfitting raises the test loss while the training loss keeps falling; an
    instability raises both: only the first gives a positive effect."""
    steps = np.arange(1000)  # long beside the smoothing of the training loss (about 50 steps), as a range test
    low_then_up = np.interp(steps, np.arange(0, 1000, 100), [2.0, 1.5, 1.0, 0.8, 0.7, 0.75, 0.85, 0.95, 1.0, 1.05])

    def run(train):
        val = np.where(steps % 100 == 0, low_then_up, np.nan)  # evaluated every 100 steps, trained on every one
        return pd.DataFrame({"step": steps, "lr": steps / 1000, "momentum": 0.9, "train_loss": train,
                             "val_loss": val, "val_acc": np.where(steps % 100 == 0, 0.5, np.nan),
                             "train_eval_loss": np.nan})

    over = ex.changes_after_lowest([run(np.linspace(2.0, 0.3, 1000)) for _ in range(3)])
    assert (over[ex.VAL] > 30).all() and (over[ex.TRAIN] < 0).all()
    both = ex.changes_after_lowest([run(low_then_up) for _ in range(3)])
    assert (both[ex.TRAIN] > 0).all() and np.all(both[ex.VAL] - both[ex.TRAIN] < over[ex.VAL] - over[ex.TRAIN])


def test_a_point_is_chosen_on_the_other_seeds():
    curves = np.array([[3.0, 1.0, 2.0], [3.0, 1.0, 2.0], [3.0, 1.0, 2.0], [0.5, 1.5, 5.0]])  # seed 3's own: 0
    assert ex.held_out(curves, lambda v: int(np.argmin(v))) == [1, 1, 1, 1]


def test_rise_points_find_the_bump_before_the_blow_up():
    x = np.linspace(0, 1, 40)
    v = 2.3 * np.exp(-5 * x) + 0.4 + 0.3 * np.exp(-((x - 0.4) / 0.07) ** 2)
    v[35:] = [1.2, 3.0, 10.0, 50.0, np.inf]  # blows up: the rise into it is not a bump
    before, peak, after = ex.rise_points(v)
    assert before < peak < after < 35 and abs(x[peak] - 0.4) < 0.05
    before, peak, after = ex.rise_points(np.linspace(2.0, 0.5, 20))  # never rises
    assert before == peak


def _range_history(seed: int, bump: float) -> History:
    """A fake range test: the validation loss falls, rises by ``bump`` (relative) and falls again, while the
    training loss keeps falling."""
    rng = np.random.default_rng(seed)
    steps = np.arange(9, 400, 10)
    x = np.linspace(0, 1, len(steps))
    val = (1.5 * np.exp(-4 * x) + 0.5) * (1 + bump * np.exp(-((x - 0.45) / 0.08) ** 2)) + rng.normal(0, 0.005, len(x))
    train = 1.5 * np.exp(-5 * x) + 0.2
    h = pd.DataFrame({"step": steps, "lr": 1e-4 * 3e4 ** x, "momentum": 0.9, "train_loss": train, "val_loss": val,
                      "val_acc": 0.8, "train_eval_loss": train, "train_eval_acc": 0.9})
    h.attrs.update(status="ok", seed=seed)
    return h


def test_fig_1_reads_a_real_bump_and_not_a_falling_curve():
    bumpy = [_range_history(s, 0.4) for s in range(4)]
    measures, shown = ex.range_measures(bumpy)
    rise = measures["fig-1 validation loss"]
    assert (rise[ex.PEAK] - rise[ex.BEFORE] > ex.LOG_LOSS_MARGIN).all() and (rise[ex.PEAK] - rise[ex.AFTER] > ex.LOG_LOSS_MARGIN).all()
    change = measures["fig-1 change over the rise"]
    assert (change[ex.VAL] - change[ex.TRAIN] > ex.LOG_LOSS_MARGIN).all()
    assert shown["lr"][0] < shown["lr"][1] < shown["lr"][2]
    flat = [_range_history(s, 0.0) for s in range(4)]
    (t,) = ex.tests("smith-fig-1a")
    assert t.decide(ex.range_measures(flat)[0], 2_000).status != verdicts.REPRODUCED


def _run(losses, status="ok", steps=None) -> History:
    steps = steps if steps is not None else np.arange(len(losses)) * 10 + 9
    h = pd.DataFrame({"step": steps, "val_loss": losses, "val_acc": 0.5})
    h.attrs.update(status=status)
    return h


def test_late_fall_late_rise_and_lowest_loss():
    falling, flat = _run(np.linspace(2.0, 1.0, 11)), _run(np.r_[np.linspace(2.0, 1.0, 6), [1.0] * 5])
    falls = ex.late_falls({"falling": [falling], "flat": [flat]}, steps=110)
    assert falls["falling"][0] > ex.LOG_LOSS_MARGIN and abs(falls["flat"][0]) < 1e-9
    turning = [_run(np.r_[np.linspace(2.0, 0.5, 8), [0.6, 0.7, 0.8]]) for _ in range(3)]
    rises = ex.late_rises({"turning": turning, "falling": [falling] * 3})
    assert np.allclose(rises["turning"], 100 * math.log(0.8 / 0.5)) and np.allclose(rises["falling"], 0.0)
    diverged = _run(np.r_[np.linspace(2.0, 1.0, 10), [np.nan]], status="diverged")  # after 3/4 of the run
    assert math.isclose(ex.lowest_losses({"d": [diverged]})["d"][0], 0.0, abs_tol=1e-9)
    at_3_4 = diverged["val_loss"].iloc[7]  # step 79 is the evaluation nearest 3/4 of 110 steps (82)
    assert math.isclose(ex.late_falls({"d": [diverged]}, steps=110)["d"][0], 100 * math.log(at_3_4 / ex.CHANCE_LOSS))


def test_remark_2_compares_the_loss_bottom_of_the_other_seeds_with_both_ends():
    rows = [{"width": w, "seed": s, "val_loss": loss, "val_acc": acc, "train_loss": 0.1, "train_acc": 1.0}
            for s in range(4) for w, loss, acc in ((2, 2.0, 0.3), (16, 0.8, 0.8), (1024, 1.5, 0.7))]
    values, chosen = ex.capacity_measures(pd.DataFrame(rows))
    assert chosen == [16] * 4
    assert np.allclose(values[ex.BOTTOM], 80) and np.allclose(values[ex.SMALLEST], 30)
    assert np.allclose(values[ex.LARGEST], 70)


def test_a_diverged_run_scores_the_uniform_prediction_of_its_data():
    """ln 10 on the analog's ten digits, ln 1,000 on ImageNet's classes (the full profile's Figs. 3b and 4b)."""
    assert ex.chance_loss(ex.capacity_models_setup("cpu")) == math.log(10)
    for grid in (ex.capacity_models_setup("full"), ex.overfitting_setup("full")):
        assert ex.chance_loss(grid) == math.log(1000)
    assert ex.log_points(float("nan"), math.log(1000)) == pytest.approx(100 * math.log(math.log(1000)))
