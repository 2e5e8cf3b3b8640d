"""Handlers, responders and the messaging hostcall ops, with real guests, on every backend."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
import pytest_asyncio
from messaging import BROKERS, fresh, require
from messaging.support import Recorder, flow_host
from messaging.take import take_from

from wire import Host, WireError
from wire.messaging import ChannelSpec, Message, MessagingService, make_broker

pytestmark = pytest.mark.asyncio


class Flow:
    def __init__(self, prefix: str, host: Host, service: MessagingService, rec: Recorder) -> None:
        self.p, self.host, self.service, self.rec = prefix, host, service, rec

    async def call(self, fn: str, args: Any) -> Any:
        return await self.host.call(fn, args)

    async def take(self, channel: str, n: int, group: str = "test") -> list[Message]:
        """`n` messages of `channel` as a consumer group sees them (acked)."""
        spec = (
            self.service.channels[channel].spec
            if channel in self.service.channels
            else (ChannelSpec(channel, True, "queue"))
        )
        group = spec.queue_group if spec.kind == "queue" else group
        return await take_from(self.service.broker, spec, n, group=group, timeout=20)


async def start_flow(url: str, consume: bool = True, **options: Any) -> Flow:
    p = fresh("f")
    rec = Recorder()
    host = flow_host(p, rec)
    service = MessagingService(host, make_broker(url), drain_timeout=20, **options)
    await service.start(consume=consume)
    return Flow(p, host, service, rec)


@pytest_asyncio.fixture(params=list(BROKERS))
async def flow(request: pytest.FixtureRequest) -> AsyncIterator[Flow]:
    f = await start_flow(require(request.param))
    yield f
    await f.service.stop()
    f.host.close()


async def test_a_handler_sends_on_through_the_send_op(flow: Flow) -> None:
    for n in range(5):
        await flow.service.send(
            f"{flow.p}.jobs", {"channel": f"{flow.p}.done", "payload": {"n": n}}
        )
    got = await flow.take(f"{flow.p}.done", 5)
    assert sorted(orjson.loads(m.data)["n"] for m in got) == list(range(5))


async def test_failures_are_retried_then_dead_lettered_with_the_count(flow: Flow) -> None:
    await flow.service.send(f"{flow.p}.events", {"n": 1, "fail": 2})  # succeeds on attempt 3
    await flow.service.send(f"{flow.p}.events", {"n": 2, "fail": 99})  # never does
    (dead,) = await flow.take(f"{flow.p}.events.dead", 1)
    flow.rec.wait(lambda r: 1 in r.done)
    assert flow.rec.calls == {1: 3, 2: 3}
    assert orjson.loads(dead.data) == {"n": 2, "fail": 99}
    assert dead.metadata["wire-attempts"] == "3"
    assert "event 2 fails on attempt 3" in dead.metadata["wire-error"]
    assert dead.metadata["wire-channel"] == f"{flow.p}.events"


async def test_bad_payloads_are_dead_lettered_with_the_reason(flow: Flow) -> None:
    spec = flow.service.channels[f"{flow.p}.events"].spec
    broker = flow.service.broker
    await broker.send(spec, Message(spec.name, b"{not json"))
    await broker.send(spec, Message.json(spec.name, {"n": "one", "fail": 0}))
    dead = await flow.take(f"{flow.p}.events.dead", 2)
    reasons = sorted(m.metadata["wire-error"] for m in dead)
    assert "not JSON" in reasons[1] or "not JSON" in reasons[0]
    assert any("does not match the message type" in r and "/n" in r for r in reasons)
    assert flow.rec.calls == {}  # the handler never saw them


async def test_a_request_is_answered_by_the_responder(flow: Flow) -> None:
    out = await flow.call(
        "do_request", {"channel": f"{flow.p}.ask", "payload": {"q": "hi"}, "timeout_ms": 10_000}
    )
    assert out == {"replies": [{"payload": {"q": "hi"}, "metadata": {}}]}


@pytest.mark.parametrize("backend", ["memory", "nats"])
async def test_guests_use_only_granted_channels_with_checked_payloads(backend: str) -> None:
    f = await start_flow(require(backend), consume=False)
    try:
        with pytest.raises(WireError, match=r"permission_denied.*not granted channel") as e:
            await f.call("do_send", {"channel": f"{f.p}.events", "payload": {"n": 1, "fail": 0}})
        assert "guest" in str(e.value)
        with pytest.raises(WireError, match=r"invalid_payload.*/n"):
            await f.call("do_send", {"channel": f"{f.p}.done", "payload": {"n": "x"}})
        with pytest.raises(WireError, match=r"no channel 'nope'"):
            await f.call("do_send", {"channel": "nope", "payload": {}})
    finally:
        await f.service.stop()
        f.host.close()


@pytest.mark.parametrize("backend", ["memory", "nats", "redis"])
async def test_receive_complete_and_abandon(backend: str) -> None:
    f = await start_flow(require(backend), consume=False)
    done = f"{f.p}.done"
    try:
        assert await f.call("do_receive", {"channel": done, "timeout_ms": 50}) == {"message": None}
        await f.service.send(done, {"n": 7})
        got = (await f.call("do_receive", {"channel": done, "timeout_ms": 5000}))["message"]
        assert (got["payload"], got["attempt"]) == ({"n": 7}, 1)
        await f.call("do_abandon", {"id": got["id"]})
        again = (await f.call("do_receive", {"channel": done, "timeout_ms": 5000}))["message"]
        assert (again["payload"], again["attempt"]) == ({"n": 7}, 2)
        await f.call("do_complete", {"id": again["id"]})
        assert await f.call("do_receive", {"channel": done, "timeout_ms": 300}) == {"message": None}
        with pytest.raises(WireError, match="already settled"):
            await f.call("do_complete", {"id": again["id"]})
        with pytest.raises(WireError, match="no message is being handled"):
            await f.call("do_complete", {})
    finally:
        await f.service.stop()
        f.host.close()


@pytest.mark.parametrize("backend", ["memory", "nats", "redis"])
async def test_a_received_message_left_unsettled_is_given_back_after_its_lease(
    backend: str,
) -> None:
    f = await start_flow(require(backend), consume=False, receive_lease=0.3)
    done = f"{f.p}.done"
    try:
        await f.service.send(done, {"n": 8})
        got = (await f.call("do_receive", {"channel": done, "timeout_ms": 5000}))["message"]
        assert got["attempt"] == 1
        await asyncio.sleep(0.4)  # the guest never settles it
        again = (await f.call("do_receive", {"channel": done, "timeout_ms": 5000}))["message"]
        assert (again["payload"], again["attempt"]) == ({"n": 8}, 2)
        assert list(f.service._received) == [again["id"]]  # the first is gone for good
        with pytest.raises(WireError, match=r"given back after its 0\.3 s lease"):
            await f.call("do_complete", {"id": got["id"]})
        await f.call("do_complete", {"id": again["id"]})
    finally:
        await f.service.stop()
        f.host.close()


async def test_concurrency_is_limited_per_handler() -> None:
    f = await start_flow("memory://")
    f.rec.gate = threading.Event()
    try:
        for n in range(6):
            await f.service.send(f"{f.p}.events", {"n": n, "fail": 0})
        await asyncio.to_thread(f.rec.wait, lambda r: r.running == 2)
        f.rec.gate.set()
        await asyncio.to_thread(f.rec.wait, lambda r: len(r.done) == 6)
        assert f.rec.max_running == 2  # concurrency=2 in flow.py
    finally:
        await f.service.stop()
        f.host.close()


@pytest.mark.parametrize("backend", ["memory", "nats"])
async def test_stop_wakes_idle_handlers_at_once(backend: str) -> None:
    """Handlers waiting for a delivery are woken by `stop`, not left to its drain timeout
    (20 s here)."""
    f = await start_flow(require(backend))
    await f.service.send(f"{f.p}.events", {"n": 1, "fail": 0})
    await asyncio.to_thread(f.rec.wait, lambda r: r.done == [1])
    await asyncio.wait_for(f.service.stop(), 5)
    assert f.service.handled == 1
    f.host.close()


@pytest.mark.parametrize("backend", ["memory", "nats"])
async def test_stop_drains_the_handlers_in_flight(backend: str) -> None:
    f = await start_flow(require(backend))
    f.rec.gate = threading.Event()
    await f.service.send(f"{f.p}.events", {"n": 1, "fail": 0})
    await asyncio.to_thread(f.rec.wait, lambda r: r.running == 1)
    stopping = asyncio.create_task(f.service.stop())
    await asyncio.sleep(0)  # stop() has begun and is waiting on the handler
    assert not stopping.done()
    f.rec.gate.set()
    await stopping
    assert f.rec.done == [1] and f.service.handled == 1
    f.host.close()
