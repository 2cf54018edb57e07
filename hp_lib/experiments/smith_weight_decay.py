"""Smith (2018) §4.4, weight decay: Figs. 9a–12b and Remark 6.

The paper's settings (SOURCES §1.4, from the captions and the author's jobs):

* Fig. 9: the 3-layer net on CIFAR-10 at a constant LR 0.005 and momentum 0.95, WD 1e-2, 3.2e-3, 1.8e-3 and
  1e-3; (a) test loss, (b) test accuracy.
* Fig. 10: the same grid in an LR range test 0.001 → 0.01 with momentum falling 0.98 → 0.9.
* Fig. 11: ResNet-56, momentum 0.95, TBS 1,030, WD 1e-4, 3.2e-4, 5.6e-4 and 1e-3, (a) at a constant LR 0.1,
  (b) in an LR range test 0.1 → 1.0.
* Fig. 12: the grid search restarted from a snapshot: (a) the 3-layer net trained at WD 1e-3, then continued
  at 1e-3, 3e-3 and 1e-2; (b) ResNet-56's range test run to its middle at WD 1e-4, then continued at each.

Our snapshot searches restart a run halfway: Fig. 11b's at WD 1e-4, and for Fig. 12a Fig. 9's at WD 1e-3 on
the CPU profiles, the author's own snapshot job at ``full``. As in the momentum chapter, the 3-layer net's
learning rates are the paper's times ``LR_SCALE_3LAYER`` on the CPU profiles; ResNet-20 stands in for
ResNet-56 at the paper's learning rates, for about a thirtieth of the ``full`` profile's iterations, so its weight
decays are the paper's times that ratio (``common.decay_scale``).

Every item is a test fixed here before any run (``TESTS``): of the weight decays the paper names, and for
Fig. 12 of whether the search from a snapshot picks what the full search picks. The arms a test compares run
on the same paired seeds (``profile.paired_seeds``), the arms only drawn in a figure on the profile's
``seeds``. The time a snapshot search saves follows from its design (it skips the first half of every run but
one), so the page shows it as an illustration beside the test of what the search picks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import glue, lr_finder, plots, profiles, schedules, verdicts
from ..train import History, RunConfig
from .chapter import Chapter, Experiment
from .common import (ACCURACY, LOSS_MARGIN_N_EVAL, LR_SCALE_3LAYER, NATS_MARGIN, WHY_NATS_MARGIN, Grid, Test, analog,
                     analog_data, decay_scale, decide, final_accuracy, final_loss, mean_std, publish_grid, ramp, range_test_figure, run_grid, sci)
from .smith_momentum import resnet_base, three_layer_base

SHALLOW_WDS = (1e-2, 3.2e-3, 1.8e-3, 1e-3)
DEEP_WDS = (1e-4, 3.2e-4, 5.6e-4, 1e-3)
# Fig. 12a continues the WD 1e-3 snapshot at the paper's three values: on the CPU profiles from Fig. 9's run
# (its 3e-3 is Fig. 9's 3.2e-3 there), at full in the author's own snapshot job
SNAPSHOT_SHALLOW_WDS = (1e-2, 3.2e-3, 1e-3)
SNAPSHOT_JOB_WDS = (1e-2, 3e-3, 1e-3)
CHANCE_ACC = 10.0           # ten classes: the accuracy of a diverged run (points)
CHANCE_LOSS = math.log(10)  # the loss of the uniform prediction: a diverged run's
UPPER_RANGE_LR = 0.005      # Fig. 10: "accuracy improves above LR 0.005" (the paper's LR; ours × the scale)

# the measures the tests read (one number per run)
LOSS = "loss"                  # final test loss (nats)
LOWEST = "lowest loss"         # lowest test loss of a range test (after the snapshot, for a restart)
UPPER_ACC = "upper accuracy"   # mean test accuracy over the upper half of Fig. 10's range (points)
SHIFT = "shift"                # Remark 6: how much more the range test favours WD 1e-4 over 1e-3 (nats)

# The margin of a test loss, fixed before the runs. A mean test loss over n samples whose losses spread by
# about one nat (a classifier's cross-entropy at these losses) moves by 1/sqrt(n) when the test set is redrawn:
# two such standard errors at 2,000 test samples (the cpu profile's) are about 0.045 nats; a closer gap could
# come from the draw of the test set alone, as for the binomial rule of an accuracy.


def arm(fig: str, wd: float) -> str:
    """The name of a weight decay's runs in one figure: ``Fig. 9, WD 3.2e-3``."""
    return f"Fig. {fig}, WD {sci(wd)}"


