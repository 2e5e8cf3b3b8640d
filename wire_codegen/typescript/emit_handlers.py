"""`wire_sdk/handlers.ts` (the `Handlers` interface and the op table) and the first `app.ts`."""

from __future__ import annotations

import json

from ..model import BuiltinRef, GuestModel, Op, Ref, Scalar, StructDef, refs_in, walk
from .emit_types import TypeWriter, jsdoc
from .names import method_names

LINE = 100  # generated lines stay within it where a name allows


def emit_handlers(model: GuestModel, writer: TypeWriter, header: list[str]) -> str:
    methods = method_names(op.name for op in model.ops)
    lines = [*header, "", 'import type { Ctx } from "./ctx.js";']
    lines += import_line(["OpSpec", *_builtins_used(model.ops, writer)], "./runtime.js", types=True)
    lines += import_line(_types_used(model.ops, writer), "./types.js", types=True)
    lines += [
        "",
        f"/** The ops of component {_quote(model.component)}: implement each in app.ts. */",
    ]
    lines.append("export interface Handlers {")
    for i, op in enumerate(model.ops):
        lines += [""] if i else []
        lines += jsdoc(_op_doc(op), "  ")
        lines.append(f"  {_signature(methods[op.name], op, writer)};")
    lines += ["}", "", "/** Op name → the `Handlers` method and whether its input is an object. */"]
    lines.append("export const OPS: ReadonlyMap<string, OpSpec> = new Map<string, OpSpec>([")
    for op in model.ops:
        spec = f'{{ method: "{methods[op.name]}", objectInput: {_object_input(model, op)} }}'
        lines.append(f"  [{json.dumps(op.name)}, {spec}],")
    lines.append("]);")
    return "\n".join(lines) + "\n"


def emit_app(model: GuestModel, writer: TypeWriter) -> str:
    methods = method_names(op.name for op in model.ops)
    lines = [
        "/**",
        f" * The ops of component {_quote(model.component)} (typegraph {_quote(model.typegraph)}).",
        " *",
        " * Written once by wire codegen and yours from now on: regenerating the SDK never",
        " * overwrites this file. Fill in each method; `matWire` below is the component's export.",
        " */",
        "",
    ]
    sdk = ["type Ctx", "type Handlers", "exportMatWire", "NotImplementedError"]
    sdk += [f"type {name}" for name in _builtins_used(model.ops, writer)]
    lines += import_line(sdk, "./wire_sdk/index.js")
    lines += import_line(_types_used(model.ops, writer), "./wire_sdk/types.js", types=True)
    lines += ["", "class App implements Handlers {"]
    for i, op in enumerate(model.ops):
        lines += [""] if i else []
        lines.append(f"  {_signature(methods[op.name], op, writer)} {{")
        lines += ["    throw new NotImplementedError();", "  }"]
    lines += [
        "}",
        "",
        "/** The component's `mat-wire` export: componentize-js looks for this name. */",
    ]
    lines += ["export const matWire = exportMatWire(new App());", ""]
    return "\n".join(lines)


def import_line(names: list[str], module: str, *, types: bool = False) -> list[str]:
    if not names:
        return []
    ordered = sorted(set(names), key=lambda n: n.removeprefix("type ").lower())
    head = "import type" if types else "import"
    line = f'{head} {{ {", ".join(ordered)} }} from "{module}";'
    if len(line) <= LINE:
        return [line]
    return [f"{head} {{", *(f"  {n}," for n in ordered), f'}} from "{module}";']


def _signature(method: str, op: Op, writer: TypeWriter) -> str:
    return f"{method}(inp: {writer.expr(op.input)}, ctx: Ctx): {writer.expr(op.output)}"


def _op_doc(op: Op) -> str:
    what = {"function": "function", "policy": "policy", "untyped": "materializer"}[op.kind]
    users = ", ".join(op.functions)
    doc = f"Op `{op.name}`, for {what}{'s' if len(op.functions) > 1 else ''} {users}."
    return f"{doc} {' '.join(op.description.split())}" if op.description else doc


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("*/", "*\\/") + "'"


def _object_input(model: GuestModel, op: Op) -> str:
    if isinstance(op.input, BuiltinRef):
        return "true"
    is_struct = isinstance(op.input, Ref) and isinstance(model.type(op.input.name), StructDef)
    return "true" if is_struct else "false"


def _types_used(ops: tuple[Op, ...], writer: TypeWriter) -> list[str]:
    return [writer.ts_names[r] for op in ops for t in (op.input, op.output) for r in refs_in(t)]


def _builtins_used(ops: tuple[Op, ...], writer: TypeWriter) -> list[str]:
    """The names `runtime.ts` provides that the stubs mention (Json, the policy types)."""
    used = []
    for op in ops:
        for t in (op.input, op.output):
            for part in walk(t):
                if part == Scalar("json") or isinstance(part, BuiltinRef):
                    used.append(writer.expr(part))
    return used
