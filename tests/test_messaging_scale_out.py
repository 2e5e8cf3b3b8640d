"""Two `wire consume` processes share a durable channel, each message handled once. (Broker
restarts, cut connections and kill -9 are the counted drills in tests/drills/, on private
brokers: the shared ones here are never restarted.)"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from guests import build_wat_guest
from messaging import fresh, require, with_query
from messaging.support import FLOW, flow_env
from messaging.take import take_until

from wire.messaging import ChannelSpec, Message, make_broker

pytestmark = pytest.mark.asyncio
WIRE = str(Path(sys.executable).parent / "wire")


async def collect(url: str, spec: ChannelSpec, want: set[int], timeout: float = 60) -> list[int]:
    """Everything on the `done` queue until `want` is covered; the n of each message."""
    broker = make_broker(url)
    await broker.connect()
    sub = await broker.subscribe(spec, spec.queue_group)
    try:
        return await take_until(sub, want, timeout)
    finally:
        await sub.close()
        await broker.close()


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


@pytest.mark.parametrize("backend", ["nats", "redis"])
async def test_two_processes_share_a_durable_channel(
    backend: str, procs: list[subprocess.Popen[str]]
) -> None:
    base = require(backend)
    p, n = fresh("s"), 120
    for i in range(2):
        # Redis names each process's consumer (NATS takes no `consumer`: its groups are
        # the server's durable consumers).
        url = with_query(base, consumer=f"{p}-{i}") if backend == "redis" else base
        proc = consume(url, p)
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
