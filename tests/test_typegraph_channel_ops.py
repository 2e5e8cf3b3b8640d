"""Channel operations in the DSL and the document: `g.subscription` / `g.publish` exposed
like functions, with their errors."""

from __future__ import annotations

import pytest

from typegraph import Graph, Policy, TypegraphError, WireRuntime, t, typegraph, validate_document

MSG = t.struct({"n": t.integer()}).rename("Msg")


def build(body: object) -> dict[str, object]:
    @typegraph()
    def tg(g: Graph) -> None:
        g.channel("a.b", MSG)
        body(g)  # type: ignore[operator]

    return tg.document()


def test_exposed_channel_ops_serialise_with_their_chains() -> None:
    rt = WireRuntime("guest")
    doc = build(
        lambda g: g.expose(
            Policy.public(),
            sub=g.subscription("a.b").describe("every b"),
            pub=g.publish(g.channels["a.b"]).with_policy(rt.policy("is_admin")),
        )
    )
    assert doc["channel_ops"] == {
        "sub": {
            "channel": "a.b",
            "operation": "subscribe",
            "policies": ["public"],
            "description": "every b",
        },
        "pub": {"channel": "a.b", "operation": "publish", "policies": ["is_admin"]},
    }
    assert list(doc)[-1] == "channel_ops"
    assert "guest" in doc["runtimes"]  # the custom policy's runtime is collected


def test_errors() -> None:
    with pytest.raises(TypegraphError, match=r"unknown channel 'x\.y'") as e:
        build(lambda g: g.expose(Policy.public(), s=g.subscription("x.y")))
    assert e.value.path == ["channel_ops", "s", "channel"]
    with pytest.raises(TypegraphError, match="has no policy"):
        build(lambda g: g.expose(s=g.subscription("a.b")))
    with pytest.raises(TypegraphError, match="defined twice"):
        build(
            lambda g: (
                g.expose(Policy.public(), s=g.subscription("a.b")),
                g.expose(Policy.public(), s=g.publish("a.b")),
            )
        )
    with pytest.raises(TypegraphError, match="channel operation: expose it"):
        build(lambda g: g.define(s=g.publish("a.b")))


def test_a_document_is_checked() -> None:
    doc = build(lambda g: g.expose(Policy.public(), s=g.subscription("a.b")))
    doc["channel_ops"]["s"]["channel"] = "c.d"  # type: ignore[index]
    with pytest.raises(TypegraphError, match=r"unknown channel 'c\.d'"):
        validate_document(doc)
    doc["channel_ops"]["s"] = {"channel": "a.b", "operation": "listen", "policies": ["public"]}  # type: ignore[index]
    with pytest.raises(TypegraphError, match="listen"):
        validate_document(doc)
