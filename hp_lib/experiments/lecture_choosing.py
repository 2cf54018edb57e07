"""Choosing hyper-parameters, as the lecture teaches it: lecture-f14 … f19, f28, notes-x1 and notes-x7.

The model is the lecture's proxy, a two-layer MLP (width 128, ReLU) trained with plain SGD + momentum 0.9,
on scikit-learn's 8×8 handwritten digits (1,797 images, which ship with scikit-learn) — small enough that
the chapter's runs take a few minutes, real enough that over- and underfitting show.

* lecture-f14, early stopping: the MLP on 500 digits without regularization, trained far past its best
  validation loss. The stopping point is chosen on *selection* seeds, which the test never scores; on the
  chapter's paired seeds the snapshot there is compared with the last one.
* lecture-f15, grid against random search (Bergstra & Bengio 2012): on a function where one of two
  parameters matters (shown), and on real runs where the learning rate matters and the weight decay hardly
  does (tested: each search's best trial, re-run on a fresh split of the digits).
* lecture-f18, the recipe's first three steps: the initial loss against ln C (tested: equivalence), overfitting
  a small sample, finding the learning rates that make the loss fall within 100 iterations.
* lecture-f16, its steps 4 and 5, coarse-to-fine random search: log-uniform learning rates (in step 3's
  range) and weight decays, about 5 epochs each, then a finer search, about 20 epochs, in the best region
  (an illustration: one run of a procedure).
* lecture-f17, step 6, reading the learning curves: six cases (bad initialisation, a plateau, a decay too
  early, an accuracy still rising, overfitting, underfitting), each a paired comparison of real runs; the item
  is reproduced only when all six are.
* lecture-f19 and notes-x1, the update/weight ratio: ‖ΔW‖/‖W‖ per layer at learning rates 1e-4 … 1; the rate
  whose ratio is nearest 1e-3 (per seed) against the rates a decade below and above it, with momentum (f19)
  and with the notes' plain SGD (x1).
* lecture-f28 and notes-x7, transfer learning: pre-train on digits 0–4, move to 5–9 with little or more data,
  from scratch, by linear classifiers on frozen layers, or by fine-tuning with one or differential rates.

The module glues numbers and settings (``lc-*``) and the verdict lines; the page's two languages hold the prose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import glue, plots, profiles, sweep, verdicts
from ..train import History, RunConfig
from .chapter import Chapter, Experiment
from ..means import mean_over_seeds
from .common import NATS_MARGIN, WHY_NATS_MARGIN, Test, decide, final_accuracy, illustrate, mean_std
# the scores of a diverged run and the selection seeds, shared with the schedules chapter
from .lecture_schedules import CHANCE_ACC, CHANCE_LOSS, seeds_or, selection_seeds

DIGITS = "digits"
N_VAL = 180  # the digits' validation samples (and the training subset the curves of step 6 are evaluated on)
# the gap between training and validation accuracy: two binomial standard errors of the validation side at the
# least favourable accuracy, 50 % (the training side, on samples the network fits, is close to 100 %)
GAP_MARGIN = 100 * 2 * math.sqrt(0.25 / N_VAL)
RECIPE_BAND = 0.1 * math.log(10)  # the recipe's first check passes an initial loss within 10 % of ln C
FLAT_MARGIN = 2  # evaluations: how long a loss stays flat is read at evaluations, two of them its resolution

TESTS = [
    Test("lecture-f14", "trained past its best, a network's validation loss rises again: the snapshot at the best "
         "point beats the last one", "early stop", "to the end",
         "validation loss: at the end minus at the stopping point chosen on the selection seeds (nats)",
         measure="validation loss", higher_is_better=False, margin=NATS_MARGIN, why_margin=WHY_NATS_MARGIN),
    Test("lecture-f15", "with one important and one unimportant hyper-parameter, nine random trials find a better "
         "setting than a 3 x 3 grid", "random", "grid",
         "validation accuracy of each search's best trial, re-run on a fresh split: random minus grid (points)"),
    Test("lecture-f17-bad-init", "a bad initialization keeps the loss flat before it falls", "bad_init", "reference",
         "evaluations until the training loss falls below 90 % of its start: badly minus well initialised",
         measure="flat evaluations", margin=FLAT_MARGIN,
         why_margin="the measure is read at evaluations; two of them are its resolution"),
    Test("lecture-f17-plateau", "a loss that plateaus at a constant rate falls lower once the rate decays", "decay",
         "constant", "training loss over the last tenth of the run: constant minus decayed at half (nats)",
         measure="end training loss", higher_is_better=False, margin=NATS_MARGIN, why_margin=WHY_NATS_MARGIN),
    Test("lecture-f17-too-early", "a decay made while the loss was still falling ends higher than a later one",
         "late_decay", "early_decay",
         "training loss over the last tenth of the run: decayed at a tenth minus at half (nats)",
         measure="end training loss", higher_is_better=False, margin=NATS_MARGIN, why_margin=WHY_NATS_MARGIN),
    Test("lecture-f17-longer", "an accuracy still rising where a short run stops keeps rising: training longer pays",
         "long", "short", "validation accuracy: at the end of the long run minus where a short run stops (points)"),
    Test("lecture-f17-overfitting", "a large gap between training and validation accuracy is overfitting: more data "
         "closes it", "few_samples", "reference",
         "training minus validation accuracy over the last quarter of the run: on 50 samples minus on all (points)",
         measure="gap", margin=GAP_MARGIN,
         why_margin=f"two binomial standard errors of the {N_VAL} validation samples at the least favourable "
                    f"accuracy, 50 %"),
    Test("lecture-f17-underfitting", "a model with no gap but a low training accuracy underfits: a bigger model fits "
         "better", "reference", "tiny_model",
         "training accuracy over the last quarter of the run: 128 hidden units minus 2 (points)",
         measure="training accuracy"),
    Test("lecture-f18", "with small random weights the initial loss is ln C, here ln 10 (the recipe's first check)",
         "initial", "ln C", "initial loss minus ln 10 (nats)", measure="initial loss", form=verdicts.EQUIVALENCE,
         margin=RECIPE_BAND, why_margin="the recipe's check: an initial loss within 10 % of ln C passes it"),
    Test("lecture-f19", "with SGD + momentum 0.9, the learning rate whose update/weight ratio is nearest 1e-3 ends "
         "with a lower validation loss than the rates a decade below and above it", "nearest",
         ("a decade lower", "a decade higher"),
         "final validation loss: the other rate's minus that of the rate nearest 1e-3 (nats)",
         measure="validation loss, momentum", higher_is_better=False, margin=NATS_MARGIN, why_margin=WHY_NATS_MARGIN),
    Test("notes-x1", "with plain SGD (the notes' code), the learning rate whose update/weight ratio is nearest 1e-3 "
         "ends with a lower validation loss than the rates a decade below and above it", "nearest",
         ("a decade lower", "a decade higher"),
         "final validation loss: the other rate's minus that of the rate nearest 1e-3 (nats)",
         measure="validation loss, plain SGD", higher_is_better=False, margin=NATS_MARGIN, why_margin=WHY_NATS_MARGIN),
    Test("lecture-f28", "with more data, fine-tuning all layers beats a linear classifier on the frozen top layer",
         "finetune", "probe_top", "validation accuracy with 100 samples per class: fine-tuned minus the linear "
         "classifier (points)"),
    Test("notes-x7", "when fine-tuning, differential learning rates (lower for earlier layers) beat one rate for "
         "every layer", "differential", ("finetune", "finetune_tenth"),
         "validation accuracy with 100 samples per class: differential rates minus each single rate (points)"),
]
DIAGNOSIS_TESTS = [t.id for t in TESTS if t.id.startswith("lecture-f17-")]

ILLUSTRATIONS = {
    "lecture-f16": ("coarse-to-fine random search: log-uniform trials, then a narrower and longer search where the "
                    "good trials are", "one run of a search procedure, on one seed: the lecture states a practice, "
                    "not an effect to test"),
}


def test(id: str) -> Test:
    return next(t for t in TESTS if t.id == id)


def illustration(id: str) -> verdicts.Verdict:
    """An item of :data:`ILLUSTRATIONS` as its record, its line glued."""
    return illustrate(id, *ILLUSTRATIONS[id])


def base(profile: str, **changes) -> RunConfig:
    p = profiles.get(profile)
    return RunConfig(dataset=DIGITS, n_train=1_257, n_val=N_VAL, n_test=360, model="mlp", batch_size=50,
                     lr=0.05, momentum=0.9, nesterov=False, weight_decay=0.0, steps=p.pick(100, 1_000, 1_000),
                     eval_every=p.pick(20, 50, 50), threads=1, **p.accelerator).replace(**changes)


def glue_base(profile: str) -> None:
    c = base(profile)
    glue.values({"lc-n-train": f"{c.n_train:,}", "lc-n-val": f"{c.n_val:,}", "lc-batch": f"{c.batch_size:,}",
                 "lc-lr": f"{c.lr:g}"})


def _last(h: History) -> pd.Series:
    return h.dropna(subset=["val_loss"]).iloc[-1]


def _mean_evaluations(runs: list[History]) -> pd.DataFrame:
    return mean_over_seeds(runs, logged="val_loss")


def _ok(h: History) -> bool:
    return h.attrs.get("status", "ok") == "ok"


def _mean_range(x, digits: int = 1, scale: float = 100.0) -> str:
    """Mean with the range over seeds (an accuracy in points by default)."""
    x = scale * np.asarray(x, dtype=float)
    if len(x) == 1 or np.ptp(x) < 0.5 * 10 ** -digits:
        return f"{x.mean():.{digits}f}"
    return f"{x.mean():.{digits}f} ({x.min():.{digits}f} … {x.max():.{digits}f})"


# --- lecture-f14: early stopping -------------------------------------------------------------------------

@dataclass
class EarlyStopping:
    """lecture-f14: the runs on the selection seeds, the stopping step they give, and the scored runs."""
    selection: list[History]
    stop: int          # the evaluation step (recorded after ``stop + 1`` updates) with the lowest mean validation loss
    runs: list[History]


def early_stopping_config(profile: str) -> RunConfig:
    p = profiles.get(profile)
    return base(profile, n_train=500, batch_size=50, lr=0.1, steps=p.pick(200, 4_000, 4_000), eval_every=p.pick(10, 40, 40))


def early_stopping_scored_setup(profile: str, seeds=None) -> list[RunConfig]:
    """The runs the test scores, on the paired seeds."""
    return [early_stopping_config(profile).replace(seed=s) for s in seeds_or(seeds, profiles.get(profile).cheap_seeds)]


def early_stopping_selection_setup(profile: str) -> list[RunConfig]:
    """The same runs on the selection seeds, which choose where to stop."""
    return [early_stopping_config(profile).replace(seed=s) for s in selection_seeds(profile)]


def early_stopping(profile: str, seeds=None) -> EarlyStopping:
    selection_cfgs, cfgs = early_stopping_selection_setup(profile), early_stopping_scored_setup(profile, seeds)
    hs = sweep.run(selection_cfgs + cfgs, desc="early stopping")
    selection = hs[:len(selection_cfgs)]
    ev = _mean_evaluations(selection)
    return EarlyStopping(selection, int(ev.loc[ev["val_loss"].idxmin(), "step"]), hs[len(selection_cfgs):])


def _at(h: History, step: int, column: str, diverged: float) -> float:
    """``column`` at the evaluation of ``step``, or at the run's last evaluation when ``step`` is None;
    ``diverged`` for a run that diverged."""
    if not _ok(h):
        return diverged
    ev = h.dropna(subset=["val_loss"])
    return float(ev[column].iloc[-1] if step is None else ev.loc[ev["step"] == step, column].iloc[0])


def judge_early_stopping(e: EarlyStopping, profile: str) -> verdicts.Verdict:
    """lecture-f14 on the validation loss at the stopping point against at the end; the page's numbers."""
    loss = {"early stop": np.array([_at(h, e.stop, "val_loss", CHANCE_LOSS) for h in e.runs]),
            "to the end": np.array([_at(h, None, "val_loss", CHANCE_LOSS) for h in e.runs])}
    steps = int(e.runs[0]["step"].max()) + 1
    glue.values({"lc-f14-stop": f"{e.stop + 1:,}", "lc-f14-steps": f"{steps:,}",
                 "lc-f14-selection-seeds": str(len(e.selection)), "lc-f14-seeds": str(len(e.runs)),
                 "lc-f14-loss-stop": mean_std(loss["early stop"], 3), "lc-f14-loss-end": mean_std(loss["to the end"], 3),
                 "lc-f14-acc-stop": mean_std([_at(h, e.stop, "val_acc", 0.1) for h in e.runs], 1, 100),
                 "lc-f14-acc-end": mean_std([_at(h, None, "val_acc", 0.1) for h in e.runs], 1, 100),
                 "lc-f14-train-stop": mean_std([_at(h, e.stop, "train_eval_loss", CHANCE_LOSS) for h in e.runs], 4),
                 "lc-f14-train-end": mean_std([_at(h, None, "train_eval_loss", CHANCE_LOSS) for h in e.runs], 4)})
    return decide([test("lecture-f14")], {"validation loss": loss}, N_VAL, profile)["lecture-f14"]


