"""The experiments of each chapter: for every profile, the configs that regenerate its items.

One module per chapter. Each holds, side by side, the paper's setting (``full``), our CPU analog
(``cpu``) and a tiny version (``smoke``), and one function per experiment that runs them (through the
cache). Each declares its experiments once, as its ``CHAPTER`` (:mod:`.chapter`): the runs to start ahead,
its tests and its verdict table derive from it. The chapter notebooks call these functions; they hold no
settings of their own.
"""

# every chapter, in the book's order
CHAPTERS = ("smith_test_loss", "smith_superconvergence", "smith_batch_size", "smith_momentum", "smith_weight_decay",
            "smith_other_architectures", "smith_checklist", "lecture_optimizers", "lecture_schedules",
            "lecture_regularization", "lecture_choosing")


def tests() -> list:
    """Every chapter's tests (:class:`hp_lib.experiments.common.Test`), in the book's order."""
    return [t for chapter in chapters() for t in chapter.tests]


def chapters() -> list:
    """Every chapter's :class:`hp_lib.experiments.chapter.Chapter`, in the book's order."""
    from importlib import import_module

    return [import_module(f"{__name__}.{name}").CHAPTER for name in CHAPTERS]
