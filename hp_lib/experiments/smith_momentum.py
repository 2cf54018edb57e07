"""Smith (2018) §4.3, cyclical momentum: Figs. 7a–7d, 8a, 8b, Table 1 and Remark 5.

The paper's settings (SOURCES §1.4–1.5, from the text and the author's jobs):

* Fig. 7, the 3-layer net on CIFAR-10 at WD 4e-3: (a) LR range tests 0 → 0.02 at momentum 0.99, 0.9 and
  0.7; (b) a momentum range test 0.7 → 1.0 at a fixed LR; (c) LR range tests 0.002 → 0.02 at constant
  momentum 0.9, momentum rising 0.8 → 1.0, and falling 0.95 → 0.8 and 0.97 → 0.7; (d) 20k iterations at
  LR 0.005 divided by 3.16 at 50, 75, 87.5 and 93.75 % of the run, at constant momentum or with momentum
  moving linearly over the run (0.95 → 0.85, 0.9 → 1.0).
* Fig. 8a, ResNet-56 at WD 5e-5: 1cycle LR 0.1 → 1.0 over 45 % of 20k iterations and back, with constant
  momentum 0.9, momentum falling 0.95 → 0.85 while the LR rises, or rising 0.85 → 0.95.
* Fig. 8b: Fig. 6a's batch sizes with cyclical momentum 0.95 → 0.85.
* Table 1: 3-layer net (WD 3e-3, TBS 128, 25 epochs) and ResNet-56 (WD 1e-4, TBS 512, 95 epochs), each with
  a 1cycle LR (0.0005–0.005, stepsize 11 epochs; 0.08–0.8, stepsize 41 epochs) or a constant LR (0.005;
  0.1), crossed with five momentum settings.

On the CPU, the 3-layer net and ResNet-20 run with 1-D convolutions on the analog (the harder MNIST-1D). Every
3-layer learning rate below is the paper's times :data:`~hp_lib.experiments.common.LR_SCALE_3LAYER` (its LR
range test, Fig. 4a, stays stable that much further); ResNet-20 uses the paper's ResNet learning rates as they
are. Momentum values are always the paper's.

Every item is a test (``TESTS``), fixed before any run with the paper's own arms. The arms a test reads run
on the profile's paired seeds; the curves drawn only in a figure (momentum 0.7 in Fig. 7a, 0.97 → 0.7 in
Fig. 7c, 0.9 → 1.0 in Fig. 7d, the middle batch sizes of Fig. 8b, the untested 3-layer rows of Table 1)
keep the profile's seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import glue, lr_finder, plots, profiles, verdicts
from ..lr_finder import stable_part
from ..train import History, RunConfig
from . import smith_batch_size
from .chapter import Chapter, Experiment
from .common import (ACCURACY, LOG_LOSS_MARGIN, LR_SCALE_3LAYER, WHY_LOG_LOSS_MARGIN, AllOf, Grid, Test, analog,
                     analog_data, at_paper_share, caffe_1cycle, decide,
                     final_accuracy, final_stats, glue_arms, publish_grid, ramp, range_test_figure, run_grid)

CHANCE = 10.0  # ten classes: the accuracy of a diverged run

# --- the variants, as data ----------------------------------------------------------------------------------

RANGE_MOMENTA = (0.99, 0.9, 0.7)  # Fig. 7a: the paper's three LR range tests (0.99 yellow, 0.9 blue)
# Fig. 7c: label -> momentum at the start and at the end of the LR range test
CYCLICAL_RANGE = {"constant 0.9": (0.9, 0.9), "rising 0.8 → 1.0": (0.8, 1.0),
                  "falling 0.95 → 0.8": (0.95, 0.8), "falling 0.97 → 0.7": (0.97, 0.7)}
# Fig. 7d: label -> momentum at the start and at the end of the run
STEP_MOMENTA = {"constant 0.85": (0.85, 0.85), "constant 0.9": (0.9, 0.9), "constant 0.95": (0.95, 0.95),
                "cyclical 0.95 → 0.85": (0.95, 0.85), "cyclical 0.9 → 1.0": (0.9, 1.0)}
# Fig. 8a: label -> momentum at the start of the cycle and at its peak LR
ONE_CYCLE_MOMENTA = {"constant 0.9": (0.9, 0.9), "falling 0.95 → 0.85": (0.95, 0.85),
                     "rising 0.85 → 0.95": (0.85, 0.95)}
FIG_8B_MIN_MOMENTUM = 0.85  # Fig. 8b: Fig. 6a's runs with the momentum cycling 0.95 → 0.85


def momentum_arm(m: float) -> str:
    """Fig. 7a's arm: the LR range test at constant momentum ``m``."""
    return f"momentum {m}"


MOMENTUM_RANGE = "momentum 0.7 → 1.0"  # Fig. 7b's one range test


@dataclass(frozen=True)
class LRColumn:
    """A learning-rate column of Table 1: its text in the paper and its schedule (a constant LR, or a 1cycle's
    (base, max))."""
    text: str
    value: float | tuple[float, float]

    @property
    def cyclical(self) -> bool:
        return isinstance(self.value, tuple)


# Table 1's blocks: architecture -> (1cycle LR column, constant LR column), as the paper prints them
TABLE_1_LR = {"3-layer": (LRColumn("0.0005-0.005/11", (0.0005, 0.005)), LRColumn("0.005", 0.005)),
              "resnet-56": (LRColumn("0.08-0.80/41", (0.08, 0.8)), LRColumn("0.1", 0.1))}
