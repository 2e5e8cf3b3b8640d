"""AsyncAPI 3.0.0's own JSON Schema, as AsyncAPI publishes it: the npm package
`@asyncapi/specs` (what AsyncAPI's parser and CLI validate with), fetched once with
`npm pack` into the cache, checked against the registry's integrity hash, never copied
into this repository.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pytest

PACKAGE = "@asyncapi/specs"
VERSION = "6.11.1"
# `npm view @asyncapi/specs@6.11.1 dist.integrity`
INTEGRITY = (
    "sha512-"
    "A3WBLqAKGoJ2+6FWFtpjBlCQ1oFCcs4GxF7zsIGvNqp/klGUHjlA3aAcZ9XMMpLGE8zPeYDz2x9FmO6DSuKraQ=="
)
MEMBER = "package/schemas/3.0.0.json"  # every definition bundled, draft-07


def _cache() -> Path:
    root = Path(os.environ.get("WIRE_CACHE_DIR", Path(__file__).parent.parent / ".wire-cache"))
    return root / "asyncapi-specs" / VERSION


def asyncapi_3_schema() -> dict[str, Any]:
    """The JSON Schema of AsyncAPI 3.0.0 documents (draft-07)."""
    target = _cache() / "3.0.0.json"
    if not target.is_file():
        _fetch(target)
    schema: dict[str, Any] = json.loads(target.read_text())
    return schema


def _fetch(target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        message = f"npm is not on PATH: it fetches {PACKAGE}, AsyncAPI's JSON Schemas"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".tmp-", dir=target.parent) as tmp:
        subprocess.run(
            [npm, "pack", f"{PACKAGE}@{VERSION}", "--pack-destination", tmp, "--silent"],
            cwd=tmp,
            check=True,
            capture_output=True,
            timeout=300,
        )
        (tarball,) = Path(tmp).glob("*.tgz")
        data = tarball.read_bytes()
        digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
        assert digest == INTEGRITY, f"{tarball.name} is not the published {PACKAGE}@{VERSION}"
        with tarfile.open(tarball) as tar:
            member = tar.extractfile(MEMBER)
            assert member is not None, f"{PACKAGE}@{VERSION} has no {MEMBER}"
            staged = Path(tmp) / "3.0.0.json"
            staged.write_bytes(member.read())
        os.replace(staged, target)
