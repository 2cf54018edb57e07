"""Choosing hyper-parameters: the grid/random search layouts, the recipe's checks, and their verdicts."""

import math

import numpy as np
import pandas as pd
import pytest

from hp_lib import claims
from hp_lib.claims import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED
from hp_lib.experiments import lecture_choosing as lc


def test_a_grid_tries_three_values_of_each_parameter_random_search_nine():
    toy = lc.grid_vs_random_toy(points=9, repeats=200)
    assert len(np.unique(toy["example_grid"][0])) == 3 and len(np.unique(toy["example_random"][0])) == 9
    assert toy["grid"].shape == toy["random"].shape == (200,)
    assert toy["grid"].max() <= 1.1 + 1e-9  # g ≤ 1 and h ≤ 0.1
    # with one important parameter, random search finds a better point on average
    assert toy["random"].mean() > toy["grid"].mean()


@pytest.mark.slow
def test_recipe_steps_1_to_3_at_smoke():
    r = lc.recipe("smoke")
    assert abs(r["initial_loss"] - math.log(10)) < 0.25  # small random weights: about ln C
    assert r["good_lrs"] and set(r["good_lrs"]) <= {1.0, 1e-1, 1e-2, 1e-3, 1e-4}
    assert 1e-4 not in r["good_lrs"]  # 100 iterations at 1e-4 barely move the loss


def test_early_stopping_verdict():
    assert claims.early_stopping("c", 0.20, 0.30, 0.05, 0.001).status == REPRODUCED
    assert claims.early_stopping("c", 0.20, 0.20, 0.05, 0.001).status == NOT_REPRODUCED  # no rise


def test_random_beats_grid_verdict():
    grid, rand = np.array([0.6, 0.7]), np.array([0.8, 0.9])
    assert claims.random_beats_grid("c", grid, rand, 0.90, 0.92).status == REPRODUCED
    assert claims.random_beats_grid("c", grid, rand, 0.95, 0.92).status == INCONCLUSIVE
    assert claims.random_beats_grid("c", rand, grid, 0.90, 0.92).status == NOT_REPRODUCED


def test_recipe_sanity_verdict():
    assert claims.recipe_sanity("c", 2.31, math.log(10), 1.0, [0.1]).status == REPRODUCED
    assert claims.recipe_sanity("c", 4.0, math.log(10), 1.0, [0.1]).status == NOT_REPRODUCED  # bad initial loss
    assert claims.recipe_sanity("c", 2.31, math.log(10), 0.9, [0.1]).status == NOT_REPRODUCED
    assert claims.recipe_sanity("c", 2.31, math.log(10), 1.0, []).status == NOT_REPRODUCED



# --- lecture-f17: the learning-curve cases -------------------------------------------------------------------

def _cases(**changes) -> dict:
    """Numbers that show every case as the lecture describes it; ``changes`` overrides one case's numbers."""
    cases = {"bad_init": {"flat_bad": 200, "flat_good": 25, "final_over_initial": 0.01},
             "plateau": {"fall_before_decay": 0.1, "decay_gain": 0.6},
             "decay_too_early": {"still_falling": 0.3, "early_penalty": 1.0},
             "train_longer": {"slope": 0.05, "gain": 0.06},
             "overfitting": {"gap": 0.2, "gap_more_data": 0.02},
             "underfitting": {"gap": 0.01, "train_acc": 0.5, "train_acc_bigger": 1.0}}
    for case, numbers in changes.items():
        cases[case] = {**cases[case], **numbers}
    return cases


def test_learning_curve_cases_verdict():
    assert claims.learning_curve_cases("c", _cases()).status == REPRODUCED
    one_fails = claims.learning_curve_cases("c", _cases(plateau={"fall_before_decay": 0.5}))  # no plateau
    assert one_fails.status == INCONCLUSIVE and one_fails.evidence["plateau"] is False
    four_fail = _cases(bad_init={"flat_bad": 50}, train_longer={"slope": 0.0}, overfitting={"gap": 0.03},
                       underfitting={"gap": -0.2})
    assert claims.learning_curve_cases("c", four_fail).status == NOT_REPRODUCED
    # each case's own threshold: a drop that never comes, a decay that does not help, a gap that more data widens
    assert not claims.learning_curve_cases("c", _cases(bad_init={"final_over_initial": 0.9})).evidence["bad_init"]
    assert not claims.learning_curve_cases("c", _cases(decay_too_early={"early_penalty": 0.0})).evidence["decay_too_early"]
    assert not claims.learning_curve_cases("c", _cases(overfitting={"gap_more_data": 0.3})).evidence["overfitting"]
    assert not claims.learning_curve_cases("c", _cases(underfitting={"train_acc": 0.95})).evidence["underfitting"]