CYCLE, CONSTANT = 0, 1  # the index of the column in TABLE_1_LR
# Table 1's momentum column: its text -> momentum at the start of the cycle and at its peak LR
MOMENTA = {"0.95-0.85": (0.95, 0.85), "0.90-1.00": (0.9, 1.0), "0.85": (0.85, 0.85), "0.90": (0.9, 0.9),
           "0.95": (0.95, 0.95)}
# the paper's Table 1: (architecture, LR column, momentum column) -> accuracy (%), std
PAPER_TABLE_1 = {
    ("3-layer", "0.0005-0.005/11", "0.95-0.85"): (81.3, 0.1), ("3-layer", "0.0005-0.005/11", "0.90-1.00"): (80.2, 0.1),
    ("3-layer", "0.0005-0.005/11", "0.85"): (79.5, 0.1), ("3-layer", "0.0005-0.005/11", "0.90"): (80.2, 0.4),
    ("3-layer", "0.0005-0.005/11", "0.95"): (81.2, 0.2),
    ("3-layer", "0.005", "0.95-0.85"): (80.8, 0.3), ("3-layer", "0.005", "0.90-1.00"): (80.9, 0.3),
    ("3-layer", "0.005", "0.85"): (80.2, 0.3), ("3-layer", "0.005", "0.90"): (81.0, 0.2),
    ("3-layer", "0.005", "0.95"): (81.0, 0.1),
    ("resnet-56", "0.08-0.80/41", "0.95-0.85"): (92.0, 0.2), ("resnet-56", "0.08-0.80/41", "0.90-1.00"): (91.4, 0.1),
    ("resnet-56", "0.08-0.80/41", "0.85"): (90.8, 0.3), ("resnet-56", "0.08-0.80/41", "0.90"): (91.4, 0.3),
    ("resnet-56", "0.08-0.80/41", "0.95"): (92.1, 0.1),
    ("resnet-56", "0.1", "0.95-0.85"): (89.1, 0.3), ("resnet-56", "0.1", "0.90-1.00"): (88.1, 0.5),
    ("resnet-56", "0.1", "0.85"): (87.8, 0.3), ("resnet-56", "0.1", "0.90"): (88.1, 0.1),
    ("resnet-56", "0.1", "0.95"): (88.8, 0.3),
}


def table_row(arch: str, lr: int, momentum: str) -> tuple[str, str, str]:
    """Table 1's row (architecture, LR column, momentum column); ``lr`` is CYCLE or CONSTANT."""
    return arch, TABLE_1_LR[arch][lr].text, momentum


def row_arm(row: tuple[str, str, str]) -> str:
    """The arm (and grid label) of a Table 1 row."""
    return " | ".join(row)


def _paper_diff(treated: tuple[str, str, str], baseline: tuple[str, str, str]) -> float:
    return round(PAPER_TABLE_1[treated][0] - PAPER_TABLE_1[baseline][0], 2)


DEEP_CM = table_row("resnet-56", CYCLE, "0.95-0.85")  # cyclical LR and cyclical momentum, the paper's best
DEEP_OTHERS = tuple(table_row("resnet-56", lr, m) for lr in (CYCLE, CONSTANT) for m in MOMENTA
                    if table_row("resnet-56", lr, m) != DEEP_CM)
SHALLOW_CM = table_row("3-layer", CYCLE, "0.95-0.85")
# the 3-layer net's "optimal constant values": the paper's constant LR 0.005 with its constant momentum 0.95 (the
# 3-layer setting of its Figs. 9 and 12; tied best of the table's constant rows)
SHALLOW_CONSTANT = table_row("3-layer", CONSTANT, "0.95")
# Remark 5, with a constant LR: a large constant momentum against the table's smallest, in both networks
R5_LARGE, R5_SMALL = "0.95", "0.85"
R5_ARMS = {m: f"constant LR, momentum {m}" for m in (R5_LARGE, R5_SMALL)}
R5_ROWS = {m: tuple(table_row(arch, CONSTANT, m) for arch in TABLE_1_LR) for m in (R5_LARGE, R5_SMALL)}
R5_PAPER = round(float(np.mean([_paper_diff(a, b) for a, b in zip(R5_ROWS[R5_LARGE], R5_ROWS[R5_SMALL])])), 2)

# --- the tests -------------------------------------------------------------------------------------------------

# Readings of a range test (one number per seed), each on the evaluations before the run blows up
# (hp_lib.lr_finder.stable_part), their test loss smoothed over three evaluations.
LR_OF_LOWEST_LOSS = "log10 LR of the lowest test loss"
LOG_LOSS = "100 ln test loss"
LR_MARGIN = math.log10(2)
WHY_LR_MARGIN = ("a factor of two in learning rate: a third of the tenfold shift that the effective learning rate "
                 "η/(1 − μ) predicts between momentum 0.9 and 0.99")
MIDDLE, END = "middle of the stable part", "end of the stable part"  # Fig. 7b's two readings of one run
CYCLICAL_MOMENTUM, CONSTANT_MOMENTUM = "cyclical momentum", "constant momentum"  # Fig. 8b's arms
BATCH_MEAN_ACCURACY = "accuracy, mean of the smallest and largest batch"
LATE_SHARE = "share of the fall in the last quarter"  # Fig. 7d: a curve that has plateaued falls little late
LATE_SHARE_MARGIN = 5.0
WHY_LATE_SHARE_MARGIN = ("5 % of the whole fall: a curve that still falls (the paper's constant momenta) keeps more "
                         "than that for its last quarter")
