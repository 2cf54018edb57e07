"""The lecture's optimizer figures: on functions of two variables (lecture-f1 … f7, f27 and the mechanism of
notes-x5) and on real data (lecture-optimizers-real, lecture-adam-default, nadam-table, notes-x5 and notes-x6).

Every path below is what an ``hp_lib.optim`` optimizer actually does, step by step
(:func:`hp_lib.optim.trajectory`); nothing is drawn by hand except the arrows of the momentum diagrams,
whose lengths are read from a real optimizer's state. The same code runs at every profile: these are
seconds of work.

* The *valley* is a real loss: least squares with two weights whose features have standard deviations
  0.2 and 1, so its Hessian has a condition number of about 25 and a minibatch gives a noisy gradient of
  exactly that loss (lecture-f1, f3, f5, f27).
* The *saddle* is :math:`f(x, y) = x^2 - y^2 + y^4/2`: a saddle point at the origin between two minima at
  :math:`(0, \\pm 1)` (lecture-f2, f6).
* Reddi et al.'s counterexample (notes-x5's mechanism): on :math:`x \\in [-1, 1]` the loss is
  :math:`1010\\,x` once every 101 steps and :math:`-10\\,x` otherwise, so the average loss :math:`0.1\\,x` is
  smallest at :math:`x = -1`.

The two-variable pictures are deterministic paths at hand-picked constants, or closed forms: they show what
the lecture says but could not have come out otherwise, so an item that has nothing more is an
**illustration** (:data:`ILLUSTRATIONS`). An item whose claim can be put to runs is a **test** (:data:`TESTS`),
declared here before any run: each compares arms fixed in advance (an update rule at a learning rate declared
for it, or at its best of a grid where the claim is about best rates) on the same seeds
(``profile.cheap_seeds``). lecture-f1 and f27 are tested on quadratics and on logistic regression, lecture-f6 on
a network started near a saddle, lecture-f7 by Adam with and without its bias correction on two real tasks.

The real-data items train the analogs of Dozat's (2015) three tasks (a skip-gram for word2vec, the MLP on
8×8 digits for image recognition, a character LSTM for the LSTM language model). Each tested arm runs on
the test seeds; each rule's small learning-rate grid (Dozat's table) and Adam's sweep (a figure) run on the
profile's seeds. notes-x6 is a learning-rate × weight-decay grid of Adam with L2 and of AdamW on 500 digits
(:func:`weight_decay_grid`), each tuned on the other seeds and scored on the held-out one.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
from collections import Counter
from dataclasses import dataclass

import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
import torch

from .. import data as data_lib
from .. import glue, models, optim, plots, profiles, sweep, text, verdicts
from ..train import RunConfig
from .chapter import Chapter, Experiment
from .common import AllOf, Test, decide, final_accuracy, final_loss, glue_arms, illustrate, mean_std, sci

# --- what the chapter claims: illustrations and tests, declared before any run ------------------------------

# id -> (the claim, why it is an illustration and not a test)
ILLUSTRATIONS = {
    "lecture-f2": ("gradient descent stops at a local minimum or a saddle point, and saddle points dominate in "
                   "high dimension",
                   "two 1-D curves built to have a local minimum and a flat point, and a Monte Carlo of random "
                   "symmetric matrices whose answer is known from random-matrix theory"),
    "lecture-f3": ("minibatch gradients are noisy", "a picture of one minibatch path beside the full-batch path"),
    "lecture-f4": ("the momentum and Nesterov updates as vector diagrams",
                   "a diagram: arrows read from one step of a real run"),
    "keras-table": ("the Keras optimizer family and its defaults", "a cited table beside our implementations"),
}

LOSS = "loss"  # the real-data tests' measure (see loss_points)
LOSS_MARGIN = 0.6
WHY_LOSS_MARGIN = ("two standard errors of the mean of the three tasks' held-out losses, each in points of its "
                   "chance loss: the per-sample (for the LSTM, per-window) spread of trained runs on the cpu "
                   "evaluation sets of 5,000 pairs, 540 digits and 500 windows gives standard errors of about 0.45, "
                   "0.50 and 0.45 points per task, 0.27 for their mean; twice that, rounded up")


def _loss_test(id: str, claim: str, treated: str, baseline, what: str) -> Test:
    return Test(id, claim, treated, baseline, f"{what}, held-out loss in points of the chance loss, mean of the "
                "three tasks (lower is better)", measure=LOSS, higher_is_better=False, margin=LOSS_MARGIN,
                why_margin=WHY_LOSS_MARGIN)


# lecture-f1, tested: on quadratics whose curvatures are spread evenly on a log scale from 1/κ to 1, at each rule's
# best learning rate (and momentum) on a grid, plain gradient descent needs steps that grow like the condition
# number κ, heavy-ball momentum like √κ (Polyak 1964). The test fits, per seed, the exponent of the steps in κ over
# CONDITIONS and compares it with 1 and with 1/2. Everything below was fixed before any run.
CONDITIONS = (5, 25, 100)
QUADRATIC_DIM = 10
TOLERANCE = 1e-6                        # the loss stays below this fraction of its start from then on
LR_GRID = np.geomspace(0.01, 4.0, 81)   # times 1/(the largest curvature), which is 1
MOMENTUM_GRID = np.arange(0.0, 0.99, 0.025)
MAX_STEPS = 1_000                       # over six times the slowest rule's need (gradient descent at κ = 100)
EXPONENT = "exponent"
GD, MOMENTUM, LINEAR, SQRT = "gradient descent", "momentum", "κ", "√κ"
EXPONENT_MARGIN = 0.125
WHY_EXPONENT_MARGIN = "a quarter of the gap between the two exponents the lecture contrasts, 1 and 1/2"


def _exponent_test(id: str, rule: str, law: str, exponent: str) -> Test:
    return Test(id, f"at its best learning rate, {rule}'s steps to a tolerance grow like {law}", rule, law,
                f"the exponent of {rule}'s steps in κ minus {exponent}", measure=EXPONENT, margin=EXPONENT_MARGIN,
                why_margin=WHY_EXPONENT_MARGIN, form=verdicts.EQUIVALENCE)


# lecture-f27, tested: full-batch multinomial logistic regression on digits (every weight, biases too, under an
# L2 penalty, so the minimum is unique), from zero weights. Newton's method, w ← w − H⁻¹∇L, has no learning rate;
# gradient descent and Adam each take their best of a grid. Each seed draws the training digits. The measure is
# the iterations a method needs before its loss stays within F27_TOLERANCE of the start's gap to the minimum
# (the lowest loss Newton reaches), through F27_MAX_ITER. Everything below was fixed before any run. (Here, as in
# lecture-f1, a rule's best rate on its own runs is what the claim is about; it can only favour the first-order
# rules, never Newton.)
F27_TRAIN = 300
F27_L2 = 1e-2
F27_TOLERANCE = 1e-6
F27_MAX_ITER = 4_000
F27_NEWTON_ITER = 30
F27_LRS = {"gradient descent": np.geomspace(0.01, 10.0, 13), "Adam": np.geomspace(1e-3, 1.0, 13)}  # 10^¼ apart
NEWTON = "Newton"
ITERATIONS = "log10 iterations"
# ... and L-BFGS (torch.optim.LBFGS, one iteration per step, strong-Wolfe line search), full batch and on
# minibatches of F27_MINIBATCH digits (a new one per step), each until it has evaluated F27_EPOCHS passes' worth of
# per-sample gradients (its line search's evaluations count): the measure is how far each ends from the minimum,
# log10 of its gap over the start's (floored at F27_FLOOR, float64's reach on this loss).
F27_MINIBATCH = 30
F27_EPOCHS = 50
F27_FLOOR = 1e-12
LBFGS, LBFGS_MINIBATCH = "L-BFGS", "L-BFGS, minibatches"
GAP = "log10 final gap"

# lecture-f5, tested: "the adaptive methods head more directly for the minimum". On the valley of each seed's
# data, from a start at VALLEY_START's distance from the minimum in a direction the seed draws, each rule of
# OPTIMIZERS runs at its best rate of F5_LRS (the fewest steps after which its loss stays within F5_TOLERANCE of
# the start's gap, through F5_MAX_STEPS; the same rule as lecture-f1's). The measure is the path's directness:
# the straight distance from the start to where it got, over the length of the path walked until then (1: a
# straight line). Each adaptive rule against plain SGD and SGD with momentum. (Momentum's overshoot, and
# Nesterov's smaller one, follow from the roots of the update's characteristic polynomial on a quadratic: the
# (η, μ) sweep checks them against the runs, it does not test them.) Everything here was fixed before any run.
F5_LRS = np.geomspace(1e-3, 10.0, 17)  # 10^¼ apart
F5_TOLERANCE = 1e-3
F5_MAX_STEPS = 500
F5_ADAPTIVE = ("AdaGrad", "RMSProp", "Adam")
F5_BASELINES = ("SGD", "SGD+Momentum")
DIRECTNESS = "directness"
DIRECTNESS_MARGIN = 0.1

# lecture-f6, tested on a real saddle: the digits MLP of Dozat's image-recognition task with every weight
# SADDLE_INIT times PyTorch's default (biases at theirs). Its output then barely depends on its input, and
# training starts on a plateau at the chance loss, around the saddle where every weight is zero. Each rule runs
# at the rate declared for it on that task (GRID_CENTRES), on the test seeds; a run has left the plateau when the
# mean of its last ESCAPE_WINDOW minibatch losses falls below ESCAPE_FRACTION of the chance loss (never: its
# steps + 1). RMSProp against SGD is the lecture's animation; against AdaGrad, the notes' warning that AdaGrad's
# rate, which only shrinks, can leave it stuck near a saddle point. Everything here was fixed before any run.
SADDLE_INIT = 1e-2
SADDLE_ARMS = {"SGD": "GD", "RMSProp": "RMS", "AdaGrad": "AdaGrad"}  # the lecture's name -> RULES'
ESCAPE_FRACTION = 0.9
ESCAPE_WINDOW = 10
ESCAPE = "log10 steps to leave the saddle"

# lecture-f7, tested: Adam with and without its bias correction on two of Dozat's tasks, the digits MLP and the
# character LSTM, at the rate declared for Adam on each (GRID_CENTRES), on the test seeds. A step that is too
# large shows as a rise of the minibatch loss above the median of the SPIKE_WINDOW steps before it; the measure is
# the height of a run's largest rise among its first EARLY_STEPS steps (a run that diverges there: the chance
# loss), its log10 averaged over the two tasks. A rise of more than SPIKE_NATS is counted as a spike, for the
# figure and the prose. (The count was the measure first declared; the cpu runs gave no spike in either arm, so
# it could not compare them, and the height replaced it before any height was looked at.)
BIAS_TASKS = ("image recognition", "LSTM language model")
EARLY_STEPS = 200
SPIKE_NATS = 0.5
SPIKE_WINDOW = 10
SPIKES = "log10 largest early rise"
UNCORRECTED = "Adam without bias correction"


TESTS = [
    AllOf("lecture-f27", "a second-order (Newton) step needs no learning rate: on a full-batch convex problem Newton's "
          "method reaches the minimum in fewer iterations than gradient descent and Adam, each at its best learning "
          "rate; L-BFGS works well with the full batch but not with minibatches", (
              Test("lecture-f27-newton", "Newton's method reaches the minimum in fewer iterations than gradient "
                   "descent and Adam, each at its best learning rate", NEWTON, tuple(F27_LRS),
                   "log10 of the other method's iterations to the tolerance minus Newton's", measure=ITERATIONS,
                   higher_is_better=False, margin=math.log10(2), why_margin="a factor of two in iterations"),
              Test("lecture-f27-lbfgs", "for the same number of per-sample gradients, L-BFGS on minibatches ends "
                   "further from the minimum than L-BFGS on the full batch", LBFGS, LBFGS_MINIBATCH,
                   "log10 of the final gap to the minimum over the start's, minibatches minus full batch",
                   measure=GAP, higher_is_better=False, margin=math.log10(2),
                   why_margin="a factor of two in the gap"))),
    AllOf("lecture-f5", "the adaptive methods head more directly for the minimum: on the valley, each at its best "
          "learning rate, AdaGrad's, RMSProp's and Adam's paths are straighter than plain SGD's and SGD with "
          "momentum's",
          tuple(Test(f"lecture-f5-{rule.lower()}", f"{rule}'s path is straighter than SGD's and SGD+Momentum's", rule,
                     F5_BASELINES, "the straight distance over the path's length (1: a straight line), "
                     f"{rule} minus the other rule", measure=DIRECTNESS, margin=DIRECTNESS_MARGIN,
                     why_margin="a tenth of the straight line") for rule in F5_ADAPTIVE)),
    Test("lecture-f6", "at a saddle point SGD stays on the ridge while RMSProp quickly finds the way down, and "
         "AdaGrad, whose rate only shrinks, can be left stuck near it: from a network's saddle RMSProp leaves in fewer "
         "steps than SGD and than AdaGrad, each at the rate declared for it on the task", "RMSProp",
         ("SGD", "AdaGrad"), "log10 of the other rule's steps to leave the saddle minus RMSProp's", measure=ESCAPE,
         higher_is_better=False, margin=math.log10(2), why_margin="a factor of two in steps"),
    Test("lecture-f7", "without bias correction Adam's first steps are too large: at Adam's rate on the digits MLP "
         "and the character LSTM, its training loss spikes higher early in training than with the correction",
         "Adam", UNCORRECTED, f"log10 of the largest rise of the minibatch loss in the first {EARLY_STEPS} steps "
         "(mean of the two tasks), without the correction minus with it", measure=SPIKES, higher_is_better=False,
         margin=math.log10(2), why_margin="a factor of two in height"),
    AllOf("lecture-f1", "plain gradient descent crawls along the shallow direction of an ill-conditioned loss: at "
          "its best learning rate its steps to a tolerance grow like the condition number κ, with momentum like √κ",
          (_exponent_test("lecture-f1-gd", GD, LINEAR, "1"), _exponent_test("lecture-f1-momentum", MOMENTUM, SQRT, "1/2"))),
    # The real-data tests' arms are the sources' own: the lecture's first choice against the rules Adam combines
    # and improves on, each at the rate declared for it on each task (GRID_CENTRES); the lecture's default rate
    # against a decade either way; Dozat's Nadam and Reddi et al.'s AMSGrad against Adam at Adam's rate; AdamW
    # against Adam + L2, each tuned on the other seeds. Never the best of a grid chosen on the runs a test scores.
    _loss_test("lecture-optimizers-real", "prefer Adam as the optimizer: it ends below plain SGD, AdaGrad and "
               "RMSProp, each at the rate declared for it on the task", "Adam", ("SGD", "AdaGrad", "RMSProp"),
               "the other rule minus Adam"),
    _loss_test("lecture-adam-default", "Adam's learning rate 1e-3 is a great starting point: it ends below "
               "rates ten times smaller and ten times larger", "Adam, LR 1e-3", ("Adam, LR 1e-4", "Adam, LR 1e-2"),
               "the other rate minus 1e-3"),
    _loss_test("nadam-table", "Nadam (Adam with Nesterov momentum) ends below Adam at the same learning rate",
               "Nadam", "Adam", "Adam minus Nadam"),
    _loss_test("notes-x5", "AMSGrad (Adam normalised by the running maximum of v) ends below Adam at the same "
               "learning rate", "AMSGrad", "Adam", "Adam minus AMSGrad"),
    Test("notes-x6", "decoupled weight decay (AdamW) generalizes better than L2 inside Adam, each tuned over "
         "its learning-rate x weight-decay grid", "AdamW, tuned", "Adam + L2, tuned",
         "AdamW minus Adam + L2, each at the grid cell chosen on the other seeds, final held-out accuracy "
         "(points)"),
]



def illustrations() -> dict[str, verdicts.Verdict]:
    """The chapter's illustrations, each with its verdict line glued (``<id>-verdict``)."""
    return {id: illustrate(id, claim, why) for id, (claim, why) in ILLUSTRATIONS.items()}


