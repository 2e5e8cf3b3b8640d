"""`wire_sdk/functions.py`: `Functions`, a typed stub per function of the typegraph.

`ctx.fn.add({"a": 1, "b": 2})` calls function `add` through the `call` hostcall op: its
argument is the function's input TypedDict, its result typed by the function's output.
The module imports nothing of `runtime.py` at run time (`runtime.py` imports it for
`Ctx.fn`).
"""

from __future__ import annotations

import json

from ..model import Callee, GuestModel, Scalar, refs_in, walk
from .emit_handlers import LINE, docstring, import_names
from .emit_types import TypeWriter
from .names import function_names

_CLASS_DOC = (
    "`ctx.fn`: every function of typegraph {typegraph!r}, called by name with no GraphQL in "
    "between, as the calling request: its policies apply (the call is internal), its "
    "arguments and its result are checked. A failure raises `HostcallError` with the host's "
    "code (`policy_denied`, `invalid_input`, `handler_error`, ...)."
)


def emit_functions(model: GuestModel, writer: TypeWriter, header: str) -> str:
    methods = function_names(fn.name for fn in model.functions)
    used = {writer.py_names[r] for fn in model.functions for r in _refs(fn)}
    lines = [header, "", "from __future__ import annotations", ""]
    lines += ["from collections.abc import Callable, Mapping"]
    lines += [f"from typing import {'TYPE_CHECKING, ' if _uses_json(model) else ''}Any"]
    if used:
        lines += ["", *import_names("types", used, relative=True)]
    if _uses_json(model):
        lines += ["", "if TYPE_CHECKING:", "    from .runtime import Json"]
    lines += ["", "# (function name, its arguments) -> its result, through the `call` hostcall op."]
    lines += ["CallFunction = Callable[[str, Mapping[str, object]], Any]"]
    lines += ["", "", "class Functions:"]
    lines += docstring(_CLASS_DOC.format(typegraph=model.typegraph), "    ")
    lines += [
        "",
        "    def __init__(self, call: CallFunction) -> None:",
        "        self._call = call",
    ]
    for fn in model.functions:
        lines += ["", *_method(methods[fn.name], fn, writer)]
    return "\n".join(lines) + "\n"


def _method(method: str, fn: Callee, writer: TypeWriter) -> list[str]:
    inp, out = writer.expr(fn.input), writer.expr(fn.output)
    head = f"    def {method}(self, args: {inp}) -> {out}:"
    if len(head) > LINE:
        head = f"    def {method}(\n        self, args: {inp}\n    ) -> {out}:"
    doc = f"Function `{fn.name}` ({'exposed' if fn.exposed else 'not exposed'}, {fn.effect})."
    if fn.description:
        doc += " " + " ".join(fn.description.split())
    doc = doc.replace("\\", "\\\\").replace('"""', "'''")
    name = json.dumps(fn.name)
    call = f"        result: {out} = self._call({name}, args)"
    if len(call) > LINE:
        call = f"        result: {out} = self._call(\n            {name}, args\n        )"
    return [head, *docstring(doc, "        "), call, "        return result"]


def _refs(fn: Callee) -> tuple[str, ...]:
    return (*refs_in(fn.input), *refs_in(fn.output))


def _uses_json(model: GuestModel) -> bool:
    return any(
        isinstance(part, Scalar) and part.kind == "json"
        for fn in model.functions
        for t in (fn.input, fn.output)
        for part in walk(t)
    )
