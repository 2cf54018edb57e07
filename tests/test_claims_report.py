"""The verdicts of Smith §3.3–§4 (Figs. 4b–12, Table 1, Remarks 3–6) on constructed data whose answer is known."""

import numpy as np
import pandas as pd
import pytest

from hp_lib import claims
from hp_lib.claims import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED
from hp_lib.experiments.common import final_stats


def test_super_convergence():
    assert claims.super_convergence(0.924, 10_000, 0.903, 80_000).status == REPRODUCED
    assert claims.super_convergence(0.900, 10_000, 0.903, 80_000).status == REPRODUCED  # within half a point
    v = claims.super_convergence(0.85, 10_000, 0.903, 80_000)
    assert v.status == NOT_REPRODUCED and v.evidence["iteration_ratio"] == 8


def test_batch_size_tradeoff():
    paper_like = {128: (0.90, 0.30), 256: (0.91, 0.32), 512: (0.92, 0.33), 1024: (0.93, 0.35)}
    assert claims.batch_size_tradeoff(paper_like).status == REPRODUCED
    small_wins_all = {64: (0.99, 0.02), 512: (0.97, 0.10)}
    assert claims.batch_size_tradeoff(small_wins_all).status == INCONCLUSIVE
    assert claims.batch_size_tradeoff({64: (0.97, 0.2), 512: (0.99, 0.1)}).status == INCONCLUSIVE
    assert claims.batch_size_tradeoff({64: (0.99, 0.2), 512: (0.97, 0.1)}).status == NOT_REPRODUCED


def test_remark_4_measures_the_time_per_epoch():
    paper_epochs = {128: 48, 1024: 116}
    gpu = claims.remark_4({128: 26 * 60 / 48, 1024: 26 * 60 / 116}, paper_epochs)
    assert gpu.status == REPRODUCED and gpu.evidence["speedup"] == pytest.approx(116 / 48)
    assert gpu.evidence["paper_speedup"] == pytest.approx(116 / 48)
    cpu = claims.remark_4({128: 2.5, 1024: 2.1}, paper_epochs)
    assert cpu.status == NOT_REPRODUCED and cpu.evidence["speedup"] == pytest.approx(2.5 / 2.1)


def _range_test(lr_at_min: float, blowup_lr: float, n: int = 60, top: float = 1.0) -> pd.DataFrame:
    """A range test whose loss is a parabola in log LR with its minimum at ``lr_at_min`` and blows up at
    ``blowup_lr``."""
    lr = np.linspace(top / n, top, n)
    loss = 1 + (np.log(lr) - np.log(lr_at_min)) ** 2 / 10
    loss[lr >= blowup_lr] = 50.0
    return pd.DataFrame({"lr": lr, "val_loss": loss, "momentum": np.linspace(0.7, 1.0, n)})


def test_momentum_shifts_lr():
    paper_like = {0.7: _range_test(0.5, 2.0), 0.9: _range_test(0.3, 2.0), 0.99: _range_test(0.1, 0.5)}
    assert claims.momentum_shifts_lr(paper_like).status == REPRODUCED
    same_lr = {0.7: _range_test(0.3, 2.0), 0.9: _range_test(0.3, 2.0), 0.99: _range_test(0.3, 0.5)}
    assert claims.momentum_shifts_lr(same_lr).status == INCONCLUSIVE
    neither = {0.7: _range_test(0.3, 0.5), 0.9: _range_test(0.3, 2.0), 0.99: _range_test(0.3, 2.0)}
    assert claims.momentum_shifts_lr(neither).status == NOT_REPRODUCED


def test_no_optimal_momentum():
    n = 40
    falling = pd.DataFrame({"momentum": np.linspace(0.7, 1.0, n), "val_loss": np.linspace(2.0, 1.0, n)})
    falling.loc[n - 3:, "val_loss"] = 40.0  # it blows up at the end, without rising first
    assert claims.no_optimal_momentum(falling).status == REPRODUCED
    u_shape = pd.DataFrame({"momentum": np.linspace(0.7, 1.0, n),
                            "val_loss": 1 + (np.linspace(0.7, 1.0, n) - 0.85) ** 2 * 20})
    v = claims.no_optimal_momentum(u_shape)
    assert v.status == NOT_REPRODUCED and v.evidence["momentum_at_min"] == pytest.approx(0.85, abs=0.01)


