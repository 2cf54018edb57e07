"""The learning-rate range test (Smith 2017 §3.3; 2018 §3 and Fig. 1).

Train once while the LR grows from ``start_lr`` to ``end_lr``, linearly (Smith's plots) or exponentially,
and record the training loss every step and the validation loss and accuracy every ``eval_every`` steps.
Smith's point (Remark 1) is that the *validation loss* shows what the training loss and the validation
accuracy hide: a rise at small LR is overfitting, a fall at larger LR is the regularising effect of
large learning rates, and the blow-up marks the largest usable LR.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .train import History, RunConfig, run


def config(base: RunConfig, start_lr: float, end_lr: float, steps: int, mode: str = "linear",
           eval_every: int | None = None) -> RunConfig:
    """``base`` turned into a range test of ``steps`` steps."""
    return base.replace(steps=steps, lr={"name": "range_test", "start_lr": start_lr, "end_lr": end_lr,
                                        "num_steps": steps, "mode": mode},
                        eval_every=eval_every or max(1, steps // 50))


def range_test(base: RunConfig, start_lr: float, end_lr: float, steps: int, mode: str = "linear",
               eval_every: int | None = None) -> History:
    return run(config(base, start_lr, end_lr, steps, mode, eval_every))


def smooth(values, beta: float = 0.98) -> np.ndarray:
    """Bias-corrected exponential moving average (as fastai and torch-lr-finder smooth the loss)."""
    out, avg = [], 0.0
    for i, v in enumerate(np.asarray(values, dtype=float), start=1):
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta ** i))
    return np.array(out)


def evaluations(history: History, beta: float = 0.98) -> pd.DataFrame:
    """The evaluation rows of a range test, with the LR reached at each, the training loss as Smith plots
    it (the per-minibatch loss, smoothed: ``train_loss_smooth``) and the generalisation error (validation
    minus training loss, both measured in eval mode on equal-sized sets)."""
    history = history.assign(lr=history["lr"].ffill())
    train = history.dropna(subset=["train_loss"])
    smoothed = pd.Series(smooth(train["train_loss"].to_numpy(), beta), index=train["step"])
    ev = history.dropna(subset=["val_loss"])
    ev = ev[ev["step"] >= 0].copy()
    ev["train_loss_smooth"] = smoothed.reindex(ev["step"]).to_numpy()
    ev["generalization_error"] = ev["val_loss"] - ev["train_eval_loss"]
    return ev.reset_index(drop=True)


def suggest(history: History, beta: float = 0.98) -> dict:
    """Two usual readings of a range test: the LR of steepest descent of the smoothed training loss, and
    the LR at its minimum divided by 10."""
    tr = history.dropna(subset=["train_loss"])
    loss, lr = smooth(tr["train_loss"].to_numpy(), beta), tr["lr"].to_numpy()
    finite = np.isfinite(loss)
    loss, lr = loss[finite], lr[finite]
    i_min = int(np.argmin(loss))
    slope = np.gradient(loss[: i_min + 1]) if i_min > 1 else np.zeros(1)
    return {"steepest": float(lr[int(np.argmin(slope))]), "min_over_10": float(lr[i_min] / 10)}
