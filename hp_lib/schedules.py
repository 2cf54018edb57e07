"""Schedules as pure functions of the step (optax style).

A schedule is a plain function ``f(step) -> value`` with ``step`` counted from 0: the value used for the
update made at that step. Plotting a schedule is calling it on ``range(n)``. ``apply`` is the only bridge
to PyTorch: a training loop calls it once per step to write the values into an optimizer.

Configs name schedules as plain data, ``{"name": "range_test", "start_lr": 1e-4, ...}``, so that a run's
whole configuration is JSON (and so a cache key); ``from_spec`` turns such a dict into the function.
"""

from __future__ import annotations

import bisect
import inspect
import math
from typing import Callable

Schedule = Callable[[int], float]


def constant(value: float) -> Schedule:
    """:math:`f(t) = v`."""

    def schedule(step: int) -> float:
        return float(value)

    return schedule


def step_decay(value: float, step_size: int, gamma: float) -> Schedule:
    """Step decay (the lecture's "step" schedule; ``torch.optim.lr_scheduler.StepLR``):
    :math:`f(t) = v\\,\\gamma^{\\lfloor t / s \\rfloor}`."""
    _check_positive_int(step_size=step_size)

    def schedule(step: int) -> float:
        return value * gamma ** (step // step_size)

    return schedule


def multistep(value: float, milestones, gamma: float) -> Schedule:
    """Decay by ``gamma`` at each milestone (``MultiStepLR``; the paper's Caffe "multistep" policy):
    :math:`f(t) = v\\,\\gamma^{\\#\\{m_i \\le t\\}}`."""
    milestones = sorted(int(m) for m in milestones)

    def schedule(step: int) -> float:
        return value * gamma ** bisect.bisect_right(milestones, step)

    return schedule


def exponential(value: float, k: float) -> Schedule:
    """Exponential decay in the lecture's form :math:`f(t) = v\\,e^{-k t}` (``ExponentialLR`` with
    :math:`\\gamma = e^{-k}`)."""

    def schedule(step: int) -> float:
        return value * math.exp(-k * step)

    return schedule


def inverse_time(value: float, k: float, power: float = 1.0) -> Schedule:
    """1/t decay (CS231n notes, "Annealing the learning rate"): :math:`f(t) = v / (1 + k t)^p`. With
    ``power`` 0.75 and ``k`` 1e-4 it is Caffe's ``inv`` policy, the default of its MNIST LeNet solver."""

    def schedule(step: int) -> float:
        return value / (1.0 + k * step) ** power

    return schedule


def polynomial(value: float, total_steps: int, power: float = 1.0, end_value: float = 0.0) -> Schedule:
    """Polynomial decay to ``end_value`` at ``total_steps``, then constant (``PolynomialLR`` when
    ``end_value`` is 0; ``power=1`` is the lecture's linear decay :math:`v\\,(1 - t/T)`):
    :math:`f(t) = e + (v - e)\\,(1 - \\min(t, T)/T)^p`."""
    _check_positive_int(total_steps=total_steps)

    def schedule(step: int) -> float:
        return end_value + (value - end_value) * (1 - min(step, total_steps) / total_steps) ** power

    return schedule


def inverse_sqrt(value: float) -> Schedule:
    """Inverse square-root decay (the lecture's :math:`\\alpha_0/\\sqrt{t}`, with :math:`t` counted from 1):
    :math:`f(t) = v / \\sqrt{t + 1}`."""

    def schedule(step: int) -> float:
        return value / math.sqrt(step + 1)

    return schedule


def cosine(value: float, total_steps: int, min_value: float = 0.0) -> Schedule:
    """Cosine annealing (Loshchilov & Hutter 2017; ``CosineAnnealingLR``) from ``value`` to ``min_value``
    over ``total_steps``, then constant:
    :math:`f(t) = m + \\tfrac12 (v - m)\\,(1 + \\cos(\\pi\\,\\min(t, T)/T))`."""
    _check_positive_int(total_steps=total_steps)

    def schedule(step: int) -> float:
        t = min(step, total_steps)
        return min_value + 0.5 * (value - min_value) * (1 + math.cos(math.pi * t / total_steps))

    return schedule


def sgdr(max_lr: float, t0: int, t_mult: int = 1, min_lr: float = 0.0) -> Schedule:
    """Cosine annealing with warm restarts, SGDR (Loshchilov & Hutter 2017; ``CosineAnnealingWarmRestarts``).
    Cycle :math:`i` lasts :math:`T_i = t_0\\,t_\\text{mult}^i` steps; within it
    :math:`f = m + \\tfrac12 (M - m)(1 + \\cos(\\pi\\,T_\\text{cur}/T_i))`."""
    _check_positive_int(t0=t0, t_mult=t_mult)

    def schedule(step: int) -> float:
        t_cur, t_i = step, t0
        while t_cur >= t_i:
            t_cur -= t_i
            t_i *= t_mult
        return min_lr + 0.5 * (max_lr - min_lr) * (1 + math.cos(math.pi * t_cur / t_i))

    return schedule


def linear_warmup(schedule: Schedule, warmup_steps: int, start_factor: float = 0.0) -> Schedule:
    """``schedule`` scaled by a factor that grows linearly from ``start_factor`` to 1 over ``warmup_steps``
    (Goyal et al. 2017's gradual warmup; ``LinearLR`` chained with another scheduler):
    :math:`f(t) = g(t)\\,(s + (1 - s)\\,\\min(t, W)/W)`."""
    _check_positive_int(warmup_steps=warmup_steps)

    def warmed(step: int) -> float:
        return schedule(step) * (start_factor + (1 - start_factor) * min(step, warmup_steps) / warmup_steps)

    return warmed


def noam(d_model: int, warmup_steps: int, scale: float = 1.0) -> Schedule:
    """The Transformer schedule (Vaswani et al. 2017, "Noam"), with :math:`n = t + 1`:
    :math:`f(t) = s\\,d^{-1/2} \\min(n^{-1/2},\\; n\\,W^{-3/2})` — linear warmup, then
    :math:`\\propto 1/\\sqrt{n}`."""
    _check_positive_int(d_model=d_model, warmup_steps=warmup_steps)

    def schedule(step: int) -> float:
        n = step + 1
        return scale * d_model ** -0.5 * min(n ** -0.5, n * warmup_steps ** -1.5)

    return schedule


def _check_positive_int(**values) -> None:
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")


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

    Cyclical momentum is the same rule with the bounds swapped: ``triangular(max_momentum,
    base_momentum, ...)`` falls while the LR rises, as ``CyclicLR(cycle_momentum=True)`` does.
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

    ends = [0.0] + [phase[0] for phase in phases]
    if any(b <= a for a, b in zip(ends, ends[1:])):
        raise ValueError(f"one_cycle phases need at least one step each: pct_start={pct_start} with "
                         f"total_steps={total_steps} gives phase ends {ends[1:]}")

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


def caffe_one_cycle(base_lr: float, max_lr: float, stepsize: int, momentum: float,
                    min_momentum: float) -> tuple[Schedule, Schedule]:
    """Smith's own 1cycle policy, as the Caffe solver of the paper ran it (its published logs; SOURCES §1.2).

    LR: linear from ``base_lr`` to ``max_lr`` over ``stepsize`` steps, linear from ``max_lr`` to 0 at
    ``2·stepsize``, then constant ``base_lr/1000``. Momentum: the paper's appendix A.2 code, with
    :math:`m` = ``momentum``, :math:`m_0` = ``min_momentum``, :math:`s` = ``stepsize``,
    :math:`c = \\lfloor t / 2s \\rfloor`, :math:`x = (t - (2c + 1) s)/s`:
    :math:`\\mu(t) = m + (m_0 - m) \\min(1, \\max(0, (1 - |x|)/2^c))` — down to ``min_momentum`` and back,
    then (an artefact of that code) a second triangle at half the amplitude.
    Returns the pair ``(lr, momentum)``.
    """
    _check_positive_int(stepsize=stepsize)

    def lr(step: int) -> float:
        if step <= stepsize:
            return base_lr + (max_lr - base_lr) * step / stepsize
        if step <= 2 * stepsize:
            return max_lr * (1 - (step - stepsize) / stepsize)
        return base_lr / 1000

    def mom(step: int) -> float:
        cycle = step // (2 * stepsize)
        x = (step - (2 * cycle + 1) * stepsize) / stepsize
        return momentum + (min_momentum - momentum) * min(1.0, max(0.0, (1 - abs(x)) * 0.5 ** cycle))

    return lr, mom


class ReduceOnPlateau:
    """Multiply the value by ``factor`` when the metric has not improved for ``patience`` updates, down to
    ``min_value`` (CS231n notes: halve the LR when the validation loss plateaus; by default down to 1/1024
    of the start). The stateful exception among the schedules: it needs the metric, so it is called
    explicitly, ``value = plateau.update(val_loss)``, once per evaluation.

    Improvement means ``metric < best·(1 - threshold)``; the numbers are those of
    ``ReduceLROnPlateau(mode="min", threshold_mode="rel", cooldown=0)``.
    """

    def __init__(self, initial: float, factor: float = 0.5, patience: int = 10, min_value: float | None = None,
                 threshold: float = 1e-4):
        if not 0 < factor < 1:
            raise ValueError(f"factor must be in (0, 1), got {factor}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience must be an integer >= 0, got {patience!r}")
        self.value = float(initial)
        self.factor, self.patience, self.threshold = factor, patience, threshold
        self.min_value = initial / 1024 if min_value is None else min_value
        self.best, self.bad_updates = math.inf, 0

    def update(self, metric: float) -> float:
        if metric < self.best * (1 - self.threshold):
            self.best, self.bad_updates = metric, 0
        else:
            self.bad_updates += 1
        if self.bad_updates > self.patience:
            self.value = max(self.value * self.factor, self.min_value)
            self.bad_updates = 0
        return self.value


SCHEDULES = {
    "constant": constant, "step_decay": step_decay, "multistep": multistep, "exponential": exponential,
    "inverse_time": inverse_time, "polynomial": polynomial, "inverse_sqrt": inverse_sqrt, "cosine": cosine, "sgdr": sgdr, "noam": noam,
    "linear_warmup": linear_warmup, "range_test": range_test,
    "triangular": triangular, "one_cycle": one_cycle, "caffe_one_cycle": caffe_one_cycle,
}
PAIRED = ("one_cycle", "caffe_one_cycle")


def from_spec(spec: float | dict) -> Schedule:
    """A schedule from plain data: a number is a constant; ``{"name": ..., **kwargs}`` names one of
    ``SCHEDULES``. For the policies that return ``(lr, momentum)`` (``one_cycle``, ``caffe_one_cycle``),
    ``"select": "lr"`` or ``"momentum"`` picks one of the two. ``linear_warmup`` takes the schedule it warms
    up as a nested spec: ``{"name": "linear_warmup", "schedule": {"name": "cosine", ...}, "warmup_steps": 50}``."""
    if isinstance(spec, (int, float)):
        return constant(float(spec))
    if not isinstance(spec, dict) or "name" not in spec:
        raise ValueError(f"a schedule is a number or a dict with a 'name'; got {spec!r}")
    kwargs = {k: v for k, v in spec.items() if k not in ("name", "select")}
    name, select = spec["name"], spec.get("select")
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; valid schedules: {', '.join(SCHEDULES)}")
    if name == "linear_warmup" and "schedule" in kwargs:
        kwargs["schedule"] = from_spec(kwargs["schedule"])
    try:
        made = SCHEDULES[name](**kwargs)
    except TypeError as e:  # a missing or unknown argument: say which arguments the schedule takes
        raise ValueError(f"schedule {name!r}: {e}; it takes {inspect.signature(SCHEDULES[name])}") from None
    if isinstance(made, tuple) != (select is not None):
        raise ValueError(f"schedule {name!r}: 'select' (\"lr\" or \"momentum\") is needed exactly for the "
                         f"policies that return both: {', '.join(PAIRED)}")
    if select is None:
        return made
    if select not in ("lr", "momentum"):
        raise ValueError(f"schedule {name!r}: select must be 'lr' or 'momentum', got {select!r}")
    return made[0] if select == "lr" else made[1]


def apply(optimizer, lr: float | None = None, momentum: float | None = None) -> None:
    """Write ``lr`` and ``momentum`` into every param group of a torch optimizer (for Adam-family
    optimizers, ``momentum`` is :math:`\\beta_1`; optimizers with neither, such as AdaGrad, ignore it). A
    group with an ``lr_mult`` entry (Caffe's per-layer learning-rate multiplier) gets ``lr · lr_mult``."""
    for group in optimizer.param_groups:
        if lr is not None:
            group["lr"] = lr * group.get("lr_mult", 1.0)
        if momentum is not None:
            if "betas" in group:
                group["betas"] = (momentum, *group["betas"][1:])
            elif "momentum" in group:
                group["momentum"] = momentum
