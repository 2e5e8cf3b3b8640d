"""typegraph types → the Python source that builds them with ``t.*``.

Named types become module variables, defined before they are used (a type refers to a
variable defined above it, or to ``t.ref(name)`` inside a cycle); keyword arguments
(``name=``, ``description=``, ``default=``) rather than methods keep the text plain.
"""

from __future__ import annotations

import dataclasses
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
    them. ``reserved`` are names the module needs for something else.

    A type refers to a named type by its variable, or by ``t.ref(name)`` where the variable
    is not defined yet (a cycle) or where the reference has a description of its own. Such a
    ``t.ref`` resolves only if the typegraph holds the type itself elsewhere, so a described
    reference to a named scalar is written as a copy of it instead, and one to a struct, enum
    or union that the statement does not otherwise reach is written as the variable, its
    description dropped (listed in `dropped`, with the owner given to `begin`).
    """

    def __init__(
        self,
        types: Mapping[str, Type],
        reserved: Iterable[str] = (),
        pointers: Mapping[str, str] | None = None,
    ) -> None:
        self.types = types
        self.pointers = pointers or {}  # type name → where the document defines it
        taken = set(reserved)
        self.variables: dict[str, str] = {}
        for name in types:
            var = name
            while not var.isidentifier() or keyword.iskeyword(var) or var in taken:
                var += "_"
            taken.add(var)
            self.variables[name] = var
        self.defined: set[str] = set()
        self.dropped: list[tuple[str, str]] = []  # (owner, named type)
        self.owner = ""
        self._reach: set[str] = set()

    def order(self, entries: Iterable[Type] = ()) -> list[str]:
        """The named types, each after those it refers to (but in cycles: a cycle is entered
        from the types ``entries`` refer to first), otherwise in declaration order."""
        starts = [n for ty in entries for n in referenced(ty)] + list(self.types)
        done: set[str] = set()
        out: list[str] = []
        for root in dict.fromkeys(starts):
            stack: list[tuple[str, list[str]]] = []
            if root not in done and root in self.types:
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

    def definitions(
        self, comments: Mapping[str, Sequence[Issue]], entries: Iterable[Type] = ()
    ) -> list[str]:
        """Every named type as ``Var = t.…(…, name="Name")``, a blank line before each, with
        the issues found in it (``comments``: type name → issues) as comments above."""
        lines: list[str] = []
        for name in self.order(entries):
            self.begin([self.types[name]], name, itself=name)
            expr = self.expr(self.types[name])
            lines.append("")
            for issue in comments.get(name, ()):
                lines += source.comment_lines(str(issue))
            for owner, target in self.dropped:
                if owner == name:
                    note = Issue(self.pointers.get(name, ""), dropped_message(target))
                    lines += source.comment_lines(str(note))
            lines += source.statement(self.variables[name], expr)
            self.defined.add(name)
        return lines

    def begin(self, roots: Iterable[Type], owner: str, itself: str | None = None) -> None:
        """Start a statement that writes ``roots`` (for ``owner``)."""
        self.owner = owner
        self._reach = self._closure(roots) | ({itself} if itself else set())

    def _closure(self, roots: Iterable[Type]) -> set[str]:
        """The defined named types that ``roots`` hold as objects (not by ``t.ref``)."""
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            for ref in _refs(todo.pop()):
                target = ref.target
                if target in seen or target not in self.defined:
                    continue
                if ref.description is not None and self.types[target].always_named:
                    continue
                seen.add(target)
                todo.append(self.types[target])
        return seen

    def expr(self, ty: Type) -> Expr:
        """The expression building ``ty``."""
        common: dict[str, Expr | None] = {
            "name": Str(ty.name) if ty.name is not None else None,
            "description": Str(ty.description) if ty.description is not None else None,
            "default": value(ty.default_value) if ty.default_value is not UNSET else None,
        }
        if isinstance(ty, Ref):
            return self._reference(ty, common["description"])
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

    def _reference(self, ref: Ref, description: Expr | None) -> Expr:
        target = ref.target
        if target not in self.defined:  # a cycle: the type refers back to one being defined
            return call("t.ref", Str(target), description=description)
        if ref.description is None:
            return Atom(self.variables[target])
        definition = self.types[target]
        if not definition.always_named:  # a copy, described, of a named scalar (or list)
            return self.expr(
                dataclasses.replace(definition, name=None, description=ref.description)
            )
        if target in self._reach:
            return call("t.ref", Str(target), description=description)
        self.dropped.append((self.owner, target))
        self._reach |= {target} | self._closure([definition])
        return Atom(self.variables[target])


def dropped_message(target: str) -> str:
    return (
        f"the description of a reference to {target} is dropped: t.ref({target!r}, "
        f"description=...) needs {target} held by the typegraph elsewhere"
    )


def _refs(ty: Type) -> list[Ref]:
    out: list[Ref] = []
    todo = [ty]
    while todo:
        node = todo.pop()
        if isinstance(node, Ref):
            out.append(node)
        todo.extend(child for _, child in node.children())
    return out


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
