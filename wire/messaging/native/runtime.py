"""A runtime whose component is written for a messaging world (not wit-wire): the host
links the world's imports natively and delivers each message to the guest's handler."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import wasmtime
from wasmtime.component import Component, Linker, Record

from typegraph import model

from ...components import load_component
from ...engine import Engine
from ...errors import ComponentLoadError, GuestInitError, HandlerError, WireError
from ...hostcalls import CallerContext
from ...instances import GuestStdio, InstanceProvider, SandboxedInstance
from ...protocol import trap_error
from ...runtime import StartedRuntime, component_path
from ...runtime_kinds import ComponentResolver, RuntimeEnv, register
from ..bindings import Binding
from ..broker import Delivery
from ..errors import InvalidPayload, NotCallable
from ..message import Message
from ..outcome import Failed, Handled, Outcome, Rejected, reason_of
from . import wasi_consumer
from .call import Call, Resources, serving
from .configure import bindings_for
from .engine import sync_engine
from .exports import Handle
from .worlds import WORLDS, World, world_of_component, world_of_source

if TYPE_CHECKING:
    from ..service import MessagingService

log = logging.getLogger("wire.messaging.native")
T = TypeVar("T")


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
        self._handle: Handle | None = None
        self.guest: wasi_consumer.Guest | None = None
        if world.bind_guest is not None:
            self.guest = world.bind_guest(self.store, instance, where)
        else:
            assert world.bind is not None
            self._handle = world.bind(self.store, instance, where)

    def close(self) -> None:
        self.resources = Resources()  # the host objects behind the guest's handles
        super().close()

    def deliver(self, call: Call, message: Message) -> None:
        """Call the guest's handler; raise `HandlerError` if it returns an error, a
        `GuestTrap` (the instance is then broken) if it traps."""
        assert self._handle is not None
        handle = self._handle
        err = self._guest_call(call, lambda: handle(message))
        if err is not None:
            raise HandlerError(
                f"the {self.world.export} of {message.topic!r} returned an error: {err}",
                where=self.where,
            )

    def deliver_batch(self, call: Call, records: list[Record]) -> None:
        """Hand the first draft's `handler` a batch; errors as `deliver`'s."""
        guest = self.guest
        assert guest is not None
        err = self._guest_call(call, lambda: guest.handler(records))
        if err is not None:
            raise HandlerError(
                f"the handler of {len(records)} message(s) returned an error: {err}",
                where=self.where,
            )

    def configure(self, call: Call) -> list[str]:
        """The first draft's `configure`: the channels the guest asks for."""
        guest = self.guest
        assert guest is not None
        return self._guest_call(call, guest.configure, "configure")

    def _guest_call(self, call: Call, fn: Callable[[], T], what: str = "") -> T:
        due = time.monotonic() + self.limits.deadline_ms / 1000
        self._set_deadline(due)
        call.due = due
        try:
            with serving(call):
                return fn()
        except wasmtime.WasmtimeError as e:
            self.broken = True
            raise trap_error(
                e, what or self.world.export, self.where, self.limits.deadline_ms
            ) from e
        except BaseException:  # a host function's own failure ended the call: never reuse it
            self.broken = True
            raise


