"""One wasmtime engine per process, with epoch interruption driven by a ticker thread."""

from __future__ import annotations

import hashlib
import importlib.metadata
import threading
from dataclasses import dataclass

import wasmtime

WASMTIME_VERSION = importlib.metadata.version("wasmtime")
EPOCH_TICK_S = 0.01  # deadline resolution: a deadline is rounded up to whole ticks


@dataclass(frozen=True)
class EngineSettings:
    """Engine options that change compiled code: part of the compiled-cache key."""

    epoch_interruption: bool = True
    opt_level: str = "speed"

    def fingerprint(self) -> str:
        raw = f"{WASMTIME_VERSION}|{self!r}".encode()
        return hashlib.sha256(raw).hexdigest()[:16]


class Engine:
    """A wasmtime engine plus the ticker thread that advances its epoch."""

    def __init__(self, settings: EngineSettings | None = None) -> None:
        self.settings = settings or EngineSettings()
        config = wasmtime.Config()
        config.epoch_interruption = self.settings.epoch_interruption
        config.cranelift_opt_level = self.settings.opt_level
        self.wasm = wasmtime.Engine(config)
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="wire-epoch", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(EPOCH_TICK_S):
            self.wasm.increment_epoch()

    @staticmethod
    def ticks_for(deadline_ms: int) -> int:
        return max(1, -(-deadline_ms // int(EPOCH_TICK_S * 1000)))

    def close(self) -> None:
        self._stop.set()


_default: Engine | None = None
_default_lock = threading.Lock()


def default_engine() -> Engine:
    global _default
    with _default_lock:
        if _default is None:
            _default = Engine()
        return _default
