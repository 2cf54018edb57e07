"""Smith (2018) §4.3, cyclical momentum: Figs. 7a–7d, 8a, 8b, Table 1 and Remark 5.

The paper's settings (SOURCES §1.4–1.5, from the text and the author's jobs):

* Fig. 7, the 3-layer net on CIFAR-10 at WD 4e-3: (a) LR range tests 0 → 0.02 at momentum 0.99, 0.9 and
  0.7; (b) a momentum range test 0.7 → 1.0 at a fixed LR; (c) LR range tests 0.002 → 0.02 at constant
  momentum 0.9, momentum rising 0.8 → 1.0, and falling 0.95 → 0.8 and 0.97 → 0.7; (d) 20k iterations at
  LR 0.005 divided by 3.16 at 50, 75, 87.5 and 93.75 % of the run, at constant momentum or with momentum
  moving linearly over the run (0.95 → 0.85, 0.9 → 1.0).
* Fig. 8a, ResNet-56 at WD 5e-5: 1cycle LR 0.1 → 1.0 over 45 % of 20k iterations and back, with constant
  momentum 0.9, momentum falling 0.95 → 0.85 while the LR rises, or rising 0.85 → 0.95.
* Fig. 8b: Fig. 6a's batch sizes with cyclical momentum 0.95 → 0.85.
* Table 1: 3-layer net (WD 3e-3, TBS 128, 25 epochs) and ResNet-56 (WD 1e-4, TBS 512, 95 epochs), each with
  a 1cycle LR (0.0005–0.005, stepsize 11 epochs; 0.08–0.8, stepsize 41 epochs) or a constant LR (0.005;
  0.1), crossed with five momentum settings.

On the CPU, the 3-layer net and ResNet-20 run with 1-D convolutions on MNIST-1D. Our 3-layer analog trains
at learning rates ten times the paper's (its LR range test, Fig. 4a, stays stable ten times further), so
every 3-layer learning rate below is the paper's times ten; ResNet-20 uses the paper's ResNet learning
rates as they are. Momentum values are always the paper's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import claims, glue, lr_finder, plots, profiles
from ..train import History, RunConfig
from . import smith_batch_size
from .common import (analog, caffe_1cycle, final_stats, Grid, over_seeds, publish_grid, ramp, range_test_figure,
                     run_grid, seeds_of)

LR_SCALE_3LAYER = {"smoke": 10.0, "cpu": 10.0, "full": 1.0}


def three_layer_base(p: profiles.Profile, **changes) -> RunConfig:
    """The 3-layer analog of §4.3 and §4.4 (WD 4e-3, the paper's jobs), with ``changes``."""
    return RunConfig(dataset=p.pick("mnist1d", "mnist1d", "cifar10"), model="three_layer",
                     n_train=p.pick(500, 4_000, 50_000), n_val=p.pick(200, 2_000, 10_000), n_test=p.pick(100, 100, 0),
                     batch_size=p.pick(64, 128, 128), weight_decay=4e-3, train_probe=False, threads=p.threads,
                     **p.accelerator).replace(**changes)


def resnet_base(p: profiles.Profile, **changes) -> RunConfig:
    """The residual-network analog of §4.3 and §4.4, with ``changes``."""
    return RunConfig(dataset=p.pick("mnist1d", "mnist1d", "cifar10"), model=p.pick("resnet20", "resnet20", "resnet56"),
                     n_train=p.pick(512, 10_000, 50_000), n_val=p.pick(200, 2_000, 10_000), n_test=p.pick(100, 100, 0),
                     train_probe=False, threads=p.threads, **p.accelerator).replace(**changes)


# --- Fig. 7: the 3-layer net ------------------------------------------------------------------------------

def range_momentum_setup(profile: str, seeds=None) -> Grid:
    """Fig. 7a: LR range tests 0 → 0.02 (ours ×10) over 10k iterations (ours fewer) at three momenta."""
    p = profiles.get(profile)
    k, steps = LR_SCALE_3LAYER[profile], p.pick(100, 1_000, 10_000)
    return over_seeds({f"momentum {m}": three_layer_base(p, lr=ramp(0.0, 0.02 * k, steps), momentum=m, steps=steps,
                                                eval_every=p.pick(10, 30, 200))
                  for m in (0.99, 0.9, 0.7)}, seeds_of(p, seeds))


def momentum_range_setup(profile: str, seeds=None) -> Grid:
    """Fig. 7b: momentum 0.7 → 1.0 at a fixed LR (the paper does not give it; ours: 0.002 × 10, the
    lower bound of Fig. 7c's range)."""
    p = profiles.get(profile)
    k, steps = LR_SCALE_3LAYER[profile], p.pick(100, 1_000, 10_000)
    return over_seeds({"momentum 0.7 → 1.0": three_layer_base(p, lr=0.002 * k, momentum=ramp(0.7, 1.0, steps), steps=steps,
                                                    eval_every=p.pick(10, 30, 200))}, seeds_of(p, seeds))


CYCLICAL_RANGE = {"constant 0.9": (0.9, 0.9), "rising 0.8 → 1.0": (0.8, 1.0),
                  "falling 0.95 → 0.8": (0.95, 0.8), "falling 0.97 → 0.7": (0.97, 0.7)}


def range_cyclical_setup(profile: str, seeds=None) -> Grid:
    """Fig. 7c: LR range tests 0.002 → 0.02 (ours ×10) with constant, rising and falling momentum."""
    p = profiles.get(profile)
    k, steps = LR_SCALE_3LAYER[profile], p.pick(100, 1_000, 10_000)
    return over_seeds({label: three_layer_base(p, lr=ramp(0.002 * k, 0.02 * k, steps), steps=steps,
                                      momentum=m0 if m0 == m1 else ramp(m0, m1, steps), eval_every=p.pick(10, 30, 200))
                  for label, (m0, m1) in CYCLICAL_RANGE.items()}, seeds_of(p, seeds))


STEP_MOMENTA = {"constant 0.85": (0.85, 0.85), "constant 0.9": (0.9, 0.9), "constant 0.95": (0.95, 0.95),
                "cyclical 0.95 → 0.85": (0.95, 0.85), "cyclical 0.9 → 1.0": (0.9, 1.0)}


def step_momentum_setup(profile: str, seeds=None) -> Grid:
    """Fig. 7d: LR 0.005 (ours ×10) divided by 3.16 at 50, 75, 87.5 and 93.75 % of the run, with constant
    or linearly moving momentum; the paper's TBS averages 536 (512 plus its per-GPU offsets)."""
    p = profiles.get(profile)
    k, steps = LR_SCALE_3LAYER[profile], p.pick(100, 2_000, 20_000)
    lr = {"name": "multistep", "value": 0.005 * k, "gamma": 0.316,
          "milestones": [steps // 2, steps * 3 // 4, steps * 7 // 8, steps * 15 // 16]}
    return over_seeds({label: three_layer_base(p, lr=lr, steps=steps, momentum=m0 if m0 == m1 else ramp(m0, m1, steps),
                                           batch_size=p.pick(64, 128, 512), eval_every=p.pick(10, 50, 500))
                  for label, (m0, m1) in STEP_MOMENTA.items()}, seeds_of(p, seeds))


# --- Fig. 8: ResNet ---------------------------------------------------------------------------------------

ONE_CYCLE_MOMENTA = {"constant 0.9": (0.9, 0.9), "falling 0.95 → 0.85": (0.95, 0.85),
                     "rising 0.85 → 0.95": (0.85, 0.95)}


def one_cycle_momentum_setup(profile: str, seeds=None) -> Grid:
    """Fig. 8a: 1cycle LR 0.1 → 1.0 over 9k of 20k iterations (45 %), WD 5e-5, three momentum schedules."""
    p = profiles.get(profile)
    steps = p.pick(40, 500, 20_000)
    stepsize = steps * 9 // 20
    variants = {}
    for label, (m0, m1) in ONE_CYCLE_MOMENTA.items():
        momentum = m0 if m0 == m1 else caffe_1cycle(0.1, 1.0, stepsize, m0, m1, "momentum")
        variants[label] = resnet_base(p, lr=caffe_1cycle(0.1, 1.0, stepsize, 0.9, 0.9, "lr"), momentum=momentum,
                                  weight_decay=5e-5, batch_size=p.pick(64, 256, 512), steps=steps,
                                  eval_every=p.pick(5, 25, 200))
    return over_seeds(variants, seeds_of(p, seeds))


def batch_size_cm_setup(profile: str, seeds=None) -> smith_batch_size.BatchSizes:
    """Fig. 8b: Fig. 6a's runs with cyclical momentum 0.95 → 0.85."""
    return smith_batch_size.setup(profile, seeds, min_momentum=0.85)


# --- Table 1 ---------------------------------------------------------------------------------------------

MOMENTA = {"0.95-0.85": (0.95, 0.85), "0.90-1.00": (0.9, 1.0), "0.85": (0.85, 0.85), "0.90": (0.9, 0.9),
           "0.95": (0.95, 0.95)}
# the paper's Table 1: (architecture, LR column, momentum column) -> accuracy (%), std
PAPER_TABLE_1 = {
    ("3-layer", "0.0005-0.005/11", "0.95-0.85"): (81.3, 0.1), ("3-layer", "0.0005-0.005/11", "0.90-1.00"): (80.2, 0.1),
    ("3-layer", "0.0005-0.005/11", "0.85"): (79.5, 0.1), ("3-layer", "0.0005-0.005/11", "0.90"): (80.2, 0.4),
    ("3-layer", "0.0005-0.005/11", "0.95"): (81.2, 0.2),
    ("3-layer", "0.005", "0.95-0.85"): (80.8, 0.3), ("3-layer", "0.005", "0.90-1.00"): (80.9, 0.3),
    ("3-layer", "0.005", "0.85"): (80.2, 0.3), ("3-layer", "0.005", "0.90"): (81.0, 0.2),
    ("3-layer", "0.005", "0.95"): (81.0, 0.1),
    ("resnet-56", "0.08-0.80/41", "0.95-0.85"): (92.0, 0.2), ("resnet-56", "0.08-0.80/41", "0.90-1.00"): (91.4, 0.1),
    ("resnet-56", "0.08-0.80/41", "0.85"): (90.8, 0.3), ("resnet-56", "0.08-0.80/41", "0.90"): (91.4, 0.3),
    ("resnet-56", "0.08-0.80/41", "0.95"): (92.1, 0.1),
    ("resnet-56", "0.1", "0.95-0.85"): (89.1, 0.3), ("resnet-56", "0.1", "0.90-1.00"): (88.1, 0.5),
    ("resnet-56", "0.1", "0.85"): (87.8, 0.3), ("resnet-56", "0.1", "0.90"): (88.1, 0.1),
    ("resnet-56", "0.1", "0.95"): (88.8, 0.3),
}


@dataclass
class Table1:
    grid: Grid
    rows: list[tuple[str, str, str]]  # (architecture, LR column, momentum column), in the paper's order
    settings: dict[str, dict]         # architecture -> WD, TBS, epochs of our runs


def table_1_setup(profile: str, seeds=None) -> Table1:
    p = profiles.get(profile)
    k = LR_SCALE_3LAYER[profile]
    shallow = three_layer_base(p, weight_decay=3e-3, n_train=p.pick(500, 4_000, 50_000))
    deep = resnet_base(p, weight_decay=1e-4, batch_size=p.pick(64, 256, 512))
    # epochs: the paper's 25 and 95; ours fewer for the ResNet (the budget)
    arch = {"3-layer": (shallow, p.pick(2, 25, 25), 11 / 25, (0.0005 * k, 0.005 * k), 0.005 * k),
            "resnet-56": (deep, p.pick(2, 6, 95), 41 / 95, (0.08, 0.8), 0.1)}
    variants, rows, settings = {}, [], {}
    for name, (base, epochs, ss_frac, (lo, hi), constant) in arch.items():
        steps = epochs * base.n_train // base.batch_size
        stepsize = max(1, int(ss_frac * epochs * base.n_train / base.batch_size))
        settings[name] = {"WD": base.weight_decay, "TBS": base.batch_size, "epochs": epochs, "model": analog(base)[1]}
        for lr_col in (f"{_lr_text(name, 'cycle')}", _lr_text(name, "constant")):
            lr = caffe_1cycle(lo, hi, stepsize, 0.9, 0.9, "lr") if "-" in lr_col else constant
            for m_col, (m0, m1) in MOMENTA.items():
                momentum = m0 if m0 == m1 else caffe_1cycle(lo, hi, stepsize, m0, m1, "momentum")
                variants[f"{name} | {lr_col} | {m_col}"] = base.replace(lr=lr, momentum=momentum, steps=steps,
                                                                        eval_every=max(1, steps // 4))
                rows.append((name, lr_col, m_col))
    return Table1(over_seeds(variants, seeds_of(p, seeds)), rows, settings)


def _lr_text(arch: str, kind: str) -> str:
    """The paper's LR column (our 3-layer runs use ten times these values at the cpu profile)."""
    return {("3-layer", "cycle"): "0.0005-0.005/11", ("3-layer", "constant"): "0.005",
            ("resnet-56", "cycle"): "0.08-0.80/41", ("resnet-56", "constant"): "0.1"}[(arch, kind)]


def run_table_1(setup: Table1) -> tuple[pd.DataFrame, dict[str, list[History]]]:
    runs = run_grid(setup.grid, "Table 1")
    out = []
    for arch, lr_col, m_col in setup.rows:
        s = final_stats(runs[f"{arch} | {lr_col} | {m_col}"])
        paper_acc, paper_std = PAPER_TABLE_1[(arch, lr_col, m_col)]
        out.append({"architecture": arch, "LR/SS": lr_col, "momentum/SS": m_col,
                    "paper acc. (%)": f"{paper_acc:.1f} ± {paper_std:.1f}", "ours acc. (%)": s.acc_text(),
                    "ours mean": 100 * s.acc_mean, "ours std": 100 * s.acc_std})
    return pd.DataFrame(out), runs


def table_1(table: pd.DataFrame, setup: Table1, profile: str) -> pd.DataFrame:
    """The table as the page shows it, and a line on our settings under it."""
    s3, sr = setup.settings["3-layer"], setup.settings["resnet-56"]
    scale = LR_SCALE_3LAYER[profile]
    en = (f"Ours: {s3['model']}, WD {s3['WD']:g}, TBS {s3['TBS']}, {s3['epochs']} epochs"
          + (f", learning rates ×{scale:g}" if scale != 1 else "")
          + f"; {sr['model']} for the resnet-56 rows, WD {sr['WD']:g}, TBS {sr['TBS']}, {sr['epochs']} epochs; "
          f"stepsizes at the paper's fraction of the run; mean ± std over {len(setup.grid.configs[next(iter(setup.grid.configs))])} "
          f"seeds; profile `{profile}`.")
    zh = (f"本書:{s3['model']},權重衰減 {s3['WD']:g},TBS {s3['TBS']},{s3['epochs']} 個 epoch"
          + (f",學習率 ×{scale:g}" if scale != 1 else "")
          + f";resnet-56 各列為 {sr['model']},權重衰減 {sr['WD']:g},TBS {sr['TBS']},{sr['epochs']} 個 epoch;"
          f"步長取論文在整個訓練中的比例;{len(setup.grid.configs[next(iter(setup.grid.configs))])} 個隨機種子的平均 ± 標準差;"
          f"設定檔 `{profile}`。")
    glue.text("smith-table-1-ours", en, zh)
    return table.drop(columns=["ours mean", "ours std"]).set_index(["architecture", "LR/SS", "momentum/SS"])


# --- descriptions, verdicts and figures ------------------------------------------------------------------

def describe(grids: dict[str, Grid], profile: str) -> None:
    """Glue one-line descriptions of our runs: ``smith-fig-7-ours`` (range tests), ``smith-fig-7d-ours``
    and ``smith-fig-8a-ours``."""
    three, step, res = grids["7"].all()[0], grids["7d"].all()[0], grids["8a"].all()[0]
    (d3, m3), (dr, mr) = analog(three), analog(res)
    n = len({c.seed for c in grids["7"].all()})
    seeds_en, seeds_zh = f"mean of {n} seed{'s' if n > 1 else ''}", f"{n} 個隨機種子的平均"
    scale = LR_SCALE_3LAYER[profile]
    scale_en = f"learning rates ×{scale:g} the paper's, " if scale != 1 else ""
    scale_zh = f"學習率為論文的 {scale:g} 倍," if scale != 1 else ""
    common_en = f"{m3} on {d3} ({three.n_train:,} training samples, batch {three.batch_size}, WD 4e-3), {scale_en}"
    common_zh = f"在 {d3}({three.n_train:,} 筆訓練樣本,批次量 {three.batch_size},權重衰減 4e-3)上訓練 {m3},{scale_zh}"
    glue.text("smith-fig-7-ours",
              f"ours: {common_en}{three.steps:,} iterations per range test; {seeds_en}; profile `{profile}`",
              f"本書實驗:{common_zh}每次範圍測試 {three.steps:,} 次迭代;{seeds_zh};設定檔 `{profile}`")
    glue.text("smith-fig-7d-ours",
              f"ours: {common_en}{step.steps:,} iterations; {seeds_en}; profile `{profile}`",
              f"本書實驗:{common_zh}共 {step.steps:,} 次迭代;{seeds_zh};設定檔 `{profile}`")
    glue.text("smith-fig-8a-ours",
              f"ours: {mr} on {dr} ({res.n_train:,} training samples), batch {res.batch_size}, WD 5e-5, "
              f"{res.steps:,} iterations; {seeds_en}; profile `{profile}`",
              f"本書實驗:在 {dr}({res.n_train:,} 筆訓練樣本)上訓練 {mr},批次量 {res.batch_size},權重衰減 5e-5,"
              f"{res.steps:,} 次迭代;{seeds_zh};設定檔 `{profile}`")


def _mean_ev(histories: list[History]) -> pd.DataFrame:
    evs = [lr_finder.evaluations(h) for h in histories]
    return pd.concat(evs).groupby("step", as_index=False)[["lr", "momentum", "val_loss", "val_acc"]].mean()


def claim_7a(runs: dict[str, list[History]]) -> claims.Verdict:
    by_m = {float(k.split()[1]): _mean_ev(v) for k, v in runs.items()}
    verdict = claims.momentum_shifts_lr(by_m)
    e = verdict.evidence["by_momentum"]
    en = "; ".join(f"momentum {m}: lowest test loss {v['min_loss']:.3f} at LR {v['lr_at_min']:.3g}, stable up to LR "
                   f"{v['stable_to']:.3g}" for m, v in e.items()) + "."
    zh = ";".join(f"動量 {m}:最低測試損失 {v['min_loss']:.3f} 出現在學習率 {v['lr_at_min']:.3g},在學習率 {v['stable_to']:.3g} "
                  f"之前保持穩定" for m, v in e.items()) + "。"
    claims.glue_verdict(verdict, en, zh)
    return verdict


def claim_7b(runs: dict[str, list[History]]) -> claims.Verdict:
    ev = _mean_ev(next(iter(runs.values())))
    verdict = claims.no_optimal_momentum(ev)
    e = verdict.evidence
    end = float(ev["momentum"].iloc[-1])
    if e["stable_to"] < end:
        where_en = f"Up to momentum {e['stable_to']:.3f}, where the run becomes unstable,"
        where_zh = f"在動量 {e['stable_to']:.3f}(執行變得不穩定之處)之前,"
    else:
        where_en = f"The run stays stable up to momentum {end:.2f}, and"
        where_zh = f"執行一直到動量 {end:.2f} 都保持穩定,"
    en = (f"{where_en} the test loss falls to {e['min_loss']:.3f} (at momentum {e['momentum_at_min']:.3f}); from there "
          f"to the end of the stable part it rises by {e['rise_before_blowup']:.1%}.")
    zh = (f"{where_zh}測試損失降到 {e['min_loss']:.3f}(動量 {e['momentum_at_min']:.3f});從那裡到穩定區段結束,"
          f"上升 {e['rise_before_blowup']:.1%}。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def claim_7c(runs: dict[str, list[History]]) -> claims.Verdict:
    mins = {k: float(claims.stable_part(_mean_ev(v))["val_loss"].min()) for k, v in runs.items()}
    verdict = claims.decreasing_momentum_lower_loss(mins["falling 0.95 → 0.8"], mins["rising 0.8 → 1.0"],
                                                    mins["constant 0.9"])
    en = "Lowest test loss — " + "; ".join(f"{k}: {v:.3f}" for k, v in mins.items()) + "."
    zh = "最低測試損失——" + ";".join(f"{_zh_momentum(k)}:{v:.3f}" for k, v in mins.items()) + "。"
    claims.glue_verdict(verdict, en, zh)
    return verdict


def _zh_momentum(label: str) -> str:
    return (label.replace("constant", "固定").replace("rising", "遞增").replace("falling", "遞減")
            .replace("cyclical", "週期"))


def claim_7d(runs: dict[str, list[History]]) -> claims.Verdict:
    stats = {k: final_stats(v) for k, v in runs.items()}
    constant = {k: s.acc_mean for k, s in stats.items() if k.startswith("constant")}
    verdict = claims.cyclical_matches_constant(stats["cyclical 0.95 → 0.85"].acc_mean, constant, "smith-fig-7d")
    en = "Final test accuracy — " + "; ".join(f"{k}: {s.acc_text()} %" for k, s in stats.items()) + "."
    zh = "最終測試準確率——" + ";".join(f"{_zh_momentum(k)}:{s.acc_text()} %" for k, s in stats.items()) + "。"
    claims.glue_verdict(verdict, en, zh)
    return verdict


def claim_8a(runs: dict[str, list[History]]) -> claims.Verdict:
    stats = {k: final_stats(v) for k, v in runs.items()}
    verdict = claims.falling_momentum_best({k: s.acc_mean for k, s in stats.items()}, "falling 0.95 → 0.85")
    en = "Final test accuracy — " + "; ".join(f"{k}: {s.acc_text()} %" for k, s in stats.items()) + "."
    zh = "最終測試準確率——" + ";".join(f"{_zh_momentum(k)}:{s.acc_text()} %" for k, s in stats.items()) + "。"
    claims.glue_verdict(verdict, en, zh)
    return verdict


def claim_8b(constant: dict[int, list[History]], cyclical: dict[int, list[History]]) -> claims.Verdict:
    pairs = {t: (final_stats(cyclical[t]).acc_mean, final_stats(constant[t]).acc_mean) for t in constant}
    verdict = claims.cyclical_momentum_helps(pairs)
    en = "Final test accuracy with cyclical vs constant momentum — " + "; ".join(
        f"TBS {t}: {100 * c:.1f} vs {100 * k:.1f} %" for t, (c, k) in pairs.items()) + "."
    zh = "週期動量對照固定動量的最終測試準確率——" + ";".join(
        f"TBS {t}:{100 * c:.1f} 對 {100 * k:.1f} %" for t, (c, k) in pairs.items()) + "。"
    claims.glue_verdict(verdict, en, zh)
    return verdict


def claim_table_1(table: pd.DataFrame) -> claims.Verdict:
    verdict = claims.table_1(table)
    e = verdict.evidence
    en = (f"ResNet rows: the cyclical LR with falling momentum reaches {e['deep_cm']:.1f} %, the best other row "
          f"{e['deep_best_other']:.1f} % ({e['deep_best_other_row']}); 3-layer rows: the best constant momentum "
          f"reaches {e['shallow_best_constant']:.1f} % against {e['shallow_cm']:.1f} % for the cyclical LR with falling "
          f"momentum.")
    zh = (f"ResNet 各列:週期學習率搭配遞減動量達到 {e['deep_cm']:.1f} %,其餘最佳者為 {e['deep_best_other']:.1f} %"
          f"({e['deep_best_other_row']});三層網路各列:最佳固定動量達到 {e['shallow_best_constant']:.1f} %,"
          f"週期學習率搭配遞減動量為 {e['shallow_cm']:.1f} %。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def remark_5(v7a: claims.Verdict, v8a: claims.Verdict, vt1: claims.Verdict) -> claims.Verdict:
    verdict = claims.combine("smith-remark-5", {"fig-7a": v7a, "fig-8a": v8a, "table-1": vt1})
    labels = claims.labels()
    en = (f"The remark's three parts, tested above: the momentum changes the usable LR and too large a momentum "
          f"shows early (Fig. 7a: {labels['en'][v7a.status]}); a rising LR with falling momentum trains best (Fig. 8a: "
          f"{labels['en'][v8a.status]}; Table 1: {labels['en'][vt1.status]}).")
    zh = (f"這則 Remark 的三個部分已在上文檢驗:動量改變可用的學習率,過大的動量很早就顯現(圖 7a:{labels['zh'][v7a.status]});"
          f"學習率遞增、動量遞減的訓練最佳(圖 8a:{labels['zh'][v8a.status]};表 1:{labels['zh'][vt1.status]})。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_7a(grid: Grid, runs, profile: str) -> None:
    # the paper's colours: 0.99 yellow, 0.9 blue
    publish_grid(range_test_figure(runs, colors=["#e5ae38", "#1f77b4", "#2ca02c"]), "smith-fig-7a", grid, runs, profile)


def figure_7b(grid: Grid, runs, profile: str) -> None:
    publish_grid(range_test_figure(runs, x="momentum"), "smith-fig-7b", grid, runs, profile)


def figure_7c(grid: Grid, runs, profile: str) -> None:
    fig = range_test_figure(runs, colors=["#1f77b4", "#d62728", "#e5ae38", "#9467bd"])  # the paper's colours
    publish_grid(fig, "smith-fig-7c", grid, runs, profile)


def figure_7d(grid: Grid, runs, profile: str) -> None:
    publish_grid(plots.curves(runs, y="val_acc", ylabel="test (validation) accuracy"), "smith-fig-7d", grid, runs, profile)


def figure_8a(grid: Grid, runs, profile: str) -> None:
    publish_grid(plots.curves(runs, y="val_acc", ylabel="test (validation) accuracy"), "smith-fig-8a", grid, runs, profile)


def figure_8b(setup: smith_batch_size.BatchSizes, runs: dict[int, list[History]], profile: str) -> None:
    shown = {setup.label(t): hs for t, hs in runs.items()}
    fig = plots.curves(shown, x="time", y="val_acc", xlabel="training time (s)", ylabel="test (validation) accuracy")
    publish_grid(fig, "smith-fig-8b", setup.grid(), shown, profile)


def plan(profile: str, seeds=None) -> list[RunConfig]:
    """Every run of the chapter, for :func:`hp_lib.sweep.prefetch`."""
    grids = [make(profile, seeds) for make in (range_momentum_setup, momentum_range_setup, range_cyclical_setup,
                                               step_momentum_setup, one_cycle_momentum_setup)]
    grids += [smith_batch_size.setup(profile, seeds).grid(), batch_size_cm_setup(profile, seeds).grid(),
              table_1_setup(profile, seeds).grid]
    return [c for g in grids for c in g.all()]