class NativeRuntime(StartedRuntime[NativeInstance]):
    """Runs one messaging-world component under one instance policy. Thread-safe."""

    call_path = None  # no wit-wire call path

    def __init__(
        self,
        spec: model.Runtime,
        worlds: World | tuple[World, ...],
        *,
        typegraph: str,
        base_dir: Path,
        engine: Engine,
        resolve_component: ComponentResolver | None = None,
    ) -> None:
        super().__init__(spec, typegraph)
        self.worlds = worlds if isinstance(worlds, tuple) else (worlds,)
        self.world = self.worlds[0]  # until the component says which (at start)
        self.base_dir = base_dir
        # Not the host's engine itself: its component-model concurrency support makes
        # wasmtime trap on host functions with two borrows (see .engine).
        self.engine = sync_engine(engine)
        self._resolve = resolve_component
        self._timeout_s = spec.limits.deadline_ms / 1000  # a request's default wait

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
        self.world = world_of_component(self.worlds, component, self.engine)
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
        world = world_of_source(self.worlds, path) if path.is_dir() else self.world
        return component_path(
            path, partial(build_python_guest, wit_dir=world.wit_dir, world=world.build_world)
        )

    def batched(self) -> bool:
        """Whether its handler takes a batch of messages (the first wasi draft). Starts it
        (so, on a worker thread); a runtime that cannot start is not batched: each of its
        deliveries then fails with the reason."""
        try:
            self.start()
        except WireError:
            return False
        return self.world.batched

    def configure(self, svc: MessagingService, function: str) -> list[str]:
        """The channels the first draft's `configure` returns (blocking: on a worker)."""
        self.start()
        policy = self._policy
        assert policy is not None
        ctx = CallerContext(self.typegraph, self.spec.name, function, self.logger)
        inst = policy.acquire()
        try:
            return inst.configure(Call(svc, ctx, None, inst.resources, self._timeout_s))
        except GuestInitError:
            raise
        except WireError as e:  # a trap, its deadline
            raise GuestInitError(f"configure() failed: [{e.code}] {e}", where=self.where) from e
        finally:
            policy.release(inst)

    def deliver_batch(
        self, svc: MessagingService, b: Binding, batch: list[Delivery]
    ) -> list[Outcome]:
        """The first draft: `b`'s deliveries to the guest's `handler` at once (blocking: on
        a worker thread), and what came of each. A message not of its channel's type is
        rejected (dead-lettered) without reaching the guest. One the guest completed is
        handled, one it abandoned a failed attempt; one it left alone is handled when the
        handler returns ok, a failed attempt when it returns an error or traps."""
        ch = svc.channels[b.channel]
        ids: dict[str, Delivery] = {}  # of the messages the guest gets
        records: list[Record] = []
        rids: list[str | Rejected] = []  # per delivery: its id, or why it was rejected
        for d in batch:
            try:
                svc.decode(ch, d.message)
            except InvalidPayload as e:
                rids.append(Rejected(reason_of(e)))
                continue
            rid = uuid.uuid4().hex
            ids[rid] = d
            rids.append(rid)
            records.append(wasi_consumer.to_record(d.message, b.channel, rid))
        said: dict[str, bool] = {}
        failure: str | None = None
        if records:
            ctx = CallerContext(self.typegraph, self.spec.name, b.function, self.logger)
            try:
                self.start()
                policy = self._policy
                assert policy is not None
                inst = policy.acquire()
                try:
                    call = Call(svc, ctx, None, inst.resources, self._timeout_s, batch=ids)
                    said = call.settled
                    inst.deliver_batch(call, records)
                finally:
                    policy.release(inst)
            except Exception as e:
                failure = reason_of(e)
        out: list[Outcome] = []
        for taken in rids:
            if isinstance(taken, Rejected):
                out.append(taken)
            elif said.get(taken) is True:
                out.append(Handled(None))
            elif said.get(taken) is False:
                out.append(Failed(f"[abandoned] the guest abandoned the message ({self.where})"))
            else:
                out.append(Handled(None) if failure is None else Failed(failure))
        return out

    def deliver(self, svc: MessagingService, function: str, d: Delivery) -> None:
        """Hand `d`'s message to the guest's handler (blocking: on a worker thread)."""
        if self._policy is None:
            self.start()
        policy = self._policy
        assert policy is not None
        ctx = CallerContext(self.typegraph, self.spec.name, function, self.logger)
        inst = policy.acquire()
        try:
            inst.deliver(Call(svc, ctx, d, inst.resources, self._timeout_s), d.message)
        finally:
            policy.release(inst)

    def call(self, op: str, in_json: str, **_: Any) -> str:
        raise NotCallable(
            f"runtime {self.spec.name!r} is a {self.world.name} component: its handler runs on "
            "the messages of the channels it is bound to (g.on), it cannot be called",
            where=self.where,
        )


async def configured_bindings(svc: MessagingService) -> list[Binding]:
    """The bindings the first-draft components of `svc`'s host ask for with `configure`
    (called once per runtime, on the worker pool), checked against their grants: bound to
    the runtime's handler function (its first). A runtime that cannot start asks for
    nothing (its start error is its deliveries' failure); `configure` returning an error or
    trapping is `GuestInitError`, a channel it may not use `PermissionDenied`."""
    out: list[Binding] = []
    seen: set[int] = set()
    for fn in svc.host.functions.values():
        rt = fn.runtime
        if not isinstance(rt, NativeRuntime) or id(rt) in seen:
            continue
        seen.add(id(rt))
        if not await svc.host.run(rt.batched):
            continue
        channels = await svc.host.run(partial(rt.configure, svc, fn.name))
        log.info("%s: configure() asks for %s", rt.where, ", ".join(channels) or "no channel")
        out += bindings_for(svc, rt.spec.name, fn.name, channels)
    return out


def native_runtime(host: Any, function: str) -> NativeRuntime | None:
    """The messaging-world runtime behind `function` of `host`, if it has one."""
    fn = host.functions.get(function)
    rt = getattr(fn, "runtime", None)
    return rt if isinstance(rt, NativeRuntime) else None


register("messaging", NativeRuntime.for_host)
