"""The typegraph of the client SDK tests: the shapes a generated client must get right,
served by the `echo` WAT guest (each function returns its input, so the result shows what
the client sent).

- `tree`: a recursive type (`Tree.children`), selected RECURSION_LEVELS deep by default;
- `tagged`: a list of a tagged union whose variants type `kind` and `size` differently
  (GraphQL needs aliases for them), as argument (`@oneOf`) and as result;
- `words`: arguments named like keywords (`from`, `class`) and like the client's own
  parameters (`select`, `self`), string formats, a renamed list, a defaulted argument;
- `wide`: a float, for numbers beyond GraphQL's 32-bit `Int`;
- the pub-sub channel `<P>.notes` of plain strings: published by `note` (one `message`
  argument), streamed by `notes`.

`$WIRE_TEST_ECHO` is the built component, `$WIRE_TEST_PREFIX` makes the channel fresh.
"""

import os

from typegraph import Graph, Policy, WireRuntime, t, typegraph

P = os.environ.get("WIRE_TEST_PREFIX", "edges")
ECHO = os.environ.get("WIRE_TEST_ECHO", "echo.wasm")


@typegraph()
def edges(g: Graph) -> None:
    tree = t.struct(
        {"value": t.integer(), "children": t.list(t.ref("Tree"))},
        description="A tree of integers.",
    ).rename("Tree")
    circle = t.struct(
        {"kind": t.enum(["circle"]).rename("CircleKind"), "size": t.float(min=0)}
    ).rename("Circle")
    label = t.struct(
        {
            "kind": t.enum(["label"]).rename("LabelKind"),
            "size": t.string(),
            "bold": t.optional(t.boolean()),
        }
    ).rename("Label")
    tagged = t.either([circle, label], description="A circle or a label.").rename("Tagged")
    words = t.struct(
        {
            "from": t.string(description="A keyword as a field."),
            "class": t.optional(t.string()),
            "select": t.integer(),
            "self": t.optional(t.integer()),
            "email": t.optional(t.string(format="email")),
            "id": t.optional(t.string(format="uuid")),
            "at": t.optional(t.string(format="date-time")),
            "ids": t.optional(t.list(t.string()).rename("Ids")),
            "unit": t.string(default="m"),
        }
    ).rename("Words")
    g.channel(f"{P}.notes", t.string())
    echo = WireRuntime(ECHO, name="echo")
    g.expose(
        Policy.public(),
        tree=echo.handler(tree, tree, name="tree"),
        tagged=echo.handler(
            t.struct({"items": t.list(tagged)}).rename("TaggedList"),
            t.struct({"items": t.list(tagged)}).rename("TaggedList"),
            name="tagged",
        ),
        words=echo.handler(words, words, name="words").describe(
            "Every awkward name at once.\n\nReturns its input."
        ),
        wide=echo.handler(
            t.struct({"x": t.float()}).rename("Wide"),
            t.struct({"x": t.float()}).rename("Wide"),
            name="wide",
        ),
        note=g.publish(f"{P}.notes"),
        notes=g.subscription(f"{P}.notes"),
    )
