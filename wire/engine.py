"""One wasmtime engine per process, its epoch driven by a monotonic clock.

Deadlines use epoch interruption: a store traps once the engine's epoch reaches its
deadline. Epoch n stands for the time `n * EPOCH_TICK_S` after the engine's start, and a
ticker thread brings the epoch up to the clock on each wake-up, however late it wakes
(a ticker counting its wake-ups falls behind whenever the GIL is contended: a 10 s
deadline became 12.8 s). So a deadline fires at the first tick at or after its time,
plus the ticker's wake-up latency, and never earlier.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import wasmtime

from .fastpath import deadline_setter, epoch_incrementer
from .slots import InstanceSlots

WASMTIME_VERSION = importlib.metadata.version("wasmtime")
EPOCH_TICK_S = 0.01  # deadline resolution: a deadline fires at the first tick at or after it
TICKS_PER_S = round(1 / EPOCH_TICK_S)


@dataclass(frozen=True)
class EngineSettings:
    """Engine options that change compiled code: part of the compiled-cache key."""

    epoch_interruption: bool = True
    opt_level: str = "speed"

    def fingerprint(self) -> str:
        raw = f"{WASMTIME_VERSION}|{self!r}".encode()
        return hashlib.sha256(raw).hexdigest()[:16]


class Engine:
    """A wasmtime engine plus the ticker thread that keeps its epoch on the clock."""

    def __init__(
        self, settings: EngineSettings | None = None, slots: InstanceSlots | None = None
    ) -> None:
        """`slots`: instances come from the pooling allocator's slots (see wire.slots;
        `default_engine` takes what `WIRE_INSTANCE_SLOTS` says); None: on demand."""
        self.settings = settings or EngineSettings()
        self.slots = slots
        config = self._config()
        if slots is not None:
            slots.apply(config)
        self.wasm = wasmtime.Engine(config)
        self._t0 = time.monotonic()
        self.ticks_per_s = TICKS_PER_S
        self.start_tick = self._t0 * TICKS_PER_S  # epoch n is at (start_tick + n) / ticks_per_s
        self.epoch = 0  # the engine's epoch: increments made so far
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._ticker_lock = threading.Lock()

    def _config(self) -> wasmtime.Config:
        """The wasmtime configuration of `settings` (what compiled code depends on)."""
        config = wasmtime.Config()
        config.epoch_interruption = self.settings.epoch_interruption
        config.cranelift_opt_level = self.settings.opt_level
        return config

    def deadline_setter(self, store: wasmtime.Store) -> Callable[[float], None]:
        """A function that makes `store` trap (interrupt) a guest call still running at
        monotonic time `due`: at the first tick at or after it."""
        self._start_ticker()
        return deadline_setter(store, self)

    def _start_ticker(self) -> None:
        # Started with the first store, not in __init__: a subclass may still replace
        # `self.wasm` while it is constructed (see wire.messaging.native.engine).
        if self._ticker is not None:
            return
        with self._ticker_lock:
            if self._ticker is None:
                self._ticker = threading.Thread(target=self._tick, name="wire-epoch", daemon=True)
                self._ticker.start()

    def _tick(self) -> None:
        increment = epoch_incrementer(self.wasm)
        t0 = self._t0
        while True:
            now_tick = int((time.monotonic() - t0) * TICKS_PER_S)
            while self.epoch < now_tick:
                increment()
                self.epoch += 1
            wake = t0 + (now_tick + 1) * EPOCH_TICK_S
            if self._stop.wait(max(0.0, wake - time.monotonic())):
                return

    def close(self) -> None:
        self._stop.set()


_default: Engine | None = None
_default_lock = threading.Lock()


def default_engine() -> Engine:
    global _default
    with _default_lock:
        if _default is None:
            _default = Engine(slots=InstanceSlots.from_env())
        return _default
