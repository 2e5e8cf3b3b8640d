"""The inputs of a guest build and their content hash (the build's cache key)."""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..paths import WIT_DIR

WORLD = "wit-wire"
APP_MODULE = "app"
_KEY_VERSION = "wire-build/1"  # bump when the build recipe changes

# Never inputs: caches, editor and VCS folders, compiled bytecode.
_SKIP_DIRS = frozenset({"__pycache__", "node_modules"})
_SKIP_SUFFIXES = (".pyc", ".pyo")
# Bindings from `componentize-py bindings` (for an editor) that a guest folder may hold:
# componentize-py generates its own during the build, and these must not shadow them.
_SKIP_TOP = ("wit_world", "componentize_py_")


@dataclass(frozen=True)
class Inputs:
    guest: tuple[tuple[str, bytes], ...]  # (posix path relative to the guest folder, content)
    wit: tuple[tuple[str, bytes], ...]  # (posix path relative to wit/, content) of *.wit
    tool_version: str  # componentize-py's, or the JS toolchain's key
    # How the build runs; the Python recipe's text is the one this hash has always used.
    recipe: str = f"{_KEY_VERSION}\0{WORLD}\0{APP_MODULE}"

    def digest(self) -> str:
        h = hashlib.sha256(f"{self.recipe}\0{self.tool_version}\0".encode())
        for group, files in (("guest", self.guest), ("wit", self.wit)):
            h.update(f"{group}\0{len(files)}\0".encode())
            for rel, data in files:
                h.update(f"{rel}\0{hashlib.sha256(data).hexdigest()}\0".encode())
        return h.hexdigest()


def read_inputs(src: Path, wit_dir: Path = WIT_DIR, world: str = WORLD) -> Inputs:
    """Read every input once: the build stages these same bytes, so the hash names them.
    `wit_dir` and `world` are what componentize-py builds against (default: wit-wire)."""
    guest = tuple((rel, path.read_bytes()) for rel, path in _files(src, _SKIP_TOP))
    recipe = f"{_KEY_VERSION}\0{world}\0{APP_MODULE}"
    return Inputs(guest, wit_inputs(wit_dir), componentize_py_version(), recipe)


def read_js_inputs(src: Path, entry: str, tool_key: str, recipe: str) -> Inputs:
    """The inputs of a TS/JS guest: every file but `node_modules` and hidden ones."""
    guest = tuple((rel, path.read_bytes()) for rel, path in _files(src))
    return Inputs(guest, wit_inputs(), tool_key, f"wire-build-js/1\0{WORLD}\0{entry}\0{recipe}")


def wit_inputs(root: Path = WIT_DIR) -> tuple[tuple[str, bytes], ...]:
    """The WIT files of the package folder `root` and of its `deps/`: what the WIT tools
    read (not the op schemas next to them, nor other packages in sub-folders)."""
    return tuple(
        (rel, p.read_bytes())
        for rel, p in _files(root)
        if rel.endswith(".wit") and ("/" not in rel or rel.startswith("deps/"))
    )


def componentize_py_version() -> str:
    try:
        return importlib.metadata.version("componentize-py")
    except importlib.metadata.PackageNotFoundError:
        return "not-installed"


def _files(root: Path, skip_top: tuple[str, ...] = ()) -> Iterator[tuple[str, Path]]:
    """Files under `root`, sorted by relative path, without caches or hidden entries."""
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(p in _SKIP_DIRS or p.startswith(".") for p in rel.parts):
            continue
        if rel.parts[0].startswith(skip_top):
            continue
        if path.is_file() and not path.name.endswith(_SKIP_SUFFIXES):
            found.append((rel.as_posix(), path))
    yield from sorted(found)
