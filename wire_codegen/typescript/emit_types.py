"""`types.ts` and `hostcalls.ts`: an interface per struct, a string-literal union per enum,
a type alias per union and per renamed scalar, list or optional.

Interfaces are plain JSON shapes, because the glue hands `JSON.parse`'s value straight to
the handler: no classes, no conversion. TypeScript narrows a union of interfaces on a field
whose type is a one-value enum, so an `either` of tagged structs is a discriminated union.
"""

from __future__ import annotations

import json
import textwrap

from ..model import (
    AliasDef,
    BuiltinRef,
    EnumDef,
    ListOf,
    MapOf,
    NamedType,
    Nullable,
    Ref,
    Scalar,
    StructDef,
    TypeExpr,
    UnionDef,
    walk,
)
from .names import property_key

_SCALARS = {
    "boolean": "boolean", "integer": "number", "float": "number", "string": "string",
    "json": "Json", "null": "null",
}  # fmt: skip
_BUILTINS = {"policy-input": "PolicyInput", "policy-decision": "PolicyDecision"}


class TypeWriter:
    """Writes type expressions with the TypeScript names chosen for the named types."""

    def __init__(self, ts_names: dict[str, str]) -> None:
        self.ts_names = ts_names

    def expr(self, t: TypeExpr) -> str:
        if isinstance(t, Scalar):
            return _SCALARS[t.kind]
        if isinstance(t, Ref):
            return self.ts_names[t.name]
        if isinstance(t, ListOf):
            item = self.expr(t.item)
            return f"({item})[]" if " " in item else f"{item}[]"
        if isinstance(t, MapOf):
            return f"{{ [key: string]: {self.expr(t.item)} }}"
        if isinstance(t, Nullable):
            return f"{self.expr(t.item)} | null"
        assert isinstance(t, BuiltinRef)
        return _BUILTINS[t.name]


def emit_types(types: tuple[NamedType, ...], writer: TypeWriter, header: list[str]) -> str:
    lines = [*header]
    if uses_json(types):
        lines += ["", 'import type { Json } from "./runtime.js";']
    for d in types:
        lines += ["", *definition(d, writer)]
    return "\n".join(lines) + "\n"


def definition(d: NamedType, writer: TypeWriter) -> list[str]:
    name = writer.ts_names[d.name]
    doc = jsdoc(d.description, "")
    if isinstance(d, StructDef):
        if not d.fields:
            value = "Json" if d.additional else "never"
            return [*doc, f"export type {name} = {{ [key: string]: {value} }};"]
        out = [*doc, f"export interface {name} {{"]
        for f in d.fields:
            out += jsdoc(f.description, "  ")
            out.append(
                f"  {property_key(f.name)}{'?' if f.optional else ''}: {writer.expr(f.type)};"
            )
        if d.additional:
            out += ["  /** Unknown fields are allowed too. */", "  [key: string]: unknown;"]
        return [*out, "}"]
    if isinstance(d, EnumDef):
        return [*doc, f"export type {name} = {' | '.join(json.dumps(v) for v in d.values)};"]
    if isinstance(d, UnionDef):
        what = "Exactly one variant matches." if d.exclusive else "At least one variant matches."
        doc = jsdoc(f"{d.description}\n\n{what}" if d.description else what, "")
        return [*doc, f"export type {name} = {' | '.join(writer.expr(v) for v in d.variants)};"]
    assert isinstance(d, AliasDef)
    return [*doc, f"export type {name} = {writer.expr(d.target)};"]


def jsdoc(text: str | None, indent: str) -> list[str]:
    if not text:
        return []
    raw = text.replace("*/", "*\\/").strip().splitlines()
    if len(raw) == 1 and len(indent) + len(raw[0]) + 7 <= 100:
        return [f"{indent}/** {raw[0]} */"]
    # Long lines are wrapped to the project's line length; blank lines are kept.
    width = 100 - len(indent) - 3
    lines = [w for line in raw for w in (textwrap.wrap(line, width) or [""])]
    body = [f"{indent} *{' ' + line if line.strip() else ''}" for line in lines]
    return [f"{indent}/**", *body, f"{indent} */"]


def uses_json(types: tuple[NamedType, ...]) -> bool:
    """Whether the definitions mention the runtime's `Json` (and so must import it)."""
    for d in types:
        if isinstance(d, StructDef) and not d.fields and d.additional:
            return True
        exprs: tuple[TypeExpr, ...] = ()
        if isinstance(d, StructDef):
            exprs = tuple(f.type for f in d.fields)
        elif isinstance(d, UnionDef):
            exprs = d.variants
        elif isinstance(d, AliasDef):
            exprs = (d.target,)
        if any(part == Scalar("json") for e in exprs for part in walk(e)):
            return True
    return False
