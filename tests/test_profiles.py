"""The three build profiles."""

from __future__ import annotations

import pytest

from hp_lib import profiles


def test_unknown_profile_names_valid_ones():
    with pytest.raises(ValueError) as e:
        profiles.get("nonsense")
    msg = str(e.value)
    assert "nonsense" in msg
    for name in ("smoke", "cpu", "full"):
        assert name in msg


@pytest.mark.parametrize("name,expected", [("smoke", 10), ("cpu", 200), ("full", 3000)])
def test_pick(name, expected):
    p = profiles.get(name)
    assert p.name == name
    assert p.pick(smoke=10, cpu=200, full=3000) == expected
    assert p.pick(10, 200, 3000) == expected


def test_smoke_and_cpu_profiles_run_on_cpu():
    seeds = [profiles.get(n).seeds for n in ("smoke", "cpu", "full")]
    assert all(len(s) >= 1 for s in seeds)
    assert profiles.get("smoke").device == "cpu" and profiles.get("cpu").device == "cpu"