SHIFT_RANGE, SHIFT_CONSTANT = "range test 0.1 → 1", "constant LR 0.1"


# Fig. 12's arms: the continuation at the weight decay the full search (the runs from scratch) finds best, and
# the continuations at the others. Which weight decay that is comes from Fig. 9's or 11b's runs, not from the
# continuations the test reads: the test asks whether the search from a snapshot agrees with the full search.
SEARCH_BEST = "continued at the full search's best WD"


def other_continuations(n: int) -> tuple[str, ...]:
    return tuple(f"continued at another WD ({i})" for i in range(1, n + 1))


def _loss_test(id: str, claim: str, treated: str, baseline, metric: str, measure: str = LOSS) -> Test:
    return Test(id, claim, treated, baseline, metric, measure=measure, higher_is_better=False, margin=NATS_MARGIN,
                why_margin=WHY_NATS_MARGIN)


# The chapter's tests, fixed before any run: the weight decays the paper names (SOURCES §1.4, Figs. 9–12),
# never the best of ours. The paper reports curves, not numbers: no test has a paper effect.
TESTS = [
    _loss_test("smith-fig-9a", "at a constant LR the test loss marks WD 3.2e-3 as good: it ends below both the "
               "too-large WD 1e-2 and the too-small 1e-3", arm("9", 3.2e-3), (arm("9", 1e-2), arm("9", 1e-3)),
               "final test loss at WD 1e-2 (or 1e-3) minus at 3.2e-3, constant LR (nats)"),
    Test("smith-fig-9b", "at a constant LR the final test accuracy ranks the weight decays as the loss does: WD "
         "3.2e-3 ends above both 1e-2 and 1e-3", arm("9", 3.2e-3), (arm("9", 1e-2), arm("9", 1e-3)),
         "final test accuracy at WD 3.2e-3 minus at 1e-2 (or 1e-3), constant LR (points)", measure=ACCURACY),
    _loss_test("smith-fig-10a", "in an LR range test with cyclical momentum the best weight decay is smaller: WD "
               "1.8e-3 reaches a lower test loss than 3.2e-3, the good value at a constant LR",
               arm("10", 1.8e-3), arm("10", 3.2e-3),
               "lowest test loss of the range test at WD 3.2e-3 minus at 1.8e-3 (nats)", LOWEST),
    Test("smith-fig-10b", "in the same range tests WD 1.8e-3 keeps a higher test accuracy than 3.2e-3 at the "
         "large learning rates (LR above 0.005)", arm("10", 1.8e-3), arm("10", 3.2e-3),
         "mean test accuracy over the upper half of the range, WD 1.8e-3 minus 3.2e-3 (points)", measure=UPPER_ACC),
    _loss_test("smith-fig-11a", "a residual network at a constant LR 0.1 overfits with WD 1e-4: WD 1e-3 ends with "
               "a lower test loss", arm("11a", 1e-3), arm("11a", 1e-4),
               "final test loss at WD 1e-4 minus at 1e-3, constant LR 0.1 (nats)"),
    _loss_test("smith-fig-11b", "in an LR range test 0.1 → 1 the residual network's best weight decay is 1e-4: it "
               "reaches a lower test loss than 3.2e-4, 5.6e-4 and 1e-3", arm("11b", 1e-4),
               tuple(arm("11b", wd) for wd in DEEP_WDS[1:]),
               "lowest test loss of the range test at WD 3.2e-4 (or 5.6e-4, 1e-3) minus at 1e-4 (nats)", LOWEST),
    _loss_test("smith-fig-12a", "a weight-decay search restarted from a snapshot (taken at WD 1e-3) points to the "
               "optimal weight decay: among the continuations at WD 1e-2, 3.2e-3 and 1e-3, the one at the weight "
               "decay whose run from scratch ends with the lowest test loss ends lower than the other two",
               SEARCH_BEST, other_continuations(2),
               "final test loss after the snapshot at another WD minus at the full search's best (nats)"),
    _loss_test("smith-fig-12b", "a range test restarted halfway from a snapshot at WD 1e-4 points to the optimal "
               "weight decay: continuing at the weight decay whose whole range test (Fig. 11b) reaches the lowest "
               "test loss reaches a lower test loss than continuing at each of the other three",
               SEARCH_BEST, other_continuations(3),
               "lowest test loss after the snapshot at another WD minus at the full search's best (nats)", LOWEST),
    Test("smith-remark-6", "the best weight decay moves with the learning rate: large learning rates (a range test "
         "to LR 1) favour the smaller WD 1e-4 over 1e-3 more than a constant LR 0.1 does", SHIFT_RANGE,
         SHIFT_CONSTANT, "(test loss at WD 1e-3 minus at 1e-4) in the range test, minus the same at the constant "
         "LR 0.1 (nats)", measure=SHIFT, margin=NATS_MARGIN, why_margin=WHY_NATS_MARGIN),
]
TESTED_ARMS = frozenset(a for t in TESTS for a in t.arms)


