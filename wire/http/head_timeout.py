"""uvicorn's HTTP/1.1 protocol (httptools, a C parser) with a deadline for the request head.

uvicorn bounds the idle time between requests (`timeout_keep_alive`) but not the time a
client takes to send a request's head: a client that sends half a request line, or
headers one byte a minute, held its connection forever. Here the head must be complete
within `header_timeout_s` of the connection opening (or of the previous response): a
client that sent part of one gets 408 `read_timeout` and is closed; one that sent
nothing is closed quietly, as an idle keep-alive connection is. (The body has its own
deadline, in `app.read_body`.)

httptools rather than uvicorn's pure-Python h11: parsing a request and writing its response
took ~30 % of the event loop's GIL time for a small GraphQL query under h11 (py-spy);
on httptools a pooled `{ add }` went 1,862 -> 2,568 req/s (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("wire.serve")


def protocol(header_timeout_s: float) -> type[asyncio.Protocol]:
    """The protocol class for `uvicorn.Config(http=...)`."""

    class HeadTimeoutProtocol(_HeadTimeout):
        header_timeout = header_timeout_s

    return HeadTimeoutProtocol


class _HeadTimeout(HttpToolsProtocol):
    """One timer per connection, not one per request: a request only moves `_head_due`
    (arming a timer per response cost ~5 % of a small request's CPU). The timer, when it
    fires, times the connection out or sleeps on until the head it waits for is due."""

    header_timeout: float

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_due: float | None = None  # loop time a head must be in by; None: none awaited
        self._head_begun = False  # part of a head is in (the parser began a message)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_due = self.loop.time() + self.header_timeout
        self._head_timer = self.loop.call_at(self._head_due, self._check_head)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def _stop_head_timer(self) -> None:
        self._head_due = None
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def on_message_begin(self) -> None:
        self._head_begun = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._head_begun = False
        self._head_due = None  # a head is in: a request runs
        super().on_headers_complete()

    def handle_websocket_upgrade(self) -> None:
        self._stop_head_timer()  # the socket becomes a WebSocket: its protocol takes over
        super().handle_websocket_upgrade()

    def on_response_complete(self) -> None:
        # The next request's head is due from now (a pipelined one is in already: the timer
        # sees its request running).
        self._head_due = self.loop.time() + self.header_timeout
        super().on_response_complete()

    def _check_head(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        due = self._head_due
        now = self.loop.time()
        running = self.cycle is not None and not self.cycle.response_complete
        if due is None or running or self.pipeline:
            # A request runs: its head came in time. Look again one timeout from now.
            self._head_timer = self.loop.call_at(now + self.header_timeout, self._check_head)
            return
        if now < due:
            self._head_timer = self.loop.call_at(due, self._check_head)
            return
        self._timed_out()

    def _timed_out(self) -> None:
        if self._head_begun:
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
            log.info(
                "%s: the request head did not arrive within %g s: 408, connection closed",
                client,
                self.header_timeout,
            )
            self.transport.write(_response_408(self.header_timeout))
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
