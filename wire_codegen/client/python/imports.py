"""Import lines of generated modules, ordered and wrapped as ruff's isort writes them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..layout import LINE


@dataclass
class Imports:
    """Names a module takes from the package's other modules."""

    runtime: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)
    selections: set[str] = field(default_factory=set)
    operations: set[str] = field(default_factory=set)
    typing: set[str] = field(default_factory=set)

    def lines(self) -> list[str]:
        out = []
        if self.typing:
            out += [*import_from("typing", self.typing), ""]
        for module in ("operations", "runtime", "selections", "types"):
            out += import_from(f".{module}", getattr(self, module))
        return out


def import_from(module: str, names: set[str] | list[str] | tuple[str, ...]) -> list[str]:
    """`from module import names` as ruff's isort writes it: one line when it fits, else
    one name a line."""
    if not names:
        return []
    ordered = sorted(set(names), key=isort_key)
    line = f"from {module} import {', '.join(ordered)}"
    if len(line) <= LINE:
        return [line]
    return [f"from {module} import (", *(f"    {n}," for n in ordered), ")"]


def isort_key(name: str) -> tuple[int, tuple[str | int, ...]]:
    """ruff's isort order of the names of one import: CONSTANTS, then Classes, then the
    rest, each compared without case (`DO_SEND` before `DONE`) and numbers as numbers."""
    return _kind(name), _natural(name.lower())


def all_key(name: str) -> tuple[int, tuple[str | int, ...]]:
    """ruff's order of `__all__` (RUF022): as `isort_key`, but with case."""
    return _kind(name), _natural(name)


def _kind(name: str) -> int:
    return 0 if name.isupper() else 1 if name[:1].isupper() else 2


def _natural(text: str) -> tuple[str | int, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))
