"""What the chapters' experiments share: names of the analogs, grids of runs over seeds, mean curves."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .. import data as data_lib
from .. import glue, lr_finder, plots, profiles, sweep, verdicts
from ..train import History, RunConfig

DATASET_NAMES = {"mnist1d": "MNIST-1D", "mnist1d_hard": "MNIST-1D (hard)", "cifar10": "CIFAR-10", "digits": "sklearn digits",
                 "fashion_mnist": "Fashion-MNIST", "imagenet": "ImageNet"}
MODEL_NAMES = {"resnet56": "ResNet-56", "resnet20": "ResNet-20", "three_layer": "3-layer net", "mlp": "MLP",
               "wrn32_4": "WRN-32-4", "densenet40": "DenseNet-40", "lenet": "LeNet", "char_lstm": "character LSTM",
               "skipgram": "skip-gram", "resnet50": "ResNet-50", "inception_resnet_v2": "Inception-ResNet-v2"}


def analog(cfg: RunConfig) -> tuple[str, str]:
    """(the data, the model) a config runs, as captions name them."""
    form = "1-D" if cfg.dataset.startswith("mnist1d") else "2-D"
    data = DATASET_NAMES.get(cfg.dataset, cfg.dataset)
    if cfg.label_noise:
        data = f"{data}, {100 * cfg.label_noise:g} % of training labels noisy"
    return data, f"{MODEL_NAMES.get(cfg.model, cfg.model)} ({form})"


def ran(cfgs: list[RunConfig], full: list[RunConfig] | None = None) -> dict[str, str]:
    """What runs trained, per language (a chapter table's "what we ran"): their models on their data, the names
    translated by the verdicts' catalog (``ran``), and their batch as a share of the training set, beside the
    share of the same runs at the ``full`` profile (``full``: the paper's settings), where that differs."""
    models = list(dict.fromkeys(MODEL_NAMES.get(c.model, c.model) for c in cfgs))
    data = list(dict.fromkeys((DATASET_NAMES.get(c.dataset, c.dataset), c.label_noise) for c in cfgs))
    share, full_share = batch_share(cfgs), batch_share(full) if full else None
    out = {}
    for lang in ("en", "zh"):
        text = verdicts.catalog()[lang]["ran"]
        name = lambda n: text["names"].get(n, n)  # noqa: E731
        on = text["and"].join(name(d) + (text["noisy"].format(percent=f"{100 * noise:g}") if noise else "")
                              for d, noise in data)
        out[lang] = (text["on"].format(models=text["and"].join(map(name, models)), data=on)
                     + text["batch"].format(share=share)
                     + (text["full"].format(share=full_share) if full_share not in (None, share) else ""))
    return out


def batch_share(cfgs: list[RunConfig]) -> str:
    """The runs' batch as a share of their training set, to two significant figures: ``2.6 %``, or the range
    ``0.64–5.1 %``. (The SGD noise of a run grows with the learning rate over this share.)"""
    shares = [100 * c.batch_size / (c.n_train or data_lib.DEFAULT_SIZES[c.dataset][0]) for c in cfgs]
    lo, hi = (f"{x:.0f}" if x >= 10 else f"{x:.2g}" for x in (min(shares), max(shares)))
    return f"{lo} %" if lo == hi else f"{lo}–{hi} %"


# The CPU profiles' stand-in for the paper's CIFAR sets and ImageNet: MNIST-1D made harder (hp_lib.data.MNIST1D_HARD:
# ResNet-20 no longer solves it), and for the items about overfitting and regularisation, symmetric label noise on
# its training split, so that there is something to overfit and to regularise (the paper's sets have hard, ambiguous
# images where MNIST-1D's labels are exact).
ANALOG = "mnist1d_hard"
LABEL_NOISE = 0.15


# The 3-layer net's learning rates are the paper's times this factor on the CPU profiles, in every experiment:
# Fig. 4a's range test at WD 4e-3 blows up near LR 0.008 in the paper and at 0.14–0.21 (median 0.17) on the
# 1-D net (tools/calibrate_analog.py lr-scale, 4 seeds), one significant figure. On CIFAR (full) the net is the
# paper's, at its LRs.
LR_SCALE_3LAYER = {"smoke": 20.0, "cpu": 20.0, "full": 1.0}


# The batch as a share of the training set, with the learning rate, sets how noisy SGD's steps are (its noise
# scale grows as lr·N/B), and that noise is one of the regularizers the paper balances (Remarks 3 and 6). A
# ``cpu`` run of a paper's figure keeps the iterations this machine affords and takes the training set on which its
# batch is the share the paper's batch was of the paper's (``at_paper_share``); its epochs follow. Exempt, each
# saying why at its setup: Fig. 1's and Fig. 4's runs, whose tests read a test loss rising over a run (memorising
# the training set takes passes over it), Fig. 3b's (three epochs of the largest set, by its claim), Figs. 6 and
# 8b (the paper's epoch budgets per batch size) and Fig. 16's analog (ImageNet's share, 0.01 %, would need 1.3
# million samples); Fig. 12a's cpu runs are Fig. 9's.
CIFAR_TRAIN = 50_000  # CIFAR-10's and CIFAR-100's training images


def at_paper_share(p: profiles.Profile, cfg: RunConfig, paper_batch: int, paper_n: int = CIFAR_TRAIN) -> RunConfig:
    """``cfg`` on the ``cpu`` profile with the training set on which its batch is the share that the paper's
    batch ``paper_batch`` was of its ``paper_n`` training images; ``cfg`` itself on the others (``full`` is the
    paper; ``smoke`` decides nothing and keeps its small sets)."""
    if p.name != "cpu":
        return cfg
    return cfg.replace(n_train=round(cfg.batch_size * paper_n / paper_batch))


def decay_scale(profile: str, iterations) -> float:
    """What the CPU profiles multiply a weight-decay grid by: the ``full`` profile's iterations over the ``cpu``
    profile's (``iterations(profile_name)``: the figure's run length there); 1 at ``full``.

    How far a weight decay pulls the weights over a run is its integral Σ_t lr(t)·wd. A range test run for a
    fiftieth of the paper's iterations over the same learning rates integrates a fiftieth as much decay, and
    a grid of the paper's values no longer acts; scaled by the ratio of iterations, each value integrates to
    what it did in the paper. The factor is the same for every arm of a figure (their order is kept) and is
    fixed by the run lengths alone; the ``smoke`` profile, which decides nothing, uses the ``cpu`` factor."""
    return 1.0 if profile == "full" else iterations("full") / iterations("cpu")


def analog_data(p: profiles.Profile, paper: str = "cifar10", noisy: bool = False) -> dict:
    """The data fields of a config standing for the paper's ``paper`` dataset: the dataset itself at ``full``,
    the analog on the CPU profiles (with label noise where ``noisy``)."""
    if p.name == "full":
        return {"dataset": paper, "label_noise": 0.0}
    return {"dataset": ANALOG, "label_noise": LABEL_NOISE if noisy else 0.0}


# The paper's ImageNet runs (the full profile's Figs. 3b, 4b and 16; SOURCES §1.3, §2): the author's solvers on 4
# GPUs, 32 images each for ResNet-50 and 28 for Inception-ResNet-v2, and his baseline solver (asolver1, Inception's
# "as for ResNet-50"): LR 0.1 times 0.94 every 20,000 iterations, momentum 0.9, WD 1e-4.
IMAGENET_TRAIN, IMAGENET_VAL, _ = data_lib.DEFAULT_SIZES["imagenet"]  # ILSVRC-2012's images
IMAGENET_BATCH = {"resnet50": 128, "inception_resnet_v2": 112}
IMAGENET_STANDARD = {"lr": {"name": "step_decay", "value": 0.1, "step_size": 20_000, "gamma": 0.94},
                     "momentum": 0.9, "weight_decay": 1e-4}


def imagenet_config(p: profiles.Profile, model: str, steps: int, eval_every: int, **changes) -> RunConfig:
    """``model`` on ImageNet (all its training images; its validation images test) at the author's batch."""
    return RunConfig(dataset="imagenet", n_train=IMAGENET_TRAIN, n_val=IMAGENET_VAL, n_test=0, model=model,
                     batch_size=IMAGENET_BATCH[model], steps=steps, eval_every=eval_every, train_probe=False,
                     threads=p.threads, **p.accelerator).replace(**changes)


def imagenet_iterations(model: str, epochs: int) -> int:
    """``epochs`` of ImageNet at ``model``'s batch, in iterations."""
    return epochs * IMAGENET_TRAIN // IMAGENET_BATCH[model]


@dataclass
class Grid:
    """Runs that differ in one setting: ``configs[label]`` holds one config per seed."""
    configs: dict[str, list[RunConfig]]

    def all(self) -> list[RunConfig]:
        return [c for cs in self.configs.values() for c in cs]


def seeds_of(p: profiles.Profile, seeds) -> tuple[int, ...]:
    """The seeds a reader asked for, else the profile's."""
    return tuple(seeds) if seeds else p.seeds


def over_seeds(variants: dict[str, RunConfig], seeds) -> Grid:
    return Grid({label: [cfg.replace(seed=s) for s in seeds] for label, cfg in variants.items()})


def run_grid(grid: Grid, desc: str) -> dict[str, list[History]]:
    histories = iter(sweep.run(grid.all(), desc=desc))
    return {label: [next(histories) for _ in cfgs] for label, cfgs in grid.configs.items()}


@dataclass
class FinalStats:
    """The end of a group of runs (one per seed): mean and std of the final test accuracy and loss, the best
    accuracy seen, and how many runs diverged, at which steps (a diverged run counts as chance-level
    accuracy, 0 here)."""
    n: int
    diverged: int
    acc_mean: float
    acc_std: float
    loss_mean: float
    loss_std: float
    best_acc: float
    diverged_steps: tuple[int, ...] = ()

    def diverged_text(self) -> str:
        """``1/3 (step 120)``: how many runs diverged, and where."""
        steps = ", ".join(str(s) for s in self.diverged_steps)
        return f"{self.diverged}/{self.n}" + (f" (step {steps})" if steps else "")

    def acc_text(self) -> str:
        """``92.4 ± 0.3`` in percent (the paper's tables)."""
        return f"{100 * self.acc_mean:.1f} ± {100 * self.acc_std:.1f}" if self.n > 1 else f"{100 * self.acc_mean:.1f}"

    def loss_text(self) -> str:
        return f"{self.loss_mean:.4f} ± {self.loss_std:.4f}" if self.n > 1 else f"{self.loss_mean:.4f}"


def final_stats(histories: list[History]) -> FinalStats:
    accs, losses, best = [], [], 0.0
    for h in histories:
        ev = h.dropna(subset=["val_acc"])
        ok = h.attrs.get("status", "ok") == "ok"
        accs.append(ev["val_acc"].iloc[-1] if ok else 0.0)
        losses.append(ev["val_loss"].iloc[-1] if ok else float("inf"))
        best = max(best, ev["val_acc"].max())
    def std(values: list[float]) -> float:
        if len(values) < 2:
            return 0.0
        return float(np.std(values, ddof=1)) if np.isfinite(values).all() else float("nan")

    diverged = [h.attrs.get("diverged_step") for h in histories if h.attrs.get("status") == "diverged"]
    return FinalStats(len(histories), len(diverged), float(np.mean(accs)), std(accs), float(np.mean(losses)),
                      std(losses), float(best), tuple(diverged))


def final_accuracy(histories: list[History], chance: float) -> np.ndarray:
    """The last test accuracy of each run (one per seed), in points; a diverged run scores ``chance`` (the
    accuracy of a constant guess), since its weights are no longer a network anyone would use."""
    return np.array([100 * h.dropna(subset=["val_acc"])["val_acc"].iloc[-1] if h.attrs.get("status", "ok") == "ok"
                     else chance for h in histories])


ACCURACY = "accuracy"  # a final test accuracy in points: its margin is the binomial rule below
# Losses are compared in log-points, 100 × ln(loss) (a difference of 5 is a ratio of about 5 %, the same on a
# loss of 0.3 as on one of 2.4), or in nats; both margins are two standard errors of a mean cross-entropy over
# the cpu profile's 2,000 test samples, for per-sample losses that spread about as much as their mean (log) or
# by about one nat.
LOSS_MARGIN_N_EVAL = 2_000
LOG_LOSS_MARGIN = 5.0
WHY_LOG_LOSS_MARGIN = (f"5 log-points (about 5 % of the loss): two standard errors of a mean cross-entropy over "
                       f"{LOSS_MARGIN_N_EVAL:,} test samples whose per-sample losses spread about as much as their "
                       f"mean (2/√{LOSS_MARGIN_N_EVAL} = 4.5 %)")
NATS_MARGIN = 0.05
WHY_NATS_MARGIN = (f"0.05 nats: two standard errors of a mean cross-entropy over {LOSS_MARGIN_N_EVAL:,} test samples "
                   f"whose per-sample losses spread by about one nat (2/√{LOSS_MARGIN_N_EVAL} = 0.045)")


@dataclass(frozen=True)
class AllOf:
    """A claim in several parts, each a :class:`Test` on the same runs, decided by
    :func:`hp_lib.verdicts.all_of`: reproduced only if every part is, not reproduced if any part is. The record
    shows the part that binds, under this claim's id."""
    id: str
    claim: str
    parts: tuple[Test, ...]
    measured: tuple[float, float, int] | None = None  # as Test.measured

    @property
    def arms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a for t in self.parts for a in t.arms))

    @property
    def form(self) -> str:
        return verdicts.DIFFERENCE if any(t.form == verdicts.DIFFERENCE for t in self.parts) else verdicts.EQUIVALENCE

    @property
    def comparisons(self) -> int:
        """The comparisons that must all be decided for the claim to be: every difference of every part."""
        return max(1, sum(t.comparisons for t in self.parts if t.form == verdicts.DIFFERENCE))

    def calibration(self) -> tuple[float, float, int] | None:
        return self.measured or measured_on_cpu().get(self.id)

    def decide(self, measures: dict, n_eval: int, profile: str | None = None) -> verdicts.Verdict:
        """Each part decided (with this claim's calibration and comparisons: its parts share its id), then
        combined."""
        return verdicts.all_of([t.decide(measures, n_eval, profile, self.comparisons) for t in self.parts],
                               self.id, self.claim)

    def criterion(self, margin: float, why_margin: str, different_beyond: float | None = None) -> verdicts.Parts:
        parts = tuple(t.criterion(margin, why_margin, different_beyond) for t in self.parts)
        return verdicts.Parts(verdicts.Claim(self.id, self.claim, parts[0].claim.metric, margin, why_margin,
                                             self.form), parts)


