"""What an import gives back."""

from __future__ import annotations

from dataclasses import dataclass

from .issues import Issue


@dataclass(frozen=True)
class ImportResult:
    """``source``: the Python module (ruff-formatted); ``issues``: what it could not carry
    over, by JSON pointer; ``root``: the module variable of the imported schema (JSON
    Schema) or the ``@typegraph`` function (OpenAPI)."""

    source: str
    issues: list[Issue]
    root: str
