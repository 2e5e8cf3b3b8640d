"""Finding a world's handler export in an instance."""

from __future__ import annotations

from collections.abc import Callable

import wasmtime
from wasmtime.component import Func, Instance

from ...errors import ComponentLoadError
from ..message import Message

# Deliver one message to the guest: None when it handled it, else the error it returned.
Handle = Callable[[Message], str | None]


def export_func(
    store: wasmtime.Store, instance: Instance, iface: str, name: str, where: str
) -> Func:
    idx = instance.get_export_index(store, iface)
    if idx is None:
        raise ComponentLoadError(
            f"the component does not export '{iface}': is it a handler component of its world "
            "(see wit/messaging/)?",
            where=where,
        )
    fidx = instance.get_export_index(store, name, idx)
    fn = instance.get_func(store, fidx) if fidx is not None else None
    if fn is None:
        raise ComponentLoadError(f"'{iface}' has no function '{name}'", where=where)
    return fn
