"""The `reflected` runtime kind: a component with typed WIT exports, each served as a
typegraph function. The host checks the typegraph's types against the export's signature
at load, converts arguments and results (see `convert`), and runs the component in the
same sandbox, under the same limits and instance policies, as a wit-wire guest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import wasmtime
from wasmtime.component import Component, ExportIndex, Func, Linker

from typegraph import model

from ..calls import CallPath
from ..components import load_component
from ..engine import Engine
from ..errors import ComponentLoadError, HandlerError, InputInvalid, OutputInvalid
from ..hostcalls import HostcallRegistry
from ..instances import GuestStdio, InstanceProvider, SandboxedInstance
from ..protocol import TYPEGATE_WIRE, trap_error
from ..runtime import StartedRuntime
from ..runtime_kinds import ComponentResolver, RuntimeEnv, register
from .convert import Bad, Convert, Failed, Mismatch, Planner
from .errors import SignatureMismatch
from .exports import Export, Exports


@dataclass(frozen=True)
class Plan:
    """How one typegraph function calls its export."""

    export: Export
    lower: Callable[[dict[str, Any]], list[Any]]  # input -> the export's arguments
    lift: Convert  # the export's result -> output (or a `Failed`)


class ReflectedInstance(SandboxedInstance):
    """One instance of the component, in a sandboxed store."""

    def __init__(
        self,
        engine: Engine,
        component: Component,
        linker: Linker,
        exports: list[ExportIndex],
        limits: model.Limits,
        stdio: GuestStdio,
        where: str,
        due: float | None = None,
    ) -> None:
        super().__init__(engine, limits, stdio, where, due)
        try:
            instance = linker.instantiate(self.store, component)
        except wasmtime.WasmtimeError as e:
            self.close()
            if getattr(e, "trap_code", None) is not None:  # its start function trapped
                raise trap_error(e, "instantiation", where, limits.deadline_ms) from e
            raise ComponentLoadError(f"cannot instantiate the component: {e}", where=where) from e
        self.funcs: dict[int, Func] = {}
        for index in exports:
            func = instance.get_func(self.store, index)
            assert func is not None  # the component's type lists it as a function
            self.funcs[id(index)] = func

    def call(self, export: Export, args: list[Any], due: float) -> Any:
        """Call `export` with `args` (wasmtime-py values); its result, as wasmtime-py gives
        it. A trap (or the deadline at monotonic time `due`) breaks the instance."""
        self._set_due(due)
        func = self.funcs[id(export.index)]
        store = self.store
        try:
            result = func(store, *args)
            func.post_return(store)
        except wasmtime.WasmtimeError as e:
            self.broken = True
            raise trap_error(e, export.path, self.where, self.limits.deadline_ms) from e
        return result


class ExportsRuntime(StartedRuntime[ReflectedInstance]):
    """Serves the exports of one component as the typegraph's functions."""

    def __init__(
        self,
        spec: model.Runtime,
        *,
        typegraph: model.Model,
        base_dir: Path,
        engine: Engine,
        hostcalls: HostcallRegistry,
        resolve_component: ComponentResolver | None = None,
        workers: int | None = None,
    ) -> None:
        super().__init__(spec, typegraph.name, workers)
        self.model = typegraph
        self.base_dir = base_dir
        self.engine = engine
        self.hostcalls = hostcalls
        self._resolve = resolve_component
        self.plans: dict[str, Plan] = {}  # by function
        self._by_op: dict[str, Plan] = {}

    @classmethod
    def for_host(cls, spec: model.Runtime, env: RuntimeEnv) -> ExportsRuntime:
        """The `reflected` runtime kind."""
        return cls(
            spec,
            typegraph=env.typegraph,
            base_dir=env.base_dir,
            engine=env.engine,
            hostcalls=env.hostcalls,
            resolve_component=env.resolve_component,
            workers=env.workers,
        )

    # -- start-up ---------------------------------------------------------------

    def _start(self) -> InstanceProvider[ReflectedInstance]:
        component = load_component(self.engine, self._component_path()).component
        self._check_imports(component)
        exports = Exports(self.engine.wasm, component, self.where)
        self._plan(exports)
        linker = Linker(self.engine.wasm)
        linker.add_wasip2()
        CallPath(self.engine.wasm, component, fast=False).link_hostcall(
            linker, self.hostcall_dispatch(self.hostcalls)
        )
        self._stdio = stdio = GuestStdio.for_logger(self.logger)
        indexes = [p.export.index for p in self.plans.values()]
        limits, where = self.spec.limits, self.where

        def factory(due: float | None) -> ReflectedInstance:
            return ReflectedInstance(
                self.engine, component, linker, indexes, limits, stdio, where, due
            )

        return self._instances(factory)

    def _component_path(self) -> Path:
        path = self.base_dir / self.spec.component
        if self._resolve is not None:
            return self._resolve(path)
        if path.is_dir():
            raise ComponentLoadError(
                "a reflected runtime runs a built .wasm component, not a source folder: build "
                "it with its own toolchain (componentize-py, cargo component, jco, ...)",
                where=str(path),
            )
        if not path.exists():
            raise ComponentLoadError("component not found", where=str(path))
        return path

    def _check_imports(self, component: Component) -> None:
        """Only WASI (without files, environment or network: the store grants none) and
        wit-wire's hostcall are linked; anything else is named here, not at the first
        instantiation."""
        extra = [
            name
            for name in component.type.imports(self.engine.wasm)
            if not name.startswith("wasi:") and name != TYPEGATE_WIRE
        ]
        if extra:
            raise ComponentLoadError(
                f"the component imports {', '.join(extra)}, which the host does not provide: a "
                f"reflected component may import WASI and {TYPEGATE_WIRE}",
                where=self.where,
            )

    def _plan(self, exports: Exports) -> None:
        planner = Planner(self.model.types)
        for policy in self.model.policies.values():
            mat = policy.materializer
            if mat is not None and mat.runtime == self.spec.name:
                raise ComponentLoadError(
                    f"policy {policy.name!r} is decided by the export {mat.op!r}: a reflected "
                    "component cannot decide policies",
                    where=self.where,
                )
        for fn in self.model.functions.values():
            mat = fn.materializer
            if mat.runtime != self.spec.name:
                continue
            export = exports.find(mat.op, fn.name)
            try:
                lower = planner.lower_params(export.type.params, {"kind": "ref", "name": fn.input})
            except Mismatch as e:
                raise self._mismatch(fn.name, export, "input", e) from None
            try:
                lift = planner.lift_result(export.type.result, fn.output)
            except Mismatch as e:
                raise self._mismatch(fn.name, export, "output", e) from None
            self.plans[fn.name] = plan = Plan(export, lower, lift)
            self._by_op.setdefault(mat.op, plan)

    def _mismatch(self, function: str, export: Export, side: str, e: Mismatch) -> SignatureMismatch:
        where = f"{side} field {e.at!r}" if e.at else f"the {side}"
        return SignatureMismatch(
            f"function {function!r} does not fit the export it binds, at {where}: {e.message} "
            f"(the export: {export.signature})",
            where=self.where,
        )

    # -- calls ------------------------------------------------------------------

    def call(
        self,
        op: str,
        in_json: str,
        *,
        function: str | None = None,
        extra: dict[str, Any] | None = None,
        started: float | None = None,
    ) -> str:
        """Call the export `function` binds (or `op` names) with `in_json` converted to its
        parameters; its result converted to the function's output, as JSON."""
        if self.policy is None:
            self.start()
            started = None  # loading the component is not the guest's time
        plan = self.plans.get(function or "") or self._by_op.get(op)
        if plan is None:
            raise ComponentLoadError(
                f"op {op!r} is not bound to a function of this runtime", where=self.where
            )
        name = f"{self.typegraph}.{function or op}"
        try:
            args = plan.lower(orjson.loads(in_json))
        except Bad as e:
            raise _bad(InputInvalid, "invalid arguments for the export", e, name) from None
        result = self.run_call(
            op,
            lambda inst, due: inst.call(plan.export, args, due),
            function=function,
            extra=extra,
            started=started,
        )
        try:
            out = plan.lift(result)
        except Bad as e:
            raise _bad(OutputInvalid, "the export's result cannot be output", e, name) from None
        if isinstance(out, Failed):
            error = out.error
            text = error if isinstance(error, str) else orjson.dumps(error).decode()
            raise HandlerError(
                f"materializer handler error for op {op}: {text}",
                where=self.where,
                details={"error": error},
            )
        return orjson.dumps(out).decode()


def _bad(cls: type[InputInvalid] | type[OutputInvalid], what: str, e: Bad, where: str) -> Exception:
    path = "/".join(str(p) for p in e.path)
    at = f"at /{path}: " if path else ""
    return cls(
        f"{what}: {at}{e.message}", where=where, details=[{"path": path, "message": e.message}]
    )


register("reflected", ExportsRuntime.for_host)
