"""Smith (2018) §4.1, "Cyclical learning rates and super-convergence revisited": Figs. 5a, 5b, Remark 3.

The paper (its super-convergence logs): ResNet-56 on CIFAR-10 at batch 1,000, momentum 0.9. One cycle of
a triangular CLR from 0.1 up to 3.0 and back over 10k iterations (stepsize 5k) against LR 0.35 divided by
10 at 50k and 70k of 80k iterations (Fig. 5a, both at WD 1e-4); the same cycle at WD 1e-3 … 1e-6
(Fig. 5b). On the CPU: ResNet-20 with 1-D convolutions on 10,000 MNIST-1D samples at batch 256, the same
learning rates, momentum and weight decays; the step baseline runs four times as long as the cycle (the
paper: eight times), with its decays at the same fractions of training.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import claims, glue, plots, profiles
from ..train import History, RunConfig
from .common import Grid, analog, final_stats, over_seeds, publish_grid, run_grid, sci

WEIGHT_DECAYS = (1e-3, 1e-4, 1e-5, 1e-6)
PAPER_WD = 1e-4
# final test accuracy of the single runs in the author's logs (SOURCES §1.4, Fig. 5)
PAPER_FINAL_ACC = {"step": 90.32, 1e-3: 9.95, 1e-4: 92.44, 1e-5: 88.28, 1e-6: 87.25}


@dataclass
class SuperConvergence:
    cycle: RunConfig      # one triangular cycle to a large LR (its WD is set per run)
    step: RunConfig       # the long multistep baseline at the paper's WD
    weight_decays: tuple[float, ...]
    seeds: tuple[int, ...]

    def cycle_label(self, wd: float) -> str:
        return f"1cycle, WD {sci(wd)}"

    def grid(self) -> Grid:
        variants = {"step": self.step}
        variants.update({self.cycle_label(wd): self.cycle.replace(weight_decay=wd) for wd in self.weight_decays})
        return over_seeds(variants, self.seeds)


def setup(profile: str, seeds=None) -> SuperConvergence:
    p = profiles.get(profile)
    stepsize = p.pick(10, 250, 5_000)
    step_steps = p.pick(40, 2_000, 80_000)
    base = RunConfig(dataset=p.pick("mnist1d", "mnist1d", "cifar10"), model=p.pick("resnet20", "resnet20", "resnet56"),
                     n_train=p.pick(500, 10_000, 50_000), n_val=p.pick(200, 2_000, 10_000), n_test=p.pick(100, 100, 0),
                     batch_size=p.pick(64, 256, 1_000), momentum=0.9, weight_decay=PAPER_WD,
                     eval_every=p.pick(5, 25, 200), train_probe=False, threads=p.threads, **p.accelerator)
    cycle = base.replace(lr={"name": "triangular", "base_lr": 0.1, "max_lr": 3.0, "step_size_up": stepsize},
                         steps=2 * stepsize)
    # the paper's decays at 50k and 70k of 80k iterations: 5/8 and 7/8 of the run
    step = base.replace(lr={"name": "multistep", "value": 0.35, "milestones": [step_steps * 5 // 8, step_steps * 7 // 8],
                            "gamma": 0.1}, steps=step_steps, eval_every=p.pick(5, 100, 1_000))
    return SuperConvergence(cycle, step, WEIGHT_DECAYS, tuple(seeds) if seeds else p.seeds)


def run(setup: SuperConvergence) -> dict[str, list[History]]:
    return run_grid(setup.grid(), "Figs. 5a, 5b")


def results(setup: SuperConvergence, runs: dict[str, list[History]]) -> pd.DataFrame:
    """Final and best test accuracy of every run beside the paper's (its logs: single runs)."""
    rows = []
    for wd in ("step", *setup.weight_decays):
        label, cfg = ("step", setup.step) if wd == "step" else (setup.cycle_label(wd), setup.cycle)
        s = final_stats(runs[label])
        rows.append({"run": label, "iterations": cfg.steps, "WD": sci(cfg.weight_decay if wd == "step" else wd),
                     "paper final acc. (%)": PAPER_FINAL_ACC[wd],
                     "ours final acc. (%)": s.acc_text(), "ours best acc. (%)": f"{100 * s.best_acc:.1f}",
                     "diverged runs": s.diverged_text()})
    return pd.DataFrame(rows).set_index("run")


