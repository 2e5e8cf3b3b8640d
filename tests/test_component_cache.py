"""Compiled components are cached on disk: a restart deserialises instead of compiling."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

LOAD = """
import sys
from pathlib import Path
from wire.components import load_component
from wire.engine import Engine
loaded = load_component(Engine(), Path(sys.argv[1]))
print("cache-hit" if loaded.from_cache else "compiled")
"""


def load_in_new_process(component: Path, cache: Path) -> str:
    env = {**os.environ, "WIRE_CACHE_DIR": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", LOAD, str(component)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_restart_deserialises_from_the_private_cache(
    wat: Callable[[str], Path], tmp_path: Path
) -> None:
    component = wat("echo")
    cache = tmp_path / "cache"
    assert load_in_new_process(component, cache) == "compiled"
    assert load_in_new_process(component, cache) == "cache-hit"
    compiled = list((cache / "compiled").iterdir())
    assert len(compiled) == 1 and compiled[0].suffix == ".cwasm"
    for d in (cache, cache / "compiled"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700


def test_corrupt_cache_entry_is_recompiled(wat: Callable[[str], Path], tmp_path: Path) -> None:
    component = wat("counter")
    cache = tmp_path / "cache"
    assert load_in_new_process(component, cache) == "compiled"
    (entry,) = (cache / "compiled").iterdir()
    entry.write_bytes(b"garbage")
    assert load_in_new_process(component, cache) == "compiled"
    assert load_in_new_process(component, cache) == "cache-hit"


def test_cache_key_changes_with_content(wat: Callable[[str], Path], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_in_new_process(wat("echo"), cache)
    load_in_new_process(wat("counter"), cache)
    assert len(list((cache / "compiled").iterdir())) == 2
