"""GraphQL over WebSocket at `ws://.../<name>`: the `graphql-transport-ws` subprotocol
(https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md).

The client sends `connection_init` (its payload may carry `Authorization`, else the
handshake's header counts), the server answers `connection_ack`; then each `subscribe`
{id, payload: {query, variables, operationName}} streams `next` messages until the
server sends `complete` (the stream ended), the client sends `complete` (stop), or the
server sends `error` (it could not start, or its typegraph was reloaded or stopped:
subscribe again). A query or a mutation gets one `next` and `complete`. `ping` gets
`pong`.

Messages of one connection are handled in order, and a `subscribe` is listening before
the next message is read: a client that gets the `pong` of a `ping` sent after its
`subscribe` knows every message sent from then on will reach it.

Close codes (the protocol's): 4400 a malformed message, 4401 `subscribe` before the ack,
4403 bad credentials, 4406 the subprotocol was not offered, 4408 no `connection_init`
within 10 s, 4409 an id already in use, 4429 a second `connection_init`; 4404 no such
typegraph (wire's).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ..graphql import ANONYMOUS, AuthContext, AuthError
from ..graphql.gateway import Responses
from .typegraphs import Slot, Typegraphs, Version

log = logging.getLogger("wire.serve")

PROTOCOL = "graphql-transport-ws"
INIT_TIMEOUT_S = 10.0


class Closed(Exception):
    """The connection must close with `code` (a protocol violation)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason[:120]  # a close reason fits in 123 bytes


class Operation:
    """One running `subscribe`: forwards its responses until they end or it is ended.

    However it ends (its stream ran out, the client completed it or went away, the server
    closed the socket, a reload or a shutdown ended it), it is released exactly once: its
    responses closed (the broker listener with them) and forgotten by its connection and
    its version. Release does not rely on its task having run: a task cancelled before
    its first step never runs its body (a socket closed right after `subscribe`)."""

    def __init__(self, conn: Connection, op_id: str, responses: Responses, version: Version):
        self.conn = conn
        self.id = op_id
        self.responses = responses
        self.version = version
        self._released = False
        conn.operations[op_id] = self
        version.streams.add(self)
        self.task = asyncio.create_task(self._forward())

    async def _forward(self) -> None:
        try:
            async for response in self.responses:
                await self.conn.send({"id": self.id, "type": "next", "payload": response})
            await self.conn.send({"id": self.id, "type": "complete"})
        except Exception as e:
            if self.conn.gone:
                return  # the client went away mid-send
            log.exception("subscription %s failed", self.id)  # a bug: say so, keep going
            error = {"message": f"internal error: {e}", "extensions": {"code": "internal_error"}}
            with contextlib.suppress(Exception):
                await self.conn.send({"id": self.id, "type": "error", "payload": [error]})
        finally:
            await self._release()

    async def _release(self) -> None:
        if self._released:
            return
        self._released = True
        self.version.streams.discard(self)
        if self.conn.operations.get(self.id) is self:
            del self.conn.operations[self.id]
        try:
            await self.responses.aclose()
        except Exception as e:
            log.warning("closing subscription %s failed: %s", self.id, e)

    async def _cancel(self) -> bool:
        """Stop forwarding and release it; whether it was still running."""
        running = not self.task.done()
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        await self._release()
        return running

    async def end(self, reason: str) -> None:
        """Stop (its typegraph was reloaded or is stopping), telling the client why."""
        if await self._cancel() and not self.conn.gone:
            error = {"message": reason, "extensions": {"code": "subscription_ended"}}
            with contextlib.suppress(Exception):
                await self.conn.send({"id": self.id, "type": "error", "payload": [error]})

    async def stop(self) -> None:
        """Stop without a word (the client asked, or went away)."""
        await self._cancel()