@dataclass
class WeightDecayGrid:
    """Runs that differ only in weight decay (figure ``fig``); the arms a test reads run on ``seeds`` (paired),
    the others on ``figure_seeds``. One of them (``snapshot_wd``) may keep a snapshot halfway, from which
    figure ``restart_fig`` continues at each of ``restart_wds``."""
    fig: str
    configs: dict[float, RunConfig]
    seeds: tuple[int, ...]
    figure_seeds: tuple[int, ...]
    snapshot_wd: float | None = None
    restart_fig: str = ""
    restart_wds: tuple[float, ...] = ()
    wd_scale: float = 1.0  # each run's weight decay is its label's times this (common.decay_scale)

    def label(self, wd: float) -> str:
        return f"WD {sci(wd)}"

    def seeds_for(self, fig: str, wd: float) -> tuple[int, ...]:
        """Paired seeds for an arm some test reads (and for the snapshot's parent), else the figure's."""
        tested = (arm(fig, wd) in TESTED_ARMS or fig == self.restart_fig  # Fig. 12's test reads every continuation
                  or (fig == self.fig and wd == self.snapshot_wd))
        return self.seeds if tested else self.figure_seeds

    def grid(self) -> Grid:
        return Grid({self.label(wd): [c.replace(seed=s) for s in self.seeds_for(self.fig, wd)]
                     for wd, c in self.configs.items()})

    @property
    def step(self) -> int:
        """Where the snapshot is taken."""
        return self.configs[self.snapshot_wd].snapshot_at[0]

    @property
    def n_eval(self) -> int:
        return next(iter(self.configs.values())).n_val

    def all(self) -> list[RunConfig]:
        """The runs from scratch (the restarts wait for their parents' snapshots)."""
        return self.grid().all()

    def restart_grid(self) -> Grid:
        """Each of ``restart_wds`` continued from the snapshot of the ``snapshot_wd`` run (same seed)."""
        parent = self.configs[self.snapshot_wd]
        return Grid({self.label(wd): [self.configs[wd].replace(
            seed=s, snapshot_at=(), start_from={"run": parent.replace(seed=s).to_dict(), "step": self.step})
            for s in self.seeds_for(self.restart_fig, wd)] for wd in self.restart_wds})


def _with_snapshot(configs: dict[float, RunConfig], wd: float) -> dict[float, RunConfig]:
    """Keep a snapshot of the ``wd`` run halfway, on one of its evaluations (so the curve shows it)."""
    cfg = configs[wd]
    half = cfg.steps // 2 // cfg.eval_every * cfg.eval_every
    return {**configs, wd: cfg.replace(snapshot_at=(half,))}


def _seeds(p: profiles.Profile, seeds) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(paired seeds, figure seeds): a reader's seeds override both."""
    return (tuple(seeds), tuple(seeds)) if seeds else (p.paired_seeds, p.seeds)