NETWORK_MEAN_ACCURACY = "accuracy, mean of the two networks"


TESTS = [
    Test("smith-fig-7a", "the value of momentum matters: in an LR range test, momentum 0.99 reaches its lowest test "
         "loss at a smaller learning rate than momentum 0.9", momentum_arm(0.9), momentum_arm(0.99),
         "log10 of the LR of the lowest test loss, momentum 0.9 minus momentum 0.99 (decades)",
         measure=LR_OF_LOWEST_LOSS, margin=LR_MARGIN, why_margin=WHY_LR_MARGIN),
    Test("smith-fig-7b", "a momentum range test finds no optimum: as the momentum rises from 0.7 to 1.0 at a fixed "
         "LR, the test loss keeps falling", END, MIDDLE,
         "100 × ln of the test loss at the middle of the range test's stable part over that at its end (about "
         "percent)", measure=LOG_LOSS, higher_is_better=False, margin=LOG_LOSS_MARGIN, why_margin=WHY_LOG_LOSS_MARGIN),
    Test("smith-fig-7c", "in an LR range test, momentum falling from 0.95 to 0.8 reaches a lower test loss than "
         "constant momentum 0.9 and than momentum rising from 0.8 to 1.0", "falling 0.95 → 0.8",
         ("constant 0.9", "rising 0.8 → 1.0"),
         "100 × ln of the lowest test loss of the binding other momentum over that of falling momentum (about "
         "percent)", measure=LOG_LOSS, higher_is_better=False, margin=LOG_LOSS_MARGIN, why_margin=WHY_LOG_LOSS_MARGIN),
    Test("smith-fig-7d", "with a step schedule, constant momentum underfits and does not plateau, cyclical momentum "
         "does: with momentum decreasing from 0.95 to 0.85 over the run, a smaller share of the test loss's fall comes "
         "in the last quarter of the run than with each constant momentum (0.85, 0.9, 0.95)",
         "cyclical 0.95 → 0.85", ("constant 0.85", "constant 0.9", "constant 0.95"),
         "share of the test loss's fall over the run that comes in its last quarter (percent): the binding constant "
         "momentum minus decreasing momentum", measure=LATE_SHARE, higher_is_better=False, margin=LATE_SHARE_MARGIN,
         why_margin=WHY_LATE_SHARE_MARGIN),
    Test("smith-fig-8a", "with a 1cycle learning rate, the best result is when momentum decreases as the learning "
         "rate increases: falling momentum ends above constant and rising momentum", "falling 0.95 → 0.85",
         ("constant 0.9", "rising 0.85 → 0.95"),
         "falling momentum minus the binding other schedule, final test accuracy (points)"),
    Test("smith-fig-8b", "with cyclical momentum (0.95 → 0.85) the 1cycle runs of Fig. 6a end with a higher test "
         "accuracy than with constant momentum 0.95", CYCLICAL_MOMENTUM, CONSTANT_MOMENTUM,
         "cyclical minus constant momentum, final test accuracy averaged over the smallest and the largest batch "
         "size (points)", measure=BATCH_MEAN_ACCURACY),
    AllOf("smith-table-1", "for a deep network a cyclical learning rate combined with cyclical momentum is best, while "
          "for a shallow network optimal constant values work as well as cyclical ones", (
              Test("smith-table-1", "ResNet rows: the cyclical LR with momentum 0.95-0.85 beats every other row",
                   row_arm(DEEP_CM), tuple(row_arm(r) for r in DEEP_OTHERS),
                   "ResNet rows: cyclical LR and momentum minus the binding other row, final test accuracy (points)",
                   paper=min(_paper_diff(DEEP_CM, r) for r in DEEP_OTHERS)),
              Test("smith-table-1", "3-layer rows: constant LR and momentum work as well as cyclical LR and momentum",
                   row_arm(SHALLOW_CONSTANT), row_arm(SHALLOW_CM),
                   "3-layer rows: constant LR 0.005 and momentum 0.95 minus cyclical LR and momentum 0.95-0.85, final "
                   "test accuracy (points)", paper=_paper_diff(SHALLOW_CONSTANT, SHALLOW_CM),
                   form=verdicts.EQUIVALENCE))),
    Test("smith-remark-5", "with a constant learning rate, a large constant momentum speeds up training: after the "
         "same budget, momentum 0.95 ends above momentum 0.85 (Table 1's constant-LR rows, both networks)",
         R5_ARMS[R5_LARGE], R5_ARMS[R5_SMALL], f"momentum {R5_LARGE} minus {R5_SMALL} at a constant LR, final test "
         "accuracy averaged over the resnet and the 3-layer rows (points)", measure=NETWORK_MEAN_ACCURACY,
         paper=R5_PAPER),
]


def tests_of(*ids: str) -> list:
    return [t for t in TESTS if t.id in ids]


def arms_of(*ids: str) -> set[str]:
    """The runs the tests ``ids`` compare (Remark 5's arms: the rows it averages): these run on the paired seeds."""
    arms = {a for t in tests_of(*ids) for a in t.arms}
    return arms | {row_arm(r) for m, rows in R5_ROWS.items() if R5_ARMS[m] in arms for r in rows}


