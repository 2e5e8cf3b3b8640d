"""Remove what a test session left on the real brokers: the queues, streams and keys of
the channels named with `fresh()` prefixes.

Durable channels outlive their consumers by design, so without this every run would add
queues to RabbitMQ, streams to NATS and keys to Redis on this machine (RabbitMQ wedged
once under ~300 leftover quorum queues). MQTT sessions expire by themselves (the test
URL sets `session_expiry`). Only this session's prefixes are touched: another run on the
same brokers keeps its state.
"""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
from collections.abc import Awaitable, Callable, Collection

from . import BROKERS, reachable

log = logging.getLogger("tests.cleanup")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)


async def _rabbitmq(url: str, prefixes: Collection[str]) -> int:
    import aio_pika

    listed = await asyncio.to_thread(
        subprocess.run,
        ["rabbitmqctl", "list_queues", "name", "--quiet", "--no-table-headers"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    names = [q for q in listed.stdout.split() if any(q.startswith(f"wire.{p}") for p in prefixes)]
    conn = await aio_pika.connect(url, timeout=10)
    try:
        channel = await conn.channel()
        for q in names:
            await channel.queue_delete(q)
    finally:
        await conn.close()
    return len(names)


async def _nats(url: str, prefixes: Collection[str]) -> int:
    import nats

    nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=0)
    try:
        js = nc.jetstream()
        wanted = tuple(f"WIRE_{_safe(p)}" for p in prefixes)
        names = [s.config.name for s in await js.streams_info()]
        doomed = [n for n in names if n and n.startswith(wanted)]
        for n in doomed:
            await js.delete_stream(n)
        return len(doomed)
    finally:
        await nc.close()


async def _redis(url: str, prefixes: Collection[str]) -> int:
    import redis.asyncio as aioredis

    r = aioredis.from_url(url)
    try:
        keys = [k for p in prefixes async for k in r.scan_iter(match=f"wire:{p}*", count=500)]
        if keys:
            await r.delete(*keys)
        return len(keys)
    finally:
        await r.aclose()


CLEANERS: dict[str, Callable[[str, Collection[str]], Awaitable[int]]] = {
    "rabbitmq": _rabbitmq,
    "nats": _nats,
    "redis": _redis,
}


async def remove_test_state(prefixes: Collection[str]) -> dict[str, int | str]:
    """Per broker, how many entities were removed, or why that failed (never raises: a
    failed clean-up must not fail the tests that ran)."""
    out: dict[str, int | str] = {}
    if not prefixes:
        return out
    for name, clean in CLEANERS.items():
        url = BROKERS[name]
        if not reachable(url):
            continue
        try:
            out[name] = await asyncio.wait_for(clean(url, prefixes), 120)
        except Exception as e:
            out[name] = f"{type(e).__name__}: {e}"
            log.warning("cleaning %s failed: %s", name, out[name])
    return out
