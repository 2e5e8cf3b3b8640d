"""The generated Python clients against a real `wire serve` (uvicorn, the example guests
built from source, the embedded broker): every example, sync and async, `select=`,
unions both ways, the subscription flows, and every error path (API errors with their
code, path and details; transport errors: refused, unknown typegraph, 401, timeouts)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from clients import (
    ADMIN_PASSWORD,
    EDGES,
    JWT_SECRET,
    ORDERS,
    TYPEGRAPHS,
    failing_server,
    free_port,
    import_fresh,
    load,
    serve_env,
    silent_server,
)
from messaging import fresh
from messaging.support import FLOW
from serving import GATEWAY, MATH, Server, serve

PREFIX = fresh("cl")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serve(MATH, GATEWAY, ORDERS, FLOW, EDGES, env=serve_env(PREFIX)) as s:
        yield s


@pytest.fixture(scope="module")
def pkgs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each typegraph's generated client package, imported."""
    import wire_codegen

    out = tmp_path_factory.mktemp("py-clients")
    for name in TYPEGRAPHS:
        wire_codegen.generate("client-python", load(name, PREFIX), None, out)
    return {name: import_fresh(out, f"{name}_client") for name in TYPEGRAPHS}


def url(server: Server, name: str) -> str:
    return f"{server.url}/{name}"


REC: dict[str, Any] = {
    "id": 7,
    "name": "full",
    "shape": "triangle",
    "origin": {"x": 1.5, "y": -2.0, "label": "o"},
    "note": "n",
    "corner": {"x": 0.0, "y": 0.5, "label": None},
    "email": "ada@example.com",
    "tags": ["a", "bc"],
    "cells": [["a", 1.5], [], [2.0, "b"]],
}


# -- the examples ------------------------------------------------------------------


def test_math_through_the_blocking_client(server: Server, pkgs: dict[str, Any]) -> None:
    with pkgs["math"].Client(url(server, "math")) as c:
        assert c.add(a=11, b=2) == 13
        assert c.range(a=1, b=4) == [1, 2, 3, 4]
        assert c.greet(name="Ada") == "hello Ada"
        assert c.double(a=21) == 42  # the guest calls `add` by name (ctx.fn)
        rec = {k: v for k, v in REC.items() if k not in ("email", "tags")}
        assert c.identity(**rec) == rec
        # optional fields left out come back as null
        sparse = {"id": 1, "name": "s", "shape": "square", "origin": {"x": 0.0, "y": 0.0},
                  "cells": [["x", 2.0]]}  # fmt: skip
        assert c.identity(**sparse) == {
            **sparse, "origin": {"x": 0.0, "y": 0.0, "label": None}, "note": None,
            "corner": None,
        }  # fmt: skip
        assert c.identity(**rec, select={"name": True, "origin": {"x": True}}) == {
            "name": "full",
            "origin": {"x": 1.5},
        }
        assert c.count() == 1 and c.count() == 1  # a fresh instance each call
        assert c.count_pooled() < c.count_pooled()  # a warm one


@pytest.mark.asyncio
async def test_math_through_the_async_client(server: Server, pkgs: dict[str, Any]) -> None:
    async with pkgs["math"].AsyncClient(url(server, "math")) as c:
        sums = await asyncio.gather(*(c.add(a=i, b=i) for i in range(5)))
        assert sums == [0, 2, 4, 6, 8]
        assert await c.double(a=4) == 8
        rec = {k: v for k, v in REC.items() if k not in ("email", "tags")}
        assert await c.identity(**rec, select={"id": True}) == {"id": 7}


def test_gateway_records_unions_and_one_of_arguments(server: Server, pkgs: dict[str, Any]) -> None:
    with pkgs["gateway"].Client(url(server, "gateway")) as c:
        assert c.identity(**REC) == REC  # formats, patterns, nested optionals
        records = c.records()
        assert [r["name"] for r in records] == ["sparse", "full"]
        assert c.records(select={"name": True, "corner": {"label": True}}) == [
            {"name": "sparse", "corner": None},
            {"name": "full", "corner": {"label": "c"}},
        ]
        # a union result: each value as its variant, no `__typename`
        assert c.figures() == [{"radius": 1.0}, {"side": 2.0}]
        assert c.figures(select={"Square": True}) == [{}, {"side": 2.0}]
        # a union argument: the variant is found from the value
        assert c.area(figure={"side": 2.0}) == 4.0
        assert c.area(figure={"radius": 1.0}) == pytest.approx(3.14159, rel=1e-5)
        assert c.add_many(n=3) == [1000, 1001, 1002]