def judge(measures: dict[str, dict[str, np.ndarray]], ids, profile: str, n_eval: int = 0) -> dict[str, verdicts.Verdict]:
    """Decide the tests ``ids`` on ``measures`` (measure -> arm -> one value per seed), their lines glued."""
    return decide(tests(*ids), measures, n_eval, profile)


def tests(*ids: str) -> list[Test]:
    return [t for t in TESTS if t.id in ids]


def _pct(x: float, digits: int = 0) -> str:
    return f"{100 * x:.{digits}f}"


# --- the valley: least squares with two weights ------------------------------------------------------------


@dataclass
class Valley:
    """Least squares :math:`L(w) = \\frac{1}{2n}\\sum_i (x_i \\cdot w - y_i)^2` with two weights. The first
    feature has standard deviation 0.2 and the second 1: the loss is shallow along :math:`w_1` and steep
    along :math:`w_2`."""
    x: torch.Tensor
    y: torch.Tensor

    @classmethod
    def make(cls, n: int = 512, seed: int = 0, w_true=(0.0, 0.0), noise: float = 0.3) -> "Valley":
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(n, 2, generator=g, dtype=torch.float64) * torch.tensor([0.2, 1.0], dtype=torch.float64)
        x = (x - x.mean(0)) / x.std(0) * torch.tensor([0.2, 1.0], dtype=torch.float64)  # exact scales, no cross term
        x[:, 1] -= x[:, 0] * (x[:, 0] @ x[:, 1]) / (x[:, 0] @ x[:, 0])
        y = x @ torch.tensor(w_true, dtype=torch.float64) + noise * torch.randn(n, generator=g, dtype=torch.float64)
        return cls(x, y)

    def loss(self, w1, w2, rows=None):
        w1, w2 = torch.as_tensor(w1), torch.as_tensor(w2)
        if rows is None:  # the same quadratic, from its moments: no axis of n samples over a contour grid
            (h11, h12), (_, h22) = self.hessian()
            b1, b2 = self.x.T @ self.y / len(self.y)
            return 0.5 * (h11 * w1 ** 2 + 2 * h12 * w1 * w2 + h22 * w2 ** 2) - b1 * w1 - b2 * w2 + \
                0.5 * (self.y @ self.y) / len(self.y)
        x, y = self.x[rows], self.y[rows]
        pred = x[:, 0].reshape((-1,) + (1,) * w1.dim()) * w1 + x[:, 1].reshape((-1,) + (1,) * w2.dim()) * w2
        return 0.5 * ((pred - y.reshape((-1,) + (1,) * w1.dim())) ** 2).mean(0)

    def hessian(self) -> torch.Tensor:
        return self.x.T @ self.x / len(self.y)

    def minimum(self) -> torch.Tensor:
        return torch.linalg.solve(self.x.T @ self.x, self.x.T @ self.y)

    def minibatch_loss(self, batch_size: int, seed: int = 0):
        """A loss function that draws a new minibatch at every call: the optimizer sees noisy gradients."""
        g = torch.Generator().manual_seed(seed)

        def f(w1, w2):
            return self.loss(w1, w2, torch.randint(len(self.y), (batch_size,), generator=g))
        return f


def saddle(x, y):
    """:math:`x^2 - y^2 + y^4/2`: a saddle at the origin, minima at :math:`(0, \\pm 1)`."""
    return x ** 2 - y ** 2 + y ** 4 / 2


VALLEY_START = (-2.6, 1.1)

# the lecture's six update rules, each at a learning rate that suits it on the valley
OPTIMIZERS = {
    "SGD": lambda p, lr=1.8: optim.SGD(p, lr=lr),
    "SGD+Momentum": lambda p, lr=0.3: optim.SGD(p, lr=lr, momentum=0.9, form="velocity"),
    "Nesterov": lambda p, lr=0.3: optim.SGD(p, lr=lr, momentum=0.9, nesterov=True, form="velocity"),
    "AdaGrad": lambda p, lr=1.0: optim.AdaGrad(p, lr=lr),
    "RMSProp": lambda p, lr=0.1: optim.RMSProp(p, lr=lr, alpha=0.9),
    "Adam": lambda p, lr=0.3: optim.Adam(p, lr=lr),
}
SADDLE_LR = 0.02  # one learning rate for every optimizer on the saddle, as in the lecture's animation
SADDLE_START = (1.2, 1e-3)
SADDLE_STEPS = 150   # the figure's horizon
SADDLE_LONG = 600    # a longer run, to see when every path leaves the ridge


def paths(f, start, steps: int, optimizers=None, **lr) -> dict[str, np.ndarray]:
    """Each optimizer's path on ``f`` from ``start``: name -> ``(steps + 1, 2)`` array."""
    optimizers = optimizers or OPTIMIZERS
    return {name: optim.trajectory(lambda p, make=make, name=name: make(p, **({"lr": lr[name]} if name in lr else {})),
                                   f, start, steps).numpy()
            for name, make in optimizers.items()}


def _contours(ax, f, xlim, ylim, levels=20, log=True):
    xs, ys = np.linspace(*xlim, 240), np.linspace(*ylim, 240)
    X, Y = np.meshgrid(xs, ys)
    Z = f(torch.as_tensor(X), torch.as_tensor(Y)).numpy()
    if log:
        Z = np.log(Z - Z.min() + 1e-3)
    ax.contour(X, Y, Z, levels=levels, colors="0.75", linewidths=0.7, linestyles="solid")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)


def _path(ax, xy, label, color, marker="o"):
    ax.plot(xy[:, 0], xy[:, 1], "-", color=color, lw=1.3, label=label, marker=marker, ms=2.5)


VALLEY_BOX = ((-3.0, 1.2), (-1.4, 1.4))


# --- lecture-f1: the zig-zag of plain gradient descent ----------------------------------------------------

def zigzag(valley: Valley, steps: int = 30, lr: float = 1.8) -> dict:
    """Full-batch gradient descent on the valley: its path, the Hessian's eigenvalues and condition number,
    and how the path moves in each direction."""
    path = optim.trajectory(lambda p: optim.SGD(p, lr=lr), valley.loss, VALLEY_START, steps).numpy()
    eig = torch.linalg.eigvalsh(valley.hessian()).numpy()
    w_star = valley.minimum().numpy()
    steep = np.diff(path[:, 1] - w_star[1])
    return {"path": path, "eigenvalues": eig, "condition": float(eig[-1] / eig[0]), "lr": lr,
            "steep_sign_flips": float(np.mean(np.sign(steep[1:]) != np.sign(steep[:-1]))),
            "shallow_left": float(abs(path[-1, 0] - w_star[0]) / abs(path[0, 0] - w_star[0])),
            "steep_left": float(abs(path[-1, 1] - w_star[1]) / abs(path[0, 1] - w_star[1]))}



def glue_zigzag(valley: Valley, z: dict) -> None:
    """The numbers lecture-f1's prose states."""
    lo, hi = z["eigenvalues"]
    glue.values({"lo-valley-n": f"{len(valley.y):,}", "lo-f1-steps": str(len(z["path"]) - 1), "lo-f1-lr": f"{z['lr']:g}",
                 "lo-f1-eig-lo": f"{lo:.3f}", "lo-f1-eig-hi": f"{hi:.3f}", "lo-f1-condition": f"{z['condition']:.0f}",
                 "lo-f1-flips": _pct(z["steep_sign_flips"]), "lo-f1-steep-left": _pct(z["steep_left"], 1),
                 "lo-f1-shallow-left": _pct(z["shallow_left"]), "lo-f1-limit": f"{2 / hi:.2f}",
                 "lo-f1-factor": f"{1 - 2 * lo / hi:.2f}"})


def figure_zigzag(valley: Valley, z: dict, scaling: "ConditionScaling", profile: str) -> None:
    """The zig-zag on the valley (left) and the steps each rule needs against the condition number (right)."""
    fig, (ax, right) = plt.subplots(1, 2, figsize=(10, 3.6), width_ratios=(1.6, 1))
    _contours(ax, valley.loss, *VALLEY_BOX)
    _path(ax, z["path"], f"gradient descent, LR {z['lr']}", "C3")
    ax.plot(*valley.minimum().numpy(), "*", color="k", ms=10, label="minimum")
    ax.set_xlabel("$w_1$ (shallow direction)")
    ax.set_ylabel("$w_2$ (steep direction)")
    ax.set_title(f"least squares, condition number {z['condition']:.0f}")
    ax.legend(fontsize=8, loc="lower right")
    for (rule, steps), color in zip(scaling.steps.items(), ("C3", "C0")):
        right.plot(CONDITIONS, steps, color=color, lw=0.6, alpha=0.4)
        right.plot(CONDITIONS, steps.mean(1), "o-", color=color, label=f"{rule} (best LR{', momentum' if rule == MOMENTUM else ''})")
    right.set(xscale="log", yscale="log", xlabel="condition number κ", ylabel=f"steps to {sci(TOLERANCE)} of the start loss",
              title=f"quadratics in {QUADRATIC_DIM} dimensions")
    right.set_xticks(CONDITIONS, [str(k) for k in CONDITIONS])
    right.legend(fontsize=8)
    plots.publish(fig, "lecture-f1", profile, f"2-D least squares (512 samples); {QUADRATIC_DIM}-D quadratics",
                  "gradient descent, SGD with momentum", seeds=list(scaling.seeds))


