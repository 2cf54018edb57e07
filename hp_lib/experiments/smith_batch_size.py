"""Smith (2018) §4.2, batch size: Figs. 6a, 6b and Remark 4.

The paper trains ResNet-56 on CIFAR-10 with its 1cycle policy at total batch sizes (TBS) 128, 256, 512 and
1024, with larger maximum learning rates for larger batches (0.4, 0.6, 0.8, 1.0), and gives each batch size
the number of epochs (48, 70, 95, 116) that takes about the same wall-clock time on its 4 P100 GPUs
(about 26 minutes): larger batches run more samples per second there. The author's log of the TBS 512 run
shows the policy: LR from max/10 up to max over the stepsize, down to 0 at twice the stepsize, then
max/10⁴; momentum constant at 0.95.

On the CPU: ResNet-20 with 1-D convolutions on 10,000 samples of the analog at batch sizes 64–512 (the same
ratio of batch to training-set size as 128–1024 on CIFAR-10's 50,000, within a factor of two), the same
learning rates, stepsizes at the paper's fraction of the run, and the paper's epochs divided by one factor
(:data:`EPOCH_DIVISOR`): the paper's budget for each batch size, in the same ratios. (Equal time on one CPU
thread is another budget than the paper's equal time on four GPUs; Remark 4's test measures how much.)

The tests compare the analogs of the paper's extreme batch sizes, TBS 1024 and TBS 128, on the profile's
paired seeds; the two batch sizes between them are drawn in the figures only and keep the profile's seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import glue, plots, profiles, verdicts
from ..train import History, RunConfig
from .chapter import Chapter, Experiment
from .common import (LOG_LOSS_MARGIN, WHY_LOG_LOSS_MARGIN, Grid, Test, analog, analog_data, decide, final_accuracy, final_loss,
                     final_stats, glue_arms, publish_grid, run_grid)

# TBS: (max LR, epochs, stepsize in epochs) of the paper's runs (SOURCES §1.4, Fig. 6)
PAPER = {128: (0.4, 48, 21), 256: (0.6, 70, 31), 512: (0.8, 95, 41), 1024: (1.0, 116, 51)}
# the paper's batch sizes, in order, mapped to ours at each profile; ours run the paper's LR and stepsize
# fraction, for the paper's epochs divided by the profile's divisor
OUR_TBS = {"smoke": (16, 32, 64, 128), "cpu": (64, 128, 256, 512), "full": tuple(PAPER)}
EPOCH_DIVISOR = {"smoke": 24, "cpu": 6, "full": 1}
SMALL, LARGE = 128, 1024  # the paper's extreme batch sizes: the arms the tests compare
CHANCE_ACC = 10.0          # ten classes: the accuracy of a diverged run
CHANCE_LOSS = math.log(10)  # the loss of the uniform prediction


def arm(paper_tbs: int) -> str:
    """A test's arm: our runs at the analog of the paper's batch size ``paper_tbs``."""
    return f"TBS {paper_tbs} (paper)"


# The chapter's tests, fixed before any run: the paper's largest batch against its smallest, at the paper's budget.
# Loss and speed are compared on a log scale (100 × ln of the ratio, about percent): Fig. 6b's axis is
# logarithmic, and a speed-up is a ratio.
PAPER_LOG_SPEEDUP = 100 * math.log(PAPER[LARGE][1] / PAPER[SMALL][1])  # 116 against 48 epochs in the same time
TESTS = [
    Test("smith-fig-6a", "for a fixed computational budget, a larger total batch size yields a higher test accuracy",
         arm(LARGE), arm(SMALL), "the analog of TBS 1024 minus that of TBS 128, final test accuracy after the "
         "paper's epochs for each (116 and 48, scaled alike; points)"),
    Test("smith-fig-6b", "for a fixed computational budget, a smaller total batch size has a lower test loss",
         arm(SMALL), arm(LARGE), "100 × ln of the final test loss of the analog of TBS 1024 over that of TBS 128, "
         "after the paper's epochs for each (about percent)", measure="log_loss", higher_is_better=False, margin=LOG_LOSS_MARGIN,
         why_margin=WHY_LOG_LOSS_MARGIN),
    Test("smith-remark-4", "the batch size changes the execution time, so batch sizes must be compared at equal "
         "time: the larger batch runs more epochs per second", arm(LARGE), arm(SMALL),
         "100 × ln of the epochs per second of training of the analog of TBS 1024 over that of TBS 128 "
         "(about percent)", paper=PAPER_LOG_SPEEDUP, measure="log_speed", margin=PAPER_LOG_SPEEDUP / 2,
         why_margin="half the paper's speed-up on a log scale (116 against 48 epochs in the same time, 2.4 "
                    "times): a smaller speed-up keeps equal time within 1.55 times of equal epochs"),
]


@dataclass
class BatchSizes:
    configs: dict[int, RunConfig]          # our TBS -> config
    paper_tbs: dict[int, int]              # our TBS -> the paper's
    seeds: dict[int, tuple[int, ...]]      # our TBS -> its seeds (paired for the tested extremes)

    def label(self, tbs: int) -> str:
        return f"TBS {tbs}"

    def ours(self, paper_tbs: int) -> int:
        """Our batch size for the paper's ``paper_tbs``."""
        return next(t for t, p in self.paper_tbs.items() if p == paper_tbs)

    def grid(self) -> Grid:
        return Grid({self.label(t): [c.replace(seed=s) for s in self.seeds[t]] for t, c in self.configs.items()})

    def all(self) -> list[RunConfig]:
        return self.grid().all()


