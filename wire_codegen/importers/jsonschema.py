"""`wire import jsonschema`: a JSON Schema → a Python module of typegraph types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from typegraph.names import pascal_case
from typegraph.types import Either, Enum, Ref, Struct, Type, Union

from . import source
from .check import import_checked, run_source, throwaway_document
from .documents import ImporterError, pointer
from .emit import TypeWriter, dropped_message, place
from .issues import Issue, Issues
from .result import ImportResult
from .schema import Defaults, SchemaConverter

_MODULE_NAMES = ("t",)


@dataclass
class _Imported:
    converter: SchemaConverter
    root: Type

    @property
    def roots(self) -> Sequence[Type]:
        return [self.root]


def import_jsonschema(schema: Any, *, name: str, source_name: str) -> ImportResult:
    """The typegraph types of ``schema``: its definitions (``$defs``, ``definitions``) as
    named types, and the schema itself as ``name`` (PascalCase). ``source_name`` names the
    document in the module's docstring."""
    if not isinstance(schema, dict | bool):
        raise ImporterError(
            f"{source_name}: not a JSON Schema: the document is a {type(schema).__name__}, "
            "not an object"
        )
    if isinstance(schema, dict) and ("openapi" in schema or "swagger" in schema):
        raise ImporterError(
            f"{source_name}: an OpenAPI document, not a JSON Schema: use wire import openapi"
        )

    name = pascal_case(name)

    def run(defaults: Defaults) -> _Imported:
        conv = SchemaConverter(schema, Issues(), defaults=defaults, root_name=name)
        if isinstance(schema, dict):
            for section in ("$defs", "definitions"):
                defs = schema.get(section)
                if isinstance(defs, dict):
                    for key in defs:
                        conv.declare(pointer(section, key), key)
        root = conv.convert(schema, "")
        if "" not in conv.names and isinstance(root, Struct | Enum | Either | Union):
            conv.define("", name, root)
        conv.finish()
        if "" in conv.names:
            root = Ref(target=conv.names[""])
        conv.drop_unused_any([root])
        return _Imported(conv, root)

    imported = import_checked(run)
    conv, root = imported.converter, imported.root
    writer = TypeWriter(conv.types, reserved=_MODULE_NAMES, pointers=conv.pointers)
    by_type, rest = place(conv.issues.items, conv.pointers)
    lines = source.docstring(f"Types imported from {source_name} by `wire import jsonschema`.")
    lines += ["", "from typegraph import t"]
    lines += writer.definitions(by_type, entries=[root])
    if isinstance(root, Ref):
        variable = writer.variables[root.target]
        if rest:
            lines += ["", *_comments(rest)]
    else:
        variable = _free(name, writer.variables.values())
        writer.begin([root], "")
        expr = writer.expr(root)
        notes = [str(Issue("", dropped_message(t))) for o, t in writer.dropped if o == ""]
        lines += ["", *_comments(rest), *(c for n in notes for c in source.comment_lines(n))]
        lines += source.statement(variable, expr)
    text = "\n".join(lines) + "\n"
    root_type = run_source(text)[variable]
    throwaway_document([root_type])  # it loads in a typegraph
    dropped = [Issue(conv.pointers.get(o, ""), dropped_message(t)) for o, t in writer.dropped]
    return ImportResult(text, [*conv.issues.items, *dropped], variable)


def _comments(issues: Sequence[Issue]) -> list[str]:
    return [line for issue in issues for line in source.comment_lines(str(issue))]


def _free(name: str, taken: Any) -> str:
    var = name
    while var in set(taken) or var in _MODULE_NAMES or not var.isidentifier():
        var += "_"
    return var
