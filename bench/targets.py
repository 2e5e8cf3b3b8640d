"""The issue's targets: a verdict per figure, one summary line per run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Target:
    """`value` (None: not measured, e.g. a feature wire lacks) must be `op` `bound`."""

    name: str
    value: float | None
    op: Literal[">=", "<="]
    bound: float

    @property
    def met(self) -> bool:
        if self.value is None:
            return False
        return self.value >= self.bound if self.op == ">=" else self.value <= self.bound

    def verdict(self) -> str:
        if self.value is None:
            return f"{self.op} {self.bound:g} not measured"
        return f"{self.op} {self.bound:g} {'met' if self.met else 'MISSED'}"


def figure(value: float | None) -> str:
    """Three significant digits, without an exponent for the large ones (µs)."""
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def summary(targets: Sequence[Target]) -> str:
    """`targets: 2 of 7 met; missed: ...; not measured: ...` on one line."""
    measured = [t for t in targets if t.value is not None]
    missed = [f"{t.name} {figure(t.value)} (want {t.op} {t.bound:g})" for t in measured]
    missed = [m for m, t in zip(missed, measured, strict=True) if not t.met]
    absent = [t.name for t in targets if t.value is None]
    met = sum(t.met for t in measured)
    line = f"targets: {met} of {len(targets)} met"
    if missed:
        line += "; missed: " + ", ".join(missed)
    if absent:
        line += "; not measured: " + ", ".join(absent)
    return line