def glue_early_stopping(profile: str) -> None:
    c = early_stopping_config(profile)
    glue.values({"lc-f14-n-train": f"{c.n_train:,}", "lc-f14-lr": f"{c.lr:g}", "lc-f14-batch": f"{c.batch_size:,}",
                 "lc-f14-config-steps": f"{c.steps:,}", "lc-f14-epochs": f"{c.steps * c.batch_size // c.n_train:,}"})


def figure_early_stopping(e: EarlyStopping, profile: str) -> None:
    ev = _mean_evaluations(e.runs)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    axes[0].plot(ev["step"] + 1, ev["train_eval_loss"], color=plots.COLORS["train"], label="train")
    axes[0].plot(ev["step"] + 1, ev["val_loss"], color=plots.COLORS["val"], label="validation")
    axes[0].set_ylabel("loss")
    axes[0].set_yscale("log")
    axes[1].plot(ev["step"] + 1, ev["train_eval_acc"], color=plots.COLORS["train"], label="train")
    axes[1].plot(ev["step"] + 1, ev["val_acc"], color=plots.COLORS["val"], label="validation")
    axes[1].set_ylabel("accuracy")
    for ax in axes:
        ax.axvline(e.stop + 1, color="k", ls="--", lw=1, label="stop here (chosen on the selection seeds)")
        ax.set_xlabel("iteration")
        ax.legend(fontsize=8)
    fig.tight_layout()
    plots.publish(fig, "lecture-f14", profile, "digits (500 training samples)", "MLP, no regularization",
                  e.selection + e.runs)

# --- lecture-f15: grid against random search -----------------------------------------------------------

def _important(x):
    """The parameter that matters: a bump with its peak off every grid line."""
    return np.exp(-((x - 0.62) / 0.12) ** 2)


def _unimportant(y):
    return 0.1 * np.sin(3 * np.pi * y) ** 2


def grid_vs_random_toy(points: int = 9, repeats: int = 2_000, seed: int = 0) -> dict:
    """Search :math:`f(x, y) = g(x) + h(y)` on the unit square with ``points`` trials, where :math:`g` varies
    ten times as much as :math:`h`: a 3 × 3 grid, whose three values of :math:`x` are all it learns about
    :math:`g`, against ``points`` uniform random trials (``repeats`` times, for the spread)."""
    k = int(round(math.sqrt(points)))
    rng = np.random.default_rng(seed)
    shifts = rng.uniform(0, 1 / k, size=(repeats, 2))  # a grid at a random offset each time: no lucky placement
    axis = (np.arange(k) + 0.5) / k
    grid_best, random_best = [], []
    for dx, dy in shifts:
        gx, gy = np.meshgrid((axis + dx - 0.5 / k) % 1, (axis + dy - 0.5 / k) % 1)
        grid_best.append(float(np.max(_important(gx) + _unimportant(gy))))
        rx, ry = rng.uniform(size=(2, points))
        random_best.append(float(np.max(_important(rx) + _unimportant(ry))))
    gx, gy = np.meshgrid(axis, axis)
    example_random = np.random.default_rng(seed + 1).uniform(size=(2, points))
    return {"grid": np.array(grid_best), "random": np.array(random_best), "points": points,
            "example_grid": np.stack([gx.ravel(), gy.ravel()]), "example_random": example_random}


RESCORE_DATA_SEED = 1  # a fresh split of the digits into training and validation samples, for the picks


@dataclass
class Searches:
    """lecture-f15's real runs: every trial of both searches per seed, and each search's pick re-run on a fresh
    split."""
    trials: pd.DataFrame                       # search, seed, lr, weight_decay, val_acc, status
    runs: dict[tuple[str, int], list[History]]
    picks: dict[tuple[str, int], RunConfig]
    rescored: dict[tuple[str, int], History]


def grid_vs_random_setup(profile: str, seeds=None) -> dict[tuple[str, int], list[RunConfig]]:
    """Nine trials per search and seed: a 3 × 3 grid over learning rate × weight decay, and nine log-uniform
    random draws from the same box (LR 1e-3 … 1, WD 1e-6 … 1e-3), drawn anew for each seed (the draw is part of
    the search's randomness)."""
    p = profiles.get(profile)
    cfg = base(profile, steps=p.pick(60, 300, 300), eval_every=p.pick(60, 300, 300))
    lrs, wds = np.logspace(-3, 0, 3 + 2)[1:-1], np.logspace(-6, -3, 3 + 2)[1:-1]  # inside the box, as a grid is placed
    configs = {}
    for s in seeds_or(seeds, p.cheap_seeds):
        rng = np.random.default_rng(s)
        trials = {"grid": [(lr, wd) for lr in lrs for wd in wds],
                  "random": list(zip(10 ** rng.uniform(-3, 0, 9), 10 ** rng.uniform(-6, -3, 9)))}
        for kind, points in trials.items():
            configs[(kind, s)] = [cfg.replace(lr=float(lr), weight_decay=float(wd), seed=s) for lr, wd in points]
    return configs


