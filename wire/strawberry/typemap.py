"""The gateway's GraphQL types made again with strawberry's tools, and values both ways.

`wire serve`'s schema (`wire.graphql.build_schema`) decides every name, nullability, role
(input or output), union, scalar, default and description; this module rebuilds each of
its named types for strawberry, so a client sees the same types from a strawberry app:

- object types are `strawberry.type` classes and input types `strawberry.input` classes
  (`one_of` for the `@oneOf` input of a union), built from `strawberry.field`s with their
  GraphQL names set (strawberry's camelCase never applies);
- enums are `strawberry.enum`s (their values served as written), unions
  `Annotated[A | B, strawberry.union(name)]`, and the validating and format scalars
  `strawberry.scalar`s that parse and serialize with the gateway's own functions.

The classes of one typegraph live in a module of their own, as if written in a file: a
field names its type there (`"Optional[T_Point]"`), so types that refer to each other,
cyclic ones too, resolve when strawberry builds the schema.

Arguments arrive as instances of the input classes (and enum members) and go to the
guest as JSON (`arguments`); results come back as JSON and become instances of the object
classes (`output`), so strawberry's default resolvers and union resolution apply.
"""

from __future__ import annotations

import copy
import enum
import functools
import itertools
import keyword
import operator
import sys
import types
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Optional

import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLType,
    GraphQLUnionType,
    Undefined,
    is_specified_scalar_type,
)

import typegraph

from ..graphql.types import FORMAT_SCALARS
from ..validation import Validator

Convert = Callable[[Any], Any]

# The built-in scalars as strawberry spells them (in annotations and in field types).
_BUILTINS: dict[str, Any] = {
    "Int": int,
    "Float": float,
    "String": str,
    "Boolean": bool,
    "ID": strawberry.ID,
}
# Class attributes strawberry reads from a type, and Python keywords: never field names.
_RESERVED = frozenset({"is_type_of", "resolve_type", *keyword.kwlist})
# The format scalars mean the same in every typegraph: one strawberry scalar per name
# lets two bridged typegraphs share it (two scalars of one name would collide).
_FORMAT_NAMES = frozenset(name for name, _url in FORMAT_SCALARS.values())
_shared_scalars: dict[str, Any] = {}
_modules = itertools.count(1)


def python_name(name: str, taken: set[str]) -> str:
    """A Python attribute name for the GraphQL name `name` (which stays the served name)."""
    out = f"{name}_" if name in _RESERVED else name
    while out in taken:
        out += "_"
    taken.add(out)
    return out


def new_class(name: str, body: Mapping[str, Any]) -> type:
    return types.new_class(name, (), {}, lambda ns: ns.update(body))


@dataclass(frozen=True)
class InputShape:
    """How an input class maps back to JSON: (python name, GraphQL name) per field."""

    fields: tuple[tuple[str, str], ...]
    one_of: bool


