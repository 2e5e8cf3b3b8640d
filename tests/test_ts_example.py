"""The math example's Python guest and its TypeScript twin answer one table of cases
(tests/math_cases.py) alike: through `wire.Host`, through `wire call` as a process,
through GraphQL, and over mat-wire directly for the guests' own error mapping."""

from __future__ import annotations

import copy
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema
from math_cases import CALLS, WIRE, Call, Wire
from wasmtime.component import Component, Linker, Record, Variant

import typegraph
from wire import Host, WireError
from wire.build import build_guest
from wire.components import load_component
from wire.engine import default_engine
from wire.graphql import Gateway
from wire.protocol import MAT_WIRE, TYPEGATE_WIRE

REPO = Path(__file__).resolve().parent.parent
MATH = REPO / "examples" / "math"
TYPEGRAPHS = {"py": MATH / "typegraph.py", "ts": MATH / "typegraph_ts.py"}
GUESTS = {"py": MATH / "guest", "ts": MATH / "guest-ts"}


def matches(expected: str, actual: str) -> bool:
    """Exact, or a prefix when `expected` ends with `…`."""
    if expected.endswith("…"):
        return actual.startswith(expected[:-1])
    return actual == expected


def check_error(call: Call, code: str, message: str) -> None:
    assert call.error is not None, f"{call.id}: unexpected error [{code}] {message}"
    assert code == call.error[0], f"{call.id}: [{code}] {message}"
    assert matches(call.error[1], message), f"{call.id}: {message!r}"


# -- the twin stays a twin


def test_the_ts_typegraph_mirrors_the_python_one() -> None:
    py, ts = typegraph.load(TYPEGRAPHS["py"]), typegraph.load(TYPEGRAPHS["ts"])
    renamed = {"guest_ts": "guest", "guest_ts_pooled": "guest_pooled"}
    mirrored = copy.deepcopy(ts)
    mirrored["name"] = py["name"]
    mirrored["runtimes"] = {
        renamed[k]: {**v, "component": "guest"} for k, v in ts["runtimes"].items()
    }
    for mat in mirrored["materializers"].values():
        mat["runtime"] = renamed[mat["runtime"]]
    assert mirrored == py, (
        "examples/math/typegraph_ts.py no longer mirrors typegraph.py: make the same change "
        "there, regenerate guest-ts (wire codegen typescript) and implement it in app.ts"
    )


# -- through wire.Host


@pytest.fixture(scope="module", params=sorted(TYPEGRAPHS))
def host(request: pytest.FixtureRequest) -> Iterator[Host]:
    with Host.load(TYPEGRAPHS[request.param]) as h:
        Gateway(h)  # serves the guests' `call` (double calls add through it)
        yield h


@pytest.mark.parametrize("call", CALLS, ids=lambda c: c.id)
def test_calls_through_the_host(host: Host, call: Call) -> None:
    try:
        result = host.call_sync(call.function, call.args)
    except WireError as e:
        check_error(call, e.code, e.message)
    else:
        assert call.error is None, f"{call.id}: expected {call.error}, got {result!r}"
        assert result == call.result


def test_fresh_and_pooled_counters(host: Host) -> None:
    assert [host.call_sync("count", {}) for _ in range(3)] == [1, 1, 1]
    first = host.call_sync("count_pooled", {})
    assert [host.call_sync("count_pooled", {}) for _ in range(2)] == [first + 1, first + 2]


def test_guest_log_stdout_and_traces_reach_the_host_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="wire.guest"), Host.load(TYPEGRAPHS["ts"]) as h:
        assert h.call_sync("greet", {"name": "ada"}) == "hello ada"
        with pytest.raises(WireError):
            h.call_sync("range", {"a": 3, "b": 2})
    lines = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert ("wire.guest.math_ts.guest_ts", logging.INFO, "greeting ada") in lines
    assert ("wire.guest.math_ts.guest_ts", logging.INFO, "stdout works too, ada") in lines
    warnings = [m for _, level, m in lines if level == logging.WARNING]
    assert "RangeError: invalid range: 3 > 2" in warnings
    assert any(w.startswith("range@") for w in warnings)  # the JS stack follows


# -- through `wire call`, as a process


def wire_call(tg: Path, call: Call) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wire.cli", "call", str(tg), call.function, json.dumps(call.args)],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("guest", sorted(TYPEGRAPHS))
def test_calls_through_wire_call(guest: str) -> None:
    build_guest(GUESTS[guest])  # built once here, not by each process at once
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda c: wire_call(TYPEGRAPHS[guest], c), CALLS))
    where = {"py": "math/guest", "ts": "math_ts/guest_ts"}[guest]
    for call, out in zip(CALLS, outs, strict=True):
        if out.returncode == 0:
            assert call.error is None, f"{call.id}: expected {call.error}, got {out.stdout}"
            assert json.loads(out.stdout) == call.result, call.id
            continue
        assert out.returncode == 1 and "panicked" not in out.stderr, out.stderr
        line = next(ln for ln in out.stderr.splitlines() if ln.startswith("error ["))
        code, _, text = line.removeprefix("error [").partition("]: ")
        prefix = where if code != "invalid_input" else f"{where.split('/')[0]}.{call.function}"
        assert text.startswith(prefix + ": "), line
        check_error(call, code, text.removeprefix(prefix + ": "))


# -- through GraphQL


