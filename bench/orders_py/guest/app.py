"""The ops of component 'guest' (typegraph 'bench_orders').

`ship` does the peer benchmark's work: the host has checked the order's types against the
channel's schema before this runs; it computes the parcels and sends the shipment on the
channel named in its materializer data.
"""

from __future__ import annotations

from wire_sdk import Ctx, Handlers, export
from wire_sdk.types import Order

PER_PARCEL = 3


class App(Handlers):
    def ship(self, inp: Order, ctx: Ctx) -> bool:
        assert isinstance(ctx.data, dict)
        shipped = ctx.data["shipped"]
        assert isinstance(shipped, str)
        ctx.send(shipped, {"id": inp["id"], "parcels": -(-inp["qty"] // PER_PARCEL)})
        return True


MatWire = export(App)
