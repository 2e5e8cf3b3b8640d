"""Subscriptions never leak, and a slow subscriber's backlog is bounded: `wire serve`'s app
in this process (real uvicorn, real WebSockets) on the embedded broker, whose fan-out
listeners the tests count.

Every way a socket ends right after `subscribe` (the server closing it for a protocol
violation, the client closing it or vanishing) must end the subscription: `/health`
counts 0 and the broker keeps no listener. A subscriber that does not read keeps at most
`subscription_backlog` messages; it learns how many it lost from a `next` carrying a
`subscription_overflow` error, and the subscription goes on."""

from __future__ import annotations

import asyncio
import json
import os
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


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def test_a_slow_subscriber_keeps_a_bounded_backlog(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backlog, sent, pad = 50, 3000, "x" * 16_384  # 48 MiB if every message were kept
    async with serve_limits(monkeypatch, subscription_backlog=backlog) as s:
        # A client that reads nothing for now (one frame queued at most, then the socket
        # buffers fill and the server's sends wait).
        ws = await connect(
            s.url.replace("http://", "ws://", 1),
            subprotocols=[PROTOCOL],  # type: ignore[list-item]
            max_queue=1,
            max_size=None,
            compression=None,  # the padding would compress to nothing
            ping_interval=None,  # it would not read the pong
        )
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv()) == {"type": "connection_ack"}
        await ws.send(SUBSCRIBE)
        for _ in range(100):
            if s.listeners() == 1:
                break
            await asyncio.sleep(0.05)
        (listener,) = s.broker.fanout[s.channel]
        service = s.version.messaging
        assert service is not None
        before = rss_mb()
        most = 0
        for n in range(sent):
            await service.send(s.channel, {"n": n, "pad": pad})
            most = max(most, listener.backlog.qsize())
            await asyncio.sleep(0)  # the server's other tasks run meanwhile
        grown = rss_mb() - before
        assert most <= backlog  # never more waits for it than its backlog
        assert grown < sent * len(pad) / 2**20 / 4, f"RSS grew {grown:.1f} MiB"

        # Now it reads: what it got and what it was told it lost add up to what was sent,
        # and the newest message is the last one it gets.
        got: list[int] = []
        lost = 0
        while not got or got[-1] != sent - 1:
            message = json.loads(await asyncio.wait_for(ws.recv(), 30))
            assert message["type"] == "next" and message["id"] == "s"
            payload = message["payload"]
            if "errors" in payload:
                (err,) = payload["errors"]
                assert err["extensions"]["code"] == "subscription_overflow"
                assert err["extensions"]["details"]["backlog"] == backlog
                assert err["path"] == ["ticks"]
                lost += err["extensions"]["details"]["dropped"]
            else:
                got.append(payload["data"]["ticks"]["n"])
        assert got == sorted(got) and len(got) + lost == sent
        assert lost > 0
        # the subscription goes on
        await service.send(s.channel, {"n": sent, "pad": ""})
        message = json.loads(await asyncio.wait_for(ws.recv(), 30))
        assert message["payload"]["data"]["ticks"]["n"] == sent
        await ws.close()
        assert await settled(s) == (0, 0)
