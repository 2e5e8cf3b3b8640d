"""The import example of docs/importers.md is what `wire import jsonschema` writes, word for
word."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WIRE = Path(sys.executable).parent / "wire"


def test_the_docs_example_is_the_output(tmp_path: Path) -> None:
    section = (REPO / "docs" / "importers.md").read_text()
    schema = re.search(r"```json\n(.*?)```", section, re.S)
    module = re.search(r"```python\n(.*?)```", section, re.S)
    assert schema is not None and module is not None
    (tmp_path / "point.json").write_text(schema.group(1))
    out = subprocess.run(
        [str(WIRE), "import", "jsonschema", "point.json", "-o", "point.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.startswith("warning: /properties/label/not: ")
    assert (tmp_path / "point.py").read_text() == module.group(1)
