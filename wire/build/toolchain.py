"""The Node toolchain of TS/JS guest builds: componentize-js, esbuild and typescript.

Their versions are pinned in `js/package.json` and `js/package-lock.json` (every transitive
package too). `npm install` installs them once per lockfile into
`<cache>/node/<hash of package.json + lock>/node_modules`: shared by every guest (the tools
weigh ~400 MB), out of the guest folders (whose content is the build's hash) and out of git,
and a new pin gets a new folder instead of mutating the one a running build uses.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .. import progress as steps
from ..paths import cache_dir
from .errors import BuildError
from .staging import summary

PINS = Path(__file__).resolve().parent / "js"
_PIN_FILES = ("package.json", "package-lock.json")
_MARKER = ".wire-installed"  # written last: a folder without it is an interrupted install
_NPM_TIMEOUT_S = 900

# Entry points run with `node` (no reliance on .bin symlinks or executable bits).
TSC = "typescript/bin/tsc"
ESBUILD = "esbuild/bin/esbuild"
COMPONENTIZE_JS = "@bytecodealliance/componentize-js/src/cli.js"


@dataclass(frozen=True)
class Toolchain:
    node: str  # the node executable
    node_version: str  # `node --version`
    modules: Path  # the installed node_modules
    pins: str  # sha256 of the pin files

    def script(self, entry: str) -> list[str]:
        return [self.node, str(self.modules / entry)]


def toolchain_key() -> str:
    """What a TS/JS build's output depends on besides its sources and the WIT: the pins and
    the node that runs the tools. Needs no installed toolchain."""
    return f"componentize-js; node {_node()[1]}; pins {pins_hash()}"


def pins_hash() -> str:
    h = hashlib.sha256()
    for name in _PIN_FILES:
        h.update(f"{name}\0".encode() + (PINS / name).read_bytes() + b"\0")
    return h.hexdigest()


@cache
def _node() -> tuple[str, str]:
    node = shutil.which("node")
    if node is None:
        raise BuildError(
            "node is not on PATH: TS/JS guests are built with componentize-js, which needs "
            "Node.js ≥ 20 and npm (https://nodejs.org)"
        )
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False)
    return node, out.stdout.strip()


def toolchain(progress: Callable[[str], None] | None = None) -> Toolchain:
    """The installed toolchain; installs it (npm, ~20 s and ~400 MB) on first use."""
    node, version = _node()
    major = version.lstrip("v").split(".")[0]
    if not major.isdigit() or int(major) < 20:
        raise BuildError(f"node {version} is too old: componentize-js needs Node.js ≥ 20")
    pins = pins_hash()
    root = cache_dir("node") / pins[:24]
    if not (root / _MARKER).is_file():
        what = "install the TS/JS build tools (npm install)"
        with steps.step(what, hint="once: ~20 s and ~400 MB") as step:
            _install(root, progress or (lambda _msg: None))
            step.finish("installed", str(root))
    return Toolchain(node, version, root / "node_modules", pins)


def _install(root: Path, say: Callable[[str], None]) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm is not on PATH: it installs the pinned componentize-js toolchain")
    say(f"installing the TS/JS build tools (npm install) into {root}…")
    with tempfile.TemporaryDirectory(prefix=".tmp-", dir=root.parent) as tmp:
        staged = Path(tmp) / "toolchain"
        staged.mkdir()
        for name in _PIN_FILES:
            shutil.copy2(PINS / name, staged / name)
        # `npm install` against the lockfile installs exactly its versions. Not `npm ci`: npm
        # 11 leaves other platforms' optional binaries out of the lockfile it writes, and
        # `npm ci` then rejects that same lockfile. --ignore-scripts: none of the pinned
        # packages needs an install script, and none gets to run code at install time.
        cmd = [npm, "install", "--ignore-scripts", "--no-audit", "--no-fund", "--no-save"]
        cmd += ["--loglevel=error"]
        try:
            proc = subprocess.run(
                cmd, cwd=staged, capture_output=True, text=True, timeout=_NPM_TIMEOUT_S
            )
        except subprocess.TimeoutExpired as e:
            raise BuildError(f"npm install took over {_NPM_TIMEOUT_S} s", where=str(PINS)) from e
        if proc.returncode != 0:
            stderr = (proc.stderr or proc.stdout).strip()
            raise BuildError(
                f"npm install of the pinned toolchain failed (exit {proc.returncode}):\n"
                f"{summary(stderr, 15)}",
                where=str(PINS),
                stderr=stderr,
            )
        (staged / _MARKER).write_text(pins_hash() + "\n")
        if root.exists():  # an interrupted install, or a concurrent one that finished first
            if (root / _MARKER).is_file():
                return
            shutil.rmtree(root)
        with contextlib.suppress(OSError):  # lost a race: the winner's copy is the same
            os.replace(staged, root)
