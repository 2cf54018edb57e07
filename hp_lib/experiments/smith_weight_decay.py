"""Smith (2018) §4.4, weight decay: Figs. 9a–12b and Remark 6.

The paper's settings (SOURCES §1.4, from the captions and the author's jobs):

* Fig. 9: the 3-layer net on CIFAR-10 at a constant LR 0.005 and momentum 0.95, WD 1e-2, 3.2e-3, 1.8e-3 and
  1e-3; (a) test loss, (b) test accuracy.
* Fig. 10: the same grid in an LR range test 0.001 → 0.01 with momentum falling 0.98 → 0.9.
* Fig. 11: ResNet-56, momentum 0.95, TBS 1,030, WD 1e-4, 3.2e-4, 5.6e-4 and 1e-3, (a) at a constant LR 0.1,
  (b) in an LR range test 0.1 → 1.0.
* Fig. 12: the grid search restarted from a snapshot: (a) the 3-layer net trained at WD 1e-3, then continued
  at each weight decay; (b) ResNet-56's range test run to its middle at WD 1e-4, then continued at each.

Our snapshot searches restart Fig. 9's run at WD 1e-3 and Fig. 11b's run at WD 1e-4 halfway, so Figs. 9
and 11b are the searches from scratch they are checked against, and the time they save is measured on the
same runs. As in the momentum chapter, the 3-layer net's learning rates are the paper's times ten at the
``smoke`` and ``cpu`` profiles; ResNet-20 stands in for ResNet-56 at the paper's learning rates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import claims, glue, lr_finder, plots, profiles, schedules
from ..train import History, RunConfig
from .common import Grid, analog, final_stats, over_seeds, publish_grid, ramp, range_test_figure, run_grid, sci
from .common import seeds_of
from .smith_momentum import LR_SCALE_3LAYER, resnet_base, three_layer_base

SHALLOW_WDS = (1e-2, 3.2e-3, 1.8e-3, 1e-3)
DEEP_WDS = (1e-4, 3.2e-4, 5.6e-4, 1e-3)


@dataclass
class WeightDecayGrid:
    """Runs that differ only in weight decay; one of them (``snapshot_wd``) keeps a snapshot halfway."""
    configs: dict[float, RunConfig]
    seeds: tuple[int, ...]
    snapshot_wd: float

    def label(self, wd: float) -> str:
        return f"WD {sci(wd)}"

    def grid(self) -> Grid:
        return over_seeds({self.label(wd): c for wd, c in self.configs.items()}, self.seeds)

    @property
    def step(self) -> int:
        """Where the snapshot is taken."""
        return self.configs[self.snapshot_wd].snapshot_at[0]

    def restart_grid(self) -> Grid:
        """Every weight decay continued from the snapshot of the ``snapshot_wd`` run (same seed)."""
        parent = self.configs[self.snapshot_wd]
        return Grid({self.label(wd): [c.replace(seed=s, snapshot_at=(),
                                                start_from={"run": parent.replace(seed=s).to_dict(), "step": self.step})
                                      for s in self.seeds] for wd, c in self.configs.items()})


def _with_snapshot(configs: dict[float, RunConfig], wd: float) -> dict[float, RunConfig]:
    """Keep a snapshot of the ``wd`` run halfway, on one of its evaluations (so the curve shows it)."""
    cfg = configs[wd]
    half = cfg.steps // 2 // cfg.eval_every * cfg.eval_every
    return {**configs, wd: cfg.replace(snapshot_at=(half,))}


def constant_lr_setup(profile: str, seeds=None) -> WeightDecayGrid:
    """Fig. 9 (and the parent of Fig. 12a): constant LR 0.005 (ours ×10), momentum 0.95."""
    p = profiles.get(profile)
    k, steps = LR_SCALE_3LAYER[profile], p.pick(100, 1_600, 20_000)
    # the paper gives neither the batch size nor the length: Table 1's TBS 128, and 20k iterations
    base = three_layer_base(p, lr=0.005 * k, momentum=0.95, steps=steps, eval_every=p.pick(10, 100, 500))
    configs = {wd: base.replace(weight_decay=wd) for wd in SHALLOW_WDS}
    return WeightDecayGrid(_with_snapshot(configs, 1e-3), seeds_of(p, seeds), 1e-3)


def cyclical_setup(profile: str, seeds=None) -> WeightDecayGrid:
    """Fig. 10: LR range test 0.001 → 0.01 (ours ×10) with momentum falling 0.98 → 0.9."""
    p = profiles.get(profile)
    k, steps = LR_SCALE_3LAYER[profile], p.pick(100, 1_000, 10_000)
    base = three_layer_base(p, lr=ramp(0.001 * k, 0.01 * k, steps), momentum=ramp(0.98, 0.9, steps), steps=steps,
                        eval_every=p.pick(10, 30, 200))
    return WeightDecayGrid({wd: base.replace(weight_decay=wd) for wd in SHALLOW_WDS}, seeds_of(p, seeds), 1e-3)


def resnet_setup(profile: str, seeds=None, lr_range: bool = False) -> WeightDecayGrid:
    """Fig. 11 (and the parent of Fig. 12b): ResNet at momentum 0.95, constant LR 0.1 (a) or an LR range
    test 0.1 → 1.0 (b)."""
    p = profiles.get(profile)
    steps = p.pick(40, 300, 10_000)
    lr = ramp(0.1, 1.0, steps) if lr_range else 0.1
    base = resnet_base(p, lr=lr, momentum=0.95, steps=steps, batch_size=p.pick(64, 256, 1_030),
                   eval_every=p.pick(5, 20, 200))
    configs = {wd: base.replace(weight_decay=wd) for wd in DEEP_WDS}
    return WeightDecayGrid(_with_snapshot(configs, 1e-4) if lr_range else configs, seeds_of(p, seeds), 1e-4)


def run(setup: WeightDecayGrid, desc: str, restarted: bool = False) -> dict[float, list[History]]:
    grid = setup.restart_grid() if restarted else setup.grid()
    runs = run_grid(grid, desc)
    return {wd: runs[setup.label(wd)] for wd in setup.configs}


# --- what the figures compare -------------------------------------------------------------------------------

def _range_min(runs: dict[float, list[History]]) -> dict[float, float]:
    """The lowest test loss of each weight decay's mean range test. (The whole test counts: a residual
    network's loss in eval mode jumps about in its first steps at LR 0.1, so "before the first blow-up"
    would stop a ResNet's test at its start.)"""
    out = {}
    for wd, hs in runs.items():
        ev = pd.concat([lr_finder.evaluations(h) for h in hs]).groupby("step", as_index=False)[["lr", "val_loss"]].mean()
        out[wd] = float(np.nanmin(ev["val_loss"].to_numpy()))
    return out


