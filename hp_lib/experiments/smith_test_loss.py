"""Smith (2018) §3, "The unreasonable effectiveness of validation/test loss": Figs. 1a, 1b and 2.

* Fig. 1 is an LR range test of ResNet-56 on CIFAR-10 that records training loss, validation loss and
  accuracy. The paper's exact run is not given; the author's log ``range2SS80kRes56LR`` (LR linear from 0
  to 2 over 80k iterations, batch 1000, momentum 0.9, WD 1e-4) is the closest published one and is the
  ``full`` setting. On the CPU the same ResNet-56 topology with 1-D convolutions runs on MNIST-1D, and the
  LR grows exponentially so that the small learning rates, where the paper sees overfitting, get as many
  steps as the large ones (a linear ramp of a few thousand steps passes them in a few dozen steps).
* Fig. 2 is a drawing in the paper. Here it is measured twice: least-squares polynomials of growing
  degree fitted to 30 noisy samples of a smooth function (the classical picture the drawing shows), and
  MLPs of growing width trained to the end of a fixed budget on a small MNIST-1D training set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import claims, glue, lr_finder, plots, profiles, sweep
from .common import Grid, analog, over_seeds, mean_curve, publish_grid, range_test_figure, run_grid, sci  # noqa: F401 (run_grid: for the chapter)
from ..data import check_name as check_dataset
from ..models import check_name as check_model
from ..train import History, RunConfig


@dataclass
class RangeTest:
    """The LR range test of Fig. 1 at one profile."""
    base: RunConfig
    start_lr: float
    end_lr: float
    steps: int
    mode: str
    eval_every: int
    seeds: tuple[int, ...]

    def configs(self) -> list[RunConfig]:
        return [lr_finder.config(self.base.replace(seed=s), self.start_lr, self.end_lr, self.steps,
                                 self.mode, self.eval_every) for s in self.seeds]


def range_test_setup(profile: str, dataset: str | None = None, model: str | None = None,
                     seeds=None) -> RangeTest:
    p = profiles.get(profile)
    dataset = check_dataset(dataset or p.pick("mnist1d", "mnist1d", "cifar10"))
    model = check_model(model or p.pick("resnet20", "resnet20", "resnet56"))  # ResNet-56 at cpu: 5 CPU-min a test
    base = RunConfig(
        dataset=dataset, model=model, momentum=0.9, weight_decay=1e-4, threads=p.threads, **p.accelerator,
        n_train=p.pick(500, 4_000, 50_000), n_val=p.pick(500, 2_000, 10_000), n_test=p.pick(100, 1_000, 0),
        batch_size=p.pick(64, 128, 1_000),
    )
    return RangeTest(
        base=base,
        start_lr=p.pick(1e-3, 1e-4, 0.0), end_lr=p.pick(3.0, 3.0, 2.0),
        steps=p.pick(120, 1_600, 80_000), mode=p.pick("exp", "exp", "linear"),
        eval_every=p.pick(10, 40, 200),
        seeds=tuple(seeds) if seeds else p.seeds,
    )


def run_range_tests(setup: RangeTest) -> list[History]:
    return sweep.run(setup.configs(), desc="range tests")


@dataclass
class CapacitySweep:
    """The capacity sweep of Fig. 2 at one profile."""
    base: RunConfig
    widths: tuple[int, ...]
    seeds: tuple[int, ...]

    def configs(self) -> list[RunConfig]:
        return [self.base.replace(model_kwargs={"width": w, "depth": 2}, seed=s)
                for w in self.widths for s in self.seeds]


def capacity_setup(profile: str, dataset: str | None = None, seeds=None) -> CapacitySweep:
    p = profiles.get(profile)
    dataset = check_dataset(dataset or "mnist1d")
    base = RunConfig(
        dataset=dataset, model="mlp", lr=0.05, momentum=0.9, weight_decay=0.0, batch_size=100,
        n_train=p.pick(300, 1_000, 1_000), n_val=p.pick(500, 2_000, 2_000), n_test=p.pick(100, 1_000, 1_000),
        steps=p.pick(150, 3_000, 3_000), eval_every=p.pick(150, 3_000, 3_000), threads=1, **p.accelerator,
    )
    widths = p.pick((4, 32, 256), (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
                    (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024))
    return CapacitySweep(base, widths, tuple(seeds) if seeds else p.pick((0,), (0, 1, 2), (0, 1, 2, 3)))


def run_capacity_sweep(setup: CapacitySweep) -> tuple[pd.DataFrame, list[History]]:
    """One row per (width, seed): the final training loss (eval mode, on a training subset), validation
    loss and accuracy."""
    configs = setup.configs()
    histories = sweep.run(configs, desc="capacity sweep")
    rows = []
    for cfg, h in zip(configs, histories):
        last = h.dropna(subset=["val_loss"]).iloc[-1]
        rows.append({"width": cfg.model_kwargs["width"], "seed": cfg.seed, "train_loss": last["train_eval_loss"],
                     "val_loss": last["val_loss"], "val_acc": last["val_acc"],
                     "train_acc": last["train_eval_acc"]})
    return pd.DataFrame(rows), histories


@dataclass
class PolynomialSweep:
    """Least-squares fits of degree 1…15 (Legendre basis) to ``n_train`` noisy samples of
    :math:`f(x) = \\sin(\\pi x) + \\tfrac12\\cos(3\\pi x)` on [-1, 1]; the loss is the mean squared error."""
    degrees: tuple[int, ...]
    n_train: int
    n_test: int
    noise: float
    seeds: tuple[int, ...]


def polynomial_setup(profile: str, seeds=None) -> PolynomialSweep:
    p = profiles.get(profile)
    return PolynomialSweep(tuple(range(1, 16)), 30, 1_000, 0.3,
                           tuple(seeds) if seeds else tuple(range(p.pick(5, 20, 20))))


def run_polynomial_sweep(setup: PolynomialSweep) -> pd.DataFrame:
    """One row per (degree, seed): training and test mean squared error. (Milliseconds: not cached.)"""
    from numpy.polynomial import legendre

    def f(x):
        return np.sin(np.pi * x) + 0.5 * np.cos(3 * np.pi * x)

    rows = []
    for seed in setup.seeds:
        rng = np.random.default_rng(seed)
        x, x_test = rng.uniform(-1, 1, setup.n_train), rng.uniform(-1, 1, setup.n_test)
        y, y_test = f(x) + rng.normal(0, setup.noise, x.shape), f(x_test) + rng.normal(0, setup.noise, x_test.shape)
        for degree in setup.degrees:
            coef = legendre.legfit(x, y, degree)
            rows.append({"degree": degree, "seed": seed,
                         "train_loss": np.mean((legendre.legval(x, coef) - y) ** 2),
                         "val_loss": np.mean((legendre.legval(x_test, coef) - y_test) ** 2)})
    return pd.DataFrame(rows)


# --- descriptions, verdicts and figures ------------------------------------------------------------

def describe_range_test(setup: RangeTest, profile: str) -> dict[str, str]:
    data, model = analog(setup.base)
    ramp_en = "exponentially" if setup.mode == "exp" else "linearly"
    ramp_zh = "指數" if setup.mode == "exp" else "線性"
    n = len(setup.seeds)
    return {
        "en": (f"ours: {model} on {data} ({setup.base.n_train:,} training and {setup.base.n_val:,} validation "
               f"samples), LR growing {ramp_en} from {setup.start_lr:g} to {setup.end_lr:g} over "
               f"{setup.steps:,} steps at batch size {setup.base.batch_size}, momentum 0.9, WD 1e-4, "
               f"mean of {n} seed{'s' if n > 1 else ''}, profile `{profile}`"),
        "zh": (f"本書實驗:在 {data} 上訓練 {model}({setup.base.n_train:,} 筆訓練、{setup.base.n_val:,} 筆驗證樣本),"
               f"學習率在 {setup.steps:,} 步內從 {setup.start_lr:g} 以{ramp_zh}方式增加到 {setup.end_lr:g},"
               f"批次量 {setup.base.batch_size},動量 0.9,權重衰減 1e-4,{n} 個隨機種子的平均,設定檔 `{profile}`"),
    }


def describe_capacity(poly: PolynomialSweep, setup: CapacitySweep, profile: str) -> dict[str, str]:
    data, _ = analog(setup.base)
    widths = f"{setup.widths[0]}–{setup.widths[-1]}"
    return {
        "en": (f"ours, left: polynomials of degree {poly.degrees[0]}–{poly.degrees[-1]} fitted by least squares to "
               f"{poly.n_train} noisy samples, median and interquartile range over {len(poly.seeds)} draws; right: "
               f"MLPs with two hidden layers of width {widths} on {data} ({setup.base.n_train:,} training "
               f"samples), each trained for {setup.base.steps:,} SGD steps (LR {setup.base.lr}, momentum 0.9, "
               f"no weight decay), mean ± std of {len(setup.seeds)} seeds, validation accuracy on the right axis; "
               f"profile `{profile}`"),
        "zh": (f"本書實驗:左圖以最小平方法將 {poly.degrees[0]}–{poly.degrees[-1]} 次多項式擬合到 {poly.n_train} 個含雜訊的樣本,"
               f"{len(poly.seeds)} 次抽樣的中位數與四分位距;右圖在 {data}({setup.base.n_train:,} 筆訓練樣本)上"
               f"訓練兩個隱藏層、寬度 {widths} 的 MLP,各以 SGD 訓練 {setup.base.steps:,} 步(學習率 {setup.base.lr},"
               f"動量 0.9,無權重衰減),{len(setup.seeds)} 個隨機種子的平均 ± 標準差,右軸為驗證準確率;設定檔 `{profile}`"),
    }


def describe(range_test: RangeTest, poly: PolynomialSweep, capacity: CapacitySweep, profile: str) -> pd.DataFrame:
    """Glue the one-line descriptions of our runs for the captions; return Fig. 1's settings beside the
    paper's."""
    for name, text in (("smith-fig-1-ours", describe_range_test(range_test, profile)),
                       ("smith-fig-2-ours", describe_capacity(poly, capacity, profile))):
        glue.text(name, text["en"], text["zh"])
    data, model = analog(range_test.base)
    return pd.DataFrame({
        "paper (Fig. 1)": ["CIFAR-10", "ResNet-56", "linear 0 → 2 over 80k iterations [log range2SS80kRes56LR]",
                           "1000", "0.9 / 1e-4", "1 run"],
        "ours (Fig. 1)": [data, model, f"{range_test.mode} {range_test.start_lr:g} → {range_test.end_lr:g} over "
                          f"{range_test.steps:,} steps", str(range_test.base.batch_size), "0.9 / 1e-4",
                          f"{len(range_test.seeds)} seeds"],
    }, index=["dataset", "model", "LR range test", "batch size", "momentum / WD", "runs"])


