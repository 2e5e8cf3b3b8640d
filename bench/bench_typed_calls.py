"""A typed call vs the same call through `gql`, from a guest.

The gateway example's Python guest (pooled, two warm instances here: the caller's and its
callee's, so no call pays for an instance) calls `add` `n` times in one guest call:
`add_many_typed` through `ctx.fn.add` (the `call` hostcall: a policy check and a host
call), `add_many` through `ctx.gql` (a GraphQL query each: a cached parse, execution,
selection, the same policy and host call). The cost of one inner call is the time of a
guest call with `n` of them, less one with none, over `n`; rounds alternate, medians.

    .venv/bin/python bench/bench_typed_calls.py        # or: make bench
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

from harness import Row, print_table

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GATEWAY = REPO / "examples" / "gateway" / "typegraph.py"
os.environ.setdefault("WIRE_CACHE_DIR", str(REPO / ".wire-cache"))
QUICK = bool(os.environ.get("WIRE_BENCH_QUICK"))
N = 100 if QUICK else 1000
ROUNDS = 1 if QUICK else 5


def inner_call_us(host: Any, function: str, n: int) -> float:
    """µs per inner call: (a guest call making `n` of them - one making none) / n."""

    def timed(count: int) -> float:
        start = time.perf_counter()
        result = host.call_sync(function, {"n": count})
        elapsed = time.perf_counter() - start
        assert result == [i + 1000 for i in range(count)], result
        return elapsed

    return (timed(n) - timed(0)) / n * 1e6


def main() -> None:
    import typegraph
    from wire import Host
    from wire.graphql import Gateway

    doc = typegraph.load(GATEWAY)
    doc["runtimes"]["guest"]["instances"] = {"policy": "pooled", "size": 2}
    gateway = Gateway(Host(doc, GATEWAY.parent))
    host = gateway.host
    try:
        host.start()
        for function in ("add_many_typed", "add_many"):  # warm: instances, caches
            inner_call_us(host, function, 10)
        typed: list[float] = []
        gql: list[float] = []
        for _ in range(ROUNDS):
            typed.append(inner_call_us(host, "add_many_typed", N))
            gql.append(inner_call_us(host, "add_many", N))
    finally:
        gateway.close()
    typed_us, gql_us = statistics.median(typed), statistics.median(gql)
    print_table(
        f"typed calls vs gql, from a Python guest ({N} calls of `add` per guest call)",
        [Row("ctx.fn.add (call op)", typed_us, "ctx.gql `{ add }`", gql_us, "< 1: cheaper")],
    )
    print(f"a typed call costs {typed_us:.1f} µs, a gql query {gql_us:.1f} µs: "
          f"{gql_us / typed_us:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
