"""MessagingComponent in the typegraph DSL and document: what it serialises to, and the
misuse it rejects (with the path in the document)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from typegraph import (
    Graph,
    MessagingComponent,
    Policy,
    TypegraphError,
    t,
    typegraph,
    validate_document,
)

Build = Callable[[Graph, MessagingComponent, Any], None]


def document(build: Build, world: str = "wasi:messaging") -> dict[str, Any]:
    @typegraph(name="tg")
    def tg(g: Graph) -> None:
        msg = t.struct({"n": t.integer()}).rename("Msg")
        g.channel("a.in", msg)
        g.channel("a.out", msg)
        rt = MessagingComponent("h.wasm", world=world, name="h", channels=["a.out"])  # type: ignore[arg-type]
        build(g, rt, msg)

    return tg.document()


def test_a_bound_handler_takes_the_channels_message() -> None:
    doc = document(lambda g, rt, _msg: g.on("a.in", rt.handler(), max_attempts=2))
    assert doc["runtimes"]["h"] == {
        "kind": "messaging",
        "world": "wasi:messaging@0.2.0-draft",
        "component": "h.wasm",
        "instances": {"policy": "fresh"},
        "limits": {"deadline_ms": 10_000, "memory_bytes": 128 * 2**20},
        "grants": {"channels": ["a.out"]},
    }
    assert doc["functions"]["handle"]["input"] == "Msg"
    assert doc["functions"]["handle"]["exposed"] is False
    assert doc["channels"]["a.in"]["handlers"] == ["handle"]
    assert doc["channels"]["a.in"]["options"]["handle"]["max_attempts"] == 2


def test_wasmcloud_and_an_explicit_message_type() -> None:
    doc = document(
        lambda g, rt, msg: g.on("a.in", rt.handler(msg, name="h_in")), "wasmcloud:messaging"
    )
    assert doc["runtimes"]["h"]["world"] == "wasmcloud:messaging@0.2.0"
    assert doc["channels"]["a.in"]["handlers"] == ["h_in"]


def test_one_handler_on_two_channels_needs_two_names() -> None:
    def build(g: Graph, rt: MessagingComponent, _msg: Any) -> None:
        handler = rt.handler()
        g.on("a.in", handler)
        g.on("a.out", handler, name="handle_out")

    doc = document(build)
    assert doc["channels"]["a.out"]["handlers"] == ["handle_out"]


@pytest.mark.parametrize(
    ("build", "path", "text"),
    [
        (
            lambda g, rt, _m: g.expose(Policy.public(), h=rt.handler()),
            "functions.h",
            "cannot be a GraphQL field",
        ),
        (
            lambda g, rt, _m: g.define(h=rt.handler()),
            "functions.h",
            "no channel is bound to it",
        ),
        (
            lambda g, rt, _m: g.respond("a.in", rt.handler()),
            "channels.a.in.responders",
            "cannot answer g.respond",
        ),
        (lambda g, rt, _m: rt.policy("p"), "policies.p", "cannot decide policies"),
    ],
    ids=["exposed", "unbound", "responder", "policy"],
)
def test_misuse_is_rejected_with_its_path(build: Build, path: str, text: str) -> None:
    with pytest.raises(TypegraphError, match=text) as e:
        document(build)
    assert str(e.value).startswith(path + ":")


def test_a_channel_of_a_non_struct_cannot_be_handled() -> None:
    def build(g: Graph, rt: MessagingComponent, _msg: Any) -> None:
        g.channel("a.text", t.string())
        g.on("a.text", rt.handler())

    with pytest.raises(TypegraphError, match=r"must carry a t\.struct"):
        document(build)


def test_unknown_world() -> None:
    with pytest.raises(TypegraphError, match="unknown messaging world 'mqtt'"):
        MessagingComponent("h.wasm", world="mqtt")  # type: ignore[arg-type]


def test_the_document_checks_messaging_runtimes() -> None:
    doc = document(lambda g, rt, _msg: g.on("a.in", rt.handler()))
    validate_document(doc)

    exposed = copy.deepcopy(doc)
    exposed["functions"]["handle"] |= {"exposed": True, "policies": []}
    with pytest.raises(TypegraphError, match="cannot be exposed") as e:
        validate_document(exposed)
    assert e.value.path == ["functions", "handle", "exposed"]

    responder = copy.deepcopy(doc)
    responder["channels"]["a.in"] |= {"handlers": [], "responders": ["handle"]}
    with pytest.raises(TypegraphError, match="cannot be a responder"):
        validate_document(responder)

    no_world = copy.deepcopy(doc)
    del no_world["runtimes"]["h"]["world"]
    with pytest.raises(TypegraphError, match="world"):
        validate_document(no_world)

    wire_with_world = copy.deepcopy(doc)
    wire_with_world["runtimes"]["h"]["kind"] = "wire"
    with pytest.raises(TypegraphError):
        validate_document(wire_with_world)
