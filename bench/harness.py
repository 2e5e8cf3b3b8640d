"""Timing helpers: interleaved rounds, median per-call time, ratio tables."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


def per_call_us(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def compare(
    subject: Callable[[], object], floor: Callable[[], object], calls: int, rounds: int = 5
) -> tuple[float, float]:
    """Median µs per call of (subject, floor), measured in alternating rounds."""
    subject()
    floor()
    s: list[float] = []
    f: list[float] = []
    for _ in range(rounds):
        f.append(per_call_us(floor, calls))
        s.append(per_call_us(subject, calls))
    return statistics.median(s), statistics.median(f)


def calls_for(expected_us: float, budget_s: float = 0.25) -> int:
    return max(20, int(budget_s * 1e6 / max(expected_us, 1.0)))


@dataclass
class Row:
    name: str
    value_us: float
    floor_name: str
    floor_us: float
    target: str = ""

    @property
    def ratio(self) -> float:
        return self.value_us / self.floor_us


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n## {title}")
    print(f"{'measure':44} {'µs':>10} {'floor':>28} {'floor µs':>10} {'ratio':>7}  target")
    for r in rows:
        print(
            f"{r.name:44} {r.value_us:10.1f} {r.floor_name:>28} {r.floor_us:10.1f} "
            f"{r.ratio:7.2f}  {r.target}"
        )


@dataclass(frozen=True)
class Spec:
    """A system under test: `name` in the results, `key` which implementation, `processes`
    for wire's `--processes` (1: the flag is not given), `pin` for wire's `--pin`."""

    name: str
    key: str
    processes: int = 1
    pin: bool = False


def wire_flags(spec: Spec) -> list[str]:
    """The `wire serve` / `wire consume` flags `spec` asks for."""
    return (["--processes", str(spec.processes)] if spec.processes > 1 else []) + (
        ["--pin"] if spec.pin else []
    )


def quick() -> bool:
    """`WIRE_BENCH_QUICK=1`: every part with a small N and one round (a smoke run)."""
    return os.environ.get("WIRE_BENCH_QUICK", "") not in ("", "0")


def print_grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A table whose columns are as wide as their widest cell (the first left-aligned)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        first, *rest = (
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        return "  ".join([first, *rest]).rstrip()

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
