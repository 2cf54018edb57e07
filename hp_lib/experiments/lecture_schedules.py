"""Learning rates in practice: lecture-f8 (the four learning rates), lecture-f9 (the loss with step decay)
and notes-x2 (a learning-rate grid in steps of about 3×), from real runs.

* lecture-f8: the CS231n notes' cartoon of the loss against the epoch at a very high, a high, a low and a
  good learning rate, made from four runs of a two-layer MLP on MNIST-1D with plain SGD.
* lecture-f9: "loss with step decay": ResNet-20 on MNIST-1D, the learning rate divided by 10 at 50 % and
  75 % of the run (ResNet's schedule: ÷10 at 32k and 48k of 64k iterations).
* notes-x2: the same MLP at learning rates 1e-4, 3e-4, 1e-3, … 3: a grid whose neighbours differ by about
  3×, i.e. two points per decade.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import claims, glue, plots, profiles, sweep
from ..train import History, RunConfig
from .common import seeds_of

# one learning rate of each kind, picked from a sweep of this MLP with plain SGD (0.01 … 30): 6 and above diverge
CARTOON = {"very high": 10.0, "high": 3.0, "low": 0.01, "good": 1.0}


def _mlp(profile: str, **changes) -> RunConfig:
    p = profiles.get(profile)
    return RunConfig(dataset="mnist1d", n_train=p.pick(500, 4_000, 4_000), n_val=p.pick(200, 1_000, 1_000), n_test=0,
                     model="mlp", batch_size=100, momentum=0.0, nesterov=False, weight_decay=0.0,
                     steps=p.pick(100, 3_000, 3_000), eval_every=p.pick(20, 100, 100), threads=1,
                     device=p.device).replace(**changes)


# --- lecture-f8: four learning rates --------------------------------------------------------------------

def four_learning_rates(profile: str, seeds=None) -> dict[str, list[History]]:
    base = _mlp(profile)
    seeds = seeds_of(profiles.get(profile), seeds)
    configs = {name: [base.replace(lr=lr, seed=s) for s in seeds] for name, lr in CARTOON.items()}
    flat = sweep.run([c for cs in configs.values() for c in cs], desc="four learning rates")
    out, i = {}, 0
    for name, cs in configs.items():
        out[name], i = flat[i:i + len(cs)], i + len(cs)
    return out


def _loss_curve(h: History) -> pd.DataFrame:
    """The minibatch training loss of a run, averaged over 20 iterations (a diverged run ends with inf)."""
    rows = h.dropna(subset=["train_loss"])
    return pd.DataFrame({"step": rows["step"], "epoch": rows["epoch"],
                         "loss": rows["train_loss"].rolling(20, min_periods=1).mean()})


def cartoon_numbers(runs: dict[str, list[History]]) -> pd.DataFrame:
    """Per learning rate, mean over seeds of the minibatch training loss over the first tenth of the run, over
    its last twentieth, and its fall from the three-quarter point to the end; and how many seeds diverged
    (their loss counts as infinite)."""
    steps = max(int(h["step"].max()) + 1 for hs in runs.values() for h in hs)  # the runs that did not stop

    def window(h, lo, hi):
        part = h[(h["step"] >= lo * steps) & (h["step"] < hi * steps)]["train_loss"]
        return float(part.mean()) if h.attrs.get("status") == "ok" or hi <= 0.1 else float("inf")

    rows = []
    for name, hs in runs.items():
        early = np.mean([window(h, 0, 0.1) for h in hs])
        final = np.mean([window(h, 0.95, 1.0) for h in hs])
        three_quarter = np.mean([window(h, 0.7, 0.75) for h in hs])
        rows.append({"run": name, "lr": CARTOON[name], "early": early, "final": final,
                     "last_quarter_fall": three_quarter - final if np.isfinite(final) else 0.0,
                     "diverged": sum(h.attrs.get("status") == "diverged" for h in hs), "seeds": len(hs)})
    return pd.DataFrame(rows).set_index("run")


def claim_cartoon(numbers: pd.DataFrame) -> claims.Verdict:
    verdict = claims.four_learning_rates("lecture-f8", numbers)
    parts = "; ".join(f"{name} (LR {r.lr:g}): {'diverged in ' + str(r.diverged) + '/' + str(r.seeds) + ' seeds, ' if r.diverged else ''}"
                      f"{r.early:.3f} after a tenth, {r.final:.3f} at the end" for name, r in numbers.iterrows())
    names_zh = {"very high": "很高", "high": "高", "low": "低", "good": "好"}
    parts_zh = ";".join(f"{names_zh[name]}(學習率 {r.lr:g}):{str(r.diverged) + '/' + str(r.seeds) + ' 個種子發散,' if r.diverged else ''}"
                        f"十分之一處 {r.early:.3f},最後 {r.final:.3f}" for name, r in numbers.iterrows())
    claims.glue_verdict(verdict, f"Minibatch training loss, mean over seeds — {parts}.",
                        f"小批次訓練損失,各種子平均——{parts_zh}。")
    return verdict


def figure_cartoon(runs: dict[str, list[History]], profile: str) -> None:
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    colors = {"very high": "gold", "high": "C2", "low": "C0", "good": "C3"}
    top = 2.0 * max(float(h["train_loss"].dropna().iloc[0]) for hs in runs.values() for h in hs)
    for name, hs in runs.items():
        for k, h in enumerate(hs):
            c = _loss_curve(h)
            y = c["loss"].clip(upper=top)
            ax.plot(c["epoch"], y, color=colors[name], lw=1.4, alpha=0.9,
                    label=f"{name} learning rate ({CARTOON[name]:g})" if k == 0 else None)
            if h.attrs.get("status") == "diverged":
                ax.plot(c["epoch"].iloc[-1], top, "x", color=colors[name], ms=9, mew=2)
    ax.set_ylim(0, top * 1.02)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (minibatch)")
    ax.legend(fontsize=8)
    plots.publish(fig, "lecture-f8", profile, "MNIST-1D", "MLP, plain SGD", [h for hs in runs.values() for h in hs])


# --- lecture-f9: step decay ----------------------------------------------------------------------------

def step_decay(profile: str, seeds=None) -> tuple[RunConfig, list[History]]:
    p = profiles.get(profile)
    steps = p.pick(120, 1_600, 64_000)
    cfg = RunConfig(dataset=p.pick("mnist1d", "mnist1d", "cifar10"), n_train=p.pick(500, 4_000, 50_000),
                    n_val=p.pick(200, 1_000, 10_000), n_test=0, model="resnet20", batch_size=128, momentum=0.9,
                    weight_decay=1e-4, steps=steps, eval_every=p.pick(20, 50, 500), threads=p.threads, device=p.device,
                    lr={"name": "multistep", "value": 0.1, "milestones": [steps // 2, steps * 3 // 4], "gamma": 0.1})
    return cfg, sweep.run([cfg.replace(seed=s) for s in seeds_of(profiles.get(profile), seeds)], desc="step decay")


def step_drops(cfg: RunConfig, runs: list[History], window: float = 0.05) -> pd.DataFrame:
    """The mean minibatch training loss over the ``window`` (share of the run) before and after each decay."""
    w = max(2, int(window * cfg.steps))
    rows = []
    for m in cfg.lr["milestones"]:
        before = np.mean([h[(h["step"] >= m - w) & (h["step"] < m)]["train_loss"].mean() for h in runs])
        after = np.mean([h[(h["step"] >= m) & (h["step"] < m + w)]["train_loss"].mean() for h in runs])
        rows.append({"milestone": m, "before": float(before), "after": float(after)})
    return pd.DataFrame(rows)


def claim_step_decay(drops: pd.DataFrame) -> claims.Verdict:
    verdict = claims.loss_drops_at_decay("lecture-f9", drops)
    en = "; ".join(f"at iteration {r.milestone:,}: {r.before:.3f} → {r.after:.3f}" for r in drops.itertuples())
    zh = ";".join(f"第 {r.milestone:,} 次迭代:{r.before:.3f} → {r.after:.3f}" for r in drops.itertuples())
    claims.glue_verdict(verdict, f"Mean training loss just before and just after each decay — {en}.",
                        f"每次衰減前後的平均訓練損失——{zh}。")
    return verdict


def figure_step_decay(cfg: RunConfig, runs: list[History], profile: str) -> None:
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for h in runs:
        smooth = h["train_loss"].rolling(max(1, cfg.steps // 100), min_periods=1).mean()
        ax.plot(h["step"] + 1, smooth, color=plots.COLORS["train"], lw=1, alpha=0.8)
    for m in cfg.lr["milestones"]:
        ax.axvline(m, color="k", ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("training loss (minibatch, smoothed)")
    ax.set_title("LR 0.1, ÷10 at 50 % and 75 % of the run", fontsize=10)
    plots.publish(fig, "lecture-f9", profile, "MNIST-1D", "ResNet-20", runs)


# --- notes-x2: a learning-rate grid in steps of 3× -------------------------------------------------------

GRID_3X = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0]


def lr_grid(profile: str, seeds=None) -> tuple[pd.DataFrame, list[History]]:
    base = _mlp(profile, momentum=0.9, nesterov=True, steps=profiles.get(profile).pick(100, 1_500, 3_000))
    seeds = seeds_of(profiles.get(profile), seeds)
    points = [(lr, s) for lr in GRID_3X for s in seeds]
    hs = sweep.run([base.replace(lr=lr, seed=s) for lr, s in points], desc="LR grid")
    rows = []
    for (lr, s), h in zip(points, hs):
        last = h.dropna(subset=["val_loss"]).iloc[-1]
        rows.append({"lr": lr, "seed": s, "val_loss": float(last["val_loss"]), "val_acc": float(last["val_acc"]),
                     "diverged": h.attrs.get("status") == "diverged"})
    return pd.DataFrame(rows), hs


def describe_lr_grid(grid: pd.DataFrame) -> None:
    by_lr = grid.groupby("lr").agg(val_acc=("val_acc", "mean"), diverged=("diverged", "sum"))
    best = by_lr["val_acc"].idxmax()
    ok = by_lr[by_lr["val_acc"] >= by_lr["val_acc"].max() - 0.02].index
    en = (f"Best at LR {best:g} ({by_lr.loc[best, 'val_acc']:.1%}); within 2 points of it: LR {ok.min():g} … {ok.max():g}; "
          f"diverged: {', '.join(f'{lr:g}' for lr in by_lr.index[by_lr['diverged'] > 0]) or 'none'}.")
    zh = (f"最佳為學習率 {best:g}({by_lr.loc[best, 'val_acc']:.1%});與最佳相差 2 個百分點以內:學習率 {ok.min():g} … "
          f"{ok.max():g};發散:{', '.join(f'{lr:g}' for lr in by_lr.index[by_lr['diverged'] > 0]) or '無'}。")
    glue.text("notes-x2-numbers", en, zh)


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
