"""The two ways to call a guest's `mat-wire`, chosen once per component.

The fast path (`wire.fastpath`) serves components with exactly wit-wire's signatures
(12 to 25 times faster for small payloads); anything else goes through wasmtime-py's generic
component API. Both give the same results and errors. `WIRE_FAST_PATH=0` forces the
generic path, for comparison or diagnosis.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Literal, Protocol

import wasmtime
from wasmtime.component import Component, Func, Instance, Linker, Record, Variant

from typegraph.model import Materializer

from .errors import ComponentLoadError
from .fastpath import WitWireFuncs, WitWirePlan, add_hostcall
from .protocol import MAT_WIRE, METATYPE_VERSION, TYPEGATE_WIRE

# (True, json) | (False, (handle-err case, payload))
HandleOutcome = tuple[Literal[True], str] | tuple[Literal[False], tuple[str, str | None]]
# None when init succeeded, else (init-error case, detail; the op name for unexpected-mat)
InitOutcome = tuple[str, str] | None
Dispatch = Callable[[str, str], tuple[bool, str]]


class GuestCalls(Protocol):
    def init(self, store: wasmtime.Store, ops: list[Materializer]) -> InitOutcome: ...

    def handle(self, store: wasmtime.Store, op: str, in_json: str) -> HandleOutcome: ...

    def close(self) -> None:
        """Let go of what the calls hold (before their store is closed)."""


class _FastCalls:
    __slots__ = ("_f",)

    def __init__(self, funcs: WitWireFuncs) -> None:
        self._f = funcs

    def init(self, store: wasmtime.Store, ops: list[Materializer]) -> InitOutcome:
        res = self._f.init(
            store, METATYPE_VERSION, [(m.op, m.title, m.hash, m.data_json) for m in ops]
        )
        if res[0] == "ok":
            return None if res[1] else ("other", "init returned ok: false")
        detail = res[2]
        return (res[1], detail if isinstance(detail, str) else detail.op_name)

    def handle(self, store: wasmtime.Store, op: str, in_json: str) -> HandleOutcome:
        return self._f.handle(store, op, in_json)

    def close(self) -> None:
        self._f.close()


class _GenericCalls:
    __slots__ = ("_handle", "_init")

    def __init__(self, init: Func, handle: Func) -> None:
        self._init = init
        self._handle = handle

    def init(self, store: wasmtime.Store, ops: list[Materializer]) -> InitOutcome:
        args = Record()
        setattr(args, "metatype-version", METATYPE_VERSION)
        infos = []
        for m in ops:
            info = Record()
            for k, v in (
                ("op-name", m.op),
                ("mat-title", m.title),
                ("mat-hash", m.hash),
                ("mat-data-json", m.data_json),
            ):
                setattr(info, k, v)
            infos.append(info)
        setattr(args, "expected-ops", infos)
        res = self._init(store, args)
        self._init.post_return(store)
        if isinstance(res, Variant):
            payload = res.payload
            detail = getattr(payload, "op-name", None) if res.tag == "unexpected-mat" else payload
            return (res.tag, str(detail))
        return None if getattr(res, "ok", False) else ("other", "init returned ok: false")

    def handle(self, store: wasmtime.Store, op: str, in_json: str) -> HandleOutcome:
        req = Record()
        setattr(req, "op-name", op)
        setattr(req, "in-json", in_json)
        res = self._handle(store, req)
        self._handle.post_return(store)
        if isinstance(res, str):
            return (True, res)
        if isinstance(res, Variant):
            return (False, (res.tag, res.payload))
        raise TypeError(f"unexpected value from handle: {res!r}")

    def close(self) -> None:
        pass


class CallPath:
    """How one component's instances are linked and called: `fast` or `generic`."""

    def __init__(self, engine: wasmtime.Engine, component: Component, *, fast: bool) -> None:
        self._plan = WitWirePlan.for_component(engine, component) if fast else None
        self.name = "fast" if self._plan is not None else "generic"

    def link_hostcall(self, linker: Linker, dispatch: Dispatch) -> None:
        if self._plan is not None:
            add_hostcall(linker, dispatch)
            return

        def hostcall(_store: object, op: str, args: str) -> Variant:
            ok, out = dispatch(op, args)
            return Variant("ok" if ok else "err", out)

        with linker.root() as root, root.add_instance(TYPEGATE_WIRE) as iface:
            iface.add_func("hostcall", hostcall)

    def bind(self, store: wasmtime.Store, instance: Instance, where: str) -> GuestCalls:
        if self._plan is not None:
            return _FastCalls(self._plan.bind(store, instance))
        return _GenericCalls(*_exports(store, instance, where))


def fast_path_enabled() -> bool:
    return os.environ.get("WIRE_FAST_PATH", "1") not in ("0", "false", "no")


def _exports(store: wasmtime.Store, instance: Instance, where: str) -> tuple[Func, Func]:
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