def setup(profile: str, seeds=None, min_momentum: float = 0.95) -> BatchSizes:
    """The runs of Fig. 6; ``min_momentum`` below 0.95 makes the momentum cyclical (Fig. 8b): down to it
    while the LR rises, back while it falls. The analogs of the paper's TBS 128 and 1024 (the tested arms)
    run the profile's paired seeds, the others its seeds; ``seeds`` sets every batch size's."""
    p = profiles.get(profile)
    n_train = p.pick(512, 10_000, 50_000)  # the budgets are epochs: not at the paper's share (common.at_paper_share)
    divisor = EPOCH_DIVISOR[profile]
    base = RunConfig(**analog_data(p), model=p.pick("resnet20", "resnet20", "resnet56"),
                     n_train=n_train, n_val=p.pick(200, 2_000, 10_000), n_test=p.pick(100, 100, 0),
                     momentum=0.95, weight_decay=1e-4, train_probe=False, threads=p.threads, **p.accelerator)
    configs, paper_tbs, seeds_by = {}, {}, {}
    for tbs, (paper, (max_lr, paper_epochs, paper_ss)) in zip(OUR_TBS[profile], PAPER.items()):
        # iterations as the author's script counts them: epochs · N / TBS
        steps = paper_epochs * n_train // (divisor * tbs)
        stepsize = paper_ss * n_train // (divisor * tbs)
        policy = {"name": "caffe_one_cycle", "base_lr": max_lr / 10, "max_lr": max_lr, "stepsize": stepsize,
                  "momentum": 0.95, "min_momentum": min_momentum}
        momentum = 0.95 if min_momentum == 0.95 else {**policy, "select": "momentum"}
        configs[tbs] = base.replace(batch_size=tbs, lr={**policy, "select": "lr"}, momentum=momentum, steps=steps,
                                    eval_every=max(1, steps // 25))
        paper_tbs[tbs] = paper
        tested = paper in (SMALL, LARGE)
        seeds_by[tbs] = tuple(seeds) if seeds else (p.paired_seeds if tested else p.seeds)
    return BatchSizes(configs, paper_tbs, seeds_by)


CHAPTER = Chapter("smith-batch-size", (
    Experiment("batch sizes at the paper's budget", ("smith-fig-6a", "smith-fig-6b", "smith-remark-4"), setup, TESTS,
               timed=True),
))


def run(setup: BatchSizes) -> dict[int, list[History]]:
    runs = run_grid(setup.grid(), "Fig. 6")
    return {tbs: runs[setup.label(tbs)] for tbs in setup.configs}


def _seconds(histories: list[History]) -> float:
    """Mean training time of the runs (evaluations excluded)."""
    return sum(h["time"].dropna().iloc[-1] for h in histories) / len(histories)


def epochs_per_second(h: History) -> float:
    """Epochs trained per second of training (evaluations excluded), up to the last timed evaluation (a
    diverged run: the last before it stopped)."""
    timed = h.dropna(subset=["time"])
    timed = timed[timed["time"] > 0]
    if timed.empty:  # diverged before its first timed evaluation: the whole run's clock
        return float(h["epoch"].dropna().iloc[-1] / h.attrs["seconds"])
    return float(timed["epoch"].iloc[-1] / timed["time"].iloc[-1])


def results(setup: BatchSizes, runs: dict[int, list[History]]) -> pd.DataFrame:
    rows = []
    for tbs, cfg in setup.configs.items():
        s, secs = final_stats(runs[tbs]), _seconds(runs[tbs])
        max_lr, paper_epochs, _ = PAPER[setup.paper_tbs[tbs]]
        epochs = cfg.steps * tbs / cfg.n_train
        rows.append({"TBS (paper)": setup.paper_tbs[tbs], "TBS (ours)": tbs, "max LR": max_lr,
                     "epochs (paper)": paper_epochs, "epochs (ours)": f"{epochs:.3g}", "seeds": s.n,
                     "training time (s)": f"{secs:.0f}", "s per epoch": f"{secs / epochs:.2f}",
                     "final acc. (%)": s.acc_text(), "final loss": s.loss_text()})
    return pd.DataFrame(rows).set_index("TBS (ours)")


def glue_settings(setup: BatchSizes) -> None:
    """The settings the page states, glued from the configs of this profile."""
    small, large = setup.ours(SMALL), setup.ours(LARGE)
    cfg = setup.configs[small]
    data, model = analog(cfg)
    middle = [t for t in setup.configs if t not in (small, large)]
    epochs = {t: c.steps * t / c.n_train for t, c in setup.configs.items()}
    glue.values({"s42-data": data, "s42-model": model, "s42-n-train": f"{cfg.n_train:,}", "s42-n-val": f"{cfg.n_val:,}",
                 "s42-tbs": ", ".join(str(t) for t in setup.configs),
                 "s42-tbs-small": str(small), "s42-tbs-large": str(large),
                 "s42-epochs-small": f"{epochs[small]:.3g}", "s42-epochs-large": f"{epochs[large]:.3g}",
                 "s42-epochs": ", ".join(f"{e:.3g}" for e in epochs.values()),
                 "s42-divisor": f"{PAPER[SMALL][1] / epochs[small]:.0f}",
                 "s42-seeds": str(len(setup.seeds[small])),
                 "s42-figure-seeds": str(len(setup.seeds[middle[0]] if middle else setup.seeds[small]))})


def measures(setup: BatchSizes, runs: dict[int, list[History]]) -> dict[str, dict[str, np.ndarray]]:
    """The tested arms' measures, one value per seed: final test accuracy (points), 100 × ln of the final
    test loss and of the epochs per second; glued for the page."""
    tested = {arm(p): runs[setup.ours(p)] for p in (SMALL, LARGE)}
    acc = {a: final_accuracy(hs, CHANCE_ACC) for a, hs in tested.items()}
    loss = {a: final_loss(hs, CHANCE_LOSS) for a, hs in tested.items()}
    speed = {a: np.array([epochs_per_second(h) for h in hs]) for a, hs in tested.items()}
    names = {arm(p): str(p) for p in (SMALL, LARGE)}
    glue_arms("s42-acc", acc, names)
    glue.values({f"s42-loss-{n}": f"{loss[a].mean():.3f} ± {loss[a].std(ddof=1):.3f}" if len(loss[a]) > 1
                 else f"{loss[a].mean():.3f}" for a, n in names.items()})
    glue.values({f"s42-s-per-epoch-{n}": f"{np.mean(1 / speed[a]):.2f}" for a, n in names.items()})
    glue.values({"s42-speedup": f"{np.mean(speed[arm(LARGE)]) / np.mean(speed[arm(SMALL)]):.2f}",
                 "s42-paper-speedup": f"{PAPER[LARGE][1] / PAPER[SMALL][1]:.2f}"})
    return {"accuracy": acc, "log_loss": {a: 100 * np.log(v) for a, v in loss.items()},
            "log_speed": {a: 100 * np.log(v) for a, v in speed.items()}}


def judge(setup: BatchSizes, runs: dict[int, list[History]], profile: str) -> dict[str, verdicts.Verdict]:
    """Every test of the chapter decided, its line glued as ``<id>-verdict``."""
    return decide(TESTS, measures(setup, runs), setup.configs[setup.ours(SMALL)].n_val, profile)


def _figure(setup: BatchSizes, runs: dict[int, list[History]], y: str, ylabel: str, fig_id: str, profile: str,
            logs: dict | None = None, **kwargs) -> None:
    shown = {setup.label(t): hs for t, hs in runs.items()}
    fig = plots.curves(shown, x="time", y=y, xlabel="training time (s)", ylabel=ylabel, **kwargs)
    if logs:  # the author's log, against its own wall-clock (4 P100 GPUs)
        plots.overlay_paper_logs(fig, logs, x="seconds", y="test_acc")
    publish_grid(fig, fig_id, setup.grid(), shown, profile)


def figure_6a(setup: BatchSizes, runs: dict[int, list[History]], profile: str) -> None:
    _figure(setup, runs, "val_acc", "test (validation) accuracy", "smith-fig-6a", profile,
            logs={"TBS 512": "resnet56_tbs512"} if profile == "full" else None)


def figure_6b(setup: BatchSizes, runs: dict[int, list[History]], profile: str) -> None:
    _figure(setup, runs, "val_loss", "test (validation) loss (log scale)", "smith-fig-6b", profile, log_y=True)
