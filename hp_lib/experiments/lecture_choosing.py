"""Choosing hyper-parameters, as the lecture teaches it: lecture-f14, f15, f16 and f18.

The model is the lecture's proxy, a two-layer MLP (width 128, ReLU) trained with plain SGD + momentum 0.9,
on scikit-learn's 8×8 handwritten digits (1,797 images, which ship with scikit-learn) — small enough that
the recipe's dozens of runs take about a minute, real enough that over- and underfitting show.

* lecture-f14, early stopping: the MLP on 500 digits without regularization, trained far past its best
  validation accuracy; the best snapshot is the one to keep.
* lecture-f15, grid against random search (Bergstra & Bengio 2012): on a function where one of two
  parameters matters, and on real runs where the learning rate matters and the weight decay hardly does.
* lecture-f18, the recipe's first three steps: the initial loss against ln C, overfitting a small sample,
  finding the learning rates that make the loss fall within 100 iterations.
* lecture-f16, its steps 4 and 5, coarse-to-fine random search: log-uniform learning rates (in step 3's
  range) and weight decays, about 5 epochs each, then a finer search, about 20 epochs, in the best region.
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
                     eval_every=p.pick(20, 50, 50), threads=1, device=p.device).replace(**changes)


def _last(h: History) -> pd.Series:
    return h.dropna(subset=["val_loss"]).iloc[-1]


def _mean_evaluations(runs: list[History]) -> pd.DataFrame:
    return pd.concat([h.dropna(subset=["val_loss"]) for h in runs]).groupby("step", as_index=False).mean(numeric_only=True)


# --- lecture-f14: early stopping -------------------------------------------------------------------------

def early_stopping(profile: str, seeds=None) -> list[History]:
    p = profiles.get(profile)
    cfg = base(profile, n_train=500, batch_size=50, lr=0.1, steps=p.pick(200, 4_000, 4_000), eval_every=p.pick(10, 40, 40))
    return sweep.run([cfg.replace(seed=s) for s in seeds_of(p, seeds)], desc="early stopping")


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


def grid_vs_random_runs(profile: str, seeds=None) -> tuple[pd.DataFrame, dict[str, list[History]]]:
    """Nine real runs each: a 3 × 3 grid over learning rate × weight decay, and nine log-uniform random
    draws from the same box (LR 1e-3 … 1, WD 1e-6 … 1e-3)."""
    p = profiles.get(profile)
    cfg = base(profile, steps=p.pick(60, 300, 300), eval_every=p.pick(60, 300, 300))
    lrs, wds = np.logspace(-3, 0, 3 + 2)[1:-1], np.logspace(-6, -3, 3 + 2)[1:-1]  # inside the box, as a grid is placed
    rng = np.random.default_rng(0)
    trials = {"grid": [(lr, wd) for lr in lrs for wd in wds],
              "random": list(zip(10 ** rng.uniform(-3, 0, 9), 10 ** rng.uniform(-6, -3, 9)))}
    rows, runs = [], {}
    for kind, points in trials.items():
        configs = [cfg.replace(lr=float(lr), weight_decay=float(wd), seed=s)
                   for lr, wd in points for s in seeds_of(p, seeds)]
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

def recipe(profile: str, seeds=None) -> dict:
    """Steps 1–3 of the lecture's recipe on the MLP (steps 4–5 are :func:`coarse_to_fine`).

    1. the loss at initialization (the first evaluation, before any update) against ln C;
    2. overfit 50 samples (five minibatches of 10) without regularization;
    3. on the whole training set with a small weight decay (1e-4), 100 iterations at each of the lecture's
       learning rates 0.1, 0.01, 0.001, 0.0001, and 1 to show a rate that is too large: the rates that
       make the training loss fall quickly (halve within 100 iterations) are the range for step 4.
    """
    p = profiles.get(profile)
    seeds = seeds_of(p, seeds)
    cfg = base(profile)
    small = cfg.replace(n_train=50, batch_size=10, lr=0.05, steps=p.pick(100, 500, 500), eval_every=p.pick(10, 25, 25))
    overfit = sweep.run([small.replace(seed=s) for s in seeds], desc="overfit 50 samples")
    lrs = [1.0, 1e-1, 1e-2, 1e-3, 1e-4]
    probe = cfg.replace(steps=100, eval_every=100, weight_decay=1e-4)
    points = [(lr, s) for lr in lrs for s in seeds]
    hs = sweep.run([probe.replace(lr=lr, seed=s) for lr, s in points], desc="find the LR")
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
