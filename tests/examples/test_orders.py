"""The orders example, tested with the testing kit (`wire.testing`): a message flow on
the embedded broker, as an author tests their handlers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wire.messaging import InvalidPayload
from wire.testing import TestApp

ORDERS = Path(__file__).resolve().parents[2] / "examples" / "orders" / "typegraph.py"
pytestmark = pytest.mark.asyncio


async def test_ship_sends_the_order_in_parcels_of_three(wire_app: Any) -> None:
    app: TestApp = await wire_app(ORDERS)
    order = await app.publish("orders.placed", {"id": 1, "item": "book", "qty": 4})
    done = await order.outcome()  # the one handler of orders.placed: `ship`
    assert (done.handler, done.action, done.result) == ("ship", "handled", True)
    assert app.sent_on("orders.shipped") == [{"id": 1, "parcels": 2}]
    assert ("guest", "info", "shipping order 1 in 2 parcel(s)") in [
        (line.runtime, line.level, line.message) for line in app.logs
    ]


async def test_a_message_of_the_wrong_type_is_refused_before_it_is_sent(wire_app: Any) -> None:
    app: TestApp = await wire_app(ORDERS)
    with pytest.raises(InvalidPayload, match="does not match the message type"):
        await app.publish("orders.placed", {"id": 0, "item": "book", "qty": 4})
    assert app.settled == [] and app.sent == []


async def test_a_handler_that_keeps_failing_is_retried_then_dead_lettered(wire_app: Any) -> None:
    def broken_send(_ctx: Any, _args: Any) -> None:
        raise RuntimeError("the broker is on fire")

    app: TestApp = await wire_app(ORDERS)
    app.replace_op("send", broken_send)  # `ship`'s ctx.send now fails
    order = await app.publish("orders.placed", {"id": 7, "item": "pen", "qty": 1})
    done = await order.outcome()
    assert done.action == "dead_lettered" and done.attempt == 3  # max_attempts=3
    assert "the broker is on fire" in (done.error or "")
    assert [s.action for s in app.settled] == ["retried", "retried", "dead_lettered"]
    (dead,) = app.dead_letters
    assert (dead.dead_letter, dead.channel, dead.handler) == (
        "orders.placed.dead",
        "orders.placed",
        "ship",
    )
    assert dead.payload == {"id": 7, "item": "pen", "qty": 1} and dead.attempts == 3


async def test_place_order_sends_from_inside_the_guest(wire_app: Any) -> None:
    sent: list[dict[str, Any]] = []

    def recording_send(_ctx: Any, args: dict[str, Any]) -> None:
        sent.append(args)  # recorded, and not sent: `ship` never sees it

    app: TestApp = await wire_app(ORDERS, ops={"send": recording_send})
    assert await app.call("place_order", {"id": 2, "item": "pen", "qty": 1}) is True
    assert [(a["channel"], a["payload"]) for a in sent] == [
        ("orders.placed", {"id": 2, "item": "pen", "qty": 1})
    ]
    assert app.settled == []


async def test_a_guest_send_reaches_its_handler(wire_app: Any) -> None:
    app: TestApp = await wire_app(ORDERS)
    assert await app.call("place_order", {"id": 3, "item": "book", "qty": 9}) is True
    done = await app.outcome("ship")  # a message the test did not publish itself
    assert done.payload == {"id": 3, "item": "book", "qty": 9} and done.ok
    assert app.sent_on("orders.shipped") == [{"id": 3, "parcels": 3}]


async def test_quote_replies_or_says_why_not(wire_app: Any) -> None:
    app: TestApp = await wire_app(ORDERS)
    reply = await app.request("orders.quote", {"item": "book", "qty": 2})
    assert reply.payload == 25.0 and reply.error is None
    refused = await app.request("orders.quote", {"item": "car", "qty": 1})
    assert refused.payload is None and "no price for 'car'" in (refused.error or "")
    assert [r.payload for r in app.replies] == [25.0, None]


async def test_graphql_in_process_place_and_shipped(wire_app: Any) -> None:
    app: TestApp = await wire_app(ORDERS)
    shipped = await app.subscribe("subscription { shipped { id parcels } }")
    placed = await app.graphql('mutation { place(id: 5, item: "pen", qty: 3) }')
    assert placed == {"data": {"place": True}}
    assert await anext(shipped) == {"data": {"shipped": {"id": 5, "parcels": 1}}}
    bad = await app.graphql('mutation { place(id: 0, item: "pen", qty: 3) }')
    assert bad["errors"][0]["extensions"]["code"] == "invalid_payload"
