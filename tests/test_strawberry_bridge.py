"""`wire.strawberry`: a typegraph's functions inside a strawberry app's own schema.

The example app (`examples/strawberry_app`) and a test app with the gateway example
(policies, auth) run on uvicorn in a subprocess and are called over real HTTP; the
channels of the orders example run on the embedded broker behind a strawberry app served
in this test's event loop (to count its open subscriptions); the guests are the examples'
own, built from source, and WAT guests.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import socket
import sys
import types
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry
import uvicorn as uvicorn_server
from conftest import make_document
from graphql import build_client_schema, get_introspection_query, print_type
from serving import Server, serve
from strawberry.asgi import GraphQL
from strawberry.exceptions import DuplicatedTypeName
from strawberry.tools import merge_types
from strawberry_apps import EXAMPLES, REPO, Uvicorn, uvicorn
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

import wire.strawberry
from wire import Host, default_registry
from wire.graphql import AuthContext, SchemaError

MATH = EXAMPLES / "math" / "typegraph.py"
GATEWAY = EXAMPLES / "gateway" / "typegraph.py"
ORDERS = EXAMPLES / "orders" / "typegraph.py"
REC_FIELDS = "id name shape origin { x y label } note corner { x y label } cells"
ADMIN_PASSWORD = "s3cret"

SPIN_TYPEGRAPH = """
from typegraph import Graph, Policy, WireRuntime, t, typegraph


@typegraph()
def spin(g: Graph) -> None:
    busy = WireRuntime({loop!r}, name="busy", deadline_ms=4000)
    quick = WireRuntime({echo!r}, name="quick")
    v = t.struct({{"v": t.integer()}}).rename("V")
    g.expose(
        Policy.public(),
        spin=busy.handler(t.struct({{}}).rename("Nothing"), v, name="spin"),
        echo=quick.handler(v, v, name="echo"),
    )
