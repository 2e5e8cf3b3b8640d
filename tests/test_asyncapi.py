"""The AsyncAPI 3.0 document of a typegraph (`wire asyncapi`, `GET /<tg>/asyncapi.json`),
validated against AsyncAPI's own JSON Schema (tests/asyncapi_spec.py) and checked for what
that schema cannot see: references that resolve, operations whose messages are their
channel's, payload schemas that accept and refuse what the channel does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import referencing
from asyncapi_spec import asyncapi_3_schema
from serving import REPO, serve

import typegraph
from wire.asyncapi import asyncapi

WIRE = Path(sys.executable).parent / "wire"
ORDERS = REPO / "examples" / "orders" / "typegraph.py"
TYPEGRAPHS = [*sorted(REPO.glob("examples/*/typegraph.py")), REPO / "tests/messaging/flow.py"]
BROKERS = [
    "memory://",
    "nats://127.0.0.1:4222?ack_wait=5",
    "amqp://guest:s3cret@127.0.0.1:5672/",
    "redis://127.0.0.1:6379/0",
    "mqtt://127.0.0.1:1883",
]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = asyncapi_3_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def pointer(document: dict[str, Any], ref: str) -> Any:
    """The node `ref` (a local reference, `#/a/b`) points at; KeyError when none."""
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def check_beyond_the_schema(document: dict[str, Any]) -> None:
    """What AsyncAPI requires that its JSON Schema does not check."""
    for ref in refs(document):
        pointer(document, ref)  # every reference resolves
    for key, op in document["operations"].items():
        channel = pointer(document, op["channel"]["$ref"])
        for m in op.get("messages", []):
            assert pointer(document, m["$ref"]) in channel["messages"].values(), key
        if "reply" in op:
            reply = pointer(document, op["reply"]["channel"]["$ref"])
            assert reply["address"] is None  # the address is the request's reply topic
            for m in op["reply"]["messages"]:
                assert pointer(document, m["$ref"]) in reply["messages"].values(), key
    for schema in document.get("components", {}).get("schemas", {}).values():
        jsonschema.Draft7Validator.check_schema(schema)


@pytest.mark.parametrize("broker", BROKERS, ids=lambda b: b.split(":")[0])
@pytest.mark.parametrize("path", TYPEGRAPHS, ids=lambda p: p.parent.name)
def test_every_example_is_a_valid_asyncapi_3_document(
    path: Path, broker: str, validator: jsonschema.Draft7Validator
) -> None:
    document = asyncapi(typegraph.load(path), broker)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
    assert errors == []
    check_beyond_the_schema(document)
    assert "s3cret" not in json.dumps(document)


def test_a_document_the_schema_refuses_is_refused(validator: jsonschema.Draft7Validator) -> None:
    """The validation above can fail: the official schema catches a wrong action."""
    document = asyncapi(typegraph.load(ORDERS))
    document["operations"]["receive:orders.placed:ship"]["action"] = "consume"
    assert not validator.is_valid(document)


def test_the_orders_document() -> None:
    document = asyncapi(typegraph.load(ORDERS), "amqp://guest:s3cret@broker.example:5672/")
    assert document["servers"] == {
        "broker": {
            "host": "broker.example:5672",
            "protocol": "amqp",
            "protocolVersion": "0.9.1",
            "description": "the broker wire runs this typegraph's channels on: "
            "amqp://guest:***@broker.example:5672/",
            "x-wire-broker": "amqp://guest:***@broker.example:5672/",
        }
    }
    ops = {k: (op["action"], op["channel"]["$ref"]) for k, op in document["operations"].items()}
    assert ops == {
        # each handler receives; what it gives up on goes to its dead-letter channel
        "receive:orders.placed:ship": ("receive", "#/channels/orders.placed"),
        "dead-letter:orders.placed:ship": ("send", "#/channels/orders.placed.dead"),
        # each responder receives and replies
        "receive:orders.quote:quote": ("receive", "#/channels/orders.quote"),
        # the runtime granted the channels sends on them
        "send:orders.placed:guest": ("send", "#/channels/orders.placed"),
        "send:orders.shipped:guest": ("send", "#/channels/orders.shipped"),
        "send:orders.quote:guest": ("send", "#/channels/orders.quote"),
        # the GraphQL channel fields
        "graphql:place": ("send", "#/channels/orders.placed"),
        "graphql:shipped": ("receive", "#/channels/orders.shipped"),
    }
    quote = document["operations"]["receive:orders.quote:quote"]
    assert quote["reply"]["address"]["location"] == "$message.header#/reply-to"
    (reply,) = quote["reply"]["messages"]
    assert pointer(document, reply["$ref"])["payload"] == {"type": "number"}
    dead = document["channels"]["orders.placed.dead"]["messages"]["OrderPlaced"]
    assert dead["headers"]["required"] == [
        "wire-attempts",
        "wire-error",
        "wire-channel",
        "wire-handler",
    ]
    assert document["channels"]["orders.placed"]["address"] == "orders.placed"
    mqtt = asyncapi(typegraph.load(ORDERS), "mqtt://127.0.0.1:1883")
    assert mqtt["channels"]["orders.placed"]["address"] == "orders/placed"
    redis = asyncapi(typegraph.load(ORDERS), "redis://127.0.0.1:6379/0")
    assert redis["channels"]["orders.placed"]["address"] == "wire:orders.placed"
    assert redis["servers"]["broker"]["pathname"] == "/0"
    embedded = asyncapi(typegraph.load(ORDERS))["servers"]["broker"]
    assert embedded["protocol"] == "wire-embedded" and "embedded broker" in embedded["description"]


def test_payload_schemas_accept_and_refuse_what_the_channel_does() -> None:
    document = asyncapi(typegraph.load(ORDERS))
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(
        "urn:doc", referencing.jsonschema.DRAFT7.create_resource(document)
    )
    payload = document["channels"]["orders.placed"]["messages"]["OrderPlaced"]["payload"]
    check = jsonschema.Draft7Validator(
        {"$ref": "urn:doc" + payload["$ref"]}, registry=registry
    ).is_valid
    assert check({"id": 1, "item": "book", "qty": 2})
    assert not check({"id": 0, "item": "book", "qty": 2})  # id: t.integer(min=1)
    assert not check({"id": 1, "item": "book"})  # qty is required
    assert not check({"id": 1, "item": "book", "qty": 2, "extra": True})  # a closed struct


def test_wire_asyncapi_prints_it(tmp_path: Path) -> None:
    out = subprocess.run(
        [str(WIRE), "asyncapi", str(ORDERS), "--broker", "nats://127.0.0.1:4222"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    expected = asyncapi(typegraph.load(ORDERS), "nats://127.0.0.1:4222")
    assert json.loads(out.stdout) == expected
    missing = subprocess.run(
        [str(WIRE), "asyncapi", str(tmp_path / "nope.py")], capture_output=True, text=True
    )
    assert missing.returncode == 1
    assert missing.stderr.startswith("error [typegraph_invalid]: ")
    assert len(missing.stderr.splitlines()) == 1


def test_wire_serve_serves_it() -> None:
    with serve(ORDERS) as server:
        got = server.client.get(f"{server.url}/orders/asyncapi.json")
        unknown = server.client.get(f"{server.url}/nope/asyncapi.json")
    assert got.status_code == 200 and got.headers["content-type"] == "application/json"
    assert got.json() == asyncapi(typegraph.load(ORDERS), "memory://")
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["extensions"]["code"] == "unknown_typegraph"
