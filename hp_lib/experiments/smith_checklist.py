"""Smith (2018) §5, the hyper-parameter checklist, executed by :mod:`hp_lib.checklist` on two analogs.

The paper gives the checklist as advice, without an experiment of its own; here it runs end to end on a
deep and a shallow network: ResNet-20 (1-D) on MNIST-1D, and LeNet on Fashion-MNIST (real images). At the
``full`` profile: ResNet-56 on CIFAR-10 and LeNet on MNIST.

The test is kept apart from the choices. Each analog's data is split three ways: the checklist's four steps
train on the training split and choose on the validation split, once (at the selection seed); the test split
is read by no step. Every arm below then trains on the training and validation splits together, on the
profile's paired seeds, for the same epochs, and is scored on the test split. Each step gets its own test,
the arms of which change the recommendation in one setting:

1. learning rate: the 1cycle with the range test's bounds against the same 1cycle with both bounds halved or
   doubled, and against a practitioner's baseline: the best LR of the same range test held constant with a
   step decay (÷10 at half and three quarters of the run, He et al. 2016), momentum 0.9, and the network's
   standard weight decay and batch (ResNet: 1e-4, 128, He et al.; LeNet: 5e-4, 64, Caffe's LeNet solver);
2. batch size: the checklist's batch against a quarter of it with a quarter of the LR (the linear scaling
   rule), in the same epochs;
3. momentum: full runs at every candidate momentum; the short runs' pick against the one they ranked last;
4. weight decay: the pick against a decade above and below it (the magnitude the grid finds matters) and
   against 1.4 times it, a value equal to it in one significant figure (the second figure does not).

Each arm runs SGD as its source does: the baseline with plain momentum, the checklist's with Nesterov's (as
the paper's solvers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import checklist, glue, profiles, sweep, verdicts
from ..train import History, RunConfig
from .chapter import Chapter, Experiment
from .common import (ANALOG, MODEL_NAMES, AllOf, Test, analog, decide, final_accuracy, final_stats, glue_arms,
                     mean_std, ran, sci)

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
CHANCE = 10.0  # ten classes: the accuracy of a diverged run

# The arms, named alike for both networks (their accuracies are averaged over the two): the recommendation, and
# for each step of the checklist the arms that change it in that step's setting alone
CHECKLIST = "checklist"
BASELINE = "step schedule at the range test's LR"                           # step 1
LR_HALF, LR_DOUBLE = "1cycle, LR bounds ×0.5", "1cycle, LR bounds ×2"      # step 1
BATCH_QUARTER = "batch ÷4, LR bounds ÷4"                                  # step 2
MOMENTUM_RANKED = ("momentum ranked 2nd", "momentum ranked 3rd", "momentum ranked last")  # step 3, by the short runs
MOMENTUM_LAST = MOMENTUM_RANKED[-1]
WD_UP, WD_DOWN, WD_FINE = "WD ×10", "WD ÷10", "WD ×1.4"                    # step 4
FINE = 1.4  # equal to the pick in one significant figure: 1e-5 and 1.4e-5 both round to 1e-5
# each arm's name in the glue keys (sck-<role>-acc-<name>, sck-acc-<name>)
GLUE_NAMES = {CHECKLIST: "checklist", BASELINE: "baseline", LR_HALF: "lr-half", LR_DOUBLE: "lr-double",
              BATCH_QUARTER: "batch-quarter", MOMENTUM_RANKED[0]: "momentum-2", MOMENTUM_RANKED[1]: "momentum-3",
              MOMENTUM_LAST: "momentum-last", WD_UP: "wd-up", WD_DOWN: "wd-down", WD_FINE: "wd-fine"}

# a practitioner's weight decay and batch for each network: its standard published recipe (He et al. 2016, §4.2,
# for the ResNet; Caffe's examples/mnist/lenet_solver.prototxt for LeNet)
STANDARD_RECIPE = {"resnet": {"weight_decay": 1e-4, "batch_size": 128},
                   "lenet": {"weight_decay": 5e-4, "batch_size": 64}}


def practitioner_baseline(model: str, lr: float, samples: int) -> dict:
    """What a practitioner runs with the range test's best LR and no checklist, over a budget of ``samples``
    training samples: that LR held constant and divided by 10 at half and three quarters of the run (He et al.'s
    step decay), momentum 0.9 (plain), and the network's standard weight decay and batch."""
    family = "resnet" if model.startswith("resnet") else model
    if family not in STANDARD_RECIPE:
        raise ValueError(f"no standard recipe for {model!r}: the baseline knows resnet* and lenet")
    recipe = STANDARD_RECIPE[family]
    steps = samples // recipe["batch_size"]
    return {"lr": {"name": "multistep", "value": lr, "milestones": [steps // 2, steps * 3 // 4], "gamma": 0.1},
            "momentum": 0.9, "nesterov": False, "steps": steps, "eval_every": max(1, steps // 10), **recipe}


def _metric(other: str) -> str:
    return (f"checklist minus {other}, final test accuracy on a split no choice was made on, averaged over the deep "
            f"and the shallow network (points)")


# The chapter's tests, one per step, fixed before any run.
TESTS = [
    Test("smith-checklist-1", "the 1cycle between a tenth of the range test's best LR and it trains to a higher "
         "held-out test accuracy than the same 1cycle with both bounds halved or doubled, and than the range "
         "test's best LR held constant with a step decay (a practitioner's baseline)",
         CHECKLIST, (BASELINE, LR_HALF, LR_DOUBLE), _metric("the binding other arm (baseline, LR ×0.5, LR ×2)")),
    Test("smith-checklist-2", "it is better to use a larger batch so a larger learning rate can be used: the "
         "checklist's batch at the range test's LR trains to a higher held-out test accuracy than a quarter of "
         "that batch at a quarter of the LR, in the same epochs", CHECKLIST, BATCH_QUARTER,
         _metric("a quarter of its batch and LR")),
    Test("smith-checklist-3", "short runs at momentum 0.99, 0.97, 0.95 and 0.9 show the best value: full runs at the "
         "momentum the short runs pick end with a higher held-out test accuracy than at the one they rank last",
         CHECKLIST, MOMENTUM_LAST, _metric("the momentum the short runs ranked last")),
    AllOf("smith-checklist-4", "a grid search finds the magnitude of the weight decay, and one significant figure "
          "is enough: the pick beats a weight decay ten times larger and ten times smaller, and ends as accurate "
          "as 1.4 times it", (
              Test("smith-checklist-4", "the weight decay the grid picks beats ten times and a tenth of it",
                   CHECKLIST, (WD_UP, WD_DOWN), _metric("the binding decade neighbour (WD ×10, WD ÷10)")),
              Test("smith-checklist-4", "the weight decay the grid picks and 1.4 times it (equal in one "
                   "significant figure) end equally accurate", CHECKLIST, WD_FINE, _metric("WD ×1.4"),
                   form=verdicts.EQUIVALENCE))),
]

# The checklist's runs are chained (each step reads the one before), so none is known before a result.
CHAPTER = Chapter("smith-checklist", (
    Experiment("the checklist on a deep and a shallow network, each step tested on held-out data",
               tuple(t.id for t in TESTS), None, tuple(TESTS)),
))


@dataclass
class Scoring:
    """The runs the tests read: per role, the recommendation and every other arm, one config per seed."""
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


def _wd_reference(rec: dict) -> float:
    """The weight decay whose neighbours step 4's test runs: the pick, or where the pick is 0 (which has no
    significant figure), a tenth of the grid's smallest nonzero value (0 lies below the grid's values)."""
    return rec["weight_decay"] or min(w for w in rec["weight_decay_grid"] if w > 0) / 10


def arms(report: checklist.Report, n_fit: int, n_test: int) -> dict[str, RunConfig]:
    """The recommendation and every arm that changes it in one step's setting (module docstring), each trained on
    ``n_fit`` samples and scored on the ``n_test`` held out, for the same epochs."""
    rec = report.recommendation
    base = report.config.replace(n_train=n_fit, n_val=n_test, n_test=0, snapshot_at=())

    def cycle(max_lr=rec["max_lr"], momentum=rec["momentum"], batch=rec["batch_size"], **changes) -> RunConfig:
        steps = base.steps * base.batch_size // batch  # the same epochs at any batch
        policy = checklist.one_cycle(max_lr, max_lr / 10, momentum, steps)
        return base.replace(batch_size=batch, steps=steps, eval_every=max(1, steps // 10), **policy, **changes)

    wd = _wd_reference(rec)
    out = {CHECKLIST: cycle(),
           BASELINE: base.replace(**practitioner_baseline(base.model, rec["max_lr"], base.steps * base.batch_size)),
           LR_HALF: cycle(max_lr=rec["max_lr"] / 2), LR_DOUBLE: cycle(max_lr=rec["max_lr"] * 2),
           BATCH_QUARTER: cycle(max_lr=rec["max_lr"] / 4, batch=rec["batch_size"] // 4),
           WD_UP: cycle(weight_decay=wd * 10), WD_DOWN: cycle(weight_decay=wd / 10),
           WD_FINE: cycle(weight_decay=wd * FINE)}
    others = [m for m in rec["momentum_ranking"] if m != rec["momentum"]]
    out.update({arm: cycle(momentum=m) for arm, m in zip(MOMENTUM_RANKED, others)})
    return out


def scoring_setup(profile: str, reports: dict[str, checklist.Report], seeds=None) -> Scoring:
    """Every arm of each analog, trained on the training and validation splits together and evaluated on the
    test split, on the paired seeds."""
    p = profiles.get(profile)
    seeds = tuple(seeds) if seeds else p.paired_seeds
    configs = {}
    for role, report in reports.items():
        n_train, n_val, n_test = SPLITS[profile][role]
        configs[role] = {arm: [cfg.replace(seed=s) for s in seeds]
                         for arm, cfg in arms(report, n_train + n_val, n_test).items()}
    return Scoring(configs, seeds)


def run_scoring(setup: Scoring) -> dict[str, dict[str, list[History]]]:
    histories = iter(sweep.run(setup.all(), desc="checklist: every step tested on held-out data"))
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
        rec, std = arms[CHECKLIST][0], arms[BASELINE][0]
        n_train, n_val, n_test = SPLITS[profile][role]
        values.update({f"sck-{role}-n-train": f"{n_train:,}", f"sck-{role}-n-val": f"{n_val:,}",
                       f"sck-{role}-n-test": f"{n_test:,}", f"sck-{role}-n-fit": f"{rec.n_train:,}",
                       f"sck-{role}-steps": f"{rec.steps:,}", f"sck-{role}-std-steps": f"{std.steps:,}",
                       f"sck-{role}-epochs": f"{rec.steps * rec.batch_size / rec.n_train:.3g}",
                       f"sck-{role}-model": MODEL_NAMES.get(rec.model, rec.model),
                       f"sck-{role}-std-wd": _wd(std.weight_decay), f"sck-{role}-std-batch": str(std.batch_size),
                       f"sck-{role}-quarter-batch": str(arms[BATCH_QUARTER][0].batch_size),
                       f"sck-{role}-momentum-last": f"{arms[MOMENTUM_LAST][0].momentum['momentum']:g}",
                       f"sck-{role}-wd-up": _wd(arms[WD_UP][0].weight_decay),
                       f"sck-{role}-wd-down": _wd(arms[WD_DOWN][0].weight_decay),
                       f"sck-{role}-wd-fine": _wd(arms[WD_FINE][0].weight_decay)})
    glue.values(values)


def results(setup: Scoring, runs: dict[str, dict[str, list[History]]]) -> pd.DataFrame:
    """Each analog's arms: their settings and budget, and the final test accuracy (mean ± std over seeds)."""
    rows = []
    for role, arms in setup.configs.items():
        for arm, cfgs in arms.items():
            cfg, acc = cfgs[0], final_accuracy(runs[role][arm], CHANCE)
            lr = cfg.lr
            policy = (f"1cycle {lr['base_lr']:.3g} → {lr['max_lr']:.3g}" if lr["name"] == "caffe_one_cycle" else
                      f"{lr['value']:.3g}, ÷10 at {lr['milestones'][0]:,} and {lr['milestones'][1]:,}")
            m = cfg.momentum
            momentum = f"{m['momentum']:g} → {m['min_momentum']:g}" if isinstance(m, dict) else f"{m:g}"
            rows.append({"analog": _name(cfg), "arm": arm, "LR": policy, "momentum": momentum,
                         "WD": _wd(cfg.weight_decay), "batch": cfg.batch_size,
                         "iterations": cfg.steps, "epochs": f"{cfg.steps * cfg.batch_size / cfg.n_train:.3g}",
                         "seeds": len(acc), "diverged": final_stats(runs[role][arm]).diverged_text(),
                         "final test acc. (%)": mean_std(acc)})
    return pd.DataFrame(rows).set_index(["analog", "arm"])


def measures(setup: Scoring, runs: dict[str, dict[str, list[History]]]) -> dict[str, dict[str, np.ndarray]]:
    """Each arm's final test accuracy per seed (points), averaged over the analogs; each analog's glued."""
    per_role = {role: {arm: final_accuracy(hs, CHANCE) for arm, hs in arms.items()} for role, arms in runs.items()}
    for role, values in per_role.items():
        glue_arms(f"sck-{role}-acc", values, GLUE_NAMES)
        glue.values({f"sck-{role}-baseline-diverged": final_stats(runs[role][BASELINE]).diverged_text()})
    pooled = {arm: np.mean([per_role[role][arm] for role in per_role], axis=0) for arm in GLUE_NAMES}
    glue_arms("sck-acc", pooled, GLUE_NAMES)
    return {"accuracy": pooled}


def judge(setup: Scoring, runs: dict[str, dict[str, list[History]]], profile: str) -> dict[str, verdicts.Verdict]:
    """The tests decided on the test splits of both analogs together, each line glued as ``<id>-verdict``."""
    n_eval = sum(arms[CHECKLIST][0].n_val for arms in setup.configs.values())
    judged = decide(TESTS, measures(setup, runs), n_eval, profile)
    what = ran(setup.all())  # the chapter declares no runs ahead (they are chained), so its table learns them here
    for v in judged.values():
        v.ran = what
    return judged