class Connection:
    """One WebSocket speaking graphql-transport-ws to one typegraph."""

    def __init__(self, ws: WebSocket, slot: Slot) -> None:
        self.ws = ws
        self.slot = slot
        self.auth: AuthContext | None = None  # set by connection_init
        self.operations: dict[str, Operation] = {}
        self.closed = False  # set once `run` ends
        self._send_lock = asyncio.Lock()

    @property
    def gone(self) -> bool:
        """Whether nothing can be sent any more (closed by either side)."""
        return self.closed or WebSocketState.DISCONNECTED in (
            self.ws.client_state,
            self.ws.application_state,
        )

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_text(orjson.dumps(message).decode())

    async def receive(self) -> dict[str, Any]:
        raw = await self.ws.receive()
        if raw["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(raw.get("code", 1000))
        text = raw.get("text")
        if text is None:
            raise Closed(4400, "messages are JSON text frames")
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise Closed(4400, "a message is not valid JSON") from None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise Closed(4400, "a message must be a JSON object with a string `type`")
        return message

    async def run(self) -> None:
        try:
            try:
                first = await asyncio.wait_for(self.receive(), INIT_TIMEOUT_S)
            except TimeoutError:
                raise Closed(4408, "Connection initialisation timeout") from None
            await self.handle(first)
            while True:
                await self.handle(await self.receive())
        except Closed as e:
            with contextlib.suppress(Exception):  # the client may be gone already
                await self.ws.close(e.code, e.reason)
        except WebSocketDisconnect:
            pass
        finally:
            self.closed = True
            for op in list(self.operations.values()):
                await op.stop()

    async def handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if self.auth is None and kind not in ("connection_init", "ping", "pong"):
            if kind == "subscribe":
                raise Closed(4401, "Unauthorized: send connection_init first")
            raise Closed(4400, f"unexpected {kind!r} before connection_init")
        if kind == "connection_init":
            if self.auth is not None:
                raise Closed(4429, "Too many initialisation requests")
            self.auth = self.authenticate(message.get("payload"))
            await self.send({"type": "connection_ack"})
        elif kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "pong":
            pass
        elif kind == "subscribe":
            await self.subscribe(message)
        elif kind == "complete":
            op = self.operations.get(str(message.get("id")))
            if op is not None:
                await op.stop()
        else:
            raise Closed(4400, f"unknown message type {kind!r}")

    def authenticate(self, payload: Any) -> AuthContext:
        if payload is not None and not isinstance(payload, dict):
            raise Closed(4400, "the connection_init payload must be an object")
        payload = payload or {}
        headers = payload.get("headers") if isinstance(payload.get("headers"), dict) else {}
        found = [
            v
            for source in (payload, headers)
            for k, v in source.items()
            if k.lower() == "authorization" and isinstance(v, str)
        ]
        authorization = found[0] if found else self.ws.headers.get("authorization")
        version = self.slot.current
        if version is None:
            return ANONYMOUS  # nothing serves yet: each subscribe says so
        try:
            return version.gateway.authenticator.authenticate(authorization)
        except AuthError as e:
            raise Closed(4403, f"Forbidden: {e.message}") from None

    async def subscribe(self, message: dict[str, Any]) -> None:
        op_id, payload = message.get("id"), message.get("payload")
        if not isinstance(op_id, str) or not op_id:
            raise Closed(4400, "subscribe needs a non-empty string `id`")
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            raise Closed(4400, "subscribe needs a payload with a `query` string")
        variables = payload.get("variables")
        if variables is not None and not isinstance(variables, dict):
            raise Closed(4400, "`variables` must be an object")
        op_name = payload.get("operationName")
        if op_name is not None and not isinstance(op_name, str):
            raise Closed(4400, "`operationName` must be a string")
        if op_id in self.operations:
            raise Closed(4409, f"Subscriber for {op_id} already exists")
        version = self.slot.current
        if version is None or version.retired:
            error = {
                "message": f"typegraph '{self.slot.name}' is not serving: "
                f"{self.slot.error or 'it has not loaded'}",
                "extensions": {"code": "typegraph_unavailable"},
            }
            await self.send({"id": op_id, "type": "error", "payload": [error]})
            return
        assert self.auth is not None
        started = await version.gateway.subscribe(
            payload["query"], variables, op_name or None, self.auth
        )
        if isinstance(started, list):
            await self.send({"id": op_id, "type": "error", "payload": started})
            return
        if version.retired or version.closed:  # reloaded or stopped while it started
            await started.aclose()
            error = {
                "message": f"typegraph '{self.slot.name}' was reloaded or stopped while "
                "the subscription started: subscribe again",
                "extensions": {"code": "subscription_ended"},
            }
            await self.send({"id": op_id, "type": "error", "payload": [error]})
            return
        Operation(self, op_id, started, version)  # registers itself, then runs


async def serve_socket(ws: WebSocket, typegraphs: Typegraphs) -> None:
    """Serve one WebSocket at `/<name>` until either side closes it."""
    name = ws.path_params["name"]
    slot = typegraphs.slots.get(name)
    if PROTOCOL not in ws.scope.get("subprotocols", []):
        await ws.accept()
        await ws.close(4406, f"Subprotocol not acceptable: use {PROTOCOL}")
        return
    await ws.accept(subprotocol=PROTOCOL)
    if slot is None:
        await ws.close(4404, f"no typegraph at /{name}")
        return
    await Connection(ws, slot).run()
    if ws.application_state != WebSocketState.DISCONNECTED:
        with contextlib.suppress(Exception):
            await ws.close(1000)
