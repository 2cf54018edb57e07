"""Values computed in a chapter, pasted into its prose (MyST-NB ``glue``).

``text(name, en, zh)`` glues two Markdown snippets: ``name`` for English pages and ``name-zh`` for
Chinese ones (in Traditional Chinese; the build converts ``*-zh`` outputs to Simplified for zh-Hans).
Pages paste them with ``{glue:md}`name```. ``values`` glues numbers and settings, written the same in every
language, once: both languages' cells paste the same name. Outside a notebook these calls do nothing.
"""

from __future__ import annotations


def _kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def markdown(name: str, text: str) -> None:
    if _kernel():
        from IPython.display import Markdown
        from myst_nb import glue

        glue(name, Markdown(text), display=False)


def text(name: str, en: str, zh: str) -> None:
    markdown(name, en)
    markdown(f"{name}-zh", zh)


def values(numbers: dict[str, str]) -> None:
    """Glue each ``name -> text`` (numbers and settings, the same in every language)."""
    for name, value in numbers.items():
        markdown(name, str(value))


def image(name: str, path) -> None:
    if _kernel():
        from IPython.display import Image
        from myst_nb import glue

        glue(name, Image(filename=str(path)), display=False)
