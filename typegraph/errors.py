"""The one error type of the typegraph package."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["TypegraphError", "format_path"]


def format_path(path: Sequence[str | int]) -> str:
    """``["functions", "add", "input"]`` -> ``functions.add.input``."""
    return ".".join(str(part) for part in path)


class TypegraphError(Exception):
    """An invalid typegraph or typegraph document.

    ``path`` locates the problem in the document (a list of keys, e.g.
    ``["functions", "add", "input", "fields", "a"]``); ``str()`` gives
    ``functions.add.input.fields.a: <message>``.
    """

    def __init__(self, message: str, path: Sequence[str | int] = ()) -> None:
        self.message = message
        self.path: list[str | int] = list(path)
        super().__init__(message, self.path)

    def __str__(self) -> str:
        if not self.path:
            return self.message
        return f"{format_path(self.path)}: {self.message}"

    def __repr__(self) -> str:
        return f"TypegraphError({self.message!r}, {self.path!r})"