def mean_evaluations(histories: list[History]) -> pd.DataFrame:
    evs = [lr_finder.evaluations(h) for h in histories]
    cols = ["lr", "val_loss", "val_acc", "train_eval_loss", "train_loss_smooth", "generalization_error"]
    return pd.concat(evs).groupby("step", as_index=False)[cols].mean()


def remark_1(histories: list[History]) -> claims.Verdict:
    verdict = claims.remark_1(mean_evaluations(histories))
    e = verdict.evidence
    if verdict.status == claims.NOT_REPRODUCED:
        en = ("In the stable part of our range tests the validation loss never rises by 5 % or more from a "
              "local minimum before coming down again: our runs show no overfitting window.")
        zh = "在我們學習率範圍測試的穩定區段中,驗證損失從未自局部最小值上升 5% 以上後再下降:我們的結果沒有出現過擬合區間。"
    else:
        en = (f"Between LR {e['lr_start']:.2g} and {e['lr_end']:.2g} the validation loss rises by "
              f"{e['val_loss_rise_rel']:.0%} and then comes down again at larger LR, while over the same "
              f"interval the training loss changes by {e['train_loss_change']:+.3f} (smoothed minibatch loss, "
              f"as plotted; measured in eval mode on a training subset: {e['train_eval_loss_change']:+.3f}) and "
              f"the validation accuracy by {e['val_acc_change']:+.1%}.")
        zh = (f"在學習率 {e['lr_start']:.2g} 到 {e['lr_end']:.2g} 之間,驗證損失上升 {e['val_loss_rise_rel']:.0%},"
              f"學習率更大時又下降;同一區間內訓練損失變化 {e['train_loss_change']:+.3f}(圖中所畫的平滑小批次損失;"
              f"以評估模式在訓練子集上量測則為 {e['train_eval_loss_change']:+.3f}),"
              f"驗證準確率變化 {e['val_acc_change']:+.1%}。")
        if verdict.status == claims.INCONCLUSIVE:
            en += " The rise is visible in the training loss or the accuracy as well."
            zh += "訓練損失或準確率也反映出了這段變化。"
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_1a(histories: list[History], setup: RangeTest, verdict: claims.Verdict, profile: str) -> None:
    evs = [lr_finder.evaluations(h) for h in histories]
    fig = plots.lr_range_test(histories, evs, verdict.evidence.get("windows", []), log_x=setup.mode == "exp")
    data, model = analog(setup.base)
    plots.publish(fig, "smith-fig-1a", profile, data, model, histories)


