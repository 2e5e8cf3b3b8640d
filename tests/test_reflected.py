"""Components with typed WIT exports served as typegraph functions (the `reflected` kind).

The shop component (tests/guests/shop) is Python built with componentize-py against a WIT
of records, an enum, flags, `option<u8>`, `result<list<u32>, string>` and
`list<tuple<string, f64>>`; `calc` and `greedy` are WAT components (tests/guests/*.wat).
Each export is checked against its typegraph function when the component loads, and values
are converted both ways: through `Host.call_sync`, `wire call` and GraphQL (`wire serve`).
"""

from __future__ import annotations

import logging
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from doc_text import blocks, section
from guests import build_wat_guest
from serving import Server, serve
from shop_guest import build_shop
from shop_typegraph import WIDTHS, LineItem, Payment, define

from typegraph import (
    Graph,
    Policy,
    ReflectedRuntime,
    TypegraphError,
    t,
    typegraph,
    validate_document,
)
from typegraph.reflected import variant
from wire import (
    ComponentLoadError,
    DeadlineExceeded,
    GuestTrap,
    HandlerError,
    Host,
    InputInvalid,
    OutputInvalid,
    WireError,
)
from wire.reflected import SignatureMismatch

REPO = Path(__file__).resolve().parent.parent
SHOP_TG = REPO / "tests" / "shop_typegraph.py"
WIRE = Path(sys.executable).parent / "wire"
MiB = 2**20

MakeHost = Callable[..., Host]


@pytest.fixture(scope="module")
def shop_wasm() -> str:
    return str(build_shop())


@pytest.fixture
def shop_host(shop_wasm: str) -> Iterator[MakeHost]:
    """Hosts of the shop's typegraph on a runtime made with the given settings."""
    made: list[Host] = []

    def make(**runtime: Any) -> Host:
        @typegraph(name="shop")
        def shop(g: Graph) -> None:
            define(g, ReflectedRuntime(shop_wasm, name="shop", **runtime))

        host = Host(shop.document(), REPO)
        made.append(host)
        return host

    yield make
    for host in made:
        host.close()


@pytest.fixture
def shop(shop_host: MakeHost) -> Host:
    return shop_host()


BASKET = {
    "items": [
        {
            "sku": "tea",
            "quantity": 2,
            "size": "large",
            "extras": ["gift_wrap", "insured"],
            "discount_pct": 10,
        },
        {"sku": "mug", "quantity": 1, "size": "small", "extras": []},
    ],
    "payment": {"tag": "card", "value": "visa"},
}


# -- conversions ------------------------------------------------------------------------


def test_a_basket_is_priced(shop: Host) -> None:
    """Records, an enum, flags, option<u8> (given and absent), a variant both ways,
    list<tuple<string, f64>> as structs, a u64 and an option<string>."""
    assert shop.call_sync("price", BASKET) == {
        "total_cents": 550,  # tea: (200 + 50 gift wrap) * 0.9 * 2; mug: 100
        "lines": [{"sku": "tea", "amount": 4.5}, {"sku": "mug", "amount": 1.0}],
        "paid_by": {"tag": "card", "value": "visa"},
        "note": "insured",
    }
    cash = {"items": [{**BASKET["items"][1], "extras": ["express"]}], "payment": {"tag": "cash"}}
    assert shop.call_sync("price", cash) == {
        "total_cents": 300,
        "lines": [{"sku": "mug", "amount": 3.0}],
        "paid_by": {"tag": "cash"},
        "note": None,
    }


def test_a_result_is_the_output_or_a_handler_error(shop: Host) -> None:
    assert shop.call_sync("split", {"total": 10, "parts": 3}) == [4, 3, 3]
    with pytest.raises(HandlerError) as err:
        shop.call_sync("split", {"total": 10, "parts": 0})
    assert err.value.code == "handler_error"
    assert err.value.message == "materializer handler error for op " + (
        "wire-test:shop/pricing#split: cannot split into 0 parts"
    )
    assert err.value.details == {"error": "cannot split into 0 parts"}


def test_every_integer_width_carries_its_bounds(shop: Host) -> None:
    bits = {"i8": 8, "i16": 16, "i32": 32, "i64": 64, "u8": 8, "u16": 16, "u32": 32, "u64": 64}
    low = {f"{w}_val": -(2 ** (bits[w] - 1)) if w[0] == "i" else 0 for w in WIDTHS}
    high = {f"{w}_val": 2 ** (bits[w] - 1) - 1 if w[0] == "i" else 2 ** bits[w] - 1 for w in WIDTHS}
    for w in (low, high):
        assert shop.call_sync("widths", {"w": w}) == w


