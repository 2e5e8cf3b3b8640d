"""A wasmtime-py Store made with less Python, for stores made once per guest call."""

from __future__ import annotations

import wasmtime

from . import _abi


class LeanStore(wasmtime.Store):
    """A `wasmtime.Store` (every wasmtime-py API takes it) capped at `memory_bytes` of
    memory, made in three C calls that keep the GIL (new, context, limiter: each a few
    hundred nanoseconds) instead of wasmtime-py's generic constructor and `set_limits`,
    each a GIL hand-off. It carries its context's address (`context_at`) for the fast
    path. A fresh instance makes one per call: this was a sixth of a fresh WAT call."""

    context_at: int

    def __init__(self, engine: wasmtime.Engine, memory_bytes: int) -> None:
        ptr = _abi.store_new(engine.ptr(), None, None)
        # wasmtime-py's own slots (name-mangled), as Store.__init__ would set them.
        self._Managed__ptr = ptr
        context = _abi.store_context(ptr)
        self._Store__context = context
        self.engine = engine
        self.context_at = _abi.address_of_pointer(context)
        _abi.store_limiter(ptr, memory_bytes, -1, -1, -1, -1)