def _history(steps, **columns) -> pd.DataFrame:
    return pd.DataFrame({"step": steps, **columns})


def test_curve_measurements_on_constructed_histories():
    steps = np.arange(10)
    h = _history(steps, train_loss=np.arange(10.0), lr=np.where(steps < 6, 0.1, 0.01))
    assert lc._loss_before(h, 6, 3) == pytest.approx((3 + 4 + 5) / 3)  # iterations 3, 4, 5
    assert lc._decay_step(h) == 6
    ev = _history([-1, 9, 19, 29], train_eval_loss=[2.3, 2.2, 1.0, 0.1], val_loss=[2.3, 2.2, 1.1, 0.3])
    assert lc._first_below(ev, "train_eval_loss", 0.9) == 20  # 1.0 < 0.9 × 2.3 first after 20 iterations
    assert lc._first_below(ev.iloc[:2], "train_eval_loss", 0.9) == 10  # never: the whole run
    acc = _history(np.arange(8), train_eval_acc=[0.5] * 6 + [1.0, 1.0], val_acc=[0.5] * 6 + [0.8, 0.7])
    gap, train_acc = lc._late_gap(acc)  # the last quarter: the last two evaluations
    assert gap == pytest.approx(0.25) and train_acc == pytest.approx(1.0)


