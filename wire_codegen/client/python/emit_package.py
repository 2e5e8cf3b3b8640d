"""The client package's `__init__.py`: its docstring (how to use it) and what it exports."""

from __future__ import annotations

from collections.abc import Mapping

from ..layout import Br, lay_out
from ..model import ClientModel
from .docstrings import docstring
from .imports import all_key, import_from
from .names import method_names

_ERRORS = (
    "ApiError", "ClientError", "ConnectFailed", "Disconnected", "HttpError", "ProtocolError",
    "TimedOut", "TransportError", "Unauthorized",
)  # fmt: skip


def emit_init(
    model: ClientModel, py_names: dict[str, str], companions: Mapping[str, str], notice: str
) -> str:
    tg = model.typegraph
    package = f"{tg}_client"
    example = _example(model)
    doc = (
        f"A typed client of typegraph `{tg}`, served by `wire serve` (GraphQL over HTTP, "
        "subscriptions over WebSocket).\n\n"
        f"    from {package} import Client\n\n"
        f'    with Client("http://127.0.0.1:7890/{tg}") as client:\n'
        f"        {example}\n\n"
        "`AsyncClient` is the same for asyncio, with the subscriptions. Errors: `ApiError` "
        "(the server's GraphQL errors: `code`, `message`, `path`, `details`), the "
        "`TransportError`s (`ConnectFailed`, `TimedOut`, `HttpError`, `Unauthorized`, "
        "`Disconnected`, `ProtocolError`). An `int` argument or result is a GraphQL `Int`: "
        "32-bit. Needs httpx and websockets.\n\n"
        f"{notice}"
    )
    types = sorted(set(py_names.values()))
    selections = sorted(companions.values())
    exported = ["AsyncClient", "Client", *_ERRORS, "Subscription", *types, *selections]
    lines = [*docstring(doc, ""), "", "from __future__ import annotations", ""]
    lines += ["from .client import AsyncClient, Client"]
    lines += import_from(".runtime", (*_ERRORS, "Subscription"))
    lines += import_from(".selections", selections)
    lines += import_from(".types", types)
    ordered = sorted(set(exported), key=all_key)
    lines += ["", *lay_out(Br("__all__ = [", tuple(f'"{n}"' for n in ordered), "]"))]
    return "\n".join(lines) + "\n"


def _example(model: ClientModel) -> str:
    """A call of the first query (else of the first operation) with placeholder values."""
    methods = method_names(op.name for op in model.operations)
    calls = [op for op in model.operations if op.kind == "query"]
    calls = calls or [op for op in model.operations if op.kind == "mutation"]
    if not calls:
        return "..."
    op = calls[0]
    args = ", ".join(f"{a.name}=..." for a in op.arguments if a.required)
    return f"print(client.{methods[op.name]}({args}))"
