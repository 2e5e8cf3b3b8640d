"""Issue 14 §2: an inline Python function (`PythonRuntime`, wire's own component) against
the equivalent built guest (examples/math's `add`, componentize-py from source), the same
`a + b` behind the same checks.

- start-up: a new process with the disk cache warm (the component already built and
  compiled): `Host.start()` of the runtime, i.e. deserialising the compiled component and
  making (and for a fresh runtime closing) its first initialised instance. Median of 3
  processes each.
- per call: `Host.call_sync("add", ...)` on a fresh runtime (instantiate + init + handle +
  teardown per call) and on a pooled one, interleaved rounds, median µs per call. The inline
  runtime's `init` compiles the function's source, once per instance: on every fresh call.

The floor of each row is the built guest's figure. Run: `.venv/bin/python bench/bench_inline.py`
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness import compare, print_grid, quick

HERE = Path(__file__).resolve().parent
MATH_GUEST = HERE.parent / "examples" / "math" / "guest"
PAIR = {"a": 20, "b": 22}


def document(kind: str, policy: str) -> dict[str, Any]:
    from typegraph import Graph, Policy, PythonRuntime, WireRuntime, t, typegraph

    @typegraph(name="bench")
    def bench(g: Graph) -> None:
        pair = t.struct({"a": t.integer(), "b": t.integer()}).rename("AddInput")
        if kind == "inline":
            py = PythonRuntime("rt", instances=policy)  # type: ignore[arg-type]
            add = py.from_lambda(pair, t.integer(), lambda x: x["a"] + x["b"])
        else:
            guest = WireRuntime(str(MATH_GUEST), name="rt", instances=policy)  # type: ignore[arg-type]
            add = guest.handler(pair, t.integer(), name="add")
        g.expose(Policy.public(), add=add)

    return bench.document()


def host(kind: str, policy: str) -> Any:
    from wire import Host

    h = Host(document(kind, policy), HERE)
    assert h.call_sync("add", PAIR) == 42
    return h


def start_once(kind: str, policy: str) -> float:
    """In this (new) process: seconds `Host.start()` takes."""
    from wire import Host

    h = Host(document(kind, policy), HERE)
    started = time.perf_counter()
    errors = h.start()
    took = time.perf_counter() - started
    assert set(errors.values()) == {None}, errors
    h.close()
    return took


def start_ms(kind: str, policy: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--start", kind, policy],
            capture_output=True, text=True, check=True, env=os.environ,
        )  # fmt: skip
        times.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times) * 1000


def main() -> None:
    for kind in ("inline", "built"):  # build and compile both once (cached) before measuring
        host(kind, "fresh").close()
    runs = 1 if quick() else 3
    rows: list[list[str]] = []
    for policy in ("fresh", "pooled"):
        inline, built = start_ms("inline", policy, runs), start_ms("built", policy, runs)
        rows.append(
            [f"start-up, {policy}", f"{inline:.1f} ms", f"{built:.1f} ms", f"{inline / built:.2f}"]
        )
    for policy, calls in (("fresh", 20 if quick() else 200), ("pooled", 200 if quick() else 5000)):
        a, b = host("inline", policy), host("built", policy)
        try:
            inline_us, built_us = compare(
                lambda h=a: h.call_sync("add", PAIR),
                lambda h=b: h.call_sync("add", PAIR),
                calls,
                rounds=1 if quick() else 5,
            )
        finally:
            a.close()
            b.close()
        rows.append(
            [
                f"call, {policy}",
                f"{inline_us:.1f} µs",
                f"{built_us:.1f} µs",
                f"{inline_us / built_us:.2f}",
            ]
        )
    print("\n## inline Python (PythonRuntime) against the built guest (examples/math `add`)")
    print_grid(["measure", "inline", "built guest", "ratio"], rows)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    os.environ.setdefault("WIRE_CACHE_DIR", str(HERE.parent / ".wire-cache"))
    if sys.argv[1:2] == ["--start"]:
        print(json.dumps(start_once(sys.argv[2], sys.argv[3])))
    else:
        main()
