"""Python names in a client package: types, their `Select`/`Partial` companions, methods
and keyword arguments."""

from __future__ import annotations

import builtins
import keyword
from collections.abc import Iterable

from ...model import CodegenError
from ...naming import identifier, unique

# Names the generated modules import or define next to the user's types.
# Names the generated modules import or define next to the user's types, or export next to
# them from the package (the runtime's other names are used qualified: `runtime.Operation`).
SDK_NAMES = frozenset(
    {
        "Literal", "NotRequired", "TypedDict", "TypeAlias", "annotations", "overload",
        "runtime", "SHAPES", "Client", "AsyncClient", "BaseClient", "BaseAsyncClient",
        "Subscription", "ClientError", "ApiError", "TransportError", "ConnectFailed",
        "TimedOut", "HttpError", "Unauthorized", "Disconnected", "ProtocolError",
    }
)  # fmt: skip
# Attributes of the client classes: a method named so would replace them.
CLIENT_MEMBERS = frozenset(
    {"url", "timeout", "close", "aclose", "_call", "_subscribe", "_http", "_headers"}
)
_BUILTINS = frozenset(dir(builtins))


def is_plain_field(name: str) -> bool:
    """Whether `name` can be written as a class attribute (GraphQL names are identifiers,
    but some are Python keywords)."""
    return name.isidentifier() and not keyword.iskeyword(name)


def _suffix(ident: str, reserved: frozenset[str]) -> str:
    return f"{ident}_" if keyword.iskeyword(ident) or ident in reserved else ident


def type_names(names: Iterable[str]) -> dict[str, str]:
    """Document type name → Python name (a builtin, keyword or SDK name gets a `_`)."""
    return unique(names, lambda n: _suffix(identifier(n), SDK_NAMES | _BUILTINS), "type", "Python")


def method_names(ops: Iterable[str]) -> dict[str, str]:
    """Root field → method name (a keyword or a client member gets a `_`)."""
    return unique(ops, lambda n: _suffix(identifier(n), CLIENT_MEMBERS), "operation", "Python")


def parameter_names(args: Iterable[str], where: str) -> dict[str, str]:
    """Argument → keyword parameter (`from` → `from_`; `self` and `select` too)."""
    try:
        return unique(
            args, lambda n: _suffix(identifier(n), frozenset({"self", "select"})), "argument",
            "Python",
        )  # fmt: skip
    except CodegenError as e:
        raise CodegenError(f"{where}: {e}") from None


def constant_names(ops: Iterable[str]) -> dict[str, str]:
    """Root field → the module constant of its `Operation` (`add` → `ADD`; `Add` after it
    → `ADD_2`: these constants are the package's own, no caller names them)."""
    out: dict[str, str] = {}
    for op in ops:
        base = _suffix(identifier(op).upper(), SDK_NAMES)
        name, n = base, 1
        while name in out.values():
            n += 1
            name = f"{base}_{n}"
        out[op] = name
    return out
