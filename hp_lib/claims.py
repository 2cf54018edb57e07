"""A remark or a caption's claim, tested on our measurements.

Each function takes measured data and returns a :class:`Verdict`: ``reproduced``, ``not reproduced`` or
``inconclusive``, with the numbers that decided it. The criteria are written out in each docstring so a
reader can disagree with them; thresholds are arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import glue

REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"


def labels() -> dict[str, dict[str, str]]:
    """The verdicts' names per language: ``labels()["zh"]["reproduced"]``."""
    from . import verdicts

    return {lang: verdicts.catalog()[lang]["status"] for lang in ("en", "zh")}


@dataclass
class Verdict:
    claim: str
    status: str
    evidence: dict = field(default_factory=dict)

    def label(self, lang: str = "en") -> str:
        from . import verdicts

        return verdicts.label(self.status, lang)


def _smooth(values, window: int = 3) -> np.ndarray:
    return pd.Series(values).rolling(window, center=True, min_periods=1).mean().to_numpy()


def stable_part(ev: pd.DataFrame, blowup: float = 2.0) -> pd.DataFrame:
    """The evaluations before the run blows up: before the first non-finite validation loss or the first
    one above ``blowup`` times the lowest seen so far."""
    losses = ev["val_loss"].to_numpy()
    best, end = np.inf, len(losses)
    for i, v in enumerate(losses):
        if not np.isfinite(v) or v > blowup * best:
            end = i
            break
        best = min(best, v)
    return ev.iloc[:end]


def overfitting_windows(ev: pd.DataFrame, min_rise: float = 0.05, smooth: int = 3) -> list[dict]:
    """LR intervals where the (smoothed) validation loss climbs from a local minimum by at least
    ``min_rise`` (relative) and then comes down again: Smith's "signs of overfitting" box of Fig. 1a.
    For each, the change of the training loss and of the validation accuracy over the same interval."""
    ev = stable_part(ev).reset_index(drop=True)
    v = _smooth(ev["val_loss"], smooth)
    # the training loss as the paper plots it (smoothed minibatch loss), when the range test recorded it
    t = _smooth(ev["train_loss_smooth"] if "train_loss_smooth" in ev else ev["train_eval_loss"], smooth)
    t_eval = _smooth(ev["train_eval_loss"], smooth)
    a = _smooth(ev["val_acc"], smooth)
    windows, i = [], 0
    while i < len(v) - 2:
        # walk to the next local minimum, then to the following local maximum
        while i < len(v) - 1 and v[i + 1] <= v[i]:
            i += 1
        j = i
        while j < len(v) - 1 and v[j + 1] >= v[j]:
            j += 1
        comes_down = j < len(v) - 1
        if j > i and comes_down and (v[j] - v[i]) >= min_rise * v[i]:
            windows.append({
                "lr_start": float(ev["lr"][i]), "lr_end": float(ev["lr"][j]),
                "val_loss_rise": float(v[j] - v[i]), "val_loss_rise_rel": float((v[j] - v[i]) / v[i]),
                "train_loss_change": float(t[j] - t[i]), "val_acc_change": float(a[j] - a[i]),
                "train_eval_loss_change": float(t_eval[j] - t_eval[i]),
            })
        i = max(j, i + 1)
    return windows


def remark_1(ev: pd.DataFrame, min_rise: float = 0.05, acc_tolerance: float = 0.01) -> Verdict:
    """Remark 1: the validation loss carries information that the training loss and the validation
    accuracy do not.

    * reproduced: in the stable part of an LR range test, the validation loss rises by at least
      ``min_rise`` (relative) from a local minimum and comes down again at larger LR, while over the same
      LR interval the training loss (as the paper plots it: the smoothed minibatch loss) does not rise and the validation accuracy does not fall by more than
      ``acc_tolerance``: only the validation loss shows the overfitting;
    * inconclusive: such a rise exists but the training loss or the accuracy shows it too;
    * not reproduced: the validation loss has no such rise.
    """
    windows = overfitting_windows(ev, min_rise)
    if not windows:
        return Verdict("smith-remark-1", NOT_REPRODUCED, {"windows": []})
    hidden = [w for w in windows if w["train_loss_change"] <= 0 and w["val_acc_change"] >= -acc_tolerance]
    best = max(hidden or windows, key=lambda w: w["val_loss_rise_rel"])
    return Verdict("smith-remark-1", REPRODUCED if hidden else INCONCLUSIVE, {"windows": windows, **best})


def remark_2(sweep: pd.DataFrame, capacity: str = "width", min_gap: float = 0.05,
             flat: float = 0.10, agg: str = "mean") -> Verdict:
    """Remark 2 (with Fig. 2): the goal of tuning is the flat bottom of the test loss, between
    underfitting and overfitting.

    From a capacity sweep (``agg`` — mean or median — over seeds of ``train_loss``, ``val_loss`` and, if
    measured, ``val_acc`` per capacity):

    * reproduced: the validation loss is U-shaped (its minimum is strictly inside the sweep and both ends
      are at least ``min_gap`` higher, relatively), the training loss falls from the smallest to the
      largest capacity, and the capacity with the best validation accuracy (if measured) lies in the flat
      bottom (its validation loss within ``flat`` of the minimum);
    * inconclusive: U-shaped, but the best accuracy lies outside the flat bottom;
    * not reproduced: no U shape.
    """
    cols = [c for c in ("train_loss", "val_loss", "val_acc") if c in sweep]
    s = sweep.groupby(capacity)[cols].agg(agg).sort_index()
    v = s["val_loss"].to_numpy()
    i = int(np.argmin(v))
    left, right = (v[0] - v[i]) / v[i], (v[-1] - v[i]) / v[i]
    u_shaped = 0 < i < len(v) - 1 and left >= min_gap and right >= min_gap
    train_falls = s["train_loss"].iloc[-1] < s["train_loss"].iloc[0]
    flat_caps = s.index[s["val_loss"] <= (1 + flat) * v[i]]
    evidence = {
        "best_capacity": s.index[i], "min_val_loss": float(v[i]), "rise_small_end": float(left),
        "rise_large_end": float(right), "train_loss_small": float(s["train_loss"].iloc[0]),
        "train_loss_large": float(s["train_loss"].iloc[-1]), "flat_from": flat_caps.min(),
        "flat_to": flat_caps.max(), "worst_capacity": s.index[int(np.argmax(v))],
    }
    in_flat = True
    if "val_acc" in s:
        best_acc = s["val_acc"].idxmax()
        in_flat = s.loc[best_acc, "val_loss"] <= (1 + flat) * v[i]
        evidence.update(best_acc_capacity=best_acc, best_val_acc=float(s["val_acc"].max()))
    if not (u_shaped and train_falls):
        return Verdict("smith-remark-2", NOT_REPRODUCED, evidence)
    return Verdict("smith-remark-2", REPRODUCED if in_flat else INCONCLUSIVE, evidence)


def combine(claim: str, verdicts: dict[str, Verdict]) -> Verdict:
    """One claim tested in several settings: reproduced (or not) only if every setting agrees,
    inconclusive otherwise. The evidence keeps each setting's verdict."""
    statuses = {v.status for v in verdicts.values()}
    status = statuses.pop() if len(statuses) == 1 else INCONCLUSIVE
    return Verdict(claim, status, {name: {"status": v.status, **v.evidence} for name, v in verdicts.items()})


def glue_verdict(verdict: Verdict, en: str, zh: str) -> None:
    """Paste ``**Verdict: <status>.** <why>`` into the page as ``<claim>-verdict`` (and ``-verdict-zh``)."""
    from . import verdicts

    glue.text(f"{verdict.claim}-verdict", verdicts.catalog()["en"]["line"].format(status=verdict.label("en"), why=en),
              verdicts.catalog()["zh"]["line"].format(status=verdict.label("zh"), why=zh))


def summary(verdicts_: list[Verdict], name: str, profile: str) -> None:
    """The chapter's closing table of verdicts, glued as ``name`` (and ``name-zh``), and its records."""
    from . import verdicts

    verdicts.publish([verdicts.ruled(v.claim, v.claim, v.status) for v in verdicts_], name.removesuffix("-verdicts"),
                     profile, name)