def figure_1b(histories: list[History], setup: RangeTest, verdict: claims.Verdict, profile: str) -> None:
    evs = [lr_finder.evaluations(h) for h in histories]
    fig = plots.generalization_error(evs, verdict.evidence.get("windows", []), log_x=setup.mode == "exp")
    data, model = analog(setup.base)
    plots.publish(fig, "smith-fig-1b", profile, data, model, histories)


def _rise(r: float) -> tuple[str, str]:
    """A relative rise in words: '167% higher' below 10×, '2,524× the minimum' above."""
    if r < 9:
        return f"{r:.0%} higher", f"高出 {r:.0%}"
    return f"{1 + r:,.0f}× the minimum", f"是最低值的 {1 + r:,.0f} 倍"


def _trade_off_text(e: dict, what_en: str, what_zh: str, unit_en: str, unit_zh: str) -> tuple[str, str]:
    small, large = _rise(e["rise_small_end"]), _rise(e["rise_large_end"])
    at = f"{unit_en} {e['best_capacity']} ({e['min_val_loss']:.3f})"
    at_zh = f"{unit_zh} {e['best_capacity']} 時最低({e['min_val_loss']:.3f})"
    if e["rise_small_end"] == 0:  # the smallest model is the best: no underfitting side
        en = f"{what_en}: the test loss is lowest at the smallest capacity, {at}, and {large[0]} at the largest"
        zh = f"{what_zh}:測試損失在最小容量,即{at_zh},最大容量時{large[1]}"
    elif e["rise_large_end"] == 0:  # the largest model is the best: no overfitting side
        en = f"{what_en}: the test loss is lowest at the largest capacity, {at}, and {small[0]} at the smallest"
        zh = f"{what_zh}:測試損失在最大容量,即{at_zh},最小容量時{small[1]}"
    else:
        en = f"{what_en}: the test loss is lowest at {at}, {small[0]} at the smallest and {large[0]} at the largest capacity"
        zh = f"{what_zh}:測試損失在{at_zh},最小容量時{small[1]},最大容量時{large[1]}"
    en += f", while the training loss falls from {e['train_loss_small']:.3f} to {e['train_loss_large']:.3f}"
    zh += f",而訓練損失從 {e['train_loss_small']:.3f} 降到 {e['train_loss_large']:.3f}"
    return en, zh


