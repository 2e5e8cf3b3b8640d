"""`wire import` as a user runs it: a real process, warnings by JSON pointer on stderr,
`--strict`, and one clear line for a document that cannot be imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import typegraph

DATA = Path(__file__).resolve().parent / "data" / "importers"
WIRE = Path(sys.executable).parent / "wire"


def wire(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WIRE), *args],
        cwd=cwd,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_openapi_writes_a_typegraph_and_warns_by_pointer(tmp_path: Path) -> None:
    out = wire("import", "openapi", str(DATA / "petstore3.yaml"), "-o", "api/pets.py", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    lines = out.stderr.splitlines()
    assert lines[-1] == "wrote api/pets.py"
    warnings = lines[:-1]
    assert len(warnings) == 5 and all(w.startswith("warning: /") for w in warnings), warnings
    assert (
        "warning: /paths/~1pet~1{petId}/delete/parameters/0: header parameter 'api_key' is "
        "not imported" in out.stderr
    )
    doc = typegraph.load(tmp_path / "api" / "pets.py")
    assert "getPetById" in doc["functions"]
    again = wire(
        "import", "openapi", str(DATA / "petstore3.yaml"), "-o", "api/pets.py", cwd=tmp_path
    )
    assert again.returncode == 0  # the same text: nothing to overwrite


def test_jsonschema_to_stdout_is_clean(tmp_path: Path) -> None:
    out = wire("import", "jsonschema", str(DATA / "json-patch.json"), cwd=tmp_path)
    assert (out.returncode, out.stderr) == (0, "")
    assert out.stdout.startswith('"""Types imported from json-patch.json by `wire import')
    assert "\nJsonPatch = t.list(\n" in out.stdout
    named = wire(
        "import", "jsonschema", str(DATA / "json-patch.json"), "--name", "Patch", cwd=tmp_path
    )
    assert "\nPatch = t.list(\n" in named.stdout


def test_strict_fails_and_writes_nothing(tmp_path: Path) -> None:
    out = wire(
        "import",
        "jsonschema",
        str(DATA / "sourcemap-v3.json"),
        "-o",
        "t.py",
        "--strict",
        cwd=tmp_path,
    )
    assert out.returncode == 1
    assert out.stderr.splitlines() == [
        "warning: /patternProperties: `patternProperties` cannot be expressed in a typegraph: "
        "dropped",
        "error [import_incomplete]: sourcemap-v3.json: 1 construct(s) cannot be expressed in "
        "a typegraph (see the warnings); nothing written",
    ]
    assert not (tmp_path / "t.py").exists()
    clean = wire("import", "jsonschema", str(DATA / "json-patch.json"), "--strict", cwd=tmp_path)
    assert clean.returncode == 0


def test_an_existing_file_is_kept_without_force(tmp_path: Path) -> None:
    (tmp_path / "t.py").write_text("# my edits\n")
    source = str(DATA / "json-patch.json")
    out = wire("import", "jsonschema", source, "-o", "t.py", cwd=tmp_path)
    assert out.returncode == 1
    assert out.stderr == "error [import_failed]: t.py exists: pass --force to overwrite it\n"
    assert (tmp_path / "t.py").read_text() == "# my edits\n"
    forced = wire("import", "jsonschema", source, "-o", "t.py", "--force", cwd=tmp_path)
    assert forced.returncode == 0 and "JsonPatch" in (tmp_path / "t.py").read_text()


@pytest.mark.parametrize(
    ("kind", "name", "content", "error"),
    [
        ("openapi", "none.yaml", None, "none.yaml: no such file"),
        (
            "jsonschema",
            "bad.json",
            '{"type": ',
            "bad.json: not valid JSON: Expecting value at line 1 column 10",
        ),
        (
            "openapi",
            "bad.yaml",
            "a: [1,\n",
            "bad.yaml: not valid YAML: ",  # then libyaml's or PyYAML's words, and where
        ),
        (
            "openapi",
            "swagger.json",
            json.dumps({"swagger": "2.0"}),
            "swagger.json: OpenAPI 2.0 (Swagger) is not supported: convert it to OpenAPI 3 first",
        ),
        (
            "jsonschema",
            "api.json",
            json.dumps({"openapi": "3.1.0"}),
            "api.json: an OpenAPI document, not a JSON Schema: use wire import openapi",
        ),
        (
            "jsonschema",
            "list.json",
            "[1]",
            "list.json: not a JSON Schema: the document is a list, not an object",
        ),
    ],
)
def test_a_document_that_cannot_be_imported_is_one_clear_line(
    tmp_path: Path, kind: str, name: str, content: str | None, error: str
) -> None:
    if content is not None:
        (tmp_path / name).write_text(content)
    out = wire("import", kind, name, "-o", "out.py", cwd=tmp_path)
    assert out.returncode == 1
    assert out.stderr.startswith(f"error [import_failed]: {error}")
    assert out.stderr.count("\n") == 1, out.stderr  # one line
    assert not (tmp_path / "out.py").exists()
