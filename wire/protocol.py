"""The wit-wire protocol on one instance: `init` once, then `handle` per call.

Error messages keep the meaning of Metatype's typegate for the same variants.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
import wasmtime
from wasmtime.component import Func, Instance, Record, Variant

from .errors import (
    ComponentLoadError,
    DeadlineExceeded,
    GuestInitError,
    GuestInJsonError,
    GuestTrap,
    HandlerError,
    NoHandler,
    WireError,
)

METATYPE_VERSION = "0.5.1"
MAT_WIRE = "metatype:wit-wire/mat-wire"
TYPEGATE_WIRE = "metatype:wit-wire/typegate-wire"


@dataclass(frozen=True)
class MatInfo:
    """One op a runtime expects its component to implement (`mat-info` in the WIT)."""

    op_name: str
    title: str
    data: dict[str, Any]

    @property
    def data_json(self) -> str:
        return orjson.dumps(self.data, option=orjson.OPT_SORT_KEYS).decode()

    @property
    def hash(self) -> str:
        raw = orjson.dumps(
            {"op": self.op_name, "title": self.title, "data": self.data},
            option=orjson.OPT_SORT_KEYS,
        )
        return hashlib.sha256(raw).hexdigest()

    def to_record(self) -> Record:
        r = Record()
        for k, v in (
            ("op-name", self.op_name),
            ("mat-title", self.title),
            ("mat-hash", self.hash),
            ("mat-data-json", self.data_json),
        ):
            setattr(r, k, v)
        return r


def _record(**fields: Any) -> Record:
    r = Record()
    for k, v in fields.items():
        setattr(r, k.replace("_", "-"), v)
    return r


def resolve_exports(store: wasmtime.Store, instance: Instance, where: str) -> tuple[Func, Func]:
    """The (init, handle) functions of `mat-wire`, or a clear error naming what is missing."""
    iface = instance.get_export_index(store, MAT_WIRE)
    if iface is None:
        raise ComponentLoadError(
            f"the component does not export '{MAT_WIRE}': is it built for the wit-wire world "
            "(wit/wit-wire.wit)?",
            where=where,
        )
    funcs = []
    for name in ("init", "handle"):
        idx = instance.get_export_index(store, name, iface)
        fn = instance.get_func(store, idx) if idx is not None else None
        if fn is None:
            raise ComponentLoadError(f"'{MAT_WIRE}' has no function '{name}'", where=where)
        funcs.append(fn)
    return funcs[0], funcs[1]


def trap_error(e: Exception, op: str, where: str, deadline_ms: int) -> WireError:
    """Map a wasmtime trap/error raised during a guest call to a wire error."""
    trap_code = getattr(e, "trap_code", None)
    text = str(e).strip()
    if (trap_code is not None and trap_code.name == "INTERRUPT") or "interrupt" in text:
        return DeadlineExceeded(
            f"op '{op}' ran past its deadline of {deadline_ms} ms and was stopped "
            "(raise limits.deadline_ms on the runtime if it needs longer)",
            where=where,
        )
    return GuestTrap(
        f"op '{op}' trapped: {_trap_reason(text) or type(e).__name__}; the instance was discarded",
        where=where,
        details={"trap": text},
    )


def _trap_reason(text: str) -> str:
    """The cause line of a wasmtime error ("wasm trap: ..."), else its first line."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if "Caused by:" in lines:
        return lines[lines.index("Caused by:") + 1]
    return lines[0] if lines else ""


def call_init(store: wasmtime.Store, init: Func, ops: list[MatInfo], where: str) -> None:
    args = _record(metatype_version=METATYPE_VERSION, expected_ops=[m.to_record() for m in ops])
    try:
        res = init(store, args)
    finally:
        init.post_return(store)
    if isinstance(res, Variant):  # the err case: init-error
        raise GuestInitError(_init_error_message(res), where=where)
    if not getattr(res, "ok", False):
        raise GuestInitError("init returned ok: false", where=where)


def _init_error_message(err: Variant) -> str:
    if err.tag == "version-mismatch":
        return (
            f"init failed: version mismatch: the component wants {err.payload!r}, "
            f"this host speaks metatype-version {METATYPE_VERSION}"
        )
    if err.tag == "unexpected-mat":
        op = getattr(err.payload, "op-name", "?")
        return (
            f"init failed: the component does not implement op '{op}' that the typegraph "
            "binds to it: implement it, or regenerate the SDK and rebuild"
        )
    return f"init failed: {err.payload}"


def handle_error(err: Variant, op: str, where: str) -> WireError:
    """Map a `handle-err` variant to the matching wire error (Metatype's wording)."""
    if err.tag == "no-handler":
        return NoHandler(f"materializer doesn't implement handler for op {op}", where=where)
    if err.tag == "in-json-err":
        return GuestInJsonError(
            f"materializer failed deserializing json args for op {op}: {err.payload}", where=where
        )
    return HandlerError(f"materializer handler error for op {op}: {err.payload}", where=where)


def make_handle_req(op: str, in_json: str) -> Record:
    r = Record()
    setattr(r, "op-name", op)
    setattr(r, "in-json", in_json)
    return r
