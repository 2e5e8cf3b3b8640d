"""Guest instances and the per-runtime instance policies (fresh per call, or pooled).

Each instance owns its store: its memory cap, its WASI context (no preopened
directories, no environment, no network; stdout/stderr go to the host log) and its
epoch deadline. A trapped instance is discarded, never reused.

Stores are freed when the host is done with them, never left to the garbage collector: a
fresh instance when its call ends, a broken or overflow one when it is released, idle
pooled ones when the pool closes. (A trap's exception keeps the instance referenced from a
reference cycle, so waiting for reference counting is not enough: 6 workers trapping
128 MiB guests held 4.2 GB until the GC ran.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import wasmtime
from wasmtime.component import Component, Linker

from typegraph.model import Limits, Materializer

from .calls import CallPath, GuestCalls, HandleOutcome, InitOutcome
from .engine import Engine
from .errors import Overloaded, WireError
from .fastpath.store import LeanStore
from .guest_output import OutputPipe
from .protocol import handle_error, init_error, trap_error
from .slots import slot_error
from .workers import blocking

log = logging.getLogger("wire.instances")


@dataclass(frozen=True)
class GuestStdio:
    """Where a runtime's guests write: pipes read into its logger (see guest_output)."""

    stdout: OutputPipe
    stderr: OutputPipe

    @classmethod
    def for_logger(cls, logger: logging.Logger) -> GuestStdio:
        return cls(OutputPipe(logger, logging.INFO), OutputPipe(logger, logging.WARNING))

    def close(self) -> None:
        """Log what the guests wrote so far and close the pipes."""
        self.stdout.close()
        self.stderr.close()


def imports_wasi(engine: wasmtime.Engine, component: Component) -> bool:
    """Whether `component` imports any WASI interface: one that imports none gets a store
    without WASI state (opening its output files is most of a small instance's set-up)."""
    return any(name.startswith("wasi:") for name in component.type.imports(engine))


class SandboxedInstance:
    """The store every guest instance runs in: its memory cap, WASI without directories,
    environment or network (stdout/stderr to the runtime's pipes), its epoch deadline.

    `due` is the monotonic time by which a guest call on it must end (default: the
    runtime's deadline_ms from now); instantiation and `init` run under it too."""

    def __init__(
        self,
        engine: Engine,
        limits: Limits,
        stdio: GuestStdio | None,
        where: str,
        due: float | None = None,
    ) -> None:
        self.limits = limits
        self.where = where
        self.broken = False
        self.overflow = False  # a temporary instance beyond a pool's size (nested calls)
        store = LeanStore(engine.wasm, limits.memory_bytes)
        if stdio is not None:  # None: the component imports no WASI (see imports_wasi)
            wasi = wasmtime.WasiConfig()
            wasi.stdout_file = stdio.stdout.path
            wasi.stderr_file = stdio.stderr.path
            store.set_wasi(wasi)
        self.store = store
        self._set_due = engine.deadline_setter(store)
        self._set_deadline(due)

    def _set_deadline(self, due: float | None = None) -> None:
        """Trap (interrupt) a guest call still running at monotonic time `due`; default:
        the runtime's deadline_ms from now."""
        if due is None:
            due = time.monotonic() + self.limits.deadline_ms / 1000
        self._set_due(due)

    def close(self) -> None:
        """Free the store now: the guest's memory, instances and WASI state. The instance
        must not be called afterwards."""
        self.broken = True
        self.store.close()


class _Closed:
    """The calls of a closed instance: a bug in the host if ever reached."""

    def init(self, store: wasmtime.Store, ops: list[Materializer]) -> InitOutcome:
        raise RuntimeError("guest instance used after close")

    def handle(self, store: wasmtime.Store, op: str, in_json: str) -> HandleOutcome:
        raise RuntimeError("guest instance used after close")

    def close(self) -> None:
        pass


class GuestInstance(SandboxedInstance):
    """One instantiated component, initialised with its runtime's ops."""

    def __init__(
        self,
        engine: Engine,
        component: Component,
        linker: Linker,
        path: CallPath,
        ops: list[Materializer],
        limits: Limits,
        stdio: GuestStdio | None,
        where: str,
        due: float | None = None,
    ) -> None:
        super().__init__(engine, limits, stdio, where, due)
        store = self.store
        self._calls: GuestCalls = _CLOSED
        try:
            instance = linker.instantiate(store, component)
            self._calls = path.bind(store, instance, where)
            failed = self._calls.init(store, ops)
        except WireError:
            self.close()
            raise
        except wasmtime.WasmtimeError as e:
            self.close()
            raise slot_error(e, where) or trap_error(e, "init", where, limits.deadline_ms) from e
        if failed is not None:
            self.close()
            raise init_error(*failed, where)

    def handle(self, op: str, in_json: str, due: float) -> str:
        """Call `handle`; return the guest's JSON string or raise the mapped wire error.
        The call traps if it is still running at monotonic time `due`."""
        store = self.store
        self._set_due(due)
        try:
            res = self._calls.handle(store, op, in_json)
        except wasmtime.WasmtimeError as e:
            self.broken = True
            raise trap_error(e, op, self.where, self.limits.deadline_ms) from e
        if res[0]:
            return res[1]
        tag, payload = res[1]
        raise handle_error(tag, payload, op, self.where)

    def close(self) -> None:
        self._calls.close()  # the last result the fast path holds
        self._calls = _CLOSED
        super().close()


