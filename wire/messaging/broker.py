"""The one interface every backend implements (wasi-messaging semantics).

A backend publishes (`send`), and subscribes: without a group, a subscription sees every
message sent after it starts (pub-sub fan-out); with a group, the subscriptions sharing it
compete for messages (queue / point-to-point), and on a durable channel the group's backlog
survives restarts. A `Delivery` is acked (`ack`, wasi's complete) or nacked (`nack`, abandon:
delivered again after `delay`). Request/reply is built once, here, on reply topics, so every
backend that can subscribe gets it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import ClassVar

from ..telemetry import tracing
from .errors import MessagingError, PayloadTooLarge, ReplyTimeout
from .message import ChannelSpec, Message

log = logging.getLogger("wire.messaging")
REPLY_PREFIX = "_wire.reply."  # a request's private reply topic: `_wire.reply.<uuid>`
# What a fan-out subscription (no group) keeps for a reader that is slower than the
# channel: past it, the oldest delivery is dropped (and counted in `dropped`).
FANOUT_BACKLOG = 1000


@dataclass(frozen=True)
class Capabilities:
    """What a backend does natively (docs/messaging.md's support table says the same, at length)."""

    durable: str  # how durable channels are kept
    fanout: str
    queue: str
    request_reply: str
    redelivery: str  # where nacked messages wait, and where the attempt count comes from
    reconnect: str


class Delivery(ABC):
    """One delivery of a message to one subscription; settle it once."""

    def __init__(self, message: Message, attempt: int) -> None:
        self.message = message
        self.attempt = attempt  # 1 on the first delivery
        self.settled = False

    async def ack(self) -> None:
        if not self.settled:
            self.settled = True
            await self._ack()

    async def nack(self, delay: float = 0.0) -> None:
        """Deliver again after `delay` seconds (to this group)."""
        if not self.settled:
            self.settled = True
            await self._nack(delay)

    async def touch(self) -> None:
        """Tell the broker this message is still being worked on, so it is not given to
        another consumer meanwhile (NATS `in_progress`, Redis idle time); a no-op where the
        broker waits for the ack however long it takes."""
        return None

    @abstractmethod
    async def _ack(self) -> None: ...

    @abstractmethod
    async def _nack(self, delay: float) -> None: ...


class Subscription:
    """Deliveries of one channel (and group), fed by the backend's reader into a bounded
    local queue: with a group, the bound is the prefetch, and the backend's flow control.
    Without one (fan-out), the reader never waits: the queue keeps the newest `backlog`
    deliveries, dropping (acking) the oldest, so a slow reader neither stalls the
    backend's connection nor grows memory; `dropped` counts what it lost."""

    def __init__(self, channel: ChannelSpec, group: str | None, prefetch: int) -> None:
        self.channel = channel
        self.group = group
        size = max(1, prefetch) if group is not None else 0  # fan-out: bounded in `put`
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue(maxsize=size)
        self._tasks: set[asyncio.Task[None]] = set()
        self.closed = False
        self.backlog = max(FANOUT_BACKLOG, prefetch)
        self.dropped = 0

    async def put(self, delivery: Delivery) -> None:
        if self.group is not None:
            queue = self._queue
            if queue.full():  # the prefetch: the backend's reader waits for room
                await queue.put(delivery)
            else:
                queue.put_nowait(delivery)
            return
        while self._queue.qsize() >= self.backlog:
            oldest = self._queue.get_nowait()
            self.dropped += 1
            try:
                await oldest.ack()
            except Exception as e:  # a pub-sub message: nothing waits for it elsewhere
                log.debug("ack of a dropped delivery failed: %s", e)
        self._queue.put_nowait(delivery)

    def requeue_later(self, delivery: Delivery, delay: float) -> None:
        """Redeliver locally (for backends that hold an unacked message rather than give it
        back): the broker still counts it unacked, so a crash redelivers it."""

        async def later() -> None:
            await asyncio.sleep(delay)
            await self._queue.put(delivery)

        self.spawn(later())

    def spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def receive(self, timeout: float | None = None) -> Delivery | None:
        """The next delivery, or None after `timeout` seconds."""
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    def ready(self) -> int:
        """Deliveries here, waiting to be taken."""
        return self._queue.qsize()

    def take_ready(self, n: int) -> list[Delivery]:
        """Up to `n` deliveries that are already here, without waiting."""
        out: list[Delivery] = []
        while len(out) < n:
            try:
                out.append(self._queue.get_nowait())
            except asyncio.QueueEmpty:
                break
        return out

    def __aiter__(self) -> AsyncIterator[Delivery]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Delivery]:
        while not self.closed:
            yield await self._queue.get()

    async def close(self) -> None:
        """Stop the reader; give back what was prefetched and not handed out."""
        if self.closed:
            return
        self.closed = True
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.give_back_queued()
        await self._close()
        await self.give_back_queued()  # what a reader that ends in _close put meanwhile

    async def give_back_queued(self) -> None:
        """Nack what waits here, not handed out (the broker delivers it again)."""
        while not self._queue.empty():
            d = self._queue.get_nowait()
            try:
                await d.nack()
            except Exception as e:  # the broker redelivers unacked messages anyway
                log.debug("nack on close failed: %s", e)

    async def _close(self) -> None:
        """Backend clean-up (unsubscribe, close a connection)."""