"""


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    assert len(body["errors"]) == 1, body
    err: dict[str, Any] = body["errors"][0]
    return err


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@strawberry.type
class Team:  # a team's own fields
    @strawberry.field
    def hello(self) -> str:
        return "hi"


# -- the schema a client sees ------------------------------------------------------------


INTROSPECTION = get_introspection_query(specified_by_url=True, one_of=True)


@pytest.fixture(scope="module")
def served() -> Iterator[Server]:
    """`wire serve` of the examples, in a process of its own (strawberry patches graphql-core's
    shared introspection types in every process that builds a strawberry schema)."""
    with serve(MATH, GATEWAY, ORDERS) as server:
        yield server


@pytest.mark.parametrize("path", [MATH, GATEWAY, ORDERS], ids=lambda p: p.parent.name)
def test_a_client_sees_the_schema_wire_serve_gives(served: Server, path: Path) -> None:
    fields = wire.strawberry.load(path)
    try:
        query = merge_types("Query", (Team, fields.Query) if fields.Query else (Team,))
        schema = strawberry.Schema(
            query=query, mutation=fields.Mutation, subscription=fields.Subscription
        )
        ours = schema.execute_sync(INTROSPECTION)
    finally:
        fields.host.close()
    assert ours.errors is None, ours.errors
    theirs = served.gql(INTROSPECTION, path=path.parent.name)
    assert "errors" not in theirs, theirs
    served_schema = build_client_schema(theirs["data"])
    bridged = build_client_schema(ours.data)  # type: ignore[arg-type]
    compared = 0
    for name, t in served_schema.type_map.items():
        if name.startswith("__"):
            continue
        if name in ("Query", "Mutation", "Subscription"):
            mine = bridged.type_map[name].fields  # type: ignore[attr-defined]
            for fname, field in t.fields.items():  # type: ignore[attr-defined]
                if fname == "_typegraph":  # the gateway's stand-in when nothing is read
                    continue
                assert str(mine[fname].type) == str(field.type), (name, fname)
                assert mine[fname].description == field.description, (name, fname)
                got = {a: (str(v.type), v.default_value) for a, v in mine[fname].args.items()}
                want = {a: (str(v.type), v.default_value) for a, v in field.args.items()}
                assert got == want, (name, fname)
                compared += 1
            continue
        assert name in bridged.type_map, f"{name} is missing from the strawberry schema"
        assert print_type(bridged.type_map[name]) == print_type(t)
        compared += 1
    assert compared >= 5
    assert "hello" in bridged.type_map["Query"].fields  # type: ignore[attr-defined]


# -- the example app over HTTP -------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> Iterator[Uvicorn]:
    app_dir = str(EXAMPLES / "strawberry_app")
    with uvicorn("--app-dir", app_dir, "app:app") as server:
        yield server
    assert "Application shutdown complete." in server.output, server.output


def test_the_example_serves_the_teams_fields_and_the_typegraphs(example: Uvicorn) -> None:
    body = example.gql('{ hello(name: "team") add(a: 11, b: 2) range(a: 1, b: 3) }')
    assert body == {"data": {"hello": "Hello, team!", "add": 13, "range": [1, 2, 3]}}
    assert example.gql("mutation { count }") == {"data": {"count": 1}}
    # `double` calls `add` by name (its `call` hostcall, which the bridge's gateway serves)
    assert example.gql("{ double(a: 21) }") == {"data": {"double": 42}}


def test_the_example_maps_nested_types_both_ways(example: Uvicorn) -> None:
    rec: dict[str, Any] = {
        "id": 7,
        "name": "full",
        "shape": "triangle",
        "origin": {"x": 1.5, "y": -2.0, "label": "o"},
        "note": "n",
        "corner": {"x": 0.0, "y": 0.5, "label": None},
        "cells": [["a", 1.5], [], [2.0, "b"]],
    }
    query = (
        "query($id: Int!, $name: String!, $shape: Shape!, $origin: PointInput!, "
        "$note: String, $corner: PointInput, $cells: [[Cell!]!]!) { identity(id: $id, "
        "name: $name, shape: $shape, origin: $origin, note: $note, corner: $corner, "
        f"cells: $cells) {{ {REC_FIELDS} }} }}"
    )
    assert example.gql(query, rec) == {"data": {"identity": rec}}
    # left out, optional fields reach the guest absent and come back null
    literal = (
        '{ identity(id: 1, name: "s", shape: square, origin: {x: 0, y: 0}, '
        f'cells: [["x", 2]]) {{ {REC_FIELDS} }} }}'
    )
    assert example.gql(literal)["data"]["identity"] == {
        "id": 1,
        "name": "s",
        "shape": "square",
        "origin": {"x": 0.0, "y": 0.0, "label": None},
        "note": None,
        "corner": None,
        "cells": [["x", 2]],
    }


def test_the_example_reports_a_guest_error_with_its_code(example: Uvicorn) -> None:
    body = example.gql("{ hello range(a: 100, b: 1) }")
    err = only_error(body)
    assert err["extensions"] == {"code": "handler_error"}
    assert "invalid range: 100 > 1" in err["message"]
    assert err["path"] == ["range"]
    assert body["data"] is None  # `range` is non-null: the error nulls the whole response


@pytest.mark.asyncio
async def test_the_readme_snippet_serves_what_it_says(monkeypatch: pytest.MonkeyPatch) -> None:
    section = (REPO / "docs" / "strawberry.md").read_text()
    code = re.search(r"```python\n(.*?)```", section, re.S)
    query = re.search(r"then `(\{.*?\})` gives", section)
    answer = re.search(r"```json\n(.*?)```", section, re.S)
    assert code and query and answer
    monkeypatch.chdir(REPO)  # the snippet names the typegraph from the checkout's root
    module = types.ModuleType("readme_strawberry_app")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(code.group(1), "docs/strawberry.md", "exec"), module.__dict__)
    async with serve_here(module.app) as url, httpx.AsyncClient(timeout=30) as client:
        got = await client.post(url, json={"query": query.group(1)})
    assert got.json() == json.loads(answer.group(1))


# -- checks, policies and auth, over HTTP ---------------------------------------------------


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory, wat: Any) -> Iterator[Uvicorn]:
    tg = tmp_path_factory.mktemp("spin") / "typegraph.py"
    tg.write_text(SPIN_TYPEGRAPH.format(loop=str(wat("loop")), echo=str(wat("echo"))))
    env = {"WIRE_TEST_SPIN_TYPEGRAPH": str(tg), "WIRE_GATEWAY_BASIC_ADMIN": ADMIN_PASSWORD}
    with uvicorn("--factory", "strawberry_apps:gateway_app", env=env) as server:
        yield server


def test_invalid_arguments_fail_with_invalid_input_and_their_paths(team: Uvicorn) -> None:
    err = only_error(team.gql("{ add_many(n: 5000) }"))
    assert err["extensions"]["code"] == "invalid_input"
    assert err["message"].startswith("gateway.add_many: invalid arguments:")
    [detail] = err["extensions"]["details"]
    assert detail["path"] == "n" and "1000" in detail["message"]
    query = (
        '{ identity(id: 1, name: "", shape: circle, origin: {x: 0, y: 0}, cells: [], '
        'tags: ["ok", "NOT"]) { id } }'
    )
    err = only_error(team.gql(query))
    assert err["extensions"]["code"] == "invalid_input"
    paths = sorted(d["path"] for d in err["extensions"]["details"])
    assert paths == ["name", "tags/1"]


def test_policies_deny_with_policy_denied(team: Uvicorn) -> None:
    err = only_error(team.gql("{ forbidden }"))
    assert err["extensions"] == {"code": "policy_denied", "details": {"policy": "deny"}}
    assert err["path"] == ["forbidden"]
    # `secret` is internal: a client never reaches it, a guest's gql does
    assert only_error(team.gql("{ secret }"))["extensions"]["code"] == "policy_denied"
    assert team.gql("{ reveal }") == {"data": {"reveal": "revealed: the eagle has landed"}}
    err = only_error(team.gql("mutation { drop_note(id: 1) }"))
    assert err["extensions"]["code"] == "policy_denied"


def test_the_callers_identity_decides_custom_policies(team: Uvicorn) -> None:
    # is_admin (a guest policy) passes anonymous callers on: nothing else allows `stats`
    assert only_error(team.gql("{ stats }"))["extensions"]["code"] == "policy_denied"
    admin = basic("admin", ADMIN_PASSWORD)
    assert team.gql("{ stats }", headers=admin) == {"data": {"stats": 42}}
    # the caller carries through a guest's gql
    assert team.gql("{ relay_stats }", headers=admin) == {"data": {"relay_stats": 42}}
    body = team.gql('mutation { save_note(text: "hi") }', headers=admin)
    assert body == {"data": {"save_note": "saved: hi"}}
    err = only_error(team.gql('mutation { save_note(text: "hi") }'))
    assert err["extensions"]["code"] == "policy_denied"
    err = only_error(team.gql("{ stats }", headers=basic("admin", "wrong")))
    assert err["extensions"]["code"] == "unauthenticated"
    # the team's own fields are the team's business
    assert team.gql("{ hello }", headers=basic("admin", "wrong")) == {
        "data": {"hello": "Hello from the team!"}
    }


def test_unions_and_one_of_inputs(team: Uvicorn) -> None:
    body = team.gql(
        "{ figures { __typename ... on Circle { radius } ... on Square { side } } "
        "area(figure: {Square: {side: 3}}) }"
    )
    assert body == {
        "data": {
            "figures": [
                {"__typename": "Circle", "radius": 1.0},
                {"__typename": "Square", "side": 2.0},
            ],
            "area": 9.0,
        }
    }


def test_guests_run_off_the_event_loop(team: Uvicorn) -> None:
    async def main() -> tuple[dict[str, Any], bool, dict[str, Any]]:
        async with httpx.AsyncClient(timeout=60) as client:
            spin = asyncio.create_task(client.post(team.url, json={"query": "{ spin { v } }"}))
            await asyncio.sleep(0.5)  # the guest spins by now (for its 4 s deadline)
            hello = await client.post(team.url, json={"query": "{ hello echo(v: 3) { v } }"})
            spinning = not spin.done()
            return hello.json(), spinning, (await spin).json()

    hello, spinning, spun = asyncio.run(main())
    assert hello == {"data": {"hello": "Hello from the team!", "echo": {"v": 3}}}
    assert spinning, "the event loop answered only after the spinning guest ended"
    assert only_error(spun)["extensions"]["code"] == "deadline_exceeded"


# -- in-process: hooks, names, errors ------------------------------------------------------


def test_an_auth_hook_gives_the_caller_from_the_apps_context() -> None:
    async def from_session(info: strawberry.Info[Any, Any]) -> AuthContext:
        user = info.context["session_user"]
        return AuthContext("basic", user) if user else AuthContext()

    fields = wire.strawberry.load(GATEWAY, auth=from_session)

    @strawberry.type
    class Team:
        @strawberry.field
        async def doubled_stats(self, info: strawberry.Info[Any, Any]) -> int:
            # the team's own resolver calls a function as its caller
            return 2 * int(await fields.call("stats", {}, info))

    schema = strawberry.Schema(query=merge_types("Query", (Team, fields.Query)))

    async def main() -> list[Any]:
        async with fields.running():
            return [
                await schema.execute("{ stats }", context_value={"session_user": user})
                for user in ("admin", "bob", None)
            ] + [
                await schema.execute("{ doubledStats }", context_value={"session_user": user})
                for user in ("admin", "bob")
            ]

    admin, bob, nobody, admin_doubled, bob_doubled = asyncio.run(main())
    assert admin.data == {"stats": 42}
    assert bob.errors and bob.errors[0].extensions["code"] == "policy_denied"
    assert nobody.errors and nobody.errors[0].extensions["code"] == "policy_denied"
    # the custom policy said why: is_admin denies a signed-in non-admin
    assert bob.errors[0].extensions["details"] == {"policy": "is_admin"}
    assert admin_doubled.data == {"doubledStats": 84}  # the team's own names are camelCase
    assert bob_doubled.errors and bob_doubled.errors[0].extensions["code"] == "policy_denied"


@strawberry.type(name="Point")
class OwnPoint:  # the team's own type, named as the math typegraph names one
    lat: float


@strawberry.type
class Located:
    @strawberry.field
    def here(self) -> OwnPoint:
        return OwnPoint(lat=1.0)


def test_a_prefix_keeps_the_typegraphs_types_apart_from_the_apps() -> None:
    plain = wire.strawberry.load(MATH)
    prefixed = wire.strawberry.load(MATH, prefix="Math")
    try:
        with pytest.raises(DuplicatedTypeName):
            strawberry.Schema(query=merge_types("Query", (Located, plain.Query)))
        schema = strawberry.Schema(query=merge_types("Query", (Located, prefixed.Query)))
        sdl = str(schema)
        assert "type MathPoint {" in sdl and "input MathPointInput {" in sdl
        assert "identity(id: Int!, name: String!, shape: MathShape!" in sdl
        assert "type Point {\n  lat: Float!\n}" in sdl
        assert set(prefixed.types) >= {"MathPoint", "MathPointInput", "MathRec", "MathCell"}
        with pytest.raises(SchemaError, match="prefix 'Math-' cannot start a GraphQL type"):
            wire.strawberry.Fields(plain.host, prefix="Math-")
    finally:
        plain.host.close()
        prefixed.host.close()


def test_an_argument_strawberry_cannot_take_is_refused_at_load(wat: Any) -> None:
    doc = make_document(wat("echo"), {"echo": {"input": {"info": {"kind": "integer"}}}})
    with (
        Host(doc, Path.cwd(), hostcalls=default_registry()) as host,
        pytest.raises(SchemaError) as e,
    ):
        wire.strawberry.Fields(host)
    assert e.value.code == "graphql_schema_invalid"
    assert "argument 'info'" in str(e.value) and "rename it" in str(e.value)


def test_production_masks_the_errors_about_the_hosts_insides(wat: Any) -> None:
    doc = make_document(wat("notjson"), {"echo": {"input": {"v": {"kind": "integer"}}}})
    with Host(doc, Path.cwd(), hostcalls=default_registry()) as host:
        schema = {
            mode: strawberry.Schema(query=wire.strawberry.Fields(host, production=mode).Query)
            for mode in (False, True)
        }
        shown = asyncio.run(schema[False].execute("{ echo(v: 1) }"))
        masked = asyncio.run(schema[True].execute("{ echo(v: 1) }"))
    assert shown.errors and masked.errors
    assert shown.errors[0].extensions["code"] == "invalid_output"
    assert "not JSON" in shown.errors[0].message
    assert masked.errors[0].extensions == {"code": "invalid_output"}
    assert masked.errors[0].message.startswith("internal error (reference ")


# -- channels: subscriptions and publish mutations ------------------------------------------


@contextlib.asynccontextmanager
async def serve_here(app: Any) -> AsyncIterator[str]:
    """Serve `app` with uvicorn in this event loop on a free port: its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn_server.Server(uvicorn_server.Config(app, lifespan="on", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        assert not task.done(), "the server did not start"
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/graphql"
    finally:
        server.should_exit = True
        await task
        sock.close()


def ws_connect(url: str) -> Any:
    """A graphql-transport-ws connection to the app at `url` (not yet initialised)."""
    ws_url = url.replace("http://", "ws://", 1)
    return connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")])


async def until(check: Any, what: str, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


@pytest.fixture
def orders() -> Iterator[wire.strawberry.Fields]:
    fields = wire.strawberry.load(ORDERS, broker="memory://")
    yield fields
    fields.host.close()  # closed already when the app ran: closing again does nothing


def orders_app(fields: wire.strawberry.Fields) -> Any:
    schema = strawberry.Schema(
        query=Team, mutation=fields.Mutation, subscription=fields.Subscription
    )
    return wire.strawberry.asgi(GraphQL(schema), fields)


@pytest.mark.asyncio
async def test_a_published_order_is_shipped_and_seen_by_the_subscription(
    orders: wire.strawberry.Fields,
) -> None:
    async with serve_here(orders_app(orders)) as url:
        async with ws_connect(url) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.recv()) == {"type": "connection_ack"}
            query = "subscription { shipped { id parcels } }"
            await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": query}}))
            await until(lambda: orders.subscriptions == 1, "the subscription listens")
            async with httpx.AsyncClient(timeout=30) as client:
                placed = await client.post(
                    url, json={"query": 'mutation { place(id: 7, item: "book", qty: 4) }'}
                )
                assert placed.json() == {"data": {"place": True}}
                # the handler `ship` (a guest) takes the order and sends orders.shipped
                message = json.loads(await asyncio.wait_for(ws.recv(), 30))
                assert message == {
                    "type": "next",
                    "id": "1",
                    "payload": {"data": {"shipped": {"id": 7, "parcels": 2}}},
                }
                bad = await client.post(
                    url, json={"query": 'mutation { place(id: 0, item: "", qty: 1) }'}
                )
                err = only_error(bad.json())
                assert err["extensions"]["code"] == "invalid_payload"
                paths = sorted(d["path"] for d in err["extensions"]["details"])
                assert paths == ["id", "item"]
            await ws.send(json.dumps({"type": "complete", "id": "1"}))
            await until(lambda: orders.subscriptions == 0, "the subscription stops listening")
            # a socket that drops ends its subscriptions too
            await ws.send(json.dumps({"type": "subscribe", "id": "2", "payload": {"query": query}}))
            await until(lambda: orders.subscriptions == 1, "the subscription listens")
        await until(lambda: orders.subscriptions == 0, "the dropped socket's subscription ends")


@pytest.mark.asyncio
async def test_the_end_of_the_app_ends_its_subscriptions(orders: wire.strawberry.Fields) -> None:
    query = "subscription { shipped { id parcels } }"
    async with serve_here(orders_app(orders)) as url:
        ws = await ws_connect(url)
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        await ws.recv()
        await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": query}}))
        await until(lambda: orders.subscriptions == 1, "the subscription listens")
    assert orders.subscriptions == 0
    assert orders.messaging is None  # the service the app started is stopped
    with contextlib.suppress(Exception):
        await ws.close()


@pytest.mark.asyncio
async def test_a_slow_subscriber_is_told_what_it_lost() -> None:
    fields = wire.strawberry.load(ORDERS, broker="memory://", subscription_backlog=2)
    schema = strawberry.Schema(query=Team, subscription=fields.Subscription)
    async with fields.running():
        assert fields.messaging is not None
        responses = await schema.subscribe("subscription { shipped { id parcels } }")
        assert not isinstance(responses, strawberry.types.ExecutionResult)
        first = asyncio.ensure_future(anext(responses))
        await until(lambda: fields.subscriptions == 1, "the subscription listens")
        await fields.messaging.send("orders.shipped", {"id": 1, "parcels": 1})
        assert (await first).data == {"shipped": {"id": 1, "parcels": 1}}
        for i in range(2, 8):  # nobody reads: the newest 2 wait, 4 are dropped
            await fields.messaging.send("orders.shipped", {"id": i, "parcels": 1})
        overflow = await anext(responses)
        assert overflow.errors and overflow.errors[0].extensions == {
            "code": "subscription_overflow",
            "details": {"dropped": 4, "backlog": 2},
        }
        assert "4 message(s) of channel 'orders.shipped' were dropped" in str(overflow.errors[0])
        rest = [(await anext(responses)).data for _ in range(2)]
        assert rest == [{"shipped": {"id": i, "parcels": 1}} for i in (6, 7)]
        await responses.aclose()
        await until(lambda: fields.subscriptions == 0, "the subscription stops listening")


def test_channel_fields_without_messaging_say_so() -> None:
    fields = wire.strawberry.load(ORDERS)
    try:
        schema = strawberry.Schema(query=Team, mutation=fields.Mutation)
        result = asyncio.run(schema.execute('mutation { place(id: 1, item: "x", qty: 1) }'))
    finally:
        fields.host.close()
    assert result.errors
    assert result.errors[0].extensions["code"] == "messaging_error"
    assert "fields.running()" in result.errors[0].message