def _last_quarter_drop(curve: pd.DataFrame) -> float:
    """The share of a run's whole fall of the test loss that happens in its last quarter: how far from
    horizontal the end of the curve is, in the units of its own plot."""
    v = curve["val_loss"].to_numpy()
    q = v[int(len(v) * 0.75)]
    return float((q - v[-1]) / (v[0] - v[-1]))


def underfitting(small_lr: pd.DataFrame, large_lr: pd.DataFrame, ratio: float = 2.0) -> Verdict:
    """Smith Fig. 3a: at a too-small LR the test loss keeps falling (underfitting) while at a good LR it
    falls fast and flattens, "a positive clue" of a better final accuracy.

    From test-loss curves (``step``, ``val_loss``, ``val_acc``, mean over seeds) of the two runs:

    * reproduced: the share of its whole fall that the small-LR loss makes in the last quarter of training
      is at least ``ratio`` times the large-LR loss's share (it is still falling where the other is
      horizontal), and the large LR ends with the lower loss and the higher accuracy;
    * inconclusive: the large LR ends better, but its loss has not flattened more than the small LR's;
    * not reproduced: the large LR does not end better.
    """
    drop_small, drop_large = _last_quarter_drop(small_lr), _last_quarter_drop(large_lr)
    evidence = {"drop_small": drop_small, "drop_large": drop_large,
                "loss_small": float(small_lr["val_loss"].iloc[-1]), "loss_large": float(large_lr["val_loss"].iloc[-1]),
                "acc_small": float(small_lr["val_acc"].iloc[-1]), "acc_large": float(large_lr["val_acc"].iloc[-1])}
    better = evidence["loss_large"] < evidence["loss_small"] and evidence["acc_large"] > evidence["acc_small"]
    if not better:
        return Verdict("smith-fig-3a", NOT_REPRODUCED, evidence)
    flatter = drop_small > ratio * max(drop_large, 0.0)
    return Verdict("smith-fig-3a", REPRODUCED if flatter else INCONCLUSIVE, evidence)


def larger_model_underfits_less(small: pd.DataFrame, large: pd.DataFrame) -> Verdict:
    """Smith Fig. 3b: over the first epochs the larger-capacity network's test loss falls further (and
    its accuracy is higher): it underfits less. Reproduced if both hold at the end of the budget."""
    evidence = {"loss_small": float(small["val_loss"].iloc[-1]), "loss_large": float(large["val_loss"].iloc[-1]),
                "acc_small": float(small["val_acc"].iloc[-1]), "acc_large": float(large["val_acc"].iloc[-1])}
    lower = evidence["loss_large"] < evidence["loss_small"]
    higher = evidence["acc_large"] > evidence["acc_small"]
    status = REPRODUCED if lower and higher else (INCONCLUSIVE if lower or higher else NOT_REPRODUCED)
    return Verdict("smith-fig-3b", status, evidence)


def weight_decay_range_test(by_wd: dict[float, pd.DataFrame], small: float, good: float, large: float) -> Verdict:
    """Smith Fig. 4a: in LR range tests, the good weight decay stays stable over a larger LR range and
    reaches a lower loss than the small one; the large one becomes unstable at a smaller LR.

    For each weight decay: ``stable_to`` = the LR where the stable part ends (see :func:`stable_part`;
    the last LR when it never blows up) and ``min_loss`` = its lowest validation loss.

    * reproduced: stable_to(good) ≥ stable_to(small), min_loss(good) ≤ min_loss(small), and
      stable_to(large) < stable_to(good);
    * inconclusive: one or two of the three hold; not reproduced: none.
    """
    evidence = {}
    for wd, ev in by_wd.items():
        stable = stable_part(ev)
        end = ev["lr"].iloc[len(stable)] if len(stable) < len(ev) else ev["lr"].iloc[-1]
        evidence[wd] = {"stable_to": float(end), "min_loss": float(stable["val_loss"].min())}
    e = evidence
    checks = [e[good]["stable_to"] >= e[small]["stable_to"], e[good]["min_loss"] <= e[small]["min_loss"],
              e[large]["stable_to"] < e[good]["stable_to"]]
    status = REPRODUCED if all(checks) else (INCONCLUSIVE if any(checks) else NOT_REPRODUCED)
    return Verdict("smith-fig-4a", status, {"by_wd": evidence, "checks": checks})


def super_convergence(cycle_acc: float, cycle_steps: int, step_acc: float, step_steps: int,
                      tolerance: float = 0.005, claim: str = "smith-fig-5a") -> Verdict:
    """Smith Fig. 5a: one short cycle to a large LR reaches the accuracy of a long step schedule in a
    fraction of its iterations.

    * reproduced: the cycle, with fewer iterations, ends within ``tolerance`` (absolute accuracy) of the
      step schedule or above it;
    * not reproduced: it ends lower than that.
    """
    evidence = {"cycle_acc": cycle_acc, "step_acc": step_acc, "iteration_ratio": step_steps / cycle_steps}
    ok = cycle_steps < step_steps and cycle_acc >= step_acc - tolerance
    return Verdict(claim, REPRODUCED if ok else NOT_REPRODUCED, evidence)


def batch_size_tradeoff(by_tbs: dict[int, tuple[float, float]]) -> Verdict:
    """Smith Fig. 6: "For a fixed computational budget, larger TBS yields higher test accuracy but smaller
    TBS has lower test loss."

    ``by_tbs`` maps each batch size to its (mean final accuracy, mean final loss), runs of equal time.

    * reproduced: the largest batch ends with a higher accuracy than the smallest, and the smallest with
      a lower loss than the largest;
    * inconclusive: one of the two holds; not reproduced: neither.
    """
    small, large = min(by_tbs), max(by_tbs)
    higher_acc = by_tbs[large][0] > by_tbs[small][0]
    lower_loss = by_tbs[small][1] < by_tbs[large][1]
    status = REPRODUCED if higher_acc and lower_loss else (INCONCLUSIVE if higher_acc or lower_loss else NOT_REPRODUCED)
    return Verdict("smith-fig-6", status, {"larger_tbs_higher_acc": higher_acc, "smaller_tbs_lower_loss": lower_loss})


def remark_4(seconds_per_epoch: dict[int, float], paper_epochs: dict[int, int], min_speedup: float = 1.5) -> Verdict:
    """Remark 4: unlike the learning rate, the batch size changes the execution time, so batch sizes must be
    compared at (near) equal time, not at equal epochs.

    The premise is measured: how many times as many epochs the largest batch runs as the smallest in the
    same time (``speedup``), beside the paper's ratio of epochs at equal time (``paper_epochs``).

    * reproduced: the speedup is at least ``min_speedup``: comparing at equal epochs would hand the larger
      batch a much smaller budget;
    * not reproduced: on this hardware the batch size hardly changes the time per epoch, so equal time is
      nearly equal epochs.
    """
    small, large = min(seconds_per_epoch), max(seconds_per_epoch)
    speedup = seconds_per_epoch[small] / seconds_per_epoch[large]
    evidence = {"speedup": speedup, "paper_speedup": paper_epochs[large] / paper_epochs[small]}
    return Verdict("smith-remark-4", REPRODUCED if speedup >= min_speedup else NOT_REPRODUCED, evidence)


def momentum_shifts_lr(by_momentum: dict[float, pd.DataFrame]) -> Verdict:
    """Smith Fig. 7a: "the value of momentum matters" — in LR range tests at several momenta, the LR of the
    lowest test loss shrinks as the momentum grows, and the largest momentum becomes unstable first.

    From each momentum's mean evaluations (``lr``, ``val_loss``), within its stable part:

    * reproduced: the LR at the minimum falls as the momentum rises (strictly, across all momenta) and the
      largest momentum's stable part ends at a smaller LR than the others';
    * inconclusive: one of the two holds; not reproduced: neither.
    """
    evidence = {}
    for m in sorted(by_momentum):
        ev = by_momentum[m]
        stable = stable_part(ev)
        end = ev["lr"].iloc[len(stable)] if len(stable) < len(ev) else ev["lr"].iloc[-1]
        i = stable["val_loss"].idxmin()
        evidence[m] = {"lr_at_min": float(stable["lr"][i]), "min_loss": float(stable["val_loss"][i]),
                       "stable_to": float(end)}
    ms = sorted(evidence)
    shifts = all(evidence[a]["lr_at_min"] > evidence[b]["lr_at_min"] for a, b in zip(ms, ms[1:]))
    first_unstable = all(evidence[ms[-1]]["stable_to"] < evidence[m]["stable_to"] for m in ms[:-1])
    status = REPRODUCED if shifts and first_unstable else (INCONCLUSIVE if shifts or first_unstable else NOT_REPRODUCED)
    return Verdict("smith-fig-7a", status, {"by_momentum": evidence, "lr_shifts": shifts,
                                            "largest_unstable_first": first_unstable})


