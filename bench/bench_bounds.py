"""Issue 10: the host bounded by its own limits, each figure against its floor.

    .venv/bin/python bench/bench_bounds.py

- Resident memory of guests that fill their memory cap (128 MiB) and trap, on every one of
  6 workers, with the garbage collector off: the peak above the process's baseline, against
  the floor `workers x memory cap` (the guests that can be live at once).
- When a deadline fires, with several guests spinning at once: the slowest call's end,
  against the deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import threading
import time
from pathlib import Path
from typing import Any

from wire import Host, WireError

REPO = Path(__file__).resolve().parent.parent
ANY: dict[str, Any] = {"kind": "struct", "fields": {}, "additionalProperties": True}
MiB = 2**20
WORKERS = 6


def rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def document(component: Path, functions: dict[str, str], limits: dict[str, int]) -> dict[str, Any]:
    return {
        "format": "wire-typegraph/1",
        "name": "bounds",
        "types": {"Nothing": {"kind": "struct", "fields": {}}, "Any": ANY},
        "runtimes": {
            "guest": {
                "kind": "wire",
                "component": str(component),
                "instances": {"policy": "fresh"},
                "limits": limits,
            }
        },
        "materializers": {
            f: {"runtime": "guest", "op": op, "title": f, "data": {}} for f, op in functions.items()
        },
        "policies": {},
        "functions": {
            f: {
                "input": "Nothing",
                "output": {"kind": "ref", "name": "Any"},
                "materializer": f,
                "effect": "read",
                "exposed": False,
                "policies": [],
            }
            for f in functions
        },
        "channels": {},
    }


def memory_rows(fill: Path) -> list[tuple[str, float, str, float]]:
    cap = 128 * MiB
    limits = {"deadline_ms": 10_000, "memory_bytes": cap, "concurrency": WORKERS}
    host = Host(
        document(fill, {"fill": "fill", "trap": "fill_trap"}, limits), REPO, max_workers=WORKERS
    )
    host.start()
    rows = []
    gc.collect()
    gc.disable()
    try:
        base = rss()
        peak = [base]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.002):
                peak[0] = max(peak[0], rss())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        for _ in range(30):
            with contextlib.suppress(WireError):
                host.call_sync("trap", {})
        traps = (peak[0] - base) / MiB
        rows.append(("30 sequential traps, peak RSS (MiB)", traps, "one guest", cap / MiB))

        async def rounds() -> None:
            for _ in range(4):
                calls = [host.call("fill" if i % 2 else "trap", {}) for i in range(2 * WORKERS)]
                await asyncio.gather(*calls, return_exceptions=True)

        asyncio.run(rounds())
        stop.set()
        sampler.join()
        rows.append(
            (
                f"48 calls on {WORKERS} workers, peak RSS (MiB)",
                (peak[0] - base) / MiB,
                f"{WORKERS} guests",
                WORKERS * cap / MiB,
            )
        )
        rows.append(("after them, RSS (MiB)", (rss() - base) / MiB, "baseline", 0.0))
    finally:
        gc.enable()
        host.close()
    return rows


async def spin_all(host: Host, n: int) -> list[float]:
    """Call `spin` n times at once; when each call ended (ms)."""

    async def timed() -> float:
        start = time.monotonic()
        with contextlib.suppress(WireError):
            await host.call("spin", {})
        return (time.monotonic() - start) * 1000

    return await asyncio.gather(*(timed() for _ in range(n)))


def deadline_rows(loop: Path) -> list[tuple[str, float, str, float]]:
    deadline_ms = 3000
    rows = []
    for spinning in (1, 4, WORKERS):
        limits = {"deadline_ms": deadline_ms, "memory_bytes": 64 * MiB, "concurrency": WORKERS}
        host = Host(document(loop, {"spin": "spin"}, limits), REPO, max_workers=WORKERS)
        host.start()

        ends = asyncio.run(spin_all(host, spinning))
        host.close()
        rows.append(
            (f"{spinning} spinning, slowest end (ms)", max(ends), "deadline", float(deadline_ms))
        )
    return rows


def main() -> None:
    sys.path.insert(0, str(REPO / "tests"))
    from guests import build_wat_guest

    rows = memory_rows(build_wat_guest("fill")) + deadline_rows(build_wat_guest("loop"))
    print("\n## the host bounded by its own limits (issue 10)")
    print(f"{'measure':44} {'value':>10} {'floor':>12} {'floor':>10}")
    for name, value, floor_name, floor in rows:
        print(f"{name:44} {value:10.1f} {floor_name:>12} {floor:10.1f}")


if __name__ == "__main__":
    main()
