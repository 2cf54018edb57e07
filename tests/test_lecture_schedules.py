"""Learning rates in practice (lecture-f8, f9, notes-x2, x3, x4): the verdicts on constructed cases, the
configs of the plateau and linear-scaling runs, and those experiments at smoke."""

import math

import pandas as pd
import pytest

from hp_lib import claims, schedules
from hp_lib.claims import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED
from hp_lib.experiments import lecture_schedules as ex


def _cartoon(**changes):
    rows = {"very high": dict(early=5.0, final=9.0, last_quarter_fall=0.0, diverged=1),
            "high": dict(early=0.8, final=0.6, last_quarter_fall=0.01, diverged=0),
            "low": dict(early=2.2, final=1.5, last_quarter_fall=0.2, diverged=0),
            "good": dict(early=1.0, final=0.3, last_quarter_fall=0.05, diverged=0)}
    for key, value in changes.items():
        run, column = key.split("__")
        rows[run.replace("_", " ")][column] = value
    return pd.DataFrame.from_dict(rows, orient="index")


def test_four_learning_rates_verdict():
    assert claims.four_learning_rates("c", _cartoon()).status == REPRODUCED
    assert claims.four_learning_rates("c", _cartoon(low__last_quarter_fall=0.0)).status == INCONCLUSIVE
    assert claims.four_learning_rates("c", _cartoon(high__final=0.2)).status == NOT_REPRODUCED  # good not lowest


def test_loss_drops_at_decay_verdict():
    drops = pd.DataFrame({"milestone": [800, 1200], "before": [0.5, 0.3], "after": [0.3, 0.25]})
    assert claims.loss_drops_at_decay("c", drops).status == REPRODUCED
    assert claims.loss_drops_at_decay("c", drops.assign(after=[0.3, 0.299])).status == NOT_REPRODUCED


def test_plateau_halving_verdict():
    assert claims.plateau_halving_helps("c", [0.45, 0.47], [0.55, 0.60], [4, 4]).status == REPRODUCED
    # lower on average but the seeds overlap, or by less than 2 %: inconclusive
    assert claims.plateau_halving_helps("c", [0.45, 0.58], [0.55, 0.60], [4, 4]).status == INCONCLUSIVE
    assert claims.plateau_halving_helps("c", [0.545, 0.546], [0.55, 0.56], [4, 4]).status == INCONCLUSIVE
    assert claims.plateau_halving_helps("c", [0.45, 0.47], [0.55, 0.60], [4, 0]).status == NOT_REPRODUCED  # a run never halved
    assert claims.plateau_halving_helps("c", [0.60, 0.62], [0.55, 0.60], [4, 4]).status == NOT_REPRODUCED  # higher


def test_linear_scaling_warmup_verdict():
    warm = {64: 0.86, 128: 0.85, 512: 0.855}
    assert claims.linear_scaling_warmup("c", 0.857, warm, {64: 0.86, 128: 0.85, 512: 0.37}).status == REPRODUCED
    # warmup matches, but the largest batch matches without it too: warmup not shown to matter
    assert claims.linear_scaling_warmup("c", 0.857, warm, {64: 0.86, 128: 0.85, 512: 0.85}).status == INCONCLUSIVE
    # warmup helps at the largest batch but does not reach the small batch
    short = {64: 0.86, 128: 0.85, 512: 0.75}
    assert claims.linear_scaling_warmup("c", 0.857, short, {64: 0.86, 128: 0.85, 512: 0.37}).status == INCONCLUSIVE
    assert claims.linear_scaling_warmup("c", 0.857, short, {64: 0.86, 128: 0.85, 512: 0.75}).status == NOT_REPRODUCED


def test_halvings_counts_the_factors_of_two():
    h = pd.DataFrame({"step": range(6), "lr": [1.0, 1.0, 0.5, float("nan"), 0.25, 1 / 1024]})
    assert ex.halvings(h) == 10


def test_plateau_runs_differ_only_in_the_schedule():
    grid = ex.plateau_setup("cpu")
    constant, plateau, step = (grid.configs[v][0] for v in ("constant", "plateau", "step"))
    assert plateau.replace(lr_plateau=None) == constant and plateau.lr_plateau == {"factor": 0.5, "patience": 2}
    assert step.replace(lr=1.0) == constant and constant.lr == 1.0 and constant.momentum == 0.0
    # the scale the training loop builds from it: its floor is 10 halvings down
    assert schedules.ReduceOnPlateau(1.0, **plateau.lr_plateau).min_value == 1 / 1024
    assert len(grid.configs["plateau"]) >= 2


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


def test_plan_holds_every_run_of_the_chapter():
    plan = ex.plan("smoke")
    keys = {_key(c) for c in plan}
    assert {_key(c) for c in ex.linear_scaling_setup("smoke").all() + ex.plateau_setup("smoke").all()} <= keys
    assert _key(ex.step_decay_config("smoke")) in keys
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
    assert len(scaling) == 4 and scaling["final_val_acc"].between(0, 1).all()
