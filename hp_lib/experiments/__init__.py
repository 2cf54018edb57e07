"""The experiments of each chapter: for every profile, the configs that regenerate its items.

One module per chapter. Each holds, side by side, the paper's setting (``full``), our CPU analog
(``cpu``) and a tiny version (``smoke``), and one function per experiment that runs them (through the
cache). The chapter notebooks call these functions; they hold no settings of their own.
"""

# the chapters that list every run known in advance with ``plan(profile, seeds=None)`` (for
# ``hp_lib.sweep.prefetch``); the others build their runs from earlier results
PLANNED = ("smith_test_loss", "smith_momentum", "smith_weight_decay", "smith_other_architectures",
           "lecture_optimizers", "lecture_schedules", "lecture_regularization", "lecture_choosing")

# every chapter, in the book's order
CHAPTERS = ("smith_test_loss", "smith_superconvergence", "smith_batch_size", "smith_momentum", "smith_weight_decay",
            "smith_other_architectures", "smith_checklist", "lecture_optimizers", "lecture_schedules",
            "lecture_regularization", "lecture_choosing")


def tests() -> list:
    """Every chapter's tests (``TESTS``: :class:`hp_lib.experiments.common.Test`), in the book's order."""
    from importlib import import_module

    return [t for name in CHAPTERS for t in getattr(import_module(f"{__name__}.{name}"), "TESTS", [])]
