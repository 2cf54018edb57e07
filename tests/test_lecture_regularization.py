"""Regularization: the pictures' transformations, fractional pooling's regions, the network drawing, the
chapter's runs and its tests (one per lecture figure, on paired seeds)."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from hp_lib import profiles, regularize, verdicts
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
    plan = lr.CHAPTER.plan("cpu")
    keys = [c.to_dict().__repr__() for c in plan]
    assert len(keys) == len(set(keys))
    none = lr.penalty_setup("cpu").configs["none"]
    ensemble = lr.ensemble_setup("cpu").configs
    assert none == lr.dropout_setup("cpu").configs["none"] == ensemble[lr.member_arm(0)]
    assert all(c.snapshot_at == (c.steps,) for j in range(lr.n_members("cpu")) for c in ensemble[lr.member_arm(j)])
    sgdr = ensemble[lr.sgdr_arm(2)][0]
    assert sgdr.snapshot_at == (sgdr.steps // 2, sgdr.steps) and sgdr.lr["t0"] == sgdr.steps // 2
    assert len(lr.CHAPTER.plan("full")) > 0  # the full profile's configs build (RunConfig checks them)


def test_every_ensemble_has_its_own_members():
    seeds = lr.tested_seeds("cpu")
    configs = lr.ensemble_setup("cpu").configs
    members = [[configs[lr.member_arm(j)][i].seed for j in range(lr.n_members("cpu"))] for i in range(len(seeds))]
    assert [m[0] for m in members] == list(seeds)  # the first member is the seed's own run
    every = [s for m in members for s in m]
    assert len(every) == len(set(every)) == len(seeds) * lr.n_members("cpu")


SETUPS = {"lecture-f20": None, "lecture-f21": lr.penalty_setup, "lecture-f22": lr.dropout_setup,
          "lecture-f23": lr.dropout_setup, "lecture-f24": lr.augment_setup, "lecture-f25": lr.dropout_setup,
          "lecture-f26": lr.augment_setup}


def test_one_test_per_figure_on_paired_cheap_seeds():
    assert [t.id for t in lr.TESTS] == [f"lecture-f{i}" for i in range(20, 27)]
    for test in lr.TESTS:
        assert test.measured is None or len(test.measured) == 2
        if SETUPS[test.id] is None:
            continue
        for profile in ("smoke", "cpu"):
            configs = SETUPS[test.id](profile).configs
            seeds = [[c.seed for c in configs[arm]] for arm in test.arms]
            assert all(s == list(profiles.get(profile).cheap_seeds) for s in seeds), (test.id, profile, seeds)


def test_the_arms_are_data_and_the_claims_of_no_difference_are_equivalence_tests():
    assert lr.TEST["lecture-f22"].form == verdicts.EQUIVALENCE
    assert {lr.TEST["lecture-f22"].treated, lr.TEST["lecture-f22"].baseline} == {"vanilla dropout", "inverted dropout"}
    assert all(t.form == verdicts.DIFFERENCE for t in lr.TESTS if t.id != "lecture-f22")
    f21 = lr.TEST["lecture-f21"]
    assert f21.measure == "near_zero" and f21.margin > 0 and f21.why_margin and f21.baseline == ("L2", "none")
    assert lr.TEST["lecture-f20"].paper == lr.LECTURE_ENSEMBLE_GAIN
    cfg = lr.augment_setup("cpu").configs
    assert cfg["cutout"][0].augment == {"cutout": lr.CUTOUT} and cfg["mixup"][0].augment == {"mixup": lr.MIXUP_ALPHA}
    assert len(cfg["flip"]) == len(profiles.get("cpu").seeds)  # drawn only: the figure seeds


def test_a_readers_seeds_override_both_seed_sets():
    grid = lr.augment_setup("cpu", seeds=[7, 8, 9])
    assert all([c.seed for c in cs] == [7, 8, 9] for cs in grid.configs.values())
    assert [c.seed for c in lr.ensemble_setup("cpu", seeds=[7]).configs[lr.member_arm(1)]] == [7 + lr.MEMBER_STRIDE]


def test_judged_on_paired_values():
    rng = np.random.default_rng(0)
    base = 85 + rng.normal(0, 0.5, 5)
    # an ensemble 2 points above its members on every seed: reproduced
    v = lr.judge(["lecture-f20"], {"accuracy": {"ensemble": base + 2 + rng.normal(0, 0.1, 5), "single": base}}, 2_000)
    assert v["lecture-f20"].status == verdicts.REPRODUCED and v["lecture-f20"].paper == 2.0
    # vanilla and inverted dropout within a tenth of a point: equivalent; 5 points apart: not
    same = lr.judge(["lecture-f22"], {"accuracy": {"vanilla dropout": base + rng.normal(0, 0.1, 5),
                                                    "inverted dropout": base}}, 2_000)["lecture-f22"]
    apart = lr.judge(["lecture-f22"], {"accuracy": {"vanilla dropout": base - 5 + rng.normal(0, 0.1, 5),
                                                     "inverted dropout": base}}, 2_000)["lecture-f22"]
    assert (same.status, apart.status) == (verdicts.REPRODUCED, verdicts.NOT_REPRODUCED)
    # L1 far sparser than L2 but not than no penalty: the binding comparison fails the claim
    zero = {"L1": np.array([60.0, 62, 61, 59, 60]), "L2": np.array([4.0, 5, 4, 5, 4]), "none": np.array([58.0, 61, 60, 60, 61])}
    assert lr.judge(["lecture-f21"], {"near_zero": zero}, 2_000)["lecture-f21"].status == verdicts.INCONCLUSIVE


def test_effect_text():
    assert lr.effect_text([1, 2, 3], [1, 1, 1]) == "+1.0 [-1.5, +3.5]"
    assert lr.effect_text([1.0], [1.04]) == "0.0"


@pytest.mark.slow
def test_ensembles_and_dropout_at_smoke():
    r = lr.ensembles("smoke")
    members = [r["grid"].configs[m] for m in r["members"]]
    # the saved final weights give the runs' own last validation accuracy
    own = np.mean([[100 * lr._final(h) for h in r["runs"][m]] for m in r["members"]], axis=0)
    assert r["accuracy"]["single"] == pytest.approx(own, abs=1e-3)  # float32 means
    assert len(r["accuracy"]["ensemble"]) == len(members[0]) == len(profiles.get("smoke").cheap_seeds)
    assert sorted(r["by_size"]["k"].unique()) == list(range(1, len(members) + 1))
    grid, runs = lr.dropout_runs("smoke")
    e = lr.dropout_expectation(grid, runs, n_inputs=20, max_samples=256)
    slopes = {k: lr._slope(d) for k, d in e[e["level"] == "next layer"].groupby("kind")}
    assert all(abs(s + 0.5) < 0.1 for s in slopes.values())  # a Monte-Carlo mean converges like 1/√n
    mc = lr.monte_carlo(grid, runs, max_passes=5)
    assert mc["passes"].max() == 5 and mc["mc_acc"].between(0, 100).all()


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
