"""Checking imported types the way the typegraph will: by serialising them.

A default that the imported type rejects would make the whole typegraph fail to load, so
each import runs twice: first recording the defaults (`Defaults(record=True)`), which are
then checked against their types in a throwaway document, then carrying only those that
pass (the others are reported and dropped).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import jsonschema_rs

from typegraph import Graph, WireRuntime, json_schema, t
from typegraph.errors import TypegraphError
from typegraph.serialize import serialize
from typegraph.types import Type

from .documents import ImporterError
from .schema import Defaults, SchemaConverter


class Imported(Protocol):
    @property
    def converter(self) -> SchemaConverter: ...

    @property
    def roots(self) -> Sequence[Type]: ...


ImportedT = TypeVar("ImportedT", bound=Imported)


BUG = "this is a bug of the importer: please report it with the document"


def run_source(text: str) -> dict[str, Any]:
    """The module variables of imported source (run to check that it works as written)."""
    namespace: dict[str, Any] = {"__name__": "imported"}
    try:
        exec(compile(text, "<imported>", "exec"), namespace)
    except Exception as e:
        raise ImporterError(f"the imported source does not run ({e!r}); {BUG}") from None
    return namespace


def throwaway_document(types: Sequence[Type]) -> dict[str, Any]:
    """A document with one function returning each of ``types`` (``f0``, ``f1``, ...)."""
    g = Graph("imported")
    runtime = WireRuntime("check")
    unit = t.struct({})
    for i, ty in enumerate(types):
        g.define(**{f"f{i}": runtime.handler(unit, ty, name=f"f{i}")})
    try:
        return serialize(g)
    except TypegraphError as e:
        raise ImporterError(
            f"the imported types do not form a valid typegraph ({e}); {BUG}"
        ) from None


def import_checked(run: Callable[[Defaults], ImportedT]) -> ImportedT:
    """``run`` once to record the defaults, once more with the valid ones; the second
    result, checked."""
    first = run(Defaults(record=True))
    conv = first.converter
    named = list(conv.types.values())
    sites = conv.default_sites
    doc = throwaway_document([*named, *(site.type for site in sites)])
    bad: dict[str, str] = {}
    for i, site in enumerate(sites, start=len(named)):
        schema = json_schema(doc, doc["functions"][f"f{i}"]["output"])
        errors = list(
            jsonschema_rs.validator_for(schema, validate_formats=True).iter_errors(site.value)
        )
        if errors:
            shown = json.dumps(site.value, ensure_ascii=False)
            bad[site.pointer] = (
                f"default {shown} does not match the type: {errors[0].message}; dropped"
            )
    second = run(Defaults(drop=frozenset(bad)))
    for ptr, message in bad.items():
        second.converter.issues.add(f"{ptr}/default", message)
    throwaway_document([*second.converter.types.values(), *second.roots])
    return second
