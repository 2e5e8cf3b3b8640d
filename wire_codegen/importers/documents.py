"""Reading the documents the importers take (JSON, or YAML for OpenAPI) and addressing
their parts with JSON pointers (RFC 6901)."""

from __future__ import annotations

import functools
import importlib
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["ImporterError", "escape", "pointer", "read_document", "resolve_pointer"]


class ImporterError(Exception):
    """A document that cannot be imported at all (missing, not JSON/YAML, not a schema or
    not OpenAPI 3); the message says what and where."""


def escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """The JSON pointer of ``tokens`` (``pointer("paths", "/pet", "get")`` is
    ``/paths/~1pet/get``; no tokens: ``""``, the whole document)."""
    return "".join("/" + escape(t) for t in tokens)


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def resolve_pointer(document: Any, ptr: str) -> Any:
    """The value at ``ptr`` in ``document``; `KeyError` naming the pointer when absent."""
    if ptr == "":
        return document
    if not ptr.startswith("/"):
        raise KeyError(ptr)
    node = document
    for raw in ptr[1:].split("/"):
        token = _unescape(raw)
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise KeyError(ptr)
    return node


def read_document(path: Path) -> Any:
    """The JSON value in ``path``: JSON, or YAML for a ``.yaml``/``.yml`` file (or a file
    that is not JSON). YAML is read as JSON would be: timestamps stay strings and mapping
    keys become strings (``200:`` is ``"200"``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ImporterError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImporterError(f"{path}: is a folder, not a file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ImporterError(f"{path}: cannot read it: {e}") from None
    if path.suffix.lower() not in (".yaml", ".yml"):
        try:
            return json.loads(text, parse_constant=_no_constant)
        except json.JSONDecodeError as e:
            if path.suffix.lower() == ".json":
                raise ImporterError(
                    f"{path}: not valid JSON: {e.msg} at line {e.lineno} column {e.colno}"
                ) from None
        except ValueError as e:
            raise ImporterError(f"{path}: {e}") from None
    return _read_yaml(path, text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _read_yaml(path: Path, text: str) -> Any:
    try:
        yaml: Any = importlib.import_module("yaml")
    except ImportError:
        raise ImporterError(
            f"{path}: reading YAML needs PyYAML: pip install 'wire[openapi]' "
            "(or convert the document to JSON)"
        ) from None
    try:
        value = yaml.load(text, Loader=_json_loader(yaml))
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        at = f" at line {where.line + 1} column {where.column + 1}" if where else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ImporterError(f"{path}: not valid YAML: {problem}{at}") from None
    return _json_value(value, path, ())


@functools.cache
def _json_loader(yaml: Any) -> Any:
    """PyYAML's safe loader without the timestamp type (a date stays a string, as JSON
    tools read it)."""
    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    timestamp = "tag:yaml.org,2002:timestamp"
    loader: Any = type("JsonLoader", (base,), {})
    loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != timestamp]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return loader


def _json_value(value: Any, path: Path, at: Sequence[str | int]) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, str | int):
                raise ImporterError(
                    f"{path}: the key {key!r} at {pointer(*at) or '/'} is not a string: quote it"
                )
            out[str(key)] = _json_value(item, path, (*at, str(key)))
        return out
    if isinstance(value, list):
        return [_json_value(item, path, (*at, i)) for i, item in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        raise ImporterError(f"{path}: {value} at {pointer(*at) or '/'} is not a JSON number")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ImporterError(
        f"{path}: the value at {pointer(*at) or '/'} is not JSON ({type(value).__name__})"
    )
