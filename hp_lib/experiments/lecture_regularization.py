"""Regularization, as the lecture teaches it: lecture-f20 … f26.

The lecture's pattern is "add randomness at training time, average it out at test time"; this module runs
each of its regularizers on small real problems and draws the rest by code:

* the MLP of the other lecture chapters (two hidden layers of 128 ReLU units, SGD with momentum 0.9, batch
  50) on a subset of Fashion-MNIST with a cosine-annealed learning rate. Every run keeps its final weights
  (ensembles, weight histograms, Monte-Carlo dropout) and an exponential moving average of them (Polyak
  averaging).
* LeNet on a smaller Fashion-MNIST subset for the data augmentations (flips, crops, cutout, mixup): they act
  on pixels, and a convolutional network is what they are designed for.
* ResNet-20 in its 1-D form on MNIST-1D for stochastic depth (it needs a residual network; the book's
  1-D analog keeps it cheap).
* Pictures: scikit-learn's sample photograph ``china.jpg`` and Fashion-MNIST images, transformed with
  :mod:`hp_lib.regularize`; fractional max pooling with ``torch.nn.FractionalMaxPool2d``.

Each lecture figure ends in one verdict, a test declared in :data:`TESTS` before any run, on the profile's
``cheap_seeds`` paired across arms (the same seeds, so the same initial weights and data order): f20 an
ensemble against its members, f21 L1's sparsity, f22 vanilla against inverted dropout (equivalence), f23
dropout against none, f24 flips and crops against none, f25 DropConnect against none, f26 cutout against
none. The other comparisons of a figure (snapshot ensembles, EMA, mixup, stochastic depth) are shown with
their numbers; the pictures (augmentations, fractional pooling's regions, the network drawings) illustrate.
The page's prose is in the notebook; this module glues numbers and settings (prefix ``lr-``) and the verdicts.
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

from .. import glue, models, plots, profiles, regularize, results, verdicts
from .. import data as data_lib
from ..means import mean_over_seeds
from ..train import History, RunConfig
from .chapter import Chapter, Experiment
from .common import (DATASET_NAMES, MODEL_NAMES, Grid, Test, decide, final_accuracy, glue_arms, mean_std, over_seeds,
                     run_grid)

FASHION_CLASSES = ("T-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")
CHANCE = 10.0     # ten classes: the accuracy (%) a diverged run scores
NEAR_ZERO = 1e-3  # |w| below this counts as zero: about 1/20 of the first layer's initial standard deviation (0.02)
DROP = 0.5        # the lecture's dropout probability ("usually set to 0.5"), also DropConnect's (Wan et al.)
MEMBER_STRIDE = 1_000  # member j of the ensemble of seed s has seed s + j·MEMBER_STRIDE: no two replicates share one
LECTURE_ENSEMBLE_GAIN = 2.0  # "enjoy 2 % extra performance" (points)
PENALTIES = {"none": {}, "L2": {"weight_decay": 3e-3}, "L1": {"l1": 3e-4}, "elastic net": {"l1": 1e-4, "weight_decay": 1e-3}}
CUTOUT = 8          # side of the blanked square, of Fashion-MNIST's 28
MIXUP_ALPHA = 1.0   # Zhang et al.'s value for CIFAR-10
CROP_PAD = 2        # pixels of padding before the random crop
AUGMENTS = {"none": {}, "flip": {"flip": True}, "crop": {"crop": CROP_PAD}, "flip + crop": {"flip": True, "crop": CROP_PAD},
            "cutout": {"cutout": CUTOUT}, "mixup": {"mixup": MIXUP_ALPHA}}
FIGURE_ONLY_AUGMENTS = ("flip", "crop")  # drawn beside the tested arms, on the profile's figure seeds
STOCHASTIC_DEPTH = 0.5  # the last block's drop probability (Huang et al.'s linear rule)

MARGIN_NEAR_ZERO = 10.0
WHY_NEAR_ZERO = ("the notes call L1's weights sparse, L2's diffuse: fewer than one more first-layer weight in ten "
                 "near zero would not make them sparse (the share counts some 100,000 weights per seed, so its "
                 "sampling error is far smaller); fixed before the runs")

# The chapter's tests, fixed before any run: one per lecture figure, its arms named by the lecture (the
# ensemble against a single model, L1 against L2 and no penalty, the two forms of dropout, each regularizer
# against the same network without it), at the lecture's settings where it gives them (dropout 0.5).
TESTS = [
    Test("lecture-f20", "averaging the predictions of independently trained models beats a single model "
         "(the lecture: by about 2 %)", "ensemble", "single",
         "the ensemble of independently seeded MLPs (softmax outputs averaged) minus its members' mean, final "
         "validation accuracy (points)", paper=LECTURE_ENSEMBLE_GAIN),
    Test("lecture-f21", "an L1 penalty makes the weights sparse, L2 leaves them small but diffuse: L1 leaves more "
         "first-layer weights near zero than L2 and than no penalty", "L1", ("L2", "none"),
         "share of first-layer weights with |w| < 1e-3, L1 minus L2 or no penalty (points)", measure="near_zero",
         margin=MARGIN_NEAR_ZERO, why_margin=WHY_NEAR_ZERO),
    Test("lecture-f22", "vanilla dropout (activations scaled at test time) and inverted dropout (survivors scaled "
         "during training) are the same regularizer: equal test accuracy", "vanilla dropout", "inverted dropout",
         "vanilla minus inverted dropout (drop probability 0.5), final validation accuracy (points)",
         form=verdicts.EQUIVALENCE),
    Test("lecture-f23", "the common pattern regularizes: randomness added in training and averaged out at test "
         "time (dropout, probability 0.5) raises the test accuracy over the same network without it",
         "inverted dropout", "none", "dropout minus no dropout, final validation accuracy (points)"),
    Test("lecture-f24", "data augmentation (random horizontal flips and crops) raises the test accuracy",
         "flip + crop", "none", "LeNet with flips and crops minus without augmentation, final validation accuracy "
         "(points)"),
    Test("lecture-f25", "DropConnect (half the hidden layers' weights dropped, a new mask per minibatch) "
         "regularizes: it raises the test accuracy over the same network without it", "DropConnect", "none",
         "DropConnect minus none, final validation accuracy (points)"),
    Test("lecture-f26", "cutout (a random square of every training image blanked) works well on small datasets: "
         "it raises the test accuracy over no augmentation", "cutout", "none",
         "LeNet with cutout minus without augmentation, final validation accuracy (points)"),
]
TEST = {t.id: t for t in TESTS}


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

def tested_seeds(profile: str, seeds=None) -> tuple[int, ...]:
    """The seeds every arm of a tested comparison runs: the reader's, else the profile's ``cheap_seeds``."""
    return tuple(seeds) if seeds else profiles.get(profile).cheap_seeds


def figure_seeds(profile: str, seeds=None) -> tuple[int, ...]:
    """The seeds of runs only drawn (the SGDR runs, flips alone, crops alone): the reader's, else ``seeds``."""
    return tuple(seeds) if seeds else profiles.get(profile).seeds


