"""Messaging: handled messages per second.

1. Through NATS with a Python guest handler (bench/echo_py, componentize-py), against a
   plain nats-py subscriber doing the same work as a Python function (decode the JSON, call
   the function, encode its result), in the same run. Target: >= 0.8x. Both are fed by the
   same publisher in another process (as producers are in production): an in-process
   publisher would hold the consumer's GIL while it floods the channel.
2. On the embedded broker with a WAT guest (tests/guests/echo.wat): the host's own cost.
   The publisher is in-process here (there is no other); it yields to the loop every
   `CHUNK` messages, as a socket reader would.
"""

from __future__ import annotations

import asyncio
import copy
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

from wire import Host
from wire.messaging import Message, MessagingService, make_broker

REPO = Path(__file__).resolve().parent.parent
NATS = os.environ.get("WIRE_BENCH_NATS", "nats://127.0.0.1:4222")
PAYLOAD = {"a": 1, "b": "hello", "items": [{"id": 1, "name": "x", "tags": ["a", "b"]}]}
N = int(os.environ.get("WIRE_BENCH_MESSAGES", "10000"))
ROUNDS = 3  # alternating rounds; the median of each side is reported
CONCURRENCY = 2  # the machine's cores
CHUNK = 64

# The external publisher: plain nats-py, N messages of PAYLOAD on a subject, then flush.
PUBLISHER = """
import asyncio, sys, nats, orjson
async def main(url, subject, n, data):
    nc = await nats.connect(url)
    for _ in range(n):
        await nc.publish(subject, data)
    await nc.flush()
    await nc.close()
asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].encode()))
"""


def with_channel(doc: dict[str, Any], channel: str, fn: str) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc["channels"][channel] = {
        "message": {"kind": "ref", "name": doc["functions"][fn]["input"]},
        "durable": False,
        "kind": "queue",
        "handlers": [fn],
        "options": {fn: {"concurrency": CONCURRENCY}},
    }
    for rt in doc["runtimes"].values():  # an instance per concurrent handler call
        rt.setdefault("instances", {})["size"] = CONCURRENCY
    return doc


async def external_publish(subject: str, n: int) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PUBLISHER, NATS, subject, str(n), orjson.dumps(PAYLOAD).decode()
    )
    assert await proc.wait() == 0, "the publisher process failed"


async def rate(publish: Callable[[], Awaitable[None]], handled: Callable[[], int], n: int) -> float:
    """Messages per second handled, from the first handled message of `publish`'s `n` to
    the last (a publisher process's start-up is not the consumer's time)."""
    start = handled()
    publisher = asyncio.ensure_future(publish())
    while handled() == start:
        await asyncio.sleep(0.0002)
    t0, first = time.perf_counter(), handled()
    while handled() < start + n:
        await asyncio.sleep(0.001)
    elapsed = time.perf_counter() - t0
    await publisher
    return (start + n - first) / elapsed


async def through_wire(doc: dict[str, Any], base: Path, url: str, n: int, rounds: int) -> float:
    channel = next(iter(doc["channels"]))
    with Host(doc, base) as host:
        host.start()
        service = MessagingService(host, make_broker(url))
        await service.start()
        spec = service.channels[channel].spec

        async def in_process(count: int) -> None:
            for i in range(count):
                await service.broker.send(spec, Message.json(channel, PAYLOAD))
                if i % CHUNK == 0:
                    await asyncio.sleep(0)

        async def publish(count: int) -> None:
            if url.startswith("nats"):
                await external_publish(channel, count)
            else:
                await in_process(count)

        def handled() -> int:
            return service.handled

        await rate(lambda: publish(100), handled, 100)  # warm up: instances, caches
        rates = [await rate(lambda: publish(n), handled, n) for _ in range(rounds)]
        await service.stop()
    return statistics.median(rates)


def echo(payload: Any) -> Any:
    return payload


async def plain_nats(n: int, rounds: int) -> float:
    import nats

    nc = await nats.connect(NATS)
    count = 0

    async def on_message(msg: Any) -> None:
        nonlocal count
        orjson.dumps(echo(orjson.loads(msg.data)))
        count += 1

    subject = f"bench.plain.{os.getpid()}"
    await nc.subscribe(subject, queue="bench", cb=on_message)
    await nc.flush()
    rates = [
        await rate(lambda: external_publish(subject, n), lambda: count, n) for _ in range(rounds)
    ]
    await nc.close()
    return statistics.median(rates)


def main() -> None:
    sys.path.insert(0, str(REPO / "tests"))
    import bench_call
    from guests import build_wat_guest

    import typegraph

    print("\n## messaging: handled messages per second")
    print(f"{'measure':52} {'msg/s':>10} {'floor msg/s':>12} {'ratio':>7}  target")
    py_tg = REPO / "bench" / "echo_py" / "typegraph.py"
    doc = with_channel(typegraph.load(py_tg), f"bench.py{os.getpid()}", "echo")
    try:
        wire_rate = asyncio.run(through_wire(doc, py_tg.parent, NATS, N, ROUNDS))
        floor = asyncio.run(plain_nats(N, ROUNDS))
        print(
            f"{'NATS, Python guest handler vs plain nats-py sub':52} {wire_rate:10.0f} "
            f"{floor:12.0f} {wire_rate / floor:7.2f}  >= 0.8"
        )
    except Exception as e:  # no NATS here: say so, keep the other figure
        print(f"NATS figure skipped: {type(e).__name__}: {e}")
    wat = bench_call.document(build_wat_guest("echo"), "pooled", "bench_msg")
    doc = with_channel(wat, "bench.wat", "echo")
    embedded = asyncio.run(through_wire(doc, REPO, "memory://", N, ROUNDS))
    print(f"{'embedded broker, WAT echo handler':52} {embedded:10.0f} {'':>12} {'':>7}")


if __name__ == "__main__":
    main()
