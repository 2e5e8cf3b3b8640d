"""Which language a guest folder is written in, from its entry module."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from .errors import BuildError

Language = Literal["python", "typescript", "javascript"]
# The entry file of each language (a Python guest may also be an `app/` package).
ENTRIES: dict[str, Language] = {"app.py": "python", "app.ts": "typescript", "app.js": "javascript"}


def guest_language(src: Path) -> tuple[Language, str]:
    """(language, entry file name) of the guest folder `src`."""
    if not src.is_dir():
        raise BuildError("not a guest folder (no such directory)", where=str(src))
    found = [name for name in ENTRIES if (src / name).is_file()]
    if not found and (src / "app" / "__init__.py").is_file():
        found = ["app.py"]
    if not found:
        raise BuildError(
            "no app.py, app.ts or app.js: generate the SDK and the app with "
            "`wire codegen python|typescript <typegraph> -o <folder>` first",
            where=str(src),
        )
    if len(found) > 1:
        raise BuildError(
            f"several entry modules ({', '.join(found)}): a guest folder holds one guest",
            where=str(src),
        )
    return ENTRIES[found[0]], found[0]
