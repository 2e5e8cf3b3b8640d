"""`wire import openapi`: public OpenAPI documents become typegraphs that load and serve
(the Petstore with a real guest, over GraphQL), and each OpenAPI construct is mapped or
reported by JSON pointer."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import typegraph
from wire.build import typecheck_guest
from wire.graphql import Gateway
from wire_codegen.importers import (
    ImporterError,
    ImportResult,
    import_jsonschema,
    import_openapi,
    read_document,
)

DATA = Path(__file__).resolve().parent / "data" / "importers"
REPO = Path(__file__).resolve().parent.parent
RUFF = Path(sys.executable).parent / "ruff"
WIRE = Path(sys.executable).parent / "wire"


def load(result: ImportResult, folder: Path, name: str = "typegraph.py") -> dict[str, Any]:
    path = folder / name
    path.write_text(result.source)
    doc: dict[str, Any] = typegraph.load(path)
    return doc


def imported(spec: dict[str, Any], tmp_path: Path) -> tuple[ImportResult, dict[str, Any]]:
    result = import_openapi(spec, name="api", source_name="api.json")
    return result, load(result, tmp_path)


def spec(paths: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "T", "version": "1"}, "paths": paths, **extra}


def node(doc: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = doc["types"][ref["name"]] if ref.get("kind") == "ref" else ref
    return out


# -- the Petstore ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def petstore() -> ImportResult:
    return import_openapi(read_document(DATA / "petstore3.yaml"), name=None, source_name="p.yaml")


def test_petstore_functions_effects_inputs_and_outputs(
    petstore: ImportResult, tmp_path: Path
) -> None:
    doc = load(petstore, tmp_path)
    assert doc["name"] == "swagger_petstore_openapi_3_0" == petstore.root
    fns = doc["functions"]
    assert {n: f["effect"] for n, f in fns.items()} == {
        "updatePet": "update",
        "addPet": "create",
        "findPetsByStatus": "read",
        "findPetsByTags": "read",
        "getPetById": "read",
        "updatePetWithForm": "create",
        "deletePet": "delete",
        "uploadFile": "create",
        "getInventory": "read",
        "placeOrder": "create",
        "getOrderById": "read",
        "deleteOrder": "delete",
        "createUser": "create",
        "createUsersWithListInput": "create",
        "loginUser": "read",
        "logoutUser": "read",
        "getUserByName": "read",
        "updateUser": "update",
        "deleteUser": "delete",
    }
    assert all(f["policies"] == ["public"] for f in fns.values())
    assert {m["op"] for m in doc["materializers"].values()} == set(fns)
    assert doc["runtimes"] == {
        "guest": {
            "kind": "wire",
            "component": "guest",
            "instances": {"policy": "fresh"},
            "limits": {"deadline_ms": 10000, "memory_bytes": 134217728},
        }
    }
    # path parameter: required; query parameter: optional, with its default
    assert doc["types"]["GetPetByIdInput"]["fields"] == {
        "petId": {"kind": "integer", "description": "ID of pet to return"}
    }
    status = doc["types"]["FindPetsByStatusInput"]["fields"]["status"]
    assert status["kind"] == "optional" and status["default"] == "available"
    assert node(doc, status["item"])["values"] == ["available", "pending", "sold"]
    # a required JSON body is the field `body`; outputs are the 2xx JSON schemas
    assert doc["types"]["UpdatePetInput"]["fields"]["body"] == {
        "kind": "ref",
        "name": "Pet",
        "description": "Update an existent pet in the store",
    }
    assert fns["findPetsByStatus"]["output"] == {
        "kind": "list",
        "items": {"kind": "ref", "name": "Pet"},
    }
    assert fns["deletePet"]["output"] == {"kind": "boolean"}  # no content
    assert set(doc["types"]["UpdateUserInput"]["fields"]) == {"username", "body"}
    pet = doc["types"]["Pet"]
    assert [k for k, v in pet["fields"].items() if v["kind"] != "optional"] == ["name", "photoUrls"]
    assert pet["additionalProperties"] is True  # JSON Schema's default
    assert fns["getPetById"]["description"] == "Find pet by ID.\n\nReturns a single pet."


def test_petstore_reports_what_it_leaves_out(petstore: ImportResult) -> None:
    assert [str(i) for i in petstore.issues] == [
        "/paths/~1pet~1{petId}/delete/parameters/0: header parameter 'api_key' is not "
        "imported: a function's input holds the path and query parameters and the body",
        "/paths/~1pet~1{petId}~1uploadImage/post/requestBody/content/application~1octet-stream:"
        " the media type 'application/octet-stream' is not JSON: its schema is imported as a "
        "JSON value",
        "/paths/~1pet~1{petId}~1uploadImage/post/requestBody/content/application~1octet-stream"
        "/schema/format: format 'binary' is not one a typegraph checks (uuid, email, uri, date, "
        "date-time): dropped",
        "/paths/~1store~1inventory/get/responses/200/content/application~1json/schema"
        "/additionalProperties: a schema for additional properties cannot be expressed in a "
        "typegraph: any additional property is accepted",
        "/components/securitySchemes: security schemes are not imported: every function is "
        "exposed with Policy.public(); give them policies",
    ]
    # each also as a comment above the function (or the module) it concerns
    assert "        # /paths/~1pet~1{petId}/delete/parameters/0: header parameter" in (
        petstore.source
    )


PET_HANDLER = """    def getPetById(self, inp: GetPetByIdInput, ctx: Ctx) -> Pet:
        if inp["petId"] == 404:
            raise Exception("Pet not found")
        return {
            "id": inp["petId"],
            "name": "doggie",
            "photoUrls": [],
            "category": {"id": 1, "name": "Dogs"},
            "status": "available",
        }
