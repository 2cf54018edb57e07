"""Smith (2018) §4.2, batch size: Figs. 6a, 6b and Remark 4.

The paper trains ResNet-56 on CIFAR-10 with its 1cycle policy at total batch sizes (TBS) 128, 256, 512 and
1024, with larger maximum learning rates for larger batches (0.4, 0.6, 0.8, 1.0), and gives each batch size
the number of epochs (48, 70, 95, 116) that takes about the same wall-clock time on its 4 P100 GPUs
(about 26 minutes): larger batches run more samples per second there. The author's log of the TBS 512 run
shows the policy: LR from max/10 up to max over the stepsize, down to 0 at twice the stepsize, then
max/10⁴; momentum constant at 0.95.

On the CPU: ResNet-20 with 1-D convolutions on 10,000 MNIST-1D samples at batch sizes 64–512 (the same
ratio of batch to training-set size as 128–1024 on CIFAR-10's 50,000, within a factor of two), the same
learning rates, stepsizes at the paper's fraction of the run, and epochs chosen for equal training time
on the 2-core reference machine, where one thread per run processes 3,700–4,200 samples/s at every batch
size in the range: larger batches buy little time here, so the epochs differ little.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import claims, glue, plots, profiles
from ..train import History, RunConfig
from .common import Grid, analog, final_stats, over_seeds, publish_grid, run_grid

# TBS: (max LR, epochs, stepsize in epochs) of the paper's runs (SOURCES §1.4, Fig. 6)
PAPER = {128: (0.4, 48, 21), 256: (0.6, 70, 31), 512: (0.8, 95, 41), 1024: (1.0, 116, 51)}
# the paper's batch sizes, in order, mapped to ours at each profile; ours run the paper's LR and stepsize
# fraction, for the epochs of equal time on the reference machine
CPU_EPOCHS = {64: 16, 128: 17, 256: 18, 512: 20}
SMOKE_EPOCHS = {16: 2, 32: 2, 64: 2, 128: 2}


@dataclass
class BatchSizes:
    configs: dict[int, RunConfig]  # TBS -> config
    paper_tbs: dict[int, int]      # our TBS -> the paper's
    seeds: tuple[int, ...]

    def label(self, tbs: int) -> str:
        return f"TBS {tbs}"

    def grid(self) -> Grid:
        return over_seeds({self.label(t): c for t, c in self.configs.items()}, self.seeds)


def setup(profile: str, seeds=None, min_momentum: float = 0.95) -> BatchSizes:
    """The runs of Fig. 6; ``min_momentum`` below 0.95 makes the momentum cyclical (Fig. 8b): down to it
    while the LR rises, back while it falls."""
    p = profiles.get(profile)
    n_train = p.pick(512, 10_000, 50_000)
    epochs = p.pick(SMOKE_EPOCHS, CPU_EPOCHS, {t: e for t, (_, e, _) in PAPER.items()})
    base = RunConfig(dataset=p.pick("mnist1d", "mnist1d", "cifar10"), model=p.pick("resnet20", "resnet20", "resnet56"),
                     n_train=n_train, n_val=p.pick(200, 2_000, 10_000), n_test=p.pick(100, 100, 0),
                     momentum=0.95, weight_decay=1e-4, train_probe=False, threads=p.threads, **p.accelerator)
    configs, paper_tbs = {}, {}
    for (tbs, ep), (paper, (max_lr, paper_epochs, paper_ss)) in zip(epochs.items(), PAPER.items()):
        # iterations as the author's script counts them: epochs · N / TBS, in integer arithmetic
        steps = ep * n_train // tbs
        stepsize = int(ep * paper_ss / paper_epochs * n_train / tbs)
        policy = {"name": "caffe_one_cycle", "base_lr": max_lr / 10, "max_lr": max_lr, "stepsize": stepsize,
                  "momentum": 0.95, "min_momentum": min_momentum}
        momentum = 0.95 if min_momentum == 0.95 else {**policy, "select": "momentum"}
        configs[tbs] = base.replace(batch_size=tbs, lr={**policy, "select": "lr"}, momentum=momentum, steps=steps,
                                    eval_every=max(1, steps // 25))
        paper_tbs[tbs] = paper
    return BatchSizes(configs, paper_tbs, tuple(seeds) if seeds else p.seeds)


def run(setup: BatchSizes) -> dict[int, list[History]]:
    runs = run_grid(setup.grid(), "Fig. 6")
    return {tbs: runs[setup.label(tbs)] for tbs in setup.configs}


def _seconds(histories: list[History]) -> float:
    """Mean training time of the runs (evaluations excluded)."""
    return sum(h["time"].dropna().iloc[-1] for h in histories) / len(histories)


def results(setup: BatchSizes, runs: dict[int, list[History]]) -> pd.DataFrame:
    rows = []
    for tbs, cfg in setup.configs.items():
        s, secs = final_stats(runs[tbs]), _seconds(runs[tbs])
        max_lr, paper_epochs, _ = PAPER[setup.paper_tbs[tbs]]
        epochs = cfg.steps * tbs / cfg.n_train
        rows.append({"TBS (paper)": setup.paper_tbs[tbs], "TBS (ours)": tbs, "max LR": max_lr,
                     "epochs (paper)": paper_epochs, "epochs (ours)": f"{epochs:.3g}",
                     "training time (s)": f"{secs:.0f}", "s per epoch": f"{secs / epochs:.2f}",
                     "final acc. (%)": s.acc_text(), "final loss": s.loss_text()})
    return pd.DataFrame(rows).set_index("TBS (ours)")


def describe(setup: BatchSizes, profile: str) -> None:
    cfg = next(iter(setup.configs.values()))
    data, model = analog(cfg)
    tbs = ", ".join(str(t) for t in setup.configs)
    n = len(setup.seeds)
    en = (f"ours: {model} on {data} ({cfg.n_train:,} training samples) at TBS {tbs}, the paper's max LR and "
          f"stepsize fraction, momentum 0.95, WD 1e-4, epochs for equal training time on the 2-core reference "
          f"machine; x-axis: measured training time (evaluations excluded); mean of {n} seed{'s' if n > 1 else ''} "
          f"(thin lines: single seeds); profile `{profile}`")
    zh = (f"本書實驗:在 {data}({cfg.n_train:,} 筆訓練樣本)上訓練 {model},TBS 為 {tbs},採用論文的最大學習率與步長比例,"
          f"動量 0.95,權重衰減 1e-4,epoch 數使各組在 2 核心的參考機器上訓練時間相同;橫軸為實測訓練時間(不含評估);"
          f"{n} 個隨機種子的平均(細線為單一種子);設定檔 `{profile}`")
    glue.text("smith-fig-6-ours", en, zh)


def claim_6(setup: BatchSizes, runs: dict[int, list[History]]) -> claims.Verdict:
    stats = {tbs: final_stats(hs) for tbs, hs in runs.items()}
    verdict = claims.batch_size_tradeoff({t: (s.acc_mean, s.loss_mean) for t, s in stats.items()})
    small, large = min(stats), max(stats)
    en = (f"At TBS {small} the runs end at {stats[small].acc_text()} % and loss {stats[small].loss_mean:.4f}; "
          f"at TBS {large}, at {stats[large].acc_text()} % and loss {stats[large].loss_mean:.4f}.")
    zh = (f"TBS {small} 的最終準確率為 {stats[small].acc_text()} %、損失 {stats[small].loss_mean:.4f};"
          f"TBS {large} 則為 {stats[large].acc_text()} %、損失 {stats[large].loss_mean:.4f}。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def remark_4(setup: BatchSizes, runs: dict[int, list[History]]) -> claims.Verdict:
    per_epoch = {tbs: _seconds(runs[tbs]) / (cfg.steps * tbs / cfg.n_train) for tbs, cfg in setup.configs.items()}
    verdict = claims.remark_4(per_epoch, paper_epochs={t: PAPER[setup.paper_tbs[t]][1] for t in setup.configs})
    e = verdict.evidence
    small, large = min(per_epoch), max(per_epoch)
    en = (f"An epoch takes {per_epoch[small]:.2f} s at TBS {small} and {per_epoch[large]:.2f} s at TBS {large}: "
          f"the largest batch runs {e['speedup']:.2f}× as many epochs in the same time here, against "
          f"{e['paper_speedup']:.2f}× in the paper ({PAPER[setup.paper_tbs[large]][1]} vs "
          f"{PAPER[setup.paper_tbs[small]][1]} epochs on 4 P100 GPUs).")
    zh = (f"TBS {small} 每個 epoch 需 {per_epoch[small]:.2f} 秒,TBS {large} 需 {per_epoch[large]:.2f} 秒:"
          f"在本機上,最大的批次量在相同時間內可跑 {e['speedup']:.2f} 倍的 epoch,論文中則為 {e['paper_speedup']:.2f} 倍"
          f"(4 張 P100 上 {PAPER[setup.paper_tbs[large]][1]} 對 {PAPER[setup.paper_tbs[small]][1]} 個 epoch)。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


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