def final_loss(histories: list[History], chance: float) -> np.ndarray:
    """The last test loss of each run (one per seed); a diverged run scores ``chance``, the loss of the uniform
    prediction (ln of the number of classes)."""
    return np.array([h.dropna(subset=["val_loss"])["val_loss"].iloc[-1] if h.attrs.get("status", "ok") == "ok"
                     else chance for h in histories])


@dataclass(frozen=True)
class Test:
    """One item of a chapter, tested: ``treated`` against ``baseline`` (an arm, or a tuple of arms that
    ``treated`` must beat each of) on one ``measure`` of the arms' runs (one number per seed). ``claim`` is
    the one line the record states, ``metric`` what the effect measures, ``paper`` the paper's own effect in
    the same units, where it reports one.

    A positive effect is the claimed direction: treated − baseline, or baseline − treated when
    ``higher_is_better`` is false (a loss). The margin of an accuracy follows :func:`accuracy_margin`; any
    other measure states its own ``margin`` and ``why_margin``.

    Its calibration is (seed spread of the effect, margin, seeds) as the ``cpu`` profile's runs gave them
    (:func:`measured_on_cpu`; ``measured`` overrides it). The placebo and positive controls of ``make test``
    (:func:`controls`) run the criterion on synthetic seeds at that spread; and at ``cpu`` the margin is never
    below what its seeds resolve at that spread (:func:`resolution_floor`), so that an effect of twice the
    margin is decided with at least 80 % probability: an effect smaller than the seeds can resolve is not
    claimed either way."""
    __test__ = False  # not a pytest test class

    id: str
    claim: str
    treated: str
    baseline: str | tuple[str, ...]
    metric: str
    paper: float | None = None
    measure: str = ACCURACY
    higher_is_better: bool = True
    margin: float | None = None
    why_margin: str = ""
    form: str = verdicts.DIFFERENCE
    measured: tuple[float, float, int] | None = None
    paper_from: str = verdicts.TEXT  # where ``paper`` is read: the paper's text, or the author's logs (LOGS)

    @property
    def arms(self) -> tuple[str, ...]:
        return (self.treated, *(self.baseline if isinstance(self.baseline, tuple) else (self.baseline,)))

    @property
    def comparisons(self) -> int:
        """The comparisons that must all be decided: one per baseline."""
        return len(self.arms) - 1

    def calibration(self) -> tuple[float, float, int] | None:
        return self.measured or measured_on_cpu().get(self.id)

    def criterion(self, margin: float, why_margin: str, different_beyond: float | None = None):
        """A tuple of baselines: ``treated`` beats each (a difference), or no two arms differ (an equivalence)."""
        claim = verdicts.Claim(self.id, self.claim, self.metric, margin, why_margin, self.form, self.paper,
                               self.paper_from, different_beyond if self.form == verdicts.EQUIVALENCE else None)
        if not isinstance(self.baseline, tuple):
            return verdicts.Compare(claim, self.treated, self.baseline)
        if self.form == verdicts.EQUIVALENCE:
            return verdicts.AllEquivalent(claim, self.arms)
        return verdicts.BeatsEach(claim, self.treated, self.baseline)

    def decide(self, measures: dict[str, dict[str, np.ndarray]], n_eval: int,
               profile: str | None = None, comparisons: int | None = None) -> verdicts.Verdict:
        """Decide on ``measures[self.measure]`` (arm -> one value per seed, seeds in the same order);
        ``comparisons``: how many must all be decided (a part of a claim: the claim's), for the floor."""
        values = measures[self.measure]
        if self.margin is None:
            margin, why = accuracy_margin(values, self.arms, n_eval)
        else:
            margin, why = self.margin, self.why_margin
        stated = margin
        # a claim of no difference keeps its band: widening it to the seeds' resolution would make
        # "equivalent" easier to reach, the direction a noisy test must not favour
        spread, floor = (self.calibration() or (None,))[0], None
        if profile == "cpu" and spread is not None:
            floor = resolution_floor(spread, len(values[self.treated]), comparisons or self.comparisons)
            # a claim of no difference keeps its band for "equivalent" (widening it would make that easier to
            # reach, the direction a noisy test must not favour); the floor only bounds "different"
            if self.form == verdicts.DIFFERENCE and floor > margin:
                margin, why = floor, (f"the effect {len(values[self.treated])} seeds resolve at the seed spread of "
                                      f"{spread:.2g} measured on this profile's runs (larger than {why})")
        sign = 1.0 if self.higher_is_better else -1.0
        v = self.criterion(margin, why, floor).decide({a: sign * np.asarray(values[a]) for a in self.arms})
        v.stated_margin = stated  # the calibration raises the margin to its floor from this, never from a floor
        return v


