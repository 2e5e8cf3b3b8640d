"""The embedded broker: in-process, the default, no setup.

Durable here means kept for the life of the process (groups keep their backlog while no
consumer is attached); nothing survives the process. Use a real broker for that.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

from .broker import Broker, Capabilities, Delivery, Subscription
from .message import ChannelSpec, Message


class _MemoryDelivery(Delivery):
    def __init__(self, group: _Group, message: Message, attempt: int) -> None:
        super().__init__(message, attempt)
        self.group = group

    async def _ack(self) -> None:
        pass

    async def _nack(self, delay: float) -> None:
        self.group.redeliver(self.message, self.attempt + 1, delay)


class _Group:
    """A consumer group: one backlog its subscriptions compete for."""

    def __init__(self) -> None:
        self.backlog: asyncio.Queue[tuple[Message, int]] = asyncio.Queue()

    def redeliver(self, message: Message, attempt: int, delay: float) -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(delay, self.backlog.put_nowait, (message, attempt))


class MemorySubscription(Subscription):
    def __init__(
        self, broker: MemoryBroker, channel: ChannelSpec, group: str | None, prefetch: int
    ) -> None:
        super().__init__(channel, group, prefetch)
        self.broker = broker
        self.source = _Group()  # fan-out: its own backlog; grouped: the shared one
        if group is not None:
            self.source = broker.groups[channel.name].setdefault(group, self.source)
        else:
            broker.fanout[channel.name].add(self.source)
        self.spawn(self._pump())

    async def _pump(self) -> None:
        while True:
            message, attempt = await self.source.backlog.get()
            try:
                await self.put(_MemoryDelivery(self.source, message, attempt))
            except asyncio.CancelledError:  # closing: the message stays with the group
                self.source.backlog.put_nowait((message, attempt))
                raise

    async def _close(self) -> None:
        if self.group is None:
            self.broker.fanout[self.channel.name].discard(self.source)


class MemoryBroker(Broker):
    scheme = "memory"
    capabilities = Capabilities(
        durable="in-process only (lost with the process)",
        fanout="yes",
        queue="yes",
        request_reply="yes (reply topics)",
        redelivery="native, with delay; attempt counted",
        reconnect="n/a",
    )

    def __init__(self, url: str = "memory://") -> None:
        super().__init__(url)
        self.groups: defaultdict[str, dict[str, _Group]] = defaultdict(dict)
        self.fanout: defaultdict[str, set[_Group]] = defaultdict(set)

    async def connect(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def _send(self, channel: ChannelSpec, message: Message) -> None:
        if channel.kind == "queue" and channel.durable:
            self.groups[channel.name].setdefault(channel.queue_group, _Group())
        for group in [*self.groups[channel.name].values(), *self.fanout[channel.name]]:
            group.backlog.put_nowait((message, 1))

    async def subscribe(
        self, channel: ChannelSpec, group: str | None = None, *, prefetch: int = 16
    ) -> Subscription:
        # Prefetch 1: what waits in the group backlog stays available to other consumers.
        return MemorySubscription(self, channel, group, 1)
