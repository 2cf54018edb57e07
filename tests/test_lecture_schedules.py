"""Learning rates in practice (lecture-f8 … f13, notes-x2 … x4): the tests declared before any run, the rules
that fix their arms, the configs of the compared runs, the measures on constructed histories, and the
experiments at smoke."""

import math

import numpy as np
import pandas as pd
import pytest

from hp_lib import profiles, schedules, verdicts
from hp_lib.experiments import lecture_schedules as ex

STABLE_IDS = {"lecture-f8", "lecture-f9", "lecture-f10", "lecture-f11", "lecture-f12", "lecture-f13", "notes-x2",
              "notes-x3", "notes-x4"}


def _run(losses, status="ok", seed=0):
    """A History with one minibatch training loss per step."""
    h = pd.DataFrame({"step": np.arange(len(losses)), "train_loss": np.asarray(losses, dtype=float)})
    h.attrs.update(status=status, seed=seed)
    return h


def test_every_stable_id_is_a_test_or_an_illustration_once():
    tested, shown = {t.id for t in ex.TESTS}, set(ex.ILLUSTRATIONS)
    assert tested | shown == STABLE_IDS and not tested & shown
    for t in ex.TESTS:  # a loss states its margin; an accuracy takes the binomial rule
        assert (t.margin is None) == (t.measure == "accuracy"), t.id
        assert t.margin is None or t.why_margin


def test_end_losses_read_the_last_twentieth_and_score_a_diverged_run():
    h = _run([5.0] * 95 + [1.0] * 5)
    assert ex.end_losses([h])[0] == pytest.approx(1.0)
    assert ex.end_losses([_run([1.0] * 10, status="diverged")])[0] == pytest.approx(math.log(10))
    assert ex.end_losses([_run([1.0] * 10, status="diverged")], math.inf)[0] == math.inf


def test_the_good_rate_is_the_ladders_lowest_end_loss_and_never_a_diverged_one():
    ladder = {0.1: [_run([2.0] * 20), _run([2.2] * 20)], 1.0: [_run([0.5] * 20), _run([0.7] * 20)],
              3.0: [_run([0.1] * 20), _run([0.1] * 5, status="diverged")]}
    assert ex.pick_good(ladder) == 1.0


def test_the_four_roles_are_fixed_multiples_of_the_good_rate_on_other_seeds_than_the_selection():
    configs = ex.four_learning_rates_setup("cpu", good=1.0)
    assert {role: cs[0].lr for role, cs in configs.items()} == {"very high": 10.0, "high": 3.0, "low": 0.01, "good": 1.0}
    scored = {c.seed for cs in configs.values() for c in cs}
    assert scored == set(profiles.get("cpu").cheap_seeds)
    assert not scored & set(ex.selection_seeds("cpu"))
    assert {c.seed for cs in ex.ladder_setup("cpu").values() for c in cs} == set(ex.selection_seeds("cpu"))
    ref = configs["good"][0]  # the roles differ in the rate only
    assert all(c.replace(lr=ref.lr, seed=ref.seed) == ref for cs in configs.values() for c in cs)


def test_the_step_decay_control_is_the_same_run_without_the_decay_until_just_after_it():
    cfg, control = ex.step_decay_config("cpu"), ex.control_config("cpu")
    m = cfg.lr["milestones"][0]
    assert control.steps == m + ex.decay_window(cfg) and control.lr == cfg.lr["value"]
    decayed, held = schedules.from_spec(cfg.lr), schedules.from_spec(control.lr)
    assert all(decayed(t) == held(t) for t in range(m)) and decayed(m) == pytest.approx(held(m) / 10)
    assert control.replace(lr=cfg.lr, steps=cfg.steps) == cfg
    assert len(ex.step_decay_seeds("cpu")) == len(profiles.get("cpu").paired_seeds)