def remark_2(poly_table: pd.DataFrame, mlp_table: pd.DataFrame) -> claims.Verdict:
    """The trade-off tested on both sweeps; reproduced only if both show it."""
    poly = claims.remark_2(poly_table, "degree", agg="median")
    mlp = claims.remark_2(mlp_table, "width")
    verdict = claims.combine("smith-remark-2", {"polynomial": poly, "mlp": mlp})
    labels = {v: (claims.labels()["en"][v], claims.labels()["zh"][v]) for v in claims.labels()["en"]}
    p_en, p_zh = _trade_off_text(poly.evidence, "Polynomials", "多項式", "degree", "次數")
    m_en, m_zh = _trade_off_text(mlp.evidence, "MLPs", "MLP", "width", "寬度")
    e = mlp.evidence
    peak_train = mlp_table.groupby("width")["train_loss"].mean()[e["worst_capacity"]]
    if e["worst_capacity"] not in (min(mlp_table["width"]), max(mlp_table["width"])):
        m_en += (f"; the test loss peaks at width {e['worst_capacity']} (training loss {peak_train:.3f} there) and falls again "
                 f"at larger widths, a second descent")
        m_zh += (f";測試損失在寬度 {e['worst_capacity']} 達到峰值(該處訓練損失為 {peak_train:.3f}),"
                 f"寬度再增加時又下降,即第二次下降")
    m_en += f"; the best accuracy ({e['best_val_acc']:.1%}) is at width {e['best_acc_capacity']}"
    m_zh += f";最佳準確率({e['best_val_acc']:.1%})出現在寬度 {e['best_acc_capacity']}"
    en = f"{p_en} — {labels[poly.status][0]}. {m_en} — {labels[mlp.status][0]}."
    zh = f"{p_zh}——{labels[poly.status][1]}。{m_zh}——{labels[mlp.status][1]}。"
    claims.glue_verdict(verdict, en, zh)
    return verdict


