"""The orders example end to end on the embedded broker, with its real Python guest: a
function publishes, a handler reacts and publishes, a subscriber sees the result, and a
responder answers a request."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from wire import Host, WireError
from wire.messaging import MessagingService, make_broker

pytestmark = pytest.mark.asyncio
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "orders" / "typegraph.py"


async def test_order_flow_on_the_embedded_broker() -> None:
    with Host.load(EXAMPLE) as host:
        service = MessagingService(host, make_broker("memory://"))
        await service.start()
        try:
            shipped = service.subscribe("orders.shipped")
            first = asyncio.ensure_future(anext(shipped))
            await asyncio.sleep(0)  # the subscription is registered on its first step
            assert await host.call("place_order", {"id": 7, "item": "book", "qty": 4}) is True
            msg = await asyncio.wait_for(first, 60)
            assert (msg.channel, msg.payload) == ("orders.shipped", {"id": 7, "parcels": 2})
            (reply,) = await service.request("orders.quote", {"item": "pen", "qty": 4}, timeout=30)
            assert reply.payload() == 5.0
            (failed,) = await service.request("orders.quote", {"item": "car", "qty": 1}, timeout=30)
            assert "no price for 'car'" in failed.metadata["wire-error"]
            with pytest.raises(WireError, match="invalid arguments"):
                await host.call("place_order", {"id": 0, "item": "", "qty": 1})
        finally:
            await service.stop()
