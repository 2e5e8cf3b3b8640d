"""Calls into a guest's ``mat-wire`` exports with the value structs built once.

The request record for ``handle`` (two named string fields) and both result
slots live for the instance's lifetime; a call only points the two string
fields at freshly encoded bytes (one copy: ``str.encode``), calls the C API
and decodes the result string straight out of wasmtime's buffer (one copy).
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Sequence
from contextlib import suppress
from ctypes import addressof, c_void_p
from typing import Literal, NamedTuple, TypeAlias

from wasmtime import Engine
from wasmtime import _ffi as ffi
from wasmtime._store import Storelike
from wasmtime.component import Component, ExportIndex, Func, Instance

from . import _abi
from .errors import raise_call_error
from .signature import (
    EXPECTED_HANDLE,
    EXPECTED_INIT,
    HOSTCALL_INTERFACE,
    MAT_WIRE_INTERFACE,
    component_mismatches,
    describe_func,
)

__all__ = ["HandleResult", "InitResult", "MatInfoRecord", "WitWireFuncs", "WitWirePlan"]


class MatInfoRecord(NamedTuple):
    """``mat-info``: one operation the host expects the guest to implement."""

    op_name: str
    mat_title: str
    mat_hash: str
    mat_data_json: str


InitResult: TypeAlias = tuple[Literal["ok"], bool] | tuple[Literal["err"], str, str | MatInfoRecord]
"""``("ok", init-response.ok)`` or ``("err", init-error case, its payload)``."""

HandleResult: TypeAlias = tuple[Literal[True], str] | tuple[Literal[False], tuple[str, str | None]]
"""``(True, json-str)`` or ``(False, (handle-err case, its payload or None))``."""

_MAT_INFO_FIELDS = (b"op-name", b"mat-title", b"mat-hash", b"mat-data-json")

# op names repeat (one per materializer): encode each once, process-wide.
_OP_BYTES: dict[str, bytes] = {}
_OP_BYTES_MAX = 4096


def _op_bytes(op: str) -> bytes:
    b = _OP_BYTES.get(op)
    if b is None:
        b = op.encode()
        if len(_OP_BYTES) >= _OP_BYTES_MAX:
            _OP_BYTES.clear()
        _OP_BYTES[op] = b
    return b


def _encode(s: str) -> bytes:
    try:
        return s.encode()
    except AttributeError:
        raise TypeError(f"expected str, got {type(s).__name__}") from None


def _set_name(name: _abi.Name, value: bytes) -> None:
    name.size = len(value)
    name.data = value


def _fill_record(
    entries: ctypes.Array[_abi.Entry], fields: Sequence[bytes], values: Sequence[bytes]
) -> None:
    for entry, field, value in zip(entries, fields, values, strict=True):
        _set_name(entry.name, field)
        entry.val.kind = _abi.STRING
        entry.val.size = len(value)
        entry.val.data = value


def _read_variant(addr: int) -> tuple[str, int | None]:
    v = _abi.VariantOut.from_address(addr)
    return _abi.read_name(v.data, v.size), v.payload


def _read_mat_info(addr: int) -> MatInfoRecord:
    rec = _abi.VecVal.from_address(addr)
    base = rec.data or 0
    fields = [_abi.read_str(base + i * _abi.ENTRY_SIZE + 16) for i in range(rec.size)]
    return MatInfoRecord(*fields)


def _drop_results(*slots: _abi.ResultVal) -> None:
    # The last results are left in their slots for the next call to drop (see _abi).
    for slot in slots:
        _abi.val_delete(addressof(slot))
        slot.kind = _abi.BOOL


def _request_template() -> ctypes.Array[_abi.Entry]:
    entries = (_abi.Entry * 2)()
    _fill_record(entries, _HANDLE_REQ_FIELDS, (b"", b""))
    return entries


# handle-req's two field names point at these module-level bytes: an instance's record
# is a byte copy of the template (cheaper than filling one per fresh instance).
_HANDLE_REQ_FIELDS = (b"op-name", b"in-json")
_HANDLE_REQ = _request_template()
_FuncStruct = type(ffi.wasmtime_component_func_t())


class _InitArg:
    """The lowered-ready argument of ``init`` for one (version, ops): ctypes structures
    that the C API only reads, so every instance of a runtime shares one (they keep
    every encoded string alive as long as they live)."""

    def __init__(self, version: str, ops: tuple[tuple[str, str, str, str], ...]) -> None:
        infos = (_abi.VecVal * len(ops))()
        records = []
        for val, info in zip(infos, ops, strict=True):
            if len(info) != 4:
                raise TypeError(f"mat-info needs 4 strings, got {len(info)}")
            fields = (_abi.Entry * 4)()
            _fill_record(fields, _MAT_INFO_FIELDS, [_encode(s) for s in info])
            records.append(fields)
            val.kind = _abi.RECORD
            val.size = 4
            val.data = addressof(fields)
        top = (_abi.Entry * 2)()
        _set_name(top[0].name, b"metatype-version")
        top[0].val.kind = _abi.STRING
        top[0].val.size = len(vb := _encode(version))
        top[0].val.data = vb
        _set_name(top[1].name, b"expected-ops")
        ops_val = _abi.VecVal.from_buffer(top[1].val)
        ops_val.kind = _abi.LIST
        ops_val.size = len(ops)
        ops_val.data = addressof(infos) if len(ops) else None
        self._keep = (infos, records, top, vb)
        self.arg = _abi.VecVal(kind=_abi.RECORD, size=2, data=addressof(top))


@functools.lru_cache(maxsize=256)  # one per runtime in practice
def _init_arg(version: str, ops: tuple[tuple[str, str, str, str], ...]) -> _InitArg:
    return _InitArg(version, ops)


class WitWireFuncs:
    """``init`` and ``handle`` of one instance, called without generic marshalling.

    Not thread-safe, like the store it belongs to: one object per instance.
    """

    __slots__ = (
        "_closed",
        "_ctx",
        "_handle_fn",
        "_handle_p",
        "_handle_res",
        "_handle_res_p",
        "_in",
        "_init_fn",
        "_init_p",
        "_init_res",
        "_init_res_p",
        "_op",
        "_req",
        "_req_entries",
        "_req_p",
        "_store",
    )

    def __init__(
        self,
        store: Storelike,
        init: ffi.wasmtime_component_func_t,
        handle: ffi.wasmtime_component_func_t,
    ) -> None:
        """`init` and `handle`: the instance's func structs, owned by this object from
        now on (their addresses are passed on every call)."""
        self._closed = True  # until the result slots exist
        self._store = store
        self._ctx = c_void_p(_abi.context_address(store))
        self._init_fn = init
        self._handle_fn = handle
        self._init_p = c_void_p(addressof(init))
        self._handle_p = c_void_p(addressof(handle))

        entries = _HANDLE_REQ.__class__.from_buffer_copy(_HANDLE_REQ)
        self._req_entries = entries
        self._op = entries[0].val
        self._in = entries[1].val
        self._req = _abi.VecVal(kind=_abi.RECORD, size=2, data=addressof(entries))
        self._req_p = c_void_p(addressof(self._req))

        self._init_res = _abi.ResultVal()
        self._handle_res = _abi.ResultVal()
        self._init_res_p = c_void_p(addressof(self._init_res))
        self._handle_res_p = c_void_p(addressof(self._handle_res))
        self._closed = False

    def __del__(self) -> None:
        # A safety net: the instance closes it (before its store) on every path.
        if not self._closed:
            with suppress(Exception):  # at interpreter exit: the process frees it anyway
                self.close()

    @classmethod
    def resolve(cls, store: Storelike, instance: Instance) -> WitWireFuncs | None:
        """The fast calls for ``instance``, or None when its exports differ (use the
        generic path). Reads the export types each time: prefer
        :meth:`WitWirePlan.bind` when the component is at hand."""
        mat = instance.get_export_index(store, MAT_WIRE_INTERFACE)
        if mat is None:
            return None
        funcs: list[Func] = []
        for name, expected in (("init", EXPECTED_INIT), ("handle", EXPECTED_HANDLE)):
            idx = instance.get_export_index(store, name, mat)
            func = instance.get_func(store, idx) if idx is not None else None
            if func is None or describe_func(func.type(store)) != expected:
                return None
            funcs.append(func)
        return cls(store, *(_FuncStruct.from_buffer_copy(f._func) for f in funcs))

    def close(self) -> None:
        """Free the last results now (they would go with this object); call before closing
        the store. The functions must not be called afterwards."""
        if not self._closed:
            self._closed = True
            _drop_results(self._init_res, self._handle_res)

    def _context(self, store: Storelike) -> c_void_p:
        if store is self._store:
            return self._ctx
        return c_void_p(_abi.context_address(store))

    def handle(self, store: Storelike, op_name: str, in_json: str) -> HandleResult:
        """Call ``handle(handle-req{op-name, in-json})``; post-return always follows a
        completed call. Raises like the generic path on a trap (discard the instance)."""
        ctx = self._context(store)
        ob = _op_bytes(op_name) if type(op_name) is str else _encode(op_name)
        ib = _encode(in_json)
        op = self._op
        op.size = len(ob)
        op.data = ob
        arg = self._in
        arg.size = len(ib)
        arg.data = ib
        err = _abi.func_call(self._handle_p, ctx, self._req_p, 1, self._handle_res_p, 1)
        if err:
            raise_call_error(err)
        try:
            res = self._handle_res
            if res.is_ok:
                return (True, _abi.read_str(res.val))
            tag, payload = _read_variant(res.val)
            return (False, (tag, _abi.read_str(payload) if payload else None))
        finally:
            err = _abi.func_post_return(self._handle_p, ctx)
            if err:
                raise_call_error(err)

    def init(
        self, store: Storelike, version: str, ops: Sequence[tuple[str, str, str, str]]
    ) -> InitResult:
        """Call ``init(init-args{metatype-version, expected-ops})``, then post-return."""
        ctx = self._context(store)
        arg = _init_arg(version, tuple(ops)).arg
        err = _abi.func_call(self._init_p, ctx, ctypes.byref(arg), 1, self._init_res_p, 1)
        if err:
            raise_call_error(err)
        try:
            res = self._init_res
            if res.is_ok:
                rec = _abi.VecVal.from_address(res.val)
                ok = ctypes.c_bool.from_address((rec.data or 0) + 16 + 8).value
                return ("ok", ok)
            tag, payload = _read_variant(res.val)
            if not payload:
                raise AssertionError(f"init-error case {tag} without payload")
            detail = _read_mat_info(payload) if tag == "unexpected-mat" else _abi.read_str(payload)
            return ("err", tag, detail)
        finally:
            err = _abi.func_post_return(self._init_p, ctx)
            if err:
                raise_call_error(err)


class WitWirePlan:
    """The fast-path decision for one component, made once (cache it with the
    compiled component); :meth:`bind` then costs two export lookups per instance."""

    __slots__ = ("_handle_at", "_handle_index", "_init_at", "_init_index", "imports_hostcall")

    def __init__(
        self, init_index: ExportIndex, handle_index: ExportIndex, imports_hostcall: bool
    ) -> None:
        self._init_index = init_index  # kept alive: the addresses below point into them
        self._handle_index = handle_index
        self._init_at = c_void_p(_abi.address_of_pointer(init_index.ptr()))
        self._handle_at = c_void_p(_abi.address_of_pointer(handle_index.ptr()))
        self.imports_hostcall = imports_hostcall

    @classmethod
    def for_component(cls, engine: Engine, component: Component) -> WitWirePlan | None:
        """A plan when ``component`` has exactly the wit-wire signatures (its
        ``hostcall`` import too, if any); None means: use the generic path."""
        if component_mismatches(engine, component):
            return None
        mat = component.get_export_index(MAT_WIRE_INTERFACE)
        init = component.get_export_index("init", mat)
        handle = component.get_export_index("handle", mat)
        if init is None or handle is None:
            return None
        imports_hostcall = HOSTCALL_INTERFACE in component.type.imports(engine)
        return cls(init, handle, imports_hostcall)

    def bind(self, store: Storelike, instance: Instance) -> WitWireFuncs:
        # The C API straight into the structs WitWireFuncs keeps: no Func wrappers.
        inst = c_void_p(addressof(instance._instance))
        ctx = c_void_p(_abi.context_address(store))
        init = _FuncStruct()
        handle = _FuncStruct()
        if not (
            _abi.instance_get_func(inst, ctx, self._init_at, addressof(init))
            and _abi.instance_get_func(inst, ctx, self._handle_at, addressof(handle))
        ):
            raise ValueError("instance is not of the component this plan was made for")
        return WitWireFuncs(store, init, handle)
