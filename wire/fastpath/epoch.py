"""The epoch deadline set before every guest call, without a GIL hand-off."""

from __future__ import annotations

from collections.abc import Callable
from ctypes import c_uint64, c_void_p

from wasmtime import Store

from . import _abi


def deadline_setter(store: Store, ticks: int) -> Callable[[], None]:
    """A function that sets `store`'s epoch deadline `ticks` after the current epoch.

    Same effect as `store.set_epoch_deadline(ticks)`, but the ~100 ns C call keeps the GIL:
    a release and re-acquire around it is a wait whenever another thread holds the GIL.
    """
    ctx = c_void_p(_abi.context_address(store))
    n = c_uint64(ticks)
    fn = _abi.set_epoch_deadline

    def set_deadline() -> None:
        fn(ctx, n)

    return set_deadline
