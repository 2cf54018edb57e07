"""Regularization, as the lecture teaches it: lecture-f20 … f26.

The lecture's pattern is "add randomness at training time, average it out at test time"; this module runs
each of its regularizers on small real problems and draws the rest by code:

* the MLP of the other lecture chapters (two hidden layers of 128 ReLU units, SGD with momentum 0.9, batch
  50), on a 5,000-image subset of Fashion-MNIST with a cosine-annealed learning rate 0.05 → 0 over 2,000
  iterations (20 epochs). On scikit-learn's digits this MLP already reaches about 98 %, which leaves too
  little error for an ensemble or a regularizer to remove on 180 validation images; Fashion-MNIST leaves
  about 14 %. Every run keeps its final weights (ensembles, weight histograms, Monte-Carlo dropout) and an
  exponential moving average of them (Polyak averaging).
* LeNet on 2,000 Fashion-MNIST images for the data augmentations (flips, crops, cutout, mixup): they act on
  pixels, and a convolutional network is what they are designed for.
* ResNet-20 in its 1-D form on MNIST-1D for stochastic depth (it needs a residual network; the book's
  1-D analog keeps it cheap).
* Pictures: scikit-learn's sample photograph ``china.jpg`` and Fashion-MNIST images, transformed with
  :mod:`hp_lib.regularize`; fractional max pooling with ``torch.nn.FractionalMaxPool2d``.

Items: lecture-f20 ensembles, snapshot ensembles, EMA; f21 L1 / L2 / elastic net; f22 dropout (diagram,
expectation, vanilla against inverted); f23 the common pattern and Monte-Carlo averaging; f24 data
augmentation; f25 DropConnect, fractional max pooling, stochastic depth; f26 cutout and mixup.
"""

from __future__ import annotations

import functools
import itertools
import math
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, NullFormatter
from torch import nn

from .. import cache, claims, models, plots, profiles, regularize
from .. import data as data_lib
from ..train import History, RunConfig
from .common import DATASET_NAMES, Grid, over_seeds, run_grid, seeds_of

FASHION_CLASSES = ("T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")
NEAR_ZERO = 1e-3  # |w| below this counts as zero: about 1/20 of the first layer's initial standard deviation (0.02)
DROP = 0.5        # the lecture's dropout probability ("usually set to 0.5")


def _single_threaded(fn):
    """Run ``fn`` with one torch thread: the chapter's evaluations are many small operations, and they run
    while the sweep's workers train on the other cores, where two threads spend more time waiting for each
    other than computing (measured: 50 times slower on a busy 2-core machine)."""
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return fn(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)
    return wrapped


def _cosine(peak: float, steps: int) -> dict:
    return {"name": "cosine", "value": peak, "total_steps": steps}


def mlp(profile: str, **changes) -> RunConfig:
    """The MLP on Fashion-MNIST; every run keeps its final weights and an EMA of them."""
    p = profiles.get(profile)
    steps = p.pick(60, 2_000, 20_000)
    return RunConfig(dataset="fashion_mnist", n_train=p.pick(500, 5_000, 55_000), n_val=p.pick(500, 2_000, 5_000),
                     n_test=0, model="mlp", batch_size=p.pick(50, 50, 128), lr=_cosine(0.05, steps), momentum=0.9,
                     nesterov=False, weight_decay=0.0, steps=steps, eval_every=p.pick(30, 200, 1_000),
                     ema=p.pick(0.9, 0.99, 0.999), snapshot_at=(steps,), train_probe=False, threads=p.threads,
                     **p.accelerator).replace(**changes)


def lenet(profile: str, **changes) -> RunConfig:
    """LeNet on a small Fashion-MNIST subset, long enough to overfit it: the augmentations' proxy."""
    p = profiles.get(profile)
    steps = p.pick(10, 1_000, 20_000)
    # at smoke the MLP's data sizes, so that a worker reads Fashion-MNIST once
    return RunConfig(dataset="fashion_mnist", n_train=p.pick(500, 2_000, 55_000), n_val=p.pick(500, 2_000, 5_000),
                     n_test=0, model="lenet", batch_size=p.pick(50, 50, 128), lr=_cosine(0.02, steps), momentum=0.9,
                     nesterov=False, weight_decay=0.0, steps=steps, eval_every=p.pick(10, 250, 1_000),
                     train_probe=False, threads=p.threads, **p.accelerator).replace(**changes)


def resnet(profile: str, **changes) -> RunConfig:
    """ResNet-20 (1-D form) on MNIST-1D (full: ResNet-56 on CIFAR-10 with flips and crops, as in Huang et al. 2016)."""
    p = profiles.get(profile)
    steps = p.pick(10, 800, 32_000)
    return RunConfig(dataset=p.pick("mnist1d", "mnist1d", "cifar10"), n_train=p.pick(300, 4_000, None),
                     n_val=p.pick(200, 1_000, None), n_test=p.pick(0, 0, None), model=p.pick("resnet20", "resnet20", "resnet56"),
                     batch_size=p.pick(50, 50, 128), lr=_cosine(p.pick(0.05, 0.05, 0.1), steps), momentum=0.9,
                     nesterov=False, weight_decay=p.pick(0.0, 0.0, 1e-4), steps=steps, eval_every=p.pick(5, 100, 1_000),
                     augment=p.pick({}, {}, {"flip": True, "crop": 4}), train_probe=False, threads=p.threads,
                     **p.accelerator).replace(**changes)


# --- the runs of the chapter -------------------------------------------------------------------------------

def ensemble_setup(profile: str, seeds=None) -> Grid:
    """``members``: independently seeded MLPs (the profile's seeds first); ``SGDR, M cycles``: one run per seed
    of the same length with M cosine cycles (SGDR), keeping its weights at the end of every cycle for a snapshot
    ensemble (Huang et al. 2017)."""
    p = profiles.get(profile)
    n_members = p.pick(2, 5, 5)
    member_seeds = tuple(dict.fromkeys(seeds_of(p, seeds) + tuple(range(100))))[:n_members]
    base = mlp(profile)
    configs = {"members": [base.replace(seed=s) for s in member_seeds]}
    for cycles in p.pick((2,), (2, 4), (2, 5)):
        cycle = base.steps // cycles
        sgdr = base.replace(lr={"name": "sgdr", "max_lr": 0.05, "t0": cycle},
                            snapshot_at=tuple(cycle * (i + 1) for i in range(cycles)))
        configs[f"SGDR, {cycles} cycles"] = [sgdr.replace(seed=s) for s in seeds_of(p, seeds)]
    return Grid(configs)


PENALTIES = {"none": {}, "L2": {"weight_decay": 3e-3}, "L1": {"l1": 3e-4}, "elastic net": {"l1": 1e-4, "weight_decay": 1e-3}}


def penalty_setup(profile: str, seeds=None) -> Grid:
    """The MLP without a penalty, with L2 (SGD's weight decay λ: the penalty λ/2·Σw²), L1 (λ·Σ|w|) and both."""
    p = profiles.get(profile)
    return over_seeds({name: mlp(profile, **changes) for name, changes in PENALTIES.items()}, seeds_of(p, seeds))


def dropout_setup(profile: str, seeds=None) -> Grid:
    """No dropout, vanilla dropout (scaled at test time) and inverted dropout (scaled at training time), both
    dropping half the hidden units, and DropConnect dropping half the hidden layers' weights; same seeds."""
    p = profiles.get(profile)
    variants = {"none": mlp(profile),
                "vanilla dropout": mlp(profile, model_kwargs={"dropout": DROP, "dropout_kind": "vanilla"}),
                "inverted dropout": mlp(profile, model_kwargs={"dropout": DROP}),
                "DropConnect": mlp(profile, model_kwargs={"dropconnect": DROP})}
    return over_seeds(variants, seeds_of(p, seeds))


