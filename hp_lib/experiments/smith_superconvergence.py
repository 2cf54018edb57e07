"""Smith (2018) §4.1, "Cyclical learning rates and super-convergence revisited": Figs. 5a, 5b, Remark 3.

The paper (its super-convergence logs): ResNet-56 on CIFAR-10 at batch 1,000, momentum 0.9. One cycle of
a triangular CLR from 0.1 up to 3.0 and back over 10k iterations (stepsize 5k) against LR 0.35 divided by
10 at 50k and 70k of 80k iterations (Fig. 5a, both at WD 1e-4); the same cycle at WD 1e-3 … 1e-6
(Fig. 5b). On the CPU: ResNet-20 with 1-D convolutions on 10,000 MNIST-1D samples at batch 256, the same
learning rates, momentum and weight decays; the step baseline runs four times as long as the cycle (the
paper: eight times), with its decays at the same fractions of training. Two arms the paper does not run make
its claims testable: the step schedule cut to the cycle's budget (does the cycle beat the schedule, not only
its length?), and the long step schedule at WD 1e-3 (is the best weight decay smaller for the large-LR cycle
than for the step schedule, as Remark 3's balance says?).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import glue, plots, profiles, verdicts
from ..train import History, RunConfig
from .chapter import Chapter, Experiment
from .common import (LOSS_MARGIN_N_EVAL, AllOf, Grid, Test, analog, analog_data, at_paper_share, decide, final_accuracy, final_stats,
                     glue_arms, over_seeds, publish_grid, run_grid, sci)

WEIGHT_DECAYS = (1e-3, 1e-4, 1e-5, 1e-6)
PAPER_WD = 1e-4
# final test accuracy of the single runs in the author's logs (SOURCES §1.4, Fig. 5)
PAPER_FINAL_ACC = {"step": 90.32, 1e-3: 9.95, 1e-4: 92.44, 1e-5: 88.28, 1e-6: 87.25}
CHANCE = 10.0  # ten classes: the accuracy of a diverged run


def cycle_arm(wd: float) -> str:
    return f"1cycle, WD {sci(wd)}"


STEP, SHORT_STEP, STEP_WD_1E3 = "step", "step, the cycle's budget", "step, WD 1e-3"
# Remark 3's measure: how much WD 1e-4 gains over 1e-3 (final test accuracy, points), under each schedule
CYCLE_GAIN, STEP_GAIN = "1cycle: WD 1e-4 over 1e-3", "step: WD 1e-4 over 1e-3"
GAIN = "gain of WD 1e-4 over 1e-3"
# a difference of two differences of final accuracies has twice the standard error of one accuracy: its margin is
# two such errors, each accuracy a binomial mean over the cpu profile's 2,000 test samples at 50 % (the widest)
GAIN_MARGIN = 2 * 2 * 100 * math.sqrt(0.25 / LOSS_MARGIN_N_EVAL)
WHY_GAIN_MARGIN = (f"{GAIN_MARGIN:.1f} points: two standard errors of a difference of differences of four final "
                   f"accuracies, each a binomial mean over {LOSS_MARGIN_N_EVAL:,} test samples at 50 %")


# The chapter's tests, fixed before any run: the arms are the paper's (its WD 1e-4 against its step
# schedule; 1e-4 against 1e-3 and 1e-6), never the best of ours.
TESTS = [
    AllOf("smith-fig-5a", "one short cycle to a large LR ends with a higher test accuracy than a step schedule run "
          "several times as long, and than a step schedule of its own length (all at WD 1e-4)", (
              Test("smith-fig-5a", "the cycle ends above the long step schedule", cycle_arm(PAPER_WD), STEP,
                   "1cycle minus the long step schedule, final test accuracy (points)",
                   paper=PAPER_FINAL_ACC[1e-4] - PAPER_FINAL_ACC["step"], paper_from=verdicts.LOGS),
              Test("smith-fig-5a", "the cycle ends above the step schedule cut to its budget", cycle_arm(PAPER_WD),
                   SHORT_STEP, "1cycle minus the step schedule of the same length, final test accuracy (points)"))),
    Test("smith-fig-5b", "with the cycle to LR 3, WD 1e-4 trains and WD 1e-3 does not", cycle_arm(1e-4),
         cycle_arm(1e-3), "1cycle at WD 1e-4 minus at WD 1e-3, final test accuracy (points)",
         paper=PAPER_FINAL_ACC[1e-4] - PAPER_FINAL_ACC[1e-3], paper_from=verdicts.LOGS),
    Test("smith-remark-3", "regularization must be balanced: large learning rates regularize, so they need less "
         "weight decay: the smaller WD 1e-4 gains more over 1e-3 under the large-LR cycle than under the step "
         "schedule", CYCLE_GAIN, STEP_GAIN, "(WD 1e-4 minus 1e-3) under the cycle, minus the same under the long "
         "step schedule, final test accuracy (points)", measure=GAIN, margin=GAIN_MARGIN,
         why_margin=WHY_GAIN_MARGIN),
]


@dataclass
class SuperConvergence:
    cycle: RunConfig      # one triangular cycle to a large LR (its WD is set per run)
    step: RunConfig       # the long multistep baseline at the paper's WD
    weight_decays: tuple[float, ...]
    seeds: tuple[int, ...]

    @property
    def short_step(self) -> RunConfig:
        """The step schedule cut to the cycle's length, its decays at the same fractions of the run."""
        steps = self.cycle.steps
        return self.step.replace(steps=steps, lr={**self.step.lr, "milestones": [steps * 5 // 8, steps * 7 // 8]},
                                 eval_every=self.cycle.eval_every)

    def grid(self) -> Grid:
        variants = {STEP: self.step, SHORT_STEP: self.short_step, STEP_WD_1E3: self.step.replace(weight_decay=1e-3)}
        variants.update({cycle_arm(wd): self.cycle.replace(weight_decay=wd) for wd in self.weight_decays})
        return over_seeds(variants, self.seeds)

    def all(self) -> list[RunConfig]:
        return self.grid().all()


def setup(profile: str, seeds=None) -> SuperConvergence:
    p = profiles.get(profile)
    stepsize = p.pick(10, 250, 5_000)
    step_steps = p.pick(40, 2_000, 80_000)
    base = at_paper_share(p, RunConfig(
        **analog_data(p), model=p.pick("resnet20", "resnet20", "resnet56"), n_train=p.pick(500, 10_000, 50_000),
        n_val=p.pick(200, 2_000, 10_000), n_test=p.pick(100, 100, 0), batch_size=p.pick(64, 256, 1_000), momentum=0.9,
        weight_decay=PAPER_WD, eval_every=p.pick(5, 25, 200), train_probe=False, threads=p.threads, **p.accelerator),
        paper_batch=1_000)
    cycle = base.replace(lr={"name": "triangular", "base_lr": 0.1, "max_lr": 3.0, "step_size_up": stepsize},
                         steps=2 * stepsize)
    # the paper's decays at 50k and 70k of 80k iterations: 5/8 and 7/8 of the run
    step = base.replace(lr={"name": "multistep", "value": 0.35, "milestones": [step_steps * 5 // 8, step_steps * 7 // 8],
                            "gamma": 0.1}, steps=step_steps, eval_every=p.pick(5, 100, 1_000))
    return SuperConvergence(cycle, step, WEIGHT_DECAYS, tuple(seeds) if seeds else p.paired_seeds)


CHAPTER = Chapter("smith-superconvergence", (
    Experiment("one cycle against a step schedule, over weight decays", ("smith-fig-5a", "smith-fig-5b", "smith-remark-3"),
               setup, TESTS),
))


def run(setup: SuperConvergence) -> dict[str, list[History]]:
    return run_grid(setup.grid(), "Figs. 5a, 5b")


def results(setup: SuperConvergence, runs: dict[str, list[History]]) -> pd.DataFrame:
    """Final and best test accuracy of every run beside the paper's (its logs: single runs)."""
    rows = []
    arms = {STEP: (setup.step, "step"), SHORT_STEP: (setup.short_step, None),
            STEP_WD_1E3: (setup.step.replace(weight_decay=1e-3), None),
            **{cycle_arm(wd): (setup.cycle.replace(weight_decay=wd), wd) for wd in setup.weight_decays}}
    for label, (cfg, paper) in arms.items():
        s = final_stats(runs[label])
        rows.append({"run": label, "iterations": cfg.steps, "WD": sci(cfg.weight_decay),
                     "paper final acc. (%, author's logs)": "—" if paper is None else PAPER_FINAL_ACC[paper],
                     "ours final acc. (%)": s.acc_text(), "ours best acc. (%)": f"{100 * s.best_acc:.1f}",
                     "diverged runs": s.diverged_text()})
    return pd.DataFrame(rows).set_index("run")


def glue_settings(setup: SuperConvergence) -> None:
    """The settings the page states, glued from the configs of this profile."""
    data, model = analog(setup.cycle)
    c, s = setup.cycle, setup.step
    glue.values({"s41-data": data, "s41-model": model, "s41-n-train": f"{c.n_train:,}",
                 "s41-n-val": f"{c.n_val:,}", "s41-batch": f"{c.batch_size:,}",
                 "s41-cycle-steps": f"{c.steps:,}", "s41-step-steps": f"{s.steps:,}",
                 "s41-milestone-1": f"{s.lr['milestones'][0]:,}", "s41-milestone-2": f"{s.lr['milestones'][1]:,}",
                 "s41-ratio": f"{s.steps / c.steps:.0f}", "s41-seeds": str(len(setup.seeds))})


def accuracies(setup: SuperConvergence, runs: dict[str, list[History]]) -> dict[str, np.ndarray]:
    """Every arm's final test accuracy per seed (points), glued for the page."""
    values = {arm: final_accuracy(hs, CHANCE) for arm, hs in runs.items()}
    glue_arms("s41-acc", values, {STEP: "step", SHORT_STEP: "short-step", STEP_WD_1E3: "step-1e-3",
                                  **{cycle_arm(wd): sci(wd) for wd in setup.weight_decays}})
    glue.values({f"s41-diverged-{sci(wd)}": final_stats(runs[cycle_arm(wd)]).diverged_text()
                 for wd in setup.weight_decays})
    return values


def gains(acc: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Remark 3: what WD 1e-4 gains over 1e-3 (points, per seed) under the cycle and under the step schedule."""
    return {CYCLE_GAIN: acc[cycle_arm(1e-4)] - acc[cycle_arm(1e-3)], STEP_GAIN: acc[STEP] - acc[STEP_WD_1E3]}


def judge(setup: SuperConvergence, runs: dict[str, list[History]], profile: str) -> dict[str, verdicts.Verdict]:
    acc = accuracies(setup, runs)
    gain = gains(acc)
    glue_arms("s41-gain", gain, {CYCLE_GAIN: "cycle", STEP_GAIN: "step"})
    glue.values({"s41-gain-margin": f"{GAIN_MARGIN:.1f}"})
    return decide(TESTS, {"accuracy": acc, GAIN: gain}, setup.cycle.n_val, profile)


def figure_5a(setup: SuperConvergence, runs: dict[str, list[History]], profile: str) -> None:
    labels = [STEP, SHORT_STEP, cycle_arm(PAPER_WD)]
    shown = {"step, LR 0.35": runs[STEP], "step, LR 0.35, the cycle's length": runs[SHORT_STEP],
             f"CLR 0.1–3, WD {sci(PAPER_WD)}": runs[cycle_arm(PAPER_WD)]}
    fig = plots.curves(shown, y="val_acc", ylabel="test (validation) accuracy",
                       colors=["#1f77b4", "#7f7f7f", "#d62728"])
    if profile == "full":  # the same settings as the author's logs: draw them over ours
        plots.overlay_paper_logs(fig, {"CLR 0.1–3": "clr3SS5kFig1a", "step, LR 0.35": "lr35Fig1a"})
    publish_grid(fig, "smith-fig-5a", setup.grid(), {k: runs[k] for k in labels}, profile)


def figure_5b(setup: SuperConvergence, runs: dict[str, list[History]], profile: str) -> None:
    shown = {f"WD {sci(wd)}": runs[cycle_arm(wd)] for wd in setup.weight_decays}
    fig = plots.curves(shown, y="val_acc", ylabel="test (validation) accuracy")
    if profile == "full":
        plots.overlay_paper_logs(fig, {"WD 1e-3": "clr3SS5kWD-3Fig11", "WD 1e-4": "clr3SS5kFig1a",
                                       "WD 1e-5": "clr3SS5kWD-5Fig11", "WD 1e-6": "clr3SS5kWD-6Fig11"})
    publish_grid(fig, "smith-fig-5b", setup.grid(), {cycle_arm(wd): runs[cycle_arm(wd)] for wd in setup.weight_decays},
                 profile)