def resolution_floor(spread: float, n_seeds: int, comparisons: int = 1) -> float:
    """The smallest margin that ``n_seeds`` seeds with effects spread by ``spread`` can test: an effect of
    twice it is decided with 90 % probability (:func:`hp_lib.verdicts.resolution`), in each of
    ``comparisons`` comparisons that must all be decided (a treated arm that beats each of several)."""
    return verdicts.resolution(spread, n_seeds, power=0.90 ** (1 / comparisons))


def illustrate(id: str, claim: str, why: str) -> verdicts.Verdict:
    """An item shown, not tested, as its record; its line glued into the page as ``<id>-verdict``."""
    v = verdicts.illustration(id, claim, why)
    verdicts.glue_verdict(v)
    return v


def controls(test: Test, draws: int = 200) -> dict:
    """The test's placebo and positive controls (:func:`hp_lib.verdicts.controls`) at its measured spread,
    margin and number of seeds."""
    spread, margin, n_seeds = test.calibration()
    floor = resolution_floor(spread, n_seeds, test.comparisons)
    return verdicts.controls(test.criterion(margin, "measured", floor), n_seeds, spread, draws)


MEASURED_ON_CPU = Path(__file__).with_name("measured_on_cpu.json")


@lru_cache(maxsize=1)
def measured_on_cpu() -> dict[str, tuple[float, float, int]]:
    """Each test's (seed spread of its effect, margin, seeds) on the ``cpu`` profile's runs, as
    ``python -m hp_lib controls --measure`` wrote them from a ``cpu`` build's records (its commit is in the file)."""
    if not MEASURED_ON_CPU.exists():
        return {}
    tests = json.loads(MEASURED_ON_CPU.read_text())["tests"]
    return {id: (t["spread"], t["margin"], t["n_seeds"]) for id, t in tests.items()}


