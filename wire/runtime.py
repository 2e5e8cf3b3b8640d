"""A wire runtime of a typegraph: one component, its ops, its instance policy and limits."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from wasmtime.component import Linker

from typegraph import model

from .calls import CallPath, fast_path_enabled
from .components import LoadedComponent, load_component
from .engine import Engine
from .errors import ComponentLoadError, GuestInitError, Overloaded, RecursionLimit, WireError
from .hostcalls import CallerContext, HostcallRegistry
from .instances import (
    Factory,
    FreshInstances,
    GuestInstance,
    GuestStdio,
    I,
    InstanceProvider,
    PooledInstances,
    imports_wasi,
)
from .runtime_kinds import ComponentResolver, RuntimeEnv, register
from .telemetry import metrics

log = logging.getLogger("wire.runtime")
_monotonic = time.monotonic

T = TypeVar("T")

# The caller of the hostcall being served on this thread (guest calls are synchronous on
# their thread, so the innermost entry is always the guest that is calling back).
_callers = threading.local()


def current_caller() -> CallerContext | None:
    stack: list[CallerContext] = getattr(_callers, "stack", [])
    return stack[-1] if stack else None


def default_concurrency(workers: int) -> int:
    """How many calls a runtime runs at once unless its `concurrency` says otherwise: all of
    the host's workers but two (at least one), so a runtime whose guests are all busy leaves
    workers to the other runtimes of its typegraph. A pooled runtime runs at most
    `pool_size`."""
    return max(1, workers - 2)


class StartedRuntime(Generic[I]):
    """What every runtime kind shares: started once (on first use or by `start()`), a
    failed start kept and raised again, an instance policy and guest output to close."""

    max_depth = 16  # guest calls nested through hostcalls, at most

    def __init__(self, spec: model.Runtime, typegraph: str, workers: int | None = None) -> None:
        """`workers`: the host's worker threads, for the default `concurrency`."""
        self.spec = spec
        self.typegraph = typegraph
        self.where = f"{typegraph}/{spec.name}"
        # Calls run at once (None: no limit); a host sets its default (`default_concurrency`).
        self.concurrency: int | None = spec.limits.concurrency
        if self.concurrency is None and workers is not None:
            self.concurrency = default_concurrency(workers)
        self._deadline_s = spec.limits.deadline_ms / 1000
        self.logger = logging.getLogger(f"wire.guest.{typegraph}.{spec.name}")  # its output
        self.failed: WireError | None = None
        self._lock = threading.Lock()
        self._policy: InstanceProvider[I] | None = None
        self._stdio: GuestStdio | None = None

    def start(self) -> None:
        """Load the component and make its instance policy, once. A failure marks this
        runtime failed (every call then reports it) and is raised; it never takes the
        host down. `overloaded` (no instance slot free) is raised alone: the next call
        tries again."""
        with self._lock:
            if self._policy is not None:
                return
            if self.failed is not None:
                raise self.failed
            try:
                self._policy = self._start()
            except Overloaded:
                raise
            except WireError as e:
                self.failed = e
                log.error("runtime %s failed to start: %s", self.where, e)
                raise

    def _start(self) -> InstanceProvider[I]:
        raise NotImplementedError

    def _instances(self, factory: Factory[I]) -> InstanceProvider[I]:
        """The instance policy of `spec.instances` over `factory`. One instance is made
        now: load, link and init errors surface at start, not on the first call."""
        instances = self.spec.instances
        if instances.policy not in ("fresh", "pooled"):
            raise ComponentLoadError(
                f"unknown instance policy '{instances.policy}' (use 'fresh' or 'pooled')",
                where=self.where,
            )
        factory = _counted(factory, metrics.instantiations(self.typegraph, self.spec.name))
        metrics.track_runtime(self)  # its instance use, read when metrics are scraped
        first = factory(None)
        if instances.policy == "fresh":
            fresh = FreshInstances(
                factory, limit=self.concurrency, where=self.where, spares=instances.spares
            )
            fresh.adopt(first)  # unused: the first spare (closed at once without spares)
            return fresh
        pool = PooledInstances(factory, instances.size, limit=self.concurrency, where=self.where)
        pool.adopt(first)  # the checked instance becomes the first warm one
        return pool

    @property
    def policy(self) -> InstanceProvider[I] | None:
        return self._policy

    def run_call(
        self,
        op: str,
        invoke: Callable[[I, float], T],
        *,
        function: str | None = None,
        extra: dict[str, Any] | None = None,
        started: float | None = None,
    ) -> T:
        """`invoke(instance, due)` on an instance of this runtime, as the guest call of
        `function` (its hostcalls see it as their caller); blocking (on a worker thread).

        The runtime's deadline_ms counts from `started` (monotonic; default: now), and
        covers the wait for a place under its concurrency limit, a fresh instance's
        instantiation and `init`, and the call itself: `due` is when it ends."""
        policy = self._policy
        if policy is None:
            self.start()
            policy = self._policy
            assert policy is not None
            started = None  # loading the component is not the guest's time
        stack: list[CallerContext] = _callers.__dict__.setdefault("stack", [])
        if len(stack) >= self.max_depth:
            chain = " -> ".join(f"{c.runtime}.{c.function or '?'}" for c in stack)
            raise RecursionLimit(
                f"guest calls nested deeper than {self.max_depth} ({chain} -> "
                f"{self.spec.name}.{function or op}): is a guest calling itself without end?",
                where=self.where,
            )
        due = (_monotonic() if started is None else started) + self._deadline_s
        ctx = CallerContext(
            self.typegraph, self.spec.name, function, self.logger, extra or {}, due, self.spec.http
        )
        inst = policy.acquire(nested=bool(stack), due=due)
        stack.append(ctx)
        try:
            return invoke(inst, due)
        finally:
            stack.pop()
            policy.release(inst)

    def hostcall_dispatch(
        self, hostcalls: HostcallRegistry
    ) -> Callable[[str, str], tuple[bool, str]]:
        """`hostcall(op, args)` for this runtime's guests: `hostcalls` with the guest call
        being served on this thread as the caller."""
        dispatch = hostcalls.dispatch
        # A hostcall outside a call (during `init`, say) has no caller of its own.
        outside = CallerContext(self.typegraph, self.spec.name, http=self.spec.http)

        def hostcall(op: str, args: str) -> tuple[bool, str]:
            return dispatch(current_caller() or outside, op, args)

        return hostcall

    def close(self) -> None:
        if self._policy is not None:
            self._policy.close()
        if self._stdio is not None:
            self._stdio.close()


