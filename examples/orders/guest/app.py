"""The ops of component 'guest' (typegraph 'orders').

Written once by wire codegen and yours from now on: regenerating the SDK never
overwrites this file. Fill in each method; `MatWire` below is the component's export.
"""

from __future__ import annotations

from wire_sdk import Ctx, Handlers, export
from wire_sdk.types import OrderPlaced, QuoteRequest

PER_PARCEL = 3
PRICES = {"book": 12.5, "pen": 1.25}


class App(Handlers):
    def place_order(self, inp: OrderPlaced, ctx: Ctx) -> bool:
        ctx.send("orders.placed", inp)
        return True

    def quote(self, inp: QuoteRequest, ctx: Ctx) -> float:
        if inp["item"] not in PRICES:
            raise ValueError(f"no price for {inp['item']!r}")
        return PRICES[inp["item"]] * inp["qty"]

    def ship(self, inp: OrderPlaced, ctx: Ctx) -> bool:
        parcels = -(-inp["qty"] // PER_PARCEL)
        ctx.log("info", f"shipping order {inp['id']} in {parcels} parcel(s)")
        ctx.send("orders.shipped", {"id": inp["id"], "parcels": parcels})
        return True


MatWire = export(App)
