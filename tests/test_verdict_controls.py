"""Placebo and positive controls of every criterion the chapters test (DESIGN.md, "The verdict contract").

Each test is run on 200 synthetic draws of its arms at the seed spread, margin and number of seeds its ``cpu``
runs measured: with no effect it must be decided (either way) in at most 5 % of draws, within the simulation's
error (two standard errors of a share from 200 draws: a claim of no difference sits exactly at its test's 5 %
there); with an effect of twice its margin it must be decided the right way in at least 80 %.
``python -m hp_lib controls`` prints the same figures."""

import pytest

from hp_lib import experiments
from hp_lib.experiments.common import controls

TESTS = experiments.tests()


def test_every_test_has_its_measured_spread():
    assert TESTS, "no chapter declares TESTS"
    assert [t.id for t in TESTS if t.calibration() is None] == []
    assert len({t.id for t in TESTS}) == len(TESTS)


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_placebo_and_positive_controls(test):
    c = controls(test)
    assert c["placebo"] <= c["placebo_limit"], f"{test.id}: decided on {c['placebo']:.1%} of draws with no effect"
    assert c["power"] >= 0.80, f"{test.id}: decided the right way on only {c['power']:.0%} at twice the margin"
