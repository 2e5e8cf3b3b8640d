"""Clients that are not ours on the same channels: mosquitto_pub / mosquitto_sub, redis-cli,
and a plain nats-py script. Each sends a job that a wire handler forwards, and reads the
message the handler sent."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from messaging import fresh, require
from messaging.support import Recorder, flow_host

from wire.messaging import MessagingService, make_broker

pytestmark = pytest.mark.asyncio


class Running:
    def __init__(self, p: str, service: MessagingService) -> None:
        self.p, self.service = p, service


async def running(backend: str) -> Running:
    p = fresh("i")
    host = flow_host(p, Recorder())
    service = MessagingService(host, make_broker(require(backend)))
    await service.start()
    return Running(p, service)


@pytest_asyncio.fixture
async def mqtt() -> AsyncIterator[Running]:
    r = await running("mqtt")
    yield r
    await r.service.stop()
    r.service.host.close()


@pytest_asyncio.fixture
async def redis() -> AsyncIterator[Running]:
    r = await running("redis")
    yield r
    await r.service.stop()
    r.service.host.close()


@pytest_asyncio.fixture
async def nats() -> AsyncIterator[Running]:
    r = await running("nats")
    yield r
    await r.service.stop()
    r.service.host.close()


def job(p: str, n: int) -> str:
    return json.dumps({"channel": f"{p}.done", "payload": {"n": n}})


async def test_mosquitto_clients(mqtt: Running) -> None:
    p = mqtt.p
    sub = await asyncio.create_subprocess_exec(
        "mosquitto_sub", "-V", "mqttv5", "-q", "1", "-W", "30", "-t", f"{p}/done",
        stdout=subprocess.PIPE,
    )  # fmt: skip
    assert sub.stdout is not None
    # mosquitto_sub says nothing once subscribed: probes from wire until one shows up.
    done = mqtt.service.channels[f"{p}.done"].spec
    while True:
        await mqtt.service.broker.send(done, _probe(p))
        try:
            line = await asyncio.wait_for(sub.stdout.readline(), 0.5)
            break
        except TimeoutError:
            continue
    assert json.loads(line) == {"n": -1}
    subprocess.run(
        ["mosquitto_pub", "-V", "mqttv5", "-q", "1", "-t", f"{p}/jobs", "-m", job(p, 5)], check=True
    )
    while (got := json.loads(await sub.stdout.readline())) == {"n": -1}:
        pass
    sub.kill()
    await sub.wait()
    assert got == {"n": 5}  # mosquitto_pub -> wire handler -> send op -> mosquitto_sub


def _probe(p: str) -> object:
    from wire.messaging import Message

    return Message.json(f"{p}.done", {"n": -1})


async def test_redis_cli(redis: Running) -> None:
    p = redis.p
    subprocess.run(
        ["redis-cli", "XADD", f"wire:{p}.jobs", "*", "data", job(p, 7)],
        check=True,
        capture_output=True,
    )
    deadline = asyncio.get_running_loop().time() + 20
    while True:  # poll the stream as redis-cli users do
        out = subprocess.run(
            ["redis-cli", "--json", "XRANGE", f"wire:{p}.done", "-", "+"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        entries = json.loads(out or "[]")
        if entries:
            break
        assert asyncio.get_running_loop().time() < deadline, "the handler's message never came"
        await asyncio.sleep(0.1)
    fields = entries[0][1]
    data = dict(zip(fields[::2], fields[1::2], strict=True))
    assert json.loads(data["data"]) == {"n": 7}
    assert data["content-type"] == "application/json"


PLAIN_NATS = """
import asyncio, json, sys
import nats

async def main(p):
    nc = await nats.connect("nats://127.0.0.1:4222")
    sub = await nc.subscribe(p + ".done")
    await nc.flush()
    job = {"channel": p + ".done", "payload": {"n": 9}}
    await nc.publish(p + ".jobs", json.dumps(job).encode())
    msg = await sub.next_msg(timeout=20)
    print(msg.data.decode())
    await nc.close()

asyncio.run(main(sys.argv[1]))
"""


async def test_plain_nats_py_script(nats: Running) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PLAIN_NATS, nats.p, stdout=subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    assert json.loads(out) == {"n": 9}