def no_optimal_momentum(ev: pd.DataFrame, min_rise: float = 0.05) -> Verdict:
    """Smith Fig. 7b: "increasing momentum does not find an optimal value" — in a momentum range test the
    test loss keeps falling until the run becomes unstable, with no minimum followed by a rise to read
    an optimum from.

    * reproduced: within the stable part, the loss at its end is less than ``min_rise`` (relative) above
      its minimum;
    * not reproduced: the loss reaches a minimum and rises by ``min_rise`` or more before the blow-up.
    """
    stable = stable_part(ev)
    end = ev["momentum"].iloc[len(stable)] if len(stable) < len(ev) else ev["momentum"].iloc[-1]
    v = _smooth(stable["val_loss"])
    i = int(np.argmin(v))
    rise = float((v[-1] - v[i]) / v[i])
    evidence = {"stable_to": float(end), "min_loss": float(stable["val_loss"].min()),
                "momentum_at_min": float(stable["momentum"].iloc[i]), "rise_before_blowup": rise}
    return Verdict("smith-fig-7b", REPRODUCED if rise < min_rise else NOT_REPRODUCED, evidence)


def decreasing_momentum_lower_loss(falling: float, rising: float, constant: float) -> Verdict:
    """Smith Fig. 7c: in an LR range test, momentum that falls as the LR rises reaches a lower test loss
    than momentum that rises, and no higher than constant momentum (lowest losses of the stable parts).

    * reproduced: falling < rising and falling ≤ constant; inconclusive: one of them; not reproduced: neither.
    """
    a, b = falling < rising, falling <= constant
    evidence = {"falling": falling, "rising": rising, "constant": constant}
    return Verdict("smith-fig-7c", REPRODUCED if a and b else (INCONCLUSIVE if a or b else NOT_REPRODUCED), evidence)


def cyclical_matches_constant(cyclical: float, constant: dict[str, float], claim: str, tolerance: float = 0.002) -> Verdict:
    """Smith Fig. 7d: decreasing (cyclical) momentum trains at least as well as the best constant momentum.

    * reproduced: its mean final accuracy is within ``tolerance`` of the best constant one, or above;
    * not reproduced: below that.
    """
    best = max(constant, key=constant.get)
    evidence = {"cyclical": cyclical, "best_constant": best, "best_constant_acc": constant[best]}
    return Verdict(claim, REPRODUCED if cyclical >= constant[best] - tolerance else NOT_REPRODUCED, evidence)


def falling_momentum_best(acc: dict[str, float], falling: str) -> Verdict:
    """Smith Fig. 8a: "The best result is when momentum decreases as learning rate increases."

    * reproduced: the falling-momentum schedule has the highest mean final accuracy;
    * inconclusive: it beats some schedules but not all; not reproduced: it is the worst.
    """
    others = [v for k, v in acc.items() if k != falling]
    beaten = sum(acc[falling] > v for v in others)
    status = REPRODUCED if beaten == len(others) else (INCONCLUSIVE if beaten else NOT_REPRODUCED)
    return Verdict("smith-fig-8a", status, {"accuracy": acc})


def cyclical_momentum_helps(pairs: dict[int, tuple[float, float]]) -> Verdict:
    """Smith Fig. 8b: with cyclical momentum (0.95 → 0.85) the batch-size runs of Fig. 6a do better.

    ``pairs`` maps each batch size to (accuracy with cyclical momentum, with constant momentum 0.95).

    * reproduced: cyclical is higher at more than half of the batch sizes; inconclusive: at half;
      not reproduced: at fewer.
    """
    wins = sum(c > k for c, k in pairs.values())
    status = REPRODUCED if 2 * wins > len(pairs) else (INCONCLUSIVE if 2 * wins == len(pairs) else NOT_REPRODUCED)
    return Verdict("smith-fig-8b", status, {"wins": wins, "of": len(pairs)})


def table_1(table: pd.DataFrame) -> Verdict:
    """Smith Table 1: "For deep architectures, such as resnet-56, combining cyclical learning and cyclical
    momentum is best, while for shallow architectures optimal constant values work as well as cyclical
    ones."

    ``table`` has one row per (architecture, LR/SS, momentum/SS) with ``ours mean`` and ``ours std`` in
    percent; the cyclical rows have a "-" in both columns' cyclical entries.

    * deep part holds: the row with the cyclical LR and momentum 0.95-0.85 is the best resnet row, or
      within one of its standard deviations (or the other's) of the best;
    * shallow part holds: the best 3-layer row with a constant momentum is within one standard deviation
      of the cyclical LR + cyclical momentum row, or above it;
    * reproduced: both hold; inconclusive: one; not reproduced: neither.
    """
    def cm_row(arch):
        rows = table[(table["architecture"] == arch) & table["LR/SS"].str.contains("-")
                     & (table["momentum/SS"] == "0.95-0.85")]
        return rows.iloc[0]

    deep = table[table["architecture"] == "resnet-56"]
    shallow = table[table["architecture"] == "3-layer"]
    d_cm, s_cm = cm_row("resnet-56"), cm_row("3-layer")
    others = deep.drop(index=d_cm.name)
    best_other = others.loc[others["ours mean"].idxmax()]
    deep_ok = d_cm["ours mean"] >= best_other["ours mean"] - max(d_cm["ours std"], best_other["ours std"])
    constant = shallow[~shallow["momentum/SS"].str.contains("-")]
    best_constant = constant.loc[constant["ours mean"].idxmax()]
    shallow_ok = best_constant["ours mean"] >= s_cm["ours mean"] - max(s_cm["ours std"], best_constant["ours std"])
    evidence = {"deep_cm": float(d_cm["ours mean"]), "deep_best_other": float(best_other["ours mean"]),
                "deep_best_other_row": f"LR {best_other['LR/SS']}, momentum {best_other['momentum/SS']}",
                "shallow_cm": float(s_cm["ours mean"]), "shallow_best_constant": float(best_constant["ours mean"]),
                "deep_holds": bool(deep_ok), "shallow_holds": bool(shallow_ok)}
    status = REPRODUCED if deep_ok and shallow_ok else (INCONCLUSIVE if deep_ok or shallow_ok else NOT_REPRODUCED)
    return Verdict("smith-table-1", status, evidence)


def loss_separates_better(loss: dict[float, tuple[float, float]], acc: dict[float, tuple[float, float]]) -> Verdict:
    """Smith Fig. 9: "The best value for weight decay is easier to interpret from the loss than from the
    accuracy."

    ``loss`` and ``acc`` map each weight decay to (mean, std over seeds) of the final test loss and accuracy.
    The *separation* of a metric is the gap between the best and the runner-up in units of their larger
    seed standard deviation.

    * reproduced: the loss separates the best weight decay more clearly than the accuracy does;
    * not reproduced: the accuracy separates it at least as clearly;
    * inconclusive: with a single seed (no spread to measure against).
    """
    def separation(values, best_is_min):
        ranked = sorted(values.items(), key=lambda kv: kv[1][0], reverse=not best_is_min)
        (w1, (m1, s1)), (_, (m2, s2)) = ranked[0], ranked[1]
        spread = max(s1, s2)
        return w1, (abs(m2 - m1) / spread if spread > 0 else float("inf"))

    best_loss, sep_loss = separation(loss, True)
    best_acc, sep_acc = separation(acc, False)
    evidence = {"best_by_loss": best_loss, "best_by_acc": best_acc, "loss_separation": sep_loss,
                "acc_separation": sep_acc}
    if not np.isfinite(sep_loss) or not np.isfinite(sep_acc):
        return Verdict("smith-fig-9", INCONCLUSIVE, evidence)
    return Verdict("smith-fig-9", REPRODUCED if sep_loss > sep_acc else NOT_REPRODUCED, evidence)


