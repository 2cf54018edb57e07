"""Choosing hyper-parameters (lecture-f14 … f19, f28, notes-x1, x7): the tests declared before any run, the rules
that choose on data the tests never score, the measures on constructed histories, the configs of the compared
runs, and the experiments at smoke."""

import math

import numpy as np
import pandas as pd
import pytest

from hp_lib import profiles, verdicts
from hp_lib.experiments import lecture_choosing as lc

STABLE_IDS = {"lecture-f14", "lecture-f15", "lecture-f16", "lecture-f17", "lecture-f18", "lecture-f19", "lecture-f28",
              "notes-x1", "notes-x7"}


def test_every_stable_id_is_a_test_or_an_illustration_once():
    tested = {t.id for t in lc.TESTS if t.id not in lc.DIAGNOSIS_TESTS} | {"lecture-f17"}
    assert tested | set(lc.ILLUSTRATIONS) == STABLE_IDS and not tested & set(lc.ILLUSTRATIONS)
    assert len(lc.DIAGNOSIS_TESTS) == 6 and len({t.id for t in lc.TESTS}) == len(lc.TESTS)
    for t in lc.TESTS:  # a measure other than an accuracy states its margin
        assert (t.margin is None) == (t.measure in ("accuracy", "training accuracy")), t.id
        assert t.margin is None or t.why_margin


def _verdict(id, status, lo, hi, margin=1.0):
    return verdicts.Verdict(id=id, claim="c", kind=verdicts.TEST, form=verdicts.DIFFERENCE, status=status,
                            effect=(lo + hi) / 2, ci=(lo, hi), margin=margin, n_seeds=5, paper=None, reason=verdicts.CLEARS)


def test_all_of_holds_only_when_every_part_does_and_shows_the_part_that_binds():
    yes, maybe, no = verdicts.REPRODUCED, verdicts.INCONCLUSIVE, verdicts.NOT_REPRODUCED
    # in units of its margin, c's interval (20 … 30, margin 10) starts further beyond it than b's (1.5 …, margin 1)
    parts = [_verdict("a", yes, 3, 5), _verdict("b", yes, 1.5, 4), _verdict("c", yes, 20, 30, margin=10)]
    whole = verdicts.all_of(parts, "w", "all")
    assert (whole.id, whole.status, whole.ci) == ("w", yes, (1.5, 4)) and whole.metric.startswith("b:")
    whole = verdicts.all_of(parts + [_verdict("d", maybe, -0.5, 2)], "w", "all")
    assert (whole.status, whole.ci) == (maybe, (-0.5, 2))
    whole = verdicts.all_of(parts + [_verdict("d", maybe, -0.5, 2), _verdict("e", no, -4, -2)], "w", "all")
    assert (whole.status, whole.ci) == (no, (-4, -2))


def test_early_stopping_chooses_on_selection_seeds_and_scores_on_others():
    scored = {c.seed for c in lc.early_stopping_scored_setup("cpu")}
    chosen = {c.seed for c in lc.early_stopping_selection_setup("cpu")}
    assert scored == set(profiles.get("cpu").cheap_seeds) and chosen and not scored & chosen
    ev = pd.DataFrame({"step": [-1, 9, 19], "val_loss": [2.3, 0.5, 0.9], "val_acc": [0.1, 0.8, 0.78]})
    ev.attrs["status"] = "ok"
    assert lc._at(ev, 9, "val_loss", math.log(10)) == 0.5 and lc._at(ev, None, "val_loss", math.log(10)) == 0.9


def test_each_seed_draws_its_own_random_trials_and_the_same_grid():
    configs = lc.grid_vs_random_setup("cpu")
    seeds = profiles.get("cpu").cheap_seeds
    assert set(configs) == {(kind, s) for kind in ("grid", "random") for s in seeds}
    grids = {tuple((c.lr, c.weight_decay) for c in configs[("grid", s)]) for s in seeds}
    draws = {tuple((c.lr, c.weight_decay) for c in configs[("random", s)]) for s in seeds}
    assert len(grids) == 1 and len(draws) == len(seeds)
    assert all(len(cs) == 9 and all(c.seed == s for c in cs) for (_, s), cs in configs.items())
    assert len({c.lr for c in configs[("grid", 0)]}) == 3 and len({c.lr for c in configs[("random", 0)]}) == 9


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
    v = lc.judge_recipe(r, "smoke")
    assert v.form == verdicts.EQUIVALENCE and v.n_seeds == len(profiles.get("smoke").cheap_seeds)


