"""The sides of a benchmark timed in turns (A B A B …), so that a change of load on a shared machine, which
moves every side of a round alike, cannot decide their ratio."""

from __future__ import annotations

import statistics
from typing import Callable


def interleaved(sides: dict[str, Callable[[], float]], rounds: int) -> dict[str, dict[str, float]]:
    """Call each of ``sides`` (each returns the seconds it measured) once per round, in turn, for ``rounds``
    rounds. Per side: the median of its seconds, and ``speedup``, the median over the rounds of the first side's
    seconds over its own."""
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    seconds: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, side in sides.items():
            seconds[name].append(side())
    first = seconds[next(iter(sides))]
    return {name: {"seconds": statistics.median(s), "speedup": statistics.median(a / b for a, b in zip(first, s))}
            for name, s in seconds.items()}