class Broker(ABC):
    """A connection to one message broker."""

    scheme: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    # Publishing retries over a broker restart or a cut connection for this long.
    send_timeout: float = 30.0
    # Connections restored after a loss, as the backend saw them (metrics read it).
    reconnects: int = 0
    # How long the broker waits for a delivery's ack before it gives the message to another
    # consumer (None: it waits as long as the connection lives); the service `touch`es the
    # deliveries it works on well within it.
    lease_s: float | None = None

    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def name(self) -> str:
        return self.scheme

    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    async def connected(self) -> bool:
        """Whether the connection to the broker is up now (`/health` shows it)."""
        return True

    @abstractmethod
    async def _send(self, channel: ChannelSpec, message: Message) -> None:
        """Publish once; on a durable channel, return once the broker has stored it."""

    @abstractmethod
    async def subscribe(
        self, channel: ChannelSpec, group: str | None = None, *, prefetch: int = 16
    ) -> Subscription: ...

    def max_message_bytes(self) -> int | None:
        """The largest message (data and metadata) the broker carries, when it has a bound."""
        return None

    def message_bytes(self, message: Message) -> int:
        """The size of `message` as the bound of `max_message_bytes` counts it."""
        return len(message.data) + sum(len(k) + len(v) + 4 for k, v in message.metadata.items())

    def check_size(self, channel: ChannelSpec, message: Message) -> None:
        """Raise `PayloadTooLarge` for a message the broker would refuse (or drop the
        connection over): refused here, before it travels."""
        limit = self.max_message_bytes()
        if limit is None or (len(message.data) <= limit // 2 and not message.metadata):
            return  # the common case: well within the bound whatever the framing
        size = self.message_bytes(message)
        if size > limit:
            raise PayloadTooLarge(
                f"a message of {size} bytes (data and metadata) on {channel.name!r} exceeds "
                f"what {self.name} carries ({limit} bytes): send less, or raise the server's "
                "limit",
                where=self.name,
            )

    async def keep(self, channel: ChannelSpec, group: str) -> None:
        """From now on, keep what is sent on `channel` for consumer group `group`, even
        before any consumer of it subscribes (a dead-letter channel, say). A no-op where
        sending keeps a durable channel's messages by itself."""
        return None

    async def send(self, channel: ChannelSpec, message: Message, *, trace: bool = True) -> None:
        """Publish `message`; over a broker restart, keep trying for `send_timeout`. While
        tracing, in a span of its own whose context the message carries (`traceparent`);
        `trace=False`: the message carries its trace already (see `traced`)."""
        if not (trace and tracing.active):
            return await self._send_retrying(channel, message)
        with tracing.publishing(self.name, channel.name):
            await self._send_retrying(channel, self.traced(message))

    @staticmethod
    def traced(message: Message) -> Message:
        """`message` carrying the current trace context (its `traceparent`)."""
        return Message(
            message.topic,
            message.data,
            message.content_type,
            tracing.inject(message.metadata),
            message.reply_to,
        )

    async def _send_retrying(self, channel: ChannelSpec, message: Message) -> None:
        self.check_size(channel, message)
        deadline: float | None = None  # set on the first failure: the common case is cheap
        delay = 0.05
        while True:
            try:
                await self._send(channel, message)
                return
            except MessagingError:
                raise
            except Exception as e:  # a lost connection: the client library reconnects
                now = asyncio.get_running_loop().time()
                if deadline is None:
                    deadline = now + self.send_timeout
                if now + delay > deadline:
                    raise MessagingError(
                        f"send to {channel.name!r} failed for {self.send_timeout:.0f} s: "
                        f"{type(e).__name__}: {e}",
                        where=self.name,
                    ) from e
                log.warning(
                    "%s: send to %r failed (%s: %s); retrying",
                    self.name,
                    channel.name,
                    type(e).__name__,
                    e,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    def reply_topic(self) -> str:
        return f"{REPLY_PREFIX}{uuid.uuid4().hex}"

    async def request(
        self, channel: ChannelSpec, message: Message, *, timeout: float, expected: int = 1
    ) -> list[Message]:
        """Send `message` with a fresh reply topic and gather up to `expected` replies
        within `timeout`; none at all is a `ReplyTimeout`."""
        inbox = ChannelSpec(self.reply_topic())
        sub = await self.subscribe(inbox, prefetch=max(expected, 1))
        replies: list[Message] = []
        try:
            await self.send(
                channel,
                Message(
                    message.topic, message.data, message.content_type, message.metadata, inbox.name
                ),
            )
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while len(replies) < expected:
                d = await sub.receive(max(0.0, deadline - loop.time()))
                if d is None:
                    break
                await d.ack()
                replies.append(d.message)
        finally:
            await sub.close()
        if not replies:
            raise ReplyTimeout(
                f"no reply on {channel.name!r} within {timeout:g} s (is a responder running?)",
                where=self.name,
            )
        return replies

    async def reply(self, request: Message, reply: Message) -> None:
        if not request.reply_to:
            raise MessagingError(
                f"the message on {request.topic!r} was not a request: it has no reply topic",
                where=self.name,
            )
        spec = ChannelSpec(request.reply_to)
        await self.send(spec, Message(spec.name, reply.data, reply.content_type, reply.metadata))