def test_momentum_schedule_verdicts():
    assert claims.decreasing_momentum_lower_loss(0.5, 0.6, 0.55).status == REPRODUCED
    assert claims.decreasing_momentum_lower_loss(0.58, 0.6, 0.55).status == INCONCLUSIVE
    assert claims.decreasing_momentum_lower_loss(0.7, 0.6, 0.55).status == NOT_REPRODUCED
    constant = {"constant 0.85": 0.80, "constant 0.95": 0.812}
    assert claims.cyclical_matches_constant(0.811, constant, "smith-fig-7d").status == REPRODUCED
    assert claims.cyclical_matches_constant(0.80, constant, "smith-fig-7d").status == NOT_REPRODUCED
    acc = {"constant 0.9": 0.90, "falling": 0.92, "rising": 0.91}
    assert claims.falling_momentum_best(acc, "falling").status == REPRODUCED
    assert claims.falling_momentum_best({**acc, "falling": 0.905}, "falling").status == INCONCLUSIVE
    assert claims.falling_momentum_best({**acc, "falling": 0.80}, "falling").status == NOT_REPRODUCED
    assert claims.cyclical_momentum_helps({1: (0.9, 0.8), 2: (0.9, 0.8), 3: (0.7, 0.8)}).status == REPRODUCED
    assert claims.cyclical_momentum_helps({1: (0.9, 0.8), 2: (0.7, 0.8)}).status == INCONCLUSIVE
    assert claims.cyclical_momentum_helps({1: (0.7, 0.8), 2: (0.7, 0.8)}).status == NOT_REPRODUCED


def _table(deep_cm: float, shallow_cm: float, shallow_best_constant: float) -> pd.DataFrame:
    rows = []
    for arch, cyc in (("3-layer", "0.0005-0.005/11"), ("resnet-56", "0.08-0.80/41")):
        for lr_col in (cyc, "0.005" if arch == "3-layer" else "0.1"):
            for m in ("0.95-0.85", "0.90-1.00", "0.85", "0.90", "0.95"):
                mean = 80.0
                if arch == "resnet-56" and lr_col == cyc and m == "0.95-0.85":
                    mean = deep_cm
                if arch == "3-layer" and lr_col == cyc and m == "0.95-0.85":
                    mean = shallow_cm
                if arch == "3-layer" and lr_col == "0.005" and m == "0.95":
                    mean = shallow_best_constant
                rows.append({"architecture": arch, "LR/SS": lr_col, "momentum/SS": m, "ours mean": mean, "ours std": 0.2})
    return pd.DataFrame(rows)


def test_table_1_verdict():
    assert claims.table_1(_table(92.0, 81.3, 81.2)).status == REPRODUCED  # the paper's own pattern
    assert claims.table_1(_table(79.0, 81.3, 81.2)).status == INCONCLUSIVE  # the deep part fails
    v = claims.table_1(_table(79.0, 85.0, 81.2))
    assert v.status == NOT_REPRODUCED and not v.evidence["deep_holds"] and not v.evidence["shallow_holds"]


def test_weight_decay_search_verdicts():
    loss = {1e-2: (0.9, 0.01), 3.2e-3: (0.6, 0.01), 1e-3: (0.8, 0.01)}
    acc = {1e-2: (0.70, 0.01), 3.2e-3: (0.81, 0.01), 1e-3: (0.80, 0.01)}
    v = claims.loss_separates_better(loss, acc)
    assert v.status == REPRODUCED and v.evidence["loss_separation"] == pytest.approx(20)
    close_in_loss = {1e-2: (0.9, 0.01), 3.2e-3: (0.6, 0.01), 1e-3: (0.605, 0.01)}
    far_in_acc = {1e-2: (0.70, 0.01), 3.2e-3: (0.90, 0.01), 1e-3: (0.60, 0.01)}
    assert claims.loss_separates_better(close_in_loss, far_in_acc).status == NOT_REPRODUCED
    single_seed = {k: (m, 0.0) for k, (m, _) in loss.items()}
    assert claims.loss_separates_better(single_seed, {k: (m, 0.0) for k, (m, _) in acc.items()}).status == INCONCLUSIVE
    assert claims.optimal_wd_shrinks("smith-fig-10", 3.2e-3, 1.8e-3).status == REPRODUCED
    assert claims.optimal_wd_shrinks("smith-fig-10", 3.2e-3, 3.2e-3).status == INCONCLUSIVE
    assert claims.optimal_wd_shrinks("smith-fig-10", 1.8e-3, 3.2e-3).status == NOT_REPRODUCED
    v = claims.snapshot_search("smith-fig-12a", 3e-3, 3e-3, 400.0, 250.0)
    assert v.status == REPRODUCED and v.evidence["saved"] == pytest.approx(0.375)
    assert claims.snapshot_search("smith-fig-12a", 3e-3, 1e-3, 400.0, 250.0).status == INCONCLUSIVE
    assert claims.snapshot_search("smith-fig-12a", 3e-3, 3e-3, 400.0, 450.0).status == NOT_REPRODUCED


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


def test_small_weight_decay_overfits():
    t = np.arange(20)
    falling = pd.DataFrame({"val_loss": 2.0 - t / 20})
    turning = pd.DataFrame({"val_loss": 1 + (t - 10) ** 2 / 100})  # minimum at the middle, ends 81 % higher
    v = claims.small_weight_decay_overfits(turning, falling)
    assert v.status == REPRODUCED and v.evidence["rise_small"] == pytest.approx(0.81)
    assert claims.small_weight_decay_overfits(turning, turning).status == INCONCLUSIVE
    assert claims.small_weight_decay_overfits(falling, turning).status == NOT_REPRODUCED
