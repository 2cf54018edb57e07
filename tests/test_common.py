"""What the chapters share: scoring runs per seed (a diverged run at chance), tests declared as data and
their margins."""

import numpy as np
import pandas as pd
import pytest

from hp_lib import lr_finder, verdicts
from hp_lib.experiments.common import Test, batch_share, final_accuracy, final_loss, final_stats, resolution_floor
from hp_lib.train import RunConfig


def _history(accs, losses, status="ok"):
    h = pd.DataFrame({"step": range(len(accs)), "val_acc": accs, "val_loss": losses})
    h.attrs["status"] = status
    return h


def test_final_stats_counts_a_diverged_run_as_failed():
    s = final_stats([_history([0.5, 0.9], [1.0, 0.3]), _history([0.5, 0.7], [1.0, 0.6]),
                     _history([0.5, 0.8], [1.0, 0.4], status="diverged")])
    assert s.n == 3 and s.diverged == 1
    assert s.acc_mean == pytest.approx((0.9 + 0.7 + 0.0) / 3) and s.best_acc == 0.9
    assert s.loss_mean == float("inf")
    assert final_stats([_history([0.5, 0.9], [1.0, 0.3])]).acc_text() == "90.0"


def test_a_diverged_run_scores_chance():
    runs = [_history([0.5, 0.9], [1.0, 0.3]), _history([0.5, 0.8], [1.0, 0.4], status="diverged")]
    assert final_accuracy(runs, 10.0) == pytest.approx([90.0, 10.0])
    assert final_loss(runs, np.log(10)) == pytest.approx([0.3, np.log(10)])


TEST = Test("x", "a beats b", "a", "b", "a − b, final accuracy (points)")


def test_a_test_decides_on_its_arms_with_the_binomial_margin():
    measures = {"accuracy": {"a": np.array([90.0, 91.0, 90.5, 90.2]), "b": np.array([80.0, 80.5, 80.1, 79.8])}}
    v = TEST.decide(measures, n_eval=2_000)
    assert v.status == verdicts.REPRODUCED
    assert v.margin == pytest.approx(verdicts.accuracy_margin(2_000, (90.425 + 80.1) / 200))
    lower = Test("x", "a has the lower loss", "a", "b", "b − a, loss", measure="loss", higher_is_better=False,
                 margin=0.05, why_margin="stated")
    loss = {"loss": {"a": np.array([0.3, 0.31, 0.29, 0.3]), "b": np.array([0.5, 0.52, 0.49, 0.5])}}
    assert lower.decide(loss, 2_000).effect == pytest.approx(0.2025)


def test_at_cpu_the_margin_is_never_below_what_the_seeds_resolve():
    noisy = Test("x", "a beats b", "a", "b", "points", measured=(20.0, 40.0, 4))
    measures = {"accuracy": {"a": np.array([90.0, 60.0, 91.0, 89.0]), "b": np.array([80.0, 80.5, 80.1, 79.8])}}
    assert noisy.decide(measures, 2_000, "cpu").margin == pytest.approx(resolution_floor(20.0, 4))
    assert noisy.decide(measures, 2_000, "smoke").margin < 2.0  # the binomial rule
    band = Test("x", "a equals b", "a", "b", "points", form=verdicts.EQUIVALENCE, measured=(20.0, 40.0, 4))
    assert band.decide(measures, 2_000, "cpu").margin < 2.0  # a band is never widened


def test_the_stable_part_of_a_range_test_ends_at_the_blow_up():
    ev = pd.DataFrame({"val_loss": [2.0, 1.0, 0.8, 1.5, 5.0, 0.5]})
    assert len(lr_finder.stable_part(ev)) == 4  # 5.0 > 2 × 0.8
    assert len(lr_finder.stable_part(pd.DataFrame({"val_loss": [1.0, float("nan")]}))) == 1


def test_the_batch_share_is_given_to_two_significant_figures_or_as_a_range():
    def cfg(batch, n_train=10_000):
        return RunConfig(dataset="mnist1d", n_train=n_train, batch_size=batch)

    assert batch_share([cfg(256), cfg(256)]) == "2.6 %"
    assert batch_share([cfg(64), cfg(512), cfg(128)]) == "0.64–5.1 %"
    assert batch_share([cfg(128, None)]) == "3.2 %"  # MNIST-1D's default training set: 4,000 samples
    assert batch_share([cfg(1_280), cfg(10_000)]) == "13–100 %"
