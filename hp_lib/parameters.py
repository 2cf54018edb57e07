"""A chapter's parameters: the names its ``parameters`` cell declares, with their types, and the check of
``python -m hp_lib run ... -p NAME VALUE`` against them before a kernel starts (papermill itself would only
warn about an unknown name, and inject a value of the wrong type for a later cell to trip over).

A parameters cell reads like ``profile: str = "cpu"`` and ``seeds: Optional[list[int]] = None``: the
annotations papermill also understands.
"""

from __future__ import annotations

import ast
import typing
from pathlib import Path

_TYPES = {"__builtins__": {}, "int": int, "float": float, "str": str, "bool": bool, "list": list, "dict": dict,
          "Optional": typing.Optional}


def declared(nb) -> dict[str, ast.expr | None]:
    """The names the notebook's ``parameters`` cell assigns, with their type annotations (or None)."""
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            body = ast.parse(cell.source).body
            annotated = {s.target.id: s.annotation for s in body if isinstance(s, ast.AnnAssign)}
            plain = {t.id: None for s in body if isinstance(s, ast.Assign) for t in s.targets}
            return {**plain, **annotated}
    return {}


def is_a(value, kind) -> bool:
    """``isinstance`` for the annotations of parameters cells: ``Optional``, ``list[X]``; an int is a float."""
    if typing.get_origin(kind) is typing.Union:
        return any(is_a(value, k) for k in typing.get_args(kind))
    if kind is type(None):
        return value is None
    if typing.get_origin(kind) is list:
        return isinstance(value, list) and all(is_a(v, typing.get_args(kind)[0]) for v in value)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def check(notebook: Path, nb, values: dict) -> None:
    """Raise ValueError (one line) for a ``-p`` the notebook does not declare or a value not of its type."""
    names = declared(nb)
    for name, value in values.items():
        if name == "profile":
            raise ValueError("set the profile with --profile, not -p profile")
        if name not in names:
            raise ValueError(f"{notebook} has no parameter {name!r}; its parameters: "
                             f"{', '.join(n for n in names if n != 'profile')}")
        annotation = names[name]
        if annotation is not None and not is_a(value, eval(compile(ast.Expression(annotation), "", "eval"), _TYPES)):
            raise ValueError(f"parameter {name} of {notebook} must be {ast.unparse(annotation)}, "
                             f"got {value!r} ({type(value).__name__})")
