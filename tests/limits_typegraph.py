"""The typegraph of the cost-limit and subscription tests (`wire serve`, in-process).

The `hostcaller` WAT guest forwards each call to the hostcall op named like the call's op:
`wait` calls a `wait` op that the test registers (it records the call and may block),
`via_gql` calls the real `gql` op with its arguments (`{query}`), so a guest's query goes
through the same limits as a client's. `$WIRE_TEST_GUEST` is the built component,
`$WIRE_TEST_PREFIX` makes the channel fresh. The pub-sub channel `<P>.ticks` is published
by the mutation `tick` and streamed by the subscription `ticks`.
"""

import os

from typegraph import Graph, Policy, WireRuntime, t, typegraph

P = os.environ.get("WIRE_TEST_PREFIX", "limits")
GUEST = os.environ.get("WIRE_TEST_GUEST", "hostcaller.wasm")


@typegraph()
def limits(g: Graph) -> None:
    tick = t.struct({"n": t.integer(), "pad": t.string()}).rename("Tick")
    g.channel(f"{P}.ticks", tick)
    guest = WireRuntime(GUEST, name="guest")
    anything = t.optional(t.struct({}, additional_properties=True).rename("Any"))
    g.expose(
        Policy.public(),
        wait=guest.handler(t.struct({"n": t.integer()}).rename("N"), anything, name="wait"),
        via_gql=guest.handler(
            t.struct({"query": t.string()}).rename("GqlArgs"), anything, name="gql"
        ),
        tick=g.publish(f"{P}.ticks"),
        ticks=g.subscription(f"{P}.ticks"),
    )
