"""Inline Python functions (`PythonRuntime`): no guest folder, no build of their own.

wire call examples/inline/typegraph.py add '{"a": 1, "b": 2}'     → 3
"""

from typegraph import Graph, Policy, PythonRuntime, t, typegraph


def slugify(inp):
    import re  # what a function needs, it imports itself: only its own source travels

    return re.sub(r"[^a-z0-9]+", "-", inp["title"].lower()).strip("-")


def double(inp, ctx):
    ctx.log("info", f"doubling {inp['a']}")
    result = ctx.gql("query($a: Int!) { add(a: $a, b: $a) }", {"a": inp["a"]})
    return result["data"]["add"]


@typegraph()
def inline(g: Graph) -> None:
    py = PythonRuntime()
    pair = t.struct({"a": t.integer(), "b": t.integer()}).rename("Pair")
    g.expose(
        Policy.public(),
        add=py.from_lambda(pair, t.integer(), lambda x: x["a"] + x["b"]),
        slug=py.from_def(t.struct({"title": t.string()}), t.string(), slugify),
        score=py.import_(
            t.struct({"words": t.list(t.string())}), t.float(), module="scoring.py", name="score"
        ),
        double=py.from_def(t.struct({"a": t.integer()}), t.integer(), double),
    )
