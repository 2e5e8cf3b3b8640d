"""`build_guest`: a guest folder of any language into a component, addressed by content hash."""

from __future__ import annotations

from pathlib import Path

from .componentize import build_python_guest
from .detect import guest_language
from .inputs import read_inputs
from .js import build_js_guest, js_inputs
from .staging import Progress


def build_guest(src: Path, *, progress: Progress | None = None, force: bool = False) -> Path:
    """Build the guest folder `src` — Python (`app.py`, componentize-py), TypeScript
    (`app.ts`) or JavaScript (`app.js`, both componentize-js) — and return the component's
    path, `<cache>/builds/<hash>.wasm`. An existing build is reused unless `force`."""
    language, entry = guest_language(src)
    if language == "python":
        return build_python_guest(src, progress=progress, force=force)
    return build_js_guest(src, language, entry, progress=progress, force=force)


def guest_hash(src: Path) -> str:
    """The content hash of the component `build_guest(src)` produces."""
    language, entry = guest_language(src)
    return read_inputs(src).digest() if language == "python" else js_inputs(src, entry).digest()
