"""Serialisation of a representative typegraph, naming rules, JSON Schema derivation."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import jsonschema_rs
import pytest

import typegraph
from typegraph import Graph, Policy, TypegraphError, WireRuntime, t

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def shop_graph(g: Graph) -> None:
    guest = WireRuntime("guests/shop")
    fast = WireRuntime(
        "build/fast-guest.wasm",
        name="fast",
        instances="pooled",
        pool_size=8,
        deadline_ms=2_000,
        memory_bytes=64 * 2**20,
        channels=["orders.placed"],
        concurrency=6,
    )
    money = t.integer(min=0).rename("Cents").describe("an amount in cents")
    status = t.enum(["pending", "paid", "shipped"])
    item = t.struct(
        {
            "sku": t.string(pattern=r"^[A-Z]{3}-\d+$"),
            "quantity": t.integer(min=1, max=99, multiple_of=1).default(1),
            "price": money,
        }
    )
    order = t.struct(
        {
            "id": t.string(format="uuid"),
            "email": t.string(format="email"),
            "items": t.list(item, min=1, max=50),
            "status": status,
            "note": t.string(max=200).optional(),
            "placed_on": t.string(format="date"),
            "total": money,
        }
    ).rename("Order")
    tree = t.struct({"label": t.string(min=1), "children": t.list(t.ref("Tree"))}).rename("Tree")
    admin = fast.policy("admin_only", op="check_admin")

    g.expose(
        Policy.public(),
        place_order=guest.handler(
            t.struct({"order": order}),
            t.either([order, t.struct({"error": t.string()})]),
            name="place",
            effect="create",
        ),
        get_order=guest.handler(
            t.struct({"id": t.string(format="uuid")}), order.optional(), name="get"
        ),
        find=t.func(
            t.struct({"q": t.union([t.string(), t.integer()]), "limit": t.integer(x_min=0)}),
            t.list(order, unique=True),
            guest.op("find", title="Find orders", data={"index": "orders"}),
        ).describe("search orders"),
        shape=fast.handler(t.struct({"root": tree}), tree, name="shape"),
    )
    g.expose(
        Policy.on(read=Policy.public(), delete=admin),
        cancel=guest.handler(
            t.struct({"id": t.string()}), t.boolean(), name="cancel", effect="delete"
        ),
    )
    g.expose(Policy.internal(), audit=fast.handler(t.struct({}), t.float(), name="audit"))
    g.expose(
        deny_all=guest.handler(t.struct({}), t.boolean(), name="noop").with_policy(Policy.deny())
    )
    placed = t.struct({"order_id": t.string(format="uuid"), "at": t.string(format="date-time")})
    g.define(on_placed=fast.handler(placed, t.boolean(), name="on_placed"))
    g.channel("orders.placed", placed, durable=True, kind="queue", handlers=["on_placed"])
    g.channel("orders.cancelled-v2", t.struct({"id": t.string()}))


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return typegraph.typegraph(name="shop")(shop_graph).document()


def test_top_level_keys_and_order(doc: dict[str, Any]) -> None:
    assert list(doc) == [
        "format",
        "name",
        "types",
        "runtimes",
        "materializers",
        "policies",
        "functions",
        "channels",
    ]
    assert doc["format"] == "wire-typegraph/1"
    assert doc["name"] == "shop"
    # types, runtimes, materializers, policies are sorted; functions/channels keep order
    for key in ("types", "runtimes", "materializers", "policies"):
        assert list(doc[key]) == sorted(doc[key])
    assert list(doc["functions"]) == [
        "place_order",
        "get_order",
        "find",
        "shape",
        "cancel",
        "audit",
        "deny_all",
        "on_placed",
    ]
    assert list(doc["channels"]) == ["orders.placed", "orders.cancelled-v2"]


def test_type_names(doc: dict[str, Any]) -> None:
    assert sorted(doc["types"]) == sorted(
        [
            "AuditInput",
            "CancelInput",
            "DenyAllInput",
            "FindInput",
            "GetOrderInput",
            "PlaceOrderInput",
            "ShapeInput",  # <Function>Input
            "Cents",  # a renamed scalar is a named type
            "FindInputQ",  # <Parent><Field>
            "OnPlacedInput",  # the channel reuses the handler's struct: one object, one name
            "Order",
            "Tree",  # renamed
            "OrderItemsItem",  # <Parent><Field>Item
            "OrderStatus",
            "OrdersCancelledV2Message",  # <Channel>Message in PascalCase
            "PlaceOrderOutput",  # <Function>Output
            "PlaceOrderOutputVariant1",  # <Parent>Variant<i>, 0-based
        ]
    )
    assert doc["types"]["Cents"] == {
        "kind": "integer",
        "minimum": 0,
        "description": "an amount in cents",
    }
    assert doc["types"]["PlaceOrderOutput"] == {
        "kind": "either",
        "variants": [
            {"kind": "ref", "name": "Order"},
            {"kind": "ref", "name": "PlaceOrderOutputVariant1"},
        ],
    }
    assert doc["types"]["Tree"]["fields"]["children"] == {
        "kind": "list",
        "items": {"kind": "ref", "name": "Tree"},
    }


def test_order_struct(doc: dict[str, Any]) -> None:
    order = doc["types"]["Order"]
    assert list(order) == ["kind", "fields", "additionalProperties"]
    assert list(order["fields"]) == [
        "id",
        "email",
        "items",
        "status",
        "note",
        "placed_on",
        "total",
    ]  # field order kept
    assert order["fields"]["items"] == {
        "kind": "list",
        "items": {"kind": "ref", "name": "OrderItemsItem"},
        "minItems": 1,
        "maxItems": 50,
    }
    assert order["fields"]["note"] == {
        "kind": "optional",
        "item": {"kind": "string", "maxLength": 200},
    }
    assert order["fields"]["total"] == {"kind": "ref", "name": "Cents"}
    assert order["additionalProperties"] is False
    item = doc["types"]["OrderItemsItem"]
    assert item["fields"]["quantity"] == {
        "kind": "integer",
        "minimum": 1,
        "maximum": 99,
        "multipleOf": 1,
        "default": 1,
    }
    assert item["fields"]["sku"] == {"kind": "string", "pattern": r"^[A-Z]{3}-\d+$"}
    assert doc["types"]["OrderStatus"] == {"kind": "enum", "values": ["pending", "paid", "shipped"]}


def test_functions(doc: dict[str, Any]) -> None:
    fns = doc["functions"]
    assert fns["place_order"] == {
        "input": "PlaceOrderInput",
        "output": {"kind": "ref", "name": "PlaceOrderOutput"},
        "materializer": "place",
        "effect": "create",
        "exposed": True,
        "policies": ["public"],
    }
    assert fns["get_order"]["output"] == {
        "kind": "optional",
        "item": {"kind": "ref", "name": "Order"},
    }
    assert fns["find"]["description"] == "search orders"
    assert fns["find"]["output"] == {
        "kind": "list",
        "items": {"kind": "ref", "name": "Order"},
        "uniqueItems": True,
    }
    assert fns["cancel"]["policies"] == [{"read": "public", "delete": "admin_only"}]
    assert fns["audit"]["policies"] == ["internal"]
    assert fns["deny_all"]["policies"] == ["deny"]  # own policy replaces the expose chain
    assert fns["on_placed"]["exposed"] is False
    assert fns["on_placed"]["policies"] == []


def test_runtimes_materializers_policies(doc: dict[str, Any]) -> None:
    assert doc["runtimes"] == {
        "fast": {
            "kind": "wire",
            "component": "build/fast-guest.wasm",
            "instances": {"policy": "pooled", "size": 8},
            "limits": {"deadline_ms": 2000, "memory_bytes": 64 * 2**20, "concurrency": 6},
            "grants": {"channels": ["orders.placed"]},
        },
        "shop": {  # derived from the component's folder name
            "kind": "wire",
            "component": "guests/shop",
            "instances": {"policy": "fresh"},
            "limits": {"deadline_ms": 10_000, "memory_bytes": 128 * 2**20},
        },
    }
    assert doc["materializers"]["find"] == {
        "runtime": "shop",
        "op": "find",
        "title": "Find orders",
        "data": {"index": "orders"},
    }
    assert doc["materializers"]["check_admin"] == {
        "runtime": "fast",
        "op": "check_admin",
        "title": "check_admin",
        "data": {},
    }
    assert doc["policies"] == {
        "admin_only": {"kind": "custom", "materializer": "check_admin"},
        "deny": {"kind": "deny"},
        "internal": {"kind": "internal"},
        "public": {"kind": "public"},
    }


def test_channels(doc: dict[str, Any]) -> None:
    assert doc["channels"]["orders.placed"] == {
        "message": {"kind": "ref", "name": "OnPlacedInput"},
        "durable": True,
        "kind": "queue",
        "handlers": ["on_placed"],
    }
    assert doc["channels"]["orders.cancelled-v2"] == {
        "message": {"kind": "ref", "name": "OrdersCancelledV2Message"},
        "durable": False,
        "kind": "pubsub",
    }


def test_deterministic_and_json_ready(doc: dict[str, Any]) -> None:
    again = typegraph.typegraph(name="shop")(shop_graph).document()
    text = typegraph.dumps(doc)
    assert typegraph.dumps(again) == text
    assert json.loads(text) == doc
    assert list(json.loads(text)["types"]["Order"]["fields"]) == list(
        doc["types"]["Order"]["fields"]
    )


def test_validate_document_accepts_it(doc: dict[str, Any]) -> None:
    typegraph.validate_document(copy.deepcopy(doc))
    jsonschema.Draft202012Validator.check_schema(typegraph.document_schema())
    jsonschema.Draft202012Validator(typegraph.document_schema()).validate(doc)


def test_every_derived_schema_is_a_valid_schema(doc: dict[str, Any]) -> None:
    for name in doc["functions"]:
        for schema in typegraph.function_schemas(doc, name):
            jsonschema.Draft202012Validator.check_schema(schema)
            jsonschema_rs.validator_for(schema, validate_formats=True)
            assert schema["$schema"] == DRAFT


def test_function_schemas_semantics(doc: dict[str, Any]) -> None:
    inp, out = typegraph.function_schemas(doc, "place_order")
    assert inp["$ref"] == "#/$defs/PlaceOrderInput"
    assert sorted(inp["$defs"]) == [
        "Cents",
        "Order",
        "OrderItemsItem",
        "OrderStatus",
        "PlaceOrderInput",
    ]
    order = inp["$defs"]["Order"]
    assert order["type"] == "object"
    assert order["required"] == ["id", "email", "items", "status", "placed_on", "total"]
    assert order["additionalProperties"] is False
    assert order["properties"]["note"] == {
        "anyOf": [{"type": "string", "maxLength": 200}, {"type": "null"}]
    }
    assert order["properties"]["items"] == {
        "type": "array",
        "items": {"$ref": "#/$defs/OrderItemsItem"},
        "minItems": 1,
        "maxItems": 50,
    }
    assert order["properties"]["status"] == {"$ref": "#/$defs/OrderStatus"}
    assert inp["$defs"]["OrderStatus"]["enum"] == ["pending", "paid", "shipped"]
    assert inp["$defs"]["OrderStatus"]["type"] == "string"
    assert inp["$defs"]["Cents"]["type"] == "integer"
    assert inp["$defs"]["Cents"]["description"] == "an amount in cents"
    assert inp["$defs"]["OrderItemsItem"]["properties"]["quantity"]["default"] == 1
    assert out["$ref"] == "#/$defs/PlaceOrderOutput"
    assert out["$defs"]["PlaceOrderOutput"]["oneOf"][0] == {"$ref": "#/$defs/Order"}
    find_in, _ = typegraph.function_schemas(doc, "find")
    assert "anyOf" in find_in["$defs"]["FindInputQ"]
    assert find_in["$defs"]["FindInput"]["properties"]["limit"] == {
        "type": "integer",
        "exclusiveMinimum": 0,
    }
    _, audit_out = typegraph.function_schemas(doc, "audit")
    assert audit_out == {"$schema": DRAFT, "type": "number", "$defs": {}}


def test_function_schemas_validate_real_values(doc: dict[str, Any]) -> None:
    inp, out = typegraph.function_schemas(doc, "place_order")
    good = {
        "order": {
            "id": "0b6c6c39-8b5e-4a53-9d0e-a3b6c7d5e2f1",
            "email": "ann@example.com",
            "items": [{"sku": "ABC-12", "quantity": 2, "price": 250}],
            "status": "paid",
            "placed_on": "2024-05-01",
            "total": 500,
        }
    }
    bad_sku = copy.deepcopy(good)
    bad_sku["order"]["items"][0]["sku"] = "abc-12"
    bad_uuid = copy.deepcopy(good)
    bad_uuid["order"]["id"] = "not-a-uuid"
    for validator in (
        jsonschema_rs.validator_for(inp, validate_formats=True),
        jsonschema.Draft202012Validator(inp, format_checker=jsonschema.FormatChecker()),
    ):
        assert validator.is_valid(good)
        assert not validator.is_valid(bad_sku)
        assert not validator.is_valid(bad_uuid)
        assert not validator.is_valid({**good, "extra": 1})
    out_v = jsonschema_rs.validator_for(out, validate_formats=True)
    assert out_v.is_valid(good["order"])
    assert out_v.is_valid({"error": "sold out"})
    assert not out_v.is_valid({"error": 1})
    # recursion through t.ref
    shape_in, _ = typegraph.function_schemas(doc, "shape")
    shape_v = jsonschema_rs.validator_for(shape_in, validate_formats=True)
    tree = {"label": "a", "children": [{"label": "b", "children": []}]}
    assert shape_v.is_valid({"root": tree})
    assert not shape_v.is_valid({"root": {"label": "a", "children": [{"label": ""}]}})


def test_function_schemas_unknown_function(doc: dict[str, Any]) -> None:
    with pytest.raises(TypegraphError) as err:
        typegraph.function_schemas(doc, "nope")
    assert err.value.path == ["functions", "nope"]


def test_names_and_rename_rules() -> None:
    shared = t.struct({"x": t.integer()})

    @typegraph.typegraph()
    def names(g: Graph) -> None:
        rt = WireRuntime("g.wasm")
        g.expose(
            Policy.public(),
            # an explicit name takes precedence: the derived "BInput" gets a suffix
            a=rt.handler(t.struct({"v": t.boolean()}).rename("BInput"), shared, name="a"),
            b=rt.handler(t.struct({"w": t.boolean()}), shared, name="b"),
            # two equal definitions renamed alike are one type
            c=rt.handler(t.struct({"p": t.string()}).rename("P"), t.boolean(), name="c"),
            d=rt.handler(t.struct({"p": t.string()}).rename("P"), t.boolean(), name="d"),
            # the same op used twice is one materializer
            e=rt.handler(t.struct({}).rename("E"), t.boolean(), name="a"),
        )

    doc = names.document()
    assert doc["name"] == "names"
    assert doc["functions"]["a"]["input"] == "BInput"
    assert doc["functions"]["b"]["input"] == "BInput2"
    assert doc["functions"]["a"]["output"] == {"kind": "ref", "name": "AOutput"}
    assert doc["functions"]["b"]["output"] == {"kind": "ref", "name": "AOutput"}
    assert doc["functions"]["c"]["input"] == doc["functions"]["d"]["input"] == "P"
    assert doc["functions"]["e"]["materializer"] == doc["functions"]["a"]["materializer"]
    assert list(doc["materializers"]) == ["a", "b", "c", "d"]
    assert list(doc["runtimes"]) == ["g"]


def test_runtime_name_collisions_get_suffix() -> None:
    @typegraph.typegraph()
    def rts(g: Graph) -> None:
        one, two = WireRuntime("x/guest"), WireRuntime("y/guest.wasm")
        inp = t.struct({})
        g.expose(
            Policy.public(),
            a=one.handler(inp, t.boolean(), name="run"),
            b=two.handler(inp, t.boolean(), name="run"),
        )

    doc = rts.document()
    assert list(doc["runtimes"]) == ["guest", "guest_2"]
    assert doc["materializers"] == {
        "run": {"runtime": "guest", "op": "run", "title": "run", "data": {}},
        "run_2": {"runtime": "guest_2", "op": "run", "title": "run", "data": {}},
    }


def test_json_schema_node_kinds() -> None:
    doc: dict[str, Any] = {"types": {}}
    js = typegraph.json_schema
    assert js(doc, {"kind": "float", "minimum": 0.5, "exclusiveMaximum": 2}) == {
        "$schema": DRAFT,
        "type": "number",
        "minimum": 0.5,
        "exclusiveMaximum": 2,
        "$defs": {},
    }
    assert js(doc, {"kind": "string", "minLength": 1, "format": "date-time"})["format"] == (
        "date-time"
    )
    s = js(
        doc,
        {
            "kind": "list",
            "items": {"kind": "boolean"},
            "uniqueItems": True,
            "description": "flags",
            "default": [],
        },
    )
    assert s["uniqueItems"] is True
    assert s["description"] == "flags"
    assert s["default"] == []
    with pytest.raises(TypegraphError):
        js(doc, {"kind": "ref", "name": "Missing"})


def test_formats_are_checked_by_both_validators() -> None:
    samples = {
        "uuid": ("7d444840-9dc0-11d1-b245-5ffdce74fad2", "7d444840"),
        "email": ("ann@example.com", "ann.example.com"),
        "date": ("2024-02-29", "2023-02-29"),
        "date-time": ("2024-02-29T12:30:00+01:00", "2024-02-29 noon"),
        "uri": ("https://example.com/a?b=c", "not a uri"),
    }
    checker = jsonschema.FormatChecker()
    for fmt, (good, bad) in samples.items():
        schema = typegraph.json_schema({"types": {}}, {"kind": "string", "format": fmt})
        rs = jsonschema_rs.validator_for(schema, validate_formats=True)
        assert rs.is_valid(good), fmt
        assert not rs.is_valid(bad), fmt
        py = jsonschema.Draft202012Validator(schema, format_checker=checker)
        assert py.is_valid(good), fmt
        # python-jsonschema checks date-time and uri only with its optional extras
        # (rfc3339-validator, rfc3986-validator); the host uses jsonschema-rs.
        if fmt in checker.checkers:
            assert not py.is_valid(bad), fmt


def test_either_is_one_of_and_union_is_any_of() -> None:
    @typegraph.typegraph()
    def overlap(g: Graph) -> None:
        rt = WireRuntime("g")
        inp = t.struct({})
        g.expose(
            Policy.public(),
            one=rt.handler(inp, t.either([t.integer(), t.float()]), name="one"),
            any=rt.handler(inp, t.union([t.integer(), t.float()]), name="any"),
        )

    doc = overlap.document()
    for fn, one_ok in (("one", False), ("any", True)):
        _, out = typegraph.function_schemas(doc, fn)
        for validator in (
            jsonschema_rs.validator_for(out, validate_formats=True),
            jsonschema.Draft202012Validator(out),
        ):
            assert validator.is_valid(1) is one_ok  # 1 matches both variants
            assert validator.is_valid(1.5)  # only the float variant
            assert not validator.is_valid("1")


def test_optional_through_a_named_type_is_not_required() -> None:
    maybe = t.optional(t.integer()).rename("MaybeInt")

    @typegraph.typegraph()
    def opt(g: Graph) -> None:
        g.expose(
            Policy.public(),
            f=WireRuntime("g").handler(
                t.struct({"a": maybe, "b": t.integer()}), t.boolean(), name="f"
            ),
        )

    doc = opt.document()
    assert doc["types"]["MaybeInt"] == {"kind": "optional", "item": {"kind": "integer"}}
    inp, _ = typegraph.function_schemas(doc, "f")
    assert inp["$defs"]["FInput"]["required"] == ["b"]
    validator = jsonschema_rs.validator_for(inp)
    assert validator.is_valid({"b": 1})
    assert validator.is_valid({"a": None, "b": 1})
    assert not validator.is_valid({"a": "x", "b": 1})