def quadratic(condition: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(Hessian, start) of the seed's quadratic :math:`\frac{1}{2} w^\top H w` in QUADRATIC_DIM dimensions:
    curvatures from 1/``condition`` to 1, evenly on a log scale, along random orthogonal directions."""
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(QUADRATIC_DIM, QUADRATIC_DIM, generator=g, dtype=torch.float64))
    curvatures = torch.logspace(-math.log10(condition), 0.0, QUADRATIC_DIM, dtype=torch.float64)
    return q @ torch.diag(curvatures) @ q.T, torch.randn(QUADRATIC_DIM, generator=g, dtype=torch.float64)


def _iterations(losses: np.ndarray, bound: float) -> np.ndarray:
    """Per run (the last axis of ``losses``, one row per iteration from the start), the iterations after which
    its loss stays within ``bound``: the last iteration above it, plus one (the run's length + 1 when never; a diverged run, inf or NaN, stays above)."""
    above = ~(losses <= bound)
    last = np.where(above.any(0), len(losses) - 1 - np.argmax(above[::-1], 0), -1)
    return last + 1


def steps_to_tolerance(condition: float, seed: int) -> dict[str, int]:
    """Each rule's fewest steps, over the grid, after which the seed's quadratic stays below TOLERANCE times its
    starting loss (MAX_STEPS + 1: never within MAX_STEPS): every (LR, momentum) pair of the grid runs as one
    member of :class:`hp_lib.optim.MemberSGD` (PyTorch's SGD per member); gradient descent is momentum 0."""
    h, start = quadratic(condition, seed)
    lr, mu = (torch.tensor(v.ravel()) for v in np.meshgrid(LR_GRID, MOMENTUM_GRID, indexing="ij"))
    w = torch.nn.Parameter(start.repeat(len(lr), 1))
    opt = optim.MemberSGD([w], len(lr), lr, mu, torch.zeros(len(lr)))
    losses = [np.full(len(lr), 0.5 * float(start @ h @ start))]  # each step's loss of every member
    for _ in range(MAX_STEPS):
        w.grad = w.detach() @ h
        opt.step()
        losses.append((0.5 * ((w.detach() @ h) * w.detach()).sum(1)).numpy())
    steps = _iterations(np.array(losses), TOLERANCE * losses[0][0])
    return {GD: int(steps[mu.numpy() == 0].min()), MOMENTUM: int(steps.min())}


@dataclass
class ConditionScaling:
    """Steps to the tolerance per rule, condition number and seed (``steps[rule][i, j]``: CONDITIONS[i], seed j),
    and each seed's fitted exponent per rule."""
    seeds: tuple[int, ...]
    steps: dict[str, np.ndarray]

    def exponents(self) -> dict[str, np.ndarray]:
        log_k = np.log(CONDITIONS)
        return {rule: np.array([np.polyfit(log_k, np.log(s[:, j]), 1)[0] for j in range(s.shape[1])])
                for rule, s in self.steps.items()}


def condition_scaling(profile: str, seeds=None) -> ConditionScaling:
    """lecture-f1's runs: every condition number on every seed (seconds)."""
    seeds = test_seeds(profile, seeds)
    runs = {(k, s): steps_to_tolerance(k, s) for k in CONDITIONS for s in seeds}
    return ConditionScaling(seeds, {rule: np.array([[runs[k, s][rule] for s in seeds] for k in CONDITIONS])
                                    for rule in (GD, MOMENTUM)})


def judge_condition_scaling(scaling: ConditionScaling, profile: str) -> dict[str, verdicts.Verdict]:
    """lecture-f1 decided on the exponents (against 1 and 1/2 on the same seeds), its numbers glued."""
    e = scaling.exponents()
    n = len(scaling.seeds)
    measures = {EXPONENT: {GD: e[GD], LINEAR: np.ones(n), MOMENTUM: e[MOMENTUM], SQRT: np.full(n, 0.5)}}
    steps = {f"lo-f1-steps-{name}-{k}": f"{scaling.steps[rule][i].mean():,.0f}"
             for rule, name in ((GD, "gd"), (MOMENTUM, "momentum")) for i, k in enumerate(CONDITIONS)}
    glue.values({"lo-f1-dim": str(QUADRATIC_DIM), "lo-f1-tolerance": sci(TOLERANCE), "lo-f1-seeds": str(n),
                 "lo-f1-lrs": str(len(LR_GRID)), "lo-f1-lr-lo": f"{LR_GRID[0]:g}", "lo-f1-lr-hi": f"{LR_GRID[-1]:g}",
                 "lo-f1-momentum-hi": f"{MOMENTUM_GRID[-1]:g}", "lo-f1-margin": f"{EXPONENT_MARGIN:g}",
                 "lo-f1-exp-gd": mean_std(e[GD], 2), "lo-f1-exp-momentum": mean_std(e[MOMENTUM], 2), **steps})
    return judge(measures, ("lecture-f1",), profile)


# --- lecture-f2: local minima and saddle points ----------------------------------------------------------

def _bumpy(x, y=0.0):
    """:math:`x^4 - 3x^2 + x`: a local minimum near 1.13 beside the global one near -1.30."""
    return x ** 4 - 3 * x ** 2 + x + 0 * y


def _flat_saddle(x, y=0.0):
    """:math:`x^3`: zero gradient at 0 without being a minimum."""
    return x ** 3 + 0 * y


def minima_fraction(dims=tuple(range(1, 9)), samples: int = 20_000, seed: int = 0) -> pd.DataFrame:
    """For random critical points whose Hessian is a random symmetric Gaussian matrix (GOE) of size ``n``,
    the fraction that are minima (every eigenvalue positive) rather than saddles."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for n in dims:
        a = torch.randn(samples, n, n, generator=g, dtype=torch.float64)
        eig = torch.linalg.eigvalsh((a + a.transpose(1, 2)) / 2)
        rows.append({"dimension": n, "minima": float((eig > 0).all(1).double().mean()), "samples": samples})
    return pd.DataFrame(rows)


def stuck_points(steps: int = 500, lr: float = 0.01) -> dict:
    """Gradient descent on the two 1-D curves: where it stops and the gradient there."""
    out = {"steps": steps, "lr": lr}
    for name, f, x0 in (("local minimum", _bumpy, 2.0), ("saddle point", _flat_saddle, 1.0)):
        path = optim.trajectory(lambda p: optim.SGD(p, lr=lr), f, (x0, 0.0), steps).numpy()[:, 0]
        x = torch.tensor(path[-1], dtype=torch.float64, requires_grad=True)
        f(x).backward()
        out[name] = {"path": path, "end": float(path[-1]), "gradient": float(x.grad)}
    return out



def glue_saddles(stuck: dict, fractions: pd.DataFrame) -> None:
    """The numbers lecture-f2's prose states: where gradient descent stops on the two curves, and the share
    of random critical points that are minima."""
    share = dict(zip(fractions["dimension"], fractions["minima"]))
    below = [n for n, f in share.items() if f < 0.01]
    values = {f"lo-f2-minima-{n}": f"{100 * share[n]:.2f}" for n in (1, 2, 3, 5, 8) if n in share}
    values.update({"lo-f2-below-from": str(min(below)) if below else "—",
                   "lo-f2-samples": f"{int(fractions['samples'].iloc[0]):,}",
                   "lo-f2-steps": str(stuck["steps"]), "lo-f2-lr": f"{stuck['lr']:g}",
                   "lo-f2-end-minimum": f"{stuck['local minimum']['end']:.2f}",
                   "lo-f2-end-saddle": f"{stuck['saddle point']['end']:.2f}",
                   "lo-f2-gradient-saddle": f"{stuck['saddle point']['gradient']:.0e}"})
    glue.values(values)


def figure_saddles(stuck: dict, fractions: pd.DataFrame, profile: str) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.3))
    xs = np.linspace(-1.9, 2.1, 300)
    for ax, (name, f) in zip(axes, (("local minimum", _bumpy), ("saddle point", _flat_saddle))):
        s = stuck[name]
        lo = -1.2 if name == "saddle point" else -1.9
        x = xs[xs >= lo]
        ax.plot(x, f(torch.as_tensor(x)).numpy(), color="0.3")
        p = s["path"]
        ax.plot(p, f(torch.as_tensor(p)).numpy(), "o", color="C3", ms=2.5, label="gradient descent")
        ax.set_title(f"{name}: stops at x = {s['end']:.2f}, gradient {s['gradient']:.0e}", fontsize=9)
        ax.set_xlabel("x")
        ax.legend(fontsize=8)
    axes[0].set_ylabel("loss")
    ax = axes[2]
    seen = fractions[fractions["minima"] > 0]
    ax.semilogy(seen["dimension"], seen["minima"], "o-", color="C0")
    none = fractions[fractions["minima"] == 0]
    if len(none):
        ax.text(0.97, 0.9, f"n ≥ {none['dimension'].min()}: no minimum in\n{fractions['samples'].iloc[0]:,} samples",
                transform=ax.transAxes, ha="right", va="top", fontsize=8)
    ax.set_xlim(0.5, fractions["dimension"].max() + 0.5)
    ax.set_xlabel("dimension n")
    ax.set_ylabel("share that are minima")
    ax.set_title("critical points with random Hessians (GOE)", fontsize=9)
    fig.tight_layout()
    plots.publish(fig, "lecture-f2", profile, "1-D curves, random Hessians", "gradient descent")


# --- lecture-f3: minibatch noise --------------------------------------------------------------------------

def noisy_paths(valley: Valley, steps: int = 60, lr: float = 0.9, batch_size: int = 8, seed: int = 0) -> dict:
    """Full-batch gradient descent against minibatch SGD at the same LR, and how noisy the minibatch
    gradient is at the start and at the minimum (its standard deviation over the full gradient's norm)."""
    full = optim.trajectory(lambda p: optim.SGD(p, lr=lr), valley.loss, VALLEY_START, steps).numpy()
    mini = optim.trajectory(lambda p: optim.SGD(p, lr=lr), valley.minibatch_loss(batch_size, seed),
                            VALLEY_START, steps).numpy()
    noise = {}
    for where, w in (("start", torch.tensor(VALLEY_START, dtype=torch.float64)), ("minimum", valley.minimum())):
        g = torch.Generator().manual_seed(seed)
        grads = []
        for _ in range(500):
            w_ = w.clone().requires_grad_(True)
            valley.loss(w_[0], w_[1], torch.randint(len(valley.y), (batch_size,), generator=g)).backward()
            grads.append(w_.grad)
        grads = torch.stack(grads)
        noise[where] = {"mean_norm": float(grads.mean(0).norm()), "std": float(grads.std(0).norm())}
    return {"full": full, "minibatch": mini, "lr": lr, "batch_size": batch_size, "noise": noise}



def glue_noise(valley: Valley, n: dict) -> None:
    """The numbers lecture-f3's caption states: the minibatch gradient's mean and noise at the start and at the
    minimum."""
    s, m = n["noise"]["start"], n["noise"]["minimum"]
    glue.values({"lo-f3-batch": str(n["batch_size"]), "lo-f3-steps": str(len(n["full"]) - 1), "lo-f3-lr": f"{n['lr']:g}",
                 "lo-f3-start-norm": f"{s['mean_norm']:.2f}", "lo-f3-start-noise": f"{s['std']:.2f}",
                 "lo-f3-minimum-norm": f"{m['mean_norm']:.1e}", "lo-f3-minimum-noise": f"{m['std']:.2f}"})


def figure_noise(valley: Valley, n: dict, profile: str) -> None:
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    _contours(ax, valley.loss, *VALLEY_BOX)
    _path(ax, n["full"], f"full batch (512), LR {n['lr']}", "C0")
    _path(ax, n["minibatch"], f"minibatch of {n['batch_size']}, LR {n['lr']}", "C3")
    ax.set_xlabel("$w_1$ (shallow direction)")
    ax.set_ylabel("$w_2$ (steep direction)")
    ax.legend(fontsize=8, loc="lower right")
    plots.publish(fig, "lecture-f3", profile, "2-D least squares (512 samples)", "SGD")


# --- lecture-f4: the momentum and Nesterov diagrams ---------------------------------------------------

def momentum_vectors(valley: Valley, lr: float = 0.3, mu: float = 0.9, at_step: int = 3) -> dict:
    """The arrows of the two diagrams, read from a heavy-ball run on the valley after ``at_step`` steps:
    the velocity :math:`\\mu v`, the gradient step :math:`-\\eta\\nabla f` (at the point, or at the
    look-ahead point for Nesterov) and their sum, the actual step. The heavy-ball sum is checked against the
    optimizer's own next step."""
    path = optim.trajectory(lambda p: optim.SGD(p, lr=lr, momentum=mu, form="velocity"), valley.loss,
                            VALLEY_START, at_step + 1).numpy()
    here, v = path[at_step], path[at_step] - path[at_step - 1]

    def grad_at(point):
        w = torch.tensor(point, dtype=torch.float64, requires_grad=True)
        valley.loss(w[0], w[1]).backward()
        return w.grad.numpy()

    heavy = {"velocity": mu * v, "gradient": -lr * grad_at(here)}
    heavy["step"] = heavy["velocity"] + heavy["gradient"]
    nesterov = {"velocity": mu * v, "gradient": -lr * grad_at(here + mu * v)}
    nesterov["step"] = nesterov["velocity"] + nesterov["gradient"]
    mismatch = float(np.abs(heavy["step"] - (path[at_step + 1] - here)).max())
    if mismatch > 1e-12:
        raise AssertionError(f"the heavy-ball diagram disagrees with hp_lib.optim.SGD by {mismatch}")
    return {"point": here, "momentum": heavy, "nesterov": nesterov, "lr": lr, "mu": mu, "at_step": at_step}


def glue_momentum_vectors(vec: dict) -> None:
    glue.values({"lo-f4-lr": f"{vec['lr']:g}", "lo-f4-mu": f"{vec['mu']:g}", "lo-f4-step": str(vec["at_step"])})


def figure_momentum_vectors(vec: dict, profile: str) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.6))
    colors = {"velocity": "C0", "gradient": "C3", "step": "k"}
    p = vec["point"]
    for ax, kind, title in zip(axes, ("momentum", "nesterov"), ("Momentum update", "Nesterov momentum")):
        a = vec[kind]
        starts = {"velocity": p, "gradient": p + a["velocity"] if kind == "nesterov" else p, "step": p}
        labels = {"velocity": "velocity $\\mu v$",
                  "gradient": "gradient step $-\\eta\\nabla f(\\theta + \\mu v)$" if kind == "nesterov"
                  else "gradient step $-\\eta\\nabla f(\\theta)$", "step": "actual step"}
        for name in ("velocity", "gradient", "step"):
            ax.annotate("", xy=starts[name] + a[name], xytext=starts[name],
                        arrowprops={"arrowstyle": "-|>", "color": colors[name], "lw": 2})
            ax.plot([], [], color=colors[name], lw=2, label=labels[name])
        pts = np.array([p, p + a["velocity"], p + a["step"], p + a["gradient"],
                        p + a["velocity"] + a["gradient"]])
        pad = 0.15 * np.ptp(pts, axis=0).max()
        ax.set_xlim(pts[:, 0].min() - pad, pts[:, 0].max() + pad)
        ax.set_ylim(pts[:, 1].min() - pad, pts[:, 1].max() + pad)
        ax.plot(*p, "o", color="k", ms=4)
        ax.set_title(title)
        ax.set_xlabel("$w_1$")
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    axes[0].set_ylabel("$w_2$")
    fig.tight_layout()
    plots.publish(fig, "lecture-f4", profile, "2-D least squares (512 samples)",
                  f"SGD, LR {vec['lr']}, momentum {vec['mu']}")


# --- lecture-f5 and f6: six optimizers on the valley and on the saddle ----------------------------------

def valley_paths(valley: Valley, steps: int = 60) -> dict[str, np.ndarray]:
    return paths(valley.loss, VALLEY_START, steps)


def saddle_paths(steps: int = SADDLE_STEPS) -> dict[str, np.ndarray]:
    return paths(saddle, SADDLE_START, steps, **{name: SADDLE_LR for name in OPTIMIZERS})


def escape_steps(saddle_runs: dict[str, np.ndarray], threshold: float = 0.5) -> dict[str, int | None]:
    """The first step at which each path is ``threshold`` away from the saddle along the escape
    direction (``None``: never, within the run)."""
    out = {}
    for name, xy in saddle_runs.items():
        away = np.nonzero(np.abs(xy[:, 1]) >= threshold)[0]
        out[name] = int(away[0]) if len(away) else None
    return out


def overshoot(valley: Valley, valley_runs: dict[str, np.ndarray]) -> dict[str, float]:
    """How far each path passes beyond the minimum along the shallow direction, in units of the starting
    distance (0: it never crosses)."""
    w1_star = float(valley.minimum()[0])
    start = VALLEY_START[0] - w1_star
    return {name: float(max(0.0, np.max((xy[:, 0] - w1_star) / -start))) for name, xy in valley_runs.items()}



# --- lecture-f5, tested: how directly each rule heads for the minimum; momentum's overshoot against its roots --

def _valley_start(valley: Valley, seed: int) -> torch.Tensor:
    """A start at VALLEY_START's distance from the default valley's minimum, from ``valley``'s minimum, in a
    direction the seed draws."""
    r = float(torch.linalg.norm(torch.tensor(VALLEY_START, dtype=torch.float64) - Valley.make().minimum()))
    angle = 2 * math.pi * torch.rand(1, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return valley.minimum() + r * torch.cat([torch.cos(angle), torch.sin(angle)])


def directness(path: np.ndarray) -> float:
    """The straight distance from a path's first point to its last over the length walked between them."""
    walked = np.linalg.norm(np.diff(path, axis=0), axis=1).sum()
    return float(np.linalg.norm(path[-1] - path[0]) / walked) if walked > 0 else 1.0


def best_paths(valley: Valley, start: torch.Tensor) -> dict[str, dict]:
    """Each rule's run at its best rate of F5_LRS (every rate one parameter group of one optimizer): the rate,
    the steps after which the loss stays within F5_TOLERANCE of the start's gap (F5_MAX_STEPS + 1: never), the
    path until then and its directness."""
    floor = float(valley.loss(*valley.minimum()))
    out = {}
    for name, make in OPTIMIZERS.items():
        ws = [start.clone().requires_grad_(True) for _ in F5_LRS]
        opt = make([{"params": [w], "lr": float(lr)} for w, lr in zip(ws, F5_LRS)])
        path, gaps = [torch.stack(ws).detach().numpy()], []
        for _ in range(F5_MAX_STEPS + 1):
            w = torch.stack(ws)
            loss = valley.loss(w[:, 0], w[:, 1])
            gaps.append(loss.detach().numpy() - floor)
            if len(gaps) > F5_MAX_STEPS:
                break
            opt.zero_grad()
            loss.sum().backward()
            opt.step()
            path.append(torch.stack(ws).detach().numpy())
        steps = _iterations(np.array(gaps), F5_TOLERANCE * gaps[0][0])
        best = int(np.argmin(steps))
        walked = np.array(path)[: min(steps[best], F5_MAX_STEPS) + 1, best]
        out[name] = {"lr": float(F5_LRS[best]), "steps": int(steps[best]), "path": walked,
                     "directness": directness(walked)}
    return out


def valley_test(profile: str, seeds=None) -> dict[int, dict]:
    """lecture-f5's runs on every seed (seconds): seed -> :func:`best_paths` on its valley from its start."""
    seeds = test_seeds(profile, seeds)
    out = {}
    for s in seeds:
        valley = Valley.make(seed=s)
        out[s] = best_paths(valley, _valley_start(valley, s))
    return out


# learning rates below the steep direction's stability limit at every momentum of the grid (Nesterov's,
# 2(1 + μ)/(1 + 2μ)/λ_max, is the lower: 1.34 at μ = 0.98), so that no run diverges
OVERSHOOT_LRS = np.geomspace(0.02, 1.25, 41)
OVERSHOOT_MOMENTA = np.linspace(0.0, 0.98, 50)
OVERSHOOT_STEPS = 1_000


def overshoot_map(valley: Valley, nesterov: bool) -> np.ndarray:
    """Over the (η, μ) grid (one row per learning rate), whether the path from VALLEY_START crosses the
    minimum along the shallow direction within OVERSHOOT_STEPS steps: every pair one member of
    :class:`hp_lib.optim.MemberSGD`."""
    lr, mu = (torch.tensor(v.ravel()) for v in np.meshgrid(OVERSHOOT_LRS, OVERSHOOT_MOMENTA, indexing="ij"))
    w = torch.nn.Parameter(torch.tensor(VALLEY_START, dtype=torch.float64).repeat(len(lr), 1))
    opt = optim.MemberSGD([w], len(lr), lr, mu, torch.zeros(len(lr)), nesterov=nesterov)
    side = float(np.sign(VALLEY_START[0] - float(valley.minimum()[0])))
    crossed = torch.zeros(len(lr), dtype=torch.bool)
    for _ in range(OVERSHOOT_STEPS):
        opt.zero_grad()
        valley.loss(w[:, 0], w[:, 1]).sum().backward()
        opt.step()
        crossed |= side * (w.detach()[:, 0] - valley.minimum()[0]) < 0
    return crossed.numpy().reshape(len(OVERSHOOT_LRS), len(OVERSHOOT_MOMENTA))


def overshoot_boundary(curvature: float, mu: np.ndarray, nesterov: bool) -> np.ndarray:
    r"""The smallest learning rate at which momentum SGD oscillates along a direction of ``curvature`` λ: the
    roots of :math:`r^2 - (1 + \mu - \eta\lambda) r + \mu` (heavy ball) or
    :math:`r^2 - (1 + \mu)(1 - \eta\lambda) r + \mu (1 - \eta\lambda)` (Nesterov) turn complex at
    :math:`\eta\lambda = (1 - \sqrt\mu)^2` or :math:`((1 - \mu)/(1 + \mu))^2`."""
    return ((1 - mu) / (1 + mu)) ** 2 / curvature if nesterov else (1 - np.sqrt(mu)) ** 2 / curvature


def overshoot_agreement(valley: Valley, maps: dict[bool, np.ndarray]) -> dict[bool, float]:
    """The share of the (η, μ) grid where the runs cross exactly where the roots say they oscillate."""
    curvature = float(torch.linalg.eigvalsh(valley.hessian())[0])
    return {nesterov: float(np.mean(m == (OVERSHOOT_LRS[:, None] >= overshoot_boundary(curvature, OVERSHOOT_MOMENTA,
                                                                                        nesterov)[None, :])))
            for nesterov, m in maps.items()}


def judge_valley(runs: dict[int, dict], agreement: dict[bool, float], profile: str) -> dict[str, verdicts.Verdict]:
    """lecture-f5 decided on the directness of each rule's path (seeds paired), its numbers glued."""
    seeds = list(runs)
    values = {name: np.array([runs[s][name]["directness"] for s in seeds]) for name in OPTIMIZERS}
    glue.values({"lo-f5t-seeds": str(len(seeds)), "lo-f5t-rates": str(len(F5_LRS)), "lo-f5t-lr-lo": f"{F5_LRS[0]:g}",
                 "lo-f5t-lr-hi": f"{F5_LRS[-1]:g}", "lo-f5t-tolerance": sci(F5_TOLERANCE),
                 "lo-f5t-max": f"{F5_MAX_STEPS:,}", "lo-f5t-margin": f"{DIRECTNESS_MARGIN:g}",
                 "lo-f5-agree-momentum": _pct(agreement[False], 1), "lo-f5-agree-nesterov": _pct(agreement[True], 1),
                 "lo-f5-map-steps": f"{OVERSHOOT_STEPS:,}",
                 "lo-f5-map-size": f"{len(OVERSHOOT_LRS)} × {len(OVERSHOOT_MOMENTA)}",
                 **{f"lo-f5t-{_slug(name)}": mean_std(v, 2) for name, v in values.items()}})
    return judge({DIRECTNESS: values}, ("lecture-f5",), profile)


def figure_valley(valley: Valley, valley_runs, maps: dict[bool, np.ndarray], runs: dict[int, dict],
                  profile: str) -> None:
    """lecture-f5: the six paths on the valley (left), where momentum and Nesterov cross the minimum over
    (η, μ) against the roots' boundaries (middle), and each rule's directness at its best rate per seed (right)."""
    fig, axes = plt.subplots(1, 3, figsize=(16, 3.8), width_ratios=(1.5, 1, 1))
    _paths_panel(axes[0], valley.loss, valley_runs, VALLEY_BOX, "the valley (least squares)")
    axes[0].plot(*VALLEY_START, "ko", ms=4)
    axes[0].set(xlabel="$w_1$ (shallow direction)", ylabel="$w_2$ (steep direction)")
    axes[0].legend(fontsize=7, loc="lower left")
    ax = axes[1]
    curvature = float(torch.linalg.eigvalsh(valley.hessian())[0])
    both = maps[False].astype(int) + maps[True].astype(int)  # 2: both cross, 1: momentum only, 0: neither
    ax.pcolormesh(OVERSHOOT_MOMENTA, OVERSHOOT_LRS, both, cmap="Greys", vmin=0, vmax=3, shading="nearest")
    for nesterov, color, label in ((False, "C1", "heavy ball: $\\eta\\lambda = (1 - \\sqrt{\\mu})^2$"),
                                   (True, "C2", "Nesterov: $\\eta\\lambda = ((1 - \\mu)/(1 + \\mu))^2$")):
        ax.plot(OVERSHOOT_MOMENTA, overshoot_boundary(curvature, OVERSHOOT_MOMENTA, nesterov), color=color, label=label)
    ax.set(yscale="log", ylim=(OVERSHOOT_LRS[0], OVERSHOOT_LRS[-1]), xlabel="momentum $\\mu$",
           ylabel="learning rate $\\eta$")
    ax.set_title("crosses the minimum (dark: both, grey: momentum only)", fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    ax = axes[2]
    names = list(OPTIMIZERS)
    for i, name in enumerate(names):
        v = [r[name]["directness"] for r in runs.values()]
        ax.plot(np.full(len(v), i), v, "o", color=sns.color_palette("tab10")[i], alpha=0.7)
    ax.set(xticks=range(len(names)), ylim=(0, 1.05), ylabel="straight distance / path length")
    ax.set_xticklabels(names, rotation=30, fontsize=8)
    ax.set_title("each rule at its best rate, one point per seed", fontsize=9)
    fig.tight_layout()
    plots.publish(fig, "lecture-f5", profile, "2-D least squares", "SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam",
                  seeds=list(runs))


def _slug(name: str) -> str:
    """A name as part of a glue name: "SGD+Momentum" -> "sgd-momentum", "Adam + L2" -> "adam-l2"."""
    return re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-")


def glue_paths(valley_runs: dict, over: dict[str, float], escape: dict[str, int | None],
               escape_long: dict[str, int | None]) -> None:
    """The numbers lecture-f5's and f6's prose state: each path's overshoot on the valley (percent of the
    starting distance), and the step at which each leaves the saddle within the figure's horizon and within
    a longer run."""
    values = {"lo-f5-steps": str(len(next(iter(valley_runs.values()))) - 1), "lo-f6-steps": str(SADDLE_STEPS),
              "lo-f5-start": f"({VALLEY_START[0]:g}, {VALLEY_START[1]:g})",
              "lo-f6-start": f"({SADDLE_START[0]:g}, {SADDLE_START[1]:g})",
              "lo-f6-long": str(SADDLE_LONG), "lo-f6-lr": f"{SADDLE_LR:g}", "lo-f6-start-y": f"{SADDLE_START[1]:g}"}
    for name in OPTIMIZERS:
        values[f"lo-f5-overshoot-{_slug(name)}"] = _pct(over[name])
        values[f"lo-f6-escape-{_slug(name)}"] = "—" if escape[name] is None else str(escape[name])
        values[f"lo-f6-escape-long-{_slug(name)}"] = "—" if escape_long[name] is None else str(escape_long[name])
    glue.values(values)


def _paths_panel(ax, f, runs, box, title, upto=None):
    _contours(ax, f, *box)
    for (name, xy), color in zip(runs.items(), sns.color_palette("tab10")):
        _path(ax, xy[: None if upto is None else upto + 1], name, color, marker=None)
    ax.set_title(title, fontsize=10)


SADDLE_BOX = ((-1.3, 1.3), (-1.3, 1.3))


def animation_paths(valley: Valley, valley_runs, saddle_runs, profile: str, frames: int = 60) -> None:
    """Both panels as one animated GIF, the paths growing step by step (the lecture's animations)."""
    n = min(frames, len(next(iter(valley_runs.values()))) - 1)
    stride = max(1, (len(next(iter(saddle_runs.values()))) - 1) // n)
    fig, axes = plt.subplots(1, 2, figsize=(9.6, 4.0))
    lines = []
    for ax, f, runs, box, title, k in ((axes[0], valley.loss, valley_runs, VALLEY_BOX, "valley", 1),
                                       (axes[1], saddle, saddle_runs, SADDLE_BOX, "saddle", stride)):
        _contours(ax, f, *box)
        ax.set_title(title, fontsize=10)
        for (name, xy), color in zip(runs.items(), sns.color_palette("tab10")):
            (line,) = ax.plot([], [], "-", color=color, lw=1.5, label=name)
            lines.append((line, xy, k))
    axes[1].legend(fontsize=7, loc="upper right", ncol=2)
    label = fig.text(0.5, 0.01, "", ha="center", fontsize=9)

    def draw(t):
        for line, xy, k in lines:
            line.set_data(xy[: t * k + 1, 0], xy[: t * k + 1, 1])
        label.set_text(f"step {t} (valley), {t * stride} (saddle)")
        return [line for line, _, _ in lines] + [label]

    plots.publish_animation(fig, draw, range(n + 1), "lecture-f6-animation", profile, "2-D least squares and saddle",
                            "SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam")


# --- lecture-f6, tested: leaving a saddle, on the 2-D saddle and on a real network -------------------------

# The 2-D saddle separates, f = x² + (−y² + y⁴/2), and every rule below acts on each coordinate alone, so a
# start's escape (|y| ≥ 0.5) depends on its y and the rule's learning rate only: many starts run as one tensor.
SWEEP_RULES = ("SGD", "AdaGrad", "RMSProp", "Adam")
SWEEP_DISTANCES = 10.0 ** -np.arange(1, 9)   # the start's distance from the ridge, 1e-1 … 1e-8
SWEEP_LRS = (0.01, 0.02, 0.05)
SWEEP_STEPS = 3_000


def escape_sweep() -> pd.DataFrame:
    """The step at which each rule's path on :func:`saddle` is 0.5 away from the ridge (NaN: not within
    SWEEP_STEPS), per learning rate and start: one row per (rule, lr, distance)."""
    rows = []
    for name in SWEEP_RULES:
        for lr in SWEEP_LRS:
            y = torch.tensor(SWEEP_DISTANCES, dtype=torch.float64, requires_grad=True)
            opt = OPTIMIZERS[name]([y], lr=lr)
            escaped = np.full(len(SWEEP_DISTANCES), np.nan)
            for t in range(1, SWEEP_STEPS + 1):
                opt.zero_grad()
                (-(y ** 2) + y ** 4 / 2).sum().backward()
                opt.step()
                out = (np.abs(y.detach().numpy()) >= 0.5) & np.isnan(escaped)
                escaped[out] = t
                if not np.isnan(escaped).any():
                    break
            rows += [{"rule": name, "lr": lr, "distance": d, "escape": e} for d, e in zip(SWEEP_DISTANCES, escaped)]
    return pd.DataFrame(rows)


def saddle_setup(profile: str, seeds=None) -> dict[tuple, RunConfig]:
    """(arm, seed) -> config: lecture-f6's runs from the small initialisation."""
    steps = profiles.get(profile).pick(20, 1_000, 2_000)
    base = task_config("image recognition", profile).replace(steps=steps, eval_every=steps,
                                                             model_kwargs={"init_scale": SADDLE_INIT})
    return {(arm, s): base.replace(lr=GRID_CENTRES["image recognition"][rule], seed=s, **RULES[rule])
            for arm, rule in SADDLE_ARMS.items() for s in test_seeds(profile, seeds)}


def steps_to_leave(h, chance: float, steps: int) -> int:
    """The steps a run of ``steps`` took before the mean of its last ESCAPE_WINDOW minibatch losses fell below
    ESCAPE_FRACTION × ``chance`` (``steps`` + 1: never, a run that diverged first included)."""
    loss = h["train_loss"].dropna()
    below = np.nonzero(loss.rolling(ESCAPE_WINDOW).mean().to_numpy() < ESCAPE_FRACTION * chance)[0]
    return int(h.loc[loss.index[below[0]], "step"]) + 1 if len(below) else steps + 1


def real_saddle(profile: str, seeds=None) -> pd.DataFrame:
    """lecture-f6's runs: one row per (arm, seed) with its steps to leave the plateau and its history."""
    setup = saddle_setup(profile, seeds)
    chance = chance_loss("image recognition", profile)
    return pd.DataFrame([{"arm": arm, "seed": s, "steps": steps_to_leave(h, chance, setup[arm, s].steps),
                          "lr": setup[arm, s].lr, "history": h}
                         for (arm, s), h in zip(setup, sweep.run(list(setup.values()), desc="leaving a saddle"))])


def judge_saddle(sweep_2d: pd.DataFrame, runs: pd.DataFrame, profile: str) -> dict[str, verdicts.Verdict]:
    """lecture-f6 decided on log10 steps (seeds paired), its numbers glued."""
    cfg = next(iter(saddle_setup(profile, tuple(runs["seed"])).values()))
    steps = runs.pivot(index="seed", columns="arm", values="steps")
    wide = sweep_2d.pivot_table(index=["rule", "lr"], columns="distance", values="escape")
    glue.values({"lo-f6t-init": f"{SADDLE_INIT:g}", "lo-f6t-fraction": _pct(ESCAPE_FRACTION),
                 "lo-f6t-window": str(ESCAPE_WINDOW), "lo-f6t-steps": f"{cfg.steps:,}", "lo-f6t-seeds": str(len(steps)),
                 "lo-f6t-batch": str(cfg.batch_size), "lo-f6t-n-train": f"{cfg.n_train:,}",
                 "lo-f6-sweep-lrs": ", ".join(f"{lr:g}" for lr in SWEEP_LRS), "lo-f6-sweep-max": f"{SWEEP_STEPS:,}",
                 **{f"lo-f6t-lr-{_slug(arm)}": f"{runs[runs['arm'] == arm]['lr'].iloc[0]:g}" for arm in SADDLE_ARMS},
                 **{f"lo-f6t-{_slug(arm)}": f"{steps[arm].median():,.0f}" for arm in SADDLE_ARMS},
                 **{f"lo-f6t-never-{_slug(arm)}": str(int((steps[arm] > cfg.steps).sum())) for arm in SADDLE_ARMS},
                 **{f"lo-f6-sweep-{_slug(rule)}-{k}": "—" if np.isnan(wide.loc[(rule, SADDLE_LR), d]) else
                    f"{wide.loc[(rule, SADDLE_LR), d]:,.0f}"
                    for rule in SWEEP_RULES for k, d in (("far", SWEEP_DISTANCES[0]), ("near", SWEEP_DISTANCES[-1]))}})
    return judge({ESCAPE: {arm: np.log10(steps[arm].to_numpy(dtype=float)) for arm in SADDLE_ARMS}},
                 ("lecture-f6",), profile)


def figure_saddle(saddle_runs: dict, sweep_2d: pd.DataFrame, runs: pd.DataFrame, profile: str) -> None:
    """lecture-f6: the paths at one shared rate (left), the steps to leave the 2-D saddle against the start's
    distance from the ridge at each rate (middle), and the real saddle's training losses per seed (right)."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), width_ratios=(1.1, 1, 1))
    _paths_panel(axes[0], saddle, saddle_runs, SADDLE_BOX, "the saddle $x^2 - y^2 + y^4/2$")
    axes[0].plot(*SADDLE_START, "ko", ms=4)
    axes[0].set(xlabel="$x$", ylabel="$y$")
    axes[0].legend(fontsize=7, loc="lower left")
    colors = dict(zip(OPTIMIZERS, sns.color_palette("tab10")))
    ax = axes[1]
    for (rule, lr), g in sweep_2d.groupby(["rule", "lr"], sort=False):
        ax.plot(g["distance"], g["escape"], marker="o", ms=3, color=colors[rule],
                ls=("-", "--", ":")[SWEEP_LRS.index(lr)], label=f"{rule}, LR {lr:g}")
    ax.set(xscale="log", yscale="log", xlabel="start's distance from the ridge, $|y_0|$",
           ylabel="steps until $|y| \\geq 0.5$")
    ax.invert_xaxis()
    ax.set_title("the 2-D saddle: distance and learning rate", fontsize=10)
    ax.legend(fontsize=6, ncol=2)
    ax = axes[2]
    chance = chance_loss("image recognition", profile)
    for arm in SADDLE_ARMS:
        for i, (_, r) in enumerate(runs[runs["arm"] == arm].iterrows()):
            h = r["history"].dropna(subset=["train_loss"])
            ax.plot(h["step"] + 1, h["train_loss"].rolling(ESCAPE_WINDOW, min_periods=1).mean(), color=colors[arm],
                    lw=0.9, alpha=0.8, label=f"{arm}, LR {r['lr']:g}" if i == 0 else None)
    ax.axhline(ESCAPE_FRACTION * chance, color="0.4", lw=0.8, ls=":")
    ax.set(xscale="log", xlabel="step", ylabel=f"training loss (mean of the last {ESCAPE_WINDOW} minibatches)")
    ax.set_title(f"MLP on digits, weights × {SADDLE_INIT:g} at the start", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    plots.publish(fig, "lecture-f6", profile, "2-D saddle; sklearn digits", "SGD, AdaGrad, RMSProp, Adam; MLP",
                  list(runs["history"]))


# --- lecture-f7: Adam's bias correction -----------------------------------------------------------------

def bias_correction(steps: int = 1000, lr: float = 1e-3, betas=(0.9, 0.999)) -> pd.DataFrame:
    """Adam with and without bias correction on :math:`f(\\theta) = \\theta` (a constant gradient of 1):
    per step, the first and second moments and the step length relative to the learning rate."""
    rows = []
    for corrected in (True, False):
        theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = optim.Adam([theta], lr=lr, betas=betas, bias_correction=corrected)
        for t in range(1, steps + 1):
            before = theta.item()
            opt.zero_grad()
            theta.sum().backward()
            opt.step()
            state = opt.state[theta]
            rows.append({"step": t, "bias_correction": corrected, "m": float(state["exp_avg"]),
                         "v": float(state["exp_avg_sq"]), "step_over_lr": abs(theta.item() - before) / lr})
    df = pd.DataFrame(rows)
    df.attrs.update(lr=lr, betas=betas)
    return df



def glue_bias_correction(df: pd.DataFrame) -> None:
    """The numbers lecture-f7's prose states: the step lengths over the learning rate, with and without the
    correction, beside the closed form of the first uncorrected step."""
    betas = df.attrs["betas"]
    raw = df[~df["bias_correction"]].set_index("step")["step_over_lr"]
    fixed = df[df["bias_correction"]].set_index("step")["step_over_lr"]
    glue.values({"lo-f7-steps": f"{len(raw):,}", "lo-f7-lr": f"{df.attrs['lr']:g}",
                 "lo-f7-beta1": f"{betas[0]:g}", "lo-f7-beta2": f"{betas[1]:g}", "lo-f7-fixed-first": f"{fixed.iloc[0]:.3f}",
                 "lo-f7-raw-first": f"{raw.iloc[0]:.3f}",
                 "lo-f7-closed": f"{(1 - betas[0]) / math.sqrt(1 - betas[1]):.3f}",
                 "lo-f7-raw-max": f"{raw.max():.2f}", "lo-f7-raw-argmax": str(int(raw.idxmax())),
                 "lo-f7-raw-last": f"{raw.iloc[-1]:.2f}"})


def figure_bias_correction(df: pd.DataFrame, runs: pd.DataFrame, profile: str) -> None:
    """lecture-f7: the closed form on a constant gradient (top) and the test's runs (bottom)."""
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.2))
    raw, fixed = df[~df["bias_correction"]], df[df["bias_correction"]]
    ax = axes[0, 0]
    ax.plot(raw["step"], raw["m"], color="C0", label="$m_t$ (first moment)")
    ax.plot(raw["step"], np.sqrt(raw["v"]), color="C1", label="$\\sqrt{v_t}$ (second moment)")
    ax.axhline(1.0, color="k", ls=":", lw=1, label="the true value (gradient = 1)")
    ax.set_xscale("log")
    ax.set_xlabel("step")
    ax.set_title("moments start at zero", fontsize=10)
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    ax.plot(raw["step"], raw["step_over_lr"], color="C3", label="without bias correction")
    ax.plot(fixed["step"], fixed["step_over_lr"], color="C2", label="with bias correction")
    ax.set_xscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("step length / learning rate")
    ax.set_title("step length of Adam", fontsize=10)
    ax.legend(fontsize=8)
    figure_bias_runs(axes[1], runs)
    fig.tight_layout()
    plots.publish(fig, "lecture-f7", profile, "constant gradient; sklearn digits; characters",
                  "Adam, β = (0.9, 0.999); MLP, character LSTM", list(runs["history"]))


def bias_setup(profile: str, seeds=None) -> dict[tuple, RunConfig]:
    """(task, arm, seed) -> config: lecture-f7's runs (corrected Adam's are the real-data tests' own)."""
    kwargs = {"Adam": {}, UNCORRECTED: {"bias_correction": False}}
    return {(task, arm, s): task_config(task, profile).replace(lr=GRID_CENTRES[task]["Adam"], seed=s,
                                                               optimizer_kwargs=kw, **RULES["Adam"])
            for task in BIAS_TASKS for arm, kw in kwargs.items() for s in test_seeds(profile, seeds)}


def rises(h) -> pd.Series:
    """Each of the first EARLY_STEPS steps' minibatch loss minus the median of the SPIKE_WINDOW steps before
    it (NaN for the first ones)."""
    loss = h.dropna(subset=["train_loss"]).set_index("step")["train_loss"]
    loss = loss[loss.index < EARLY_STEPS]
    return loss - loss.rolling(SPIKE_WINDOW).median().shift(1)


def _diverged_early(h) -> bool:
    return h.attrs.get("status") == "diverged" and h.attrs.get("diverged_step") < EARLY_STEPS


def spikes(h) -> int:
    """A run's spikes among its first EARLY_STEPS steps; a divergence there counts every step from it on."""
    n = int((rises(h) > SPIKE_NATS).sum())
    return n + EARLY_STEPS - h.attrs["diverged_step"] if _diverged_early(h) else n


def largest_rise(h, chance: float) -> float:
    """The height (nats) of a run's largest rise among its first EARLY_STEPS steps; ``chance`` if it diverged
    there (at least 1e-3: a loss that never rises)."""
    return chance if _diverged_early(h) else max(float(rises(h).max()), 1e-3)


def bias_runs(profile: str, seeds=None) -> pd.DataFrame:
    """lecture-f7's runs: one row per (task, arm, seed) with its largest early rise, its spikes and its history."""
    setup = bias_setup(profile, seeds)
    return pd.DataFrame([{"task": task, "arm": arm, "seed": s, "rise": largest_rise(h, chance_loss(task, profile)),
                          "spikes": spikes(h), "history": h}
                         for (task, arm, s), h in zip(setup, sweep.run(list(setup.values()), desc="bias correction"))])


def judge_bias(runs: pd.DataFrame, profile: str) -> dict[str, verdicts.Verdict]:
    """lecture-f7 decided on each seed's mean log10 largest rise over the tasks (seeds paired), its numbers glued."""
    per_seed = runs.assign(log_rise=np.log10(runs["rise"])).pivot_table(index="seed", columns="arm",
                                                                         values="log_rise", aggfunc="mean")
    per_task = runs.groupby(["task", "arm"]).agg(spikes=("spikes", "sum"), rise=("rise", "median"))
    glue.values({"lo-f7t-early": str(EARLY_STEPS), "lo-f7t-nats": f"{SPIKE_NATS:g}", "lo-f7t-window": str(SPIKE_WINDOW),
                 "lo-f7t-seeds": str(len(per_seed)),
                 **{f"lo-f7t-lr-{TASK_SLUGS[t]}": f"{GRID_CENTRES[t]['Adam']:g}" for t in BIAS_TASKS},
                 **{f"lo-f7t-{TASK_SLUGS[t]}-{'raw' if arm == UNCORRECTED else 'fixed'}{what}": value
                    for (t, arm), row in per_task.iterrows()
                    for what, value in (("", str(int(row["spikes"]))), ("-rise", f"{row['rise']:.2f}"))}})
    return judge({SPIKES: {arm: per_seed[arm].to_numpy() for arm in per_seed.columns}}, ("lecture-f7",), profile)


def figure_bias_runs(ax_pair, runs: pd.DataFrame) -> None:
    """The first EARLY_STEPS minibatch losses of every run, per task, with and without the correction; spikes
    marked."""
    for ax, task in zip(ax_pair, BIAS_TASKS):
        for arm, color in (("Adam", "C2"), (UNCORRECTED, "C3")):
            for i, h in enumerate(runs[(runs["task"] == task) & (runs["arm"] == arm)]["history"]):
                loss = h.dropna(subset=["train_loss"]).set_index("step")["train_loss"]
                loss = loss[loss.index < EARLY_STEPS]
                ax.plot(loss.index + 1, loss, color=color, lw=0.7, alpha=0.7,
                        label=("with" if arm == "Adam" else "without") + " bias correction" if i == 0 else None)
                up = rises(h) > SPIKE_NATS
                ax.plot(loss.index[up] + 1, loss[up], "v", color=color, ms=5)
        ax.set(xlabel="step", ylabel="minibatch loss", yscale="log")
        ax.set_title(f"{TASK_ANALOGS[task]}, Adam LR {GRID_CENTRES[task]['Adam']:g}", fontsize=10)
        ax.legend(fontsize=8)


# --- lecture-f27: first- and second-order methods ----------------------------------------------------------

def _smooth_1d(x):
    """:math:`\\log(1 + e^{2x}) - x + x^2/4`: smooth, convex, not quadratic."""
    return torch.nn.functional.softplus(2 * x) - x + x ** 2 / 4


def second_order(valley: Valley, steps: int = 60, gd_lr: float = 1.8, adam_lr: float = 0.3) -> dict:
    """Loss above the minimum per iteration on the valley (full batch) for gradient descent, Adam, L-BFGS
    (``torch.optim.LBFGS``) and Newton's method :math:`w \\leftarrow w - H^{-1}\\nabla L`, which has no
    learning rate; and the memory a dense Hessian needs."""
    w_star = valley.minimum()
    floor = float(valley.loss(w_star[0], w_star[1]))
    gap = {}
    for name, make in (("gradient descent", lambda p: optim.SGD(p, lr=gd_lr)), ("Adam", lambda p: optim.Adam(p, lr=adam_lr))):
        xy = optim.trajectory(make, valley.loss, VALLEY_START, steps)
        gap[name] = [float(valley.loss(a, b)) - floor for a, b in xy]
    xy = torch.tensor(VALLEY_START, dtype=torch.float64, requires_grad=True)
    lbfgs = torch.optim.LBFGS([xy], lr=1, max_iter=1, history_size=10, line_search_fn="strong_wolfe")
    gap["L-BFGS"] = [float(valley.loss(*xy.detach())) - floor]
    for _ in range(steps):
        def closure():
            lbfgs.zero_grad()
            loss = valley.loss(xy[0], xy[1])
            loss.backward()
            return loss
        lbfgs.step(closure)
        gap["L-BFGS"].append(float(valley.loss(*xy.detach())) - floor)
    w = torch.tensor(VALLEY_START, dtype=torch.float64)
    gap["Newton"] = [float(valley.loss(*w)) - floor]
    for _ in range(steps):
        w_ = w.clone().requires_grad_(True)
        valley.loss(w_[0], w_[1]).backward()
        h = torch.autograd.functional.hessian(lambda v: valley.loss(v[0], v[1]), w)
        w = w - torch.linalg.solve(h, w_.grad)
        gap["Newton"].append(float(valley.loss(*w)) - floor)
    memory = pd.DataFrame([{"parameters": n, "Hessian entries": n * n, "float32 GiB": n * n * 4 / 2 ** 30}
                           for n in (10 ** 3, 10 ** 6, 25_557_032)])  # 25.6M: ResNet-50
    return {"gap": pd.DataFrame(gap).rename_axis("iteration").reset_index(), "memory": memory, "gd_lr": gd_lr,
            "adam_lr": adam_lr}


def logistic_problem(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs with a constant column for the biases, labels): the seed's F27_TRAIN training digits."""
    d = data_lib.load("digits", F27_TRAIN, 1, 0, seed=seed)
    x = d.x_train.flatten(1).double()
    return torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1), d.y_train


def logistic_loss(w: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy plus F27_L2/2 ‖w‖² of weights ``w`` (..., inputs, classes): one loss per leading index."""
    logits = x @ w
    ce = torch.nn.functional.cross_entropy(logits.flatten(0, -2), y.repeat(logits[..., 0, 0].numel()),
                                           reduction="none").view(logits.shape[:-1]).mean(-1)
    return ce + F27_L2 / 2 * (w ** 2).sum((-2, -1))


def logistic_hessian(w: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The loss's Hessian at ``w`` (inputs × classes, flattened row-major): the mean over samples of
    (diag p − p pᵀ) ⊗ x xᵀ, plus F27_L2 times the identity."""
    p = torch.softmax(x @ w, 1)
    a = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]
    h = torch.einsum("na,nb,nkl->akbl", x, x, a) / len(x)
    return h.reshape(w.numel(), w.numel()) + F27_L2 * torch.eye(w.numel(), dtype=w.dtype)


def second_order_runs(seed: int) -> dict[str, int]:
    """lecture-f27's iterations for one seed: Newton's, and gradient descent's and Adam's at their best learning
    rate of the grid (each rate a run; gradient descent's as the members of one :class:`hp_lib.optim.MemberSGD`)."""
    x, y = logistic_problem(seed)
    shape = (x.shape[1], 10)
    w = torch.zeros(shape, dtype=torch.float64)
    newton = [float(logistic_loss(w, x, y))]
    for _ in range(F27_NEWTON_ITER):
        w_ = w.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(logistic_loss(w_, x, y), w_)
        w = w - torch.linalg.solve(logistic_hessian(w, x), g.flatten()).view(shape)
        newton.append(float(logistic_loss(w, x, y)))
    floor = min(newton)
    bound = floor + F27_TOLERANCE * (newton[0] - floor)
    out = {NEWTON: int(_iterations(np.array(newton)[:, None], bound)[0])}
    lrs = F27_LRS["gradient descent"]
    gd = torch.nn.Parameter(torch.zeros((len(lrs) * shape[0], shape[1]), dtype=torch.float64))
    opt = optim.MemberSGD([gd], len(lrs), torch.tensor(lrs), torch.zeros(len(lrs)), torch.zeros(len(lrs)))
    adam = [torch.nn.Parameter(torch.zeros(shape, dtype=torch.float64)) for _ in F27_LRS["Adam"]]
    adam_opt = optim.Adam([{"params": [p], "lr": float(lr)} for p, lr in zip(adam, F27_LRS["Adam"])])
    losses = {name: [] for name in F27_LRS}  # per method: each iteration's loss of every rate, from the start
    for t in range(F27_MAX_ITER + 1):
        for params, o, name in ((gd, opt, "gradient descent"), (adam, adam_opt, "Adam")):
            stacked = params.view(len(lrs), *shape) if name == "gradient descent" else torch.stack(params)
            loss = logistic_loss(stacked, x, y)
            losses[name].append(loss.detach().numpy())
            if t < F27_MAX_ITER:
                o.zero_grad()
                loss.sum().backward()
                o.step()
    out.update({name: int(_iterations(np.array(rows), bound).min()) for name, rows in losses.items()})
    return {**out, **lbfgs_gaps(x, y, newton[0], floor, seed)}


def lbfgs_gaps(x: torch.Tensor, y: torch.Tensor, start: float, floor: float, seed: int) -> dict[str, float]:
    """L-BFGS from zero weights, full batch and on minibatches of F27_MINIBATCH (drawn by ``seed``), each until it
    has evaluated F27_EPOCHS passes' worth of per-sample gradients: its final gap over ``start``'s gap."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, batch in ((LBFGS, len(y)), (LBFGS_MINIBATCH, F27_MINIBATCH)):
        w = torch.zeros((x.shape[1], 10), dtype=torch.float64, requires_grad=True)
        opt = torch.optim.LBFGS([w], max_iter=1, line_search_fn="strong_wolfe")
        evaluated = 0
        while evaluated < F27_EPOCHS * len(y):
            rows = torch.randperm(len(y), generator=g)[:batch] if batch < len(y) else slice(None)

            def closure():
                nonlocal evaluated
                evaluated += batch
                opt.zero_grad()
                loss = logistic_loss(w, x[rows], y[rows])
                loss.backward()
                return loss
            opt.step(closure)
        with torch.no_grad():
            gap = float(logistic_loss(w, x, y)) - floor
        out[name] = max(gap / (start - floor), F27_FLOOR)
    return out


def second_order_test(profile: str, seeds=None) -> pd.DataFrame:
    """lecture-f27's runs on every seed: one row per seed, the iterations of Newton, gradient descent and Adam
    and the final gaps of L-BFGS."""
    seeds = test_seeds(profile, seeds)
    return pd.DataFrame([{"seed": s, **second_order_runs(s)} for s in seeds]).set_index("seed")


F27_ITERATED = (NEWTON, *F27_LRS)  # the methods counted in iterations; L-BFGS's two runs in gaps


def judge_second_order(table: pd.DataFrame, profile: str) -> dict[str, verdicts.Verdict]:
    """lecture-f27 decided on log10 iterations and log10 final gaps (seeds paired), its numbers glued."""
    weights = logistic_problem(int(table.index[0]))[0].shape[1] * 10  # inputs and a bias, times ten classes
    gd, adam = F27_LRS["gradient descent"], F27_LRS["Adam"]
    glue.values({"lo-f27t-train": f"{F27_TRAIN:,}", "lo-f27t-l2": f"{F27_L2:g}", "lo-f27t-seeds": str(len(table)),
                 "lo-f27t-hessian": f"{weights} × {weights}", "lo-f27t-tolerance": sci(F27_TOLERANCE),
                 "lo-f27t-rates": str(len(gd)), "lo-f27t-gd-lo": f"{gd[0]:g}", "lo-f27t-gd-hi": f"{gd[-1]:g}",
                 "lo-f27t-adam-lo": f"{adam[0]:g}", "lo-f27t-adam-hi": f"{adam[-1]:g}",
                 "lo-f27t-max": f"{F27_MAX_ITER:,}", "lo-f27t-newton-iter": str(F27_NEWTON_ITER),
                 "lo-f27t-minibatch": str(F27_MINIBATCH), "lo-f27t-epochs": str(F27_EPOCHS),
                 "lo-f27t-floor": sci(F27_FLOOR),
                 **{f"lo-f27t-{_slug(name)}": f"{table[name].median():,.0f}" for name in F27_ITERATED},
                 **{f"lo-f27t-{_slug(name)}": f"{table[name].median():.1e}" for name in (LBFGS, LBFGS_MINIBATCH)},
                 **{f"lo-f27t-never-{_slug(name)}": str(int((table[name] > F27_MAX_ITER).sum())) for name in F27_LRS}})
    log = lambda names: {name: np.log10(table[name].to_numpy(dtype=float)) for name in names}
    return judge({ITERATIONS: log(F27_ITERATED), GAP: log((LBFGS, LBFGS_MINIBATCH))}, ("lecture-f27",), profile)


def taylor(x0: float = -1.0) -> dict:
    """The first- and second-order Taylor approximations of :func:`_smooth_1d` at ``x0``, and the Newton step."""
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(_smooth_1d(x), x, create_graph=True)
    (h,) = torch.autograd.grad(g, x)
    return {"x0": x0, "f0": float(_smooth_1d(x)), "g": float(g), "h": float(h), "newton": x0 - float(g) / float(h)}



def iterations_below(gap: pd.DataFrame, tolerance: float = 1e-6) -> dict[str, int | None]:
    """Per method, the first iteration at which the loss is within ``tolerance`` of the minimum (``None``:
    never, within the run)."""
    out = {}
    for name in gap.columns.drop("iteration"):
        hit = gap.index[gap[name] <= tolerance]
        out[name] = int(gap.loc[hit[0], "iteration"]) if len(hit) else None
    return out


def glue_second_order(so: dict, tay: dict) -> None:
    """The numbers lecture-f27's prose states."""
    gap = so["gap"]
    within = iterations_below(gap)
    runs = len(gap) - 1
    mem = so["memory"].set_index("parameters")["float32 GiB"]
    glue.values({"lo-f27-newton-1": f"{gap['Newton'].iloc[1]:.1e}", "lo-f27-gd-lr": f"{so['gd_lr']:g}",
                 "lo-f27-adam-lr": f"{so['adam_lr']:g}", "lo-f27-x0": f"{tay['x0']:g}",
                 **{f"lo-f27-within-{_slug(k)}": (str(v) if v is not None else f"> {runs}") for k, v in within.items()},
                 "lo-f27-gib-1m": f"{mem[10 ** 6]:,.0f}"})


def figure_second_order(tay: dict, so: dict, table: pd.DataFrame, profile: str) -> None:
    """The Taylor approximations and Newton's step (left), the loss gap per iteration on the valley (middle),
    and the iterations each method needs on logistic regression, per seed (right: lecture-f27's test)."""
    fig, axes = plt.subplots(1, 4, figsize=(18, 3.6))
    ax = axes[0]
    xs = np.linspace(-2.5, 2.0, 300)
    d = xs - tay["x0"]
    ax.plot(xs, _smooth_1d(torch.as_tensor(xs)).numpy(), color="0.2", label="loss")
    ax.plot(xs, tay["f0"] + tay["g"] * d, color="C0", ls="--", label="first-order approximation")
    ax.plot(xs, tay["f0"] + tay["g"] * d + tay["h"] * d ** 2 / 2, color="C3", ls="--", label="second-order approximation")
    ax.axvline(tay["newton"], color="C3", lw=0.8, ls=":")
    ax.plot(tay["x0"], tay["f0"], "ko", ms=4)
    ax.annotate("Newton step", xy=(tay["newton"], _smooth_1d(torch.tensor(tay["newton"])).item()),
                xytext=(tay["newton"] + 0.2, tay["f0"]), fontsize=8, arrowprops={"arrowstyle": "->"})
    ax.set_ylim(0, 2.5)
    ax.set_xlabel("$\\theta$")
    ax.legend(fontsize=8)
    ax = axes[1]
    gap = so["gap"]
    colors = {"gradient descent": "C0", "Adam": "C1", "L-BFGS": "C2", NEWTON: "C3"}
    for name, color in colors.items():
        ax.semilogy(gap["iteration"], gap[name].clip(lower=1e-16), label=name, color=color)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss − minimum")
    ax.set_title("the valley, full batch", fontsize=10)
    ax.legend(fontsize=8)
    for ax, names, ylabel, title in (
            (axes[2], F27_ITERATED, f"iterations to {sci(F27_TOLERANCE)} of the gap",
             f"logistic regression, {F27_TRAIN} digits"),
            (axes[3], (LBFGS, LBFGS_MINIBATCH), "final gap / the start's", f"L-BFGS, {F27_EPOCHS} passes of gradients")):
        for i, name in enumerate(names):
            ax.plot(np.full(len(table), i), table[name], "o", color=colors.get(name, "C4"), alpha=0.7)
        ax.set(yscale="log", xticks=range(len(names)), xlim=(-0.5, len(names) - 0.5), ylabel=ylabel)
        ax.set_xticklabels(names, fontsize=8)
        ax.set_title(title, fontsize=10)
    axes[2].axhline(F27_MAX_ITER, color="0.6", lw=0.8, ls=":")
    fig.tight_layout()
    plots.publish(fig, "lecture-f27", profile, f"1-D convex curve; 2-D least squares; {F27_TRAIN} sklearn digits",
                  "gradient descent, Adam, L-BFGS, Newton", seeds=list(table.index))


# --- notes-x5: Adam moves the wrong way where AMSGrad does not --------------------------------------------

def reddi(steps: int = 20_000, lr: float = 0.5, betas=(0.9, 0.99)) -> pd.DataFrame:
    """Reddi, Kale & Kumar's online problem on :math:`x \\in [-1, 1]`: the loss is :math:`1010\\,x` at every
    101st step and :math:`-10\\,x` otherwise, with :math:`\\eta_t = \\eta/\\sqrt t` and a projection back
    onto the interval after each step. Adam and AMSGrad from :math:`x = 0`; one row per step."""
    rows = []
    for name, amsgrad in (("Adam", False), ("AMSGrad", True)):
        x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = optim.Adam([x], lr=lr, betas=betas, amsgrad=amsgrad)
        regret = 0.0
        for t in range(1, steps + 1):
            c = 1010.0 if t % 101 == 1 else -10.0
            opt.param_groups[0]["lr"] = lr / math.sqrt(t)
            opt.zero_grad()
            loss = c * x.sum()
            loss.backward()
            opt.step()
            with torch.no_grad():
                x.clamp_(-1.0, 1.0)
            regret += loss.item() - c * -1.0  # against the best fixed point, x = -1
            rows.append({"optimizer": name, "step": t, "x": x.item(), "average regret": regret / t})
    df = pd.DataFrame(rows)
    df.attrs.update(lr=lr, betas=betas)
    return df



def glue_reddi(df: pd.DataFrame) -> None:
    """Where Adam and AMSGrad end on Reddi et al.'s problem, and their average regret."""
    last = df.groupby("optimizer").tail(1).set_index("optimizer")
    glue.values({"lo-x5-steps": f"{int(last['step'].iloc[0]):,}", "lo-x5-lr": f"{df.attrs['lr']:g}",
                 "lo-x5-beta1": f"{df.attrs['betas'][0]:g}", "lo-x5-beta2": f"{df.attrs['betas'][1]:g}",
                 **{f"lo-x5-{_slug(k)}-x": f"{last.loc[k, 'x']:+.3f}" for k in last.index},
                 **{f"lo-x5-{_slug(k)}-regret": f"{last.loc[k, 'average regret']:.3f}" for k in last.index}})


def figure_amsgrad(df: pd.DataFrame, profile: str) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    for (name, g), color in zip(df.groupby("optimizer", sort=False), ("C3", "C0")):
        axes[0].plot(g["step"], g["x"], color=color, lw=0.8, label=name)
        axes[1].plot(g["step"], g["average regret"], color=color, label=name)
    axes[0].axhline(-1, color="k", ls=":", lw=1, label="best point")
    axes[0].set_ylabel("x")
    axes[1].set_ylabel("average regret $R_t / t$")
    axes[1].set_yscale("symlog", linthresh=0.01)
    for ax in axes:
        ax.set_xlabel("step")
        ax.set_xscale("log")
        ax.legend(fontsize=8)
    fig.tight_layout()
    plots.publish(fig, "notes-x5", profile, "Reddi et al.'s online problem", "Adam, AMSGrad, β = (0.9, 0.99)")


# --- keras-table: the Keras optimizer family -------------------------------------------------------------

# Keras 2's defaults (cited from the Keras documentation): name -> (arguments, hp_lib class)
KERAS_DEFAULTS = {
    "SGD": ("lr=0.01, momentum=0.0, nesterov=False", optim.SGD),
    "RMSprop": ("lr=0.001, rho=0.9", optim.RMSProp),
    "Adagrad": ("lr=0.01", optim.AdaGrad),
    "Adadelta": ("lr=1.0, rho=0.95", optim.Adadelta),
    "Adam": ("lr=0.001, beta_1=0.9, beta_2=0.999, amsgrad=False", optim.Adam),
    "Adamax": ("lr=0.002, beta_1=0.9, beta_2=0.999", optim.Adamax),
    "Nadam": ("lr=0.002, beta_1=0.9, beta_2=0.999, schedule_decay=0.004", optim.Nadam),
}


def keras_table() -> pd.DataFrame:
    """Each Keras optimizer's defaults beside the ``hp_lib.optim`` class that implements it: its defaults,
    read from its signature, and the first line of its docstring (the rule in words)."""
    rows = []
    for name, (keras, cls) in KERAS_DEFAULTS.items():
        params = inspect.signature(cls.__init__).parameters
        ours = ", ".join(f"{k}={v.default}" for k, v in params.items()
                         if k not in ("self", "params") and k in ("lr", "momentum", "nesterov", "alpha", "rho", "betas"))
        rows.append({"Keras": name, "Keras defaults": keras, "hp_lib.optim": cls.__name__, "hp_lib defaults": ours,
                     "rule": inspect.getdoc(cls).split("\n")[0]})
    return pd.DataFrame(rows)


# --- real data: the lecture's optimizers, Adam's default rate, Dozat's table and AMSGrad on three tasks -----
#
# Dozat (2015) compared his optimizers on three tasks; each has an analog here, small enough for a CPU:
# "word2vec" is a skip-gram with a full softmax over 1,000 words, "image recognition" the two-layer MLP on
# scikit-learn's 8×8 digits, "LSTM language model" a one-layer character LSTM (per-character cross-entropy).
# The tests compare arms (ARMS: a rule at a rate declared before any run) on the test seeds, by the final
# held-out loss in points of the chance loss, averaged over the three tasks (loss_points). Each rule's small
# grid of rates on a ladder of ×3 steps (Dozat's table, best rate per rule) and Adam's sweep (a figure) run on
# the profile's seeds; the runs both need are shared.

TASKS = ("word2vec", "image recognition", "LSTM language model")  # Dozat's columns, in his order
TASK_SLUGS = {"word2vec": "w2v", "image recognition": "img", "LSTM language model": "lstm"}

# Dozat's update rules: {no momentum, classical, Nesterov} × {no scaling, L2 (RMSProp), L∞ (Adamax)}, plus
# the lecture's AdaGrad and Reddi et al.'s AMSGrad. Maxa is Adamax without momentum (β1 = 0), as RMSProp is,
# roughly, Adam without it. Dozat's ninth, N-max (Nadam with the L∞ norm), has no implementation in
# hp_lib.optim.
RULES = {
    "GD": dict(optimizer="sgd", momentum=0.0, nesterov=False),
    "Mom": dict(optimizer="sgd", momentum=0.9, nesterov=False),
    "NAG": dict(optimizer="sgd", momentum=0.9, nesterov=True),
    "AdaGrad": dict(optimizer="adagrad", momentum=0.0, nesterov=False),
    "RMS": dict(optimizer="rmsprop", momentum=0.0, nesterov=False),
    "Adam": dict(optimizer="adam", momentum=0.9, nesterov=False),
    "Nadam": dict(optimizer="nadam", momentum=0.9, nesterov=False),
    "Maxa": dict(optimizer="adamax", momentum=0.0, nesterov=False),
    "A-max": dict(optimizer="adamax", momentum=0.9, nesterov=False),
    "AMSGrad": dict(optimizer="amsgrad", momentum=0.9, nesterov=False),
}
DOZAT_RULES = ("GD", "Mom", "NAG", "RMS", "Adam", "Nadam", "Maxa", "A-max", "N-max")

# Quoted from Dozat (2015), "Incorporating Nesterov Momentum into Adam" (Stanford CS229 report), as the
# lecture notes reproduce it: test loss for word2vec and image recognition, test perplexity for the LSTM.
DOZAT_2015 = {
    "word2vec": {"GD": .368, "Mom": .361, "NAG": .358, "RMS": .316, "Adam": .325, "Nadam": .284,
                 "Maxa": .346, "A-max": .356, "N-max": .355},
    "image recognition": {"GD": .0202, "Mom": .0263, "NAG": .0283, "RMS": .0172, "Adam": .0175, "Nadam": .0183,
                          "Maxa": .0195, "A-max": .0231, "N-max": .0204},
    "LSTM language model": {"GD": 100.8, "Mom": 99.3, "NAG": 99.8, "RMS": 106.7, "Adam": 111.0, "Nadam": 105.5,
                            "Maxa": 106.3, "A-max": 108.5, "N-max": 107.0},
}

LR_LADDER = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
# the rate declared for each rule on each task (chosen on earlier runs of these tasks, fixed before the
# tests' runs): the tests' arms run at it, and each rule's grid is it and its neighbours on the ladder (one
# on each side at cpu, two at full, none at smoke)
GRID_CENTRES = {
    "word2vec": {"GD": 1.0, "Mom": 0.1, "NAG": 0.1, "AdaGrad": 0.3, "RMS": 3e-3, "Adam": 1e-2, "Nadam": 1e-2,
                 "Maxa": 3e-2, "A-max": 3e-2},
    "image recognition": {"GD": 0.3, "Mom": 3e-2, "NAG": 3e-2, "AdaGrad": 3e-2, "RMS": 3e-3, "Adam": 3e-3,
                          "Nadam": 3e-3, "Maxa": 3e-2, "A-max": 1e-2},
    "LSTM language model": {"GD": 10.0, "Mom": 3.0, "NAG": 3.0, "AdaGrad": 0.3, "RMS": 1e-2, "Adam": 3e-2,
                            "Nadam": 3e-2, "Maxa": 0.1, "A-max": 0.1},
}
GRID_RULES = tuple(GRID_CENTRES[TASKS[0]])  # the rules of Dozat's table and the lecture's AdaGrad
ADAM_SWEEP = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1)  # the lecture's default, 1e-3, in ×3 steps around it
ADAM_DEFAULT = 1e-3


