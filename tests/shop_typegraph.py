"""The typegraph of the shop component's exports (tests/guests/shop), served through the
`reflected` runtime kind: `define` exposes them on a runtime the caller makes (the tests
vary its limits), and `shop` is the typegraph `wire serve` and `wire call` load."""

from shop_guest import build_shop

from typegraph import Graph, Policy, ReflectedRuntime, t, typegraph
from typegraph.reflected import variant

Size = t.enum(["small", "medium", "large"], name="Size")
Extra = t.enum(["gift_wrap", "express", "insured"], name="Extra")
LineItem = t.struct(
    {
        "sku": t.string(),
        "quantity": t.integer(min=1),
        "size": Size,
        "extras": t.list(Extra, unique=True),
        "discount_pct": t.optional(t.integer(max=100)),
    },
    name="LineItem",
)
Payment = variant({"card": t.string(), "voucher": t.integer(), "cash": None}, name="Payment")
Line = t.struct({"sku": t.string(), "amount": t.float()}, name="Line")
Quote = t.struct(
    {
        "total_cents": t.integer(),
        "lines": t.list(Line),
        "paid_by": Payment,
        "note": t.optional(t.string()),
    },
    name="Quote",
)
WIDTHS = ("i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64")
Widths = t.struct({f"{w}_val": t.integer() for w in WIDTHS}, name="Widths")
Scalars = t.struct(
    {
        "flag": t.boolean(),
        "letter": t.string(),
        "single": t.float(),
        "double": t.float(),
        "text": t.string(),
    },
    name="Scalars",
)
Shape = variant(
    {"circle": t.float(), "rect": t.list(t.float(), min=2, max=2), "empty": None}, name="Shape"
)
Outcome = variant({"ok": t.integer(), "err": t.string()}, name="Outcome")
Nothing = t.optional(t.boolean())


def define(g: Graph, rt: ReflectedRuntime) -> None:
    g.expose(
        Policy.public(),
        add=rt.export("add", t.struct({"a": t.integer(), "b": t.integer()}), t.integer()),
        price=rt.export("price", t.struct({"items": t.list(LineItem), "payment": Payment}), Quote),
        split=rt.export(
            "wire-test:shop/pricing#split",
            t.struct({"total": t.integer(), "parts": t.integer()}),
            t.list(t.integer()),
        ),
        widths=rt.export("echo-widths", t.struct({"w": Widths}), Widths),
        scalars=rt.export("scalars", Scalars, Scalars),
        shapes=rt.export("shapes", t.struct({"s": t.list(Shape)}), t.list(Shape)),
        maybe=rt.export("maybe", t.struct({"x": t.optional(t.integer())}), t.optional(t.integer())),
        outcomes=rt.export("outcomes", t.struct({"rs": t.list(Outcome)}), t.list(Outcome)),
        octets=rt.export("octets", t.struct({"b": t.list(t.integer())}), t.list(t.integer())),
        nothing=rt.export("nothing", t.struct({}), Nothing),
        crash=rt.export("crash", t.struct({"message": t.string()}), t.integer()),
        spin=rt.export("spin", t.struct({"rounds": t.integer()}), t.integer()),
        hog=rt.export("hog", t.struct({"mib": t.integer()}), t.integer()),
        ask=rt.export("ask", t.struct({"op": t.string(), "json": t.string()}), t.string()),
        refused=rt.export(
            "add", t.struct({"a": t.integer(), "b": t.integer()}), t.integer()
        ).with_policy(Policy.deny()),
    )


@typegraph()
def shop(g: Graph) -> None:
    define(g, ReflectedRuntime(str(build_shop()), name="shop", deadline_ms=2000))
