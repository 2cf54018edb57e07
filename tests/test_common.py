"""What the chapters share: scoring runs per seed (a diverged run at chance), tests declared as data and
their margins."""

import numpy as np
import pandas as pd
import pytest

import importlib

from hp_lib import lr_finder, profiles, verdicts
from hp_lib.experiments.chapter import configs
from hp_lib.experiments.common import Test, at_paper_share, batch_share, final_accuracy, final_loss, final_stats, resolution_floor
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


def test_a_cpu_run_takes_the_training_set_of_the_papers_batch_share():
    cfg = RunConfig(dataset="mnist1d", n_train=4_000, batch_size=128)
    assert at_paper_share(profiles.get("cpu"), cfg, paper_batch=512).n_train == 12_500  # 512 of CIFAR's 50,000
    assert at_paper_share(profiles.get("cpu"), cfg, paper_batch=64, paper_n=60_000).n_train == 120_000
    for name in ("smoke", "full"):  # smoke keeps its small sets; full is the paper
        assert at_paper_share(profiles.get(name), cfg, paper_batch=512) == cfg


# The figures whose cpu runs keep a training set of their own (common.at_paper_share says why): tests that read a
# test loss rising (1, 4a, 4b), claims or budgets in epochs (3b, 6, 8b), ImageNet's share (16); and Fig. 12a,
# whose cpu runs are Fig. 9's (the full profile runs the author's snapshot job, at TBS 2,048).
OWN_TRAINING_SET = {"smith-fig-1a", "smith-fig-3b", "smith-fig-4a", "smith-fig-4b", "smith-fig-6a", "smith-fig-8b",
                    "smith-fig-12a", "smith-fig-16a", "smith-fig-16b"}
SMITH_CHAPTERS = ("smith_test_loss", "smith_superconvergence", "smith_batch_size", "smith_momentum",
                  "smith_weight_decay", "smith_other_architectures")


def test_the_cpu_runs_of_the_papers_figures_have_its_batch_share():
    """Every batch share among a cpu experiment's runs is one of the paper's (its runs at ``full``), and the
    other way round; only the experiments exempt above are left out."""
    checked = 0
    for module in SMITH_CHAPTERS:
        for e in importlib.import_module(f"hp_lib.experiments.{module}").CHAPTER.experiments:
            if e.setup is None or OWN_TRAINING_SET & set(e.items):
                continue
            shares = {name: {float(f"{c.batch_size / c.n_train:.3g}")
                             for c in configs(e.setup(name, None, **{k: None for k in e.options}))}
                      for name in ("cpu", "full")}
            assert shares["cpu"] == shares["full"], e.name
            checked += 1
    assert checked == 25