@dataclass(frozen=True)
class Arm:
    """An arm of the real-data tests: an update rule of :data:`RULES` at a learning rate fixed before any run,
    either one rate on every task (``lr``) or, on each task, the rate declared in :data:`GRID_CENTRES` for
    ``rate_of`` (by default the rule itself)."""
    rule: str
    lr: float | None = None
    rate_of: str | None = None

    def rate(self, task: str) -> float:
        return self.lr if self.lr is not None else GRID_CENTRES[task][self.rate_of or self.rule]


ARMS = {
    "SGD": Arm("GD"), "SGD+Momentum": Arm("Mom"), "Nesterov": Arm("NAG"), "AdaGrad": Arm("AdaGrad"),
    "RMSProp": Arm("RMS"), "Adam": Arm("Adam"),
    "Nadam": Arm("Nadam", rate_of="Adam"), "AMSGrad": Arm("AMSGrad", rate_of="Adam"),
    "Adam, LR 1e-4": Arm("Adam", 1e-4), "Adam, LR 1e-3": Arm("Adam", ADAM_DEFAULT), "Adam, LR 1e-2": Arm("Adam", 1e-2),
}
LECTURE_ARMS = ("SGD", "SGD+Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam")  # the lecture's six


def task_config(task: str, profile: str) -> RunConfig:
    """The analog of one of Dozat's tasks, without weight decay (the optimizers alone are compared)."""
    p = profiles.get(profile)
    common = dict(n_test=0, weight_decay=0.0, train_probe=False, threads=p.threads, **p.accelerator)
    if task == "word2vec":
        return RunConfig(dataset="skipgram", model="skipgram", n_train=p.pick(5_000, 100_000, 100_000),
                         n_val=p.pick(500, 5_000, 10_000), batch_size=256, steps=p.pick(20, 800, 4_000),
                         eval_every=p.pick(10, 100, 200), **common)
    if task == "image recognition":
        return RunConfig(dataset="digits", model="mlp", n_train=1_257, n_val=540, batch_size=50,
                         steps=p.pick(20, 500, 2_000), eval_every=p.pick(10, 25, 100), **common)
    if task == "LSTM language model":
        return RunConfig(dataset="chars", model="char_lstm", model_kwargs={"hidden": p.pick(32, 64, 128)},
                         n_train=p.pick(500, 10_000, 10_000), n_val=p.pick(100, 500, 2_000), batch_size=64,
                         steps=p.pick(10, 300, 3_000), eval_every=p.pick(5, 50, 200), **common)
    raise ValueError(f"unknown task {task!r}; tasks: {', '.join(TASKS)}")


