"""Components written against the first wasi:messaging@0.2.0-draft (consumer, producer,
an exported `messaging-guest` with `configure` and `handler`), run unchanged.

The guest (tests/guests/wasi_consumer) is Python, built with componentize-py for that
draft's world `messaging` by the host, which tells the draft from the guest's export. Its
`configure` returns the channels of `channels.py`, written next to a copy of it: one pair of
names per checkout (`CFG`), so runs from other checkouts on the same brokers never share
them, and this checkout builds the guest once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import pytest_asyncio
from messaging import BROKERS, USED, fresh, require
from messaging.take import take_from

from typegraph import Graph, MessagingComponent, t, typegraph
from wire import Host
from wire.messaging import ChannelSpec, Message, MessagingService, make_broker
from wire.messaging.errors import PermissionDenied
from wire.messaging.native import WORLDS, NativeRuntime
from wire.messaging.native.worlds import world_of_source
from wire.paths import cache_dir

pytestmark = pytest.mark.asyncio

TESTS = Path(__file__).resolve().parent
GUESTS = TESTS / "guests"
CFG = "wcd" + hashlib.sha256(str(TESTS.parent).encode()).hexdigest()[:8]
USED.add(CFG)  # the session's end removes what these channels left on the brokers
CONFIGURED = [f"{CFG}.a", f"{CFG}.b"]


def consumer_guest() -> Path:
    """The guest folder: tests/guests/wasi_consumer/app.py and this checkout's channels."""
    folder = cache_dir("test-guests") / "wasi_consumer" / CFG
    files = {
        "app.py": (GUESTS / "wasi_consumer" / "app.py").read_bytes(),
        "channels.py": f"CONFIGURED = {CONFIGURED!r}\n".encode(),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        path = folder / name
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
    return folder


def consumer_document(
    p: str, granted: list[str] | None = None, *, bind: bool = True
) -> dict[str, Any]:
    """Channels `CONFIGURED` (what `configure` asks for), `<p>.in` (bound with `g.on`),
    `.src` (taken with subscribe-try-receive), `.more` (subscribed while running), `.out`,
    `.report` and `.secret` (not granted). The typegraph's name is fresh: each test's pub-sub
    groups are its own."""

    @typegraph(name=p)
    def consumer(g: Graph) -> None:
        text = t.optional(t.string())
        cmd = t.struct(
            {
                "action": t.string(),
                "n": t.integer(),
                **{k: text for k in ("target", "report", "source", "channel", "settle")},
            }
        ).rename("Cmd")
        anything = t.struct({}, additional_properties=True).rename("Anything")
        for name in CONFIGURED:
            g.channel(name, cmd)
        g.channel(f"{p}.in", cmd, durable=True, kind="queue", dead_letter=f"{p}.in.dead")
        g.channel(f"{p}.more", cmd, kind="queue")
        for name in ("src", "out", "report", "secret"):
            g.channel(f"{p}.{name}", anything, durable=True, kind="queue")
        used = ("src", "more", "out", "report")
        rt = MessagingComponent(
            str(consumer_guest()),
            world="wasi:messaging",
            name="consumer",
            channels=granted if granted is not None else [*CONFIGURED, *(f"{p}.{c}" for c in used)],
            instances="pooled",
        )
        if bind:
            g.on(f"{p}.in", rt.handler(), max_attempts=3, backoff=0.05)
        else:  # no channel of the typegraph's: only what `configure` asks for
            g.define(consume=rt.handler(cmd))

    return consumer.document()


class Consumer:
    def __init__(self, p: str, host: Host, service: MessagingService) -> None:
        self.p, self.host, self.service = p, host, service

    async def command(self, to: str, action: str, n: int, **kw: Any) -> None:
        await self.service.send(to, {"action": action, "n": n, **kw})

    async def take(self, channel: str, n: int = 1, timeout: float = 30) -> list[Message]:
        """`n` messages of the queue channel `<p>.<channel>` (or its dead letters)."""
        name = f"{self.p}.{channel}"
        known = self.service.channels.get(name)
        spec = known.spec if known else ChannelSpec(name, True, "queue")
        return await take_from(self.service.broker, spec, n, timeout=timeout)

    async def take_json(self, channel: str, n: int = 1) -> list[Any]:
        return [orjson.loads(m.data) for m in await self.take(channel, n)]

    async def stop(self) -> None:
        await self.service.stop()
        self.host.close()


async def start(url: str = "memory://", **kw: Any) -> Consumer:
    p = fresh("wc")
    host = Host(consumer_document(p, **kw), GUESTS)
    errors = await asyncio.to_thread(host.start)  # build and compile before messages flow
    assert set(errors.values()) == {None}, errors
    service = MessagingService(host, make_broker(url), drain_timeout=20)
    try:
        await service.start()
    except BaseException:
        await service.stop()
        host.close()
        raise
    return Consumer(p, host, service)


@pytest_asyncio.fixture
async def consumer() -> AsyncIterator[Consumer]:
    c = await start()
    yield c
    await c.stop()


def failed_attempts(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if " failed on " in r.getMessage()]


@pytest.mark.parametrize("backend", list(BROKERS))
async def test_configure_subscribes_and_the_handler_settles_on_every_backend(
    backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="wire.messaging")
    c = await start(require(backend))
    p = c.p
    try:
        bound = {(b.function, b.channel) for b in c.service.bindings}
        assert {("handle", ch) for ch in [*CONFIGURED, f"{p}.in"]} <= bound
        for i, channel in enumerate([*CONFIGURED, f"{p}.in"]):
            await c.command(channel, "forward", i, target=f"{p}.out", settle="complete")
        got = sorted(await c.take_json("out", 3), key=lambda b: b["n"])
        assert [(b["n"], b["topic"]) for b in got] == [
            (0, CONFIGURED[0]),
            (1, CONFIGURED[1]),
            (2, f"{p}.in"),
        ]
        assert {b["format"] for b in got} == {"raw"}
        assert "wire-message-id" not in got[0]["metadata"]  # the guest's own view
        # A message abandoned is a failed attempt: retried, then dead-lettered.
        await c.command(f"{p}.in", "abandon", 3)
        (dead,) = await c.take("in.dead")
        assert orjson.loads(dead.data)["n"] == 3
        assert dead.metadata["wire-attempts"] == "3"
        assert "abandoned" in dead.metadata["wire-error"]
        # subscribe-try-receive takes a message; complete-message settles it.
        await c.command(
            f"{p}.in", "receive", 4, source=f"{p}.src", target=f"{p}.out", settle="complete"
        )
        await c.service.send(f"{p}.src", {"taken": 4})
        assert await c.take_json("out") == [{"n": 4, "received": {"taken": 4}}]
    finally:
        await c.stop()
    assert len(failed_attempts(caplog)) == 2  # the abandoned message's first two attempts


async def test_a_handler_bound_by_configure_alone() -> None:
    c = await start(bind=False)
    try:
        assert sorted((b.function, b.channel) for b in c.service.bindings) == [
            ("consume", ch) for ch in CONFIGURED
        ]
        await c.command(CONFIGURED[1], "forward", 1, target=f"{c.p}.out")
        assert [(b["n"], b["topic"]) for b in await c.take_json("out")] == [(1, CONFIGURED[1])]
    finally:
        await c.stop()


async def test_the_draft_is_told_from_the_export(consumer: Consumer) -> None:
    rt = consumer.host.runtimes["consumer"]
    assert isinstance(rt, NativeRuntime)
    assert rt.world.exports == "wasi:messaging/messaging-guest@0.2.0-draft"
    assert rt.world.name == "wasi:messaging@0.2.0-draft"  # the document's world, as before
    assert consumer.host.document["runtimes"]["consumer"]["world"] == rt.world.name
    worlds = WORLDS["wasi:messaging@0.2.0-draft"]
    assert world_of_source(worlds, consumer_guest()).export == "handler"
    assert world_of_source(worlds, GUESTS / "wasi_messaging").export == "handle"


async def test_messages_come_in_batches() -> None:
    p = fresh("wc")
    host = Host(consumer_document(p), GUESTS)
    service = MessagingService(host, make_broker("memory://"), drain_timeout=20)
    c = Consumer(p, host, service)
    try:
        for i in range(6):  # waiting before anything consumes: taken as one batch
            await c.command(f"{p}.in", "forward", i, target=f"{p}.out")
        await service.start()
        got = await c.take_json("out", 6)
        assert sorted(b["n"] for b in got) == list(range(6))
        assert max(b["batch"] for b in got) > 1
        while service.handled < 6:  # each acked once the handler returned
            await asyncio.sleep(0.01)
    finally:
        await c.stop()


async def test_an_error_or_a_trap_fails_what_the_guest_left_unsettled(consumer: Consumer) -> None:
    p = consumer.p
    await consumer.command(f"{p}.in", "fail", 1)
    (dead,) = await consumer.take("in.dead")
    assert dead.metadata["wire-attempts"] == "3"
    assert "handler_error" in dead.metadata["wire-error"]
    assert "is not a channel of typegraph" in dead.metadata["wire-error"]  # its trace
    await consumer.command(f"{p}.in", "trap", 2)
    (dead,) = await consumer.take("in.dead")
    assert "guest_trap" in dead.metadata["wire-error"]
    await consumer.command(f"{p}.in", "forward", 3, target=f"{p}.out")  # a new instance
    assert [b["n"] for b in await consumer.take_json("out")] == [3]


async def test_a_received_message_abandoned_comes_again(consumer: Consumer) -> None:
    p = consumer.p
    await consumer.service.send(f"{p}.src", {"taken": 1})
    kw = {"source": f"{p}.src", "target": f"{p}.out"}
    await consumer.command(f"{p}.in", "receive", 1, settle="abandon", **kw)
    await consumer.command(f"{p}.in", "receive", 2, settle="complete", **kw)
    await consumer.command(f"{p}.in", "receive", 3, settle="complete", **kw)
    got = await consumer.take_json("out", 3)
    assert got == [
        {"n": 1, "received": {"taken": 1}},
        {"n": 2, "received": {"taken": 1}},  # given back by the abandon, taken again
        {"n": 3, "received": None},  # completed: gone
    ]


async def test_update_guest_configuration_subscribes_more(consumer: Consumer) -> None:
    p = consumer.p
    await consumer.command(f"{p}.in", "subscribe", 1, channel=f"{p}.more")
    await consumer.command(f"{p}.in", "forward", 2, target=f"{p}.out")
    assert [b["n"] for b in await consumer.take_json("out")] == [2]  # after the subscribe
    assert ("handle", f"{p}.more") in {(b.function, b.channel) for b in consumer.service.bindings}
    await consumer.command(f"{p}.more", "forward", 3, target=f"{p}.out")
    assert await consumer.take_json("out") == [
        {
            "n": 3,
            "topic": f"{p}.more",
            "batch": 1,
            "format": "raw",
            "metadata": {"wire-topic": f"{p}.more"},
        }
    ]


async def test_errors_the_guest_sees(consumer: Consumer) -> None:
    p = consumer.p
    for n, target in enumerate([f"{p}.secret", "not.a.channel", f"{p}.out"]):
        await consumer.command(f"{p}.in", "try", n, target=target, report=f"{p}.report")
    denied, unknown, fine = await consumer.take_json("report", 3)
    assert denied["error"].startswith("permission-denied: ")
    assert "not granted channel" in denied["error"]
    assert unknown["error"].startswith("other: ") and "is not a channel" in unknown["error"]
    assert fine == {"n": 2, "error": None}
    (sent,) = await consumer.take("out")
    assert sent.metadata == {"sender": "wasi-consumer"}  # no wire-topic / wire-message-id


async def test_configure_asking_for_a_channel_not_granted_fails_the_start() -> None:
    with pytest.raises(PermissionDenied, match=rf"subscribes to '{CFG}\.b', which runtime "):
        await start(granted=[CONFIGURED[0]])
