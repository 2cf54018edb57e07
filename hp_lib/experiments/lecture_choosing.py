"""Choosing hyper-parameters, as the lecture teaches it: lecture-f14 … f19, f28, notes-x1 and notes-x7.

The model is the lecture's proxy, a two-layer MLP (width 128, ReLU) trained with plain SGD + momentum 0.9,
on scikit-learn's 8×8 handwritten digits (1,797 images, which ship with scikit-learn) — small enough that
the chapter's hundred-odd runs take a few minutes, real enough that over- and underfitting show.

* lecture-f14, early stopping: the MLP on 500 digits without regularization, trained far past its best
  validation accuracy; the best snapshot is the one to keep.
* lecture-f15, grid against random search (Bergstra & Bengio 2012): on a function where one of two
  parameters matters, and on real runs where the learning rate matters and the weight decay hardly does.
* lecture-f18, the recipe's first three steps: the initial loss against ln C, overfitting a small sample,
  finding the learning rates that make the loss fall within 100 iterations.
* lecture-f16, its steps 4 and 5, coarse-to-fine random search: log-uniform learning rates (in step 3's
  range) and weight decays, about 5 epochs each, then a finer search, about 20 epochs, in the best region.
* lecture-f17, step 6, reading the learning curves: six cases (bad initialisation, a plateau, a decay too
  early, an accuracy still rising, overfitting, underfitting), each produced by real runs and confirmed by a
  number.
* lecture-f19 and notes-x1, the update/weight ratio: ‖ΔW‖/‖W‖ per layer at learning rates 1e-4 … 1, and
  whether the best rate runs at the notes' "around 1e-3".
* lecture-f28 and notes-x7, transfer learning: pre-train on digits 0–4, move to 5–9 with little or more data,
  from scratch, by linear classifiers on frozen layers, or by fine-tuning with one or differential rates.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import claims, glue, plots, profiles, sweep
from ..train import History, RunConfig
from .common import seeds_of

DIGITS = "digits"


def base(profile: str, **changes) -> RunConfig:
    p = profiles.get(profile)
    return RunConfig(dataset=DIGITS, n_train=1_257, n_val=180, n_test=360, model="mlp", batch_size=50,
                     lr=0.05, momentum=0.9, nesterov=False, weight_decay=0.0, steps=p.pick(100, 1_000, 1_000),
                     eval_every=p.pick(20, 50, 50), threads=1, **p.accelerator).replace(**changes)


def _last(h: History) -> pd.Series:
    return h.dropna(subset=["val_loss"]).iloc[-1]


def _mean_evaluations(runs: list[History]) -> pd.DataFrame:
    return pd.concat([h.dropna(subset=["val_loss"]) for h in runs]).groupby("step", as_index=False).mean(numeric_only=True)


# --- lecture-f14: early stopping -------------------------------------------------------------------------

def early_stopping_configs(profile: str, seeds=None) -> list[RunConfig]:
    p = profiles.get(profile)
    cfg = base(profile, n_train=500, batch_size=50, lr=0.1, steps=p.pick(200, 4_000, 4_000), eval_every=p.pick(10, 40, 40))
    return [cfg.replace(seed=s) for s in seeds_of(p, seeds)]


def early_stopping(profile: str, seeds=None) -> list[History]:
    return sweep.run(early_stopping_configs(profile, seeds), desc="early stopping")


def claim_early_stopping(runs: list[History]) -> claims.Verdict:
    ev = _mean_evaluations(runs)
    best = ev.loc[ev["val_loss"].idxmin()]
    last = ev.iloc[-1]
    verdict = claims.early_stopping("lecture-f14", float(best["val_loss"]), float(last["val_loss"]),
                                    float(best["train_eval_loss"]), float(last["train_eval_loss"]))
    en = (f"Mean over {len(runs)} seeds: the validation loss is lowest, {best['val_loss']:.3f}, after {int(best['step']) + 1:,} "
          f"iterations (validation accuracy {best['val_acc']:.1%}); at the end, after {int(last['step']) + 1:,}, it is "
          f"{last['val_loss']:.3f} ({last['val_acc']:.1%}) while the training loss fell from {best['train_eval_loss']:.4f} to "
          f"{last['train_eval_loss']:.4f}.")
    zh = (f"{len(runs)} 個隨機種子的平均:驗證損失在第 {int(best['step']) + 1:,} 次迭代時最低,為 {best['val_loss']:.3f}"
          f"(驗證準確率 {best['val_acc']:.1%});到最後第 {int(last['step']) + 1:,} 次迭代時為 {last['val_loss']:.3f}"
          f"({last['val_acc']:.1%}),而訓練損失則從 {best['train_eval_loss']:.4f} 降到 {last['train_eval_loss']:.4f}。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_early_stopping(runs: list[History], profile: str) -> None:
    ev = _mean_evaluations(runs)
    best = ev.loc[ev["val_loss"].idxmin()]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    axes[0].plot(ev["step"] + 1, ev["train_eval_loss"], color=plots.COLORS["train"], label="train")
    axes[0].plot(ev["step"] + 1, ev["val_loss"], color=plots.COLORS["val"], label="validation")
    axes[0].set_ylabel("loss")
    axes[0].set_yscale("log")
    axes[1].plot(ev["step"] + 1, ev["train_eval_acc"], color=plots.COLORS["train"], label="train")
    axes[1].plot(ev["step"] + 1, ev["val_acc"], color=plots.COLORS["val"], label="validation")
    axes[1].set_ylabel("accuracy")
    for ax in axes:
        ax.axvline(best["step"] + 1, color="k", ls="--", lw=1, label="stop here (lowest validation loss)")
        ax.set_xlabel("iteration")
        ax.legend(fontsize=8)
    fig.tight_layout()
    plots.publish(fig, "lecture-f14", profile, "digits (500 training samples)", "MLP, no regularization", runs)


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


def grid_vs_random_configs(profile: str, seeds=None) -> dict[str, list[RunConfig]]:
    """Nine trials each: a 3 × 3 grid over learning rate × weight decay, and nine log-uniform random draws
    from the same box (LR 1e-3 … 1, WD 1e-6 … 1e-3); one config per trial and seed."""
    p = profiles.get(profile)
    cfg = base(profile, steps=p.pick(60, 300, 300), eval_every=p.pick(60, 300, 300))
    lrs, wds = np.logspace(-3, 0, 3 + 2)[1:-1], np.logspace(-6, -3, 3 + 2)[1:-1]  # inside the box, as a grid is placed
    rng = np.random.default_rng(0)
    trials = {"grid": [(lr, wd) for lr in lrs for wd in wds],
              "random": list(zip(10 ** rng.uniform(-3, 0, 9), 10 ** rng.uniform(-6, -3, 9)))}
    return {kind: [cfg.replace(lr=float(lr), weight_decay=float(wd), seed=s) for lr, wd in points for s in seeds_of(p, seeds)]
            for kind, points in trials.items()}


def grid_vs_random_runs(profile: str, seeds=None) -> tuple[pd.DataFrame, dict[str, list[History]]]:
    """The nine grid and nine random trials of :func:`grid_vs_random_configs`, run."""
    rows, runs = [], {}
    for kind, configs in grid_vs_random_configs(profile, seeds).items():
        hs = sweep.run(configs, desc=f"{kind} search")
        runs[kind] = hs
        for c, h in zip(configs, hs):
            rows.append({"search": kind, "lr": c.lr, "weight_decay": c.weight_decay, "seed": c.seed,
                         "val_acc": float(_last(h)["val_acc"]), "status": h.attrs.get("status")})
    return pd.DataFrame(rows), runs


def claim_grid_vs_random(toy: dict, real: pd.DataFrame) -> claims.Verdict:
    best = real.groupby(["search", "lr", "weight_decay"])["val_acc"].mean().groupby("search").max()
    distinct = real.groupby("search")["lr"].nunique()
    verdict = claims.random_beats_grid("lecture-f15", toy["grid"], toy["random"], float(best["grid"]), float(best["random"]))
    e = verdict.evidence
    en = (f"On the function: the best of {toy['points']} trials averages {e['toy_grid']:.3f} for the grid and "
          f"{e['toy_random']:.3f} for random search (maximum 1.1), and random search does better in "
          f"{e['toy_random_wins']:.0%} of {len(toy['grid']):,} repetitions. On the MLP: the grid tries {distinct['grid']} "
          f"learning rates and reaches {best['grid']:.1%}, random search tries {distinct['random']} and reaches "
          f"{best['random']:.1%} (best validation accuracy, mean over seeds).")
    zh = (f"在函數上:{toy['points']} 次試驗中的最佳值,網格搜尋平均為 {e['toy_grid']:.3f},隨機搜尋為 {e['toy_random']:.3f}"
          f"(最大值 1.1),在 {len(toy['grid']):,} 次重複中隨機搜尋有 {e['toy_random_wins']:.0%} 較佳。在 MLP 上:網格只試了 "
          f"{distinct['grid']} 個學習率,達到 {best['grid']:.1%};隨機搜尋試了 {distinct['random']} 個,達到 {best['random']:.1%}"
          f"(最佳驗證準確率,各隨機種子的平均)。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_grid_vs_random(toy: dict, real: pd.DataFrame, runs, profile: str) -> None:
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
    summary = real.groupby(["search", "lr", "weight_decay"], as_index=False)["val_acc"].mean()
    for kind, color in (("grid", "C0"), ("random", "C3")):
        s = summary[summary["search"] == kind]
        ax.semilogx(s["lr"], s["val_acc"], "o", color=color, label=f"{kind} search")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("validation accuracy")
    ax.set_title("MLP on digits: 9 runs each", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    plots.publish(fig, "lecture-f15", profile, "digits; f(x, y) = g(x) + h(y)", "MLP",
                  [h for hs in runs.values() for h in hs])


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


def describe_coarse_to_fine(trials: pd.DataFrame) -> None:
    best = trials.groupby("stage")["val_acc"].max()
    fine = trials[trials["stage"] == "fine"]
    (lo, hi), (short, long) = trials.attrs["lr_range"], trials.attrs["epochs"]
    en = (f"Coarse: {(trials['stage'] == 'coarse').sum()} trials of {short} epochs with LR in {lo:g} … {hi:g} (step 3's range), "
          f"best {best['coarse']:.1%}. Fine: {len(fine)} trials of {long} epochs with LR {fine['lr'].min():.2g} … "
          f"{fine['lr'].max():.2g} and WD {fine['weight_decay'].min():.1e} … {fine['weight_decay'].max():.1e}, best "
          f"{best['fine']:.1%}.")
    zh = (f"粗搜尋:{(trials['stage'] == 'coarse').sum()} 次各 {short} 個 epoch 的試驗,學習率在 {lo:g} … {hi:g}(步驟 3 的範圍),"
          f"最佳 {best['coarse']:.1%}。細搜尋:{len(fine)} 次各 {long} 個 epoch 的試驗,學習率 {fine['lr'].min():.2g} … "
          f"{fine['lr'].max():.2g}、權重衰減 {fine['weight_decay'].min():.1e} … {fine['weight_decay'].max():.1e},最佳 {best['fine']:.1%}。")
    glue.text("lecture-f16-numbers", en, zh)


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


def recipe_configs(profile: str, seeds=None) -> dict[str, list[RunConfig]]:
    """Step 2's runs on 50 samples and step 3's runs at each learning rate, one per seed."""
    p = profiles.get(profile)
    seeds = seeds_of(p, seeds)
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
    configs = recipe_configs(profile, seeds)
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


def claim_recipe(r: dict) -> claims.Verdict:
    overfit_acc = float(np.mean([_last(h)["train_eval_acc"] for h in r["overfit"]]))
    verdict = claims.recipe_sanity("lecture-f18", r["initial_loss"], r["ln_c"], overfit_acc, r["good_lrs"])
    good = ", ".join(f"{lr:g}" for lr in r["good_lrs"])
    en = (f"Step 1: the initial loss is {r['initial_loss']:.3f} against ln 10 = {r['ln_c']:.3f}. Step 2: on 50 samples the "
          f"training accuracy reaches {overfit_acc:.0%}. Step 3: the training loss halves within 100 iterations at LR "
          f"{good or 'none of those tried'}.")
    zh = (f"步驟 1:初始損失為 {r['initial_loss']:.3f},ln 10 = {r['ln_c']:.3f}。步驟 2:在 50 筆樣本上訓練準確率達到 "
          f"{overfit_acc:.0%}。步驟 3:學習率為 {good or '所試的值中沒有一個'} 時,訓練損失在 100 次迭代內減半。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


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

def diagnosis_configs(profile: str, seeds=None) -> dict[str, list[RunConfig]]:
    """The runs behind the six learning curves of step 6, one config per seed each.

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
    return {name: [cfg.replace(seed=s) for s in seeds_of(p, seeds)] for name, cfg in variants.items()}


