"""The learning-rate range test (Smith 2017 §3.3; 2018 §3 and Fig. 1), and its relatives.

Train once while the LR grows from ``start_lr`` to ``end_lr``, linearly (Smith's plots) or exponentially,
and record the training loss every step and the validation loss and accuracy every ``eval_every`` steps.
Smith's point (Remark 1) is that the *validation loss* shows what the training loss and the validation
accuracy hide: a rise at small LR is overfitting, a fall at larger LR is the regularising effect of
large learning rates, and the blow-up marks the largest usable LR.

Two APIs live here:

* the book's own runs: :func:`config` / :func:`run_config_range_test` turn a :class:`~hp_lib.train.RunConfig`
  into a cached range test, read with :func:`evaluations` and :func:`suggest`;
* for a reader's own model: :func:`range_test` (LR ramp), :func:`momentum_range_test` (Smith 2018
  Fig. 7b) and :func:`weight_decay_search` (Smith 2018 §4.4, Fig. 12) take any ``torch.nn.Module`` and
  ``(X, y)`` tensor pairs, and leave the model as they found it.
"""

from __future__ import annotations

import copy
import math
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from . import schedules
from .results import run
from .train import History, RunConfig

# --- range tests of a RunConfig (the book's cached runs) --------------------------------------------------


def config(base: RunConfig, start_lr: float, end_lr: float, steps: int, mode: str = "linear",
           eval_every: int | None = None) -> RunConfig:
    """``base`` turned into a range test of ``steps`` steps."""
    return base.replace(steps=steps, lr={"name": "range_test", "start_lr": start_lr, "end_lr": end_lr,
                                        "num_steps": steps, "mode": mode},
                        eval_every=eval_every or max(1, steps // 50))


def run_config_range_test(base: RunConfig, start_lr: float, end_lr: float, steps: int, mode: str = "linear",
                          eval_every: int | None = None) -> History:
    """Run (through the result cache) the range test ``config(base, ...)``; return its History."""
    return run(config(base, start_lr, end_lr, steps, mode, eval_every))


def smooth(values, beta: float = 0.98) -> np.ndarray:
    """Bias-corrected exponential moving average (as fastai smooths the loss). ``beta`` is the weight of
    the *old* average; :func:`range_test` uses torch-lr-finder's uncorrected form instead."""
    out, avg = [], 0.0
    for i, v in enumerate(np.asarray(values, dtype=float), start=1):
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta ** i))
    return np.array(out)


def evaluations(history: History, beta: float = 0.98) -> pd.DataFrame:
    """The evaluation rows of a range test, with the LR (and momentum) reached at each, the training loss as Smith plots
    it (the per-minibatch loss, smoothed: ``train_loss_smooth``) and the generalisation error (validation
    minus training loss, both measured in eval mode on equal-sized sets)."""
    history = history.assign(lr=history["lr"].ffill(), momentum=history["momentum"].ffill())
    train = history.dropna(subset=["train_loss"])
    smoothed = pd.Series(smooth(train["train_loss"].to_numpy(), beta), index=train["step"])
    ev = history.dropna(subset=["val_loss"])
    ev = ev[ev["step"] >= 0].copy()
    ev["train_loss_smooth"] = smoothed.reindex(ev["step"]).to_numpy()
    ev["generalization_error"] = ev["val_loss"] - ev["train_eval_loss"]
    return ev.reset_index(drop=True)


def stable_part(ev: pd.DataFrame, blowup: float = 2.0) -> pd.DataFrame:
    """The evaluations of a range test before it blows up: before the first non-finite validation loss or the
    first one above ``blowup`` times the lowest seen so far."""
    losses = ev["val_loss"].to_numpy()
    best, end = np.inf, len(losses)
    for i, v in enumerate(losses):
        if not np.isfinite(v) or v > blowup * best:
            end = i
            break
        best = min(best, v)
    return ev.iloc[:end]


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


# --- range tests of any model ------------------------------------------------------------------------------

OPTIMIZERS = ("sgd", "adam")


