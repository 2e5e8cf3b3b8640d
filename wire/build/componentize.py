"""Build a Python guest folder into a component with componentize-py, cached by content hash."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from ..paths import WIT_DIR, cache_dir
from .errors import BuildError
from .inputs import APP_MODULE, WORLD, read_inputs
from .sdk import check_sdk
from .staging import Progress, cached_build, tool_failed

__all__ = ["BuildError", "build_python_guest"]

# Runs componentize-py's console script in this interpreter: no reliance on PATH.
_LAUNCH = "import sys; from componentize_py import script; sys.exit(script())"
_TIMEOUT_S = 600


def build_python_guest(
    src: Path,
    *,
    progress: Progress | None = None,
    force: bool = False,
    wit_dir: Path = WIT_DIR,
    world: str = WORLD,
    label: str | None = None,
) -> Path:
    """Build the Python guest folder `src` (module `app`) for `world` of the WIT package in
    `wit_dir` (default: wit-wire); `label` names it in the steps (default: its path)."""
    if importlib.util.find_spec("componentize_py") is None:
        raise BuildError(
            "componentize-py is not installed: pip install 'wire[build]'", where=str(src)
        )
    if world == WORLD:
        check_sdk(src, "python")
    inputs = read_inputs(src, wit_dir, world)

    def make(_work: Path, staged: Path, out: Path) -> None:
        _componentize(staged, out, src, wit_dir, world)

    return cached_build(
        src, inputs.digest(), inputs.guest, "componentize-py", make,
        progress=progress, force=force, label=label,
    )  # fmt: skip


def _componentize(staged: Path, out: Path, src: Path, wit_dir: Path, world: str) -> None:
    cmd = [
        sys.executable, "-c", _LAUNCH,
        "-d", str(wit_dir), "-w", world,
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
        raise tool_failed(
            "componentize-py", proc.returncode, (proc.stderr or proc.stdout).strip(), src
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
