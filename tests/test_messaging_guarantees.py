"""What each backend promises on durable channels, checked against the real servers: a
message too large is refused at send (the connection lives on), Redis never trims what is
unread, Mosquitto's drops are reported, a dead letter that cannot be stored yet never holds
up its channel, a handler slower than the broker's lease is not redelivered meanwhile, and
an MQTT dead-letter channel keeps its messages before anyone reads it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

import nats
import orjson
import pytest
from messaging import fresh, require, with_query
from messaging.private import private_broker
from messaging.support import Recorder, flow_host
from messaging.take import take, take_from
from nats.js.api import DiscardPolicy, StorageType, StreamConfig

from wire.messaging import (
    ChannelFull,
    ChannelSpec,
    Message,
    MessagingService,
    PayloadTooLarge,
    Subscription,
    make_broker,
)
from wire.messaging import redis as redis_backend
from wire.messaging.nats import NatsBroker

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("backend", ["nats", "rabbitmq"])
async def test_a_message_too_large_is_refused_at_send_and_the_connection_lives(
    backend: str,
) -> None:
    broker = make_broker(require(backend))
    await broker.connect()
    ch = ChannelSpec(f"{fresh()}.big", durable=True, kind="queue")
    try:
        sub = await broker.subscribe(ch, ch.queue_group)
        huge = {"note": "v" * 2_000_000}  # over NATS' max_payload and an AMQP frame
        with pytest.raises(PayloadTooLarge, match=r"exceeds|does not fit"):
            await broker.send(ch, Message.json(ch.name, {"n": 1}, huge))
        await broker.send(ch, Message.json(ch.name, {"n": 2}))  # the same connection
        (m,) = await take(sub, 1)
        assert m.payload() == {"n": 2}
        assert await broker.connected()
        await sub.close()
    finally:
        await broker.close()


async def test_redis_never_trims_unread_durable_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    url = require("redis")
    monkeypatch.setattr(redis_backend, "PLAIN_MAXLEN", 50)  # what plain streams keep
    broker = make_broker(url)
    await broker.connect()
    durable = ChannelSpec(f"{fresh()}.keep", durable=True, kind="queue")
    plain = ChannelSpec(f"{fresh()}.plain", durable=False, kind="queue")
    try:
        for i in range(500):
            await broker.send(durable, Message.json(durable.name, {"i": i}))
            await broker.send(plain, Message(plain.name, b"{}"))
        r = broker.redis  # type: ignore[attr-defined]
        assert await r.xlen(f"wire:{durable.name}") == 500  # all kept, unread
        assert await r.xlen(f"wire:{plain.name}") < 500  # trimmed, oldest first
        sub = await broker.subscribe(durable, durable.queue_group, prefetch=100)
        got = [m.payload()["i"] for m in await take(sub, 500)]  # type: ignore[index]
        assert got == list(range(500))
        await sub.close()
    finally:
        await broker.close()


async def test_redis_maxlen_bounds_a_durable_stream_by_refusing_never_trimming() -> None:
    broker = make_broker(with_query(require("redis"), maxlen=20))
    await broker.connect()
    ch = ChannelSpec(f"{fresh()}.bounded", durable=True, kind="queue")
    try:
        for i in range(20):
            await broker.send(ch, Message.json(ch.name, {"i": i}))
        with pytest.raises(ChannelFull, match="holds 20 unread messages"):
            await broker.send(ch, Message.json(ch.name, {"i": 20}))
        assert await broker.redis.xlen(f"wire:{ch.name}") == 20  # type: ignore[attr-defined]
        sub = await broker.subscribe(ch, ch.queue_group)
        (first,) = await take(sub, 1)
        assert first.payload() == {"i": 0}  # nothing trimmed
        await sub.close()
    finally:
        await broker.close()


async def test_redis_trims_what_every_group_acked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_backend, "TRIM_EVERY_S", 0.2)
    broker = make_broker(require("redis"))
    await broker.connect()
    ch = ChannelSpec(f"{fresh()}.acked", durable=True)
    try:
        a = await broker.subscribe(ch, "a")
        b = await broker.subscribe(ch, "b")
        for i in range(10):
            await broker.send(ch, Message.json(ch.name, {"i": i}))
        await take(a, 10)  # group a reads everything, b nothing yet
        await asyncio.sleep(1.0)
        r = broker.redis  # type: ignore[attr-defined]
        assert await r.xlen(f"wire:{ch.name}") == 10  # b has read none: all kept
        await take(b, 10)
        for _ in range(50):
            if await r.xlen(f"wire:{ch.name}") <= 1:
                break
            await asyncio.sleep(0.1)
        assert await r.xlen(f"wire:{ch.name}") <= 1  # acked by both: trimmed
        await a.close()
        await b.close()
    finally:
        await broker.close()


async def test_mosquitto_dropping_messages_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, "wire.messaging")
    with private_broker("mqtt", queue=5) as mq:
        broker = make_broker(mq.url)
        await broker.connect()
        ch = ChannelSpec(f"{fresh()}.flood", durable=True, kind="queue")
        try:
            await broker.keep(ch, ch.queue_group)  # a session that queues, offline
            for i in range(30):
                await broker.send(ch, Message.json(ch.name, {"i": i}))
            for _ in range(60):  # the broker publishes its count every second
                if any("dropped" in r.getMessage() for r in caplog.records):
                    break
                await asyncio.sleep(0.1)
            reports = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
            assert reports, "the broker dropped messages and nobody said so"
            assert "max_queued_messages" in reports[0]
        finally:
            await broker.close()


async def test_a_dead_letter_that_cannot_be_stored_yet_never_blocks_the_channel() -> None:
    """The dead-letter stream refuses new messages (full, discard new) until the test
    makes room: the poison waits, retried, unacked; the good messages flow meanwhile; once
    there is room, the dead letter is stored and only then its original acked."""
    url = require("nats")
    p, rec = fresh("dl"), Recorder()
    nc = await nats.connect(url)
    js = nc.jetstream()
    dead = f"{p}.events.dead"
    stream = "WIRE_" + dead.replace(".", "_")
    await js.add_stream(
        StreamConfig(
            name=stream,
            subjects=[dead],
            storage=StorageType.FILE,
            max_msgs=1,
            discard=DiscardPolicy.NEW,
        )
    )
    await js.publish(dead, b"{}")  # full
    host = flow_host(p, rec)
    svc = MessagingService(host, make_broker(url), drain_timeout=10)
    try:
        await svc.start()
        await svc.send(f"{p}.events", {"n": 0, "fail": 99})  # fails every attempt
        for n in range(1, 31):
            await svc.send(f"{p}.events", {"n": n, "fail": 0})
        await asyncio.to_thread(rec.wait, lambda r: set(range(1, 31)) <= set(r.done))
        await asyncio.to_thread(rec.wait, lambda r: r.calls.get(0) == 3)  # max_attempts
        await asyncio.sleep(0.5)
        assert len(svc.dead_letters) == 1 and svc.dead_letters.stored == 0  # waiting
        await js.purge_stream(stream)  # room: the retry stores it
        for _ in range(100):
            if svc.dead_letters.stored == 1:
                break
            await asyncio.sleep(0.1)
        assert svc.dead_letters.stored == 1 and len(svc.dead_letters) == 0
        info = await js.stream_info(stream)
        assert info.state.messages == 1
        msg = await js.get_msg(stream, info.state.last_seq)
        assert orjson.loads(msg.data) == {"n": 0, "fail": 99}
    finally:
        await svc.stop()
        host.close()
        await js.delete_stream(stream)
        await nc.close()


async def test_a_handler_slower_than_the_lease_is_not_redelivered_meanwhile() -> None:
    """NATS redelivers what is not acked within `ack_wait` (1 s here); the handler takes
    3 s: the service keeps the delivery leased (in_progress), so it is handled once."""
    url = with_query(require("nats"), ack_wait=1)
    p, rec = fresh("ls"), Recorder(gate=threading.Event())
    host = flow_host(p, rec)
    svc = MessagingService(host, make_broker(url), drain_timeout=10)
    try:
        await svc.start()
        await svc.send(f"{p}.events", {"n": 1, "fail": 0})
        await asyncio.to_thread(rec.wait, lambda r: r.running == 1)
        await asyncio.sleep(3.0)
        assert rec.gate is not None
        rec.gate.set()
        await asyncio.to_thread(rec.wait, lambda r: r.done == [1])
        await asyncio.sleep(1.5)  # a redelivery would show now
        assert rec.calls == {1: 1}
    finally:
        await svc.stop()
        host.close()


async def test_an_mqtt_dead_letter_channel_keeps_messages_before_anyone_reads_it() -> None:
    url = require("mqtt")
    p, rec = fresh("mk"), Recorder()
    host = flow_host(p, rec)
    svc = MessagingService(host, make_broker(url), drain_timeout=10)
    try:
        await svc.start()  # no one subscribes to <p>.events.dead
        await svc.broker.send(svc.channels[f"{p}.events"].spec, Message(f"{p}.events", b"not json"))
        for _ in range(100):
            if svc.dead_letters.stored == 1:
                break
            await asyncio.sleep(0.05)
        assert svc.dead_letters.stored == 1  # the broker kept it (no send refused)
        reader = make_broker(url)
        await reader.connect()
        spec = ChannelSpec(f"{p}.events.dead", True, "queue")
        (dead,) = await take_from(reader, spec, 1, timeout=10)
        assert dead.data == b"not json"
        await reader.close()
    finally:
        await svc.stop()
        host.close()


async def test_nats_purges_what_every_group_acked(monkeypatch: pytest.MonkeyPatch) -> None:
    from wire.messaging import nats as nats_backend

    monkeypatch.setattr(nats_backend, "CHECK_EVERY_S", 0.2)
    broker = make_broker(require("nats"))
    await broker.connect()
    ch = ChannelSpec(f"{fresh()}.acked", durable=True)
    stream = "WIRE_" + ch.name.replace(".", "_")
    js = broker.js  # type: ignore[attr-defined]
    try:
        a = await broker.subscribe(ch, "a")
        b = await broker.subscribe(ch, "b")
        for i in range(10):
            await broker.send(ch, Message.json(ch.name, {"i": i}))
        for sub in (a, b):
            await take(sub, 10)
            if sub is a:
                await asyncio.sleep(1.0)
                assert (await js.stream_info(stream)).state.messages == 10  # b read none
        for _ in range(50):
            if (await js.stream_info(stream)).state.messages == 0:
                break
            await asyncio.sleep(0.1)
        assert (await js.stream_info(stream)).state.messages == 0  # acked by both: purged
        await a.close()
        await b.close()
    finally:
        await broker.close()


async def test_nats_push_consumers_keep_delivering_through_purges(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """nats-server 2.9 stops a push consumer whose stream is purged while it has messages
    to deliver, until a new message comes: a flood of 3000 stopped after 260 in most runs.
    wire purges only when every group is caught up, and wakes a consumer it finds stopped.
    Here a second purger (as an older wire in the same group would) purges acked messages
    under the backlog ten times a second: every message must still come, in one flood."""
    from wire.messaging import nats as nats_backend

    monkeypatch.setattr(nats_backend, "CHECK_EVERY_S", 0.3)
    n = 3000
    broker = make_broker(require("nats"))
    await broker.connect()
    assert isinstance(broker, NatsBroker)
    ch = ChannelSpec(f"{fresh()}.flood", durable=True, kind="queue")
    stream = "WIRE_" + ch.name.replace(".", "_")
    js = broker.js
    got: set[int] = set()

    async def consume(sub: Subscription) -> None:
        while len(got) < n:
            d = await sub.receive(30)
            assert d is not None, f"{len(got)} of {n} came; the consumer stopped"
            got.add(orjson.loads(d.message.data)["i"])
            await d.ack()

    async def purge_under_backlog() -> None:
        while True:
            await asyncio.sleep(0.1)
            with contextlib.suppress(Exception):
                c = (await js.consumers_info(stream))[0]
                floor = c.ack_floor.stream_seq if c.ack_floor else 0
                if floor:
                    await js.purge_stream(stream, seq=floor + 1)

    try:
        sub = await broker.subscribe(ch, ch.queue_group)
        purger = asyncio.create_task(purge_under_backlog())
        try:
            for i in range(n):
                await broker.send(ch, Message.json(ch.name, {"i": i}))
            await asyncio.wait_for(consume(sub), 90)
        finally:
            purger.cancel()
        assert got == set(range(n))
        logging.getLogger(__name__).info("stalled consumers woken: %d", broker.stalls_woken)
        await sub.close()
    finally:
        await broker.close()
