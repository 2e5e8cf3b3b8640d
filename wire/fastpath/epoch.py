"""The epoch calls made on every guest call and every tick, without a GIL hand-off."""

from __future__ import annotations

from collections.abc import Callable
from ctypes import c_void_p
from typing import Protocol

from wasmtime import Engine, Store

from . import _abi


class EpochClock(Protocol):
    """An engine whose epoch follows a clock: epoch n is reached at monotonic time
    `(start_tick + n) / ticks_per_s`; `epoch` is the epoch now."""

    ticks_per_s: int
    start_tick: float
    epoch: int


def deadline_setter(store: Store, clock: EpochClock) -> Callable[[float], None]:
    """A function that makes `store` trap (interrupt) a guest call still running at
    monotonic time `due`: its epoch deadline becomes the first tick at or after `due`.

    Same effect as `store.set_epoch_deadline(ticks)`, but the ~100 ns C call keeps the GIL:
    a release and re-acquire around it is a wait whenever another thread holds the GIL.
    The function must not be called once the store is closed.
    """
    ctx = c_void_p(_abi.context_address(store))
    fn = _abi.set_epoch_deadline
    per_s = clock.ticks_per_s
    start = clock.start_tick

    def set_deadline(due: float) -> None:
        # Relative to the epoch now, at least one tick.
        ticks = int(due * per_s - start) + 1 - clock.epoch
        fn(ctx, ticks if ticks > 0 else 1)

    return set_deadline


def epoch_incrementer(engine: Engine) -> Callable[[], None]:
    """`engine.increment_epoch`, keeping the GIL (an atomic add in wasmtime): a ticker that
    gave the GIL up on every tick would wait for it again, once per tick, under load."""
    ptr = c_void_p(_abi.address_of_pointer(engine.ptr()))
    fn = _abi.increment_epoch

    def increment() -> None:
        fn(ptr)

    return increment
