"""Generators of guest SDKs from a typegraph document.

`model` is the language-neutral walk of the document; each language is one emitter
package over it (`wire_codegen.python`).
"""

from .model import CodegenError, GuestModel, guest_model

__all__ = ["CodegenError", "GuestModel", "guest_model"]