class TypeMap:
    """Strawberry types for the named types of one gateway schema (served with `prefix`)."""

    def __init__(
        self, schema: GraphQLSchema, document: Mapping[str, Any], prefix: str = ""
    ) -> None:
        self.document = document
        self.prefix = prefix
        name = f"wire.strawberry.typegraphs.{document['name']}_{next(_modules)}"
        doc = f"The strawberry types of typegraph {document['name']!r}."
        self.module = types.ModuleType(name, doc)
        sys.modules[name] = self.module  # strawberry resolves the fields' types in it
        self._ns = self.module.__dict__
        self._ns.update(Optional=Optional, ID=strawberry.ID)  # what annotations name
        self.types: dict[str, Any] = {}  # served GraphQL name -> strawberry type
        self._inputs: dict[type, InputShape] = {}
        self._objects: dict[str, _ObjectOutput] = {}
        self._unions: dict[str, _UnionOutput] = {}
        roots = {
            t.name
            for t in (schema.query_type, schema.mutation_type, schema.subscription_type)
            if t is not None
        }
        named = [
            t
            for n, t in schema.type_map.items()
            if not n.startswith("__") and n not in roots and not is_specified_scalar_type(t)
        ]
        for t in named:
            if not isinstance(t, GraphQLUnionType):
                self._define(t)
        for t in named:  # unions name their member classes: those exist now
            if isinstance(t, GraphQLUnionType):
                self._define_union(t)

    # -- naming -------------------------------------------------------------------------

    def served(self, name: str) -> str:
        """The GraphQL name a type of the gateway's schema gets in the strawberry schema."""
        return f"{self.prefix}{name}"

    @staticmethod
    def _key(name: str) -> str:
        return f"T_{name}"  # never "Optional" or "ID": every key has this prefix

    def _set(self, t: GraphQLNamedType, made: Any) -> None:
        self._ns[self._key(t.name)] = made
        self.types[self.served(t.name)] = made

    # -- annotations ------------------------------------------------------------------

    def annotation(self, t: GraphQLType) -> str:
        """`t` as Python source in the module's namespace (resolved lazily: cycles work)."""
        if isinstance(t, GraphQLNonNull):
            return self._inner_annotation(t.of_type)
        return f"Optional[{self._inner_annotation(t)}]"

    def _inner_annotation(self, t: GraphQLType) -> str:
        if isinstance(t, GraphQLList):
            return f"list[{self.annotation(t.of_type)}]"
        assert isinstance(t, GraphQLNamedType)
        builtin = _BUILTINS.get(t.name)
        return builtin.__name__ if builtin is not None else self._key(t.name)

    def python_type(self, t: GraphQLType) -> Any:
        """`t` as a type object, for root fields and arguments (every type exists then)."""
        if isinstance(t, GraphQLNonNull):
            return self._inner_type(t.of_type)
        return Optional[self._inner_type(t)]  # noqa: UP045 (a runtime type object)

    def _inner_type(self, t: GraphQLType) -> Any:
        if isinstance(t, GraphQLList):
            return list[self.python_type(t.of_type)]  # type: ignore[misc]
        assert isinstance(t, GraphQLNamedType)
        builtin = _BUILTINS.get(t.name)
        return builtin if builtin is not None else self._ns[self._key(t.name)]

    # -- named types ----------------------------------------------------------------------

    def _define(self, t: GraphQLNamedType) -> None:
        if isinstance(t, GraphQLObjectType):
            self._set(t, self._object(t))
        elif isinstance(t, GraphQLInputObjectType):
            self._set(t, self._input(t))
        elif isinstance(t, GraphQLEnumType):
            self._set(t, self._enum(t))
        elif isinstance(t, GraphQLScalarType):
            self._set(t, self._scalar(t))
        else:  # interfaces: the gateway makes none
            raise TypeError(f"cannot bridge GraphQL type {t.name!r} ({type(t).__name__})")

    def _object(self, t: GraphQLObjectType) -> type:
        name = self.served(t.name)
        taken: set[str] = set()
        body: dict[str, Any] = {"__module__": self.module.__name__}
        plan: list[tuple[str, str, GraphQLType]] = []
        for gname, field in t.fields.items():
            py = python_name(gname, taken)
            body[py] = strawberry.field(
                name=gname, description=field.description, graphql_type=self.annotation(field.type)
            )
            plan.append((py, gname, field.type))
        cls = strawberry.type(new_class(name, body), name=name, description=t.description)
        self._objects[t.name] = _ObjectOutput(self, cls, plan)
        return cls

    def _input(self, t: GraphQLInputObjectType) -> type:
        name = self.served(t.name)
        taken: set[str] = set()
        body: dict[str, Any] = {"__module__": self.module.__name__}
        shape: list[tuple[str, str]] = []
        for gname, field in t.fields.items():
            py = python_name(gname, taken)
            default: dict[str, Any] = {}
            value = field.default_value
            if value is not Undefined:
                if type(value).__hash__ is None:  # a list or an object: one copy per use
                    default["default_factory"] = functools.partial(copy.deepcopy, value)
                else:
                    default["default"] = value
            elif not isinstance(field.type, GraphQLNonNull):
                default["default"] = strawberry.UNSET  # may be left out (and is, for the guest)
            body[py] = strawberry.field(
                name=gname,
                description=field.description,
                graphql_type=self.annotation(field.type),
                **default,
            )
            shape.append((py, gname))
        cls = strawberry.input(
            new_class(name, body), name=name, description=t.description, one_of=t.is_one_of
        )
        self._inputs[cls] = InputShape(tuple(shape), t.is_one_of)
        return cls

    def _enum(self, t: GraphQLEnumType) -> Any:
        name = self.served(t.name)
        # Members are named v0, v1...: a value such as `mro` or `_x_` is not a member name
        # Python allows; each one's GraphQL name and value is the typegraph's string.
        members = [
            (f"v{i}", strawberry.enum_value(v.value, name=gname, description=v.description))
            for i, (gname, v) in enumerate(t.values.items())
        ]
        python_enum = enum.Enum(name, members, module=self.module.__name__)  # type: ignore[misc]
        return strawberry.enum(python_enum, name=name, description=t.description)

    def _scalar(self, t: GraphQLScalarType) -> Any:
        name = self.served(t.name)
        shared = t.name in _FORMAT_NAMES and t.name not in self.document["types"]
        if shared and name in _shared_scalars:
            return _shared_scalars[name]
        # Passing a class to `strawberry.scalar` is deprecated in favour of the schema's
        # `scalar_map`, which would make every app list these scalars in its own config.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            made = strawberry.scalar(
                new_class(name, {"__module__": self.module.__name__}),
                name=name,
                description=t.description,
                specified_by_url=t.specified_by_url,
                serialize=t.serialize,
                parse_value=t.parse_value,
                parse_literal=t.parse_literal,
            )
        if shared:
            _shared_scalars[name] = made
        return made

    def _define_union(self, t: GraphQLUnionType) -> None:
        members = [self._ns[self._key(m.name)] for m in t.types]
        variants = functools.reduce(operator.or_, members)
        annotated: Any = Annotated  # a type built at run time
        self._set(
            t,
            annotated[variants, strawberry.union(self.served(t.name), description=t.description)],
        )
        self._unions[t.name] = _UnionOutput(self, [m.name for m in t.types])

    # -- values -------------------------------------------------------------------------

    def arguments(self, names: Mapping[str, str], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """A resolver's keyword arguments as the JSON arguments of the function."""
        return {
            names[py]: self.to_json(value)
            for py, value in kwargs.items()
            if value is not strawberry.UNSET
        }

    def to_json(self, value: Any) -> Any:
        """An argument value (input class instances, enum members, lists) as JSON."""
        if isinstance(value, enum.Enum):
            return value.value
        if isinstance(value, list):
            return [self.to_json(v) for v in value]
        shape = self._inputs.get(type(value))
        if shape is None:
            return value  # a scalar's value: JSON already
        if shape.one_of:  # {Circle: {radius: 1}} -> {radius: 1}, as the gateway does
            for py, _gname in shape.fields:
                chosen = getattr(value, py)
                if chosen is not strawberry.UNSET and chosen is not None:
                    return self.to_json(chosen)
            return None
        out: dict[str, Any] = {}
        for py, gname in shape.fields:
            v = getattr(value, py)
            if v is not strawberry.UNSET:
                out[gname] = self.to_json(v)
        return out

    def output(self, t: GraphQLType) -> Convert | None:
        """How a JSON result of type `t` becomes what strawberry resolves (None: as is)."""
        if isinstance(t, GraphQLNonNull):
            return self.output(t.of_type)
        if isinstance(t, GraphQLList):
            inner = self.output(t.of_type)
            if inner is None:
                return None
            return lambda v: None if v is None else [inner(x) for x in v]
        if isinstance(t, GraphQLObjectType):
            return self._objects[t.name]
        if isinstance(t, GraphQLUnionType):
            return self._unions[t.name]
        return None  # scalars and enums are served from their JSON value

    def object_output(self, name: str) -> Convert:
        return self._objects[name]


class _ObjectOutput:
    """A JSON object as an instance of its strawberry class (fields converted in turn)."""

    def __init__(self, types: TypeMap, cls: type, plan: list[tuple[str, str, GraphQLType]]) -> None:
        self._types = types
        self._cls = cls
        self._plan = plan
        # Made on first use: a field's converter may be this one (a cyclic type).
        self._fields: list[tuple[str, str, Convert | None]] | None = None

    def __call__(self, value: Any) -> Any:
        if value is None:
            return None
        fields = self._fields
        if fields is None:
            fields = self._fields = [
                (py, gname, self._types.output(t)) for py, gname, t in self._plan
            ]
        kwargs = {}
        for py, gname, convert in fields:
            v = value.get(gname)
            kwargs[py] = v if convert is None else convert(v)
        return self._cls(**kwargs)


class _UnionOutput:
    """A JSON value of a union as an instance of its first variant that accepts it (the
    gateway's rule), checked against each variant's JSON Schema."""

    def __init__(self, types: TypeMap, variants: list[str]) -> None:
        self._types = types
        self._variants = [
            (v, Validator(typegraph.json_schema(types.document, {"kind": "ref", "name": v})))
            for v in variants
        ]

    def __call__(self, value: Any) -> Any:
        if value is None:
            return None
        for name, validator in self._variants:
            if validator.is_valid(value):
                return self._types.object_output(name)(value)
        names = ", ".join(v for v, _ in self._variants)
        raise ValueError(f"the value matches no variant of the union ({names}): {value!r}")
