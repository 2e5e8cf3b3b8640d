"""Poison messages mid-stream on every backend: a wrong-typed 600 KB value and a message
that is not JSON. Every good message after them is handled; each poison message is in the
dead-letter channel with its data intact and a bounded reason (never the value echoed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from messaging import require
from messaging.private import private_broker

from drills.drill import Drill
from wire.messaging.message import ERROR, ERROR_MAX_BYTES

pytestmark = pytest.mark.asyncio
POISON = ("100:type", "101:json", "700:type")


def no_fault(_d: Drill) -> None:
    pass


@pytest.fixture(params=["nats", "redis", "mqtt", "rabbitmq"])
def broker(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    if request.param == "rabbitmq":
        yield "rabbitmq", require("rabbitmq")
        return
    with private_broker(request.param) as b:
        yield request.param, b.url


async def test_poison_is_dead_lettered_and_the_rest_flows(broker: tuple[str, str]) -> None:
    backend, url = broker
    drill = Drill(backend, url)
    result = await drill.run("poison: 2 x 600 KB wrong type, 1 not JSON", no_fault, POISON)
    assert result.lost == 0, f"{result.row()} missing ids: {result.missing}"
    assert result.handled == result.sent - len(POISON), result.row()
    dead = drill.collector.dead_letters
    assert len(dead) == len(POISON), result.row()
    for d in dead:
        reason = d["meta"][ERROR]
        assert len(reason.encode()) <= ERROR_MAX_BYTES, reason[:200]
        assert "xxxxxxxxxx" not in reason  # the value is described, not repeated
        assert d["meta"]["wire-channel"] == f"{drill.prefix}.jobs"
        assert d["meta"]["wire-attempts"] == "1"  # never handled: dead-lettered at once
    sizes = sorted(d["size"] for d in dead)
    assert sizes[0] < 1000 and sizes[1] > 600_000 and sizes[2] > 600_000  # data intact
    reasons = " ".join(d["meta"][ERROR] for d in dead)
    assert "a string of 600000 characters" in reasons and "not JSON" in reasons