def n_members(profile: str) -> int:
    return profiles.get(profile).pick(2, 5, 5)


def member_arm(j: int) -> str:
    return f"member {j + 1}"


def sgdr_arm(cycles: int) -> str:
    return f"SGDR, {cycles} cycles"


def sgdr_cycles(profile: str) -> tuple[int, int]:
    """The two snapshot ensembles drawn: one SGDR run of the single run's length with this many cycles."""
    return profiles.get(profile).pick((2, 4), (2, 4), (2, 5))


def ensemble_setup(profile: str, seeds=None) -> Grid:
    """``member j``: for each tested seed s, an MLP of seed s + j·MEMBER_STRIDE (member 1 is the seed's own run,
    the baseline of the other comparisons); the members of one seed form its ensemble, so every seed gives one
    independent ensemble and its own single models. ``SGDR, M cycles``: one run per figure seed of the same
    length with M cosine cycles (SGDR), keeping its weights at the end of every cycle for a snapshot ensemble
    (Huang et al. 2017)."""
    base = mlp(profile)
    configs = {member_arm(j): [base.replace(seed=s + MEMBER_STRIDE * j) for s in tested_seeds(profile, seeds)]
               for j in range(n_members(profile))}
    for cycles in sgdr_cycles(profile):
        cycle = base.steps // cycles
        sgdr = base.replace(lr={"name": "sgdr", "max_lr": 0.05, "t0": cycle},
                            snapshot_at=tuple(cycle * (i + 1) for i in range(cycles)))
        configs[sgdr_arm(cycles)] = [sgdr.replace(seed=s) for s in figure_seeds(profile, seeds)]
    return Grid(configs)


def penalty_setup(profile: str, seeds=None) -> Grid:
    """The MLP without a penalty, with L2 (SGD's weight decay λ: the penalty λ/2·Σw²), L1 (λ·Σ|w|) and both."""
    return over_seeds({name: mlp(profile, **changes) for name, changes in PENALTIES.items()},
                      tested_seeds(profile, seeds))


def dropout_setup(profile: str, seeds=None) -> Grid:
    """No dropout, vanilla dropout (scaled at test time) and inverted dropout (scaled at training time), both
    dropping half the hidden units, and DropConnect dropping half the hidden layers' weights; same seeds."""
    variants = {"none": mlp(profile),
                "vanilla dropout": mlp(profile, model_kwargs={"dropout": DROP, "dropout_kind": "vanilla"}),
                "inverted dropout": mlp(profile, model_kwargs={"dropout": DROP}),
                "DropConnect": mlp(profile, model_kwargs={"dropconnect": DROP})}
    return over_seeds(variants, tested_seeds(profile, seeds))


def augment_setup(profile: str, seeds=None) -> Grid:
    """LeNet without augmentation, with flips and crops together, with cutout and with mixup on the tested
    seeds; with flips alone and crops alone (drawn, not tested) on the figure seeds."""
    return Grid({name: [lenet(profile, augment=spec).replace(seed=s) for s in
                        (figure_seeds if name in FIGURE_ONLY_AUGMENTS else tested_seeds)(profile, seeds)]
                 for name, spec in AUGMENTS.items()})


