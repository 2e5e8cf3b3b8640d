"""The floor of the messaging peer benchmark: plain nats-py by hand, in its own process.

    python bench/peer_plain.py URL PREFIX [--stream NAME]

Takes an order `{id, item, qty}` from `PREFIX.placed`, checks its types, publishes
`{id, parcels = ceil(qty / 3)}` on `PREFIX.shipped` (core NATS). Core: a callback
subscription in a queue group. With `--stream`: `PREFIX.placed` is read from that JetStream
stream (file storage, created here) through a durable push consumer (the faster kind here,
as for FastStream), each order acked once its shipment is published. Prints `ready` once subscribed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from typing import Any

import nats
import orjson
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig

PER_PARCEL = 3
DURABLE = "bench_peer"


def check_order(order: Any) -> tuple[int, int]:
    """The order's id and quantity, once its types are checked (the schema's rules)."""
    if not isinstance(order, dict):
        raise TypeError("an order is an object")
    oid, item, qty = order.get("id"), order.get("item"), order.get("qty")
    if type(oid) is not int or oid < 1:
        raise TypeError("id: an integer >= 1")
    if not isinstance(item, str) or not item:
        raise TypeError("item: a non-empty string")
    if type(qty) is not int or qty < 1:
        raise TypeError("qty: an integer >= 1")
    return oid, qty


async def consume(url: str, prefix: str, stream: str | None) -> None:
    nc = await nats.connect(url)
    placed, shipped = f"{prefix}.placed", f"{prefix}.shipped"

    async def handle(data: bytes) -> None:
        oid, qty = check_order(orjson.loads(data))
        await nc.publish(shipped, orjson.dumps({"id": oid, "parcels": -(-qty // PER_PARCEL)}))

    async def on_message(msg: Msg) -> None:
        await handle(msg.data)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if stream is None:
        await nc.subscribe(placed, queue="bench", cb=on_message)
        await nc.flush()
        print("ready", flush=True)
        await stop.wait()
    else:
        js = nc.jetstream()
        await js.add_stream(StreamConfig(name=stream, subjects=[placed], storage=StorageType.FILE))

        async def on_stored(msg: Msg) -> None:
            await handle(msg.data)
            await msg.ack()

        config = ConsumerConfig(ack_policy=AckPolicy.EXPLICIT)
        await js.subscribe(
            placed, durable=DURABLE, stream=stream, cb=on_stored, manual_ack=True, config=config
        )
        print("ready", flush=True)
        await stop.wait()
    await nc.drain()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("prefix")
    ap.add_argument("--stream")
    ns = ap.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(consume(ns.url, ns.prefix, ns.stream))


if __name__ == "__main__":
    main()
