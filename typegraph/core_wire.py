"""Core WebAssembly modules speaking the wire protocol, for languages without component
support: ``CoreRuntime("echo.wat")``. The ABI is in docs/core-wire.md."""

from __future__ import annotations

from .runtime import WireRuntime

__all__ = ["CoreRuntime"]


class CoreRuntime(WireRuntime):
    """A core module (a ``.wasm`` binary or ``.wat`` text, relative to the typegraph file's
    folder) exporting ``memory``, ``wire_alloc`` and ``wire_handle`` (docs/core-wire.md).
    Its ops are the same JSON commands as a wit-wire guest's: ``handler``, ``op`` and
    ``policy`` work alike, and so do instances, limits and channel grants."""

    kind = "core_wire"

    def __repr__(self) -> str:
        return f"CoreRuntime({self.component!r}, name={self.name!r})"