def test_edges_recursion_tagged_unions_and_awkward_names(
    server: Server, pkgs: dict[str, Any]
) -> None:
    with pkgs["edges"].Client(url(server, "edges")) as c:
        deep = {"value": 1, "children": [{"value": 2, "children": [
            {"value": 3, "children": [{"value": 4, "children": []}]}]}]}  # fmt: skip
        # selected three levels deep: the fourth is cut, and so are the third's children
        assert c.tree(**deep) == {"value": 1, "children": [{"value": 2, "children": [
            {"value": 3}]}]}  # fmt: skip
        whole = {"children": {"children": {"children": {"children": True, "value": True}}}}
        assert c.tree(**deep, select=whole) == {"children": [{"children": [{"children": [
            {"value": 4, "children": []}]}]}]}  # fmt: skip
        # variants that type `kind` and `size` differently: aliased, and renamed back
        items = [
            {"kind": "circle", "size": 1.5},
            {"kind": "label", "size": "big", "bold": True},
            {"kind": "label", "size": "small", "bold": None},
        ]
        assert c.tagged(items=items) == {"items": items}
        assert c.tagged(items=items, select={"items": {"Label": {"size": True}}}) == {
            "items": [{}, {"size": "big"}, {"size": "small"}]
        }
        words = c.words(from_="a", class_="b", select_=1, self_=2, email="x@example.com",
                        id="0b8b1f6e-4c7c-4b53-9a30-06f3e7a0c3a1", at="2024-05-01T10:00:00Z",
                        ids=["p", "q"])  # fmt: skip
        assert words == {
            "from": "a", "class": "b", "select": 1, "self": 2, "email": "x@example.com",
            "id": "0b8b1f6e-4c7c-4b53-9a30-06f3e7a0c3a1", "at": "2024-05-01T10:00:00Z",
            "ids": ["p", "q"], "unit": "m",
        }  # fmt: skip  # `unit` left out: its default
        assert c.words(from_="a", select_=1, unit="ft", select={"unit": True}) == {"unit": "ft"}
        assert c.wide(x=2.0**40) == {"x": 2.0**40}  # wider than Int: a float


@pytest.mark.asyncio
async def test_the_orders_flow_subscribe_then_publish_then_see(
    server: Server, pkgs: dict[str, Any]
) -> None:
    async with pkgs["orders"].AsyncClient(url(server, "orders")) as c:
        async with c.shipped() as shipped:
            # `async with` returns once the server listens: nothing sent from now is missed
            assert await c.place(id=1, item="book", qty=7) is True
            assert await anext(shipped) == {"id": 1, "parcels": 3}
            assert await c.place_order(id=2, item="pen", qty=1) is True  # ctx.send in a guest
            assert await anext(shipped) == {"id": 2, "parcels": 1}
        async with c.shipped(select={"parcels": True}) as parcels:
            await c.place(id=3, item="pen", qty=4)
            assert await anext(parcels) == {"parcels": 2}
        # `async for` starts it as well, and leaving the block ends it
        received = []
        subscription = c.shipped()
        async with subscription:
            await c.place(id=4, item="pen", qty=2)
            async for message in subscription:
                received.append(message)
                break
        assert received == [{"id": 4, "parcels": 1}]
    await wait_for_no_subscriptions(server, "orders")


@pytest.mark.asyncio
async def test_the_flow_typegraph_publishes_and_streams(
    server: Server, pkgs: dict[str, Any]
) -> None:
    async with pkgs["flow"].AsyncClient(url(server, "flow")) as c, c.done() as done:
        # the handler `send` of `<P>.jobs` publishes the payload on `<P>.done`
        assert await c.jobs(channel=f"{PREFIX}.done", payload={"n": 5}) is True
        assert await anext(done) == {"n": 5}
    async with pkgs["edges"].AsyncClient(url(server, "edges")) as c, c.notes() as notes:
        assert await c.note(message="hello") is True  # a channel of plain strings
        assert await anext(notes) == "hello"
    await wait_for_no_subscriptions(server, "flow")
    await wait_for_no_subscriptions(server, "edges")


