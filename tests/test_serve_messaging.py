"""`wire serve`'s messaging in this process (its app under uvicorn on a free port, real
HTTP and WebSocket), where the test can reach into the host: a graceful shutdown drains a
handler in flight, and a reload swaps the messaging service without losing a message on
a durable channel."""

from __future__ import annotations

import asyncio
import logging
import threading

import httpx
import pytest
from graphql_ws import GqlWs, serve_here
from messaging import fresh, require
from messaging.support import FLOW, Recorder, flow_env
from messaging.take import take_until

from wire.http import ServerConfig, load_all
from wire.messaging import Broker, ChannelSpec, make_broker

pytestmark = pytest.mark.asyncio
JOB = "mutation($c: String!, $n: Int!) { jobs(channel: $c, payload: {n: $n}) }"


@pytest.fixture
def prefix(monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh channel prefix, in the environment the flow typegraph is loaded under."""
    p = fresh("h")
    for key, value in flow_env(p).items():
        monkeypatch.setenv(key, value)
    return p


class Seen(logging.Handler):
    """Sets `event` when a log message starts with `text`."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.event = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(self.text):
            self.event.set()


async def test_graceful_shutdown_drains_a_handler_in_flight(
    prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "wire.serve")
    draining = Seen("messaging: draining flow")
    logging.getLogger("wire.serve").addHandler(draining)
    config = ServerConfig(graceful_shutdown_s=30)
    typegraphs = load_all([FLOW], config)
    version = typegraphs.slots["flow"].current
    assert version is not None
    recorder = Recorder(gate=threading.Event())
    version.gateway.host.hostcalls.register(
        "record", recorder.op, args_schema={"type": "object"}, result_schema={"type": "null"}
    )
    try:
        async with serve_here(typegraphs, config) as here:
            service = version.messaging
            assert service is not None
            async with httpx.AsyncClient() as client:
                query = "mutation { events(n: 1, fail: 0) }"
                r = await client.post(f"{here.url}/flow", json={"query": query})
                assert r.json() == {"data": {"events": True}}
            await asyncio.to_thread(recorder.wait, lambda r: r.running == 1)
            here.server.should_exit = True  # as SIGTERM does
            assert await asyncio.to_thread(draining.event.wait, 30)
            assert not here.task.done()  # the shutdown waits for the handler...
            assert service.handled == 0
            assert recorder.gate is not None
            recorder.gate.set()  # ...which now finishes
        assert service.handled == 1  # finished and acked before the server stopped
        assert recorder.done == [1] and recorder.calls == {1: 1}
    finally:
        logging.getLogger("wire.serve").removeHandler(draining)


async def collect(broker: Broker, spec: ChannelSpec, want: set[int]) -> list[int]:
    """The `n` of every message on the queue `spec` until `want` is covered."""
    sub = await broker.subscribe(spec, spec.queue_group)
    try:
        return await take_until(sub, want, timeout=60)
    finally:
        await sub.close()


@pytest.mark.parametrize("backend", ["memory", "nats"])
async def test_a_reload_swaps_messaging_without_losing_messages(backend: str, prefix: str) -> None:
    url = require(backend)
    config = ServerConfig(broker=url)
    typegraphs = load_all([FLOW], config)
    slot = typegraphs.slots["flow"]
    n = 60
    done = ChannelSpec(f"{prefix}.done", True, "queue")
    async with serve_here(typegraphs, config) as here:
        # the test is the only consumer of the done queue (the embedded broker: the same
        # in-process instance the server runs on)
        broker = typegraphs.brokers.make() if backend == "memory" else make_broker(url)
        await broker.connect()
        collector = asyncio.create_task(collect(broker, done, set(range(n))))
        async with GqlWs.open(f"{here.url}/flow") as ws, httpx.AsyncClient() as client:
            assert await ws.subscribe("d", "subscription { done { n } }") == []

            async def publish(i: int) -> None:
                variables = {"c": done.name, "n": i}
                r = await client.post(
                    f"{here.url}/flow", json={"query": JOB, "variables": variables}
                )
                assert r.json() == {"data": {"jobs": True}}

            first = asyncio.gather(*(publish(i) for i in range(n // 2)))
            assert await typegraphs.reload(slot)  # while those are being published
            await first
            await asyncio.gather(*(publish(i) for i in range(n // 2, n)))
            # the old version's subscription ended, saying why
            while (message := await ws.recv())["type"] == "next":
                pass
            assert message["type"] == "error" and message["id"] == "d"
            assert message["payload"][0]["extensions"]["code"] == "subscription_ended"
            assert "reloaded" in message["payload"][0]["message"]
            # a new subscription runs on the new version (jobs still queued go by first)
            assert await ws.subscribe("d2", "subscription { done { n } }") == []
            await publish(n)
            last = {"id": "d2", "type": "next", "payload": {"data": {"done": {"n": n}}}}
            while (message := await ws.recv()) != last:
                assert message["id"] == "d2" and message["type"] == "next", message
        seen = await asyncio.wait_for(collector, 60)
        assert set(range(n)) <= set(seen)  # at least once: nothing lost over the swap
        if backend != "memory":
            await broker.close()
