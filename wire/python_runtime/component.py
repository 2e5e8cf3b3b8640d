"""The component of the inline Python runtime: built once from the guest folder next to this
module (and the guest SDK's `Ctx`) and cached by content hash like every guest, so a new
wire version (a changed guest, WIT or componentize-py) builds it once again."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import tempfile
from pathlib import Path

from ..errors import ComponentLoadError, WireError
from ..paths import cache_dir

log = logging.getLogger("wire.python_runtime")

GUEST_DIR = Path(__file__).resolve().parent / "guest"
# The guest SDK's `Ctx` (and `HostcallError`), as `wire codegen python` writes it into
# `wire_sdk/runtime.py`: inline functions get the same helpers as generated guests. It
# imports `Functions` from its package's `functions.py`, which codegen writes with a typed
# stub per function; inline functions have no codegen, so theirs calls any function by name.
CTX_PACKAGE = "wire_ctx"
FUNCTIONS = b'''"""`ctx.fn` of an inline function: any function of the typegraph by name,
`ctx.fn.add({"a": 1, "b": 2})`, through the `call` hostcall op (untyped)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

CallFunction = Callable[[str, Mapping[str, object]], Any]


class Functions:
    def __init__(self, call: CallFunction) -> None:
        self._call = call

    def __getattr__(self, name: str) -> Callable[[Mapping[str, object]], Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda args: self._call(name, args)
'''
LABEL = "the inline Python runtime"


def ctx_template() -> Path:
    spec = importlib.util.find_spec("wire_codegen")
    if spec is None or not spec.submodule_search_locations:
        raise ComponentLoadError(
            "the guest SDK templates (wire_codegen) are not installed: reinstall wire",
            where=LABEL,
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    return root / "python" / "templates" / "runtime.py.txt"


def guest_files() -> dict[str, bytes]:
    """The guest's files: its own, and the SDK's `Ctx` as the package `wire_ctx`."""
    files = {
        p.relative_to(GUEST_DIR).as_posix(): p.read_bytes()
        for p in sorted(GUEST_DIR.rglob("*.py"))
        if "__pycache__" not in p.parts
    }
    files[f"{CTX_PACKAGE}/__init__.py"] = ctx_template().read_bytes()
    files[f"{CTX_PACKAGE}/functions.py"] = FUNCTIONS
    return files


def staged_guest() -> Path:
    """The guest folder to build, in the cache under the hash of its files (written once)."""
    files = guest_files()
    h = hashlib.sha256()
    for rel, data in sorted(files.items()):
        h.update(f"{rel}\0{hashlib.sha256(data).hexdigest()}\0".encode())
    root = cache_dir("python-runtime")
    folder = root / h.hexdigest()[:32]
    if folder.is_dir():
        return folder
    with tempfile.TemporaryDirectory(prefix=".tmp-", dir=root) as tmp:
        staged = Path(tmp) / "guest"
        for rel, data in files.items():
            (staged / rel).parent.mkdir(parents=True, exist_ok=True)
            (staged / rel).write_bytes(data)
        with contextlib.suppress(OSError):  # another process won the race: same content
            os.replace(staged, folder)
    return folder


def runtime_component(_path: Path | None = None) -> Path:
    """The built component (building it the first time: ~10-20 s, then cached). Takes (and
    ignores) a component path: it is a runtime's component resolver."""
    from ..build.componentize import build_python_guest

    try:
        return build_python_guest(
            staged_guest(), progress=lambda msg: log.debug("%s", msg), label=LABEL
        )
    except WireError:
        raise
    except Exception as e:
        raise ComponentLoadError(f"building the component failed: {e}", where=LABEL) from e
