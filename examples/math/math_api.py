"""The math example's API: types and functions of every shape.

Shared by `typegraph.py` (its guest in Python, `guest/`) and `typegraph_ts.py` (the same
API with its guest in TypeScript, `guest-ts/`): only the runtimes differ.
"""

from typegraph import Graph, Policy, WireRuntime, t


def expose_math(g: Graph, guest: WireRuntime, pooled: WireRuntime) -> None:
    """`guest` starts a fresh instance per call, `pooled` reuses warm ones, so `count`
    restarts at 1 on every call while `count_pooled` climbs."""
    point = t.struct(
        {"x": t.float(), "y": t.float(), "label": t.optional(t.string())},
        description="A point in the plane.",
    ).rename("Point")
    rec = t.struct(
        {
            "id": t.integer(),
            "name": t.string(),
            "shape": t.enum(["circle", "square", "triangle"]).rename("Shape"),
            "origin": point,
            "note": t.optional(t.string()),
            "corner": t.optional(point),
            "cells": t.list(t.list(t.either([t.string(), t.float()]).rename("Cell"))),
        },
        description="A nested record that `identity` returns unchanged.",
    ).rename("Rec")
    nothing = t.struct({})

    g.expose(
        Policy.public(),
        add=guest.handler(t.struct({"a": t.integer(), "b": t.integer()}), t.integer(), name="add"),
        range=guest.handler(
            t.struct({"a": t.integer(), "b": t.integer()}), t.list(t.integer()), name="range"
        ),
        identity=guest.handler(rec, rec, name="identity"),
        greet=guest.handler(t.struct({"name": t.string()}), t.string(), name="greet"),
        # Calls `add` by name, typed (`ctx.fn.add`: the `call` hostcall, no GraphQL).
        double=guest.handler(t.struct({"a": t.integer()}), t.integer(), name="double"),
        fail=guest.handler(t.struct({"message": t.string()}), t.boolean(), name="fail"),
        count=guest.handler(nothing, t.integer(), name="count", effect="update"),
        count_pooled=pooled.handler(nothing, t.integer(), name="count", effect="update"),
    )
