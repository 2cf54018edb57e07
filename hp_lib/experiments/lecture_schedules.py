"""Learning rates in practice: lecture-f8 (the four learning rates), lecture-f9 (the loss with step decay)
and notes-x2 (a learning-rate grid in steps of about 3×), from real runs.

* lecture-f8: the CS231n notes' cartoon of the loss against the epoch at a very high, a high, a low and a
  good learning rate, made from four runs of a two-layer MLP on MNIST-1D with plain SGD.
* lecture-f9: "loss with step decay": ResNet-20 on MNIST-1D, the learning rate divided by 10 at 50 % and
  75 % of the run (ResNet's schedule: ÷10 at 32k and 48k of 64k iterations).
* notes-x2: the same MLP at learning rates 1e-4, 3e-4, 1e-3, … 3: a grid whose neighbours differ by about
  3×, i.e. two points per decade.
* notes-x3: reduce on plateau (CS231n notes): the same MLP on more data, its LR halved whenever the validation
  loss stops improving (a :class:`hp_lib.schedules.ReduceOnPlateau` scale, floor 1/1024), against the LR held
  constant and a step schedule.
* notes-x4: Goyal et al. 2017's linear scaling rule with gradual warmup: a six-layer MLP without normalization
  at batch sizes 32 … 512 with the LR proportional to the batch, the same number of epochs, with and without
  a linear warmup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import claims, glue, plots, profiles, sweep
from ..train import History, RunConfig
from .common import Grid, over_seeds, run_grid, seeds_of

# one learning rate of each kind, picked from a sweep of this MLP with plain SGD (0.01 … 30): 6 and above diverge
CARTOON = {"very high": 10.0, "high": 3.0, "low": 0.01, "good": 1.0}


def _mlp(profile: str, **changes) -> RunConfig:
    p = profiles.get(profile)
    return RunConfig(dataset="mnist1d", n_train=p.pick(500, 4_000, 4_000), n_val=p.pick(200, 1_000, 1_000), n_test=0,
                     model="mlp", batch_size=100, momentum=0.0, nesterov=False, weight_decay=0.0,
                     steps=p.pick(100, 3_000, 3_000), eval_every=p.pick(20, 100, 100), train_probe=False, threads=1,
                     **p.accelerator).replace(**changes)


# --- lecture-f8: four learning rates --------------------------------------------------------------------

def four_learning_rates_configs(profile: str, seeds=None) -> dict[str, list[RunConfig]]:
    base = _mlp(profile)
    seeds = seeds_of(profiles.get(profile), seeds)
    return {name: [base.replace(lr=lr, seed=s) for s in seeds] for name, lr in CARTOON.items()}


def four_learning_rates(profile: str, seeds=None) -> dict[str, list[History]]:
    configs = four_learning_rates_configs(profile, seeds)
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

def step_decay_config(profile: str) -> RunConfig:
    p = profiles.get(profile)
    steps = p.pick(120, 1_600, 64_000)
    return RunConfig(dataset=p.pick("mnist1d", "mnist1d", "cifar10"), n_train=p.pick(500, 4_000, 50_000),
                     n_val=p.pick(200, 1_000, 10_000), n_test=0, model="resnet20", batch_size=128, momentum=0.9,
                     weight_decay=1e-4, steps=steps, eval_every=p.pick(20, 50, 500), train_probe=False, threads=p.threads,
                     **p.accelerator,
                     lr={"name": "multistep", "value": 0.1, "milestones": [steps // 2, steps * 3 // 4], "gamma": 0.1})


def step_decay(profile: str, seeds=None) -> tuple[RunConfig, list[History]]:
    cfg = step_decay_config(profile)
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


def lr_grid_points(profile: str, seeds=None) -> list[tuple[float, int, RunConfig]]:
    base = _mlp(profile, momentum=0.9, nesterov=True, steps=profiles.get(profile).pick(100, 1_500, 3_000))
    seeds = seeds_of(profiles.get(profile), seeds)
    return [(lr, s, base.replace(lr=lr, seed=s)) for lr in GRID_3X for s in seeds]


def lr_grid(profile: str, seeds=None) -> tuple[pd.DataFrame, list[History]]:
    points = lr_grid_points(profile, seeds)
    hs = sweep.run([cfg for _, _, cfg in points], desc="LR grid")
    rows = []
    for (lr, s, _), h in zip(points, hs):
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


# --- notes-x3: halve the learning rate on a plateau -------------------------------------------------------

PLATEAU = {"factor": 0.5, "patience": 2}  # halve after 3 evaluations in a row without a new best (floor: 1/1024)
PLATEAU_LABELS = {"constant": "constant LR", "plateau": "×0.5 on each plateau", "step": "step decay (÷10 at 50 %, 75 %)"}
PLATEAU_COLORS = {"constant": "C7", "plateau": "C0", "step": "C1"}


def plateau_setup(profile: str, seeds=None) -> Grid:
    """lecture-f8's two-layer MLP with plain SGD at its good learning rate, 1, on 16,000 MNIST-1D samples (four
    times lecture-f8's, so that the validation loss stalls from the noise of the steps rather than turning up
    from overfitting): the LR held constant, halved whenever the validation loss stops improving, and divided by
    10 at 50 % and 75 % of the run."""
    p = profiles.get(profile)
    steps = p.pick(100, 3_000, 30_000)
    base = _mlp(profile, lr=1.0, n_train=p.pick(500, 16_000, 60_000), n_val=p.pick(200, 2_000, 5_000), steps=steps,
                eval_every=p.pick(10, 100, 500), log_every=p.pick(1, 10, 10))
    variants = {"constant": base,
                "plateau": base.replace(lr_plateau=PLATEAU),
                "step": base.replace(lr={"name": "multistep", "value": 1.0, "milestones": [steps // 2, steps * 3 // 4],
                                         "gamma": 0.1})}
    return over_seeds(variants, seeds_of(p, seeds))


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


def claim_plateau(numbers: pd.DataFrame) -> claims.Verdict:
    by = {v: numbers[numbers["variant"] == v] for v in PLATEAU_LABELS}
    verdict = claims.plateau_halving_helps("notes-x3", by["plateau"]["final_val_loss"].tolist(),
                                           by["constant"]["final_val_loss"].tolist(), by["plateau"]["halvings"].tolist())

    def loss(v):
        s = by[v]["final_val_loss"]
        return f"{s.mean():.3f} ({s.min():.3f} … {s.max():.3f})"

    halves = ", ".join(str(n) for n in by["plateau"]["halvings"])
    first = ", ".join(f"{c:,}" for c in by["plateau"]["first_cut"].dropna().astype(int))
    final_lr = ", ".join(f"1/{1 / x:g}" for x in by["plateau"]["final_lr"])
    en = (f"Final validation loss, mean (range) over {len(by['plateau'])} seeds — constant LR {loss('constant')}, "
          f"halving on plateaus {loss('plateau')}, step decay {loss('step')}. Halvings per seed: {halves} (the first "
          f"after {first} iterations), ending at LR {final_lr} of the initial one; the floor of 1/1024 (10 halvings) "
          f"{'was' if by['plateau']['halvings'].max() >= 10 else 'was not'} reached within the run.")
    zh = (f"最終驗證損失,{len(by['plateau'])} 個隨機種子的平均(範圍)——固定學習率 {loss('constant')},停滯時減半 "
          f"{loss('plateau')},階梯衰減 {loss('step')}。各種子的減半次數:{halves}(第一次在 {first} 次迭代後),最後的學習率為"
          f"初始值的 {final_lr};在這次執行中{'已' if by['plateau']['halvings'].max() >= 10 else '未'}降到 1/1024"
          f"(10 次減半)的下限。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


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
    up to), so that batch has only the runs without it and serves both lines."""
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
    seeds = seeds_of(p, seeds)
    configs = {}
    for batch in batches:
        k = batch // batches[0]
        per_epoch = n_train // batch
        steps = epochs * per_epoch
        decayed = {"name": "multistep", "value": BASE_LR * k, "milestones": [steps // 2, steps * 3 // 4], "gamma": 0.1}
        cfg = RunConfig(dataset="mnist1d", n_train=n_train, n_val=p.pick(200, 2_000, 5_000), n_test=0, model="mlp",
                        model_kwargs=SCALING_MLP, batch_size=batch, lr=decayed, momentum=0.9, nesterov=False,
                        weight_decay=0.0, steps=steps, eval_every=max(1, steps // 20), log_every=max(1, per_epoch // 10),
                        train_probe=False, threads=1, **p.accelerator)
        configs[(batch, False)] = [cfg.replace(seed=s) for s in seeds]
        if k > 1:
            warmed = {"name": "linear_warmup", "schedule": decayed, "warmup_steps": warmup_epochs * per_epoch,
                      "start_factor": 1 / k}
            configs[(batch, True)] = [cfg.replace(lr=warmed, seed=s) for s in seeds]
    return LinearScaling(batches, epochs, warmup_epochs, configs)


def linear_scaling_runs(setup: LinearScaling) -> dict[tuple[int, bool], list[History]]:
    histories = iter(sweep.run(setup.all(), desc="linear scaling"))
    runs = {key: [next(histories) for _ in cfgs] for key, cfgs in setup.configs.items()}
    runs[(setup.batches[0], True)] = runs[(setup.batches[0], False)]  # the same runs: no warmup to do
    return runs


def final_accuracy(h: History) -> float:
    """The last validation accuracy of a run; 0 for a run that diverged (it has no final model)."""
    return float(h.dropna(subset=["val_acc"])["val_acc"].iloc[-1]) if h.attrs.get("status") == "ok" else 0.0


def linear_scaling_numbers(runs: dict[tuple[int, bool], list[History]]) -> pd.DataFrame:
    rows = [{"batch": batch, "warmup": warmup, "seed": h.attrs["seed"], "final_val_acc": final_accuracy(h),
             "diverged": h.attrs.get("status") == "diverged"}
            for (batch, warmup), hs in runs.items() for h in hs]
    return pd.DataFrame(rows).sort_values(["warmup", "batch", "seed"], ignore_index=True)


def claim_linear_scaling(numbers: pd.DataFrame) -> claims.Verdict:
    mean = numbers.groupby(["warmup", "batch"])["final_val_acc"].mean()
    smallest, largest = int(numbers["batch"].min()), int(numbers["batch"].max())
    warm = {int(b): float(a) for b, a in mean[True].items() if b != smallest}
    cold = {int(b): float(a) for b, a in mean[False].items() if b != smallest}
    verdict = claims.linear_scaling_warmup("notes-x4", float(mean[False][smallest]), warm, cold)
    diverged = numbers[numbers["diverged"]].groupby(["warmup", "batch"]).size()

    def row(w: bool, lang: str) -> str:
        parts = []
        for b, a in (warm if w else cold).items():
            d = int(diverged.get((w, b), 0))
            note = (f" ({d} diverged)" if lang == "en" else f"({d} 次發散)") if d else ""
            parts.append(f"{b}: {a:.1%}{note}")
        return ", ".join(parts)

    n = numbers["seed"].nunique()
    en = (f"Final validation accuracy, mean over {n} seeds — batch {smallest} (LR {BASE_LR:g}): "
          f"{mean[False][smallest]:.1%}; with warmup, batch {row(True, 'en')}; without, batch {row(False, 'en')}. "
          f"At batch {largest} (LR {BASE_LR * largest / smallest:g}) warmup changes the accuracy by "
          f"{100 * (warm[largest] - cold[largest]):+.1f} points.")
    zh = (f"最終驗證準確率,{n} 個隨機種子的平均——批次量 {smallest}(學習率 {BASE_LR:g}):{mean[False][smallest]:.1%};"
          f"有暖身時,批次量 {row(True, 'zh')};沒有暖身時,批次量 {row(False, 'zh')}。在批次量 {largest}"
          f"(學習率 {BASE_LR * largest / smallest:g})時,暖身使準確率改變 {100 * (warm[largest] - cold[largest]):+.1f} 個百分點。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


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
    ax.set_title("mean and range over seeds (× = diverged, counted as 0)", fontsize=9)

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


def plan(profile: str, seeds=None) -> list[RunConfig]:
    """Every run of the chapter, for :func:`hp_lib.sweep.prefetch`."""
    p = profiles.get(profile)
    configs = [c for cs in four_learning_rates_configs(profile, seeds).values() for c in cs]
    configs += [step_decay_config(profile).replace(seed=s) for s in seeds_of(p, seeds)]
    configs += [cfg for _, _, cfg in lr_grid_points(profile, seeds)]
    configs += plateau_setup(profile, seeds).all() + linear_scaling_setup(profile, seeds).all()
    return configs
