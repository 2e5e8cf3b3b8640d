"""The gateway over real HTTP: `wire serve` (uvicorn) on a free port, the example guest
built from source, one worker thread and a pool of one instance (nested `gql` calls
must not deadlock even then)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from serving import GATEWAY, MATH, Server, serve

REC_FIELDS = "id name shape origin { x y label } note corner { x y label } email tags cells"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serve(GATEWAY, MATH, "--workers", "1", "--max-body-bytes", "4096") as s:
        yield s


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    assert len(body["errors"]) == 1, body
    err: dict[str, Any] = body["errors"][0]
    return err


# -- the cases ---------------------------------------------------------------


def test_add(server: Server) -> None:
    assert server.gql("{ add(a: 11, b: 2) }") == {"data": {"add": 13}, "_status": 200}


def test_range_and_its_error(server: Server) -> None:
    assert server.gql("{ range(a: 1, b: 4) }")["data"] == {"range": [1, 2, 3, 4]}
    body = server.gql("{ range(a: 100, b: 1) }")
    err = only_error(body)
    assert "invalid range: 100 > 1" in err["message"]
    assert err["extensions"]["code"] == "handler_error"
    assert err["path"] == ["range"]
    assert body["data"] is None


def test_identity_of_a_nested_record(server: Server) -> None:
    full: dict[str, Any] = {
        "id": 7,
        "name": "full",
        "shape": "triangle",
        "origin": {"x": 1.5, "y": -2.0, "label": "o"},
        "note": "n",
        "corner": {"x": 0.0, "y": 0.5, "label": None},
        "email": "ada@example.com",
        "tags": ["a", "bc"],
        "cells": [["a", 1.5], [], [2.0, "b"]],
    }
    query = (
        "query($id: Int!, $name: String!, $shape: Shape!, $origin: PointInput!, "
        "$note: String, $corner: PointInput, $email: Email, $tags: [String!], "
        "$cells: [[Cell!]!]!) { identity(id: $id, name: $name, shape: $shape, "
        "origin: $origin, note: $note, corner: $corner, email: $email, tags: $tags, "
        f"cells: $cells) {{ {REC_FIELDS} }} }}"
    )
    assert server.gql(query, full)["data"] == {"identity": full}
    # optional fields left out come back as null; literals work as well as variables
    literal = (
        '{ identity(id: 1, name: "s", shape: square, origin: {x: 0, y: 0}, '
        f'cells: [["x", 2]]) {{ {REC_FIELDS} }} }}'
    )
    assert server.gql(literal)["data"]["identity"] == {
        "id": 1,
        "name": "s",
        "shape": "square",
        "origin": {"x": 0.0, "y": 0.0, "label": None},
        "note": None,
        "corner": None,
        "email": None,
        "tags": None,
        "cells": [["x", 2.0]],
    }


def test_a_list_of_records_one_sparse_one_full(server: Server) -> None:
    records = server.gql(f"{{ records {{ {REC_FIELDS} }} }}")["data"]["records"]
    assert len(records) == 2
    sparse, full = records
    assert sparse["note"] is None and sparse["corner"] is None and sparse["tags"] is None
    assert sparse["origin"] == {"x": 0.0, "y": 0.0, "label": None}
    assert full["corner"] == {"x": 3.0, "y": 4.0, "label": "c"}
    assert full["cells"] == [["a", 1.5], [], [2.0, "z"]]
    assert full["email"] == "ada@example.com" and full["tags"] == ["a", "b"]


def test_a_hundred_gql_hostcalls_in_one_call(server: Server) -> None:
    body = server.gql("{ add_many(n: 100) }")
    assert body["data"] == {"add_many": [1000 + i for i in range(100)]}


def test_union_output_and_one_of_input(server: Server) -> None:
    q = "{ figures { __typename ... on Circle { radius } ... on Square { side } } }"
    assert server.gql(q)["data"]["figures"] == [
        {"__typename": "Circle", "radius": 1.0},
        {"__typename": "Square", "side": 2.0},
    ]
    body = server.gql("{ s: area(figure: {Square: {side: 3}}) }")
    assert body["data"] == {"s": 9.0}
    err = only_error(server.gql("{ area(figure: {Square: {side: 3}, Circle: {radius: 1}}) }"))
    assert err["extensions"]["code"] == "graphql_validation_failed"
    assert "exactly one field" in err["message"]


# -- nested gql: recursion -------------------------------------------------------------


def test_recursive_chain_with_a_pool_of_one(server: Server) -> None:
    assert server.gql("{ chain(depth: 12) }")["data"] == {"chain": 12}


def test_runaway_recursion_stops_with_a_clear_error(server: Server) -> None:
    err = only_error(server.gql("{ chain(depth: 40) }"))
    assert "recursion_limit" in err["message"]
    assert "nested deeper than 16" in err["message"]
    # the server is fine afterwards
    assert server.gql("{ add(a: 1, b: 1) }")["data"] == {"add": 2}


# -- validation: nothing invalid reaches a guest ------------------------------------------


@pytest.mark.parametrize(
    ("args", "path"),
    [
        ('id: -1, name: "x"', "id"),  # minimum
        ('id: 1, name: ""', "name"),  # minLength
        ('id: 1, name: "x", tags: ["UPPER"]', "tags/0"),  # pattern, on the element
        ('id: 1, name: "x", tags: ["a", "b", "c", "d", "e"]', "tags"),  # maxItems
    ],
)
def test_json_schema_failures_name_the_argument(server: Server, args: str, path: str) -> None:
    q = f"{{ identity({args}, shape: circle, origin: {{x: 0, y: 0}}, cells: []) {{ id }} }}"
    err = only_error(server.gql(q))
    assert err["extensions"]["code"] == "invalid_input"
    assert err["path"] == ["identity"]
    assert [d["path"] for d in err["extensions"]["details"]] == [path]


def test_type_failures(server: Server) -> None:
    base = "shape: circle, origin: {x: 0, y: 0}"
    cases = {
        f'{{ identity(id: 1, name: "x", {base}, email: "nope", cells: []) {{ id }} }}': "Email",
        f'{{ identity(id: 1, name: "x", {base}, cells: [[true]]) {{ id }} }}': "Cell",
        '{ identity(id: 1, name: "x", shape: hexagon, origin: {x: 0, y: 0}, cells: []) '
        "{ id } }": "hexagon",
        "{ add(a: 1) }": "b",
        '{ add(a: "1", b: 2) }': "Int",
    }
    for query, word in cases.items():
        err = only_error(server.gql(query))
        assert err["extensions"]["code"] == "graphql_validation_failed", (query, err)
        assert word in err["message"]
        assert err["locations"]


def test_bad_variables(server: Server) -> None:
    q = 'query($e: Email) { identity(id: 1, name: "x", shape: circle, origin: {x: 0, y: 0}, email: $e, cells: []) { id } }'  # noqa: E501
    err = only_error(server.gql(q, {"e": "not-an-email"}))
    assert err["extensions"]["code"] == "invalid_variables"
    assert "Email" in err["message"]
    err = only_error(server.gql("query($a: Int!) { add(a: $a, b: 1) }", {}))
    assert err["extensions"]["code"] == "invalid_variables"


def test_request_errors(server: Server) -> None:
    assert only_error(server.gql("{ add(a: 1"))["extensions"]["code"] == "graphql_parse_failed"
    err = only_error(server.gql("{ nope }"))
    assert err["extensions"]["code"] == "graphql_validation_failed"
    assert "nope" in err["message"]
    c, url = server.client, server.url
    cases: list[tuple[Any, int, str]] = [
        (c.post(f"{url}/gateway", content=b"{not json", headers=_json), 400, "bad_request"),
        (c.post(f"{url}/gateway", content=b"[1]", headers=_json), 400, "bad_request"),
        (c.post(f"{url}/gateway", json={"variables": {}}), 400, "bad_request"),
        (c.post(f"{url}/gateway", json={"query": "{ add(a: 1, b: 1) }", "variables": 3}), 400,
         "bad_request"),
        (c.post(f"{url}/gateway", content=b"x", headers={"content-type": "text/plain"}), 415,
         "unsupported_media_type"),
        (c.post(f"{url}/gateway", json={"query": "{ add(a: 1, b: 1) }" + " " * 5000}), 413,
         "request_too_large"),
        (c.post(f"{url}/nowhere", json={"query": "{ add(a: 1, b: 1) }"}), 404,
         "unknown_typegraph"),
        (c.get(f"{url}/gateway", params={"query": 'mutation { save_note(text: "x") }'}), 405,
         "method_not_allowed"),
        (c.post(f"{url}/gateway", json={"query": "{ add(a: 1, b: 1) }"},
                headers={"authorization": "Digest abc"}), 401, "unauthenticated"),
    ]  # fmt: skip
    for response, status, code in cases:
        assert response.status_code == status, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == code


def test_chunked_body_over_the_limit_is_refused(server: Server) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ add(a: 1, b: 1) }", "pad": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    r = server.client.post(f"{server.url}/gateway", content=chunks(), headers=_json)
    assert r.status_code == 413


_json = {"content-type": "application/json"}


# -- HTTP surface ----------------------------------------------------------------------


def test_get_and_graphql_body_and_several_typegraphs(server: Server) -> None:
    r = server.client.get(f"{server.url}/math", params={"query": "{ add(a: 2, b: 3) }"})
    assert r.json() == {"data": {"add": 5}}
    r = server.client.post(
        f"{server.url}/gateway",
        content=b"{ add(a: 20, b: 22) }",
        headers={"content-type": "application/graphql"},
    )
    assert r.json() == {"data": {"add": 42}}
    r = server.client.post(
        f"{server.url}/gateway",
        json={
            "query": "query A { a: add(a: 1, b: 1) } query B { b: add(a: 2, b: 2) }",
            "operationName": "B",
        },
    )
    assert r.json() == {"data": {"b": 4}}


def test_health_and_index(server: Server) -> None:
    r = server.client.get(f"{server.url}/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert set(body["typegraphs"]) == {"gateway", "math"}
    index = server.client.get(f"{server.url}/").json()
    assert index["typegraphs"]["gateway"] == f"{server.url}/gateway"


def test_graphiql_page_and_its_assets_are_served_locally(server: Server) -> None:
    r = server.client.get(f"{server.url}/gateway", headers={"accept": "text/html"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "GraphiQL" in r.text and '"endpoint": "/gateway"' in r.text
    for asset in ("react.js", "react-dom.js", "graphiql.js", "graphiql.css"):
        a = server.client.get(f"{server.url}/_wire/graphiql/{asset}")
        assert a.status_code == 200 and len(a.content) > 1000, asset
    assert server.client.get(f"{server.url}/_wire/graphiql/secret.txt").status_code == 404


def test_introspection_shows_names_descriptions_and_roots(server: Server) -> None:
    q = """{ __schema {
        queryType { fields { name description } }
        mutationType { fields { name } }
        types { name kind description isOneOf } } }"""
    schema = server.gql(q)["data"]["__schema"]
    queries = {f["name"]: f["description"] for f in schema["queryType"]["fields"]}
    assert "add_many" in queries and queries["add"] == "a + b"  # names as written
    assert {f["name"] for f in schema["mutationType"]["fields"]} == {"save_note", "drop_note"}
    types = {t["name"]: t for t in schema["types"]}
    assert types["Rec"]["description"] == "A nested record that `identity` returns unchanged."
    assert types["Figure"]["kind"] == "UNION"
    assert types["FigureInput"]["isOneOf"] is True
    assert types["Shape"]["kind"] == "ENUM"
    assert types["Cell"]["kind"] == types["Email"]["kind"] == "SCALAR"


def test_graceful_shutdown_finishes_running_requests() -> None:
    with serve(GATEWAY, "--workers", "1") as s:
        assert s.gql("{ add(a: 1, b: 1) }")["data"] == {"add": 2}
        results: list[dict[str, Any]] = []
        body = {"query": "{ add_many(n: 100) }"}
        url = f"{s.url}/gateway"
        slow = threading.Thread(
            target=lambda: results.append(httpx.post(url, json=body, timeout=30).json())
        )
        slow.start()
        time.sleep(0.1)  # the request is in flight
        code = s.stop()
        slow.join(30)
    assert code == 0, s.output
    assert "wire: stopped" in s.output
    assert results and results[0]["data"] == {"add_many": [1000 + i for i in range(100)]}
