"""`examples/math`'s `add` on a pooled runtime: the same guest, warm instances reused.

The GraphQL peer benchmark (bench/bench_peers_graphql.py) serves it next to the example as
shipped (a fresh instance per call, the default) to show what the instance policy costs.
"""

from typegraph import Graph, Policy, WireRuntime, t, typegraph


@typegraph()
def math(g: Graph) -> None:
    guest = WireRuntime("../../examples/math/guest", name="guest", instances="pooled")
    g.expose(
        Policy.public(),
        add=guest.handler(t.struct({"a": t.integer(), "b": t.integer()}), t.integer(), name="add"),
    )
