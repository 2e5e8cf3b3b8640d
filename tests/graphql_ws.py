"""A small graphql-transport-ws client (on `websockets`) for the tests, and `wire serve`'s
app under uvicorn inside the test's event loop (for tests that reach into the server)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from websockets.asyncio.client import ClientConnection, connect

from wire.http import ServerConfig, Typegraphs, create_app
from wire.http.serve import bind

PROTOCOL = "graphql-transport-ws"


class GqlWs:
    """One graphql-transport-ws connection."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        url: str,
        *,
        init: bool = True,
        payload: dict[str, Any] | None = None,
        subprotocols: tuple[str, ...] = (PROTOCOL,),
    ) -> AsyncIterator[GqlWs]:
        ws_url = url.replace("http://", "ws://", 1)
        async with connect(ws_url, subprotocols=list(subprotocols) or None) as ws:  # type: ignore[arg-type]
            client = cls(ws)
            if init:
                await client.send({"type": "connection_init", "payload": payload or {}})
                assert await client.recv() == {"type": "connection_ack"}
            yield client

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def recv(self, timeout: float = 60) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        out: dict[str, Any] = json.loads(raw)
        return out

    async def subscribe(
        self, op_id: str, query: str, variables: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Send `subscribe`, then a `ping`: once the `pong` is back the subscription is
        listening (the server handles a connection's messages in order). The messages
        that came before the `pong` (an `error`, say)."""
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        await self.send({"type": "subscribe", "id": op_id, "payload": payload})
        await self.send({"type": "ping"})
        before = []
        while (message := await self.recv()) != {"type": "pong"}:
            before.append(message)
        return before

    async def closed(self, timeout: float = 30) -> tuple[int | None, str]:
        """Wait for the server to close the connection: (code, reason)."""
        await asyncio.wait_for(self.ws.wait_closed(), timeout)
        return self.ws.close_code, self.ws.close_reason or ""


class Here:
    """`wire serve`'s app running in this event loop."""

    def __init__(
        self, typegraphs: Typegraphs, url: str, server: uvicorn.Server, task: asyncio.Task[None]
    ) -> None:
        self.typegraphs = typegraphs
        self.url = url
        self.server = server
        self.task = task  # done once the server has shut down


@asynccontextmanager
async def serve_here(typegraphs: Typegraphs, config: ServerConfig) -> AsyncIterator[Here]:
    """Serve `typegraphs` on a free port until the block ends (then a graceful shutdown:
    `here.server.should_exit = True` starts one earlier)."""
    started = asyncio.Event()

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            started.set()

    sock = bind("127.0.0.1", 0)
    app = create_app(typegraphs, config)
    server = Server(uvicorn.Config(app, lifespan="on", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    ready = asyncio.ensure_future(started.wait())
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if not started.is_set():
        ready.cancel()
        sock.close()
        raise RuntimeError("the server did not start (see the log)")
    try:
        yield Here(typegraphs, f"http://127.0.0.1:{sock.getsockname()[1]}", server, task)
    finally:
        server.should_exit = True
        await task
        sock.close()
