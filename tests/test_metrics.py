"""Prometheus metrics, scraped for real: `GET /metrics` of a `wire serve` after real calls,
errors, traps, messages and a subscription; `wire consume --metrics-port` on NATS; a
memory trap counted in process."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import make_document
from graphql_ws import GqlWs
from guests import build_wat_guest
from messaging import fresh, require
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from serving import serve

from wire import Host, MemoryLimitExceeded
from wire.messaging import ChannelSpec, Message, make_broker

OBSERVE = Path(__file__).resolve().parent / "observe_typegraph.py"
WIRE = Path(sys.executable).parent / "wire"
# Every label a wire metric may carry: bounded sets (names from the typegraph, codes,
# outcomes), never ids or payloads.
BOUNDED = {"typegraph", "function", "runtime", "policy", "channel", "handler", "code"}
BOUNDED |= {"outcome", "broker", "le"}


def observe_env(prefix: str) -> dict[str, str]:
    env = {"WIRE_TEST_PREFIX": prefix}
    for name in ("echo", "errors", "loop", "trap", "hostcaller"):
        env[f"WIRE_TEST_{name.upper()}"] = str(build_wat_guest(name))
    return env


class Scrape:
    """One scrape of a /metrics page: its samples, summed over the labels not asked for."""

    def __init__(self, text: str) -> None:
        self.families = list(text_string_to_metric_families(text))

    def __call__(self, name: str, **labels: str) -> float:
        total = 0.0
        for family in self.families:
            for s in family.samples:
                if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                    total += s.value
        return total

    def label_names(self) -> set[str]:
        return {
            k
            for f in self.families
            if f.name.startswith("wire_")
            for s in f.samples
            for k in s.labels
        }


async def scrape(client: httpx.AsyncClient, url: str) -> Scrape:
    r = await client.get(f"{url}/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    return Scrape(r.text)


async def until(
    client: httpx.AsyncClient, url: str, ok: Callable[[Scrape], bool], timeout: float = 30
) -> Scrape:
    deadline = time.monotonic() + timeout
    while True:
        got = await scrape(client, url)
        if ok(got) or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.1)


@pytest.mark.asyncio
async def test_wire_serve_counts_calls_errors_traps_messages_and_subscriptions() -> None:
    prefix = fresh("m")
    jobs, out = f"{prefix}.jobs", f"{prefix}.out"
    tg = {"typegraph": "observe"}
    with serve(OBSERVE, env=observe_env(prefix)) as server:
        url = f"{server.url}/observe"
        async with httpx.AsyncClient(timeout=60) as client:

            async def gql(query: str) -> dict[str, Any]:
                r = await client.post(url, json={"query": query})
                assert r.status_code == 200
                body: dict[str, Any] = r.json()
                return body

            for n in range(3):
                assert await gql(f"{{ echo(n: {n}) {{ n }} }}") == {"data": {"echo": {"n": n}}}
            wide = await gql("{ wide(n: 3e9) { n } }")  # the guest's answer overflows Int
            assert wide["errors"][0]["extensions"]["code"] == "graphql_error"
            assert "32-bit" in wide["errors"][0]["message"]
            bad = await gql("{ echo(n: 99999999999) { n } }")  # refused before it runs
            assert bad["errors"][0]["extensions"]["code"] == "graphql_validation_failed"
            codes = {}
            for field in ("boom", "spin", "crash"):
                failed = await gql(f"{{ {field} }}")
                codes[field] = failed["errors"][0]["extensions"]["code"]
            assert codes == {
                "boom": "handler_error",
                "spin": "deadline_exceeded",
                "crash": "guest_trap",
            }

            async with GqlWs.open(url) as ws:
                assert await ws.subscribe("s", "subscription { out { n } }") == []
                open_now = await scrape(client, server.url)
                for n in (1, 2):
                    job = f'mutation {{ jobs(channel: "{out}", payload: {{n: {n}}}) }}'
                    assert await gql(job) == {"data": {"jobs": True}}
                # a channel the guest is not granted: two failed attempts, then dead-lettered
                refused = f'mutation {{ jobs(channel: "{jobs}", payload: {{n: 9}}) }}'
                assert await gql(refused) == {"data": {"jobs": True}}
                seen = [(await ws.recv())["payload"]["data"]["out"]["n"] for _ in range(2)]
                assert sorted(seen) == [1, 2]

                def settled(m: Scrape) -> bool:
                    on = {"channel": jobs, "handler": "send"}
                    return (
                        m("wire_messages_handled_total", **on) == 2
                        and m("wire_messages_dead_lettered_total", **on) == 1
                    )

                m = await until(client, server.url, settled)
            closed = await until(
                client, server.url, lambda m: m("wire_graphql_subscriptions_open", **tg) == 0
            )

    assert m.label_names() <= BOUNDED
    # calls and their latency, per function
    fn = {"typegraph": "observe"}
    assert m("wire_calls_total", **fn, function="echo") == 3
    assert m("wire_call_duration_seconds_count", **fn, function="echo") == 3
    assert m("wire_call_duration_seconds_bucket", **fn, function="echo", le="+Inf") == 3
    assert 0 < m("wire_call_duration_seconds_sum", **fn, function="echo") < 3
    assert m("wire_calls_total", **fn, function="wide") == 1  # the guest answered: no error
    assert m("wire_call_duration_seconds_sum", **fn, function="spin") >= 0.1  # its deadline
    # errors by code
    for function, code in (
        ("boom", "handler_error"),
        ("spin", "deadline_exceeded"),
        ("crash", "guest_trap"),
    ):
        assert m("wire_call_errors_total", **fn, function=function, code=code) == 1
    assert m("wire_call_errors_total", **fn, function="echo") == 0
    # traps per runtime
    assert m("wire_guest_traps_total", **tg, runtime="loop", code="deadline_exceeded") == 1
    assert m("wire_guest_traps_total", **tg, runtime="trap", code="guest_trap") == 1
    assert m("wire_guest_traps_total", **tg, runtime="echo") == 0
    # instances: a fresh runtime makes one to check at start, then one per call; a pool
    # makes at most its size and gives them back
    assert m("wire_instances_created_total", **tg, runtime="errors") == 2
    assert 1 <= m("wire_instances_created_total", **tg, runtime="echo") <= 2
    assert m("wire_instances_pool_size", **tg, runtime="echo", policy="pooled") == 2
    assert m("wire_instances_in_use", **tg, runtime="echo") == 0
    assert m("wire_instances_idle", **tg, runtime="echo") >= 1
    # messages per channel and handler: 2 handled; the refused one failed twice, was
    # retried once and dead-lettered; the handler's calls count too
    on = {"typegraph": "observe", "channel": jobs, "handler": "send"}
    assert m("wire_messages_handled_total", **on) == 2
    assert m("wire_messages_failed_total", **on) == 2
    assert m("wire_messages_retried_total", **on) == 1
    assert m("wire_messages_dead_lettered_total", **on) == 1
    assert m("wire_calls_total", **fn, function="send") == 4
    assert m("wire_call_errors_total", **fn, function="send", code="handler_error") == 2
    # the broker, the subscription (open while it was), GraphQL outcomes
    assert m("wire_broker_connected", **tg, broker="memory") == 1
    assert open_now("wire_graphql_subscriptions_open", **tg) == 1
    assert closed("wire_graphql_subscriptions_open", **tg) == 0
    assert m("wire_graphql_requests_total", **tg, outcome="ok") == 3 + 1 + 3  # echo, sub, jobs
    assert m("wire_graphql_requests_total", **tg, outcome="error") == 4  # wide, boom, spin, crash
    assert m("wire_graphql_requests_total", **tg, outcome="rejected") == 1
    # the process's own
    assert m("process_cpu_seconds_total") > 0


def test_wire_consume_serves_metrics_on_its_port() -> None:
    url = require("nats")
    prefix = fresh("mc")
    env = {**os.environ, **observe_env(prefix)}
    cmd = [str(WIRE), "consume", str(OBSERVE), "--broker", url, "--metrics-port", "0"]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        metrics_url = None
        for line in proc.stderr:
            found = re.search(r"metrics at (http://\S+)/metrics", line)
            if found:
                metrics_url = found.group(1)
                break
        assert metrics_url is not None, "wire consume did not say where its metrics are"

        async def publish() -> None:
            broker = make_broker(url)
            await broker.connect()
            try:
                spec = ChannelSpec(f"{prefix}.jobs", True, "queue")
                for n in range(3):
                    job = {"channel": f"{prefix}.out", "payload": {"n": n}}
                    await broker.send(spec, Message.json(spec.name, job))
            finally:
                await broker.close()

        async def check() -> Scrape:
            await publish()
            async with httpx.AsyncClient(timeout=30) as client:
                on = {"channel": f"{prefix}.jobs", "handler": "send"}
                return await until(
                    client, metrics_url, lambda m: m("wire_messages_handled_total", **on) == 3
                )

        m = asyncio.run(check())
        on = {"typegraph": "observe", "channel": f"{prefix}.jobs", "handler": "send"}
        assert m("wire_messages_handled_total", **on) == 3
        assert m("wire_calls_total", typegraph="observe", function="send") == 3
        assert m("wire_broker_connected", typegraph="observe", broker="nats") == 1
        assert m("wire_broker_reconnects_total", typegraph="observe") == 0
    finally:
        proc.terminate()
        proc.wait(30)
        assert proc.returncode == 0


@pytest.fixture
def tiny_memory(wat: Callable[[str], Path]) -> Iterator[Host]:
    """A host whose echo runtime may use less memory than the guest's minimum."""
    doc = make_document(wat("echo"), {"e": {}}, name="tinymem", limits={"memory_bytes": 1024})
    with Host(doc, Path(__file__).parent) as host:
        yield host


