"""Smith (2018) §5, the hyper-parameter checklist, executed by :mod:`hp_lib.checklist` on two analogs.

The paper gives the checklist as advice, without an experiment of its own; here it runs end to end on a
deep and a shallow network: ResNet-20 (1-D) on MNIST-1D, and LeNet on Fashion-MNIST (real images). At the
``full`` profile: ResNet-56 on CIFAR-10 and LeNet on MNIST.

The test is kept apart from the choices. Each analog's data is split three ways: the checklist's four steps
train on the training split and choose on the validation split, once (at the selection seed); the test split
is read by no step. The recommended settings and a practitioner's baseline then train on the training and
validation splits together, on the profile's paired seeds, and are scored on the test split. The baseline is
each network's standard published recipe, the one a practitioner would run without the checklist, for the
same number of epochs (on a CPU, about the same time):

* ResNet: He et al. (2016, CIFAR-10): LR 0.1 divided by 10 at half and three quarters of the run, momentum
  0.9, WD 1e-4, batch 128;
* LeNet: Caffe's LeNet solver (Smith's own baseline for MNIST, Fig. 15): LR 0.01 with the ``inv`` policy
  (γ 1e-4, power 0.75, its decay spread over our run as over the solver's 10,000 iterations), momentum 0.9,
  WD 5e-4, batch 64.

Each arm runs SGD as its source does: the baselines with plain momentum, the checklist with Nesterov's (as
the paper's solvers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import checklist, glue, profiles, sweep, verdicts
from ..train import History, RunConfig
from . import common
from .chapter import Chapter, Experiment
from .common import ANALOG, MODEL_NAMES, Test, analog, decide, final_accuracy, glue_arms, mean_std, sci

# role -> (model, dataset, end of the LR range test) at each profile
ANALOGS = {"smoke": {"deep": ("resnet20", ANALOG, 3.0), "shallow": ("lenet", "fashion_mnist", 0.1)},
           "cpu": {"deep": ("resnet20", ANALOG, 3.0), "shallow": ("lenet", "fashion_mnist", 0.1)},
           "full": {"deep": ("resnet56", "cifar10", 3.0), "shallow": ("lenet", "mnist", 0.1)}}
# role -> (training, validation, test) samples at each profile; the test split is read by no step of the
# checklist (CIFAR-10: 60,000 images in all; MNIST: 70,000)
SPLITS = {"smoke": {"deep": (500, 200, 200), "shallow": (500, 200, 200)},
          "cpu": {"deep": (10_000, 2_000, 2_000), "shallow": (5_000, 2_000, 2_000)},
          "full": {"deep": (45_000, 5_000, 10_000), "shallow": (50_000, 10_000, 10_000)}}
# the checklist's run lengths at each profile (iterations; the batch keeps at least min_steps_per_epoch)
LENGTHS = {"smoke": {"range_steps": 40, "short_steps": 10, "train_steps": 40, "min_steps_per_epoch": 5},
           "cpu": {"range_steps": 500, "short_steps": 100, "train_steps": 600, "min_steps_per_epoch": 20},
           "full": {"range_steps": 5_000, "short_steps": 1_000, "train_steps": 10_000, "min_steps_per_epoch": 20}}
CHECKLIST, STANDARD = "checklist", "standard recipe"
CHANCE = 10.0  # ten classes: the accuracy of a diverged run


def standard_recipe(model: str, steps: int) -> dict:
    """The recipe a practitioner runs for ``model`` without the checklist, over ``steps`` iterations."""
    if model.startswith("resnet"):  # He et al. 2016, §4.2: 0.1, ÷10 at 32k and 48k of 64k iterations
        return {"lr": {"name": "multistep", "value": 0.1, "milestones": [steps // 2, steps * 3 // 4], "gamma": 0.1},
                "momentum": 0.9, "nesterov": False, "weight_decay": 1e-4, "batch_size": 128}
    if model == "lenet":  # Caffe's examples/mnist/lenet_solver.prototxt, over 10,000 iterations
        return {"lr": {"name": "inverse_time", "value": 0.01, "k": 1e-4 * 10_000 / steps, "power": 0.75},
                "momentum": 0.9, "nesterov": False, "weight_decay": 5e-4, "batch_size": 64}
    raise ValueError(f"no standard recipe for {model!r}")


# The chapter's test, fixed before any run. The four steps make one recommendation, so one comparison tests
# it: recorded under step 1, whose 1cycle with the range test's bounds is the policy steps 2-4 fill in.
TESTS = [
    Test("smith-checklist-1", "the checklist's settings (1cycle between a tenth of the range test's best LR and "
         "it, with the checklist's batch, cyclical momentum and weight decay) train to a higher held-out test "
         "accuracy than the network's standard recipe in the same epochs", CHECKLIST, STANDARD,
         "checklist minus standard recipe, final test accuracy on a split no choice was made on, averaged over "
         "the deep and the shallow network (points)"),
]
# The steps that are shown, not tested: why (the page says the same).
ILLUSTRATED = {
    "smith-checklist-2": ("a large batch works well, as large as the GPU memory allows",
                          "the memory bound the step reads does not bind here: a rule sets the batch (the largest "
                          "candidate that keeps a floor of steps per epoch), so there is no choice to test; Sec. 4.2 "
                          "tests batch sizes at equal time"),
    "smith-checklist-3": ("short runs at momentum 0.99, 0.97, 0.95 and 0.9 show the best value",
                          "testing the short runs' choice needs full runs at every candidate momentum scored on "
                          "held-out data, which this chapter does not make; Sec. 4.3 compares momenta on full runs"),
    "smith-checklist-4": ("a grid search of one significant figure finds the weight decay",
                          "the grid runs once per value from one snapshot and is read on the validation split it "
                          "chooses on; testing the choice needs full runs at each value scored on held-out data; "
                          "Sec. 4.4 tests weight decay on paired seeds"),
}

# The checklist's runs are chained (each step reads the one before), so none is known before a result.
CHAPTER = Chapter("smith-checklist", (
    Experiment("the checklist on a deep and a shallow network, scored against their standard recipes",
               ("smith-checklist-1", *ILLUSTRATED), None, TESTS),
))


@dataclass
class Scoring:
    """The runs the test reads: per role, the recommendation and the standard recipe, one config per seed."""
    configs: dict[str, dict[str, list[RunConfig]]]  # role -> arm -> configs
    seeds: tuple[int, ...]

    def all(self) -> list[RunConfig]:
        return [c for arms in self.configs.values() for cs in arms.values() for c in cs]


def run(profile: str, seed: int = 0) -> dict[str, checklist.Report]:
    """The checklist's four steps on each analog of the profile (every run cached), choosing on the
    validation split at ``seed``; the test split is held out."""
    p = profiles.get(profile)
    reports = {}
    for role, (model, data, range_end) in ANALOGS[profile].items():
        n_train, n_val, n_test = SPLITS[profile][role]
        reports[role] = checklist.run(
            model, data, range_end=range_end, seed=seed, **p.accelerator, threads=p.threads,
            n_train=n_train, n_val=n_val, n_test=n_test, compare=False, **LENGTHS[profile])
    return reports


def illustrate() -> list[verdicts.Verdict]:
    """The steps shown, not tested, each line glued as ``<id>-verdict``."""
    return [common.illustrate(id_, claim, why) for id_, (claim, why) in ILLUSTRATED.items()]


def scoring_setup(profile: str, reports: dict[str, checklist.Report], seeds=None) -> Scoring:
    """The recommendation and the standard recipe of each analog, trained on the training and validation
    splits together and evaluated on the test split, on the paired seeds; the same epochs for both arms."""
    p = profiles.get(profile)
    seeds = tuple(seeds) if seeds else p.paired_seeds
    configs = {}
    for role, report in reports.items():
        n_train, n_val, n_test = SPLITS[profile][role]
        rec = report.config.replace(n_train=n_train + n_val, n_val=n_test, n_test=0)
        rec = rec.replace(eval_every=max(1, rec.steps // 10))
        steps = rec.steps * rec.batch_size // standard_recipe(rec.model, rec.steps)["batch_size"]  # equal epochs
        std = rec.replace(steps=steps, eval_every=max(1, steps // 10), **standard_recipe(rec.model, steps))
        configs[role] = {CHECKLIST: [rec.replace(seed=s) for s in seeds],
                         STANDARD: [std.replace(seed=s) for s in seeds]}
    return Scoring(configs, seeds)


def run_scoring(setup: Scoring) -> dict[str, dict[str, list[History]]]:
    histories = iter(sweep.run(setup.all(), desc="checklist: recommendation vs standard recipe"))
    return {role: {arm: [next(histories) for _ in cfgs] for arm, cfgs in arms.items()}
            for role, arms in setup.configs.items()}


def recommendations(profile: str, reports: dict[str, checklist.Report], seed: int = 0) -> pd.DataFrame:
    """The four steps' findings side by side for the analogs; each setting glued as ``sck-<role>-<setting>``,
    with the run lengths and the selection seed."""
    glue.values({f"sck-{k.replace('_', '-')}": f"{v:,}" for k, v in LENGTHS[profile].items()})
    glue.values({"sck-selection-seed": str(seed)})
    for role, r in reports.items():
        rec = r.recommendation
        glue.values({f"sck-{role}-net": _name(r.config), f"sck-{role}-range-end": f"{ANALOGS[profile][role][2]:g}",
                     f"sck-{role}-max-lr": f"{rec['max_lr']:.3g}", f"sck-{role}-min-lr": f"{rec['min_lr']:.3g}",
                     f"sck-{role}-batch": str(rec["batch_size"]), f"sck-{role}-momentum": f"{rec['momentum']:g}",
                     f"sck-{role}-wd": _wd(rec["weight_decay"])})
    return pd.concat({_name(r.config): r.table["value"] for r in reports.values()}, axis=1)


def _wd(x: float) -> str:
    return sci(x) if x else "0"


def _name(cfg: RunConfig) -> str:
    data, model = analog(cfg)
    return f"{model} on {data}"


def glue_settings(profile: str, setup: Scoring) -> None:
    """The splits, budgets and seeds the page states, glued from this profile's configs."""
    values = {"sck-seeds": str(len(setup.seeds))}
    for role, arms in setup.configs.items():
        rec, std = arms[CHECKLIST][0], arms[STANDARD][0]
        n_train, n_val, n_test = SPLITS[profile][role]
        values.update({f"sck-{role}-n-train": f"{n_train:,}", f"sck-{role}-n-val": f"{n_val:,}",
                       f"sck-{role}-n-test": f"{n_test:,}", f"sck-{role}-n-fit": f"{rec.n_train:,}",
                       f"sck-{role}-steps": f"{rec.steps:,}", f"sck-{role}-std-steps": f"{std.steps:,}",
                       f"sck-{role}-epochs": f"{rec.steps * rec.batch_size / rec.n_train:.3g}",
                       f"sck-{role}-model": MODEL_NAMES.get(rec.model, rec.model)})
    glue.values(values)


