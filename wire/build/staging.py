"""What every guest build shares: the cache lookup, a private staging copy, atomic output."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..paths import cache_dir

Progress = Callable[[str], None]
# (private work folder, staged sources, where to write the component) -> None
Make = Callable[[Path, Path, Path], None]


def cached_build(
    src: Path,
    digest: str,
    files: tuple[tuple[str, bytes], ...],
    tool: str,
    make: Make,
    *,
    progress: Progress | None = None,
    force: bool = False,
) -> Path:
    """`<cache>/builds/<digest>.wasm`, made by `make` from a staged copy of `files` unless
    it exists (and not `force`)."""
    say = progress or (lambda _msg: None)
    builds = cache_dir("builds")
    out = builds / f"{digest}.wasm"
    if out.exists() and not force:
        say(f"up to date: {src} ({out.name})")
        return out
    say(f"building {src} with {tool}…")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=".tmp-", dir=builds) as tmp:
        staged = stage(files, Path(tmp) / "src")
        built = Path(tmp) / "component.wasm"
        make(Path(tmp), staged, built)
        os.replace(built, out)  # same folder: atomic, and a concurrent build writes the same
    size_mb = out.stat().st_size / 2**20
    say(f"built {src} → {out} ({size_mb:.1f} MB in {time.monotonic() - started:.1f} s)")
    return out


def stage(files: tuple[tuple[str, bytes], ...], root: Path) -> Path:
    """A private copy of exactly the hashed bytes: edits during the build cannot leak into a
    component cached under the old hash, and the tools leave no debris in the guest."""
    for rel, data in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    root.mkdir(parents=True, exist_ok=True)
    return root


def summary(stderr: str, max_lines: int = 40) -> str:
    lines = stderr.splitlines()
    return "\n".join(lines[-max_lines:]) if lines else "(no output)"
