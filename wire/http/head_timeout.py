"""uvicorn's HTTP/1.1 protocol (h11) with a deadline for the request head.

uvicorn bounds the idle time between requests (`timeout_keep_alive`) but not the time a
client takes to send a request's head: a client that sends half a request line, or
headers one byte a minute, held its connection forever. Here the head must be complete
within `header_timeout_s` of the connection opening (or of the previous response): a
client that sent part of one gets 408 `read_timeout` and is closed; one that sent
nothing is closed quietly, as an idle keep-alive connection is. (The body has its own
deadline, in `app.read_body`.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import h11
import orjson
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("wire.serve")


def protocol(header_timeout_s: float) -> type[asyncio.Protocol]:
    """The protocol class for `uvicorn.Config(http=...)`."""

    class HeadTimeoutProtocol(_HeadTimeout):
        header_timeout = header_timeout_s

    return HeadTimeoutProtocol


class _HeadTimeout(H11Protocol):
    header_timeout: float

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle or self.transport.get_protocol() is not self:
            self._disarm()  # a head is in: a request runs, or the socket became a WebSocket

    def on_response_complete(self) -> None:
        self._arm()  # for the next request's head (a pipelined one disarms it again)
        super().on_response_complete()

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.header_timeout, self._timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is running: the head came in time
        partial, _closed = self.conn.trailing_data
        if partial:
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
            log.info(
                "%s: the request head did not arrive within %g s: 408, connection closed",
                client,
                self.header_timeout,
            )
            self.transport.write(_response_408(self.header_timeout))
        with contextlib.suppress(h11.LocalProtocolError):  # as uvicorn's keep-alive timeout
            self.conn.send(h11.ConnectionClosed())
        self.transport.close()


def _response_408(timeout: float) -> bytes:
    body = orjson.dumps(
        {
            "errors": [
                {
                    "message": f"the request head did not arrive within {timeout:g} s "
                    "(--header-timeout / WIRE_HEADER_TIMEOUT_S)",
                    "extensions": {"code": "read_timeout"},
                }
            ]
        }
    )
    head = (
        "HTTP/1.1 408 Request Timeout\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body