def augment_setup(profile: str, seeds=None) -> Grid:
    """LeNet without augmentation, with flips, with crops (2 pixels of padding), both; with cutout (8×8) and mixup
    (α = 1, Zhang et al.'s value for CIFAR-10)."""
    p = profiles.get(profile)
    variants = {"none": {}, "flip": {"flip": True}, "crop": {"crop": 2}, "flip + crop": {"flip": True, "crop": 2},
                "cutout 8": {"cutout": 8}, "mixup 1.0": {"mixup": 1.0}}
    if profile == "smoke":  # the test suite: flips and crops only together
        variants = {k: v for k, v in variants.items() if k not in ("flip", "crop")}
    return over_seeds({name: lenet(profile, augment=spec) for name, spec in variants.items()}, seeds_of(p, seeds))


def depth_setup(profile: str, seeds=None) -> Grid:
    """The ResNet without and with stochastic depth (last block's drop probability 0.5, linear rule)."""
    p = profiles.get(profile)
    return over_seeds({"no drop": resnet(profile), "stochastic depth 0.5": resnet(profile, model_kwargs={"drop_path": 0.5})},
                      seeds_of(p, seeds))


def plan(profile: str, seeds=None) -> list[RunConfig]:
    """Every run of the chapter, for :func:`hp_lib.sweep.prefetch`."""
    grids = [make(profile, seeds) for make in (ensemble_setup, penalty_setup, dropout_setup, augment_setup, depth_setup)]
    return list({c.to_dict().__repr__(): c for g in grids for c in g.all()}.values())


# --- evaluating saved weights ------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _load(dataset: str, n_train, n_val, n_test, data_seed: int, device: str, classes):
    return data_lib.load(dataset, n_train, n_val, n_test, seed=data_seed, device=device, classes=classes)


def _data(cfg: RunConfig) -> data_lib.Dataset:
    """The run's data, loaded once (the evaluations below ask for it many times)."""
    return _load(cfg.dataset, cfg.n_train, cfg.n_val, cfg.n_test, cfg.data_seed, cfg.device, cfg.classes)


def final_model(cfg: RunConfig, history: History, step: int | None = None, weights: str = "model") -> nn.Module:
    """The network of run ``cfg`` after ``step`` updates (default: the end), in eval mode; ``weights="ema"``
    gives its moving average instead."""
    data = _data(cfg)
    model = models.build(cfg.model, data.input_shape, data.num_classes, **cfg.model_kwargs).to(cfg.device)
    model.load_state_dict(cache.load_snapshot(history.attrs["cache_key"], step or cfg.steps)[weights])
    return model.eval()


@torch.no_grad()
def val_probabilities(model: nn.Module, cfg: RunConfig) -> torch.Tensor:
    data = _data(cfg)
    return torch.cat([F.softmax(model(data.x_val[i:i + 1_000]), 1) for i in range(0, len(data.y_val), 1_000)])


def accuracy(probabilities: torch.Tensor, cfg: RunConfig) -> float:
    return float((probabilities.argmax(1) == _data(cfg).y_val).float().mean())


def _final(h: History, column: str = "val_acc") -> float:
    return float(h.dropna(subset=["val_acc"])[column].iloc[-1])


def _per_seed(runs: dict[str, list[History]], column: str = "val_acc") -> dict[str, list[float]]:
    return {name: [_final(h, column) for h in hs] for name, hs in runs.items()}


# --- lecture-f20: ensembles, snapshot ensembles, weight averaging -----------------------------------------

@_single_threaded
def ensembles(profile: str, seeds=None) -> dict:
    """Average the softmax outputs of k of the independent models (every subset of size k, then the mean),
    and of the snapshots at the ends of each SGDR run's cycles (the last j); the EMA curves come with the
    members' histories."""
    grid = ensemble_setup(profile, seeds)
    runs = run_grid(grid, "ensembles")
    members = grid.configs["members"]
    cfg = members[0]
    probs = [val_probabilities(final_model(c, h), c) for c, h in zip(members, runs["members"])]
    single = [accuracy(p, cfg) for p in probs]
    by_size = pd.DataFrame([{"k": k, "acc": np.mean([accuracy(torch.stack([probs[i] for i in subset]).mean(0), cfg)
                                                     for subset in itertools.combinations(range(len(probs)), k)])}
                            for k in range(1, len(probs) + 1)])
    rows = []
    for name in grid.configs:
        if name == "members":
            continue
        for c, h in zip(grid.configs[name], runs[name]):
            snaps = [val_probabilities(final_model(c, h, step), c) for step in c.snapshot_at]
            for j, step in enumerate(c.snapshot_at):
                rows.append({"schedule": name, "cycles": len(c.snapshot_at), "seed": c.seed, "cycle": j + 1, "step": step,
                             "snapshot_acc": accuracy(snaps[j], c),
                             "ensemble_acc": accuracy(torch.stack(snaps[:j + 1]).mean(0), c)})
    return {"single": single, "by_size": by_size, "snapshots": pd.DataFrame(rows), "runs": runs, "grid": grid}


def _ema_means(members: list[History]) -> dict[str, float]:
    """Raw and EMA validation loss and accuracy, mean over the seeds and over the second half's evaluations."""
    ev = pd.concat([h.dropna(subset=["val_acc"]) for h in members])
    late = ev[ev["step"] + 1 >= ev["step"].max() / 2]
    return {k: float(late[k].mean()) for k in ("val_loss", "ema_val_loss", "val_acc", "ema_val_acc")}


def claim_ensembles(r: dict) -> list[claims.Verdict]:
    single, k_max = np.mean(r["single"]), r["by_size"]["k"].max()
    full = float(r["by_size"].set_index("k").loc[k_max, "acc"])
    v_ens = claims.ensemble_beats_single("lecture-f20-ensemble", r["single"], full)
    gain = full - single
    en = (f"{k_max} independently seeded MLPs reach {single:.1%} on average (from {min(r['single']):.1%} to "
          f"{max(r['single']):.1%}); the average of their softmax outputs reaches {full:.1%}: {100 * gain:+.1f} points, "
          f"against the lecture's +2.")
    zh = (f"{k_max} 個以不同隨機種子獨立訓練的 MLP 平均達到 {single:.1%}(從 {min(r['single']):.1%} 到 "
          f"{max(r['single']):.1%});平均它們的 softmax 輸出則達到 {full:.1%}:{100 * gain:+.1f} 個百分點,課程的數字是 +2。")
    claims.glue_verdict(v_ens, en, zh)

    snaps = r["snapshots"]
    last = snaps[snaps["cycle"] == snaps["cycles"]].groupby("cycles")[["ensemble_acc", "snapshot_acc"]].mean()
    per_cycles = {f"{m} cycles": claims.snapshot_ensemble_gain("lecture-f20-snapshot", float(single),
                                                               float(last.loc[m, "ensemble_acc"]), gain)
                  for m in last.index}
    v_snap = claims.combine("lecture-f20-snapshot", per_cycles)
    n = snaps["seed"].nunique()
    parts_en = [f"with {m} cycles of {r['grid'].configs['members'][0].steps // m:,} iterations the {m} snapshots "
                f"averaged reach {last.loc[m, 'ensemble_acc']:.1%} ({100 * (last.loc[m, 'ensemble_acc'] - single):+.1f} points; "
                f"the last snapshot alone {last.loc[m, 'snapshot_acc']:.1%})" for m in last.index]
    parts_zh = [f"{m} 個各 {r['grid'].configs['members'][0].steps // m:,} 次迭代的週期時,平均 {m} 個快照達到 "
                f"{last.loc[m, 'ensemble_acc']:.1%}({100 * (last.loc[m, 'ensemble_acc'] - single):+.1f} 個百分點;"
                f"單看最後一個快照為 {last.loc[m, 'snapshot_acc']:.1%})" for m in last.index]
    en = (f"One SGDR run as long as a single run (mean over {n} seed{'s' if n > 1 else ''}): " + "; ".join(parts_en)
          + f". The single cosine-annealed run reaches {single:.1%}, {k_max} independent runs averaged "
          f"{100 * gain:+.1f} points.")
    zh = (f"一次與單次訓練同樣長的 SGDR 訓練({n} 個隨機種子的平均):" + ";".join(parts_zh)
          + f"。單次餘弦退火的訓練達到 {single:.1%},平均 {k_max} 個獨立訓練則多 {100 * gain:+.1f} 個百分點。")
    claims.glue_verdict(v_snap, en, zh)

    m = _ema_means(r["runs"]["members"])
    v_ema = claims.ema_at_least_raw("lecture-f20-ema", m["val_loss"], m["ema_val_loss"], m["val_acc"], m["ema_val_acc"])
    decay = r["grid"].configs["members"][0].ema
    en = (f"Over the second half of training (mean over {k_max} runs), the EMA of the weights (decay {decay}) has "
          f"validation loss {m['ema_val_loss']:.3f} and accuracy {m['ema_val_acc']:.1%}, the raw weights "
          f"{m['val_loss']:.3f} and {m['val_acc']:.1%}.")
    zh = (f"在訓練的後半段(對 {k_max} 次訓練取平均),權重的指數移動平均(衰減 {decay})的驗證損失為 {m['ema_val_loss']:.3f}、"
          f"準確率 {m['ema_val_acc']:.1%},原始權重則為 {m['val_loss']:.3f} 與 {m['val_acc']:.1%}。")
    claims.glue_verdict(v_ema, en, zh)
    return [v_ens, v_snap, v_ema]


