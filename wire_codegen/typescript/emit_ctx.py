"""`wire_sdk/ctx.ts`: `Ctx`, with one typed helper per hostcall op of `wit/ops/`.

A helper takes the op's required arguments in the schema's order, then the optional ones
in one `options` object: `ctx.log(level, message)`, `ctx.send(channel, payload, {metadata})`.
An op whose argument names cannot be parameters takes its arguments object as is.
"""

from __future__ import annotations

import json

from ..hostcalls import HostcallModel, HostcallOp
from ..model import Field, Ref, Scalar, StructDef, refs_in
from .emit_handlers import import_line
from .emit_types import TypeWriter, jsdoc
from .names import is_plain_identifier, method_names, property_key

# Members of `Ctx` itself: a helper with one of these names gets a trailing `_`.
CTX_MEMBERS = frozenset({"op", "data", "transport", "hostcall", "fn", "fetch"})


def emit_ctx(hostcalls: HostcallModel, writer: TypeWriter, header: list[str]) -> str:
    methods = method_names((op.name for op in hostcalls.ops), CTX_MEMBERS)
    structs = {t.name: t for t in hostcalls.types if isinstance(t, StructDef)}
    lines = [*header, ""]
    ops = {op.name: op for op in hostcalls.ops}
    call, http = ops.get("call"), ops.get("http")
    used = sorted(writer.ts_names[name] for name in _mentioned(hostcalls, structs))
    if call is not None:
        lines += import_line(["Functions"], "./functions.js")
    lines += import_line(used, "./hostcalls.js", types=True)
    if http is None:
        lines += import_line(["Json", "Transport"], "./runtime.js", types=True)
    else:
        runtime = ["type FetchInit", "FetchResponse", "type Json", "type Transport"]
        lines += import_line(runtime, "./runtime.js")
    lines += ["", "/** The hostcall ops of wit/ops/, each with its arguments and its result. */"]
    lines.append("export interface HostcallOps {")
    for op in hostcalls.ops:
        args, result = writer.expr(op.args), writer.expr(op.result)
        lines.append(f"  {property_key(op.name)}: {{ args: {args}; result: {result} }};")
    lines += [
        "}",
        "",
        "/** An op's arguments and result: typed for the ops of wit/ops/, any JSON for others. */",
        "export type HostcallArgs<K extends string> = K extends keyof HostcallOps",
        '  ? HostcallOps[K]["args"]',
        "  : Json;",
        "export type HostcallResult<K extends string> = K extends keyof HostcallOps",
        '  ? HostcallOps[K]["result"]',
        "  : Json;",
        "",
        "/** Per call: the op being handled, its materializer data, and the hostcalls. */",
        "export class Ctx {",
    ]
    if call is not None:
        lines += [*jsdoc(FN_DOC, "  "), "  readonly fn: Functions;", ""]
    lines += [
        "  constructor(",
        "    /** The op being handled. */",
        "    readonly op: string,",
        "    /** The materializer's `data` from the typegraph (mat-data-json). */",
        "    readonly data: Json,",
        "    private readonly transport: Transport,",
    ]
    if call is None:
        lines.append("  ) {}")
    else:
        lines += [
            "  ) {",
            "    this.fn = new Functions((name, args) =>",
            '      this.hostcall("call", { function: name, args: args as '
            "{ [key: string]: Json } }),",
            "    );",
            "  }",
        ]
    lines += [
        "",
        "  /** Call hostcall op `op` with `args`: its decoded result; throws `HostcallError`. */",
        "  hostcall<K extends string>(op: K, args: HostcallArgs<K>): HostcallResult<K> {",
        "    return JSON.parse(this.transport(op, JSON.stringify(args))) as HostcallResult<K>;",
        "  }",
    ]
    if http is not None:
        lines += ["", *_fetch(writer.expr(http.args))]
    for op in hostcalls.ops:
        struct = structs.get(op.args.name) if isinstance(op.args, Ref) else None
        lines += ["", *_helper(op, methods[op.name], struct, writer)]
    lines.append("}")
    return "\n".join(lines) + "\n"


FN_DOC = (
    "Every function of the typegraph, typed: `ctx.fn.add({ a: 1, b: 2 })` (the `call` op; "
    "see `Functions`)."
)
FETCH_DOC = (
    "HTTP to a host this runtime is granted (`WireRuntime(..., http=[...])`), made by the "
    'host: `ctx.fetch(url)`, `ctx.fetch(url, { method: "POST", json: {...} })`. Any status '
    "is a response; throws `HostcallError` with code `permission_denied` (not granted, or "
    "redirected there), `timeout`, `payload_too_large` or `http_error`."
)


def _fetch(args_type: str) -> list[str]:
    return [
        *jsdoc(FETCH_DOC, "  "),
        "  fetch(url: string, init: FetchInit = {}): FetchResponse {",
        "    const headers: { [name: string]: string } = { ...init.headers };",
        "    let body = init.body;",
        "    if (init.json !== undefined) {",
        "      body = JSON.stringify(init.json);",
        '      if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-type")) {',
        '        headers["content-type"] = "application/json";',
        "      }",
        "    }",
        f'    const args: {args_type} = {{ method: init.method ?? "GET", url, headers }};',
        "    if (body !== undefined) args.body = body;",
        "    if (init.timeoutMs !== undefined) args.timeout_ms = init.timeoutMs;",
        '    const res = this.hostcall("http", args);',
        "    return new FetchResponse(res.status, res.url, res.headers, res.body);",
        "  }",
    ]


def _helper(op: HostcallOp, method: str, struct: StructDef | None, writer: TypeWriter) -> list[str]:
    args_type = writer.expr(op.args)
    void = op.result == Scalar("null")
    returns = "void" if void else writer.expr(op.result)
    call = "this.hostcall" if void else "return this.hostcall"
    doc = jsdoc(op.description, "  ")
    if struct is None or not all(_is_param(f) for f in struct.fields if not f.optional):
        params, value = f"args: {args_type}", "args"
    else:
        required = [f for f in struct.fields if not f.optional]
        optional = [f for f in struct.fields if f.optional]
        params_list = [f"{f.name}: {writer.expr(f.type)}" for f in required]
        parts = [f.name for f in required]
        if optional:
            omitted = " | ".join(json.dumps(f.name) for f in required)
            options_type = f"Omit<{args_type}, {omitted}>" if required else args_type
            params_list.append(f"options: {options_type} = {{}}")
            parts.append("...options")
        params = ", ".join(params_list)
        value = f"{{ {', '.join(parts)} }}" if parts else "{}"
        if parts == ["...options"]:
            value = "options"
    return [
        *doc,
        f"  {method}({params}): {returns} {{",
        f"    {call}({json.dumps(op.name)}, {value});",
        "  }",
    ]


def _is_param(f: Field) -> bool:
    return is_plain_identifier(f.name) and f.name != "options"


def _mentioned(hostcalls: HostcallModel, structs: dict[str, StructDef]) -> set[str]:
    """Named types ctx.ts mentions: each op's args and result, and the types of the
    required arguments that become parameters."""
    names: set[str] = set()
    for op in hostcalls.ops:
        exprs = [op.args, op.result]
        if isinstance(op.args, Ref) and op.args.name in structs:
            exprs += [f.type for f in structs[op.args.name].fields if not f.optional]
        names.update(r for e in exprs for r in refs_in(e))
    return names
