"""Every error path: a TypegraphError whose path locates the problem."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

import typegraph
from typegraph import Graph, Policy, TypegraphError, WireRuntime, t

RT = WireRuntime("guest")


def build(define: Callable[[Graph], None]) -> dict[str, Any]:
    return typegraph.typegraph(name="tg")(define).document()


def fn_with(inp: Any = None, out: Any = None) -> Callable[[Graph], None]:
    """A graph exposing ``f`` with the given input (default an empty struct) and output."""

    def define(g: Graph) -> None:
        g.expose(
            Policy.public(),
            f=RT.handler(
                t.struct({}) if inp is None else inp, t.boolean() if out is None else out, name="f"
            ),
        )

    return define


def field(ty: Any) -> Callable[[Graph], None]:
    return fn_with(inp=t.struct({"a": ty}))


def raises(define: Callable[[Graph], None], path: list[str | int], fragment: str) -> None:
    with pytest.raises(TypegraphError) as info:
        build(define)
    err = info.value
    assert err.path == path, str(err)
    assert fragment in err.message, str(err)
    assert str(err) == f"{'.'.join(map(str, path))}: {err.message}"


FIELD = ["functions", "f", "input", "fields", "a"]


def test_example_message_from_the_brief() -> None:
    def define(g: Graph) -> None:
        g.expose(
            Policy.public(),
            add=RT.handler(t.struct({"a": t.integer(min=5, max=2)}), t.integer(), name="add"),
        )

    with pytest.raises(TypegraphError) as info:
        build(define)
    assert str(info.value) == "functions.add.input.fields.a: minimum 5 is greater than maximum 2"
    assert info.value.path == ["functions", "add", "input", "fields", "a"]


@pytest.mark.parametrize(
    ("ty", "fragment"),
    [
        (t.integer(min=5, max=2), "minimum 5 is greater than maximum 2"),
        (t.float(min=1.5, max=1.25), "minimum 1.5 is greater than maximum 1.25"),
        (t.integer(x_min=3, x_max=3), "exclusive minimum 3 is not less than exclusive maximum 3"),
        (t.float(min=3, x_max=3), "minimum 3 is not less than exclusive maximum 3"),
        (t.float(x_min=3, max=3), "exclusive minimum 3 is not less than maximum 3"),
        (t.integer(x_min=1, x_max=2), "no integer lies within the bounds"),
        (t.integer(min=0.2, max=0.8), "no integer lies within the bounds"),
        (t.integer(multiple_of=0), "multipleOf must be greater than 0"),
        (t.float(multiple_of=-1.5), "multipleOf must be greater than 0"),
        (t.integer(min="1"), "minimum must be a finite number"),  # type: ignore[arg-type]
        (t.float(max=float("inf")), "maximum must be a finite number"),
        (t.string(min=3, max=1), "minimum length 3 is greater than maximum length 1"),
        (t.string(min=-1), "minLength must be a non-negative integer"),
        (t.string(pattern="a(b"), "invalid pattern 'a(b'"),
        (t.string(pattern="[z-a]"), "invalid pattern"),
        (t.string(format="ipv4"), "unknown format 'ipv4': use one of uuid, email, uri"),
        (t.list(t.integer(), min=4, max=3), "minimum items 4 is greater than maximum items 3"),
        (t.enum([]), "an enum needs at least one value"),
        (t.enum(["a", "b", "a"]), "duplicate enum value 'a'"),
        (t.either([t.integer()]), "t.either needs at least 2 variants, got 1"),
        (t.union([]), "t.union needs at least 2 variants, got 0"),
        (t.integer().describe(3), "description must be a string"),  # type: ignore[arg-type]
    ],
)
def test_bad_type_definitions(ty: Any, fragment: str) -> None:
    raises(field(ty), FIELD, fragment)


def test_errors_deep_in_the_tree_have_deep_paths() -> None:
    deep = t.struct({"b": t.list(t.either([t.integer(), t.string(pattern="(")]).optional())})
    raises(field(deep), [*FIELD, "fields", "b", "items", "item", "variants", 1], "invalid pattern")
    raises(
        fn_with(out=t.list(t.integer(min=2, max=1))),
        ["functions", "f", "output", "items"],
        "minimum 2 is greater than maximum 1",
    )


@pytest.mark.parametrize(
    ("ty", "fragment"),
    [
        (t.integer(min=0).default(-1), "default -1 does not match the type"),
        (t.string(pattern="^[a-z]+$").default("ABC"), "default 'ABC' does not match"),
        (t.string(format="uuid").default("nope"), "does not match the type"),
        (t.enum(["x", "y"]).default("z"), "default 'z' does not match"),
        (t.list(t.integer(), max=1).default([1, 2]), "does not match"),
        (t.boolean().default(None), "default None does not match"),
        (t.struct({"n": t.integer()}).default({}), "default {} does not match"),
        (t.integer().optional(default="1"), "default '1' does not match"),
    ],
)
def test_default_must_match_its_type(ty: Any, fragment: str) -> None:
    raises(field(ty), FIELD, fragment)


def test_good_defaults_pass() -> None:
    doc = build(
        field(
            t.struct(
                {
                    "n": t.integer(min=0).default(0),
                    "o": t.integer().optional(default=None),
                    "s": t.string(format="date").default("2024-01-31"),
                    "e": t.enum(["x", "y"]).default("y"),
                }
            )
        )
    )
    assert doc["types"]["FInputA"]["fields"]["e"] == {"kind": "ref", "name": "FInputAE"}
    assert doc["types"]["FInputAE"]["default"] == "y"


def test_default_on_a_named_type_through_refs() -> None:
    point = t.struct({"x": t.integer()}).rename("Point")
    ok = build(field(t.list(point).default([{"x": 1}])))
    assert ok["types"]["FInput"]["fields"]["a"]["default"] == [{"x": 1}]
    raises(field(t.list(point).default([{"x": "1"}])), FIELD, "does not match")


def test_duplicate_type_names() -> None:
    one = t.struct({"x": t.integer()}).rename("Thing")
    two = t.struct({"x": t.string()}).rename("Thing")
    raises(
        fn_with(inp=t.struct({"a": one, "b": two})),
        ["functions", "f", "input", "fields", "b"],
        "two different types are named 'Thing' (the first at functions.f.input.fields.a)",
    )
    raises(
        fn_with(inp=t.struct({"a": t.integer().rename("N"), "b": t.float().rename("N")})),
        ["functions", "f", "input", "fields", "b"],
        "two different types are named 'N'",
    )


def test_function_defined_twice() -> None:
    def define(g: Graph) -> None:
        g.expose(Policy.public(), f=RT.handler(t.struct({}), t.boolean(), name="f"))
        g.expose(Policy.public(), f=RT.handler(t.struct({}), t.boolean(), name="g"))

    raises(define, ["functions", "f"], "function 'f' is defined twice")

    def define2(g: Graph) -> None:
        g.expose(Policy.public(), f=RT.handler(t.struct({}), t.boolean(), name="f"))
        g.define(f=RT.handler(t.struct({}), t.boolean(), name="g"))

    raises(define2, ["functions", "f"], "defined twice")


def test_channel_declared_twice() -> None:
    def define(g: Graph) -> None:
        g.channel("a.b", t.struct({}))
        g.channel("a.b", t.struct({}))

    raises(define, ["channels", "a.b"], "channel 'a.b' is declared twice")


def test_unknown_type_reference() -> None:
    raises(field(t.list(t.ref("Nope"))), [*FIELD, "items"], "unknown type 'Nope'")
    raises(fn_with(inp=t.ref("Missing")), ["functions", "f", "input"], "unknown type 'Missing'")


def test_policy_on_unexposed_function() -> None:
    def define(g: Graph) -> None:
        g.define(f=RT.handler(t.struct({}), t.boolean(), name="f").with_policy(Policy.public()))

    raises(define, ["functions", "f", "policies"], "has a policy but is not exposed")


def test_exposed_function_needs_a_policy() -> None:
    def define(g: Graph) -> None:
        g.expose(f=RT.handler(t.struct({}), t.boolean(), name="f"))

    raises(define, ["functions", "f", "policies"], "has no policy")


def test_empty_policy_on() -> None:
    def define(g: Graph) -> None:
        g.expose(Policy.on(), f=RT.handler(t.struct({}), t.boolean(), name="f"))

    raises(define, ["functions", "f", "policies", 0], "Policy.on() needs at least one effect")


def test_two_policies_with_one_name() -> None:
    def define(g: Graph) -> None:
        g.expose(RT.policy("p", op="one"), f=RT.handler(t.struct({}), t.boolean(), name="f"))
        g.expose(RT.policy("p", op="two"), h=RT.handler(t.struct({}), t.boolean(), name="h"))

    raises(define, ["functions", "h", "policies", 0], "two different policies are named 'p'")

    def builtin_clash(g: Graph) -> None:
        g.expose(
            RT.policy("public"), Policy.public(), f=RT.handler(t.struct({}), t.boolean(), name="f")
        )

    raises(builtin_clash, ["functions", "f", "policies", 1], "named 'public'")


@pytest.mark.parametrize(
    ("define", "path", "fragment"),
    [
        (
            lambda g: g.expose(
                Policy.public(), **{"1f": RT.handler(t.struct({}), t.boolean(), name="x")}
            ),
            ["functions", "1f"],
            "invalid function name '1f'",
        ),
        (
            lambda g: g.expose(
                Policy.public(), **{"a-b": RT.handler(t.struct({}), t.boolean(), name="x")}
            ),
            ["functions", "a-b"],
            "invalid function name",
        ),
        (
            field(t.struct({"bad name": t.integer()})),
            [*FIELD, "fields", "bad name"],
            "invalid field name 'bad name'",
        ),
        (field(t.integer().rename("9lives")), FIELD, "invalid type name '9lives'"),
        (field(t.integer().rename("a.b")), FIELD, "invalid type name 'a.b'"),
        (
            lambda g: g.channel("orders..placed", t.struct({})),
            ["channels", "orders..placed"],
            "invalid channel name",
        ),
        (
            lambda g: g.channel("-orders", t.struct({})),
            ["channels", "-orders"],
            "invalid channel name",
        ),
        (
            lambda g: g.channel("orders placed", t.struct({})),
            ["channels", "orders placed"],
            "invalid channel name",
        ),
        (
            lambda g: g.expose(
                RT.policy("no-dash"), f=RT.handler(t.struct({}), t.boolean(), name="f")
            ),
            ["functions", "f", "policies", 0],
            "invalid policy name 'no-dash'",
        ),
        (
            lambda g: g.expose(
                Policy.public(),
                f=WireRuntime("g", name="my rt").handler(t.struct({}), t.boolean(), name="f"),
            ),
            ["runtimes", "my rt"],
            "invalid runtime name",
        ),
    ],
)
def test_invalid_names(
    define: Callable[[Graph], None], path: list[str | int], fragment: str
) -> None:
    raises(define, path, fragment)


def test_valid_channel_names() -> None:
    def define(g: Graph) -> None:
        for name in ("orders", "orders.placed", "a_b.c-d.2024", "_x.y-"):
            g.channel(name, t.struct({}))

    assert list(build(define)["channels"]) == ["orders", "orders.placed", "a_b.c-d.2024", "_x.y-"]


def test_invalid_typegraph_name() -> None:
    with pytest.raises(TypegraphError) as info:
        typegraph.typegraph(name="my graph")(fn_with())
    assert info.value.path == ["name"]


def test_func_input_must_be_a_struct() -> None:
    raises(
        fn_with(inp=t.integer()),
        ["functions", "f", "input"],
        "the input of a function must be a t.struct(...), got t.integer(...)",
    )
    raises(fn_with(inp=t.list(t.struct({}))), ["functions", "f", "input"], "got t.list(...)")
    # through a ref to a named non-struct
    raises(
        fn_with(inp=t.ref("Num"), out=t.integer().rename("Num")),
        ["functions", "f", "input"],
        "'Num' is a integer",
    )


def test_bad_effect_and_runtime_settings() -> None:
    def bad_effect(g: Graph) -> None:
        g.expose(
            Policy.public(), f=RT.handler(t.struct({}), t.boolean(), name="f", effect="upsert")
        )  # type: ignore[arg-type]

    raises(bad_effect, ["functions", "f", "effect"], "unknown effect 'upsert'")
    cases: list[tuple[WireRuntime, list[str | int], str]] = [
        (
            WireRuntime("g", name="r", instances="warm"),  # type: ignore[arg-type]
            ["runtimes", "r", "instances"],
            "unknown instance policy 'warm'",
        ),
        (
            WireRuntime("g", name="r", instances="pooled", pool_size=0),
            ["runtimes", "r", "instances", "size"],
            "pool_size must be a positive integer",
        ),
        (
            WireRuntime("g", name="r", spares=65),
            ["runtimes", "r", "instances", "spares"],
            "spares must be an integer from 0 to 64, got 65",
        ),
        (
            WireRuntime("g", name="r", spares=-1),
            ["runtimes", "r", "instances", "spares"],
            "spares must be an integer from 0 to 64, got -1",
        ),
        (
            WireRuntime("g", name="r", deadline_ms=-5),
            ["runtimes", "r", "limits", "deadline_ms"],
            "deadline_ms must be a positive integer",
        ),
        (
            WireRuntime("g", name="r", memory_bytes=0),
            ["runtimes", "r", "limits", "memory_bytes"],
            "memory_bytes must be a positive",
        ),
        (
            WireRuntime("g", name="r", concurrency=0),
            ["runtimes", "r", "limits", "concurrency"],
            "concurrency must be a positive integer",
        ),
        (WireRuntime("", name="r"), ["runtimes", "r", "component"], "component must be a path"),
        (
            WireRuntime("g", name="r", channels=["nope"]),
            ["runtimes", "r", "grants", "channels", 0],
            "unknown channel 'nope'",
        ),
        (
            WireRuntime("g", name="r", http=["api.example.com", "https://h/path"]),
            ["runtimes", "r", "grants", "http", 1],
            "http grant 'https://h/path' is not a host: write `host`, `host:port`",
        ),
        (
            WireRuntime("g", name="r", http=["ftp://h"]),
            ["runtimes", "r", "grants", "http", 0],
            "http grant 'ftp://h' is not a host",
        ),
        (
            WireRuntime("g", name="r", http=["h:1", "h:1"]),
            ["runtimes", "r", "grants", "http"],
            "http grants must not repeat a host",
        ),
    ]
    for rt, path, fragment in cases:
        raises(
            lambda g, rt=rt: g.expose(  # type: ignore[misc]
                Policy.public(), f=rt.handler(t.struct({}), t.boolean(), name="f")
            ),
            path,
            fragment,
        )


def test_two_runtimes_with_one_name() -> None:
    def define(g: Graph) -> None:
        g.expose(
            Policy.public(),
            f=WireRuntime("a", name="r").handler(t.struct({}), t.boolean(), name="f"),
            h=WireRuntime("b", name="r").handler(t.struct({}), t.boolean(), name="h"),
        )

    raises(define, ["runtimes", "r"], "two different runtimes are named 'r'")

    def same(g: Graph) -> None:  # equal settings under one name are one runtime
        g.expose(
            Policy.public(),
            f=WireRuntime("a", name="r").handler(t.struct({}), t.boolean(), name="f"),
            h=WireRuntime("a", name="r").handler(t.struct({}), t.boolean(), name="h"),
        )

    assert list(build(same)["runtimes"]) == ["r"]


def test_materializer_data_must_be_json() -> None:
    def define(g: Graph) -> None:
        g.expose(
            Policy.public(), f=t.func(t.struct({}), t.boolean(), RT.op("f", data={"x": {1, 2}}))
        )

    raises(define, ["functions", "f", "materializer"], "materializer data must be JSON")


def test_channel_handlers() -> None:
    msg = t.struct({"id": t.string()})

    def unknown(g: Graph) -> None:
        g.channel("c", msg, handlers=["nope"])

    raises(unknown, ["channels", "c", "handlers", 0], "unknown function 'nope'")

    def mismatch(g: Graph) -> None:
        g.define(h=RT.handler(t.struct({"other": t.integer()}), t.boolean(), name="h"))
        g.channel("c", msg, handlers=["h"])

    raises(mismatch, ["channels", "c", "handlers", 0], "handler 'h' takes 'HInput'")


def test_bad_channel_kind() -> None:
    raises(
        lambda g: g.channel("c", t.struct({}), kind="topic"),  # type: ignore[arg-type]
        ["channels", "c", "kind"],
        "unknown channel kind 'topic'",
    )


# --- validate_document on hand-made documents --------------------------------


def good_doc() -> dict[str, Any]:
    return build(
        fn_with(
            inp=t.struct({"a": t.integer(), "b": t.list(t.struct({"c": t.string()}))}),
            out=t.integer(),
        )
    )


def broken(mutate: Callable[[dict[str, Any]], Any]) -> TypegraphError:
    doc = copy.deepcopy(good_doc())
    typegraph.validate_document(doc)
    mutate(doc)
    with pytest.raises(TypegraphError) as info:
        typegraph.validate_document(doc)
    return info.value


def test_validate_document_schema_errors() -> None:
    err = broken(lambda d: d.pop("policies"))
    assert err.path == [] and "policies" in err.message
    err = broken(lambda d: d.update(format="wire-typegraph/2"))
    assert err.path == ["format"]
    err = broken(lambda d: d["types"]["FInput"]["fields"]["a"].update(kind="int"))
    assert err.path == ["types", "FInput", "fields", "a", "kind"]
    err = broken(lambda d: d["types"]["FInput"]["fields"]["a"].update(minimum="0"))
    assert err.path == ["types", "FInput", "fields", "a", "minimum"]
    # structs are never inline
    err = broken(lambda d: d["functions"]["f"].update(output={"kind": "struct", "fields": {}}))
    assert err.path == ["functions", "f", "output"]
    err = broken(lambda d: d["functions"]["f"].update(effect="upsert"))
    assert err.path == ["functions", "f", "effect"]
    err = broken(lambda d: d["runtimes"]["guest"]["instances"].update(policy="warm"))
    assert err.path[:3] == ["runtimes", "guest", "instances"]
    with pytest.raises(TypegraphError):
        typegraph.validate_document([])


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (
            lambda d: d["types"]["FInput"]["fields"]["b"]["items"].update(name="Nope"),
            ["types", "FInput", "fields", "b", "items", "name"],
            "unknown type 'Nope'",
        ),
        (
            lambda d: d["functions"]["f"].update(input="Ghost"),
            ["functions", "f", "input"],
            "unknown type 'Ghost'",
        ),
        (
            lambda d: (
                d["functions"]["f"].update(input="FInputBItem")
                or d["types"].update(FInputBItem={"kind": "integer"})
            ),
            ["functions", "f", "input"],
            "must be a struct",
        ),
        (
            lambda d: d["functions"]["f"].update(materializer="ghost"),
            ["functions", "f", "materializer"],
            "unknown materializer 'ghost'",
        ),
        (
            lambda d: d["materializers"]["f"].update(runtime="ghost"),
            ["materializers", "f", "runtime"],
            "unknown runtime 'ghost'",
        ),
        (
            lambda d: d["functions"]["f"].update(policies=["public", {"read": "ghost"}]),
            ["functions", "f", "policies", 1, "read"],
            "unknown policy 'ghost'",
        ),
        (
            lambda d: d["functions"]["f"].update(exposed=False),
            ["functions", "f", "policies"],
            "not exposed",
        ),
        (
            lambda d: d["policies"].update(mine={"kind": "custom", "materializer": "ghost"}),
            ["policies", "mine", "materializer"],
            "unknown materializer 'ghost'",
        ),
        (
            lambda d: d["runtimes"]["guest"].update(grants={"channels": ["ghost"]}),
            ["runtimes", "guest", "grants", "channels", 0],
            "unknown channel 'ghost'",
        ),
        (
            lambda d: d["channels"].update(
                c={
                    "message": {"kind": "boolean"},
                    "durable": False,
                    "kind": "pubsub",
                    "handlers": ["ghost"],
                }
            ),
            ["channels", "c", "handlers", 0],
            "unknown function 'ghost'",
        ),
        (
            lambda d: d["types"]["FInput"]["fields"]["a"].update(minimum=3, maximum=1),
            ["types", "FInput", "fields", "a"],
            "minimum 3 is greater than maximum 1",
        ),
        (
            lambda d: d["types"]["FInputBItem"]["fields"]["c"].update(pattern="("),
            ["types", "FInputBItem", "fields", "c"],
            "invalid pattern",
        ),
        (
            lambda d: d["types"]["FInputBItem"]["fields"]["c"].update(default=5),
            ["types", "FInputBItem", "fields", "c"],
            "default 5 does not match",
        ),
        (
            lambda d: d["types"].update(E={"kind": "enum", "values": ["a", "a"]}),
            ["types", "E", "values"],
            "non-unique",
        ),
    ],
)
def test_validate_document_cross_references(
    mutate: Callable[[dict[str, Any]], Any], path: list[str | int], fragment: str
) -> None:
    err = broken(mutate)
    assert err.path == path, str(err)
    assert fragment in err.message, str(err)
