"""The three scales the book is built at.

* ``smoke``: tiny subsets and a few hundred steps; proves every chapter runs (``make test``, CI).
* ``cpu``: the analogs of DESIGN.md sized for a 2-core CPU; the published site (``make book``).
* ``full``: the paper's datasets, architectures and settings, for a GPU and a machine with internet.

A profile holds what is common to every experiment; each experiment picks its own numbers per profile
with :meth:`Profile.pick`, so the three settings of one experiment stand side by side in one place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    purpose: str
    seeds: tuple[int, ...]
    device: str
    threads: int    # per run; the CPU profiles run one single-thread run per core, measured faster for every
                    # analog than one run at a time on all cores (benchmarks/layout.py)
    precision: str  # "fp32", "bf16" autocast, or "auto": bf16 for the models it speeds up (train.CPU_BF16)
    paired_seeds: tuple[int, ...]  # the seeds every arm of a tested comparison runs (the paper averages 4 runs)
    cheap_seeds: tuple[int, ...]   # the same for comparisons of runs that take seconds (the lecture's)

    @property
    def accelerator(self) -> dict:
        """The hardware fields of this profile's RunConfigs: device, precision, and whether to compile the
        models — optional, asked for with ``HP_BOOK_COMPILE=1`` (``python -m hp_lib build --compile``)."""
        return {"device": self.device, "precision": self.precision,
                "compile": os.environ.get("HP_BOOK_COMPILE", "0") == "1"}

    def pick(self, smoke, cpu, full):
        """The value of this profile among the three."""
        return {"smoke": smoke, "cpu": cpu, "full": full}[self.name]


PROFILES = {
    "smoke": Profile("smoke", "tiny runs that prove every chapter executes (minutes)", (0,), "cpu", 1, "fp32", (0, 1),
                     (0, 1)),
    "cpu": Profile("cpu", "CPU-sized analogs of the paper's experiments (the published site)", (0, 1), "cpu", 1, "auto",
                   (0, 1, 2, 3), (0, 1, 2, 3, 4)),
    "full": Profile("full", "the paper's datasets and settings, on a GPU", (0, 1, 2, 3), "cuda", 4, "bf16", (0, 1, 2, 3),
                    (0, 1, 2, 3, 4)),
}


def get(name: str) -> Profile:
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; valid profiles: {', '.join(PROFILES)}")
    return PROFILES[name]