def results(setup: Scoring, runs: dict[str, dict[str, list[History]]]) -> pd.DataFrame:
    """Each analog's two arms: their settings and budget, and the final test accuracy (mean ± std over seeds)."""
    rows = []
    for role, arms in setup.configs.items():
        for arm, cfgs in arms.items():
            cfg, acc = cfgs[0], final_accuracy(runs[role][arm], CHANCE)
            lr = cfg.lr
            policy = (f"1cycle {lr['base_lr']:.3g} → {lr['max_lr']:.3g}" if lr["name"] == "caffe_one_cycle" else
                      f"{lr['value']:g}, ÷10 at {lr['milestones'][0]:,} and {lr['milestones'][1]:,}"
                      if lr["name"] == "multistep" else f"{lr['value']:g}, inv (power {lr['power']:g})")
            m = cfg.momentum
            momentum = f"{m['momentum']:g} → {m['min_momentum']:g}" if isinstance(m, dict) else f"{m:g}"
            rows.append({"analog": _name(cfg), "arm": arm, "LR": policy, "momentum": momentum,
                         "WD": _wd(cfg.weight_decay), "batch": cfg.batch_size,
                         "iterations": cfg.steps, "epochs": f"{cfg.steps * cfg.batch_size / cfg.n_train:.3g}",
                         "seeds": len(acc), "final test acc. (%)": mean_std(acc)})
    return pd.DataFrame(rows).set_index(["analog", "arm"])


def measures(setup: Scoring, runs: dict[str, dict[str, list[History]]]) -> dict[str, dict[str, np.ndarray]]:
    """Each arm's final test accuracy per seed (points), averaged over the analogs; each analog's glued."""
    per_role = {role: {arm: final_accuracy(hs, CHANCE) for arm, hs in arms.items()} for role, arms in runs.items()}
    for role, values in per_role.items():
        glue_arms(f"sck-{role}-acc", values, {CHECKLIST: "checklist", STANDARD: "standard"})
    pooled = {arm: np.mean([per_role[role][arm] for role in per_role], axis=0) for arm in (CHECKLIST, STANDARD)}
    glue_arms("sck-acc", pooled, {CHECKLIST: "checklist", STANDARD: "standard"})
    return {"accuracy": pooled}


def judge(setup: Scoring, runs: dict[str, dict[str, list[History]]], profile: str) -> dict[str, verdicts.Verdict]:
    """The test decided on the test splits of both analogs together, its line glued as ``<id>-verdict``."""
    n_eval = sum(arms[CHECKLIST][0].n_val for arms in setup.configs.values())
    return decide(TESTS, measures(setup, runs), n_eval, profile)
