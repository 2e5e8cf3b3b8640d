"""The drills' handler written with wire's Python SDK (tests/drills/batch_flow.py): each job's
payload goes on to the job's channel."""

from __future__ import annotations

from wire_sdk import Ctx, Handlers, export
from wire_sdk.types import Job


class App(Handlers):
    def send(self, inp: Job, ctx: Ctx) -> bool | None:
        ctx.send(inp["channel"], dict(inp["payload"]))
        return None


MatWire = export(App)
