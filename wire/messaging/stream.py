"""A channel's messages as a typed stream, from the moment it was opened
(`MessagingService.listen`): what a GraphQL subscription reads."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


class Stream:
    """Every valid message of one channel sent after it opened, in order. A message that
    fails the channel's type is logged and skipped (the handlers' dead-letter channel keeps
    it). `aclose()` unsubscribes, whether or not it was ever read."""

    def __init__(self, channel: str, sub: Subscription, decode: Callable[[Message], Any]) -> None:
        self.channel = channel
        self._sub = sub
        self._decode = decode

    def __aiter__(self) -> Stream:
        return self

    async def __anext__(self) -> Received:
        while not self._sub.closed:
            d = await self._sub.receive()
            if d is None:
                continue
            await d.ack()
            try:
                payload = self._decode(d.message)
            except InvalidPayload as e:
                log.warning("subscription on %s skips a message: %s", self.channel, e)
                continue
            return Received(self.channel, payload, dict(d.message.metadata))
        raise StopAsyncIteration

    async def aclose(self) -> None:
        await self._sub.close()
