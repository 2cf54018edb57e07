"""Means over seeds: runs of one setting (one per seed), averaged at each step."""

from __future__ import annotations

import pandas as pd


def mean_over_seeds(frames: list[pd.DataFrame], columns: list[str] | None = None, logged: str | None = None) -> pd.DataFrame:
    """At each step, the mean over ``frames`` (one per seed: histories, or rows taken from them) of ``columns``
    (default: every numeric column), on the rows where ``logged`` was recorded if it is given (``val_loss``:
    the evaluations; ``train_loss``: the training steps)."""
    if logged is not None:
        frames = [f.dropna(subset=[logged]) for f in frames]
    by_step = pd.concat(frames).groupby("step", as_index=False)
    return by_step[columns].mean() if columns else by_step.mean(numeric_only=True)
