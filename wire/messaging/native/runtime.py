"""A runtime whose component is written for a messaging world (not wit-wire): the host
links the world's imports natively and delivers each message to the guest's handler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import wasmtime
from wasmtime.component import Component, Instance, Linker

from typegraph import model

from ...components import load_component
from ...engine import Engine
from ...errors import ComponentLoadError, HandlerError, WireError
from ...hostcalls import CallerContext
from ...instances import GuestStdio, InstanceProvider, SandboxedInstance
from ...paths import WIT_DIR
from ...protocol import trap_error
from ...runtime import StartedRuntime, component_path
from ...runtime_kinds import ComponentResolver, RuntimeEnv, register
from ..broker import Delivery
from ..message import Message
from . import wasi, wasmcloud
from .call import Call, Resources, serving
from .engine import sync_engine
from .exports import Handle

if TYPE_CHECKING:
    from ..service import MessagingService

log = logging.getLogger("wire.messaging.native")


@dataclass(frozen=True)
class World:
    """A messaging world the host implements: how to link it and find its handler."""

    name: str  # the document's `world`, e.g. "wasi:messaging@0.2.0-draft"
    export: str  # the handler function, for messages and errors
    wit_dir: Path  # the WIT package guest source folders are built against
    build_world: str  # the world they are built for
    link: Callable[[Linker], None]
    bind: Callable[[wasmtime.Store, Instance, str], Handle]


WORLDS: dict[str, World] = {
    w.name: w
    for w in (
        World(
            wasi.WORLD,
            "handle",
            WIT_DIR / "messaging" / "wasi",
            "messaging-request-reply",
            wasi.link,
            wasi.bind,
        ),
        World(
            wasmcloud.WORLD,
            "handle-message",
            WIT_DIR / "messaging" / "wasmcloud",
            "handler-component",
            wasmcloud.link,
            wasmcloud.bind,
        ),
    )
}


class NotCallable(WireError):
    code = "not_callable"


class NativeInstance(SandboxedInstance):
    """One instance of a messaging-world component, in a sandboxed store."""

    def __init__(
        self,
        engine: Engine,
        component: Component,
        linker: Linker,
        world: World,
        limits: model.Limits,
        stdio: GuestStdio,
        where: str,
        due: float | None = None,
    ) -> None:
        super().__init__(engine, limits, stdio, where, due)
        self.world = world
        self.resources = Resources()
        try:
            instance = linker.instantiate(self.store, component)
        except wasmtime.WasmtimeError as e:
            self.close()
            raise ComponentLoadError(
                f"cannot instantiate the component as a {world.name} handler: {e}", where=where
            ) from e
        self._handle = world.bind(self.store, instance, where)

    def close(self) -> None:
        self.resources = Resources()  # the host objects behind the guest's handles
        super().close()

    def deliver(self, call: Call, message: Message) -> None:
        """Call the guest's handler; raise `HandlerError` if it returns an error, a
        `GuestTrap` (the instance is then broken) if it traps."""
        self._set_deadline()
        try:
            with serving(call):
                err = self._handle(message)
        except wasmtime.WasmtimeError as e:
            self.broken = True
            raise trap_error(e, self.world.export, self.where, self.limits.deadline_ms) from e
        if err is not None:
            raise HandlerError(
                f"the {self.world.export} of {message.topic!r} returned an error: {err}",
                where=self.where,
            )


class NativeRuntime(StartedRuntime[NativeInstance]):
    """Runs one messaging-world component under one instance policy. Thread-safe."""

    call_path = None  # no wit-wire call path

    def __init__(
        self,
        spec: model.Runtime,
        world: World,
        *,
        typegraph: str,
        base_dir: Path,
        engine: Engine,
        resolve_component: ComponentResolver | None = None,
    ) -> None:
        super().__init__(spec, typegraph)
        self.world = world
        self.base_dir = base_dir
        # Not the host's engine itself: its component-model concurrency support makes
        # wasmtime trap on host functions with two borrows (see .engine).
        self.engine = sync_engine(engine)
        self._resolve = resolve_component

    @classmethod
    def for_host(cls, spec: model.Runtime, env: RuntimeEnv) -> NativeRuntime:
        """The `messaging` runtime kind: a component of the messaging world `spec.world`."""
        assert spec.world is not None  # the document's schema requires it for this kind
        return cls(
            spec,
            WORLDS[spec.world],
            typegraph=env.typegraph.name,
            base_dir=env.base_dir,
            engine=env.engine,
            resolve_component=env.resolve_component,
        )

    def _start(self) -> InstanceProvider[NativeInstance]:
        component = load_component(self.engine, self._component_path()).component
        linker = Linker(self.engine.wasm)
        linker.add_wasip2()
        self.world.link(linker)
        self._stdio = stdio = GuestStdio.for_logger(self.logger)
        limits, world, where = self.spec.limits, self.world, self.where

        def factory(due: float | None) -> NativeInstance:
            return NativeInstance(self.engine, component, linker, world, limits, stdio, where, due)

        return self._instances(factory)

    def _component_path(self) -> Path:
        path = self.base_dir / self.spec.component
        if self._resolve is not None and not path.is_dir():
            return self._resolve(path)
        from ...build.componentize import build_python_guest

        # A source folder is a Python guest, built for the world (not for wit-wire).
        world = self.world
        return component_path(
            path, partial(build_python_guest, wit_dir=world.wit_dir, world=world.build_world)
        )

    def deliver(self, svc: MessagingService, function: str, d: Delivery) -> None:
        """Hand `d`'s message to the guest's handler (blocking: on a worker thread)."""
        if self._policy is None:
            self.start()
        policy = self._policy
        assert policy is not None
        ctx = CallerContext(self.typegraph, self.spec.name, function, self.logger)
        inst = policy.acquire()
        try:
            timeout = self.spec.limits.deadline_ms / 1000
            inst.deliver(Call(svc, ctx, d, inst.resources, timeout), d.message)
        finally:
            policy.release(inst)

    def call(self, op: str, in_json: str, **_: Any) -> str:
        raise NotCallable(
            f"runtime {self.spec.name!r} is a {self.world.name} component: its handler runs on "
            "the messages of the channels it is bound to (g.on), it cannot be called",
            where=self.where,
        )


def native_runtime(host: Any, function: str) -> NativeRuntime | None:
    """The messaging-world runtime behind `function` of `host`, if it has one."""
    fn = host.functions.get(function)
    rt = getattr(fn, "runtime", None)
    return rt if isinstance(rt, NativeRuntime) else None


register("messaging", NativeRuntime.for_host)
