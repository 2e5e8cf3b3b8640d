"""`--processes N`: `wire serve` from N processes sharing one port, `wire consume` from N
processes sharing the consumer groups; the embedded broker, which lives in one process, is
refused with channels."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import time

import httpx
import pytest
from messaging import fresh, require
from messaging.support import FLOW, flow_env
from messaging.take import take_until
from serving import MATH, WIRE, serve

from wire.messaging import ChannelSpec, Message, make_broker


def test_serve_spreads_connections_over_its_processes() -> None:
    with serve(MATH, "--processes", "2") as server:
        pids: set[int] = set()
        deadline = time.monotonic() + 60
        while len(pids) < 2 and time.monotonic() < deadline:
            with httpx.Client() as fresh_connection:  # the kernel spreads new connections
                body = fresh_connection.get(f"{server.url}/health").json()
                pids.add(body["process"]["pid"])
        assert len(pids) == 2, f"only process(es) {pids} answered"
        for i in range(10):
            assert server.gql("{ add(a: 1, b: 2) }", path="math")["data"] == {"add": 3}, i
        assert server.output.count("wire: 2 processes share port") == 1  # one banner
    assert server.output.count("wire: stopped") == 2  # both stopped cleanly


def _cpus_of(pid: int) -> set[str]:
    """The CPUs each of the process's threads may run on, as /proc lists them."""
    cpus = set()
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            cpus |= {ln.split()[1] for ln in f if ln.startswith("Cpus_allowed_list:")}
    return cpus


def test_pin_keeps_each_serving_process_on_its_own_cpu() -> None:
    if len(os.sched_getaffinity(0)) < 2:
        pytest.fail("this test needs 2 CPUs")
    with serve(MATH, "--processes", "2", "--pin") as server:
        pids: set[int] = set()
        deadline = time.monotonic() + 60
        while len(pids) < 2 and time.monotonic() < deadline:
            with httpx.Client() as fresh_connection:
                body = fresh_connection.get(f"{server.url}/health").json()
                pids.add(body["process"]["pid"])
            # A request, so that the worker threads exist: they must be pinned too.
            assert server.gql("{ add(a: 1, b: 2) }", path="math")["data"] == {"add": 3}
        assert len(pids) == 2, f"only process(es) {pids} answered"
        per_process = [_cpus_of(pid) for pid in sorted(pids)]
        assert all(len(c) == 1 for c in per_process), per_process  # every thread, one CPU
        assert per_process[0] != per_process[1], per_process
        said = re.findall(r"wire: process (\d+) pinned to CPU (\d+)", server.output)
        assert {int(p) for p, _ in said} == pids, server.output
        assert {c for _, c in said} == {next(iter(c)) for c in per_process}


def test_a_pin_setting_that_is_not_a_yes_or_no_is_refused() -> None:
    proc = subprocess.run(
        [str(WIRE), "serve", "--port", "0", str(MATH)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "WIRE_PIN": "sometimes"},
    )
    assert proc.returncode != 0
    assert "WIRE_PIN must be 1 or 0, got 'sometimes'" in proc.stderr + proc.stdout


def test_serve_refuses_the_embedded_broker_for_channels_across_processes() -> None:
    proc = subprocess.run(
        [str(WIRE), "serve", "--processes", "2", "--port", "0", str(FLOW)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **flow_env(fresh("pe"))},
    )
    assert proc.returncode != 0
    assert "the embedded broker lives inside one process" in proc.stderr + proc.stdout


@pytest.mark.asyncio
async def test_consume_shares_the_groups_between_its_processes() -> None:
    url, p, n = require("nats"), fresh("pc"), 200
    env = {**os.environ, **flow_env(p)}
    proc = subprocess.Popen(
        [str(WIRE), "consume", str(FLOW), "--broker", url, "--processes", "2", "--pin"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    ready = 0
    lines: list[str] = []
    while ready < 2:
        line = await asyncio.to_thread(proc.stderr.readline)
        assert line, "".join(lines)
        lines.append(line)
        ready += "consuming:" in line
    broker = make_broker(url)
    await broker.connect()
    jobs = ChannelSpec(f"{p}.jobs", True, "queue")
    done = ChannelSpec(f"{p}.done", True, "queue")
    sub = await broker.subscribe(done, done.queue_group, prefetch=64)
    for i in range(n):
        await broker.send(
            jobs, Message.json(jobs.name, {"channel": done.name, "payload": {"n": i}})
        )
    await take_until(sub, set(range(n)), timeout=30)
    await sub.close()
    await broker.close()
    proc.send_signal(signal.SIGTERM)
    rest = await asyncio.to_thread(proc.stderr.read)
    assert proc.wait(60) == 0
    said = "".join(lines) + rest
    counts = [int(m) for m in re.findall(r"stopped after (\d+) message", said)]
    assert len(counts) == 2 and sum(counts) >= n and min(counts) > 0, counts
    cpus = re.findall(r"pinned to CPU (\d+)", said)  # --pin: one CPU each, not the same
    assert len(cpus) == 2 and len(set(cpus)) == 2, said
