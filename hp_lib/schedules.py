"""Schedules as pure functions of the step (optax style).

A schedule is a plain function ``f(step) -> value`` with ``step`` counted from 0: the value used for the
update made at that step. Plotting a schedule is calling it on ``range(n)``. ``apply`` is the only bridge
to PyTorch: a training loop calls it once per step to write the values into an optimizer.

Configs name schedules as plain data, ``{"name": "range_test", "start_lr": 1e-4, ...}``, so that a run's
whole configuration is JSON (and so a cache key); ``from_spec`` turns such a dict into the function.
"""

from __future__ import annotations

import math
from typing import Callable

Schedule = Callable[[int], float]


def constant(value: float) -> Schedule:
    """:math:`f(t) = v`."""

    def schedule(step: int) -> float:
        return float(value)

    return schedule


def range_test(start_lr: float, end_lr: float, num_steps: int, mode: str = "exp") -> Schedule:
    """The learning-rate range test ramp (Smith 2017, §3.3) from ``start_lr`` at step 0 to ``end_lr`` at
    step ``num_steps - 1``.

    * ``mode="linear"``: :math:`f(t) = a + (b - a)\\,t/(n-1)` (Smith's own tests: the LR axis is linear);
    * ``mode="exp"``: :math:`f(t) = a\\,(b/a)^{t/(n-1)}` (fastai / torch-lr-finder: equal time per decade).
    """
    if mode not in ("linear", "exp"):
        raise ValueError(f"unknown range_test mode {mode!r}; allowed: 'linear', 'exp'")
    if mode == "exp" and (start_lr <= 0 or end_lr <= 0):
        raise ValueError(f"an exponential range test needs start_lr > 0 and end_lr > 0, got {start_lr}, {end_lr}")
    span = max(num_steps - 1, 1)

    def schedule(step: int) -> float:
        frac = min(step, span) / span
        if mode == "linear":
            return start_lr + (end_lr - start_lr) * frac
        return start_lr * (end_lr / start_lr) ** frac

    return schedule


def triangular(base_lr: float, max_lr: float, step_size_up: int, step_size_down: int | None = None,
               mode: str = "triangular", gamma: float = 1.0) -> Schedule:
    """Cyclical learning rate (Smith 2017), with the semantics of ``torch.optim.lr_scheduler.CyclicLR``.

    One cycle has ``step_size_up + step_size_down`` steps; :math:`x` is the position in the cycle as a
    fraction of the way up (then down) and
    :math:`f(t) = a + (b - a)\\,\\max(0, \\text{height}(x))\\,\\text{scale}(\\text{cycle}, t)` with scale 1
    (``triangular``), :math:`1/2^{\\text{cycle}-1}` (``triangular2``) or :math:`\\gamma^t` (``exp_range``).
    """
    if mode not in ("triangular", "triangular2", "exp_range"):
        raise ValueError(f"unknown triangular mode {mode!r}; allowed: 'triangular', 'triangular2', 'exp_range'")
    up = float(step_size_up)
    down = float(step_size_down) if step_size_down is not None else up
    total = up + down
    step_ratio = up / total

    def schedule(step: int) -> float:
        cycle = math.floor(1 + step / total)
        x = 1.0 + step / total - cycle
        height = x / step_ratio if x <= step_ratio else (x - 1) / (step_ratio - 1)
        if mode == "triangular":
            scale = 1.0
        elif mode == "triangular2":
            scale = 1 / (2.0 ** (cycle - 1))
        else:
            scale = gamma ** step
        return base_lr + (max_lr - base_lr) * height * scale

    return schedule


def _anneal(anneal: str) -> Callable[[float, float, float], float]:
    if anneal == "cos":
        return lambda start, end, pct: end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    if anneal == "linear":
        return lambda start, end, pct: (end - start) * pct + start
    raise ValueError(f"unknown anneal strategy {anneal!r}; allowed: 'cos', 'linear'")


def one_cycle(max_lr: float, total_steps: int, pct_start: float = 0.3, anneal: str = "cos",
              div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False,
              base_momentum: float = 0.85, max_momentum: float = 0.95) -> tuple[Schedule, Schedule]:
    """The 1cycle policy (Smith 2018) with the semantics of ``torch.optim.lr_scheduler.OneCycleLR``.

    The LR rises from ``max_lr/div_factor`` to ``max_lr`` over the first ``pct_start`` of the steps, then
    anneals to ``max_lr/(div_factor·final_div_factor)``; momentum moves the opposite way between
    ``max_momentum`` and ``base_momentum``. Returns the pair ``(lr, momentum)`` of schedules.
    """
    interpolate = _anneal(anneal)
    initial_lr = max_lr / div_factor
    min_lr = initial_lr / final_div_factor
    if three_phase:
        phases = [
            (float(pct_start * total_steps) - 1, initial_lr, max_lr, max_momentum, base_momentum),
            (float(2 * pct_start * total_steps) - 2, max_lr, initial_lr, base_momentum, max_momentum),
            (total_steps - 1, initial_lr, min_lr, max_momentum, max_momentum),
        ]
    else:
        phases = [
            (float(pct_start * total_steps) - 1, initial_lr, max_lr, max_momentum, base_momentum),
            (total_steps - 1, max_lr, min_lr, base_momentum, max_momentum),
        ]

    def value(step: int, which: int) -> float:
        start_step = 0.0
        for i, (end_step, lr_a, lr_b, m_a, m_b) in enumerate(phases):
            if step <= end_step or i == len(phases) - 1:
                pct = (step - start_step) / (end_step - start_step)
                a, b = (lr_a, lr_b) if which == 0 else (m_a, m_b)
                return interpolate(a, b, pct)
            start_step = end_step
        raise AssertionError("unreachable")

    return (lambda step: value(step, 0)), (lambda step: value(step, 1))


SCHEDULES = {"constant": constant, "range_test": range_test, "triangular": triangular}


def from_spec(spec: float | dict) -> Schedule:
    """A schedule from plain data: a number is a constant; ``{"name": ..., **kwargs}`` names one of
    ``SCHEDULES``."""
    if isinstance(spec, (int, float)):
        return constant(float(spec))
    if not isinstance(spec, dict) or "name" not in spec:
        raise ValueError(f"a schedule is a number or a dict with a 'name'; got {spec!r}")
    kwargs = {k: v for k, v in spec.items() if k != "name"}
    name = spec["name"]
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; valid schedules: {', '.join(SCHEDULES)}")
    return SCHEDULES[name](**kwargs)


def apply(optimizer, lr: float | None = None, momentum: float | None = None) -> None:
    """Write ``lr`` and ``momentum`` into every param group of a torch optimizer (for Adam-family
    optimizers, ``momentum`` is :math:`\\beta_1`)."""
    for group in optimizer.param_groups:
        if lr is not None:
            group["lr"] = lr
        if momentum is not None:
            if "betas" in group:
                group["betas"] = (momentum, *group["betas"][1:])
            else:
                group["momentum"] = momentum