def results(runs_9, runs_10, runs_11a, runs_11b) -> pd.DataFrame:
    """One row per weight decay of each search: the number each figure is judged on."""
    rows = []
    for fig, runs, kind in (("9 (3-layer, constant LR)", runs_9, "final"), ("10 (3-layer, LR range)", runs_10, "range"),
                            ("11a (ResNet, constant LR)", runs_11a, "final"), ("11b (ResNet, LR range)", runs_11b, "range")):
        mins = _range_min(runs) if kind == "range" else None
        for wd, hs in runs.items():
            s = final_stats(hs)
            rows.append({"figure": fig, "WD": sci(wd),
                         "final test loss": s.loss_text() if kind == "final" else "",
                         "final acc. (%)": s.acc_text() if kind == "final" else "",
                         "lowest test loss in the range": f"{mins[wd]:.4f}" if mins else ""})
    return pd.DataFrame(rows).set_index(["figure", "WD"])


def describe(setups: dict[str, WeightDecayGrid], profile: str) -> None:
    shallow, deep = setups["9"].configs[1e-3], setups["11a"].configs[1e-4]
    (d3, m3), (dr, mr) = analog(shallow), analog(deep)
    n = len(setups["9"].seeds)
    scale = LR_SCALE_3LAYER[profile]
    seeds_en, seeds_zh = f"mean of {n} seed{'s' if n > 1 else ''}", f"{n} 個隨機種子的平均"
    glue.text("smith-fig-9-ours",
              f"ours: {m3} on {d3} ({shallow.n_train:,} training samples, batch {shallow.batch_size})"
              + (f", learning rates ×{scale:g} the paper's" if scale != 1 else "")
              + f", {shallow.steps:,} iterations (range tests: {setups['10'].configs[1e-3].steps:,}); {seeds_en}; "
              f"profile `{profile}`",
              f"本書實驗:在 {d3}({shallow.n_train:,} 筆訓練樣本,批次量 {shallow.batch_size})上訓練 {m3}"
              + (f",學習率為論文的 {scale:g} 倍" if scale != 1 else "")
              + f",{shallow.steps:,} 次迭代(範圍測試:{setups['10'].configs[1e-3].steps:,} 次);{seeds_zh};設定檔 `{profile}`")
    glue.text("smith-fig-11-ours",
              f"ours: {mr} on {dr} ({deep.n_train:,} training samples, batch {deep.batch_size}), {deep.steps:,} "
              f"iterations; {seeds_en}; profile `{profile}`",
              f"本書實驗:在 {dr}({deep.n_train:,} 筆訓練樣本,批次量 {deep.batch_size})上訓練 {mr},"
              f"{deep.steps:,} 次迭代;{seeds_zh};設定檔 `{profile}`")


