"""The ops of component 'guest' (typegraph 'bench_echo').

Written once by wire codegen and yours from now on: regenerating the SDK never
overwrites this file. Fill in each method; `MatWire` below is the component's export.
"""

from __future__ import annotations

from wire_sdk import Ctx, Handlers, export
from wire_sdk.types import Payload


class App(Handlers):
    def echo(self, inp: Payload, ctx: Ctx) -> Payload:
        return inp


MatWire = export(App)
