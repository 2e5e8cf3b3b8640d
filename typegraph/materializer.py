"""Materializers: an op on a runtime."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runtime import WireRuntime

__all__ = ["Materializer"]


@dataclass(frozen=True, eq=False)
class Materializer:
    """``op`` on ``runtime``; ``title`` and ``data`` (any JSON) reach the guest's
    ``mat-info``. Build it with ``runtime.op(name)``."""

    runtime: WireRuntime
    op: str
    title: str | None = None
    data: Any = field(default_factory=dict)
