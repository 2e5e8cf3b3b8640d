"""Inline Python functions run by wire's Python runtime component (built once from
wire/python_runtime/guest, cached): the three forms, their errors, hostcalls, limits and
instance policies, through `Host.call_sync`, GraphQL, `wire call` and `wire serve`."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from messaging import fresh
from serving import serve

from typegraph import Graph, Policy, PythonRuntime, t, typegraph
from wire import (
    DeadlineExceeded,
    GuestInitError,
    HandlerError,
    Host,
    InputInvalid,
    OutputInvalid,
)
from wire.build import typecheck_guest
from wire.graphql import Gateway
from wire.messaging import MessagingService, make_broker
from wire.python_runtime import InlinePythonRuntime
from wire.python_runtime.component import staged_guest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
WIRE = Path(sys.executable).parent / "wire"
EXAMPLE = REPO / "examples" / "inline" / "typegraph.py"
COUNTER = "data/python_inline/counter.py"
P = fresh("py")  # this module's channels


# The functions below travel as source: each imports what it needs itself.


def slugify(inp):  # type: ignore[no-untyped-def]
    import re

    return re.sub(r"[^a-z0-9]+", "-", inp["title"].lower()).strip("-")


def divide(inp):  # type: ignore[no-untyped-def]
    return inp["a"] // inp["b"]


def greet(inp, ctx):  # type: ignore[no-untyped-def]
    ctx.log("info", f"greeting {inp['name']}")
    print(f"stdout of {inp['name']}")
    return f"hello {inp['name']}"


def double(inp, ctx):  # type: ignore[no-untyped-def]
    result = ctx.gql("query($a: Int!) { add(a: $a, b: $a) }", {"a": inp["a"]})
    if result["errors"]:
        raise Exception(f"add failed: {result['errors'][0]['message']}")
    return result["data"]["add"]


def triple(inp, ctx):  # type: ignore[no-untyped-def]
    return ctx.fn.add({"a": inp["a"], "b": ctx.fn.add({"a": inp["a"], "b": inp["a"]})})


def relay(inp, ctx):  # type: ignore[no-untyped-def]
    ctx.send(inp["to"], {"n": inp["n"] * 10})
    return True


def forbidden(inp, ctx):  # type: ignore[no-untyped-def]
    try:
        ctx.send(inp["to"], {"n": 0})
    except Exception as e:  # HostcallError: its code says why
        return e.code
    return "sent"


def inline_document() -> dict[str, Any]:
    @typegraph(name="inline")
    def inline(g: Graph) -> None:
        msg = t.struct({"n": t.integer()}).rename("Msg")
        relayed = t.struct({"n": t.integer(), "to": t.string()}).rename("Relayed")
        g.channel(f"{P}.in", relayed, kind="queue")
        g.channel(f"{P}.out", msg)
        g.channel(f"{P}.secret", msg, kind="queue")
        py = PythonRuntime(channels=[f"{P}.out"])
        pooled = PythonRuntime("pooled", instances="pooled", pool_size=1)
        limited = PythonRuntime("limited", deadline_ms=400, memory_bytes=96 * 2**20)
        pair = t.struct({"a": t.integer(), "b": t.integer()}).rename("Pair")
        name = t.struct({"name": t.string()}).rename("Name")
        nothing = t.struct({}).rename("Nothing")
        text = t.struct({"text": t.string()}).rename("Text")
        g.expose(
            Policy.public(),
            add=py.from_lambda(pair, t.integer(), lambda x: x["a"] + x["b"]),
            slug=py.from_def(t.struct({"title": t.string()}), t.string(), slugify),
            div=py.from_def(pair, t.integer(), divide),
            greet=py.from_def(name, t.string(), greet),
            double=py.from_def(t.struct({"a": t.integer()}), t.integer(), double),
            triple=py.from_def(t.struct({"a": t.integer()}), t.integer(), triple),
            echo=py.import_(text, t.string(), module=COUNTER, name="echo"),
            count=py.import_(nothing, t.integer(), module=COUNTER, name="count"),
            count_pooled=pooled.import_(nothing, t.integer(), module=COUNTER, name="count"),
            wrong=py.from_lambda(nothing, t.integer(), lambda x: "not a number"),
            spin=limited.import_(nothing, t.integer(), module=COUNTER, name="spin"),
            hog=limited.from_lambda(
                t.struct({"mb": t.integer()}), t.integer(), lambda x: len(bytearray(x["mb"] << 20))
            ),
            forbidden=py.from_def(t.struct({"to": t.string()}), t.string(), forbidden),
        )
        g.on(f"{P}.in", py.from_def(relayed, t.boolean(), relay))

    return inline.document()


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    host = Host(inline_document(), TESTS)
    errors = host.start()  # builds (once, cached) and compiles the runtime's component
    assert set(errors.values()) == {None}, errors
    gw = Gateway(host)  # registers `gql`
    yield gw
    gw.close()


@pytest.fixture
def host(gateway: Gateway) -> Host:
    return gateway.host


def test_the_three_forms(host: Host) -> None:
    assert isinstance(host.runtimes["python"], InlinePythonRuntime)
    assert host.call_sync("add", {"a": 11, "b": 2}) == 13
    assert host.call_sync("slug", {"title": "Hello, Inline World!"}) == "hello-inline-world"
    assert host.call_sync("count", {}) == 1


def test_fresh_and_pooled_instances(host: Host) -> None:
    assert [host.call_sync("count", {}) for _ in range(3)] == [1, 1, 1]
    first = host.call_sync("count_pooled", {})
    assert [host.call_sync("count_pooled", {}) for _ in range(2)] == [first + 1, first + 2]


def test_schemas_apply_before_and_after(host: Host) -> None:
    with pytest.raises(InputInvalid, match="b"):
        host.call_sync("add", {"a": 1})
    with pytest.raises(OutputInvalid, match="does not match the output type") as e:
        host.call_sync("wrong", {})
    assert e.value.code == "invalid_output"


def test_an_exception_is_a_handler_error_with_its_line(host: Host) -> None:
    with pytest.raises(HandlerError) as e:
        host.call_sync("div", {"a": 1, "b": 0})
    line = divide.__code__.co_firstlineno + 1
    assert e.value.code == "handler_error"
    assert "ZeroDivisionError: division by zero" in str(e.value)
    assert f"(in function div (test_python_runtime.py, line {line}))" in str(e.value)


def test_log_and_stdout_reach_the_runtimes_logger(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="wire.guest"), Host(inline_document(), TESTS) as h:
        assert h.call_sync("greet", {"name": "ada"}) == "hello ada"
        assert h.call_sync("echo", {"text": "any op"}) == "any op"  # ctx.hostcall("log", ...)
    logged = {(r.name, r.levelname, r.getMessage()) for r in caplog.records}
    assert ("wire.guest.inline.python", "INFO", "greeting ada") in logged
    assert ("wire.guest.inline.python", "WARNING", "echo any op") in logged
    assert ("wire.guest.inline.python", "INFO", "stdout of ada") in logged


def test_gql_goes_back_into_the_typegraph(host: Host) -> None:
    assert host.call_sync("double", {"a": 21}) == 42


def test_ctx_fn_calls_a_function_by_name(host: Host) -> None:
    assert host.call_sync("triple", {"a": 7}) == 21


def test_graphql(gateway: Gateway) -> None:
    got = gateway.execute_sync('{ add(a: 1, b: 2) slug(title: "A b") double(a: 4) }')
    assert got == {"data": {"add": 3, "slug": "a-b", "double": 8}}
    failed = gateway.execute_sync("{ div(a: 1, b: 0) }")
    assert failed["errors"][0]["extensions"]["code"] == "handler_error"


def test_the_deadline_stops_a_spinning_function(host: Host) -> None:
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="deadline of 400 ms"):
        host.call_sync("spin", {})
    assert time.monotonic() - started < 0.4 + 2.0  # a generous bound on a loaded machine
    assert host.call_sync("add", {"a": 1, "b": 1}) == 2  # the host carries on


def test_memory_is_capped(host: Host) -> None:
    assert host.call_sync("hog", {"mb": 1}) == 1 << 20
    with pytest.raises(HandlerError, match="MemoryError"):
        host.call_sync("hog", {"mb": 200})


@pytest.mark.asyncio
async def test_messaging_as_sender_and_as_handler(host: Host) -> None:
    service = MessagingService(host, make_broker("memory://"))
    await service.start()
    try:
        stream = await service.listen(f"{P}.out")
        await service.send(f"{P}.in", {"n": 4, "to": f"{P}.out"})
        received = await asyncio.wait_for(anext(stream), 30)
        assert received.payload == {"n": 40}  # type: ignore[union-attr]
        await stream.aclose()
        denied = await host.call("forbidden", {"to": f"{P}.secret"})
        assert denied == "permission_denied"
    finally:
        await service.stop()


BROKEN = {
    "typegraph.py": """
        from typegraph import Graph, Policy, PythonRuntime, t, typegraph

        @typegraph()
        def broken(g: Graph) -> None:
            py = PythonRuntime()
            i = t.struct({"a": t.integer()})
            g.expose(
                Policy.public(),
                fine=py.from_lambda(i, t.integer(), lambda x: 1),
                parse=py.import_(i, t.integer(), module="syntax.py", name="ok"),
                ratio=py.import_(i, t.float(), module="raises.py", name="ratio"),
                missing=py.import_(i, t.integer(), module="fine.py", name="nope"),
            )
    """,
    "syntax.py": """
        def ok(inp):
            return inp["a"]


        def bad(inp)
            return 1
    """,
    "raises.py": """
        LIMIT = 10
        RATIO = LIMIT / 0


        def ratio(inp):
            return RATIO
    """,
    "fine.py": """
        def score(inp):
            return 1
    """,
}


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    for name, text in BROKEN.items():
        (tmp_path / name).write_text(textwrap.dedent(text).lstrip("\n"))
    return tmp_path / "typegraph.py"


def test_sources_that_do_not_load_fail_at_start_with_function_and_line(broken: Path) -> None:
    with Host.load(broken) as host:
        error = host.start()["python"]
        assert isinstance(error, GuestInitError) and error.code == "guest_init_failed"
        text = str(error)
        assert "function parse (syntax.py, line 5): SyntaxError: expected ':'" in text
        assert "function ratio (raises.py, line 2): ZeroDivisionError: division by zero" in text
        assert "function missing (fine.py): it defines no 'nope'" in text
        with pytest.raises(GuestInitError):  # every function of the runtime reports it
            host.call_sync("fine", {"a": 1})
    out = subprocess.run(
        [str(WIRE), "call", str(broken), "fine", '{"a": 1}'], capture_output=True, text=True
    )
    assert out.returncode == 1
    assert "error [guest_init_failed]" in out.stderr and "syntax.py, line 5" in out.stderr


def test_wire_call_and_wire_serve_run_the_example() -> None:
    out = subprocess.run(
        [str(WIRE), "call", str(EXAMPLE), "score", '{"words": ["wasm", "x"]}'],
        capture_output=True,
        text=True,
        check=True,
    )
    assert orjson.loads(out.stdout) == 1.609
    with serve(EXAMPLE) as server:
        got = server.gql('{ add(a: 1, b: 2) slug(title: "Hi there") double(a: 5) }', path="inline")
    assert got == {"data": {"add": 3, "slug": "hi-there", "double": 10}, "_status": 200}


def test_the_readmes_snippet_is_the_example() -> None:
    from doc_text import blocks, section

    text = section("Inline Python functions")  # the README's
    (snippet,) = blocks(text, "python")
    assert snippet in EXAMPLE.read_text()
    assert '`wire call examples/inline/typegraph.py add \'{"a": 1, "b": 2}\'` → `3`' in text


def test_the_guest_is_strictly_typed_against_its_bindings() -> None:
    typecheck_guest(staged_guest())