def depth_setup(profile: str, seeds=None) -> Grid:
    """The ResNet without and with stochastic depth (last block's drop probability 0.5, linear rule)."""
    return over_seeds({"none": resnet(profile),
                       "stochastic depth": resnet(profile, model_kwargs={"drop_path": STOCHASTIC_DEPTH})},
                      tested_seeds(profile, seeds))


CHAPTER = Chapter("lecture-regularization", (
    Experiment("ensembles of independently trained models", ("lecture-f20",), ensemble_setup, [TEST["lecture-f20"]]),
    Experiment("L1, L2 and elastic-net penalties", ("lecture-f21",), penalty_setup, [TEST["lecture-f21"]]),
    Experiment("vanilla and inverted dropout", ("lecture-f22",), dropout_setup, [TEST["lecture-f22"]]),
    Experiment("randomness in training, averaged at test time", ("lecture-f23",), dropout_setup, [TEST["lecture-f23"]]),
    Experiment("data augmentation", ("lecture-f24",), augment_setup, [TEST["lecture-f24"]]),
    # DropConnect is trained beside the dropout runs (dropout_setup); stochastic depth on the ResNet
    Experiment("DropConnect, stochastic depth, fractional pooling", ("lecture-f25",), depth_setup,
               [TEST["lecture-f25"]]),
    Experiment("cutout and mixup", ("lecture-f26",), augment_setup, [TEST["lecture-f26"]]),
))


def _epochs(cfg: RunConfig) -> str:
    return f"{cfg.steps * cfg.batch_size / cfg.n_train:.0f}" if cfg.n_train else "—"


def glue_settings(profile: str, seeds=None) -> None:
    """The run settings the page states, glued from the configs of this profile."""
    m, le, r = mlp(profile), lenet(profile), resnet(profile)
    widths = [layer.out_features for layer in models.build("mlp", (1, 28, 28)).net if isinstance(layer, nn.Linear)][:-1]
    data_r, model_r = DATASET_NAMES.get(r.dataset, r.dataset), MODEL_NAMES.get(r.model, r.model)
    glue.values({
        "lr-seeds": str(len(tested_seeds(profile, seeds))), "lr-figure-seeds": str(len(figure_seeds(profile, seeds))),
        "lr-mlp-train": f"{m.n_train:,}", "lr-mlp-val": f"{m.n_val:,}", "lr-mlp-steps": f"{m.steps:,}",
        "lr-mlp-epochs": _epochs(m), "lr-mlp-lr": f"{m.lr['value']:g}", "lr-mlp-batch": str(m.batch_size),
        "lr-mlp-layers": str(len(widths)), "lr-mlp-width": str(widths[0]),
        "lr-lenet-train": f"{le.n_train:,}", "lr-lenet-val": f"{le.n_val:,}",
        "lr-lenet-epochs": _epochs(le),
        "lr-res-model": model_r, "lr-res-data": data_r,
        "lr-res-epochs": _epochs(r),
        "lr-drop": f"{DROP:g}", "lr-near-zero": f"{NEAR_ZERO:g}", "lr-near-zero-margin": f"{MARGIN_NEAR_ZERO:g}",
        "lr-l2-wd": f"{PENALTIES['L2']['weight_decay']:g}", "lr-l1": f"{PENALTIES['L1']['l1']:g}",
        "lr-enet-l1": f"{PENALTIES['elastic net']['l1']:g}", "lr-enet-wd": f"{PENALTIES['elastic net']['weight_decay']:g}",
        "lr-cutout": str(CUTOUT), "lr-mixup-alpha": f"{MIXUP_ALPHA:g}", "lr-crop-pad": str(CROP_PAD),
        "lr-sd": f"{STOCHASTIC_DEPTH:g}", "lr-ens-k": str(n_members(profile)), "lr-ema": f"{m.ema:g}",
    })


# --- evaluating saved weights ------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _load(dataset: str, n_train, n_val, n_test, data_seed: int, device: str, classes):
    return data_lib.load(dataset, n_train, n_val, n_test, seed=data_seed, device=device, classes=classes)


def _data(cfg: RunConfig) -> data_lib.Dataset:
    """The run's data, loaded once (the evaluations below ask for it many times)."""
    return _load(cfg.dataset, cfg.n_train, cfg.n_val, cfg.n_test, cfg.data_seed, cfg.device, cfg.classes)


def final_model(cfg: RunConfig, step: int | None = None, weights: str = "model") -> nn.Module:
    """The network of run ``cfg`` after ``step`` updates (default: the end), in eval mode; ``weights="ema"``
    gives its moving average instead."""
    data = _data(cfg)
    model = models.build(cfg.model, data.input_shape, data.num_classes, **cfg.model_kwargs).to(cfg.device)
    model.load_state_dict(results.snapshot(cfg, step or cfg.steps)[weights])
    return model.eval()


