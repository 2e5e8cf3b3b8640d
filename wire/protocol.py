"""The wit-wire protocol on one instance: `init` once, then `handle` per call.

Error messages keep the meaning of Metatype's typegate for the same variants.
"""

from __future__ import annotations

from .errors import (
    DeadlineExceeded,
    GuestInitError,
    GuestInJsonError,
    GuestTrap,
    HandlerError,
    MemoryLimitExceeded,
    NoHandler,
    WireError,
)
from .telemetry import metrics

METATYPE_VERSION = "0.5.1"
MAT_WIRE = "metatype:wit-wire/mat-wire"
TYPEGATE_WIRE = "metatype:wit-wire/typegate-wire"


# How wasmtime says a guest hit its memory cap: an instance whose memories do not fit
# (`memory minimum size of N pages exceeds memory limits`), an allocation over the limit,
# or the guest's own allocation-failure handler in the trap's backtrace.
MEMORY_SIGNS = ("exceeds memory limits", "allocation too large", "out of memory", "alloc_error")


def trap_error(e: Exception, op: str, where: str, deadline_ms: int) -> WireError:
    """Map a wasmtime trap/error raised during a guest call to a wire error (and count it
    in the runtime's traps)."""
    error = _trap_error(e, op, where, deadline_ms)
    metrics.trapped(where, error.code)
    return error


def _trap_error(e: Exception, op: str, where: str, deadline_ms: int) -> WireError:
    trap_code = getattr(e, "trap_code", None)
    text = str(e).strip()
    if (trap_code is not None and trap_code.name == "INTERRUPT") or "interrupt" in text:
        return DeadlineExceeded(
            f"op '{op}' ran past its deadline of {deadline_ms} ms and was stopped "
            "(raise limits.deadline_ms on the runtime if it needs longer)",
            where=where,
        )
    reason = _trap_reason(text) or type(e).__name__
    lowered = text.lower()
    if any(sign in lowered for sign in MEMORY_SIGNS):
        return MemoryLimitExceeded(
            f"op '{op}' ran out of memory: {reason}; the instance was discarded (raise "
            "limits.memory_bytes on the runtime if it needs more)",
            where=where,
            details={"trap": text},
        )
    return GuestTrap(
        f"op '{op}' trapped: {reason}; the instance was discarded",
        where=where,
        details={"trap": text},
    )


def _trap_reason(text: str) -> str:
    """The cause line of a wasmtime error ("wasm trap: ..."), else its first line."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if "Caused by:" in lines:
        return lines[lines.index("Caused by:") + 1]
    return lines[0] if lines else ""


def init_error(tag: str, detail: str, where: str) -> GuestInitError:
    """The error for an `init-error` case; `detail` is the op name for `unexpected-mat`."""
    if tag == "version-mismatch":
        msg = (
            f"init failed: version mismatch: the component wants {detail!r}, "
            f"this host speaks metatype-version {METATYPE_VERSION}"
        )
    elif tag == "unexpected-mat":
        msg = (
            f"init failed: the component does not implement op '{detail}' that the typegraph "
            "binds to it: implement it, or regenerate the SDK and rebuild"
        )
    else:
        msg = f"init failed: {detail}"
    return GuestInitError(msg, where=where)


def handle_error(tag: str, payload: str | None, op: str, where: str) -> WireError:
    """The error for a `handle-err` case (Metatype's wording)."""
    if tag == "no-handler":
        return NoHandler(f"materializer doesn't implement handler for op {op}", where=where)
    if tag == "in-json-err":
        return GuestInJsonError(
            f"materializer failed deserializing json args for op {op}: {payload}", where=where
        )
    return HandlerError(f"materializer handler error for op {op}: {payload}", where=where)