def _final_val_acc(h: History) -> float:
    return float(_last(h)["val_acc"]) if _ok(h) else CHANCE_ACC / 100


def grid_vs_random_runs(profile: str, seeds=None) -> Searches:
    """The trials of :func:`grid_vs_random_setup`; per search and seed the trial with the best validation
    accuracy is the search's pick, and the pick is re-run on a fresh split of the digits (the same seed): the
    search is scored there, on samples its choice never saw."""
    configs = grid_vs_random_setup(profile, seeds)
    flat = iter(sweep.run([c for cs in configs.values() for c in cs], desc="grid and random search"))
    runs = {key: [next(flat) for _ in cs] for key, cs in configs.items()}
    rows = [{"search": kind, "seed": s, "lr": c.lr, "weight_decay": c.weight_decay, "val_acc": _final_val_acc(h),
             "status": h.attrs.get("status")} for (kind, s), cs in configs.items() for c, h in zip(cs, runs[(kind, s)])]
    picks = {key: cs[int(np.argmax([_final_val_acc(h) for h in runs[key]]))] for key, cs in configs.items()}
    fresh = sweep.run([c.replace(data_seed=RESCORE_DATA_SEED) for c in picks.values()], desc="the picks, re-run")
    return Searches(pd.DataFrame(rows), runs, picks, dict(zip(picks, fresh)))


def judge_grid_vs_random(toy: dict, s: Searches, profile: str) -> verdicts.Verdict:
    """lecture-f15 on the picks' accuracy on the fresh split; the numbers of the function and the runs, glued."""
    seeds = sorted({seed for _, seed in s.picks})
    acc = {kind: final_accuracy([s.rescored[(kind, seed)] for seed in seeds], CHANCE_ACC) for kind in ("grid", "random")}
    best = s.trials.groupby(["search", "seed"])["val_acc"].max().groupby("search")
    distinct = s.trials.groupby(["search", "seed"])["lr"].nunique().groupby("search").mean()
    cfg = next(iter(s.picks.values()))
    glue.values({"lc-f15-toy-grid": f"{toy['grid'].mean():.3f}", "lc-f15-toy-random": f"{toy['random'].mean():.3f}",
                 "lc-f15-toy-wins": f"{100 * np.mean(toy['random'] > toy['grid']):.0f}",
                 "lc-f15-toy-repeats": f"{len(toy['grid']):,}", "lc-f15-toy-points": str(toy["points"]),
                 "lc-f15-steps": f"{cfg.steps:,}", "lc-f15-seeds": str(len(seeds)),
                 "lc-f15-distinct-grid": f"{distinct['grid']:g}", "lc-f15-distinct-random": f"{distinct['random']:g}",
                 "lc-f15-best-grid": mean_std(best.get_group("grid"), 1, 100),
                 "lc-f15-best-random": mean_std(best.get_group("random"), 1, 100),
                 "lc-f15-pick-lr-grid": ", ".join(f"{s.picks[('grid', seed)].lr:.2g}" for seed in seeds),
                 "lc-f15-pick-lr-random": ", ".join(f"{s.picks[('random', seed)].lr:.2g}" for seed in seeds),
                 "lc-f15-acc-grid": mean_std(acc["grid"], 1), "lc-f15-acc-random": mean_std(acc["random"], 1)})
    return decide([test("lecture-f15")], {"accuracy": acc}, N_VAL, profile)["lecture-f15"]