"""


@pytest.fixture(scope="module")
def served_petstore(
    petstore: ImportResult, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    """The imported Petstore with a guest written as a user would: `wire codegen python`,
    then one handler written into app.py, type-checked and built."""
    folder = tmp_path_factory.mktemp("petstore")
    (folder / "petstore.py").write_text(petstore.source)
    out = subprocess.run(
        [str(WIRE), "codegen", "python", "petstore.py", "-o", "guest"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    app = folder / "guest" / "app.py"  # one handler filled in; the others keep their stub
    stub = "    def getPetById(self, inp: GetPetByIdInput, ctx: Ctx) -> Pet:\n"
    stub += "        raise NotImplementedError\n"
    assert stub in app.read_text()
    app.write_text(app.read_text().replace(stub, PET_HANDLER))
    typecheck_guest(folder / "guest")
    gateway = Gateway.load(folder / "petstore.py")
    yield gateway
    gateway.close()


def test_petstore_serves_over_graphql(served_petstore: Gateway) -> None:
    query = (
        "query($id: Int!) { getPetById(petId: $id) { id name photoUrls status category { name } } }"
    )
    body = served_petstore.execute_sync(query, {"id": 7})
    assert body == {
        "data": {
            "getPetById": {
                "id": 7,
                "name": "doggie",
                "photoUrls": [],
                "status": "available",
                "category": {"name": "Dogs"},
            }
        }
    }
    failed = served_petstore.execute_sync(query, {"id": 404})
    assert failed["errors"][0]["extensions"]["code"] == "handler_error"
    assert "Pet not found" in failed["errors"][0]["message"]
    # a mutation of the same typegraph, its input checked against the imported Pet
    bad = served_petstore.execute_sync('mutation { addPet(body: {name: "x"}) { id } }')
    assert bad["errors"][0]["extensions"]["code"] == "graphql_validation_failed"
    assert "photoUrls" in bad["errors"][0]["message"]


# -- other documents ---------------------------------------------------------------------


def test_museum_openapi_31(tmp_path: Path) -> None:
    result = import_openapi(read_document(DATA / "museum.yaml"), name=None, source_name="m")
    doc = load(result, tmp_path)
    assert doc["name"] == "redocly_museum_api"
    assert [i.pointer for i in result.issues] == [
        "/paths/~1tickets~1{ticketId}~1qr/get/responses/200/content/image~1png",
        "/webhooks",
        "/components/securitySchemes",
        "/components/schemas/TicketCodeImage/format",
    ]
    # shared parameters ($ref) with their defaults and bounds
    hours = doc["types"]["GetMuseumHoursInput"]["fields"]
    assert hours["limit"] == {
        "kind": "optional",
        "item": {"kind": "integer", "maximum": 30},
        "description": "Number of days per page.",
        "default": 10,
    }
    # allOf merged: the ticket's fields and the confirmation's
    confirmation = doc["types"]["MuseumTicketsConfirmation"]["fields"]
    assert list(confirmation) == [
        "ticketId",
        "ticketDate",
        "ticketType",
        "eventId",
        "message",
        "confirmationCode",
    ]
    # a $ref with a description of its own (OpenAPI 3.1): a described copy of the scalar
    assert confirmation["ticketDate"] == {
        "kind": "string",
        "format": "date",
        "description": "Date when this ticket can be used for museum entry.",
    }
    gateway = Gateway.load(tmp_path / "typegraph.py")  # its GraphQL schema builds
    try:
        fields = gateway.execute_sync("{ __schema { mutationType { fields { name } } } }")
        names = {f["name"] for f in fields["data"]["__schema"]["mutationType"]["fields"]}
        assert names == {
            "createSpecialEvent",
            "updateSpecialEvent",
            "deleteSpecialEvent",
            "buyMuseumTickets",
        }
    finally:
        gateway.close()


def test_petstore_expanded_json(tmp_path: Path) -> None:
    result = import_openapi(
        read_document(DATA / "petstore-expanded.json"), name="pets", source_name="p"
    )
    doc = load(result, tmp_path)
    # the body's own description would need NewPet elsewhere in the typegraph (Pet is a copy)
    assert [str(i) for i in result.issues] == [
        "/paths/~1pets/post: the description of a reference to NewPet is dropped: "
        "t.ref('NewPet', description=...) needs NewPet held by the typegraph elsewhere"
    ]
    assert "        # /paths/~1pets/post: the description of a reference to NewPet" in result.source
    assert list(doc["functions"]) == ["findPets", "addPet", "find_pet_by_id", "deletePet"]
    pet = doc["types"]["Pet"]  # allOf: NewPet and the id
    assert pet["fields"] == {
        "name": {"kind": "string"},
        "tag": {"kind": "optional", "item": {"kind": "string"}},
        "id": {"kind": "integer"},
    }


def test_sources_are_ruff_formatted_and_clean(tmp_path: Path) -> None:
    for path in sorted(DATA.iterdir()):
        if path.suffix not in (".json", ".yaml"):
            continue
        document = read_document(path)
        if "openapi" in document:
            result = import_openapi(document, name=None, source_name=path.name)
        else:
            result = import_jsonschema(document, name=path.stem, source_name=path.name)
        (tmp_path / f"{path.stem.replace('-', '_')}.py").write_text(result.source)
    config = str(REPO / "pyproject.toml")
    for command in (["format", "--check"], ["check"]):
        out = subprocess.run(
            [str(RUFF), *command, "--no-cache", "--config", config, str(tmp_path)],
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stdout + out.stderr


# -- constructs ------------------------------------------------------------------------


def test_names_from_method_and_path_and_keywords(tmp_path: Path) -> None:
    op = {"responses": {"204": {"description": "done"}}}
    result, doc = imported(
        spec(
            {
                "/users/{user-id}/posts": {"get": op, "delete": op},
                "/import": {"post": {**op, "operationId": "import"}},
                "/x": {"get": {**op, "operationId": "import"}},
            }
        ),
        tmp_path,
    )
    assert list(doc["functions"]) == [
        "get_users_by_user_id_posts",
        "delete_users_by_user_id_posts",
        "import",
        "import_2",
    ]
    assert '**{"import": t.func(' in result.source  # a Python keyword: not a keyword argument
    fields = doc["types"]["GetUsersByUserIdPostsInput"]["fields"]
    assert fields == {}  # the path parameter is not declared: nothing invented


def test_parameters_merged_renamed_and_reported(tmp_path: Path) -> None:
    shared = [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
        {"name": "page-size", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    ]
    own = [
        {"name": "page-size", "in": "query", "schema": {"type": "integer", "maximum": 50}},
        {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
        {"name": "session", "in": "cookie", "schema": {"type": "string"}},
        {"$ref": "#/components/parameters/Sort"},
    ]
    components = {
        "parameters": {
            "Sort": {
                "name": "sort",
                "in": "query",
                "required": True,
                "content": {"application/json": {"schema": {"enum": ["asc", "desc"]}}},
            }
        }
    }
    document = spec(
        {
            "/items/{id}": {
                "parameters": shared,
                "get": {"parameters": own, "responses": {"200": {"description": "ok"}}},
            }
        },
        components=components,
    )
    result, doc = imported(document, tmp_path)
    fields = doc["types"]["GetItemsByIdInput"]["fields"]
    assert list(fields) == ["id", "page_size", "sort"]
    assert fields["page_size"]["item"] == {"kind": "integer", "maximum": 50}  # the operation's
    assert [i.pointer for i in result.issues] == [
        "/paths/~1items~1{id}/get/parameters/0/name",  # page-size -> page_size
        "/paths/~1items~1{id}/get/parameters/1",  # header
        "/paths/~1items~1{id}/get/parameters/2",  # cookie
    ]


def test_bodies_responses_and_nullable(tmp_path: Path) -> None:
    document = spec(
        {
            "/things": {
                "post": {
                    "operationId": "make",
                    "requestBody": {"$ref": "#/components/requestBodies/Thing"},
                    "responses": {
                        "201": {"$ref": "#/components/responses/Made"},
                        "200": {"description": "first 2xx wins"},
                    },
                },
                "put": {
                    "operationId": "form",
                    "requestBody": {
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"a": {"type": "string"}},
                                }
                            }
                        }
                    },
                    "responses": {"default": {"description": "no 2xx"}},
                },
            }
        },
        components={
            "schemas": {
                "Thing": {
                    "type": "object",
                    "properties": {"note": {"type": "string", "nullable": True}},
                    "required": ["note"],
                },
            },
            "requestBodies": {
                "Thing": {
                    "required": True,
                    "content": {
                        "application/vnd.api+json": {
                            "schema": {"$ref": "#/components/schemas/Thing"}
                        }
                    },
                }
            },
            "responses": {
                "Made": {
                    "description": "made",
                    "content": {"application/json": {"schema": {"type": "integer"}}},
                }
            },
        },
    )
    document["openapi"] = "3.0.3"
    result, doc = imported(document, tmp_path)
    fns = doc["functions"]
    assert doc["types"]["MakeInput"]["fields"] == {"body": {"kind": "ref", "name": "Thing"}}
    assert fns["make"]["output"] == {"kind": "integer"}  # the first 2xx with content: 201
    assert doc["types"]["Thing"]["fields"]["note"] == {
        "kind": "optional",
        "item": {"kind": "string"},
    }
    assert fns["form"]["output"] == {"kind": "boolean"}
    assert [str(i) for i in result.issues] == [
        "/paths/~1things/put/responses: no 2xx response: the function returns a boolean "
        "(true once done)",
        "/components/schemas/Thing/properties/note: a required property that may be null: a "
        "typegraph field that accepts null may also be absent",
    ]


def test_oneof_with_a_discriminator(tmp_path: Path) -> None:
    schemas = {
        "Cat": {
            "type": "object",
            "properties": {"kind": {"type": "string"}, "purrs": {"type": "boolean"}},
        },
        "Dog": {
            "type": "object",
            "properties": {"kind": {"type": "string"}, "barks": {"type": "boolean"}},
        },
        "Pet": {
            "type": "object",
            "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
            "discriminator": {"propertyName": "kind"},
        },
    }
    get = {
        "responses": {
            "200": {
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}
            }
        }
    }
    result, doc = imported(spec({"/pet": {"get": get}}, components={"schemas": schemas}), tmp_path)
    # the variants stay references to the named structs (type: object beside them is implied)
    assert doc["types"]["Pet"] == {
        "kind": "either",
        "variants": [{"kind": "ref", "name": "Cat"}, {"kind": "ref", "name": "Dog"}],
    }
    assert [i.pointer for i in result.issues] == ["/components/schemas/Pet/discriminator"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"swagger": "2.0"}, "OpenAPI 2.0 (Swagger) is not supported: convert it to OpenAPI 3"),
        ({"openapi": "4.0.0"}, "OpenAPI 4.0.0 is not supported: 3.0 and 3.1 are"),
        (
            {"$schema": "x", "type": "object"},
            "no `openapi` version (a JSON Schema? use wire import jsonschema)",
        ),
        ([1, 2], "not an OpenAPI document (not an object)"),
    ],
)
def test_documents_that_are_not_openapi_3(document: Any, message: str) -> None:
    with pytest.raises(ImporterError, match=re.escape(message)) as caught:
        import_openapi(copy.deepcopy(document), name=None, source_name="api.json")
    assert str(caught.value).startswith("api.json: ")
