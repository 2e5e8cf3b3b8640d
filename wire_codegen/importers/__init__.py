"""Importers: JSON Schema and OpenAPI documents → typegraph source (``wire import``).

`import_jsonschema` writes a module of typegraph types; `import_openapi` a typegraph with
one function per operation. Both return an `ImportResult`: the source, ruff-formatted, and
the `Issue`s (JSON pointer, message) for whatever a typegraph cannot express.
`read_document` reads JSON or YAML; `ImporterError` is a document that cannot be imported.
"""

from .documents import ImporterError, read_document
from .issues import Issue
from .jsonschema import import_jsonschema
from .openapi import import_openapi
from .result import ImportResult

__all__ = [
    "ImportResult",
    "ImporterError",
    "Issue",
    "import_jsonschema",
    "import_openapi",
    "read_document",
]