@pytest.mark.parametrize(
    ("field", "value", "wit", "bounds"),
    [
        ("i8_val", -129, "s8", "-128 to 127"),
        ("i8_val", 128, "s8", "-128 to 127"),
        ("i16_val", 2**15, "s16", "-32768 to 32767"),
        ("i32_val", -(2**31) - 1, "s32", "-2147483648 to 2147483647"),
        ("i64_val", 2**63, "s64", "-9223372036854775808 to 9223372036854775807"),
        ("u8_val", 256, "u8", "0 to 255"),
        ("u16_val", -1, "u16", "0 to 65535"),
        ("u32_val", 2**32, "u32", "0 to 4294967295"),
        ("u64_val", -1, "u64", "0 to 18446744073709551615"),
    ],
)
def test_an_integer_out_of_its_range_is_invalid_input(
    shop: Host, field: str, value: int, wit: str, bounds: str
) -> None:
    w = {f"{x}_val": 0 for x in WIDTHS} | {field: value}
    with pytest.raises(InputInvalid) as err:
        shop.call_sync("widths", {"w": w})
    message = f"{value} is out of range for {wit} ({bounds})"
    assert str(err.value) == (
        f"shop.widths: invalid arguments for the export: at /w/{field}: {message}"
    )
    assert err.value.details == [{"path": f"w/{field}", "message": message}]


def test_bool_char_floats_and_string(shop: Host) -> None:
    out = shop.call_sync(
        "scalars", {"flag": True, "letter": "é", "single": 0.1, "double": 3, "text": "abc"}
    )
    # f32 0.1 doubled is the f32 nearest 0.2, written as the shortest decimal that is it
    assert out == {"flag": False, "letter": "É", "single": 0.2, "double": 1.5, "text": "cba"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("letter", "ab", "a char is one character, not 2"),
        ("letter", "", "a char is one character, not 0"),
        ("single", 1e39, "1e+39 is out of range for f32 (at most 3.40282e+38 either way)"),
    ],
)
def test_a_char_and_an_f32_are_checked(shop: Host, field: str, value: Any, message: str) -> None:
    args = {"flag": True, "letter": "a", "single": 1.0, "double": 1.0, "text": ""}
    with pytest.raises(InputInvalid) as err:
        shop.call_sync("scalars", args | {field: value})
    assert err.value.details == [{"path": field, "message": message}]


def test_a_float_json_cannot_carry_is_invalid_output(shop: Host) -> None:
    args = {"flag": True, "letter": "a", "single": 3e38, "double": 1.0, "text": ""}
    with pytest.raises(OutputInvalid) as err:
        shop.call_sync("scalars", args)  # 3e38 doubled is an f32 infinity
    assert str(err.value) == (
        "shop.scalars: the export's result cannot be output: at /single: the export returned "
        "inf, which JSON cannot carry"
    )


def test_variants_options_and_nested_results(shop: Host) -> None:
    shapes = [
        {"tag": "circle", "value": 1.5},
        {"tag": "rect", "value": [2, 3.5]},
        {"tag": "empty"},
    ]
    assert shop.call_sync("shapes", {"s": shapes}) == [
        {"tag": "empty"},
        {"tag": "rect", "value": [2.0, 3.5]},
        {"tag": "circle", "value": 1.5},
    ]
    assert shop.call_sync("maybe", {"x": 9}) == 4
    assert shop.call_sync("maybe", {"x": None}) is None
    assert shop.call_sync("maybe", {}) is None
    outcomes = [{"tag": "ok", "value": 1}, {"tag": "err", "value": "bad"}]
    assert shop.call_sync("outcomes", {"rs": outcomes}) == [
        {"tag": "ok", "value": 2},
        {"tag": "err", "value": "BAD"},
    ]


def test_list_of_u8_and_its_range(shop: Host) -> None:
    assert shop.call_sync("octets", {"b": [1, 2, 255]}) == [255, 2, 1]
    assert shop.call_sync("octets", {"b": []}) == []
    with pytest.raises(InputInvalid) as err:
        shop.call_sync("octets", {"b": [1, 256]})
    assert err.value.details == [
        {"path": "b/1", "message": "256 is out of range for u8 (0 to 255)"}
    ]


