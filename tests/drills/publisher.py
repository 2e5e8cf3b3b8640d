"""A drill's publisher: a plain client of the broker (not wire), in its own process.

    python publisher.py <backend> <url> <jobs channel> <done channel> <n> <rate> [poison...]

Publishes ids 0..n-1 as wire messages `{"channel": <done>, "payload": {"n": id}}` on the
jobs channel at `rate` per second, each one until the broker confirms it (a broker that is
down is retried: a message is sent at least once). A `poison` argument `i:kind` replaces
message i with a bad one (`type`: a 600 KB string where an object is due; `json`: not
JSON). Prints `progress <i>` every 100 messages and, at the end, one JSON line:
`{"sent": [ids confirmed], "poison": [ids replaced]}`.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable

import orjson

Send = Callable[[bytes], Awaitable[None]]


async def nats_sender(url: str, subject: str) -> tuple[Send, Callable[[], Awaitable[None]]]:
    import nats

    nc = await nats.connect(url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    js = nc.jetstream()

    async def send(data: bytes) -> None:
        await js.publish(subject, data, timeout=2, headers={"Content-Type": "application/json"})

    return send, nc.close


async def redis_sender(url: str, channel: str) -> tuple[Send, Callable[[], Awaitable[None]]]:
    import redis.asyncio as aioredis

    r = aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)

    async def send(data: bytes) -> None:
        await r.xadd(f"wire:{channel}", {"data": data, "content-type": "application/json"})

    return send, r.aclose


async def mqtt_sender(url: str, channel: str) -> tuple[Send, Callable[[], Awaitable[None]]]:
    from urllib.parse import urlsplit

    import paho.mqtt.client as mqtt

    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    acked: dict[int, asyncio.Future[int]] = {}

    def on_publish(_c: object, _u: object, mid: int, reason: object, _p: object) -> None:
        fut = acked.pop(mid, None)
        if fut is not None:
            code = int(getattr(reason, "value", 0))
            loop.call_soon_threadsafe(lambda: fut.done() or fut.set_result(code))

    client.on_publish = on_publish
    client.connect(parts.hostname or "127.0.0.1", parts.port or 1883)
    client.loop_start()
    topic = channel.replace(".", "/")

    async def send(data: bytes) -> None:
        if not client.is_connected():
            client.reconnect()
            await asyncio.sleep(0.2)
        info = client.publish(topic, data, qos=1)
        fut: asyncio.Future[int] = loop.create_future()
        acked[info.mid] = fut
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise ConnectionError(f"publish rc {info.rc}")
        code = await asyncio.wait_for(fut, 3)
        if code >= 0x80 or code == 16:  # refused, or no session subscribed: not kept
            raise ConnectionError(f"PUBACK reason {code}")

    async def close() -> None:
        client.loop_stop()
        client.disconnect()

    return send, close


async def rabbit_sender(url: str, channel: str) -> tuple[Send, Callable[[], Awaitable[None]]]:
    import aio_pika

    conn = await aio_pika.connect_robust(url)
    ch = await conn.channel(publisher_confirms=True)
    exchange = await ch.declare_exchange("wire", aio_pika.ExchangeType.TOPIC, durable=True)

    async def send(data: bytes) -> None:
        message = aio_pika.Message(
            data, content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT
        )
        await exchange.publish(message, routing_key=channel, mandatory=True, timeout=5)

    return send, conn.close


SENDERS = {
    "nats": nats_sender,
    "redis": redis_sender,
    "mqtt": mqtt_sender,
    "rabbitmq": rabbit_sender,
}


def body(i: int, done: str, poison: dict[int, str]) -> bytes:
    kind = poison.get(i)
    if kind == "type":
        return orjson.dumps({"channel": done, "payload": "x" * 600_000})
    if kind == "json":
        return b'{"channel": "' + done.encode() + b'", "payload": {"n": ' + b"}"
    return orjson.dumps({"channel": done, "payload": {"n": i}})


async def main(argv: list[str]) -> None:
    backend, url, jobs, done, n, rate = argv[:6]
    poison = {int(k): v for k, v in (a.split(":") for a in argv[6:])}
    send, close = await SENDERS[backend](url, jobs)
    sent: list[int] = []
    start = time.monotonic()
    for i in range(int(n)):
        data = body(i, done, poison)
        while True:
            try:
                await send(data)
                break
            except Exception as e:  # the broker is down or restarting: at least once
                print(f"retry {i}: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
                await asyncio.sleep(0.1)
        sent.append(i)
        if i % 100 == 0:
            print(f"progress {i}", flush=True)
        ahead = start + (i + 1) / float(rate) - time.monotonic()
        if ahead > 0:
            await asyncio.sleep(ahead)
    await close()
    print(orjson.dumps({"sent": sent, "poison": sorted(poison)}).decode(), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
