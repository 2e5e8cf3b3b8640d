"""A channel's messages as a typed stream, from the moment it was opened
(`MessagingService.listen`): what a GraphQL subscription reads.

Its backlog is bounded: a reader slower than the channel loses the oldest messages
waiting for it (never the newest, never the broker connection's pace), and learns how
many from a `Dropped` notice, placed where they were lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..telemetry import tracing
from .broker import Subscription
from .errors import InvalidPayload
from .message import Message

log = logging.getLogger("wire.messaging")


@dataclass(frozen=True)
class Received:
    """A message as a typed consumer sees it (the GraphQL subscription, `wire listen`)."""

    channel: str
    payload: Any
    metadata: dict[str, str]


@dataclass(frozen=True)
class Dropped:
    """`count` messages of `channel` were dropped before the next one: the stream was
    read more slowly than they came and its backlog was full."""

    channel: str
    count: int
    backlog: int


class Stream:
    """Every valid message of one channel sent after it opened, in order, keeping at most
    `backlog` unread ones (default `FANOUT_BACKLOG`): past that the oldest are dropped and
    the next item read is a `Dropped` notice. A message that fails the channel's type is
    logged and skipped (the handlers' dead-letter channel keeps it). `aclose()`
    unsubscribes, whether or not it was ever read."""

    def __init__(
        self,
        channel: str,
        sub: Subscription,
        decode: Callable[[Message], Any],
        backlog: int | None = None,
    ) -> None:
        self.channel = channel
        self._sub = sub
        self._decode = decode
        self._reported = 0  # of sub.dropped
        if backlog is not None:
            self.backlog = backlog

    @property
    def backlog(self) -> int:
        """How many unread messages it keeps before it drops the oldest."""
        return self._sub.backlog

    @backlog.setter
    def backlog(self, n: int) -> None:
        if n < 1:
            raise ValueError("a stream's backlog must be at least 1")
        self._sub.backlog = n

    @property
    def dropped(self) -> int:
        """How many messages it dropped so far."""
        return self._sub.dropped

    def __aiter__(self) -> Stream:
        return self

    async def __anext__(self) -> Received | Dropped:
        while not self._sub.closed:
            lost = self._sub.dropped - self._reported
            if lost:
                self._reported += lost
                return Dropped(self.channel, lost, self._sub.backlog)
            d = await self._sub.receive()
            if d is None:
                continue
            await d.ack()
            try:
                payload = self._decode(d.message)
            except InvalidPayload as e:
                log.warning("subscription on %s skips a message: %s", self.channel, e)
                continue
            if tracing.active:
                tracing.received(self.channel, d.message.metadata)
            return Received(self.channel, payload, dict(d.message.metadata))
        raise StopAsyncIteration

    async def aclose(self) -> None:
        await self._sub.close()