@torch.no_grad()
def val_probabilities(model: nn.Module, cfg: RunConfig) -> torch.Tensor:
    data = _data(cfg)
    return torch.cat([F.softmax(model(data.x_val[i:i + 1_000]), 1) for i in range(0, len(data.y_val), 1_000)])


def _run_probabilities(cfg: RunConfig, history: History, step: int | None = None) -> torch.Tensor:
    """The validation softmax outputs of a run's weights; a diverged run predicts the uniform distribution
    (chance, like :func:`~hp_lib.experiments.common.final_accuracy`)."""
    if history.attrs.get("status", "ok") != "ok":
        data = _data(cfg)
        return torch.full((len(data.y_val), data.num_classes), 1 / data.num_classes, device=data.y_val.device)
    return val_probabilities(final_model(cfg, step), cfg)


def accuracy(probabilities: torch.Tensor, cfg: RunConfig) -> float:
    """The validation accuracy of ``probabilities``, as a fraction (ties of a uniform prediction: class 0)."""
    return float((probabilities.argmax(1) == _data(cfg).y_val).float().mean())


def _final(h: History, column: str = "val_acc") -> float:
    return float(h.dropna(subset=["val_acc"])[column].iloc[-1])


def points(runs: dict[str, list[History]]) -> dict[str, np.ndarray]:
    """Every arm's final validation accuracy per seed, in points (a diverged run scores chance)."""
    return {arm: final_accuracy(hs, CHANCE) for arm, hs in runs.items()}


def effect_text(treated, baseline) -> str:
    """A comparison shown but not decided: the mean paired difference (points) and its 95 % CI, as
    ``+0.4 [-0.3, +1.1]`` (scipy's t interval, as the verdicts use)."""
    d = np.asarray(treated, dtype=float) - np.asarray(baseline, dtype=float)
    if len(d) < 2 or np.ptp(d) == 0:
        return _signed(d.mean())
    lo, hi = verdicts.interval(d, verdicts.CONFIDENCE[verdicts.DIFFERENCE])
    return f"{_signed(d.mean())} [{_signed(lo)}, {_signed(hi)}]"


def _signed(x: float) -> str:
    """``+0.4``, ``-1.2``; a value that rounds to zero is ``0.0``, never ``-0.0``."""
    return "0.0" if round(float(x), 1) == 0 else f"{x:+.1f}"


def judge(ids, measures: dict[str, dict[str, np.ndarray]], n_eval: int, profile: str | None = None) -> dict[str, verdicts.Verdict]:
    """Decide the chapter's tests ``ids`` on ``measures`` (measure -> arm -> one value per seed) at ``profile``,
    each verdict's line glued into the page as ``<id>-verdict``."""
    return decide([TEST[i] for i in ids], measures, n_eval, profile=profile)


# --- lecture-f20: ensembles, snapshot ensembles, weight averaging -----------------------------------------

@_single_threaded
def ensembles(profile: str, seeds=None) -> dict:
    """For each tested seed, the members' own accuracies and the accuracy of their averaged softmax outputs
    (for k members, the mean over every subset of size k of that seed's members); the snapshots at the ends of
    each SGDR run's cycles (the last j averaged); the EMA curves come with the members' histories."""
    grid = ensemble_setup(profile, seeds)
    runs = run_grid(grid, "ensembles")
    members = [member_arm(j) for j in range(n_members(profile))]
    cfg = grid.configs[members[0]][0]
    rows, single, ensemble = [], [], []
    for i in range(len(grid.configs[members[0]])):
        probs = [_run_probabilities(grid.configs[m][i], runs[m][i]) for m in members]
        own = [100 * accuracy(p, cfg) for p in probs]
        single.append(float(np.mean(own)))
        for k in range(1, len(probs) + 1):
            accs = [100 * accuracy(torch.stack([probs[j] for j in subset]).mean(0), cfg)
                    for subset in itertools.combinations(range(len(probs)), k)]
            rows.append({"seed": grid.configs[members[0]][i].seed, "k": k, "acc": float(np.mean(accs))})
        ensemble.append(rows[-1]["acc"])
    snapshots = []
    for cycles in sgdr_cycles(profile):
        name = sgdr_arm(cycles)
        for c, h in zip(grid.configs[name], runs[name]):
            snaps = [_run_probabilities(c, h, step) for step in c.snapshot_at]
            for j, step in enumerate(c.snapshot_at):
                snapshots.append({"schedule": name, "cycles": cycles, "seed": c.seed, "cycle": j + 1, "step": step,
                                  "snapshot_acc": 100 * accuracy(snaps[j], c),
                                  "ensemble_acc": 100 * accuracy(torch.stack(snaps[:j + 1]).mean(0), c)})
    return {"accuracy": {"ensemble": np.array(ensemble), "single": np.array(single)}, "by_size": pd.DataFrame(rows),
            "snapshots": pd.DataFrame(snapshots), "runs": runs, "grid": grid, "members": members}


