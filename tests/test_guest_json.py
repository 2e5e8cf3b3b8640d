"""The guest SDK's JSON (`loads`, `dumps` in the generated runtime.py): what `json.loads` and
`json.dumps(..., separators=(",", ":"), ensure_ascii=False)` give, values and errors alike.

They call `json`'s C scanner and encoder directly (a guest call was half JSON framing); here
on the host's CPython, and through every Python guest the other tests build and run."""

from __future__ import annotations

import importlib
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SDK = Path(__file__).resolve().parent.parent / "examples" / "math" / "guest"

TEXTS = [
    '{"id":12345,"item":"book","qty":7}',
    "[1,2.5,-3e10,true,false,null]",
    '"snow \\u2603 \\n"',
    "0",
    "-0.0",
    '{"a":{"b":[{"c":[]}]},"":{}}',
    ' {"a": 1} ',  # whitespace around: json.loads's own path
    '{\n  "a": [1, 2]\n}',
    "NaN",
    "[Infinity,-Infinity]",
    '"é ü 日本"',
]
BAD_TEXTS = ["", " ", "{", '{"a":1}x', "[1,]", "nul", "{'a': 1}", '{"a":1} {"b":2}', "\ufeff{}"]
VALUES: list[Any] = [
    {"id": 1, "parcels": 3},
    [1, 2.5, None, True, False, "x"],
    'snow ☃ \n "quoted" \\',
    {"nested": {"list": [{"deep": [1.0, 1e300, -0.0]}]}, "": ""},
    {1: "int key", 2.5: "float key", False: "bool key", None: "none key"},
    (1, 2),
    12345678901234567890,
    "日本語",
    [],
    {},
]


@pytest.fixture(scope="module")
def runtime() -> Iterator[ModuleType]:
    sys.path.insert(0, str(SDK))
    try:
        yield importlib.import_module("wire_sdk.runtime")
    finally:
        sys.path.remove(str(SDK))
        for name in [m for m in sys.modules if m == "wire_sdk" or m.startswith("wire_sdk.")]:
            del sys.modules[name]


@pytest.mark.parametrize("text", TEXTS)
def test_loads_gives_what_json_loads_gives(runtime: ModuleType, text: str) -> None:
    got, want = runtime.loads(text), json.loads(text)
    if isinstance(want, float) and math.isnan(want):
        assert math.isnan(got)
    else:
        assert got == want and type(got) is type(want)


@pytest.mark.parametrize("text", BAD_TEXTS)
def test_loads_fails_as_json_loads_does(runtime: ModuleType, text: str) -> None:
    with pytest.raises(ValueError) as want:
        json.loads(text)
    with pytest.raises(ValueError) as got:
        runtime.loads(text)
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("allow_nan", [True, False])
def test_dumps_gives_what_json_dumps_gives(
    runtime: ModuleType, value: Any, allow_nan: bool
) -> None:
    want = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=allow_nan)
    assert runtime.dumps(value, allow_nan=allow_nan) == want


def test_dumps_errors_are_json_dumps_errors(runtime: ModuleType) -> None:
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        runtime.dumps({"x": math.nan}, allow_nan=False)
    assert runtime.dumps([math.nan, math.inf]) == "[NaN,Infinity]"
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        runtime.dumps({"x": {1, 2}})
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference detected"):
        runtime.dumps(loop)
    # The check starts afresh each call: a failed call leaves nothing behind.
    shared = [1]
    assert runtime.dumps([shared, shared]) == "[[1],[1]]"


def test_dumps_without_the_c_encoder(runtime: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "_make_encoder", None)
    assert runtime.dumps({"a": ["é", 1.5]}) == '{"a":["é",1.5]}'
    with pytest.raises(ValueError):
        runtime.dumps(math.inf, allow_nan=False)
