"""The typegraphs a server serves, one path each, and their reloads.

A reload loads the new version (building its guest) off the event loop while the old
one keeps serving; only a version that loads and starts cleanly (its channels too)
replaces it. The new version's handlers start before the old one's stop, so durable
channels keep being consumed; the old version's subscriptions end (the client is told to
subscribe again), and it is closed, its handlers drained, once the requests it is
serving are done. A failed load keeps the previous version and records the error
(printed, and shown by `/health`).
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..errors import WireError
from ..graphql import Gateway
from ..messaging import MessagingService
from .config import ServerConfig
from .errors import StartFailed
from .messaging import Brokers, messaging_status, start_messaging, stop_messaging

log = logging.getLogger("wire.serve")


class ServedSubscription(Protocol):
    """A subscription a version is serving (see `subscriptions.py`)."""

    async def end(self, reason: str) -> None:
        """Stop it, telling the client why."""


@dataclass(eq=False)
class Version:
    """One loaded version of a typegraph, its channels, and what it is serving."""

    gateway: Gateway
    loaded_at: float = field(default_factory=time.time)
    inflight: int = 0
    retired: bool = False
    messaging: MessagingService | None = None
    streams: set[ServedSubscription] = field(default_factory=set)
    closed: bool = False

    async def end_streams(self, reason: str) -> None:
        streams, self.streams = list(self.streams), set()
        await asyncio.gather(*(s.end(reason) for s in streams), return_exceptions=True)

    async def close(self) -> None:
        """End its subscriptions, drain its handlers, close its host."""
        if self.closed:
            return
        self.closed = True
        await self.end_streams(f"typegraph '{self.gateway.name}' stopped")
        if self.messaging is not None:
            try:
                await stop_messaging(self.gateway, self.messaging)
            except Exception as e:
                log.error("stopping the messaging of %s failed: %s", self.gateway.name, e)
        await asyncio.to_thread(self.gateway.close)


class Slot:
    """One typegraph file: the version serving now and the last load error."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        self.current: Version | None = None
        self.error: str | None = None
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def use(self) -> AsyncIterator[Gateway | None]:
        """The gateway serving now, kept open until the block ends."""
        version = self.current
        if version is None:
            yield None
            return
        version.inflight += 1
        try:
            yield version.gateway
        finally:
            version.inflight -= 1
            if version.retired and version.inflight == 0:
                await _close(version)

    async def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": str(self.path), "status": "ok" if self.current else "error"}
        if self.current is not None:
            out["loaded_at"] = self.current.loaded_at
            out["subscriptions"] = len(self.current.streams)
            if self.current.messaging is not None:
                out["messaging"] = await messaging_status(self.current.messaging)
                if not out["messaging"]["connected"]:
                    out["status"] = "degraded"
        if self.error is not None:
            out["error"] = self.error
        return out


def load_gateway(path: Path, config: ServerConfig) -> Gateway:
    """Load, build and start a typegraph; a `WireError` (with the reason) when it cannot
    serve. Blocking: builds may take seconds."""
    gw = Gateway.load(
        path,
        max_workers=config.workers,
        auth=config.auth,
        production=config.production,
        limits=config.limits,
    )
    try:
        failed = {n: e for n, e in gw.host.start().items() if e is not None}
        if failed:
            raise StartFailed(gw.name, failed, str(path))
    except BaseException:
        gw.close()
        raise
    return gw


async def _close(version: Version) -> None:
    await version.close()


def describe_failure(e: BaseException) -> str:
    if isinstance(e, WireError):
        return f"[{e.code}] {e}"
    return "".join(traceback.format_exception_only(type(e), e)).strip()


class Typegraphs:
    """Slots by URL name (`/<name>`)."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.slots: dict[str, Slot] = {}
        self.brokers = Brokers(config.broker)
        self._started = False

    async def _start(self, version: Version) -> None:
        version.messaging = await start_messaging(
            version.gateway,
            self.brokers,
            self.config.graceful_shutdown_s,
            self.config.broker_timeout_s,
        )

    async def start(self) -> None:
        """Start the channels of every loaded typegraph (on the serving event loop), once.
        With `watch`, one whose channels cannot start is kept, not serving, its error shown."""
        if self._started:
            return
        self._started = True
        for slot in self.slots.values():
            version = slot.current
            if version is None:
                continue
            try:
                await self._start(version)
            except Exception as e:
                if not self.config.watch:
                    raise
                slot.error = describe_failure(e)
                slot.current = None
                log.error("%s cannot start its channels (watching it): %s", slot.name, slot.error)
                await _close(version)

    def add(self, path: Path, gateway: Gateway | None, error: str | None = None) -> Slot:
        name = gateway.name if gateway is not None else path.parent.name or path.stem
        if name in self.slots:
            raise WireError(
                f"two typegraphs are named '{name}' ({self.slots[name].path} and {path}): "
                "each needs its own name to get its own path",
                where=str(path),
            )
        slot = Slot(path, name)
        slot.current = Version(gateway) if gateway is not None else None
        slot.error = error
        self.slots[name] = slot
        return slot

    def by_path(self, path: Path) -> Slot | None:
        for slot in self.slots.values():
            if slot.path == path:
                return slot
        return None

    async def reload(self, slot: Slot) -> bool:
        """Load `slot`'s file again; swap it in when it loads. True when swapped."""
        async with slot._lock:
            started = time.perf_counter()
            log.info("reloading %s (%s)", slot.name, slot.path)
            try:
                gw = await asyncio.to_thread(load_gateway, slot.path, self.config)
            except Exception as e:
                slot.error = describe_failure(e)
                kept = "the previous version keeps serving" if slot.current else "not serving"
                log.error("reload of %s failed (%s): %s", slot.name, kept, slot.error)
                return False
            if gw.name != slot.name and slot.current is None and gw.name not in self.slots:
                # it never loaded before: its path was a guess from the file name
                del self.slots[slot.name]
                slot.name = gw.name
                self.slots[gw.name] = slot
            if gw.name != slot.name:
                await asyncio.to_thread(gw.close)
                slot.error = (
                    f"the typegraph was renamed from '{slot.name}' to '{gw.name}': "
                    "restart the server to serve it under its new path"
                )
                log.error("reload of %s refused: %s", slot.name, slot.error)
                return False
            new = Version(gw)
            try:
                await self._start(new)
            except Exception as e:
                slot.error = describe_failure(e)
                log.error("reload of %s failed (its channels): %s", slot.name, slot.error)
                await _close(new)
                return False
            old, slot.current, slot.error = slot.current, new, None
            if old is not None:
                old.retired = True
                await old.end_streams(f"typegraph '{slot.name}' was reloaded: subscribe again")
                if old.inflight == 0:
                    await _close(old)
            log.info("reloaded %s in %.1f s", slot.name, time.perf_counter() - started)
            return True

    async def close(self) -> None:
        for slot in self.slots.values():
            if slot.current is not None:
                await _close(slot.current)
                slot.current = None