@dataclass
class RangeTestResult:
    """What :func:`range_test` and :func:`momentum_range_test` return.

    ``history`` has one row per iteration (``iteration``, the ramped ``lr`` or ``momentum``, the minibatch
    ``loss``, ``smoothed_loss``, and ``val_loss``/``val_acc`` when validation was asked, NaN between
    evaluations); ``diverged_at`` is the ramped value at which the run stopped (None if it did not).
    """
    history: pd.DataFrame
    suggestion: float | None
    diverged_at: float | None
    param: str = "lr"
    log_x: bool = False

    def plot(self, ax=None):
        """Loss and smoothed loss against the ramped value, the suggestion marked."""
        import matplotlib.pyplot as plt

        if ax is None:
            ax = plt.subplots(figsize=(6.4, 4.0))[1]
        h = self.history[np.isfinite(self.history["loss"])]
        ax.plot(h[self.param], h["loss"], lw=0.8, alpha=0.35, label="loss")
        ax.plot(h[self.param], h["smoothed_loss"], lw=1.4, label="smoothed loss")
        if "val_loss" in h:
            ev = h.dropna(subset=["val_loss"])
            ax.plot(ev[self.param], ev["val_loss"], "-o", ms=2.5, lw=1.0, label="validation loss")
        if self.suggestion is not None:
            ax.axvline(self.suggestion, color="k", ls="--", lw=1.0, label=f"suggestion {self.suggestion:.3g}")
        ax.set_ylim(h["smoothed_loss"].min() * 0.9, h["smoothed_loss"].max() * 1.1)
        ax.set_xscale("log" if self.log_x else "linear")
        ax.set_xlabel("learning rate" if self.param == "lr" else self.param)
        ax.set_ylabel("loss")
        ax.legend(fontsize=8)
        return ax


def range_test(model: torch.nn.Module, train_data, *, loss_fn=F.cross_entropy, start_lr: float = 1e-7,
               end_lr: float = 10.0, num_iter: int = 100, mode: str = "exp", batch_size: int = 128,
               optimizer="sgd", momentum: float = 0.9, weight_decay: float = 0.0, smooth: float = 0.05,
               diverge_th: float = 5.0, val_data=None, eval_every: int | None = None,
               seed: int = 0) -> RangeTestResult:
    """The LR range test (Smith 2017 §3.3; Smith 2018 Fig. 1) of ``model`` on ``train_data = (X, y)``.

    The LR grows from ``start_lr`` to ``end_lr`` over ``num_iter`` iterations (``schedules.range_test``,
    ``mode`` "exp" or "linear"); the run stops when the smoothed loss exceeds ``diverge_th`` times its
    minimum so far, or on a non-finite loss. As in torch-lr-finder, ``smooth`` is the weight of the *new*
    loss in an exponential moving average started at the first loss, without bias correction, and the
    ``suggestion`` is the LR of steepest descent of the smoothed loss (against log LR) before the
    divergence, the first 10 and last 5 points skipped (fewer on runs shorter than 100 iterations).

    ``optimizer`` is "sgd" (``momentum``, ``weight_decay``), "adam" (``momentum`` is β1) or a callable
    ``params -> torch.optim.Optimizer`` (then ``momentum`` and ``weight_decay`` are the callable's own).
    With ``val_data = (X_val, y_val)`` the model is evaluated every ``eval_every`` iterations (default:
    20 evaluations). The model's weights, buffers and train/eval modes are restored afterwards.
    """
    if not 0 <= start_lr < end_lr:
        raise ValueError(f"a range test needs 0 <= start_lr < end_lr, got {start_lr}, {end_lr}")
    lr_at = schedules.range_test(start_lr, end_lr, num_iter, mode)  # checks mode, and start_lr > 0 for exp
    history, stable, diverged_at = _ramp_test(
        model, train_data, "lr", lr_at, lr=start_lr, momentum=momentum, loss_fn=loss_fn, num_iter=num_iter,
        batch_size=batch_size, optimizer=optimizer, weight_decay=weight_decay, smooth=smooth,
        diverge_th=diverge_th, val_data=val_data, eval_every=eval_every, seed=seed)
    return RangeTestResult(history, _steepest(stable["lr"].to_numpy(), stable["smoothed_loss"].to_numpy()),
                           diverged_at, param="lr", log_x=mode == "exp")