_CLOSED = _Closed()


class ProvidedInstance(Protocol):
    """What an instance policy needs of the instances it hands out."""

    broken: bool  # trapped: never reused
    overflow: bool  # a temporary instance beyond a pool's size

    def close(self) -> None: ...


I = TypeVar("I", bound=ProvidedInstance)  # noqa: E741
# Makes an initialised instance whose calls must end by the monotonic time given (None:
# the runtime's deadline from now).
Factory = Callable[[float | None], I]


class InstanceProvider(Generic[I]):
    """How a runtime gets an instance for a call and what happens to it afterwards.

    At most `limit` calls hold an instance at once (None: no limit; nested calls are not
    held back). A call beyond it waits for one to end, handing its worker to other work
    meanwhile (`wire.workers.blocking`), and fails with `Overloaded` when its deadline
    passes first. Instances it lets go of are closed at once.
    """

    name = "abstract"

    def __init__(self, factory: Factory[I], *, limit: int | None, where: str) -> None:
        if limit is not None and limit < 1:
            raise ValueError("a concurrency limit must be at least 1")
        self.factory = factory
        self.limit = limit
        self.where = where
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._busy = 0  # calls holding an instance, nested ones included
        self._waiting = 0  # calls waiting for the limit
        self._closed = False

    @property
    def in_use(self) -> int:
        """Calls holding an instance now (nested ones included)."""
        return self._busy

    @property
    def waiting(self) -> int:
        """Calls waiting for a place under the concurrency limit."""
        return self._waiting

    def idle(self) -> int:
        """Instances ready for a call: warm pooled ones, or fresh spares."""
        return 0

    def acquire(self, *, nested: bool = False, due: float | None = None) -> I:
        """An initialised instance, for a call that must end by monotonic time `due`.
        `nested`: the caller is itself inside a guest call on this thread (a hostcall
        re-entering the host), so it must never wait for another."""
        raise NotImplementedError

    def release(self, inst: I) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Calls waiting for the limit give up; instances released from now on are freed."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _enter(self, nested: bool, due: float | None) -> None:
        """Count a call in (the condition's lock held), waiting for room if at the limit."""
        limit = self.limit
        if nested or limit is None or self._busy < limit:
            self._busy += 1
            return
        since = time.monotonic()
        with blocking():
            while self._busy >= limit:
                remaining = None if due is None else due - time.monotonic()
                if self._closed or (remaining is not None and remaining <= 0):
                    raise self._overloaded(since)
                self._waiting += 1
                try:
                    self._cond.wait(remaining)
                finally:
                    self._waiting -= 1
        self._busy += 1

    def _leave(self) -> None:
        """Count a call out (the condition's lock held) and let a waiting one in."""
        self._busy -= 1
        if self._waiting:
            self._cond.notify()

    def _overloaded(self, since: float) -> Overloaded:
        waited = round((time.monotonic() - since) * 1000)
        if self._closed:
            return Overloaded(
                f"gave up after waiting {waited} ms for a guest instance: the host is closing",
                where=self.where,
            )
        return Overloaded(
            f"gave up after waiting {waited} ms for a guest instance: the {self.limit} calls "
            "this runtime may run at once (its concurrency limit) were all still running when "
            "the call's deadline passed; raise the runtime's concurrency "
            "(WireRuntime(concurrency=...)) or its deadline_ms, or send fewer calls at once",
            where=self.where,
        )


