"""The hostcall ops a guest may call (`wit/ops/<op>.json`), as model types.

Each op file carries JSON Schemas for its arguments and its result. `hostcall_model` turns
them into the same type expressions and named types as `model.guest_model`, so an emitter
writes `ctx.<op>(...)` helpers with the TypeWriter it already has. The host validates every
hostcall against the full schema; these types are for the author's editor and compiler, so a
schema construct with no type counterpart (a `not`, a numeric enum, ...) becomes `json`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import (
    AliasDef,
    CodegenError,
    EnumDef,
    Field,
    ListOf,
    MapOf,
    NamedType,
    Nullable,
    Ref,
    Scalar,
    StructDef,
    TypeExpr,
    UnionDef,
)
from .naming import pascal

DEFAULT_OPS_DIR = Path(__file__).resolve().parent.parent / "wit" / "ops"
_SCALARS: dict[str, TypeExpr] = {
    "string": Scalar("string"),
    "integer": Scalar("integer"),
    "number": Scalar("float"),
    "boolean": Scalar("boolean"),
    "null": Scalar("null"),
}


@dataclass(frozen=True)
class HostcallOp:
    name: str  # the op name passed to `hostcall`
    description: str | None
    args: TypeExpr
    result: TypeExpr


@dataclass(frozen=True)
class HostcallModel:
    ops: tuple[HostcallOp, ...]  # sorted by name
    types: tuple[NamedType, ...]  # every named type the ops use (a type before its users)


def hostcall_model(ops_dir: Path = DEFAULT_OPS_DIR) -> HostcallModel:
    """Read every `<op>.json` in `ops_dir` (none, when the folder does not exist)."""
    conv = _Converter()
    ops = []
    for path in sorted(ops_dir.glob("*.json")) if ops_dir.is_dir() else []:
        try:
            spec = json.loads(path.read_text())
        except ValueError as e:
            raise CodegenError(f"{path}: not valid JSON: {e}") from None
        if not isinstance(spec, dict) or not isinstance(spec.get("op"), str):
            raise CodegenError(f"{path}: an op file is an object with a string `op`")
        name = spec["op"]
        if name != path.stem:
            raise CodegenError(f"{path}: declares op {name!r}; name the file {name}.json")
        base = pascal(name)
        args = conv.expr(spec.get("args", {}), f"{base}Args", spec.get("args", {}), str(path))
        result = conv.expr(
            spec.get("result", {}), f"{base}Result", spec.get("result", {}), str(path)
        )
        ops.append(HostcallOp(name, spec.get("description"), args, result))
    return HostcallModel(tuple(ops), tuple(conv.types.values()))


class _Converter:
    """Named types are called after where they appear (`<Op>Args`, `<Op>ArgsLevel`,
    `<Parent>Item`, `<Parent>Variant<i>`), or after a schema's `title` or `$defs` key."""

    def __init__(self) -> None:
        self.types: dict[str, NamedType] = {}
        self._taken: set[str] = set()
        self._defs: dict[tuple[int, str], str] = {}  # (id of a root schema, $defs key) -> name
        self._roots: list[Any] = []  # keeps each root alive: its id stays its own

    def _name(self, wanted: str) -> str:
        name, n = wanted, 2
        while name in self._taken:
            name, n = f"{wanted}{n}", n + 1
        self._taken.add(name)
        return name

    def _add(self, definition: NamedType) -> Ref:
        self.types[definition.name] = definition  # after the types it uses: they came first
        return Ref(definition.name)

    def expr(
        self, schema: Any, hint: str, root: Mapping[str, Any], where: str, fixed: str | None = None
    ) -> TypeExpr:
        """`fixed`: the name a named type made here must take (a `$defs` entry's)."""
        if schema is True or not isinstance(schema, Mapping) or not schema:
            return Scalar("json")
        if isinstance(schema.get("title"), str) and fixed is None:
            hint = pascal(schema["title"]) or hint
        desc = schema.get("description")
        if "$ref" in schema:
            return self._ref(schema["$ref"], root, where)
        if "const" in schema or "enum" in schema:
            values = [schema["const"]] if "const" in schema else schema["enum"]
            return self._enum(values, fixed or self._name(hint), desc)
        variants = schema.get("anyOf") or schema.get("oneOf")
        kind = schema.get("type")
        if isinstance(kind, list):
            variants = [{"type": k} if k == "null" else {**schema, "type": k} for k in kind]
        if isinstance(variants, list):
            exclusive = "anyOf" not in schema
            return self._union(variants, hint, exclusive, desc, root, where, fixed)
        if kind == "object" and "properties" not in schema and fixed is None:
            values = schema.get("additionalProperties", True)  # a map: any keys
            return MapOf(self.expr(values, f"{hint}Value", root, where))
        if kind == "object":
            return self._struct(schema, fixed or self._name(hint), desc, root, where)
        if kind == "array":
            return ListOf(self.expr(schema.get("items", {}), f"{hint}Item", root, where))
        return _SCALARS.get(kind, Scalar("json")) if isinstance(kind, str) else Scalar("json")

    def _ref(self, ref: Any, root: Mapping[str, Any], where: str) -> TypeExpr:
        prefix = "#/$defs/"
        defs = root.get("$defs", {})
        key = ref[len(prefix) :] if isinstance(ref, str) and ref.startswith(prefix) else None
        if key is None or key not in defs:
            raise CodegenError(f"{where}: cannot resolve $ref {ref!r} (only #/$defs/<name>)")
        if (id(root), key) not in self._defs:
            self._roots.append(root)
            name = self._name(pascal(key))
            self._defs[id(root), key] = name  # before converting: a recursive $def stops here
            converted = self.expr(defs[key], name, root, where, fixed=name)
            if converted != Ref(name):  # a scalar, list or nullable: an alias
                self._add(AliasDef(name, converted, None))
        return Ref(self._defs[id(root), key])

    def _enum(self, values: Any, name: str, desc: str | None) -> TypeExpr:
        if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
            return self._add(EnumDef(name, tuple(dict.fromkeys(values)), desc))
        strings = [v for v in values if isinstance(v, str)] if isinstance(values, list) else []
        if strings and len(strings) == len(values) - 1 and None in values:
            return Nullable(self._add(EnumDef(name, tuple(dict.fromkeys(strings)), desc)))
        self._taken.discard(name)
        return Scalar("json")  # a numeric or mixed enum: the host still checks it

    def _union(
        self,
        variants: list[Any],
        hint: str,
        exclusive: bool,
        desc: str | None,
        root: Mapping[str, Any],
        where: str,
        fixed: str | None,
    ) -> TypeExpr:
        rest = [v for v in variants if not (isinstance(v, Mapping) and v.get("type") == "null")]
        if rest and len(rest) < len(variants):
            inner = self._union(rest, hint, exclusive, desc, root, where, fixed)
            return inner if isinstance(inner, Nullable) else Nullable(inner)
        if len(variants) == 1:
            return self.expr(variants[0], hint, root, where, fixed)
        name = fixed or self._name(hint)
        parts = tuple(
            self.expr(v, f"{name}Variant{i}", root, where) for i, v in enumerate(variants)
        )
        return self._add(UnionDef(name, parts, exclusive, desc))

    def _struct(
        self, schema: Mapping[str, Any], name: str, desc: str | None, root: Any, where: str
    ) -> TypeExpr:
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        fields = tuple(
            Field(
                fname,
                self.expr(fschema, f"{name}{pascal(fname)}", root, f"{where}: {name}.{fname}"),
                fname not in required,
                fschema.get("description") if isinstance(fschema, Mapping) else None,
            )
            for fname, fschema in (props.items() if isinstance(props, Mapping) else ())
        )
        additional = schema.get("additionalProperties", True) is not False
        return self._add(StructDef(name, fields, additional, desc))
