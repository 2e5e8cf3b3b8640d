"""Guest instances and the per-runtime instance policies (fresh per call, or pooled).

Each instance owns its store: its memory cap, its WASI context (no preopened
directories, no environment, no network; stdout/stderr go to the host log) and its
epoch deadline. A trapped instance is discarded, never reused.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import wasmtime
from wasmtime.component import Component, Linker

from .calls import CallPath
from .engine import Engine
from .errors import WireError
from .fastpath import deadline_setter
from .guest_output import OutputPipe
from .protocol import MatInfo, handle_error, init_error, trap_error


@dataclass(frozen=True)
class Limits:
    deadline_ms: int = 10_000
    memory_bytes: int = 128 * 2**20


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


class SandboxedInstance:
    """The store every guest instance runs in: its memory cap, WASI without directories,
    environment or network (stdout/stderr to the runtime's pipes), its epoch deadline."""

    def __init__(self, engine: Engine, limits: Limits, stdio: GuestStdio, where: str) -> None:
        self.limits = limits
        self.where = where
        self.broken = False
        self.overflow = False  # a temporary instance beyond a pool's size (nested calls)
        self._ticks = engine.ticks_for(limits.deadline_ms)
        store = wasmtime.Store(engine.wasm)
        store.set_limits(memory_size=limits.memory_bytes)
        wasi = wasmtime.WasiConfig()
        wasi.stdout_file = stdio.stdout.path
        wasi.stderr_file = stdio.stderr.path
        store.set_wasi(wasi)
        self.store = store
        self._set_deadline = deadline_setter(store, self._ticks)
        self._set_deadline()


class GuestInstance(SandboxedInstance):
    """One instantiated component, initialised with its runtime's ops."""

    def __init__(
        self,
        engine: Engine,
        component: Component,
        linker: Linker,
        path: CallPath,
        ops: list[MatInfo],
        limits: Limits,
        stdio: GuestStdio,
        where: str,
    ) -> None:
        super().__init__(engine, limits, stdio, where)
        store = self.store
        try:
            instance = linker.instantiate(store, component)
            self._calls = path.bind(store, instance, where)
            failed = self._calls.init(store, ops)
        except WireError:
            self.broken = True
            raise
        except wasmtime.WasmtimeError as e:
            self.broken = True
            raise trap_error(e, "init", where, limits.deadline_ms) from e
        if failed is not None:
            self.broken = True
            raise init_error(*failed, where)

    def handle(self, op: str, in_json: str) -> str:
        """Call `handle`; return the guest's JSON string or raise the mapped wire error."""
        store = self.store
        # Relative to the current epoch: only calls are timed, never the idle time between.
        self._set_deadline()
        try:
            res = self._calls.handle(store, op, in_json)
        except wasmtime.WasmtimeError as e:
            self.broken = True
            raise trap_error(e, op, self.where, self.limits.deadline_ms) from e
        if res[0]:
            return res[1]
        tag, payload = res[1]
        raise handle_error(tag, payload, op, self.where)


I = TypeVar("I", bound=SandboxedInstance)  # noqa: E741


class InstancePolicy(Generic[I]):
    """How a runtime gets an instance for a call and what happens to it afterwards."""

    name = "abstract"

    def __init__(self, factory: Callable[[], I]) -> None:
        self.factory = factory

    def acquire(self, *, nested: bool = False) -> I:
        """An initialised instance. `nested`: the caller is itself inside a guest call on
        this thread (a hostcall re-entering the host), so it must never wait for another."""
        raise NotImplementedError

    def release(self, inst: I) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class FreshInstances(InstancePolicy[I]):
    """A new instance per call: no state survives between calls (isolation)."""

    name = "fresh"

    def acquire(self, *, nested: bool = False) -> I:
        return self.factory()

    def release(self, inst: I) -> None:
        pass


class PooledInstances(InstancePolicy[I]):
    """Up to `size` warm instances reused across calls; a broken one is replaced.

    A nested call that finds the pool exhausted gets a temporary overflow instance
    instead of waiting: its caller may hold the very instance it would wait for.
    """

    name = "pooled"

    def __init__(self, factory: Callable[[], I], size: int) -> None:
        super().__init__(factory)
        if size < 1:
            raise ValueError("pool size must be at least 1")
        self.size = size
        self._idle: list[I] = []
        self._live = 0  # pooled instances in existence (idle or in use), overflow excluded
        self._cond = threading.Condition(threading.Lock())
        self.overflows = 0

    def acquire(self, *, nested: bool = False) -> I:
        with self._cond:
            while True:
                if self._idle:
                    return self._idle.pop()
                if self._live < self.size:
                    self._live += 1
                    break
                if nested:
                    self.overflows += 1
                    inst = self.factory()
                    inst.overflow = True
                    return inst
                self._cond.wait()
        try:
            return self.factory()
        except BaseException:
            with self._cond:
                self._live -= 1
                self._cond.notify()
            raise

    def release(self, inst: I) -> None:
        if inst.overflow:
            return
        with self._cond:
            if inst.broken:
                self._live -= 1
            else:
                self._idle.append(inst)
            self._cond.notify()

    def adopt(self, inst: I) -> None:
        """Add an already initialised instance as an idle one."""
        with self._cond:
            self._live += 1
            self._idle.append(inst)
            self._cond.notify()

    def idle(self) -> int:
        return len(self._idle)

    def close(self) -> None:
        with self._cond:
            self._idle.clear()
