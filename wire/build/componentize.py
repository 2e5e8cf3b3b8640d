"""Build a Python guest folder into a component with componentize-py, cached by content hash."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import WireError
from ..paths import WIT_DIR, cache_dir
from .inputs import APP_MODULE, WORLD, Inputs, read_inputs

Progress = Callable[[str], None]

# Runs componentize-py's console script in this interpreter: no reliance on PATH.
_LAUNCH = "import sys; from componentize_py import script; sys.exit(script())"
_TIMEOUT_S = 600


class BuildError(WireError):
    """A guest could not be built; `stderr` carries the build tool's output."""

    code = "build_failed"

    def __init__(self, message: str, *, where: str | None = None, stderr: str = "") -> None:
        super().__init__(message, where=where, details=stderr or None)
        self.stderr = stderr


def build_guest(src: Path, *, progress: Progress | None = None, force: bool = False) -> Path:
    """Build the guest folder `src` (module `app`, world `wit-wire`) and return the path of
    the component, `<cache>/builds/<hash>.wasm`. An existing build is reused unless `force`."""
    say = progress or (lambda _msg: None)
    _check_guest(src)
    inputs = read_inputs(src)
    builds = cache_dir("builds")
    out = builds / f"{inputs.digest()}.wasm"
    if out.exists() and not force:
        say(f"up to date: {src} ({out.name})")
        return out
    say(f"building {src} with componentize-py…")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=".tmp-", dir=builds) as tmp:
        staged = _stage(inputs, Path(tmp) / "src")
        built = Path(tmp) / "component.wasm"
        _componentize(staged, built, src)
        os.replace(built, out)  # same folder: atomic, and a concurrent build writes the same
    size_mb = out.stat().st_size / 2**20
    say(f"built {src} → {out} ({size_mb:.1f} MB in {time.monotonic() - started:.1f} s)")
    return out


def _check_guest(src: Path) -> None:
    if not src.is_dir():
        raise BuildError("not a guest folder (no such directory)", where=str(src))
    if not (src / f"{APP_MODULE}.py").is_file() and not (src / APP_MODULE).is_dir():
        raise BuildError(
            f"no {APP_MODULE}.py: generate the SDK and app.py with `wire codegen` first",
            where=str(src),
        )
    if importlib.util.find_spec("componentize_py") is None:
        raise BuildError(
            "componentize-py is not installed: pip install 'wire[build]'", where=str(src)
        )


def _stage(inputs: Inputs, root: Path) -> Path:
    # A private copy of exactly the hashed bytes: edits during the build cannot leak into
    # a component cached under the old hash, and the import leaves no __pycache__ in src.
    for rel, data in inputs.guest:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    root.mkdir(parents=True, exist_ok=True)
    return root


def _componentize(staged: Path, out: Path, src: Path) -> None:
    cmd = [
        sys.executable, "-c", _LAUNCH,
        "-d", str(WIT_DIR), "-w", WORLD,
        "componentize", APP_MODULE, "-p", str(staged), "-o", str(out),
    ]  # fmt: skip
    try:
        proc = subprocess.run(
            cmd, cwd=staged, env=_hermetic_env(), capture_output=True, text=True,
            timeout=_TIMEOUT_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired as e:
        raise BuildError(f"componentize-py took over {_TIMEOUT_S} s", where=str(src)) from e
    if proc.returncode != 0 or not out.is_file():
        stderr = (proc.stderr or proc.stdout).strip()
        raise BuildError(
            f"componentize-py failed (exit {proc.returncode}):\n{_summary(stderr)}",
            where=str(src),
            stderr=stderr,
        )


def _hermetic_env() -> dict[str, str]:
    """The build sees only the guest folder and the stdlib: componentize-py would otherwise
    add the active virtualenv's (or the system's) site-packages to the guest's path, which
    the content hash does not cover."""
    empty = cache_dir("builds") / ".no-site-packages"
    (empty / "lib" / "python3" / "site-packages").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(VIRTUAL_ENV=str(empty), RUST_BACKTRACE="0", RUST_LIB_BACKTRACE="0")
    return env


def _summary(stderr: str, max_lines: int = 40) -> str:
    lines = stderr.splitlines()
    return "\n".join(lines[-max_lines:]) if lines else "(no output)"
