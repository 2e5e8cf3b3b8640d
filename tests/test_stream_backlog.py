"""A fan-out `Stream` (what a GraphQL subscription reads) keeps a bounded backlog on every
backend that pushes to it, against the real servers: a reader that does not keep up loses
the oldest messages, is told how many with a `Dropped` notice, then gets the newest; the
broker connection never waits for it. (RabbitMQ hands a fan-out queue over a prefetch at
a time: its backlog waits in the broker, so nothing is dropped here.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from messaging import BROKERS, fresh, require

from wire.messaging import Broker, ChannelSpec, Message, make_broker
from wire.messaging.stream import Dropped, Received, Stream

pytestmark = pytest.mark.asyncio
SENT, BACKLOG = 200, 10


@pytest_asyncio.fixture(params=[b for b in BROKERS if b != "rabbitmq"])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[Broker]:
    b = make_broker(require(request.param))
    await b.connect()
    yield b
    await b.close()


async def test_a_stream_nobody_reads_keeps_the_newest_messages(broker: Broker) -> None:
    ch = ChannelSpec(f"{fresh()}.ticks")
    sub = await broker.subscribe(ch)
    stream = Stream(ch.name, sub, lambda m: m.payload(), backlog=BACKLOG)
    try:
        for n in range(SENT):
            await broker.send(ch, Message.json(ch.name, {"n": n}))
        for _ in range(200):  # until the backend has delivered them all
            if stream.dropped == SENT - BACKLOG:
                break
            await asyncio.sleep(0.05)
        assert stream.dropped == SENT - BACKLOG
        notice = await anext(stream)
        assert notice == Dropped(ch.name, SENT - BACKLOG, BACKLOG)
        kept = [await anext(stream) for _ in range(BACKLOG)]
        assert [r.payload["n"] for r in kept if isinstance(r, Received)] == list(
            range(SENT - BACKLOG, SENT)
        )
        # and it goes on, with nothing more to report
        await broker.send(ch, Message.json(ch.name, {"n": SENT}))
        after = await asyncio.wait_for(anext(stream), 10)
        assert isinstance(after, Received) and after.payload == {"n": SENT}
    finally:
        await stream.aclose()