def optimal_wd_shrinks(claim: str, constant_best: float, range_best: float) -> Verdict:
    """Smith Figs. 10 and 11: searched with large learning rates (an LR range test), the best weight decay
    is smaller than at a constant learning rate, because large learning rates regularize too.

    * reproduced: the range test's best weight decay is smaller; inconclusive: the same; not reproduced:
      larger.
    """
    status = REPRODUCED if range_best < constant_best else (INCONCLUSIVE if range_best == constant_best else NOT_REPRODUCED)
    return Verdict(claim, status, {"constant_best": constant_best, "range_best": range_best})


def snapshot_search(claim: str, scratch_best: float, snapshot_best: float, scratch_seconds: float,
                    snapshot_seconds: float) -> Verdict:
    """Smith Fig. 12: "a grid search from a snapshot will point to an optimal weight decay and can save
    time."

    * reproduced: the search from the snapshot picks the weight decay the search from scratch picks, in
      less training time;
    * inconclusive: it saves time but picks another weight decay;
    * not reproduced: it saves no time.
    """
    saved = 1 - snapshot_seconds / scratch_seconds
    evidence = {"scratch_best": scratch_best, "snapshot_best": snapshot_best, "scratch_seconds": scratch_seconds,
                "snapshot_seconds": snapshot_seconds, "saved": saved}
    if saved <= 0:
        return Verdict(claim, NOT_REPRODUCED, evidence)
    return Verdict(claim, REPRODUCED if scratch_best == snapshot_best else INCONCLUSIVE, evidence)


def small_weight_decay_overfits(small_wd: pd.DataFrame, large_wd: pd.DataFrame, min_rise: float = 0.05) -> Verdict:
    """Smith Fig. 4b: with too small a weight decay (and a large-LR 1cycle) the test loss turns upward —
    overfitting — while the standard run with more weight decay keeps falling (underfitting).

    From mean test-loss curves (``val_loss``):

    * reproduced: the small-WD loss ends at least ``min_rise`` (relative) above its minimum, and the
      large-WD loss ends within ``min_rise`` of its own minimum (it has not turned upward);
    * inconclusive: both turn upward;
    * not reproduced: the small-WD loss does not turn upward.
    """
    def rise(curve):
        v = curve["val_loss"].to_numpy()
        return float((v[-1] - v.min()) / v.min())

    evidence = {"min_small": float(small_wd["val_loss"].min()), "end_small": float(small_wd["val_loss"].iloc[-1]),
                "rise_small": rise(small_wd), "end_large": float(large_wd["val_loss"].iloc[-1]),
                "rise_large": rise(large_wd), "drop_large": _last_quarter_drop(large_wd)}
    if evidence["rise_small"] < min_rise:
        return Verdict("smith-fig-4b", NOT_REPRODUCED, evidence)
    return Verdict("smith-fig-4b", REPRODUCED if evidence["rise_large"] < min_rise else INCONCLUSIVE, evidence)


def ranking(claim: str, scores: dict, best: set, worst: set | None = None, higher_is_better: bool = False) -> Verdict:
    """A search's claim about which settings come out best and worst (Smith Figs. 13–15: "WD 1e-3 is poor,
    1e-5 is best", "0.99 diverges; smaller momentum is better").

    ``scores`` maps each setting to its score (the lowest test loss, or the best accuracy, of its run).

    * reproduced: the best-scoring setting is in ``best`` and (if given) the worst is in ``worst``;
    * inconclusive: one of the two holds; not reproduced: neither.
    """
    order = sorted(scores, key=scores.get, reverse=higher_is_better)
    top, bottom = order[0], order[-1]
    checks = [top in best] + ([bottom in worst] if worst is not None else [])
    status = REPRODUCED if all(checks) else (INCONCLUSIVE if any(checks) else NOT_REPRODUCED)
    return Verdict(claim, status, {"best": top, "worst": bottom, "scores": scores})


def within_spread(claim: str, stats: dict[str, tuple[float, float]]) -> Verdict:
    """Smith Fig. 15b: "all results are within one standard deviation" of each other.

    ``stats`` maps each run to (mean, std) of its final accuracy over seeds.

    * reproduced: the means span no more than the largest standard deviation;
    * not reproduced: they span more; inconclusive: a single seed (no spread to compare with).
    """
    means = [m for m, _ in stats.values()]
    spread, std = max(means) - min(means), max(s for _, s in stats.values())
    evidence = {"span": spread, "largest_std": std}
    if std == 0:
        return Verdict(claim, INCONCLUSIVE, evidence)
    return Verdict(claim, REPRODUCED if spread <= std else NOT_REPRODUCED, evidence)


def table_2(table: pd.DataFrame) -> Verdict:
    """Smith Table 2: on every dataset and architecture, the 1cycle policy reaches the accuracy of the step
    (or inv) schedule in far fewer epochs.

    ``table`` has one row per run with ``architecture``, ``CLR/SS/PL`` (a "-" marks a 1cycle), ``epochs``,
    ``ours mean`` and ``ours std``. For each architecture: does the best 1cycle row come within one standard
    deviation (the larger of the two rows') of the best schedule row, or above it?

    * reproduced: for every architecture; inconclusive: for some; not reproduced: for none.
    """
    holds = {}
    for arch, rows in table.groupby("architecture", sort=False):
        cyc = rows[rows["CLR/SS/PL"].str.contains("-")]
        std = rows[~rows["CLR/SS/PL"].str.contains("-")]
        c, b = cyc.loc[cyc["ours mean"].idxmax()], std.loc[std["ours mean"].idxmax()]
        holds[arch] = {"ok": bool(c["ours mean"] >= b["ours mean"] - max(c["ours std"], b["ours std"])),
                       "cycle": float(c["ours mean"]), "cycle_epochs": int(c["epochs"]),
                       "schedule": float(b["ours mean"]), "schedule_epochs": int(b["epochs"])}
    n_ok = sum(h["ok"] for h in holds.values())
    status = REPRODUCED if n_ok == len(holds) else (INCONCLUSIVE if n_ok else NOT_REPRODUCED)
    return Verdict("smith-table-2", status, holds)


def checklist_beats_baseline(pairs: dict[str, tuple[float, float]]) -> Verdict:
    """Smith's checklist (§5): its settings train better than a plain default.

    ``pairs`` maps each analog to (final accuracy with the checklist's settings, with the baseline), for the
    same number of steps.

    * reproduced: better on every analog; inconclusive: on some; not reproduced: on none.
    """
    wins = sum(a > b for a, b in pairs.values())
    status = REPRODUCED if wins == len(pairs) else (INCONCLUSIVE if wins else NOT_REPRODUCED)
    return Verdict("smith-checklist", status, {"wins": wins, "of": len(pairs)})


# --- the lecture's optimizer claims -------------------------------------------------------------------------

def zigzag(claim: str, steep_sign_flips: float, shallow_left: float, steep_left: float) -> Verdict:
    """lecture-f1: on an ill-conditioned loss, gradient descent jitters along the steep direction and makes
    slow progress along the shallow one. Reproduced when the steep coordinate reverses direction at most
    steps and the shallow coordinate has more of its distance left than the steep one."""
    ok = steep_sign_flips >= 0.5 and shallow_left > steep_left
    return Verdict(claim, REPRODUCED if ok else NOT_REPRODUCED,
                   {"steep_sign_flips": steep_sign_flips, "shallow_left": shallow_left, "steep_left": steep_left})


def saddles_dominate(claim: str, minima_share: dict[int, float], threshold: float = 0.01) -> Verdict:
    """lecture-f2: saddle points are much more common than minima in high dimension. From the share of
    random critical points that are minima per dimension: reproduced when the share falls with the dimension
    and drops below ``threshold`` within the dimensions measured."""
    dims = sorted(minima_share)
    shares = [minima_share[n] for n in dims]
    falling = all(b <= a for a, b in zip(shares, shares[1:]))
    below = next((n for n in dims if minima_share[n] < threshold), None)
    ok = falling and below is not None
    return Verdict(claim, REPRODUCED if ok else NOT_REPRODUCED, {"below_1pct_from": below, "falling": falling})


