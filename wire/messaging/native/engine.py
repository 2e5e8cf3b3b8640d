"""The engine messaging-world components run on: the host engine's settings with the
component model's concurrency support off.

Why: with concurrency support on (wasmtime 50's default, as wasmtime-py 50.0.1 ships it),
a guest call of a host function taking two or more `borrow<...>` parameters traps with
"BUG: deferred host scope has no call context" (wasmtime's vm/component/resources.rs)
while wasmtime converts the arguments, before the Python function runs. That is wasi
`request-reply.request(c: borrow<client>, topic, message: borrow<message>, ...)`; one
borrow (`send`, `reply`) works. Nothing in the host function can avoid it. Without
concurrency support wasmtime takes its synchronous host-call path, which handles any
number of borrows; the messaging worlds use no component-model async.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, fields

import wasmtime
from wasmtime import _ffi as ffi

from ...engine import Engine, EngineSettings
from ...slots import InstanceSlots


@dataclass(frozen=True)
class SyncEngineSettings(EngineSettings):
    """Also a different compiled-cache key: components compiled for this engine are not
    handed to the host's engine, nor the other way round."""

    concurrency_support: bool = False


class SyncEngine(Engine):
    """An `Engine` (epoch ticker included) whose wasmtime engine has no concurrency support."""

    settings: SyncEngineSettings

    def __init__(self, settings: SyncEngineSettings, slots: InstanceSlots | None) -> None:
        super().__init__(settings, slots)

    def _config(self) -> wasmtime.Config:
        config = super()._config()
        ffi.wasmtime_config_concurrency_support_set(config.ptr(), self.settings.concurrency_support)
        return config


_engines: dict[SyncEngineSettings, SyncEngine] = {}
_lock = threading.Lock()


def sync_engine(engine: Engine) -> Engine:
    """The engine with `engine`'s settings and no concurrency support: one per settings for
    the process (like `default_engine`, never closed)."""
    if isinstance(engine, SyncEngine):
        return engine
    base = {f.name: getattr(engine.settings, f.name) for f in fields(EngineSettings)}
    settings = SyncEngineSettings(**base)
    with _lock:
        found = _engines.get(settings)
        if found is None:
            found = _engines[settings] = SyncEngine(settings, engine.slots)
        return found