# --- lecture-f17: the learning-curve cases -------------------------------------------------------------------

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


def test_flat_evaluations_count_until_the_loss_falls_below_nine_tenths():
    h = _history([-1, 9, 19, 29, 39], train_eval_loss=[2.3, 2.29, 2.2, 1.0, 0.1], val_loss=[2.3] * 5)
    assert lc._flat_evaluations(h) == 3
    assert lc._flat_evaluations(h.iloc[:3]) == 3  # never: every evaluation


def test_diagnosis_runs_differ_only_in_what_makes_each_case():
    configs = lc.diagnosis_setup("cpu", seeds=(0,))
    ref = configs["reference"][0]
    assert configs["bad_init"][0] == ref.replace(model_kwargs={"init_scale": 0.05})
    assert configs["few_samples"][0] == ref.replace(n_train=50)
    assert configs["decay"][0].replace(lr=0.2) == configs["constant"][0]
    early, late = (configs[k][0].lr["milestones"][0] for k in ("early_decay", "late_decay"))
    assert (early, late) == (ref.steps // 10, ref.steps // 2)


# --- lecture-f19 and notes-x1: the update/weight ratio -----------------------------------------------------

def test_the_ratio_rule_picks_the_rate_nearest_1e_3_and_its_neighbours_per_seed():
    opt = "plain SGD"
    ratio = {1e-4: 1e-6, 1e-3: 1e-5, 1e-2: 1e-4, 1e-1: 1.5e-3, 1.0: 1e-3}  # seed 0: 0.1 (1.0 has no upper neighbour)
    rows = [{"optimizer": opt, "lr": lr, "seed": s, "layer": layer, "ratio": r * (10 if s == 1 else 1)}
            for s in (0, 1) for lr, r in ratio.items() for layer in ("hidden 1", "hidden 2", "output")]
    losses = [{"optimizer": opt, "lr": lr, "seed": s, "scored_loss": 10 * lr + s} for s in (0, 1) for lr in ratio]
    arms, chosen = lc.ratio_arms({"per_seed": pd.DataFrame(rows), "seed_losses": pd.DataFrame(losses)}, opt)
    assert chosen == [0.1, 1e-2]  # seed 1's ratios are ten times as large: a decade lower
    assert arms["nearest"].tolist() == pytest.approx([1.0, 1.1])
    assert arms["a decade lower"].tolist() == pytest.approx([0.1, 1.01])
    assert arms["a decade higher"].tolist() == pytest.approx([10.0, 2.0])


@pytest.mark.slow
def test_update_ratio_of_plain_sgd_grows_with_the_learning_rate_at_smoke():
    r = lc.update_ratios("smoke")
    plain = r["ratios"].loc["plain SGD"]
    # early on, the update of plain SGD is lr × gradient: ten times the rate, about ten times the ratio
    assert ((plain.loc[1e-3] / plain.loc[1e-4]).between(8, 12)).all()
    assert (plain.loc[1e-1] > plain.loc[1e-2]).all()
    assert list(plain.columns) == ["hidden 1", "hidden 2", "output"]


# --- lecture-f28 and notes-x7: transfer learning -----------------------------------------------------------

def test_transfer_configs_freeze_and_scale_the_layers_they_name():
    from hp_lib import data, models, train

    configs = lc.transfer_setup("smoke", seeds=(0,))
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
    planned = lc.CHAPTER.plan("smoke")
    assert not any(c.init_from for c in planned)  # fine-tuning waits for its source's weights
    assert set(map(str, lc.transfer_sources("smoke"))) <= set(map(str, planned))
    assert set(map(str, lc.early_stopping_selection_setup("smoke"))) <= set(map(str, planned))
    assert len(planned) == len({str(c) for c in planned})