def test_an_export_without_result_gives_null_and_its_output_is_logged(
    shop: Host, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="wire.guest"):
        assert shop.call_sync("nothing", {}) is None
        shop.close()  # logs what the guests wrote so far
    lines = [r.getMessage() for r in caplog.records if r.name == "wire.guest.shop.shop"]
    assert "nothing happened" in lines


def test_the_schema_checks_still_come_first(shop: Host) -> None:
    with pytest.raises(InputInvalid, match='at /items/0/size: "huge" is not one of'):
        shop.call_sync("price", {**BASKET, "items": [{**BASKET["items"][0], "size": "huge"}]})


# -- signatures checked at load -------------------------------------------------------


def _load_error(shop_wasm: str, export: str, inp: Any, out: Any) -> WireError:
    @typegraph(name="mis")
    def mis(g: Graph) -> None:
        g.expose(
            Policy.public(), f=ReflectedRuntime(shop_wasm, name="shop").export(export, inp, out)
        )

    with Host(mis.document(), REPO) as host:
        err = host.start()["shop"]
        assert err is not None
        with pytest.raises(type(err)):  # every call reports it
            host.call_checked("f", "{}")
        return err


AB = {"a": t.integer(), "b": t.integer()}


@pytest.mark.parametrize(
    ("export", "inp", "out", "expected"),
    [
        (
            "add",
            t.struct({"a": t.string(), "b": t.integer()}),
            t.integer(),
            "function 'f' does not fit the export it binds, at input field 'a': the typegraph "
            "has string, the export has s32 (the export: add: func(a: s32, b: s32) -> s32)",
        ),
        (
            "add",
            t.struct({"a": t.integer()}),
            t.integer(),
            "at input field 'b': the export's parameter 'b' (s32) is missing from struct "
            "'FInput': add the field 'b'",
        ),
        (
            "add",
            t.struct({**AB, "c": t.integer()}),
            t.integer(),
            "at input field 'c': struct 'FInput' has a field 'c' that is not a parameter of the "
            "export (parameters: a, b)",
        ),
        (
            "add",
            t.struct(AB),
            t.string(),
            "at the output: the typegraph has string, the export has s32",
        ),
        (
            "split",
            t.struct({"total": t.optional(t.integer()), "parts": t.integer()}),
            t.list(t.integer()),
            "at input field 'total': the typegraph has optional<integer>, the export has u32: "
            "null has no place in it",
        ),
        (
            "maybe",
            t.struct({"x": t.optional(t.integer())}),
            t.integer(),
            "at the output: the typegraph has integer, the export has option<u8>: none is null",
        ),
        (
            "price",
            t.struct(
                {
                    "items": t.list(t.struct({"sku": t.string()}, name="Item")),
                    "payment": Payment,
                }
            ),
            t.struct({}, additional_properties=True),
            "at input field 'items[].quantity': the export's field 'quantity' (u32) is missing "
            "from struct 'Item'",
        ),
        (
            "price",
            t.struct(
                {
                    "items": t.list(LineItem),
                    "payment": variant({"card": t.string(), "cheque": t.string()}),
                }
            ),
            t.struct({}, additional_properties=True),
            "at input field 'payment': the typegraph has either 'FInputPayment', the export has "
            "variant {card(string), voucher(u32), cash}: 'cheque' is not a case of the export's "
            "type",
        ),
        (
            "shapes",
            t.struct({"s": t.list(variant({"empty": None}))}),
            t.list(variant({"circle": t.float(), "empty": None})),
            "at output field '[]': the typegraph has either 'FOutputItem', the export has "
            "variant {circle(f64), rect(tuple<f32, f32>), empty}: its case 'rect' has no struct "
            "in the typegraph",
        ),
        (
            "scalars",
            t.struct(
                {
                    "flag": t.boolean(),
                    "letter": t.string(),
                    "single": t.float(),
                    "double": t.float(),
                    "text": t.string(),
                }
            ),
            t.struct({"flag": t.boolean(), "letter": t.string()}),
            "at the output: the typegraph has struct 'FOutput' {flag, letter}, the export has "
            "tuple<bool, char, f32, f64, string>: a tuple of 5 is a struct of as many fields",
        ),
        (
            "octets",
            t.struct({"b": t.list(t.string())}),
            t.list(t.integer()),
            "at input field 'b[]': the typegraph has list<string>, the export has list<u8>",
        ),
        (
            "nothing",
            t.struct({}),
            t.boolean(),
            "at the output: the export returns nothing, but the typegraph's output boolean does "
            "not take null: make it t.optional(...)",
        ),
    ],
)
def test_a_mismatched_signature_is_a_load_error(
    shop_wasm: str, export: str, inp: Any, out: Any, expected: str
) -> None:
    err = _load_error(shop_wasm, export, inp, out)
    assert isinstance(err, SignatureMismatch) and err.code == "signature_mismatch"
    assert expected in err.message, err.message
    assert err.message.startswith("function 'f' does not fit the export it binds")
    assert err.where == "mis/shop"


