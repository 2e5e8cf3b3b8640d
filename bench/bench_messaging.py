"""Messaging: handled messages per second.

1. Through NATS with a Python guest handler (bench/echo_py, componentize-py), against a
   plain nats-py subscriber doing the same work as a Python function (decode the JSON, call
   the function, encode its result), in the same run. Target: >= 0.8x.
2. On the embedded broker with a WAT guest (tests/guests/echo.wat): the host's own cost.
"""

from __future__ import annotations

import asyncio
import copy
import os
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from wire import Host
from wire.messaging import Message, MessagingService, make_broker

REPO = Path(__file__).resolve().parent.parent
NATS = os.environ.get("WIRE_BENCH_NATS", "nats://127.0.0.1:4222")
PAYLOAD = {"a": 1, "b": "hello", "items": [{"id": 1, "name": "x", "tags": ["a", "b"]}]}
N = int(os.environ.get("WIRE_BENCH_MESSAGES", "2000"))
CONCURRENCY = 2  # the machine's cores


def with_channel(doc: dict[str, Any], channel: str, fn: str) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc["channels"][channel] = {
        "message": {"kind": "ref", "name": doc["functions"][fn]["input"]},
        "durable": False,
        "kind": "queue",
        "handlers": [fn],
        "options": {fn: {"concurrency": CONCURRENCY}},
    }
    return doc


async def through_wire(doc: dict[str, Any], base: Path, url: str, n: int) -> float:
    channel = doc["channels"].keys().__iter__().__next__()
    with Host(doc, base) as host:
        host.start()
        service = MessagingService(host, make_broker(url))
        await service.start()
        spec = service.channels[channel].spec
        for _ in range(20):  # warm up: instances, caches
            await service.broker.send(spec, Message.json(channel, PAYLOAD))
        while service.handled < 20:
            await asyncio.sleep(0.01)
        t0 = time.perf_counter()
        for _ in range(n):
            await service.broker.send(spec, Message.json(channel, PAYLOAD))
        while service.handled < n + 20:
            await asyncio.sleep(0.001)
        rate = n / (time.perf_counter() - t0)
        await service.stop()
    return rate


def echo(payload: Any) -> Any:
    return payload


async def plain_nats(n: int) -> float:
    import nats

    nc = await nats.connect(NATS)
    done = asyncio.Event()
    count = 0

    async def on_message(msg: Any) -> None:
        nonlocal count
        orjson.dumps(echo(orjson.loads(msg.data)))
        count += 1
        if count == n:
            done.set()

    subject = f"bench.plain.{os.getpid()}"
    await nc.subscribe(subject, queue="bench", cb=on_message)
    await nc.flush()
    data = orjson.dumps(PAYLOAD)
    t0 = time.perf_counter()
    for _ in range(n):
        await nc.publish(subject, data)
    await done.wait()
    rate = n / (time.perf_counter() - t0)
    await nc.close()
    return rate


def main() -> None:
    sys.path.insert(0, str(REPO / "tests"))
    from guests import build_wat_guest

    import typegraph

    print("\n## messaging: handled messages per second")
    print(f"{'measure':52} {'msg/s':>10} {'floor msg/s':>12} {'ratio':>7}  target")
    py_tg = REPO / "bench" / "echo_py" / "typegraph.py"
    doc = with_channel(typegraph.load(py_tg), f"bench.py{os.getpid()}", "echo")
    try:
        wire_rate = asyncio.run(through_wire(doc, py_tg.parent, NATS, N))
        floor = asyncio.run(plain_nats(N))
        print(
            f"{'NATS, Python guest handler vs plain nats-py sub':52} {wire_rate:10.0f} "
            f"{floor:12.0f} {wire_rate / floor:7.2f}  >= 0.8"
        )
    except Exception as e:  # no NATS here: say so, keep the other figure
        print(f"NATS figure skipped: {type(e).__name__}: {e}")
    wat = {
        "format": "wire-typegraph/1",
        "name": "bench_msg",
        "types": {"Payload": {"kind": "struct", "fields": {}, "additionalProperties": True}},
        "runtimes": {
            "guest": {
                "kind": "wire",
                "component": str(build_wat_guest("echo")),
                "instances": {"policy": "pooled", "size": CONCURRENCY},
                "limits": {"deadline_ms": 10_000, "memory_bytes": 64 * 2**20},
            }
        },
        "materializers": {"echo": {"runtime": "guest", "op": "echo", "title": "echo", "data": {}}},
        "policies": {},
        "functions": {
            "echo": {
                "input": "Payload",
                "output": {"kind": "ref", "name": "Payload"},
                "materializer": "echo",
                "effect": "read",
                "exposed": False,
                "policies": [],
            }
        },
        "channels": {},
    }
    rate = asyncio.run(through_wire(with_channel(wat, "bench.wat", "echo"), REPO, "memory://", N))
    print(f"{'embedded broker, WAT echo handler':52} {rate:10.0f} {'':>12} {'':>7}")


if __name__ == "__main__":
    main()