def graphql_query(schema: GraphQLSchema, function: str, args: dict[str, Any]) -> str:
    """`query|mutation($a: Int!, ...) { function(a: $a, ...) { every field } }`."""
    query = schema.query_type
    root, field = ("query", query.fields[function]) if query and function in query.fields else (
        "mutation", schema.mutation_type.fields[function]  # type: ignore[union-attr]
    )  # fmt: skip
    params = ", ".join(f"${name}: {field.args[name].type}" for name in args)
    passed = ", ".join(f"{name}: ${name}" for name in args)
    return (
        f"{root}{f'({params})' if params else ''} "
        f"{{ {function}{f'({passed})' if passed else ''}{selection(field.type)} }}"
    )


def selection(t: Any) -> str:
    while isinstance(t, GraphQLNonNull | GraphQLList):
        t = t.of_type
    if not isinstance(t, GraphQLObjectType):
        return ""
    return " { " + " ".join(name + selection(f.type) for name, f in t.fields.items()) + " }"


def graphql_view(value: Any, like: Any) -> Any:
    """`value` as GraphQL returns it: optional fields that were left out come back null."""
    if isinstance(like, dict) and isinstance(value, dict):
        return {k: graphql_view(value.get(k), v) for k, v in like.items()}
    return value


@pytest.fixture(scope="module", params=sorted(TYPEGRAPHS))
def gateway(request: pytest.FixtureRequest) -> Iterator[Gateway]:
    gw = Gateway.load(TYPEGRAPHS[request.param])
    yield gw
    gw.close()


@pytest.mark.parametrize("call", CALLS, ids=lambda c: c.id)
def test_calls_through_graphql(gateway: Gateway, call: Call) -> None:
    query = graphql_query(gateway.schema, call.function, call.args)
    body = gateway.execute_sync(query, call.args)
    if not body.get("errors"):
        assert call.error is None, f"{call.id}: expected {call.error}, got {body}"
        data = body["data"][call.function]
        assert data == graphql_view(call.result, data), call.id
        return
    (err,) = body["errors"]
    code, message = err["extensions"]["code"], err["message"]
    if code in ("graphql_validation_failed", "invalid_variables"):
        # GraphQL's own type checks stop bad arguments first, in its words.
        assert call.error is not None and call.error[0] == "invalid_input", (call.id, err)
        return
    check_error(call, code, message.partition(": ")[2])


# -- over mat-wire, the component alone: the guests' error mapping


class Instance:
    """One instance of a built guest; its `hostcall` answers `null`, or an error."""

    def __init__(self, wasm: Path, hostcall_error: bool) -> None:
        engine = default_engine()
        component: Component = load_component(engine, wasm).component
        self.store = wasmtime.Store(engine.wasm)
        self.store.set_epoch_deadline(2**62)
        self.store.set_wasi(wasmtime.WasiConfig())
        linker = Linker(engine.wasm)
        linker.add_wasip2()
        reply = (
            Variant("err", json.dumps({"message": "no", "code": "op_failed"}))
            if hostcall_error
            else Variant("ok", "null")
        )
        with linker.root() as root, root.add_instance(TYPEGATE_WIRE) as iface:
            iface.add_func("hostcall", lambda _store, _op, _args: reply)
        inst = linker.instantiate(self.store, component)
        idx = inst.get_export_index(self.store, MAT_WIRE)
        assert idx is not None
        self.funcs = {
            name: inst.get_func(self.store, inst.get_export_index(self.store, name, idx))
            for name in ("init", "handle")
        }

    def call(self, name: str, **fields: Any) -> Any:
        arg = Record()
        for key, value in fields.items():
            setattr(arg, key.replace("_", "-"), value)
        func = self.funcs[name]
        try:
            return func(self.store, arg)
        finally:
            func.post_return(self.store)


def mat_info(op: str) -> Record:
    info = Record()
    for key, value in (("op-name", op), ("mat-title", op), ("mat-hash", "0" * 64),
                       ("mat-data-json", "{}")):  # fmt: skip
        setattr(info, key, value)
    return info


def run_wire(wasm: Path, case: Wire) -> tuple[str, Any]:
    inst = Instance(wasm, case.hostcall_error)
    if case.ops is not None:
        out = inst.call(
            "init", metatype_version="0.5.1", expected_ops=[mat_info(o) for o in case.ops]
        )
        if isinstance(out, Variant):
            return out.tag, getattr(out.payload, "op-name", out.payload)
        assert getattr(out, "ok") is True  # noqa: B009 (an untyped Record)
    if case.op is None:
        return "ok", None
    out = inst.call("handle", op_name=case.op, in_json=case.in_json)
    return (out.tag, out.payload) if isinstance(out, Variant) else ("ok", out)


@pytest.fixture(scope="module")
def wasms() -> dict[str, Path]:
    return {name: build_guest(src) for name, src in GUESTS.items()}


@pytest.mark.parametrize("case", WIRE, ids=lambda c: c.id)
def test_error_mapping_is_identical(wasms: dict[str, Path], case: Wire) -> None:
    got = {name: run_wire(wasm, case) for name, wasm in wasms.items()}
    for name, (tag, payload) in got.items():
        assert tag == case.expect[0], (name, tag, payload)
        if isinstance(case.expect[1], str):
            assert matches(case.expect[1], payload), (name, payload)
        else:
            assert payload == case.expect[1], (name, payload)
    if not case.expect[1] or not str(case.expect[1]).endswith("…"):
        assert got["py"] == got["ts"]
