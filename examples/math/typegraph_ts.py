"""The math example's TypeScript twin: the typegraph of `typegraph.py`, its guest in `guest-ts/`.

The same functions, types and policies; only the runtimes differ: they point at the
componentize-js guest (`guest_ts` fresh, `guest_ts_pooled` pooled). tests/test_ts_example.py
checks that the two documents stay identical but for that, and runs one table of cases
through both guests.
"""

from math_api import expose_math  # the typegraph's folder is importable when it is loaded

from typegraph import Graph, WireRuntime, typegraph


@typegraph()
def math_ts(g: Graph) -> None:
    expose_math(
        g,
        WireRuntime("guest-ts"),
        WireRuntime("guest-ts", name="guest_ts_pooled", instances="pooled"),
    )
