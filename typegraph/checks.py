"""Checks on document type nodes, shared by serialisation and `validate_document`.

Each check gets the node (a dict of the document) and its path, and raises a
`TypegraphError` that says what is wrong and how to fix it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import jsonschema_rs

from .errors import TypegraphError
from .names import check_name
from .types import FORMATS

__all__ = ["FORMATS", "check_node"]

Path = Sequence[str | int]

_NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(value: float) -> str:
    return repr(value)


def _check_count(node: dict[str, Any], key: str, path: Path) -> int | None:
    value = node.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypegraphError(f"{key} must be a non-negative integer, got {value!r}", path)
    return value


def _check_numbers(node: dict[str, Any], path: Path) -> None:
    for key in _NUMBER_KEYS:
        value = node.get(key)
        if value is None:
            continue
        if not _is_number(value) or not math.isfinite(value):
            raise TypegraphError(f"{key} must be a finite number, got {value!r}", path)
    mult = node.get("multipleOf")
    if mult is not None and mult <= 0:
        raise TypegraphError(f"multipleOf must be greater than 0, got {_fmt(mult)}", path)
    lo, hi = node.get("minimum"), node.get("maximum")
    xlo, xhi = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
    if lo is not None and hi is not None and lo > hi:
        raise TypegraphError(f"minimum {_fmt(lo)} is greater than maximum {_fmt(hi)}", path)
    if xlo is not None and xhi is not None and xlo >= xhi:
        raise TypegraphError(
            f"exclusive minimum {_fmt(xlo)} is not less than exclusive maximum {_fmt(xhi)}",
            path,
        )
    if lo is not None and xhi is not None and lo >= xhi:
        raise TypegraphError(
            f"minimum {_fmt(lo)} is not less than exclusive maximum {_fmt(xhi)}", path
        )
    if xlo is not None and hi is not None and xlo >= hi:
        raise TypegraphError(
            f"exclusive minimum {_fmt(xlo)} is not less than maximum {_fmt(hi)}", path
        )
    if node.get("kind") == "integer":
        lows = [math.ceil(lo)] if lo is not None else []
        if xlo is not None:
            lows.append(math.floor(xlo) + 1)
        highs = [math.floor(hi)] if hi is not None else []
        if xhi is not None:
            highs.append(math.ceil(xhi) - 1)
        if lows and highs and max(lows) > min(highs):
            raise TypegraphError("no integer lies within the bounds; widen them", path)


def _check_string(node: dict[str, Any], path: Path) -> None:
    lo = _check_count(node, "minLength", path)
    hi = _check_count(node, "maxLength", path)
    if lo is not None and hi is not None and lo > hi:
        raise TypegraphError(f"minimum length {lo} is greater than maximum length {hi}", path)
    pattern = node.get("pattern")
    if pattern is not None:
        if not isinstance(pattern, str):
            raise TypegraphError(f"pattern must be a string, got {pattern!r}", path)
        try:
            re.compile(pattern)
        except re.error as exc:
            raise TypegraphError(
                f"invalid pattern {pattern!r}: {exc}; write a regular expression "
                "(JSON Schema semantics: unanchored search)",
                path,
            ) from None
        try:
            jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
        except Exception as exc:  # the host's validator must accept it too
            raise TypegraphError(
                f"pattern {pattern!r} is not supported by the JSON Schema validator: {exc}",
                path,
            ) from None
    fmt = node.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise TypegraphError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}", path)


def _check_enum(node: dict[str, Any], path: Path) -> None:
    values = node.get("values")
    if not isinstance(values, list) or not values:
        raise TypegraphError("an enum needs at least one value", path)
    seen: set[str] = set()
    for value in values:
        if not isinstance(value, str):
            raise TypegraphError(f"enum values must be strings, got {value!r}", path)
        if value in seen:
            raise TypegraphError(f"duplicate enum value {value!r}", path)
        seen.add(value)


def _check_list(node: dict[str, Any], path: Path) -> None:
    lo = _check_count(node, "minItems", path)
    hi = _check_count(node, "maxItems", path)
    if lo is not None and hi is not None and lo > hi:
        raise TypegraphError(f"minimum items {lo} is greater than maximum items {hi}", path)
    if not isinstance(node.get("uniqueItems", False), bool):
        raise TypegraphError("uniqueItems must be a boolean", path)


def _check_struct(node: dict[str, Any], path: Path) -> None:
    fields = node.get("fields")
    if not isinstance(fields, dict):
        raise TypegraphError("a struct needs fields: an object of name -> type", path)
    for name in fields:
        check_name(name, "field", [*path, "fields", name])
    if not isinstance(node.get("additionalProperties", False), bool):
        raise TypegraphError("additionalProperties must be a boolean", path)


def _check_variants(node: dict[str, Any], path: Path) -> None:
    variants = node.get("variants")
    count = len(variants) if isinstance(variants, list) else 0
    if count < 2:
        raise TypegraphError(
            f"t.{node['kind']} needs at least 2 variants, got {count}; "
            "use the single type directly",
            path,
        )


def check_node(node: dict[str, Any], path: Path) -> None:
    """Check one type node (not its children, which are checked on their own)."""
    kind = node.get("kind")
    description = node.get("description")
    if description is not None and not isinstance(description, str):
        raise TypegraphError(f"description must be a string, got {description!r}", path)
    if kind in ("integer", "float"):
        _check_numbers(node, path)
    elif kind == "string":
        _check_string(node, path)
    elif kind == "enum":
        _check_enum(node, path)
    elif kind == "list":
        _check_list(node, path)
    elif kind == "struct":
        _check_struct(node, path)
    elif kind in ("either", "union"):
        _check_variants(node, path)