@functools.lru_cache(maxsize=None)
def chance_loss(task: str, profile: str) -> float:
    """The held-out loss of the uniform prediction on ``task``: ln of its number of classes (words, digits,
    characters); a diverged run scores it."""
    cfg = task_config(task, profile)
    return math.log(data_lib.load(cfg.dataset, cfg.n_train, cfg.n_val, cfg.n_test, seed=cfg.data_seed).num_classes)


def lr_grid(task: str, rule: str, profile: str) -> tuple[float, ...]:
    i = LR_LADDER.index(GRID_CENTRES[task][rule])
    k = profiles.get(profile).pick(0, 1, 2)
    return LR_LADDER[max(0, i - k): i + k + 1]


def at_edge(task: str, rule: str, lr: float, profile: str) -> bool:
    """Whether ``lr`` is the lowest or highest rate of a grid of more than one: the best rate may lie beyond."""
    grid = lr_grid(task, rule, profile)
    return len(grid) > 1 and lr in (grid[0], grid[-1])


def adam_sweep(profile: str) -> tuple[float, ...]:
    return profiles.get(profile).pick((ADAM_DEFAULT, 1e-2), ADAM_SWEEP, ADAM_SWEEP)


def grid_seeds(profile: str, seeds=None) -> tuple[int, ...]:
    """The seeds of the grids and the sweep (figures): the reader's, else the profile's."""
    return tuple(seeds) if seeds else profiles.get(profile).seeds


