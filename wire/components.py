"""Load components, compiling each once: the compiled form is cached on disk.

The cache key is the component's content hash, the wasmtime version and the engine
settings, so a restart deserialises (~30 ms) instead of recompiling (~4 s).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

import wasmtime
from wasmtime.component import Component

from . import progress
from .engine import Engine
from .errors import ComponentLoadError
from .paths import cache_dir
from .slots import slot_error

log = logging.getLogger("wire.components")
# Shown while a component compiles (measured on 2 cores, see the README).
COMPILE_HINT = "the first compile of a component takes ~5-10 s; cached after"


@dataclass(frozen=True)
class LoadedComponent:
    component: Component
    path: Path
    sha256: str
    from_cache: bool


# Per engine: a compiled component works only with the engine that compiled it (engines
# with the same settings still differ, as their instance slots do).
_memo: weakref.WeakKeyDictionary[Engine, dict[str, LoadedComponent]] = weakref.WeakKeyDictionary()
_memo_lock = threading.Lock()


def load_component(engine: Engine, path: Path) -> LoadedComponent:
    """Compile `path` (or deserialise its cached compiled form) for `engine`."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ComponentLoadError(f"cannot read component: {e.strerror}", where=str(path)) from e
    sha = hashlib.sha256(data).hexdigest()
    with _memo_lock:
        found = _memo.get(engine, {}).get(sha)
    if found is not None:
        return found
    compiled = cache_dir("compiled") / f"{sha}-{engine.settings.fingerprint()}.cwasm"
    loaded: LoadedComponent | None = None
    with progress.step(f"compile {progress.name_of(path)}", hint=COMPILE_HINT) as step:
        if compiled.exists():
            try:
                comp = Component.deserialize_file(engine.wasm, str(compiled))
                loaded = LoadedComponent(comp, path, sha, from_cache=True)
                step.finish("cached")
            except wasmtime.WasmtimeError as e:  # stale or corrupt: recompile below
                if (slots := slot_error(e, str(path))) is not None:
                    raise slots from e  # the cache is fine: the component is too big
                log.warning("discarding unusable compiled cache %s: %s", compiled, e)
                compiled.unlink(missing_ok=True)
        if loaded is None:
            try:
                comp = Component(engine.wasm, data)
            except wasmtime.WasmtimeError as e:
                raise slot_error(e, str(path)) or ComponentLoadError(
                    f"not a valid WebAssembly component: {e}", where=str(path)
                ) from e
            write_atomic(compiled, comp.serialize())
            loaded = LoadedComponent(comp, path, sha, from_cache=False)
            step.finish("compiled", f"{len(data) / 2**20:.1f} MB, cached for next time")
    with _memo_lock:
        _memo.setdefault(engine, {})[sha] = loaded
    return loaded


def write_atomic(path: Path, data: bytes | bytearray) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
