"""§4.3, cyclical momentum (hp_lib.experiments.smith_momentum): the readings its tests take from range tests,
the claim in several parts (Table 1, Remark 5), and the arms: the paper's rows, fixed before any run, on the
paired seeds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hp_lib import profiles, verdicts
from hp_lib.experiments import smith_batch_size
from hp_lib.experiments import smith_momentum as ex
from hp_lib.experiments.common import AllOf
from hp_lib.experiments.common import Test as Item


def range_test(lrs, losses, momenta=None) -> pd.DataFrame:
    """A History as a range test leaves it: one evaluation per row."""
    n = len(lrs)
    momenta = momenta if momenta is not None else [0.9] * n
    return pd.DataFrame({"step": np.arange(n) * 10, "lr": lrs, "momentum": momenta, "train_loss": losses,
                         "val_loss": losses, "val_acc": [0.5] * n, "train_eval_loss": np.nan})


# --- readings --------------------------------------------------------------------------------------------------

def test_lr_of_lowest_loss_reads_the_smoothed_minimum_before_the_blow_up():
    lrs = np.linspace(0, 0.2, 11)
    losses = [2.0, 1.5, 1.2, 1.0, 0.9, 0.85, 0.9, 1.1, 5.0, 9.0, 20.0]  # blows up after LR 0.14
    assert 10 ** ex.lr_of_lowest_loss(range_test(lrs, losses)) == pytest.approx(0.1)
    # a lone dip of one evaluation is smoothed away; the blow-up is never the minimum
    noisy = [2.0, 1.5, 1.2, 0.7, 1.2, 1.0, 0.9, 0.85, 0.8, 40.0, 50.0]
    assert 10 ** ex.lr_of_lowest_loss(range_test(lrs, noisy)) == pytest.approx(0.16)


def test_late_share_is_the_part_of_the_fall_left_for_the_last_quarter():
    steps = np.arange(0, 81, 10)
    plateau = range_test(steps, [2.3, 1.0, 0.8, 0.7, 0.62, 0.6, 0.6, 0.6, 0.6]).assign(step=steps)
    falling = range_test(steps, [2.3, 2.0, 1.8, 1.6, 1.4, 1.2, 1.0, 0.8, 0.6]).assign(step=steps)
    assert ex.late_share(plateau) == pytest.approx(0.0)  # 0.6 at step 60 (three quarters of the run) and at the end
    assert ex.late_share(falling) == pytest.approx(100 * 0.4 / 1.7)
    diverged = falling.copy()
    diverged.attrs["status"] = "diverged"
    assert ex.late_share(diverged) == 100.0


def test_lr_of_lowest_loss_is_floored_at_the_first_lr_evaluated():
    lrs = np.linspace(0, 0.2, 6)
    assert 10 ** ex.lr_of_lowest_loss(range_test(lrs, [1.0, 5.0, 9.0, 20.0, 50.0, 90.0])) == pytest.approx(0.04)


def test_middle_and_end_of_a_falling_and_of_a_turning_momentum_range_test():
    momenta = np.linspace(0.7, 1.0, 9)
    falling = ex.middle_and_end(range_test([0.02] * 9, [2.0, 1.6, 1.4, 1.2, 1.1, 1.0, 0.9, 0.85, 0.8], momenta))
    mid, end, m_mid, m_end = falling
    assert mid > end and m_mid == pytest.approx(0.85) and m_end == pytest.approx(1.0)
    assert mid == pytest.approx(100 * math.log(1.1)) and end == pytest.approx(100 * math.log(0.825))
    # a minimum, a rise, then the blow-up: the end of the stable part lies above its middle
    turning = ex.middle_and_end(range_test([0.02] * 9, [2.0, 1.2, 1.0, 1.0, 1.1, 1.3, 1.6, 9.0, 30.0], momenta))
    assert turning[1] > turning[0]


def test_lowest_loss_is_a_log_loss_in_percent():
    h = range_test(np.linspace(0, 1, 5), [1.0, 0.5, 0.5, 0.5, 3.0])
    assert ex.lowest_loss(h) == pytest.approx(100 * math.log(0.5))


# --- a claim in several parts ----------------------------------------------------------------------------------

def _all_of(equivalence_second=True):
    return AllOf("x", "both", (Item("x", "a beats b", "a", "b", "a − b", margin=1.0, why_margin="m", measure="v"),
                                  Item("x", "c as d", "c", "d", "c − d", margin=1.0, why_margin="m", measure="v",
                                       form=verdicts.EQUIVALENCE if equivalence_second else verdicts.DIFFERENCE)))


def _values(a_minus_b, c_minus_d):
    noise = np.array([0.1, -0.1, 0.05, -0.05])
    return {"v": {"a": 50 + a_minus_b + noise, "b": np.full(4, 50.0), "c": 50 + c_minus_d + noise[::-1],
                  "d": np.full(4, 50.0)}}


def test_all_of_is_reproduced_only_when_every_part_is():
    t = _all_of()
    assert t.arms == ("a", "b", "c", "d")
    v = t.decide(_values(5.0, 0.0), n_eval=1000)
    assert (v.id, v.claim, v.status) == ("x", "both", verdicts.REPRODUCED)
    v = t.decide(_values(5.0, 3.0), n_eval=1000)  # the second part is against the claim: it binds
    assert v.status == verdicts.NOT_REPRODUCED and v.form == verdicts.EQUIVALENCE and v.metric == "c − d"
    v = t.decide(_values(-5.0, 0.0), n_eval=1000)
    assert v.status == verdicts.NOT_REPRODUCED and v.metric == "a − b"
    v = t.decide(_values(1.0, 0.0), n_eval=1000)  # the first part straddles its margin
    assert v.status == verdicts.INCONCLUSIVE and v.metric == "a − b"


def test_all_of_shows_the_part_that_clears_its_margin_by_the_least():
    t = AllOf("x", "both", (Item("x", "a beats b", "a", "b", "a − b", margin=1.0, why_margin="m", measure="v"),
                               Item("x", "c beats d", "c", "d", "c − d", margin=1.0, why_margin="m", measure="v")))
    v = t.decide(_values(8.0, 3.0), n_eval=1000)
    assert v.status == verdicts.REPRODUCED and v.metric == "c − d"


def test_all_of_runs_the_placebo_and_positive_controls():
    c = verdicts.controls(_all_of().criterion(1.0, "m"), n_seeds=4, spread=0.3, draws=100)
    assert c["placebo"] <= 0.05 and c["power"] >= 0.8


# --- the arms --------------------------------------------------------------------------------------------------

def test_every_tested_arm_runs_the_paired_seeds_and_only_those_arms_do():
    p = profiles.get("cpu")
    grids = {"smith-fig-7a": ex.range_momentum_setup("cpu"), "smith-fig-7c": ex.range_cyclical_setup("cpu"),
             "smith-fig-7d": ex.step_momentum_setup("cpu"), "smith-fig-8a": ex.one_cycle_momentum_setup("cpu"),
             "smith-table-1": ex.table_1_setup("cpu").grid}
    grids["smith-remark-5"] = grids["smith-table-1"]
    for test_id, grid in grids.items():
        tested = ex.arms_of(test_id) - set(ex.R5_ARMS.values())  # Remark 5's arms average runs of the grid
        assert tested and tested <= set(grid.configs), test_id
    for grid in grids.values():
        tested = ex.arms_of(*ex.CHAPTER.items)
        for label, cfgs in grid.configs.items():
            seeds = tuple(c.seed for c in cfgs)
            assert seeds == (p.paired_seeds if label in tested else p.seeds), label
    assert [c.seed for c in ex.momentum_range_setup("cpu").all()] == list(p.paired_seeds)
    # a reader's seeds set every arm's
    assert {c.seed for c in ex.table_1_setup("cpu", seeds=[7, 8, 9]).grid.all()} == {7, 8, 9}


def test_table_1_tests_the_papers_rows():
    deep, shallow = next(t for t in ex.TESTS if t.id == "smith-table-1").parts
    assert deep.treated == "resnet-56 | 0.08-0.80/41 | 0.95-0.85"
    assert len(deep.baseline) == 9 and all(b.startswith("resnet-56 | ") for b in deep.baseline)
    assert deep.paper == pytest.approx(92.0 - 92.1)  # the paper's own table: not above cyclical LR + momentum 0.95
    assert (shallow.treated, shallow.baseline) == ("3-layer | 0.005 | 0.95", "3-layer | 0.0005-0.005/11 | 0.95-0.85")
    assert shallow.form == verdicts.EQUIVALENCE and shallow.paper == pytest.approx(81.0 - 81.3)
    r5 = next(t for t in ex.TESTS if t.id == "smith-remark-5")
    assert r5.paper == pytest.approx(0.9)  # (1.0 + 0.8) / 2: 88.8 − 87.8 and 81.0 − 80.2
    assert ex.R5_ROWS == {"0.95": (("3-layer", "0.005", "0.95"), ("resnet-56", "0.1", "0.95")),
                          "0.85": (("3-layer", "0.005", "0.85"), ("resnet-56", "0.1", "0.85"))}
    assert {"3-layer | 0.005 | 0.85", "resnet-56 | 0.1 | 0.85"} <= ex.arms_of("smith-remark-5")
    assert ex.CHAPTER.items == ("smith-fig-7a", "smith-fig-7b", "smith-fig-7c", "smith-fig-7d", "smith-fig-8a", "smith-fig-8b",
                      "smith-table-1", "smith-remark-5")


def test_fig_8b_is_tested_against_fig_6a_s_own_runs():
    p = profiles.get("cpu")
    s = ex.batch_size_cm_setup("cpu")
    labels = list(s.cyclical.configs)
    assert s.tested == (labels[0], labels[-1]) and len(labels) == 4
    assert list(s.constant.configs) == list(s.tested)
    fig_6a = {label: cfgs[0] for label, cfgs in smith_batch_size.setup("cpu").grid().configs.items()}
    for label in s.tested:
        assert [c.seed for c in s.constant.configs[label]] == list(p.paired_seeds)
        assert [c.seed for c in s.cyclical.configs[label]] == list(p.paired_seeds)
        assert s.constant.configs[label][0] == fig_6a[label].replace(seed=p.paired_seeds[0])  # the same runs
        assert s.cyclical.configs[label][0].momentum["min_momentum"] == 0.85
        assert s.constant.configs[label][0].momentum == 0.95
    assert [c.seed for c in s.cyclical.configs[labels[1]]] == list(p.seeds)