def _wd_list(values: dict[float, float], fmt: str) -> str:
    return "; ".join(f"{sci(wd)}: {fmt.format(v)}" for wd, v in values.items())


def claim_9(runs: dict[float, list[History]]) -> claims.Verdict:
    stats = {wd: final_stats(hs) for wd, hs in runs.items()}
    verdict = claims.loss_separates_better({wd: (s.loss_mean, s.loss_std) for wd, s in stats.items()},
                                           {wd: (s.acc_mean, s.acc_std) for wd, s in stats.items()})
    e = verdict.evidence
    en = (f"Final test loss — {_wd_list({wd: s.loss_mean for wd, s in stats.items()}, '{:.4f}')}; final accuracy — "
          f"{_wd_list({wd: 100 * s.acc_mean for wd, s in stats.items()}, '{:.1f} %')}. The best weight decay is "
          f"{sci(e['best_by_loss'])} by loss and {sci(e['best_by_acc'])} by accuracy; the runner-up trails by "
          f"{e['loss_separation']:.1f} seed standard deviations in loss and {e['acc_separation']:.1f} in accuracy.")
    zh = (f"最終測試損失——{_wd_list({wd: s.loss_mean for wd, s in stats.items()}, '{:.4f}')};最終準確率——"
          f"{_wd_list({wd: 100 * s.acc_mean for wd, s in stats.items()}, '{:.1f} %')}。以損失判斷的最佳權重衰減為 "
          f"{sci(e['best_by_loss'])},以準確率判斷為 {sci(e['best_by_acc'])};次佳者在損失上落後 {e['loss_separation']:.1f} 個"
          f"隨機種子標準差,在準確率上落後 {e['acc_separation']:.1f} 個。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def _best_constant(runs) -> float:
    stats = {wd: final_stats(hs) for wd, hs in runs.items()}
    return min(stats, key=lambda wd: stats[wd].loss_mean)


def claim_shift(claim: str, constant_runs, range_runs) -> claims.Verdict:
    """Figs. 10 and 11: the best weight decay in an LR range test (large LRs) against at a constant LR."""
    mins = _range_min(range_runs)
    verdict = claims.optimal_wd_shrinks(claim, _best_constant(constant_runs), min(mins, key=mins.get))
    e = verdict.evidence
    en = (f"Lowest test loss in the range test — {_wd_list(mins, '{:.4f}')}: best WD {sci(e['range_best'])}, "
          f"against {sci(e['constant_best'])} at the constant LR.")
    zh = (f"範圍測試中的最低測試損失——{_wd_list(mins, '{:.4f}')}:最佳權重衰減為 {sci(e['range_best'])},"
          f"固定學習率時則為 {sci(e['constant_best'])}。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def snapshot_search(claim: str, setup: WeightDecayGrid, scratch: dict[float, list[History]],
                    restarted: dict[float, list[History]], by: str) -> tuple[claims.Verdict, pd.DataFrame]:
    """Fig. 12: does the search from a snapshot pick the weight decay the search from scratch picks, and how
    much time does it save? ``by`` is how each search is judged: "final" (final test loss) or "range"
    (lowest loss of a range test)."""
    if by == "range":
        scratch_score, restart_score = _range_min(scratch), _range_min(restarted)
    else:
        scratch_score = {wd: final_stats(hs).loss_mean for wd, hs in scratch.items()}
        restart_score = {wd: final_stats(hs).loss_mean for wd, hs in restarted.items()}
    # measured training times, mean over seeds: full runs, and the continuations after the snapshot
    seconds = lambda hs: sum(h["time"].dropna().iloc[-1] for h in hs) / len(hs)  # noqa: E731
    parent = scratch[setup.snapshot_wd]
    # the parent's training time up to its last evaluation before the snapshot
    to_snapshot = sum(h.loc[h["step"] <= setup.step - 1, "time"].dropna().iloc[-1] for h in parent) / len(parent)
    scratch_seconds = sum(seconds(hs) for hs in scratch.values())
    restart_seconds = to_snapshot + sum(seconds(hs) for hs in restarted.values())
    verdict = claims.snapshot_search(claim, min(scratch_score, key=scratch_score.get),
                                     min(restart_score, key=restart_score.get), scratch_seconds, restart_seconds)
    e = verdict.evidence
    en = (f"From scratch the search picks WD {sci(e['scratch_best'])}, from the snapshot WD {sci(e['snapshot_best'])}; "
          f"the search took {e['scratch_seconds']:.0f} s of training from scratch and {e['snapshot_seconds']:.0f} s "
          f"from the snapshot ({e['saved']:.0%} saved).")
    zh = (f"從頭搜尋選出的權重衰減為 {sci(e['scratch_best'])},從快照搜尋為 {sci(e['snapshot_best'])};從頭搜尋花了 "
          f"{e['scratch_seconds']:.0f} 秒的訓練時間,從快照則為 {e['snapshot_seconds']:.0f} 秒(節省 {e['saved']:.0%})。")
    claims.glue_verdict(verdict, en, zh)
    table = pd.DataFrame({"from scratch": {sci(wd): v for wd, v in scratch_score.items()},
                          "from the snapshot": {sci(wd): v for wd, v in restart_score.items()}})
    table.index.name = "WD"
    return verdict, table


def snapshot_tables(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Fig. 12's searches side by side: each weight decay's score from scratch and from the snapshot."""
    return pd.concat(tables, names=["figure"])


def remark_6(v10: claims.Verdict, v11: claims.Verdict) -> claims.Verdict:
    verdict = claims.combine("smith-remark-6", {"fig-10": v10, "fig-11": v11})
    labels = claims.labels()
    en = (f"If the weight decay is the knob that balances the regularization of large learning rates, its best "
          f"value must move when the learning rates grow: Fig. 10 ({labels['en'][v10.status]}) and Fig. 11 "
          f"({labels['en'][v11.status]}) test that above.")
    zh = (f"如果權重衰減是用來平衡大學習率之正則化效果的旋鈕,學習率變大時,它的最佳值就必須跟著移動:上文的圖 10"
          f"({labels['zh'][v10.status]})與圖 11({labels['zh'][v11.status]})檢驗了這一點。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


# --- figures ---------------------------------------------------------------------------------------------

def _shown(setup: WeightDecayGrid, runs) -> dict[str, list[History]]:
    return {setup.label(wd): hs for wd, hs in runs.items()}


def figure(fig_id: str, setup: WeightDecayGrid, runs, profile: str, y: str = "val_loss", lr_range: bool = False,
           restarted: bool = False) -> None:
    """Test loss (``y="val_loss"``) or accuracy (``"val_acc"``) of a weight-decay grid against the iteration,
    or against the LR for a range test; a dashed line marks the snapshot of a restarted search."""
    shown = _shown(setup, runs)
    if lr_range:
        fig = range_test_figure(shown, y=y)
    elif y == "val_loss":
        fig = plots.curves(shown)
    else:
        fig = plots.curves(shown, y="val_acc", ylabel="test (validation) accuracy")
    if restarted:
        at = schedules.from_spec(setup.configs[setup.snapshot_wd].lr)(setup.step) if lr_range else setup.step
        fig.axes[0].axvline(at, color="0.4", ls="--", lw=1)
    publish_grid(fig, fig_id, setup.restart_grid() if restarted else setup.grid(), _shown(setup, runs), profile)


def plan(profile: str, seeds=None) -> list[RunConfig]:
    """Every run of the chapter that starts from scratch, for :func:`hp_lib.sweep.prefetch` (the restarts of
    Fig. 12 wait for their parents)."""
    setups = (constant_lr_setup(profile, seeds), cyclical_setup(profile, seeds), resnet_setup(profile, seeds),
              resnet_setup(profile, seeds, lr_range=True))
    return [c for s in setups for c in s.grid().all()]
