"""Smith (2018) §5, the hyper-parameter checklist, executed by :mod:`hp_lib.checklist` on two analogs.

The paper gives the checklist as advice, without an experiment of its own; here it runs end to end on a
deep and a shallow network: ResNet-20 (1-D) on MNIST-1D, and LeNet on Fashion-MNIST (real images), each time
against the same plain baseline. At the ``full`` profile: ResNet-56 on CIFAR-10 and LeNet on MNIST.
"""

from __future__ import annotations

import pandas as pd

from .. import checklist, claims, glue, profiles

ANALOGS = {"smoke": (("resnet20", "mnist1d", 3.0), ("lenet", "fashion_mnist", 0.1)),
           "cpu": (("resnet20", "mnist1d", 3.0), ("lenet", "fashion_mnist", 0.1)),
           "full": (("resnet56", "cifar10", 3.0), ("lenet", "mnist", 0.1))}


def run(profile: str, seed: int = 0) -> dict[str, checklist.Report]:
    """The checklist on each analog of the profile (every run cached)."""
    p = profiles.get(profile)
    reports = {}
    for model, data, range_end in ANALOGS[profile]:
        reports[f"{model} on {data}"] = checklist.run(
            model, data, range_end=range_end, seed=seed, **p.accelerator, threads=p.threads,
            n_train=p.pick(500, 10_000 if model != "lenet" else 5_000, None), n_val=p.pick(200, 2_000, None),
            range_steps=p.pick(40, 500, 5_000), short_steps=p.pick(10, 100, 1_000),
            train_steps=p.pick(40, 600, 10_000), min_steps_per_epoch=p.pick(5, 20, 20))
    return reports


def recommendations(reports: dict[str, checklist.Report]) -> pd.DataFrame:
    """The four steps' findings side by side for the analogs; glued per step as ``smith-checklist-<k>-ours``."""
    table = pd.concat({name: r.table["value"] for name, r in reports.items()}, axis=1)
    steps = {"1. learning rate": 1, "2. batch size": 2, "3. momentum": 3, "4. weight decay": 4}
    for step, k in steps.items():
        rows = table.loc[step]
        en = "; ".join(f"{name}: " + ", ".join(f"{setting} {rows.loc[setting, name]}" for setting in rows.index)
                       for name in table.columns)
        glue.text(f"smith-checklist-{k}-ours", f"Found here — {en}.",
                  f"本書找到的值——{en.replace('; ', ';')}。")
    return table


def comparison(reports: dict[str, checklist.Report]) -> pd.DataFrame:
    return pd.concat({name: r.comparison for name, r in reports.items()}, names=["analog"])


def verdict(reports: dict[str, checklist.Report]) -> claims.Verdict:
    pairs = {name: (r.comparison["final validation accuracy"].iloc[0], r.comparison["final validation accuracy"].iloc[1])
             for name, r in reports.items()}
    v = claims.checklist_beats_baseline(pairs)
    en = "; ".join(f"{name}: {100 * a:.1f} % with the checklist's settings, {100 * b:.1f} % with the baseline"
                   for name, (a, b) in pairs.items()) + "."
    zh = ";".join(f"{name}:依檢查清單設定 {100 * a:.1f} %,基準 {100 * b:.1f} %" for name, (a, b) in pairs.items()) + "。"
    claims.glue_verdict(v, en, zh)
    return v