def test_a_memory_trap_is_counted_per_runtime(tiny_memory: Host) -> None:
    labels = {"typegraph": "tinymem", "runtime": "rt", "code": "memory_limit_exceeded"}
    before = REGISTRY.get_sample_value("wire_guest_traps_total", labels) or 0
    with pytest.raises(MemoryLimitExceeded, match=r"raise limits\.memory_bytes"):
        tiny_memory.call_sync("e", {})
    assert REGISTRY.get_sample_value("wire_guest_traps_total", labels) == before + 1
    calls = {"typegraph": "tinymem", "function": "e", "code": "memory_limit_exceeded"}
    assert REGISTRY.get_sample_value("wire_call_errors_total", calls) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("backend", ["nats", "redis", "mqtt"])
async def test_a_broker_restart_is_counted_as_a_reconnect(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from messaging.private import private_broker

    from wire.messaging import MessagingService
    from wire.telemetry import metrics

    prefix = fresh("mr")
    for key, value in observe_env(prefix).items():
        monkeypatch.setenv(key, value)
    labels = {"typegraph": "observe", "broker": backend}

    def sample(name: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    with private_broker(backend) as b, Host.load(OBSERVE) as host:
        service = MessagingService(host, make_broker(b.url))
        await service.start()  # its handler's subscription reads the broker
        try:
            await metrics.refresh()
            before = sample("wire_broker_reconnects_total")
            assert sample("wire_broker_connected") == 1
            await asyncio.to_thread(b.restart)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                await metrics.refresh()
                if sample("wire_broker_reconnects_total") > before:
                    break
                await asyncio.sleep(0.2)
            assert sample("wire_broker_reconnects_total") >= before + 1
            # a send goes through (MQTT's publisher connection, which its `connected`
            # reports, comes back with the first one)
            await service.send(f"{prefix}.out", {"n": 1})
            await metrics.refresh()
            assert sample("wire_broker_connected") == 1
        finally:
            await service.stop()
    # a stopped service's connection is no longer reported
    assert REGISTRY.get_sample_value("wire_broker_connected", labels) is None
