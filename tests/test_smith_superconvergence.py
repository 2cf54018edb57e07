"""§4.1 (super-convergence): the arms the tests compare, and Remark 3's difference of differences."""

import numpy as np
import pytest

from hp_lib import profiles, verdicts
from hp_lib.experiments import smith_superconvergence as ex


def test_the_cycle_is_compared_with_the_long_step_schedule_and_with_one_of_its_own_length():
    s = ex.setup("cpu")
    grid = s.grid()
    step, short, cycle = (grid.configs[a][0] for a in (ex.STEP, ex.SHORT_STEP, ex.cycle_arm(1e-4)))
    assert short.steps == cycle.steps < step.steps
    assert [m / short.steps for m in short.lr["milestones"]] == pytest.approx([m / step.steps for m in step.lr["milestones"]],
                                                                              abs=0.01)
    assert step.weight_decay == short.weight_decay == cycle.weight_decay == 1e-4  # the paper's, for all of 5a
    assert grid.configs[ex.STEP_WD_1E3][0].replace(weight_decay=1e-4) == step
    (fig_5a,) = [t for t in ex.TESTS if t.id == "smith-fig-5a"]
    assert [p.baseline for p in fig_5a.parts] == [ex.STEP, ex.SHORT_STEP]
    assert {len(cs) for cs in grid.configs.values()} == {len(profiles.get("cpu").paired_seeds)}


def test_remark_3_asks_the_cycle_to_gain_more_from_a_smaller_weight_decay():
    acc = {ex.cycle_arm(1e-4): np.array([80.0, 81, 79, 80]), ex.cycle_arm(1e-3): np.array([10.0, 12, 10, 11]),
           ex.STEP: np.array([78.0, 77, 78, 79]), ex.STEP_WD_1E3: np.array([79.0, 78, 78, 80])}
    gain = ex.gains(acc)
    assert gain[ex.CYCLE_GAIN] == pytest.approx([70, 69, 69, 69]) and gain[ex.STEP_GAIN] == pytest.approx([-1, -1, 0, -1])
    (r3,) = [t for t in ex.TESTS if t.id == "smith-remark-3"]
    v = r3.decide({ex.GAIN: gain}, n_eval=2_000)
    assert v.status == verdicts.REPRODUCED and v.effect == pytest.approx(69.25 + 0.75)
    flat = {ex.CYCLE_GAIN: gain[ex.STEP_GAIN] + np.array([0.2, -0.1, 0.1, 0.0]), ex.STEP_GAIN: gain[ex.STEP_GAIN]}
    assert r3.decide({ex.GAIN: flat}, n_eval=2_000).status != verdicts.REPRODUCED