def test_seeds(profile: str, seeds=None) -> tuple[int, ...]:
    """The seeds every arm of a test runs: the reader's, else the profile's cheap seeds."""
    return tuple(seeds) if seeds else profiles.get(profile).cheap_seeds


def grid_setup(profile: str, seeds=None) -> dict[tuple, RunConfig]:
    """(task, rule, lr, seed) -> config: each rule of the grid at each rate of its grid, and Adam also at every
    rate of :func:`adam_sweep`, on the grid seeds."""
    out = {}
    for task in TASKS:
        base = task_config(task, profile)
        for rule in GRID_RULES:
            lrs = sorted(set(lr_grid(task, rule, profile)) | (set(adam_sweep(profile)) if rule == "Adam" else set()))
            for lr in lrs:
                for s in grid_seeds(profile, seeds):
                    out[(task, rule, lr, s)] = base.replace(lr=lr, seed=s, **RULES[rule])
    return out


def arm_setup(profile: str, seeds=None) -> dict[tuple, RunConfig]:
    """(task, rule, lr, seed) -> config: every arm of :data:`ARMS` on every task, on the test seeds."""
    out = {}
    for task in TASKS:
        base = task_config(task, profile)
        for arm in ARMS.values():
            lr = arm.rate(task)
            for s in test_seeds(profile, seeds):
                out[(task, arm.rule, lr, s)] = base.replace(lr=lr, seed=s, **RULES[arm.rule])
    return out


