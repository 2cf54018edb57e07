"""Where things live on disk. Every location can be moved with an environment variable.

* ``HP_BOOK_HOME`` (default ``$XDG_CACHE_HOME/hp-book`` or ``~/.cache/hp-book``): what is shared by every
  clone on the machine: the environments and generated datasets.
* ``HP_BOOK_DATA`` (default ``$HP_BOOK_HOME/data``; the command line's ``--data-dir``): the datasets, those
  the library downloads or generates and those it cannot (ImageNet, in ``imagenet/``).
* ``HP_BOOK_BUILD`` (default ``<project>/_build``): executed notebooks, figures, the result cache, the site.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def project_root() -> Path:
    """The clone this library was installed from (it holds ``_toc.yml``), else the working directory."""
    here = Path(__file__).resolve().parent.parent
    return here if (here / "_toc.yml").exists() else Path.cwd()


def home() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hp-book"
    return Path(os.environ.get("HP_BOOK_HOME", default))


def data_dir() -> Path:
    return Path(os.environ.get("HP_BOOK_DATA", home() / "data"))


def build_dir() -> Path:
    return Path(os.environ.get("HP_BOOK_BUILD", project_root() / "_build"))


def cache_dir() -> Path:
    return build_dir() / "cache"


def figures_dir(profile: str) -> Path:
    return build_dir() / "figures" / profile


def commit() -> str:
    """The project's git commit, with ``+dirty`` when the work tree has changes."""
    root = project_root()
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
