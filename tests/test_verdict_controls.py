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


def test_a_measured_margin_starts_from_the_stated_one_not_from_an_earlier_floor(tmp_path, monkeypatch, request):
    """The calibration raises a test's stated margin to the floor of the spread its runs show now: a margin an
    earlier, wider spread raised does not stay (a ratchet would keep margins at their widest ever)."""
    import json

    import numpy as np

    from hp_lib import build, verdicts
    from hp_lib.experiments import common

    test = next(t for t in TESTS if t.id == "smith-fig-6a")
    effects = [1.0, 1.2, 0.9, 1.1]
    record = {"id": test.id, "effects": effects, "margin": 40.0, "stated_margin": 1.5, "parts": []}
    monkeypatch.setattr(verdicts, "gather", lambda profile: [record])
    monkeypatch.setattr(experiments, "tests", lambda: [test])
    monkeypatch.setattr(common, "MEASURED_ON_CPU", tmp_path / "measured.json")
    request.addfinalizer(common.measured_on_cpu.cache_clear)  # the other tests read the real file, pass or fail
    monkeypatch.setenv("HP_BOOK_BUILD", str(tmp_path))
    monkeypatch.setattr(common, "controls", lambda t: {"n_seeds": 4, "spread": 0, "margin": 0, "placebo": 0, "power": 1})
    build.print_controls(measure=True)
    written = json.loads((tmp_path / "measured.json").read_text())["tests"][test.id]
    floor = common.resolution_floor(float(np.std(effects, ddof=1)), 4, test.comparisons)
    assert written["margin"] == round(max(1.5, floor), 4) < 40.0
