"""Smith (2018) §5, experiments with other architectures and datasets: Figs. 13a–16b and Table 2.

The paper's settings (SOURCES §1.4, §1.6, from the captions, the text and the author's jobs):

* Fig. 13, CIFAR-10: (a) the 32-layer wide ResNet (k = 4), LR range test 0.1 → 1 with momentum 0.95 → 0.85
  at TBS 512 and WD 1e-3, 1e-4, 3e-5, 1e-5; DenseNet-40 at TBS 256: (b) LR 0.1 → 1 at constant momentum
  0.99, 0.97, 0.95 and 0.9; (c) LR 0.1 → 4 with momentum 0.95 → 0.85 at WD 1e-3 … 1e-6; (d) TBS 256 against
  512 (50 and 75 epochs).
* Fig. 14, MNIST with LeNet: LR range tests 0.001 → 0.04, (a) momentum 0.9 against 0.95 → 0.8, (b) WD 5e-4,
  1e-3, 3e-3 and 1e-4.
* Fig. 15, CIFAR-100 with ResNet-56: (a) WD 3e-4, 1e-4, 1e-5 in an LR range test 0.1 → 1 with cyclical
  momentum; (b) 1cycle at TBS 256, 512 and 1024 with epochs for similar time.
* Fig. 16, ImageNet: (a) ResNet-50, (b) Inception-ResNet-v2: the standard schedule (LR 0.1 × 0.94 every 2
  epochs, momentum 0.9, WD 1e-4, 100–130 epochs) against 1cycle (LR 0.05 → 1.0, momentum 0.95 → 0.85, 20
  epochs) at small weight decays.
* Table 2: step schedules against 1cycle at several lengths, four datasets.

Analogs at the ``cpu`` profile (the ``full`` profile keeps the paper's datasets and networks):

* CIFAR-10 → MNIST-1D; the wide ResNet and DenseNet keep their widths, growth, normalisation, dropout and
  shortcuts but are shortened to 14 and 22 layers (2 blocks per stage; 6 layers per dense block) — at 32
  and 40 layers one epoch of 4,000 samples takes 11 and 19 s on one core.
* MNIST with LeNet → Fashion-MNIST with the same LeNet (real 28×28 images).
* CIFAR-100 → MNIST-1D with ten times fewer samples per class (100, as CIFAR-100 has 500 against
  CIFAR-10's 5,000), ResNet-20.
* ImageNet → the largest MNIST-1D set in the budget (20,000 samples); ResNet-20 for ResNet-50 and
  ResNet-56 for the larger Inception-ResNet-v2.
* Lengths in epochs are the paper's divided by a fixed factor per block of Table 2 (stated in the table),
  so every ratio between rows is the paper's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import claims, glue, lr_finder, plots, profiles
from ..train import History, RunConfig
from .common import Grid, analog, final_stats, over_seeds, publish_grid, run_grid, sci
from .smith_momentum import _caffe_1cycle, _ramp

CIFAR10 = {"smoke": "mnist1d", "cpu": "mnist1d", "full": "cifar10"}


def _base(profile: str, dataset: str | None = None, **changes) -> RunConfig:
    p = profiles.get(profile)
    return RunConfig(dataset=dataset or CIFAR10[profile], n_train=p.pick(256, 4_000, 50_000),
                     n_val=p.pick(200, 2_000, 10_000), n_test=p.pick(100, 100, 0), threads=p.threads,
                     device=p.device).replace(**changes)


def _wrn(profile: str) -> dict:
    return {"model": "wrn32_4", "model_kwargs": profiles.get(profile).pick({"depth": 8}, {"depth": 14}, {})}


def _densenet(profile: str) -> dict:
    return {"model": "densenet40", "model_kwargs": profiles.get(profile).pick({"depth": 10}, {"depth": 22}, {})}


def _figure_seeds(p: profiles.Profile, seeds) -> tuple[int, ...]:
    """Figures average one seed at ``cpu`` (the paper's figures show no spread; Table 2 gets every seed)."""
    return tuple(seeds) if seeds else p.pick((0,), (0,), p.seeds)


def _range(base: RunConfig, lo: float, hi: float, epochs: float, m0: float, m1: float, every: int) -> RunConfig:
    steps = max(2, int(epochs * base.n_train / base.batch_size))
    return base.replace(lr=_ramp(lo, hi, steps), momentum=m0 if m0 == m1 else _ramp(m0, m1, steps), steps=steps,
                        eval_every=max(1, steps // every))


# --- Figs. 13–15: range tests ---------------------------------------------------------------------------

def fig13_setup(profile: str, seeds=None) -> dict[str, Grid]:
    p = profiles.get(profile)
    s = _figure_seeds(p, seeds)
    ep = p.pick(1, 5, None)  # the range test's length in epochs (the paper's, at full)
    wrn = _base(profile, batch_size=p.pick(64, 128, 512), **_wrn(profile))
    dense = _base(profile, batch_size=p.pick(64, 128, 256), **_densenet(profile))
    every = p.pick(5, 25, 50)
    return {
        "13a": over_seeds({f"WD {sci(wd)}": _range(wrn.replace(weight_decay=wd), 0.1, 1.0, ep or 100, 0.95, 0.85, every)
                           for wd in (1e-3, 1e-4, 3e-5, 1e-5)}, s),
        "13b": over_seeds({f"momentum {m}": _range(dense.replace(weight_decay=1e-4), 0.1, 1.0, ep or 50, m, m, every)
                           for m in (0.99, 0.97, 0.95, 0.9)}, s),
        "13c": over_seeds({f"WD {sci(wd)}": _range(dense.replace(weight_decay=wd), 0.1, 4.0, ep or 50, 0.95, 0.85, every)
                           for wd in (1e-3, 1e-4, 1e-5, 1e-6)}, s),
        # TBS 256 for 50 epochs against 512 for 75 (the paper's; ours: twice the batch for 1.5 times the epochs)
        "13d": over_seeds({f"TBS {tbs}": _range(dense.replace(weight_decay=1e-6, batch_size=tbs), 0.1, 4.0,
                                                (ep or 50) * k, 0.9, 0.9, every)
                           for tbs, k in ((p.pick(64, 128, 256), 1.0), (p.pick(128, 256, 512), 1.5))}, s),
    }


def fig14_setup(profile: str, seeds=None) -> dict[str, Grid]:
    p = profiles.get(profile)
    s = _figure_seeds(p, seeds)
    lenet = _base(profile, p.pick("fashion_mnist", "fashion_mnist", "mnist"), model="lenet",
                  n_train=p.pick(256, 10_000, 60_000), batch_size=64, weight_decay=5e-4)
    ep, every = p.pick(1, 2, 10), p.pick(5, 25, 50)
    return {
        "14a": over_seeds({"momentum 0.9": _range(lenet, 0.001, 0.04, ep, 0.9, 0.9, every),
                           "momentum 0.95 → 0.8": _range(lenet, 0.001, 0.04, ep, 0.95, 0.8, every)}, s),
        "14b": over_seeds({f"WD {sci(wd)}": _range(lenet.replace(weight_decay=wd), 0.001, 0.04, ep, 0.95, 0.8, every)
                           for wd in (5e-4, 1e-3, 3e-3, 1e-4)}, s),
    }


def _cifar100(profile: str, **changes) -> RunConfig:
    p = profiles.get(profile)
    dataset = p.pick("mnist1d", "mnist1d", "cifar100")
    return _base(profile, dataset, model=p.pick("resnet20", "resnet20", "resnet56"),
                 n_train=p.pick(256, 1_000, 50_000), **changes)


C100_TBS = {"smoke": (16, 32, 64), "cpu": (32, 64, 128), "full": (256, 512, 1024)}
# the paper's C100 jobs: TBS -> (epochs, stepsize in epochs), max LR 1
C100_EPOCHS = {256: (55, 55), 512: (50, 50), 1024: (130, 130)}


def fig15_setup(profile: str, seeds=None) -> dict[str, Grid]:
    p = profiles.get(profile)
    every = p.pick(5, 25, 50)
    base = _cifar100(profile, batch_size=p.pick(32, 64, 512))
    wd_grid = over_seeds({f"WD {sci(wd)}": _range(base.replace(weight_decay=wd), 0.1, 1.0, p.pick(2, 20, 50), 0.95, 0.85,
                                                  every) for wd in (3e-4, 1e-4, 1e-5)}, _figure_seeds(p, seeds))
    runs = {}
    scale = p.pick(20, 5, 1)  # the paper's epochs divided by this
    for tbs, paper_tbs in zip(C100_TBS[profile], (256, 512, 1024)):
        epochs, ss = C100_EPOCHS[paper_tbs]
        steps = max(4, epochs * base.n_train // scale // tbs)
        stepsize = max(1, int(ss * 0.45 / epochs * steps))  # up for 45 % and down for 45 % of the run
        runs[f"TBS {tbs}"] = base.replace(batch_size=tbs, weight_decay=1e-4, steps=steps, eval_every=max(1, steps // 20),
                                          lr=_caffe_1cycle(0.1, 1.0, stepsize, 0.95, 0.85, "lr"),
                                          momentum=_caffe_1cycle(0.1, 1.0, stepsize, 0.95, 0.85, "momentum"))
    return {"15a": wd_grid, "15b": over_seeds(runs, tuple(seeds) if seeds else p.seeds)}


# --- Fig. 16: the ImageNet analog -------------------------------------------------------------------------

PAPER_16 = {"16a": {"standard (130 epochs)": 63.7, "1cycle, WD 3e-6 (20 epochs)": 67.3, "1cycle, WD 1e-5 (20 epochs)": 67.6},
            "16b": {"standard (100 epochs)": 67.6, "1cycle, WD 3e-6 (20 epochs)": 74.0, "1cycle, WD 1e-6 (20 epochs)": 73.0}}


def fig16_setup(profile: str, seeds=None) -> dict[str, Grid]:
    p = profiles.get(profile)
    s = _figure_seeds(p, seeds)
    n = p.pick(512, 20_000, 1_281_167)
    scale = p.pick(100, 10, 1)  # the paper's epochs divided by this
    grids = {}
    for fig, model, standard_epochs, wds in (("16a", "resnet20", 130, (3e-6, 1e-5)), ("16b", "resnet56", 100, (3e-6, 1e-6))):
        base = _base(profile, "mnist1d", model=model, n_train=n, batch_size=128)
        std_steps = max(4, standard_epochs * n // scale // 128)
        per_2_epochs = max(1, 2 * n // scale // 128)
        cyc_steps = max(4, 20 * n // scale // 128)
        ss = int(cyc_steps * 0.45)
        variants = {f"standard ({standard_epochs} epochs)": base.replace(
            lr={"name": "step_decay", "value": 0.1, "step_size": per_2_epochs, "gamma": 0.94}, momentum=0.9,
            weight_decay=1e-4, steps=std_steps, eval_every=max(1, std_steps // 40))}
        for wd in wds:
            variants[f"1cycle, WD {sci(wd)} (20 epochs)"] = base.replace(
                lr=_caffe_1cycle(0.05, 1.0, ss, 0.95, 0.85, "lr"), momentum=_caffe_1cycle(0.05, 1.0, ss, 0.95, 0.85, "momentum"),
                weight_decay=wd, steps=cyc_steps, eval_every=max(1, cyc_steps // 20))
        grids[fig] = over_seeds(variants, s)
    return grids
