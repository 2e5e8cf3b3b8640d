"""Where wire finds its data (wit/) and keeps its private cache."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# A checkout's wit/, else the copy an installed wire carries (setup.py puts it there).
_BUNDLED_WIT = Path(__file__).resolve().parent / "_wit"
WIT_DIR = REPO_ROOT / "wit" if (REPO_ROOT / "wit").is_dir() else _BUNDLED_WIT
OPS_DIR = WIT_DIR / "ops"


def cache_dir(sub: str = "") -> Path:
    """`$WIRE_CACHE_DIR` or `~/.cache/wire`, created private (0700); `sub` names a folder in it."""
    root = Path(os.environ.get("WIRE_CACHE_DIR") or Path.home() / ".cache" / "wire").absolute()
    path = root / sub if sub else root
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    for p in (root, path):
        if p.stat().st_mode & 0o077:
            p.chmod(0o700)
    return path
