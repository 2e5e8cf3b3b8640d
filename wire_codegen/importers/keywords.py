"""JSON Schema keywords as the importer sees them: annotations (carried or ignored),
constraints it maps, constraints a typegraph cannot express, and the normal form it works
on (draft 4's boolean exclusive bounds and ``const`` rewritten the 2020-12 way)."""

from __future__ import annotations

from typing import Any

from .issues import Issues

Schema = dict[str, Any]

#: Keywords that constrain nothing: kept as description/default or ignored.
ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "id",
        "$anchor",
        "$dynamicAnchor",
        "$comment",
        "$defs",
        "definitions",
        "$vocabulary",
        "title",
        "description",
        "default",
        "examples",
        "example",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentMediaType",
        "contentEncoding",
        "contentSchema",
        "xml",
        "externalDocs",
    }
)

#: Constraints a typegraph cannot express: reported where they appear, then dropped.
UNSUPPORTED = {
    "not": "`not` cannot be expressed in a typegraph: dropped",
    "if": "`if`/`then`/`else` cannot be expressed in a typegraph: dropped",
    "then": "`if`/`then`/`else` cannot be expressed in a typegraph: dropped",
    "else": "`if`/`then`/`else` cannot be expressed in a typegraph: dropped",
    "patternProperties": "`patternProperties` cannot be expressed in a typegraph: dropped",
    "propertyNames": "`propertyNames` cannot be expressed in a typegraph: dropped",
    "minProperties": "`minProperties` cannot be expressed in a typegraph: dropped",
    "maxProperties": "`maxProperties` cannot be expressed in a typegraph: dropped",
    "dependencies": "`dependencies` cannot be expressed in a typegraph: dropped",
    "dependentRequired": "`dependentRequired` cannot be expressed in a typegraph: dropped",
    "dependentSchemas": "`dependentSchemas` cannot be expressed in a typegraph: dropped",
    "unevaluatedProperties": "`unevaluatedProperties` cannot be expressed in a typegraph: dropped",
    "unevaluatedItems": "`unevaluatedItems` cannot be expressed in a typegraph: dropped",
    "contains": "`contains` cannot be expressed in a typegraph: dropped",
    "minContains": "`minContains` cannot be expressed in a typegraph: dropped",
    "maxContains": "`maxContains` cannot be expressed in a typegraph: dropped",
    "additionalItems": "`additionalItems` cannot be expressed in a typegraph: dropped",
    "$dynamicRef": "`$dynamicRef` cannot be followed by the importer: dropped",
    "$recursiveRef": "`$recursiveRef` cannot be followed by the importer: dropped",
}

#: Keywords that say which JSON type a schema without `type` is about.
TYPE_HINTS = {
    "object": ("properties", "required", "additionalProperties"),
    "array": ("items", "prefixItems", "minItems", "maxItems", "uniqueItems"),
    "string": ("minLength", "maxLength", "pattern"),
    "number": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"),
}

JSON_TYPES = ("null", "boolean", "object", "array", "number", "integer", "string")


def is_annotation(key: str) -> bool:
    return key in ANNOTATIONS or key.startswith("x-")


def constraints(schema: Schema) -> Schema:
    """``schema`` without its annotations."""
    return {k: v for k, v in schema.items() if not is_annotation(k)}


def normalize(schema: Schema) -> Schema:
    """Draft 4 / OpenAPI 3.0 boolean ``exclusiveMinimum``/``exclusiveMaximum`` become the
    numeric bounds of 2020-12, and ``const`` becomes a one-value ``enum``."""
    out = dict(schema)
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        flag = out.get(exclusive)
        if isinstance(flag, bool):
            del out[exclusive]
            if flag and bound in out:
                out[exclusive] = out.pop(bound)
    if "const" in out:
        const = out.pop("const")
        if "enum" in out and isinstance(out["enum"], list):
            out["enum"] = [v for v in out["enum"] if same(v, const)]
        else:
            out["enum"] = [const]
    return out


def strip_unsupported(schema: Schema, ptr: str, issues: Issues) -> Schema:
    """``schema`` without the keywords a typegraph cannot express, each reported at its
    pointer."""
    out = {}
    for key, value in schema.items():
        message = UNSUPPORTED.get(key)
        if message is None:
            out[key] = value
        else:
            issues.add(f"{ptr}/{key}", message)
    return out


def same(a: Any, b: Any) -> bool:
    """JSON equality (``1 == True`` in Python, not in JSON)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(type(a) is type(b) or {type(a), type(b)} <= {int, float}) and a == b
