"""Counted delivery drills: a fault mid-stream on every durable backend, nothing lost.

NATS, Redis and Mosquitto run as private processes on free ports (they are killed and
restarted); RabbitMQ drills use the shared server and kill consumers only.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator

import pytest
from messaging import require
from messaging.private import PrivateBroker, private_broker

from drills.drill import Drill

pytestmark = pytest.mark.asyncio


def broker_kill9(d: Drill) -> None:
    assert d.private is not None
    d.private.restart(signal.SIGKILL)


def broker_sigterm(d: Drill) -> None:
    assert d.private is not None
    d.private.restart(signal.SIGTERM)


def consumer_kill9(d: Drill) -> None:
    """kill -9 the consumer mid-handling; it restarts with the same (default) name."""
    d.consumers[0].kill()
    d.restart_consumer(0)


def one_of_two_killed(d: Drill) -> None:
    """Two consumers share the channel; one is killed for good."""
    d.consumers[1].kill()


FAULTS: dict[str, tuple[Callable[[Drill], None], int]] = {
    "kill -9 broker": (broker_kill9, 1),
    "SIGTERM broker": (broker_sigterm, 1),
    "kill -9 consumer, restart (default name)": (consumer_kill9, 1),
    "two consumers, one killed": (one_of_two_killed, 2),
}
# Mosquitto acknowledges a QoS 1 message before it is saved (it keeps no write-ahead log,
# only snapshots, here after every change): a crash loses what arrived since the last save.
# Measured on 2026-12-01 with persistence that works (see PrivateMosquitto): 0 or 1 of 2000
# lost, the message the publisher had just been acked when the broker died (id 700 at
# progress 700). docs/messaging.md's support table says so; the drill runs and reports it.
MOSQUITTO_CRASH = pytest.mark.xfail(
    reason="Mosquitto acks QoS 1 before it persists: a broker crash can lose the last ones",
    strict=False,
)
MARKS = {("mqtt", "kill -9 broker"): MOSQUITTO_CRASH}
CASES = [
    *(
        pytest.param(b, f, marks=MARKS.get((b, f), ()))
        for b in ("nats", "redis", "mqtt")
        for f in FAULTS
    ),
    *(pytest.param("rabbitmq", f) for f in FAULTS if "broker" not in f),
]
# The same faults for a handler that takes guest batches (a Python SDK guest on a pooled
# runtime, wire/messaging/batch.py): each delivery of a batch still settles on its own.
BATCHES = " (Python guest, batches)"
CASES += [
    pytest.param("nats", f + BATCHES)
    for f in ("kill -9 broker", "kill -9 consumer, restart (default name)")
]


@pytest.fixture
def broker(request: pytest.FixtureRequest) -> Iterator[tuple[str, PrivateBroker | None]]:
    backend = request.param
    if backend == "rabbitmq":
        yield require("rabbitmq"), None
        return
    with private_broker(backend) as b:
        yield b.url, b


@pytest.mark.parametrize(
    ("broker", "fault"),
    CASES,
    indirect=["broker"],
    ids=[f"{c.values[0]}: {c.values[1]}" for c in CASES],
)
async def test_nothing_is_lost(broker: tuple[str, PrivateBroker | None], fault: str) -> None:
    url, private = broker
    backend = private.scheme if private is not None else "rabbitmq"
    inject, consumers = FAULTS[fault.removesuffix(BATCHES)]
    python = fault.endswith(BATCHES)
    drill = Drill(backend, url, consumers=consumers, private=private, python=python)
    result = await drill.run(fault, inject)
    assert result.sent == result.handled + result.dead_lettered + result.lost
    assert result.lost == 0, f"{result.row()} missing ids: {result.missing}"
    assert result.dead_lettered == 0, result.row()