async def wait_for_no_subscriptions(server: Server, typegraph: str) -> None:
    """Every subscription the client closed is gone from the server too."""
    for _ in range(200):
        health = server.client.get(f"{server.url}/health").json()
        if health["typegraphs"][typegraph]["subscriptions"] == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"subscriptions of {typegraph} still open: {health}")


# -- API errors ----------------------------------------------------------------------


def test_invalid_input_carries_code_path_and_details(server: Server, pkgs: dict[str, Any]) -> None:
    gateway = pkgs["gateway"]
    with gateway.Client(url(server, "gateway")) as c:
        with pytest.raises(gateway.ApiError) as caught:
            c.add_many(n=5000)
        e = caught.value
        assert e.code == "invalid_input"
        assert e.path == ["add_many"]
        assert e.details == [{"path": "n", "message": "5000 is greater than the maximum of 1000"}]
        assert "5000 is greater than the maximum of 1000" in e.message
        assert str(e).startswith("invalid_input: ")
        assert e.data is None and len(e.errors) == 1
        assert isinstance(e, gateway.ClientError) and not isinstance(e, gateway.TransportError)
        with pytest.raises(gateway.ApiError) as caught:
            c.identity(**{**REC, "email": "not an email"})
        assert caught.value.code == "invalid_variables"  # the Email scalar refuses it


def test_handler_errors_and_32_bit_ints(server: Server, pkgs: dict[str, Any]) -> None:
    math = pkgs["math"]
    with math.Client(url(server, "math")) as c:
        with pytest.raises(math.ApiError) as caught:
            c.fail(message="boom")
        assert caught.value.code == "handler_error" and caught.value.path == ["fail"]
        assert "boom" in caught.value.message
        with pytest.raises(math.ApiError) as caught:
            c.add(a=2**40, b=1)
        assert caught.value.code == "invalid_variables"
        assert "Int cannot represent non 32-bit signed integer value" in caught.value.message


def test_a_bad_message_is_not_published(server: Server, pkgs: dict[str, Any]) -> None:
    orders = pkgs["orders"]
    with orders.Client(url(server, "orders")) as c, pytest.raises(orders.ApiError) as caught:
        c.place(id=0, item="", qty=1)
    assert caught.value.code == "invalid_payload"
    assert {d["path"] for d in caught.value.details} == {"id", "item"}


@pytest.mark.asyncio
async def test_policies_deny_calls_and_subscriptions(server: Server, pkgs: dict[str, Any]) -> None:
    gateway, flow = pkgs["gateway"], pkgs["flow"]
    with gateway.Client(url(server, "gateway")) as c:
        for call in (c.forbidden, c.secret, c.stats, lambda: c.drop_note(id=1)):
            with pytest.raises(gateway.ApiError) as caught:
                call()
            assert caught.value.code == "policy_denied"
    async with flow.AsyncClient(url(server, "flow")) as c:
        with pytest.raises(flow.ApiError) as caught:
            async with c.denied():
                pass
        assert caught.value.code == "policy_denied"
        assert "denied by policy 'deny'" in caught.value.message


def test_credentials_bearer_and_basic(server: Server, pkgs: dict[str, Any]) -> None:
    gateway = pkgs["gateway"]
    admin = jwt.encode({"role": "admin"}, JWT_SECRET, algorithm="HS256")
    with gateway.Client(url(server, "gateway"), token=admin) as c:
        assert c.stats() == 42
    with gateway.Client(url(server, "gateway"), basic=("admin", ADMIN_PASSWORD)) as c:
        assert c.stats() == 42
        assert c.save_note(text="hi") == "saved: hi"
    user = jwt.encode({"role": "user"}, JWT_SECRET, algorithm="HS256")
    with gateway.Client(url(server, "gateway"), token=user) as c:
        with pytest.raises(gateway.ApiError) as caught:
            c.stats()
        assert caught.value.code == "policy_denied"
    with pytest.raises(ValueError, match="either token= or basic="):
        gateway.Client(url(server, "gateway"), token=admin, basic=("a", "b"))


# -- transport errors ----------------------------------------------------------------


