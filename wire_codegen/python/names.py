"""Python identifiers for document names: types, fields and ops."""

from __future__ import annotations

import builtins
import keyword
from collections.abc import Callable, Iterable

from ..naming import identifier, unique

# Names the generated modules import or define next to the user's types.
SDK_NAMES = frozenset(
    {
        "Any", "Literal", "NotRequired", "TypedDict", "TypeAlias", "ABC", "abstractmethod",
        "annotations", "Ctx", "Handlers", "HostcallError", "Json", "LogLevel", "OpSpec",
        "OPS", "PolicyInput", "PolicyDecision", "export", "MatWire", "Callable", "Mapping",
        "TYPE_CHECKING", "CallFunction", "Functions", "Http", "HttpMethod", "HttpResponse",
    }
)  # fmt: skip
_BUILTINS = frozenset(dir(builtins))


def is_plain_identifier(name: str) -> bool:
    return name.isidentifier() and name.isascii() and not keyword.iskeyword(name)


def type_names(names: Iterable[str]) -> dict[str, str]:
    """Document type name → Python name; a name that would shadow a builtin, a keyword or an
    SDK name gets a trailing `_`."""
    return _unique(names, lambda n: _suffix(identifier(n), SDK_NAMES | _BUILTINS), "type")


def method_names(ops: Iterable[str]) -> dict[str, str]:
    """Op name → `Handlers` method name (`orders.place` → `orders_place`)."""
    return _unique(ops, lambda n: _suffix(identifier(n), frozenset()), "op")


def function_names(functions: Iterable[str]) -> dict[str, str]:
    """Function name → `Functions` method name (`ctx.fn.<name>`; `import` → `import_`)."""
    return _unique(functions, lambda n: _suffix(identifier(n), frozenset({"_call"})), "function")


def _suffix(ident: str, reserved: frozenset[str]) -> str:
    return f"{ident}_" if keyword.iskeyword(ident) or ident in reserved else ident


def _unique(names: Iterable[str], convert: Callable[[str], str], what: str) -> dict[str, str]:
    return unique(names, convert, what, "Python")
