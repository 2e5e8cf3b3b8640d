"""Type constructors: ``from typegraph import t`` then ``t.integer(min=0)``.

Every constructor also takes ``name=`` (same as ``.rename()``),
``description=`` (``.describe()``) and ``default=`` (``.default()``).
Bounds and names are checked when the typegraph is serialised, where the
error can say where the type is used.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import Any

from .func import Effect, Func
from .materializer import Materializer
from .types import (
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

__all__ = [
    "boolean",
    "either",
    "enum",
    "float",
    "func",
    "integer",
    "list",
    "optional",
    "ref",
    "string",
    "struct",
    "union",
]

_Number = builtins.int | builtins.float


def _bounds(
    min: _Number | None,
    max: _Number | None,
    x_min: _Number | None,
    x_max: _Number | None,
    multiple_of: _Number | None,
) -> dict[str, Any]:
    return {
        "minimum": min,
        "maximum": max,
        "exclusive_minimum": x_min,
        "exclusive_maximum": x_max,
        "multiple_of": multiple_of,
    }


def _common(name: str | None, description: str | None, default: Any) -> dict[str, Any]:
    return {"name": name, "description": description, "default_value": default}


def boolean(
    *, name: str | None = None, description: str | None = None, default: Any = UNSET
) -> Boolean:
    return Boolean(name=name, description=description, default_value=default)


def integer(
    min: _Number | None = None,
    max: _Number | None = None,
    *,
    x_min: _Number | None = None,
    x_max: _Number | None = None,
    multiple_of: _Number | None = None,
    name: str | None = None,
    description: str | None = None,
    default: Any = UNSET,
) -> Integer:
    """An integer; ``min``/``max`` inclusive, ``x_min``/``x_max`` exclusive bounds."""
    return Integer(
        **_bounds(min, max, x_min, x_max, multiple_of), **_common(name, description, default)
    )


def float(
    min: _Number | None = None,
    max: _Number | None = None,
    *,
    x_min: _Number | None = None,
    x_max: _Number | None = None,
    multiple_of: _Number | None = None,
    name: str | None = None,
    description: str | None = None,
    default: Any = UNSET,
) -> Float:
    """A number (JSON Schema ``number``); bounds as for `integer`."""
    return Float(
        **_bounds(min, max, x_min, x_max, multiple_of), **_common(name, description, default)
    )


def string(
    min: builtins.int | None = None,
    max: builtins.int | None = None,
    *,
    pattern: str | None = None,
    format: str | None = None,
    name: str | None = None,
    description: str | None = None,
    default: Any = UNSET,
) -> String:
    """A string; ``min``/``max`` bound its length in code points, ``pattern`` is
    searched (unanchored), ``format`` is one of uuid, email, uri, date, date-time."""
    return String(
        min_length=min,
        max_length=max,
        pattern=pattern,
        format=format,
        name=name,
        description=description,
        default_value=default,
    )


def enum(
    values: Sequence[str],
    *,
    name: str | None = None,
    description: str | None = None,
    default: Any = UNSET,
) -> Enum:
    return Enum(values=tuple(values), name=name, description=description, default_value=default)


def list(
    items: Type,
    min: builtins.int | None = None,
    max: builtins.int | None = None,
    *,
    unique: builtins.bool = False,
    name: str | None = None,
    description: str | None = None,
    default: Any = UNSET,
) -> List:
    return List(
        items=items,
        min_items=min,
        max_items=max,
        unique=unique,
        name=name,
        description=description,
        default_value=default,
    )


def optional(
    item: Type,
    *,
    name: str | None = None,
    description: str | None = None,
    default: Any = UNSET,
) -> Optional:
    return Optional(item=item, name=name, description=description, default_value=default)


def struct(
    fields: Mapping[str, Type],
    *,
    additional_properties: builtins.bool = False,
    name: str | None = None,
    description: str | None = None,
    default: Any = UNSET,
) -> Struct:
    """An object with ordered ``fields``; unknown fields are rejected unless
    ``additional_properties=True``. Optional fields may be absent."""
    return Struct(
        fields=tuple(fields.items()),
        additional_properties=additional_properties,
        name=name,
        description=description,
        default_value=default,
    )


def either(
    variants: Sequence[Type],
    *,
    name: str | None = None,
    description: str | None = None,
    default: Any = UNSET,
) -> Either:
    """Exactly one of ``variants`` matches (``oneOf``)."""
    return Either(
        variants=tuple(variants), name=name, description=description, default_value=default
    )


def union(
    variants: Sequence[Type],
    *,
    name: str | None = None,
    description: str | None = None,
    default: Any = UNSET,
) -> Union:
    """At least one of ``variants`` matches (``anyOf``)."""
    return Union(
        variants=tuple(variants), name=name, description=description, default_value=default
    )


def ref(name: str, *, description: str | None = None) -> Ref:
    """The named type ``name`` (declared elsewhere with ``.rename(name)``);
    use it for recursive types."""
    return Ref(target=name, description=description)


def func(
    input: Struct | Ref,
    output: Type,
    materializer: Materializer,
    effect: Effect = "read",
    *,
    description: str | None = None,
) -> Func:
    """A function: ``input`` (a struct), ``output`` and the materializer that runs it."""
    return Func(
        input=input,
        output=output,
        materializer=materializer,
        effect=effect,
        description=description,
    )