def describe(setup: SuperConvergence, profile: str) -> None:
    data, model = analog(setup.cycle)
    c, s = setup.cycle, setup.step
    n = len(setup.seeds)
    en = (f"ours: {model} on {data} ({c.n_train:,} training samples), batch {c.batch_size}, momentum 0.9; one "
          f"triangular cycle 0.1 → 3.0 → 0.1 over {c.steps:,} iterations against LR 0.35 divided by 10 at "
          f"{s.lr['milestones'][0]:,} and {s.lr['milestones'][1]:,} of {s.steps:,} iterations; mean of {n} seed"
          f"{'s' if n > 1 else ''} (thin lines: single seeds); profile `{profile}`")
    zh = (f"本書實驗:在 {data}({c.n_train:,} 筆訓練樣本)上訓練 {model},批次量 {c.batch_size},動量 0.9;"
          f"以 {c.steps:,} 次迭代完成一個 0.1 → 3.0 → 0.1 的三角週期,對照學習率 0.35、在第 {s.lr['milestones'][0]:,} "
          f"與第 {s.lr['milestones'][1]:,} 次迭代各除以 10、共 {s.steps:,} 次迭代的基準;{n} 個隨機種子的平均"
          f"(細線為單一種子);設定檔 `{profile}`")
    glue.text("smith-fig-5-ours", en, zh)


def best_cycle_wd(setup: SuperConvergence, runs: dict[str, list[History]]) -> float:
    """The weight decay whose cycle ends with the highest mean test accuracy (diverged runs count as 0)."""
    return max(setup.weight_decays, key=lambda wd: final_stats(runs[setup.cycle_label(wd)]).acc_mean)


