"""Issue 14: a call of each new way in against a wit-wire call, in one run.

`.venv/bin/python bench/bench_ways_in.py`. Every call goes through `Host.call_sync` (input
and output schema checks included) on a pooled runtime (and a fresh one where it says so).
The floor is the WAT echo guest on the wit-wire fast path, same payload:

- reflected: `add(a: s32, b: s32) -> s32` of a WAT component (calc) and of the
  componentize-py shop component, and the shop's `price` (records, enum, flags, variant,
  a list of tuples);
- core_wire: the echo module of docs/core-wire.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from harness import Row, calls_for, compare, print_table, quick

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("WIRE_CACHE_DIR", str(REPO / ".wire-cache"))

from guests import build_wat_guest  # noqa: E402
from shop_guest import build_shop  # noqa: E402
from shop_typegraph import LineItem, Payment, Quote  # noqa: E402

from typegraph import CoreRuntime, Graph, Policy, ReflectedRuntime, WireRuntime, t  # noqa: E402
from typegraph import typegraph as define_typegraph  # noqa: E402
from wire import Host  # noqa: E402

AB = t.struct({"a": t.integer(), "b": t.integer()}, name="AB")
BASKET = {
    "items": [
        {"sku": "tea", "quantity": 2, "size": "large", "extras": ["gift_wrap"], "discount_pct": 10},
        {"sku": "mug", "quantity": 1, "size": "small", "extras": []},
    ],
    "payment": {"tag": "card", "value": "visa"},
}


def host(instances: str) -> Host:
    @define_typegraph(name="ways")
    def ways(g: Graph) -> None:
        kw = {"instances": instances, "pool_size": 1}
        wat = WireRuntime(str(build_wat_guest("echo")), name="wit_wire", **kw)  # type: ignore[arg-type]
        calc = ReflectedRuntime(str(build_wat_guest("calc")), name="calc", **kw)  # type: ignore[arg-type]
        shop = ReflectedRuntime(str(build_shop()), name="shop", **kw)  # type: ignore[arg-type]
        core = CoreRuntime(str(REPO / "tests/guests/core/echo.wat"), name="core", **kw)  # type: ignore[arg-type]
        request = t.struct({"op": t.string(), "input": AB})
        g.expose(
            Policy.public(),
            wit_wire=wat.handler(AB, AB, name="echo"),
            calc_add=calc.export("add", AB, t.integer()),
            shop_add=shop.export("add", AB, t.integer()),
            shop_price=shop.export(
                "price", t.struct({"items": t.list(LineItem), "payment": Payment}), Quote
            ),
            core_echo=core.handler(AB, request, name="echo"),
        )

    h = Host(ways.document(), REPO)
    h.start()
    return h


def main() -> None:
    rounds = 1 if quick() else 5
    args = {"a": 1, "b": 2}
    for instances in ("pooled", "fresh"):
        h = host(instances)
        floor_name = f"wit-wire WAT echo ({instances})"

        def floor(h: Host = h) -> object:
            return h.call_sync("wit_wire", args)

        rows = []
        for name, function, call_args in (
            ("reflected WAT add", "calc_add", args),
            ("reflected Python add", "shop_add", args),
            ("reflected Python price (records...)", "shop_price", BASKET),
            ("core_wire WAT echo", "core_echo", args),
        ):
            # a fresh call of the shop makes a componentize-py instance
            expected = 8000.0 if instances == "fresh" and function.startswith("shop") else 60.0

            def subject(h: Host = h, f: str = function, a: dict[str, object] = call_args) -> object:
                return h.call_sync(f, a)

            value, floor_us = compare(subject, floor, calls_for(expected), rounds)
            rows.append(Row(f"{name} ({instances})", value, floor_name, floor_us))
        print_table(f"Issue 14: a call of each way in, {instances} instances", rows)
        h.close()


if __name__ == "__main__":
    main()