def test_exports_are_found_by_name_or_interface(shop_wasm: str) -> None:
    unknown = _load_error(shop_wasm, "nope", t.struct({}), t.integer())
    assert type(unknown) is ComponentLoadError
    assert "binds the export 'nope', which the component does not have (its functions: " in str(
        unknown
    )
    assert "wire-test:shop/pricing@0.1.0#split" in str(unknown)
    two = _load_error(shop_wasm, "describe", t.struct({}), t.string())
    assert (
        "binds the export 'describe', which names 2 functions: give its interface "
        "(wire-test:shop/echo@0.1.0#describe, wire-test:shop/pricing@0.1.0#describe)" in str(two)
    )

    @typegraph(name="found")
    def found(g: Graph) -> None:
        rt = ReflectedRuntime(shop_wasm, name="shop")
        g.expose(
            Policy.public(),
            echo=rt.export("wire-test:shop/echo#describe", t.struct({}), t.string()),
            pricing=rt.export("wire-test:shop/pricing@0.1.0#describe", t.struct({}), t.string()),
        )

    with Host(found.document(), REPO) as host:
        assert (host.call_sync("echo", {}), host.call_sync("pricing", {})) == ("echo", "pricing")


def test_a_component_may_import_only_what_the_host_grants() -> None:
    @typegraph(name="greedy")
    def greedy(g: Graph) -> None:
        rt = ReflectedRuntime(str(build_wat_guest("greedy")), name="greedy")
        g.expose(Policy.public(), peek=rt.export("peek", t.struct({}), t.integer()))

    with Host(greedy.document(), REPO) as host:
        err = host.start()["greedy"]
    assert isinstance(err, ComponentLoadError)
    assert err.message == (
        "the component imports wire-test:greedy/secrets, which the host does not provide: a "
        "reflected component may import WASI and metatype:wit-wire/typegate-wire"
    )


# -- sandbox, limits, instances ---------------------------------------------------------


def test_a_trap_discards_the_instance_and_the_next_call_works(shop_host: MakeHost) -> None:
    for instances in ("fresh", "pooled"):
        host = shop_host(instances=instances, pool_size=1)
        with pytest.raises(GuestTrap, match="trapped: wasm trap: wasm `unreachable`"):
            host.call_sync("crash", {"message": "boom"})
        assert host.call_sync("add", {"a": 1, "b": 2}) == 3


def test_the_deadline_stops_an_endless_export(shop_host: MakeHost) -> None:
    host = shop_host(deadline_ms=300)
    assert host.call_sync("spin", {"rounds": 1000}) == 1000
    start = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="ran past its deadline of 300 ms"):
        host.call_sync("spin", {"rounds": 0})
    assert time.monotonic() - start < 0.3 + 2  # generous on a loaded machine
    assert host.call_sync("add", {"a": 1, "b": 2}) == 3


def test_the_memory_cap_stops_a_hog(shop_host: MakeHost) -> None:
    host = shop_host(memory_bytes=64 * MiB)
    assert host.call_sync("hog", {"mib": 8}) == 8
    with pytest.raises(GuestTrap, match="trapped"):
        host.call_sync("hog", {"mib": 100})
    assert host.call_sync("hog", {"mib": 8}) == 8


def test_hostcall_from_a_reflected_component(shop: Host, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="wire.guest"):
        out = shop.call_sync("ask", {"op": "log", "json": '{"level": "info", "message": "hi"}'})
    assert out == "null"
    assert ("wire.guest.shop.shop", "hi") in [(r.name, r.getMessage()) for r in caplog.records]
    with pytest.raises(HandlerError) as err:
        shop.call_sync("ask", {"op": "nope", "json": "{}"})
    assert err.value.details["error"].startswith('{"code":"op_404"')


def test_pooled_instances_serve_calls_at_once(shop_host: MakeHost) -> None:
    host = shop_host(instances="pooled", pool_size=2)
    with ThreadPoolExecutor(4) as pool:
        sums = list(pool.map(lambda i: host.call_sync("add", {"a": i, "b": i}), range(40)))
    assert sums == [2 * i for i in range(40)]