def momentum_overshoots(claim: str, overshoot: dict[str, float]) -> Verdict:
    """lecture-f5: the momentum methods overshoot the minimum where plain SGD does not, Nesterov less than
    heavy-ball momentum. Reproduced when SGD+Momentum and Nesterov overshoot, SGD does not, and Nesterov's
    overshoot is the smaller; inconclusive when only the last part fails."""
    both = overshoot["SGD+Momentum"] > 0 and overshoot["Nesterov"] > 0 and overshoot["SGD"] == 0
    if not both:
        return Verdict(claim, NOT_REPRODUCED, dict(overshoot))
    return Verdict(claim, REPRODUCED if overshoot["Nesterov"] < overshoot["SGD+Momentum"] else INCONCLUSIVE, dict(overshoot))


def rmsprop_escapes(claim: str, escape_steps: dict[str, int | None], total: int) -> Verdict:
    """lecture-f6: at the same learning rate, SGD lingers at a saddle point while RMSProp escapes. Reproduced
    when RMSProp leaves within the run and SGD needs at least twice as many steps (or never leaves)."""
    sgd, rms = escape_steps["SGD"], escape_steps["RMSProp"]
    ok = rms is not None and (sgd is None or sgd >= 2 * rms)
    return Verdict(claim, REPRODUCED if ok else NOT_REPRODUCED, {"SGD": sgd, "RMSProp": rms, "steps": total})


def bias_correction_needed(claim: str, raw: pd.Series, corrected: pd.Series, factor: float = 2.0) -> Verdict:
    """lecture-f7: without bias correction Adam's first steps are too large, because the second moment
    starts at zero. From step lengths over the learning rate with a constant gradient: reproduced when the
    uncorrected first step is at least ``factor`` times the corrected one."""
    ok = raw.iloc[0] >= factor * corrected.iloc[0]
    return Verdict(claim, REPRODUCED if ok else NOT_REPRODUCED,
                   {"first_ratio": float(raw.iloc[0] / corrected.iloc[0]), "raw_max": float(raw.max()),
                    "raw_argmax": int(raw.idxmax())})


def newton_one_step(claim: str, gap: pd.DataFrame, tolerance: float = 1e-6) -> Verdict:
    """lecture-f27: Newton's method needs no learning rate; on a quadratic loss one step reaches the
    minimum. From the loss above the minimum per iteration: reproduced when one Newton step comes within
    ``tolerance``. The evidence gives each method's iterations to get there (``None``: not within the run)."""
    reach = {}
    for name in gap.columns.drop("iteration"):
        hit = np.nonzero(np.abs(gap[name].to_numpy()) < tolerance)[0]
        reach[name] = int(hit[0]) if len(hit) else None
    after_1 = float(abs(gap["Newton"].iloc[1]))
    return Verdict(claim, REPRODUCED if after_1 < tolerance else NOT_REPRODUCED,
                   {"newton_after_1": after_1, "iterations_to_1e-6": reach})


def amsgrad_fixes_adam(claim: str, adam_x: float, amsgrad_x: float) -> Verdict:
    """notes-x5: on Reddi et al.'s problem (best point x = -1) Adam drifts to the wrong end and AMSGrad does
    not. Reproduced when Adam ends in the right half (x > 0) and AMSGrad in the left half (x < 0)."""
    ok = adam_x > 0 > amsgrad_x
    return Verdict(claim, REPRODUCED if ok else NOT_REPRODUCED, {"adam_x": adam_x, "amsgrad_x": amsgrad_x})


# --- the lecture's claims about choosing hyper-parameters -----------------------------------------------------

def early_stopping(claim: str, best_val_loss: float, final_val_loss: float, train_loss_at_best: float,
                   final_train_loss: float, min_rise: float = 0.05) -> Verdict:
    """lecture-f14: trained too long, a network overfits — its training loss keeps falling while its
    validation loss turns up — so stop at (keep the snapshot with) the best validation loss. Reproduced when
    the final validation loss is at least ``min_rise`` (relative) above its minimum while the training loss
    fell further."""
    rise = (final_val_loss - best_val_loss) / best_val_loss
    ok = rise >= min_rise and final_train_loss < train_loss_at_best
    return Verdict(claim, REPRODUCED if ok else NOT_REPRODUCED, {"val_loss_rise": rise})


def random_beats_grid(claim: str, toy_grid: np.ndarray, toy_random: np.ndarray, real_grid: float,
                      real_random: float) -> Verdict:
    """lecture-f15: when one parameter matters much more than the other, random search beats grid search
    with the same number of trials. Reproduced when random search is better on average on the test function
    and at least as good on the real runs; inconclusive when only the function agrees."""
    toy = float(np.mean(toy_random)) > float(np.mean(toy_grid))
    evidence = {"toy_grid": float(np.mean(toy_grid)), "toy_random": float(np.mean(toy_random)),
                "toy_random_wins": float(np.mean(toy_random > toy_grid)), "real_grid": real_grid, "real_random": real_random}
    if not toy:
        return Verdict(claim, NOT_REPRODUCED, evidence)
    return Verdict(claim, REPRODUCED if real_random >= real_grid else INCONCLUSIVE, evidence)


def recipe_sanity(claim: str, initial_loss: float, ln_c: float, overfit_acc: float, good_lrs: list,
                  tolerance: float = 0.1) -> Verdict:
    """lecture-f18, steps 1–3 of the recipe as checks that can fail: the initial loss is within
    ``tolerance`` (relative) of ln C, the network fits a small sample perfectly, and some learning rate in
    1 … 1e-5 halves the training loss within 100 iterations."""
    checks = {"initial_loss_is_ln_c": abs(initial_loss - ln_c) <= tolerance * ln_c,
              "overfits_small_sample": overfit_acc == 1.0, "an_lr_works": bool(good_lrs)}
    return Verdict(claim, REPRODUCED if all(checks.values()) else NOT_REPRODUCED, checks)


# --- the lecture's claims about learning rates --------------------------------------------------------------

def four_learning_rates(claim: str, numbers: pd.DataFrame) -> Verdict:
    """lecture-f8, the notes' cartoon of the loss at four learning rates. From each run's training loss after
    a tenth of the run (``early``), at the end (``final``), its fall over the last quarter and its diverged
    seeds (rows ``very high``, ``high``, ``low``, ``good``):

    * the good rate ends lowest — otherwise not reproduced;
    * and the shapes: the very high rate blows up (diverges, or ends above every other); the high rate falls
      faster at first than the low one but ends above the good one; the low rate ends above the good one
      and is still falling — all of them: reproduced; some not: inconclusive.
    """
    n = numbers
    shapes = {
        "very_high_blows_up": bool(n.loc["very high", "diverged"] > 0
                                   or n.loc["very high", "final"] > n.drop("very high")["final"].max()),
        "high_fast_then_stuck": bool(n.loc["high", "early"] < n.loc["low", "early"]
                                     and n.loc["high", "final"] > n.loc["good", "final"]),
        "low_slow": bool(n.loc["low", "final"] > n.loc["good", "final"] and n.loc["low", "last_quarter_fall"] > 0),
    }
    good_lowest = bool(n.loc["good", "final"] <= n.drop("good")["final"].min())
    status = NOT_REPRODUCED if not good_lowest else REPRODUCED if all(shapes.values()) else INCONCLUSIVE
    return Verdict(claim, status, {"good_lowest": good_lowest, **shapes})


def loss_drops_at_decay(claim: str, drops: pd.DataFrame, min_drop: float = 0.05) -> Verdict:
    """lecture-f9: with step decay the loss drops right after each decay. Reproduced when the mean
    training loss just after every decay is at least ``min_drop`` (relative) below the mean just before."""
    rel = ((drops["before"] - drops["after"]) / drops["before"]).tolist()
    ok = all(r >= min_drop for r in rel)
    return Verdict(claim, REPRODUCED if ok else NOT_REPRODUCED, {"relative_drops": rel})