def _ema_means(histories: list[History]) -> dict[str, float]:
    """Raw and EMA validation loss and accuracy (%), mean over the runs and over the second half's evaluations."""
    ev = pd.concat([h.dropna(subset=["val_acc"]) for h in histories])
    late = ev[ev["step"] + 1 >= ev["step"].max() / 2]
    return {k: float(late[k].mean()) * (100 if k.endswith("acc") else 1)
            for k in ("val_loss", "ema_val_loss", "val_acc", "ema_val_acc")}


def judge_ensembles(r: dict, profile: str | None = None) -> dict[str, verdicts.Verdict]:
    """lecture-f20, tested: each seed's ensemble against its members' mean; the snapshot ensembles and the EMA
    are glued as numbers."""
    glue_arms("lr-ens", r["accuracy"], {"ensemble": "acc", "single": "single"})
    snaps, first = r["snapshots"], r["members"][0]
    seeds = sorted(snaps["seed"].unique())
    cosine = {c.seed: a for c, a in zip(r["grid"].configs[first], final_accuracy(r["runs"][first], CHANCE))}
    single = np.array([cosine[s] for s in seeds])
    values = {"lr-snap-seeds": str(len(seeds)), "lr-snap-single": mean_std(single)}
    for tag, cycles in zip("ab", sorted(snaps["cycles"].unique())):
        last = snaps[(snaps["cycles"] == cycles) & (snaps["cycle"] == cycles)].set_index("seed").loc[seeds]
        values.update({f"lr-snap-{tag}-cycles": str(cycles), f"lr-snap-{tag}-steps": f"{int(last['step'].iloc[0]) // cycles:,}",
                       f"lr-snap-{tag}-acc": mean_std(last["ensemble_acc"].to_numpy()),
                       f"lr-snap-{tag}-last": mean_std(last["snapshot_acc"].to_numpy())})
    m = _ema_means([h for name in r["members"] for h in r["runs"][name]])
    values.update({"lr-ema-loss": f"{m['ema_val_loss']:.3f}", "lr-raw-loss": f"{m['val_loss']:.3f}",
                   "lr-ema-acc": f"{m['ema_val_acc']:.1f}", "lr-raw-acc": f"{m['val_acc']:.1f}",
                   "lr-ema-runs": str(len(r["members"]) * len(r["accuracy"]["single"]))})
    glue.values(values)
    return judge(["lecture-f20"], {"accuracy": r["accuracy"]}, r["grid"].configs[first][0].n_val, profile)


def figure_ensembles(r: dict, profile: str) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4))
    ax = axes[0]
    by_size = r["by_size"]
    for _, d in by_size.groupby("seed"):
        ax.plot(d["k"], d["acc"], "-", color="C0", lw=0.7, alpha=0.4)
    mean = by_size.groupby("k", as_index=False)["acc"].mean()
    ax.plot(mean["k"], mean["acc"], "o-", color="C0", label="ensemble (softmax averaged; thin: seeds)")
    single = by_size[by_size["k"] == 1]["acc"].mean()
    ax.axhline(single + LECTURE_ENSEMBLE_GAIN, color="C3", ls="--", lw=1, label="lecture: single + 2 points")
    ax.set_xlabel("number of independently trained models")
    ax.set_ylabel("validation accuracy (%)")
    ax.set_xticks(mean["k"])
    ax.set_title("model ensembles", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, frameon=False)

    ax = axes[1]
    lr_ax = ax.twinx()
    first = r["members"][0]
    cosine = {c.seed: a for c, a in zip(r["grid"].configs[first], final_accuracy(r["runs"][first], CHANCE))}
    for k, cycles in enumerate(sorted(r["snapshots"]["cycles"].unique())):
        name = sgdr_arm(int(cycles))
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
    seeds = r["snapshots"]["seed"].unique()
    ax.axhline(np.mean([cosine[s] for s in seeds]), color="C0", ls=":", lw=1.2, label="single cosine run (same cost)")
    ax.set_xlabel("iteration")
    ax.set_ylabel("validation accuracy (%)")
    ax.set_title("snapshot ensembles: one SGDR run each", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, frameon=False)

    ax = axes[2]
    histories = [h for name in r["members"] for h in r["runs"][name]]
    ev = mean_over_seeds(histories, logged="val_acc")
    ev = ev[ev["step"] >= 0]
    ax.plot(ev["step"] + 1, ev["val_loss"], color=plots.COLORS["val"], label="raw weights")
    ax.plot(ev["step"] + 1, ev["ema_val_loss"], color="C0", label=f"EMA of the weights (decay {r['grid'].configs[first][0].ema})")
    ax.set_xlabel("iteration")
    ax.set_ylabel("validation loss")
    ax.set_ylim(top=float(ev["val_loss"].iloc[1:].max()) * 1.05 if len(ev) > 2 else None)
    ax.set_title("Polyak / EMA averaging", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, frameon=False)
    fig.tight_layout()
    cfg = r["grid"].configs[first][0]
    plots.publish(fig, "lecture-f20", profile, _data_name(cfg), "MLP", [h for hs in r["runs"].values() for h in hs])


