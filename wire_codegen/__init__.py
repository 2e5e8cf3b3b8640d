"""Generators of guest SDKs and client SDKs from a typegraph document.

`model` is the language-neutral walk of the document (and `hostcalls` of the hostcall op
schemas); each language is one emitter package over it, listed in `LANGUAGES`. Clients
(`client/`) have a walk of their own over the GraphQL API (`client.model`), sharing the
type expressions, and an emitter per language too.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .model import CodegenError, GuestModel, guest_model

# Language → its emitter package (a module with `generate(doc, runtime, out_dir)`).
LANGUAGES = {
    "python": "wire_codegen.python",
    "typescript": "wire_codegen.typescript",
    "client-python": "wire_codegen.client.python",
    "client-typescript": "wire_codegen.client.typescript",
}


def generate(language: str, doc: Mapping[str, Any], runtime: str | None, out_dir: Path) -> Any:
    """Write the guest SDK (or, for `client-*`, the client SDK) of `language`; returns the
    paths written."""
    if language not in LANGUAGES:
        raise CodegenError(f"no SDK generator for {language!r}: one of {', '.join(LANGUAGES)}")
    return importlib.import_module(LANGUAGES[language]).generate(doc, runtime, out_dir)


__all__ = ["LANGUAGES", "CodegenError", "GuestModel", "generate", "guest_model"]
