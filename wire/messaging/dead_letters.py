"""Moving a message that cannot be handled to its dead-letter channel, without holding up
the channel it came from.

Each copy is sent in the background and retried with backoff for as long as the broker
refuses it; the original is acked only once its copy is stored (until then the broker
still holds it, and the service keeps `touch`ing it so it is not redelivered meanwhile).
The copy carries the original's data and metadata plus why (`wire-error`, bounded: never
the payload), how many attempts, from which channel and handler. A copy that does not fit
the backend sheds the original's metadata, then most of the reason, so that it does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from typegraph.model import Backoff

from .broker import Broker, Delivery
from .errors import PayloadTooLarge
from .message import ATTEMPTS, ERROR, HANDLER, ORIGIN, ChannelSpec, Message, cut
from .outcome import safely

log = logging.getLogger("wire.messaging")

MAX_PENDING = 1000  # copies being moved at once; past it, handling waits for room
RETRY = Backoff(initial=0.2, max=30.0, multiplier=2.0)
UNSTORABLE_RETRY_S = 300.0  # a message no dead-letter copy of fits: tried again this late


class DeadLetters:
    """Copies on their way to dead-letter channels; `close` waits for them (bounded)."""

    def __init__(
        self,
        broker: Broker,
        *,
        on_stored: Callable[[Delivery], None] = lambda d: None,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.broker = broker
        self.on_stored = on_stored
        self._room = asyncio.Semaphore(max_pending)
        self._moving: dict[asyncio.Task[None], Delivery] = {}
        self.stored = 0

    def __len__(self) -> int:
        return len(self._moving)

    def deliveries(self) -> list[Delivery]:
        """The originals whose copies are on their way (the service keeps them leased)."""
        return list(self._moving.values())

    async def park(
        self, d: Delivery, target: ChannelSpec, reason: str, *, channel: str, handler: str
    ) -> None:
        """Start moving `d` to `target`; returns at once unless `max_pending` copies are
        already on their way."""
        meta = {
            ERROR: cut(reason),
            ATTEMPTS: str(d.attempt),
            ORIGIN: channel,
            HANDLER: handler,
        }
        log.warning("dead-lettering a message of %s to %s: %s", channel, target.name, reason)
        await self._room.acquire()
        task = asyncio.create_task(self._move(d, target, meta))
        self._moving[task] = d
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._moving.pop(task, None)
        self._room.release()

    async def _move(self, d: Delivery, target: ChannelSpec, meta: dict[str, str]) -> None:
        copy = self._fitted(d.message, target, meta)
        if copy is None:
            log.error(
                "a message of %s (%d bytes) cannot be dead-lettered: no copy of it fits %s; "
                "it stays on its channel and is tried again in %g s",
                meta[ORIGIN],
                len(d.message.data),
                self.broker.name,
                UNSTORABLE_RETRY_S,
            )
            await safely(d.nack(UNSTORABLE_RETRY_S))
            return
        failures = 0
        while True:
            try:
                await self.broker.send(target, copy)
                break
            except asyncio.CancelledError:
                raise  # closing: the original stays unacked, the broker redelivers it
            except Exception as e:
                failures += 1
                delay = RETRY.delay(failures)
                log.error(
                    "dead-lettering to %s failed (%s); the original stays unacked, trying "
                    "again in %.1f s (attempt %d)",
                    target.name,
                    e,
                    delay,
                    failures,
                )
                await asyncio.sleep(delay)
        self.stored += 1
        await safely(d.ack())
        self.on_stored(d)

    def _fitted(self, m: Message, target: ChannelSpec, meta: dict[str, str]) -> Message | None:
        """The copy of `m` for `target`, shedding what it must to fit the backend."""
        extras = {k: v for k, v in m.metadata.items() if k not in meta}
        for candidate in (
            {**extras, **meta},
            meta,
            {**meta, ERROR: cut(meta[ERROR], 160)},
        ):
            copy = Message(target.name, m.data, m.content_type, candidate)
            try:
                self.broker.check_size(target, copy)
            except PayloadTooLarge:
                continue
            return copy
        return None

    async def close(self, timeout: float) -> None:
        """Wait up to `timeout` for the copies on their way; the rest stay unacked (the
        broker redelivers them to the next consumer)."""
        if not self._moving:
            return
        _, pending = await asyncio.wait(list(self._moving), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            log.warning(
                "stopped with %d dead letter(s) not stored: their originals stay on their channel",
                len(pending),
            )
        await asyncio.gather(*pending, return_exceptions=True)