def constant_lr_setup(profile: str, seeds=None) -> WeightDecayGrid:
    """Fig. 9 (and the parent of Fig. 12a): constant LR 0.005 (ours ×k, the 3-layer LR scale), momentum 0.95."""
    p = profiles.get(profile)
    k, steps = LR_SCALE_3LAYER[profile], p.pick(100, 1_600, 20_000)
    # the paper gives neither the batch size nor the length: Table 1's TBS 128, and 20k iterations
    base = three_layer_base(p, **analog_data(p, noisy=True), lr=0.005 * k, momentum=0.95, steps=steps,
                            eval_every=p.pick(10, 100, 500))
    configs = {wd: base.replace(weight_decay=wd) for wd in SHALLOW_WDS}
    if profile == "full":  # Fig. 12a has its own job there (snapshot_search_setup)
        return WeightDecayGrid("9", configs, *_seeds(p, seeds))
    return WeightDecayGrid("9", _with_snapshot(configs, 1e-3), *_seeds(p, seeds), snapshot_wd=1e-3,
                           restart_fig="12a", restart_wds=SNAPSHOT_SHALLOW_WDS)


def snapshot_search_setup(profile: str, seeds=None) -> WeightDecayGrid:
    """Fig. 12a's search and the full search it is compared with. On the CPU profiles: Fig. 9's grid, continued
    from its run at WD 1e-3. At ``full``: the author's job ``3layWDsnap cifar3 0.005 35 35 1e-3 512 0.95`` (LR
    0.005, 35 epochs at TBS 4 × 512 = 2,048, momentum 0.95), run from scratch at WD 1e-2, 3e-3 and 1e-3 and
    continued at each from the 1e-3 run's snapshot halfway."""
    if profile != "full":
        return constant_lr_setup(profile, seeds)
    p = profiles.get(profile)
    steps = 35 * 50_000 // 2_048
    base = three_layer_base(p, 2_048, **analog_data(p, noisy=True), lr=0.005, momentum=0.95, batch_size=2_048,
                            steps=steps, eval_every=max(1, steps // 20))
    configs = {wd: base.replace(weight_decay=wd) for wd in SNAPSHOT_JOB_WDS}
    return WeightDecayGrid("12a", _with_snapshot(configs, 1e-3), *_seeds(p, seeds), snapshot_wd=1e-3,
                           restart_fig="12a", restart_wds=SNAPSHOT_JOB_WDS)


def cyclical_setup(profile: str, seeds=None) -> WeightDecayGrid:
    """Fig. 10: LR range test 0.001 → 0.01 (ours ×k) with momentum falling 0.98 → 0.9."""
    p = profiles.get(profile)
    k, steps = LR_SCALE_3LAYER[profile], p.pick(100, 1_000, 10_000)
    base = three_layer_base(p, **analog_data(p, noisy=True), lr=ramp(0.001 * k, 0.01 * k, steps),
                            momentum=ramp(0.98, 0.9, steps), steps=steps,
                            eval_every=p.pick(10, 30, 200))
    return WeightDecayGrid("10", {wd: base.replace(weight_decay=wd) for wd in SHALLOW_WDS}, *_seeds(p, seeds))


def _fig_11_steps(profile: str) -> int:
    return profiles.get(profile).pick(40, 300, 10_000)


def resnet_setup(profile: str, seeds=None, lr_range: bool = False) -> WeightDecayGrid:
    """Fig. 11 (and the parent of Fig. 12b): ResNet at momentum 0.95, constant LR 0.1 (a) or an LR range
    test 0.1 → 1.0 (b)."""
    p = profiles.get(profile)
    steps = _fig_11_steps(profile)
    lr = ramp(0.1, 1.0, steps) if lr_range else 0.1
    base = resnet_base(p, 1_030, **analog_data(p, noisy=True), lr=lr, momentum=0.95, steps=steps,
                       batch_size=p.pick(64, 256, 1_030),
                       eval_every=p.pick(5, 20, 200))
    # the paper states no length: the full profile's 10,000 iterations; shorter runs scale the weight decay
    k = decay_scale(profile, _fig_11_steps)
    configs = {wd: base.replace(weight_decay=wd * k) for wd in DEEP_WDS}
    if lr_range:
        return WeightDecayGrid("11b", _with_snapshot(configs, 1e-4), *_seeds(p, seeds), snapshot_wd=1e-4,
                               restart_fig="12b", restart_wds=DEEP_WDS, wd_scale=k)
    return WeightDecayGrid("11a", configs, *_seeds(p, seeds), wd_scale=k)


def run(setup: WeightDecayGrid, desc: str, restarted: bool = False) -> dict[float, list[History]]:
    grid = setup.restart_grid() if restarted else setup.grid()
    runs = run_grid(grid, desc)
    return {wd: runs[setup.label(wd)] for wd in (setup.restart_wds if restarted else setup.configs)}


def resnet_range_setup(profile: str, seeds=None) -> WeightDecayGrid:
    return resnet_setup(profile, seeds, lr_range=True)


def tests(*ids: str) -> list[Test]:
    return [t for t in TESTS if t.id in ids]


CHAPTER = Chapter("smith-weight-decay", (
    # timed: Fig. 12 sets the training time of its searches from a snapshot against these runs' (glue_cost)
    Experiment("weight decay at a constant LR", ("smith-fig-9a", "smith-fig-9b"), constant_lr_setup,
               tests("smith-fig-9a", "smith-fig-9b"), timed=True),
    Experiment("weight decay under a cyclical LR", ("smith-fig-10a", "smith-fig-10b"), cyclical_setup,
               tests("smith-fig-10a", "smith-fig-10b")),
    Experiment("weight decay on a ResNet at a constant LR", ("smith-fig-11a",), resnet_setup, tests("smith-fig-11a")),
    Experiment("weight decay in LR range tests on a ResNet", ("smith-fig-11b",), resnet_range_setup,
               tests("smith-fig-11b"), timed=True),
    # continuations from Figs. 9's and 11b's snapshots: their runs wait for the parents (restarts())
    # timed: the cost of Fig. 12a's search is read from its full search's training time (glue_cost)
    Experiment("weight decay searched from a snapshot", ("smith-fig-12a",), snapshot_search_setup,
               tests("smith-fig-12a"), timed=True),
    Experiment("a range test continued from a snapshot", ("smith-fig-12b",), resnet_range_setup,
               tests("smith-fig-12b"), timed=True),
    # the runs of Figs. 11a and 11b (its setup names 11a's; 11b's are the same networks and data)
    Experiment("a range test's bias between weight decays (Figs. 11a, 11b)", ("smith-remark-6",), resnet_setup,
               tests("smith-remark-6")),
))


def restarts(profile: str, seeds=None) -> list[RunConfig]:
    """Fig. 12's continuations from the snapshots."""
    return [c for s in (snapshot_search_setup(profile, seeds), resnet_range_setup(profile, seeds))
            for c in s.restart_grid().all()]


# --- what the tests read: one number per run ---------------------------------------------------------------

def lowest_loss(h: History, after: int = 0) -> float:
    """The lowest test loss a run reached at or after step ``after``: the whole of a range test (a residual
    network's loss in eval mode jumps about in its first steps at LR 0.1, so "before the first blow-up" would
    stop its test at the start), or a continuation after its snapshot (whose first evaluation, the
    snapshot's, every continuation shares). A loss above the uniform guess's counts as the uniform guess's."""
    ev = h.dropna(subset=["val_loss"])
    losses = ev.loc[ev["step"] >= after, "val_loss"].to_numpy()
    return min(float(losses.min()), CHANCE_LOSS) if len(losses) else CHANCE_LOSS


def final_losses(hs: list[History]) -> np.ndarray:
    """The final test loss of each run; a run that diverged, or ended above the loss of a uniform guess,
    scores the uniform guess's, so that one blown-up evaluation weighs no more than a diverged run."""
    return np.minimum(final_loss(hs, CHANCE_LOSS), CHANCE_LOSS)


def upper_accuracy(h: History, lr: float) -> float:
    """The mean test accuracy (points) of a range test's evaluations at LR ≥ ``lr``; a run that diverged
    scores chance (as for a final accuracy)."""
    if h.attrs.get("status", "ok") != "ok":
        return CHANCE_ACC
    ev = lr_finder.evaluations(h)
    return float(100 * ev.loc[ev["lr"] >= lr, "val_acc"].mean())


def measure(setup: WeightDecayGrid, runs: dict[float, list[History]], restarted: bool = False) -> dict:
    """The measures of a grid's arms (measure -> arm -> one value per seed): final test loss and accuracy at a
    constant LR; the lowest test loss, and for Fig. 10 the accuracy at large LRs, of a range test."""
    fig = setup.restart_fig if restarted else setup.fig
    first = next(iter(setup.configs.values()))
    out: dict[str, dict[str, np.ndarray]] = {}
    for wd, hs in runs.items():
        a = arm(fig, wd)
        if isinstance(first.lr, dict):  # a range test
            out.setdefault(LOWEST, {})[a] = np.array([lowest_loss(h, setup.step if restarted else 0) for h in hs])
            if fig == "10":
                out.setdefault(UPPER_ACC, {})[a] = np.array([upper_accuracy(h, upper_lr(first)) for h in hs])
        else:
            out.setdefault(LOSS, {})[a] = final_losses(hs)
            out.setdefault(ACCURACY, {})[a] = final_accuracy(hs, CHANCE_ACC)
    return out


def lr_scale(cfg: RunConfig) -> float:
    """How many times the paper's LRs a Fig. 10 range test runs at (its top is the paper's 0.01 times that)."""
    return cfg.lr["end_lr"] / 0.01


def upper_lr(cfg: RunConfig) -> float:
    """Where Fig. 10's "large learning rates" begin: the paper's LR 0.005, times our scale."""
    return UPPER_RANGE_LR * lr_scale(cfg)


def shift(constant: dict, lr_range: dict) -> dict:
    """Remark 6's measure: per seed, the test-loss advantage of WD 1e-4 over 1e-3 in the range test (lowest
    loss) minus the same at the constant LR (final loss); both grids' arms run the same paired seeds."""
    adv_range = lr_range[LOWEST][arm("11b", 1e-3)] - lr_range[LOWEST][arm("11b", 1e-4)]
    adv_constant = constant[LOSS][arm("11a", 1e-3)] - constant[LOSS][arm("11a", 1e-4)]
    return {SHIFT: {SHIFT_RANGE: adv_range, SHIFT_CONSTANT: adv_constant}}


def judge(ids: list[str], measures: dict, n_eval: int, profile: str | None = None) -> dict[str, verdicts.Verdict]:
    """Decide the tests ``ids`` on ``measures`` at ``profile`` (their lines glued as ``<id>-verdict``) and glue
    the values the page states: every arm's mean ± std per measure, as ``s44-<fig>-<measure>-<wd>``."""
    _glue_measures(measures)
    return decide(tests(*ids), measures, n_eval, profile)


def judge_search(setup: WeightDecayGrid, scratch: dict[float, list[History]],
                 restarted: dict[float, list[History]], profile: str | None = None) -> dict[str, verdicts.Verdict]:
    """Fig. 12's test: the continuation at the full search's best weight decay (the lowest mean score from
    scratch among the continued values, on the paired seeds) against the others; glues every continuation's
    score and the full search's best as ``s44-<fig>-search-best``."""
    fig, from_scratch, from_snapshot = setup.restart_fig, measure(setup, scratch), measure(setup, restarted, True)
    _glue_measures(from_snapshot)
    key = LOWEST if LOWEST in from_scratch else LOSS
    best = min(setup.restart_wds, key=lambda wd: from_scratch[key][arm(setup.fig, wd)].mean())
    others = [wd for wd in setup.restart_wds if wd != best]
    digits = MEASURE_NAMES[key][1]
    continued = "; ".join(f"{sci(wd)}: {mean_std(from_snapshot[key][arm(fig, wd)], digits)}" for wd in setup.restart_wds)
    glue.values({f"s44-{fig}-search-best": sci(best), f"s44-{fig}-continued": continued})
    values = {SEARCH_BEST: from_snapshot[key][arm(fig, best)],
              **{name: from_snapshot[key][arm(fig, wd)] for name, wd in zip(other_continuations(len(others)), others)}}
    return decide(tests(f"smith-fig-{fig}"), {key: values}, setup.n_eval, profile)


MEASURE_NAMES = {LOSS: ("loss", 3), ACCURACY: ("acc", 1), LOWEST: ("min", 3), UPPER_ACC: ("upper", 1),
                 SHIFT: ("shift", 3)}


def _name(a: str) -> str:
    """``Fig. 9, WD 3.2e-3`` -> ``9-3p2e-3``; Remark 6's arms -> ``range`` / ``constant``."""
    if a in (SHIFT_RANGE, SHIFT_CONSTANT):
        return "r6-range" if a == SHIFT_RANGE else "r6-constant"
    fig, wd = a.removeprefix("Fig. ").split(", WD ")
    return f"{fig}-{wd.replace('.', 'p')}"


def _glue_measures(measures: dict) -> None:
    values = {}
    for m, by_arm in measures.items():
        short, digits = MEASURE_NAMES[m]
        for a, x in by_arm.items():
            name = _name(a)
            fig, _, wd = name.partition("-")
            values[f"s44-{fig}-{short}" + (f"-{wd}" if wd else "")] = mean_std(np.asarray(x), digits)
    glue.values(values)


def glue_settings(s9: WeightDecayGrid, s10: WeightDecayGrid, s11a: WeightDecayGrid, s11b: WeightDecayGrid,
                  s12a: WeightDecayGrid) -> None:
    """The settings the page states, glued from the configs of this profile."""
    shallow, cyc, deep, rng = (next(iter(s.configs.values())) for s in (s9, s10, s11a, s11b))
    (d3, m3), (dr, mr) = analog(shallow), analog(deep)
    k = lr_scale(cyc)
    at = schedules.from_spec(rng.lr)(s11b.step)
    glue.values({
        "s44-shallow-data": d3, "s44-shallow-model": m3, "s44-shallow-n-train": f"{shallow.n_train:,}",
        "s44-shallow-batch": f"{shallow.batch_size:,}", "s44-n-val": f"{shallow.n_val:,}", "s44-lr-scale": f"{k:g}",
        "s44-9-lr": f"{shallow.lr:g}", "s44-9-steps": f"{shallow.steps:,}",
        "s44-10-lr-lo": f"{cyc.lr['start_lr']:g}", "s44-10-lr-hi": f"{cyc.lr['end_lr']:g}",
        "s44-10-upper-lr": f"{upper_lr(cyc):g}", "s44-10-steps": f"{cyc.steps:,}",
        "s44-deep-data": dr, "s44-deep-model": mr, "s44-deep-n-train": f"{deep.n_train:,}",
        "s44-deep-batch": f"{deep.batch_size:,}", "s44-11-steps": f"{deep.steps:,}",
        "s44-11-wd-scale": f"{s11a.wd_scale:.3g}",
        "s44-12a-snapshot": f"{s12a.step:,}", "s44-12a-wds": ", ".join(sci(wd) for wd in s12a.restart_wds),
        "s44-12b-snapshot": f"{s11b.step:,}", "s44-12b-snapshot-lr": f"{at:.2f}",
        "s44-seeds": str(len(s9.seeds)), "s44-figure-seeds": str(len(s9.figure_seeds)),
        "s44-loss-margin": f"{NATS_MARGIN:g}", "s44-loss-margin-n": f"{LOSS_MARGIN_N_EVAL:,}"})


def results(setups: list[WeightDecayGrid], runs: list[dict[float, list[History]]]) -> pd.DataFrame:
    """One row per weight decay of each search: its seeds and the measures its tests read (mean ± std)."""
    rows = []
    for setup, rs in zip(setups, runs):
        m = measure(setup, rs)
        for wd, hs in rs.items():
            a = arm(setup.fig, wd)
            row = {"figure": setup.fig, "WD": sci(wd), "seeds": len(hs), "tested": a in TESTED_ARMS}
            for key, col in ((LOSS, "final test loss"), (ACCURACY, "final acc. (%)"),
                             (LOWEST, "lowest test loss in the range"), (UPPER_ACC, "acc. at large LRs (%)")):
                row[col] = mean_std(m[key][a], MEASURE_NAMES[key][1]) if key in m else ""
            rows.append(row)
    return pd.DataFrame(rows).set_index(["figure", "WD"])


# --- Fig. 12: the snapshot search ----------------------------------------------------------------------------

def snapshot_table(setup: WeightDecayGrid, scratch: dict[float, list[History]],
                   restarted: dict[float, list[History]]) -> pd.DataFrame:
    """Each continued weight decay's score from scratch (the figure it restarts) and from the snapshot, mean ±
    std over seeds: the final test loss at a constant LR, the lowest test loss of a range test."""
    key = LOWEST if isinstance(setup.configs[setup.snapshot_wd].lr, dict) else LOSS
    from_scratch, from_snapshot = measure(setup, scratch)[key], measure(setup, restarted, restarted=True)[key]
    digits = MEASURE_NAMES[key][1]
    return pd.DataFrame({"from scratch": {sci(wd): mean_std(from_scratch[arm(setup.fig, wd)], digits)
                                          for wd in setup.restart_wds},
                         "from the snapshot": {sci(wd): mean_std(from_snapshot[arm(setup.restart_fig, wd)], digits)
                                               for wd in setup.restart_wds}}).rename_axis("WD")


def snapshot_tables(searches: list[tuple[WeightDecayGrid, dict, dict]]) -> pd.DataFrame:
    """Fig. 12's searches side by side: ``(setup, runs from scratch, runs from the snapshot)`` each."""
    return pd.concat({s.restart_fig: snapshot_table(s, scratch, restarted) for s, scratch, restarted in searches},
                     names=["figure"])


def glue_cost(setup: WeightDecayGrid, scratch: dict[float, list[History]],
              restarted: dict[float, list[History]]) -> None:
    """The time a snapshot search takes against the same search from scratch (an illustration: the saving
    follows from skipping the first half of every run but the parent's). Glued per figure: iterations of
    one seed's search, and measured training seconds (mean over the seeds the restarts ran)."""
    fig, n, total = setup.restart_fig, len(setup.restart_wds), setup.configs[setup.snapshot_wd].steps
    scratch_steps, snapshot_steps = n * total, setup.step + n * (total - setup.step)
    seeds = len(next(iter(restarted.values())))

    def seconds(hs: list[History]) -> float:
        return float(np.mean([h["time"].dropna().iloc[-1] for h in hs[:seeds]]))

    parent = scratch[setup.snapshot_wd][:seeds]
    to_snapshot = float(np.mean([h.loc[h["step"] <= setup.step - 1, "time"].dropna().iloc[-1] for h in parent]))
    scratch_s = sum(seconds(scratch[wd]) for wd in setup.restart_wds)
    snapshot_s = to_snapshot + sum(seconds(hs) for hs in restarted.values())
    glue.values({f"s44-{fig}-scratch-steps": f"{scratch_steps:,}", f"s44-{fig}-snapshot-steps": f"{snapshot_steps:,}",
                 f"s44-{fig}-steps-saved": f"{100 * (1 - snapshot_steps / scratch_steps):.0f}",
                 f"s44-{fig}-scratch-s": f"{scratch_s:.0f}", f"s44-{fig}-snapshot-s": f"{snapshot_s:.0f}",
                 f"s44-{fig}-saved": f"{100 * (1 - snapshot_s / scratch_s):.0f}"})


# --- figures ---------------------------------------------------------------------------------------------

def _shown(setup: WeightDecayGrid, runs) -> dict[str, list[History]]:
    return {setup.label(wd): hs for wd, hs in runs.items()}


def figure(fig_id: str, setup: WeightDecayGrid, runs, profile: str, y: str = "val_loss", lr_range: bool = False,
           restarted: bool = False) -> None:
    """Test loss (``y="val_loss"``) or accuracy (``"val_acc"``) of a weight-decay grid against the iteration,
    or against the LR for a range test; a dashed line marks the snapshot of a restarted search."""
    shown = _shown(setup, runs)
    if lr_range:
        fig = range_test_figure(shown, y=y)
    elif y == "val_loss":
        fig = plots.curves(shown)
    else:
        fig = plots.curves(shown, y="val_acc", ylabel="test (validation) accuracy")
    if restarted:
        at = schedules.from_spec(setup.configs[setup.snapshot_wd].lr)(setup.step) if lr_range else setup.step
        fig.axes[0].axvline(at, color="0.4", ls="--", lw=1)
    publish_grid(fig, fig_id, setup.restart_grid() if restarted else setup.grid(), shown, profile)