def test_diagnosis_runs_differ_only_in_what_makes_each_case():
    configs = lc.diagnosis_configs("cpu", seeds=(0,))
    ref = configs["reference"][0]
    assert configs["bad_init"][0] == ref.replace(model_kwargs={"init_scale": 0.05})
    assert configs["few_samples"][0] == ref.replace(n_train=50)
    assert configs["decay"][0].replace(lr=0.2) == configs["constant"][0]
    early, late = (configs[k][0].lr["milestones"][0] for k in ("early_decay", "late_decay"))
    assert (early, late) == (ref.steps // 10, ref.steps // 2)


# --- lecture-f19 and notes-x1: the update/weight ratio -----------------------------------------------------

def test_update_ratio_sides_verdict():
    loss = {1e-3: 1.0, 1e-2: 0.2, 1e-1: 0.1, 1.0: 2.0}  # best LR: 0.1
    assert claims.update_ratio_sides("c", {1e-3: 1e-5, 1e-2: 1e-4, 1e-1: 1e-3, 1.0: 1e-1}, loss).status == REPRODUCED
    one_wrong = claims.update_ratio_sides("c", {1e-3: 1e-5, 1e-2: 5e-3, 1e-1: 1e-2, 1.0: 1e-1}, loss)
    assert one_wrong.status == INCONCLUSIVE and one_wrong.evidence["agrees"] == {1e-3: True, 1e-2: False, 1.0: True}
    assert claims.update_ratio_sides("c", {1e-3: 1e-2, 1e-2: 1e-2, 1e-1: 1e-2, 1.0: 1e-4}, loss).status == NOT_REPRODUCED


def test_update_ratio_near_target_verdict():
    assert claims.update_ratio_near_target("c", {"a": 1e-3, "b": 5e-3}).status == REPRODUCED
    assert claims.update_ratio_near_target("c", {"a": 1e-3, "b": 5e-2}).status == INCONCLUSIVE
    assert claims.update_ratio_near_target("c", {"a": 1e-5, "b": 5e-2}).status == NOT_REPRODUCED
    assert claims.update_ratio_near_target("c", {"a": 5e-3}, band=(1e-4, 1e-3)).status == NOT_REPRODUCED


@pytest.mark.slow
def test_update_ratio_of_plain_sgd_grows_with_the_learning_rate_at_smoke():
    r = lc.update_ratios("smoke")
    plain = r["ratios"].loc["plain SGD"]
    # early on, the update of plain SGD is lr × gradient: ten times the rate, about ten times the ratio
    assert ((plain.loc[1e-3] / plain.loc[1e-4]).between(8, 12)).all()
    assert (plain.loc[1e-1] > plain.loc[1e-2]).all()
    assert list(plain.columns) == ["hidden 1", "hidden 2", "output"]


# --- lecture-f28 and notes-x7: transfer learning -----------------------------------------------------------

def _methods(**accs) -> dict:
    base = {"scratch": [0.80, 0.82], "probe_top": [0.60, 0.62], "probe_early": [0.75, 0.77],
            "finetune": [0.85, 0.86], "finetune_tenth": [0.86, 0.87], "differential": [0.84, 0.85]}
    return {**base, **accs}


def test_transfer_advice_verdict():
    large = _methods(probe_top=[0.90, 0.91], finetune=[0.96, 0.97], finetune_tenth=[0.96, 0.97])
    # different data (the top layer's classifier loses to scratch): the earlier layer's does better
    v = claims.transfer_advice("c", _methods(), large)
    assert v.status == REPRODUCED and v.evidence["similar"] is False
    # similar data: the top layer's classifier must be the best with little data
    similar = _methods(probe_top=[0.90, 0.91])
    assert claims.transfer_advice("c", similar, large).evidence["similar"] is True
    assert claims.transfer_advice("c", similar, large).status == REPRODUCED
    assert claims.transfer_advice("c", similar, _methods(probe_top=[0.99, 0.99])).status == INCONCLUSIVE  # more data: no gain
    nothing = claims.transfer_advice("c", _methods(probe_early=[0.5, 0.5], finetune_tenth=[0.5, 0.5]),
                                     _methods(probe_top=[0.99, 0.99]))
    assert nothing.status == NOT_REPRODUCED


def test_differential_lrs_verdict():
    better = {25: _methods(differential=[0.90, 0.91]), 500: _methods(differential=[0.95, 0.95])}
    assert claims.differential_lrs("c", better).status == REPRODUCED
    within = {25: _methods(differential=[0.86, 0.88]), 500: _methods(differential=[0.95, 0.95])}
    assert claims.differential_lrs("c", within).status == INCONCLUSIVE
    worse = {25: _methods(differential=[0.60, 0.61]), 500: _methods(differential=[0.95, 0.95])}
    v = claims.differential_lrs("c", worse)
    assert v.status == NOT_REPRODUCED and v.evidence[25]["best_single"] == "finetune_tenth"


def test_transfer_configs_freeze_and_scale_the_layers_they_name():
    from hp_lib import data, models, train

    configs = lc.transfer_configs("smoke", seeds=(0,))
    source = lc.transfer_sources("smoke", seeds=(0,))[0]
    assert source.steps in source.snapshot_at and source.classes == (0, 1, 2, 3, 4)
    for (n_train, method), (cfg,) in configs.items():
        assert cfg.classes == (5, 6, 7, 8, 9) and cfg.n_train == n_train
        assert (cfg.init_from is None) == (method == "scratch")
        if cfg.init_from:
            assert cfg.init_from["run"] == source.to_dict()
        d = data.load(cfg.dataset, cfg.n_train, cfg.n_val, cfg.n_test, classes=cfg.classes)
        model = models.build(cfg.model, d.input_shape, d.num_classes, **cfg.model_kwargs)
        groups = train.param_groups(model, 0.0, cfg.lr_mults)  # fails on a prefix that names no parameter
        trained = {id(p) for g in groups for p in g["params"]}
        frozen = [name for name, p in model.named_parameters() if id(p) not in trained]
        lrs = sorted({g["lr_mult"] * cfg.lr for g in groups})
        expected = {"probe_top": (["net.1.weight", "net.1.bias", "net.3.weight", "net.3.bias"], [0.05]),
                    "probe_early": (["net.1.weight", "net.1.bias"], [0.05]),
                    "finetune_tenth": ([], [0.005]),
                    "differential": ([], pytest.approx([0.0005, 0.005, 0.05]))}.get(method, ([], [0.05]))
        assert (frozen, lrs) == expected, method


def test_plan_holds_every_run_known_in_advance():
    planned = lc.plan("smoke")
    assert not any(c.init_from for c in planned)  # fine-tuning waits for its source's weights
    assert set(map(str, lc.transfer_sources("smoke"))) <= set(map(str, planned))
    assert len(planned) == len({str(c) for c in planned})
