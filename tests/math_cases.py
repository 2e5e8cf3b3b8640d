"""The one table of cases of the math example, for its Python guest and its TS twin alike.

`CALLS` go through the host (`wire.Host`, `wire call`, GraphQL): a result, or an error code
and message as the host reports it (after `<typegraph>/<runtime>: `). `WIRE` cases drive a
built component directly over mat-wire, for the error paths the host never lets through
(bad JSON, unknown ops, a missing op at init): the guests' own error mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FULL: dict[str, Any] = {
    "id": 1,
    "name": "ünï",
    "shape": "circle",
    "origin": {"x": 1.5, "y": -2.0, "label": "o"},
    "note": "n",
    "corner": {"x": 0.0, "y": 0.25, "label": None},
    "cells": [["a", 1.5], [], [2.0, "b"]],
}
SPARSE: dict[str, Any] = {
    "id": -2,
    "name": "sparse",
    "shape": "square",
    "origin": {"x": 0.0, "y": 0.0},
    "note": None,
    "cells": [],
}


@dataclass(frozen=True)
class Call:
    id: str
    function: str
    args: Any
    result: Any = None
    error: tuple[str, str] | None = None  # (code, message without its `where: ` prefix)


CALLS = [
    Call("add", "add", {"a": 11, "b": 2}, 13),
    Call("add-negative", "add", {"a": -7, "b": 3}, -4),
    Call("range", "range", {"a": 1, "b": 4}, [1, 2, 3, 4]),
    Call("range-one", "range", {"a": 3, "b": 3}, [3]),
    Call("identity-full", "identity", FULL, FULL),
    Call("identity-sparse", "identity", SPARSE, SPARSE),
    Call("greet", "greet", {"name": "ada"}, "hello ada"),
    Call("double-via-call", "double", {"a": 21}, 42),
    Call("count-fresh", "count", {}, 1),
    # Every error path the host can reach.
    Call(
        "range-error",
        "range",
        {"a": 100, "b": 1},
        error=("handler_error", "materializer handler error for op range: invalid range: 100 > 1"),
    ),
    Call(
        "fail",
        "fail",
        {"message": "no luck"},
        error=("handler_error", "materializer handler error for op fail: no luck"),
    ),
    Call(
        "bad-input",
        "add",
        {"a": "x", "b": 1},
        error=("invalid_input", 'invalid arguments: at /a: "x" is not of type "integer"'),
    ),
    Call(
        "bad-enum",
        "identity",
        {**FULL, "shape": "hexagon"},
        error=("invalid_input", "invalid arguments: …"),
    ),
]


@dataclass(frozen=True)
class Wire:
    """`init` with `ops` (None: skip init), then `handle(op, in_json)` when `op` is set.
    `expect`: ("ok", json text) or (variant tag, payload); a payload ending in `…` is a
    prefix (a JSON parser's own wording follows)."""

    id: str
    ops: tuple[str, ...] | None
    op: str | None = None
    in_json: str = ""
    expect: tuple[str, Any] = ("ok", None)
    hostcall_error: bool = False  # the host answers every hostcall with an error


ALL_OPS = ("add", "count", "fail", "greet", "identity", "range")
WIRE = [
    Wire("ok", ALL_OPS, "add", '{"a": 6, "b": 7}', ("ok", "13")),
    Wire("no-init", None, "add", '{"a": 1, "b": 2}', ("no-handler", None)),
    Wire("unknown-op", ALL_OPS, "sqrt", "{}", ("no-handler", None)),
    Wire("op-not-announced", ("count",), "add", '{"a": 1, "b": 2}', ("no-handler", None)),
    Wire(
        "bad-json", ALL_OPS, "add", "{not json", ("in-json-err", "op 'add': input is not JSON: …")
    ),
    Wire(
        "list-input",
        ALL_OPS,
        "add",
        "[1, 2]",
        ("in-json-err", "op 'add': input must be a JSON object, got list"),
    ),
    Wire(
        "string-input",
        ALL_OPS,
        "greet",
        '"ada"',
        ("in-json-err", "op 'greet': input must be a JSON object, got str"),
    ),
    Wire(
        "null-input",
        ALL_OPS,
        "count",
        "null",
        ("in-json-err", "op 'count': input must be a JSON object, got NoneType"),
    ),
    Wire("handler-error", ALL_OPS, "fail", '{"message": "boom"}', ("handler-err", "boom")),
    Wire(
        "hostcall-error",
        ALL_OPS,
        "greet",
        '{"name": "ada"}',
        ("handler-err", "hostcall 'log' failed (op_failed): no"),
        hostcall_error=True,
    ),
    Wire("unexpected-mat", ("add", "sqrt"), expect=("unexpected-mat", "sqrt")),
]
