"""Learning rates in practice: lecture-f8 … f13 and notes-x2 … x4, from real runs and from the schedules
themselves.

* lecture-f8: the CS231n notes' cartoon of the loss against the epoch at a very high, a high, a low and a good
  learning rate, from runs of a two-layer MLP on MNIST-1D with plain SGD. The arms are fixed by a rule declared
  before any run: the *good* rate is the one of a ladder in steps of about 3× (0.01 … 30) whose training loss
  at the end is lowest on *selection* seeds, which the test never scores; the other three are fixed multiples
  of it (×10, ×3, ×1/100); the test runs the four on the chapter's paired seeds.
* lecture-f9: "loss with step decay": ResNet-20 on MNIST-1D, the learning rate divided by 10 at 50 % and 75 %
  of the run (ResNet's schedule: ÷10 at 32k and 48k of 64k iterations), against a control at the constant
  rate that runs until just after the first decay.
* lecture-f10 … f13: the lecture's schedules, drawn from :mod:`hp_lib.schedules` (illustrations).
* notes-x2: the same MLP at learning rates 1e-4, 3e-4, 1e-3, … 3: a grid whose neighbours differ by about
  3×, i.e. two points per decade (an illustration: a practice shown).
* notes-x3: reduce on plateau (CS231n notes): the same MLP on more data, its LR halved whenever the validation
  loss stops improving (a :class:`hp_lib.schedules.ReduceOnPlateau` scale, floor 1/1024), against the LR held
  constant and a step schedule.
* notes-x4: the linear scaling rule (Krizhevsky 2014) with Goyal et al.'s (2017) gradual warmup: a six-layer MLP
  without normalization at batch sizes 32 … 512 with the LR proportional to the batch, the same number of epochs, with and without
  a linear warmup.

The module glues numbers and settings (``ls-*``) and the verdict lines; the page's two languages hold the prose.
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
from .common import (NATS_MARGIN, WHY_NATS_MARGIN, Grid, Test, decide, final_accuracy, final_loss, illustrate, mean_std,
                     over_seeds, run_grid)

CHANCE_LOSS = math.log(10)  # the loss of a uniform guess over ten classes: what a diverged run scores
CHANCE_ACC = 10.0           # the accuracy of a constant guess over ten classes (points)
END_SHARE = 0.05  # "the end of a run": its last 5 %, and "just after a decay": the next 5 % of the run

# lecture-f8: the ladder the good rate is chosen from (on the selection seeds), and each role's multiple of it
LADDER = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
ROLES = {"very high": 10.0, "high": 3.0, "low": 0.01, "good": 1.0}

# The chapter's tests, declared before any run. Every compared arm runs the same seeds.
TESTS = [
    Test("lecture-f8", "a good learning rate ends with a lower training loss than a low, a high and a very high one",
         "good", ("low", "high", "very high"),
         "training loss over the last 5 % of the run: the other rate's minus the good rate's (nats)",
         measure="end training loss", higher_is_better=False, margin=NATS_MARGIN, why_margin=WHY_NATS_MARGIN),
    Test("lecture-f9", "with step decay the training loss drops as soon as the learning rate is divided by 10",
         "decay", "constant",
         "training loss over the 5 % of the run after the first decay: at the constant rate minus decayed (nats)",
         measure="loss after the decay", higher_is_better=False, margin=NATS_MARGIN, why_margin=WHY_NATS_MARGIN),
    Test("notes-x3", "halving the learning rate whenever the validation loss stops improving ends with a lower "
         "validation loss than keeping it constant", "plateau", "constant",
         "final validation loss: the constant rate's minus the plateau-halved rate's (nats)",
         measure="final validation loss", higher_is_better=False, margin=NATS_MARGIN, why_margin=WHY_NATS_MARGIN),
    Test("notes-x4", "with the learning rate scaled with the batch, a gradual warmup raises the largest batch's "
         "final accuracy", "warmup", "no warmup",
         "final validation accuracy at the largest batch: with warmup minus without (points)"),
]

# The items shown, not tested: closed forms, and a practice shown on one grid of runs.
ILLUSTRATIONS = {
    "lecture-f10": ("the lecture's learning-rate decay schedules: step, multistep, exponential, 1/t, cosine, linear, "
                    "inverse square root, constant", "closed forms, each drawn by calling it on the steps; nothing is trained"),
    "lecture-f11": ("SGDR: cosine annealing with warm restarts (Loshchilov & Hutter 2017, Fig. 1)",
                    "a closed form drawn on the steps; nothing is trained"),
    "lecture-f12": ("a linear warmup with the linear scaling rule (Krizhevsky 2014; Goyal et al. 2017)",
                    "a closed form drawn on the steps; its real runs are notes-x4"),
    "lecture-f13": ("the Transformer (Noam) schedule: a linear warmup, then decay as one over the square root of the step",
                    "a closed form drawn on the steps; nothing is trained"),
    "notes-x2": ("a learning-rate grid in steps of about 3x (two points per decade)",
                 "a search practice, shown on one grid of runs: the notes state no effect to test"),
}


def test(id: str) -> Test:
    return next(t for t in TESTS if t.id == id)


def illustration(id: str) -> verdicts.Verdict:
    """An item of :data:`ILLUSTRATIONS` as its record, its line glued."""
    return illustrate(id, *ILLUSTRATIONS[id])


def seeds_or(seeds, default) -> tuple[int, ...]:
    """The seeds a reader asked for, else ``default`` (the profile's paired or cheap seeds)."""
    return tuple(seeds) if seeds else tuple(default)


def selection_seeds(profile: str) -> tuple[int, ...]:
    """The seeds a rule picks an arm on: 100 + the profile's seeds, never among the seeds a test scores."""
    return tuple(100 + s for s in profiles.get(profile).seeds)


def _diverged(histories: list[History]) -> str:
    return f"{sum(h.attrs.get('status') == 'diverged' for h in histories)}/{len(histories)}"


def _window_loss(h: History, lo: float, hi: float, diverged: float) -> float:
    """The mean minibatch training loss over steps ``lo`` ≤ step < ``hi``; ``diverged`` for a run that diverged."""
    if h.attrs.get("status", "ok") != "ok":
        return diverged
    rows = h[(h["step"] >= lo) & (h["step"] < hi)]["train_loss"].dropna()
    return float(rows.mean())


def end_losses(histories: list[History], diverged: float = CHANCE_LOSS) -> np.ndarray:
    """Each run's mean minibatch training loss over the last :data:`END_SHARE` of its steps (one per seed)."""
    out = []
    for h in histories:
        steps = int(h["step"].max()) + 1
        out.append(_window_loss(h, (1 - END_SHARE) * steps, steps, diverged))
    return np.array(out)


def _mlp(profile: str, **changes) -> RunConfig:
    p = profiles.get(profile)
    return RunConfig(dataset="mnist1d", n_train=p.pick(500, 4_000, 4_000), n_val=p.pick(200, 1_000, 1_000), n_test=0,
                     model="mlp", batch_size=100, momentum=0.0, nesterov=False, weight_decay=0.0,
                     steps=p.pick(100, 3_000, 3_000), eval_every=p.pick(20, 100, 100), train_probe=False, threads=1,
                     **p.accelerator).replace(**changes)


def glue_mlp(profile: str) -> None:
    """The settings of the chapter's two-layer MLP runs (lecture-f8, notes-x2, notes-x3), glued for the page."""
    c = _mlp(profile)
    glue.values({"ls-mlp-n-train": f"{c.n_train:,}", "ls-mlp-batch": f"{c.batch_size:,}",
                 "ls-mlp-steps": f"{c.steps:,}", "ls-mlp-epochs": f"{c.steps * c.batch_size / c.n_train:g}"})


# --- lecture-f8: four learning rates --------------------------------------------------------------------

@dataclass
class Cartoon:
    """lecture-f8: the ladder run on the selection seeds, the good rate it gives, and the four roles' runs."""
    ladder: dict[float, list[History]]
    good: float
    runs: dict[str, list[History]]

    def lr(self, role: str) -> float:
        return self.good * ROLES[role]


def ladder_setup(profile: str, seeds=None) -> dict[float, list[RunConfig]]:
    """The MLP with plain SGD at every rate of :data:`LADDER`, on the selection seeds (a reader's ``seeds``
    are those of the four roles' runs, which take their rates from this ladder)."""
    base = _mlp(profile)
    return {lr: [base.replace(lr=lr, seed=s) for s in selection_seeds(profile)] for lr in LADDER}


def pick_good(ladder: dict[float, list[History]]) -> float:
    """The rule, fixed before any run: the ladder's rate with the lowest mean training loss at the end on the
    selection seeds (a run that diverged counts as infinite)."""
    return min(ladder, key=lambda lr: float(end_losses(ladder[lr], math.inf).mean()))


def four_learning_rates_setup(profile: str, good: float, seeds=None) -> dict[str, list[RunConfig]]:
    """The four roles at their multiples of the ``good`` rate, on the paired seeds."""
    base = _mlp(profile)
    seeds = seeds_or(seeds, profiles.get(profile).cheap_seeds)
    return {role: [base.replace(lr=good * k, seed=s) for s in seeds] for role, k in ROLES.items()}


def four_learning_rates(profile: str, seeds=None) -> Cartoon:
    """The ladder on the selection seeds first, then the four roles at the good rate it gives."""
    configs = ladder_setup(profile)
    flat = iter(sweep.run([c for cs in configs.values() for c in cs], desc="LR ladder (selection seeds)"))
    ladder = {lr: [next(flat) for _ in cs] for lr, cs in configs.items()}
    good = pick_good(ladder)
    return Cartoon(ladder, good, run_grid(Grid(four_learning_rates_setup(profile, good, seeds)), "four learning rates"))


def selection_seeds_of(cartoon: Cartoon) -> tuple[int, ...]:
    return tuple(h.attrs["seed"] for h in next(iter(cartoon.ladder.values())))


def judge_cartoon(cartoon: Cartoon, profile: str) -> verdicts.Verdict:
    """lecture-f8 decided on each role's training loss at the end; the numbers the page states, glued."""
    losses = {role: end_losses(hs) for role, hs in cartoon.runs.items()}
    name = {role: role.replace(" ", "-") for role in ROLES}
    selection = {lr: end_losses(hs, math.inf) for lr, hs in cartoon.ladder.items()}
    glue.values({"ls-f8-ladder": ", ".join(f"{lr:g}" for lr in LADDER), "ls-f8-good": f"{cartoon.good:g}",
                 "ls-f8-selection-seeds": str(len(selection_seeds_of(cartoon))),
                 "ls-f8-seeds": str(len(cartoon.runs["good"])),
                 "ls-f8-selection": "; ".join(f"{lr:g} → " + (f"{v.mean():.3f}" if np.isfinite(v).all() else "×")
                                              for lr, v in selection.items()),
                 **{f"ls-f8-lr-{name[r]}": f"{cartoon.lr(r):g}" for r in ROLES},
                 **{f"ls-f8-loss-{name[r]}": mean_std(losses[r], 3) for r in ROLES},
                 **{f"ls-f8-diverged-{name[r]}": _diverged(cartoon.runs[r]) for r in ("very high", "high")}})
    return decide([test("lecture-f8")], {"end training loss": losses}, 0, profile)["lecture-f8"]


def _loss_curve(h: History) -> pd.DataFrame:
    """The minibatch training loss of a run, averaged over 20 iterations (a diverged run ends with inf)."""
    rows = h.dropna(subset=["train_loss"])
    return pd.DataFrame({"step": rows["step"], "epoch": rows["epoch"],
                         "loss": rows["train_loss"].rolling(20, min_periods=1).mean()})


def figure_cartoon(cartoon: Cartoon, profile: str) -> None:
    runs = cartoon.runs
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    colors = {"very high": "gold", "high": "C2", "low": "C0", "good": "C3"}
    top = 2.0 * max(float(h["train_loss"].dropna().iloc[0]) for hs in runs.values() for h in hs)
    for name, hs in runs.items():
        for k, h in enumerate(hs):
            c = _loss_curve(h)
            y = c["loss"].clip(upper=top)
            ax.plot(c["epoch"], y, color=colors[name], lw=1.4, alpha=0.9,
                    label=f"{name} learning rate ({cartoon.lr(name):g})" if k == 0 else None)
            if h.attrs.get("status") == "diverged":
                ax.plot(c["epoch"].iloc[-1], top, "x", color=colors[name], ms=9, mew=2)
    ax.set_ylim(0, top * 1.02)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (minibatch)")
    ax.legend(fontsize=8)
    plots.publish(fig, "lecture-f8", profile, "MNIST-1D", "MLP, plain SGD", [h for hs in runs.values() for h in hs])


# --- lecture-f9: step decay ----------------------------------------------------------------------------

@dataclass
class StepDecay:
    """lecture-f9: the runs with step decay and the control at the constant rate, one per seed each."""
    config: RunConfig
    control: RunConfig
    runs: list[History]
    controls: list[History]

    @property
    def window(self) -> int:
        return decay_window(self.config)


def step_decay_config(profile: str) -> RunConfig:
    p = profiles.get(profile)
    steps = p.pick(120, 1_600, 64_000)
    return RunConfig(dataset=p.pick("mnist1d", "mnist1d", "cifar10"), n_train=p.pick(500, 4_000, 50_000),
                     n_val=p.pick(200, 1_000, 10_000), n_test=0, model="resnet20", batch_size=128, momentum=0.9,
                     weight_decay=1e-4, steps=steps, eval_every=p.pick(20, 50, 500), train_probe=False, threads=p.threads,
                     **p.accelerator,
                     lr={"name": "multistep", "value": 0.1, "milestones": [steps // 2, steps * 3 // 4], "gamma": 0.1})


def decay_window(cfg: RunConfig) -> int:
    """Iterations "just before" and "just after" a decay: :data:`END_SHARE` of the run."""
    return max(2, int(END_SHARE * cfg.steps))


def control_config(profile: str) -> RunConfig:
    """The step-decay run without its decays, stopped one window after the first decay: until then it is the
    same run (same seed, data order and rate), after it the rate stays at 0.1."""
    cfg = step_decay_config(profile)
    return cfg.replace(lr=cfg.lr["value"], steps=cfg.lr["milestones"][0] + decay_window(cfg))


def step_decay_seeds(profile: str, seeds=None) -> tuple[int, ...]:
    return seeds_or(seeds, profiles.get(profile).paired_seeds)  # ResNet runs of minutes: the paired seeds


def step_decay(profile: str, seeds=None) -> StepDecay:
    cfg, control = step_decay_config(profile), control_config(profile)
    seeds = step_decay_seeds(profile, seeds)
    hs = sweep.run([cfg.replace(seed=s) for s in seeds] + [control.replace(seed=s) for s in seeds], desc="step decay")
    return StepDecay(cfg, control, hs[:len(seeds)], hs[len(seeds):])


def step_drops(s: StepDecay) -> pd.DataFrame:
    """Per decay, the mean minibatch training loss (mean over seeds) over the window before and after it, and
    the control's over the window after the first."""
    w, rows = s.window, []
    for m in s.config.lr["milestones"]:
        rows.append({"milestone": m, "before": float(np.mean([_window_loss(h, m - w, m, CHANCE_LOSS) for h in s.runs])),
                     "after": float(np.mean([_window_loss(h, m, m + w, CHANCE_LOSS) for h in s.runs]))})
    return pd.DataFrame(rows)


def judge_step_decay(s: StepDecay, profile: str) -> verdicts.Verdict:
    m, w = s.config.lr["milestones"][0], s.window
    after = {"decay": np.array([_window_loss(h, m, m + w, CHANCE_LOSS) for h in s.runs]),
             "constant": np.array([_window_loss(h, m, m + w, CHANCE_LOSS) for h in s.controls])}
    before = np.array([_window_loss(h, m - w, m, CHANCE_LOSS) for h in s.runs])
    m2 = s.config.lr["milestones"][1]
    c = s.config
    glue.values({"ls-f9-steps": f"{c.steps:,}", "ls-f9-m1": f"{m:,}", "ls-f9-m2": f"{m2:,}", "ls-f9-window": f"{w:,}",
                 "ls-f9-control-steps": f"{s.control.steps:,}", "ls-f9-seeds": str(len(s.runs)),
                 "ls-f9-batch": f"{c.batch_size:,}", "ls-f9-n-train": f"{c.n_train:,}",
                 "ls-f9-data": "CIFAR-10" if c.dataset == "cifar10" else "MNIST-1D",
                 "ls-f9-before-1": mean_std(before, 3), "ls-f9-after-1": mean_std(after["decay"], 3),
                 "ls-f9-control-1": mean_std(after["constant"], 3),
                 "ls-f9-before-2": mean_std([_window_loss(h, m2 - w, m2, CHANCE_LOSS) for h in s.runs], 3),
                 "ls-f9-after-2": mean_std([_window_loss(h, m2, m2 + w, CHANCE_LOSS) for h in s.runs], 3)})
    return decide([test("lecture-f9")], {"loss after the decay": after}, 0, profile)["lecture-f9"]


def figure_step_decay(s: StepDecay, profile: str) -> None:
    cfg = s.config
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    smooth = max(1, cfg.steps // 100)
    for k, h in enumerate(s.controls):  # under the decayed runs: the same curves until the first decay
        ax.plot(h["step"] + 1, h["train_loss"].rolling(smooth, min_periods=1).mean(), color="0.5", lw=1, alpha=0.8,
                label="control: LR 0.1 held" if k == 0 else None)
    for k, h in enumerate(s.runs):
        ax.plot(h["step"] + 1, h["train_loss"].rolling(smooth, min_periods=1).mean(), color=plots.COLORS["train"],
                lw=1, alpha=0.8, label="LR 0.1, ÷10 at 50 % and 75 %" if k == 0 else None)
    for m in cfg.lr["milestones"]:
        ax.axvline(m, color="k", ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("training loss (minibatch, smoothed)")
    ax.legend(fontsize=8)
    data = "CIFAR-10" if cfg.dataset == "cifar10" else "MNIST-1D"
    plots.publish(fig, "lecture-f9", profile, data, "ResNet-20", s.runs + s.controls)


# --- notes-x2: a learning-rate grid in steps of 3× -------------------------------------------------------

GRID_3X = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0]


def lr_grid_points(profile: str, seeds=None) -> list[tuple[float, int, RunConfig]]:
    p = profiles.get(profile)
    base = _mlp(profile, momentum=0.9, nesterov=True, steps=p.pick(100, 1_500, 3_000))
    return [(lr, s, base.replace(lr=lr, seed=s)) for lr in GRID_3X for s in seeds_or(seeds, p.seeds)]


def lr_grid(profile: str, seeds=None) -> tuple[pd.DataFrame, list[History]]:
    points = lr_grid_points(profile, seeds)
    hs = sweep.run([cfg for _, _, cfg in points], desc="LR grid")
    rows = []
    for (lr, s, _), h in zip(points, hs):
        last = h.dropna(subset=["val_loss"]).iloc[-1]
        rows.append({"lr": lr, "seed": s, "val_loss": float(last["val_loss"]), "val_acc": float(last["val_acc"]),
                     "diverged": h.attrs.get("status") == "diverged"})
    grid = pd.DataFrame(rows)
    grid.attrs["steps"] = points[0][2].steps
    return grid, hs


def glue_lr_grid(grid: pd.DataFrame) -> None:
    """The grid's numbers for the page: its best rate and accuracy, the rates within 2 points of it, those that
    diverged."""
    by_lr = grid.groupby("lr").agg(val_acc=("val_acc", "mean"), diverged=("diverged", "sum"))
    best = by_lr["val_acc"].idxmax()
    near = by_lr[by_lr["val_acc"] >= by_lr["val_acc"].max() - 0.02].index
    diverged = by_lr.index[by_lr["diverged"] > 0]
    glue.values({"ls-x2-steps": f"{grid.attrs['steps']:,}", "ls-x2-seeds": str(grid["seed"].nunique()),
                 "ls-x2-best": f"{best:g}", "ls-x2-best-acc": f"{100 * by_lr.loc[best, 'val_acc']:.1f}",
                 "ls-x2-near": f"{near.min():g} … {near.max():g}",
                 "ls-x2-diverged": ", ".join(f"{lr:g}" for lr in diverged) or "—"})


def figure_lr_grid(grid: pd.DataFrame, runs: list[History], profile: str) -> None:
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    ok = grid[~grid["diverged"]]
    mean = ok.groupby("lr")["val_acc"].mean()
    ax.semilogx(ok["lr"], ok["val_acc"], "o", color="C0", alpha=0.4, ms=4)
    ax.semilogx(mean.index, mean, "-", color="C0", label="mean over seeds")
    for lr in grid[grid["diverged"]]["lr"].unique():
        ax.plot(lr, 0.1, "x", color="C3", ms=9, mew=2)
    ax.set_xticks(GRID_3X, [f"{lr:g}" for lr in GRID_3X], fontsize=7)
    ax.set_xlabel("learning rate (neighbours ≈ 3× apart; × = diverged)")
    ax.set_ylabel("validation accuracy")
    ax.legend(fontsize=8)
    plots.publish(fig, "notes-x2", profile, "MNIST-1D", "MLP, SGD + Nesterov momentum 0.9", runs)


# --- notes-x3: halve the learning rate on a plateau -------------------------------------------------------

PLATEAU = {"factor": 0.5, "patience": 2}  # halve after 3 evaluations in a row without a new best (floor: 1/1024)
PLATEAU_FLOOR_HALVINGS = 10
PLATEAU_LABELS = {"constant": "constant LR", "plateau": "×0.5 on each plateau", "step": "step decay (÷10 at 50 %, 75 %)"}
PLATEAU_COLORS = {"constant": "C7", "plateau": "C0", "step": "C1"}


def plateau_setup(profile: str, seeds=None) -> Grid:
    """lecture-f8's two-layer MLP with plain SGD at LR 1 on 16,000 MNIST-1D samples (four times lecture-f8's, so
    that the validation loss stalls from the noise of the steps rather than turning up from overfitting): the
    LR held constant, halved whenever the validation loss stops improving, and divided by 10 at 50 % and 75 %
    of the run; on the paired seeds."""
    p = profiles.get(profile)
    steps = p.pick(100, 3_000, 30_000)
    base = _mlp(profile, lr=1.0, n_train=p.pick(500, 16_000, 60_000), n_val=p.pick(200, 2_000, 5_000), steps=steps,
                eval_every=p.pick(10, 100, 500), log_every=p.pick(1, 10, 10))
    variants = {"constant": base,
                "plateau": base.replace(lr_plateau=PLATEAU),
                "step": base.replace(lr={"name": "multistep", "value": 1.0, "milestones": [steps // 2, steps * 3 // 4],
                                         "gamma": 0.1})}
    return over_seeds(variants, seeds_or(seeds, p.cheap_seeds))


def plateau_runs(profile: str, seeds=None) -> dict[str, list[History]]:
    return run_grid(plateau_setup(profile, seeds), desc="reduce on plateau")


def halvings(h: History) -> int:
    """How many times the LR was halved in a run: log2 of its first over its last value."""
    lr = h["lr"].dropna()
    return int(round(math.log2(lr.iloc[0] / lr.iloc[-1])))


def plateau_numbers(runs: dict[str, list[History]]) -> pd.DataFrame:
    """One row per run: its final and lowest validation loss, final accuracy, last LR, (for the plateau runs)
    the halvings, and after how many iterations the LR was first lowered."""
    rows = []
    for variant, hs in runs.items():
        for h in hs:
            ev = h.dropna(subset=["val_loss"])
            lr = h.dropna(subset=["lr"])
            cut = lr[lr["lr"] < lr["lr"].iloc[0]]
            # the LR is logged every few steps; it changed after the last evaluation before the first lower value
            first_cut = int(ev[ev["step"] < cut["step"].iloc[0]]["step"].max()) + 1 if len(cut) else None
            rows.append({"variant": variant, "seed": h.attrs["seed"], "final_val_loss": float(ev["val_loss"].iloc[-1]),
                         "best_val_loss": float(ev["val_loss"].min()), "final_val_acc": float(ev["val_acc"].iloc[-1]),
                         "final_lr": float(lr["lr"].iloc[-1]), "halvings": halvings(h) if variant == "plateau" else 0,
                         "first_cut": first_cut})
    return pd.DataFrame(rows)


def judge_plateau(runs: dict[str, list[History]], profile: str) -> verdicts.Verdict:
    """notes-x3 decided on the final validation loss (a diverged run scores ln 10); the numbers the page states."""
    n = plateau_numbers(runs)
    plateau = n[n["variant"] == "plateau"]
    losses = {v: final_loss(hs, CHANCE_LOSS) for v, hs in runs.items()}
    glue.values({**{f"ls-x3-loss-{v}": mean_std(x, 3) for v, x in losses.items()},
                 "ls-x3-seeds": str(len(runs["plateau"])),
                 "ls-x3-halvings": ", ".join(str(k) for k in plateau["halvings"]),
                 "ls-x3-first-cut": ", ".join(f"{c:,}" for c in plateau["first_cut"].dropna().astype(int)) or "—",
                 "ls-x3-final-lr": ", ".join(f"1/{1 / x:g}" for x in plateau["final_lr"]),
                 "ls-x3-max-halvings": str(int(plateau["halvings"].max())),
                 "ls-x3-floor-halvings": str(PLATEAU_FLOOR_HALVINGS)})
    return decide([test("notes-x3")], {"final validation loss": losses}, 0, profile)["notes-x3"]


def glue_plateau(profile: str) -> None:
    """notes-x3's settings, glued before its runs."""
    grid = plateau_setup(profile)
    c = grid.configs["constant"][0]
    glue.values({"ls-x3-n-train": f"{c.n_train:,}", "ls-x3-n-val": f"{c.n_val:,}", "ls-x3-steps": f"{c.steps:,}",
                 "ls-x3-batch": f"{c.batch_size:,}", "ls-x3-eval-every": f"{c.eval_every:,}",
                 "ls-x3-patience-evals": str(PLATEAU["patience"] + 1),
                 "ls-x3-patience-steps": f"{(PLATEAU['patience'] + 1) * c.eval_every:,}",
                 "ls-x3-data-ratio": f"{c.n_train / _mlp(profile).n_train:g}"})


def figure_plateau(runs: dict[str, list[History]], profile: str) -> None:
    fig, (ax_lr, ax_loss) = plt.subplots(2, 1, figsize=(6.8, 5.6), sharex=True, height_ratios=(1, 1.4))
    for variant, hs in runs.items():
        for k, h in enumerate(hs):
            label = PLATEAU_LABELS[variant] if k == 0 else None
            lr = h.dropna(subset=["lr"])
            ax_lr.plot(lr["step"] + 1, lr["lr"], color=PLATEAU_COLORS[variant], lw=1.3, alpha=0.8, label=label,
                       drawstyle="steps-post")
            ev = h.dropna(subset=["val_loss"])
            ax_loss.plot(ev["step"] + 1, ev["val_loss"], color=PLATEAU_COLORS[variant], lw=1.3, alpha=0.8, label=label)
    ax_lr.set_yscale("log", base=2)
    ax_lr.set_ylabel("learning rate")
    ax_lr.legend(fontsize=8)
    ax_loss.set_ylabel("validation loss")
    ax_loss.set_xlabel("iteration")
    ax_loss.set_ylim(top=1.5 * max(float(h.dropna(subset=["val_loss"])["val_loss"].iloc[-1]) for hs in runs.values() for h in hs))
    fig.tight_layout()
    plots.publish(fig, "notes-x3", profile, "MNIST-1D", "MLP, plain SGD", [h for hs in runs.values() for h in hs])


# --- notes-x4: the linear scaling rule with gradual warmup (Goyal et al. 2017) ----------------------------

BASE_LR = 0.02  # at the smallest batch; a batch k times larger gets k times this
SCALING_MLP = {"depth": 6, "width": 128, "init_scale": math.sqrt(6)}  # He initialisation, no normalization


@dataclass
class LinearScaling:
    """Runs of one network at several batch sizes, the LR proportional to the batch size, all for the same
    number of epochs, with and without a linear warmup from the smallest batch's LR. ``configs[(batch, warmup)]``
    holds one config per seed; at the smallest batch the warmup would be a no-op (it starts at the LR it warms
    up to), so that batch has only the runs without it and serves both lines. The largest batch, which the
    test compares with and without warmup, runs the paired seeds; the others, drawn only, the profile's seeds."""
    batches: tuple[int, ...]
    epochs: int
    warmup_epochs: int
    configs: dict[tuple[int, bool], list[RunConfig]]

    def all(self) -> list[RunConfig]:
        return [c for cs in self.configs.values() for c in cs]


def linear_scaling_setup(profile: str, seeds=None) -> LinearScaling:
    """A six-layer MLP (width 128, ReLU, He initialisation, no normalization: a network whose start a large
    LR can wreck) on MNIST-1D, SGD with momentum 0.9; LR 0.02 · batch/32, ÷10 at 50 % and 75 % of the run
    (as Goyal et al.'s ÷10 at epochs 30, 60, 80 of 90); warmup over the first tenth of the epochs, starting
    from the smallest batch's LR."""
    p = profiles.get(profile)
    n_train = p.pick(1_024, 16_000, 60_000)
    batches = p.pick((32, 128), (32, 64, 128, 256, 512), (32, 64, 128, 256, 512, 1024))
    epochs, warmup_epochs = p.pick((2, 1), (20, 2), (40, 4))
    configs = {}
    for batch in batches:
        k = batch // batches[0]
        per_epoch = n_train // batch
        steps = epochs * per_epoch
        seeds_here = seeds_or(seeds, p.cheap_seeds if batch == batches[-1] else p.seeds)
        decayed = {"name": "multistep", "value": BASE_LR * k, "milestones": [steps // 2, steps * 3 // 4], "gamma": 0.1}
        cfg = RunConfig(dataset="mnist1d", n_train=n_train, n_val=p.pick(200, 2_000, 5_000), n_test=0, model="mlp",
                        model_kwargs=SCALING_MLP, batch_size=batch, lr=decayed, momentum=0.9, nesterov=False,
                        weight_decay=0.0, steps=steps, eval_every=max(1, steps // 20), log_every=max(1, per_epoch // 10),
                        train_probe=False, threads=1, **p.accelerator)
        configs[(batch, False)] = [cfg.replace(seed=s) for s in seeds_here]
        if k > 1:
            warmed = {"name": "linear_warmup", "schedule": decayed, "warmup_steps": warmup_epochs * per_epoch,
                      "start_factor": 1 / k}
            configs[(batch, True)] = [cfg.replace(lr=warmed, seed=s) for s in seeds_here]
    return LinearScaling(batches, epochs, warmup_epochs, configs)


def glue_linear_scaling(setup: LinearScaling) -> None:
    """notes-x4's settings, glued before its runs."""
    small, large = setup.batches[0], setup.batches[-1]
    c = setup.configs[(large, False)][0]
    glue.values({"ls-x4-batches": ", ".join(str(b) for b in setup.batches), "ls-x4-small": str(small),
                 "ls-x4-large": str(large), "ls-x4-base-lr": f"{BASE_LR:g}",
                 "ls-x4-top-lr": f"{BASE_LR * large / small:g}", "ls-x4-epochs": str(setup.epochs),
                 "ls-x4-warmup-epochs": str(setup.warmup_epochs), "ls-x4-n-train": f"{c.n_train:,}",
                 "ls-x4-n-val": f"{c.n_val:,}", "ls-x4-depth": str(SCALING_MLP["depth"]),
                 "ls-x4-width": str(SCALING_MLP["width"]), "ls-x4-seeds-large": str(len(setup.configs[(large, False)])),
                 "ls-x4-seeds-other": str(len(setup.configs[(small, False)]))})


def linear_scaling_runs(setup: LinearScaling) -> dict[tuple[int, bool], list[History]]:
    histories = iter(sweep.run(setup.all(), desc="linear scaling"))
    runs = {key: [next(histories) for _ in cfgs] for key, cfgs in setup.configs.items()}
    runs[(setup.batches[0], True)] = runs[(setup.batches[0], False)]  # the same runs: no warmup to do
    return runs


def linear_scaling_numbers(runs: dict[tuple[int, bool], list[History]]) -> pd.DataFrame:
    """One row per run: its final validation accuracy (0 … 1; a diverged run scores chance, 0.1)."""
    rows = [{"batch": batch, "warmup": warmup, "seed": h.attrs["seed"],
             "final_val_acc": float(final_accuracy([h], CHANCE_ACC)[0]) / 100,
             "diverged": h.attrs.get("status") == "diverged"}
            for (batch, warmup), hs in runs.items() for h in hs]
    return pd.DataFrame(rows).sort_values(["warmup", "batch", "seed"], ignore_index=True)


def judge_linear_scaling(setup: LinearScaling, runs: dict[tuple[int, bool], list[History]],
                         profile: str) -> verdicts.Verdict:
    """notes-x4 decided at the largest batch, with against without warmup, on the final validation accuracy."""
    small, large = setup.batches[0], setup.batches[-1]
    acc = {key: final_accuracy(hs, CHANCE_ACC) for key, hs in runs.items()}

    def by_batch(warmup: bool) -> str:
        return "; ".join(f"{b} → {mean_std(acc[(b, warmup)], 1)}" for b in setup.batches[1:])

    glue.values({"ls-x4-acc-small": mean_std(acc[(small, False)], 1), "ls-x4-acc-warm": by_batch(True),
                 "ls-x4-acc-cold": by_batch(False), "ls-x4-acc-large-warm": mean_std(acc[(large, True)], 1),
                 "ls-x4-acc-large-cold": mean_std(acc[(large, False)], 1),
                 "ls-x4-diverged-warm": _diverged(runs[(large, True)]),
                 "ls-x4-diverged-cold": _diverged(runs[(large, False)])})
    measures = {"accuracy": {"warmup": acc[(large, True)], "no warmup": acc[(large, False)]}}
    return decide([test("notes-x4")], measures, setup.configs[(large, False)][0].n_val, profile)["notes-x4"]


def figure_linear_scaling(setup: LinearScaling, runs: dict[tuple[int, bool], list[History]], profile: str) -> None:
    numbers = linear_scaling_numbers(runs)
    largest = setup.batches[-1]
    colors = {False: "C3", True: "C0"}
    names = {False: "without warmup", True: f"with {setup.warmup_epochs}-epoch warmup"}
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.9))
    ax = axes[0]
    for warmup in (False, True):
        s = numbers[numbers["warmup"] == warmup]
        g = s.groupby("batch")["final_val_acc"]
        mean, lo, hi = g.mean(), g.min(), g.max()
        ax.errorbar(mean.index, mean, yerr=[mean - lo, hi - mean], color=colors[warmup], marker="o", capsize=3,
                    label=names[warmup])
        ok = s[~s["diverged"]]
        ax.plot(ok["batch"], ok["final_val_acc"], ".", color=colors[warmup], alpha=0.4)
        ax.plot(s[s["diverged"]]["batch"], s[s["diverged"]]["final_val_acc"], "x", color=colors[warmup], ms=9, mew=2)
    ax.set_xscale("log", base=2)
    ax.set_xticks(setup.batches, [str(b) for b in setup.batches])
    ax.set_xlabel(f"batch size (LR = {BASE_LR:g} · batch / {setup.batches[0]})")
    ax.set_ylabel(f"final validation accuracy ({setup.epochs} epochs)")
    ax.legend(fontsize=8)
    ax.set_title("mean and range over seeds (× = diverged, counted as chance, 10 %)", fontsize=9)

    # the start of training at the largest batch: the first three warmup lengths
    cfg = setup.configs[(largest, False)][0]
    per_epoch = cfg.n_train // largest
    first = min(3 * setup.warmup_epochs * per_epoch, cfg.steps)
    ln10 = math.log(10)
    for warmup in (False, True):
        for k, h in enumerate(runs[(largest, warmup)]):
            part = h[(h["step"] < first)].dropna(subset=["train_loss"])
            label = names[warmup] if k == 0 else None
            axes[1].plot(part["step"] + 1, part["train_loss"].clip(upper=3 * ln10), color=colors[warmup], lw=1.2,
                         alpha=0.85, label=label)
            if h.attrs.get("status") == "diverged" and h.attrs["diverged_step"] < first:
                axes[1].plot(h.attrs["diverged_step"] + 1, 3 * ln10, "x", color=colors[warmup], ms=9, mew=2)
            axes[2].plot(part["step"] + 1, part["lr"], color=colors[warmup], lw=1.2, label=label)
    axes[1].axhline(ln10, color="k", ls=":", lw=1)
    axes[1].text(0.98, ln10, "ln 10 (chance)", ha="right", va="bottom", fontsize=8,
                 transform=axes[1].get_yaxis_transform())
    axes[1].set_ylim(0, 3 * ln10 * 1.03)
    axes[1].set_ylabel("training loss (minibatch)")
    axes[1].set_title(f"batch {largest}: the first {first // per_epoch} epochs", fontsize=9)
    axes[2].set_ylabel("learning rate")
    axes[2].set_title(f"batch {largest}: the learning rate", fontsize=9)
    for ax in axes[1:]:
        ax.set_xlabel("iteration")
        ax.legend(fontsize=8)
    fig.tight_layout()
    plots.publish(fig, "notes-x4", profile, "MNIST-1D", "MLP, 6 layers, no normalization",
                  [h for key, hs in runs.items() if key != (setup.batches[0], True) for h in hs])



def step_decay_setup(profile: str, seeds=None) -> list[RunConfig]:
    decay_seeds = step_decay_seeds(profile, seeds)
    return ([step_decay_config(profile).replace(seed=s) for s in decay_seeds]
            + [control_config(profile).replace(seed=s) for s in decay_seeds])


def lr_grid_setup(profile: str, seeds=None) -> list[RunConfig]:
    return [cfg for _, _, cfg in lr_grid_points(profile, seeds)]


CHAPTER = Chapter("lecture-schedules", (
    Experiment("four learning rates (the roles' runs wait for the ladder's)", ("lecture-f8",), ladder_setup,
               [test("lecture-f8")]),
    Experiment("decay schedules", ("lecture-f10",)),
    Experiment("step decay", ("lecture-f9",), step_decay_setup, [test("lecture-f9")]),
    Experiment("a learning-rate grid in steps of 3x", ("notes-x2",), lr_grid_setup),
    Experiment("halving on a plateau", ("notes-x3",), plateau_setup, [test("notes-x3")]),
    Experiment("SGDR", ("lecture-f11",)),
    Experiment("warmup with the linear scaling rule", ("lecture-f12",)),
    Experiment("warmup at large batches", ("notes-x4",), linear_scaling_setup, [test("notes-x4")]),
    Experiment("the Transformer schedule", ("lecture-f13",)),
))