def real_data_setup(profile: str, seeds=None) -> dict[tuple, RunConfig]:
    """Every run of the real-data items: (task, rule, lr, seed) -> config, the grids' and the arms' (a run
    both need is listed once)."""
    return {**grid_setup(profile, seeds), **arm_setup(profile, seeds)}


@dataclass
class RealRuns:
    """The real-data runs: ``finals`` has one row per run (task, rule, lr, seed, its final held-out ``loss`` —
    infinite if it diverged —, ``acc`` and the ``initial`` loss before training); ``histories`` the runs;
    ``grid_seeds`` and ``test_seeds`` the seeds of the grids and of the tests' arms."""
    finals: pd.DataFrame
    histories: dict
    profile: str
    grid_seeds: tuple[int, ...] = ()
    test_seeds: tuple[int, ...] = ()

    def scores(self, seeds=None) -> pd.DataFrame:
        """Mean, std, min and max over ``seeds`` (default: the grid seeds) of the final loss, per task, rule and
        learning rate."""
        f = self.finals[self.finals["seed"].isin(seeds or self.grid_seeds)]
        g = f.groupby(["task", "rule", "lr"])["loss"]
        return pd.DataFrame({"mean": g.mean(), "std": g.std(ddof=1).fillna(0.0), "min": g.min(), "max": g.max(),
                             "seeds": g.size()}).reset_index()

    def best(self, grid_only: bool = True) -> pd.DataFrame:
        """Each task's and rule's best learning rate (lowest mean final loss over the grid seeds) among its grid
        (``grid_only``) or among every rate it ran at, with that rate's scores and whether it lies at the grid's
        edge. Dozat's table: the same held-out runs pick the rate and score it (a figure, not a test)."""
        s = self.scores()
        s = s[s["rule"].isin(GRID_RULES)]
        if grid_only:
            s = s[[lr in lr_grid(t, r, self.profile) for t, r, lr in zip(s["task"], s["rule"], s["lr"])]]
        best = s.loc[s.groupby(["task", "rule"])["mean"].idxmin()].reset_index(drop=True)
        best["edge"] = [at_edge(t, r, lr, self.profile) for t, r, lr in zip(best["task"], best["rule"], best["lr"])]
        return best

    def initial(self) -> dict[str, float]:
        """Each task's held-out loss before training (mean over its runs)."""
        return self.finals.groupby("task")["initial"].mean().to_dict()

    def arm_runs(self, task: str, arm: str) -> list:
        """The runs of ``arm`` on ``task``, one per test seed, in the seeds' order."""
        a = ARMS[arm]
        return [self.histories[(task, a.rule, a.rate(task), s)] for s in self.test_seeds]


def real_data(profile: str, seeds=None) -> RealRuns:
    setup = real_data_setup(profile, seeds)
    histories = dict(zip(setup, sweep.run(list(setup.values()), desc="optimizers on real data")))
    rows = []
    for (task, rule, lr, seed), h in histories.items():
        ev = h.dropna(subset=["val_loss"])
        ok = h.attrs.get("status", "ok") == "ok"
        rows.append({"task": task, "rule": rule, "lr": lr, "seed": seed, "initial": float(ev["val_loss"].iloc[0]),
                     "loss": float(ev["val_loss"].iloc[-1]) if ok else float("inf"),
                     "acc": float(ev["val_acc"].iloc[-1]) if ok else float("nan"), "status": h.attrs.get("status")})
    return RealRuns(pd.DataFrame(rows), histories, profile, grid_seeds(profile, seeds), test_seeds(profile, seeds))


TASK_ANALOGS = {"word2vec": "skip-gram, 1,000 words", "image recognition": "MLP on 8×8 digits",
                "LSTM language model": "character LSTM"}


def _fmt_lr(lr: float) -> str:
    return f"{lr:g}"


def glue_tasks(profile: str, seeds=None) -> None:
    """The three tasks' settings, the seeds and the margin the prose states."""
    values = {"lo-grid-seeds": str(len(grid_seeds(profile, seeds))), "lo-test-seeds": str(len(test_seeds(profile, seeds))),
              "lo-grid-lrs": str(len(lr_grid(TASKS[0], "Adam", profile))), "lo-loss-margin": f"{LOSS_MARGIN:g}",
              "lo-adam-sweep": ", ".join(_fmt_lr(lr) for lr in adam_sweep(profile))}
    for task in TASKS:
        c, t = task_config(task, profile), TASK_SLUGS[task]
        values.update({f"lo-{t}-n-train": f"{c.n_train:,}", f"lo-{t}-n-val": f"{c.n_val:,}",
                       f"lo-{t}-batch": str(c.batch_size), f"lo-{t}-steps": f"{c.steps:,}",
                       f"lo-{t}-chance": f"{chance_loss(task, profile):.2f}"})
    for t, name in (("w2v", "dim"), ("img", "width"), ("img", "depth"), ("lstm", "hidden")):
        values[f"lo-{t}-{name}"] = str(_model_setting(task_config(next(k for k, v in TASK_SLUGS.items() if v == t),
                                                                  profile), name))
    values["lo-lstm-window"] = str(text.SEQ_LEN)
    values["lo-w2v-words"] = f"{text.VOCAB_WORDS:,}"
    glue.values(values)


def _model_setting(cfg: RunConfig, name: str):
    """A model's setting: the config's ``model_kwargs``, else the model's default."""
    default = inspect.signature(models.MODELS[cfg.model]).parameters[name].default
    return cfg.model_kwargs.get(name, default)


def arm_losses(real: RealRuns) -> dict[str, dict[str, np.ndarray]]:
    """task -> arm -> the final held-out loss of each test seed (nats; a diverged run scores the chance loss)."""
    return {task: {arm: final_loss(real.arm_runs(task, arm), chance_loss(task, real.profile)) for arm in ARMS}
            for task in TASKS}


def loss_points(real: RealRuns) -> dict[str, np.ndarray]:
    """The tests' measure: arm -> for each test seed, the mean over the three tasks of the final held-out loss
    in points of the task's chance loss (100 × loss / ln K: 100 is the uniform prediction, 0 a perfect one)."""
    losses = arm_losses(real)
    return {arm: np.mean([100 * losses[t][arm] / chance_loss(t, real.profile) for t in TASKS], axis=0) for arm in ARMS}


def loss_measures(real: RealRuns) -> dict[str, dict[str, np.ndarray]]:
    """The real-data tests' measures, each arm's mean ± std glued (``lo-loss-<arm>``)."""
    values = loss_points(real)
    glue_arms("lo-loss", values, {arm: _slug(arm) for arm in ARMS})
    return {LOSS: values}


def arms_table(real: RealRuns) -> pd.DataFrame:
    """Every arm on every task: its learning rate and final held-out loss (mean ± std over the test seeds, in
    nats), and the tests' measure (points of the chance loss, mean of the tasks)."""
    losses, points = arm_losses(real), loss_points(real)
    rows = {}
    for arm in ARMS:
        row = {}
        for task in TASKS:
            x = losses[task][arm]
            row[(task, "LR")] = _fmt_lr(ARMS[arm].rate(task))
            row[(task, "loss")] = f"{x.mean():.3f} ± {x.std(ddof=1):.3f}" if len(x) > 1 else f"{x.mean():.3f}"
        x = points[arm]
        row[("mean of tasks", "points of chance")] = f"{x.mean():.2f} ± {x.std(ddof=1):.2f}" if len(x) > 1 else f"{x.mean():.2f}"
        rows[arm] = row
    table = pd.DataFrame(rows).T
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return table


# --- lecture-optimizers-real: the lecture's six optimizers on real data ------------------------------------

