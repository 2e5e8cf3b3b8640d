"""The document: its JSON Schema, `validate_document`, `dumps`."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources
from typing import Any

import jsonschema_rs

from .checks import check_node
from .errors import TypegraphError
from .schema import json_schema

__all__ = [
    "FORMAT",
    "Document",
    "check_defaults",
    "document_schema",
    "dumps",
    "validate_document",
]

FORMAT = "wire-typegraph/1"

#: A typegraph document: a JSON-ready dict (see docs/typegraph-document.md).
Document = dict[str, Any]

Path = list[str | int]


@functools.cache
def document_schema() -> dict[str, Any]:
    """The JSON Schema of the document (``typegraph/document.schema.json``)."""
    text = resources.files(__package__).joinpath("document.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _document_validator() -> Any:
    return jsonschema_rs.Draft202012Validator(document_schema())


def dumps(doc: Mapping[str, Any]) -> str:
    """Stable JSON text of a document (its key order kept, 2-space indent)."""
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False)


def _nodes(node: Mapping[str, Any], path: Path) -> Iterator[tuple[Mapping[str, Any], Path]]:
    """``node`` and its inline descendants (refs are not followed)."""
    yield node, path
    kind = node.get("kind")
    if kind == "list":
        yield from _nodes(node["items"], [*path, "items"])
    elif kind == "optional":
        yield from _nodes(node["item"], [*path, "item"])
    elif kind == "struct":
        for key, child in node["fields"].items():
            yield from _nodes(child, [*path, "fields", key])
    elif kind in ("either", "union"):
        for i, child in enumerate(node["variants"]):
            yield from _nodes(child, [*path, "variants", i])


def check_defaults(
    doc: Mapping[str, Any], nodes: Sequence[tuple[Mapping[str, Any], Sequence[str | int]]]
) -> None:
    """Every node's ``default`` must be valid for the node (checked with jsonschema-rs)."""
    for node, path in nodes:
        if "default" not in node:
            continue
        validator = jsonschema_rs.validator_for(json_schema(doc, node), validate_formats=True)
        errors = list(validator.iter_errors(node["default"]))
        if errors:
            raise TypegraphError(
                f"default {node['default']!r} does not match the type: {errors[0].message}; "
                "fix the default or the type",
                path,
            )


