"""The typegraphs of the guest-side tests of the `call` and `http` ops (tests/test_guest_ops.py):
one API, its guest in Python (`ops_py`, tests/guests/ops_py) and in TypeScript (`ops_ts`,
tests/guests/ops_ts). The guests call its functions through their typed stubs (`ctx.fn`)
and reach HTTP services through their SDK's helper (`ctx.http` / `ctx.fetch`).
"""

from __future__ import annotations

from typing import Any

from typegraph import Graph, Policy, WireRuntime, t, typegraph

JSON = t.union(
    [
        t.optional(t.boolean()),
        t.float(),
        t.string(),
        t.list(t.ref("Json")),
        t.struct({}, additional_properties=True),
    ]
).rename("Json")


def ops_document(name: str, component: str, http: list[str]) -> dict[str, Any]:
    """The typegraph `name` whose guest is `component` (a folder or a .wasm, absolute),
    granted the HTTP hosts `http`."""

    def api(g: Graph) -> None:
        guest = WireRuntime(component, name="guest", instances="pooled", http=http)
        pair = t.struct({"a": t.integer(), "b": t.integer()}).rename("Pair")
        nothing = t.struct({}).rename("Nothing")
        outcome = t.struct(
            {
                "result": t.optional(JSON),
                "code": t.optional(t.string()),
                "message": t.optional(t.string()),
                "details": t.optional(JSON),
            },
            description="A result, or the HostcallError the guest caught.",
        ).rename("Outcome")
        fetch = t.struct(
            {
                "method": t.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
                "url": t.string(),
                "headers": t.optional(JSON),
                "body": t.optional(t.string()),
                "json": t.optional(JSON),
                "timeout_ms": t.optional(t.integer()),
            }
        ).rename("FetchRequest")
        is_admin = guest.policy("is_admin")
        g.expose(
            Policy.public(),
            add=guest.handler(pair, t.integer(), name="add"),
            secret=guest.handler(nothing, t.string(), name="secret").with_policy(Policy.internal()),
            forbidden=guest.handler(nothing, t.boolean(), name="forbidden").with_policy(
                Policy.deny()
            ),
            stats=guest.handler(nothing, t.integer(), name="stats").with_policy(is_admin),
            bad_output=guest.handler(nothing, t.integer(), name="bad_output"),
            recurse=guest.handler(
                t.struct({"depth": t.integer(min=0)}).rename("Depth"), t.integer(), name="recurse"
            ),
            # ctx.fn.add and ctx.fn.helper, typed: (a + b) + a * b
            typed=guest.handler(pair, t.integer(), name="typed"),
            # any function by name, through its typed stub when it has one
            attempt=guest.handler(
                t.struct({"function": t.string(), "args": JSON}).rename("Attempt"),
                outcome,
                name="attempt",
            ),
            # an HTTP request through the SDK's helper; its response as JSON
            fetch=guest.handler(fetch, outcome, name="fetch"),
        )
        g.define(helper=guest.handler(pair, t.integer(), name="helper"))

    return typegraph(name=name)(api).document()