def figure_ensembles(r: dict, profile: str) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4))
    ax = axes[0]
    single = np.mean(r["single"])
    ax.plot(r["by_size"]["k"], r["by_size"]["acc"], "o-", color="C0", label="ensemble (softmax averaged)")
    ax.plot(np.ones(len(r["single"])), r["single"], "o", mfc="none", color="0.3", label="single models")
    ax.axhline(single + 0.02, color="C3", ls="--", lw=1, label="lecture: single + 2 %")
    ax.set_xlabel("number of independently trained models")
    ax.set_ylabel("validation accuracy")
    ax.set_xticks(r["by_size"]["k"])
    ax.set_title("model ensembles", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, frameon=False)

    ax = axes[1]
    lr_ax = ax.twinx()
    for k, name in enumerate(n for n in r["grid"].configs if n != "members"):
        h = r["runs"][name][0].dropna(subset=["lr"])
        lr_ax.plot(h["step"] + 1, h["lr"], color="0.8", lw=1, ls=("-", "--", ":")[k % 3])
        d = r["snapshots"][r["snapshots"]["schedule"] == name]
        mean = d.groupby("step", as_index=False)[["snapshot_acc", "ensemble_acc"]].mean()
        ax.plot(mean["step"], mean["snapshot_acc"], "s", color=f"C{k + 1}", mfc="none", ms=6)
        ax.plot(mean["step"], mean["ensemble_acc"], "o-", color=f"C{k + 1}", label=f"{name}: snapshots so far, averaged")
    lr_ax.set_ylabel("learning rate (grey)", color="0.5")
    lr_ax.grid(False)
    ax.set_zorder(lr_ax.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.plot([], [], "s", color="0.3", mfc="none", label="one snapshot (end of a cycle)")
    ax.axhline(single, color="C0", ls=":", lw=1.2, label="single cosine run (same cost)")
    ax.set_xlabel("iteration")
    ax.set_ylabel("validation accuracy")
    ax.set_title("snapshot ensembles: one SGDR run each", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, frameon=False)

    ax = axes[2]
    ev = pd.concat([h.dropna(subset=["val_acc"]) for h in r["runs"]["members"]]).groupby("step", as_index=False).mean(numeric_only=True)
    ev = ev[ev["step"] >= 0]
    ax.plot(ev["step"] + 1, ev["val_loss"], color=plots.COLORS["val"], label="raw weights")
    ax.plot(ev["step"] + 1, ev["ema_val_loss"], color="C0", label=f"EMA of the weights (decay {r['grid'].configs['members'][0].ema})")
    ax.set_xlabel("iteration")
    ax.set_ylabel("validation loss")
    ax.set_ylim(top=float(ev["val_loss"].iloc[1:].max()) * 1.05 if len(ev) > 2 else None)
    ax.set_title("Polyak / EMA averaging", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, frameon=False)
    fig.tight_layout()
    cfg = r["grid"].configs["members"][0]
    plots.publish(fig, "lecture-f20", profile, _data_name(cfg), "MLP", [h for hs in r["runs"].values() for h in hs])


def _data_name(cfg: RunConfig) -> str:
    return f"Fashion-MNIST ({cfg.n_train:,} training images)" if cfg.dataset == "fashion_mnist" else cfg.dataset


# --- lecture-f21: L1, L2, elastic net ----------------------------------------------------------------------

def _first_layer(cfg: RunConfig, history: History) -> np.ndarray:
    """The final weights of the MLP's first layer, (hidden units, inputs)."""
    return cache.load_snapshot(history.attrs["cache_key"], cfg.steps)["model"]["net.1.weight"].cpu().numpy()


def penalties(profile: str, seeds=None) -> dict:
    """Final first-layer weights and validation accuracy of the MLP under each penalty."""
    grid = penalty_setup(profile, seeds)
    runs = run_grid(grid, "L1 / L2")
    weights, first_units, rows = {}, {}, []
    for name, cfgs in grid.configs.items():
        ws = [_first_layer(c, h) for c, h in zip(cfgs, runs[name])]
        weights[name] = np.concatenate([w.ravel() for w in ws])
        first_units[name] = ws[0]  # the first seed's, drawn as images
        for c, w, h in zip(cfgs, ws, runs[name]):
            rows.append({"penalty": name, "seed": c.seed, "near_zero": float(np.mean(np.abs(w) < NEAR_ZERO)),
                         "rms": float(np.sqrt(np.mean(w ** 2))), "val_acc": _final(h)})
    return {"weights": weights, "first_units": first_units, "table": pd.DataFrame(rows), "runs": runs, "grid": grid}


def claim_penalties(r: dict) -> claims.Verdict:
    t = r["table"].groupby("penalty")[["near_zero", "rms", "val_acc"]].mean()
    verdict = claims.l1_sparse_l2_small("lecture-f21", t["near_zero"].to_dict(), t["rms"].to_dict())
    parts_en = [f"{name} {t.loc[name, 'near_zero']:.0%} (RMS {t.loc[name, 'rms']:.3f}, accuracy {t.loc[name, 'val_acc']:.1%})"
                for name in PENALTIES]
    parts_zh = [f"{_ZH_PENALTY[name]} {t.loc[name, 'near_zero']:.0%}(均方根 {t.loc[name, 'rms']:.3f},準確率 {t.loc[name, 'val_acc']:.1%})"
                for name in PENALTIES]
    en = f"Share of first-layer weights with |w| < {NEAR_ZERO:g}: " + "; ".join(parts_en) + "."
    zh = f"第一層權重中 |w| < {NEAR_ZERO:g} 的比例:" + ";".join(parts_zh) + "。"
    claims.glue_verdict(verdict, en, zh)
    return verdict


_ZH_PENALTY = {"none": "無懲罰", "L2": "L2", "L1": "L1", "elastic net": "彈性網路"}
PENALTY_COLORS = {"none": "0.4", "L2": "C0", "L1": "C3", "elastic net": "C2"}


def figure_penalties(r: dict, profile: str) -> None:
    fig = plt.figure(figsize=(14, 7.4), layout="constrained")
    grid = fig.add_gridspec(2, 4, height_ratios=[1, 1.05])
    ax = fig.add_subplot(grid[0, :2])
    edge = max(float(np.abs(w).max()) for w in r["weights"].values())
    bins = np.linspace(-edge, edge, 121)
    for name, w in r["weights"].items():
        ax.hist(w, bins=bins, histtype="step", lw=1.4, color=PENALTY_COLORS[name], label=name, density=True)
    ax.set_yscale("log")
    ax.set_xlabel("first-layer weight")
    ax.set_ylabel("density")
    ax.set_title("final first-layer weights (all seeds)", fontsize=10)
    ax.legend(fontsize=8)
    t = r["table"]
    for col, (column, label) in enumerate((("near_zero", f"share with |w| < {NEAR_ZERO:g}"), ("val_acc", "validation accuracy"))):
        ax = fig.add_subplot(grid[0, 2 + col])
        for i, name in enumerate(PENALTIES):
            values = t.loc[t["penalty"] == name, column]
            ax.bar(i, values.mean(), color=PENALTY_COLORS[name], alpha=0.75)
            ax.plot([i] * len(values), values, "k.", ms=5)
        ax.set_xticks(range(len(PENALTIES)), [n.replace(" ", "\n") for n in PENALTIES], fontsize=8)
        ax.set_title(label + " (dots: seeds)", fontsize=10)
        if column == "val_acc":
            ax.set_ylim(t["val_acc"].min() - 0.03, min(1.0, t["val_acc"].max() + 0.01))
    # four hidden units' incoming weights as 28×28 images, on one colour scale
    side = int(round(math.sqrt(next(iter(r["first_units"].values())).shape[1])))
    scale = max(np.abs(w[:4]).max() for w in r["first_units"].values())
    for col, (name, w) in enumerate(r["first_units"].items()):
        ax = fig.add_subplot(grid[1, col])
        units = [np.pad(u.reshape(side, side), 1, constant_values=np.nan) for u in w[:4]]
        im = ax.imshow(np.block([[units[0], units[1]], [units[2], units[3]]]), cmap="RdBu_r", vmin=-scale, vmax=scale)
        ax.set_title(f"{name}: input weights of 4 hidden units", fontsize=9)
        ax.axis("off")
    fig.colorbar(im, ax=fig.axes[-4:], fraction=0.03, label="weight")
    cfg = r["grid"].configs["none"][0]
    plots.publish(fig, "lecture-f21", profile, _data_name(cfg), "MLP", [h for hs in r["runs"].values() for h in hs])


# --- lecture-f22: dropout ----------------------------------------------------------------------------------

def draw_network(ax, layers=(4, 5, 5, 2), drop_units: float = 0.0, drop_links: float = 0.0, seed: int = 0,
                 title: str = "") -> None:
    """A fully connected network as circles and lines. ``drop_units``: that share of each hidden layer's
    units, chosen at random, is dropped (crossed out, its connections removed: dropout); ``drop_links``: each
    connection is removed with this probability (DropConnect, dotted). The masks are drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    xs = np.arange(len(layers))
    ys = [np.linspace(-(n - 1) / 2, (n - 1) / 2, n) for n in layers]
    kept = []
    for i, n in enumerate(layers):
        hidden = 0 < i < len(layers) - 1
        mask = np.ones(n, bool)
        if hidden and drop_units:  # a typical draw: round(n·p) units of the layer, chosen at random
            mask[rng.choice(n, size=min(n - 1, round(n * drop_units)), replace=False)] = False
        kept.append(mask)
    for i in range(len(layers) - 1):
        for a, ya in enumerate(ys[i]):
            for b, yb in enumerate(ys[i + 1]):
                if not (kept[i][a] and kept[i + 1][b]):
                    continue
                if drop_links and rng.uniform() < drop_links:
                    ax.plot([xs[i], xs[i + 1]], [ya, yb], color="C3", lw=0.6, ls=":", alpha=0.6)
                    continue
                ax.plot([xs[i], xs[i + 1]], [ya, yb], color="0.45", lw=0.8, zorder=1)
    for i, n in enumerate(layers):
        for a, y in enumerate(ys[i]):
            on = kept[i][a]
            ax.add_patch(plt.Circle((xs[i], y), 0.18, facecolor="white" if on else "0.85", edgecolor="k" if on else "0.6",
                                    lw=1.2, zorder=2))
            if not on:
                ax.plot([xs[i] - 0.13, xs[i] + 0.13], [y - 0.13, y + 0.13], color="C3", lw=1.8, zorder=3)
                ax.plot([xs[i] - 0.13, xs[i] + 0.13], [y + 0.13, y - 0.13], color="C3", lw=1.8, zorder=3)
    ax.set_xlim(-0.4, len(layers) - 0.6)
    ax.set_ylim(-max(layers) / 2 - 0.2, max(layers) / 2 + 0.2)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)


def dropout_runs(profile: str, seeds=None) -> tuple[Grid, dict[str, list[History]]]:
    grid = dropout_setup(profile, seeds)
    return grid, run_grid(grid, "dropout")


def _dropout_layers(model: nn.Module) -> list[int]:
    return [i for i, m in enumerate(model.net) if isinstance(m, regularize.Dropout)]


def _train_mode_dropout(model: nn.Module) -> None:
    """Dropout layers sample their masks; nothing else of the MLP behaves differently in training."""
    for m in model.modules():
        if isinstance(m, regularize.Dropout):
            m.train()


@_single_threaded
@torch.no_grad()
def dropout_expectation(grid: Grid, runs: dict[str, list[History]], n_inputs: int = 50, max_samples: int = 1_024,
                        chunk: int = 128, seed: int = 0) -> pd.DataFrame:
    """For the trained vanilla and inverted networks (first seed), the Monte-Carlo mean of ``n`` training-time
    passes against the test-time output, as the relative RMS gap, for ``n`` = 1, 2, 4, … ``max_samples``:

    * ``next layer``: the input of the layer after the first dropout, which is linear in the mask, so the
      mean converges to the test-time value (gap ∝ 1/√n);
    * ``output``: the network's logits, where a ReLU and a second dropout lie in between, so the test-time
      network is only an approximation of the mean (the gap stops falling at its bias)."""
    torch.manual_seed(seed)
    rows = []
    for kind in ("vanilla dropout", "inverted dropout"):
        cfg, h = grid.configs[kind][0], runs[kind][0]
        model = final_model(cfg, h)
        first = _dropout_layers(model)[0]
        hidden = model.net[:first](_data(cfg).x_val[:n_inputs])  # deterministic up to the first dropout
        after, rest = model.net[first + 1], model.net[first:]
        targets = {"next layer": after(rest[0](hidden)), "output": rest(hidden)}  # eval mode: the test-time network
        _train_mode_dropout(model)
        # `chunk` passes at once: the layers act on the last dimension
        passes = {"next layer": [], "output": []}
        for _ in range(max_samples // chunk):
            dropped = rest[0](hidden.expand(chunk, *hidden.shape))  # one mask per pass, shared by both levels
            passes["next layer"].append(after(dropped))
            passes["output"].append(rest[1:](dropped))
        for level, target in targets.items():
            means = torch.cat(passes[level]).cumsum(0) / torch.arange(1, max_samples + 1, device=hidden.device).view(-1, 1, 1)
            for i in range(int(math.log2(max_samples)) + 1):
                n = 2 ** i
                gap = (means[n - 1] - target).pow(2).mean().sqrt() / target.pow(2).mean().sqrt()
                rows.append({"kind": kind, "level": level, "samples": n, "gap": float(gap)})
    return pd.DataFrame(rows)


def _slope(df: pd.DataFrame, min_samples: int = 16) -> float:
    d = df[df["samples"] >= min_samples]
    return float(np.polyfit(np.log(d["samples"]), np.log(d["gap"]), 1)[0])


def claim_dropout(expectation: pd.DataFrame, runs: dict[str, list[History]]) -> claims.Verdict:
    next_layer = expectation[expectation["level"] == "next layer"]
    slopes = {kind: _slope(d) for kind, d in next_layer.groupby("kind")}
    v_mean = claims.dropout_expectation("lecture-f22", slopes)
    acc = _per_seed({k: runs[k] for k in ("vanilla dropout", "inverted dropout")})
    stats = {k: (float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0) for k, v in acc.items()}
    v_train = claims.within_spread("lecture-f22", stats)
    verdict = claims.combine("lecture-f22", {"expectation": v_mean, "training": v_train})
    n_max = int(expectation["samples"].max())
    out = expectation[(expectation["level"] == "output") & (expectation["samples"] == n_max)].set_index("kind")["gap"]
    (va, vs), (ia, is_) = stats["vanilla dropout"], stats["inverted dropout"]
    none = np.mean(_per_seed({"none": runs["none"]})["none"])
    same = {claims.REPRODUCED: ("the same", "相同"), claims.NOT_REPRODUCED: ("not the same", "不相同"),
            claims.INCONCLUSIVE: ("undecided (one seed)", "無法判斷(只有一個隨機種子)")}[v_train.status]
    en = (f"The mean of n training-time passes against the test-time value, at the layer after the dropout: the gap "
          f"falls like n^{slopes['vanilla dropout']:.2f} (vanilla) and n^{slopes['inverted dropout']:.2f} (inverted); "
          f"1/√n is n^-0.50. At the network's output, after {n_max:,} passes, it is still {out['vanilla dropout']:.1%} "
          f"(vanilla) and {out['inverted dropout']:.1%} (inverted): with a ReLU between two dropouts the test-time network "
          f"only approximates the mean. Trained from the same seeds: vanilla {va:.1%} ± {100 * vs:.1f}, inverted "
          f"{ia:.1%} ± {100 * is_:.1f} (mean ± std; no dropout {none:.1%}) — {same[0]} within the spread.")
    zh = (f"在 dropout 之後那一層,n 次訓練時前向傳播的平均與測試時的值之差,以 n^{slopes['vanilla dropout']:.2f}(vanilla)"
          f"與 n^{slopes['inverted dropout']:.2f}(inverted)的速度下降;1/√n 即 n^-0.50。在網路的輸出端,{n_max:,} 次之後差距仍有 "
          f"{out['vanilla dropout']:.1%}(vanilla)與 {out['inverted dropout']:.1%}(inverted):兩個 dropout 之間隔著 ReLU 時,"
          f"測試時的網路只是平均值的近似。以相同的隨機種子訓練:vanilla {va:.1%} ± {100 * vs:.1f},inverted {ia:.1%} ± "
          f"{100 * is_:.1f}(平均 ± 標準差;不用 dropout 為 {none:.1%})——在分散範圍內{same[1]}。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_dropout(expectation: pd.DataFrame, grid: Grid, runs: dict[str, list[History]], profile: str) -> None:
    fig = plt.figure(figsize=(15, 3.9))
    spec = fig.add_gridspec(1, 4, width_ratios=[1, 1, 1.35, 1.1])
    draw_network(fig.add_subplot(spec[0]), title="(a) standard neural net")
    draw_network(fig.add_subplot(spec[1]), drop_units=DROP, seed=3, title=f"(b) after dropout (drop probability {DROP})")
    ax = fig.add_subplot(spec[2])
    for kind, color in (("vanilla dropout", "C1"), ("inverted dropout", "C0")):
        for level, ls in (("next layer", "-"), ("output", "--")):
            d = expectation[(expectation["kind"] == kind) & (expectation["level"] == level)]
            ax.loglog(d["samples"], d["gap"], ls, marker="o", ms=3, color=color, label=f"{kind.split()[0]}: {level}")
    n = expectation["samples"].unique()
    start = expectation[(expectation["samples"] == 1) & (expectation["level"] == "next layer")]["gap"].mean()
    ax.loglog(n, start / np.sqrt(n), ":", color="k", lw=1, label="1/√n")
    low, high = expectation["gap"].min(), expectation["gap"].max()
    ax.set_yticks([t for t in (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0) if low / 1.5 <= t <= high * 1.5])
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}" if v >= 0.01 else f"{v:.1%}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("training-time passes averaged (n)")
    ax.set_ylabel("relative RMS gap to the test-time value")
    ax.set_title("(c) mean of training-time outputs → test-time output", fontsize=10)
    ax.legend(fontsize=7, ncol=1)
    ax = fig.add_subplot(spec[3])
    names = ("none", "vanilla dropout", "inverted dropout")
    acc = _per_seed({k: runs[k] for k in names})
    for i, name in enumerate(names):
        ax.bar(i, np.mean(acc[name]), color=("0.5", "C1", "C0")[i], alpha=0.75)
        ax.plot([i] * len(acc[name]), acc[name], "k.", ms=6)
    ax.set_xticks(range(3), ["none", "vanilla", "inverted"])
    values = [v for vs in acc.values() for v in vs]
    ax.set_ylim(min(values) - 0.02, min(1.0, max(values) + 0.01))
    ax.set_ylabel("validation accuracy")
    ax.set_title(f"(d) trained with dropout {DROP} (dots: seeds)", fontsize=10)
    fig.tight_layout()
    cfg = grid.configs["none"][0]
    plots.publish(fig, "lecture-f22", profile, _data_name(cfg), "MLP", [h for k in names for h in runs[k]])


# --- lecture-f23: add randomness at training, marginalize at test -----------------------------------------

PATTERN = (
    ("dropout", "zero random hidden units", "scale the activations by the keep probability"),
    ("batch normalization", "normalize with a random minibatch's statistics", "use the running mean and variance"),
    ("data augmentation", "random flips, crops, scales, colour jitter", "the image itself, or a fixed set of crops"),
    ("DropConnect", "zero random weights", "use all weights (their mean)"),
    ("fractional max pooling", "random pooling regions", "average over several region draws"),
    ("stochastic depth", "skip random residual blocks", "keep every block (scaled by its survival)"),
    ("cutout", "zero a random square of the image", "the whole image"),
    ("mixup", "blend random pairs of images and labels", "the unblended image"),
)


@_single_threaded
@torch.no_grad()
def monte_carlo(grid: Grid, runs: dict[str, list[History]], max_passes: int = 100, seed: int = 0) -> pd.DataFrame:
    """Validation accuracy of each inverted-dropout network when its predictions (softmax) are averaged over
    k stochastic passes (k = 1 … ``max_passes``), and of its deterministic test-time network."""
    torch.manual_seed(seed)
    rows = []
    for cfg, h in zip(grid.configs["inverted dropout"], runs["inverted dropout"]):
        model = final_model(cfg, h)
        scaled = accuracy(val_probabilities(model, cfg), cfg)
        first = _dropout_layers(model)[0]
        hidden = model.net[:first](_data(cfg).x_val)  # deterministic up to the first dropout: computed once
        _train_mode_dropout(model)
        total = torch.zeros(len(hidden), _data(cfg).num_classes, device=hidden.device)
        for k in range(1, max_passes + 1):
            total += F.softmax(model.net[first:](hidden), 1)
            rows.append({"seed": cfg.seed, "passes": k, "mc_acc": accuracy(total / k, cfg), "scaled_acc": scaled})
    return pd.DataFrame(rows)


def claim_monte_carlo(mc: pd.DataFrame) -> claims.Verdict:
    mean = mc.groupby("passes")[["mc_acc", "scaled_acc"]].mean()
    k_max = int(mean.index.max())
    one, many, scaled = float(mean.loc[1, "mc_acc"]), float(mean.loc[k_max, "mc_acc"]), float(mean.loc[1, "scaled_acc"])
    verdict = claims.mc_matches_scaling("lecture-f23", one, many, scaled)
    n = mc["seed"].nunique()
    en = (f"Inverted-dropout MLP, mean over {n} seed{'s' if n > 1 else ''}: one stochastic pass {one:.1%}, the average of "
          f"{k_max} passes {many:.1%}, the deterministic test-time network {scaled:.1%}.")
    zh = (f"inverted dropout 的 MLP,{n} 個隨機種子的平均:單次隨機前向傳播 {one:.1%},平均 {k_max} 次 {many:.1%},"
          f"測試時的確定性網路 {scaled:.1%}。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_pattern(mc: pd.DataFrame, runs: dict[str, list[History]], cfg: RunConfig, profile: str) -> None:
    fig = plt.figure(figsize=(15, 4.3))
    spec = fig.add_gridspec(1, 2, width_ratios=[2.1, 1])
    ax = fig.add_subplot(spec[0])
    ax.axis("off")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, len(PATTERN) + 1.2)
    columns = ((0.0, "regularizer"), (0.23, "training: add randomness"), (0.62, "testing: marginalize it out"))
    top = len(PATTERN) + 0.6
    for x, text in columns:
        ax.text(x + 0.01, top, text, fontsize=10, fontweight="bold", va="center")
    for i, row in enumerate(PATTERN):
        y = len(PATTERN) - i - 0.3
        ax.add_patch(Rectangle((0, y - 0.45), 1, 0.9, color="0.93" if i % 2 == 0 else "white", lw=0))
        for (x, _), text, color in zip(columns, row, ("k", "C3", "C0")):
            ax.text(x + 0.01, y, text, fontsize=9, va="center", color=color)
    ax.annotate("", xy=(0.615, top), xytext=(0.50, top), arrowprops={"arrowstyle": "->", "color": "0.4"})
    ax.set_title("a common pattern of regularization", fontsize=10)
    ax = fig.add_subplot(spec[1])
    for _, d in mc.groupby("seed"):
        ax.semilogx(d["passes"], d["mc_acc"], color="C3", lw=0.7, alpha=0.4)
    mean = mc.groupby("passes", as_index=False)[["mc_acc", "scaled_acc"]].mean()
    ax.semilogx(mean["passes"], mean["mc_acc"], color="C3", lw=1.8, label="average of k random passes (mean over seeds)")
    ax.axhline(mean["scaled_acc"].iloc[0], color="C0", ls="--", label="test-time network (no randomness)")
    ax.set_xlabel("stochastic forward passes averaged (k)")
    ax.set_ylabel("validation accuracy")
    ax.set_title(f"dropout {DROP}: marginalizing by sampling or by scaling", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    plots.publish(fig, "lecture-f23", profile, _data_name(cfg), "MLP (inverted dropout)", runs["inverted dropout"])


# --- lecture-f24: data augmentation ----------------------------------------------------------------------

def china() -> torch.Tensor:
    """scikit-learn's sample photograph (a temple in China), as a (3, H, W) tensor in [0, 1]."""
    from sklearn.datasets import load_sample_image

    return torch.tensor(load_sample_image("china.jpg"), dtype=torch.float32).permute(2, 0, 1) / 255


def ten_crop_boxes(height: int, width: int, size: int) -> list[tuple[int, int]]:
    """Top-left corners of the test-time crops: the four corners and the centre (each also flipped: 10 crops)."""
    return [(0, 0), (0, width - size), (height - size, 0), (height - size, width - size),
            ((height - size) // 2, (width - size) // 2)]


@_single_threaded
def augmentation_pictures(seed: int = 4, short_sides=(256, 480), size: int = 224, pca_std: float = 1.0) -> dict:
    """The lecture's augmentations applied to one photograph with :mod:`hp_lib.regularize`: a flip, ResNet's
    scale augmentation (short side L drawn from [256, 480], a random 224 crop), colour jitter (brightness and
    contrast ±40 %) and AlexNet's PCA colour jitter (standard deviation ``pca_std`` instead of AlexNet's 0.1,
    whose shifts would not be visible), plus the image resized for the 10-crop test."""
    torch.manual_seed(seed)
    image = china()
    batch = image[None].repeat(3, 1, 1, 1)
    lengths = torch.randint(short_sides[0], short_sides[1] + 1, (3,)).tolist()
    crops = [regularize.scale_crop(image, L / size, size) for L in lengths]
    factor = short_sides[0] / min(image.shape[1:])
    test_image = F.interpolate(image[None], size=(round(image.shape[1] * factor), round(image.shape[2] * factor)),
                               mode="bilinear", align_corners=False, antialias=True)[0]
    color = regularize.color_jitter(batch, 0.4, 0.4)
    pca = regularize.pca_jitter(batch, pca_std)
    return {"image": image, "flip": image.flip(-1), "crops": crops, "lengths": lengths, "size": size,
            "test_image": test_image, "color": color.clamp(0, 1), "pca": pca.clamp(0, 1),
            "pca_shift": (pca - batch).mean(dim=(2, 3))}


def augmentation_runs(profile: str, seeds=None) -> tuple[Grid, dict[str, list[History]]]:
    grid = augment_setup(profile, seeds)
    return grid, run_grid(grid, "augmentation")


def _beats(claim: str, runs: dict[str, list[History]], treated: str, baseline: str = "none") -> claims.Verdict:
    acc = _per_seed(runs)
    return claims.beats_baseline(claim, acc[baseline], acc[treated])


def _acc_text(runs: dict[str, list[History]], names) -> tuple[str, str]:
    names = [n for n in names if n in runs]
    acc = _per_seed(runs)
    def one(name):
        v = acc[name]
        spread = f" ({min(v):.1%}–{max(v):.1%})" if len(v) > 1 else ""
        return f"{np.mean(v):.1%}{spread}"
    en = "; ".join(f"{name} {one(name)}" for name in names)
    zh = ";".join(f"{_ZH_NAMES.get(name, name)} {one(name)}" for name in names)
    return en, zh


_ZH_NAMES = {"none": "不做擴增", "flip": "翻轉", "crop": "裁剪", "flip + crop": "翻轉 + 裁剪", "no drop": "不丟棄",
             "stochastic depth 0.5": "隨機深度 0.5", "inverted dropout": "dropout", "DropConnect": "DropConnect"}


def claim_augmentation(grid: Grid, runs: dict[str, list[History]]) -> claims.Verdict:
    verdict = _beats("lecture-f24", runs, "flip + crop")
    names = ("none", "flip", "crop", "flip + crop")
    en, zh = _acc_text(runs, names)
    n = len(next(iter(runs.values())))
    en = f"LeNet, validation accuracy, mean (range) over {n} seed{'s' if n > 1 else ''}: {en}."
    zh = f"LeNet 的驗證準確率,{n} 個隨機種子的平均(範圍):{zh}。"
    claims.glue_verdict(verdict, en, zh)
    return verdict


def _show(ax, image: torch.Tensor, title: str) -> None:
    ax.imshow(image.permute(1, 2, 0).clamp(0, 1).numpy())
    ax.set_title(title, fontsize=8)
    ax.axis("off")


def _accuracy_bars(ax, runs: dict[str, list[History]], names, colors=None, title: str = "") -> None:
    names = [n for n in names if n in runs]
    acc = _per_seed({n: runs[n] for n in names})
    for i, name in enumerate(names):
        ax.bar(i, np.mean(acc[name]), color=(colors or {}).get(name, f"C{i}"), alpha=0.75)
        ax.plot([i] * len(acc[name]), acc[name], "k.", ms=6)
    ax.set_xticks(range(len(names)), [n.replace(" ", "\n", 1) for n in names], fontsize=8)
    values = [v for vs in acc.values() for v in vs]
    ax.set_ylim(min(values) - 0.02, min(1.0, max(values) + 0.01))
    ax.set_ylabel("validation accuracy")
    ax.set_title(title, fontsize=9)


def figure_augmentation(pictures: dict, grid: Grid, runs: dict[str, list[History]], profile: str) -> None:
    fig = plt.figure(figsize=(16, 6.2), layout="constrained")
    spec = fig.add_gridspec(2, 6, width_ratios=[1.5, 1.5, 1, 1, 1, 1.7])
    image, size = pictures["image"], pictures["size"]
    _show(fig.add_subplot(spec[0, 0]), image, f"original ({image.shape[1]}×{image.shape[2]})")
    _show(fig.add_subplot(spec[0, 1]), pictures["flip"], "horizontal flip")
    for i, (crop, L) in enumerate(zip(pictures["crops"], pictures["lengths"])):
        _show(fig.add_subplot(spec[0, 2 + i]), crop, f"short side L = {L},\nrandom {size}×{size} crop")
    ax = fig.add_subplot(spec[1, 0])
    test = pictures["test_image"]
    _show(ax, test, f"test: short side {test.shape[1]}; 4 corners + centre\n({size}×{size}), each also flipped: 10 crops")
    for k, (top, left) in enumerate(ten_crop_boxes(test.shape[1], test.shape[2], size)):
        ax.add_patch(Rectangle((left + k, top + k), size - 2 * k, size - 2 * k, fill=False, lw=1.3, color=f"C{k}"))
    _show(fig.add_subplot(spec[1, 1]), pictures["color"][0], "colour jitter (brightness and\ncontrast, each ±40 %)")
    _show(fig.add_subplot(spec[1, 2]), pictures["color"][1], "colour jitter,\nanother draw")
    for i in range(2):
        shift = ", ".join(f"{v:+.2f}" for v in pictures["pca_shift"][i].tolist())
        _show(fig.add_subplot(spec[1, 3 + i]), pictures["pca"][i], f"PCA colour jitter:\nRGB {shift}")
    _accuracy_bars(fig.add_subplot(spec[:, 5]), runs, ("none", "flip", "crop", "flip + crop"),
                   title="LeNet on Fashion-MNIST (dots: seeds)")
    cfg = grid.configs["none"][0]
    plots.publish(fig, "lecture-f24", profile, f"china.jpg; {_data_name(cfg)}", "LeNet",
                  [h for k in ("none", "flip", "crop", "flip + crop") if k in runs for h in runs[k]])


# --- lecture-f25: DropConnect, fractional max pooling, stochastic depth ----------------------------------

def fmp_starts(sample: float, n_in: int, n_out: int, kernel: int) -> np.ndarray:
    """Where the pooling regions of ``torch.nn.FractionalMaxPool2d`` start along one axis, for its random
    ``sample`` in [0, 1): Graham's pseudo-random sequence, as ATen's ``generate_intervals`` computes it (float32)."""
    alpha = np.float32(n_in - kernel) / np.float32(n_out - 1)
    u = np.float32(sample)
    starts = [int(np.float32((np.float32(i) + u) * alpha)) - int(np.float32(u * alpha)) for i in range(n_out - 1)]
    return np.array(starts + [n_in - kernel])


@_single_threaded
def fractional_pooling(seed: int = 0, window: tuple[int, int, int] = (8, 40, 20), ratio: float = 2 ** -0.5) -> dict:
    """Fractional max pooling (Graham 2014) with ``torch.nn.FractionalMaxPool2d`` (2×2 regions, output ratio
    1/√2) on a ``window`` (top, left, side) of the grey photograph reduced 4 times (the pagoda's roof), for two
    random draws: the regions of each draw recomputed from its random samples (:func:`fmp_starts`), the
    positions of the maxima (``return_indices``) and the pooled patch; beside them, ordinary 2×2 max pooling."""
    torch.manual_seed(seed)
    grey = F.avg_pool2d(china().mean(0)[None, None], 4)
    top, left, side = window
    patch = grey[..., top:top + side, left:left + side]
    draws = []
    for _ in range(2):
        samples = torch.rand(1, 1, 2)
        pool = nn.FractionalMaxPool2d(2, output_ratio=ratio, return_indices=True, _random_samples=samples)
        pooled, indices = pool(patch)
        h_out, w_out = pooled.shape[-2:]
        draws.append({"rows": fmp_starts(float(samples[0, 0, 1]), side, h_out, 2),
                      "cols": fmp_starts(float(samples[0, 0, 0]), side, w_out, 2),
                      "pooled": pooled[0, 0], "argmax": np.unravel_index(indices[0, 0].flatten().numpy(), (side, side))})
    return {"patch": patch[0, 0], "draws": draws, "window": window, "ratio": ratio,
            "max_pool": F.max_pool2d(patch, 2)[0, 0]}


def stochastic_depth_survival(profile: str) -> np.ndarray:
    """The survival probability of each residual block of the stochastic-depth model (its own attributes)."""
    cfg = depth_setup(profile).configs["stochastic depth 0.5"][0]
    data = _data(cfg)
    model = models.build(cfg.model, data.input_shape, data.num_classes, **cfg.model_kwargs)
    return np.array([1 - b.drop_path for b in model.blocks])


def other_regularizers(profile: str, seeds=None) -> dict:
    """DropConnect against dropout and none (the MLP runs of lecture-f22) and stochastic depth against none."""
    d_grid, d_runs = dropout_runs(profile, seeds)
    s_grid = depth_setup(profile, seeds)
    s_runs = run_grid(s_grid, "stochastic depth")
    return {"dropout_grid": d_grid, "dropout_runs": d_runs, "depth_grid": s_grid, "depth_runs": s_runs,
            "survival": stochastic_depth_survival(profile)}


def claim_other_regularizers(r: dict) -> claims.Verdict:
    v_dc = _beats("lecture-f25", r["dropout_runs"], "DropConnect")
    v_sd = _beats("lecture-f25", r["depth_runs"], "stochastic depth 0.5", "no drop")
    verdict = claims.combine("lecture-f25", {"DropConnect": v_dc, "stochastic depth": v_sd})
    en1, zh1 = _acc_text(r["dropout_runs"], ("none", "inverted dropout", "DropConnect"))
    en2, zh2 = _acc_text(r["depth_runs"], ("no drop", "stochastic depth 0.5"))
    cfg = r["depth_grid"].configs["no drop"][0]
    model, data = cfg.model, DATASET_NAMES.get(cfg.dataset, cfg.dataset)
    en = (f"Validation accuracy, mean (range) over seeds. MLP: {en1} — DropConnect {v_dc.label('en')}. "
          f"{models_name(model)} on {data}: {en2} — stochastic depth {v_sd.label('en')}.")
    zh = (f"驗證準確率,各隨機種子的平均(範圍)。MLP:{zh1}——DropConnect {v_dc.label('zh')}。"
          f"{models_name(model)}({data}):{zh2}——隨機深度 {v_sd.label('zh')}。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def models_name(model: str) -> str:
    return {"resnet20": "ResNet-20", "resnet56": "ResNet-56"}.get(model, model)


def figure_other_regularizers(r: dict, fmp: dict, profile: str) -> None:
    fig = plt.figure(figsize=(15, 7.4))
    spec = fig.add_gridspec(2, 3)
    sub = spec[0, 0].subgridspec(1, 2)
    draw_network(fig.add_subplot(sub[0]), drop_units=DROP, seed=3, title="dropout: units")
    draw_network(fig.add_subplot(sub[1]), drop_links=DROP, seed=3, title="DropConnect: weights")
    _accuracy_bars(fig.add_subplot(spec[1, 0]), r["dropout_runs"], ("none", "inverted dropout", "DropConnect"),
                   colors={"none": "0.5", "inverted dropout": "C0", "DropConnect": "C3"},
                   title=f"MLP, drop probability {DROP} (dots: seeds)")

    sub = spec[0, 1].subgridspec(1, 2)
    side = fmp["window"][2]
    for i, draw in enumerate(fmp["draws"]):
        ax = fig.add_subplot(sub[i])
        ax.imshow(fmp["patch"].numpy(), cmap="gray", extent=(-0.5, side - 0.5, side - 0.5, -0.5))
        for start in draw["cols"]:
            ax.axvline(start - 0.5, color="C1", lw=0.8)
        for start in draw["rows"]:
            ax.axhline(start - 0.5, color="C1", lw=0.8)
        ax.plot(draw["argmax"][1], draw["argmax"][0], "o", color="C3", ms=2.5)
        ax.set_xlim(-0.5, side - 0.5)
        ax.set_ylim(side - 0.5, -0.5)
        ax.set_title(f"FMP draw {i + 1}: 2×2 regions start\nat the lines; dots: the maxima", fontsize=8)
        ax.axis("off")
    sub = spec[1, 1].subgridspec(1, 3)
    pooled = [(d["pooled"], f"FMP draw {i + 1}: {side}→{d['pooled'].shape[0]}") for i, d in enumerate(fmp["draws"])]
    for i, (img, title) in enumerate(pooled + [(fmp["max_pool"], f"2×2 max pooling: {side}→{fmp['max_pool'].shape[0]}")]):
        ax = fig.add_subplot(sub[i])
        ax.imshow(img.numpy(), cmap="gray", vmin=float(fmp["patch"].min()), vmax=float(fmp["patch"].max()))
        ax.set_title(title, fontsize=8)
        ax.axis("off")

    ax = fig.add_subplot(spec[0, 2])
    survival = r["survival"]
    ax.bar(np.arange(1, len(survival) + 1), survival, color="C2", alpha=0.8)
    ax.set_xlabel("residual block")
    ax.set_ylabel("survival probability")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"stochastic depth: linear rule, last block {survival[-1]:.2f}", fontsize=9)
    ax = fig.add_subplot(spec[1, 2])
    for name, color in (("no drop", "0.4"), ("stochastic depth 0.5", "C2")):
        ev = pd.concat([h.dropna(subset=["val_acc"]) for h in r["depth_runs"][name]]).groupby("step", as_index=False)
        mean, lo, hi = ev["val_acc"].mean(), ev["val_acc"].min(), ev["val_acc"].max()
        ax.plot(mean["step"] + 1, mean["val_acc"], color=color, label=name)
        ax.fill_between(mean["step"] + 1, lo["val_acc"], hi["val_acc"], color=color, alpha=0.2, lw=0)
    cfg = r["depth_grid"].configs["no drop"][0]
    ax.set_xlabel("iteration")
    ax.set_ylabel("validation accuracy")
    ax.set_ylim(max(0.0, ax.get_ylim()[0]), 1.0)
    ax.set_title(f"{models_name(cfg.model)} on {DATASET_NAMES.get(cfg.dataset, cfg.dataset)} (band: range over seeds)",
                 fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    runs = [h for k in ("none", "inverted dropout", "DropConnect") for h in r["dropout_runs"][k]]
    runs += [h for hs in r["depth_runs"].values() for h in hs]
    plots.publish(fig, "lecture-f25", profile,
                  f"{_data_name(r['dropout_grid'].configs['none'][0])}; {DATASET_NAMES.get(cfg.dataset, cfg.dataset)}; china.jpg",
                  f"MLP, {models_name(cfg.model)}", runs)


# --- lecture-f26: cutout and mixup -----------------------------------------------------------------------

def cutout_mixup_pictures(profile: str, seed: int = 0, size: int = 8, alpha: float = 1.0) -> dict:
    """Fashion-MNIST training images with :func:`hp_lib.regularize.cutout` and :func:`hp_lib.regularize.mixup`
    (one λ ~ Beta(α, α) per picture, as per batch in training), with the two class names and their weights."""
    cfg = lenet(profile)
    data = _data(cfg)
    torch.manual_seed(seed)
    x, y = data.x_train[:4].cpu(), data.y_train[:4].cpu()
    mixes = []
    for i in range(4):  # four batches of 8 other images, one λ each; from each, the first pair of two classes
        batch, labels = data.x_train[8 + 8 * i:16 + 8 * i].cpu(), data.y_train[8 + 8 * i:16 + 8 * i].cpu()
        mixed, y_a, y_b, lam = regularize.mixup(batch, labels, alpha)
        j = int(torch.nonzero(y_a != y_b)[0])
        mixes.append({"image": mixed[j, 0], "a": FASHION_CLASSES[int(y_a[j])], "b": FASHION_CLASSES[int(y_b[j])],
                      "lam": lam})
    return {"originals": x[:, 0], "labels": [FASHION_CLASSES[int(v)] for v in y], "cutout": regularize.cutout(x, size)[:, 0],
            "mixes": mixes, "size": size, "alpha": alpha}


def claim_cutout_mixup(grid: Grid, runs: dict[str, list[History]]) -> claims.Verdict:
    names = [n for n in runs if n.startswith(("cutout", "mixup"))]
    verdict = claims.combine("lecture-f26", {n: _beats("lecture-f26", runs, n) for n in names})
    en, zh = _acc_text(runs, ("none", *names))
    n = len(next(iter(runs.values())))
    en = f"LeNet, validation accuracy, mean (range) over {n} seed{'s' if n > 1 else ''}: {en}."
    zh = f"LeNet 的驗證準確率,{n} 個隨機種子的平均(範圍):{zh}。"
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_cutout_mixup(pictures: dict, grid: Grid, runs: dict[str, list[History]], profile: str) -> None:
    fig = plt.figure(figsize=(13, 5.6), layout="constrained")
    spec = fig.add_gridspec(2, 5, width_ratios=[1, 1, 1, 1, 2.2])
    for i in range(4):
        ax = fig.add_subplot(spec[0, i])
        ax.imshow(pictures["cutout"][i].numpy(), cmap="gray_r")
        ax.set_title(f"cutout {pictures['size']}×{pictures['size']}\nlabel {pictures['labels'][i]}: 1.0", fontsize=9)
        ax.axis("off")
    for i, m in enumerate(pictures["mixes"]):
        ax = fig.add_subplot(spec[1, i])
        ax.imshow(m["image"].numpy(), cmap="gray_r")
        ax.set_title(f"mixup (α = {pictures['alpha']:g}), label\n{m['a']}: {m['lam']:.2f} / {m['b']}: {1 - m['lam']:.2f}",
                     fontsize=9)
        ax.axis("off")
    names = ["none"] + [n for n in runs if n.startswith(("cutout", "mixup"))]
    _accuracy_bars(fig.add_subplot(spec[:, 4]), runs, names, colors={"none": "0.5"},
                   title="LeNet on Fashion-MNIST (dots: seeds)")
    cfg = grid.configs["none"][0]
    plots.publish(fig, "lecture-f26", profile, _data_name(cfg), "LeNet", [h for n in names for h in runs[n]])
