"""Trimming what every group has acked from the durable streams read here (NATS JetStream
streams, Redis streams): nothing unread is ever trimmed, and acked messages do not pile up.

One task per broker, started with the first group subscription of a durable stream and
ending when none is left; each round calls the backend's `trim(stream)` for each stream.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("wire.messaging")


class AckedTrim:
    def __init__(
        self, backend: str, trim: Callable[[str], Awaitable[None]], every: Callable[[], float]
    ) -> None:
        self.backend = backend
        self._trim = trim
        self._every = every  # seconds between rounds (read each round: tests shorten it)
        self._readers: dict[str, int] = {}  # stream -> its group subscriptions here
        self._task: asyncio.Task[None] | None = None

    def add(self, stream: str) -> Callable[[], None]:
        """Trim `stream` while this subscription reads it; call the result when it stops."""
        self._readers[stream] = self._readers.get(stream, 0) + 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        return lambda: self._remove(stream)

    def _remove(self, stream: str) -> None:
        left = self._readers.get(stream, 1) - 1
        if left:
            self._readers[stream] = left
        else:
            self._readers.pop(stream, None)

    async def _run(self) -> None:
        while self._readers:
            await asyncio.sleep(self._every())
            for stream in list(self._readers):
                try:
                    await self._trim(stream)
                except Exception as e:  # a later round trims it
                    log.debug("%s: trim %s: %s", self.backend, stream, e)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
