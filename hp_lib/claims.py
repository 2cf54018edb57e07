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
LABELS = {
    "en": {REPRODUCED: "reproduced", NOT_REPRODUCED: "not reproduced", INCONCLUSIVE: "inconclusive"},
    "zh": {REPRODUCED: "重現", NOT_REPRODUCED: "未重現", INCONCLUSIVE: "無定論"},
}


@dataclass
class Verdict:
    claim: str
    status: str
    evidence: dict = field(default_factory=dict)

    def label(self, lang: str = "en") -> str:
        return LABELS[lang][self.status]


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
    glue.text(f"{verdict.claim}-verdict", f"**Verdict: {verdict.label('en')}.** {en}",
              f"**判定:{verdict.label('zh')}**。{zh}")


def summary(verdicts: list[Verdict], name: str = "verdicts") -> pd.DataFrame:
    """The chapter's closing table of verdicts, glued as ``name`` (and ``name-zh``)."""
    rows = [(v.claim, v.label("en"), v.label("zh")) for v in verdicts]
    en = "| item | verdict |\n|---|---|\n" + "\n".join(f"| {c} | {e} |" for c, e, _ in rows)
    zh = "| 項目 | 判定 |\n|---|---|\n" + "\n".join(f"| {c} | {z} |" for c, _, z in rows)
    glue.text(name, en, zh)
    return pd.DataFrame(rows, columns=["item", "verdict", "判定"])


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