def figure_2(poly_table: pd.DataFrame, mlp_table: pd.DataFrame, histories: list[History],
             setup: CapacitySweep, verdict: claims.Verdict, profile: str) -> None:
    fig = plots.capacity_tradeoff(poly_table, mlp_table, verdict.evidence["polynomial"]["best_capacity"])
    data, _ = analog(setup.base)
    plots.publish(fig, "smith-fig-2", profile, f"noisy polynomial data; {data}", "polynomials; MLP (2 hidden layers)",
                  histories)


# --- §3.2 underfitting (Figs. 3a, 3b) and §3.3 overfitting (Fig. 4a) --------------------------------------

def underfitting_setup(profile: str, seeds=None) -> Grid:
    """Fig. 3a. Paper (§3.2): the 3-layer net on CIFAR-10 at LR 0.001 (red) and 0.004 (blue); WD 4e-3,
    momentum 0.9 and 60k iterations are read from the author's jobs (``3layer1``) [I]."""
    p = profiles.get(profile)
    base = RunConfig(dataset=p.pick("mnist1d", "mnist1d", "cifar10"), model="three_layer", momentum=0.9,
                     weight_decay=4e-3, n_train=p.pick(500, 4_000, 50_000), n_val=p.pick(500, 2_000, 10_000),
                     n_test=p.pick(100, 1_000, 0), batch_size=p.pick(64, 128, 100), steps=p.pick(150, 4_500, 60_000),
                     eval_every=p.pick(15, 200, 1_000), threads=p.threads, **p.accelerator)
    return over_seeds({"LR 0.001": base.replace(lr=0.001), "LR 0.004": base.replace(lr=0.004)},
                 tuple(seeds) if seeds else p.seeds)


