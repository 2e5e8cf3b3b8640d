"""Property-based: a typegraph type → its JSON Schema → `wire import jsonschema` → the
source run → the same JSON Schema; and the importers' source layout is ruff's."""

from __future__ import annotations

import keyword
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_typegraph_properties import document_for, type_trees, valid

import typegraph
from typegraph import t
from typegraph.types import Type
from wire_codegen.importers import import_jsonschema, source
from wire_codegen.importers.schema import GRAPHQL_RESERVED

RUFF = Path(sys.executable).parent / "ruff"
SETTINGS = settings(
    max_examples=int(os.environ.get("TYPEGRAPH_PROP_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Descriptions: any printable text, quotes, backslashes and line breaks included.
texts = st.text(
    st.characters(categories=["L", "N", "P", "S", "Zs"], include_characters="\n\t\\'\""),
    max_size=150,
)


def ruff_formatted(text: str) -> str:
    out = subprocess.run(
        [str(RUFF), "format", "--line-length", "100", "--stdin-filename", "x.py", "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def run_source(text: str, variable: str) -> Type:
    namespace: dict[str, Any] = {}
    exec(compile(text, "<imported>", "exec"), namespace)
    ty = namespace[variable]
    assert isinstance(ty, Type)
    return ty


def schema_of(ty: Type) -> dict[str, Any]:
    doc = document_for(ty)
    return typegraph.json_schema(doc, doc["functions"]["f"]["output"])


@st.composite
def annotated_types(draw: st.DrawFn) -> Type:
    """A type tree, maybe with a description and a default at its root."""
    ty = draw(type_trees)
    if draw(st.booleans()):
        ty = ty.describe(draw(texts))
    if draw(st.booleans()):
        ty = ty.default(draw(valid(ty)))
    return ty


type_names = st.from_regex(r"[A-Z][a-z]{1,6}", fullmatch=True).filter(
    lambda n: n not in GRAPHQL_RESERVED and n != "JsonValue"
)


@st.composite
def named_types(draw: st.DrawFn) -> Type:
    """A renamed type, or a recursive struct (a list of itself, through ``t.ref``)."""
    ty, name = draw(annotated_types()), draw(type_names)
    if draw(st.booleans()):
        return ty.rename(name)
    return t.struct({"value": ty, "next": t.optional(t.list(t.ref(name)))}, name=name)


@SETTINGS
@given(ty=st.one_of(annotated_types(), named_types()))
def test_a_schema_from_a_typegraph_imports_back_to_the_same_schema(ty: Type) -> None:
    schema = schema_of(ty)
    result = import_jsonschema(schema, name="Root", source_name="schema.json")
    # (an enum value such as "null" imports, with a warning that GraphQL cannot serve it)
    assert [i for i in result.issues if "not a GraphQL name" not in i.message] == []
    assert ruff_formatted(result.source) == result.source
    again = schema_of(run_source(result.source, result.root))
    assert again == schema


# -- the layout against ruff ------------------------------------------------------------

identifiers = st.from_regex(r"[a-z][a-z_]{0,9}", fullmatch=True).filter(
    lambda s: not keyword.iskeyword(s) and not keyword.issoftkeyword(s)
)
names = st.lists(identifiers, min_size=1, max_size=3).map(".".join)
atoms = st.sampled_from(["1", "-2.5", "True", "None", "x", "a_rather_long_variable_name"])


def expressions() -> st.SearchStrategy[source.Expr]:
    leaves = st.one_of(atoms.map(source.Atom), texts.map(source.Str), texts.map(_raw))
    return st.recursive(leaves, _containers, max_leaves=12)


def _raw(text: str) -> source.Str:
    return source.Str(text, raw=True)


def _containers(children: st.SearchStrategy[source.Expr]) -> st.SearchStrategy[source.Expr]:
    keyword_args = st.lists(
        st.tuples(identifiers, children),
        max_size=3,
        unique_by=lambda kv: kv[0],
    )
    calls = st.builds(
        lambda func, args, kwargs: source.call(func, *args, **dict(kwargs)),
        names,
        st.lists(children, max_size=3),
        keyword_args,
    )
    lists = st.lists(children, max_size=4).map(source.list_of)
    dicts = st.lists(st.tuples(texts.map(source.Str), children), max_size=4).map(source.dict_of)
    return st.one_of(calls, lists, dicts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(expressions(), min_size=1, max_size=12),
    st.lists(expressions(), max_size=8),
)
def test_the_layout_is_the_one_ruff_writes(
    top: list[source.Expr], inside: list[source.Expr]
) -> None:
    lines: list[str] = []
    for i, expr in enumerate(top):
        lines += [*source.statement(f"v{i}", expr), ""]
    if inside:  # indented, as the OpenAPI importer writes the body of its @typegraph function
        lines += ["", "def f():"]
        for i, expr in enumerate(inside):
            lines += [*source.statement(f"w{i}", expr, 4), ""]
    text = "\n".join(lines).rstrip("\n") + "\n"
    assert ruff_formatted(text) == text
