"""A chapter as data: the experiments it runs, each declared once with the items it makes and the tests it decides.

Everything else about a chapter is derived from its list of :class:`Experiment`: the runs to start ahead
(:meth:`Chapter.plan`, started by :meth:`Chapter.prefetch`), its tests (:attr:`Chapter.tests`), the stable ids
its page carries, and its verdict table (:meth:`Chapter.publish`, in the declared order, refusing a chapter that
lacks a record or adds one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .. import sweep, verdicts
from ..train import RunConfig


@dataclass(frozen=True)
class Experiment:
    """One experiment: the stable ids it regenerates (``items``: figures, tables, remarks; each gets one
    verdict record, a test or an illustration), the tests among them, and ``setup(profile, seeds, **options)``,
    which builds the runs known before any result (see :func:`configs`; a run built from another's result,
    such as a continuation from a snapshot or a pick re-run, is not listed). ``options`` names the chapter's
    notebook parameters besides ``profile`` and ``seeds`` that ``setup`` takes (a reader's own dataset, say).
    An experiment with no training runs (a closed form, a toy) has no ``setup``. ``timed``: its figures read
    the runs' training time, so they train one by one (:mod:`hp_lib.sweep`), never as members of a stack.
    """
    name: str
    items: tuple[str, ...]
    setup: Callable | None = None
    tests: tuple = ()  # of common.Test / common.AllOf
    options: tuple[str, ...] = ()
    timed: bool = False

    def __post_init__(self):
        # a part of a claim in several parts carries the claim's id and a suffix (lecture-f17-plateau)
        unknown = [t.id for t in self.tests if not any(t.id == i or t.id.startswith(f"{i}-") for i in self.items)]
        if unknown:
            raise ValueError(f"experiment {self.name!r}: tests {unknown} are not among its items {list(self.items)}")


@dataclass(frozen=True)
class Chapter:
    """A chapter's experiments, in the order of its page; ``name`` is the chapter's id in the records
    (``smith-momentum``)."""
    name: str
    experiments: tuple[Experiment, ...]

    def __post_init__(self):
        items = self.items
        repeated = sorted({i for i in items if items.count(i) > 1})
        if repeated:
            raise ValueError(f"chapter {self.name!r}: items {repeated} are declared by more than one experiment")

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(i for e in self.experiments for i in e.items)

    @property
    def tests(self) -> list:
        return [t for e in self.experiments for t in e.tests]

    def plan(self, profile: str, seeds=None, timed: bool | None = None, **options) -> list[RunConfig]:
        """Every run of the chapter known before any result, each once (with ``timed``, only those of the
        experiments whose ``timed`` is that)."""
        planned: dict[str, RunConfig] = {}
        for e in self.experiments:
            if e.setup is not None and timed in (None, e.timed):
                for cfg in configs(e.setup(profile, seeds, **{k: options.get(k) for k in e.options})):
                    planned.setdefault(repr(cfg.to_dict()), cfg)
        return list(planned.values())

    def prefetch(self, profile: str, seeds=None, **options) -> int:
        """Start every run of :meth:`plan` (:func:`hp_lib.sweep.prefetch`): the timed experiments' alone, the
        others in stacks. The number started."""
        return (sweep.prefetch(self.plan(profile, seeds, timed=True, **options), stack=False)
                + sweep.prefetch(self.plan(profile, seeds, timed=False, **options)))

    def publish(self, judged: dict[str, verdicts.Verdict] | list[verdicts.Verdict], profile: str, seeds=None,
                **options) -> None:
        """End the chapter: its verdict table and records, one per item in the declared order, each with what its
        experiment ran (at ``profile``, with the chapter's ``seeds`` and ``options``; its batch share beside the
        ``full`` profile's)."""
        from .common import ran

        by_id = judged if isinstance(judged, dict) else {v.id: v for v in judged}
        missing = [i for i in self.items if i not in by_id]
        extra = [i for i in by_id if i not in self.items]
        if missing or extra:
            raise ValueError(f"chapter {self.name!r}: no verdict for {missing}; verdicts for undeclared items {extra}")
        for e in self.experiments:
            if e.setup is not None and e.items:
                what = ran(configs(e.setup(profile, seeds, **{k: options.get(k) for k in e.options})),
                           configs(e.setup("full", None)))
                for i in e.items:
                    by_id[i].ran = what
        verdicts.publish([by_id[i] for i in self.items], self.name, profile)


def configs(setup) -> list[RunConfig]:
    """The runs of a setup: its ``all()``, or its configs if it is a list or a mapping of configs or of lists of
    them."""
    if hasattr(setup, "all"):
        return setup.all()
    entries = setup.values() if isinstance(setup, dict) else setup
    return [c for entry in entries for c in (entry if isinstance(entry, list) else [entry])]
