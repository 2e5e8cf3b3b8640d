"""The benchmark's TypeScript guest (componentize-js): `echo` returns its input unchanged."""

from typegraph import Graph, Policy, WireRuntime, t, typegraph


@typegraph()
def bench_echo_ts(g: Graph) -> None:
    guest = WireRuntime("guest", instances="pooled", pool_size=1)
    item = t.struct(
        {"id": t.integer(min=0), "name": t.string(max=64), "tags": t.list(t.string(), max=8)}
    ).rename("Item")
    payload = t.struct(
        {"a": t.integer(), "b": t.string(), "items": t.optional(t.list(item))}
    ).rename("Payload")
    g.expose(Policy.public(), echo=guest.handler(payload, payload, name="echo"))
