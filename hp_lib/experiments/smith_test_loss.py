"""Smith (2018) §3, "The unreasonable effectiveness of validation/test loss": Figs. 1a–4b, Remarks 1 and 2.

* Fig. 1 is an LR range test of ResNet-56 on CIFAR-10 that records training loss, validation loss and
  accuracy. The paper's exact run is not given; the author's log ``range2SS80kRes56LR`` (LR linear from 0
  to 2 over 80k iterations, batch 1000, momentum 0.9, WD 1e-4) is the closest published one and is the
  ``full`` setting. On the CPU a ResNet with 1-D convolutions runs on MNIST-1D, and the LR grows
  exponentially so that the small learning rates, where the paper sees overfitting, get as many steps as
  the large ones (a linear ramp of a few thousand steps passes them in a few dozen steps).
* Fig. 2 is a drawing in the paper. Here it is measured twice: least-squares polynomials of growing
  degree fitted to 30 noisy samples of a smooth function (the classical picture the drawing shows), and
  MLPs of growing width trained to the end of a fixed budget on a small MNIST-1D training set.
* Figs. 3a–4b: underfitting (a too-small LR; a less powerful network) and overfitting (too little weight
  decay, in a range test and under a large-LR 1cycle), on the CPU analogs of each setup's docstring.

Every item but the Fig. 2 drawing is a test on paired seeds (:data:`TESTS`). Where a test needs a point of a
curve — the rise of Fig. 1's validation loss, the bottom of Fig. 2's test loss, the minimum of Fig. 4b's —
the point is chosen on the mean of the *other* seeds and the effect measured on the held-out seed
(:func:`held_out`), so that the same noise never both picks the point and scores it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import glue, lr_finder, plots, profiles, sweep, verdicts
from ..lr_finder import stable_part
from .. import data as data_lib
from ..data import check_name as check_dataset
from ..models import check_name as check_model
from ..train import History, RunConfig
from .chapter import Chapter, Experiment
from .common import (ACCURACY, ANALOG, IMAGENET_BATCH, IMAGENET_STANDARD, LABEL_NOISE, LOG_LOSS_MARGIN, LR_SCALE_3LAYER,
                     NATS_MARGIN, WHY_LOG_LOSS_MARGIN, WHY_NATS_MARGIN, AllOf, Grid, Test, analog, analog_data, at_paper_share, caffe_1cycle,
                     decide, final_accuracy, final_loss, illustrate, imagenet_config, mean_std, over_seeds, publish_grid,
                     range_test_figure, sci)
from .common import run_grid  # noqa: F401 (the chapter runs its grids with it)

CHANCE_LOSS = math.log(10)  # ten classes: the loss of the uniform prediction, what a diverged run scores
CHANCE_ACC = 10.0           # and its accuracy, in points

# Fig. 1: the three points of the validation loss's rise, chosen on the other seeds
BEFORE, PEAK, AFTER = "lowest point before the rise", "top of the rise", "lowest point after the rise"
VAL, TRAIN, GAP = "validation loss", "training loss", "generalization error"
# Fig. 2 / Remark 2: the widths compared
BOTTOM, SMALLEST, LARGEST = "width at the bottom of the test loss", "smallest width", "largest width"
# Fig. 3a: the paper's learning rates (red: underfitting; blue: the good one)
UNDERFIT_LR, GOOD_LR = 0.001, 0.004
# Fig. 3b: the less and the more powerful network (ResNet-20 and ResNet-56 on the analog; ResNet-50 and
# Inception-ResNet-v2 on ImageNet)
SHALLOW, DEEP = "less powerful network", "more powerful network"


def at(network: str, point: str) -> str:
    """Fig. 3b's readings of one network's runs: its test loss at three quarters of the run, or at the end."""
    return f"{network}, {point}"


THREE_QUARTERS, END_OF_RUN = "three quarters of the run", "end of the run"
# Fig. 4a: the paper's weight decays (blue: overfits; red: the good one; yellow: unstable)
RANGE_WDS = (1e-4, 4e-3, 1e-2)
OVERFIT_WD, GOOD_WD = 1e-4, 4e-3
# Fig. 4b: the standard schedule and the 1cycle with a very small weight decay
STANDARD, ONE_CYCLE = "LR 0.1, WD 1e-4", "1cycle 0.05–1.0, WD 1e-7"
# Fig. 3b: the author's logs at 100k iterations (SOURCES §1.4): test loss of ResNet-50 and Inception-ResNet-v2
PAPER_3B_LOSS = {"ResNet-50": 2.421, "Inception-ResNet-v2": 2.140}


def lr_arm(lr: float) -> str:
    return f"LR {lr:g}"


def wd_arm(wd: float) -> str:
    return f"WD {sci(wd)}"


def log_points(loss, chance: float = CHANCE_LOSS) -> np.ndarray:
    """100 × ln(loss); a non-finite loss (a diverged run) scores the uniform prediction's, ``chance``."""
    x = np.asarray(loss, dtype=float)
    return 100 * np.log(np.where(np.isfinite(x) & (x > 0), x, chance))


def chance_loss(grid: Grid) -> float:
    """The uniform prediction's loss on a grid's data: ln 10 on the analog, ln 1,000 on ImageNet (``full``)."""
    return math.log(1000) if grid.all()[0].dataset == "imagenet" else CHANCE_LOSS