def _data_name(cfg: RunConfig) -> str:
    return f"Fashion-MNIST ({cfg.n_train:,} training images)" if cfg.dataset == "fashion_mnist" else cfg.dataset


# --- lecture-f21: L1, L2, elastic net ----------------------------------------------------------------------

PENALTY_NAMES = {"none": "none", "L2": "l2", "L1": "l1", "elastic net": "enet"}  # arm -> its glue names' part
PENALTY_COLORS = {"none": "0.4", "L2": "C0", "L1": "C3", "elastic net": "C2"}


def _first_layer(cfg: RunConfig) -> np.ndarray:
    """The final weights of the MLP's first layer, (hidden units, inputs)."""
    return results.snapshot(cfg, cfg.steps)["model"]["net.1.weight"].cpu().numpy()


def penalties(profile: str, seeds=None) -> dict:
    """Final first-layer weights of the MLP under each penalty: per seed, the share (points) with |w| below
    NEAR_ZERO, their root mean square, and the validation accuracy."""
    grid = penalty_setup(profile, seeds)
    runs = run_grid(grid, "L1 / L2")
    weights, first_units, rows = {}, {}, []
    for name, cfgs in grid.configs.items():
        ws = [_first_layer(c) for c in cfgs]
        weights[name] = np.concatenate([w.ravel() for w in ws])
        first_units[name] = ws[0]  # the first seed's, drawn as images
        for c, w in zip(cfgs, ws):
            rows.append({"penalty": name, "seed": c.seed, "near_zero": 100 * float(np.mean(np.abs(w) < NEAR_ZERO)),
                         "rms": float(np.sqrt(np.mean(w ** 2)))})
    table = pd.DataFrame(rows)
    accuracy_ = points(runs)
    table["val_acc"] = np.concatenate([accuracy_[name] for name in grid.configs])
    near_zero = {name: table.loc[table["penalty"] == name, "near_zero"].to_numpy() for name in grid.configs}
    return {"weights": weights, "first_units": first_units, "table": table, "runs": runs, "grid": grid,
            "near_zero": near_zero, "accuracy": accuracy_}


def judge_penalties(r: dict, profile: str | None = None) -> dict[str, verdicts.Verdict]:
    """lecture-f21, tested on the share of near-zero first-layer weights; their RMS and the accuracies glued."""
    glue_arms("lr-zero", r["near_zero"], PENALTY_NAMES)
    glue_arms("lr-pen-acc", r["accuracy"], PENALTY_NAMES)
    t = r["table"].groupby("penalty")["rms"]
    glue.values({f"lr-rms-{tag}": f"{t.mean()[name]:.4f}" for name, tag in PENALTY_NAMES.items()})
    return judge(["lecture-f21"], {"near_zero": r["near_zero"]}, r["grid"].configs["none"][0].n_val, profile)


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
    for col, (column, label) in enumerate((("near_zero", f"% with |w| < {NEAR_ZERO:g}"), ("val_acc", "validation accuracy (%)"))):
        ax = fig.add_subplot(grid[0, 2 + col])
        for i, name in enumerate(PENALTIES):
            values = t.loc[t["penalty"] == name, column]
            ax.bar(i, values.mean(), color=PENALTY_COLORS[name], alpha=0.75)
            ax.plot([i] * len(values), values, "k.", ms=5)
        ax.set_xticks(range(len(PENALTIES)), [n.replace(" ", "\n") for n in PENALTIES], fontsize=8)
        ax.set_title(label + " (dots: seeds)", fontsize=10)
        if column == "val_acc":
            ax.set_ylim(t["val_acc"].min() - 3, min(100.0, t["val_acc"].max() + 1))
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

DROPOUT_NAMES = {"none": "none", "vanilla dropout": "vanilla", "inverted dropout": "inverted", "DropConnect": "dropconnect"}


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
        cfg = grid.configs[kind][0]
        model = final_model(cfg)
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
                rows.append({"kind": kind, "level": level, "samples": n, "gap": float(gap), "inputs": n_inputs})
    return pd.DataFrame(rows)


def _slope(df: pd.DataFrame, min_samples: int = 16) -> float:
    d = df[df["samples"] >= min_samples]
    return float(np.polyfit(np.log(d["samples"]), np.log(d["gap"]), 1)[0])


