"""The ``typegate-wire.hostcall`` import, served without generic marshalling.

One C callback serves every linked hostcall function; the per-link Python
function is found by the integer key wasmtime hands back as ``env``. The
callback checks the argument shape (two strings, one result) before reading
anything, so a component importing ``hostcall`` with another signature gets a
clear error instead of misread memory.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from ctypes import addressof

from wasmtime.component import Linker, LinkerInstance

from . import _abi
from .errors import HostcallSignatureError, raise_call_error, set_pending
from .signature import EXPECTED_HOSTCALL, HOSTCALL_INTERFACE

__all__ = ["HostcallFn", "add_hostcall", "add_hostcall_to"]

HostcallFn = Callable[[str, str], tuple[bool, str]]
"""``fn(op_name, json) -> (ok, s)``: ``(True, s)`` is ``ok(s)``, ``(False, s)`` is ``err(s)``."""

_FUNCS: dict[int, HostcallFn] = {}
_keys = itertools.count(1)  # 0 would arrive as None

# Staging value for the boxed result payload: filled by wasm_byte_vec_new, then
# moved into a Rust box by wasmtime_component_val_new. One per thread: the
# interpreter may switch threads between those two calls.
_local = threading.local()


def _scratch() -> tuple[_abi.StrArg, int]:
    try:
        pair: tuple[_abi.StrArg, int] = _local.scratch
    except AttributeError:
        val = _abi.StrArg()
        pair = _local.scratch = (val, addressof(val))
    return pair


def _check_shape(nargs: int, nresults: int, args: int) -> _abi.TwoStrArgs:
    if nargs == 2 and nresults == 1:
        a = _abi.TwoStrArgs.from_address(args)
        if a.kind0 == _abi.STRING and a.kind1 == _abi.STRING:
            return a
    raise HostcallSignatureError(
        f"the guest imports `{HOSTCALL_INTERFACE}#hostcall` with another signature than "
        f"{EXPECTED_HOSTCALL}; link it through the generic path instead"
    )


def _serve(env: int, args: int, nargs: int, results: int, nresults: int) -> None:
    a = _check_shape(nargs, nresults, args)
    fn = _FUNCS[env]
    ok, out = fn(_abi.decode_utf8(a.data0, a.size0, None), _abi.decode_utf8(a.data1, a.size1, None))
    if ok is not True and ok is not False:
        raise TypeError(
            f"hostcall function must return (bool, str), got ({type(ok).__name__}, ...)"
        )
    if not isinstance(out, str):
        raise TypeError(
            f"hostcall function must return (bool, str), got (bool, {type(out).__name__})"
        )
    b = out.encode()
    scratch, addr = _scratch()
    scratch.kind = _abi.STRING
    _abi.byte_vec_new(addr + 8, len(b), b)  # payload of the string value
    boxed = _abi.val_new(addr)
    res = _abi.ResultVal.from_address(results)
    res.kind = _abi.RESULT
    res.is_ok = ok
    res.val = boxed


@_abi.HOST_CALLBACK
def _callback(env, _ctx, _ty, args, nargs, results, nresults):  # type: ignore[no-untyped-def]
    try:
        _serve(env, args, nargs, results, nresults)
        return 0
    except BaseException as exc:
        set_pending(exc)
        return _abi.error_new(f"hostcall failed: {type(exc).__name__}: {exc}".encode()) or 0


@_abi.HOST_FINALIZER
def _finalize(env):  # type: ignore[no-untyped-def]
    _FUNCS.pop(env or 0, None)


def add_hostcall_to(interface: LinkerInstance, fn: HostcallFn) -> None:
    """Define ``hostcall`` as ``fn`` in an open ``typegate-wire`` linker instance."""
    key = next(_keys)
    _FUNCS[key] = fn
    name = b"hostcall"
    err = _abi.linker_instance_add_func(
        _abi.address_of_pointer(interface.ptr()),
        name,
        len(name),
        _abi.callback_address(_callback),
        key,
        _abi.callback_address(_finalize),
    )
    if err:
        _FUNCS.pop(key, None)
        raise_call_error(err)


def add_hostcall(linker: Linker, fn: HostcallFn) -> None:
    """Link ``metatype:wit-wire/typegate-wire#hostcall`` to ``fn`` on the fast path."""
    with linker.root() as root, root.add_instance(HOSTCALL_INTERFACE) as interface:
        add_hostcall_to(interface, fn)