def diagnosis(profile: str, seeds=None) -> dict[str, list[History]]:
    configs = diagnosis_configs(profile, seeds)
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


def claim_diagnosis(runs: dict[str, list[History]]) -> claims.Verdict:
    n = diagnose(runs)
    verdict = claims.learning_curve_cases("lecture-f17", n)
    held = sum(verdict.evidence.values())
    b, pl, te, tl, of, uf = (n[k] for k in ("bad_init", "plateau", "decay_too_early", "train_longer", "overfitting", "underfitting"))

    def mark(case: str) -> str:
        return "✓" if verdict.evidence[case] else "✗"

    en = (f"{held} of 6 cases show what the lecture says (mean over {len(runs['reference'])} seeds). "
          f"{mark('bad_init')} Bad initialisation: the loss stays above 90% of its start for {b['flat_bad']:.0f} iterations "
          f"against {b['flat_good']:.0f} with the default initialisation, then falls to {b['final_over_initial']:.2%} of it. "
          f"{mark('plateau')} Plateau: at a constant LR the loss falls {pl['fall_before_decay']:.0%} over the quarter before "
          f"the decay point; decayed there, the run ends {pl['decay_gain']:.0%} lower. "
          f"{mark('decay_too_early')} Decay too early: without the decay the loss fell another {te['still_falling']:.0%} "
          f"between the early and the late decay points; decaying early ends {te['early_penalty']:.0%} higher than decaying late. "
          f"{mark('train_longer')} Train longer: the validation accuracy still climbs {100 * tl['slope']:.1f} points per 100 iterations "
          f"where the short run stops ({tl['stop_acc']:.1%}); six times as long reaches {tl['final_acc']:.1%}. "
          f"{mark('overfitting')} Overfitting: on 50 samples the training accuracy exceeds the validation accuracy by "
          f"{100 * of['gap']:.1f} points ({100 * of['gap_more_data']:.1f} on all 1,257). "
          f"{mark('underfitting')} Underfitting: the 2-unit model's gap is {100 * uf['gap']:+.1f} points at "
          f"{uf['train_acc']:.1%} training accuracy, against {uf['train_acc_bigger']:.1%} for the 128-unit model.")
    zh = (f"6 種情況中有 {held} 種呈現課程所說的現象({len(runs['reference'])} 個隨機種子的平均)。"
          f"{mark('bad_init')} 初始化不良:損失在 {b['flat_bad']:.0f} 次迭代內都高於起始值的 90%,預設初始化只需 "
          f"{b['flat_good']:.0f} 次,之後降到起始值的 {b['final_over_initial']:.2%}。"
          f"{mark('plateau')} 停滯:固定學習率時,損失在衰減點之前的四分之一段只下降 {pl['fall_before_decay']:.0%};"
          f"在該點衰減的執行,最後低了 {pl['decay_gain']:.0%}。"
          f"{mark('decay_too_early')} 衰減太早:不衰減時,損失在提早與較晚的衰減點之間又下降了 {te['still_falling']:.0%};"
          f"提早衰減的執行最後比晚衰減的高 {te['early_penalty']:.0%}。"
          f"{mark('train_longer')} 訓練更久:在短執行停止之處({tl['stop_acc']:.1%}),驗證準確率仍以每 100 次迭代 "
          f"{100 * tl['slope']:.1f} 個百分點的速度上升;訓練六倍長則達到 {tl['final_acc']:.1%}。"
          f"{mark('overfitting')} 過擬合:在 50 個樣本上,訓練準確率比驗證準確率高 {100 * of['gap']:.1f} 個百分點"
          f"(用全部 1,257 個樣本時為 {100 * of['gap_more_data']:.1f})。"
          f"{mark('underfitting')} 欠擬合:2 個單元的模型差距為 {100 * uf['gap']:+.1f} 個百分點,訓練準確率 {uf['train_acc']:.1%},"
          f"128 個單元的模型則為 {uf['train_acc_bigger']:.1%}。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def _smoothed_train_loss(hs: list[History], window: int) -> pd.DataFrame:
    """The minibatch training loss, mean over seeds, averaged over consecutive ``window``-iteration blocks."""
    s = pd.concat([h.dropna(subset=["train_loss"])[["step", "train_loss"]] for h in hs])
    s = s.groupby("step", as_index=False).mean()
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
RATIO_OPTIMIZERS_ZH = {"SGD + momentum 0.9": "SGD 加動量 0.9", "plain SGD": "純 SGD"}
LAYER_NAMES = {"net.1.weight": "hidden 1", "net.3.weight": "hidden 2", "net.5.weight": "output"}
RATIO_BAND = (1e-4, 1e-2)  # "around 1e-3": a decade either side


def update_ratio_configs(profile: str, seeds=None) -> dict[tuple[str, float], list[RunConfig]]:
    """The MLP at each learning rate of :data:`RATIO_LRS`, with and without momentum, logging
    ‖ΔW‖ / ‖W‖ of every weight matrix at every iteration; evaluated only at the start and the end."""
    p = profiles.get(profile)
    steps = p.pick(60, 1_000, 1_000)
    cfg = base(profile, steps=steps, eval_every=steps, log_update_ratio=True)
    return {(opt, lr): [cfg.replace(momentum=m, lr=lr, seed=s) for s in seeds_of(p, seeds)]
            for opt, m in RATIO_OPTIMIZERS.items() for lr in RATIO_LRS}


def _geometric_mean(values) -> float:
    return float(np.exp(np.mean(np.log(np.clip(np.asarray(values, dtype=float), 1e-12, None)))))


def update_ratios(profile: str, seeds=None) -> dict:
    """Runs of :func:`update_ratio_configs`, and per optimizer, learning rate and layer the median ratio over
    the first 100 iterations (the recipe's step-3 horizon: later, once the training loss nears zero, the
    gradients vanish and the ratio no longer reflects the learning rate), geometric mean over seeds; beside
    it each learning rate's final validation loss (infinite for a diverged run)."""
    p = profiles.get(profile)
    configs = update_ratio_configs(profile, seeds)
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
            ok = h.attrs.get("status") == "ok"
            loss_rows.append({"optimizer": opt, "lr": lr, "seed": h.attrs["seed"],
                              "val_loss": float(_last(h)["val_loss"]) if ok else math.inf})
    ratios = (pd.DataFrame(ratio_rows).groupby(["optimizer", "lr", "layer"], sort=False)["ratio"]
              .agg(_geometric_mean).unstack("layer")[list(LAYER_NAMES.values())])
    losses = pd.DataFrame(loss_rows).groupby(["optimizer", "lr"], sort=False)["val_loss"].agg(["mean", "min", "max"])
    return {"runs": runs, "ratios": ratios, "losses": losses, "early": early}


def _ratio_verdicts(r: dict) -> tuple[dict, dict]:
    sides, near = {}, {}
    for opt in RATIO_OPTIMIZERS:
        ratios, losses = r["ratios"].loc[opt], r["losses"].loc[opt, "mean"]
        overall = {lr: _geometric_mean(row) for lr, row in ratios.iterrows()}
        sides[opt] = claims.update_ratio_sides("lecture-f19", overall, losses.to_dict())
        near[opt] = claims.update_ratio_near_target("notes-x1", ratios.loc[losses.idxmin()].to_dict(), RATIO_BAND)
    return sides, near


def claim_update_ratio(r: dict) -> tuple[claims.Verdict, claims.Verdict]:
    """lecture-f19 (a ratio below 1e-3 means the LR is too low, above it too high) and notes-x1 (the best LR
    runs at about 1e-3), each judged for both optimizers."""
    sides, near = _ratio_verdicts(r)
    f19, x1 = claims.combine("lecture-f19", sides), claims.combine("notes-x1", near)
    en19, zh19, enx1, zhx1 = [], [], [], []
    for opt in RATIO_OPTIMIZERS:
        ratios, losses = r["ratios"].loc[opt], r["losses"].loc[opt, "mean"]
        best = float(losses.idxmin())
        wrong = [lr for lr, ok in sides[opt].evidence["agrees"].items() if not ok]
        en19.append(f"With {opt}, the best LR is {best:g} (final validation loss {losses[best]:.3f}); "
                    + ("every other LR's ratio lies on the side of 1e-3 the notes predict" if not wrong else "; ".join(
                        f"LR {lr:g} is {'below' if lr < best else 'above'} the best, yet its ratio, "
                        f"{_geometric_mean(ratios.loc[lr]):.1e}, is {'above' if lr < best else 'below'} 1e-3" for lr in wrong))
                    + ".")
        zh19.append(f"使用 {RATIO_OPTIMIZERS_ZH[opt]} 時,最佳學習率為 {best:g}(最終驗證損失 {losses[best]:.3f});"
                    + ("其他每個學習率的比值都落在筆記所預測的 1e-3 那一側" if not wrong else ";".join(
                        f"學習率 {lr:g} {'低於' if lr < best else '高於'}最佳值,其比值 {_geometric_mean(ratios.loc[lr]):.1e} "
                        f"卻{'高於' if lr < best else '低於'} 1e-3" for lr in wrong))
                    + "。")
        row = ratios.loc[best]
        nearest = min(ratios.index, key=lambda lr: abs(math.log10(_geometric_mean(ratios.loc[lr]) / 1e-3)))
        enx1.append(f"With {opt}, at the best LR, {best:g}, the ratios are {row.min():.1e} … {row.max():.1e} "
                    f"({sum(near[opt].evidence['in_band'].values())} of {len(row)} layers within {RATIO_BAND[0]:g} … "
                    f"{RATIO_BAND[1]:g}); the LR whose ratios are nearest 1e-3 is {nearest:g}, with final validation loss "
                    f"{losses[nearest]:.3f}.")
        zhx1.append(f"使用 {RATIO_OPTIMIZERS_ZH[opt]} 時,在最佳學習率 {best:g} 下,比值為 {row.min():.1e} … {row.max():.1e}"
                    f"({len(row)} 層中有 {sum(near[opt].evidence['in_band'].values())} 層落在 {RATIO_BAND[0]:g} … "
                    f"{RATIO_BAND[1]:g} 之內);比值最接近 1e-3 的學習率是 {nearest:g},其最終驗證損失為 {losses[nearest]:.3f}。")
    claims.glue_verdict(f19, " ".join(en19), "".join(zh19))
    claims.glue_verdict(x1, " ".join(enx1), "".join(zhx1))
    return f19, x1


def table_update_ratio(r: dict) -> None:
    """notes-x1's table: per optimizer and LR, the median early ratio of each layer beside the final
    validation loss (mean and range over seeds); glued as ``notes-x1-table``."""
    rows = []
    for (opt, lr), ratios in r["ratios"].iterrows():
        loss = r["losses"].loc[(opt, lr)]
        rows.append({"optimizer": opt, "lr": lr, **{layer: f"{v:.1e}" for layer, v in ratios.items()},
                     "val_loss": f"{loss['mean']:.3f} ({loss['min']:.3f} … {loss['max']:.3f})" if np.isfinite(loss["mean"]) else "diverged"})
    table = pd.DataFrame(rows)
    layers = list(LAYER_NAMES.values())

    def markdown(header: list[str], optimizer_names: dict) -> str:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for _, row in table.iterrows():
            val = row["val_loss"] if row["val_loss"] != "diverged" else optimizer_names["diverged"]
            lines.append(f"| {optimizer_names[row['optimizer']]} | {row['lr']:g} | " + " | ".join(row[l] for l in layers) + f" | {val} |")
        return "\n".join(lines)

    en = markdown(["optimizer", "LR", *(f"‖ΔW‖/‖W‖ {l}" for l in layers), "final validation loss (range)"],
                  {**{o: o for o in RATIO_OPTIMIZERS}, "diverged": "diverged"})
    zh = markdown(["最佳化器", "學習率", "‖ΔW‖/‖W‖ 第 1 隱藏層", "‖ΔW‖/‖W‖ 第 2 隱藏層", "‖ΔW‖/‖W‖ 輸出層", "最終驗證損失(範圍)"],
                  {**RATIO_OPTIMIZERS_ZH, "diverged": "發散"})
    glue.text("notes-x1-table", en, zh)


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
TRANSFER_METHODS = {
    "scratch": "from scratch",
    "probe_top": "linear classifier on the top layer (frozen)",
    "probe_early": "linear classifier on hidden layer 1 (frozen)",
    "finetune": "fine-tune all layers, LR 0.05",
    "finetune_tenth": "fine-tune all layers, LR 0.005",
    "differential": "differential LRs 0.0005 / 0.005 / 0.05",
}
TRANSFER_ZH = {
    "scratch": "從頭訓練",
    "probe_top": "在(凍結的)頂層上訓練線性分類器",
    "probe_early": "在(凍結的)第 1 隱藏層上訓練線性分類器",
    "finetune": "微調全部層,學習率 0.05",
    "finetune_tenth": "微調全部層,學習率 0.005",
    "differential": "分層學習率 0.0005 / 0.005 / 0.05",
}


def transfer_sources(profile: str, seeds=None) -> list[RunConfig]:
    """The pre-training runs: the MLP on digits 0–4 (600 training samples), one per seed, keeping their final
    weights."""
    p = profiles.get(profile)
    steps = p.pick(100, 1_000, 1_000)
    cfg = base(profile, classes=SOURCE_CLASSES, n_train=600, n_val=150, n_test=0, steps=steps,
               eval_every=p.pick(50, 250, 250), snapshot_at=(steps,))
    return [cfg.replace(seed=s) for s in seeds_of(p, seeds)]


def transfer_configs(profile: str, seeds=None) -> dict[tuple[int, str], list[RunConfig]]:
    """The runs on digits 5–9 with 5 and 100 training samples per class (validation: 300 samples), one per seed,
    each starting from the source run of the same seed. The lecture's LR, 0.05, is the source's; the 1/10 run and
    the differential rates (÷10 per layer going down) follow the lecture's fine-tuning advice."""
    p = profiles.get(profile)
    configs = {}
    for n_train in (25, 500):
        for source in transfer_sources(profile, seeds):
            target = base(profile, classes=TARGET_CLASSES, n_train=n_train, n_val=300, n_test=0, batch_size=min(50, n_train),
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
    configs = transfer_configs(profile, seeds)
    targets = [c for cs in configs.values() for c in cs]
    # as many workers as the targets' sweep will want, so that the worker pool is not restarted in between
    sources = sweep.run(transfer_sources(profile, seeds), workers=sweep.default_workers(targets), desc="pre-train on digits 0-4")
    histories = iter(sweep.run(targets, desc="transfer to digits 5-9"))
    runs = {key: [next(histories) for _ in cs] for key, cs in configs.items()}
    accuracy = {n: {m: [float(_last(h)["val_acc"]) for h in runs[(n, m)]] for m in TRANSFER_METHODS} for n in (25, 500)}
    return {"sources": sources, "runs": runs, "accuracy": accuracy}


def _acc_text(values, lang: str = "en") -> str:
    """Mean accuracy with the range over seeds."""
    if len(values) == 1:
        return f"{values[0]:.1%}"
    if max(values) - min(values) < 5e-4:
        return f"{np.mean(values):.1%} " + ("(every seed)" if lang == "en" else "(各隨機種子皆同)")
    return f"{np.mean(values):.1%} ({min(values):.1%} … {max(values):.1%})"


def claim_transfer(t: dict) -> tuple[claims.Verdict, claims.Verdict]:
    acc = t["accuracy"]
    f28 = claims.transfer_advice("lecture-f28", acc[25], acc[500])
    x7 = claims.differential_lrs("notes-x7", acc)
    e = f28.evidence
    column_en = "similar" if e["similar"] else "different"
    column_zh = "相似" if e["similar"] else "不同"
    source_acc = np.mean([_last(h)["val_acc"] for h in t["sources"]])
    en = (f"Pre-trained on digits 0–4 ({source_acc:.1%} validation accuracy). With 5 samples per class, from scratch "
          f"reaches {_acc_text(acc[25]['scratch'])} and the top-layer linear classifier {_acc_text(acc[25]['probe_top'])}: "
          f"by the table, digits 5–9 are a *{column_en}* data set for these features. Little data: "
          + (f"the top-layer classifier is {'' if e['little_data'] else 'not '}the best method"
             if e["similar"] else f"the classifier on hidden layer 1 reaches {_acc_text(acc[25]['probe_early'])}, "
             f"{'better' if e['little_data'] else 'no better'} than the top layer's")
          + f". With 100 per class, fine-tuning all layers reaches {_acc_text(acc[500]['finetune'])} against "
          f"{_acc_text(acc[500]['probe_top'])} for the linear classifier ({'✓' if e['more_data_finetune'] else '✗'}). "
          f"At 1/10 of the LR, fine-tuning reaches {_acc_text(acc[25]['finetune_tenth'])} and {_acc_text(acc[500]['finetune_tenth'])} "
          f"(5 and 100 per class) against {_acc_text(acc[25]['finetune'])} and {_acc_text(acc[500]['finetune'])} at the full LR "
          f"({'✓' if e['tenth_lr'] else '✗'}). Validation accuracy, mean (range) over {len(t['sources'])} seeds.")
    zh = (f"在數字 0–4 上預訓練(驗證準確率 {source_acc:.1%})。每類 5 個樣本時,從頭訓練達到 {_acc_text(acc[25]['scratch'], 'zh')},"
          f"頂層的線性分類器為 {_acc_text(acc[25]['probe_top'], 'zh')}:依照表格,對這些特徵而言,數字 5–9 是*{column_zh}*的資料集。"
          f"資料很少時:"
          + (f"頂層分類器{'是' if e['little_data'] else '不是'}最好的方法"
             if e["similar"] else f"第 1 隱藏層上的分類器達到 {_acc_text(acc[25]['probe_early'], 'zh')},"
             f"{'優於' if e['little_data'] else '並不優於'}頂層的分類器")
          + f"。每類 100 個樣本時,微調全部層達到 {_acc_text(acc[500]['finetune'], 'zh')},線性分類器為 "
          f"{_acc_text(acc[500]['probe_top'], 'zh')}({'✓' if e['more_data_finetune'] else '✗'})。以 1/10 的學習率微調時達到 "
          f"{_acc_text(acc[25]['finetune_tenth'], 'zh')} 與 {_acc_text(acc[500]['finetune_tenth'], 'zh')}(每類 5 與 100 個),原學習率則為 "
          f"{_acc_text(acc[25]['finetune'], 'zh')} 與 {_acc_text(acc[500]['finetune'], 'zh')}({'✓' if e['tenth_lr'] else '✗'})。"
          f"數字為驗證準確率,{len(t['sources'])} 個隨機種子的平均(範圍)。")
    claims.glue_verdict(f28, en, zh)
    sizes_en, sizes_zh = [], []
    for n, outcome in x7.evidence.items():
        best = outcome["best_single"]
        word_en = "better than" if outcome["better"] else "worse than" if outcome["worse"] else "within the seeds' spread of"
        word_zh = "優於" if outcome["better"] else "劣於" if outcome["worse"] else "在隨機種子的差異範圍內相當於"
        sizes_en.append(f"with {n // 5} samples per class the differential rates reach {_acc_text(acc[n]['differential'])}, "
                        f"{word_en} the better single rate ({TRANSFER_METHODS[best].split(', ')[1]}: {_acc_text(acc[n][best])})")
        sizes_zh.append(f"每類 {n // 5} 個樣本時,分層學習率達到 {_acc_text(acc[n]['differential'], 'zh')},{word_zh}較好的單一學習率"
                        f"({TRANSFER_ZH[best].split(',')[1]}:{_acc_text(acc[n][best], 'zh')})")
    en, zh = "; ".join(sizes_en), ";".join(sizes_zh) + "。"
    en = en[0].upper() + en[1:] + "."
    if not f28.evidence["similar"]:
        en += (" On this pair of tasks the pre-trained features are worth less than new ones (the top-layer classifier "
               "loses to training from scratch), and rates that keep the lower layers near them keep that handicap.")
        zh += "在這一對任務上,預訓練的特徵不如重新學到的特徵(頂層分類器輸給從頭訓練),而讓較低層停留在這些特徵附近的學習率也保留了這個劣勢。"
    claims.glue_verdict(x7, en, zh)
    return f28, x7


def table_transfer(t: dict) -> None:
    """The lecture's 2×2 table (its advice, quoted) with our measured data-size axis beside it; glued as
    ``lecture-f28-table``."""
    acc = t["accuracy"]

    def ours(n: int, names: dict, separator: str) -> str:
        ranked = sorted(TRANSFER_METHODS, key=lambda m: -np.mean(acc[n][m]))
        return separator.join(f"{names[m]}: {np.mean(acc[n][m]):.1%}" for m in ranked)

    en = ("| | very similar dataset | very different dataset | ours: digits 0–4 → 5–9, validation accuracy (best first) |\n"
          "|---|---|---|---|\n"
          f"| **very little data** | \"Use Linear Classifier on top layer\" | \"You're in trouble… Try linear classifier from "
          f"different stages\" | 5 per class: {ours(25, TRANSFER_METHODS, '; ')} |\n"
          f"| **quite a lot of data** | \"Finetune a few layers\" | \"Finetune a larger number of layers\" | 100 per class: "
          f"{ours(500, TRANSFER_METHODS, '; ')} |")
    zh = ("| | 非常相似的資料集 | 非常不同的資料集 | 本書:數字 0–4 → 5–9,驗證準確率(由高到低) |\n"
          "|---|---|---|---|\n"
          f"| **資料非常少** | 「在頂層使用線性分類器」 | 「麻煩大了……試著在不同階段的特徵上使用線性分類器」 | 每類 5 個:{ours(25, TRANSFER_ZH, ';')} |\n"
          f"| **資料相當多** | 「微調少數幾層」 | 「微調較多的層」 | 每類 100 個:{ours(500, TRANSFER_ZH, ';')} |")
    glue.text("lecture-f28-table", en, zh)


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

def plan(profile: str, seeds=None) -> list[RunConfig]:
    """Every run of the chapter whose config is known in advance, for :func:`hp_lib.sweep.prefetch`: all but
    the coarse-to-fine search (its range comes from step 3) and the fine-tuning runs (they need their source
    runs' weights, which :func:`transfer` computes first)."""
    groups = [early_stopping_configs(profile, seeds), *grid_vs_random_configs(profile, seeds).values(),
              *recipe_configs(profile, seeds).values(), *diagnosis_configs(profile, seeds).values(),
              *update_ratio_configs(profile, seeds).values(), transfer_sources(profile, seeds)]
    return [c for g in groups for c in g]