def judge_dropout(expectation: pd.DataFrame, grid: Grid, runs: dict[str, list[History]], profile: str | None = None) -> dict[str, verdicts.Verdict]:
    """lecture-f22, tested: vanilla against inverted dropout, an equivalence (TOST) within the accuracy margin;
    the expectation check (how fast the mean of training-time passes reaches the test-time value) is glued as
    numbers."""
    acc = points(runs)
    glue_arms("lr-drop-acc", acc, DROPOUT_NAMES)
    next_layer = expectation[expectation["level"] == "next layer"]
    slopes = {kind: _slope(d) for kind, d in next_layer.groupby("kind")}
    n_max = int(expectation["samples"].max())
    out = expectation[(expectation["level"] == "output") & (expectation["samples"] == n_max)].set_index("kind")["gap"]
    glue.values({"lr-slope-vanilla": f"{slopes['vanilla dropout']:.2f}", "lr-slope-inverted": f"{slopes['inverted dropout']:.2f}",
                 "lr-gap-passes": f"{n_max:,}", "lr-gap-vanilla": f"{100 * out['vanilla dropout']:.1f}",
                 "lr-gap-inverted": f"{100 * out['inverted dropout']:.1f}",
                 "lr-expect-inputs": str(int(expectation["inputs"].iloc[0]))})
    return judge(["lecture-f22"], {"accuracy": acc}, grid.configs["none"][0].n_val, profile)


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
    _accuracy_bars(fig.add_subplot(spec[3]), points(runs), ("none", "vanilla dropout", "inverted dropout"),
                   colors={"none": "0.5", "vanilla dropout": "C1", "inverted dropout": "C0"},
                   title=f"(d) trained with dropout {DROP} (dots: seeds)")
    fig.tight_layout()
    cfg = grid.configs["none"][0]
    names = ("none", "vanilla dropout", "inverted dropout")
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
    """Validation accuracy (%) of each inverted-dropout network when its predictions (softmax) are averaged over
    k stochastic passes (k = 1 … ``max_passes``), and of its deterministic test-time network."""
    torch.manual_seed(seed)
    rows = []
    for cfg, h in zip(grid.configs["inverted dropout"], runs["inverted dropout"]):
        if h.attrs.get("status", "ok") != "ok":
            continue
        model = final_model(cfg)
        scaled = 100 * accuracy(val_probabilities(model, cfg), cfg)
        first = _dropout_layers(model)[0]
        hidden = model.net[:first](_data(cfg).x_val)  # deterministic up to the first dropout: computed once
        _train_mode_dropout(model)
        total = torch.zeros(len(hidden), _data(cfg).num_classes, device=hidden.device)
        for k in range(1, max_passes + 1):
            total += F.softmax(model.net[first:](hidden), 1)
            rows.append({"seed": cfg.seed, "passes": k, "mc_acc": 100 * accuracy(total / k, cfg), "scaled_acc": scaled})
    return pd.DataFrame(rows)


