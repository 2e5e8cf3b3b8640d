"""Name rules and name derivation."""

from __future__ import annotations

import re
from collections.abc import Container, Sequence

from .errors import TypegraphError

__all__ = [
    "CHANNEL_NAME_RE",
    "NAME_RE",
    "check_channel_name",
    "check_name",
    "pascal_case",
    "unique_name",
]

#: Functions, types, fields, policies, runtimes and the typegraph itself.
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Channels: dot-separated tokens; the first starts like a name, tokens may hold dashes.
CHANNEL_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*")


def check_name(name: object, what: str, path: Sequence[str | int]) -> str:
    """Return ``name`` if it is a valid name, else raise a `TypegraphError` at ``path``."""
    if not isinstance(name, str) or NAME_RE.fullmatch(name) is None:
        raise TypegraphError(
            f"invalid {what} name {name!r}: use letters, digits and underscores, "
            "not starting with a digit (pattern [A-Za-z_][A-Za-z0-9_]*)",
            path,
        )
    return name


def check_channel_name(name: object, path: Sequence[str | int]) -> str:
    if not isinstance(name, str) or CHANNEL_NAME_RE.fullmatch(name) is None:
        raise TypegraphError(
            f"invalid channel name {name!r}: use dot-separated tokens of letters, digits, "
            "underscores and dashes, the first starting with a letter or underscore "
            "(e.g. 'orders.placed')",
            path,
        )
    return name


def pascal_case(text: str) -> str:
    """``add`` -> ``Add``, ``orders.placed`` -> ``OrdersPlaced``, ``get_user`` -> ``GetUser``.

    The first letter of every alphanumeric run is upper-cased, the rest kept as
    written (``getUser`` -> ``GetUser``).
    """
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", text) if p]
    out = "".join(p[0].upper() + p[1:] for p in parts)
    if not out or out[0].isdigit():
        out = "T" + out
    return out


def unique_name(base: str, taken: Container[str], sep: str = "") -> str:
    """``base`` if free, else ``base2``, ``base3``, ... (with ``sep`` between)."""
    if base not in taken:
        return base
    i = 2
    while f"{base}{sep}{i}" in taken:
        i += 1
    return f"{base}{sep}{i}"
