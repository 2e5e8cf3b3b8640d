"""typegraph types → the Python source that builds them with ``t.*``.

Named types become module variables, defined before they are used (a type refers to a
variable defined above it, or to ``t.ref(name)`` inside a cycle); keyword arguments
(``name=``, ``description=``, ``default=``) rather than methods keep the text plain.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from typegraph.types import (
    UNSET,
    Boolean,
    Either,
    Enum,
    Float,
    Integer,
    List,
    Optional,
    Ref,
    String,
    Struct,
    Type,
    Union,
)

from . import source
from .issues import Issue
from .schema import referenced
from .source import Atom, Expr, Str, call, dict_of, list_of


class TypeWriter:
    """Writes ``types`` (name → named type) as module variables, and expressions that use
    them. ``reserved`` are names the module needs for something else."""

    def __init__(self, types: Mapping[str, Type], reserved: Iterable[str] = ()) -> None:
        self.types = types
        taken = set(reserved)
        self.variables: dict[str, str] = {}
        for name in types:
            var = name
            while not var.isidentifier() or keyword.iskeyword(var) or var in taken:
                var += "_"
            taken.add(var)
            self.variables[name] = var
        self.defined: set[str] = set()

    def order(self) -> list[str]:
        """The named types, each after those it refers to (but in cycles), otherwise in
        declaration order."""
        done: set[str] = set()
        out: list[str] = []
        for root in self.types:
            stack: list[tuple[str, list[str]]] = []
            if root not in done:
                done.add(root)
                stack.append((root, list(referenced(self.types[root]))))
            while stack:
                name, todo = stack[-1]
                while todo and (todo[0] in done or todo[0] not in self.types):
                    todo.pop(0)
                if todo:
                    nxt = todo.pop(0)
                    done.add(nxt)
                    stack.append((nxt, list(referenced(self.types[nxt]))))
                else:
                    stack.pop()
                    out.append(name)
        return out

    def definitions(self, comments: Mapping[str, Sequence[Issue]]) -> list[str]:
        """Every named type as ``Var = t.…(…, name="Name")``, a blank line before each, with
        the issues found in it as comments above."""
        lines: list[str] = []
        for name in self.order():
            lines.append("")
            for issue in comments.get(name, ()):
                lines += source.comment_lines(str(issue))
            lines += source.statement(self.variables[name], self.expr(self.types[name]))
            self.defined.add(name)
        return lines

    def expr(self, ty: Type) -> Expr:
        """The expression building ``ty``."""
        common: dict[str, Expr | None] = {
            "name": Str(ty.name) if ty.name is not None else None,
            "description": Str(ty.description) if ty.description is not None else None,
            "default": value(ty.default_value) if ty.default_value is not UNSET else None,
        }
        if isinstance(ty, Ref):
            if ty.description is None and ty.target in self.defined:
                return Atom(self.variables[ty.target])
            return call("t.ref", Str(ty.target), description=common["description"])
        if isinstance(ty, Boolean):
            return call("t.boolean", **common)
        if isinstance(ty, Integer | Float):
            return call(
                f"t.{ty.kind}",
                min=_number(ty.minimum),
                max=_number(ty.maximum),
                x_min=_number(ty.exclusive_minimum),
                x_max=_number(ty.exclusive_maximum),
                multiple_of=_number(ty.multiple_of),
                **common,
            )
        if isinstance(ty, String):
            return call(
                "t.string",
                min=_number(ty.min_length),
                max=_number(ty.max_length),
                pattern=Str(ty.pattern, raw=True) if ty.pattern is not None else None,
                format=Str(ty.format) if ty.format is not None else None,
                **common,
            )
        if isinstance(ty, Enum):
            return call("t.enum", list_of([Str(v) for v in ty.values]), **common)
        if isinstance(ty, List):
            return call(
                "t.list",
                self.expr(ty.items),
                min=_number(ty.min_items),
                max=_number(ty.max_items),
                unique=Atom("True") if ty.unique else None,
                **common,
            )
        if isinstance(ty, Optional):
            return call("t.optional", self.expr(ty.item), **common)
        if isinstance(ty, Struct):
            fields = dict_of([(Str(k), self.expr(v)) for k, v in ty.fields])
            open_ = Atom("True") if ty.additional_properties else None
            return call("t.struct", fields, additional_properties=open_, **common)
        if isinstance(ty, Either | Union):
            variants = list_of([self.expr(v) for v in ty.variants])
            return call(f"t.{ty.kind}", variants, **common)
        raise TypeError(f"no source for {ty!r}")


def _number(n: float | None) -> Atom | None:
    return None if n is None else Atom(repr(n))


def value(v: Any) -> Expr:
    """A JSON value as a Python literal."""
    if v is None or isinstance(v, bool):
        return Atom(repr(v))
    if isinstance(v, int | float):
        return Atom(repr(v))
    if isinstance(v, str):
        return Str(v)
    if isinstance(v, list):
        return list_of([value(x) for x in v])
    return dict_of([(Str(k), value(x)) for k, x in v.items()])


def place(
    issues: Sequence[Issue], owners: Mapping[str, str]
) -> tuple[dict[str, list[Issue]], list[Issue]]:
    """Each issue with the owner (key of ``owners``: owner → pointer) whose pointer is the
    longest prefix of the issue's; and those no owner holds."""
    placed: dict[str, list[Issue]] = {}
    rest: list[Issue] = []
    for issue in issues:
        best: tuple[int, str] | None = None
        for owner, ptr in owners.items():
            inside = issue.pointer == ptr or issue.pointer.startswith(ptr + "/")
            if inside and (best is None or len(ptr) > best[0]):
                best = (len(ptr), owner)
        if best is None:
            rest.append(issue)
        else:
            placed.setdefault(best[1], []).append(issue)
    return placed, rest