# The chapter's tests, fixed before any run. Every arm is the paper's setting, or a point of a curve chosen
# on the other seeds (never on the seed that scores it).
TESTS = [
    Test("smith-fig-1a", "in an LR range test the validation loss rises at small learning rates (overfitting) "
         "and then falls again at larger ones", PEAK, (BEFORE, AFTER),
         "validation loss at the top of the rise minus at the lowest point before it, and minus at the lowest "
         "point after it (log-points; the points chosen on the other seeds)",
         measure="fig-1 validation loss", margin=LOG_LOSS_MARGIN, why_margin=WHY_LOG_LOSS_MARGIN),
    Test("smith-fig-1b", "the generalization error shows the end of the overfitting less clearly than the "
         "validation loss: it does not come down after the rise as the validation loss does", VAL, GAP,
         "fall from the top of the rise to the lowest point after it: validation loss minus generalization "
         "error (nats)", measure="fig-1 fall after the rise", margin=NATS_MARGIN, why_margin=WHY_NATS_MARGIN),
    Test("smith-remark-1", "the validation loss shows what the training loss does not: over the rise it climbs "
         "more than the training loss", VAL, TRAIN,
         "change over the rise (log-points): validation loss minus training loss (the smoothed minibatch loss, "
         "as plotted)", measure="fig-1 change over the rise", margin=LOG_LOSS_MARGIN, why_margin=WHY_LOG_LOSS_MARGIN),
    Test("smith-remark-2", "the goal of tuning is the horizontal part of the test loss: the capacity at its "
         "bottom ends with a higher test accuracy than the under- and the overfitting ends", BOTTOM,
         (SMALLEST, LARGEST), "final test accuracy at the width where the other seeds' test loss is lowest, minus "
         "at the smallest and at the largest width (points)"),
    Test("smith-fig-3a", "underfitting shows as a test loss that keeps falling: at the too-small LR it falls "
         "more over the last quarter of training than at the good LR", lr_arm(UNDERFIT_LR), lr_arm(GOOD_LR),
         "fall of the test loss over the last quarter of training (log-points): LR 0.001 minus LR 0.004",
         measure="late fall", margin=LOG_LOSS_MARGIN, why_margin=WHY_LOG_LOSS_MARGIN),
    AllOf("smith-fig-3b", "the more powerful network underfits less: after the first epochs, while both still "
          "underfit (their test losses still fall), its test loss is lower", (
              Test("smith-fig-3b", "the more powerful network ends the first epochs with a lower test loss", DEEP,
                   SHALLOW, "final test loss (log-points): the less powerful network's minus the more powerful one's "
                   "(ResNet-20 minus ResNet-56 on the analog)", measure="final loss",
                   higher_is_better=False, margin=LOG_LOSS_MARGIN, why_margin=WHY_LOG_LOSS_MARGIN,
                   paper=100 * math.log(PAPER_3B_LOSS["ResNet-50"] / PAPER_3B_LOSS["Inception-ResNet-v2"]),
                   paper_from=verdicts.LOGS),
              *(Test("smith-fig-3b", f"{net}'s test loss still falls over the last quarter of the run",
                     at(net, THREE_QUARTERS), at(net, END_OF_RUN), f"{net}: test loss at three quarters of the run "
                     "minus at its end (log-points)", measure="loss at", margin=LOG_LOSS_MARGIN,
                     why_margin=WHY_LOG_LOSS_MARGIN) for net in (SHALLOW, DEEP)))),
    AllOf("smith-fig-4a", "in LR range tests the weight decay that regularizes enough (4e-3) reaches a lower test "
          "loss than too little (1e-4), which overfits: past its lowest point its test loss rises while its "
          "training loss does not (overfitting, not instability)", (
              Test("smith-fig-4a", "WD 4e-3 reaches a lower test loss than WD 1e-4", wd_arm(GOOD_WD),
                   wd_arm(OVERFIT_WD), "lowest test loss of the range test (log-points): WD 1e-4 minus WD 4e-3",
                   measure="lowest loss", higher_is_better=False, margin=LOG_LOSS_MARGIN,
                   why_margin=WHY_LOG_LOSS_MARGIN),
              Test("smith-fig-4a", "at WD 1e-4 the test loss climbs after its lowest point more than the training "
                   "loss does", VAL, TRAIN, "change from the lowest test loss (chosen on the other seeds) to the end "
                   "of the stable part (log-points), WD 1e-4: test loss minus training loss (the smoothed minibatch "
                   "loss)", measure="fig-4a change after the lowest point", margin=LOG_LOSS_MARGIN,
                   why_margin=WHY_LOG_LOSS_MARGIN))),
    Test("smith-fig-4b", "with a very small weight decay a large-LR 1cycle overfits (its test loss turns upward at "
         "the end) while the standard schedule does not", ONE_CYCLE, STANDARD,
         "rise of the test loss from its lowest point (chosen on the other seeds) to the end (log-points): "
         "1cycle at WD 1e-7 minus the standard schedule", measure="late rise", margin=LOG_LOSS_MARGIN,
         why_margin=WHY_LOG_LOSS_MARGIN),
]
FIG_2_CLAIM = ("as capacity grows the training loss falls while the test loss first falls (underfitting) and "
               "then rises (overfitting), the best capacity in between")
FIG_2_WHY = ("the paper's figure is a drawing; ours measures its shape, and Remark 2 tests the claim it "
             "carries on the MLP sweep")
def tests(*ids: str) -> list[Test]:
    return [t for t in TESTS if t.id in ids]


# --- points of a curve, chosen on the other seeds ------------------------------------------------------

def held_out(curves: np.ndarray, choose) -> list:
    """For each seed (row of ``curves``), ``choose`` applied to the mean of the *other* seeds' curves: a point
    picked on data that the held-out seed's effect is not measured on. (One seed: its own curve.)"""
    curves = np.asarray(curves, dtype=float)
    if len(curves) == 1:
        return [choose(curves[0])]
    with np.errstate(invalid="ignore"):
        return [choose(np.delete(curves, i, axis=0).mean(axis=0)) for i in range(len(curves))]


def rise_points(v: np.ndarray) -> tuple[int, int, int]:
    """(before, peak, after): the most prominent rise and fall of a loss curve before it blows up
    (:func:`hp_lib.lr_finder.stable_part`: before its first non-finite value or its first above twice the
    lowest so far). ``peak`` is the point that stands highest above both the lowest point before it and
    the lowest after it (3-point smoothing, ratios); a curve that never rises gives ``before == peak``."""
    end = max(len(stable_part(pd.DataFrame({"val_loss": v}))), 1)
    s = pd.Series(v[:end]).rolling(3, center=True, min_periods=1).mean().to_numpy()
    best, points = -np.inf, (0, 0, int(np.argmin(s)))
    for k in range(end):
        b, a = int(np.argmin(s[:k + 1])), k + int(np.argmin(s[k:]))
        prominence = min(np.log(s[k] / s[b]), np.log(s[k] / s[a]))
        if prominence > best:
            best, points = prominence, (b, k, a)
    return points


def curve_matrix(frames: list[pd.DataFrame], column: str, steps: np.ndarray) -> np.ndarray:
    """``column`` of each seed's evaluations (one row per seed) at ``steps``; missing (a diverged run): NaN."""
    return np.array([f.set_index("step")[column].reindex(steps).to_numpy(dtype=float) for f in frames])


# --- the analog: a harder MNIST-1D, measured -------------------------------------------------------------

# The analog's calibration run at each profile, on the default MNIST-1D, the harder one and the harder one with
# label noise on its training split (the overfitting and regularisation items' data)
DEFAULT_DATA, HARD_DATA, NOISY_DATA = "MNIST-1D (default)", "MNIST-1D (hard)", "MNIST-1D (hard, noisy labels)"
GENERATOR_ARGS = ("shear_scale", "corr_noise_scale", "iid_noise_scale")  # as the table's column names them


