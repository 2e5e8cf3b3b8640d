"""What every guest build shares: the cache lookup, a private staging copy, atomic output."""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .. import progress as steps
from ..paths import cache_dir
from .errors import BuildError

Progress = Callable[[str], None]
# What a person waits for, shown while a build runs (measured on 2 cores, see the README).
HINTS = {
    "componentize-py": "a first build takes ~5-15 s",
    "componentize-js": "a first build takes ~5-15 s",
}
_ERROR_LINE = re.compile(r"(\w*Error\b|\[ERROR\]|^error\b|\berror:)")
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
    label: str | None = None,
) -> Path:
    """`<cache>/builds/<digest>.wasm`, made by `make` from a staged copy of `files` unless
    it exists (and not `force`). Its steps name `src`, or `label`."""
    say = progress or (lambda _msg: None)
    builds = cache_dir("builds")
    out = builds / f"{digest}.wasm"
    name = label or steps.shown(src)
    with steps.step(f"build {name}", hint=f"{tool}; {HINTS.get(tool, '')}") as step:
        if out.exists() and not force:
            say(f"up to date: {src} ({out.name})")
            step.finish("cached", "up to date")
            steps.name_as(out, name)
            return out
        say(f"building {src} with {tool}…")
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=".tmp-", dir=builds) as tmp:
            staged = stage(files, Path(tmp) / "src")
            built = Path(tmp) / "component.wasm"
            try:
                make(Path(tmp), staged, built)
            except BuildError as e:
                _keep_log(e, digest)
                raise
            os.replace(built, out)  # same folder: atomic, and a concurrent build writes the same
        size_mb = out.stat().st_size / 2**20
        elapsed = time.monotonic() - started
        say(f"built {src} → {out} ({size_mb:.1f} MB in {elapsed:.1f} s)")
        step.finish("built", f"{tool}, {size_mb:.1f} MB")
        steps.name_as(out, name)
    return out


def _keep_log(e: BuildError, digest: str) -> None:
    """Save the tool's whole output beside the cache and say where: the error itself names
    only its gist."""
    if not e.stderr:
        return
    log = cache_dir("build-logs") / f"{digest}.log"
    log.write_text(e.stderr + "\n")
    e.message += f"\n  its whole output: {log}"


def gist(output: str) -> str:
    """The line of a tool's output that says what went wrong: the last error line (a
    Python exception, esbuild's `[ERROR]`, a compiler's `error:`), else the last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if _ERROR_LINE.search(line):
            return line
    return lines[-1] if lines else "(no output)"


def tool_failed(tool: str, returncode: int, output: str, src: Path) -> BuildError:
    """The error of a build tool that exited with `returncode`: its gist, and all of
    `output` in `stderr` (and in a log file, see `cached_build`)."""
    return BuildError(
        f"{tool} failed (exit {returncode}): {gist(output)}", where=str(src), stderr=output
    )


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
