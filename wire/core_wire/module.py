"""Load core modules (a `.wasm` binary or `.wat` text), compiling each once: the compiled
form is cached on disk like a component's (content hash, wasmtime version, engine
settings), and the module's imports and exports are checked against the core_wire ABI."""

from __future__ import annotations

import hashlib
import logging
import threading
import weakref
from pathlib import Path

import wasmtime

from .. import progress
from ..components import write_atomic
from ..engine import Engine
from ..errors import ComponentLoadError
from ..paths import cache_dir
from ..slots import slot_error
from .abi import check_module

log = logging.getLogger("wire.core_wire")

# Per engine, as wire.components' memo.
_memo: weakref.WeakKeyDictionary[Engine, dict[str, wasmtime.Module]] = weakref.WeakKeyDictionary()
_memo_lock = threading.Lock()


def load_module(engine: Engine, path: Path) -> wasmtime.Module:
    """Compile `path` (or deserialise its cached compiled form) for `engine`, and check
    it speaks the core_wire ABI."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ComponentLoadError(f"cannot read module: {e.strerror}", where=str(path)) from e
    sha = hashlib.sha256(data).hexdigest()
    with _memo_lock:
        found = _memo.get(engine, {}).get(sha)
    if found is not None:
        return found
    compiled = cache_dir("compiled") / f"{sha}-{engine.settings.fingerprint()}.module.cwasm"
    module: wasmtime.Module | None = None
    with progress.step(f"compile {progress.name_of(path)}") as step:
        if compiled.exists():
            try:
                module = wasmtime.Module.deserialize_file(engine.wasm, str(compiled))
                step.finish("cached")
            except wasmtime.WasmtimeError as e:  # stale or corrupt: recompile below
                if (slots := slot_error(e, str(path))) is not None:
                    raise slots from e  # the cache is fine: the module is too big
                log.warning("discarding unusable compiled cache %s: %s", compiled, e)
                compiled.unlink(missing_ok=True)
        if module is None:
            module = _compile(engine, data, path)
            write_atomic(compiled, module.serialize())
            step.finish("compiled", f"{len(data) / 2**10:.0f} KB, cached for next time")
    check_module(module, str(path))
    with _memo_lock:
        _memo.setdefault(engine, {})[sha] = module
    return module


def _compile(engine: Engine, data: bytes, path: Path) -> wasmtime.Module:
    if data.startswith(b"\0asm") and data[4:8] != b"\x01\0\0\0":
        raise ComponentLoadError(
            "this is a WebAssembly component, not a core module: serve it with WireRuntime "
            "(wit-wire) or ReflectedRuntime (typed exports)",
            where=str(path),
        )
    source: str | bytes = data
    if not data.startswith(b"\0asm"):
        try:
            source = data.decode()  # WebAssembly text
        except UnicodeDecodeError:
            raise ComponentLoadError(
                "not a WebAssembly module (neither binary nor text)", where=str(path)
            ) from None
    try:
        return wasmtime.Module(engine.wasm, source)
    except wasmtime.WasmtimeError as e:
        raise slot_error(e, str(path)) or ComponentLoadError(
            f"not a valid WebAssembly module: {e}", where=str(path)
        ) from e
