"""Fault tests, each counted: nothing is lost on a durable channel when the broker restarts
or the connection is cut mid-stream, when the host is killed (`kill -9`) mid-handling, and
when two processes share a channel."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from guests import build_wat_guest
from messaging import fresh, require, with_query
from messaging.restart import disrupt
from messaging.support import FLOW, Recorder, flow_env, flow_host

from wire.messaging import ChannelSpec, Message, MessagingService, make_broker

pytestmark = pytest.mark.asyncio
WIRE = str(Path(sys.executable).parent / "wire")
REAL = ["nats", "rabbitmq", "redis", "mqtt"]


async def collect(url: str, spec: ChannelSpec, want: set[int], timeout: float = 60) -> list[int]:
    """Everything on the `done` queue until `want` is covered; the n of each message."""
    broker = make_broker(url)
    await broker.connect()
    sub = await broker.subscribe(spec, spec.queue_group)
    seen: list[int] = []
    try:
        while not want <= set(seen):
            d = await sub.receive(timeout)
            assert d is not None, f"missing after {timeout} s: {sorted(want - set(seen))}"
            seen.append(orjson.loads(d.message.data)["n"])
            await d.ack()
    finally:
        await sub.close()
        await broker.close()
    return seen


@pytest.mark.parametrize("backend", REAL)
async def test_nothing_is_lost_when_the_broker_restarts_mid_stream(backend: str) -> None:
    url = require(backend)
    p, n = fresh("r"), 60
    host = flow_host(p, Recorder())
    service = MessagingService(host, make_broker(url))
    await service.start()
    done = service.channels[f"{p}.done"].spec
    collector = asyncio.create_task(collect(url, done, set(range(n)), timeout=45))
    try:
        for i in range(n):
            if i == n // 3:
                await asyncio.to_thread(disrupt, backend)
            await service.send(f"{p}.jobs", {"channel": done.name, "payload": {"n": i}})
        seen = await collector
        assert set(seen) == set(range(n))  # at least once: duplicates allowed, no gaps
    finally:
        collector.cancel()
        await service.stop()
        host.close()


def consume(
    url: str, prefix: str, *, guest: str = "hostcaller", deadline_ms: int = 10_000
) -> subprocess.Popen[str]:
    env = {**os.environ, **flow_env(prefix, WIRE_TEST_DEADLINE_MS=str(deadline_ms))}
    env["WIRE_TEST_GUEST"] = str(build_wat_guest(guest))
    return subprocess.Popen(
        [WIRE, "-v", "consume", str(FLOW), "--broker", url, "--drain-timeout", "20"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_line(proc: subprocess.Popen[str], needle: str) -> list[str]:
    """Read the process's stderr until a line contains `needle` (an event, not a sleep)."""
    lines = []
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(
        f"the process ended (rc {proc.wait()}) before {needle!r}:\n{''.join(lines)}"
    )


@pytest.fixture
def procs() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for p in started:
        if p.poll() is None:
            p.kill()
        p.wait()


KILL_URLS = {
    "nats": {"ack_wait": 2},  # JetStream redelivers what was not acked within 2 s
    "rabbitmq": {},  # the broker requeues on a closed connection
    "redis": {"consumer": "kill-test"},  # the restarted consumer reads its own pending entries
    "mqtt": {"consumer": "kill-test"},  # the session resends what was not PUBACKed
}


@pytest.mark.parametrize("backend", REAL)
async def test_kill_9_mid_handling_then_restart_redelivers(
    backend: str, procs: list[subprocess.Popen[str]]
) -> None:
    base = require(backend)
    url = with_query(base, **KILL_URLS[backend]) if KILL_URLS[backend] else base
    if backend == "redis":
        url = with_query(url, consumer=fresh("kill"))
    if backend == "mqtt":
        url = with_query(base, consumer=fresh("kill"))
    p = fresh("k")
    # First host: its handler (the `loop` guest) spins until it is killed.
    first = consume(url, p, guest="loop", deadline_ms=120_000)
    procs.append(first)
    await asyncio.to_thread(wait_line, first, "consuming:")
    broker = make_broker(base)
    await broker.connect()
    jobs = ChannelSpec(f"{p}.jobs", True, "queue")
    done = ChannelSpec(f"{p}.done", True, "queue")
    await broker.send(jobs, Message.json(jobs.name, {"channel": done.name, "payload": {"n": 42}}))
    await broker.close()
    await asyncio.to_thread(wait_line, first, f"handling {p}.jobs attempt 1")
    first.send_signal(signal.SIGKILL)
    first.wait()
    # Subscribed before the second host starts: MQTT keeps nothing for a later subscriber.
    collector = asyncio.create_task(collect(base, done, {42}, timeout=60))
    await asyncio.sleep(0.5) if backend == "mqtt" else None
    second = consume(url, p)  # the same typegraph, a guest that forwards the job
    procs.append(second)
    await asyncio.to_thread(wait_line, second, "consuming:")
    assert await collector == [42]


@pytest.mark.parametrize("backend", ["nats", "redis"])
async def test_two_processes_share_a_durable_channel(
    backend: str, procs: list[subprocess.Popen[str]]
) -> None:
    base = require(backend)
    p, n = fresh("s"), 120
    for i in range(2):
        proc = consume(with_query(base, consumer=f"{p}-{i}"), p)
        procs.append(proc)
        await asyncio.to_thread(wait_line, proc, "consuming:")
    broker = make_broker(base)
    await broker.connect()
    jobs = ChannelSpec(f"{p}.jobs", True, "queue")
    done = ChannelSpec(f"{p}.done", True, "queue")
    for i in range(n):
        await broker.send(
            jobs, Message.json(jobs.name, {"channel": done.name, "payload": {"n": i}})
        )
    await broker.close()
    seen = await collect(base, done, set(range(n)))
    assert sorted(seen) == list(range(n))  # each handled once (every ack succeeded)
    handled = []
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
        lines = await asyncio.to_thread(wait_line, proc, "stopped after")
        handled.append(int(lines[-1].split("stopped after ")[1].split()[0]))
        assert proc.wait(30) == 0
    assert sum(handled) == n and min(handled) > 0, handled
