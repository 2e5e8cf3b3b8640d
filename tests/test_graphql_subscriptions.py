"""GraphQL subscriptions (graphql-transport-ws) and publish mutations over real HTTP and
WebSocket: `wire serve` (uvicorn) on a free port with the orders example (what `make run`
shows: a mutation publishes, a guest handler reacts, a subscription sees the result) and
the messaging tests' `flow` typegraph, on the embedded broker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from graphql_ws import GqlWs
from messaging import fresh
from messaging.support import FLOW, flow_env
from serving import REPO, Server, serve

pytestmark = pytest.mark.asyncio
ORDERS = REPO / "examples" / "orders" / "typegraph.py"
SHIPPED = "subscription { shipped { id parcels } }"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serve(ORDERS, FLOW, env=flow_env(fresh("ws"))) as s:
        yield s


def place(server: Server, order: dict[str, Any], field: str = "place") -> dict[str, Any]:
    return server.gql(
        f"mutation($id: Int!, $item: String!, $qty: Int!) {{ {field}(id: $id, item: $item, "
        "qty: $qty) }",
        order,
        path="orders",
    )


def shipped(op_id: str, order: int, parcels: int) -> dict[str, Any]:
    payload = {"data": {"shipped": {"id": order, "parcels": parcels}}}
    return {"id": op_id, "type": "next", "payload": payload}


async def test_a_published_order_is_shipped_and_seen_by_the_subscription(server: Server) -> None:
    async with GqlWs.open(f"{server.url}/orders") as ws:
        assert await ws.subscribe("s1", SHIPPED) == []
        # the publish mutation puts the order on orders.placed; the guest handler `ship`
        # reacts and sends orders.shipped, which the subscription streams
        assert place(server, {"id": 1, "item": "book", "qty": 7}) == {
            "data": {"place": True},
            "_status": 200,
        }
        assert await ws.recv() == shipped("s1", 1, 3)
        # the same from inside a guest: `place_order` sends with ctx.send
        assert place(server, {"id": 2, "item": "pen", "qty": 1}, "place_order")["data"] == {
            "place_order": True
        }
        assert await ws.recv() == shipped("s1", 2, 1)

        # `complete` stops s1: after it, only s2 sees the next two orders
        await ws.send({"type": "complete", "id": "s1"})
        assert await ws.subscribe("s2", SHIPPED) == []
        place(server, {"id": 3, "item": "pen", "qty": 3})
        place(server, {"id": 4, "item": "pen", "qty": 4})
        assert [await ws.recv(), await ws.recv()] == [shipped("s2", 3, 1), shipped("s2", 4, 2)]


async def test_queries_and_mutations_also_run_over_the_socket(server: Server) -> None:
    async with GqlWs.open(f"{server.url}/orders") as ws:
        await ws.send(
            {
                "type": "subscribe",
                "id": "m",
                "payload": {"query": 'mutation { place(id: 5, item: "pen", qty: 1) }'},
            }
        )
        assert await ws.recv() == {"id": "m", "type": "next", "payload": {"data": {"place": True}}}
        assert await ws.recv() == {"id": "m", "type": "complete"}


async def test_a_bad_payload_is_refused_with_its_path(server: Server) -> None:
    body = place(server, {"id": 0, "item": "", "qty": 1})
    (err,) = body["errors"]
    assert err["extensions"]["code"] == "invalid_payload"
    assert err["path"] == ["place"]
    assert "orders.placed" in err["message"] and "/id" in err["message"]
    assert {d["path"] for d in err["extensions"]["details"]} == {"id", "item"}
    # a type GraphQL itself refuses never reaches the channel either
    body = server.gql('mutation { place(id: "x", item: "a", qty: 1) }', path="orders")
    assert body["errors"][0]["extensions"]["code"] == "graphql_validation_failed"


async def test_errors_of_a_subscribe(server: Server) -> None:
    async with GqlWs.open(f"{server.url}/flow") as ws:
        (unknown,) = await ws.subscribe("u", "subscription { nope { n } }")
        assert unknown["type"] == "error" and unknown["id"] == "u"
        assert unknown["payload"][0]["extensions"]["code"] == "graphql_validation_failed"
        assert "nope" in unknown["payload"][0]["message"]

        (denied,) = await ws.subscribe("d", "subscription { denied { n } }")
        assert denied["type"] == "error"
        (err,) = denied["payload"]
        assert err["extensions"]["code"] == "policy_denied"
        assert "denied by policy 'deny'" in err["message"]

        (bad_vars,) = await ws.subscribe(
            "v", "subscription($x: Boolean!) { done { n @include(if: $x) } }", {}
        )
        assert bad_vars["payload"][0]["extensions"]["code"] == "invalid_variables"

        # the connection is still good: a valid subscription works on it
        assert await ws.subscribe("ok", "subscription { done { n } }") == []
        await ws.send({"type": "subscribe", "id": "ok", "payload": {"query": "{ __typename }"}})
        assert await ws.closed() == (4409, "Subscriber for ok already exists")


async def test_a_subscription_over_http_is_refused(server: Server) -> None:
    body = server.gql(SHIPPED, path="orders")
    assert body["_status"] == 400
    assert body["errors"][0]["extensions"]["code"] == "subscription_needs_websocket"


@pytest.mark.parametrize(
    ("path", "opts", "first", "expected"),
    [
        (
            "orders",
            {"init": False},
            {"type": "subscribe", "id": "1", "payload": {"query": SHIPPED}},
            4401,
        ),
        ("orders", {}, {"type": "connection_init"}, 4429),
        ("orders", {}, {"type": "mystery"}, 4400),
        ("orders", {"init": False, "subprotocols": ()}, None, 4406),
        ("nowhere", {"init": False}, None, 4404),
    ],
)
async def test_protocol_violations_close_the_socket(
    server: Server, path: str, opts: dict[str, Any], first: dict[str, Any] | None, expected: int
) -> None:
    async with GqlWs.open(f"{server.url}/{path}", **opts) as ws:
        if first is not None:
            await ws.send(first)
        code, _reason = await ws.closed()
        assert code == expected


async def test_bad_credentials_are_forbidden(server: Server) -> None:
    async with GqlWs.open(f"{server.url}/orders", init=False) as ws:
        await ws.send({"type": "connection_init", "payload": {"Authorization": "Bearer x.y.z"}})
        code, reason = await ws.closed()
        assert code == 4403 and "no JWT key" in reason