def plateau_halving_helps(claim: str, plateau_final: list[float], constant_final: list[float], halvings: list[int],
                          min_gain: float = 0.02) -> Verdict:
    """notes-x3: "reduce the learning rate by a constant (e.g. 0.5) whenever the validation error stops
    improving". From the final validation losses per seed of the runs halved on plateaus and of the runs at the
    same LR held constant, and the halvings per plateau run:

    * reproduced: every plateau run halved at least once, and its mean final loss is at least ``min_gain``
      (relative) below the constant LR's with no overlap between the two sets of seeds;
    * inconclusive: halved, and lower on average, but by less than ``min_gain`` or with the seeds overlapping;
    * not reproduced: otherwise (no halving, or not lower).
    """
    plateau, constant = float(np.mean(plateau_final)), float(np.mean(constant_final))
    gain = (constant - plateau) / constant
    evidence = {"plateau": plateau, "constant": constant, "relative_gain": gain, "halvings": list(halvings)}
    if min(halvings) < 1 or plateau >= constant:
        return Verdict(claim, NOT_REPRODUCED, evidence)
    clear = gain >= min_gain and max(plateau_final) < min(constant_final)
    return Verdict(claim, REPRODUCED if clear else INCONCLUSIVE, evidence)


def linear_scaling_warmup(claim: str, small_acc: float, warm: dict[int, float], cold: dict[int, float],
                          tolerance: float = 0.015) -> Verdict:
    """notes-x4, Goyal et al. 2017: with the LR scaled linearly with the batch size and a gradual warmup, large
    batches reach the small batch's accuracy in the same number of epochs; without warmup the largest fall
    short or diverge. From the final accuracy (mean over seeds; a diverged run counts 0) at the smallest batch
    (``small_acc``) and per larger batch with (``warm``) and without (``cold``) warmup:

    * reproduced: with warmup every batch is within ``tolerance`` of ``small_acc``, and without it the largest
      batch falls more than ``tolerance`` below;
    * inconclusive: one half holds — warmup matches but is not needed (the largest batch matches without it
      too), or warmup beats no warmup at the largest batch by more than ``tolerance`` but some batch still falls
      short;
    * not reproduced: otherwise.

    The default ``tolerance``, 1.5 points, is about twice the sampling error of one accuracy measured on 2,000
    validation samples.
    """
    largest = max(warm)
    shortfall = {b: small_acc - a for b, a in warm.items()}
    warm_matches = all(s <= tolerance for s in shortfall.values())
    cold_short = small_acc - cold[largest] > tolerance
    warmup_helps = warm[largest] - cold[largest] > tolerance
    evidence = {"small": small_acc, "warm": dict(warm), "cold": dict(cold), "largest": largest,
                "worst_warm_shortfall": max(shortfall.values())}
    if warm_matches and cold_short:
        return Verdict(claim, REPRODUCED, evidence)
    if warm_matches or warmup_helps:
        return Verdict(claim, INCONCLUSIVE, evidence)
    return Verdict(claim, NOT_REPRODUCED, evidence)


# --- the lecture's learning curves, update/weight ratio and transfer learning ------------------------------

def learning_curve_cases(claim: str, numbers: dict, flat_ratio: float = 5.0, max_plateau_fall: float = 0.2,
                         min_decay_gain: float = 0.2, min_still_falling: float = 0.1, min_early_penalty: float = 0.1,
                         min_slope: float = 0.01, min_longer_gain: float = 0.02, big_gap: float = 0.10,
                         small_gap: float = 0.05, underfit_margin: float = 0.10) -> Verdict:
    """lecture-f17, step 6 of the recipe: each learning curve shows what the lecture says it shows. From
    ``numbers`` (case -> its measured numbers, means over seeds), one check per case:

    * ``bad_init``: the badly initialised run stays flat (loss above 90 % of its initial value) at least
      ``flat_ratio`` times as many iterations as the well initialised one (``flat_bad``, ``flat_good``), then
      drops (``final_over_initial`` below 0.5);
    * ``plateau``: at a constant LR the loss falls by less than ``max_plateau_fall`` (relative) over the quarter
      of the run before the decay point (``fall_before_decay``), and the run decayed there ends at least
      ``min_decay_gain`` lower (``decay_gain``, relative);
    * ``decay_too_early``: the loss was still falling at the early decay — at the undecayed rate it fell by at
      least ``min_still_falling`` between the early and the late decay point (``still_falling``) — and the early
      decay ends at least ``min_early_penalty`` higher than the late one (``early_penalty``, relative);
    * ``train_longer``: the validation accuracy still rises where the short run stops (``slope``, per 100
      iterations, at least ``min_slope``) and training longer gains at least ``min_longer_gain`` (``gain``);
    * ``overfitting``: the train−validation accuracy gap is at least ``big_gap`` and more data shrinks it
      (``gap``, ``gap_more_data``);
    * ``underfitting``: the gap is smaller than ``small_gap`` either way while the training accuracy is at least
      ``underfit_margin`` below the bigger model's (``gap``, ``train_acc``, ``train_acc_bigger``).

    Reproduced when all six hold, not reproduced when at most half do, inconclusive otherwise.
    """
    n = numbers
    checks = {
        "bad_init": bool(n["bad_init"]["flat_bad"] >= flat_ratio * n["bad_init"]["flat_good"]
                         and n["bad_init"]["final_over_initial"] < 0.5),
        "plateau": bool(n["plateau"]["fall_before_decay"] < max_plateau_fall and n["plateau"]["decay_gain"] >= min_decay_gain),
        "decay_too_early": bool(n["decay_too_early"]["still_falling"] >= min_still_falling
                                and n["decay_too_early"]["early_penalty"] >= min_early_penalty),
        "train_longer": bool(n["train_longer"]["slope"] >= min_slope and n["train_longer"]["gain"] >= min_longer_gain),
        "overfitting": bool(n["overfitting"]["gap"] >= big_gap and n["overfitting"]["gap_more_data"] < n["overfitting"]["gap"]),
        "underfitting": bool(abs(n["underfitting"]["gap"]) < small_gap
                             and n["underfitting"]["train_acc"] <= n["underfitting"]["train_acc_bigger"] - underfit_margin),
    }
    held = sum(checks.values())
    status = REPRODUCED if held == len(checks) else NOT_REPRODUCED if held <= len(checks) / 2 else INCONCLUSIVE
    return Verdict(claim, status, checks)


def update_ratio_sides(claim: str, ratio: dict[float, float], val_loss: dict[float, float], target: float = 1e-3) -> Verdict:
    """lecture-f19, the notes' reading of the update/weight ratio: "if it is lower than [about 1e-3] then the
    learning rate might be too low; if it is higher then the learning rate is likely too high". ``ratio`` maps
    each learning rate to its ratio (one number: e.g. the geometric mean over layers), ``val_loss`` to its
    final validation loss (``inf`` for a diverged run). Every learning rate other than the best (lowest loss)
    should sit on the side of ``target`` that matches its side of the best rate: smaller rates below, larger
    above. Reproduced when every one does, not reproduced when at most half do, inconclusive otherwise."""
    best = min(val_loss, key=val_loss.get)
    sides = {lr: bool((ratio[lr] < target) == (lr < best)) for lr in ratio if lr != best}
    agree = sum(sides.values())
    status = REPRODUCED if agree == len(sides) else NOT_REPRODUCED if agree <= len(sides) / 2 else INCONCLUSIVE
    return Verdict(claim, status, {"best_lr": best, "agrees": sides})


def update_ratio_near_target(claim: str, best_ratios: dict[str, float], band: tuple[float, float] = (1e-4, 1e-2)) -> Verdict:
    """notes-x1: at the best learning rate the update/weight ratio is "somewhere around 1e-3". ``best_ratios``
    maps each layer to the best rate's ratio. Reproduced when every layer's ratio lies in ``band`` (by default a
    decade either side of 1e-3), inconclusive when some do, not reproduced when none does."""
    inside = {layer: bool(band[0] <= r <= band[1]) for layer, r in best_ratios.items()}
    n = sum(inside.values())
    status = REPRODUCED if n == len(inside) else NOT_REPRODUCED if n == 0 else INCONCLUSIVE
    return Verdict(claim, status, {"in_band": inside, "band": band})


