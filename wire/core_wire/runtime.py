"""The `core_wire` runtime kind: a core module speaking wit-wire's JSON protocol through
the core ABI of docs/core-wire.md, in the same sandbox, under the same limits and instance
policies, as a wit-wire guest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import wasmtime

from typegraph import model

from ..engine import Engine
from ..errors import ComponentLoadError, WireError
from ..hostcalls import HostcallRegistry
from ..instances import GuestStdio, InstanceProvider, SandboxedInstance
from ..protocol import METATYPE_VERSION, handle_error, init_error, trap_error
from ..runtime import StartedRuntime
from ..runtime_kinds import ComponentResolver, RuntimeEnv, register
from ..slots import slot_error
from . import abi
from .calls import IntFunc
from .errors import GuestAbiError
from .module import load_module

HANDLE_ERRORS = ("no-handler", "in-json-err", "handler-err")
WASM_ERRORS = (wasmtime.Trap, wasmtime.WasmtimeError)  # a trap (Trap is not a WasmtimeError)
INIT_ERRORS = ("version-mismatch", "unexpected-mat", "other")


class CoreInstance(SandboxedInstance):
    """One instance of the module, initialised with its runtime's ops."""

    def __init__(
        self,
        engine: Engine,
        module: wasmtime.Module,
        linker: wasmtime.Linker,
        ops: list[model.Materializer],
        limits: model.Limits,
        stdio: GuestStdio,
        where: str,
        due: float | None = None,
    ) -> None:
        super().__init__(engine, limits, stdio, where, due)
        store = self.store
        try:
            exports = linker.instantiate(store, module).exports(store)
            memory, alloc, handle = exports[abi.MEMORY], exports[abi.ALLOC], exports[abi.HANDLE]
            assert isinstance(memory, wasmtime.Memory)  # checked when the module loaded
            assert isinstance(alloc, wasmtime.Func) and isinstance(handle, wasmtime.Func)
            self.memory = memory
            self._alloc = IntFunc(alloc, 1, "i32")
            self._handle = IntFunc(handle, 2, "i64")
            free = exports.get(abi.FREE)
            self._free = IntFunc(free, 2, None) if isinstance(free, wasmtime.Func) else None
            initialize = exports.get(abi.INITIALIZE)
            if isinstance(initialize, wasmtime.Func):
                IntFunc(initialize, 0, None)(store)
            init = exports.get(abi.INIT)
            if isinstance(init, wasmtime.Func):
                self._init(IntFunc(init, 2, "i64"), ops)
        except WireError:
            self.close()
            raise
        except WASM_ERRORS as e:
            self.close()
            if isinstance(e, wasmtime.Trap) or getattr(e, "trap_code", None) is not None:
                raise trap_error(e, "init", where, limits.deadline_ms) from e
            raise slot_error(e, where) or ComponentLoadError(
                f"cannot instantiate the module: {e}", where=where
            ) from e

    def _init(self, init: IntFunc, ops: list[model.Materializer]) -> None:
        request = orjson.dumps(
            {
                "version": METATYPE_VERSION,
                "ops": [
                    {"name": m.op, "title": m.title, "hash": m.hash, "data": m.data} for m in ops
                ],
            }
        )
        reply = self._exchange(init, request, abi.INIT)
        if reply is None:
            return
        ok, value = abi.parse_reply(reply, f"the reply of {abi.INIT}", self.where)
        if ok:
            if value is not True:
                raise init_error("other", f"{abi.INIT} replied ok: {value!r}, not true", self.where)
            return
        kind = value["kind"]
        if kind not in INIT_ERRORS:
            raise GuestAbiError(
                f"{abi.INIT} replied an error of kind {kind!r} (kinds: {', '.join(INIT_ERRORS)})",
                where=self.where,
            )
        detail = value.get("op") if kind == "unexpected-mat" else value.get("message")
        raise init_error(kind, str(detail), self.where)

    def handle(self, op: str, in_json: str, due: float) -> str:
        """Run `op` on `in_json`; the `ok` JSON of the reply, or the mapped wire error. The
        call traps if it is still running at monotonic time `due`."""
        self._set_due(due)
        request = b'{"op":' + orjson.dumps(op) + b',"input":' + in_json.encode() + b"}"
        try:
            reply = self._exchange(self._handle, request, abi.HANDLE)
        except GuestAbiError:
            self.broken = True
            raise
        except WASM_ERRORS as e:
            self.broken = True
            raise trap_error(e, op, self.where, self.limits.deadline_ms) from e
        what = f"the reply of {abi.HANDLE} for op {op!r}"
        if reply is None:
            self.broken = True
            raise GuestAbiError(f"{what} is empty (ptr 0, len 0)", where=self.where)
        try:
            ok, value = abi.parse_reply(reply, what, self.where)
            if ok:
                return orjson.dumps(value).decode()
            kind = value["kind"]
            if kind not in HANDLE_ERRORS:
                raise GuestAbiError(
                    f"{what} is an error of kind {kind!r} (kinds: {', '.join(HANDLE_ERRORS)})",
                    where=self.where,
                )
        except GuestAbiError:
            self.broken = True
            raise
        message = value.get("message")
        if message is not None and not isinstance(message, str):
            message = orjson.dumps(message).decode()
        raise handle_error(kind, message, op, self.where)

    def _exchange(self, func: IntFunc, request: bytes, name: str) -> bytes | None:
        """Put `request` in the module's memory (through `wire_alloc`), call `func` on it,
        and read its reply (None for a packed 0: no reply)."""
        store, memory = self.store, self.memory
        ptr = self._alloc(store, len(request)) & abi.MASK32
        abi.check_span(store, memory, ptr, len(request), f"{abi.ALLOC}'s buffer", self.where)
        memory.write(store, request, ptr)
        packed = func(store, ptr, len(request))
        if packed == 0:
            return None
        rptr, rlen = abi.unpack(packed)
        reply = abi.read(store, memory, rptr, rlen, f"the reply of {name}", self.where)
        if self._free is not None:
            self._free(store, rptr, rlen)
        return reply


