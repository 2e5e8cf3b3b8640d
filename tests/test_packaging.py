"""A built wire (a wheel) carries every package of the checkout and the WIT it needs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_wheel_has_every_package_and_the_wit(tmp_path: Path) -> None:
    # Built from a copy of what git would commit: a stale build/ folder in the checkout
    # would otherwise hide a package missing from pyproject.toml.
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    src = tmp_path / "src"
    for rel in listed.stdout.splitlines():
        if (REPO / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, src / rel)
    dist = tmp_path / "dist"
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), "."],
        cwd=src,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    [wheel] = dist.glob("wire-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    # Every folder of Python modules in the checkout is a package of the wheel.
    for folder in ("wire", "typegraph", "wire_codegen"):
        for module in (REPO / folder).rglob("*.py"):
            rel = module.relative_to(REPO).as_posix()
            assert rel in names, f"{rel} is missing from {wheel.name}"
    # Templates the generators and importers read (*.txt next to their modules).
    for template in (REPO / "wire_codegen").rglob("templates/*.txt"):
        rel = template.relative_to(REPO).as_posix()
        assert rel in names, f"{rel} is missing from {wheel.name}"
    # The worlds and op schemas, found by wire.paths when no checkout is around.
    for wit in (REPO / "wit").rglob("*"):
        if wit.is_file():
            rel = wit.relative_to(REPO / "wit").as_posix()
            assert f"wire/_wit/{rel}" in names, f"wit/{rel} is missing from {wheel.name}"
