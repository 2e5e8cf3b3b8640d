"""`wire import jsonschema`: schemas from the wild and each construct, imported, run, and
checked against the original schema on the same instances; what a typegraph cannot express
is reported by JSON pointer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from test_typegraph_properties import document_for

import typegraph
from typegraph.types import Type
from wire_codegen.importers import ImportResult, import_jsonschema

DATA = Path(__file__).resolve().parent / "data" / "importers"


def imported(schema: Any, name: str = "Root") -> tuple[ImportResult, Type, dict[str, Any]]:
    """The import of ``schema``, the root type its source builds, and that type's schema."""
    result = import_jsonschema(schema, name=name, source_name="schema.json")
    namespace: dict[str, Any] = {}
    exec(compile(result.source, "<imported>", "exec"), namespace)
    root = namespace[result.root]
    doc = document_for(root)  # serialised: the typegraph accepts it
    return result, root, typegraph.json_schema(doc, doc["functions"]["f"]["output"])


def pointers(result: ImportResult) -> list[str]:
    return [issue.pointer for issue in result.issues]


def agree(original: Any, derived: dict[str, Any], valid: list[Any], invalid: list[Any]) -> None:
    """Both schemas accept ``valid`` and reject ``invalid``."""
    before = jsonschema.validators.validator_for(original)(original)
    after = jsonschema_rs.validator_for(derived, validate_formats=True)
    for value in valid:
        assert before.is_valid(value), value
        assert after.is_valid(value), value
    for value in invalid:
        assert not before.is_valid(value), value
        assert not after.is_valid(value), value


# -- schemas from SchemaStore ----------------------------------------------------------


def test_json_patch() -> None:
    schema = json.loads((DATA / "json-patch.json").read_text())
    result, _, derived = imported(schema, "json-patch")
    assert result.issues == []
    assert result.root == "JsonPatch"
    assert 'Path = t.string(\n    pattern="^#?(|(/([^/~]|~[01])*)*)$"' in result.source
    # any value, described: a named type of its own (t.ref("JsonValue") could not resolve)
    assert '"value": Value,' in result.source
    assert 'description="The value to add, replace or test.",' in result.source
    assert "JsonValue" not in result.source
    agree(
        schema,
        derived,
        valid=[
            [],
            [{"op": "add", "path": "/a", "value": {"x": [1, None]}}, {"op": "remove", "path": ""}],
            [{"op": "move", "from": "/a", "path": "/b"}, {"op": "test", "path": "/c", "value": 0}],
        ],
        invalid=[
            [{"op": "add", "path": "/a"}],  # no value
            [{"op": "remove", "path": "a"}],  # not a pointer
            [{"op": "jump", "path": "/a"}],
            [{"op": "copy", "path": "/a"}],  # no from
            [{"op": "remove", "path": "/a", "extra": 1}],  # closed
            {"op": "remove", "path": "/a"},  # not a list
        ],
    )


def test_github_funding() -> None:
    schema = json.loads((DATA / "github-funding.json").read_text())
    result, _, derived = imported(schema, "github-funding")
    assert [str(i) for i in result.issues] == [
        "/properties/custom/oneOf/0/format: format 'uri-reference' is not one a typegraph "
        "checks (uuid, email, uri, date, date-time): dropped",
        "/properties/custom/oneOf/1/items/format: format 'uri-reference' is not one a "
        "typegraph checks (uuid, email, uri, date, date-time): dropped",
    ]
    agree(
        schema,
        derived,
        valid=[{}, {"github": "me"}, {"github": ["a", "b"], "tidelift": "npm/wire", "ko_fi": "x"}],
        invalid=[
            {"github": ""},
            {"github": ["a", "a"]},  # unique
            {"github": ["a", "b", "c", "d", "e", "f"]},  # at most 5
            {"tidelift": "cargo/wire"},
            {"unknown": 1},  # closed
        ],
    )
    # An optional field of a typegraph accepts null: the one widening of the import.
    assert jsonschema_rs.validator_for(derived).is_valid({"patreon": None})