def capacity_models_setup(profile: str, seeds=None) -> Grid:
    """Fig. 3b. Paper: ResNet-50 vs Inception-ResNet-v2 on ImageNet, the first 100k iterations (≈ 3 epochs).
    Analog: a shallow and a deep network on the largest MNIST-1D set, 3 epochs (at every profile: ImageNet
    is not among the library's datasets)."""
    p = profiles.get(profile)
    n_train = p.pick(1_000, 50_000, 50_000)
    base = RunConfig(dataset="mnist1d", n_train=n_train, n_val=p.pick(500, 5_000, 10_000),
                     n_test=p.pick(100, 1_000, 1_000), lr=0.1, momentum=0.9, weight_decay=1e-4, batch_size=128,
                     steps=3 * n_train // 128, eval_every=p.pick(5, 100, 100), threads=p.threads, **p.accelerator)
    return over_seeds({"3-layer net (1-D)": base.replace(model="three_layer", lr=0.01),
                  "ResNet-20 (1-D)": base.replace(model="resnet20")},
                 tuple(seeds) if seeds else p.seeds)


def weight_decay_range_setup(profile: str, seeds=None) -> Grid:
    """Fig. 4a. Paper: LR range tests of the 3-layer net on CIFAR-10 from 0 to 0.01 over 20k iterations,
    momentum 0.9, at WD 1e-4, 4e-3 and 1e-2 (jobs ``rng3layer``) [I]. Our analog trains at larger LRs
    (MNIST-1D, standardised 1-D input), so its range goes ten times further: 0 to 0.1."""
    p = profiles.get(profile)
    base = RunConfig(dataset=p.pick("mnist1d", "mnist1d", "cifar10"), model="three_layer", momentum=0.9,
                     n_train=p.pick(500, 4_000, 50_000), n_val=p.pick(500, 2_000, 10_000), n_test=p.pick(100, 1_000, 0),
                     batch_size=p.pick(64, 128, 100), threads=p.threads, **p.accelerator)
    steps, end = p.pick(120, 2_500, 20_000), p.pick(0.1, 0.1, 0.01)
    variants = {f"WD {wd}": lr_finder.config(base.replace(weight_decay=float(wd)), 0.0, end, steps, "linear",
                                             p.pick(10, 80, 200))
                for wd in ("1e-4", "4e-3", "1e-2")}
    return over_seeds(variants, tuple(seeds) if seeds else p.seeds)


def overfitting_setup(profile: str, seeds=None) -> Grid:
    """Fig. 4b. Paper: ResNet-50 on ImageNet, the standard schedule (LR 0.1, WD 1e-4: underfitting) against a
    1cycle policy with a very small WD 1e-7 (overfitting); the author's 1cycle solvers go from LR 0.05 to 1.0
    with momentum 0.95 → 0.85. Analog (at every profile: ImageNet is not among the library's datasets): a
    small training set, where a network can overfit, ResNet-20 on 1,000 MNIST-1D samples for 1,000
    iterations (128 epochs)."""
    p = profiles.get(profile)
    steps = p.pick(60, 1_000, 1_000)
    policy = {"name": "caffe_one_cycle", "base_lr": 0.05, "max_lr": 1.0, "stepsize": steps * 45 // 100,
              "momentum": 0.95, "min_momentum": 0.85}
    base = RunConfig(dataset="mnist1d", model="resnet20", n_train=p.pick(500, 1_000, 1_000),
                     n_val=p.pick(200, 2_000, 2_000), n_test=100, batch_size=128, steps=steps,
                     eval_every=p.pick(10, 50, 50), threads=p.threads, **p.accelerator)
    return over_seeds({"LR 0.1, WD 1e-4": base.replace(lr=0.1, momentum=0.9, weight_decay=1e-4),
                       "1cycle 0.05–1.0, WD 1e-7": base.replace(lr={**policy, "select": "lr"},
                                                                 momentum={**policy, "select": "momentum"},
                                                                 weight_decay=1e-7)},
                      tuple(seeds) if seeds else p.seeds)


def claim_4b(runs: dict[str, list[History]]) -> claims.Verdict:
    large, small = (mean_curve(runs[k]) for k in ("LR 0.1, WD 1e-4", "1cycle 0.05–1.0, WD 1e-7"))
    verdict = claims.small_weight_decay_overfits(small, large)
    e = verdict.evidence
    en = (f"With WD 1e-7 the test loss reaches {e['min_small']:.3f} and ends at {e['end_small']:.3f} "
          f"({e['rise_small']:+.1%}; overfitting counts from a rise of 5 %); with WD 1e-4 it ends at "
          f"{e['end_large']:.3f}, {e['drop_large']:.0%} of its fall still in the last quarter.")
    zh = (f"權重衰減 1e-7 時,測試損失最低到 {e['min_small']:.3f},最終為 {e['end_small']:.3f}({e['rise_small']:+.1%};"
          f"上升 5% 以上才算過擬合);權重衰減 1e-4 時最終為 {e['end_large']:.3f},其整體降幅有 {e['drop_large']:.0%} "
          f"發生在最後四分之一。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def claim_3a(runs: dict[str, list[History]]) -> claims.Verdict:
    small, large = (mean_curve(runs[k]) for k in ("LR 0.001", "LR 0.004"))
    verdict = claims.underfitting(small, large)
    e = verdict.evidence
    en = (f"The last quarter of training holds {e['drop_small']:.0%} of the whole fall of the test loss at "
          f"LR 0.001 and {e['drop_large']:.0%} at LR 0.004; they end at {e['loss_small']:.3f} and {e['loss_large']:.3f} "
          f"(accuracy {e['acc_small']:.1%} and {e['acc_large']:.1%}).")
    zh = (f"測試損失的整體降幅中,學習率 0.001 有 {e['drop_small']:.0%} 發生在訓練的最後四分之一,學習率 0.004 則為 "
          f"{e['drop_large']:.0%};最終分別為 {e['loss_small']:.3f} 與 {e['loss_large']:.3f}"
          f"(準確率 {e['acc_small']:.1%} 與 {e['acc_large']:.1%})。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def claim_3b(runs: dict[str, list[History]]) -> claims.Verdict:
    (small_name, small), (large_name, large) = ((k, mean_curve(v)) for k, v in runs.items())
    verdict = claims.larger_model_underfits_less(small, large)
    e = verdict.evidence
    en = (f"After 3 epochs the test loss is {e['loss_small']:.3f} for {small_name} and {e['loss_large']:.3f} for "
          f"{large_name} (accuracy {e['acc_small']:.1%} and {e['acc_large']:.1%}); the paper reports, at 100k "
          f"iterations, 2.421 for ResNet-50 and 2.140 for Inception-ResNet-v2 (top-1 45.9 % and 50.5 %).")
    zh = (f"3 個 epoch 後,{small_name} 的測試損失為 {e['loss_small']:.3f},{large_name} 為 {e['loss_large']:.3f}"
          f"(準確率 {e['acc_small']:.1%} 與 {e['acc_large']:.1%});論文報告在第 10 萬次迭代時,ResNet-50 為 2.421,"
          f"Inception-ResNet-v2 為 2.140(top-1 準確率 45.9% 與 50.5%)。")
    claims.glue_verdict(verdict, en, zh)
    return verdict


def claim_4a(runs: dict[str, list[History]]) -> claims.Verdict:
    by_wd = {float(k.split()[1]): mean_evaluations(v) for k, v in runs.items()}
    verdict = claims.weight_decay_range_test(by_wd, small=1e-4, good=4e-3, large=1e-2)
    e = verdict.evidence["by_wd"]
    parts_en = [f"WD {sci(wd)}: stable up to LR {v['stable_to']:.3g}, lowest test loss {v['min_loss']:.3f}" for wd, v in e.items()]
    parts_zh = [f"權重衰減 {sci(wd)}:在學習率 {v['stable_to']:.3g} 之前保持穩定,最低測試損失 {v['min_loss']:.3f}" for wd, v in e.items()]
    claims.glue_verdict(verdict, "; ".join(parts_en) + ".", ";".join(parts_zh) + "。")
    return verdict


def figure_3a(runs: dict[str, list[History]], grid: Grid, profile: str) -> None:
    publish_grid(plots.curves(runs, colors=["#d62728", "#1f77b4"]), "smith-fig-3a", grid, runs, profile)


def figure_3b(runs: dict[str, list[History]], grid: Grid, profile: str) -> None:
    publish_grid(plots.curves(runs), "smith-fig-3b", grid, runs, profile)


def figure_4a(runs: dict[str, list[History]], grid: Grid, profile: str) -> None:
    # the paper's colours: WD 1e-4 blue, 4e-3 red, 1e-2 yellow
    publish_grid(range_test_figure(runs, colors=["#1f77b4", "#d62728", "#e5ae38"]), "smith-fig-4a", grid, runs, profile)


def figure_4b(runs: dict[str, list[History]], grid: Grid, profile: str) -> None:
    # the paper's colours: the standard schedule blue, WD 1e-7 red
    # log scale: the early spikes of the large learning rate would otherwise hide the late rise
    fig = plots.curves(runs, colors=["#1f77b4", "#d62728"], log_y=True, ylabel="test (validation) loss (log scale)")
    publish_grid(fig, "smith-fig-4b", grid, runs, profile)


def plan(profile: str, dataset: str | None = None, model: str | None = None, seeds=None) -> list[RunConfig]:
    """Every run of the chapter, for :func:`hp_lib.sweep.prefetch`."""
    grids = (underfitting_setup(profile, seeds), capacity_models_setup(profile, seeds),
             weight_decay_range_setup(profile, seeds), overfitting_setup(profile, seeds))
    return (range_test_setup(profile, dataset, model, seeds).configs() + capacity_setup(profile, seeds=seeds).configs()
            + [c for g in grids for c in g.all()])
