"""TypeScript names in a client package: types, their `Select`/`Partial` companions and
methods."""

from __future__ import annotations

from collections.abc import Iterable

from ...naming import identifier, unique
from ...typescript.names import KEYWORDS, OBJECT_MEMBERS


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Names the client modules import or define next to the user's types (and export next to
# them from index.ts), and the globals they use.
SDK_NAMES = _words(
    """Json Client BaseClient ClientOptions Subscription Operation Shape SHAPES Select
    ClientError ApiError TransportError ConnectFailed TimedOut HttpError Unauthorized
    Disconnected ProtocolError WithDefaults WebSocketLike WebSocketConstructor GraphQLErrorJson
    Array Record Readonly ReadonlyArray Map Set Error TypeError Object String Number Boolean
    Symbol Promise JSON Date RegExp Function Partial Required Pick Omit Exclude Extract
    NonNullable ReturnType Parameters IteratorResult AsyncIterableIterator globalThis"""
)
# Members of the client classes: a method named so would replace them.
CLIENT_MEMBERS = _words("url _call _subscribe _headers _timeoutMs _options constructor")


def type_names(names: Iterable[str]) -> dict[str, str]:
    """Document type name → TypeScript name (a reserved or SDK name gets a `_`)."""

    def convert(name: str) -> str:
        ident = identifier(name)
        return f"{ident}_" if ident in KEYWORDS | SDK_NAMES else ident

    return unique(names, convert, "type", "TypeScript")


def method_names(ops: Iterable[str]) -> dict[str, str]:
    """Root field → method name (an `Object.prototype` or client member gets a `_`)."""

    def convert(name: str) -> str:
        ident = identifier(name)
        return f"{ident}_" if ident in OBJECT_MEMBERS | CLIENT_MEMBERS else ident

    return unique(ops, convert, "operation", "TypeScript")


def constant_names(ops: Iterable[str]) -> dict[str, str]:
    """Root field → the exported constant of its `Operation` (`add` → `ADD`, `Add` after
    it → `ADD_2`)."""
    out: dict[str, str] = {}
    for op in ops:
        base = identifier(op).upper()
        base = f"{base}_" if base in SDK_NAMES else base
        name, n = base, 1
        while name in out.values():
            n += 1
            name = f"{base}_{n}"
        out[op] = name
    return out
