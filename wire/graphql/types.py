"""Typegraph type nodes as graphql-core types, for output and for input positions.

- structs: object types on output, input object types on input (an input type takes the
  struct's name, or `<Name>Input` when the struct is also an output type);
- lists are lists; a value is non-null unless its node is `optional`;
- enums: enum types whose values are the typegraph's strings;
- either/union of structs: a union on output, a `@oneOf` input on input (one field per
  variant, named after the variant's type); any other either/union, and a struct
  without fields, is a *validating scalar* that checks values against the JSON Schema;
- strings with a `format` are custom scalars (`Email`, `UUID`, `URI`, `Date`,
  `DateTime`) that check the format.

Bounds, patterns and the like stay with the JSON Schema check of the function's
arguments, which runs before any guest (see `schema.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLFloat,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLString,
    GraphQLUnionType,
    Undefined,
    ValueNode,
    value_from_ast_untyped,
)

import typegraph

from ..validation import Validator, describe
from .names import NameTable, check_enum_value, check_name

Node = Mapping[str, Any]

FORMAT_SCALARS = {
    "uuid": ("UUID", "https://www.rfc-editor.org/rfc/rfc4122"),
    "email": ("Email", "https://www.rfc-editor.org/rfc/rfc5322#section-3.4.1"),
    "uri": ("URI", "https://www.rfc-editor.org/rfc/rfc3986"),
    "date": ("Date", "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"),
    "date-time": ("DateTime", "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"),
}
_SCALARS: dict[str, GraphQLScalarType] = {
    "boolean": GraphQLBoolean,
    "integer": GraphQLInt,
    "float": GraphQLFloat,
    "string": GraphQLString,
}
_NAMED_KINDS = ("struct", "enum", "either", "union")


def _checking_scalar(
    name: str, validator: Validator, description: str | None, url: str | None = None
) -> GraphQLScalarType:
    """A scalar that lets through exactly the values `validator` accepts."""

    def check(value: Any) -> Any:
        bad = validator.check(value)
        if bad:
            raise ValueError(f"not a valid {name}: {describe(bad)}")
        return value

    def parse_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
        return check(value_from_ast_untyped(node, variables))

    return GraphQLScalarType(
        name,
        serialize=lambda value: value,  # results were checked against the output schema
        parse_value=check,
        parse_literal=parse_literal,
        description=description,
        specified_by_url=url,
    )


def _first_valid(variants: list[tuple[str, Validator]]) -> Callable[..., str | None]:
    def resolve_type(value: Any, _info: GraphQLResolveInfo[Any], _type: Any) -> str | None:
        for name, validator in variants:
            if validator.is_valid(value):
                return name
        return None

    return resolve_type


def _one_of_value(value: dict[str, Any]) -> Any:
    # A @oneOf input arrives as {VariantName: value}; the guest expects the value itself.
    return next(iter(value.values()))


class TypeMapper:
    """Maps the nodes of one typegraph document; one GraphQL type per named type and role."""

    def __init__(self, doc: Mapping[str, Any], names: NameTable) -> None:
        self.doc = doc
        self.types: Mapping[str, Node] = doc["types"]
        self.names = names
        self.tg = doc["name"]
        self._out: dict[str, GraphQLNamedType] = {}
        self._in: dict[str, GraphQLNamedType] = {}
        self._shared: dict[str, GraphQLNamedType] = {}  # enums and scalars: both roles
        self._formats: dict[str, GraphQLScalarType] = {}
        self.output_names: set[str] = set()

    # -- which named types are outputs (decides input names) -----------------------

    def mark_outputs(self, node: Node) -> None:
        """Record the named types reachable from an output node."""
        kind = node["kind"]
        if kind == "ref":
            name = node["name"]
            if name in self.output_names:
                return
            self.output_names.add(name)
            self.mark_outputs(self.types[name])
        elif kind == "list":
            self.mark_outputs(node["items"])
        elif kind == "optional":
            self.mark_outputs(node["item"])
        elif kind == "struct":
            for field in node["fields"].values():
                self.mark_outputs(field)
        elif kind in ("either", "union"):
            for variant in node["variants"]:
                self.mark_outputs(variant)

    # -- nodes --------------------------------------------------------------------

    def _unwrap(self, node: Node) -> tuple[bool, Node]:
        """(nullable, node) with optionals and named non-GraphQL-named types followed."""
        nullable = False
        while True:
            kind = node["kind"]
            if kind == "optional":
                nullable = True
                node = node["item"]
            elif kind == "ref" and self.types[node["name"]]["kind"] not in _NAMED_KINDS:
                node = self.types[node["name"]]  # a renamed scalar, list or optional
            else:
                return nullable, node

    def output(self, node: Node, where: str) -> GraphQLOutputType:
        nullable, node = self._unwrap(node)
        kind = node["kind"]
        inner: Any  # a nullable output type
        if kind == "ref":
            inner = self._named_output(node["name"])
        elif kind == "list":
            inner = GraphQLList(self.output(node["items"], f"{where}[]"))
        else:
            inner = self._scalar(node, where)
        out: GraphQLOutputType = inner if nullable else GraphQLNonNull(inner)
        return out

    def input(self, node: Node, where: str) -> GraphQLInputType:
        nullable, node = self._unwrap(node)
        kind = node["kind"]
        inner: Any  # a nullable input type
        if kind == "ref":
            inner = self._named_input(node["name"])
        elif kind == "list":
            inner = GraphQLList(self.input(node["items"], f"{where}[]"))
        else:
            inner = self._scalar(node, where)
        out: GraphQLInputType = inner if nullable else GraphQLNonNull(inner)
        return out

    def arguments(self, struct_name: str, where: str) -> dict[str, GraphQLArgument]:
        """A function's input struct as the field's arguments."""
        struct = self.types[struct_name]
        args: dict[str, GraphQLArgument] = {}
        for fname, fnode in struct["fields"].items():
            fwhere = f"{where}.{fname}"
            check_name(fname, "argument", fwhere)
            args[fname] = GraphQLArgument(
                self.input(fnode, fwhere),
                default_value=fnode.get("default", Undefined),
                description=fnode.get("description"),
            )
        return args

    def _scalar(self, node: Node, where: str) -> GraphQLScalarType:
        kind = node["kind"]
        fmt = node.get("format") if kind == "string" else None
        if fmt is None:
            return _SCALARS[kind]
        scalar = self._formats.get(fmt)
        if scalar is None:
            name, url = FORMAT_SCALARS[fmt]
            self.names.claim(name, f"the scalar of string format {fmt!r}", where)
            validator = Validator({"type": "string", "format": fmt})
            scalar = _checking_scalar(name, validator, f"A string of format {fmt}.", url)
            self._formats[fmt] = scalar
        return scalar

    # -- named types --------------------------------------------------------------

    def _where(self, name: str) -> str:
        return f"{self.tg}.types.{name}"

    def _struct_variants(self, node: Node) -> list[str] | None:
        """The struct names of an either/union whose variants are all non-empty structs."""
        out: list[str] = []
        for v in node["variants"]:
            if v["kind"] != "ref":
                return None
            target = self.types[v["name"]]
            if target["kind"] != "struct" or not target["fields"]:
                return None
            out.append(v["name"])
        return out if len(set(out)) == len(out) else None

    def _is_shared(self, node: Node) -> bool:
        kind = node["kind"]
        if kind == "enum":
            return True
        if kind == "struct":
            return not node["fields"]
        return self._struct_variants(node) is None  # either/union of non-structs

    def _shared_type(self, name: str) -> GraphQLNamedType:
        found = self._shared.get(name)
        if found is not None:
            return found
        node = self.types[name]
        where = self._where(name)
        desc = node.get("description")
        made: GraphQLNamedType
        if node["kind"] == "enum":
            self.names.claim(name, f"enum {name!r}", where)
            made = GraphQLEnumType(
                name,
                {check_enum_value(v, where): GraphQLEnumValue(v) for v in node["values"]},
                description=desc,
            )
        else:
            self.names.claim(name, f"{node['kind']} {name!r}", where)
            schema = typegraph.json_schema(self.doc, {"kind": "ref", "name": name})
            made = _checking_scalar(name, Validator(schema), desc)
        self._shared[name] = made
        return made

    def _named_output(self, name: str) -> GraphQLOutputType:
        node = self.types[name]
        if self._is_shared(node):
            return self._shared_type(name)  # type: ignore[return-value]
        found = self._out.get(name)
        if found is not None:
            return found  # type: ignore[return-value]
        where = self._where(name)
        self.names.claim(name, f"{node['kind']} {name!r}", where)
        desc = node.get("description")
        made: GraphQLObjectType | GraphQLUnionType
        if node["kind"] == "struct":
            fields = node["fields"]
            for fname in fields:
                check_name(fname, "field", f"{where}.{fname}")
            made = GraphQLObjectType(
                name,
                lambda: {
                    fname: GraphQLField(
                        self.output(fnode, f"{where}.{fname}"),
                        description=fnode.get("description"),
                    )
                    for fname, fnode in fields.items()
                },
                description=desc,
            )
        else:
            variants = self._struct_variants(node) or []
            checks = [
                (v, Validator(typegraph.json_schema(self.doc, {"kind": "ref", "name": v})))
                for v in variants
            ]
            made = GraphQLUnionType(
                name,
                lambda: [self._named_output(v) for v in variants],  # type: ignore[misc]
                resolve_type=_first_valid(checks),
                description=desc,
            )
        self._out[name] = made
        return made

    def input_name(self, name: str) -> str:
        return f"{name}Input" if name in self.output_names else name

    def _named_input(self, name: str) -> GraphQLInputType:
        node = self.types[name]
        if self._is_shared(node):
            return self._shared_type(name)  # type: ignore[return-value]
        found = self._in.get(name)
        if found is not None:
            return found  # type: ignore[return-value]
        where = self._where(name)
        gname = self.input_name(name)
        self.names.claim(gname, f"the input type of {node['kind']} {name!r}", where)
        desc = node.get("description")
        made: GraphQLInputObjectType
        if node["kind"] == "struct":
            fields = node["fields"]
            for fname in fields:
                check_name(fname, "field", f"{where}.{fname}")
            made = GraphQLInputObjectType(
                gname,
                lambda: {
                    fname: GraphQLInputField(
                        self.input(fnode, f"{where}.{fname}"),
                        default_value=fnode.get("default", Undefined),
                        description=fnode.get("description"),
                    )
                    for fname, fnode in fields.items()
                },
                description=desc,
            )
        else:
            variants = self._struct_variants(node) or []
            made = GraphQLInputObjectType(
                gname,
                lambda: {v: GraphQLInputField(self._named_input(v)) for v in variants},
                description=desc,
                out_type=_one_of_value,
                is_one_of=True,
            )
        self._in[name] = made
        return made
