"""Calls of a module's ABI functions through wasmtime's C API directly.

Their signatures are known (checked when the module loads) and take and return integers
only, so a call fills an argument array and reads one result. wasmtime-py's `Func.__call__`
looks the function's type up and converts every value generically on each call: ~20 µs a
call, three calls a guest call. Traps and errors come out as wasmtime-py raises them.
"""

from __future__ import annotations

from ctypes import byref
from typing import Literal

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime._func import enter_wasm

Result = Literal["i32", "i64"] | None


class IntFunc:
    """A function of `params` i32 parameters and an i32, i64 or no result."""

    __slots__ = ("_func", "_params", "_result")

    def __init__(self, func: wasmtime.Func, params: int, result: Result) -> None:
        self._func = func._func
        self._params = params
        self._result = result

    def __call__(self, store: wasmtime.Store | wasmtime.Caller, *args: int) -> int:
        """The result (0 when there is none); i32 and i64 results are signed."""
        n = self._params
        params = (ffi.wasmtime_val_t * n)()
        for i, value in enumerate(args):
            params[i].kind = ffi.WASMTIME_I32
            params[i].of.i32 = value
        results = (ffi.wasmtime_val_t * (self._result is not None))()
        with enter_wasm(store) as trap:
            error = ffi.wasmtime_func_call(
                store._context(), byref(self._func), params, n, results, len(results), trap
            )
            if error:
                raise wasmtime.WasmtimeError._from_ptr(error)
        if self._result == "i32":
            return int(results[0].of.i32)
        if self._result == "i64":
            return int(results[0].of.i64)
        return 0
