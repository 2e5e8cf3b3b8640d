"""The shop component (tests/guests/shop): typed WIT exports, no wire SDK, built from
Python with componentize-py against tests/guests/shop/wit (cached by content hash)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from wire.build.componentize import build_python_guest
from wire.paths import WIT_DIR, cache_dir

SHOP = Path(__file__).resolve().parent / "guests" / "shop"


def shop_wit() -> Path:
    """The shop's WIT package with wit-wire (for `hostcall`) as its dependency, staged in
    the cache (the build's hash covers what the files hold, not where they are)."""
    staged = cache_dir("test-wit") / "shop"
    for src, dst in (
        (SHOP / "wit" / "shop.wit", staged),
        (WIT_DIR / "wit-wire.wit", staged / "deps" / "wit-wire"),
    ):
        dst.mkdir(parents=True, exist_ok=True)
        data, target = src.read_bytes(), dst / src.name
        if not target.is_file() or target.read_bytes() != data:
            fd, tmp = tempfile.mkstemp(dir=dst)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, target)
    return staged


def build_shop() -> Path:
    """The built shop component (.wasm)."""
    return build_python_guest(SHOP / "guest", wit_dir=shop_wit(), world="shop")
