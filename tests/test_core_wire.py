"""Core modules speaking the wire protocol (the `core_wire` kind, docs/core-wire.md).

The guests are WAT modules (tests/guests/core), which the host compiles from their text:
echo, a hostcall user, a module that misbehaves in every way the ABI allows (each error
kind, traps, an endless loop, unbounded memory, pointers and lengths outside its memory,
replies that are not the envelope), one whose `wire_init` fails, one whose `wire_alloc`
hands out a bad buffer, and one that shows what WASI gives it."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from doc_text import blocks, section
from guests import build_wat_guest
from serving import Server, serve
from test_reflected import run_session

from typegraph import CoreRuntime, Graph, Policy, t, typegraph, validate_document
from wire import (
    ComponentLoadError,
    DeadlineExceeded,
    GuestInitError,
    GuestInJsonError,
    GuestTrap,
    HandlerError,
    Host,
    HostcallRegistry,
    NoHandler,
    OutputInvalid,
    WireError,
    default_registry,
)
from wire.core_wire import GuestAbiError

REPO = Path(__file__).resolve().parent.parent
CORE = REPO / "tests" / "guests" / "core"
CORE_TG = REPO / "tests" / "core_typegraph.py"
WIRE = Path(sys.executable).parent / "wire"
MiB = 2**20

Empty = t.struct({}, name="Empty")
Anything = t.optional(t.struct({}, additional_properties=True, name="Anything"))
Number = t.optional(t.integer())
MakeHost = Callable[..., Host]


@pytest.fixture
def make_host() -> Iterator[MakeHost]:
    """Hosts of one core runtime of `module` whose functions are its ops (name -> (input,
    output)); `runtime` are its settings."""
    made: list[Host] = []

    def make(
        module: str | Path,
        ops: dict[str, tuple[Any, Any]],
        hostcalls: HostcallRegistry | None = None,
        **runtime: Any,
    ) -> Host:
        path = module if isinstance(module, Path) else CORE / f"{module}.wat"

        @typegraph(name="core")
        def core(g: Graph) -> None:
            rt = CoreRuntime(str(path), name="rt", **runtime)
            g.expose(
                Policy.public(), **{op: rt.handler(i, o, name=op) for op, (i, o) in ops.items()}
            )

        host = Host(core.document(), REPO, hostcalls=hostcalls or default_registry())
        made.append(host)
        return host

    yield make
    for host in made:
        host.close()


MISBEHAVE_OPS = [
    "nohandler", "injson", "fail", "trap", "loop", "grow", "count", "ptr", "zsize",
    "json", "envelope", "kind", "only", "hostbad",
]  # fmt: skip


def misbehave(make_host: MakeHost, **runtime: Any) -> Host:
    return make_host("misbehave", {op: (Empty, Number) for op in MISBEHAVE_OPS}, **runtime)


# -- the protocol -------------------------------------------------------------------------


def test_echo_sees_the_op_and_its_input(make_host: MakeHost) -> None:
    text = t.struct({"text": t.string()}, name="Text")
    host = make_host("echo", {"echo": (text, t.struct({"op": t.string(), "input": text}))})
    for value in ("hi", "ünïcode ç🎉", "x" * 300_000):  # the last grows its memory
        assert host.call_sync("echo", {"text": value}) == {"op": "echo", "input": {"text": value}}


def test_the_output_schema_is_checked(make_host: MakeHost) -> None:
    host = make_host("echo", {"echo": (t.struct({"n": t.integer()}), t.integer())})
    with pytest.raises(OutputInvalid, match="does not match the output type"):
        host.call_sync("echo", {"n": 1})


def test_hostcalls(make_host: MakeHost, caplog: pytest.LogCaptureFixture) -> None:
    registry = default_registry()
    registry.register(
        "twice",
        lambda _ctx, args: {"n": args["n"] * 2, "caller": _ctx.function},
        args_schema={"type": "object", "properties": {"n": {"type": "integer"}}},
        result_schema={"type": "object"},
    )
    n = t.struct({"n": t.integer()}, name="N")
    log = t.struct({"level": t.string(), "message": t.string()}, name="Log")
    host = make_host(
        "hostcaller",
        {"twice": (n, Anything), "log": (log, Anything), "nope": (Empty, Anything)},
        hostcalls=registry,
    )
    assert host.call_sync("twice", {"n": 21}) == {"n": 42, "caller": "twice"}
    with caplog.at_level(logging.INFO, logger="wire.guest"):
        assert host.call_sync("log", {"level": "warning", "message": "hi from core"}) is None
    assert ("wire.guest.core.rt", "hi from core") in [
        (r.name, r.getMessage()) for r in caplog.records
    ]
    with pytest.raises(HandlerError) as err:
        host.call_sync("nope", {})
    assert err.value.message == (
        'materializer handler error for op nope: {"code":"op_404","message":"unknown hostcall '
        "op 'nope' (known ops: http, log, twice)\"}"
    )


@pytest.mark.parametrize(
    ("op", "error", "message"),
    [
        ("nohandler", NoHandler, "materializer doesn't implement handler for op nohandler"),
        (
            "injson",
            GuestInJsonError,
            "materializer failed deserializing json args for op injson: expected an object",
        ),
        ("fail", HandlerError, "materializer handler error for op fail: it failed"),
    ],
)
def test_each_error_kind(
    make_host: MakeHost, op: str, error: type[WireError], message: str
) -> None:
    with pytest.raises(error) as err:
        misbehave(make_host).call_sync(op, {})
    assert (err.value.message, err.value.where) == (message, "core/rt")


def test_init_failure_marks_the_runtime_failed(make_host: MakeHost) -> None:
    host = make_host("initfail", {"f": (Empty, Number)})
    err = host.start()["rt"]
    assert isinstance(err, GuestInitError) and err.message == "init failed: no configuration"
    with pytest.raises(GuestInitError):
        host.call_sync("f", {})


def test_instances_fresh_or_pooled(make_host: MakeHost) -> None:
    fresh = misbehave(make_host)
    assert [fresh.call_sync("count", {}) for _ in range(3)] == [1, 1, 1]
    pooled = misbehave(make_host, instances="pooled", pool_size=1)
    assert [pooled.call_sync("count", {}) for _ in range(3)] == [1, 2, 3]


# -- traps and limits -----------------------------------------------------------------------


def test_a_trap_discards_the_instance(make_host: MakeHost) -> None:
    host = misbehave(make_host, instances="pooled", pool_size=1)
    assert host.call_sync("count", {}) == 1
    with pytest.raises(GuestTrap) as err:
        host.call_sync("trap", {})
    assert err.value.message == (
        "op 'trap' trapped: wasm trap: wasm `unreachable` instruction executed; the instance "
        "was discarded"
    )
    assert host.call_sync("count", {}) == 1  # a new instance


def test_the_deadline_stops_an_endless_loop(make_host: MakeHost) -> None:
    host = misbehave(make_host, deadline_ms=300)
    start = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="op 'loop' ran past its deadline of 300 ms"):
        host.call_sync("loop", {})
    assert time.monotonic() - start < 0.3 + 2  # generous on a loaded machine
    assert host.call_sync("count", {}) == 1


def test_the_memory_cap_stops_unbounded_growth(make_host: MakeHost) -> None:
    host = misbehave(make_host, memory_bytes=4 * MiB)
    with pytest.raises(GuestTrap, match="op 'grow' trapped"):
        host.call_sync("grow", {})
    big = make_host("echo", {"echo": (t.struct({"s": t.string()}), Anything)}, memory_bytes=MiB)
    with pytest.raises(GuestTrap, match="trapped"):  # its wire_alloc cannot grow past 1 MiB
        big.call_sync("echo", {"s": "x" * 2 * MiB})


# -- the ABI broken: a clean error, never a host crash ------------------------------------


@pytest.mark.parametrize(
    ("op", "message"),
    [
        (
            "ptr",
            "the reply of wire_handle at 2147418112..2147418128 (ptr 2147418112, len 16) lies "
            "outside the module's memory of 65536 bytes",
        ),
        (
            "zsize",
            "the reply of wire_handle at 16..2147483663 (ptr 16, len 2147483647) lies outside "
            "the module's memory of 65536 bytes",
        ),
        (
            "json",
            "the reply of wire_handle for op 'json' is not JSON (invalid literal, expected "
            "'null': line 1 column 1 (char 0)): b'nope'",
        ),
        (
            "envelope",
            "the reply of wire_handle for op 'envelope' is not {\"ok\": value} or "
            '{"error": {"kind": ..., "message": ...}}: b\'{"x":1}\'',
        ),
        (
            "kind",
            "the reply of wire_handle for op 'kind' is an error of kind 'weird' (kinds: "
            "no-handler, in-json-err, handler-err)",
        ),
        ("only", "the reply of wire_handle for op 'only' is empty (ptr 0, len 0)"),
        (
            "hostbad",
            "the hostcall's op name at 2147418112..2147418115 (ptr 2147418112, len 3) lies "
            "outside the module's memory of 65536 bytes",
        ),
    ],
)
def test_a_module_breaking_the_abi_gets_a_clean_error(
    make_host: MakeHost, op: str, message: str
) -> None:
    host = misbehave(make_host, instances="pooled", pool_size=1)
    assert host.call_sync("count", {}) == 1
    with pytest.raises(GuestAbiError) as err:
        host.call_sync(op, {})
    assert (err.value.code, err.value.message, err.value.where) == (
        "guest_abi_error",
        message,
        "core/rt",
    )
    assert host.call_sync("count", {}) == 1  # the instance was discarded


def test_a_bad_buffer_from_wire_alloc(make_host: MakeHost) -> None:
    host = make_host("badalloc", {"f": (Empty, Number)})
    with pytest.raises(
        GuestAbiError,
        match=r"wire_alloc.s buffer at 4294967280\.\.4294967301 \(ptr 4294967280, len 21\)",
    ):
        host.call_sync("f", {})


# -- what a module may be -------------------------------------------------------------------


MODULE_ERRORS = [
    (
        '(module (memory (export "memory") 1) (func (export "wire_alloc") (param i32) (result i32) '
        "(i32.const 0)))",
        "the module does not export 'wire_handle': a core_wire module exports memory, "
        "wire_alloc and wire_handle (docs/core-wire.md)",
    ),
    (
        '(module (func (export "wire_alloc") (param i32) (result i32) (i32.const 0)))',
        "the module does not export its memory as 'memory'",
    ),
    (
        '(module (memory (export "memory") 1) (func (export "wire_alloc") (param i32) (result i32) '
        '(i32.const 0)) (func (export "wire_handle") (param i32 i32) (result i32) (i32.const 0)))',
        "the module's 'wire_handle' is (i32, i32) -> (i32); the ABI wants (i32, i32) -> (i64)",
    ),
    (
        '(module (import "env" "secret" (func)) (memory (export "memory") 1) '
        '(func (export "wire_alloc") (param i32) (result i32) (i32.const 0)) '
        '(func (export "wire_handle") (param i32 i32) (result i64) (i64.const 0)))',
        "the module imports env.secret, which the host does not provide: a core_wire module "
        "may import wire.hostcall and wasi_snapshot_preview1 (without files, environment or "
        "network)",
    ),
    (
        '(module (import "wire" "hostcall" (func (param i32 i32) (result i64))) '
        '(memory (export "memory") 1) '
        '(func (export "wire_alloc") (param i32) (result i32) (i32.const 0)) '
        '(func (export "wire_handle") (param i32 i32) (result i64) (i64.const 0)))',
        "the module imports wire.hostcall as something other than (i32, i32, i32, i32) -> (i64)",
    ),
    ("(module (func", "not a valid WebAssembly module: "),
]


@pytest.mark.parametrize(("wat", "message"), MODULE_ERRORS)
def test_a_module_off_the_abi_is_a_clear_load_error(
    make_host: MakeHost, tmp_path: Path, wat: str, message: str
) -> None:
    path = tmp_path / "m.wat"
    path.write_text(wat)
    err = make_host(path, {"f": (Empty, Number)}).start()["rt"]
    assert isinstance(err, ComponentLoadError), err
    assert message in err.message and err.where == str(path)


def test_a_component_or_a_folder_is_not_a_module(make_host: MakeHost, tmp_path: Path) -> None:
    err = make_host(build_wat_guest("echo"), {"f": (Empty, Number)}).start()["rt"]
    assert err is not None and "this is a WebAssembly component, not a core module" in str(err)
    err = make_host(tmp_path, {"f": (Empty, Number)}).start()["rt"]
    assert err is not None and "runs a module (.wasm or .wat), not a folder" in str(err)
    err = make_host(tmp_path / "gone.wasm", {"f": (Empty, Number)}).start()["rt"]
    assert err is not None and "module not found" in str(err)


def test_a_binary_module_is_compiled_once(make_host: MakeHost, tmp_path: Path) -> None:
    import wasmtime

    path = tmp_path / "echo.wasm"
    path.write_bytes(wasmtime.wat2wasm((CORE / "echo.wat").read_text()))
    text = t.struct({"s": t.string()}, name="S")
    host = make_host(path, {"e": (text, Anything)}, instances="pooled")
    assert host.call_sync("e", {"s": "bin"}) == {"op": "e", "input": {"s": "bin"}}


def test_wasi_without_environment_or_files(
    make_host: MakeHost, caplog: pytest.LogCaptureFixture
) -> None:
    host = make_host("wasi", {"w": (Empty, t.list(t.integer()))})
    with caplog.at_level(logging.INFO, logger="wire.guest"):
        assert host.call_sync("w", {}) == [0, 8]  # no variables; fd 3: EBADF, no preopens
        host.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "wire.guest.core.rt"]
    assert lines == ["hello from a module"]


# -- the DSL and the document ----------------------------------------------------------------


def test_the_document_of_a_core_runtime() -> None:
    @typegraph(name="doc")
    def doc(g: Graph) -> None:
        rt = CoreRuntime("guests/echo.wat", deadline_ms=500)
        g.expose(Policy.public(), e=rt.handler(t.struct({}), t.integer(), name="echo"))

    document = doc.document()
    validate_document(document)
    assert document["runtimes"] == {
        "echo": {
            "kind": "core_wire",
            "component": "guests/echo.wat",
            "instances": {"policy": "fresh"},
            "limits": {"deadline_ms": 500, "memory_bytes": 128 * MiB},
        }
    }


# -- wire call and GraphQL -----------------------------------------------------------------


def test_wire_call() -> None:
    out = subprocess.run(
        [str(WIRE), "call", str(CORE_TG), "echo", '{"text": "hi"}'],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (out.returncode, out.stdout) == (0, '{"op":"echo","input":{"text":"hi"}}\n'), out.stderr


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serve(CORE_TG) as s:
        yield s


def test_graphql(server: Server) -> None:
    body = server.gql('{ echo(text: "hé") { op input { text } } }', path="core")
    assert body["data"] == {"echo": {"op": "echo", "input": {"text": "hé"}}}
    (err,) = server.gql("{ fail }", path="core")["errors"]
    assert err["extensions"]["code"] == "handler_error"
    assert err["message"] == "core/misbehave: materializer handler error for op fail: it failed"
    (err,) = server.gql("{ spin }", path="core")["errors"]
    assert err["extensions"]["code"] == "deadline_exceeded"


def test_graphql_policies_decided_by_a_module(server: Server) -> None:
    assert server.gql("{ admitted }", path="core")["data"] == {"admitted": 1}
    (err,) = server.gql("{ refused }", path="core")["errors"]
    assert err["extensions"]["code"] == "policy_denied"


def test_the_docs_and_the_readme_are_true(tmp_path: Path) -> None:
    """The echo of docs/core-wire.md is the tests' echo.wat, and docs/runtimes.md's section
    runs it."""
    docs = (REPO / "docs" / "core-wire.md").read_text()
    (wat,) = re.findall(r"^```wat\n(.*?)^```", docs, re.S | re.M)
    assert wat == (CORE / "echo.wat").read_text()
    text = section("Core modules speaking wire (core_wire)", "docs/runtimes.md")
    (source,) = blocks(text, "python")
    (session,) = blocks(text, "sh")
    (tmp_path / "core.py").write_text(source)
    (tmp_path / "echo.wat").write_text(wat)
    run_session(session, tmp_path)