def judge_pattern(mc: pd.DataFrame, grid: Grid, runs: dict[str, list[History]], profile: str | None = None) -> dict[str, verdicts.Verdict]:
    """lecture-f23, tested: dropout against no dropout; Monte-Carlo averaging against the scaled test-time
    network is glued as numbers."""
    k_max = int(mc["passes"].max())
    one = mc[mc["passes"] == 1].set_index("seed")
    many = mc[mc["passes"] == k_max].set_index("seed")
    glue.values({"lr-mc-passes": str(k_max), "lr-mc-one": mean_std(one["mc_acc"]), "lr-mc-many": mean_std(many["mc_acc"]),
                 "lr-mc-scaled": mean_std(many["scaled_acc"]),
                 "lr-mc-gap": effect_text(many["mc_acc"], many["scaled_acc"])})
    return judge(["lecture-f23"], {"accuracy": points(runs)}, grid.configs["none"][0].n_val, profile)


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
    ax.axhline(float(np.mean(points({"none": runs["none"]})["none"])), color="0.4", ls=":",
               label="trained without dropout")
    ax.set_xlabel("stochastic forward passes averaged (k)")
    ax.set_ylabel("validation accuracy (%)")
    ax.set_title(f"dropout {DROP}: marginalizing by sampling or by scaling", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    plots.publish(fig, "lecture-f23", profile, _data_name(cfg), "MLP (inverted dropout)",
                  runs["inverted dropout"] + runs["none"])


# --- lecture-f24: data augmentation ----------------------------------------------------------------------

AUGMENT_NAMES = {"none": "none", "flip": "flip", "crop": "crop", "flip + crop": "flipcrop", "cutout": "cutout",
                 "mixup": "mixup"}


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


def judge_augmentation(grid: Grid, runs: dict[str, list[History]], profile: str | None = None) -> dict[str, verdicts.Verdict]:
    """lecture-f24, tested: flips and crops against none (the arms of the tested seeds); flips alone and
    crops alone are glued as numbers (figure seeds)."""
    acc = points(runs)
    glue_arms("lr-aug", acc, AUGMENT_NAMES)
    return judge(["lecture-f24"], {"accuracy": acc}, grid.configs["none"][0].n_val, profile)


def _show(ax, image: torch.Tensor, title: str) -> None:
    ax.imshow(image.permute(1, 2, 0).clamp(0, 1).numpy())
    ax.set_title(title, fontsize=8)
    ax.axis("off")


def _accuracy_bars(ax, values: dict[str, np.ndarray], names, colors=None, title: str = "") -> None:
    """Each arm's final accuracies (points): a bar at the mean, a dot per seed."""
    names = [n for n in names if n in values]
    for i, name in enumerate(names):
        ax.bar(i, np.mean(values[name]), color=(colors or {}).get(name, f"C{i}"), alpha=0.75)
        ax.plot([i] * len(values[name]), values[name], "k.", ms=6)
    ax.set_xticks(range(len(names)), [n.replace(" ", "\n", 1) for n in names], fontsize=8)
    shown = [v for n in names for v in values[n]]
    ax.set_ylim(min(shown) - 2, min(100.0, max(shown) + 1))
    ax.set_ylabel("validation accuracy (%)")
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
    names = ("none", "flip", "crop", "flip + crop")
    _accuracy_bars(fig.add_subplot(spec[:, 5]), points(runs), names, title="LeNet on Fashion-MNIST (dots: seeds)")
    cfg = grid.configs["none"][0]
    plots.publish(fig, "lecture-f24", profile, f"china.jpg; {_data_name(cfg)}", "LeNet",
                  [h for k in names for h in runs[k]])


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
    cfg = depth_setup(profile).configs["stochastic depth"][0]
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


def judge_other_regularizers(r: dict, fmp: dict, profile: str | None = None) -> dict[str, verdicts.Verdict]:
    """lecture-f25, tested: DropConnect against none (the MLP); stochastic depth against none (the ResNet) and
    the fractional pooling picture's sizes are glued as numbers."""
    depth = points(r["depth_runs"])
    glue_arms("lr-sd-acc", depth, {"none": "none", "stochastic depth": "sd"})
    side = fmp["window"][2]
    glue.values({"lr-sd-gain": effect_text(depth["stochastic depth"], depth["none"]),
                 "lr-sd-last": f"{r['survival'][-1]:.2f}", "lr-sd-blocks": str(len(r["survival"])),
                 "lr-fmp-side": str(side), "lr-fmp-pooled": str(fmp["draws"][0]["pooled"].shape[0]),
                 "lr-fmp-pool2": str(fmp["max_pool"].shape[0])})
    return judge(["lecture-f25"], {"accuracy": points(r["dropout_runs"])}, r["dropout_grid"].configs["none"][0].n_val,
                 profile)


def figure_other_regularizers(r: dict, fmp: dict, profile: str) -> None:
    fig = plt.figure(figsize=(15, 7.4))
    spec = fig.add_gridspec(2, 3)
    sub = spec[0, 0].subgridspec(1, 2)
    draw_network(fig.add_subplot(sub[0]), drop_units=DROP, seed=3, title="dropout: units")
    draw_network(fig.add_subplot(sub[1]), drop_links=DROP, seed=3, title="DropConnect: weights")
    _accuracy_bars(fig.add_subplot(spec[1, 0]), points(r["dropout_runs"]), ("none", "inverted dropout", "DropConnect"),
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
    for name, color in (("none", "0.4"), ("stochastic depth", "C2")):
        ev = pd.concat([h.dropna(subset=["val_acc"]) for h in r["depth_runs"][name]]).groupby("step", as_index=False)
        mean, lo, hi = ev["val_acc"].mean(), ev["val_acc"].min(), ev["val_acc"].max()
        ax.plot(mean["step"] + 1, 100 * mean["val_acc"], color=color, label=name)
        ax.fill_between(mean["step"] + 1, 100 * lo["val_acc"], 100 * hi["val_acc"], color=color, alpha=0.2, lw=0)
    cfg = r["depth_grid"].configs["none"][0]
    data, model = DATASET_NAMES.get(cfg.dataset, cfg.dataset), MODEL_NAMES.get(cfg.model, cfg.model)
    ax.set_xlabel("iteration")
    ax.set_ylabel("validation accuracy (%)")
    ax.set_ylim(max(0.0, ax.get_ylim()[0]), 100.0)
    ax.set_title(f"{model} on {data} (band: range over seeds)", fontsize=9)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    runs = [h for k in ("none", "inverted dropout", "DropConnect") for h in r["dropout_runs"][k]]
    runs += [h for hs in r["depth_runs"].values() for h in hs]
    plots.publish(fig, "lecture-f25", profile, f"{_data_name(r['dropout_grid'].configs['none'][0])}; {data}; china.jpg",
                  f"MLP, {model}", runs)


# --- lecture-f26: cutout and mixup -----------------------------------------------------------------------

def cutout_mixup_pictures(profile: str, seed: int = 0, size: int = CUTOUT, alpha: float = MIXUP_ALPHA) -> dict:
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


def judge_cutout_mixup(grid: Grid, runs: dict[str, list[History]], profile: str | None = None) -> dict[str, verdicts.Verdict]:
    """lecture-f26, tested: cutout against none; mixup against none is glued as numbers."""
    acc = points(runs)
    glue.values({"lr-mixup-gain": effect_text(acc["mixup"], acc["none"])})
    return judge(["lecture-f26"], {"accuracy": acc}, grid.configs["none"][0].n_val, profile)


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
    names = ("none", "cutout", "mixup")
    _accuracy_bars(fig.add_subplot(spec[:, 4]), points(runs), names, colors={"none": "0.5"},
                   title="LeNet on Fashion-MNIST (dots: seeds)")
    cfg = grid.configs["none"][0]
    plots.publish(fig, "lecture-f26", profile, _data_name(cfg), "LeNet", [h for n in names for h in runs[n]])