@pytest.mark.asyncio
async def test_bad_credentials_are_unauthorized(server: Server, pkgs: dict[str, Any]) -> None:
    gateway, orders = pkgs["gateway"], pkgs["orders"]
    forged = jwt.encode({"role": "admin"}, "another secret that is long enough for hs256!", "HS256")
    with gateway.Client(url(server, "gateway"), token=forged) as c:
        with pytest.raises(gateway.Unauthorized) as caught:
            c.stats()
        assert caught.value.status == 401 and caught.value.code == "unauthenticated"
        assert "invalid bearer token" in caught.value.message
    wrong = gateway.Client(url(server, "gateway"), basic=("admin", "wrong"))
    with wrong as c, pytest.raises(gateway.Unauthorized, match="wrong user or password"):
        c.add(a=1, b=2)
    async with orders.AsyncClient(url(server, "orders"), token=forged) as c:
        with pytest.raises(orders.Unauthorized) as refused:
            await c.place(id=1, item="a", qty=1)
        with pytest.raises(orders.Unauthorized) as closed:
            async with c.shipped():
                pass
    assert isinstance(refused.value, orders.TransportError)
    assert "invalid bearer token" in closed.value.message  # the socket closed with 4403


@pytest.mark.asyncio
async def test_an_unknown_server_or_typegraph(server: Server, pkgs: dict[str, Any]) -> None:
    math, orders = pkgs["math"], pkgs["orders"]
    nowhere = f"http://127.0.0.1:{free_port()}/math"
    with math.Client(nowhere) as c, pytest.raises(math.ConnectFailed, match="cannot connect"):
        c.add(a=1, b=2)
    async with math.AsyncClient(nowhere) as c:
        with pytest.raises(math.ConnectFailed):
            await c.add(a=1, b=2)
    async with orders.AsyncClient(f"http://127.0.0.1:{free_port()}/orders") as c:
        with pytest.raises(orders.ConnectFailed):
            async with c.shipped():
                pass
    with math.Client(url(server, "nope")) as c, pytest.raises(math.HttpError) as caught:
        c.add(a=1, b=2)
    assert caught.value.status == 404 and caught.value.code == "unknown_typegraph"
    assert "no typegraph at /nope" in caught.value.message
    async with orders.AsyncClient(url(server, "nope")) as c:
        with pytest.raises(orders.Disconnected) as gone:
            async with c.shipped():
                pass
    assert gone.value.close_code == 4404


def test_a_server_error_is_an_http_error(pkgs: dict[str, Any]) -> None:
    math = pkgs["math"]
    with (
        failing_server() as base,
        math.Client(f"{base}/math") as c,
        pytest.raises(math.HttpError) as caught,
    ):
        c.add(a=1, b=2)
    assert caught.value.status == 502 and caught.value.code is None
    assert caught.value.message == "upstream is down"
    assert isinstance(caught.value, math.TransportError)
    assert not isinstance(caught.value, math.Unauthorized)


@pytest.mark.asyncio
async def test_timeouts(pkgs: dict[str, Any]) -> None:
    math, orders = pkgs["math"], pkgs["orders"]
    with silent_server() as base:
        # the client's timeout fired, not the default one (30 s)
        quick = math.Client(f"{base}/math", timeout=0.3)
        with quick as c, pytest.raises(math.TimedOut, match=r"no answer within 0\.3 s"):
            c.add(a=1, b=2)
        async with math.AsyncClient(f"{base}/math", timeout=0.3) as c:
            with pytest.raises(math.TimedOut, match=r"no answer within 0\.3 s"):
                await c.add(a=1, b=2)
        async with orders.AsyncClient(f"{base}/orders", timeout=0.3) as c:
            with pytest.raises(orders.TimedOut, match=r"no WebSocket handshake within 0\.3 s"):
                async with c.shipped():
                    pass


def test_the_readme_snippets(server: Server, pkgs: dict[str, Any], tmp_path: Path) -> None:
    """The Python snippets of the README's *Integrate* and of docs/clients.md run as
    written, against this server."""
    from doc_text import blocks, section

    (readme,) = blocks(section("Integrate"), "python")
    docs = blocks(section("Python", "docs/clients.md"), "python")
    assert docs
    namespace: dict[str, Any] = {}
    for block in (readme, *docs):
        code = block.replace("http://127.0.0.1:7890", server.url)
        exec(compile(code, "README.md", "exec"), namespace)
