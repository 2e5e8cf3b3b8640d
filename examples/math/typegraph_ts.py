"""The math example's TypeScript twin: the typegraph of `typegraph.py`, its guest in `guest-ts/`.

The same functions, types and policies; only the runtimes differ: they point at the
componentize-js guest (`guest_ts` fresh, `guest_ts_pooled` pooled). tests/test_ts_example.py
checks that the two documents stay identical but for that, and runs one table of cases
through both guests.
"""

from typegraph import Graph, Policy, WireRuntime, t, typegraph


@typegraph()
def math_ts(g: Graph) -> None:
    guest = WireRuntime("guest-ts")
    pooled = WireRuntime("guest-ts", name="guest_ts_pooled", instances="pooled")

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
        fail=guest.handler(t.struct({"message": t.string()}), t.boolean(), name="fail"),
        count=guest.handler(nothing, t.integer(), name="count", effect="update"),
        count_pooled=pooled.handler(nothing, t.integer(), name="count", effect="update"),
    )
