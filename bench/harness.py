"""Timing helpers: interleaved rounds, median per-call time, ratio tables."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
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
