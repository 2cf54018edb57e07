"""The same profile and seeds give identical results twice in a row on the CPU: one chapter's experiments
(Figs. 5a–5b at smoke, trained in parallel worker processes, some of them as stacked runs) are run into two
empty caches and every history and the chapter's result table come out the same, bit for bit (wall-clock times
aside)."""

import pandas as pd
import pytest

from hp_lib.experiments import smith_superconvergence as chapter

pytestmark = pytest.mark.slow


def run_chapter(build_dir, monkeypatch):
    monkeypatch.setenv("HP_BOOK_BUILD", str(build_dir))
    setup = chapter.setup("smoke", None)
    runs = chapter.run(setup)
    assert all(h.attrs["cache_key"] not in (None, "") for hs in runs.values() for h in hs)
    return runs, chapter.results(setup, runs)


def test_a_chapter_gives_identical_results_twice(tmp_path, monkeypatch):
    monkeypatch.delenv("HP_BOOK_PROGRESS", raising=False)
    first, first_table = run_chapter(tmp_path / "first", monkeypatch)
    second, second_table = run_chapter(tmp_path / "second", monkeypatch)
    assert list(first) == list(second)
    trained = stacked = 0
    for label in first:
        for a, b in zip(first[label], second[label], strict=True):
            assert a.attrs["cache_key"] == b.attrs["cache_key"]
            pd.testing.assert_frame_equal(a.drop(columns="time"), b.drop(columns="time"), check_exact=True)
            assert a.attrs["status"] == b.attrs["status"] and a.attrs["diverged_step"] == b.attrs["diverged_step"]
            trained += 1
            stacked += a.attrs.get("stacked", 1) > 1
    assert trained >= 5 and stacked >= 2
    pd.testing.assert_frame_equal(first_table, second_table, check_exact=True)
    assert (tmp_path / "second" / "cache").is_dir()  # trained again, not read from the first cache