def accuracy_margin(values: dict[str, np.ndarray], arms, n_eval: int) -> tuple[float, str]:
    """The margin of a test of final accuracies (points): two binomial standard errors of the evaluation set
    at the compared arms' mean accuracy (a rule fixed before the runs; the same for either direction)."""
    p = float(np.mean([values[a].mean() for a in arms])) / 100
    return verdicts.accuracy_margin(n_eval, p), f"two binomial standard errors of {n_eval:,} evaluation samples"


def decide(tests: list[Test], measures: dict[str, dict[str, np.ndarray]], n_eval: int,
           profile: str | None = None) -> dict[str, verdicts.Verdict]:
    """Every test decided on its measure, its line glued into the page as ``<id>-verdict``."""
    out = {}
    for test in tests:
        out[test.id] = v = test.decide(measures, n_eval, profile)
        verdicts.glue_verdict(v)
    return out


def glue_arms(prefix: str, values: dict[str, np.ndarray], names: dict[str, str]) -> None:
    """Glue each arm's mean ± std over seeds (points) as ``<prefix>-<name>``."""
    glue.values({f"{prefix}-{name}": mean_std(values[arm]) for arm, name in names.items()})


def mean_std(x, digits: int = 1, scale: float = 1.0) -> str:
    """``92.4 ± 0.3``: the mean and standard deviation over seeds of ``scale · x`` (the mean alone for one seed)."""
    x = scale * np.asarray(x, dtype=float)
    return f"{x.mean():.{digits}f} ± {x.std(ddof=1):.{digits}f}" if len(x) > 1 else f"{x.mean():.{digits}f}"