def test_sourcemap_recursive_root_and_allof_over_anyof() -> None:
    schema = json.loads((DATA / "sourcemap-v3.json").read_text())
    result, _, derived = imported(schema, "sourcemap-v3")
    assert pointers(result) == ["/patternProperties"]
    assert '"map": t.optional(t.ref("SourcemapV3"))' in result.source  # "$ref": "#"
    inner = {"version": 3, "sources": ["a.js"], "mappings": "AAAA", "names": []}
    agree(
        schema,
        derived,
        valid=[
            {"version": 3},
            inner,
            {"version": 3, "sections": [{"offset": {"line": 0, "column": 0}, "map": inner}]},
            {"version": 3, "sections": [{"url": "b.map"}], "sourcesContent": ["x", None]},
        ],
        invalid=[
            {},
            {"version": "3"},
            {"version": 3, "sections": []},  # minItems 1
            {"version": 3, "sections": [{"offset": {"line": "0"}}]},
        ],
    )


# -- constructs --------------------------------------------------------------------------

CASES: dict[str, tuple[dict[str, Any], list[Any], list[Any]]] = {
    # name: (schema, valid instances, invalid instances)
    "allOf merged": (
        {
            "allOf": [
                {
                    "type": "object",
                    "properties": {"a": {"type": "integer", "minimum": 0}},
                    "required": ["a"],
                },
                {"properties": {"a": {"maximum": 9}, "b": {"type": "string"}}},
            ]
        },
        [{"a": 0}, {"a": 9, "b": "x"}, {"a": 1, "other": True}],
        [{}, {"a": 10}, {"a": -1}, {"a": 1, "b": 2}],
    ),
    "oneOf with the constraints beside it": (
        {
            "type": "object",
            "properties": {"kind": {"type": "string"}},
            "required": ["kind"],
            "oneOf": [
                {"properties": {"kind": {}, "x": {"type": "integer"}}, "required": ["x"]},
                {"properties": {"kind": {}, "y": {"type": "boolean"}}, "required": ["y"]},
            ],
        },
        [{"kind": "a", "x": 1}, {"kind": "b", "y": True}],
        [{"x": 1}, {"kind": "a"}, {"kind": "a", "x": 1, "y": True}, {"kind": 1, "x": 1}],
    ),
    "recursion through $defs": (
        {
            "$defs": {
                "Node": {
                    "type": "object",
                    "properties": {"v": {"type": "integer"}, "next": {"$ref": "#/$defs/Node"}},
                    "required": ["v"],
                }
            },
            "$ref": "#/$defs/Node",
        },
        [{"v": 1}, {"v": 1, "next": {"v": 2, "next": {"v": 3}}}],
        [{"v": 1, "next": {}}, {"v": 1, "next": {"v": 2, "next": {"v": "x"}}}],
    ),
    "mutual recursion": (
        {
            "definitions": {
                "a": {"type": "object", "properties": {"b": {"$ref": "#/definitions/b"}}},
                "b": {"type": "array", "items": {"$ref": "#/definitions/a"}},
            },
            "$ref": "#/definitions/a",
        },
        [{}, {"b": []}, {"b": [{"b": [{}]}]}],
        [{"b": {}}, {"b": [{"b": [1]}]}],
    ),
    "draft 4 exclusive bounds": (
        {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "integer",
            "minimum": 1,
            "exclusiveMinimum": True,
            "maximum": 5,
            "exclusiveMaximum": False,
        },
        [2, 5],
        [1, 6, 2.5],
    ),
    "type list with null": (
        {"type": ["string", "integer", "null"], "minLength": 2, "maximum": 3},
        ["ab", 3, -7, None],
        ["a", 4, 1.5, True, []],
    ),
    "enum and const of strings": (
        {
            "type": "object",
            "properties": {"e": {"enum": ["a", "b", None]}, "c": {"const": "only"}},
            "required": ["c"],
        },
        [{"e": "a", "c": "only"}, {"e": None, "c": "only"}, {"c": "only"}],
        [{"e": "z", "c": "only"}, {"e": "a", "c": "other"}, {}],
    ),
    "formats, patterns, lengths and unique lists": (
        {
            "type": "array",
            "items": {"type": "string", "format": "uuid", "pattern": "^[0-9a-f-]+$"},
            "minItems": 1,
            "uniqueItems": True,
        },
        [["7d444840-9dc0-11d1-b245-5ffdce74fad2"]],
        [[], ["nope"], ["7d444840-9dc0-11d1-b245-5ffdce74fad2"] * 2],
    ),
    "any value": (
        {"type": "object", "properties": {"v": {}, "w": True}, "required": ["v"]},
        [{"v": None}, {"v": [1, {"a": "b"}]}, {"v": 1.5, "w": "x"}],
        [{}, {"w": 1}],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_constructs_keep_their_meaning(case: str) -> None:
    schema, valid, invalid = CASES[case]
    result, _, derived = imported(schema)
    assert result.issues == []
    agree(schema, derived, valid, invalid)


def test_named_types_are_variables_defined_before_use_and_refs_in_cycles() -> None:
    schema = CASES["mutual recursion"][0]
    result, _, _ = imported(schema)
    source = result.source
    # b refers to a, defined below it (a cycle): by name; a refers to b by variable
    assert 'B = t.list(t.ref("A"), name="B")' in source
    assert '{"b": t.optional(B)}' in source
    assert source.index("B = ") < source.index("A = ")
    assert result.root == "A"


def test_descriptions_and_defaults_are_carried() -> None:
    schema = {
        "type": "object",
        "description": "A point.",
        "properties": {
            "x": {"type": "number", "description": "Abscissa.", "default": 0},
            "label": {"type": "string", "default": "origin"},
        },
        "required": ["x"],
    }
    result, _, _ = imported(schema, "point")
    assert result.source.endswith(
        "Point = t.struct(\n"
        "    {\n"
        '        "x": t.float(description="Abscissa.", default=0),\n'
        '        "label": t.optional(t.string(), default="origin"),\n'
        "    },\n"
        "    additional_properties=True,\n"
        '    name="Point",\n'
        '    description="A point.",\n'
        ")\n"
    )


UNSUPPORTED: dict[str, tuple[dict[str, Any], list[str]]] = {
    "not": ({"type": "string", "not": {"const": "x"}}, ["/not"]),
    "if then else": (
        {"if": {"type": "string"}, "then": {"minLength": 1}, "else": {"type": "integer"}},
        ["/if", "/then", "/else"],
    ),
    "patternProperties": ({"patternProperties": {"^x_": {}}}, ["/patternProperties"]),
    "additionalProperties schema": (
        {"type": "object", "additionalProperties": {"type": "integer"}},
        ["/additionalProperties"],
    ),
    "tuple (prefixItems)": (
        {"type": "array", "prefixItems": [{"type": "integer"}]},
        ["/prefixItems"],
    ),
    "tuple (draft 4 items)": ({"type": "array", "items": [{"type": "integer"}]}, ["/items"]),
    "non-string enum": ({"enum": [1, 2, 3]}, ["/enum"]),
    "enum values GraphQL cannot serve": ({"enum": ["in-progress", "done"]}, ["/enum"]),
    "boolean const": ({"properties": {"on": {"const": True}}}, ["/properties/on/enum"]),
    "only null": ({"type": "null"}, [""]),
    "unknown format": ({"type": "string", "format": "hostname"}, ["/format"]),
    "invalid pattern": ({"type": "string", "pattern": "(unclosed"}, ["/pattern"]),
    "impossible bounds": ({"type": "integer", "minimum": 5, "maximum": 1}, [""]),
    "default of the wrong type": ({"type": "integer", "default": "x"}, ["/default"]),
    "external $ref": ({"$ref": "other.json#/definitions/a"}, ["/$ref"]),
    "dangling $ref": (
        {"properties": {"a": {"$ref": "#/definitions/none"}}},
        ["/properties/a/$ref"],
    ),
    "discriminator": (
        {
            "oneOf": [{"type": "string"}, {"type": "integer"}],
            "discriminator": {"propertyName": "kind"},
        },
        ["/discriminator"],
    ),
    "required and nullable": (
        {"properties": {"a": {"type": ["string", "null"]}}, "required": ["a"]},
        ["/properties/a"],
    ),
    "not a field name": (
        {"properties": {"content-type": {"type": "string"}, "2x": {}}},
        ["/properties/content-type", "/properties/2x"],
    ),
    "closed object merged with a variant's properties": (
        {
            "type": "object",
            "properties": {"kind": {"type": "string"}},
            "additionalProperties": False,
            "oneOf": [{"properties": {"x": {}}}, {"properties": {"y": {}}}],
        },
        ["/oneOf/0", "/oneOf/1"],
    ),
    "a $ref to itself": (
        {"definitions": {"c": {"$ref": "#/definitions/c"}}, "$ref": "#/definitions/c"},
        ["/definitions/c"],
    ),
    "allOf without a common type": (
        {"allOf": [{"type": "string"}, {"type": "integer"}]},
        [""],
    ),
    "more keywords": (
        {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": "^a"},
            "dependentRequired": {"a": ["b"]},
            "properties": {"l": {"type": "array", "contains": {"type": "integer"}}},
        },
        ["/minProperties", "/propertyNames", "/dependentRequired", "/properties/l/contains"],
    ),
}


@pytest.mark.parametrize("case", sorted(UNSUPPORTED))
def test_what_cannot_be_expressed_is_reported_by_pointer(case: str) -> None:
    schema, expected = UNSUPPORTED[case]
    result, _, _ = imported(schema)  # and the rest still imports and loads
    assert pointers(result) == expected, result.issues
    for issue in result.issues:  # and the source says it where it happened
        assert f"# {issue.pointer or '/'}:" in result.source


def test_field_names_are_made_valid_and_the_message_says_the_key_differs() -> None:
    schema = UNSUPPORTED["not a field name"][0]
    result, root, _ = imported(schema)
    assert [name for name, _ in root.fields] == ["content_type", "_2x"]  # type: ignore[attr-defined]
    assert "imported as 'content_type', so the JSON key differs" in str(result.issues[0])


def test_graphql_reserved_names_get_a_suffix_for_structs_only() -> None:
    schema = {
        "$defs": {
            "Query": {"type": "object", "properties": {"q": {"type": "string"}}},
            "Date": {"type": "string", "format": "date"},
        },
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/Query"}, "d": {"$ref": "#/$defs/Date"}},
    }
    result, _, _ = imported(schema)
    assert 'Query2 = t.struct({"q": t.optional(t.string())}' in result.source
    assert 'Date = t.string(format="date", name="Date")' in result.source


def test_a_definition_that_is_only_a_reference_is_a_copy_under_its_own_name() -> None:
    schema = {
        "definitions": {
            "a": {"$ref": "#/definitions/b"},
            "b": {"type": "object", "properties": {"x": {"type": "integer"}}},
        },
        "properties": {"a": {"$ref": "#/definitions/a"}},
    }
    result, _, derived = imported(schema)
    assert result.issues == []
    assert 'A = t.struct({"x": t.optional(t.integer())}' in result.source
    assert '"a": t.optional(B)' in result.source  # a use of the alias is one of its target
    agree(schema, derived, [{"a": {"x": 1}}, {}], [{"a": {"x": "1"}}])
