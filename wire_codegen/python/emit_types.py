"""`wire_sdk/types.py`: a TypedDict per struct, a `Literal` per enum, an alias per the rest.

Structs are TypedDicts because the guest receives and returns plain JSON objects: no
conversion code runs between `json.loads` and the handler.
"""

from __future__ import annotations

import json

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
    refs_in,
)
from .names import is_plain_identifier

_SCALARS = {
    "boolean": "bool", "integer": "int", "float": "float", "string": "str", "json": "Json",
    "null": "None",
}  # fmt: skip
_BUILTINS = {"policy-input": "PolicyInput", "policy-decision": "PolicyDecision"}


class TypeWriter:
    """Writes type expressions with the Python names chosen for the model's named types."""

    def __init__(self, py_names: dict[str, str]) -> None:
        self.py_names = py_names

    def expr(self, t: TypeExpr) -> str:
        if isinstance(t, Scalar):
            return _SCALARS[t.kind]
        if isinstance(t, Ref):
            return self.py_names[t.name]
        if isinstance(t, ListOf):
            return f"list[{self.expr(t.item)}]"
        if isinstance(t, Nullable):
            return f"{self.expr(t.item)} | None"
        if isinstance(t, MapOf):
            return f"dict[str, {self.expr(t.item)}]"
        assert isinstance(t, BuiltinRef)
        return _BUILTINS[t.name]


def emit_types(types: tuple[NamedType, ...], writer: TypeWriter, header: str) -> str:
    lines = [header, "", "from __future__ import annotations"]
    if types:
        lines += ["", f"from typing import {', '.join(_typing_imports(types))}"]
    # Structs are classes: with postponed annotations they may refer to any name. Aliases are
    # evaluated at import time, so one that mentions a later type or another alias is quoted.
    defined_structs: set[str] = set()
    for i, definition in enumerate(types):
        block = _definition(definition, writer, defined_structs)
        # isort's rule: two blank lines after the imports before a class, else one.
        lines += ["", ""] if i or block[0].startswith("class ") else [""]
        lines += block
        if isinstance(definition, StructDef):
            defined_structs.add(definition.name)
    return "\n".join(lines).rstrip() + "\n"


def _typing_imports(types: tuple[NamedType, ...]) -> list[str]:
    names: set[str] = set()
    for d in types:
        if isinstance(d, StructDef):
            names.add("TypedDict")
            if any(f.optional for f in d.fields):
                names.add("NotRequired")
        else:
            names.add("TypeAlias")
            if isinstance(d, EnumDef):
                names.add("Literal")
    return sorted(names)


def _definition(d: NamedType, writer: TypeWriter, defined_structs: set[str]) -> list[str]:
    name = writer.py_names[d.name]
    doc = _docstring(d.description, "    ")
    if isinstance(d, StructDef):
        return _struct(d, name, doc, writer)
    comment = [f"# {line}" for line in (d.description or "").splitlines()]
    if isinstance(d, EnumDef):
        rhs = f"Literal[{', '.join(json.dumps(v) for v in d.values)}]"
        return [*comment, f"{name}: TypeAlias = {rhs}"]
    if isinstance(d, UnionDef):
        parts = d.variants
        rhs = " | ".join(writer.expr(v) for v in parts)
        kind = "exactly one variant matches" if d.exclusive else "at least one variant matches"
        comment.append(f"# {kind}")
    else:
        assert isinstance(d, AliasDef)
        parts = (d.target,)
        rhs = writer.expr(d.target)
    mentioned = {r for p in parts for r in refs_in(p)}
    if not mentioned <= defined_structs:
        rhs = json.dumps(rhs)
    return [*comment, f"{name}: TypeAlias = {rhs}"]


def _struct(d: StructDef, name: str, doc: list[str], writer: TypeWriter) -> list[str]:
    def annotation(t: TypeExpr, optional: bool) -> str:
        text = writer.expr(t)
        return f"NotRequired[{text}]" if optional else text

    extra = ["    # unknown fields are allowed too"] if d.additional else []
    if all(is_plain_identifier(f.name) for f in d.fields):
        out = [f"class {name}(TypedDict):", *doc, *([""] if doc and d.fields else []), *extra]
        for f in d.fields:
            out += [f"    # {line}" for line in (f.description or "").splitlines()]
            out.append(f"    {f.name}: {annotation(f.type, f.optional)}")
        if not d.fields and not doc:  # a body of comments alone is no body
            out.append("    pass")
        return out
    # Field names that are not identifiers need the functional form, evaluated at import
    # time: every annotation is a string so forward references work.
    out = [f"# {line}" for line in (d.description or "").splitlines()]
    out.append(f"{name} = TypedDict(")
    out.append(f"    {json.dumps(name)},")
    out.append("    {")
    for f in d.fields:
        out.append(f"        {json.dumps(f.name)}: {json.dumps(annotation(f.type, f.optional))},")
    out += ["    },", ")"]
    return out


def _docstring(text: str | None, indent: str) -> list[str]:
    if not text:
        return []
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').strip()
    lines = body.splitlines()
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    return [f'{indent}"""{lines[0]}', *(f"{indent}{line}" for line in lines[1:]), f'{indent}"""']
