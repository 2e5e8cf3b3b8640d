"""Benchmark payloads of a given JSON size, all valid for one input type."""

from __future__ import annotations

from typing import Any

import orjson

# The typegraph node every benchmark payload is valid for (struct with an optional list).
ITEM = {
    "kind": "struct",
    "fields": {
        "id": {"kind": "integer", "minimum": 0},
        "name": {"kind": "string", "maxLength": 64},
        "tags": {"kind": "list", "items": {"kind": "string"}, "maxItems": 8},
    },
}
PAYLOAD_FIELDS: dict[str, Any] = {
    "a": {"kind": "integer"},
    "b": {"kind": "string"},
    "items": {
        "kind": "optional",
        "item": {"kind": "list", "items": {"kind": "ref", "name": "Item"}},
    },
}
SIZES = {"22 B": 22, "1 KB": 1024, "64 KB": 64 * 1024}


def payload(size: int) -> dict[str, Any]:
    """A payload whose compact JSON is exactly `size` bytes (size >= 16)."""
    base: dict[str, Any] = {"a": 1, "b": ""}
    items: list[dict[str, Any]] = []
    i = 0
    while True:
        item = {"id": i, "name": f"item-{i}", "tags": ["red", "green"]}
        trial = {**base, "items": [*items, item]}
        if len(orjson.dumps(trial)) > size:
            break
        items.append(item)
        i += 1
    doc: dict[str, Any] = {**base, "items": items} if items else dict(base)
    pad = size - len(orjson.dumps(doc))
    doc["b"] = "x" * pad
    assert len(orjson.dumps(doc)) == size, (size, len(orjson.dumps(doc)))
    return doc