# --- seeds and grids -------------------------------------------------------------------------------------------

def _seeds(p: profiles.Profile, seeds) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(paired seeds, figure seeds): a reader's seeds set both."""
    return (tuple(seeds), tuple(seeds)) if seeds else (p.paired_seeds, p.seeds)


def _grid(variants: dict[str, RunConfig], tested, p: profiles.Profile, seeds) -> Grid:
    """``variants`` over seeds: the arms in ``tested`` (None: all) on the paired seeds, the others on the figure's."""
    paired, shown = _seeds(p, seeds)
    return Grid({label: [cfg.replace(seed=s) for s in (paired if tested is None or label in tested else shown)]
                 for label, cfg in variants.items()})


def three_layer_base(p: profiles.Profile, paper_batch: int = 128, **changes) -> RunConfig:
    """The 3-layer analog of §4.3 and §4.4 (WD 4e-3, the paper's jobs), with ``changes``, on the training set
    where its batch is the share the paper's ``paper_batch`` was of CIFAR-10 (:func:`common.at_paper_share`)."""
    return at_paper_share(p, RunConfig(
        **analog_data(p), model="three_layer", n_train=p.pick(500, 4_000, 50_000), n_val=p.pick(200, 2_000, 10_000),
        n_test=p.pick(100, 100, 0), batch_size=p.pick(64, 128, 128), weight_decay=4e-3, train_probe=False,
        threads=p.threads, **p.accelerator).replace(**changes), paper_batch)


def resnet_base(p: profiles.Profile, paper_batch: int, **changes) -> RunConfig:
    """The residual-network analog of §4.3 and §4.4, with ``changes``, on the training set where its batch is
    the share the paper's ``paper_batch`` was of CIFAR-10 (:func:`common.at_paper_share`)."""
    return at_paper_share(p, RunConfig(
        **analog_data(p), model=p.pick("resnet20", "resnet20", "resnet56"), n_train=p.pick(512, 10_000, 50_000),
        n_val=p.pick(200, 2_000, 10_000), n_test=p.pick(100, 100, 0), train_probe=False, threads=p.threads,
        **p.accelerator).replace(**changes), paper_batch)


def _moving(m0: float, m1: float, steps: int) -> float | dict:
    """Momentum constant at ``m0``, or moving linearly from ``m0`` to ``m1`` over ``steps``."""
    return m0 if m0 == m1 else ramp(m0, m1, steps)


# --- Fig. 7: the 3-layer net ------------------------------------------------------------------------------

def range_momentum_setup(profile: str, seeds=None) -> Grid:
    """Fig. 7a: LR range tests 0 → 0.02 (ours ×k, the 3-layer LR scale) over 10k iterations (ours
    fewer) at three momenta."""
    p = profiles.get(profile)
    k, steps = LR_SCALE_3LAYER[profile], p.pick(100, 1_000, 10_000)
    variants = {momentum_arm(m): three_layer_base(p, lr=ramp(0.0, 0.02 * k, steps), momentum=m, steps=steps,
                                                  eval_every=p.pick(10, 30, 200)) for m in RANGE_MOMENTA}
    return _grid(variants, arms_of("smith-fig-7a"), p, seeds)


def momentum_range_setup(profile: str, seeds=None) -> Grid:
    """Fig. 7b: momentum 0.7 → 1.0 at a fixed LR (the paper does not give it; ours: 0.002 × k, the
    lower bound of Fig. 7c's range)."""
    p = profiles.get(profile)
    k, steps = LR_SCALE_3LAYER[profile], p.pick(100, 1_000, 10_000)
    variants = {MOMENTUM_RANGE: three_layer_base(p, lr=0.002 * k, momentum=ramp(0.7, 1.0, steps), steps=steps,
                                                 eval_every=p.pick(10, 30, 200))}
    return _grid(variants, None, p, seeds)  # its one run is read by the test


def range_cyclical_setup(profile: str, seeds=None) -> Grid:
    """Fig. 7c: LR range tests 0.002 → 0.02 (ours ×k) with constant, rising and falling momentum."""
    p = profiles.get(profile)
    k, steps = LR_SCALE_3LAYER[profile], p.pick(100, 1_000, 10_000)
    variants = {label: three_layer_base(p, lr=ramp(0.002 * k, 0.02 * k, steps), steps=steps,
                                        momentum=_moving(m0, m1, steps), eval_every=p.pick(10, 30, 200))
                for label, (m0, m1) in CYCLICAL_RANGE.items()}
    return _grid(variants, arms_of("smith-fig-7c"), p, seeds)


