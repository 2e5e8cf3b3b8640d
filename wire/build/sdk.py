"""Is the guest's generated SDK there? Checked before a build: without it, componentize-py
runs for ~17 s before it fails on the import (and esbuild on the missing module)."""

from __future__ import annotations

import re
from pathlib import Path

from .. import progress
from .detect import Language
from .errors import SdkMissing

SDK = "wire_sdk"
_PY_IMPORT = re.compile(rf"^\s*(from\s+{SDK}[\s.]|import\s+{SDK}\b)", re.M)
_JS_IMPORT = re.compile(rf"""from\s+["']\./{SDK}[/"']""")


def check_sdk(src: Path, language: Language, entry: str = "app.py") -> None:
    """Raise `SdkMissing` when the guest folder `src` imports the generated SDK but has
    none, with the `wire codegen` command that writes it."""
    if (src / SDK).is_dir():
        return
    if language == "python":
        files = [src / "app.py", src / "app" / "__init__.py"]
        pattern = _PY_IMPORT
    else:
        files = [src / entry]
        pattern = _JS_IMPORT
    if not any(f.is_file() and pattern.search(f.read_text(errors="replace")) for f in files):
        return
    kind = "python" if language == "python" else "typescript"
    typegraph = _typegraph_of(src)
    raise SdkMissing(
        f"the guest imports {SDK}, which is not generated yet: run "
        f"`wire codegen {kind} {typegraph} -o {progress.shown(src)}` first",
        where=progress.shown(src),
    )


def _typegraph_of(src: Path) -> str:
    """The typegraph file next to the guest folder that names it, else a placeholder."""
    name = re.escape(src.resolve().name)
    naming = re.compile(rf"""["']{name}/?["']""")
    found = [
        p
        for p in sorted(src.resolve().parent.glob("*.py"))
        if "typegraph" in (text := p.read_text(errors="replace")) and naming.search(text)
    ]
    return progress.shown(found[0]) if len(found) == 1 else "<typegraph.py>"