def test_a_wat_component(tmp_path: Path) -> None:
    @typegraph(name="calc")
    def calc(g: Graph) -> None:
        rt = ReflectedRuntime(
            str(build_wat_guest("calc")), name="calc", deadline_ms=200, memory_bytes=4 * MiB
        )
        g.expose(
            Policy.public(),
            add=rt.export("add", t.struct({"a": t.integer(), "b": t.integer()}), t.integer()),
            half=rt.export("half", t.struct({"x": t.integer()}), t.optional(t.integer())),
            spin=rt.export("spin", t.struct({}), t.integer()),
            grow=rt.export("grow", t.struct({"pages": t.integer()}), t.integer()),
            fail=rt.export("fail", t.struct({}), t.integer()),
        )

    with Host(calc.document(), REPO) as host:
        assert host.call_sync("add", {"a": 2**31 - 1, "b": 1}) == -(2**31)  # s32 wraps
        assert (host.call_sync("half", {"x": 8}), host.call_sync("half", {"x": 7})) == (4, None)
        with pytest.raises(InputInvalid, match="out of range for u32"):
            host.call_sync("half", {"x": -1})
        with pytest.raises(DeadlineExceeded):
            host.call_sync("spin", {})
        with pytest.raises(GuestTrap, match="unreachable"):
            host.call_sync("grow", {"pages": 16})  # the 4 MiB cap stops it
        with pytest.raises(GuestTrap, match="unreachable"):
            host.call_sync("fail", {})
        assert host.call_sync("add", {"a": 1, "b": 1}) == 2


# -- the DSL and the document ------------------------------------------------------------


def test_the_document_of_a_reflected_runtime() -> None:
    @typegraph(name="doc")
    def doc(g: Graph) -> None:
        rt = ReflectedRuntime("build/calc.wasm", instances="pooled", pool_size=2)
        g.expose(Policy.public(), add=rt.export("add", t.struct(AB), t.integer(), effect="update"))

    document = doc.document()
    validate_document(document)
    assert document["runtimes"] == {
        "calc": {
            "kind": "reflected",
            "component": "build/calc.wasm",
            "instances": {"policy": "pooled", "size": 2},
            "limits": {"deadline_ms": 10000, "memory_bytes": 128 * MiB},
        }
    }
    assert document["materializers"]["add"] == {
        "runtime": "calc",
        "op": "add",
        "title": "add",
        "data": {},
    }
    assert document["functions"]["add"]["effect"] == "update"


def test_a_reflected_component_decides_no_policy() -> None:
    with pytest.raises(TypegraphError, match="a reflected component cannot decide policies"):
        ReflectedRuntime("calc.wasm").policy("admin")


def test_variant_makes_tagged_structs() -> None:
    @typegraph(name="v")
    def v(g: Graph) -> None:
        rt = ReflectedRuntime("calc.wasm")
        g.expose(Policy.public(), pay=rt.export("pay", t.struct({"p": Payment}), Payment))

    types = v.document()["types"]
    assert types["Payment"] == {
        "kind": "either",
        "variants": [
            {"kind": "ref", "name": "PaymentCard"},
            {"kind": "ref", "name": "PaymentVoucher"},
            {"kind": "ref", "name": "PaymentCash"},
        ],
    }
    assert types["PaymentCash"]["fields"] == {"tag": {"kind": "ref", "name": "PaymentCashTag"}}
    assert types["PaymentCard"]["fields"]["value"] == {"kind": "string"}
    with pytest.raises(TypegraphError, match="at least one case"):
        variant({})


# -- wire call and GraphQL -----------------------------------------------------------------


def _wire_call(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WIRE), "call", str(SHOP_TG), *args], capture_output=True, text=True, timeout=300
    )


def test_wire_call(shop_wasm: str) -> None:
    ok = _wire_call("split", '{"total": 7, "parts": 2}')
    assert (ok.returncode, ok.stdout) == (0, "[4,3]\n"), ok.stderr
    bad = _wire_call("split", '{"total": 7, "parts": 0}')
    assert bad.returncode == 1
    assert (
        "error [handler_error]: shop/shop: materializer handler error for op "
        "wire-test:shop/pricing#split: cannot split into 0 parts" in bad.stderr
    )


@pytest.fixture(scope="module")
def server(shop_wasm: str) -> Iterator[Server]:
    with serve(SHOP_TG) as s:
        yield s


