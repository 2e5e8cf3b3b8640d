"""``allOf`` merged into one schema: a typegraph has no intersection type, so the parts'
constraints are combined keyword by keyword (properties united, bounds tightened, ...).

Works on "plain" schemas (no ``allOf``, ``oneOf``, ``anyOf`` nor ``$ref`` with
constraints): `schema.SchemaConverter` resolves those first and distributes the plain
constraints into the variants of a ``oneOf``/``anyOf``.
"""

from __future__ import annotations

import math
from typing import Any

from .issues import Issues
from .keywords import Schema, same

_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems")
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems")


def _types(schema: Schema) -> set[str] | None:
    value = schema.get("type")
    if isinstance(value, str):
        return {value}
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return set(value)
    return None


def _meet(a: set[str], b: set[str]) -> set[str]:
    """Types in both (an integer is a number)."""
    out = set()
    for x in a:
        for y in b:
            if x == y:
                out.add(x)
            elif {x, y} == {"integer", "number"}:
                out.add("integer")
    return out


def merge(a: Schema, b: Schema, ptr: str, issues: Issues) -> Schema:
    """The constraints of both ``a`` and ``b`` in one schema; annotations of ``a`` first.
    What cannot be combined is reported at ``ptr`` (the ``allOf``)."""
    _closed_parts(a, b, ptr, issues)
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
            continue
        mine = out[key]
        if same(mine, value):
            continue
        if key == "type":
            ta, tb = _types(out), _types(b)
            if ta is None or tb is None:
                continue
            both = _meet(ta, tb)
            if not both:
                issues.add(
                    ptr,
                    f"allOf parts have no type in common ({', '.join(sorted(ta))} and "
                    f"{', '.join(sorted(tb))}): the first part's type is kept",
                )
                continue
            order = [t for t in (*sorted(ta), *sorted(tb)) if t in both]
            kept = list(dict.fromkeys(order))
            out["type"] = kept[0] if len(kept) == 1 else kept
        elif key == "properties" and isinstance(mine, dict) and isinstance(value, dict):
            props = dict(mine)
            for name, sub in value.items():
                props[name] = {"allOf": [props[name], sub]} if name in props else sub
            out["properties"] = props
        elif key == "required" and isinstance(mine, list) and isinstance(value, list):
            out["required"] = list(dict.fromkeys([*mine, *value]))
        elif key == "additionalProperties":
            out[key] = _merge_additional(mine, value)
        elif key == "items" and not isinstance(mine, list) and not isinstance(value, list):
            out["items"] = {"allOf": [mine, value]}
        elif key == "enum" and isinstance(mine, list) and isinstance(value, list):
            out["enum"] = [v for v in mine if any(same(v, w) for w in value)]
            if not out["enum"]:
                issues.add(ptr, "allOf parts have no enum value in common: no value is valid")
        elif key in _LOWER and _is_number(mine) and _is_number(value):
            out[key] = max(mine, value)
        elif key in _UPPER and _is_number(mine) and _is_number(value):
            out[key] = min(mine, value)
        elif key == "uniqueItems":
            out[key] = bool(mine) or bool(value)
        elif key == "multipleOf" and _is_number(mine) and _is_number(value):
            out[key] = _common_multiple(mine, value, ptr, issues)
        elif key in ("pattern", "format"):
            issues.add(
                ptr,
                f"allOf parts have two {key}s ({mine!r} and {value!r}): a typegraph string "
                f"has one, the first is kept",
            )
        # any other keyword (an annotation): the first part's is kept
    return out


def _closed_parts(a: Schema, b: Schema, ptr: str, issues: Issues) -> None:
    """Report a part with ``additionalProperties: false`` merged with one that adds
    properties: JSON Schema rejects those (each part checks alone); a merged struct cannot."""
    for closed, other in ((a, b), (b, a)):
        if closed.get("additionalProperties") is False:
            extra = set(other.get("properties") or ()) - set(closed.get("properties") or ())
            if extra:
                issues.add(
                    ptr,
                    "additionalProperties false also rejects the properties another part "
                    f"(of allOf, or a oneOf/anyOf variant) adds ({', '.join(sorted(extra))}): "
                    "imported as one closed object with all of them",
                )


def _merge_additional(mine: Any, value: Any) -> Any:
    if mine is False or value is False:
        return False
    if mine is True:
        return value
    if value is True:
        return mine
    return {"allOf": [mine, value]}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _common_multiple(a: float, b: float, ptr: str, issues: Issues) -> float:
    if isinstance(a, int) and isinstance(b, int) and a > 0 and b > 0:
        return a * b // math.gcd(a, b)
    if a > 0 and b > 0 and (a / b).is_integer():
        return a
    if a > 0 and b > 0 and (b / a).is_integer():
        return b
    issues.add(ptr, f"allOf parts have multipleOf {a!r} and {b!r}: the first is kept")
    return a
