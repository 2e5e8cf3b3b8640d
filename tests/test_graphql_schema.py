"""The GraphQL schema built from a typegraph: names, nullability, roots, descriptions,
and the clear errors for what GraphQL cannot serve (no guest runs here)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import print_schema

from typegraph import Graph, Policy, WireRuntime, t, typegraph
from wire import Host
from wire.graphql import Gateway, SchemaError

Build = Callable[[Graph], None]


@pytest.fixture
def gateway_of() -> Iterator[Callable[[Build], Gateway]]:
    made: list[Gateway] = []

    def make(build: Build) -> Gateway:
        doc = typegraph(name="tg")(build).document()
        gw = Gateway(Host(doc, Path(".")))  # the component is only loaded on a call
        made.append(gw)
        return gw

    yield make
    for gw in made:
        gw.close()


def sdl(gw: Gateway) -> str:
    return print_schema(gw.schema)


def one(inp: Any, out: Any, **kw: Any) -> Build:
    def build(g: Graph) -> None:
        rt = WireRuntime("nowhere.wasm")
        g.expose(Policy.public(), f=rt.handler(inp, out, name="f", **kw))

    return build


def test_nullability_lists_names_and_descriptions(gateway_of: Callable[[Build], Gateway]) -> None:
    item = t.struct(
        {"snake_case": t.integer(), "maybe": t.optional(t.list(t.optional(t.string())))},
        description="An item.",
    ).rename("Item_thing")
    inp = t.struct({"first_arg": t.integer(description="the first"), "opt": t.optional(t.float())})
    text = sdl(gateway_of(one(inp, t.list(item))))
    assert (
        '  f(\n    """the first"""\n    first_arg: Int!\n    opt: Float\n  ): [Item_thing!]!'
        in text
    )
    assert '"""An item."""\ntype Item_thing {\n  snake_case: Int!\n  maybe: [String]\n}' in text


def test_effects_decide_the_root(gateway_of: Callable[[Build], Gateway]) -> None:
    def build(g: Graph) -> None:
        rt = WireRuntime("nowhere.wasm")
        nothing = t.struct({})
        g.expose(
            Policy.public(),
            **{
                effect: rt.handler(nothing, t.boolean(), name=effect, effect=effect)
                for effect in ("create", "update", "delete")
            },
        )

    text = sdl(gateway_of(build))
    assert "type Mutation {\n  create: Boolean!\n  update: Boolean!\n  delete: Boolean!\n}" in text
    # GraphQL needs a Query type: a mutations-only typegraph gets one field naming it
    assert "type Query {" in text and "_typegraph: String!" in text


def test_structs_in_both_positions_get_an_input_twin(
    gateway_of: Callable[[Build], Gateway],
) -> None:
    point = t.struct({"x": t.float()}).rename("Point")
    text = sdl(gateway_of(one(t.struct({"p": point}), point)))
    assert "type Point {" in text and "input PointInput {" in text
    assert "f(p: PointInput!): Point!" in text


def test_eithers(gateway_of: Callable[[Build], Gateway]) -> None:
    a = t.struct({"a": t.integer()}).rename("A")
    b = t.struct({"b": t.string()}).rename("B")
    ab = t.either([a, b]).rename("AB")
    scalar = t.either([t.string(), t.integer()]).rename("StrOrInt")
    text = sdl(gateway_of(one(t.struct({"v": ab, "s": scalar}), t.list(ab))))
    assert "union AB = A | B" in text
    assert "input ABInput @oneOf {\n  A: AInput\n  B: BInput\n}" in text
    assert "scalar StrOrInt" in text
    assert 'scalar Email @specifiedBy(url: "' in sdl(
        gateway_of(one(t.struct({"e": t.string(format="email")}), t.boolean()))
    )


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (one(t.struct({"__x": t.integer()}), t.boolean()), ["'__x'", "reserves"]),
        (one(t.struct({}), t.struct({"x": t.integer()}).rename("String")), ["String", "built-in"]),
        (one(t.struct({}), t.struct({"x": t.integer()}).rename("Query")), ["Query", "root"]),
        (one(t.struct({}), t.enum(["a-b", "c"]).rename("E")), ["'a-b'", "enum value"]),
        (one(t.struct({}), t.enum(["true", "x"]).rename("E")), ["'true'", "reserved"]),
        (one(t.struct({}), t.struct({"e": t.string(format="email")}).rename("Email")),
         ["Email", "collides"]),
    ],
)  # fmt: skip
def test_names_graphql_cannot_serve_are_rejected_at_load(
    gateway_of: Callable[[Build], Gateway], build: Build, words: list[str]
) -> None:
    with pytest.raises(SchemaError) as info:
        gateway_of(build)
    assert info.value.code == "graphql_schema_invalid"
    for word in words:
        assert word in str(info.value)
    assert "rename" in str(info.value) or "use another" in str(info.value)


def test_input_twin_name_collision_is_rejected(gateway_of: Callable[[Build], Gateway]) -> None:
    def build(g: Graph) -> None:
        rt = WireRuntime("nowhere.wasm")
        point = t.struct({"x": t.float()}).rename("Point")
        taken = t.struct({"y": t.float()}).rename("PointInput")
        g.expose(
            Policy.public(),
            f=rt.handler(t.struct({"p": point}), point, name="f"),
            g=rt.handler(t.struct({}), taken, name="g"),
        )

    with pytest.raises(SchemaError, match=r"'PointInput'.*collides"):
        gateway_of(build)


# -- production mode ------------------------------------------------------------------------


def test_production_masks_internal_errors_and_logs_them(
    wat: Callable[[str], Path], caplog: pytest.LogCaptureFixture
) -> None:
    from conftest import make_document

    doc = make_document(wat("notjson"), {"f": {"input": {}}})
    for production, masked in ((False, False), (True, True)):
        with Host(doc, Path(".")) as host:
            gw = Gateway(host, production=production)
            with caplog.at_level(logging.ERROR, logger="wire.graphql"):
                body = gw.execute_sync("{ f }")
        err = body["errors"][0]
        assert err["extensions"]["code"] == "invalid_output"
        assert ("not JSON" in err["message"]) is not masked
        if masked:
            assert err["message"].startswith("internal error (reference ")
            ref = err["message"].split("reference ")[1].rstrip(")")
            assert any(
                ref in r.getMessage() and "not JSON" in r.getMessage() for r in caplog.records
            )
