"""The ops of component 'guest' (typegraph 'math').

Written once by wire codegen and yours from now on: regenerating the SDK never
overwrites this file. Fill in each method; `MatWire` below is the component's export.
"""

from __future__ import annotations

from wire_sdk import Ctx, Handlers, export
from wire_sdk.types import (
    AddInput,
    CountInput,
    DoubleInput,
    FailInput,
    GreetInput,
    RangeInput,
    Rec,
)

# Lives as long as the instance: a fresh instance per call (runtime `guest`) always
# answers 1, a pooled one (runtime `guest_pooled`) counts up.
calls = 0


class App(Handlers):
    def add(self, inp: AddInput, ctx: Ctx) -> int:
        return inp["a"] + inp["b"]

    def count(self, inp: CountInput, ctx: Ctx) -> int:
        global calls
        calls += 1
        return calls

    def double(self, inp: DoubleInput, ctx: Ctx) -> int:
        # Another function of the typegraph, typed, as the calling request: `add` answers
        # (a failure raises HostcallError with its code).
        return ctx.fn.add({"a": inp["a"], "b": inp["a"]})

    def fail(self, inp: FailInput, ctx: Ctx) -> bool:
        raise Exception(inp["message"])

    def greet(self, inp: GreetInput, ctx: Ctx) -> str:
        ctx.log("info", f"greeting {inp['name']}")
        print(f"stdout works too, {inp['name']}")  # guest stdout goes to the host log
        return "hello " + inp["name"]

    def identity(self, inp: Rec, ctx: Ctx) -> Rec:
        return inp

    def range(self, inp: RangeInput, ctx: Ctx) -> list[int]:
        a, b = inp["a"], inp["b"]
        if a > b:
            raise ValueError(f"invalid range: {a} > {b}")
        return list(range(a, b + 1))


MatWire = export(App)
