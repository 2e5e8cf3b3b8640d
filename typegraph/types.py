"""Type objects: what ``t.*`` builds.

Types are immutable: ``.rename()``, ``.describe()``, ``.default()`` and
``.optional()`` return new objects. A type object's identity matters: one
object gets one name in the document (see ``docs/typegraph-document.md``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, Self

__all__ = [
    "UNSET",
    "Boolean",
    "Either",
    "Enum",
    "Float",
    "Integer",
    "List",
    "Optional",
    "Ref",
    "String",
    "Struct",
    "Type",
    "Union",
    "Unset",
]


class Unset:
    """Marker for "no default" (``None`` is a valid default)."""

    _instance: ClassVar[Unset | None] = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET = Unset()

FORMATS = ("uuid", "email", "uri", "date", "date-time")


@dataclass(frozen=True, eq=False, kw_only=True)
class Type:
    """Base of every type. ``kind`` is the document's node kind."""

    kind: ClassVar[str] = ""
    #: Kinds that are always named (live in the document's ``types``).
    always_named: ClassVar[bool] = False

    name: str | None = None
    description: str | None = None
    default_value: Any = UNSET

    def rename(self, name: str) -> Self:
        """The same type under an explicit name (it becomes a named type)."""
        return dataclasses.replace(self, name=name)

    def describe(self, text: str) -> Self:
        return dataclasses.replace(self, description=text)

    def default(self, value: Any) -> Self:
        """A default value (checked against the type when serialised)."""
        return dataclasses.replace(self, default_value=value)

    def optional(self, *, default: Any = UNSET) -> Optional:
        """This type or ``null``; as a struct field it may be absent."""
        return Optional(item=self, default_value=default)

    @property
    def is_named(self) -> bool:
        return self.always_named or self.name is not None

    def children(self) -> list[tuple[tuple[str | int, ...], Type]]:
        """Direct sub-types with their path relative to this node."""
        return []

    def signature(self) -> str:
        """A structural fingerprint (same definition <=> same signature)."""
        return repr(self)


@dataclass(frozen=True, eq=False, kw_only=True)
class Boolean(Type):
    kind: ClassVar[str] = "boolean"


@dataclass(frozen=True, eq=False, kw_only=True)
class Integer(Type):
    kind: ClassVar[str] = "integer"

    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusive_minimum: int | float | None = None
    exclusive_maximum: int | float | None = None
    multiple_of: int | float | None = None


@dataclass(frozen=True, eq=False, kw_only=True)
class Float(Type):
    kind: ClassVar[str] = "float"

    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusive_minimum: int | float | None = None
    exclusive_maximum: int | float | None = None
    multiple_of: int | float | None = None


@dataclass(frozen=True, eq=False, kw_only=True)
class String(Type):
    kind: ClassVar[str] = "string"

    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    format: str | None = None


@dataclass(frozen=True, eq=False, kw_only=True)
class Enum(Type):
    kind: ClassVar[str] = "enum"
    always_named: ClassVar[bool] = True

    values: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False, kw_only=True)
class List(Type):
    kind: ClassVar[str] = "list"

    items: Type
    min_items: int | None = None
    max_items: int | None = None
    unique: bool = False

    def children(self) -> list[tuple[tuple[str | int, ...], Type]]:
        return [(("items",), self.items)]


@dataclass(frozen=True, eq=False, kw_only=True)
class Optional(Type):
    kind: ClassVar[str] = "optional"

    item: Type

    def children(self) -> list[tuple[tuple[str | int, ...], Type]]:
        return [(("item",), self.item)]


@dataclass(frozen=True, eq=False, kw_only=True)
class Struct(Type):
    kind: ClassVar[str] = "struct"
    always_named: ClassVar[bool] = True

    fields: tuple[tuple[str, Type], ...] = ()
    additional_properties: bool = False

    def children(self) -> list[tuple[tuple[str | int, ...], Type]]:
        return [(("fields", k), v) for k, v in self.fields]

    def field(self, name: str) -> Type:
        for k, v in self.fields:
            if k == name:
                return v
        raise KeyError(name)


@dataclass(frozen=True, eq=False, kw_only=True)
class _Variants(Type):
    """A type made of alternatives: `Either` or `Union`."""

    always_named: ClassVar[bool] = True

    variants: tuple[Type, ...] = ()

    def children(self) -> list[tuple[tuple[str | int, ...], Type]]:
        return [(("variants", i), v) for i, v in enumerate(self.variants)]


@dataclass(frozen=True, eq=False, kw_only=True)
class Either(_Variants):
    """Exactly one variant matches (JSON Schema ``oneOf``)."""

    kind: ClassVar[str] = "either"


@dataclass(frozen=True, eq=False, kw_only=True)
class Union(_Variants):
    """At least one variant matches (JSON Schema ``anyOf``)."""

    kind: ClassVar[str] = "union"


@dataclass(frozen=True, eq=False, kw_only=True)
class Ref(Type):
    """A reference, by name, to a named type (for recursive types)."""

    kind: ClassVar[str] = "ref"

    target: str = ""

    def rename(self, name: str) -> Self:
        raise TypeError("t.ref(...) cannot be renamed; rename the type it refers to")