def _counted(factory: Factory[I], made: Callable[[], None]) -> Factory[I]:
    """`factory`, counting the instances it makes."""

    def counted(due: float | None) -> I:
        inst = factory(due)
        made()
        return inst

    return counted


class GuestRuntime(StartedRuntime[GuestInstance]):
    """Runs ops of one component under one instance policy. Thread-safe; blocking calls."""

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
        max_depth: int = 16,
        fast_path: bool | None = None,
        workers: int | None = None,
    ) -> None:
        """`workers`: the host's worker threads, for the default `concurrency`."""
        super().__init__(spec, typegraph, workers)
        self.max_depth = max_depth
        self.fast_path = fast_path_enabled() if fast_path is None else fast_path
        self.call_path: CallPath | None = None
        self.base_dir = base_dir
        self.ops = ops
        self.engine = engine
        self.hostcalls = hostcalls
        self._resolve = resolve_component or component_path
        self.loaded: LoadedComponent | None = None
        # Built from a folder holding wire's Python or TypeScript SDK: its glue answers the
        # SDK's own ops (`wire.batch/<op>`, wire.messaging.batch). Another guest may not
        # look at op names.
        sdk = base_dir / spec.component / "wire_sdk"
        self.sdk_glue = (sdk / "glue.py").is_file() or (sdk / "glue.ts").is_file()

    @classmethod
    def for_host(cls, spec: model.Runtime, env: RuntimeEnv) -> GuestRuntime:
        """The `wire` runtime kind: a wit-wire component running the materializers of
        `spec` in `env`'s typegraph."""
        return cls(
            spec,
            typegraph=env.typegraph.name,
            base_dir=env.base_dir,
            ops=env.typegraph.materializers_of(spec.name),
            engine=env.engine,
            hostcalls=env.hostcalls,
            resolve_component=env.resolve_component,
            fast_path=env.fast_path,
            workers=env.workers,
        )

    # -- start-up ---------------------------------------------------------------

    def _start(self) -> InstanceProvider[GuestInstance]:
        path = self._resolve(self.base_dir / self.spec.component)
        self.loaded = load_component(self.engine, path)
        component = self.loaded.component
        self.call_path = call_path = CallPath(self.engine.wasm, component, fast=self.fast_path)
        linker = self._linker(call_path)
        self._stdio = GuestStdio.for_logger(self.logger)
        stdio = self._stdio if imports_wasi(self.engine.wasm, component) else None

        def factory(due: float | None) -> GuestInstance:
            return GuestInstance(
                self.engine,
                component,
                linker,
                call_path,
                self.ops,
                self.spec.limits,
                stdio,
                self.where,
                due,
            )

        return self._instances(factory)

    def _linker(self, path: CallPath) -> Linker:
        linker = Linker(self.engine.wasm)
        linker.add_wasip2()
        path.link_hostcall(linker, self.hostcall_dispatch(self.hostcalls))
        return linker

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
        """Run `op` with `in_json` on an instance; blocking (run it on a worker thread).

        The runtime's deadline_ms counts from `started` (see `run_call`)."""
        return self.run_call(
            op,
            lambda inst, due: inst.handle(op, in_json, due),
            function=function,
            extra=extra,
            started=started,
        )


def component_path(path: Path, build: Callable[..., Path] | None = None) -> Path:
    """A `.wasm` file is used as is; a guest source folder is built (cached by content
    hash) by `build(path, progress=...)` (default: `wire.build.build_guest`, for the
    wit-wire world)."""
    if path.is_dir():
        if build is None:
            from .build import build_guest  # the build tooling is only needed for folders

            build = build_guest
        try:
            return build(path, progress=lambda msg: log.info("%s", msg))
        except WireError:
            raise
        except Exception as e:
            raise ComponentLoadError(f"building the guest failed: {e}", where=str(path)) from e
    if not path.exists():
        raise ComponentLoadError(
            "component not found: give a built .wasm or a guest source folder", where=str(path)
        )
    return path


register("wire", GuestRuntime.for_host)

__all__ = [
    "GuestInitError",
    "GuestRuntime",
    "current_caller",
    "default_concurrency",
]