class CoreModuleRuntime(StartedRuntime[CoreInstance]):
    """Runs ops of one core module under one instance policy. Thread-safe; blocking calls."""

    def __init__(
        self,
        spec: model.Runtime,
        *,
        typegraph: str,
        base_dir: Path,
        ops: list[model.Materializer],
        engine: Engine,
        hostcalls: HostcallRegistry,
        resolve_component: ComponentResolver | None = None,
        workers: int | None = None,
    ) -> None:
        super().__init__(spec, typegraph, workers)
        self.base_dir = base_dir
        self.ops = ops
        self.engine = engine
        self.hostcalls = hostcalls
        self._resolve = resolve_component

    @classmethod
    def for_host(cls, spec: model.Runtime, env: RuntimeEnv) -> CoreModuleRuntime:
        """The `core_wire` runtime kind."""
        return cls(
            spec,
            typegraph=env.typegraph.name,
            base_dir=env.base_dir,
            ops=env.typegraph.materializers_of(spec.name),
            engine=env.engine,
            hostcalls=env.hostcalls,
            resolve_component=env.resolve_component,
            workers=env.workers,
        )

    def _start(self) -> InstanceProvider[CoreInstance]:
        module = load_module(self.engine, self._module_path())
        linker = wasmtime.Linker(self.engine.wasm)
        linker.define_wasi()
        linker.define_func(*abi.HOSTCALL, abi.HOSTCALL_TYPE, self._hostcall(), access_caller=True)
        self._stdio = stdio = GuestStdio.for_logger(self.logger)
        ops, limits, where = self.ops, self.spec.limits, self.where

        def factory(due: float | None) -> CoreInstance:
            return CoreInstance(self.engine, module, linker, ops, limits, stdio, where, due)

        return self._instances(factory)

    def _module_path(self) -> Path:
        path = self.base_dir / self.spec.component
        if self._resolve is not None:
            return self._resolve(path)
        if path.is_dir():
            raise ComponentLoadError(
                "a core_wire runtime runs a module (.wasm or .wat), not a folder: build it with "
                "its own toolchain",
                where=str(path),
            )
        if not path.exists():
            raise ComponentLoadError("module not found", where=str(path))
        return path

    def _hostcall(self) -> Any:
        """`wire.hostcall` for the module's instances: the op's name and arguments read from
        the caller's memory, the reply envelope written there through its `wire_alloc`."""
        dispatch = self.hostcall_dispatch(self.hostcalls)
        where = self.where

        def hostcall(
            caller: wasmtime.Caller, op_ptr: int, op_len: int, args_ptr: int, args_len: int
        ) -> int:
            memory, alloc_func = caller[abi.MEMORY], caller[abi.ALLOC]
            assert isinstance(memory, wasmtime.Memory) and isinstance(alloc_func, wasmtime.Func)
            alloc = IntFunc(alloc_func, 1, "i32")
            op = _text(caller, memory, op_ptr, op_len, "the hostcall's op name", where)
            args = _text(
                caller, memory, args_ptr, args_len, f"the arguments of hostcall {op!r}", where
            )
            ok, out = dispatch(op, args)
            reply = (b'{"ok":' if ok else b'{"error":') + out.encode() + b"}"
            ptr = alloc(caller, len(reply)) & abi.MASK32
            abi.check_span(caller, memory, ptr, len(reply), f"{abi.ALLOC}'s buffer", where)
            memory.write(caller, reply, ptr)
            return abi.pack(ptr, len(reply))

        return hostcall

    def call(
        self,
        op: str,
        in_json: str,
        *,
        function: str | None = None,
        extra: dict[str, Any] | None = None,
        started: float | None = None,
    ) -> str:
        """Run `op` with `in_json` on an instance; blocking (run it on a worker thread)."""
        return self.run_call(
            op,
            lambda inst, due: inst.handle(op, in_json, due),
            function=function,
            extra=extra,
            started=started,
        )


def _text(
    store: wasmtime.Caller, memory: wasmtime.Memory, ptr: int, size: int, what: str, where: str
) -> str:
    data = abi.read(store, memory, ptr & abi.MASK32, size & abi.MASK32, what, where)
    try:
        return data.decode()
    except UnicodeDecodeError as e:
        raise GuestAbiError(f"{what} is not UTF-8: {e}", where=where) from None


register("core_wire", CoreModuleRuntime.for_host)
