"""Raw access to the wasmtime C API's component values, for the wit-wire shapes only.

Mirrors the C layout of ``wasmtime_component_val_t`` (a ``u8`` tag, then an
8-byte-aligned 24-byte payload) with small, purpose-built ctypes structures, so
that a call writes four fields and reads two instead of walking wasmtime-py's
generic converters. Layout facts relied on (wasmtime 50 C API):

* call arguments are borrowed (``const``): wasmtime copies them, so string
  payloads may point straight into Python ``bytes`` objects;
* results are assigned with Rust ``*slot = value``: the slot's previous value
  is dropped, so a result slot must always hold a valid (Rust-owned or plain)
  value; we leave the last result there and let the next call (or the
  finalizer) drop it;
* host-function results are dropped by wasmtime after the callback, so they
  must be Rust-allocated (``wasm_byte_vec_new`` + ``wasmtime_component_val_new``).
"""

from __future__ import annotations

import ctypes
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_bool,
    c_char_p,
    c_size_t,
    c_ssize_t,
    c_uint8,
    c_uint64,
    c_void_p,
    py_object,
)
from typing import Any

from wasmtime import _ffi as ffi
from wasmtime._store import Storelike

# Value tags (wasmtime_component_valkind_t).
BOOL = 0
STRING = 12
LIST = 13
RECORD = 14
VARIANT = 16
RESULT = 19

VAL_SIZE = 32  # sizeof(wasmtime_component_val_t)
ENTRY_SIZE = 48  # sizeof(wasmtime_component_valrecord_entry_t): name + val


class Name(Structure):
    """``wasm_name_t`` borrowed from Python: ``data`` points into a ``bytes``."""

    _fields_ = [("size", c_size_t), ("data", c_char_p)]


class StrArg(Structure):
    """A string value whose bytes are owned by Python (call arguments only)."""

    _fields_ = [("kind", c_uint8), ("size", c_size_t), ("data", c_char_p), ("_tail", c_void_p)]


class VecVal(Structure):
    """A record or list value: ``{size, data}`` payload (also used to read them)."""

    _fields_ = [("kind", c_uint8), ("size", c_size_t), ("data", c_void_p), ("_tail", c_void_p)]


class Entry(Structure):
    """``wasmtime_component_valrecord_entry_t`` holding a string value."""

    _fields_ = [("name", Name), ("val", StrArg)]


class ResultVal(Structure):
    """``result`` value: ``is_ok`` and a boxed payload (NULL for no payload)."""

    _fields_ = [
        ("kind", c_uint8),
        ("_pad", c_uint8 * 7),
        ("is_ok", c_bool),
        ("_pad2", c_uint8 * 7),
        ("val", c_void_p),
        ("_tail", c_void_p),
    ]


class StrOut(Structure):
    """Reads a Rust-owned string value (or a variant's discriminant name)."""

    _fields_ = [("kind", c_uint8), ("size", c_size_t), ("data", c_void_p)]


class VariantOut(Structure):
    """Reads a variant value: discriminant name and boxed payload."""

    _fields_ = [("kind", c_uint8), ("size", c_size_t), ("data", c_void_p), ("payload", c_void_p)]


class TwoStrArgs(Structure):
    """Reads a host function's two arguments (two string values, 32 bytes apart)."""

    _fields_ = [
        ("kind0", c_uint8),
        ("size0", c_size_t),
        ("data0", c_void_p),
        ("_t0", c_void_p),
        ("kind1", c_uint8),
        ("size1", c_size_t),
        ("data1", c_void_p),
        ("_t1", c_void_p),
    ]


def _check_layout() -> None:
    # Guard against a wasmtime upgrade changing the value layout under us.
    assert ctypes.sizeof(ffi.wasmtime_component_val_t) == VAL_SIZE
    assert ctypes.sizeof(ffi.wasmtime_component_valrecord_entry) == ENTRY_SIZE
    for cls in (StrArg, VecVal, ResultVal):
        assert ctypes.sizeof(cls) == VAL_SIZE, cls
    assert ctypes.sizeof(Entry) == ENTRY_SIZE


_check_layout()


def _fn(lib: ctypes.CDLL, name: str, restype: Any, *argtypes: Any) -> Any:
    # ``lib[name]`` returns a fresh function object: setting our own argtypes on it
    # leaves wasmtime-py's bindings (``lib.name``) untouched.
    f = lib[name]
    f.restype = restype
    if argtypes:
        f.argtypes = argtypes
    return f


# A PyDLL handle on the same library: its calls keep the GIL, cheaper than a
# release/re-acquire around a ~100 ns helper.
_nogil = ctypes.PyDLL(str(ffi.filename))

