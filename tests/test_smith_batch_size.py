"""§4.2's chapter module: the tested arms run paired seeds, and the measures its tests read."""

import math

import numpy as np
import pandas as pd
import pytest

from hp_lib import profiles
from hp_lib.experiments import smith_batch_size as ex


def test_the_tested_batch_sizes_run_the_paired_seeds():
    p = profiles.get("cpu")
    s = ex.setup("cpu")
    assert (s.ours(ex.SMALL), s.ours(ex.LARGE)) == (64, 512)
    assert s.seeds[64] == s.seeds[512] == p.paired_seeds
    assert s.seeds[128] == s.seeds[256] == p.seeds  # drawn in the figures only
    assert {len(cs) for cs in s.grid().configs.values()} == {len(p.paired_seeds), len(p.seeds)}
    assert all(len(v) == 3 for v in [ex.setup("cpu", seeds=[5, 6, 7]).seeds[t] for t in s.configs])


def test_each_batch_size_gets_the_papers_epochs_in_the_same_ratios():
    """The paper's budget (48, 70, 95, 116 epochs for TBS 128 … 1024), divided by one factor per profile, and its
    stepsizes at the same fraction of each run."""
    for profile in ("cpu", "full"):  # (smoke's runs of a few dozen steps round further)
        s = ex.setup(profile)
        for tbs, cfg in s.configs.items():
            _, paper_epochs, paper_ss = ex.PAPER[s.paper_tbs[tbs]]
            epochs = cfg.steps * tbs / cfg.n_train
            assert epochs == pytest.approx(paper_epochs / ex.EPOCH_DIVISOR[profile], rel=0.02)
            assert cfg.lr["stepsize"] / cfg.steps == pytest.approx(paper_ss / paper_epochs, rel=0.02)


def test_cyclical_momentum_setup_still_works():
    """Fig. 8b (the momentum chapter) runs the same batch sizes with a cyclical momentum."""
    s = ex.setup("cpu", min_momentum=0.85)
    for cfg in s.configs.values():
        assert cfg.momentum["min_momentum"] == 0.85 and cfg.momentum["select"] == "momentum"


def test_epochs_per_second_reads_the_training_clock():
    h = pd.DataFrame({"step": [0, 9, 19], "epoch": [0.0, 1.0, 2.0], "time": [0.0, 2.0, 4.0]})
    assert ex.epochs_per_second(h) == pytest.approx(0.5)
    h.attrs.update(seconds=10.0)
    assert ex.epochs_per_second(h.assign(time=[np.nan, np.nan, np.nan])) == pytest.approx(0.2)


def test_the_tests_compare_the_papers_extremes():
    by_id = {t.id: t for t in ex.TESTS}
    assert set(by_id) == {"smith-fig-6a", "smith-fig-6b", "smith-remark-4"}
    assert by_id["smith-fig-6a"].arms == (ex.arm(1024), ex.arm(128))
    assert by_id["smith-fig-6b"].arms == (ex.arm(128), ex.arm(1024)) and not by_id["smith-fig-6b"].higher_is_better
    r4 = by_id["smith-remark-4"]
    assert r4.paper == pytest.approx(100 * math.log(116 / 48)) and r4.margin == pytest.approx(r4.paper / 2)