def _mean_and_half_range(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float((values.max() - values.min()) / 2)


def _beats(a, b) -> bool:
    """``a`` above ``b`` by more than the seeds' spread (the larger half range of the two)."""
    (ma, sa), (mb, sb) = _mean_and_half_range(a), _mean_and_half_range(b)
    return ma > mb + max(sa, sb)


def _at_least(a, b) -> bool:
    """``a`` not below ``b`` by more than the seeds' spread."""
    (ma, sa), (mb, sb) = _mean_and_half_range(a), _mean_and_half_range(b)
    return ma >= mb - max(sa, sb)


def transfer_advice(claim: str, small: dict, large: dict) -> Verdict:
    """lecture-f28, the lecture's transfer-learning advice on its data-size axis. ``small`` and ``large`` map
    each method — ``scratch``, ``probe_top`` (a linear classifier on the frozen top layer), ``probe_early`` (on
    an earlier layer), ``finetune`` (all layers, the original LR), ``finetune_tenth`` (1/10 of it) — to its final
    validation accuracies, one per seed. The measurement places the data in the table's column: similar when,
    with little data, the top-layer linear classifier is at least as good as training from scratch (within the
    seeds' spread), different otherwise. Then three checks:

    * little data — similar: the top-layer linear classifier is at least as good as every other method;
      different ("try linear classifier from different stages"): the earlier layer's beats the top layer's;
    * more data: fine-tuning all layers beats the top-layer linear classifier;
    * "1/10 of original LR is a good starting point": at both sizes fine-tuning at 1/10 of the LR is at least as
      good as at the full LR.

    All spreads are the seeds' half ranges. Reproduced when all three hold, not reproduced when none does,
    inconclusive otherwise."""
    similar = _at_least(small["probe_top"], small["scratch"])
    if similar:
        little = all(_at_least(small["probe_top"], v) for k, v in small.items() if k != "probe_top")
    else:
        little = _beats(small["probe_early"], small["probe_top"])
    checks = {"little_data": bool(little), "more_data_finetune": _beats(large["finetune"], large["probe_top"]),
              "tenth_lr": all(_at_least(d["finetune_tenth"], d["finetune"]) for d in (small, large))}
    n = sum(checks.values())
    status = REPRODUCED if n == len(checks) else NOT_REPRODUCED if n == 0 else INCONCLUSIVE
    return Verdict(claim, status, {"similar": similar, **checks})


def differential_lrs(claim: str, by_size: dict, differential: str = "differential",
                     singles: tuple[str, ...] = ("finetune", "finetune_tenth")) -> Verdict:
    """notes-x7: when fine-tuning, lower learning rates for earlier layers beat one learning rate for all.
    ``by_size`` maps each target-set size to {method: final validation accuracies, one per seed}. At each size the
    differential rates are compared with the better of the single rates ``singles``: reproduced when they beat it
    by more than the seeds' spread at every size, not reproduced when they fall below it by more than the spread
    at some size, inconclusive otherwise."""
    outcome = {}
    for size, methods in by_size.items():
        best = max(singles, key=lambda m: np.mean(methods[m]))
        d = methods[differential]
        outcome[size] = {"best_single": best, "better": _beats(d, methods[best]), "worse": _beats(methods[best], d)}
    if any(o["worse"] for o in outcome.values()):
        status = NOT_REPRODUCED
    elif all(o["better"] for o in outcome.values()):
        status = REPRODUCED
    else:
        status = INCONCLUSIVE
    return Verdict(claim, status, outcome)


# --- the lecture's optimizers on real data (lecture_optimizers) ------------------------------------------------

def loss_shortfall(loss: float, best: float, initial: float) -> float:
    """How far a final ``loss`` falls short of the ``best`` one, as a share of the best run's whole fall from
    ``initial`` (the loss before training): 0 at the best, 1 back at the start, infinite for a diverged run.
    Unlike a relative gap, it does not depend on the task's irreducible loss."""
    if not np.isfinite(loss):
        return float("inf")
    return float((loss - best) / (initial - best)) if initial > best else 0.0


def _on_every_task(passed: list[bool]) -> str:
    """Reproduced when a criterion holds on every task, inconclusive on some, not reproduced on none."""
    return REPRODUCED if all(passed) else (INCONCLUSIVE if any(passed) else NOT_REPRODUCED)


def adam_first_choice(claim: str, best: dict[str, dict[str, float]], initial: dict[str, float], first: str = "Adam",
                      margin: float = 0.1) -> Verdict:
    """The lecture's practice, "prefer Adam as the optimizer; then try SGD+Momentum". ``best`` maps each task to
    each optimizer's final held-out loss at its best learning rate (mean over seeds); ``initial`` each task's loss
    before training. Per task, ``first``'s :func:`loss_shortfall` against the best optimizer:

    * reproduced: at most ``margin`` on every task; inconclusive: on some; not reproduced: on none.
    """
    outcome = {}
    for task, losses in best.items():
        winner = min(losses, key=losses.get)
        outcome[task] = {"best": winner, "shortfall": loss_shortfall(losses[first], losses[winner], initial[task])}
    return Verdict(claim, _on_every_task([o["shortfall"] <= margin for o in outcome.values()]), outcome)


def adam_default_lr(claim: str, losses: dict[str, dict[float, float]], initial: dict[str, float],
                    default: float = 1e-3, margin: float = 0.1) -> Verdict:
    """lecture-adam-default: "Adam with lr = 1e-3 (or 5e-4) is a great starting point". ``losses`` maps each task
    to the final held-out loss (mean over seeds) at each learning rate of an Adam sweep; ``initial`` each task's
    loss before training. Per task, the :func:`loss_shortfall` of ``default`` against the sweep's best rate:

    * reproduced: at most ``margin`` on every task; inconclusive: on some; not reproduced: on none.
    """
    outcome = {}
    for task, by_lr in losses.items():
        best_lr = min(by_lr, key=by_lr.get)
        outcome[task] = {"best_lr": best_lr, "shortfall": loss_shortfall(by_lr[default], by_lr[best_lr], initial[task])}
    return Verdict(claim, _on_every_task([o["shortfall"] <= margin for o in outcome.values()]), outcome)


def spearman(a: dict, b: dict) -> float:
    """Spearman's rank correlation of two scorings over their common keys (ties get their mean rank)."""
    keys = [k for k in a if k in b]
    ra = pd.Series([a[k] for k in keys]).rank()
    rb = pd.Series([b[k] for k in keys]).rank()
    return float(np.corrcoef(ra, rb)[0, 1])


def ranking_agrees(claim: str, ours: dict[str, dict[str, float]], paper: dict[str, dict[str, float]],
                   min_rho: float = 0.5) -> Verdict:
    """nadam-table: does our ranking of the optimizers agree with the paper's? ``ours`` and ``paper`` map each
    task to each optimizer's score (lower is better: a test loss or a perplexity); only the optimizers both
    have are compared. Per task, Spearman's rank correlation :math:`\\rho` (:func:`spearman`):

    * reproduced: :math:`\\rho \\ge` ``min_rho`` on every task; inconclusive: on some; not reproduced: on none.

    The evidence also gives each side's best optimizer per task.
    """
    outcome = {}
    for task in paper:
        common = {k: v for k, v in paper[task].items() if k in ours[task]}
        outcome[task] = {"rho": spearman(ours[task], common), "ours_best": min(ours[task], key=ours[task].get),
                         "paper_best": min(common, key=common.get)}
    ok = sum(o["rho"] >= min_rho for o in outcome.values())
    status = REPRODUCED if ok == len(outcome) else (INCONCLUSIVE if ok else NOT_REPRODUCED)
    return Verdict(claim, status, outcome)


def decoupled_weight_decay(claim: str, coupled: pd.DataFrame, decoupled: pd.DataFrame, margin: float = 0.1,
                           tolerance: float = 0.02) -> Verdict:
    """notes-x6, Loshchilov & Hutter: decoupled weight decay (AdamW) generalizes at least as well as L2 inside
    Adam, and its good settings form a wider, less diagonal region of the learning-rate × weight-decay plane.

    ``coupled`` and ``decoupled`` are grids of the final held-out loss (mean over seeds), one row per weight
    decay and one column per learning rate. Two checks:

    * as good: the decoupled grid's best loss is at most ``1 + tolerance`` times the coupled grid's best;
    * wider: the decoupled grid has at least as many cells within ``margin`` (relative) of its own best.

    Reproduced: both; inconclusive: one; not reproduced: neither. The evidence also gives each grid's best
    weight decay at each learning rate (how the best weight decay moves with the learning rate).
    """
    def good(grid: pd.DataFrame) -> int:
        best = np.nanmin(grid.to_numpy())
        return int((grid.to_numpy() <= (1 + margin) * best).sum())

    evidence = {"coupled_best": float(np.nanmin(coupled.to_numpy())),
                "decoupled_best": float(np.nanmin(decoupled.to_numpy())),
                "coupled_good_cells": good(coupled), "decoupled_good_cells": good(decoupled),
                "cells": int(coupled.size),
                "coupled_best_wd": {lr: float(coupled[lr].idxmin()) for lr in coupled.columns},
                "decoupled_best_wd": {lr: float(decoupled[lr].idxmin()) for lr in decoupled.columns}}
    as_good = evidence["decoupled_best"] <= (1 + tolerance) * evidence["coupled_best"]
    wider = evidence["decoupled_good_cells"] >= evidence["coupled_good_cells"]
    evidence.update(as_good=bool(as_good), wider=bool(wider))
    status = REPRODUCED if as_good and wider else (INCONCLUSIVE if as_good or wider else NOT_REPRODUCED)
    return Verdict(claim, status, evidence)


# --- the lecture's claims about regularization --------------------------------------------------------------

def ensemble_beats_single(claim: str, single_accs, ensemble_acc: float, lecture_gain: float = 0.02) -> Verdict:
    """lecture-f20: an ensemble of independently trained models (their softmax outputs averaged) beats the
    single model (the lecture: by about ``lecture_gain``). Reproduced when the ensemble is more accurate than
    every one of its members; inconclusive when it beats their mean but not the best of them; not reproduced
    otherwise. The evidence gives the gain over the members' mean beside the lecture's."""
    single = [float(a) for a in single_accs]
    gain = float(ensemble_acc) - float(np.mean(single))
    status = REPRODUCED if ensemble_acc > max(single) else INCONCLUSIVE if gain > 0 else NOT_REPRODUCED
    return Verdict(claim, status, {"single_mean": float(np.mean(single)), "single_best": max(single),
                                   "ensemble": float(ensemble_acc), "gain": gain, "lecture_gain": lecture_gain})


def snapshot_ensemble_gain(claim: str, single_acc: float, snapshot_acc: float, ensemble_gain: float,
                           share: float = 0.25) -> Verdict:
    """lecture-f20: a snapshot ensemble (the models at the ends of one cyclic-LR run, softmax averaged;
    Huang et al. 2017) gives part of an ensemble's gain for the cost of one run.

    ``single_acc``: mean accuracy of ordinary single runs of the same length; ``snapshot_acc``: the snapshot
    ensemble's; ``ensemble_gain``: what an ensemble of independent runs gains over ``single_acc``.

    * reproduced: the snapshot ensemble gains at least ``share`` of ``ensemble_gain`` (and more than nothing);
    * inconclusive: it gains something, less than that;
    * not reproduced: it gains nothing.
    """
    gain = float(snapshot_acc) - float(single_acc)
    evidence = {"snapshot_gain": gain, "ensemble_gain": float(ensemble_gain), "share": share}
    if gain <= 0:
        return Verdict(claim, NOT_REPRODUCED, evidence)
    return Verdict(claim, REPRODUCED if gain >= share * ensemble_gain else INCONCLUSIVE, evidence)


def ema_at_least_raw(claim: str, raw_loss: float, ema_loss: float, raw_acc: float, ema_acc: float,
                     acc_tolerance: float = 0.002) -> Verdict:
    """lecture-f20: a moving average of the weights (Polyak averaging) evaluates at least as well as the
    weights themselves. From the validation loss and accuracy of both (e.g. means over the second half of
    training): reproduced when the average's loss is not higher and its accuracy not lower by more than
    ``acc_tolerance``; inconclusive when one of the two holds; not reproduced when neither does."""
    checks = {"loss_not_higher": ema_loss <= raw_loss, "acc_not_lower": ema_acc >= raw_acc - acc_tolerance}
    status = REPRODUCED if all(checks.values()) else INCONCLUSIVE if any(checks.values()) else NOT_REPRODUCED
    return Verdict(claim, status, {**checks, "raw_loss": raw_loss, "ema_loss": ema_loss, "raw_acc": raw_acc,
                                   "ema_acc": ema_acc})


def l1_sparse_l2_small(claim: str, near_zero: dict[str, float], rms: dict[str, float], min_share: float = 0.3,
                       factor: float = 5.0) -> Verdict:
    """lecture-f21: an L1 penalty makes weights sparse, an L2 penalty makes them small and diffuse.

    ``near_zero`` and ``rms`` map "none", "L1" and "L2" to the share of (near-)zero weights and their root
    mean square. Checks: L1 sparse (at least ``min_share`` near zero, and ``factor`` times L2's share); L2
    small (its RMS below the unpenalized one); L2 diffuse (fewer than ``min_share`` near zero). Reproduced
    when all hold; inconclusive when L1 is sparse but an L2 check fails; not reproduced when L1 is not sparse.
    """
    checks = {"l1_sparse": near_zero["L1"] >= min_share and near_zero["L1"] >= factor * near_zero["L2"],
              "l2_small": rms["L2"] < rms["none"], "l2_diffuse": near_zero["L2"] < min_share}
    status = NOT_REPRODUCED if not checks["l1_sparse"] else REPRODUCED if all(checks.values()) else INCONCLUSIVE
    return Verdict(claim, status, {**checks, "near_zero": dict(near_zero), "rms": dict(rms)})


def dropout_expectation(claim: str, slopes: dict[str, float], tolerance: float = 0.1) -> Verdict:
    """lecture-f22: the test-time network (vanilla: activations scaled by the keep probability; inverted:
    survivors scaled during training instead) gives the expected training-time output. Measured as the slope
    of log(gap) against log(n), the gap between the mean of ``n`` training-time passes and the test-time value:
    a Monte-Carlo mean converges like 1/√n, slope -1/2. Reproduced when every kind's slope is within
    ``tolerance`` of -1/2, not reproduced otherwise (a mean converging to another value levels off)."""
    ok = all(abs(s + 0.5) <= tolerance for s in slopes.values())
    return Verdict(claim, REPRODUCED if ok else NOT_REPRODUCED, {"slopes": dict(slopes)})


def mc_matches_scaling(claim: str, acc_one_pass: float, acc_many_passes: float, acc_scaled: float,
                       tolerance: float = 0.005) -> Verdict:
    """lecture-f23: the noise added at training is marginalized at test time; for dropout the deterministic
    test-time network stands in for the average over many random passes. Reproduced when the average of many
    passes is within ``tolerance`` of the test-time network and a single random pass is worse than both;
    inconclusive when they agree but one pass is not worse; not reproduced when they differ by more."""
    agree = abs(acc_many_passes - acc_scaled) <= tolerance
    one_worse = acc_one_pass < min(acc_many_passes, acc_scaled)
    status = NOT_REPRODUCED if not agree else REPRODUCED if one_worse else INCONCLUSIVE
    return Verdict(claim, status, {"one_pass": acc_one_pass, "many_passes": acc_many_passes, "scaled": acc_scaled})


def beats_baseline(claim: str, baseline, treated) -> Verdict:
    """A regularizer improves the accuracy (lecture-f24 … f26). ``baseline`` and ``treated`` hold one final
    accuracy per seed (same seeds). Reproduced when the treated runs' worst is above the baseline's best (the
    ranges over seeds do not overlap); inconclusive when the mean gains but the ranges overlap; not
    reproduced when the mean does not gain."""
    baseline, treated = [float(a) for a in baseline], [float(a) for a in treated]
    gain = float(np.mean(treated) - np.mean(baseline))
    status = (REPRODUCED if min(treated) > max(baseline) else INCONCLUSIVE) if gain > 0 else NOT_REPRODUCED
    return Verdict(claim, status, {"gain": gain, "baseline": baseline, "treated": treated})
