"""Issue 11, second table: `{ add(a: 1, b: 2) }` over HTTP against the GraphQL peers.

Five servers, each its own uvicorn process, started once and kept for all rounds:
- graphql-core + starlette, native resolver (the floor; bench/peer_graphql.py);
- strawberry with its ParserCache and ValidationCache extensions;
- strawberry with its defaults;
- wire, `wire serve examples/math/typegraph.py` as shipped (a fresh instance per call);
- wire, the same function on a pooled runtime (`wire serve bench/math_pooled/typegraph.py`).

A load generator process (wrk if installed, else bench/loadgen.py's asyncio client) drives
each in turn with `CONNECTIONS` keep-alive connections for `seconds` (the order rotates
each round); medians of the rounds. CPU per request is the server process's (/proc); the
load generator's share is its CPU over its CPU plus the server's.

    .venv/bin/python bench/bench_peers_graphql.py      # or: make bench (WIRE_BENCH_QUICK=1)
"""

from __future__ import annotations

import statistics
import sys
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import loadgen
from harness import Spec, print_grid, quick, wire_flags
from procs import REPO, Child, start_all, wire_cli
from targets import Target, summary

HERE = Path(__file__).resolve().parent
CONNECTIONS = 8
_PLAIN = ("floor", "strawberry-cached", "strawberry", "wire-fresh", "wire-pooled")
SERVERS = (*(Spec(k, k) for k in _PLAIN), Spec("wire-pooled-pinned", "wire-pooled", pin=True))
LABELS = {
    "floor": "graphql-core + starlette, native resolver (floor)",
    "strawberry-cached": "strawberry, parse/validation caches on",
    "strawberry": "strawberry, defaults",
    "wire-fresh": "wire, examples/math as shipped (fresh instance per call)",
    "wire-pooled": "wire, same function on a pooled runtime",
    "wire-pooled-pinned": "wire, pooled, --pin (the process on one CPU)",
}
WIRE_TYPEGRAPHS = {
    "wire-fresh": REPO / "examples" / "math" / "typegraph.py",
    "wire-pooled": HERE / "math_pooled" / "typegraph.py",
}


@dataclass
class Sizes:
    seconds: float
    rounds: int
    warmup: bool

    @classmethod
    def default(cls) -> Sizes:
        return cls(1.0, 1, False) if quick() else cls(3.0, 5, True)


@dataclass
class Run:
    rate: float
    requests: int
    failed: int
    cpu_us: float  # the server's CPU per request
    loadgen_share: float


@dataclass
class ServerResult:
    key: str
    runs: list[Run] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.runs)


def start(spec: Spec) -> Child:
    key = spec.key
    if key in WIRE_TYPEGRAPHS:
        cmd = [*wire_cli(), "serve", str(WIRE_TYPEGRAPHS[key]), "--port", "0", *wire_flags(spec)]
        return Child(spec.name, cmd, r"^wire: serving .* at (http://\S+)")
    return Child(spec.name, [sys.executable, str(HERE / "peer_graphql.py"), key], r"(http://\S+)")


def endpoint(key: str, child: Child) -> str:
    url = child.wait_ready().group(1)
    return f"{url}/math" if key in WIRE_TYPEGRAPHS else url


def check(url: str, name: str) -> None:
    """One request answered right before any load: the figures count answers, not bodies."""
    req = urllib.request.Request(url, loadgen.BODY, {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        body = resp.read()
    if body != loadgen.EXPECTED:
        raise RuntimeError(f"{name} answered {body!r}, not {loadgen.EXPECTED!r}")


def measure(child: Child, url: str, seconds: float, generator: str) -> Run:
    cpu0 = child.cpu_seconds()
    load = loadgen.run(url, seconds, CONNECTIONS, generator)
    cpu = child.cpu_seconds() - cpu0
    return Run(
        rate=load.rate,
        requests=load.requests,
        failed=load.failed,
        cpu_us=cpu / max(load.requests, 1) * 1e6,
        loadgen_share=load.cpu_s / max(load.cpu_s + cpu, 1e-9),
    )


def run(
    sizes: Sizes | None = None, servers: Sequence[Spec] = SERVERS, generator: str | None = None
) -> dict[str, ServerResult]:
    """Every server, interleaved: {name: result}."""
    sizes = sizes or Sizes.default()
    generator = generator or loadgen.tool()
    specs = {s.name: s for s in servers}
    keys = list(specs)
    children = {k: start(specs[k]) for k in keys}
    try:
        start_all(list(children.values()))
        urls = {k: endpoint(specs[k].key, c) for k, c in children.items()}
        for k in keys:
            check(urls[k], children[k].name)
            if sizes.warmup:
                loadgen.run(urls[k], 1.0, CONNECTIONS, generator)
        results = {k: ServerResult(specs[k].key) for k in keys}
        for r in range(sizes.rounds):
            for k in [*keys[r % len(keys) :], *keys[: r % len(keys)]]:
                results[k].runs.append(measure(children[k], urls[k], sizes.seconds, generator))
        return results
    finally:
        for child in children.values():
            child.stop()


def report(results: dict[str, ServerResult], sizes: Sizes, generator: str) -> list[Target]:
    print(
        f"\n## GraphQL peers (issue 11): {{ add(a: 1, b: 2) }} over HTTP, {generator}, "
        f"{CONNECTIONS} keep-alive connections, {sizes.seconds:g} s a run, "
        f"median of {sizes.rounds} interleaved round(s)"
    )
    rate = {k: r.median("rate") for k, r in results.items()}
    floor, cached = rate["floor"], rate["strawberry-cached"]
    fresh = Target("GraphQL wire fresh / strawberry cached", rate["wire-fresh"] / cached, ">=", 1.0)
    pooled = Target("GraphQL wire pooled / floor", rate["wire-pooled"] / floor, ">=", 0.8)
    verdicts = {"wire-fresh": fresh.verdict(), "wire-pooled": pooled.verdict()}
    rows = [
        [
            LABELS[k],
            f"{rate[k]:,.0f}",
            f"{rate[k] / floor:.2f}",
            f"{rate[k] / cached:.2f}",
            f"{r.median('cpu_us'):.0f}",
            f"{r.median('loadgen_share'):.0%}",
            verdicts.get(k, ""),
        ]
        for k, r in results.items()
    ]
    header = ["server", "req/s", "/floor", "/strawberry cached", "CPU µs/req", "load gen", "target"]
    print_grid(header, rows)
    print(
        f"load gen: {generator}'s CPU / ({generator}'s + the server's) during the runs; "
        "targets: fresh >= 1.0x strawberry cached, pooled >= 0.8x the floor"
    )
    return [fresh, pooled]


def main() -> list[Target]:
    sizes = Sizes.default()
    generator = loadgen.tool()
    targets = report(run(sizes, generator=generator), sizes, generator)
    print(summary(targets))
    return targets


if __name__ == "__main__":
    main()
