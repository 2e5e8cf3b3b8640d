"""Subscriptions never leak: `wire serve`'s app in this process (real uvicorn, real
WebSockets) on the embedded broker, whose fan-out listeners the tests count.

Every way a socket ends right after `subscribe` (the server closing it for a protocol
violation, the client closing it or vanishing) must end the subscription: `/health`
counts 0 and the broker keeps no listener."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import httpx
import pytest
from graphql_ws import PROTOCOL, GqlWs
from limits_support import Served, serve_limits
from websockets.asyncio.client import ClientConnection, connect

pytestmark = pytest.mark.asyncio
TICKS = "subscription { ticks { n pad } }"
SUBSCRIBE = json.dumps({"type": "subscribe", "id": "s", "payload": {"query": TICKS}})


async def opened(url: str) -> ClientConnection:
    ws = await connect(url.replace("http://", "ws://", 1), subprotocols=[PROTOCOL])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await ws.recv()) == {"type": "connection_ack"}
    return ws


async def server_closes(ws: ClientConnection, second: str, code: int) -> None:
    await ws.send(SUBSCRIBE)
    await ws.send(second)  # handled right after the subscribe: the server closes
    await asyncio.wait_for(ws.wait_closed(), 30)
    assert ws.close_code == code, (ws.close_code, ws.close_reason)


async def client_closes(ws: ClientConnection) -> None:
    await ws.send(SUBSCRIBE)
    await ws.close()


async def client_vanishes(ws: ClientConnection) -> None:
    await ws.send(SUBSCRIBE)
    ws.transport.abort()  # no close frame: the TCP connection just drops


ENDINGS: dict[str, Callable[[ClientConnection], Awaitable[None]]] = {
    "4409-duplicate-id": lambda ws: server_closes(ws, SUBSCRIBE, 4409),
    "4400-not-json": lambda ws: server_closes(ws, "not json", 4400),
    "4400-unknown-type": lambda ws: server_closes(ws, json.dumps({"type": "mystery"}), 4400),
    "4429-second-init": lambda ws: server_closes(ws, json.dumps({"type": "connection_init"}), 4429),
    "client-close": client_closes,
    "client-vanishes": client_vanishes,
}


async def subscriptions(s: Served) -> int:
    async with httpx.AsyncClient() as client:
        health = (await client.get(f"{s.here.url}/health")).json()
    count: int = health["typegraphs"]["limits"]["subscriptions"]
    return count


async def settled(s: Served) -> tuple[int, int]:
    """(subscriptions /health counts, broker listeners) once the server caught up."""
    for _ in range(100):
        counts = (await subscriptions(s), s.listeners())
        if counts == (0, 0):
            break
        await asyncio.sleep(0.1)
    return counts


@pytest.mark.parametrize("ending", sorted(ENDINGS))
async def test_a_socket_ended_right_after_subscribe_leaks_nothing(
    monkeypatch: pytest.MonkeyPatch, ending: str
) -> None:
    async with serve_limits(monkeypatch) as s:
        # a live one first: the counts below do see a subscription while it runs
        async with GqlWs.open(s.url) as live:
            assert await live.subscribe("live", TICKS) == []
            assert (await subscriptions(s), s.listeners()) == (1, 1)
        assert await settled(s) == (0, 0)

        async def one() -> None:
            ws = await opened(s.url)
            try:
                await ENDINGS[ending](ws)
            finally:
                ws.transport.abort()

        for _ in range(5):  # 100 sockets, 20 at a time
            await asyncio.gather(*(one() for _ in range(20)))
        assert await settled(s) == (0, 0)


async def test_shutdown_and_reload_end_every_subscription(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with serve_limits(monkeypatch) as s:
        sockets = [await opened(s.url) for _ in range(20)]
        for ws in sockets:
            await ws.send(SUBSCRIBE)
        for _ in range(100):
            if s.listeners() == 20:
                break
            await asyncio.sleep(0.05)
        assert (await subscriptions(s), s.listeners()) == (20, 20)
        assert await s.here.typegraphs.reload(s.here.typegraphs.slots["limits"])
        for ws in sockets:
            ended = json.loads(await asyncio.wait_for(ws.recv(), 30))
            assert ended["type"] == "error" and ended["id"] == "s"
            assert ended["payload"][0]["extensions"]["code"] == "subscription_ended"
        assert await settled(s) == (0, 0)
        # the new version's, ended by the shutdown
        for ws in sockets:
            await ws.send(json.dumps({**json.loads(SUBSCRIBE), "id": "again"}))
        for _ in range(100):
            if s.listeners() == 20:
                break
            await asyncio.sleep(0.05)
        assert s.listeners() == 20
        broker = s.broker
        s.here.server.should_exit = True
        await asyncio.wait_for(s.here.task, 60)
    assert not broker.fanout.get(s.channel)
    for ws in sockets:
        ws.transport.abort()
