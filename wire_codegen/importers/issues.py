"""What an import could not carry over, located by JSON pointer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """``pointer`` (RFC 6901, ``""`` for the whole document) locates the construct in the
    imported document; ``message`` says what was dropped or changed, and why."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


class Issues:
    """The issues of one import, each reported once, in the order found."""

    def __init__(self) -> None:
        self.items: list[Issue] = []
        self._seen: set[Issue] = set()

    def add(self, pointer: str, message: str) -> None:
        issue = Issue(pointer, message)
        if issue not in self._seen:
            self._seen.add(issue)
            self.items.append(issue)