class FreshInstances(InstanceProvider[I]):
    """A new instance per call: no state survives between calls (isolation).

    With `spares` > 0 a background thread (the maker) keeps that many instances made and
    initialised ahead of their call, each still used for one call only, and frees used
    ones after their call: a call then pays for neither instantiation, `init` nor teardown
    while the maker keeps up (both run outside the GIL, on another core). A call that finds
    no spare makes its own, as with `spares=0`. At most `spares` used instances wait to be
    freed; beyond that a call frees its own as it ends."""

    name = "fresh"

    def __init__(
        self, factory: Factory[I], *, limit: int | None, where: str, spares: int = 0
    ) -> None:
        if spares < 0:
            raise ValueError("spares must be at least 0")
        super().__init__(factory, limit=limit, where=where)
        self.spares = spares
        self._ready: deque[I] = deque()  # made and initialised, never called
        self._used: list[I] = []  # called, waiting for the maker to free them
        self._maker_wakes = threading.Condition(self._lock)
        self._maker: threading.Thread | None = None
        if spares:
            self._maker = threading.Thread(
                target=self._make_spares, name=f"wire-spares {where}", daemon=True
            )
            self._maker.start()

    def acquire(self, *, nested: bool = False, due: float | None = None) -> I:
        with self._cond:
            self._enter(nested, due)
            if self._ready:
                return self._ready.popleft()  # the maker replaces it once the call ends
        try:
            return self.factory(due)
        except BaseException:
            with self._cond:
                self._leave()
            raise

    def release(self, inst: I) -> None:
        # The maker starts on the next spare only now: while a call runs it would compete
        # with it for the GIL between its own C calls.
        with self._cond:
            maker = self._maker is not None and not self._closed
            if maker and len(self._used) < self.spares:
                self._used.append(inst)
                self._maker_wakes.notify()
                self._leave()
                return
        inst.close()  # before the next call is let in: its memory is gone by then
        with self._cond:
            if maker:
                self._maker_wakes.notify()
            self._leave()

    def adopt(self, inst: I) -> None:
        """Take an initialised, never called instance as a spare (freed without spares)."""
        with self._cond:
            if self._maker is not None and not self._closed:
                self._ready.append(inst)
                return
        inst.close()

    def idle(self) -> int:
        """Spare instances ready for a call."""
        return len(self._ready)

    def close(self) -> None:
        """Stop the maker and free the spares and the used instances it still holds."""
        super().close()
        with self._cond:
            self._maker_wakes.notify_all()
        if self._maker is not None:
            self._maker.join()
        with self._cond:
            left = [*self._ready, *self._used]
            self._ready.clear()
            self._used.clear()
        for inst in left:
            inst.close()

    def _make_spares(self) -> None:
        """The maker: free used instances, keep `spares` ready, until the provider closes."""
        failures = 0
        while True:
            with self._cond:
                while not self._closed and not self._used and len(self._ready) >= self.spares:
                    self._maker_wakes.wait()
                if self._closed:
                    return
                used, self._used = self._used, []
                short = len(self._ready) < self.spares
            for inst in used:
                inst.close()
            if not short:
                continue
            try:
                inst = self.factory(None)
            except Exception as e:  # a call that finds no spare makes its own and reports
                failures += 1
                log.warning("making a spare instance of %s failed: %s", self.where, e)
                with self._cond:  # back off (up to 5 s), or until the provider closes
                    self._maker_wakes.wait(min(5.0, 0.05 * 2**failures))
                continue
            failures = 0
            with self._cond:
                if not self._closed:
                    self._ready.append(inst)
                    continue
            inst.close()


class PooledInstances(InstanceProvider[I]):
    """Up to `size` warm instances reused across calls; a broken one is freed and replaced.
    Calls beyond `limit` (at most `size`) wait for one to end.

    A nested call that finds the pool exhausted gets a temporary overflow instance
    instead of waiting: its caller may hold the very instance it would wait for.
    """

    name = "pooled"

    def __init__(
        self, factory: Factory[I], size: int, *, limit: int | None = None, where: str = ""
    ) -> None:
        if size < 1:
            raise ValueError("pool size must be at least 1")
        cap = size if limit is None else min(limit, size)
        super().__init__(factory, limit=cap, where=where)
        self._cap = cap
        self.size = size
        self._idle: list[I] = []
        self._live = 0  # pooled instances in existence (idle or in use), overflow excluded
        self.overflows = 0

    def acquire(self, *, nested: bool = False, due: float | None = None) -> I:
        with self._cond:
            if nested or self._busy < self._cap:  # `_enter`'s fast path, inlined
                self._busy += 1
            else:
                self._enter(nested, due)
            if self._idle:
                return self._idle.pop()
            # Within the limit (at most `size`) there is always room for one more pooled
            # instance; only a nested call can find the pool full.
            overflow = self._live >= self.size
            if overflow:
                self.overflows += 1
            else:
                self._live += 1
        try:
            inst = self.factory(due)
        except BaseException:
            with self._cond:
                if not overflow:
                    self._live -= 1
                self._leave()
            raise
        inst.overflow = overflow
        return inst

    def release(self, inst: I) -> None:
        discard = inst.broken or inst.overflow
        if discard:
            inst.close()  # before its place is taken: its memory is gone by then
        with self._cond:
            self._busy -= 1  # `_leave`, inlined
            if self._waiting:
                self._cond.notify()
            if inst.overflow:
                return
            if not (discard or self._closed):
                self._idle.append(inst)
                return
            self._live -= 1
        if not discard:
            inst.close()  # the pool closed while it was in use

    def adopt(self, inst: I) -> None:
        """Add an already initialised instance as an idle one."""
        with self._cond:
            self._live += 1
            self._idle.append(inst)

    def idle(self) -> int:
        return len(self._idle)

    def close(self) -> None:
        """Free the idle instances; those in use are freed when they are released."""
        super().close()
        with self._cond:
            idle, self._idle = self._idle, []
            self._live -= len(idle)
        for inst in idle:
            inst.close()