def claim_5a(setup: SuperConvergence, runs: dict[str, list[History]]) -> claims.Verdict:
    best = best_cycle_wd(setup, runs)
    cycle, at_paper_wd, step = (final_stats(runs[k]) for k in
                                (setup.cycle_label(best), setup.cycle_label(PAPER_WD), "step"))
    verdict = claims.super_convergence(cycle.acc_mean, setup.cycle.steps, step.acc_mean, setup.step.steps)
    e = verdict.evidence
    en = (f"One cycle of {setup.cycle.steps:,} iterations at WD {sci(best)} (the best of Fig. 5b) ends at "
          f"{cycle.acc_text()} % test accuracy, the step schedule after {setup.step.steps:,} iterations "
          f"({e['iteration_ratio']:.0f}× as many) at {step.acc_text()} %; the paper: 92.44 % after 10k iterations "
          f"against 90.32 % after 80k.")
    zh = (f"在權重衰減 {sci(best)}(圖 5b 中最佳者)下,{setup.cycle.steps:,} 次迭代的單一週期最終測試準確率為 "
          f"{cycle.acc_text()} %,階梯式排程在 {setup.step.steps:,} 次迭代(多 {e['iteration_ratio']:.0f} 倍)後為 "
          f"{step.acc_text()} %;論文:1 萬次迭代 92.44 %,8 萬次迭代 90.32 %。")
    if best != PAPER_WD:
        en += (f" At the paper's WD {sci(PAPER_WD)} the cycle ends at {at_paper_wd.acc_text()} %: our analog "
               f"needs less weight decay than CIFAR-10 does.")
        zh += (f"在論文的權重衰減 {sci(PAPER_WD)} 下,週期最終為 {at_paper_wd.acc_text()} %:"
               f"我們的類比資料集所需的權重衰減比 Cifar-10 少。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def claim_5b(setup: SuperConvergence, runs: dict[str, list[History]]) -> claims.Verdict:
    by_wd = {wd: final_stats(runs[setup.cycle_label(wd)]) for wd in setup.weight_decays}
    verdict = claims.weight_decay_limits_lr({wd: (s.acc_mean, s.diverged > 0) for wd, s in by_wd.items()},
                                            too_large=1e-3)
    parts_en = [f"WD {sci(wd)}: {s.acc_text()} %" + (f" ({s.diverged} of {s.n} diverged)" if s.diverged else "")
                for wd, s in by_wd.items()]
    parts_zh = [f"權重衰減 {sci(wd)}:{s.acc_text()} %" + (f"({s.n} 次中 {s.diverged} 次發散)" if s.diverged else "")
                for wd, s in by_wd.items()]
    en = ("Final test accuracy after the cycle — " + "; ".join(parts_en) +
          ". The paper: 9.95 % (diverged), 92.44 %, 88.28 %, 87.25 %.")
    zh = "週期結束時的最終測試準確率——" + ";".join(parts_zh) + "。論文:9.95 %(發散)、92.44 %、88.28 %、87.25 %。"
    claims.glue_verdict(verdict, en, zh)
    return verdict


def remark_3(setup: SuperConvergence, runs: dict[str, list[History]]) -> claims.Verdict:
    by_wd = {wd: final_stats(runs[setup.cycle_label(wd)]).acc_mean for wd in setup.weight_decays}
    step = final_stats(runs["step"])
    verdict = claims.remark_3(by_wd, step.acc_mean, baseline_wd=PAPER_WD,
                              iteration_ratio=setup.step.steps / setup.cycle.steps)
    e = verdict.evidence
    en = (f"Across the four weight decays the cycle's final accuracy spans {100 * e['spread']:.1f} points; the best, "
          f"at WD {sci(e['best_wd'])}, is {'no more than' if e['best_wd'] <= PAPER_WD else 'more than'} the step "
          f"baseline's {sci(PAPER_WD)} and reaches {100 * e['best_acc']:.1f} % against the baseline's "
          f"{100 * e['baseline_acc']:.1f} % in 1/{e['iteration_ratio']:.0f} of its iterations.")
    zh = (f"四種權重衰減下,週期的最終準確率相差 {100 * e['spread']:.1f} 個百分點;最佳者的權重衰減為 {sci(e['best_wd'])},"
          f"{'不大於' if e['best_wd'] <= PAPER_WD else '大於'}階梯式基準的 {sci(PAPER_WD)},"
          f"只用基準 1/{e['iteration_ratio']:.0f} 的迭代次數就達到 {100 * e['best_acc']:.1f} %(基準為 {100 * e['baseline_acc']:.1f} %)。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_5a(setup: SuperConvergence, runs: dict[str, list[History]], profile: str) -> None:
    best = best_cycle_wd(setup, runs)
    labels = ["step", setup.cycle_label(PAPER_WD)] + ([setup.cycle_label(best)] if best != PAPER_WD else [])
    shown = {("step, LR 0.35" if k == "step" else f"CLR 0.1–3, {k.split(', ')[1]}"): runs[k] for k in labels}
    fig = plots.curves(shown, y="val_acc", ylabel="test (validation) accuracy", colors=["#1f77b4", "#d62728", "#2ca02c"])
    if profile == "full":  # the same settings as the author's logs: draw them over ours
        plots.overlay_paper_logs(fig, {"CLR 0.1–3": "clr3SS5kFig1a", "step, LR 0.35": "lr35Fig1a"})
    publish_grid(fig, "smith-fig-5a", setup.grid(), {k: runs[k] for k in labels}, profile)


def figure_5b(setup: SuperConvergence, runs: dict[str, list[History]], profile: str) -> None:
    shown = {setup.cycle_label(wd).replace("1cycle, ", ""): runs[setup.cycle_label(wd)] for wd in setup.weight_decays}
    fig = plots.curves(shown, y="val_acc", ylabel="test (validation) accuracy")
    if profile == "full":
        plots.overlay_paper_logs(fig, {"WD 1e-3": "clr3SS5kWD-3Fig11", "WD 1e-4": "clr3SS5kFig1a",
                                       "WD 1e-5": "clr3SS5kWD-5Fig11", "WD 1e-6": "clr3SS5kWD-6Fig11"})
    publish_grid(fig, "smith-fig-5b", setup.grid(), {k: runs[k] for k in runs if k != "step"}, profile)
