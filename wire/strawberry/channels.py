"""Channel operations of a bridged typegraph: subscriptions and publish mutations.

A subscription streams the channel's messages from the moment strawberry first reads it
(it opens its stream then, so one that is never read holds nothing); a slow subscriber
keeps the newest `backlog` messages and reads a `subscription_overflow` error where older
ones were dropped, then goes on, as with `wire serve`. A publish checks the message
against the channel's type (`invalid_payload` with `details`) and answers once the broker
has it. Both need the messaging service of the typegraph (`Fields.running` starts it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from graphql import GraphQLError

from ..graphql import SubscriptionOverflow
from ..messaging import InvalidPayload, MessagingService, Stream
from ..messaging.stream import Dropped
from ..validation import as_details, describe
from .errors import graphql_error


class Streams:
    """The channel streams that bridged subscriptions have open (ended all at once when
    the typegraph stops)."""

    def __init__(self) -> None:
        self._open: set[Stream] = set()
        self.ended = False

    def __len__(self) -> int:
        return len(self._open)

    def add(self, stream: Stream) -> None:
        self._open.add(stream)

    def discard(self, stream: Stream) -> None:
        self._open.discard(stream)

    async def end(self) -> None:
        """End every subscription (its stream closes; strawberry completes it)."""
        self.ended = True
        streams, self._open = list(self._open), set()
        await asyncio.gather(*(s.aclose() for s in streams), return_exceptions=True)


class ChannelEvents:
    """The responses of one subscription: each message as the field's value."""

    def __init__(
        self,
        service: MessagingService,
        channel: str,
        where: str,
        streams: Streams,
        backlog: int,
        convert: Callable[[Any], Any] | None,
        production: bool,
    ) -> None:
        self._service = service
        self._channel = channel
        self._where = where
        self._streams = streams
        self._backlog = backlog
        self._convert = convert
        self._production = production
        self._stream: Stream | None = None
        self._closed = False

    def __aiter__(self) -> ChannelEvents:
        return self

    async def __anext__(self) -> Any:
        if self._closed or self._streams.ended:
            raise StopAsyncIteration
        stream = self._stream
        if stream is None:
            stream = self._stream = await self._service.listen(self._channel)
            stream.backlog = self._backlog
            self._streams.add(stream)
            if self._closed:  # closed while it opened
                await self.aclose()
                raise StopAsyncIteration
        event = await anext(stream)
        if isinstance(event, Dropped):
            overflow = SubscriptionOverflow(
                f"{event.count} message(s) of channel {self._channel!r} were dropped: this "
                f"subscriber read more slowly than they came, and at most {event.backlog} "
                "wait for it (the oldest go first); the subscription goes on",
                where=self._where,
                details={"dropped": event.count, "backlog": event.backlog},
            )
            # graphql-core raises an error value as this response's error
            error: GraphQLError = graphql_error(overflow, production=self._production)
            return error
        payload = event.payload
        return payload if self._convert is None else self._convert(payload)

    async def aclose(self) -> None:
        self._closed = True
        stream, self._stream = self._stream, None
        if stream is not None:
            self._streams.discard(stream)
            await asyncio.shield(stream.aclose())  # even when the closing task is cancelled


async def publish(service: MessagingService, channel: str, payload: Any, where: str) -> None:
    """Check `payload` against the channel's type, then send it."""
    bad = service.channel(channel).validator.check(payload)
    if bad:
        raise InvalidPayload(
            f"the message does not match the type of channel {channel!r}: {describe(bad)}",
            where=where,
            details=as_details(bad),
        )
    await service.send(channel, payload)
