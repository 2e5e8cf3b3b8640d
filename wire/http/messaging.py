"""The messaging side of `wire serve`: each served version of a typegraph with channels
runs a `MessagingService` (its handlers, responders, and what its GraphQL channel fields
use) on the server's event loop, on the broker the server is configured with.

The embedded broker (`memory://`) is one instance for the whole server: every typegraph
and every reloaded version share it, as they would share a NATS server, so a reload keeps
what waits on its queues. Other brokers get a connection per service.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from .. import progress
from ..graphql import Gateway
from ..messaging import Broker, MessagingService, make_broker
from ..messaging.connect import DEFAULT_TIMEOUT_S
from ..messaging.urls import redacted

log = logging.getLogger("wire.serve")


class Brokers:
    """Makes the broker of each messaging service from one URL (checked here, at once)."""

    def __init__(self, url: str) -> None:
        self.url = url
        first = make_broker(url)  # an unknown scheme or a missing client fails now
        self._shared: Broker | None = first if first.scheme == "memory" else None

    @property
    def shown(self) -> str:
        return redacted(self.url)

    def make(self) -> Broker:
        return self._shared if self._shared is not None else make_broker(self.url)


def has_channels(gateway: Gateway) -> bool:
    return bool(gateway.host.typegraph.channels)


async def start_messaging(
    gateway: Gateway,
    brokers: Brokers,
    drain_timeout: float,
    start_timeout: float = DEFAULT_TIMEOUT_S,
) -> MessagingService | None:
    """Start the channels of `gateway`'s typegraph (None when it declares none) and hand
    the service to its GraphQL channel fields. Connecting and subscribing every handler
    must end within `start_timeout` seconds (some clients, nats-py's, retry an unreachable
    server for ever)."""
    if not has_channels(gateway):
        return None
    service = MessagingService(gateway.host, brokers.make(), drain_timeout=drain_timeout)
    what = f"start the channels of {gateway.name} on {brokers.shown}"
    with progress.step(what, hint="connecting to the broker, subscribing the handlers"):
        await service.start_within(start_timeout)
    gateway.messaging = service
    log.info(
        "messaging: %s runs %d handler(s)/responder(s) on %s",
        gateway.name,
        len(service.bindings),
        brokers.shown,
    )
    return service


async def stop_messaging(gateway: Gateway, service: MessagingService) -> None:
    """Stop taking messages and drain the handlers in flight."""
    log.info("messaging: draining %s", gateway.name)
    await service.stop()
    gateway.messaging = None
    log.info("messaging: %s stopped after %d message(s)", gateway.name, service.handled)


async def messaging_status(service: MessagingService) -> dict[str, Any]:
    try:
        up = await asyncio.wait_for(service.broker.connected(), 3)
    except Exception:
        up = False
    return {
        "broker": service.broker.name,
        "connected": up,
        "bindings": len(service.bindings),
        "handled": service.handled,
    }
