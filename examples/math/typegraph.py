"""The math example: a Python guest (componentize-py, `guest/`) with ops of every shape.

The API itself is in `math_api.py` (shared with the TypeScript twin, `typegraph_ts.py`).
"""

from math_api import expose_math  # the typegraph's folder is importable when it is loaded

from typegraph import Graph, WireRuntime, typegraph


@typegraph()
def math(g: Graph) -> None:
    expose_math(
        g,
        WireRuntime("guest"),
        WireRuntime("guest", name="guest_pooled", instances="pooled"),
    )
