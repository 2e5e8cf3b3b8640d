"""Components with typed WIT exports, served as typegraph functions (the `reflected`
runtime kind): `ReflectedRuntime("calc.wasm").export("add", inp, out)` in the DSL.

Importing this package registers the kind (`wire` imports it)."""

from .convert import Bad, Mismatch, Planner
from .errors import SignatureMismatch
from .exports import Export, Exports
from .runtime import ExportsRuntime

__all__ = [
    "Bad",
    "Export",
    "Exports",
    "ExportsRuntime",
    "Mismatch",
    "Planner",
    "SignatureMismatch",
]
