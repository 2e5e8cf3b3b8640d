"""Every error wire raises is a `WireError`: it says what failed, where, and what to do.

`code` is stable and machine-readable (GraphQL `extensions.code`, hostcall error `code`).
This module holds the base class and the errors of wire's top-level modules (the host and
its calls, the `http` op, the command line); each subsystem keeps its own in its
`errors.py` (`wire.graphql.errors`, `wire.messaging.errors`, `wire.http.errors`, ...).
Every one is exported from `wire`, and documented in docs/errors.md.
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
    """A typegraph file is missing, or its code fails (the typegraph's own error, with the
    line)."""

    code = "typegraph_invalid"


class UnknownFunction(WireError):
    """A call names no function of the typegraph."""

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
    """The guest has no handler for the op (wit-wire's `no-handler`)."""

    code = "no_handler"


class GuestInJsonError(WireError):
    """The guest refused its input (wit-wire's `in-json-err`)."""

    code = "guest_input_rejected"


class HandlerError(WireError):
    """The guest's handler failed (wit-wire's `handler-err`), with its message."""

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
    limit, or found every instance slot taken (wire.slots), and was given up before it
    ran."""

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


# -- the `http` op (wire.outbound) ---------------------------------------------------------


class HttpDenied(WireError):
    """A guest asked for a URL (or was redirected to one) its runtime is not granted."""

    code = "permission_denied"


class HttpTimeout(WireError):
    """The server did not answer within the request's timeout (or the guest's deadline)."""

    code = "timeout"


class ResponseTooLarge(WireError):
    """The response body is larger than the host's cap; it was not read further."""

    code = "payload_too_large"


class HttpFailed(WireError):
    """The exchange failed: no connection, a broken response, too many redirects."""

    code = "http_error"


class HttpArgsInvalid(WireError):
    """The op's arguments are well-formed JSON but not a request (a bad URL, a Host header)."""

    code = "invalid_args"


# -- the command line (wire.cli) ---------------------------------------------------------


class ImportFailed(WireError):
    """`wire import` cannot read the document, or is not allowed to write its output."""

    code = "import_failed"


class ImportIncomplete(WireError):
    """`wire import --strict`: the document has constructs a typegraph cannot express."""

    code = "import_incomplete"
