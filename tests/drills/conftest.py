"""Prints the drill table (tests/drills/drill.py) at the end of the session."""

from __future__ import annotations

from typing import Any

from drills.drill import HEADER, RESULTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if RESULTS:
        terminalreporter.write_line("")
        terminalreporter.write_line("delivery drills (N per drill, publisher at its rate):")
        terminalreporter.write_line(HEADER)
        for r in RESULTS:
            terminalreporter.write_line(r.row())
