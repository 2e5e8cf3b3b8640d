"""The core_wire ABI (docs/core-wire.md): what a module exports and imports, how JSON
crosses its memory, and the reply envelope.

Every pointer and length a module hands the host is checked against its memory before the
host reads or writes there: a module that breaks the ABI gets a `GuestAbiError`, and its
instance is discarded, never a host crash.
"""

from __future__ import annotations

from typing import Any

import orjson
import wasmtime

from ..errors import ComponentLoadError
from .errors import GuestAbiError

MEMORY = "memory"
ALLOC = "wire_alloc"  # (len: i32) -> ptr: i32
INIT = "wire_init"  # (ptr: i32, len: i32) -> i64: ptr << 32 | len of the reply; optional
HANDLE = "wire_handle"  # (ptr: i32, len: i32) -> i64, as init
FREE = "wire_free"  # (ptr: i32, len: i32): a reply the host has read; optional
INITIALIZE = "_initialize"  # a WASI reactor's constructor, called once when present
HOSTCALL = ("wire", "hostcall")  # (op ptr, op len, args ptr, args len: i32) -> i64
WASI = "wasi_snapshot_preview1"

I32, I64 = wasmtime.ValType.i32(), wasmtime.ValType.i64()
# name -> (params, results, required)
EXPORTS: dict[str, tuple[list[wasmtime.ValType], list[wasmtime.ValType], bool]] = {
    ALLOC: ([I32], [I32], True),
    HANDLE: ([I32, I32], [I64], True),
    INIT: ([I32, I32], [I64], False),
    FREE: ([I32, I32], [], False),
    INITIALIZE: ([], [], False),
}
HOSTCALL_TYPE = wasmtime.FuncType([I32, I32, I32, I32], [I64])
Storelike = wasmtime.Store | wasmtime.Caller
MASK32 = 0xFFFF_FFFF
MASK64 = 0xFFFF_FFFF_FFFF_FFFF


def _signature(ty: wasmtime.FuncType) -> str:
    return f"({', '.join(map(str, ty.params))}) -> ({', '.join(map(str, ty.results))})"


def _wanted(params: list[wasmtime.ValType], results: list[wasmtime.ValType]) -> str:
    return f"({', '.join(map(str, params))}) -> ({', '.join(map(str, results))})"


def check_module(module: wasmtime.Module, where: str) -> None:
    """A clear error for a module whose exports or imports are not the ABI's."""
    exports = {e.name: e.type for e in module.exports}
    if not isinstance(exports.get(MEMORY), wasmtime.MemoryType):
        raise ComponentLoadError(
            f"the module does not export its memory as {MEMORY!r}", where=where
        )
    memory = exports[MEMORY]
    assert isinstance(memory, wasmtime.MemoryType)
    if memory.is_64:
        raise ComponentLoadError(
            "a 64-bit memory is not supported (core_wire is wasm32)", where=where
        )
    for name, (params, results, required) in EXPORTS.items():
        ty = exports.get(name)
        if ty is None:
            if required:
                raise ComponentLoadError(
                    f"the module does not export {name!r}: a core_wire module exports "
                    f"{MEMORY}, {ALLOC} and {HANDLE} (docs/core-wire.md)",
                    where=where,
                )
            continue
        if not isinstance(ty, wasmtime.FuncType) or (ty.params, ty.results) != (params, results):
            shown = _signature(ty) if isinstance(ty, wasmtime.FuncType) else "not a function"
            raise ComponentLoadError(
                f"the module's {name!r} is {shown}; the ABI wants {_wanted(params, results)}",
                where=where,
            )
    for imp in module.imports:
        if imp.module == WASI:
            continue
        if (imp.module, imp.name) == HOSTCALL:
            ty = imp.type
            if not isinstance(ty, wasmtime.FuncType) or (ty.params, ty.results) != (
                HOSTCALL_TYPE.params,
                HOSTCALL_TYPE.results,
            ):
                raise ComponentLoadError(
                    f"the module imports wire.hostcall as something other than "
                    f"{_signature(HOSTCALL_TYPE)}",
                    where=where,
                )
            continue
        raise ComponentLoadError(
            f"the module imports {imp.module}.{imp.name}, which the host does not provide: a "
            f"core_wire module may import wire.hostcall and {WASI} (without files, "
            "environment or network)",
            where=where,
        )


def unpack(packed: int) -> tuple[int, int]:
    """(ptr, len) of an i64 `ptr << 32 | len`."""
    packed &= MASK64
    return packed >> 32, packed & MASK32


def pack(ptr: int, size: int) -> int:
    """The i64 `ptr << 32 | len` (signed, as wasm's i64 is)."""
    packed = ptr << 32 | size
    return packed - (1 << 64) if packed >= 1 << 63 else packed


def check_span(
    store: Storelike, memory: wasmtime.Memory, ptr: int, size: int, what: str, where: str
) -> None:
    limit = memory.data_len(store)
    if ptr + size > limit:
        raise GuestAbiError(
            f"{what} at {ptr}..{ptr + size} (ptr {ptr}, len {size}) lies outside the module's "
            f"memory of {limit} bytes",
            where=where,
        )


def read(
    store: Storelike, memory: wasmtime.Memory, ptr: int, size: int, what: str, where: str
) -> bytes:
    check_span(store, memory, ptr, size, what, where)
    return bytes(memory.read(store, ptr, ptr + size))


def parse_reply(data: bytes, what: str, where: str) -> tuple[bool, Any]:
    """(True, the `ok` value) or (False, the `error` object) of a reply envelope."""
    try:
        reply = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise GuestAbiError(f"{what} is not JSON ({e}): {data[:80]!r}", where=where) from None
    if isinstance(reply, dict) and len(reply) == 1:
        if "ok" in reply:
            return True, reply["ok"]
        error = reply.get("error")
        if isinstance(error, dict) and isinstance(error.get("kind"), str):
            return False, error
    raise GuestAbiError(
        f'{what} is not {{"ok": value}} or {{"error": {{"kind": ..., "message": ...}}}}: '
        f"{data[:80]!r}",
        where=where,
    )