def momentum_range_test(model: torch.nn.Module, train_data, *, lr: float, start_momentum: float = 0.7,
                        end_momentum: float = 1.0, num_iter: int = 100, loss_fn=F.cross_entropy,
                        batch_size: int = 128, optimizer="sgd", weight_decay: float = 0.0, smooth: float = 0.05,
                        diverge_th: float = 5.0, val_data=None, eval_every: int | None = None,
                        seed: int = 0) -> RangeTestResult:
    """The momentum range test (Smith 2018 Fig. 7b): the LR stays at ``lr`` while the momentum (β1 for
    Adam) grows linearly from ``start_momentum`` to ``end_momentum``. Same loop, stopping rule and
    arguments as :func:`range_test`; the history has a ``momentum`` column instead of ``lr``, the
    ``suggestion`` is the momentum at the minimum of the smoothed loss (before any divergence) and
    ``diverged_at`` the momentum at which the run stopped."""
    momentum_at = schedules.range_test(start_momentum, end_momentum, num_iter, "linear")
    history, stable, diverged_at = _ramp_test(
        model, train_data, "momentum", momentum_at, lr=lr, momentum=start_momentum, loss_fn=loss_fn,
        num_iter=num_iter, batch_size=batch_size, optimizer=optimizer, weight_decay=weight_decay,
        smooth=smooth, diverge_th=diverge_th, val_data=val_data, eval_every=eval_every, seed=seed)
    finite = stable[np.isfinite(stable["smoothed_loss"])]
    suggestion = float(finite["momentum"].iloc[finite["smoothed_loss"].argmin()]) if len(finite) else None
    return RangeTestResult(history, suggestion, diverged_at, param="momentum", log_x=False)


