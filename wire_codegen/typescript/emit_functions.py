"""`wire_sdk/functions.ts`: `Functions`, a typed stub per function of the typegraph.

`ctx.fn.add({ a: 1, b: 2 })` calls function `add` through the `call` hostcall op: its
argument is the function's input interface, its result typed by the function's output.
"""

from __future__ import annotations

import json

from ..model import Callee, GuestModel, Scalar, refs_in, walk
from .emit_handlers import import_line
from .emit_types import TypeWriter, jsdoc
from .names import method_names

_CLASS_DOC = (
    "`ctx.fn`: every function of typegraph {typegraph}, called by name with no GraphQL in "
    "between, as the calling request: its policies apply (the call is internal), its "
    "arguments and its result are checked. A failure throws `HostcallError` with the host's "
    "code (`policy_denied`, `invalid_input`, `handler_error`, ...)."
)


def emit_functions(model: GuestModel, writer: TypeWriter, header: list[str]) -> str:
    # `#call` is private: any function name is a method name (`Object.prototype`'s aside).
    methods = method_names(fn.name for fn in model.functions)
    used = sorted({writer.ts_names[r] for fn in model.functions for r in _refs(fn)})
    lines = [*header, ""]
    if _uses_json(model):
        lines += import_line(["Json"], "./runtime.js", types=True)
    lines += import_line(used, "./types.js", types=True)
    lines += [
        "",
        "/** (function name, its arguments) → its result, through the `call` hostcall op. */",
        "export type CallFunction = (name: string, args: object) => unknown;",
        "",
        *jsdoc(_CLASS_DOC.format(typegraph=f"'{model.typegraph}'"), ""),
        "export class Functions {",
        "  readonly #call: CallFunction;",
        "",
        "  constructor(call: CallFunction) {",
        "    this.#call = call;",
        "  }",
    ]
    for fn in model.functions:
        lines += ["", *_method(methods[fn.name], fn, writer)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _method(method: str, fn: Callee, writer: TypeWriter) -> list[str]:
    inp, out = writer.expr(fn.input), writer.expr(fn.output)
    doc = f"Function `{fn.name}` ({'exposed' if fn.exposed else 'not exposed'}, {fn.effect})."
    if fn.description:
        doc += " " + " ".join(fn.description.split())
    return [
        *jsdoc(doc, "  "),
        f"  {method}(args: {inp}): {out} {{",
        f"    return this.#call({json.dumps(fn.name)}, args) as {out};",
        "  }",
    ]


def _refs(fn: Callee) -> tuple[str, ...]:
    return (*refs_in(fn.input), *refs_in(fn.output))


def _uses_json(model: GuestModel) -> bool:
    return any(
        part == Scalar("json")
        for fn in model.functions
        for t in (fn.input, fn.output)
        for part in walk(t)
    )
