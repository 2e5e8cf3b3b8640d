"""`g.on` and `g.respond`: what they put in the document, and their errors."""

from __future__ import annotations

import pytest

from typegraph import Backoff, Graph, TypegraphError, WireRuntime, t, typegraph


def build(extra: object = None) -> dict[str, object]:
    @typegraph()
    def shop(g: Graph) -> None:
        rt = WireRuntime("guest", channels=["o.placed"])
        msg = t.struct({"id": t.integer()}).rename("Placed")
        g.channel("o.placed", msg, durable=True, dead_letter="o.failed")
        g.on("o.placed", rt.handler(msg, t.boolean(), name="ship"), max_attempts=3,
             backoff=Backoff(0.5, 4, 3), concurrency=2)  # fmt: skip
        g.respond("o.placed", rt.handler(msg, t.integer(), name="count"))
        if callable(extra):
            extra(g, rt, msg)

    return shop.document()


def test_bindings_are_in_the_document() -> None:
    ch = build()["channels"]["o.placed"]  # type: ignore[index]
    assert ch["handlers"] == ["ship"] and ch["responders"] == ["count"]
    assert ch["dead_letter"] == "o.failed"
    assert ch["options"] == {
        "ship": {
            "max_attempts": 3,
            "backoff": {"initial_ms": 500, "max_ms": 4000, "multiplier": 3},
            "concurrency": 2,
        },
        "count": {"concurrency": 1},
    }


def on(channel: str, inp: object = None, name: str = "x", **kw: object) -> object:
    def extra(g: Graph, rt: WireRuntime, msg: object) -> None:
        g.on(channel, rt.handler(inp or msg, t.boolean(), name=name), **kw)  # type: ignore[arg-type]

    return extra


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (on("nope"), "unknown channel 'nope'"),
        (on("o.placed", max_attempts=0), "max_attempts must be an integer >= 1"),
        (on("o.placed", backoff=Backoff(2, 1)), "backoff needs"),
        (on("o.placed", t.struct({"z": t.string()})), "handler 'x' takes"),
        (on("o.placed", name="ship"), "already defined as another function"),
    ],
)
def test_binding_errors_say_what_and_where(extra: object, message: str) -> None:
    with pytest.raises(TypegraphError, match=message):
        build(extra)