def step_momentum_setup(profile: str, seeds=None) -> Grid:
    """Fig. 7d: LR 0.005 (ours ×k) divided by 3.16 at 50, 75, 87.5 and 93.75 % of the run, with constant
    or linearly moving momentum; the paper's TBS averages 536 (512 plus its per-GPU offsets)."""
    p = profiles.get(profile)
    k, steps = LR_SCALE_3LAYER[profile], p.pick(100, 2_000, 20_000)
    lr = {"name": "multistep", "value": 0.005 * k, "gamma": 0.316,
          "milestones": [steps // 2, steps * 3 // 4, steps * 7 // 8, steps * 15 // 16]}
    variants = {label: three_layer_base(p, 512, lr=lr, steps=steps, momentum=_moving(m0, m1, steps),
                                        batch_size=p.pick(64, 128, 512), eval_every=p.pick(10, 50, 500))
                for label, (m0, m1) in STEP_MOMENTA.items()}
    return _grid(variants, arms_of("smith-fig-7d"), p, seeds)


# --- Fig. 8: ResNet ---------------------------------------------------------------------------------------

def one_cycle_momentum_setup(profile: str, seeds=None) -> Grid:
    """Fig. 8a: 1cycle LR 0.1 → 1.0 over 9k of 20k iterations (45 %), WD 5e-5, three momentum schedules."""
    p = profiles.get(profile)
    steps = p.pick(40, 500, 20_000)
    stepsize = steps * 9 // 20
    variants = {}
    for label, (m0, m1) in ONE_CYCLE_MOMENTA.items():
        momentum = m0 if m0 == m1 else caffe_1cycle(0.1, 1.0, stepsize, m0, m1, "momentum")
        variants[label] = resnet_base(p, 512, lr=caffe_1cycle(0.1, 1.0, stepsize, 0.9, 0.9, "lr"), momentum=momentum,
                                      weight_decay=5e-5, batch_size=p.pick(64, 256, 512), steps=steps,
                                      eval_every=p.pick(5, 25, 200))
    return _grid(variants, arms_of("smith-fig-8a"), p, seeds)


@dataclass
class CyclicalBatchSizes:
    """Fig. 8b: Fig. 6a's runs (``smith_batch_size``) with cyclical momentum (``cyclical``: every batch size,
    the smallest and the largest on the paired seeds, the others on the figure's) and the same runs with
    Fig. 6a's constant momentum 0.95 at the smallest and the largest batch (``constant``, paired seeds)."""
    cyclical: Grid
    constant: Grid
    tested: tuple[str, ...]  # the labels of the smallest and the largest batch size

    def grid(self) -> Grid:
        return self.cyclical

    def all(self) -> list[RunConfig]:
        return self.cyclical.all() + self.constant.all()


def _one_per_label(setup: smith_batch_size.BatchSizes) -> dict[str, RunConfig]:
    return {label: cfgs[0] for label, cfgs in setup.grid().configs.items()}


def batch_size_cm_setup(profile: str, seeds=None) -> CyclicalBatchSizes:
    """Fig. 8b: Fig. 6a's runs with cyclical momentum 0.95 → 0.85, and the constant-momentum runs it is tested
    against (the same configs as Fig. 6a's, so they are run once for both chapters)."""
    p = profiles.get(profile)
    cyclical = _one_per_label(smith_batch_size.setup(profile, seeds, min_momentum=FIG_8B_MIN_MOMENTUM))
    constant = _one_per_label(smith_batch_size.setup(profile, seeds))
    labels = list(cyclical)
    tested = (labels[0], labels[-1])  # ordered by batch size: the analogs of the paper's TBS 128 and 1024
    return CyclicalBatchSizes(_grid(cyclical, set(tested), p, seeds),
                              _grid({label: constant[label] for label in tested}, None, p, seeds), tested)


# --- Table 1 ---------------------------------------------------------------------------------------------

@dataclass
class Table1:
    grid: Grid
    rows: list[tuple[str, str, str]]  # (architecture, LR column, momentum column), in the paper's order
    settings: dict[str, dict]         # architecture -> WD, TBS, epochs of our runs

    def all(self) -> list[RunConfig]:
        return self.grid.all()


def table_1_setup(profile: str, seeds=None) -> Table1:
    p = profiles.get(profile)
    k = LR_SCALE_3LAYER[profile]
    shallow = three_layer_base(p, weight_decay=3e-3)
    deep = resnet_base(p, 512, weight_decay=1e-4, batch_size=p.pick(64, 256, 512))
    # epochs: the paper's 25 and 95; ours fewer (the budget: at the paper's batch share, a twelfth and a fortieth
    # of its iterations); the 3-layer LRs ×k
    arch = {"3-layer": (shallow, p.pick(2, 2, 25), 11 / 25, k), "resnet-56": (deep, p.pick(2, 2.4, 95), 41 / 95, 1.0)}
    variants, rows, settings = {}, [], {}
    for name, (base, epochs, ss_frac, scale) in arch.items():
        steps = int(epochs * base.n_train / base.batch_size)
        stepsize = max(1, int(ss_frac * epochs * base.n_train / base.batch_size))
        settings[name] = {"WD": base.weight_decay, "TBS": base.batch_size, "epochs": epochs, "model": analog(base)[1],
                          "steps": steps, "stepsize": stepsize}
        lo, hi = (scale * v for v in TABLE_1_LR[name][CYCLE].value)
        for column in TABLE_1_LR[name]:
            lr = caffe_1cycle(lo, hi, stepsize, 0.9, 0.9, "lr") if column.cyclical else scale * column.value
            for m_col, (m0, m1) in MOMENTA.items():
                momentum = m0 if m0 == m1 else caffe_1cycle(lo, hi, stepsize, m0, m1, "momentum")
                row = (name, column.text, m_col)
                variants[row_arm(row)] = base.replace(lr=lr, momentum=momentum, steps=steps,
                                                      eval_every=max(1, steps // 4))
                rows.append(row)
    return Table1(_grid(variants, arms_of("smith-table-1", "smith-remark-5"), p, seeds), rows, settings)


def run_table_1(setup: Table1) -> tuple[pd.DataFrame, dict[str, list[History]]]:
    runs = run_grid(setup.grid, "Table 1")
    out = []
    for row in setup.rows:
        s = final_stats(runs[row_arm(row)])
        paper_acc, paper_std = PAPER_TABLE_1[row]
        out.append({"architecture": row[0], "LR/SS": row[1], "momentum/SS": row[2],
                    "paper acc. (%)": f"{paper_acc:.1f} ± {paper_std:.1f}", "ours acc. (%)": s.acc_text(),
                    "seeds": s.n})
    return pd.DataFrame(out).set_index(["architecture", "LR/SS", "momentum/SS"]), runs


# --- readings and verdicts ----------------------------------------------------------------------------------

def stable_evaluations(h: History) -> pd.DataFrame:
    """A range test's evaluations before it blows up, with ``smooth``: the test loss averaged over three
    neighbouring evaluations."""
    ev = lr_finder.evaluations(h)
    stable = stable_part(ev)
    if stable.empty:  # blown up at the first evaluation
        stable = ev.iloc[:1]
    return stable.assign(smooth=stable["val_loss"].rolling(3, center=True, min_periods=1).mean())


def lr_of_lowest_loss(h: History) -> float:
    """log10 of the LR at which a range test's (smoothed) test loss is lowest, no lower than the first LR
    after 0 that it evaluates (the resolution of its evaluations)."""
    ev = stable_evaluations(h)
    lrs = lr_finder.evaluations(h)["lr"]
    if not (lrs > 0).any():  # blown up before its second evaluation: the first LR it trained at
        lrs = h["lr"].dropna()
    floor = float(lrs[lrs > 0].min())
    return math.log10(max(float(ev["lr"].iloc[int(np.argmin(ev["smooth"]))]), floor))


def lowest_loss(h: History) -> float:
    """100 ln of a range test's lowest (smoothed) test loss."""
    return 100 * math.log(float(stable_evaluations(h)["smooth"].min()))


def middle_and_end(h: History) -> tuple[float, float, float, float]:
    """100 ln of the (smoothed) test loss at the middle and at the end of a range test's stable part, and the
    momentum there."""
    ev = stable_evaluations(h)
    mid, end = ev.iloc[(len(ev) - 1) // 2], ev.iloc[-1]
    return 100 * math.log(mid["smooth"]), 100 * math.log(end["smooth"]), float(mid["momentum"]), float(end["momentum"])


def _spread(values: np.ndarray, fmt: str) -> str:
    """``mean [min, max]`` over seeds."""
    if len(values) == 1:
        return f"{values[0]:{fmt}}"
    return f"{values.mean():{fmt}} [{values.min():{fmt}}, {values.max():{fmt}}]"


def judge_7a(grid: Grid, runs: dict[str, list[History]], profile: str | None = None) -> dict[str, verdicts.Verdict]:
    values = {arm: np.array([lr_of_lowest_loss(h) for h in hs]) for arm, hs in runs.items()}
    glue.values({f"s43-7a-lr-{round(100 * m)}": _spread(10 ** values[momentum_arm(m)], ".3g") for m in RANGE_MOMENTA})
    glue.values({f"s43-7a-end-{round(100 * m)}": _spread(np.array([float(stable_evaluations(h)["lr"].iloc[-1])
                                                                  for h in runs[momentum_arm(m)]]), ".3g")
                 for m in RANGE_MOMENTA})
    return decide(tests_of("smith-fig-7a"), {LR_OF_LOWEST_LOSS: values}, _grid_n_val(grid), profile)


def judge_7b(grid: Grid, runs: dict[str, list[History]], profile: str | None = None) -> dict[str, verdicts.Verdict]:
    readings = np.array([middle_and_end(h) for h in runs[MOMENTUM_RANGE]])
    values = {MIDDLE: readings[:, 0], END: readings[:, 1]}
    glue.values({"s43-7b-loss-mid": _spread(np.exp(readings[:, 0] / 100), ".3f"),
                 "s43-7b-loss-end": _spread(np.exp(readings[:, 1] / 100), ".3f"),
                 "s43-7b-m-mid": _spread(readings[:, 2], ".3f"), "s43-7b-m-end": _spread(readings[:, 3], ".3f")})
    return decide(tests_of("smith-fig-7b"), {LOG_LOSS: values}, _grid_n_val(grid), profile)


CYCLICAL_RANGE_NAMES = {"constant 0.9": "constant", "rising 0.8 → 1.0": "rising", "falling 0.95 → 0.8": "falling",
                        "falling 0.97 → 0.7": "falling-97"}


def judge_7c(grid: Grid, runs: dict[str, list[History]], profile: str | None = None) -> dict[str, verdicts.Verdict]:
    values = {arm: np.array([lowest_loss(h) for h in hs]) for arm, hs in runs.items()}
    glue.values({f"s43-7c-min-{name}": _spread(np.exp(values[arm] / 100), ".3f")
                 for arm, name in CYCLICAL_RANGE_NAMES.items()})
    return decide(tests_of("smith-fig-7c"), {LOG_LOSS: values}, _grid_n_val(grid), profile)


STEP_NAMES = {"constant 0.85": "c85", "constant 0.9": "c90", "constant 0.95": "c95",
              "cyclical 0.95 → 0.85": "cyc9585", "cyclical 0.9 → 1.0": "cyc9010"}


def late_share(h: History) -> float:
    """The share (percent) of a run's fall in test loss, from its first evaluation to its last, that comes in
    its last quarter; a diverged run, which never plateaus, scores 100."""
    ev = h.dropna(subset=["val_loss"])
    loss, steps = ev["val_loss"].to_numpy(dtype=float), ev["step"].to_numpy()
    if h.attrs.get("status", "ok") != "ok" or not np.isfinite(loss).all() or loss[0] <= loss[-1]:
        return 100.0
    three_quarters = loss[int(np.argmin(np.abs(steps - 3 * steps[-1] / 4)))]
    return float(100 * (three_quarters - loss[-1]) / (loss[0] - loss[-1]))


def judge_7d(grid: Grid, runs: dict[str, list[History]], profile: str | None = None) -> dict[str, verdicts.Verdict]:
    shares = {arm: np.array([late_share(h) for h in hs]) for arm, hs in runs.items()}
    glue_arms("s43-7d-acc", {arm: final_accuracy(hs, CHANCE) for arm, hs in runs.items()}, STEP_NAMES)
    glue_arms("s43-7d-share", shares, STEP_NAMES)
    glue.values({"s43-7d-share-margin": f"{LATE_SHARE_MARGIN:g}"})
    return decide(tests_of("smith-fig-7d"), {LATE_SHARE: shares}, _grid_n_val(grid), profile)


ONE_CYCLE_NAMES = {"constant 0.9": "constant", "falling 0.95 → 0.85": "falling", "rising 0.85 → 0.95": "rising"}


def judge_8a(grid: Grid, runs: dict[str, list[History]], profile: str | None = None) -> dict[str, verdicts.Verdict]:
    values = {arm: final_accuracy(hs, CHANCE) for arm, hs in runs.items()}
    glue_arms("s43-8a-acc", values, ONE_CYCLE_NAMES)
    return decide(tests_of("smith-fig-8a"), {ACCURACY: values}, _grid_n_val(grid), profile)


def run_8b(setup: CyclicalBatchSizes) -> tuple[dict[str, list[History]], dict[str, list[History]]]:
    """The cyclical-momentum runs of Fig. 8b, and the constant-momentum runs of Fig. 6a it is tested against."""
    return run_grid(setup.cyclical, "Fig. 8b"), run_grid(setup.constant, "Fig. 6a")


def judge_8b(setup: CyclicalBatchSizes, cyclical: dict[str, list[History]],
             constant: dict[str, list[History]], profile: str | None = None) -> dict[str, verdicts.Verdict]:
    cm = {label: final_accuracy(cyclical[label], CHANCE) for label in setup.tested}
    const = {label: final_accuracy(constant[label], CHANCE) for label in setup.tested}
    values = {CYCLICAL_MOMENTUM: np.mean([cm[t] for t in setup.tested], axis=0),
              CONSTANT_MOMENTUM: np.mean([const[t] for t in setup.tested], axis=0)}
    glue_arms("s43-8b-acc", values, {CYCLICAL_MOMENTUM: "cyclical", CONSTANT_MOMENTUM: "constant"})
    for end, label in zip(("small", "large"), setup.tested):
        glue.values({f"s43-8b-tbs-{end}": f"{setup.cyclical.configs[label][0].batch_size:,}"})
        glue_arms(f"s43-8b-acc-{end}", {"c": cm[label], "k": const[label]}, {"c": "cyclical", "k": "constant"})
    return decide(tests_of("smith-fig-8b"), {BATCH_MEAN_ACCURACY: values}, _grid_n_val(setup.cyclical), profile)


TABLE_1_NAMES = {DEEP_CM: "res-cm", table_row("resnet-56", CYCLE, "0.95"): "res-cycle-95",
                 SHALLOW_CM: "3-cm", SHALLOW_CONSTANT: "3-const-95",
                 table_row("resnet-56", CONSTANT, R5_LARGE): "res-const-95",
                 table_row("resnet-56", CONSTANT, R5_SMALL): "res-const-85",
                 table_row("3-layer", CONSTANT, R5_SMALL): "3-const-85"}


def judge_table_1(setup: Table1, runs: dict[str, list[History]],
                  profile: str | None = None) -> dict[str, verdicts.Verdict]:
    values = {arm: final_accuracy(hs, CHANCE) for arm, hs in runs.items()}
    glue_arms("s43-t1-acc", values, {row_arm(row): name for row, name in TABLE_1_NAMES.items()})
    # Remark 5: per seed, the mean over the two networks of the constant-LR rows at each momentum
    by_network = {R5_ARMS[m]: np.mean([values[row_arm(r)] for r in rows], axis=0) for m, rows in R5_ROWS.items()}
    glue_arms("s43-r5-acc", by_network, {R5_ARMS[R5_LARGE]: "large", R5_ARMS[R5_SMALL]: "small"})
    return decide(tests_of("smith-table-1", "smith-remark-5"), {ACCURACY: values, NETWORK_MEAN_ACCURACY: by_network},
                  _grid_n_val(setup.grid), profile)


def _grid_n_val(grid: Grid) -> int:
    """The evaluation set's size of a grid's runs (the binomial margin's n)."""
    sizes = {c.n_val for c in grid.all()}
    if len(sizes) != 1:
        raise ValueError(f"the runs of one test must share an evaluation set; got sizes {sorted(sizes)}")
    return sizes.pop()


# --- what the page states ----------------------------------------------------------------------------------

def glue_settings(profile: str, seeds, grids: dict, table: Table1, batch_sizes: CyclicalBatchSizes) -> None:
    """The settings the page states, glued from the configs of this profile: ``grids`` holds Fig. 7a–7d's and
    Fig. 8a's grids by panel ("7a", "7b", "7c", "7d", "8a")."""
    paired, shown = _seeds(profiles.get(profile), seeds)
    r7, r7b, r7c, r7d, r8 = (grids[k].all()[0] for k in ("7a", "7b", "7c", "7d", "8a"))
    data, m3 = analog(r7)
    _, mres = analog(r8)
    s3, sr = table.settings["3-layer"], table.settings["resnet-56"]
    tbs = ", ".join(f"{cfgs[0].batch_size:,}" for cfgs in batch_sizes.cyclical.configs.values())
    glue.values({
        "s43-data": data, "s43-model-3": m3, "s43-model-res": mres,
        "s43-seeds": str(len(paired)), "s43-figure-seeds": str(len(shown)),
        "s43-lr-scale": f"{LR_SCALE_3LAYER[profile]:g}",
        "s43-3-n-train": f"{r7.n_train:,}", "s43-n-val": f"{r7.n_val:,}", "s43-3-batch": f"{r7.batch_size:,}",
        "s43-range-steps": f"{r7.steps:,}", "s43-7a-top": f"{r7.lr['end_lr']:g}", "s43-7b-lr": f"{r7b.lr:g}",
        "s43-7c-lo": f"{r7c.lr['start_lr']:g}", "s43-7c-hi": f"{r7c.lr['end_lr']:g}",
        "s43-7d-steps": f"{r7d.steps:,}", "s43-7d-batch": f"{r7d.batch_size:,}",
        "s43-7d-n-train": f"{r7d.n_train:,}", "s43-7d-lr": f"{r7d.lr['value']:g}",
        "s43-7d-milestones": ", ".join(f"{m:,}" for m in r7d.lr["milestones"]),
        "s43-8a-n-train": f"{r8.n_train:,}", "s43-8a-batch": f"{r8.batch_size:,}", "s43-8a-steps": f"{r8.steps:,}",
        "s43-8a-stepsize": f"{r8.lr['stepsize']:,}",
        "s43-8b-tbs": tbs,
        "s43-t1-3-model": s3["model"], "s43-t1-3-wd": f"{s3['WD']:g}", "s43-t1-3-tbs": f"{s3['TBS']:,}",
        "s43-t1-3-epochs": str(s3["epochs"]), "s43-t1-3-steps": f"{s3['steps']:,}",
        "s43-t1-res-model": sr["model"], "s43-t1-res-wd": f"{sr['WD']:g}", "s43-t1-res-tbs": f"{sr['TBS']:,}",
        "s43-t1-res-epochs": str(sr["epochs"]), "s43-t1-res-steps": f"{sr['steps']:,}",
    })


# --- figures ---------------------------------------------------------------------------------------------------

def figure_7a(grid: Grid, runs, profile: str) -> None:
    # the paper's colours: 0.99 yellow, 0.9 blue
    publish_grid(range_test_figure(runs, colors=["#e5ae38", "#1f77b4", "#2ca02c"]), "smith-fig-7a", grid, runs, profile)


def figure_7b(grid: Grid, runs, profile: str) -> None:
    publish_grid(range_test_figure(runs, x="momentum"), "smith-fig-7b", grid, runs, profile)


def figure_7c(grid: Grid, runs, profile: str) -> None:
    fig = range_test_figure(runs, colors=["#1f77b4", "#d62728", "#e5ae38", "#9467bd"])  # the paper's colours
    publish_grid(fig, "smith-fig-7c", grid, runs, profile)


def figure_7d(grid: Grid, runs, profile: str) -> None:
    publish_grid(plots.curves(runs, y="val_acc", ylabel="test (validation) accuracy"), "smith-fig-7d", grid, runs, profile)


def figure_8a(grid: Grid, runs, profile: str) -> None:
    publish_grid(plots.curves(runs, y="val_acc", ylabel="test (validation) accuracy"), "smith-fig-8a", grid, runs, profile)


def figure_8b(setup: CyclicalBatchSizes, runs: dict[str, list[History]], profile: str) -> None:
    fig = plots.curves(runs, x="time", y="val_acc", xlabel="training time (s)", ylabel="test (validation) accuracy")
    publish_grid(fig, "smith-fig-8b", setup.cyclical, runs, profile)


CHAPTER = Chapter("smith-momentum", (
    Experiment("LR range tests at three momenta", ("smith-fig-7a",), range_momentum_setup, tests_of("smith-fig-7a")),
    Experiment("a momentum range test", ("smith-fig-7b",), momentum_range_setup, tests_of("smith-fig-7b")),
    Experiment("LR range tests with moving momentum", ("smith-fig-7c",), range_cyclical_setup,
               tests_of("smith-fig-7c")),
    Experiment("momentum under a step schedule", ("smith-fig-7d",), step_momentum_setup, tests_of("smith-fig-7d")),
    Experiment("momentum under 1cycle", ("smith-fig-8a",), one_cycle_momentum_setup, tests_of("smith-fig-8a")),
    Experiment("cyclical momentum over batch sizes", ("smith-fig-8b",), batch_size_cm_setup, tests_of("smith-fig-8b"),
               timed=True),  # plotted against training time
    Experiment("Table 1: cyclical and constant LR and momentum", ("smith-table-1", "smith-remark-5"), table_1_setup,
               tests_of("smith-table-1", "smith-remark-5")),
))
