"""The gateway example: a typegraph served over GraphQL (`wire serve`), with a Python guest.

Shows what the gateway maps (nested records with optional fields, an enum, a list of
lists of either(string | float), a union of structs on output and a oneOf input,
string formats, bounds and patterns), policies (public, internal, deny, a custom one,
per effect) and guests calling back into the API through the `gql` hostcall, or calling
its functions by name, typed (`ctx.fn`, the `call` hostcall).

The runtime keeps one warm instance: nested `gql` calls must not deadlock even then.
Basic auth user `admin` signs in with the password in `WIRE_GATEWAY_BASIC_ADMIN`.
"""

from typegraph import Graph, Policy, WireRuntime, t, typegraph


@typegraph()
def gateway(g: Graph) -> None:
    guest = WireRuntime("guest", instances="pooled", pool_size=1)
    g.auth(basic=["admin"])

    point = t.struct(
        {"x": t.float(), "y": t.float(), "label": t.optional(t.string())},
        description="A point in the plane.",
    ).rename("Point")
    rec = t.struct(
        {
            "id": t.integer(min=0, description="Non-negative."),
            "name": t.string(min=1, max=64),
            "shape": t.enum(["circle", "square", "triangle"]).rename("Shape"),
            "origin": point,
            "note": t.optional(t.string()),
            "corner": t.optional(point),
            "email": t.optional(t.string(format="email")),
            "tags": t.optional(t.list(t.string(pattern="^[a-z]+$"), max=4)),
            "cells": t.list(t.list(t.either([t.string(), t.float()]).rename("Cell"))),
        },
        description="A nested record that `identity` returns unchanged.",
    ).rename("Rec")
    circle = t.struct({"radius": t.float(min=0)}).rename("Circle")
    square = t.struct({"side": t.float(min=0)}).rename("Square")
    figure = t.either([circle, square], description="A circle or a square.").rename("Figure")
    nothing = t.struct({}).rename("Nothing")
    pair = t.struct({"a": t.integer(), "b": t.integer()}).rename("Pair")
    is_admin = guest.policy("is_admin")

    g.expose(
        Policy.public(),
        add=guest.handler(pair, t.integer(), name="add").describe("a + b"),
        range=guest.handler(pair, t.list(t.integer()), name="range"),
        identity=guest.handler(rec, rec, name="identity"),
        records=guest.handler(nothing, t.list(rec), name="records"),
        figures=guest.handler(nothing, t.list(figure), name="figures"),
        area=guest.handler(t.struct({"figure": figure}), t.float(), name="area"),
        add_many=guest.handler(
            t.struct({"n": t.integer(min=0, max=1000)}), t.list(t.integer()), name="add_many"
        ).describe("`n` gql hostcalls to `add`."),
        add_many_typed=guest.handler(
            t.struct({"n": t.integer(min=0, max=1000)}), t.list(t.integer()), name="add_many_typed"
        ).describe("`n` typed calls to `add` (`ctx.fn.add`: the `call` hostcall, no GraphQL)."),
        chain=guest.handler(
            t.struct({"depth": t.integer(min=0)}), t.integer(), name="chain"
        ).describe("Calls itself through gql `depth` times."),
        reveal=guest.handler(nothing, t.string(), name="reveal").describe(
            "Reads the internal `secret` through gql."
        ),
        secret=guest.handler(nothing, t.string(), name="secret").with_policy(Policy.internal()),
        stats=guest.handler(nothing, t.integer(), name="stats").with_policy(is_admin),
        relay_stats=guest.handler(nothing, t.integer(), name="relay_stats").describe(
            "`stats` through gql."
        ),
        forbidden=guest.handler(nothing, t.boolean(), name="forbidden").with_policy(Policy.deny()),
        save_note=guest.handler(
            t.struct({"text": t.string(max=280)}), t.string(), name="save_note", effect="create"
        ).with_policy(Policy.on(read=Policy.public(), create=is_admin)),
        drop_note=guest.handler(
            t.struct({"id": t.integer()}), t.boolean(), name="drop_note", effect="delete"
        ).with_policy(Policy.on(delete=Policy.deny()), Policy.public()),
    )
