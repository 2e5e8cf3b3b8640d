"""JSON Schema (Draft 2020-12) derived from the document's type nodes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import TypegraphError

__all__ = ["DRAFT_2020_12", "function_schemas", "json_schema", "resolve"]

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

Node = Mapping[str, Any]
Schema = dict[str, Any]

_NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_STRING_KEYS = ("minLength", "maxLength", "pattern", "format")
_LIST_KEYS = ("minItems", "maxItems")


def resolve(doc: Mapping[str, Any], node: Node) -> Node:
    """Follow refs until a non-ref node (or an unresolvable / cyclic ref)."""
    seen: set[str] = set()
    while node.get("kind") == "ref" and node.get("name") not in seen:
        name = node.get("name")
        target = doc.get("types", {}).get(name)
        if target is None:
            return node
        seen.add(name)  # type: ignore[arg-type]
        node = target
    return node


def _node_schema(doc: Mapping[str, Any], node: Node) -> Schema:
    kind = node.get("kind")
    out: Schema
    if kind == "ref":
        out = {"$ref": f"#/$defs/{node['name']}"}
    elif kind == "boolean":
        out = {"type": "boolean"}
    elif kind in ("integer", "float"):
        out = {"type": "integer" if kind == "integer" else "number"}
        out.update((k, node[k]) for k in _NUMBER_KEYS if k in node)
    elif kind == "string":
        out = {"type": "string"}
        out.update((k, node[k]) for k in _STRING_KEYS if k in node)
    elif kind == "enum":
        out = {"type": "string", "enum": list(node["values"])}
    elif kind == "list":
        out = {"type": "array", "items": _node_schema(doc, node["items"])}
        out.update((k, node[k]) for k in _LIST_KEYS if k in node)
        if node.get("uniqueItems"):
            out["uniqueItems"] = True
    elif kind == "optional":
        out = {"anyOf": [_node_schema(doc, node["item"]), {"type": "null"}]}
    elif kind == "struct":
        fields: Mapping[str, Node] = node["fields"]
        out = {
            "type": "object",
            "properties": {k: _node_schema(doc, v) for k, v in fields.items()},
        }
        required = [k for k, v in fields.items() if resolve(doc, v).get("kind") != "optional"]
        if required:
            out["required"] = required
        if not node.get("additionalProperties", False):
            out["additionalProperties"] = False
    elif kind == "either":
        out = {"oneOf": [_node_schema(doc, v) for v in node["variants"]]}
    elif kind == "union":
        out = {"anyOf": [_node_schema(doc, v) for v in node["variants"]]}
    else:
        raise TypegraphError(f"unknown type kind {kind!r}")
    if "description" in node:
        out["description"] = node["description"]
    if "default" in node:
        out["default"] = node["default"]
    return out


def _refs(node: Node) -> list[str]:
    """Names referenced directly (not through other named types) by ``node``."""
    kind = node.get("kind")
    if kind == "ref":
        return [node["name"]]
    children: list[Node] = []
    if kind == "list":
        children = [node["items"]]
    elif kind == "optional":
        children = [node["item"]]
    elif kind == "struct":
        children = list(node["fields"].values())
    elif kind in ("either", "union"):
        children = list(node["variants"])
    return [name for child in children for name in _refs(child)]


def json_schema(doc: Mapping[str, Any], node: Node) -> Schema:
    """A Draft 2020-12 schema for ``node``, a type node of ``doc``.

    Every named type reachable from ``node`` is in ``$defs`` (sorted by name) and
    referenced as ``{"$ref": "#/$defs/Name"}``.
    """
    types: Mapping[str, Node] = doc.get("types", {})
    reachable: set[str] = set()
    todo = _refs(node)
    while todo:
        name = todo.pop()
        if name in reachable:
            continue
        if name not in types:
            raise TypegraphError(f"unknown type {name!r}", ["types", name])
        reachable.add(name)
        todo.extend(_refs(types[name]))
    out: Schema = {"$schema": DRAFT_2020_12}
    out.update(_node_schema(doc, node))
    out["$defs"] = {
        name: {"title": name, **_node_schema(doc, types[name])} for name in sorted(reachable)
    }
    return out


def function_schemas(doc: Mapping[str, Any], function_name: str) -> tuple[Schema, Schema]:
    """(input schema, output schema) of the function ``function_name``."""
    fn = doc.get("functions", {}).get(function_name)
    if fn is None:
        known = ", ".join(doc.get("functions", {})) or "none"
        raise TypegraphError(
            f"unknown function {function_name!r} (functions: {known})",
            ["functions", function_name],
        )
    return (
        json_schema(doc, {"kind": "ref", "name": fn["input"]}),
        json_schema(doc, fn["output"]),
    )
