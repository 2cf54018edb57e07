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
* ImageNet → a large MNIST-1D set (10,000 samples; 50,000 at ``full``, as ImageNet is not among the
  library's datasets), a tenth of the paper's epochs; ResNet-20 for ResNet-50 and ResNet-56 for the larger
  Inception-ResNet-v2.
* Lengths in epochs are the paper's divided by a fixed factor per block of Table 2 (stated in the table),
  so every ratio between rows is the paper's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import claims, glue, lr_finder, plots, profiles
from ..train import History, RunConfig
from .common import (Grid, analog, caffe_1cycle, final_stats, over_seeds, publish_grid, ramp, range_test_figure,
                     run_grid, sci)

CIFAR10 = {"smoke": "mnist1d", "cpu": "mnist1d", "full": "cifar10"}


def _base(profile: str, dataset: str | None = None, **changes) -> RunConfig:
    p = profiles.get(profile)
    return RunConfig(dataset=dataset or CIFAR10[profile], n_train=p.pick(256, 4_000, 50_000),
                     n_val=p.pick(200, 2_000, 10_000), n_test=p.pick(100, 100, 0), train_probe=False,
                     threads=p.threads, **p.accelerator).replace(**changes)


def _wrn(profile: str) -> dict:
    return {"model": "wrn32_4", "model_kwargs": profiles.get(profile).pick({"depth": 8}, {"depth": 14}, {})}


def _densenet(profile: str) -> dict:
    return {"model": "densenet40", "model_kwargs": profiles.get(profile).pick({"depth": 10}, {"depth": 22}, {})}


def _figure_seeds(p: profiles.Profile, seeds) -> tuple[int, ...]:
    """Figures average one seed at ``cpu`` (the paper's figures show no spread; Table 2 gets every seed)."""
    return tuple(seeds) if seeds else p.pick((0,), (0,), p.seeds)


def _range(base: RunConfig, lo: float, hi: float, epochs: float, m0: float, m1: float, every: int) -> RunConfig:
    steps = max(2, int(epochs * base.n_train / base.batch_size))
    return base.replace(lr=ramp(lo, hi, steps), momentum=m0 if m0 == m1 else ramp(m0, m1, steps), steps=steps,
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
                                          lr=caffe_1cycle(0.1, 1.0, stepsize, 0.95, 0.85, "lr"),
                                          momentum=caffe_1cycle(0.1, 1.0, stepsize, 0.95, 0.85, "momentum"))
    return {"15a": wd_grid, "15b": over_seeds(runs, tuple(seeds) if seeds else p.seeds)}


# --- Fig. 16: the ImageNet analog -------------------------------------------------------------------------

PAPER_16 = {"16a": {"standard (130 epochs)": 63.7, "1cycle, WD 3e-6 (20 epochs)": 67.3, "1cycle, WD 1e-5 (20 epochs)": 67.6},
            "16b": {"standard (100 epochs)": 67.6, "1cycle, WD 3e-6 (20 epochs)": 74.0, "1cycle, WD 1e-6 (20 epochs)": 73.0}}


def fig16_setup(profile: str, seeds=None) -> dict[str, Grid]:
    p = profiles.get(profile)
    s = _figure_seeds(p, seeds)
    n = p.pick(512, 10_000, 50_000)  # ImageNet is not among the library's datasets: MNIST-1D at every profile
    scale = p.pick(100, 10, 10)  # the paper's epochs divided by this
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
                lr=caffe_1cycle(0.05, 1.0, ss, 0.95, 0.85, "lr"), momentum=caffe_1cycle(0.05, 1.0, ss, 0.95, 0.85, "momentum"),
                weight_decay=wd, steps=cyc_steps, eval_every=max(1, cyc_steps // 20))
        grids[fig] = over_seeds(variants, s)
    return grids


# --- Table 2 ---------------------------------------------------------------------------------------------

# the paper's rows: (dataset, architecture, LR column, CM column, WD, epochs, accuracy, std)
PAPER_TABLE_2 = [
    ("Cifar-10", "wide resnet", "0.1/Step", "0.9", 1e-4, 100, 86.7, 0.6),
    ("Cifar-10", "wide resnet", "0.1/Step", "0.9", 1e-4, 200, 88.7, 0.6),
    ("Cifar-10", "wide resnet", "0.1/Step", "0.9", 1e-4, 400, 98.8, 0.4),  # as printed; surely 89.8
    ("Cifar-10", "wide resnet", "0.1/Step", "0.9", 1e-4, 800, 90.3, 1.0),
    ("Cifar-10", "wide resnet", "0.1-0.5/12", "0.95-0.85/12", 1e-4, 25, 87.3, 0.8),
    ("Cifar-10", "wide resnet", "0.1-1.0/23", "0.95-0.85/23", 1e-4, 50, 91.3, 0.1),
    ("Cifar-10", "wide resnet", "0.1-1.0/45", "0.95-0.85/45", 1e-4, 100, 91.9, 0.2),
    ("Cifar-10", "densenet", "0.1/Step", "0.9", 1e-4, 100, 91.3, 0.2),
    ("Cifar-10", "densenet", "0.1/Step", "0.9", 1e-4, 200, 92.1, 0.2),
    ("Cifar-10", "densenet", "0.1/Step", "0.9", 1e-4, 400, 92.7, 0.2),
    ("Cifar-10", "densenet", "0.1-4/22", "0.9-0.85/22", 1e-6, 50, 91.7, 0.3),
    ("Cifar-10", "densenet", "0.1-4/34", "0.9-0.85/34", 1e-6, 75, 92.1, 0.2),
    ("Cifar-10", "densenet", "0.1-4/45", "0.9-0.85/45", 1e-6, 100, 92.2, 0.2),
    ("Cifar-10", "densenet", "0.1-4/70", "0.9-0.85/70", 1e-6, 150, 92.8, 0.1),
    ("MNIST", "LeNet", "0.01/inv", "0.9", 5e-4, 85, 99.03, 0.04),
    ("MNIST", "LeNet", "0.01/step", "0.9", 5e-4, 85, 99.00, 0.04),
    ("MNIST", "LeNet", "0.01-0.1/5", "0.95-0.8/5", 5e-4, 12, 99.25, 0.03),
    ("MNIST", "LeNet", "0.01-0.1/12", "0.95-0.8/12", 5e-4, 25, 99.28, 0.06),
    ("MNIST", "LeNet", "0.01-0.1/23", "0.95-0.8/23", 5e-4, 50, 99.27, 0.07),
    ("MNIST", "LeNet", "0.02-0.2/40", "0.95-0.8/40", 5e-4, 85, 99.35, 0.03),
    ("Cifar-100", "resnet-56", "0.1/step", "0.9", 1e-4, 100, 60.8, 0.4),  # printed "0.005/step"; the jobs use 0.1
    ("Cifar-100", "resnet-56", "0.1/step", "0.9", 1e-4, 200, 61.6, 0.9),
    ("Cifar-100", "resnet-56", "0.1/step", "0.9", 1e-4, 400, 61.0, 0.2),
    ("Cifar-100", "resnet-56", "0.1-0.5/12", "0.95-0.85/12", 1e-4, 25, 65.4, 0.2),
    ("Cifar-100", "resnet-56", "0.1-0.5/23", "0.95-0.85/23", 1e-4, 50, 66.4, 0.6),
    ("Cifar-100", "resnet-56", "0.09-0.9/45", "0.95-0.85/45", 1e-4, 100, 69.0, 0.4),
]


@dataclass
class Table2:
    grid: Grid
    rows: list[tuple]                   # the paper's rows, in order
    blocks: dict[str, dict]             # architecture -> our analog, batch size, epoch divisor


def _block(profile: str, arch: str) -> tuple[RunConfig, int]:
    """Our base config for one block of Table 2, and the factor its epochs are divided by."""
    p = profiles.get(profile)
    # the CIFAR-10 blocks: 1,000 samples at batch 32 (about the paper's ratio of batch to training set,
    # 512 / 50,000), so that a run of a twentieth of the paper's epochs still takes tens of steps
    if arch == "wide resnet":
        return _base(profile, n_train=p.pick(256, 1_000, 50_000), batch_size=p.pick(32, 32, 512), **_wrn(profile)), p.pick(100, 20, 1)
    if arch == "densenet":
        return _base(profile, n_train=p.pick(256, 1_000, 50_000), batch_size=p.pick(32, 32, 512), **_densenet(profile)), p.pick(100, 20, 1)
    if arch == "LeNet":
        return _base(profile, p.pick("fashion_mnist", "fashion_mnist", "mnist"), model="lenet",
                     n_train=p.pick(256, 5_000, 60_000), batch_size=p.pick(32, 128, 512)), p.pick(40, 15, 1)
    return _cifar100(profile, batch_size=p.pick(32, 64, 512)), p.pick(40, 5, 1)


def _row_config(base: RunConfig, divisor: int, lr_col: str, cm_col: str, wd: float, epochs: int) -> RunConfig:
    per_epoch = base.n_train / base.batch_size
    steps = max(4, int(epochs / divisor * per_epoch))
    cfg = base.replace(weight_decay=wd, steps=steps, eval_every=max(1, steps // 10))
    value, policy = lr_col.split("/")
    if "-" in value:  # a 1cycle: "lo-hi/stepsize in epochs"; its momentum "hi-lo/stepsize"
        lo, hi = (float(v) for v in value.split("-"))
        stepsize = max(1, int(float(policy) / epochs * steps))
        m_hi, m_lo = (float(v) for v in cm_col.split("/")[0].split("-"))
        return cfg.replace(lr=caffe_1cycle(lo, hi, stepsize, m_hi, m_lo, "lr"),
                           momentum=caffe_1cycle(lo, hi, stepsize, m_hi, m_lo, "momentum"))
    lr = float(value)
    if policy.lower() == "step":  # the repository's Step solver: × 0.316 at 50, 75, 87.5 and 93.75 %
        spec = {"name": "multistep", "value": lr, "gamma": 0.316,
                "milestones": [steps // 2, steps * 3 // 4, steps * 7 // 8, steps * 15 // 16]}
    else:  # Caffe's inv (LeNet's solver: γ 1e-4, power 0.75 per iteration of 10k): the same decay per run
        spec = {"name": "inverse_time", "value": lr, "k": 1e-4 * 10_000 / steps, "power": 0.75}
    return cfg.replace(lr=spec, momentum=float(cm_col))


def table_2_setup(profile: str, seeds=None) -> Table2:
    p = profiles.get(profile)
    variants, blocks = {}, {}
    for row in PAPER_TABLE_2:
        dataset, arch, lr_col, cm_col, wd, epochs, _, _ = row
        base, divisor = _block(profile, arch)
        blocks[arch] = {"analog": " · ".join(analog(base)), "TBS": base.batch_size, "divisor": divisor,
                        "n_train": base.n_train}
        variants[_row_label(row)] = _row_config(base, divisor, lr_col, cm_col, wd, epochs)
    return Table2(over_seeds(variants, tuple(seeds) if seeds else p.seeds), list(PAPER_TABLE_2), blocks)


def _row_label(row: tuple) -> str:
    dataset, arch, lr_col, _, _, epochs, _, _ = row
    return f"{arch} | {lr_col} | {epochs}"


def run_table_2(setup: Table2) -> tuple[pd.DataFrame, dict[str, list[History]]]:
    runs = run_grid(setup.grid, "Table 2")
    out = []
    for row in setup.rows:
        dataset, arch, lr_col, cm_col, wd, epochs, acc, std = row
        s = final_stats(runs[_row_label(row)])
        block = setup.blocks[arch]
        out.append({"dataset": dataset, "architecture": arch, "CLR/SS/PL": lr_col, "CM/SS": cm_col, "WD": sci(wd),
                    "epochs": epochs, "paper acc. (%)": f"{acc:.2f} ± {std:.2f}" if arch == "LeNet" else f"{acc:.1f} ± {std:.1f}",
                    "ours: epochs": f"{epochs / block['divisor']:g}", "ours acc. (%)": s.acc_text(),
                    "ours mean": 100 * s.acc_mean, "ours std": 100 * s.acc_std})
    return pd.DataFrame(out), runs


def table_2(table: pd.DataFrame, setup: Table2, profile: str) -> pd.DataFrame:
    en = "; ".join(f"{arch}: {b['analog']}, {b['n_train']:,} training samples, TBS {b['TBS']}, epochs ÷ {b['divisor']}"
                   for arch, b in setup.blocks.items())
    zh = ";".join(f"{arch}:{b['analog']},{b['n_train']:,} 筆訓練樣本,TBS {b['TBS']},epoch 數 ÷ {b['divisor']}"
                  for arch, b in setup.blocks.items())
    n = len(next(iter(setup.grid.configs.values())))
    glue.text("smith-table-2-ours", f"Ours — {en}; mean ± std over {n} seeds; profile `{profile}`.",
              f"本書——{zh};{n} 個隨機種子的平均 ± 標準差;設定檔 `{profile}`。")
    return table.drop(columns=["ours mean", "ours std"]).set_index(["dataset", "architecture", "CLR/SS/PL", "epochs"])


# --- descriptions, verdicts and figures ------------------------------------------------------------------

def _mean_ev(histories: list[History]) -> pd.DataFrame:
    evs = [lr_finder.evaluations(h) for h in histories]
    return pd.concat(evs).groupby("step", as_index=False)[["lr", "val_loss", "val_acc"]].mean()


def range_scores(runs: dict[str, list[History]], by: str = "loss") -> dict[str, float]:
    """Each range test's lowest test loss (``by="loss"``) or best test accuracy (``"acc"``), over the whole
    test (a blow-up only adds high losses and low accuracies)."""
    out = {}
    for label, hs in runs.items():
        ev = _mean_ev(hs)
        out[label] = float(np.nanmin(ev["val_loss"]) if by == "loss" else np.nanmax(ev["val_acc"]))
    return out


def describe(grids: dict[str, Grid], profile: str) -> None:
    """Glue ``smith-fig-<n>-ours`` (13, 14, 15, 16): the analog and the length of each figure's runs."""
    for fig in ("13a", "13b", "14a", "15a", "16a", "16b"):
        cfg = grids[fig].all()[0]
        data, model = analog(cfg)
        n = len({c.seed for c in grids[fig].all()})
        en = (f"ours: {model} on {data} ({cfg.n_train:,} training samples), batch {cfg.batch_size}, "
              f"{cfg.steps:,} iterations; {'mean of ' + str(n) + ' seeds' if n > 1 else 'one seed'}; profile `{profile}`")
        zh = (f"本書實驗:在 {data}({cfg.n_train:,} 筆訓練樣本)上訓練 {model},批次量 {cfg.batch_size},"
              f"{cfg.steps:,} 次迭代;{str(n) + ' 個隨機種子的平均' if n > 1 else '單一隨機種子'};設定檔 `{profile}`")
        glue.text(f"smith-fig-{fig}-ours", en, zh)


def _scores_text(scores: dict, fmt: str) -> tuple[str, str]:
    text = "; ".join(f"{k}: {fmt.format(v)}" for k, v in scores.items())
    return text, text.replace("; ", ";").replace("momentum", "動量").replace("WD", "權重衰減")


def claim_ranking(fig: str, runs, best: set, worst: set | None = None, by: str = "loss") -> claims.Verdict:
    scores = range_scores(runs, by)
    verdict = claims.ranking(f"smith-fig-{fig}", scores, best, worst, higher_is_better=by == "acc")
    e = verdict.evidence
    en_scores, zh_scores = _scores_text(scores, "{:.4f}" if by == "loss" else "{:.1%}")
    what_en = "lowest test loss" if by == "loss" else "best test accuracy"
    what_zh = "最低測試損失" if by == "loss" else "最佳測試準確率"
    en = f"The {what_en} of each range test — {en_scores}: best {e['best']}, worst {e['worst']}."
    zh = f"各範圍測試的{what_zh}——{zh_scores}:最佳為 {e['best']},最差為 {e['worst']}。"
    claims.glue_verdict(verdict, en, zh.replace("momentum", "動量").replace("WD", "權重衰減"))
    return verdict


def claim_15b(runs) -> claims.Verdict:
    stats = {k: final_stats(v) for k, v in runs.items()}
    verdict = claims.within_spread("smith-fig-15b", {k: (s.acc_mean, s.acc_std) for k, s in stats.items()})
    e = verdict.evidence
    parts = "; ".join(f"{k}: {s.acc_text()} %" for k, s in stats.items())
    en = f"Final test accuracy — {parts}: the means span {100 * e['span']:.1f} points, the largest std is {100 * e['largest_std']:.1f}."
    zh = (f"最終測試準確率——{parts.replace('; ', ';')}:平均值相差 {100 * e['span']:.1f} 個百分點,最大的標準差為 "
          f"{100 * e['largest_std']:.1f}。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def claim_16(fig: str, grid: Grid, runs) -> claims.Verdict:
    stats = {k: final_stats(v) for k, v in runs.items()}
    standard = next(k for k in runs if k.startswith("standard"))
    cycles = [k for k in runs if k.startswith("1cycle")]
    best = max(cycles, key=lambda k: stats[k].acc_mean)
    steps = {k: grid.configs[k][0].steps for k in runs}
    verdict = claims.super_convergence(stats[best].acc_mean, steps[best], stats[standard].acc_mean, steps[standard],
                                       claim=f"smith-fig-{fig}")
    paper = PAPER_16[fig]
    en = ("Final test accuracy, ours (paper) — " + "; ".join(f"{k}: {stats[k].acc_text()} % ({paper[k]} %)" for k in runs)
          + f". The best cycle runs {verdict.evidence['iteration_ratio']:.1f}× fewer iterations than the standard schedule.")
    zh = ("最終測試準確率,本書(論文)——" + ";".join(f"{k}:{stats[k].acc_text()} %({paper[k]} %)" for k in runs)
          + f"。最佳週期的迭代次數比標準排程少 {verdict.evidence['iteration_ratio']:.1f} 倍。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def claim_table_2(table: pd.DataFrame) -> claims.Verdict:
    verdict = claims.table_2(table)
    en = "; ".join(f"{arch}: best 1cycle {h['cycle']:.1f} % ({h['cycle_epochs']} paper epochs) against the best schedule "
                   f"{h['schedule']:.1f} % ({h['schedule_epochs']})" for arch, h in verdict.evidence.items()) + "."
    zh = ";".join(f"{arch}:最佳 1cycle {h['cycle']:.1f} %(論文 {h['cycle_epochs']} 個 epoch),最佳傳統排程 "
                  f"{h['schedule']:.1f} %({h['schedule_epochs']})" for arch, h in verdict.evidence.items()) + "。"
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_range(fig_id: str, grid: Grid, runs, profile: str, y: str = "val_loss") -> None:
    publish_grid(range_test_figure(runs, y=y), fig_id, grid, runs, profile)


def figure_curves(fig_id: str, grid: Grid, runs, profile: str) -> None:
    """Test accuracy against the epoch (Figs. 15b, 16)."""
    publish_grid(plots.curves(runs, x="epoch", xlabel="epoch", y="val_acc", ylabel="test (validation) accuracy"),
                 fig_id, grid, runs, profile)


def plan(profile: str, seeds=None) -> list[RunConfig]:
    """Every run of the chapter, for :func:`hp_lib.sweep.prefetch`."""
    grids = {**fig13_setup(profile, seeds), **fig14_setup(profile, seeds), **fig15_setup(profile, seeds),
             **fig16_setup(profile, seeds)}
    return [c for g in grids.values() for c in g.all()] + table_2_setup(profile, seeds).grid.all()
