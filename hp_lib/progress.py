"""Progress of long work: a bar in a terminal or notebook, and, during a book build, one line per finished
experiment appended to the file named by ``HP_BOOK_PROGRESS`` (the build draws one bar from it)."""

from __future__ import annotations

import json
import os

from tqdm import tqdm


def building() -> bool:
    return bool(os.environ.get("HP_BOOK_PROGRESS"))


def bar(iterable=None, total=None, desc=None):
    """A progress bar, silent during a book build (whose own bar counts experiments)."""
    return tqdm(iterable, total=total, desc=desc, disable=building() or None, leave=False)


def report(name: str, cached: bool) -> None:
    path = os.environ.get("HP_BOOK_PROGRESS")
    if path:
        with open(path, "a") as f:  # one short append per line: atomic across processes
            f.write(json.dumps({"name": name, "cached": cached, "notebook": os.environ.get("HP_BOOK_NOTEBOOK")}) + "\n")