def _ramp_test(model, train_data, param: str, value_at: Callable[[int], float], *, lr, momentum, loss_fn,
               num_iter, batch_size, optimizer, weight_decay, smooth, diverge_th, val_data, eval_every, seed):
    """The loop shared by both range tests: ``param`` ("lr" or "momentum") follows ``value_at``. Returns
    the history, its rows before the one that stopped the run, and the value at which it stopped."""
    if num_iter < 1 or not 0 < smooth <= 1 or not diverge_th > 1:
        raise ValueError(f"need num_iter >= 1, 0 < smooth <= 1 and diverge_th > 1; "
                         f"got {num_iter}, {smooth}, {diverge_th}")
    eval_every = eval_every or max(1, num_iter // 20)
    with _restoring(model, seed):
        opt = _make_optimizer(optimizer, model.parameters(), lr, momentum, weight_decay)
        rows, diverged = _loop(model, opt, train_data, _minibatches(len(train_data[1]), batch_size, seed),
                               range(num_iter), loss_fn=loss_fn, hparams=lambda t: {param: value_at(t)},
                               smooth=smooth, diverge_th=diverge_th, val_data=val_data,
                               eval_at=lambda t: (t + 1) % eval_every == 0)
    columns = ["iteration", param, "loss", "smoothed_loss"] + (["val_loss", "val_acc"] if val_data is not None else [])
    history = pd.DataFrame(rows).reindex(columns=columns)
    if diverged is None:
        return history, history, None
    return history, history.iloc[:-1], value_at(diverged)  # the stable part: before the stopping row


def _steepest(lr: np.ndarray, loss: np.ndarray) -> float | None:
    """torch-lr-finder's "steepest gradient" suggestion: the LR where the smoothed loss falls fastest
    against log LR, skipping the first ``min(10, n // 10)`` and last ``min(5, n // 20)`` points.
    None when fewer than two points remain."""
    keep = np.isfinite(loss) & (lr > 0)
    lr, loss = lr[keep], loss[keep]
    n = len(lr)
    skip_start, skip_end = min(10, n // 10), min(5, n // 20)
    lr, loss = lr[skip_start:n - skip_end], loss[skip_start:n - skip_end]
    if len(lr) < 2:
        return None
    return float(lr[int(np.argmin(np.gradient(loss, np.log(lr))))])


# --- weight decay search ------------------------------------------------------------------------------------

@dataclass
class WeightDecaySearchResult:
    """What :func:`weight_decay_search` returns: ``history`` (one block of rows per weight decay),
    ``best`` (the weight decay with the lowest final validation loss), ``seconds_saved`` (the measured
    time of the shared prefix times the number of weight decays minus one) and the weight decay the
    prefix was trained with."""
    history: pd.DataFrame
    best: float | None
    seconds_saved: float
    snapshot_weight_decay: float


def weight_decay_search(model: torch.nn.Module, train_data, *, snapshot_iter: int, weight_decays, lr: float,
                        num_iter: int, val_data, momentum: float = 0.9, batch_size: int = 128, seed: int = 0,
                        optimizer="sgd", loss_fn=F.cross_entropy,
                        eval_every: int | None = None) -> WeightDecaySearchResult:
    """Smith's cheap weight decay search (Smith 2018 §4.4, Fig. 12): train once for ``snapshot_iter``
    iterations at the middle of the (sorted) ``weight_decays``, snapshot the weights, then for every
    weight decay restart from the snapshot (fresh optimizer, same minibatches) for ``num_iter`` iterations
    at constant ``lr``, and compare the validation losses.

    ``history`` has the columns ``weight_decay, iteration, loss, val_loss, val_acc``; iterations count
    from the start of the prefix (a block runs from ``snapshot_iter`` to ``snapshot_iter + num_iter - 1``);
    validation runs at the end of each block and every ``eval_every`` iterations of it if given. A block
    stops early on a non-finite loss. The model's initial weights, buffers and modes are restored afterwards.
    """
    if not weight_decays or snapshot_iter < 0 or num_iter < 1:
        raise ValueError(f"need weight decays, snapshot_iter >= 0 and num_iter >= 1; "
                         f"got {weight_decays!r}, {snapshot_iter}, {num_iter}")
    n = len(train_data[1])
    middle = sorted(weight_decays)[len(weight_decays) // 2]
    last = snapshot_iter + num_iter - 1
    blocks = []
    with _restoring(model, seed):
        start = time.perf_counter()
        opt = _make_optimizer(optimizer, model.parameters(), lr, momentum, middle, set_weight_decay=True)
        _, diverged = _loop(model, opt, train_data, _minibatches(n, batch_size, seed), range(snapshot_iter),
                            loss_fn=loss_fn, hparams=lambda t: {}, smooth=1.0, diverge_th=None, val_data=None,
                            eval_at=lambda t: False)
        prefix_seconds = time.perf_counter() - start
        if diverged is not None:
            raise ValueError(f"the snapshot run diverged at iteration {diverged}; lower lr")
        snapshot = copy.deepcopy(model.state_dict())

        for wd in weight_decays:
            model.load_state_dict(snapshot)
            torch.manual_seed(seed)  # same dropout masks in every block
            opt = _make_optimizer(optimizer, model.parameters(), lr, momentum, wd, set_weight_decay=True)
            rows, _ = _loop(model, opt, train_data, _minibatches(n, batch_size, seed, start=snapshot_iter),
                            range(snapshot_iter, last + 1), loss_fn=loss_fn, hparams=lambda t: {}, smooth=1.0,
                            diverge_th=None, val_data=val_data,
                            eval_at=lambda t: t == last or (bool(eval_every)
                                                            and (t - snapshot_iter + 1) % eval_every == 0))
            blocks.append(pd.DataFrame(rows).assign(weight_decay=wd))
    history = pd.concat(blocks, ignore_index=True).reindex(
        columns=["weight_decay", "iteration", "loss", "val_loss", "val_acc"])
    final = history[history["iteration"] == last].set_index("weight_decay")["val_loss"].dropna()
    best = float(final.idxmin()) if len(final) else None  # None: every block stopped early
    return WeightDecaySearchResult(history, best, prefix_seconds * (len(weight_decays) - 1), middle)


# --- the pieces ------------------------------------------------------------------------------------------------

@contextmanager
def _restoring(model: torch.nn.Module, seed: int):
    """Run the body with torch's global RNG seeded (and restored afterwards), then put back the model's
    weights, buffers and the train/eval mode of each of its modules."""
    state = copy.deepcopy(model.state_dict())
    modes = {name: m.training for name, m in model.named_modules()}
    try:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            yield
    finally:
        model.load_state_dict(state)
        for name, m in model.named_modules():
            m.training = modes[name]


def _make_optimizer(optimizer, params, lr: float, momentum: float, weight_decay: float,
                    set_weight_decay: bool = False) -> torch.optim.Optimizer:
    """"sgd" (plain momentum), "adam" (momentum is β1) or a callable ``params -> Optimizer``. A callable's
    LR is set to ``lr``; its momentum is its own, and its weight decay too unless ``set_weight_decay``
    (the weight decay search)."""
    if callable(optimizer):
        opt = optimizer(params)
        schedules.apply(opt, lr=lr)
        if set_weight_decay:
            for group in opt.param_groups:
                group["weight_decay"] = weight_decay
        return opt
    if optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(momentum, 0.999), weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {optimizer!r}; allowed: {', '.join(map(repr, OPTIMIZERS))} "
                     f"or a callable params -> torch.optim.Optimizer")


def _minibatches(n: int, batch_size: int, seed: int, start: int = 0):
    """Index tensors of minibatches from iteration ``start`` on: a seeded permutation per epoch, the
    last partial batch dropped (a batch larger than the data set is the whole set)."""
    batch_size = min(batch_size, n)
    generator = torch.Generator().manual_seed(seed)
    t = 0
    while True:
        order = torch.randperm(n, generator=generator)
        for i in range(n // batch_size):
            if t >= start:
                yield order[i * batch_size:(i + 1) * batch_size]
            t += 1


def _loop(model, opt, train_data, batches, iterations, *, loss_fn, hparams, smooth, diverge_th, val_data,
          eval_at) -> tuple[list[dict], int | None]:
    """Train ``model`` over ``iterations``; return one row per iteration and the iteration at which the
    run stopped (None if it did not). At each iteration: write ``hparams(t)`` into the optimizer, compute
    the minibatch loss, update the smoothed loss and stop if it is non-finite or above ``diverge_th``
    times its minimum so far (None: only on a non-finite loss); else step, and evaluate on ``val_data``
    if ``eval_at(t)``."""
    x, y = train_data
    rows, avg, best = [], None, math.inf
    model.train()
    for t in iterations:
        hp = hparams(t)
        schedules.apply(opt, **hp)
        idx = next(batches).to(x.device)
        loss = loss_fn(model(x[idx]), y[idx])
        value = loss.item()
        avg = value if avg is None else smooth * value + (1 - smooth) * avg
        best = min(best, avg)
        row = {"iteration": t, **hp, "loss": value, "smoothed_loss": avg}
        rows.append(row)
        if not math.isfinite(value) or (diverge_th is not None and avg > diverge_th * best):
            return rows, t
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if val_data is not None and eval_at(t):
            row["val_loss"], row["val_acc"] = _evaluate(model, loss_fn, *val_data, batch_size=len(idx))
    return rows, None


@torch.no_grad()
def _evaluate(model, loss_fn, x, y, batch_size: int) -> tuple[float, float]:
    """Mean loss and accuracy in eval mode (accuracy only for integer class targets and outputs with a
    class dimension, else NaN); the model is left in train mode."""
    model.eval()
    classification = not (y.is_floating_point() or y.is_complex() or y.dtype == torch.bool)
    loss_sum, correct = 0.0, 0.0
    for i in range(0, len(y), batch_size):
        out, target = model(x[i:i + batch_size]), y[i:i + batch_size]
        loss_sum += loss_fn(out, target).item() * len(target)
        classification = classification and out.ndim == target.ndim + 1
        if classification:
            correct += (out.argmax(1) == target).float().mean().item() * len(target)
    model.train()
    return loss_sum / len(y), (correct / len(y) if classification else float("nan"))
