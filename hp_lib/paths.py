"""Where things live on disk. Every location can be moved with an environment variable.

* ``HP_BOOK_HOME`` (default ``$XDG_CACHE_HOME/hp-book`` or ``~/.cache/hp-book``): what is shared by every
  clone on the machine: the environments and generated datasets.
* ``HP_BOOK_BUILD`` (default ``<project>/_build``): executed notebooks, figures, the result cache, the site.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The clone this library was installed from (it holds ``_toc.yml``), else the working directory."""
    here = Path(__file__).resolve().parent.parent
    return here if (here / "_toc.yml").exists() else Path.cwd()


def home() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hp-book"
    return Path(os.environ.get("HP_BOOK_HOME", default))


def data_dir() -> Path:
    return home() / "data"


def build_dir() -> Path:
    return Path(os.environ.get("HP_BOOK_BUILD", project_root() / "_build"))


def cache_dir() -> Path:
    return build_dir() / "cache"


def figures_dir(profile: str) -> Path:
    return build_dir() / "figures" / profile
