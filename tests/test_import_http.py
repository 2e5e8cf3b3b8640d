"""`wire import openapi --http`: an existing REST service becomes a typed GraphQL API in two
commands. The test starts a small real REST service (a subset of the Swagger Petstore 3,
tests/web_service.py), imports the Petstore's own OpenAPI document with `--http` and
`--base-url` pointing at it, serves the result with `wire serve`, and works the pets over
GraphQL; the generated guest (`http_guest/`) forwards each call through the `http` op."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serving import Server, serve
from web_service import WebService, web_service

import typegraph
from wire_codegen.importers import ImporterError, import_openapi, read_document

DATA = Path(__file__).resolve().parent / "data" / "importers"
WIRE = Path(sys.executable).parent / "wire"
RUFF = Path(sys.executable).parent / "ruff"
REPO = Path(__file__).resolve().parent.parent
PET = "id name status photoUrls category { id name } tags { id name }"


def wire(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WIRE), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def service() -> Iterator[WebService]:
    with web_service() as s:
        yield s


@pytest.fixture(scope="module")
def imported(service: WebService, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Command one: `wire import openapi petstore3.yaml --http -o petstore.py`."""
    folder = tmp_path_factory.mktemp("petstore")
    out = wire(
        "import", "openapi", DATA / "petstore3.yaml", "--http", "--name", "petstore",
        "--base-url", f"{service.url}/api/v3", "-o", "petstore.py", cwd=folder,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "wrote petstore.py" in out.stderr and "wrote http_guest/app.py" in out.stderr
    return folder / "petstore.py"


@pytest.fixture(scope="module")
def server(imported: Path) -> Iterator[Server]:
    """Command two: `wire serve petstore.py`."""
    with serve(imported) as s:
        yield s


def gql(server: Server, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = server.gql(query, variables, path="petstore")
    assert body.pop("_status") == 200, body
    return body


def test_the_generated_sources_are_ruff_clean(imported: Path) -> None:
    files = [imported, imported.parent / "http_guest" / "app.py"]
    checked = subprocess.run([str(RUFF), "check", "--no-cache", *map(str, files)], cwd=REPO)
    assert checked.returncode == 0
    formatted = subprocess.run([str(RUFF), "format", "--check", *map(str, files)], cwd=REPO)
    assert formatted.returncode == 0


def test_the_runtime_is_granted_the_service_alone(imported: Path, service: WebService) -> None:
    doc = typegraph.load(imported)
    assert doc["runtimes"]["http_guest"]["grants"] == {"http": [service.grant]}
    data = doc["materializers"]["getPetById"]["data"]
    assert data == {
        "method": "GET",
        "url": f"{service.url}/api/v3/pet/{{petId}}",
        "path": {"petId": "petId"},
        "response": "application/json",
    }


def test_the_rest_service_answers_over_graphql(server: Server, service: WebService) -> None:
    pet = {
        "id": 7,
        "name": "Rex",
        "status": "available",
        "photoUrls": ["https://example.com/rex.png"],
        "category": {"id": 1, "name": "Dogs"},
        "tags": [{"id": 2, "name": "good"}],
    }
    added = gql(server, f"mutation($p: PetInput!) {{ addPet(body: $p) {{ {PET} }} }}", {"p": pet})
    assert added == {"data": {"addPet": pet}}
    assert service.pets.pets[7]["name"] == "Rex"  # it reached the service
    got = gql(server, "{ getPetById(petId: 7) { name status tags { name } } }")
    assert got == {"data": {"getPetById": {"name": "Rex", "status": "available",
                                          "tags": [{"name": "good"}]}}}  # fmt: skip
    found = gql(server, "{ findPetsByStatus(status: available) { id name } }")
    assert found == {"data": {"findPetsByStatus": [{"id": 7, "name": "Rex"}]}}
    assert ("GET", "/api/v3/pet/findByStatus?status=available") in service.pets.seen
    renamed = {**pet, "name": "Rex II"}
    updated = gql(
        server, "mutation($p: PetInput!) { updatePet(body: $p) { name } }", {"p": renamed}
    )
    assert updated == {"data": {"updatePet": {"name": "Rex II"}}}
    deleted = gql(server, "mutation { deletePet(petId: 7) }")  # no content: true once done
    assert deleted == {"data": {"deletePet": True}}
    assert 7 not in service.pets.pets


def test_an_error_status_is_an_error_naming_it(server: Server, service: WebService) -> None:
    body = gql(server, "{ getPetById(petId: 404) { name } }")
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "handler_error"
    assert f"GET {service.url}/api/v3/pet/404 answered 404" in error["message"]
    assert "Pet not found" in error["message"]


def test_the_base_url_comes_from_the_document_or_the_option() -> None:
    petstore = read_document(DATA / "petstore3.yaml")
    result = import_openapi(petstore, name=None, source_name="p.yaml", http=True)
    assert 'BASE_URL = "https://petstore3.swagger.io/api/v3"' in result.source
    petstore["servers"] = [{"url": "/api/v3"}]  # relative to where the document is served
    with pytest.raises(ImporterError, match="'/api/v3' is not an absolute http"):
        import_openapi(petstore, name=None, source_name="p.yaml", http=True)
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "T", "version": "1"},
        "servers": [
            {"url": "https://{host}/v1/", "variables": {"host": {"default": "api.example.com"}}}
        ],
        "paths": {"/ping": {"get": {"responses": {"204": {"description": "pong"}}}}},
    }
    result = import_openapi(spec, name="t", source_name="t.json", http=True)
    assert 'BASE_URL = "https://api.example.com/v1"' in result.source
    assert set(result.files) == {"http_guest/app.py"}
    del spec["servers"]
    with pytest.raises(ImporterError, match="no server to forward the calls to"):
        import_openapi(spec, name="t", source_name="t.json", http=True)
    given = import_openapi(spec, name="t", source_name="t.json", http=True, base_url="http://h:1")
    assert 'BASE_URL = "http://h:1"' in given.source


def test_http_needs_an_output_file(tmp_path: Path) -> None:
    out = wire("import", "openapi", DATA / "petstore3.yaml", "--http", cwd=tmp_path)
    assert out.returncode == 1
    assert "error [import_failed]: --http writes the forwarding guest next to the typegraph" in (
        out.stderr
    )
    alone = wire(
        "import", "openapi", DATA / "petstore3.yaml", "--base-url", "http://h", cwd=tmp_path
    )
    assert alone.returncode == 1 and "add --http" in alone.stderr
