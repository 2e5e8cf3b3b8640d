"""The guest of tests/test_messaging_batches.py: one handler per way a batch ends."""

from __future__ import annotations

from wire_sdk import Ctx, Handlers, HostcallError, export
from wire_sdk.types import Job


class App(Handlers):
    def ship(self, inp: Job, ctx: Ctx) -> bool:
        ctx.log("debug", f"shipping {inp['n']}")
        ctx.send("jobs.out", {"n": inp["n"] * 2})
        return True

    def flaky(self, inp: Job, ctx: Ctx) -> bool:
        if inp["n"] % 5 == 0:
            raise ValueError(f"no multiples of 5: {inp['n']}")
        ctx.send("jobs.out", {"n": inp["n"]})
        return True

    def settles(self, inp: Job, ctx: Ctx) -> bool:
        ctx.complete()
        return True

    def swallows(self, inp: Job, ctx: Ctx) -> bool:
        try:
            ctx.complete()
        except BaseException:  # what careless handlers do
            return False
        return True

    def spins(self, inp: Job, ctx: Ctx) -> bool:
        while inp["n"] == 3:
            pass
        ctx.send("jobs.out", {"n": inp["n"]})
        return True

    def strays(self, inp: Job, ctx: Ctx) -> bool:
        try:
            ctx.send("jobs.secret", {"n": inp["n"]})
        except HostcallError:
            return False
        return True


MatWire = export(App)