def analog_config(profile: str) -> RunConfig:
    """ResNet-20 on 10,000 samples of the harder MNIST-1D for 20 epochs of a step schedule (LR 0.1, divided by 10
    at half and three quarters; momentum 0.9, WD 1e-4): the run that calibrated :data:`hp_lib.data.MNIST1D_HARD`
    (``tools/calibrate_analog.py data``) to end near 85–90 %."""
    p = profiles.get(profile)
    n_train, batch = p.pick(1_000, 10_000, 10_000), 128
    steps = 20 * n_train // batch
    return RunConfig(dataset=ANALOG, model="resnet20", n_train=n_train, n_val=p.pick(500, 2_000, 2_000),
                     n_test=100, batch_size=batch, steps=steps, momentum=0.9, weight_decay=1e-4,
                     lr={"name": "multistep", "value": 0.1, "gamma": 0.1, "milestones": [steps // 2, steps * 3 // 4]},
                     eval_every=max(1, steps // 20), threads=p.threads, **p.accelerator)


def analog_setup(profile: str, seeds=None) -> Grid:
    base = analog_config(profile)
    return over_seeds({DEFAULT_DATA: base.replace(dataset="mnist1d"), HARD_DATA: base,
                       NOISY_DATA: base.replace(label_noise=LABEL_NOISE)},
                      tuple(seeds) if seeds else profiles.get(profile).paired_seeds)


def analog_table(grid: Grid, runs: dict[str, list[History]], profile: str) -> pd.DataFrame:
    """The analog measured: each form of the data with its generator's arguments and ResNet-20's final test
    and training accuracy (mean ± std over seeds, points); the page's numbers glued."""
    rows, names = {}, {DEFAULT_DATA: "default", HARD_DATA: "hard", NOISY_DATA: "noisy"}
    for arm, hs in runs.items():
        cfg = grid.configs[arm][0]
        args = data_lib.MNIST1D_DEFAULTS if cfg.dataset == "mnist1d" else data_lib.MNIST1D_HARD
        test = final_accuracy(hs, CHANCE_ACC)
        train = np.array([100 * h.dropna(subset=["train_eval_acc"])["train_eval_acc"].iloc[-1] for h in hs])
        rows[arm] = {"shear / correlated noise / i.i.d. noise": " / ".join(f"{args[k]:g}" for k in GENERATOR_ARGS),
                     "training labels replaced": f"{100 * cfg.label_noise:g} %",
                     "test accuracy (%)": mean_std(test), "training accuracy (%)": mean_std(train)}
        glue.values({f"s3-analog-test-{names[arm]}": mean_std(test), f"s3-analog-train-{names[arm]}": mean_std(train)})
    base = grid.configs[HARD_DATA][0]
    glue.values({"s3-analog-noise": f"{100 * LABEL_NOISE:g}", "s3-analog-n-train": f"{base.n_train:,}",
                 "s3-analog-epochs": f"{base.steps * base.batch_size / base.n_train:.0f}",
                 "s3-analog-seeds": str(len(grid.configs[HARD_DATA])),
                 "s3-lr-scale": f"{LR_SCALE_3LAYER[profile]:g}"})
    return pd.DataFrame(rows).T


# --- Fig. 1: the LR range test -------------------------------------------------------------------------

@dataclass
class RangeTest:
    """The LR range test of Fig. 1 at one profile."""
    base: RunConfig
    start_lr: float
    end_lr: float
    steps: int
    mode: str
    eval_every: int
    seeds: tuple[int, ...]

    def all(self) -> list[RunConfig]:
        return [lr_finder.config(self.base.replace(seed=s), self.start_lr, self.end_lr, self.steps,
                                 self.mode, self.eval_every) for s in self.seeds]


def range_test_setup(profile: str, seeds=None, dataset: str | None = None, model: str | None = None) -> RangeTest:
    p = profiles.get(profile)
    # a reader's own dataset runs as it is; the analog with its noisy labels (it must have something to overfit)
    data = {"dataset": check_dataset(dataset)} if dataset else analog_data(p, noisy=True)
    model = check_model(model or p.pick("resnet20", "resnet20", "resnet56"))  # ResNet-56 at cpu: 5 CPU-min a test
    base = RunConfig(
        **data, model=model, momentum=0.9, weight_decay=1e-4, threads=p.threads, **p.accelerator,
        # not at the paper's batch share (common.at_paper_share): its tests read the test loss rising, which
        # takes passes over the training set (51 epochs here; 32 at the paper's share)
        n_train=p.pick(500, 4_000, 50_000), n_val=p.pick(500, 2_000, 10_000), n_test=p.pick(100, 1_000, 0),
        batch_size=p.pick(64, 128, 1_000),
    )
    return RangeTest(
        base=base,
        start_lr=p.pick(1e-3, 1e-4, 0.0), end_lr=p.pick(3.0, 3.0, 2.0),
        steps=p.pick(120, 1_600, 80_000), mode=p.pick("exp", "exp", "linear"),
        eval_every=p.pick(10, 40, 200),
        seeds=tuple(seeds) if seeds else p.paired_seeds,
    )


def run_range_tests(setup: RangeTest) -> list[History]:
    return sweep.run(setup.all(), desc="range tests")


def schedule_text(setup: RangeTest) -> str:
    """The range test's LR as a formula of the step t (the same in every language)."""
    if setup.mode == "exp":
        return f"lr(t) = {setup.start_lr:g} · {setup.end_lr / setup.start_lr:,.0f}^(t / {setup.steps:,})"
    return f"lr(t) = {setup.start_lr:g} + {setup.end_lr - setup.start_lr:g} · t / {setup.steps:,}"


def range_measures(histories: list[History]) -> tuple[dict, dict]:
    """The measures of Fig. 1's tests (one value per seed), and the rise on the mean of all seeds (for the
    figure and the page)."""
    evs = [lr_finder.evaluations(h) for h in histories]
    steps = np.array(sorted(set().union(*(set(ev["step"]) for ev in evs))))
    val, train = curve_matrix(evs, "val_loss", steps), curve_matrix(evs, "train_loss_smooth", steps)
    train_eval = curve_matrix(evs, "train_eval_loss", steps)
    val_f = np.where(np.isfinite(val), val, CHANCE_LOSS)
    gap = val_f - np.where(np.isfinite(train_eval), train_eval, CHANCE_LOSS)
    points = held_out(np.where(np.isfinite(val), val, np.inf), rise_points)
    rows = np.arange(len(evs))
    b, k, a = (np.array([p[j] for p in points]) for j in range(3))
    lp_val, lp_train = log_points(val), log_points(train)
    measures = {
        "fig-1 validation loss": {BEFORE: lp_val[rows, b], PEAK: lp_val[rows, k], AFTER: lp_val[rows, a]},
        "fig-1 change over the rise": {VAL: lp_val[rows, k] - lp_val[rows, b],
                                       TRAIN: lp_train[rows, k] - lp_train[rows, b]},
        "fig-1 fall after the rise": {VAL: val_f[rows, k] - val_f[rows, a], GAP: gap[rows, k] - gap[rows, a]},
    }
    lr = evs[int(np.argmax([len(ev) for ev in evs]))].set_index("step")["lr"].reindex(steps).to_numpy()
    with np.errstate(invalid="ignore"):
        mb, mk, ma = rise_points(np.where(np.isfinite(val), val, np.inf).mean(axis=0))
    mean_val = np.nanmean(val_f, axis=0)
    shown = {"lr": (lr[mb], lr[mk], lr[ma]), "val": (mean_val[mb], mean_val[mk], mean_val[ma]),
             "held_out_lr": [(lr[i], lr[j]) for i, j in zip(b, k)]}
    return measures, shown


def judge_range_test(setup: RangeTest, histories: list[History], profile: str) -> tuple[dict[str, verdicts.Verdict], list[dict]]:
    """Figs. 1a, 1b and Remark 1 decided; the page's numbers glued; the rise on the mean of all seeds returned
    as the figures' shaded window."""
    measures, shown = range_measures(histories)
    (lr_b, lr_k, lr_a), (v_b, v_k, v_a) = shown["lr"], shown["val"]
    m = {name: {arm: float(np.mean(x)) for arm, x in arms.items()} for name, arms in measures.items()}
    glue.values({
        "s3-rt-lr-before": f"{lr_b:.2g}", "s3-rt-lr-peak": f"{lr_k:.2g}", "s3-rt-lr-after": f"{lr_a:.2g}",
        "s3-rt-val-before": f"{v_b:.3f}", "s3-rt-val-peak": f"{v_k:.3f}", "s3-rt-val-after": f"{v_a:.3f}",
        "s3-rt-held-out": "; ".join(f"{i:.2g}–{j:.2g}" for i, j in shown["held_out_lr"]),
        "s3-rt-val-rise": f"{m['fig-1 change over the rise'][VAL]:+.1f}",
        "s3-rt-train-rise": f"{m['fig-1 change over the rise'][TRAIN]:+.1f}",
        "s3-rt-val-fall": f"{m['fig-1 fall after the rise'][VAL]:+.3f}",
        "s3-rt-gap-fall": f"{m['fig-1 fall after the rise'][GAP]:+.3f}",
    })
    judged = decide(tests("smith-fig-1a", "smith-fig-1b", "smith-remark-1"), measures, setup.base.n_val, profile)
    windows = [{"lr_start": lr_b, "lr_end": lr_k}] if lr_k > lr_b else []
    return judged, windows


def figure_1a(histories: list[History], setup: RangeTest, windows: list[dict], profile: str) -> None:
    evs = [lr_finder.evaluations(h) for h in histories]
    fig = plots.lr_range_test(histories, evs, windows, log_x=setup.mode == "exp")
    data, model = analog(setup.base)
    plots.publish(fig, "smith-fig-1a", profile, data, model, histories)


def figure_1b(histories: list[History], setup: RangeTest, windows: list[dict], profile: str) -> None:
    evs = [lr_finder.evaluations(h) for h in histories]
    fig = plots.generalization_error(evs, windows, log_x=setup.mode == "exp")
    data, model = analog(setup.base)
    plots.publish(fig, "smith-fig-1b", profile, data, model, histories)


# --- Fig. 2 and Remark 2: capacity ----------------------------------------------------------------------

@dataclass
class CapacitySweep:
    """The capacity sweep of Fig. 2 at one profile."""
    base: RunConfig
    widths: tuple[int, ...]
    seeds: tuple[int, ...]

    def all(self) -> list[RunConfig]:
        return [self.base.replace(model_kwargs={"width": w, "depth": 2}, seed=s)
                for w in self.widths for s in self.seeds]


def capacity_setup(profile: str, seeds=None, dataset: str | None = None) -> CapacitySweep:
    p = profiles.get(profile)
    data = {"dataset": check_dataset(dataset)} if dataset else {"dataset": ANALOG, "label_noise": LABEL_NOISE}
    base = RunConfig(
        **data, model="mlp", lr=0.05, momentum=0.9, weight_decay=0.0, batch_size=100,
        # enough samples that the sweep has both ends: on 1,000 noisy samples of the analog every width memorises
        # and the test loss is lowest at the narrowest, so Remark 2 would compare that end with itself
        n_train=p.pick(300, 10_000, 10_000), n_val=p.pick(500, 2_000, 2_000), n_test=p.pick(100, 1_000, 1_000),
        steps=p.pick(150, 3_000, 3_000), eval_every=p.pick(150, 3_000, 3_000), threads=1, **p.accelerator,
    )
    widths = p.pick((4, 32, 256), (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
                    (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024))
    return CapacitySweep(base, widths, tuple(seeds) if seeds else p.paired_seeds)


def run_capacity_sweep(setup: CapacitySweep) -> tuple[pd.DataFrame, list[History]]:
    """One row per (width, seed): the final training loss (eval mode, on a training subset), validation
    loss and accuracy; a diverged run scores the uniform prediction's loss and accuracy."""
    configs = setup.all()
    histories = sweep.run(configs, desc="capacity sweep")
    rows = []
    for cfg, h in zip(configs, histories):
        last = h.dropna(subset=["val_loss"]).iloc[-1]
        ok = h.attrs.get("status", "ok") == "ok"
        rows.append({"width": cfg.model_kwargs["width"], "seed": cfg.seed,
                     "train_loss": last["train_eval_loss"] if ok else CHANCE_LOSS,
                     "val_loss": last["val_loss"] if ok else CHANCE_LOSS,
                     "val_acc": last["val_acc"] if ok else CHANCE_ACC / 100,
                     "train_acc": last["train_eval_acc"] if ok else CHANCE_ACC / 100})
    return pd.DataFrame(rows), histories


def capacity_measures(table: pd.DataFrame) -> tuple[dict, list[int]]:
    """Remark 2's accuracies (points, one per seed): at the width where the *other* seeds' mean test loss is
    lowest, at the smallest and at the largest width; and the width chosen for each seed."""
    loss = table.pivot(index="seed", columns="width", values="val_loss").sort_index(axis=1)
    acc = 100 * table.pivot(index="seed", columns="width", values="val_acc").reindex_like(loss)
    widths = loss.columns.to_numpy()
    chosen = [int(widths[i]) for i in held_out(loss.to_numpy(), lambda v: int(np.argmin(v)))]
    rows = range(len(loss))
    values = {BOTTOM: np.array([acc.iloc[r][w] for r, w in zip(rows, chosen)]),
              SMALLEST: acc[widths[0]].to_numpy(), LARGEST: acc[widths[-1]].to_numpy()}
    return values, chosen


def judge_capacity(setup: CapacitySweep, table: pd.DataFrame, profile: str) -> dict[str, verdicts.Verdict]:
    values, chosen = capacity_measures(table)
    glue.values({"s3-cap-acc-bottom": mean_std(values[BOTTOM], 1), "s3-cap-acc-smallest": mean_std(values[SMALLEST], 1),
                 "s3-cap-acc-largest": mean_std(values[LARGEST], 1),
                 "s3-cap-chosen": ", ".join(str(w) for w in chosen)})
    return decide(tests("smith-remark-2"), {ACCURACY: values}, setup.base.n_val, profile)


def illustrate_fig_2() -> verdicts.Verdict:
    return illustrate("smith-fig-2", FIG_2_CLAIM, FIG_2_WHY)


@dataclass
class PolynomialSweep:
    """Least-squares fits of degree 1…15 (Legendre basis) to ``n_train`` noisy samples of
    :math:`f(x) = \\sin(\\pi x) + \\tfrac12\\cos(3\\pi x)` on [-1, 1]; the loss is the mean squared error."""
    degrees: tuple[int, ...]
    n_train: int
    n_test: int
    noise: float
    seeds: tuple[int, ...]


def polynomial_setup(profile: str, seeds=None) -> PolynomialSweep:
    p = profiles.get(profile)
    return PolynomialSweep(tuple(range(1, 16)), 30, 1_000, 0.3,
                           tuple(seeds) if seeds else tuple(range(p.pick(5, 20, 20))))


def run_polynomial_sweep(setup: PolynomialSweep) -> pd.DataFrame:
    """One row per (degree, seed): training and test mean squared error. (Milliseconds: not cached.)"""
    from numpy.polynomial import legendre

    def f(x):
        return np.sin(np.pi * x) + 0.5 * np.cos(3 * np.pi * x)

    rows = []
    for seed in setup.seeds:
        rng = np.random.default_rng(seed)
        x, x_test = rng.uniform(-1, 1, setup.n_train), rng.uniform(-1, 1, setup.n_test)
        y, y_test = f(x) + rng.normal(0, setup.noise, x.shape), f(x_test) + rng.normal(0, setup.noise, x_test.shape)
        for degree in setup.degrees:
            coef = legendre.legfit(x, y, degree)
            rows.append({"degree": degree, "seed": seed,
                         "train_loss": np.mean((legendre.legval(x, coef) - y) ** 2),
                         "val_loss": np.mean((legendre.legval(x_test, coef) - y_test) ** 2)})
    return pd.DataFrame(rows)


def glue_capacity(poly_table: pd.DataFrame, mlp_table: pd.DataFrame) -> None:
    """What the two sweeps measured (medians over draws for the polynomials, means over seeds for the MLPs)."""
    poly = poly_table.groupby("degree")[["train_loss", "val_loss"]].median()
    mlp = mlp_table.groupby("width")[["train_loss", "val_loss", "val_acc"]].mean()
    glue.values({
        "s3-poly-best": str(int(poly["val_loss"].idxmin())), "s3-poly-min": f"{poly['val_loss'].min():.3f}",
        "s3-poly-first": f"{poly['val_loss'].iloc[0]:.3f}", "s3-poly-last": f"{poly['val_loss'].iloc[-1]:.3f}",
        "s3-mlp-best": str(int(mlp["val_loss"].idxmin())), "s3-mlp-min": f"{mlp['val_loss'].min():.3f}",
        "s3-mlp-first": f"{mlp['val_loss'].iloc[0]:.3f}", "s3-mlp-last": f"{mlp['val_loss'].iloc[-1]:.3f}",
        "s3-mlp-train-first": f"{mlp['train_loss'].iloc[0]:.3f}", "s3-mlp-train-last": f"{mlp['train_loss'].iloc[-1]:.3f}",
        "s3-mlp-best-acc-width": str(int(mlp["val_acc"].idxmax())), "s3-mlp-best-acc": f"{100 * mlp['val_acc'].max():.1f}",
    })


def figure_2(poly_table: pd.DataFrame, mlp_table: pd.DataFrame, histories: list[History],
             setup: CapacitySweep, profile: str) -> None:
    best_degree = int(poly_table.groupby("degree")["val_loss"].median().idxmin())
    fig = plots.capacity_tradeoff(poly_table, mlp_table, best_degree)
    data, _ = analog(setup.base)
    plots.publish(fig, "smith-fig-2", profile, f"noisy polynomial data; {data}", "polynomials; MLP (2 hidden layers)",
                  histories)


# --- settings, as the page states them ---------------------------------------------------------------------

def glue_settings(range_test: RangeTest, poly: PolynomialSweep, capacity: CapacitySweep, grid_3a: Grid,
                  grid_3b: Grid, grid_4a: Grid, grid_4b: Grid) -> None:
    """Every run setting the page states, glued from the configs of this profile."""
    rt, cap = range_test.base, capacity.base
    data, model = analog(rt)
    cap_data, _ = analog(cap)
    c3a, c3b, c4a, c4b = (g.all()[0] for g in (grid_3a, grid_3b, grid_4a, grid_4b))
    glue.values({f"s3-{fig}-{key}": name for fig, cfg in (("3a", c3a), ("4a", c4a), ("4b", c4b))
                 for key, name in zip(("data", "model"), analog(cfg))})
    glue.values({
        "s3-log-margin": f"{LOG_LOSS_MARGIN:g}", "s3-nats-margin": f"{NATS_MARGIN:g}",
        "s3-rt-data": data, "s3-rt-model": model, "s3-rt-n-train": f"{rt.n_train:,}", "s3-rt-n-val": f"{rt.n_val:,}",
        "s3-rt-batch": f"{rt.batch_size:,}", "s3-rt-steps": f"{range_test.steps:,}",
        "s3-rt-schedule": schedule_text(range_test), "s3-rt-seeds": str(len(range_test.seeds)),
        "s3-poly-degrees": f"{poly.degrees[0]}–{poly.degrees[-1]}", "s3-poly-n": str(poly.n_train),
        "s3-poly-draws": str(len(poly.seeds)), "s3-cap-data": cap_data,
        "s3-cap-widths": f"{capacity.widths[0]}–{capacity.widths[-1]}", "s3-cap-n-train": f"{cap.n_train:,}",
        "s3-cap-n-val": f"{cap.n_val:,}", "s3-cap-steps": f"{cap.steps:,}", "s3-cap-lr": f"{cap.lr:g}",
        "s3-cap-seeds": str(len(capacity.seeds)),
        "s3-3a-n-train": f"{c3a.n_train:,}", "s3-3a-steps": f"{c3a.steps:,}",
        "s3-3a-batch": f"{c3a.batch_size:,}", "s3-3a-seeds": str(len(grid_3a.configs[lr_arm(GOOD_LR)])),
        "s3-3b-n-train": f"{c3b.n_train:,}", "s3-3b-data": analog(c3b)[0], "s3-3b-steps": f"{c3b.steps:,}",
        "s3-3b-batch": " / ".join(dict.fromkeys(f"{c.batch_size:,}" for c in grid_3b.all())),  # ImageNet: 128 / 112
        "s3-3b-epochs": f"{c3b.steps * c3b.batch_size / c3b.n_train:.1f}",
        "s3-3b-seeds": str(len(grid_3b.configs[DEEP])),
        "s3-3b-shallow": analog(grid_3b.configs[SHALLOW][0])[1], "s3-3b-deep": analog(grid_3b.configs[DEEP][0])[1],
        "s3-4a-n-train": f"{c4a.n_train:,}", "s3-4a-end": f"{c4a.lr['end_lr']:g}", "s3-4a-steps": f"{c4a.steps:,}",
        "s3-4a-batch": f"{c4a.batch_size:,}", "s3-4a-seeds": str(len(grid_4a.configs[wd_arm(GOOD_WD)])),
        "s3-4a-seeds-drawn": str(len(grid_4a.configs[wd_arm(RANGE_WDS[-1])])),
        "s3-4b-n-train": f"{c4b.n_train:,}", "s3-4b-steps": f"{c4b.steps:,}", "s3-4b-batch": f"{c4b.batch_size:,}",
        "s3-4b-epochs": f"{c4b.steps * c4b.batch_size / c4b.n_train:.0f}",
        "s3-4b-seeds": str(len(grid_4b.configs[ONE_CYCLE])),
    })


def settings_table(range_test: RangeTest) -> pd.DataFrame:
    """Fig. 1's settings beside the paper's."""
    data, model = analog(range_test.base)
    return pd.DataFrame({
        "paper (Fig. 1)": ["CIFAR-10", "ResNet-56", "lr(t) = 2 · t / 80,000 [log range2SS80kRes56LR]",
                           "1000", "0.9 / 1e-4", "1 run"],
        "ours (Fig. 1)": [data, model, schedule_text(range_test), str(range_test.base.batch_size), "0.9 / 1e-4",
                          f"{len(range_test.seeds)} seeds"],
    }, index=["dataset", "model", "LR range test", "batch size", "momentum / WD", "runs"])


# --- §3.2 underfitting (Figs. 3a, 3b) and §3.3 overfitting (Figs. 4a, 4b) --------------------------------

def underfitting_setup(profile: str, seeds=None) -> Grid:
    """Fig. 3a. Paper (§3.2): the 3-layer net on CIFAR-10 at LR 0.001 (red) and 0.004 (blue); WD 4e-3,
    momentum 0.9 and 60k iterations are read from the author's jobs (``3layer1``) [I]. Our LRs are the paper's
    times the 3-layer net's scale (:data:`~hp_lib.experiments.common.LR_SCALE_3LAYER`), as in every experiment."""
    p, k = profiles.get(profile), LR_SCALE_3LAYER[profile]
    base = at_paper_share(p, RunConfig(
        **analog_data(p), model="three_layer", momentum=0.9, weight_decay=4e-3, n_train=p.pick(500, 4_000, 50_000),
        n_val=p.pick(500, 2_000, 10_000), n_test=p.pick(100, 1_000, 0), batch_size=p.pick(64, 128, 100),
        steps=p.pick(150, 4_500, 60_000), eval_every=p.pick(15, 200, 1_000), train_probe=False, threads=p.threads,
        **p.accelerator), paper_batch=100)
    return over_seeds({lr_arm(lr): base.replace(lr=lr * k) for lr in (UNDERFIT_LR, GOOD_LR)},
                      tuple(seeds) if seeds else p.paired_seeds)


def capacity_models_setup(profile: str, seeds=None) -> Grid:
    """Fig. 3b. Paper: ResNet-50 vs Inception-ResNet-v2 on ImageNet, the first 100k iterations (≈ 3 epochs), which
    the full profile runs: the author's baseline solver (the logs SOURCES §1.4 reads at 100k), tested every 2,500
    iterations. Analog (the CPU profiles): ResNet-20 against the deeper ResNet-56 on the largest set of the analog,
    3 epochs, where both still underfit."""
    p = profiles.get(profile)
    if p.name == "full":
        base = imagenet_config(p, "resnet50", steps=100_000, eval_every=2_500, **IMAGENET_STANDARD)
        return over_seeds({SHALLOW: base, DEEP: base.replace(model="inception_resnet_v2",
                                                            batch_size=IMAGENET_BATCH["inception_resnet_v2"])},
                          tuple(seeds) if seeds else p.paired_seeds)
    n_train = p.pick(1_000, 50_000, 50_000)  # the claim's three epochs, of the largest set (not the paper's share)
    base = RunConfig(dataset=ANALOG, n_train=n_train, n_val=p.pick(500, 5_000, 10_000),
                     n_test=p.pick(100, 1_000, 1_000), lr=0.1, momentum=0.9, weight_decay=1e-4, batch_size=128,
                     steps=3 * n_train // 128, eval_every=p.pick(5, 100, 100), train_probe=False, threads=p.threads,
                     **p.accelerator)
    return over_seeds({SHALLOW: base.replace(model="resnet20"), DEEP: base.replace(model="resnet56")},
                      tuple(seeds) if seeds else p.paired_seeds)


def weight_decay_range_setup(profile: str, seeds=None) -> Grid:
    """Fig. 4a. Paper: LR range tests of the 3-layer net on CIFAR-10 from 0 to 0.01 over 20k iterations,
    momentum 0.9, at WD 1e-4, 4e-3 and 1e-2 (jobs ``rng3layer``) [I]. Our range goes as much further as the
    3-layer net's LRs are scaled (:data:`~hp_lib.experiments.common.LR_SCALE_3LAYER`). The test compares
    WD 1e-4 and 4e-3 (paired seeds); WD 1e-2 is drawn only (the profile's figure seeds)."""
    p = profiles.get(profile)
    # not at the paper's batch share (common.at_paper_share): the test reads the test loss rising, which takes
    # passes over the training set (80 epochs here; 5 at the paper's share)
    base = RunConfig(**analog_data(p, noisy=True), model="three_layer", momentum=0.9,
                     n_train=p.pick(500, 4_000, 50_000), n_val=p.pick(500, 2_000, 10_000), n_test=p.pick(100, 1_000, 0),
                     batch_size=p.pick(64, 128, 100), train_probe=False, threads=p.threads, **p.accelerator)
    steps, end = p.pick(120, 2_500, 20_000), 0.01 * LR_SCALE_3LAYER[profile]
    # the two weight decays the test compares run the paired seeds; WD 1e-2, only drawn, the figures' seeds
    tested = tuple(seeds) if seeds else p.paired_seeds
    drawn = tuple(seeds) if seeds else p.seeds
    return Grid({wd_arm(wd): [lr_finder.config(base.replace(weight_decay=wd, seed=s), 0.0, end, steps, "linear",
                                               p.pick(10, 80, 200))
                              for s in (tested if wd in (OVERFIT_WD, GOOD_WD) else drawn)]
                 for wd in RANGE_WDS})


def overfitting_setup(profile: str, seeds=None) -> Grid:
    """Fig. 4b. Paper: ResNet-50 on ImageNet, the standard schedule (LR 0.1, WD 1e-4: underfitting) against a
    1cycle policy with a very small WD 1e-7 (overfitting); the author's 1cycle solvers go from LR 0.05 to 1.0
    with momentum 0.95 → 0.85. The full profile runs the shortest of his WD 1e-7 solvers (bsolver4: 100,000
    iterations, stepsize 35,000) against the baseline solver over as many iterations. Analog (the CPU profiles):
    a small training set, where a network can overfit, ResNet-20 on 1,000 MNIST-1D samples for 1,000 iterations
    (128 epochs)."""
    p = profiles.get(profile)
    if p.name == "full":
        base = imagenet_config(p, "resnet50", steps=100_000, eval_every=2_500)
        policy = caffe_1cycle(0.05, 1.0, 35_000, 0.95, 0.85, "lr")
        return over_seeds({STANDARD: base.replace(**IMAGENET_STANDARD),
                           ONE_CYCLE: base.replace(lr=policy, momentum={**policy, "select": "momentum"},
                                                   weight_decay=1e-7)},
                          tuple(seeds) if seeds else p.paired_seeds)
    steps = p.pick(60, 1_000, 1_000)
    policy = {"name": "caffe_one_cycle", "base_lr": 0.05, "max_lr": 1.0, "stepsize": steps * 45 // 100,
              "momentum": 0.95, "min_momentum": 0.85}
    base = RunConfig(dataset=ANALOG, label_noise=LABEL_NOISE, model="resnet20", n_train=p.pick(500, 1_000, 1_000),
                     n_val=p.pick(200, 2_000, 2_000), n_test=100, batch_size=128, steps=steps,
                     eval_every=p.pick(10, 50, 50), train_probe=False, threads=p.threads, **p.accelerator)
    return over_seeds({STANDARD: base.replace(lr=0.1, momentum=0.9, weight_decay=1e-4),
                       ONE_CYCLE: base.replace(lr={**policy, "select": "lr"}, momentum={**policy, "select": "momentum"},
                                               weight_decay=1e-7)},
                      tuple(seeds) if seeds else p.paired_seeds)


def _evaluations(h: History) -> pd.DataFrame:
    """The evaluations of a run after its first step (the untrained net's evaluation left out)."""
    ev = h.dropna(subset=["val_loss"])
    return ev[ev["step"] >= 0]


def _loss_at(h: History, step: int, chance: float = CHANCE_LOSS) -> float:
    """The test loss at the evaluation nearest ``step``; a run that diverged before it scores the uniform
    prediction's loss, ``chance``."""
    ev = _evaluations(h)
    if h.attrs.get("status", "ok") != "ok" and (not len(ev) or ev["step"].iloc[-1] < step):
        return chance
    return float(ev["val_loss"].iloc[int(np.argmin(np.abs(ev["step"].to_numpy() - step)))])


def late_falls(runs: dict[str, list[History]], steps: int, chance: float = CHANCE_LOSS) -> dict[str, np.ndarray]:
    """Fig. 3a: how much each run's test loss falls over the last quarter of training (log-points)."""
    def at_(h, step):
        return log_points(_loss_at(h, step, chance), chance)

    return {arm: np.array([at_(h, 3 * steps // 4) - at_(h, steps) for h in hs]) for arm, hs in runs.items()}


def late_rises(runs: dict[str, list[History]], chance: float = CHANCE_LOSS) -> dict[str, np.ndarray]:
    """Fig. 4b: how far each run's test loss ends above its lowest point (log-points), the point chosen on
    the mean of the other seeds of the same arm."""
    out = {}
    for arm, hs in runs.items():
        evs = [_evaluations(h) for h in hs]
        steps = np.array(sorted(set().union(*(set(ev["step"]) for ev in evs))))
        loss = curve_matrix(evs, "val_loss", steps)
        lowest = held_out(np.where(np.isfinite(loss), loss, np.inf), lambda v: int(np.argmin(v)))
        final = log_points(final_loss(hs, chance), chance)
        out[arm] = final - log_points(loss[np.arange(len(hs)), lowest], chance)
    return out


def lowest_losses(runs: dict[str, list[History]]) -> dict[str, np.ndarray]:
    """Fig. 4a: each range test's lowest test loss (log-points)."""
    def lowest(h):
        v = _evaluations(h)["val_loss"].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        return v.min() if len(v) else CHANCE_LOSS

    return {arm: log_points([lowest(h) for h in hs]) for arm, hs in runs.items()}


def _final_losses(runs: dict[str, list[History]], chance: float = CHANCE_LOSS) -> dict[str, np.ndarray]:
    return {arm: final_loss(hs, chance) for arm, hs in runs.items()}


def judge_3a(grid: Grid, runs: dict[str, list[History]], profile: str) -> dict[str, verdicts.Verdict]:
    cfg = grid.all()[0]
    falls, finals = late_falls(runs, cfg.steps), _final_losses(runs)
    glue.values({f"s3-3a-{key}-{name}": mean_std(values[lr_arm(lr)], digits)
                 for key, values, digits in (("fall", falls, 1), ("loss", finals, 3))
                 for name, lr in (("small", UNDERFIT_LR), ("good", GOOD_LR))})
    return decide(tests("smith-fig-3a"), {"late fall": falls}, cfg.n_val, profile)


def judge_3b(grid: Grid, runs: dict[str, list[History]], profile: str) -> dict[str, verdicts.Verdict]:
    chance, steps = chance_loss(grid), grid.all()[0].steps
    finals, falls = _final_losses(runs, chance), late_falls(runs, steps, chance)
    glue.values({"s3-3b-loss-shallow": mean_std(finals[SHALLOW], 3), "s3-3b-loss-deep": mean_std(finals[DEEP], 3),
                 "s3-3b-fall-shallow": mean_std(falls[SHALLOW]), "s3-3b-fall-deep": mean_std(falls[DEEP])})
    loss_at = {at(net, point): np.array([log_points(_loss_at(h, step, chance), chance) for h in runs[net]])
               for net in (SHALLOW, DEEP) for point, step in ((THREE_QUARTERS, 3 * steps // 4), (END_OF_RUN, steps))}
    measure = {arm: log_points(x, chance) for arm, x in finals.items()}
    return decide(tests("smith-fig-3b"), {"final loss": measure, "loss at": loss_at}, grid.all()[0].n_val, profile)


def changes_after_lowest(histories: list[History]) -> dict[str, np.ndarray]:
    """Fig. 4a: how the test loss and the training loss (smoothed minibatch loss) change, in log-points, from
    the test loss's lowest point to the end of the range test's stable part (before it blows up); both points
    chosen on the mean of the other seeds."""
    evs = [lr_finder.evaluations(h) for h in histories]
    steps = np.array(sorted(set().union(*(set(ev["step"]) for ev in evs))))
    val, train = curve_matrix(evs, "val_loss", steps), curve_matrix(evs, "train_loss_smooth", steps)
    finite = np.where(np.isfinite(val), val, np.inf)
    lowest = np.array(held_out(finite, lambda v: int(np.argmin(v))))
    end = np.array(held_out(finite, lambda v: len(stable_part(pd.DataFrame({"val_loss": v}))) - 1))
    end = np.maximum(end, lowest)
    rows = np.arange(len(evs))
    lp_val, lp_train = log_points(val), log_points(train)
    return {VAL: lp_val[rows, end] - lp_val[rows, lowest], TRAIN: lp_train[rows, end] - lp_train[rows, lowest]}


def judge_4a(grid: Grid, runs: dict[str, list[History]], profile: str) -> dict[str, verdicts.Verdict]:
    lowest = lowest_losses(runs)
    after = changes_after_lowest(runs[wd_arm(OVERFIT_WD)])
    glue.values({f"s3-4a-min-{sci(wd)}": mean_std(np.exp(lowest[wd_arm(wd)] / 100), 3) for wd in RANGE_WDS})
    glue.values({"s3-4a-val-after": mean_std(after[VAL]), "s3-4a-train-after": mean_std(after[TRAIN])})
    return decide(tests("smith-fig-4a"), {"lowest loss": lowest, "fig-4a change after the lowest point": after},
                  grid.all()[0].n_val, profile)


def judge_4b(grid: Grid, runs: dict[str, list[History]], profile: str) -> dict[str, verdicts.Verdict]:
    rises, finals = late_rises(runs, chance_loss(grid)), _final_losses(runs, chance_loss(grid))
    glue.values({"s3-4b-rise-standard": mean_std(rises[STANDARD], 1), "s3-4b-rise-cycle": mean_std(rises[ONE_CYCLE], 1),
                 "s3-4b-loss-standard": mean_std(finals[STANDARD], 3), "s3-4b-loss-cycle": mean_std(finals[ONE_CYCLE], 3)})
    return decide(tests("smith-fig-4b"), {"late rise": rises}, grid.all()[0].n_val, profile)


def figure_3a(runs: dict[str, list[History]], grid: Grid, profile: str) -> None:
    publish_grid(plots.curves(runs, colors=["#d62728", "#1f77b4"]), "smith-fig-3a", grid, runs, profile)


def figure_3b(runs: dict[str, list[History]], grid: Grid, profile: str) -> None:
    named = {analog(grid.configs[arm][0])[1]: hs for arm, hs in runs.items()}  # the networks that ran, by name
    publish_grid(plots.curves(named), "smith-fig-3b", grid, runs, profile)


def figure_4a(runs: dict[str, list[History]], grid: Grid, profile: str) -> None:
    # the paper's colours: WD 1e-4 blue, 4e-3 red, 1e-2 yellow
    publish_grid(range_test_figure(runs, colors=["#1f77b4", "#d62728", "#e5ae38"]), "smith-fig-4a", grid, runs, profile)


def figure_4b(runs: dict[str, list[History]], grid: Grid, profile: str) -> None:
    # the paper's colours: the standard schedule blue, WD 1e-7 red
    # log scale: the early spikes of the large learning rate would otherwise hide the late rise
    fig = plots.curves(runs, colors=["#1f77b4", "#d62728"], log_y=True, ylabel="test (validation) loss (log scale)")
    publish_grid(fig, "smith-fig-4b", grid, runs, profile)


CHAPTER = Chapter("smith-test-loss", (
    Experiment("the analog, measured", (), analog_setup),
    Experiment("the LR range test", ("smith-fig-1a", "smith-fig-1b", "smith-remark-1"), range_test_setup,
               tests("smith-fig-1a", "smith-fig-1b", "smith-remark-1"), options=("dataset", "model")),
    Experiment("capacity: polynomial fits and MLP widths", ("smith-fig-2", "smith-remark-2"), capacity_setup,
               tests("smith-remark-2")),
    Experiment("underfitting: a too small LR", ("smith-fig-3a",), underfitting_setup, tests("smith-fig-3a")),
    Experiment("underfitting: a too small network", ("smith-fig-3b",), capacity_models_setup, tests("smith-fig-3b")),
    Experiment("LR range tests over weight decays", ("smith-fig-4a",), weight_decay_range_setup, tests("smith-fig-4a")),
    Experiment("overfitting: a too small weight decay", ("smith-fig-4b",), overfitting_setup, tests("smith-fig-4b")),
))
