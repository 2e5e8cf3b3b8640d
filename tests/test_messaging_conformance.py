"""One conformance suite for every broker backend, against the real servers.

Each test runs on the embedded broker and on NATS (JetStream), RabbitMQ, Redis Streams and
MQTT; a backend is done when this file passes on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from messaging import BROKERS, fresh, require
from messaging.take import take, take_all

from wire.messaging import (
    Broker,
    ChannelSpec,
    Message,
    MessagingError,
    ReplyTimeout,
    make_broker,
)
from wire.messaging.broker import REPLY_PREFIX
from wire.messaging.memory import MemoryBroker
from wire.messaging.redis import RedisBroker

pytestmark = [pytest.mark.asyncio, pytest.mark.parametrize("backend", list(BROKERS))]


@pytest_asyncio.fixture
async def broker(backend: str) -> AsyncIterator[Broker]:
    b = make_broker(require(backend))
    await b.connect()
    yield b
    await b.close()


async def test_fanout_every_subscriber_sees_every_message(broker: Broker) -> None:
    ch = ChannelSpec(f"{fresh()}.ev")
    subs = [await broker.subscribe(ch) for _ in range(2)]
    subs.append(await broker.subscribe(ch, "g1"))
    for i in range(3):
        await broker.send(ch, Message.json(ch.name, {"i": i}))
    for sub in subs:
        got = await take(sub, 3)
        assert sorted(m.payload()["i"] for m in got) == [0, 1, 2]  # type: ignore[index]
        assert await sub.receive(0.2) is None
        await sub.close()


@pytest.mark.parametrize("durable", [False, True])
async def test_group_members_compete_each_message_once(broker: Broker, durable: bool) -> None:
    ch = ChannelSpec(f"{fresh()}.work", durable=durable, kind="queue")
    a = await broker.subscribe(ch, ch.queue_group, prefetch=1)
    b = await broker.subscribe(ch, ch.queue_group, prefetch=1)
    for i in range(20):
        await broker.send(ch, Message.json(ch.name, {"i": i}))
    got = [m for ms in await asyncio.gather(take_all(a), take_all(b)) for m in ms]
    assert sorted(m.payload()["i"] for m in got) == list(range(20))  # type: ignore[index]
    await a.close()
    await b.close()


async def test_durable_queue_keeps_what_was_sent_before_a_consumer(broker: Broker) -> None:
    ch = ChannelSpec(f"{fresh()}.jobs", durable=True, kind="queue")
    if broker.scheme == "mqtt":
        # MQTT keeps messages only for sessions subscribed to them: the send is refused
        # (after retrying for send_timeout), never silently dropped.
        broker.send_timeout = 0.5
        with pytest.raises(MessagingError, match="no session subscribed to durable channel"):
            await broker.send(ch, Message.json(ch.name, {"i": 0}))
        return
    for i in range(5):
        await broker.send(ch, Message.json(ch.name, {"i": i}))
    sub = await broker.subscribe(ch, ch.queue_group)
    got = await take(sub, 5)
    assert [m.payload()["i"] for m in got] == list(range(5))  # type: ignore[index]
    await sub.close()


async def test_durable_group_backlog_survives_its_consumers(broker: Broker) -> None:
    ch = ChannelSpec(f"{fresh()}.ev", durable=True)
    sub = await broker.subscribe(ch, "keep")
    await sub.close()
    for i in range(4):
        await broker.send(ch, Message.json(ch.name, {"i": i}))
    sub = await broker.subscribe(ch, "keep")
    got = await take(sub, 4)
    assert sorted(m.payload()["i"] for m in got) == list(range(4))  # type: ignore[index]
    await sub.close()


async def test_nack_redelivers_after_the_delay_with_the_attempt_count(broker: Broker) -> None:
    ch = ChannelSpec(f"{fresh()}.retry", durable=True, kind="queue")
    sub = await broker.subscribe(ch, ch.queue_group)
    await broker.send(ch, Message.json(ch.name, {"x": 1}))
    first = await sub.receive(10)
    assert first is not None and first.attempt == 1
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await first.nack(0.3)
    second = await sub.receive(10)
    assert second is not None, "a nacked message was not delivered again"
    assert loop.time() - t0 >= 0.25
    assert second.attempt == 2 and second.message.payload() == {"x": 1}
    await second.ack()
    assert await sub.receive(0.5) is None, "an acked message came back"
    await sub.close()


async def test_metadata_content_type_and_bytes_round_trip(broker: Broker) -> None:
    ch = ChannelSpec(f"{fresh()}.raw")
    sub = await broker.subscribe(ch)
    data = bytes(range(256))
    await broker.send(ch, Message(ch.name, data, "application/octet-stream", {"k": "v", "n": "1"}))
    (m,) = await take(sub, 1)
    assert (m.data, m.content_type, m.metadata, m.topic) == (
        data,
        "application/octet-stream",
        {"k": "v", "n": "1"},
        ch.name,
    )
    await sub.close()


@pytest.mark.parametrize("durable", [False, True])
async def test_request_gathers_the_expected_replies(broker: Broker, durable: bool) -> None:
    ch = ChannelSpec(f"{fresh()}.ask", durable=durable)

    async def responder(group: str, sub: object) -> None:
        d = await sub.receive(10)  # type: ignore[attr-defined]
        assert d is not None
        q = d.message.payload()
        await broker.reply(d.message, Message.json("", {"by": group, "n": q["n"] * 2}))
        await d.ack()

    subs = {g: await broker.subscribe(ch, g) for g in ("r1", "r2")}
    tasks = [asyncio.create_task(responder(g, s)) for g, s in subs.items()]
    replies = await broker.request(ch, Message.json(ch.name, {"n": 21}), timeout=10, expected=2)
    await asyncio.gather(*tasks)
    assert sorted((r.payload()["by"], r.payload()["n"]) for r in replies) == [  # type: ignore[index]
        ("r1", 42),
        ("r2", 42),
    ]
    for s in subs.values():
        await s.close()
    # The request's private reply topic leaves nothing behind (one per request, ever).
    reply_topic = replies[0].topic
    assert reply_topic.startswith(REPLY_PREFIX)
    if isinstance(broker, MemoryBroker):
        assert reply_topic not in broker.fanout and reply_topic not in broker.groups
    if isinstance(broker, RedisBroker):
        assert not await broker.redis.exists(f"wire:{reply_topic}")


async def test_request_without_a_responder_times_out(broker: Broker) -> None:
    ch = ChannelSpec(f"{fresh()}.nobody")
    with pytest.raises(ReplyTimeout, match="no reply"):
        await broker.request(ch, Message.json(ch.name, {}), timeout=0.3)


async def test_receive_with_a_timeout_returns_none(broker: Broker) -> None:
    ch = ChannelSpec(f"{fresh()}.quiet", durable=True, kind="queue")
    sub = await broker.subscribe(ch, ch.queue_group)
    assert await sub.receive(0.2) is None
    await sub.close()
