"""The typegraph of the core_wire tests' GraphQL and `wire call` cases: the WAT modules of
tests/guests/core, loaded as text (`.wat`) by the host."""

from typegraph import CoreRuntime, Graph, Policy, t, typegraph

Text = t.struct({"text": t.string()}, name="Text")
Request = t.struct({"op": t.string(), "input": Text}, name="Request")
Empty = t.struct({}, name="Empty")


@typegraph()
def core(g: Graph) -> None:
    echo = CoreRuntime("guests/core/echo.wat", instances="pooled")
    mis = CoreRuntime("guests/core/misbehave.wat", deadline_ms=300)
    g.expose(
        Policy.public(),
        echo=echo.handler(Text, Request, name="echo"),
        fail=mis.handler(Empty, t.optional(t.integer()), name="fail"),
        spin=mis.handler(Empty, t.optional(t.integer()), name="loop"),
        admitted=mis.handler(Empty, t.optional(t.integer()), name="count").with_policy(
            mis.policy("admit", op="allow")
        ),
        refused=mis.handler(Empty, t.optional(t.integer()), name="count").with_policy(
            mis.policy("refuse", op="deny")
        ),
    )