# The guest call goes through the CDLL: ctypes releases the GIL while wasm runs.
# argtypes stay unset: callers pass prebuilt c_void_p objects, which is faster
# than per-call argument conversion.
func_call = _fn(ffi.dll, "wasmtime_component_func_call", c_void_p)
# post-return keeps the GIL. Since wasmtime PR #12498 (in 50.x) the guest's post-return
# runs inside the call and this is a no-op kept for the API contract (and older
# wasmtimes, where it runs the guest's cleanup hook, bounded by the epoch deadline).
# Releasing the GIL around it costs a second hand-off per call: with two threads
# on a ~35 us guest, 1.3x -> 1.7x throughput once it is gone.
func_post_return = _fn(_nogil, "wasmtime_component_func_post_return", c_void_p)
byte_vec_new = _fn(_nogil, "wasm_byte_vec_new", None, c_void_p, c_size_t, c_char_p)
# Before every call: through the CDLL it would be one more GIL hand-off per call, and
# under load (a busy event loop holding the GIL) each hand-off is a wait.
set_epoch_deadline = _fn(_nogil, "wasmtime_context_set_epoch_deadline", None, c_void_p, c_uint64)
increment_epoch = _fn(_nogil, "wasmtime_engine_increment_epoch", None, c_void_p)
instance_get_func = _fn(
    _nogil, "wasmtime_component_instance_get_func", c_bool, c_void_p, c_void_p, c_void_p, c_void_p
)
# A store's making, in three GIL-keeping calls (see store.LeanStore); its freeing stays
# on wasmtime-py's CDLL path: dropping a big guest's instances takes a while.
store_new = _fn(
    _nogil, "wasmtime_store_new", POINTER(ffi.wasmtime_store_t), c_void_p, c_void_p, c_void_p
)
store_context = _fn(
    _nogil, "wasmtime_store_context", POINTER(ffi.wasmtime_context_t), POINTER(ffi.wasmtime_store_t)
)
store_limiter = _fn(
    _nogil,
    "wasmtime_store_limiter",
    None,
    POINTER(ffi.wasmtime_store_t),
    ctypes.c_int64,
    ctypes.c_int64,
    ctypes.c_int64,
    ctypes.c_int64,
    ctypes.c_int64,
)
val_new = _fn(_nogil, "wasmtime_component_val_new", c_void_p, c_void_p)
val_delete = _fn(_nogil, "wasmtime_component_val_delete", None, c_void_p)
error_new = _fn(_nogil, "wasmtime_error_new", c_void_p, c_char_p)
linker_instance_add_func = _fn(
    _nogil,
    "wasmtime_component_linker_instance_add_func",
    c_void_p,
    c_void_p,
    c_char_p,
    c_size_t,
    c_void_p,
    c_void_p,
    c_void_p,
)

# UTF-8 straight from wasmtime's buffer into a str: the one copy on the way out.
decode_utf8 = _fn(
    ctypes.pythonapi, "PyUnicode_DecodeUTF8", py_object, c_void_p, c_ssize_t, c_void_p
)

# (env, context, func type, args, nargs, results, nresults) -> wasmtime_error_t*
HOST_CALLBACK = CFUNCTYPE(
    c_size_t, c_void_p, c_void_p, c_void_p, c_void_p, c_size_t, c_void_p, c_size_t
)
HOST_FINALIZER = CFUNCTYPE(None, c_void_p)


def read_str(addr: int) -> str:
    """Decode the string value at ``addr`` (a ``wasmtime_component_val_t*``)."""
    s = StrOut.from_address(addr)
    text: str = decode_utf8(s.data, s.size, None)
    return text


def read_name(data: int | None, size: int) -> str:
    return ctypes.string_at(data or 0, size).decode() if size else ""


def context_address(store: Storelike) -> int:
    """Address of the store's ``wasmtime_context_t``, stable for the store's life (a
    LeanStore carries it)."""
    known: int = getattr(store, "context_at", 0)
    return known or address_of_pointer(store._context())


def address_of_pointer(ptr: Any) -> int:
    """The address held by a ctypes pointer object (e.g. a wasmtime-py ``ptr()``).

    Read from the pointer's own bytes: ``ctypes.cast`` would tie the pointer into a
    reference cycle, kept (with every store's context pointer) until the GC runs.
    """
    addr = c_void_p.from_buffer_copy(ptr).value
    assert addr
    return addr


def callback_address(cb: Any) -> int:
    addr = ctypes.cast(cb, c_void_p).value
    assert addr
    return addr


def error_pointer(addr: int) -> Any:
    """A ``wasmtime_error_t*`` as wasmtime-py's error constructor wants it (made from the
    address's bytes: no ``ctypes.cast`` reference cycle, see `address_of_pointer`)."""
    return _ERROR_P.from_buffer_copy(c_void_p(addr))


_ERROR_P = POINTER(ffi.wasmtime_error_t)