def validate_document(doc: Any) -> None:
    """Check ``doc`` against the document schema and the cross-reference rules;
    raise `TypegraphError` (with the path in the document) on the first problem."""
    if not isinstance(doc, dict):
        raise TypegraphError(f"a typegraph document is a JSON object, got {type(doc).__name__}")
    errors = list(_document_validator().iter_errors(doc))
    if errors:
        # the deepest error is the most specific one
        error = max(errors, key=lambda e: len(e.instance_path))
        raise TypegraphError(
            f"{error.message} (document schema: /{'/'.join(map(str, error.schema_path))})",
            list(error.instance_path),
        )
    types: dict[str, Any] = doc["types"]
    roots: list[tuple[Mapping[str, Any], Path]] = [
        (node, ["types", name]) for name, node in types.items()
    ]
    for name, fn in doc["functions"].items():
        roots.append((fn["output"], ["functions", name, "output"]))
    for name, ch in doc["channels"].items():
        roots.append((ch["message"], ["channels", name, "message"]))
    with_defaults: list[tuple[Mapping[str, Any], Path]] = []
    for root, root_path in roots:
        for node, path in _nodes(root, root_path):
            check_node(dict(node), path)
            if node["kind"] == "ref" and node["name"] not in types:
                raise TypegraphError(f"unknown type {node['name']!r}", [*path, "name"])
            if "default" in node:
                with_defaults.append((node, path))

    for name, mat in doc["materializers"].items():
        if mat["runtime"] not in doc["runtimes"]:
            raise TypegraphError(
                f"unknown runtime {mat['runtime']!r}", ["materializers", name, "runtime"]
            )
    for name, pol in doc["policies"].items():
        if pol["kind"] == "custom" and pol["materializer"] not in doc["materializers"]:
            raise TypegraphError(
                f"unknown materializer {pol['materializer']!r}",
                ["policies", name, "materializer"],
            )
    _check_messaging_runtimes(doc)
    for name, rt in doc["runtimes"].items():
        for i, ch in enumerate(rt.get("grants", {}).get("channels", [])):
            if ch not in doc["channels"]:
                raise TypegraphError(
                    f"unknown channel {ch!r}", ["runtimes", name, "grants", "channels", i]
                )
    for name, fn in doc["functions"].items():
        fpath: Path = ["functions", name]
        target = types.get(fn["input"])
        if target is None:
            raise TypegraphError(f"unknown type {fn['input']!r}", [*fpath, "input"])
        if target["kind"] != "struct":
            raise TypegraphError(
                f"the input of a function must be a struct, but {fn['input']!r} is a "
                f"{target['kind']}",
                [*fpath, "input"],
            )
        if fn["materializer"] not in doc["materializers"]:
            raise TypegraphError(
                f"unknown materializer {fn['materializer']!r}", [*fpath, "materializer"]
            )
        if fn["policies"] and not fn["exposed"]:
            raise TypegraphError(
                f"function {name!r} has policies but is not exposed", [*fpath, "policies"]
            )
        _check_chain(doc, fn["policies"], fpath)
    for name, op in doc.get("channel_ops", {}).items():
        opath: Path = ["channel_ops", name]
        if name in doc["functions"]:
            raise TypegraphError(
                f"{name!r} names both a function and a channel operation; rename one", opath
            )
        if op["channel"] not in doc["channels"]:
            raise TypegraphError(f"unknown channel {op['channel']!r}", [*opath, "channel"])
        if not op["policies"]:
            raise TypegraphError(f"channel operation {name!r} has no policy", [*opath, "policies"])
        _check_chain(doc, op["policies"], opath)
    for name, ch in doc["channels"].items():
        message = ch["message"]
        bound = [("handlers", i, h) for i, h in enumerate(ch.get("handlers", []))]
        bound += [("responders", i, h) for i, h in enumerate(ch.get("responders", []))]
        for fn_name in ch.get("options", {}):
            if fn_name not in ch.get("handlers", []) + ch.get("responders", []):
                raise TypegraphError(
                    f"options for {fn_name!r}, which is not a handler or responder of the channel",
                    ["channels", name, "options", fn_name],
                )
        for role, i, handler in bound:
            hpath: Path = ["channels", name, role, i]
            fn = doc["functions"].get(handler)
            if fn is None:
                raise TypegraphError(
                    f"unknown function {handler!r}: register it with g.define({handler}=...) "
                    "or g.expose(...)",
                    hpath,
                )
            if message.get("kind") != "ref" or message.get("name") != fn["input"]:
                shown = message.get("name", message.get("kind"))
                raise TypegraphError(
                    f"handler {handler!r} takes {fn['input']!r} but the channel carries "
                    f"{shown!r}; use the same t.struct for the message and the handler's input",
                    hpath,
                )
    check_defaults(doc, with_defaults)


def _check_messaging_runtimes(doc: Mapping[str, Any]) -> None:
    """The functions of a messaging-world runtime are channel handlers, nothing else."""

    def world(mat_id: str) -> str | None:
        mat = doc["materializers"].get(mat_id)
        rt = doc["runtimes"].get(mat["runtime"], {}) if mat else {}
        return rt.get("world") if rt.get("kind") == "messaging" else None

    for name, pol in doc["policies"].items():
        if pol["kind"] == "custom" and (w := world(pol["materializer"])):
            raise TypegraphError(
                f"a {w} component cannot decide policies", ["policies", name, "materializer"]
            )
    for name, fn in doc["functions"].items():
        if fn["exposed"] and (w := world(fn["materializer"])):
            raise TypegraphError(
                f"{name!r} is the handler of a {w} component: it cannot be exposed; bind it "
                "to a channel as a handler",
                ["functions", name, "exposed"],
            )
    for name, ch in doc["channels"].items():
        for i, fn_name in enumerate(ch.get("responders", [])):
            fn = doc["functions"].get(fn_name)
            if fn and (w := world(fn["materializer"])):
                raise TypegraphError(
                    f"{fn_name!r} is the handler of a {w} component: it cannot be a responder; "
                    "make it a handler and reply from the guest",
                    ["channels", name, "responders", i],
                )


def _check_chain(doc: Mapping[str, Any], chain: list[Any], path: Path) -> None:
    for i, entry in enumerate(chain):
        refs = entry.items() if isinstance(entry, dict) else [(None, entry)]
        for key, pol in refs:
            if pol not in doc["policies"]:
                where = [*path, "policies", i] + ([key] if key else [])
                raise TypegraphError(f"unknown policy {pol!r}", where)