def ramp(start: float, end: float, steps: int) -> dict:
    """A value moving linearly from ``start`` to ``end`` over ``steps`` (an LR or a momentum), as a schedule spec."""
    return {"name": "range_test", "start_lr": start, "end_lr": end, "num_steps": steps, "mode": "linear"}


def caffe_1cycle(base: float, top: float, stepsize: int, momentum: float, min_momentum: float, select: str) -> dict:
    """The paper's Caffe 1cycle policy as a schedule spec; ``select`` is "lr" or "momentum"."""
    return {"name": "caffe_one_cycle", "base_lr": base, "max_lr": top, "stepsize": stepsize, "momentum": momentum,
            "min_momentum": min_momentum, "select": select}


def sci(x: float) -> str:
    """1e-4, 3.2e-3: how the paper writes weight decays."""
    return f"{x:.1e}".replace(".0e", "e").replace("e-0", "e-")


def publish_grid(fig, fig_id: str, grid: Grid, runs: dict[str, list[History]], profile: str) -> None:
    data, _ = analog(grid.all()[0])
    models = ", ".join(dict.fromkeys(analog(c)[1] for c in grid.all()))
    plots.publish(fig, fig_id, profile, data, models, [h for hs in runs.values() for h in hs])


def range_test_figure(runs: dict[str, list[History]], y: str = "val_loss", x: str = "lr", colors=None):
    """Range tests (``runs``: label -> one History per seed) against the LR (or the momentum, ``x``): the test
    loss, whose blow-ups leave the frame at 1.3 times the highest starting loss, or the test accuracy."""
    evs = {k: [lr_finder.evaluations(h) for h in hs] for k, hs in runs.items()}
    xlabel = {"lr": "learning rate", "momentum": "momentum"}[x]
    if y == "val_acc":
        return plots.curves(evs, x=x, xlabel=xlabel, y="val_acc", ylabel="test (validation) accuracy", colors=colors)
    top = 1.3 * max(ev["val_loss"].dropna().iloc[0] for e in evs.values() for ev in e)
    return plots.curves(evs, x=x, xlabel=xlabel, top=top, colors=colors)