def test_graphql_prices_a_basket(server: Server) -> None:
    query = """
    query($items: [LineItem!]!) {
      price(items: $items, payment: {PaymentVoucher: {tag: voucher, value: 7}}) {
        total_cents
        lines { sku amount }
        paid_by { __typename ... on PaymentVoucher { tag value } }
        note
      }
    }"""
    body = server.gql(query, {"items": BASKET["items"]}, path="shop")
    assert body == {
        "data": {
            "price": {
                "total_cents": 550,
                "lines": [{"sku": "tea", "amount": 4.5}, {"sku": "mug", "amount": 1.0}],
                "paid_by": {"__typename": "PaymentVoucher", "tag": "voucher", "value": 7},
                "note": "insured",
            }
        },
        "_status": 200,
    }


def test_graphql_variants_both_ways(server: Server) -> None:
    """Variants are unions (inputs @oneOf): fields typed differently across cases (each
    case's `tag` is an enum of its own) are aliased, as for any union."""
    query = """{
      shapes(s: [{ShapeCircle: {tag: circle, value: 1.5}}, {ShapeRect: {tag: rect, value: [2, 3]}},
                 {ShapeEmpty: {tag: empty}}]) {
        __typename
        ... on ShapeCircle { radius: value }
        ... on ShapeRect { sides: value }
      }
      outcomes(rs: [{OutcomeOk: {tag: ok, value: 1}}, {OutcomeErr: {tag: err, value: "no"}}]) {
        ... on OutcomeOk { ok: tag n: value }
        ... on OutcomeErr { err: tag why: value }
      }
    }"""
    body = server.gql(query, path="shop")
    assert body.get("data") == {
        "shapes": [
            {"__typename": "ShapeEmpty"},
            {"__typename": "ShapeRect", "sides": [2.0, 3.0]},
            {"__typename": "ShapeCircle", "radius": 1.5},
        ],
        "outcomes": [{"ok": "ok", "n": 2}, {"err": "err", "why": "NO"}],
    }, body


def test_graphql_errors_of_a_reflected_function(server: Server) -> None:
    assert server.gql("{ split(total: 9, parts: 2) }", path="shop")["data"] == {"split": [5, 4]}
    body = server.gql("{ split(total: 9, parts: 0) }", path="shop")
    (err,) = body["errors"]
    assert err["extensions"]["code"] == "handler_error"
    assert err["extensions"]["details"] == {"error": "cannot split into 0 parts"}
    body = server.gql("{ split(total: 9, parts: 256) }", path="shop")
    (err,) = body["errors"]
    assert err["extensions"]["code"] == "invalid_input"
    assert "at /parts: 256 is out of range for u8 (0 to 255)" in err["message"]
    body = server.gql('{ crash(message: "boom") }', path="shop")
    assert body["errors"][0]["extensions"]["code"] == "guest_trap"
    body = server.gql("{ hog(mib: 200) }", path="shop")  # past the 128 MiB default
    assert body["errors"][0]["extensions"]["code"] == "guest_trap"
    body = server.gql("{ spin(rounds: 0) }", path="shop")  # past its 2 s deadline
    assert body["errors"][0]["extensions"]["code"] == "deadline_exceeded"
    assert server.gql("{ add(a: 2, b: 3) }", path="shop")["data"] == {"add": 5}
    (err,) = server.gql("{ refused(a: 2, b: 3) }", path="shop")["errors"]
    assert err["extensions"]["code"] == "policy_denied"  # policies apply as to any function


def test_the_readmes_section_is_true(shop_wasm: str, tmp_path: Path) -> None:
    text = section("Components with typed exports (reflected)", "docs/runtimes.md")
    (source,) = blocks(text, "python")
    (session,) = blocks(text, "sh")
    (tmp_path / "shop.py").write_text(source)
    shutil.copyfile(shop_wasm, tmp_path / "shop.wasm")
    run_session(session, tmp_path)


def run_session(session: str, cwd: Path) -> None:
    """Each `$ wire ...` line of `session` prints what follows it (stdout, or stderr when
    it fails)."""
    for chunk in session.split("$ ")[1:]:
        command, *expected = chunk.rstrip("\n").split("\n")
        out = subprocess.run(
            [str(WIRE), *shlex.split(command)[1:]],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=300,
        )
        shown = out.stdout if out.returncode == 0 else out.stderr
        assert shown.splitlines()[-len(expected) :] == expected, (command, out.stderr)