def figure_real_data(real: RealRuns, profile: str) -> None:
    """Per task, the held-out loss against the iteration of the lecture's six optimizers, each at the rate
    declared for it: the mean over the test seeds and the band between the lowest and highest seed."""
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.0))
    runs = []
    for ax, task in zip(axes, TASKS):
        tops = []
        for name, color in zip(LECTURE_ARMS, sns.color_palette("tab10")):
            hs = real.arm_runs(task, name)
            runs += hs
            curves = pd.concat([h.dropna(subset=["val_loss"]).set_index("step")["val_loss"] for h in hs], axis=1)
            x = curves.index + 1
            ax.plot(x, curves.mean(axis=1), color=color, lw=1.5, label=f"{name} (LR {_fmt_lr(ARMS[name].rate(task))})")
            ax.fill_between(x, curves.min(axis=1), curves.max(axis=1), color=color, alpha=0.2, lw=0)
            tops.append(curves.iloc[len(curves) // 5:].max().max())
        if task == "image recognition":  # the loss falls by two decades here
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(mticker.LogLocator(subs=(1, 2, 5)))
            ax.yaxis.set_major_formatter(mticker.FormatStrFormatter("%g"))
            ax.yaxis.set_minor_formatter(mticker.NullFormatter())
        ax.set_ylim(top=max(tops) * 1.1)
        ax.set_xlabel("iteration")
        ax.set_title(f"{task}: {TASK_ANALOGS[task]}", fontsize=10)
        ax.legend(fontsize=7)
    axes[0].set_ylabel("held-out (validation) loss")
    fig.tight_layout()
    plots.publish(fig, "lecture-optimizers-real", profile, "skip-gram pairs, sklearn digits, characters",
                  "skip-gram, MLP, char LSTM", runs)


# --- lecture-adam-default: "Adam with lr = 1e-3 (or 5e-4) is a great starting point" ------------------------

def adam_sweep_scores(real: RealRuns) -> pd.DataFrame:
    """Adam's final loss per task and rate of the sweep and of the tested arms, over every seed each ran."""
    rates = set(adam_sweep(real.profile)) | {ARMS[a].lr for a in ARMS if ARMS[a].rule == "Adam" and ARMS[a].lr}
    s = real.scores(seeds=tuple(sorted(set(real.grid_seeds) | set(real.test_seeds))))
    return s[(s["rule"] == "Adam") & s["lr"].isin(rates)].reset_index(drop=True)


def figure_adam_default(real: RealRuns, profile: str) -> None:
    """Per task, Adam's final held-out loss against its learning rate (mean over seeds, bars from the lowest to
    the highest seed), the lecture's 1e-3 and 5e-4 marked, and the three rates the test compares ringed."""
    s = adam_sweep_scores(real)
    tested = [ARMS[a].lr for a in ("Adam, LR 1e-4", "Adam, LR 1e-3", "Adam, LR 1e-2")]
    initial = real.initial()
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    for ax, task in zip(axes, TASKS):
        g = s[s["task"] == task].sort_values("lr")
        ok = np.isfinite(g["mean"])
        ax.errorbar(g["lr"][ok], g["mean"][ok], yerr=[g["mean"][ok] - g["min"][ok], g["max"][ok] - g["mean"][ok]],
                    fmt="o-", color="C0", capsize=3, label="Adam, mean and range over seeds")
        t = g[g["lr"].isin(tested) & ok]
        ax.plot(t["lr"], t["mean"], "o", ms=11, mfc="none", mec="C3", mew=1.5, label="the rates the test compares")
        top = initial[task] * 1.05
        if (~ok).any():
            ax.plot(g["lr"][~ok], [top * 0.98] * int((~ok).sum()), "x", color="C3", ms=8, mew=2, label="diverged")
        best = g["mean"][ok].min()
        ax.axhline(initial[task], color="0.6", ls=":", lw=1, label="initial loss")
        ax.axvspan(5e-4, 1e-3, color="C2", alpha=0.2, lw=0, label="lecture: 5e-4 … 1e-3")
        ax.set_xscale("log")
        ax.set_ylim(best - 0.05 * (initial[task] - best), top)
        ax.set_xlabel("Adam learning rate")
        ax.set_title(f"{task}: {TASK_ANALOGS[task]}", fontsize=10)
    axes[0].set_ylabel("final held-out loss")
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.legend(*axes[-1].get_legend_handles_labels(), loc="lower center", ncol=5, fontsize=8, frameon=False)
    rates = set(s["lr"])
    runs = [h for (t, r, l, _), h in real.histories.items() if r == "Adam" and l in rates]
    plots.publish(fig, "lecture-adam-default", profile, "skip-gram pairs, sklearn digits, characters",
                  "Adam on skip-gram, MLP, char LSTM", runs)


# --- nadam-table: Dozat's table beside our measured ranking ------------------------------------------------

def ours_by_task(real: RealRuns) -> dict[str, dict[str, float]]:
    best = real.best()
    return {task: {rule: float(best[(best["task"] == task) & (best["rule"] == rule)]["mean"].iloc[0])
                   for rule in DOZAT_RULES if rule in GRID_RULES} for task in TASKS}


def nadam_table(real: RealRuns) -> pd.DataFrame:
    """Dozat's (2015) table, quoted, beside ours: per task, his test loss (perplexity for the LSTM) with its rank
    among the optimizers we also ran, and our final held-out loss at the best learning rate of the grid (mean ±
    std over the grid seeds) with its rank and that rate (``*``: at the edge of the grid)."""
    best = real.best().set_index(["task", "rule"])
    ours = ours_by_task(real)
    columns = {}
    for task in TASKS:
        paper = DOZAT_2015[task]
        paper_rank = pd.Series({r: v for r, v in paper.items() if r in GRID_RULES}).rank(method="min").astype(int)
        our_rank = pd.Series(ours[task]).rank(method="min").astype(int)
        kind = "test perplexity" if task == "LSTM language model" else "test loss"
        col_paper, col_ours = [], []
        for rule in DOZAT_RULES:
            value = f"{paper[rule]:g}".lstrip("0") if paper[rule] < 1 else f"{paper[rule]:.1f}"
            col_paper.append(f"{value} ({paper_rank[rule]})" if rule in paper_rank else f"{value} (–)")
            if rule in GRID_RULES:
                b = best.loc[(task, rule)]
                col_ours.append(f"{b['mean']:.4f} ± {b['std']:.4f} ({our_rank[rule]}), "
                                f"LR {_fmt_lr(b['lr'])}{'*' if b['edge'] else ''}")
            else:
                col_ours.append("not implemented")
        columns[(task, f"Dozat (2015): {kind} (rank)")] = col_paper
        columns[(task, "ours: held-out loss (rank), LR")] = col_ours
    table = pd.DataFrame(columns, index=list(DOZAT_RULES))
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    if glue._kernel():  # pasted into the page with {glue:figure}, under the caption of each language
        from myst_nb import glue as paste

        paste("nadam-table", table, display=False)
    return table


# --- notes-x6: Adam with L2 against AdamW's decoupled weight decay ----------------------------------------

X6_ARMS = {"AdamW, tuned": "AdamW", "Adam + L2, tuned": "Adam + L2"}  # the test's arm -> the grid it tunes over
DIGITS_CHANCE = 10.0  # ten digits: the accuracy (points) of a diverged run


def weight_decay_setup(profile: str, seeds=None) -> dict[tuple, RunConfig]:
    """(optimizer, lr, weight decay, seed) -> config: the MLP on 500 digits, long enough to overfit without
    weight decay, over a learning-rate × weight-decay grid for Adam with L2 and for AdamW, on the test seeds;
    the learning rate (``lr``: its initial value) is annealed to zero along a cosine, as in Loshchilov &
    Hutter's experiments, so that the final loss is not the noise of a large constant step. AdamW's decay per
    step is :math:`\\eta\\lambda` while L2's acts through the normalised gradient, so their useful
    :math:`\\lambda` differ by orders of magnitude: each grid spans three decades around its own."""
    p = profiles.get(profile)
    steps = p.pick(40, 1_000, 4_000)
    base = RunConfig(dataset="digits", model="mlp", n_train=500, n_val=1_000, n_test=0, batch_size=50, momentum=0.9,
                     nesterov=False, steps=steps, eval_every=steps, train_probe=False, threads=p.threads, **p.accelerator)
    lrs = p.pick((1e-3, 1e-2), (1e-3, 3e-3, 1e-2, 3e-2), (3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1))
    wds = {"Adam + L2": ("adam", p.pick((1e-3, 1e-2), (1e-4, 1e-3, 1e-2, 0.1), (1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0))),
           "AdamW": ("adamw", p.pick((0.1, 1.0), (1e-2, 0.1, 1.0, 10.0), (1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0)))}
    return {(name, lr, wd, s): base.replace(optimizer=opt, lr={"name": "cosine", "value": lr, "total_steps": steps},
                                            weight_decay=wd, seed=s)
            for name, (opt, grid) in wds.items() for lr in lrs for wd in grid for s in test_seeds(profile, seeds)}


def weight_decay_grid(profile: str, seeds=None) -> pd.DataFrame:
    """One row per run of :func:`weight_decay_setup`: its final held-out loss (the chance loss ln 10 if it
    diverged) and accuracy in points (10 if it diverged)."""
    setup = weight_decay_setup(profile, seeds)
    rows = []
    for (name, lr, wd, seed), h in zip(setup, sweep.run(list(setup.values()), desc="Adam + L2 and AdamW")):
        rows.append({"optimizer": name, "lr": lr, "weight_decay": wd, "seed": seed,
                     "loss": float(final_loss([h], math.log(10))[0]),
                     "acc": float(final_accuracy([h], DIGITS_CHANCE)[0]), "history": h})
    return pd.DataFrame(rows)


def weight_decay_tables(df: pd.DataFrame, value: str = "loss") -> dict[str, pd.DataFrame]:
    """Per optimizer, the mean over seeds of ``value`` with one row per weight decay and one column per LR."""
    return {name: g.pivot_table(index="weight_decay", columns="lr", values=value, aggfunc="mean")
            for name, g in df.groupby("optimizer", sort=False)}


def tuned(df: pd.DataFrame) -> tuple[dict[str, np.ndarray], dict[str, list[tuple[float, float]]]]:
    """Each optimizer tuned without looking at the run it is scored on: for each seed, the grid cell (lr, λ)
    with the highest mean accuracy over the *other* seeds (ties: the lower mean loss), and the held-out
    seed's accuracy at that cell. Returns arm -> accuracies (points, seeds in order) and arm -> cells chosen.
    With a single seed there are no other seeds: the cell is chosen on that seed itself."""
    seeds = sorted(df["seed"].unique())
    values, cells = {}, {}
    for arm, name in X6_ARMS.items():
        g = df[df["optimizer"] == name]
        accs, chosen = [], []
        for s in seeds:
            other = g[g["seed"] != s] if len(seeds) > 1 else g
            m = other.groupby(["lr", "weight_decay"]).agg(acc=("acc", "mean"), loss=("loss", "mean"))
            lr, wd = m.sort_values(["acc", "loss"], ascending=[False, True]).index[0]
            chosen.append((float(lr), float(wd)))
            row = g[(g["seed"] == s) & (g["lr"] == lr) & (g["weight_decay"] == wd)]
            accs.append(float(row["acc"].iloc[0]))
        values[arm], cells[arm] = np.array(accs), chosen
    return values, cells


def weight_decay_measures(df: pd.DataFrame) -> tuple[dict[str, dict[str, np.ndarray]], dict]:
    """notes-x6's measure (accuracy of each tuned arm per seed), glued with the cells chosen."""
    values, cells = tuned(df)
    glue_arms("lo-x6-acc", values, {arm: _slug(X6_ARMS[arm]) for arm in X6_ARMS})
    glue.values({f"lo-x6-cells-{_slug(X6_ARMS[arm])}": "; ".join(f"{_fmt_lr(lr)}/{_fmt_lr(wd)}" for lr, wd in c)
                 for arm, c in cells.items()})
    return {"accuracy": values}, cells


def judge_weight_decay(df: pd.DataFrame, profile: str, seeds=None) -> tuple[dict[str, verdicts.Verdict], dict]:
    """Decide notes-x6 on the tuned arms' accuracies (the binomial margin of the held-out digits); return the
    verdict and the cells chosen."""
    measures, cells = weight_decay_measures(df)
    n_eval = next(iter(weight_decay_setup(profile, seeds).values())).n_val
    return judge(measures, ("notes-x6",), profile, n_eval), cells


def figure_adamw(df: pd.DataFrame, cells: dict, profile: str) -> None:
    """Two heatmaps of the final held-out accuracy (mean over seeds) over learning rate × weight decay, on one
    colour scale; starred: each grid's best mean; outlined: the cells the held-out seeds' tuning chose (with
    how many seeds chose each)."""
    tables = weight_decay_tables(df, "acc")
    hi = max(np.nanmax(t.to_numpy()) for t in tables.values())
    lo = max(min(np.nanmin(t.to_numpy()) for t in tables.values()), hi - 20)
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.2), gridspec_kw={"wspace": 0.35})
    titles = {"Adam + L2": "Adam + L2: $g \\leftarrow g + \\lambda\\theta$",
              "AdamW": "AdamW: $\\theta \\leftarrow (1 - \\eta\\lambda)\\,\\theta$"}
    for ax, (name, t) in zip(axes, tables.items()):
        values = t.to_numpy()
        im = ax.imshow(np.clip(values, lo, hi), cmap="viridis", vmin=lo, vmax=hi, origin="lower", aspect="auto")
        best = np.nanmax(values)
        arm = next(a for a, n in X6_ARMS.items() if n == name)
        chosen = Counter(cells[arm])
        for i, wd in enumerate(t.index):
            for j, lr in enumerate(t.columns):
                v = values[i, j]
                ax.text(j, i, ("★ " if v == best else "") + f"{v:.1f}", ha="center", va="center", fontsize=8,
                        color="w" if v < (lo + hi) / 2 else "k")
                n = int(chosen.get((float(lr), float(wd)), 0))
                if n:
                    ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="C3", lw=2))
                    ax.text(j + 0.45, i - 0.42, f"×{n}", ha="right", va="bottom", fontsize=7, color="C3")
        ax.set_xticks(range(len(t.columns)), [_fmt_lr(c) for c in t.columns])
        ax.set_yticks(range(len(t.index)), [_fmt_lr(w) for w in t.index])
        ax.set_xlabel("initial learning rate $\\eta$ (cosine to 0)")
        ax.set_ylabel("weight decay $\\lambda$")
        ax.set_title(titles[name], fontsize=10)
        ax.grid(False)
    fig.colorbar(im, ax=axes, label="final held-out accuracy, % (mean over seeds)")
    plots.publish(fig, "notes-x6", profile, "sklearn digits (500 training samples)", "MLP, Adam + L2 and AdamW",
                  list(df["history"]))


def glue_weight_decay(profile: str, seeds=None) -> None:
    """notes-x6's settings, for the prose."""
    setup = weight_decay_setup(profile, seeds)
    cfg = next(iter(setup.values()))
    grid = lambda name, i: ", ".join(_fmt_lr(v) for v in sorted({k[i] for k in setup if k[0] == name}))
    glue.values({"lo-x6-steps": f"{cfg.steps:,}", "lo-x6-batch": str(cfg.batch_size), "lo-x6-beta1": f"{cfg.momentum:g}",
                 "lo-x6-epochs": str(cfg.steps * cfg.batch_size // cfg.n_train), "lo-x6-n-train": f"{cfg.n_train:,}",
                 "lo-x6-n-val": f"{cfg.n_val:,}", "lo-x6-lrs": grid("Adam + L2", 1), "lo-x6-l2": grid("Adam + L2", 2),
                 "lo-x6-w": grid("AdamW", 2), "lo-x6-seeds": str(len({k[3] for k in setup}))})


REAL_DATA = ("lecture-optimizers-real", "lecture-adam-default", "nadam-table", "notes-x5")  # tested on real_data()
CHAPTER = Chapter("lecture-optimizers", (
    Experiment("paths on a valley and bumpy losses", ("lecture-f1", "lecture-f2", "lecture-f3", "lecture-f4",
                                                       "lecture-f5"),
               tests=tests("lecture-f1", "lecture-f5")),  # seconds of work on 2-D losses: no training runs to plan
    Experiment("leaving a saddle", ("lecture-f6",), saddle_setup, tests("lecture-f6")),
    Experiment("Adam's bias correction", ("lecture-f7",), bias_setup, tests("lecture-f7")),
    Experiment("the update rules on three real tasks", REAL_DATA[:2], real_data_setup, tests(*REAL_DATA[:2])),
    Experiment("second-order methods", ("lecture-f27",), tests=tests("lecture-f27")),  # its runs take seconds
    Experiment("Keras' defaults", ("keras-table",)),
    Experiment("Nadam and AMSGrad against Adam (the same runs)", REAL_DATA[2:], None, tests(*REAL_DATA[2:])),
    Experiment("decoupled weight decay against L2 in Adam", ("notes-x6",), weight_decay_setup, tests("notes-x6")),
))
