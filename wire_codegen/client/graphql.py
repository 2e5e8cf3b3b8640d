"""How the gateway serves the model's types as GraphQL (mirrors wire/graphql/types.py).

A client writes GraphQL documents, so it needs the gateway's names: the type of each
variable, which types are objects (selected field by field) and which are leaves.

- structs with fields are object types; as input they are input objects, named
  `<Name>Input` when the struct is also an output;
- an either/union whose variants are distinct structs with fields is a union (output) and
  a `@oneOf` input object (input, one field per variant, named after the variant's type);
- enums are enums; every other either/union, and a struct without fields, is a scalar
  named after the type, whose value is the JSON value itself;
- renamed scalars, lists and optionals are not GraphQL types: they are unwrapped;
- a value is non-null unless it is optional; `t.integer()` is `Int` (32-bit), strings with
  a format are the scalars `UUID`, `Email`, `URI`, `Date`, `DateTime`.

tests/test_client_codegen.py checks these names against the schema the gateway builds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..model import (
    AliasDef,
    CodegenError,
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

MUTATION_EFFECTS = ("create", "update", "delete")
NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
_SCALARS = {"boolean": "Boolean", "integer": "Int", "float": "Float", "string": "String"}
_FORMATS = {"uuid": "UUID", "email": "Email", "uri": "URI", "date": "Date", "date-time": "DateTime"}


def check_name(name: str, what: str, where: str) -> str:
    """`name` when GraphQL (and so `wire serve`) accepts it; else a `CodegenError`."""
    if not NAME.match(name) or name.startswith("__"):
        raise CodegenError(
            f"{where}: {what} {name!r} is not a GraphQL name ([_A-Za-z][_0-9A-Za-z]*, not "
            "starting with '__'), so `wire serve` cannot serve it: rename it in the typegraph"
        )
    return name


class GraphQLView:
    """The GraphQL roles and names of the named types `types` (name → definition);
    `outputs` are the named types reachable from a result (they decide input names)."""

    def __init__(self, types: Mapping[str, NamedType], outputs: frozenset[str]) -> None:
        self.types = types
        self.outputs = outputs

    def object_variants(self, union: UnionDef) -> tuple[str, ...] | None:
        """The struct names of a union served as a GraphQL union, else None (a scalar)."""
        names = []
        for v in union.variants:
            if not isinstance(v, Ref):
                return None
            target = self.types[v.name]
            if not isinstance(target, StructDef) or not target.fields:
                return None
            names.append(v.name)
        return tuple(names) if len(set(names)) == len(names) else None

    def is_object(self, name: str) -> bool:
        """Whether named type `name` is selected field by field (an object or a union)."""
        d = self.types[name]
        if isinstance(d, StructDef):
            return bool(d.fields)
        return isinstance(d, UnionDef) and self.object_variants(d) is not None

    def unwrap(self, expr: TypeExpr) -> tuple[bool, TypeExpr]:
        """(nullable, expr) with optionals and renamed scalars, lists and optionals followed."""
        nullable = False
        while True:
            if isinstance(expr, Nullable):
                nullable, expr = True, expr.item
            elif isinstance(expr, Ref) and isinstance(self.types[expr.name], AliasDef):
                target = self.types[expr.name]
                assert isinstance(target, AliasDef)
                expr = target.target
            else:
                return nullable, expr

    def object_of(self, expr: TypeExpr) -> str | None:
        """The object or union type a value of `expr` selects into (through lists and
        optionals), or None when it is a leaf."""
        _, inner = self.unwrap(expr)
        if isinstance(inner, ListOf):
            return self.object_of(inner.item)
        if isinstance(inner, Ref) and self.is_object(inner.name):
            return inner.name
        return None

    def input_type(self, expr: TypeExpr) -> str:
        """The GraphQL type of a variable of type `expr` (`[PointInput!]`, `Email!`)."""
        return self._type(expr, as_input=True)

    def output_type(self, expr: TypeExpr) -> str:
        return self._type(expr, as_input=False)

    def _type(self, expr: TypeExpr, *, as_input: bool) -> str:
        nullable, inner = self.unwrap(expr)
        if isinstance(inner, ListOf):
            text = f"[{self._type(inner.item, as_input=as_input)}]"
        elif isinstance(inner, Ref):
            name = inner.name
            object_input = as_input and self.is_object(name) and name in self.outputs
            text = f"{name}Input" if object_input else name
        elif isinstance(inner, Scalar) and inner.kind in _SCALARS:
            text = _FORMATS.get(inner.format or "", _SCALARS[inner.kind])
        else:
            assert not isinstance(inner, MapOf)
            raise CodegenError(f"no GraphQL type for {inner!r}")
        return text if nullable else f"{text}!"