def figure_grid_vs_random(toy: dict, s: Searches, profile: str) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(12.5, 3.8))
    xs = np.linspace(0, 1, 200)
    for ax, kind in zip(axes[:2], ("grid", "random")):
        pts = toy[f"example_{kind}"]
        ax.plot(pts[0], pts[1], "o", color="C0" if kind == "grid" else "C3")
        ax.plot(xs, -0.15 + 0.12 * _important(xs), color="C2", lw=1.5)  # the marginals, drawn outside the square
        ax.plot(-0.15 + 1.2 * _unimportant(xs), xs, color="C1", lw=1.5)
        for x in pts[0]:
            ax.plot([x, x], [-0.15, -0.15 + 0.12 * _important(x)], color="0.6", lw=0.6)
        ax.set_xlim(-0.2, 1.02)
        ax.set_ylim(-0.2, 1.02)
        ax.set_xlabel("important parameter")
        ax.set_ylabel("unimportant parameter")
        ax.set_title(f"{kind} layout: {len(set(np.round(pts[0], 6)))} distinct values tried", fontsize=9)
    ax = axes[2]
    for kind, color in (("grid", "C0"), ("random", "C3")):
        t = s.trials[s.trials["search"] == kind]
        ax.semilogx(t["lr"], t["val_acc"], "o", color=color, alpha=0.5, ms=4, label=f"{kind} search")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("validation accuracy")
    ax.set_title("MLP on digits: 9 trials per search and seed", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    plots.publish(fig, "lecture-f15", profile, "digits; f(x, y) = g(x) + h(y)", "MLP",
                  [h for hs in s.runs.values() for h in hs] + list(s.rescored.values()))

# --- lecture-f16: coarse-to-fine random search ---------------------------------------------------------

def coarse_to_fine(profile: str, lr_range: tuple[float, float], seed: int = 0) -> tuple[pd.DataFrame, list[History]]:
    """Steps 4 and 5 of the recipe: log-uniform random trials over the learning rates step 3 found
    (``lr_range``) and weight decays 1e-6 … 1e-2, about 5 epochs each; then a finer search around the
    coarse stage's five best trials, about 20 epochs each."""
    p = profiles.get(profile)
    n_coarse, n_fine = p.pick((6, 4), (30, 20), (30, 20))
    epoch = 1_257 // 50
    short, long = p.pick(2, 5, 5) * epoch, p.pick(4, 20, 20) * epoch
    rng = np.random.default_rng(seed)
    lo_lr, hi_lr = np.log10(lr_range[0]), np.log10(lr_range[1])
    coarse = [(10 ** rng.uniform(lo_lr, hi_lr), 10 ** rng.uniform(-6, -2)) for _ in range(n_coarse)]
    cfg = base(profile, steps=short, eval_every=short)
    hs = sweep.run([cfg.replace(lr=float(lr), weight_decay=float(wd)) for lr, wd in coarse], desc="coarse search")
    rows = [{"stage": "coarse", "lr": lr, "weight_decay": wd, "val_acc": float(_last(h)["val_acc"])}
            for (lr, wd), h in zip(coarse, hs)]
    top = pd.DataFrame(rows).nlargest(5, "val_acc")
    lo, hi = np.log10(top[["lr", "weight_decay"]].min()), np.log10(top[["lr", "weight_decay"]].max())
    fine = [(10 ** rng.uniform(lo["lr"] - 0.1, hi["lr"] + 0.1), 10 ** rng.uniform(lo["weight_decay"] - 0.25, hi["weight_decay"] + 0.25))
            for _ in range(n_fine)]
    long_cfg = cfg.replace(steps=long, eval_every=long)
    hs_fine = sweep.run([long_cfg.replace(lr=float(lr), weight_decay=float(wd)) for lr, wd in fine], desc="fine search")
    rows += [{"stage": "fine", "lr": lr, "weight_decay": wd, "val_acc": float(_last(h)["val_acc"])}
             for (lr, wd), h in zip(fine, hs_fine)]
    trials = pd.DataFrame(rows)
    trials.attrs.update(lr_range=lr_range, epochs=(short // epoch, long // epoch))
    return trials, hs + hs_fine


def glue_coarse_to_fine(trials: pd.DataFrame) -> None:
    """lecture-f16's numbers: each stage's trials, epochs, ranges and best validation accuracy."""
    best = trials.groupby("stage")["val_acc"].max()
    fine = trials[trials["stage"] == "fine"]
    winner = fine.loc[fine["val_acc"].idxmax()]
    (lo, hi), (short, long) = trials.attrs["lr_range"], trials.attrs["epochs"]
    glue.values({"lc-f16-coarse-n": str(int((trials["stage"] == "coarse").sum())), "lc-f16-coarse-epochs": str(short),
                 "lc-f16-lr-lo": f"{lo:g}", "lc-f16-lr-hi": f"{hi:g}", "lc-f16-coarse-best": f"{100 * best['coarse']:.1f}",
                 "lc-f16-fine-n": str(len(fine)), "lc-f16-fine-epochs": str(long),
                 "lc-f16-fine-lr": f"{fine['lr'].min():.2g} … {fine['lr'].max():.2g}",
                 "lc-f16-fine-wd": f"{fine['weight_decay'].min():.1e} … {fine['weight_decay'].max():.1e}",
                 "lc-f16-fine-best": f"{100 * best['fine']:.1f}",
                 "lc-f16-best-ratio": f"{winner['lr'] / winner['weight_decay']:,.0f}"})


def figure_coarse_to_fine(trials: pd.DataFrame, runs, profile: str) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.8))
    for ax, stage in zip(axes, ("coarse", "fine")):
        s = trials[trials["stage"] == stage]
        sc = ax.scatter(s["lr"], s["weight_decay"], c=s["val_acc"], cmap="viridis", vmin=0, vmax=1, s=40, edgecolor="k", lw=0.3)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("weight decay")
        ax.set_title(f"{stage}: {len(s)} trials, best {s['val_acc'].max():.1%}", fontsize=9)
    lo, hi = trials.attrs["lr_range"]
    for ax in axes:  # both panels on the coarse box, so the zoom shows
        ax.set_xlim(lo / 1.5, hi * 1.5)
        ax.set_ylim(1e-6 / 1.5, 1e-2 * 1.5)
    fig.colorbar(sc, ax=axes, label="validation accuracy")
    plots.publish(fig, "lecture-f16", profile, "digits", "MLP", runs)


# --- lecture-f18: the recipe -------------------------------------------------------------------------

RECIPE_LRS = [1.0, 1e-1, 1e-2, 1e-3, 1e-4]


def recipe_setup(profile: str, seeds=None) -> dict[str, list[RunConfig]]:
    """Step 2's runs on 50 samples and step 3's runs at each learning rate, one per seed (the paired seeds: step
    1's initial loss is read from step 2's runs)."""
    p = profiles.get(profile)
    seeds = seeds_or(seeds, p.cheap_seeds)
    cfg = base(profile)
    small = cfg.replace(n_train=50, batch_size=10, lr=0.05, steps=p.pick(100, 500, 500), eval_every=p.pick(10, 25, 25))
    probe = cfg.replace(steps=100, eval_every=100, weight_decay=1e-4)
    return {"overfit": [small.replace(seed=s) for s in seeds],
            "find_lr": [probe.replace(lr=lr, seed=s) for lr in RECIPE_LRS for s in seeds]}


def recipe(profile: str, seeds=None) -> dict:
    """Steps 1–3 of the lecture's recipe on the MLP (steps 4–5 are :func:`coarse_to_fine`).

    1. the loss at initialization (the first evaluation, before any update) against ln C;
    2. overfit 50 samples (five minibatches of 10) without regularization;
    3. on the whole training set with a small weight decay (1e-4), 100 iterations at each of the lecture's
       learning rates 0.1, 0.01, 0.001, 0.0001, and 1 to show a rate that is too large: the rates that
       make the training loss fall quickly (halve within 100 iterations) are the range for step 4.
    """
    configs = recipe_setup(profile, seeds)
    overfit = sweep.run(configs["overfit"], desc="overfit 50 samples")
    lrs = RECIPE_LRS
    points = [(c.lr, c.seed) for c in configs["find_lr"]]
    hs = sweep.run(configs["find_lr"], desc="find the LR")
    table = pd.DataFrame([{"lr": lr, "seed": s, "initial": float(h.dropna(subset=["val_loss"]).iloc[0]["train_eval_loss"]),
                           "after_100": float(_last(h)["train_eval_loss"]), "status": h.attrs.get("status")}
                          for (lr, s), h in zip(points, hs)])
    mean = table.groupby("lr")[["initial", "after_100"]].mean()
    return {"overfit": overfit, "ln_c": math.log(10), "lr_probe": table, "runs": overfit + hs,
            "initial_loss": float(np.mean([h.dropna(subset=["val_loss"]).iloc[0]["val_loss"] for h in overfit])),
            "good_lrs": [lr for lr in sorted(lrs) if mean.loc[lr, "after_100"] < 0.5 * mean.loc[lr, "initial"]]}


def judge_recipe(r: dict, profile: str) -> verdicts.Verdict:
    """lecture-f18: the initial loss of each seed against ln 10 (an equivalence test); steps 2 and 3 glued."""
    initial = np.array([float(h.dropna(subset=["val_loss"]).iloc[0]["val_loss"]) for h in r["overfit"]])
    small = r["overfit"][0]
    glue.values({"lc-f18-initial": mean_std(initial, 3), "lc-f18-ln-c": f"{r['ln_c']:.3f}",
                 "lc-f18-band": f"{RECIPE_BAND:.2f}", "lc-f18-seeds": str(len(initial)),
                 "lc-f18-overfit-steps": f"{int(small['step'].max()) + 1:,}",
                 "lc-f18-overfit-acc": _mean_range([_last(h)["train_eval_acc"] for h in r["overfit"]], 0),
                 "lc-f18-good-lrs": ", ".join(f"{lr:g}" for lr in r["good_lrs"]) or "—"})
    measures = {"initial loss": {"initial": initial, "ln C": np.full(len(initial), r["ln_c"])}}
    return decide([test("lecture-f18")], measures, N_VAL, profile)["lecture-f18"]


def figure_recipe(r: dict, profile: str) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    ax = axes[0]
    for h in r["overfit"]:
        ev = h.dropna(subset=["val_loss"])
        ax.plot(ev["step"] + 1, ev["train_eval_loss"], color=plots.COLORS["train"], lw=1)
    ax.plot([0], [r["initial_loss"]], "o", color="k", ms=4)
    ax.axhline(r["ln_c"], color="k", ls=":", lw=1, label="ln 10: the expected initial loss (step 1)")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("training loss")
    ax.set_title("step 2: overfit 50 samples, no regularization", fontsize=9)
    ax.legend(fontsize=8)
    ax = axes[1]
    probe = r["lr_probe"].groupby("lr")[["initial", "after_100"]].mean()
    ax.semilogx(probe.index, probe["after_100"], "o-", color="C3", label="after 100 iterations")
    ax.semilogx(probe.index, probe["initial"], "--", color="0.5", label="initial")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss")
    ax.set_ylim(0, 1.5 * probe["initial"].max())
    ax.set_title("step 3: find an LR that makes the loss drop", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    plots.publish(fig, "lecture-f18", profile, "digits", "MLP", r["runs"])


# --- lecture-f17: read the learning curves (step 6) --------------------------------------------------------

def diagnosis_setup(profile: str, seeds=None) -> dict[str, list[RunConfig]]:
    """The runs behind the six learning curves of step 6, one config per paired seed each.

    On digits: ``reference`` (the chapter's MLP, default initialisation, all 1,257 samples), ``bad_init`` (its
    initial weights × 0.05: the ReLU signal almost vanishes), ``slow`` (LR 0.002, trained six times as long as
    where a short run would stop), ``few_samples`` (50 training samples, no regularization) and ``tiny_model``
    (one hidden layer of 2 units). On MNIST-1D, where the loss does not reach zero within the run: ``constant``
    (LR 0.2 throughout: a plateau), ``decay`` (the same, ×0.1 at half the run), and ``early_decay`` /
    ``late_decay`` (LR 0.1, ×0.1 at a tenth or at half of the run)."""
    p = profiles.get(profile)
    steps, every = p.pick(100, 1_000, 1_000), p.pick(10, 25, 25)
    digits = base(profile, steps=steps, eval_every=every)
    mnist1d = digits.replace(dataset="mnist1d", n_train=4_000, n_val=500, n_test=500)

    def decayed(lr: float, at: int) -> dict:
        return {"name": "multistep", "value": lr, "milestones": [at], "gamma": 0.1}

    variants = {
        "reference": digits,
        "bad_init": digits.replace(model_kwargs={"init_scale": 0.05}),
        "slow": digits.replace(lr=0.002, steps=p.pick(120, 1_500, 1_500)),
        "few_samples": digits.replace(n_train=50),
        "tiny_model": digits.replace(model_kwargs={"width": 2, "depth": 1}),
        "constant": mnist1d.replace(lr=0.2),
        "decay": mnist1d.replace(lr=decayed(0.2, steps // 2)),
        "early_decay": mnist1d.replace(lr=decayed(0.1, steps // 10)),
        "late_decay": mnist1d.replace(lr=decayed(0.1, steps // 2)),
    }
    return {name: [cfg.replace(seed=s) for s in seeds_or(seeds, p.cheap_seeds)] for name, cfg in variants.items()}


def diagnosis(profile: str, seeds=None) -> dict[str, list[History]]:
    configs = diagnosis_setup(profile, seeds)
    runs = iter(sweep.run([c for cs in configs.values() for c in cs], desc="learning curves"))
    return {name: [next(runs) for _ in cs] for name, cs in configs.items()}


def _loss_before(h: History, step: int, window: int) -> float:
    """The mean minibatch training loss over the ``window`` iterations before ``step``."""
    s = h.dropna(subset=["train_loss"])
    return float(s.loc[(s["step"] >= step - window) & (s["step"] < step), "train_loss"].mean())


def _first_below(ev: pd.DataFrame, column: str, fraction: float) -> int:
    """Iterations until ``column`` first falls below ``fraction`` of its initial value (all of them if never)."""
    below = ev[ev[column] < fraction * ev[column].iloc[0]]
    return int(below["step"].iloc[0]) + 1 if len(below) else int(ev["step"].iloc[-1]) + 1


def _late_gap(ev: pd.DataFrame) -> tuple[float, float]:
    """Train − validation accuracy and the training accuracy, averaged over the last quarter of the run."""
    tail = ev.iloc[-max(1, len(ev) // 4):]
    return float((tail["train_eval_acc"] - tail["val_acc"]).mean()), float(tail["train_eval_acc"].mean())


def _decay_step(h: History) -> int:
    """The first step at which the learning rate is below its starting value."""
    lr = h.dropna(subset=["lr"])
    return int(lr.loc[lr["lr"] < lr["lr"].iloc[0], "step"].iloc[0])


def _stop_step(h: History) -> int:
    """Where a short run of the ``slow`` case would stop: after a sixth of the long run."""
    return (int(h["step"].max()) + 1) // 6


def diagnose(runs: dict[str, list[History]]) -> dict:
    """The number behind each case, per seed, then averaged: the lecture's reading of each curve, measured."""
    steps = int(runs["constant"][0]["step"].max()) + 1
    window = max(1, steps // 10)

    def per_seed(names: tuple[str, ...], measure) -> dict:
        values = [measure(*hs) for hs in zip(*(runs[name] for name in names))]
        return {key: float(np.mean([v[key] for v in values])) for key in values[0]}

    def bad_init(reference, bad):
        ev_bad, ev_good = bad.dropna(subset=["val_loss"]), reference.dropna(subset=["val_loss"])
        return {"flat_bad": _first_below(ev_bad, "train_eval_loss", 0.9),
                "flat_good": _first_below(ev_good, "train_eval_loss", 0.9),
                "final_over_initial": float(ev_bad["train_eval_loss"].iloc[-1] / ev_bad["train_eval_loss"].iloc[0])}

    def plateau(constant, decay):
        at = _decay_step(decay)
        return {"fall_before_decay": 1 - _loss_before(constant, at, window) / _loss_before(constant, at - steps // 4, window),
                "decay_gain": 1 - _loss_before(decay, steps, window) / _loss_before(constant, steps, window)}

    def too_early(early, late):
        early_at, late_at = _decay_step(early), _decay_step(late)
        return {"still_falling": 1 - _loss_before(late, late_at, window) / _loss_before(late, early_at + window, window),
                "early_penalty": _loss_before(early, steps, window) / _loss_before(late, steps, window) - 1}

    def longer(slow):
        ev = slow.dropna(subset=["val_loss"])
        stop = _stop_step(slow)
        short = ev[ev["step"] + 1 <= stop]
        recent = short[short["step"] + 1 >= 0.6 * stop]
        slope = np.polyfit(recent["step"], recent["val_acc"], 1)[0] * 100 if len(recent) > 1 else 0.0
        return {"slope": float(slope), "stop_acc": float(short["val_acc"].iloc[-1]), "final_acc": float(ev["val_acc"].iloc[-1]),
                "gain": float(ev["val_acc"].iloc[-1] - short["val_acc"].iloc[-1])}

    def overfit(reference, few):
        return {"gap": _late_gap(few.dropna(subset=["val_loss"]))[0], "gap_more_data": _late_gap(reference.dropna(subset=["val_loss"]))[0]}

    def underfit(reference, tiny):
        gap, train_acc = _late_gap(tiny.dropna(subset=["val_loss"]))
        return {"gap": gap, "train_acc": train_acc, "train_acc_bigger": _late_gap(reference.dropna(subset=["val_loss"]))[1]}

    return {"bad_init": per_seed(("reference", "bad_init"), bad_init),
            "plateau": per_seed(("constant", "decay"), plateau),
            "decay_too_early": per_seed(("early_decay", "late_decay"), too_early),
            "train_longer": per_seed(("slow",), longer),
            "overfitting": per_seed(("reference", "few_samples"), overfit),
            "underfitting": per_seed(("reference", "tiny_model"), underfit)}


def _flat_evaluations(h: History) -> float:
    """Evaluations until the training loss first falls below 90 % of its initial value (all of them if never)."""
    ev = h.dropna(subset=["val_loss"])
    below = np.flatnonzero(ev["train_eval_loss"].to_numpy() < 0.9 * ev["train_eval_loss"].iloc[0])
    return float(below[0]) if len(below) else float(len(ev))


def diagnosis_measures(runs: dict[str, list[History]]) -> dict[str, dict[str, np.ndarray]]:
    """The per-seed numbers the six tests of step 6 compare (a diverged run scores chance)."""
    steps = int(runs["constant"][0]["step"].max()) + 1
    window = max(1, steps // 10)

    def each(name, f, diverged):
        return np.array([f(h) if _ok(h) else diverged for h in runs[name]])

    def end_loss(h):
        return _loss_before(h, steps, window)

    def short_acc(h):
        ev = h.dropna(subset=["val_loss"])
        return 100 * float(ev[ev["step"] + 1 <= _stop_step(h)]["val_acc"].iloc[-1])

    return {"flat evaluations": {k: each(k, _flat_evaluations, 0.0) for k in ("bad_init", "reference")},
            "end training loss": {k: each(k, end_loss, CHANCE_LOSS) for k in ("constant", "decay", "early_decay", "late_decay")},
            "accuracy": {"long": each("slow", lambda h: 100 * float(_last(h)["val_acc"]), CHANCE_ACC),
                         "short": each("slow", short_acc, CHANCE_ACC)},
            "gap": {k: each(k, lambda h: 100 * _late_gap(h.dropna(subset=["val_loss"]))[0], 0.0)
                    for k in ("few_samples", "reference")},
            "training accuracy": {k: each(k, lambda h: 100 * _late_gap(h.dropna(subset=["val_loss"]))[1], CHANCE_ACC)
                                  for k in ("reference", "tiny_model")}}


def judge_diagnosis(runs: dict[str, list[History]], profile: str) -> tuple[verdicts.Verdict, dict[str, verdicts.Verdict]]:
    """The six tests of step 6 (each line glued as ``<id>-verdict``) and lecture-f17, which holds only if all
    six do."""
    m = diagnosis_measures(runs)
    every = int(runs["reference"][0].dropna(subset=["val_loss"])["step"].diff().dropna().iloc[0])
    slow = runs["slow"][0]
    glue.values({"lc-f17-seeds": str(len(runs["reference"])), "lc-f17-eval-every": str(every),
                 "lc-f17-flat-bad": mean_std(m["flat evaluations"]["bad_init"] * every, 0),
                 "lc-f17-flat-good": mean_std(m["flat evaluations"]["reference"] * every, 0),
                 "lc-f17-constant": mean_std(m["end training loss"]["constant"], 3),
                 "lc-f17-decay": mean_std(m["end training loss"]["decay"], 3),
                 "lc-f17-early": mean_std(m["end training loss"]["early_decay"], 3),
                 "lc-f17-late": mean_std(m["end training loss"]["late_decay"], 3),
                 "lc-f17-stop": f"{_stop_step(slow):,}", "lc-f17-slow-steps": f"{int(slow['step'].max()) + 1:,}",
                 "lc-f17-short": mean_std(m["accuracy"]["short"], 1), "lc-f17-long": mean_std(m["accuracy"]["long"], 1),
                 "lc-f17-gap-few": mean_std(m["gap"]["few_samples"], 1),
                 "lc-f17-gap-all": mean_std(m["gap"]["reference"], 1),
                 "lc-f17-train-tiny": mean_std(m["training accuracy"]["tiny_model"], 1),
                 "lc-f17-train-ref": mean_std(m["training accuracy"]["reference"], 1),
                 "lc-f17-gap-margin": f"{GAP_MARGIN:.1f}"})
    parts = decide([test(id) for id in DIAGNOSIS_TESTS], m, N_VAL, profile)
    whole = verdicts.all_of(list(parts.values()), "lecture-f17",
                            "each of the six learning curves of step 6 shows what the lecture says it shows")
    verdicts.glue_verdict(whole)
    return whole, parts


def _smoothed_train_loss(hs: list[History], window: int) -> pd.DataFrame:
    """The minibatch training loss, mean over seeds, averaged over consecutive ``window``-iteration blocks."""
    s = mean_over_seeds(hs, ["train_loss"], logged="train_loss")
    return s.groupby(s["step"] // window, as_index=False).agg(step=("step", "max"), train_loss=("train_loss", "mean"))


def figure_diagnosis(runs: dict[str, list[History]], profile: str) -> None:
    n = diagnose(runs)
    steps = int(runs["constant"][0]["step"].max()) + 1
    window = max(1, steps // 50)
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    faded = dict(alpha=0.35, lw=1.2)

    ax = axes[0, 0]
    for name, label, style in (("bad_init", "initial weights x 0.05", {}), ("reference", "default initialisation", faded)):
        ev = _mean_evaluations(runs[name])
        ax.plot(ev["step"] + 1, ev["train_eval_loss"], color="C3" if name == "bad_init" else "0.3", label=label, **style)
    ax.set_ylabel("training loss")
    ax.set_title(f"1. bad initialisation: flat for {n['bad_init']['flat_bad']:.0f} iterations", fontsize=9)

    for ax, (a, b, la, lb, title) in zip(axes[0, 1:], (
            ("decay", "constant", "LR 0.2, x 0.1 at half", "LR 0.2 constant",
             f"2. plateau: LR decay ends {n['plateau']['decay_gain']:.0%} lower"),
            ("early_decay", "late_decay", "LR 0.1, x 0.1 at a tenth", "LR 0.1, x 0.1 at half",
             f"3. decayed too early: ends {n['decay_too_early']['early_penalty']:.0%} higher"))):
        for name, label, color, style in ((a, la, "C3", {}), (b, lb, "0.3", faded)):
            curve = _smoothed_train_loss(runs[name], window)
            ax.plot(curve["step"] + 1, curve["train_loss"], color=color, label=label, **style)
            if name != "constant":
                ax.axvline(_decay_step(runs[name][0]) + 1, color=color, ls=":", lw=1)
        ax.set_yscale("log")
        ax.set_ylabel("training loss (MNIST-1D)")
        ax.set_title(title, fontsize=9)

    ax = axes[1, 0]
    ev = _mean_evaluations(runs["slow"])
    stop = _stop_step(runs["slow"][0])
    ax.plot(ev["step"] + 1, ev["train_eval_acc"], color=plots.COLORS["train"], label="train")
    ax.plot(ev["step"] + 1, ev["val_acc"], color=plots.COLORS["val"], label="validation")
    ax.axvline(stop, color="k", ls="--", lw=1, label="a short run stops here")
    ax.set_title(f"4. still rising (+{100 * n['train_longer']['slope']:.1f} points per 100 it.): train longer", fontsize=9)

    for ax, name, title in ((axes[1, 1], "few_samples", f"5. gap {100 * n['overfitting']['gap']:.0f} points: overfitting (50 samples)"),
                            (axes[1, 2], "tiny_model", f"6. gap {100 * n['underfitting']['gap']:+.0f} points: underfitting (2 hidden units)")):
        ev, ref = _mean_evaluations(runs[name]), _mean_evaluations(runs["reference"])
        ax.plot(ev["step"] + 1, ev["train_eval_acc"], color=plots.COLORS["train"], label="train")
        ax.plot(ev["step"] + 1, ev["val_acc"], color=plots.COLORS["val"], label="validation")
        remedy = "all 1,257 samples" if name == "few_samples" else "128 hidden units"
        ax.plot(ref["step"] + 1, ref["train_eval_acc"], color=plots.COLORS["train"], ls="--", label=f"train, {remedy}", **faded)
        ax.plot(ref["step"] + 1, ref["val_acc"], color=plots.COLORS["val"], ls="--", label=f"validation, {remedy}", **faded)
        ax.set_title(title, fontsize=9)
    for ax in axes[1]:
        ax.set_ylabel("accuracy")
        ax.set_ylim(0, 1.02)
    for ax in axes.ravel():
        ax.set_xlabel("iteration")
        ax.legend(fontsize=7)
    fig.tight_layout()
    plots.publish(fig, "lecture-f17", profile, "digits; MNIST-1D (panels 2-3)", "MLP",
                  [h for hs in runs.values() for h in hs])


# --- lecture-f19 and notes-x1: the update/weight ratio -------------------------------------------------------

RATIO_LRS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
RATIO_OPTIMIZERS = {"SGD + momentum 0.9": 0.9, "plain SGD": 0.0}  # the notes' own code is plain SGD
RATIO_KEYS = {"SGD + momentum 0.9": "momentum", "plain SGD": "plain"}  # in the glued names
RATIO_TESTS = {"SGD + momentum 0.9": "lecture-f19", "plain SGD": "notes-x1"}
LAYER_NAMES = {"net.1.weight": "hidden 1", "net.3.weight": "hidden 2", "net.5.weight": "output"}
RATIO_TARGET = 1e-3
RATIO_BAND = (1e-4, 1e-2)  # "around 1e-3": a decade either side (shaded in the figures)


def update_ratio_setup(profile: str, seeds=None) -> dict[tuple[str, float], list[RunConfig]]:
    """The MLP at each learning rate of :data:`RATIO_LRS`, with and without momentum, logging
    ‖ΔW‖ / ‖W‖ of every weight matrix at every iteration; evaluated only at the start and the end; on the
    paired seeds."""
    p = profiles.get(profile)
    steps = p.pick(60, 1_000, 1_000)
    cfg = base(profile, steps=steps, eval_every=steps, log_update_ratio=True)
    return {(opt, lr): [cfg.replace(momentum=m, lr=lr, seed=s) for s in seeds_or(seeds, p.cheap_seeds)]
            for opt, m in RATIO_OPTIMIZERS.items() for lr in RATIO_LRS}


def _geometric_mean(values) -> float:
    return float(np.exp(np.mean(np.log(np.clip(np.asarray(values, dtype=float), 1e-12, None)))))


def update_ratios(profile: str, seeds=None) -> dict:
    """Runs of :func:`update_ratio_setup`; per run and layer the median ratio over the first 100 iterations
    (the recipe's step-3 horizon: later, once the training loss nears zero, the gradients vanish and the ratio
    no longer reflects the learning rate), and each run's final validation loss; summed up per optimizer,
    learning rate and layer (geometric mean over seeds) for the figures."""
    p = profiles.get(profile)
    configs = update_ratio_setup(profile, seeds)
    histories = iter(sweep.run([c for cs in configs.values() for c in cs], desc="update/weight ratio"))
    runs = {key: [next(histories) for _ in cs] for key, cs in configs.items()}
    early = p.pick(20, 100, 100)
    ratio_rows, loss_rows = [], []
    for (opt, lr), hs in runs.items():
        for h in hs:
            first = h[h["step"] < early]
            for column, layer in LAYER_NAMES.items():
                ratio_rows.append({"optimizer": opt, "lr": lr, "seed": h.attrs["seed"], "layer": layer,
                                   "ratio": float(first[f"update_ratio:{column}"].median())})
            ok = _ok(h)
            loss_rows.append({"optimizer": opt, "lr": lr, "seed": h.attrs["seed"],
                              "val_loss": float(_last(h)["val_loss"]) if ok else math.inf,
                              "scored_loss": float(_last(h)["val_loss"]) if ok else CHANCE_LOSS})
    per_seed = pd.DataFrame(ratio_rows)
    ratios = (per_seed.groupby(["optimizer", "lr", "layer"], sort=False)["ratio"]
              .agg(_geometric_mean).unstack("layer")[list(LAYER_NAMES.values())])
    seed_losses = pd.DataFrame(loss_rows)
    losses = seed_losses.groupby(["optimizer", "lr"], sort=False)["val_loss"].agg(["mean", "min", "max"])
    return {"runs": runs, "ratios": ratios, "losses": losses, "early": early, "per_seed": per_seed,
            "seed_losses": seed_losses}


def ratio_arms(r: dict, optimizer: str) -> tuple[dict[str, np.ndarray], list[float]]:
    """The arms of the ratio's test for ``optimizer``, per seed: the learning rate whose ratio (geometric mean
    over the layers) is nearest 1e-3 on a log scale — among the rates with a neighbour a decade either side —
    and those two neighbours; each arm's value is that rate's final validation loss (a diverged run scores
    ln 10). The rule reads the ratio, never the loss it is scored on."""
    per = r["per_seed"][r["per_seed"]["optimizer"] == optimizer]
    ratio = per.groupby(["seed", "lr"])["ratio"].agg(_geometric_mean)
    scored = r["seed_losses"][r["seed_losses"]["optimizer"] == optimizer].set_index(["seed", "lr"])["scored_loss"]
    arms, chosen = {"nearest": [], "a decade lower": [], "a decade higher": []}, []

    def distance(seed, lr):
        x = ratio.get((seed, lr), np.nan)
        return abs(math.log10(x / RATIO_TARGET)) if np.isfinite(x) and x > 0 else math.inf

    for seed in sorted(per["seed"].unique()):
        i = min(range(1, len(RATIO_LRS) - 1), key=lambda i: distance(seed, RATIO_LRS[i]))
        chosen.append(RATIO_LRS[i])
        for arm, j in (("nearest", i), ("a decade lower", i - 1), ("a decade higher", i + 1)):
            arms[arm].append(float(scored[(seed, RATIO_LRS[j])]))
    return {arm: np.array(v) for arm, v in arms.items()}, chosen


def _exponent(lr: float) -> str:
    return f"e{int(round(math.log10(lr)))}"


def judge_update_ratio(r: dict, profile: str) -> tuple[verdicts.Verdict, verdicts.Verdict]:
    """lecture-f19 (SGD + momentum) and notes-x1 (plain SGD); the table's numbers glued as
    ``lc-x1-<optimizer>-<e-k>-ratio`` and ``-loss``."""
    values, out = {}, {}
    for opt, key in RATIO_KEYS.items():
        for lr, row in r["ratios"].loc[opt].iterrows():
            loss = r["losses"].loc[(opt, lr)]
            values[f"lc-x1-{key}-{_exponent(lr)}-ratio"] = f"{row.min():.1e} … {row.max():.1e}"
            values[f"lc-x1-{key}-{_exponent(lr)}-loss"] = (f"{loss['mean']:.3f} ({loss['min']:.3f} … {loss['max']:.3f})"
                                                           if np.isfinite(loss["mean"]) else "×")
        arms, chosen = ratio_arms(r, opt)
        values.update({f"lc-x1-{key}-chosen": ", ".join(f"{lr:g}" for lr in chosen),
                       **{f"lc-x1-{key}-loss-{arm.replace(' ', '-')}": mean_std(v, 3) for arm, v in arms.items()}})
        id = RATIO_TESTS[opt]
        out[id] = decide([test(id)], {test(id).measure: arms}, N_VAL, profile)[id]
    values.update({"lc-x1-early": str(r["early"]), "lc-x1-seeds": str(len(next(iter(r["runs"].values())))),
                   "lc-x1-steps": f"{int(next(iter(r['runs'].values()))[0]['step'].max()) + 1:,}"})
    glue.values(values)
    return out["lecture-f19"], out["notes-x1"]


def _lr_colors() -> dict[float, tuple]:
    return dict(zip(RATIO_LRS, plt.cm.viridis(np.linspace(0, 0.9, len(RATIO_LRS)))))


def _shade_band(ax, vertical: bool = False) -> None:
    span = ax.axvspan if vertical else ax.axhspan
    line = ax.axvline if vertical else ax.axhline
    span(*RATIO_BAND, color="0.85", zorder=0, label=f"{RATIO_BAND[0]:g} ... {RATIO_BAND[1]:g}")
    line(1e-3, color="k", ls="--", lw=1, label="1e-3 (the notes' target)")


def figure_update_ratio(r: dict, profile: str) -> None:
    colors = _lr_colors()
    fig, axes = plt.subplots(2, 3, figsize=(14, 6.6), sharey=True)
    for row, opt in zip(axes, RATIO_OPTIMIZERS):
        for ax, (column, layer) in zip(row, LAYER_NAMES.items()):
            _shade_band(ax)
            for lr in RATIO_LRS:
                hs = r["runs"][(opt, lr)]
                ratio = pd.concat([h.set_index("step")[f"update_ratio:{column}"] for h in hs], axis=1)
                curve = ratio.apply(lambda x: _geometric_mean(x.dropna()) if x.notna().any() else np.nan, axis=1)
                curve = curve.rolling(10, min_periods=1).median().where(lambda c: c > 1e-12)
                loss = r["losses"].loc[(opt, lr), "mean"]
                ax.plot(curve.index + 1, curve, color=colors[lr], lw=1.3,
                        label=f"LR {lr:g} (val. loss {loss:.2f})" if np.isfinite(loss) else f"LR {lr:g} (diverged)")
            ax.axvline(r["early"], color="0.4", ls=":", lw=1, label=f"first {r['early']} iterations")
            ax.set_yscale("log")
            ax.set_ylim(1e-7, 1)
            ax.set_title(f"{opt}: {layer} weights", fontsize=9)
            ax.set_xlabel("iteration")
        row[0].set_ylabel("update / weight norm")
        row[-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    plots.publish(fig, "lecture-f19", profile, "digits", "MLP", [h for hs in r["runs"].values() for h in hs])


def figure_ratio_heuristic(r: dict, profile: str) -> None:
    colors = _lr_colors()
    markers = dict(zip(LAYER_NAMES.values(), ("o", "s", "^")))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, opt in zip(axes, RATIO_OPTIMIZERS):
        _shade_band(ax, vertical=True)
        losses = r["losses"].loc[opt]
        for lr, ratios in r["ratios"].loc[opt].iterrows():
            loss = losses.loc[lr]
            if not np.isfinite(loss["mean"]):
                continue
            ax.plot([ratios.min(), ratios.max()], [loss["mean"]] * 2, color=colors[lr], lw=1)
            ax.errorbar([_geometric_mean(ratios)], [loss["mean"]], yerr=[[loss["mean"] - loss["min"]], [loss["max"] - loss["mean"]]],
                        color=colors[lr], lw=1, capsize=3)
            for layer, v in ratios.items():
                ax.plot(v, loss["mean"], markers[layer], color=colors[lr], ms=6)
            above = RATIO_LRS.index(lr) % 2 == 0  # alternate, so neighbouring rates' labels do not collide
            ax.annotate(f"LR {lr:g}", (_geometric_mean(ratios), loss["mean"]), xytext=(0, 9 if above else -10),
                        textcoords="offset points", fontsize=8, ha="center", va="center")
        for layer, m in markers.items():
            ax.plot([], [], m, color="0.4", label=f"{layer} weights")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(f"median update / weight norm, first {r['early']} iterations")
        ax.set_title(f"{opt}: best LR {losses['mean'].idxmin():g}", fontsize=9)
    axes[0].set_ylabel("final validation loss (range over seeds)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=5, bbox_to_anchor=(0.5, -0.06))
    fig.tight_layout()
    plots.publish(fig, "notes-x1", profile, "digits", "MLP", [h for hs in r["runs"].values() for h in hs])


# --- lecture-f28 and notes-x7: transfer learning ----------------------------------------------------------

SOURCE_CLASSES, TARGET_CLASSES = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)
HEAD = "net.5"  # the MLP's classifier: Linear(128, classes); "net.1" and "net.3" are its hidden layers
TARGET_VAL = 300  # validation samples of digits 5-9
TRANSFER_METHODS = {
    "scratch": "from scratch",
    "probe_top": "linear classifier on the top layer (frozen)",
    "probe_early": "linear classifier on hidden layer 1 (frozen)",
    "finetune": "fine-tune all layers, LR 0.05",
    "finetune_tenth": "fine-tune all layers, LR 0.005",
    "differential": "differential LRs 0.0005 / 0.005 / 0.05",
}


def transfer_sources(profile: str, seeds=None) -> list[RunConfig]:
    """The pre-training runs: the MLP on digits 0–4 (600 training samples), one per seed, keeping their final
    weights; on the paired seeds."""
    p = profiles.get(profile)
    steps = p.pick(100, 1_000, 1_000)
    cfg = base(profile, classes=SOURCE_CLASSES, n_train=600, n_val=150, n_test=0, steps=steps,
               eval_every=p.pick(50, 250, 250), snapshot_at=(steps,))
    return [cfg.replace(seed=s) for s in seeds_or(seeds, p.cheap_seeds)]


def transfer_setup(profile: str, seeds=None) -> dict[tuple[int, str], list[RunConfig]]:
    """The runs on digits 5–9 with 5 and 100 training samples per class (validation: 300 samples), one per seed,
    each starting from the source run of the same seed. The lecture's LR, 0.05, is the source's; the 1/10 run and
    the differential rates (÷10 per layer going down) follow the lecture's fine-tuning advice."""
    p = profiles.get(profile)
    configs = {}
    for n_train in (25, 500):
        for source in transfer_sources(profile, seeds):
            target = base(profile, classes=TARGET_CLASSES, n_train=n_train, n_val=TARGET_VAL, n_test=0, batch_size=min(50, n_train),
                          steps=p.pick(60, 400, 400), eval_every=p.pick(20, 20, 20), seed=source.seed)
            transfer = target.replace(init_from={"run": source.to_dict(), "reinit": [HEAD]})
            variants = {
                "scratch": target,
                "probe_top": transfer.replace(lr_mults={"net.1": 0.0, "net.3": 0.0}),
                # a one-hidden-layer MLP: its hidden layer comes from the source, its classifier (net.3) is new
                "probe_early": target.replace(model_kwargs={"depth": 1}, lr_mults={"net.1": 0.0},
                                              init_from={"run": source.to_dict(), "reinit": ["net.3"]}),
                "finetune": transfer,
                "finetune_tenth": transfer.replace(lr=target.lr / 10),
                "differential": transfer.replace(lr_mults={"net.1": 0.01, "net.3": 0.1}),
            }
            for method, cfg in variants.items():
                configs.setdefault((n_train, method), []).append(cfg)
    return configs


def transfer(profile: str, seeds=None) -> dict:
    """The source runs first (the fine-tuning runs load their final weights), then every target run."""
    configs = transfer_setup(profile, seeds)
    targets = [c for cs in configs.values() for c in cs]
    # as many workers as the targets' sweep will want, so that the worker pool is not restarted in between
    sources = sweep.run(transfer_sources(profile, seeds), workers=sweep.default_workers(targets), desc="pre-train on digits 0-4")
    histories = iter(sweep.run(targets, desc="transfer to digits 5-9"))
    runs = {key: [next(histories) for _ in cs] for key, cs in configs.items()}
    accuracy = {n: {m: [float(_last(h)["val_acc"]) for h in runs[(n, m)]] for m in TRANSFER_METHODS} for n in (25, 500)}
    return {"sources": sources, "runs": runs, "accuracy": accuracy}


def judge_transfer(t: dict, profile: str) -> tuple[verdicts.Verdict, verdicts.Verdict]:
    """lecture-f28 and notes-x7, both with 100 samples per class, on the final validation accuracy; every
    method's accuracy at both sizes glued as ``lc-f28-acc-<per class>-<method>``."""
    runs = t["runs"]
    acc = {key: final_accuracy(hs, CHANCE_ACC) for key, hs in runs.items()}
    source, target = t["sources"][0], runs[(500, "scratch")][0]
    values = {f"lc-f28-acc-{n // 5}-{m.replace('_', '-')}": _mean_range(acc[(n, m)], 1, 1.0)
              for n in (25, 500) for m in TRANSFER_METHODS}
    values.update({"lc-f28-source-acc": _mean_range([_final_val_acc(h) for h in t["sources"]]),
                   "lc-f28-seeds": str(len(t["sources"])),
                   "lc-f28-source-steps": f"{int(source['step'].max()) + 1:,}",
                   "lc-f28-target-steps": f"{int(target['step'].max()) + 1:,}"})
    glue.values(values)
    large = {m: acc[(500, m)] for m in TRANSFER_METHODS}
    f28 = decide([test("lecture-f28")], {"accuracy": large}, TARGET_VAL, profile)["lecture-f28"]
    x7 = decide([test("notes-x7")], {"accuracy": large}, TARGET_VAL, profile)["notes-x7"]
    return f28, x7


def _draw_transfer_diagram(ax) -> None:
    """The lecture's freeze / re-initialise picture for this MLP: three stacks of layers."""
    columns = [
        ("1. pre-train on digits 0-4", ["train", "train", "train (5 classes)"]),
        ("2. little data: freeze these,\nre-initialise and train the head", ["freeze", "freeze", "new head (5 classes)"]),
        ("3. more data: fine-tune more\nlayers, at a lower LR", ["LR x 0.01 (differential)\nor x 0.1", "LR x 0.1", "new head, LR x 1"]),
    ]
    face = {"train": "#9ecae1", "freeze": "#d9d9d9", "new": "#fc9272", "LR": "#c7e9c0"}
    layer_names = ["hidden 1: 64 -> 128", "hidden 2: 128 -> 128", "classifier"]
    for i, (title, roles) in enumerate(columns):
        x = i * 3.4
        ax.text(x + 1.4, 4.15, title, ha="center", va="bottom", fontsize=8.5)
        ax.add_patch(plt.Rectangle((x, 0), 2.8, 0.7, facecolor="white", edgecolor="k"))
        ax.text(x + 1.4, 0.35, "8 x 8 image", ha="center", va="center", fontsize=8)
        for j, role in enumerate(roles):
            key = "new" if role.startswith("new") else role.split()[0]
            ax.add_patch(plt.Rectangle((x, 1 + j * 1.0), 2.8, 0.8, facecolor=face.get(key, face["LR"]), edgecolor="k"))
            ax.text(x + 1.4, 1.55 + j * 1.0, layer_names[j], ha="center", va="center", fontsize=7, color="0.3")
            ax.text(x + 1.4, 1.25 + j * 1.0, role, ha="center", va="center", fontsize=7.5)
        if i:
            ax.annotate("", (x - 0.1, 2.4), (x - 0.5, 2.4), arrowprops=dict(arrowstyle="->", color="0.3"))
    ax.set_xlim(-0.2, 9.8)
    ax.set_ylim(-0.2, 4.9)
    ax.axis("off")


def figure_transfer(t: dict, profile: str) -> None:
    fig = plt.figure(figsize=(13, 4.2))
    grid = fig.add_gridspec(1, 2, width_ratios=(1.05, 1))
    _draw_transfer_diagram(fig.add_subplot(grid[0]))
    ax = fig.add_subplot(grid[1])
    methods = list(TRANSFER_METHODS)
    for k, (n, color) in enumerate(((25, "C1"), (500, "C0"))):
        for i, m in enumerate(methods):
            values = t["accuracy"][n][m]
            y = i + (k - 0.5) * 0.35
            ax.barh(y, np.mean(values), height=0.33, color=color, alpha=0.6, label=f"{n // 5} samples per class" if i == 0 else None)
            ax.plot(values, [y] * len(values), "k.", ms=4, label="one seed" if i == k == 0 else None)
    ax.set_yticks(range(len(methods)))
    ax.set_yticklabels([TRANSFER_METHODS[m] for m in methods], fontsize=8)
    ax.invert_yaxis()
    lo = min(min(v) for d in t["accuracy"].values() for v in d.values())
    ax.set_xlim(max(0.0, lo - 0.1), 1.0)
    ax.set_xlabel("validation accuracy on digits 5-9 (bars: mean; dots: seeds)")
    ax.legend(fontsize=8, loc="lower center", ncol=3, bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout()
    plots.publish(fig, "lecture-f28", profile, "digits (pre-train 0-4, transfer to 5-9)", "MLP",
                  t["sources"] + [h for hs in t["runs"].values() for h in hs])


def figure_differential(t: dict, profile: str) -> None:
    shown = {"finetune": "C3", "finetune_tenth": "C1", "differential": "C2"}
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), gridspec_kw={"width_ratios": (1, 1, 0.8)})
    for ax, n in zip(axes[:2], (25, 500)):
        for m, color in shown.items():
            evs = [h.dropna(subset=["val_loss"]) for h in t["runs"][(n, m)]]
            curves = pd.concat([ev.set_index("step")["val_acc"] for ev in evs], axis=1)
            ax.plot(curves.index + 1, curves.mean(axis=1), color=color, label=TRANSFER_METHODS[m])
            ax.fill_between(curves.index + 1, curves.min(axis=1), curves.max(axis=1), color=color, alpha=0.2, lw=0)
        scratch = np.mean(t["accuracy"][n]["scratch"])
        ax.axhline(scratch, color="0.4", ls=":", lw=1, label=f"from scratch (end): {scratch:.1%}")
        ax.set_xlabel("fine-tuning iteration")
        ax.set_ylabel("validation accuracy")
        ax.set_ylim(0.5, 1.0)
        ax.set_title(f"digits 5-9, {n // 5} training samples per class", fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
    ax = axes[2]
    layers = ["hidden 1", "hidden 2", "classifier"]
    lrs = {"finetune": [0.05] * 3, "finetune_tenth": [0.005] * 3, "differential": [0.0005, 0.005, 0.05]}
    for k, (m, color) in enumerate(shown.items()):
        ax.barh(np.arange(3) + (k - 1) * 0.27, lrs[m], height=0.25, color=color, label=TRANSFER_METHODS[m].split(", ")[-1])
    ax.set_xscale("log")
    ax.set_yticks(range(3))
    ax.set_yticklabels(layers)
    ax.set_xlabel("learning rate per layer")
    ax.set_title("the three ways to fine-tune", fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    fig.tight_layout()
    plots.publish(fig, "notes-x7", profile, "digits (pre-train 0-4, transfer to 5-9)", "MLP",
                  t["sources"] + [h for m in shown for n in (25, 500) for h in t["runs"][(n, m)]])


# --- the chapter's runs, started ahead ------------------------------------------------------------------

def early_stopping_setup(profile: str, seeds=None) -> list[RunConfig]:
    return early_stopping_selection_setup(profile) + early_stopping_scored_setup(profile, seeds)


# Not known before a result: the searches' picks re-run on a fresh split, the coarse-to-fine search (its range
# comes from step 3) and the fine-tuning runs (they start from their source runs' weights).
CHAPTER = Chapter("lecture-choosing", (
    Experiment("early stopping", ("lecture-f14",), early_stopping_setup, [test("lecture-f14")]),
    Experiment("grid against random search", ("lecture-f15",), grid_vs_random_setup, [test("lecture-f15")]),
    Experiment("the recipe's steps 1-3", ("lecture-f18",), recipe_setup, [test("lecture-f18")]),
    Experiment("coarse-to-fine search", ("lecture-f16",)),
    Experiment("reading loss curves", ("lecture-f17",), diagnosis_setup, [test(i) for i in DIAGNOSIS_TESTS]),
    Experiment("update/weight ratios", ("lecture-f19", "notes-x1"), update_ratio_setup,
               [test("lecture-f19"), test("notes-x1")]),
    Experiment("transfer learning", ("lecture-f28", "notes-x7"), transfer_sources,
               [test("lecture-f28"), test("notes-x7")]),
))
