"""How failures of a fast-path call surface: exactly as on wasmtime-py's generic path.

A trap or any other wasmtime failure raises :class:`wasmtime.WasmtimeError` with
wasmtime's own message (for a trap it names the trap and the wasm backtrace).
When a host function raised, the call fails inside wasmtime and the host
function's own exception is re-raised (chained to the wasmtime error), as
wasmtime-py does. Either way the instance must be discarded; the host stays
healthy.
"""

from __future__ import annotations

import threading
from typing import NoReturn

from wasmtime import WasmtimeError

from . import _abi

__all__ = ["HostcallSignatureError", "raise_call_error"]


class HostcallSignatureError(TypeError):
    """A component imported ``hostcall`` with a signature the fast import cannot serve."""


# Per thread: wasmtime-py keeps one global slot, which races when two threads
# run guests that call back into Python.
_pending = threading.local()


def set_pending(exc: BaseException) -> None:
    _pending.exc = exc


def _take_pending() -> BaseException | None:
    exc: BaseException | None = getattr(_pending, "exc", None)
    if exc is not None:
        _pending.exc = None
    return exc


def raise_call_error(addr: int) -> NoReturn:
    """Raise for the ``wasmtime_error_t*`` at ``addr`` (ownership is taken)."""
    err = WasmtimeError._from_ptr(_abi.error_pointer(addr))
    exc = _take_pending()
    try:
        if exc is not None:
            raise exc from err
        raise err
    finally:
        # Not kept in this frame, which the traceback keeps: no reference cycle for the
        # garbage collector to find (the error is freed as soon as it is handled).
        del err, exc
