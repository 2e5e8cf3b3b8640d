"""What an import gives back."""

from __future__ import annotations

from dataclasses import dataclass, field

from .issues import Issue


@dataclass(frozen=True)
class ImportResult:
    """``source``: the Python module (ruff-formatted); ``issues``: what it could not carry
    over, by JSON pointer; ``root``: the module variable of the imported schema (JSON
    Schema) or the ``@typegraph`` function (OpenAPI); ``files``: more files to write next to
    the module (path relative to its folder → text: ``--http``'s forwarding guest)."""

    source: str
    issues: list[Issue]
    root: str
    files: dict[str, str] = field(default_factory=dict)
