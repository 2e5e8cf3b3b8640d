"""The load generator of the messaging peer benchmark: one process, plain nats-py.

    python bench/publisher.py URL SUBJECT N (flood | paced RATE) [--jetstream]

Publishes N orders `{id, item, qty}` whose `id` is the publish time in µs since the epoch
(the output's `id` gives the latency), then prints one JSON line: `sent`, `failed` (JetStream
publishes the stream refused), `seconds` and `cpu_s` (this process's CPU time once
connected: its start-up is not load). `flood` publishes as fast as it can; `paced` at RATE
messages per second. With `--jetstream` every publish is acknowledged by the stream (up to
WINDOW acks outstanding, awaited before the end), so nothing is lost before it is stored.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time

import nats
import orjson
from nats.aio.msg import Msg

WINDOW = 4096  # JetStream publishes awaiting their ack


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def order(i: int) -> bytes:
    return orjson.dumps({"id": time.time_ns() // 1000, "item": "book", "qty": 1 + i % 10})


async def publish(url: str, subject: str, n: int, rate: float, jetstream: bool) -> None:
    nc = await nats.connect(url)
    acked = failed = 0
    window = asyncio.Semaphore(WINDOW)
    done = asyncio.Event()

    async def on_ack(msg: Msg) -> None:
        nonlocal acked, failed
        acked += 1
        # an error reply, or the server's "no responders" when no stream takes the subject
        failed += b'"error"' in msg.data or (msg.headers or {}).get("Status") == "503"
        window.release()
        if acked == n:
            done.set()

    cpu0 = cpu_seconds()
    inbox = nc.new_inbox()
    if jetstream:
        await nc.subscribe(inbox + ".*", cb=on_ack)
    start = time.perf_counter()
    for i in range(n):
        if rate:
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        if jetstream:
            await window.acquire()
            await nc.publish(subject, order(i), reply=f"{inbox}.{i}")
        else:
            await nc.publish(subject, order(i))
    await nc.flush()
    if jetstream and n:
        await asyncio.wait_for(done.wait(), 60)
    seconds = time.perf_counter() - start
    line = {"sent": n, "failed": failed, "seconds": seconds, "cpu_s": cpu_seconds() - cpu0}
    await nc.close()
    print(orjson.dumps(line).decode(), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("subject")
    ap.add_argument("n", type=int)
    ap.add_argument("mode", choices=["flood", "paced"])
    ap.add_argument("rate", type=float, nargs="?", default=0.0)
    ap.add_argument("--jetstream", action="store_true")
    ns = ap.parse_args()
    rate = ns.rate if ns.mode == "paced" else 0.0
    asyncio.run(publish(ns.url, ns.subject, ns.n, rate, ns.jetstream))


if __name__ == "__main__":
    main()
