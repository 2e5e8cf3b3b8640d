"""Every error wire raises is a `WireError`: it says what failed, where, and what to do.

`code` is stable and machine-readable (GraphQL `extensions.code`, hostcall error `code`).
"""

from __future__ import annotations

from typing import Any


class WireError(Exception):
    """Base class: `code` is stable; `where` names the function, op or file involved."""

    code = "wire_error"

    def __init__(self, message: str, *, where: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where
        self.details = details

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": str(self)}
        if self.details is not None:
            out["details"] = self.details
        return out


class TypegraphLoadError(WireError):
    code = "typegraph_invalid"


class UnknownFunction(WireError):
    code = "unknown_function"


class InputInvalid(WireError):
    """Arguments failed the function's input schema; the guest was not called."""

    code = "invalid_input"


class OutputInvalid(WireError):
    """The guest returned something that is not JSON or does not match the output schema."""

    code = "invalid_output"


class ComponentLoadError(WireError):
    """A component could not be read, compiled or linked."""

    code = "component_load_failed"


class GuestInitError(WireError):
    """`init` failed: the runtime is marked failed until the typegraph is reloaded."""

    code = "guest_init_failed"


class NoHandler(WireError):
    code = "no_handler"


class GuestInJsonError(WireError):
    code = "guest_input_rejected"


class HandlerError(WireError):
    code = "handler_error"


class GuestTrap(WireError):
    """The guest trapped; its instance was discarded."""

    code = "guest_trap"


class DeadlineExceeded(GuestTrap):
    code = "deadline_exceeded"


class MemoryLimitExceeded(GuestTrap):
    """The guest needed more memory than its runtime's `memory_bytes` (as wasmtime tells:
    an instance whose memory does not fit, an allocation too large)."""

    code = "memory_limit_exceeded"


class Overloaded(WireError):
    """A call waited longer than its deadline for a worker or for its runtime's concurrency
    limit, and was given up before it ran."""

    code = "overloaded"


class RecursionLimit(WireError):
    """Guest calls nested (through hostcalls) deeper than the runtime allows."""

    code = "recursion_limit"


class HostcallError(WireError):
    """An error returned to a guest from a hostcall op (serialised as `{message, code}`)."""

    code = "op_failed"

    def __init__(self, message: str, *, code: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        if code is not None:
            self.code = code
