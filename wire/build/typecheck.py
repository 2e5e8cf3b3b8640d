"""Type-check a guest folder: Python with mypy --strict against the componentize-py bindings,
TypeScript with tsc --strict."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from ..paths import WIT_DIR, cache_dir
from .componentize import _LAUNCH
from .errors import BuildError, GuestTypeError
from .inputs import WORLD, componentize_py_version, wit_inputs


def bindings_dir() -> Path:
    """The Python bindings of world `wit-wire` (`wit_world`, `componentize_py_types`),
    generated once per WIT content and componentize-py version."""
    h = hashlib.sha256(componentize_py_version().encode())
    for rel, data in wit_inputs():
        h.update(f"{rel}\0{hashlib.sha256(data).hexdigest()}\0".encode())
    out = cache_dir("bindings") / h.hexdigest()[:32]
    if (out / "wit_world").is_dir():
        return out
    with tempfile.TemporaryDirectory(prefix=".tmp-", dir=out.parent) as tmp:
        generated = Path(tmp) / "bindings"
        cmd = [sys.executable, "-c", _LAUNCH, "-d", str(WIT_DIR), "-w", WORLD, "bindings"]
        cmd.append(str(generated))
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(
                "componentize-py could not generate bindings", where=str(WIT_DIR),
                stderr=proc.stderr,
            )  # fmt: skip
        with contextlib.suppress(OSError):  # another process won the race: same content
            os.replace(generated, out)
    return out


def typecheck_guest(src: Path) -> str:
    """Run `mypy --strict` over the guest folder; returns mypy's report, raises
    `GuestTypeError` when it finds errors."""
    if importlib.util.find_spec("mypy") is None:
        raise BuildError("mypy is not installed: pip install 'wire[dev]'", where=str(src))
    env = {**os.environ, "MYPYPATH": str(bindings_dir())}
    # Our own config: a project's mypy settings (found in parent folders) must not apply.
    config = cache_dir("mypy") / "guest.ini"
    config.write_text("[mypy]\nstrict = True\npython_version = 3.11\n")
    cmd = [
        sys.executable, "-m", "mypy", "--config-file", str(config),
        "--cache-dir", str(cache_dir("mypy")), ".",
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=src, env=env, capture_output=True, text=True)
    report = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        message = f"mypy --strict found errors:\n{report}"
        raise GuestTypeError(message, where=str(src), stderr=report)
    return report


def typecheck_ts_guest(src: Path) -> str:
    """Run `tsc --strict --noEmit` over the .ts files of a TypeScript guest folder (with the
    pinned typescript; installs the JS toolchain on first use); returns tsc's report, raises
    `GuestTypeError` when it finds errors."""
    from .js import check_types
    from .toolchain import toolchain

    if not src.is_dir():
        raise BuildError("not a guest folder (no such directory)", where=str(src))
    return check_types(toolchain(), src, src)