def test_the_step_decay_test_reads_the_window_after_the_first_decay():
    cfg = ex.step_decay_config("smoke")
    m, w = cfg.lr["milestones"][0], ex.decay_window(cfg)
    decayed = [_run([1.0] * m + [0.5] * (cfg.steps - m), seed=s) for s in (0, 1, 2)]
    held = [_run([1.0] * m + [0.9 + 0.01 * s] * w, seed=s) for s in (0, 1, 2)]
    v = ex.judge_step_decay(ex.StepDecay(cfg, ex.control_config("smoke"), decayed, held), "smoke")
    assert v.status == verdicts.REPRODUCED and v.effect == pytest.approx(0.41)


def test_halvings_counts_the_factors_of_two():
    h = pd.DataFrame({"step": range(6), "lr": [1.0, 1.0, 0.5, float("nan"), 0.25, 1 / 1024]})
    assert ex.halvings(h) == 10


def test_plateau_runs_differ_only_in_the_schedule():
    grid = ex.plateau_setup("cpu")
    constant, plateau, step = (grid.configs[v][0] for v in ("constant", "plateau", "step"))
    assert plateau.replace(lr_plateau=None) == constant and plateau.lr_plateau == {"factor": 0.5, "patience": 2}
    assert step.replace(lr=1.0) == constant and constant.lr == 1.0 and constant.momentum == 0.0
    # the scale the training loop builds from it: its floor is 10 halvings down
    assert schedules.ReduceOnPlateau(1.0, **plateau.lr_plateau).min_value == 2.0 ** -ex.PLATEAU_FLOOR_HALVINGS
    assert [c.seed for c in grid.configs["plateau"]] == list(profiles.get("cpu").cheap_seeds)


def test_linear_scaling_lr_grows_with_the_batch_over_the_same_epochs():
    setup = ex.linear_scaling_setup("cpu")
    assert setup.batches == (32, 64, 128, 256, 512) and (32, True) not in setup.configs
    for (batch, warmup), cfgs in setup.configs.items():
        cfg = cfgs[0]
        k = batch // 32
        assert len(cfgs) >= 2 and cfg.batch_size == batch
        assert cfg.steps == setup.epochs * (cfg.n_train // batch)  # the same number of epochs
        lr = schedules.from_spec(cfg.lr)
        per_epoch = cfg.n_train // batch
        assert math.isclose(lr(setup.warmup_epochs * per_epoch), ex.BASE_LR * k)  # the scaled rate after warmup
        # with warmup every batch starts at the smallest batch's rate; without, at its own
        assert math.isclose(lr(0), ex.BASE_LR if warmup else ex.BASE_LR * k)
    # the tested comparison, at the largest batch, runs the paired seeds with and without warmup
    cheap = list(profiles.get("cpu").cheap_seeds)
    assert [c.seed for c in setup.configs[(512, True)]] == [c.seed for c in setup.configs[(512, False)]] == cheap


def test_plan_holds_every_run_known_in_advance():
    plan = ex.CHAPTER.plan("smoke")
    keys = {_key(c) for c in plan}
    assert {_key(c) for c in ex.linear_scaling_setup("smoke").all() + ex.plateau_setup("smoke").all()} <= keys
    assert _key(ex.step_decay_config("smoke")) in keys and _key(ex.control_config("smoke")) in keys
    assert {_key(c) for cs in ex.ladder_setup("smoke").values() for c in cs} <= keys
    assert len(keys) == len(plan)  # no run twice


def _key(cfg):
    return repr(sorted(cfg.to_dict().items()))


@pytest.mark.slow
def test_plateau_and_linear_scaling_at_smoke():
    numbers = ex.plateau_numbers(ex.plateau_runs("smoke"))
    assert set(numbers["variant"]) == {"constant", "plateau", "step"}
    assert (numbers[numbers["variant"] == "constant"]["final_lr"] == 1.0).all()
    setup = ex.linear_scaling_setup("smoke")
    runs = ex.linear_scaling_runs(setup)
    assert runs[(32, True)] is runs[(32, False)]  # the smallest batch has no warmup to do
    scaling = ex.linear_scaling_numbers(runs)
    assert scaling["final_val_acc"].between(0, 1).all()
    assert ex.judge_linear_scaling(setup, runs, "smoke").id == "notes-x4"
