"""The embedded broker: in-process, the default, no setup.

Durable here means kept for the life of the process (groups keep their backlog while no
consumer is attached); nothing survives the process. Use a real broker for that.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator

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


class _Newest(asyncio.Queue[tuple[Message, int]]):
    """A fan-out subscription's backlog: it keeps the newest `sub.backlog` messages and
    counts the oldest it drops in `sub.dropped` (see `Subscription`)."""

    def __init__(self, sub: Subscription) -> None:
        super().__init__()
        self.sub = sub

    def put_nowait(self, item: tuple[Message, int]) -> None:
        while self.qsize() >= self.sub.backlog:
            self.get_nowait()
            self.sub.dropped += 1
        super().put_nowait(item)


class MemorySubscription(Subscription):
    """Reads its group's backlog directly: nothing is prefetched, so what waits stays
    available to the group's other subscriptions, and a delivery costs no extra task hop."""

    def __init__(self, broker: MemoryBroker, channel: ChannelSpec, group: str | None) -> None:
        super().__init__(channel, group, 1)
        self.broker = broker
        self.source = _Group()  # fan-out: its own backlog; grouped: the shared one
        if group is not None:
            self.source = broker.groups[channel.name].setdefault(group, self.source)
        else:
            self.source.backlog = _Newest(self)
            broker.fanout[channel.name].add(self.source)

    def _delivery(self, entry: tuple[Message, int]) -> _MemoryDelivery:
        return _MemoryDelivery(self.source, *entry)

    async def receive(self, timeout: float | None = None) -> Delivery | None:
        if self.closed:
            return None
        get = self.source.backlog.get()
        try:
            entry = await (get if timeout is None else asyncio.wait_for(get, timeout))
        except TimeoutError:
            return None
        return self._delivery(entry)

    def ready(self) -> int:
        return self.source.backlog.qsize()

    def take_ready(self, n: int) -> list[Delivery]:
        out: list[Delivery] = []
        backlog = self.source.backlog
        while len(out) < n and not backlog.empty():
            out.append(self._delivery(backlog.get_nowait()))
        return out

    async def _iterate(self) -> AsyncIterator[Delivery]:
        while not self.closed:
            d = await self.receive()
            if d is not None:
                yield d

    async def _close(self) -> None:
        if self.group is None:
            name = self.channel.name
            subs = self.broker.fanout.get(name)
            if subs is not None:
                subs.discard(self.source)
                if not subs:  # a request's reply topic is used once: keep no entry for it
                    del self.broker.fanout[name]


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
        name = channel.name
        if channel.kind == "queue" and channel.durable:
            self.groups[name].setdefault(channel.queue_group, _Group())
        # .get: no entry for a topic no one listens on (each request has its reply topic)
        for group in [*self.groups.get(name, {}).values(), *self.fanout.get(name, ())]:
            group.backlog.put_nowait((message, 1))

    async def subscribe(
        self, channel: ChannelSpec, group: str | None = None, *, prefetch: int = 16
    ) -> Subscription:
        return MemorySubscription(self, channel, group)
