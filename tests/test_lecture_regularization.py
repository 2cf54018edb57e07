"""Regularization: the pictures' transformations, fractional pooling's regions, the network drawing, the
chapter's runs and the verdicts."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from hp_lib import claims, regularize
from hp_lib.claims import INCONCLUSIVE, NOT_REPRODUCED, REPRODUCED
from hp_lib.experiments import lecture_regularization as lr


# --- pictures and drawings ---------------------------------------------------------------------------------

@pytest.mark.parametrize("size, ratio, seed", [((37, 53), 2 ** -0.5, 0), ((64, 64), 0.6, 1), ((97, 131), 2 ** -0.5, 2)])
def test_fmp_regions_are_those_torch_pools_over(size, ratio, seed):
    torch.manual_seed(seed)
    x = torch.rand(1, 1, *size)
    samples = torch.rand(1, 1, 2)
    pooled = nn.FractionalMaxPool2d(2, output_ratio=ratio, _random_samples=samples)(x)[0, 0]
    rows = lr.fmp_starts(float(samples[0, 0, 1]), size[0], pooled.shape[0], 2)
    cols = lr.fmp_starts(float(samples[0, 0, 0]), size[1], pooled.shape[1], 2)
    ours = torch.stack([torch.stack([x[0, 0, r:r + 2, c:c + 2].max() for c in cols]) for r in rows])
    assert torch.equal(ours, pooled)
    steps = np.diff(rows)
    assert set(steps) <= {1, 2} and rows[0] == 0 and rows[-1] == size[0] - 2  # a fraction between 1 and 2


def test_fractional_pooling_picture():
    fmp = lr.fractional_pooling()
    side = fmp["window"][2]
    for draw in fmp["draws"]:
        rows, cols = draw["argmax"]
        # each maximum lies in the patch, at a pixel that holds the pooled value
        assert rows.max() < side and cols.max() < side
        assert torch.equal(fmp["patch"][rows, cols].view_as(draw["pooled"]), draw["pooled"])
        assert draw["pooled"].shape == (int(side * fmp["ratio"]),) * 2  # 20 → 14: a fraction, not a half
    assert fmp["max_pool"].shape == (side // 2, side // 2)
    assert not torch.equal(fmp["draws"][0]["pooled"], fmp["draws"][1]["pooled"])  # the regions are random


def test_ten_crops_are_the_corners_and_the_centre():
    boxes = lr.ten_crop_boxes(256, 384, 224)
    assert len(boxes) == 5 and len(set(boxes)) == 5
    assert (16, 80) in boxes and (0, 0) in boxes and (32, 160) in boxes
    assert all(0 <= t <= 256 - 224 and 0 <= l <= 384 - 224 for t, l in boxes)


def test_augmentation_pictures():
    p = lr.augmentation_pictures(seed=0)
    assert torch.equal(p["flip"], p["image"].flip(-1))
    assert all(c.shape == (3, 224, 224) for c in p["crops"]) and all(256 <= L <= 480 for L in p["lengths"])
    assert min(p["test_image"].shape[1:]) == 256
    assert p["color"].min() >= 0 and p["color"].max() <= 1
    # PCA jitter shifts every pixel of an image by the same RGB vector
    assert p["pca_shift"].shape == (3, 3) and p["pca_shift"].abs().max() > 0


def test_cutout_and_mixup_pictures():
    p = lr.cutout_mixup_pictures("smoke", size=8)
    zeroed = (p["cutout"] == 0).flatten(1).sum(1)
    assert ((zeroed >= 16) & (zeroed <= 64)).all()  # an 8×8 square whose centre lies in the image
    for m in p["mixes"]:
        assert 0 <= m["lam"] <= 1 and m["a"] != m["b"] and {m["a"], m["b"]} <= set(lr.FASHION_CLASSES)


def test_network_drawing_drops_units_or_links():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3)
    lr.draw_network(axes[0], layers=(3, 4, 2))
    lr.draw_network(axes[1], layers=(3, 4, 2), drop_units=0.5, seed=1)
    lr.draw_network(axes[2], layers=(3, 4, 2), drop_links=0.5, seed=1)
    links = [len(ax.lines) for ax in axes]
    assert links[0] == 3 * 4 + 4 * 2
    crossed = len(axes[1].lines) - sum(1 for ln in axes[1].lines if ln.get_color() == "0.45")
    assert crossed > 0 and crossed % 2 == 0  # each dropped unit is crossed by two strokes
    assert sum(1 for ln in axes[2].lines if ln.get_linestyle() == ":") > 0  # dropped weights are dotted
    plt.close(fig)


def test_stochastic_depth_survival_follows_the_linear_rule():
    survival = lr.stochastic_depth_survival("smoke")
    assert np.allclose(survival, 1 - 0.5 * np.arange(1, 10) / 9)


# --- the runs ---------------------------------------------------------------------------------------------

def test_plan_shares_the_unregularized_runs():
    plan = lr.plan("cpu")
    keys = [c.to_dict().__repr__() for c in plan]
    assert len(keys) == len(set(keys))
    none = lr.penalty_setup("cpu").configs["none"]
    assert none == lr.dropout_setup("cpu").configs["none"] == lr.ensemble_setup("cpu").configs["members"][:2]
    assert all(c.snapshot_at == (c.steps,) for c in lr.ensemble_setup("cpu").configs["members"])
    sgdr = lr.ensemble_setup("cpu").configs["SGDR, 2 cycles"][0]
    assert sgdr.snapshot_at == (sgdr.steps // 2, sgdr.steps) and sgdr.lr["t0"] == sgdr.steps // 2
    assert len(lr.plan("full")) > 0  # the full profile's configs build (RunConfig checks them)


@pytest.mark.slow
def test_ensembles_and_dropout_at_smoke():
    r = lr.ensembles("smoke")
    members = r["grid"].configs["members"]
    # the saved final weights give the run's own last validation accuracy
    assert r["single"] == pytest.approx([lr._final(h) for h in r["runs"]["members"]], abs=1e-6)  # float32 means
    assert r["by_size"]["k"].tolist() == list(range(1, len(members) + 1))
    grid, runs = lr.dropout_runs("smoke")
    e = lr.dropout_expectation(grid, runs, n_inputs=20, max_samples=256)
    slopes = {k: lr._slope(d) for k, d in e[e["level"] == "next layer"].groupby("kind")}
    assert all(abs(s + 0.5) < 0.1 for s in slopes.values())  # a Monte-Carlo mean converges like 1/√n
    mc = lr.monte_carlo(grid, runs, max_passes=5)
    assert mc["passes"].max() == 5 and mc["mc_acc"].between(0, 1).all()


# --- verdicts ---------------------------------------------------------------------------------------------

def test_ensemble_verdict():
    assert claims.ensemble_beats_single("c", [0.80, 0.82], 0.83).status == REPRODUCED
    assert claims.ensemble_beats_single("c", [0.80, 0.84], 0.83).status == INCONCLUSIVE
    v = claims.ensemble_beats_single("c", [0.80, 0.84], 0.81)
    assert v.status == NOT_REPRODUCED and v.evidence["gain"] == pytest.approx(-0.01)


def test_snapshot_ensemble_verdict():
    assert claims.snapshot_ensemble_gain("c", 0.80, 0.805, 0.01).status == REPRODUCED
    assert claims.snapshot_ensemble_gain("c", 0.80, 0.801, 0.01).status == INCONCLUSIVE
    assert claims.snapshot_ensemble_gain("c", 0.80, 0.79, 0.01).status == NOT_REPRODUCED


def test_ema_verdict():
    assert claims.ema_at_least_raw("c", 0.50, 0.45, 0.85, 0.85).status == REPRODUCED
    assert claims.ema_at_least_raw("c", 0.50, 0.55, 0.85, 0.86).status == INCONCLUSIVE
    assert claims.ema_at_least_raw("c", 0.50, 0.55, 0.85, 0.80).status == NOT_REPRODUCED


def test_l1_l2_verdict():
    rms = {"none": 0.05, "L2": 0.02, "L1": 0.02}
    assert claims.l1_sparse_l2_small("c", {"none": 0.02, "L2": 0.05, "L1": 0.8}, rms).status == REPRODUCED
    assert claims.l1_sparse_l2_small("c", {"none": 0.02, "L2": 0.05, "L1": 0.8},
                                     {**rms, "L2": 0.06}).status == INCONCLUSIVE
    assert claims.l1_sparse_l2_small("c", {"none": 0.02, "L2": 0.05, "L1": 0.1}, rms).status == NOT_REPRODUCED


def test_dropout_expectation_verdict():
    assert claims.dropout_expectation("c", {"a": -0.52, "b": -0.47}).status == REPRODUCED
    assert claims.dropout_expectation("c", {"a": -0.52, "b": -0.1}).status == NOT_REPRODUCED


def test_mc_matches_scaling_verdict():
    assert claims.mc_matches_scaling("c", 0.80, 0.86, 0.862).status == REPRODUCED
    assert claims.mc_matches_scaling("c", 0.87, 0.86, 0.862).status == INCONCLUSIVE
    assert claims.mc_matches_scaling("c", 0.80, 0.84, 0.862).status == NOT_REPRODUCED


def test_beats_baseline_verdict():
    assert claims.beats_baseline("c", [0.80, 0.81], [0.82, 0.83]).status == REPRODUCED
    assert claims.beats_baseline("c", [0.80, 0.82], [0.81, 0.83]).status == INCONCLUSIVE
    assert claims.beats_baseline("c", [0.80, 0.82], [0.79, 0.82]).status == NOT_REPRODUCED


def test_dropout_gap_falls_like_one_over_root_n():
    """The check behind lecture-f22 on a layer whose expectation is known in closed form: a linear map of
    inverted-dropped inputs has mean W x, and the RMS gap of an n-sample mean scales as n^(-1/2)."""
    torch.manual_seed(0)
    layer, drop, x = nn.Linear(64, 32), regularize.Dropout(0.5), torch.randn(40, 64)
    with torch.no_grad():
        target = layer(x)
        samples = torch.stack([layer(drop(x)) for _ in range(1_024)])
    means = samples.cumsum(0) / torch.arange(1, 1_025).view(-1, 1, 1)
    rows = [{"samples": 2 ** i, "gap": float((means[2 ** i - 1] - target).pow(2).mean().sqrt())} for i in range(11)]
    assert lr._slope(pd.DataFrame(rows)) == pytest.approx(-0.5, abs=0.08)
