"""The ops of component 'guest' (typegraph 'gateway').

Written once by wire codegen and yours from now on: regenerating the SDK never
overwrites this file. Fill in each method; `MatWire` below is the component's export.
"""

from __future__ import annotations

import math
from typing import cast

from wire_sdk import Ctx, Handlers, Json, PolicyDecision, PolicyInput, export
from wire_sdk.runtime import GqlResult
from wire_sdk.types import (
    AddManyInput,
    AddManyTypedInput,
    AreaInput,
    ChainInput,
    Circle,
    DropNoteInput,
    Figure,
    Nothing,
    Pair,
    Rec,
    SaveNoteInput,
)


def data(result: GqlResult) -> dict[str, Json]:
    """The data of a `gql` result, or the first error raised with its code."""
    if result["errors"] or result["data"] is None:
        first = result["errors"][0] if result["errors"] else {"message": "no data"}
        code = first.get("extensions", {}).get("code", "?")
        raise Exception(f"gql failed [{code}]: {first.get('message')}")
    return result["data"]


class App(Handlers):
    def add(self, inp: Pair, ctx: Ctx) -> int:
        return inp["a"] + inp["b"]

    def range(self, inp: Pair, ctx: Ctx) -> list[int]:
        a, b = inp["a"], inp["b"]
        if a > b:
            raise ValueError(f"invalid range: {a} > {b}")
        return list(range(a, b + 1))

    def identity(self, inp: Rec, ctx: Ctx) -> Rec:
        return inp

    def records(self, inp: Nothing, ctx: Ctx) -> list[Rec]:
        sparse: Rec = {
            "id": 1,
            "name": "sparse",
            "shape": "square",
            "origin": {"x": 0.0, "y": 0.0, "label": None},
            "note": None,
            "corner": None,
            "email": None,
            "tags": None,
            "cells": [],
        }
        full: Rec = {
            "id": 2,
            "name": "full",
            "shape": "circle",
            "origin": {"x": 1.5, "y": -2.0, "label": "o"},
            "note": "everything set",
            "corner": {"x": 3.0, "y": 4.0, "label": "c"},
            "email": "ada@example.com",
            "tags": ["a", "b"],
            "cells": [["a", 1.5], [], [2.0, "z"]],
        }
        return [sparse, full]

    def figures(self, inp: Nothing, ctx: Ctx) -> list[Figure]:
        return [{"radius": 1.0}, {"side": 2.0}]

    def area(self, inp: AreaInput, ctx: Ctx) -> float:
        fig = inp["figure"]
        if "radius" in fig:
            return math.pi * cast(Circle, fig)["radius"] ** 2
        return fig["side"] ** 2

    def add_many(self, inp: AddManyInput, ctx: Ctx) -> list[int]:
        query = "query($a: Int!, $b: Int!) { add(a: $a, b: $b) }"
        out = []
        for i in range(inp["n"]):
            result = data(ctx.gql(query, {"a": i, "b": 1000}))
            out.append(int(result["add"]))
        return out

    def add_many_typed(self, inp: AddManyTypedInput, ctx: Ctx) -> list[int]:
        return [ctx.fn.add({"a": i, "b": 1000}) for i in range(inp["n"])]

    def chain(self, inp: ChainInput, ctx: Ctx) -> int:
        depth = inp["depth"]
        if depth == 0:
            return 0
        # variables as a JSON string: Metatype's guests send them that way too
        result = ctx.hostcall(
            "gql",
            {"query": "query($d: Int!) { chain(depth: $d) }", "variables": f'{{"d": {depth - 1}}}'},
        )
        return int(data(result)["chain"]) + 1

    def reveal(self, inp: Nothing, ctx: Ctx) -> str:
        return "revealed: " + str(data(ctx.gql("{ secret }"))["secret"])

    def secret(self, inp: Nothing, ctx: Ctx) -> str:
        return "the eagle has landed"

    def stats(self, inp: Nothing, ctx: Ctx) -> int:
        return 42

    def relay_stats(self, inp: Nothing, ctx: Ctx) -> int:
        return int(data(ctx.gql("{ stats }"))["stats"])

    def forbidden(self, inp: Nothing, ctx: Ctx) -> bool:
        raise Exception("a denied function must never run")

    def save_note(self, inp: SaveNoteInput, ctx: Ctx) -> str:
        return f"saved: {inp['text']}"

    def drop_note(self, inp: DropNoteInput, ctx: Ctx) -> bool:
        raise Exception("a denied function must never run")

    def is_admin(self, inp: PolicyInput, ctx: Ctx) -> PolicyDecision:
        """Admins (basic user `admin`, or a JWT with role admin) pass; other signed-in
        callers are denied; anonymous callers pass the decision on."""
        context = inp["context"]
        claims = context.get("claims") or {}
        if context.get("user") == "admin" or claims.get("role") == "admin":
            return "allow"
        if context.get("provider") != "anonymous":
            return "deny"
        return "pass"


MatWire = export(App)
