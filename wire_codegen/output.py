"""Writing a generated SDK: every language's emitter returns file texts, this writes them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def write_sdk(
    out_dir: Path,
    package: str,
    generated: Mapping[str, str],
    once: Mapping[str, str],
    suffixes: tuple[str, ...],
) -> list[Path]:
    """Write `generated` into `out_dir/package/` (rewritten every time; files there with one
    of `suffixes` that are no longer generated are removed) and each of `once` into
    `out_dir` only when it does not exist yet (the author's files). Returns the package's
    files and the `once` files that were created."""
    pkg = out_dir / package
    pkg.mkdir(parents=True, exist_ok=True)
    written = [_write(pkg / name, text) for name, text in generated.items()]
    for stale in pkg.iterdir():
        if stale.is_file() and stale.name.endswith(suffixes) and stale.name not in generated:
            stale.unlink()
    for name, text in once.items():
        path = out_dir / name
        if not path.exists():
            written.append(_write(path, text))
    return written


def _write(path: Path, text: str) -> Path:
    # Unchanged files keep their mtime: editors and file watchers stay quiet.
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path
