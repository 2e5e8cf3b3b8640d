"""The Python guest of tests/ops_typegraph.py: typed calls (`ctx.fn`) and HTTP (`ctx.http`).

tests/test_guest_ops.py copies this file next to the SDK `wire codegen` writes for it, and
builds the pair; tests/guests/ops_ts/app.ts is its TypeScript twin.
"""

from __future__ import annotations

from typing import Any

from wire_sdk import Ctx, Handlers, HostcallError, PolicyDecision, PolicyInput, export
from wire_sdk.types import Attempt, Depth, FetchRequest, Nothing, Outcome, Pair


def caught(e: HostcallError) -> Outcome:
    return {"code": e.code, "message": e.message, "details": e.details}


class App(Handlers):
    def add(self, inp: Pair, ctx: Ctx) -> int:
        return inp["a"] + inp["b"]

    def helper(self, inp: Pair, ctx: Ctx) -> int:
        return inp["a"] * inp["b"]

    def typed(self, inp: Pair, ctx: Ctx) -> int:
        total: int = ctx.fn.add({"a": inp["a"], "b": inp["b"]})
        product: int = ctx.fn.helper(inp)  # not exposed: only the typegraph's guests reach it
        return total + product

    def attempt(self, inp: Attempt, ctx: Ctx) -> Outcome:
        name, args = inp["function"], inp["args"]
        stub = getattr(ctx.fn, name, None)
        try:
            result: Any = stub(args) if stub is not None else ctx.call(name, args)
        except HostcallError as e:
            return caught(e)
        return {"result": result}

    def recurse(self, inp: Depth, ctx: Ctx) -> int:
        if inp["depth"] == 0:
            return 0
        return ctx.fn.recurse({"depth": inp["depth"] - 1}) + 1

    def secret(self, inp: Nothing, ctx: Ctx) -> str:
        return "the eagle has landed"

    def forbidden(self, inp: Nothing, ctx: Ctx) -> bool:
        raise Exception("a denied function must never run")

    def stats(self, inp: Nothing, ctx: Ctx) -> int:
        return 42

    def bad_output(self, inp: Nothing, ctx: Ctx) -> int:
        wrong: Any = "not a number"
        return wrong  # the host checks results: invalid_output

    def is_admin(self, inp: PolicyInput, ctx: Ctx) -> PolicyDecision:
        return "allow" if inp["context"].get("user") == "admin" else "deny"

    def fetch(self, inp: FetchRequest, ctx: Ctx) -> Outcome:
        extra: dict[str, Any] = {}
        if inp.get("json") is not None:
            extra["json"] = inp["json"]
        try:
            res = ctx.http.request(
                inp["method"],
                inp["url"],
                headers=inp.get("headers") or {},
                body=inp.get("body"),
                timeout_ms=inp.get("timeout_ms"),
                **extra,
            )
        except HostcallError as e:
            return caught(e)
        parsed = res.json() if res.headers.get("content-type") == "application/json" else None
        response = {"status": res.status, "ok": res.ok, "url": res.url, "body": res.body}
        return {"result": {**response, "headers": res.headers, "json": parsed}}


MatWire = export(App)
