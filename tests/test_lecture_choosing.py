"""Choosing hyper-parameters: the grid/random search layouts, the recipe's checks, and their verdicts."""

import math

import numpy as np
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

