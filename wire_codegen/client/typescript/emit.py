"""The modules of a TypeScript client: `selections.ts`, `operations.ts`, `client.ts` and
`index.ts` (`types.ts` is the guest SDK's type writer's)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from ...model import Ref, StructDef, TypeExpr, UnionDef, refs_in
from ...typescript.emit_handlers import import_line
from ...typescript.emit_types import TypeWriter, jsdoc
from ...typescript.names import property_key
from ..docs import paragraphs
from ..layout import Br, Code, lay_out
from ..model import ClientModel, LeafCheck, Operation, StructShape, UnionShape
from ..partial import PartialWriter
from .names import constant_names, method_names

_ERRORS = (
    "ApiError", "ClientError", "ConnectFailed", "Disconnected", "HttpError", "ProtocolError",
    "TimedOut", "TransportError", "Unauthorized",
)  # fmt: skip


def _q(value: str | None) -> str:
    return "null" if value is None else json.dumps(value)


def _check(head: str, check: LeafCheck) -> Code:
    if isinstance(check, str):
        return head + _q(check)
    return Br(f"{head}[", tuple(_q(v) for v in check), "]")


def _key(name: str) -> str:
    return property_key(name)


class Names:
    """The names a module takes from the package's other modules, per module."""

    def __init__(self) -> None:
        self.types: set[str] = set()
        self.selections: set[str] = set()
        self.operations: set[str] = set()
        self.runtime: set[str] = set()

    def lines(self) -> list[str]:
        out: list[str] = []
        out += import_line(sorted(self.operations), "./operations.js")
        out += import_line(sorted(self.runtime), "./runtime.js")
        out += import_line(sorted(self.selections), "./selections.js", types=True)
        out += import_line(sorted(self.types), "./types.js", types=True)
        return out


def emit_selections(model: ClientModel, partial: PartialWriter, header: list[str]) -> str:
    names = Names()
    blocks: list[list[str]] = []
    for name in model.selectable:
        d = partial.gql.types[name]
        select, part = partial.companions[f"{name}/select"], partial.companions[f"{name}/partial"]
        if isinstance(d, StructDef):
            picks = [(f.name, _select(partial, f.type)) for f in d.fields]
            doc = _SELECT_DOC.format(name=name)
            # a type literal, not an interface: it must fit the runtime's index signature
            blocks.append([*jsdoc(doc, ""), f"export type {select} = {{", *_props(picks), "};"])
            fields = [
                (f.name, partial.expr(f.type, names.types, names.selections)) for f in d.fields
            ]
            doc = _PARTIAL_DOC.format(name=name)
            blocks.append([*jsdoc(doc, ""), f"export interface {part} {{", *_props(fields), "}"])
        else:
            assert isinstance(d, UnionDef)
            variants = partial.gql.object_variants(d) or ()
            picks = [(v, f"{partial.companions[f'{v}/select']} | boolean") for v in variants]
            doc = _UNION_SELECT_DOC.format(name=name)
            blocks.append([*jsdoc(doc, ""), f"export type {select} = {{", *_props(picks), "};"])
            rhs = " | ".join(partial.companions[f"{v}/partial"] for v in variants)
            doc = _PARTIAL_DOC.format(name=name)
            blocks.append([*jsdoc(doc, ""), f"export type {part} = {rhs};"])
    lines = [*header]
    imports = import_line(sorted(names.types), "./types.js", types=True)
    if imports:
        lines += ["", *imports]
    for block in blocks:
        lines += ["", *block]
    return "\n".join(lines) + "\n"


_SELECT_DOC = (
    "The fields of `{name}` to select: `true` selects a field (an object with all its "
    "fields), a nested selection narrows an object; a field left out or `false` is not "
    "selected."
)
_UNION_SELECT_DOC = (
    "The variants of `{name}` to select, each as its own selection: a value of a variant "
    "left out comes back as `{{}}`."
)
_PARTIAL_DOC = "`{name}` as selected with `select`: a field not selected is absent."


def _select(partial: PartialWriter, t: TypeExpr) -> str:
    target = partial.select(t)
    return "boolean" if target is None else f"{target} | boolean"


def _props(fields: Iterable[tuple[str, str]]) -> list[str]:
    return [f"  {_key(name)}?: {text};" for name, text in fields]


class Signatures:
    def __init__(self, partial: PartialWriter, writer: TypeWriter) -> None:
        self.partial = partial
        self.writer = writer

    def expr(self, t: TypeExpr, names: Names) -> str:
        names.types.update(self.writer.ts_names[r] for r in refs_in(t))
        return self.writer.expr(t)

    def defaulted(self, op: Operation) -> list[str]:
        """The arguments the input type requires but the call may leave out (a default)."""
        struct = self.partial.gql.types[op.input] if op.input is not None else None
        assert struct is None or isinstance(struct, StructDef)
        optional = {f.name for f in struct.fields if f.optional} if struct else set()
        return [a.name for a in op.arguments if not a.required and a.name not in optional]

    def full(self, op: Operation, names: Names) -> str:
        return self.narrowed(op, names) if op.partial else self.expr(op.output, names)

    def narrowed(self, op: Operation, names: Names) -> str:
        if op.selects is None:
            return self.expr(op.output, names)
        return self.partial.expr(op.output, names.types, names.selections)

    def select(self, op: Operation, names: Names) -> str:
        assert op.selects is not None
        name = self.partial.companions[f"{op.selects}/select"]
        names.selections.add(name)
        return name


def emit_operations(model: ClientModel, sigs: Signatures, header: list[str]) -> str:
    names = Names()
    names.runtime.update({"Operation", "type Shape"})
    shapes: list[Code] = []
    for shape in model.shapes:
        if isinstance(shape, StructShape):
            fields = tuple(f"{_key(f)}: {_q(t)}" for f, t in shape.fields)
            items: tuple[Code, ...] = (Br("fields: { ", fields, " }"),)
            if shape.required:
                items += (Br("required: [", tuple(_q(r) for r in shape.required), "]"),)
            if shape.checks:
                checks = tuple(_check(f"{_key(f)}: ", c) for f, c in shape.checks)
                items += (Br("checks: { ", checks, " }"),)
        else:
            assert isinstance(shape, UnionShape)
            items = (Br("variants: [", tuple(_q(v) for v in shape.variants), "]"),)
            if shape.aliases:
                aliases = tuple(
                    Br(f"{_key(v)}: {{ ", tuple(f"{_key(f)}: {_q(a)}" for f, a in pairs), " }")
                    for v, pairs in shape.aliases
                )
                items += (Br("aliases: { ", aliases, " }"),)
        shapes.append(Br(f"{_key(shape.name)}: {{ ", items, " }"))
    body = ["", "/** How the object and union types nest: for selections and union arguments. */"]
    body += _lay_out(
        Br("export const SHAPES: { readonly [type: string]: Shape } = {", tuple(shapes), "};")
    )
    constants = constant_names(op.name for op in model.operations)
    for op in model.operations:
        full, narrowed = sigs.full(op, names), sigs.narrowed(op, names)
        variables = Br(
            "{ ", tuple(f"{_key(a.name)}: {_q(a.graphql_type)}" for a in op.arguments), " }"
        )
        if not op.arguments:
            variables = Br("{", (), "}")
        args: tuple[Code, ...] = (_q(op.kind), _q(op.name), variables, "SHAPES")
        options: list[Code] = []
        if op.selects is not None:
            options.append(f"selects: {_q(op.selects)}")
        if op.encode:
            options.append(
                Br("encode: { ", tuple(f"{_key(a)}: {_q(t)}" for a, t in op.encode), " }")
            )
        if op.decode:
            options.append("decode: true")
        if options:
            args += (Br("{ ", tuple(options), " }"),)
        head = f"export const {constants[op.name]} = new Operation<{full}, {narrowed}>("
        body += ["", *_lay_out(Br(head, args, ");"))]
    return "\n".join([*header, "", *names.lines(), *body]) + "\n"


def emit_client(model: ClientModel, sigs: Signatures, header: list[str]) -> str:
    names = Names()
    names.runtime.add("BaseClient")
    methods = method_names(op.name for op in model.operations)
    constants = constant_names(op.name for op in model.operations)
    doc = (
        f"A client of typegraph `{model.typegraph}`: `new Client(url, {{ token, timeoutMs }})`, "
        "a method per query, mutation and subscription (see `BaseClient` and `ClientOptions`)."
    )
    block = [*jsdoc(doc, ""), "export class Client extends BaseClient {"]
    for i, op in enumerate(model.operations):
        block += [""] if i else []
        block += _method(op, methods[op.name], constants[op.name], sigs, names)
    block.append("}")
    return "\n".join([*header, "", *names.lines(), "", *block]) + "\n"


def _method(op: Operation, method: str, constant: str, sigs: Signatures, names: Names) -> list[str]:
    names.operations.add(constant)
    subscription = op.kind == "subscription"
    if subscription:
        names.runtime.add("type Subscription")
    params: list[str] = []
    value = "{}"
    if op.input is not None and op.arguments:
        args_type = sigs.expr(Ref(op.input), names)
        defaulted = sigs.defaulted(op)
        if defaulted:  # required in the type, but the server has a default: may be left out
            names.runtime.add("type WithDefaults")
            keys = " | ".join(_q(k) for k in defaulted)
            args_type = f"WithDefaults<{args_type}, {keys}>"
        params.append(f"args: {args_type}")
        value = "args"
    elif op.arguments:  # a published message that is not a struct
        arg = op.arguments[0]
        params.append(f"{arg.name}: {sigs.expr(arg.type, names)}")
        value = f"{{ {arg.name} }}"

    def result(text: str) -> str:
        return f"Subscription<{text}>" if subscription else f"Promise<{text}>"

    call = "this._subscribe" if subscription else "this._call"
    doc = jsdoc(_method_doc(op), "  ")
    full = sigs.full(op, names)
    if op.selects is None:
        head = Br(f"{method}(", tuple(params), f"): {result(full)} {{")
        body = _lay_out(Br(f"return {call}(", (constant, value), ");"), "    ")
        return [*doc, *_lay_out(head, "  "), *body, "  }"]
    select = sigs.select(op, names)
    narrowed = sigs.narrowed(op, names)
    body = _lay_out(Br(f"return {call}(", (constant, value, "select"), ");"), "    ")
    if op.partial:
        head = Br(f"{method}(", (*params, f"select?: {select}"), f"): {result(narrowed)} {{")
        return [*doc, *_lay_out(head, "  "), *body, "  }"]
    lines = [*doc]
    lines += _lay_out(Br(f"{method}(", tuple(params), f"): {result(full)};"), "  ")
    lines += _lay_out(
        Br(f"{method}(", (*params, f"select: {select}"), f"): {result(narrowed)};"), "  "
    )
    both = f"{full} | {narrowed}"
    head = Br(f"{method}(", (*params, f"select?: {select}"), f"): {result(both)} {{")
    return [*lines, *_lay_out(head, "  "), *body, "  }"]


def _method_doc(op: Operation) -> str:
    if op.description:
        text = paragraphs(op.description)
    elif op.source == "publish":
        text = f"Publish a message on channel `{op.channel}` (true once the broker has it)."
    elif op.source == "subscribe":
        text = f"The messages of channel `{op.channel}`, from the moment the subscription starts."
    else:
        text = f"{op.kind.capitalize()} `{op.name}`."
    if op.partial:
        text += (
            "\n\nThe result is recursive: it is selected RECURSION_LEVELS deep by default, "
            "and the fields that would go deeper are absent."
        )
    return text


def emit_index(model: ClientModel, notice: str) -> str:
    tg = model.typegraph
    example = _example(model)
    doc = (
        f"A typed client of typegraph `{tg}`, served by `wire serve` (GraphQL over HTTP, "
        "subscriptions over WebSocket).\n\n"
        f'    const client = new Client("http://127.0.0.1:7890/{tg}");\n'
        f"    {example}\n\n"
        "Errors: `ApiError` (the server's GraphQL errors: `code`, `detail`, `path`, "
        "`details`), the `TransportError`s (`ConnectFailed`, `TimedOut`, `HttpError`, "
        "`Unauthorized`, `Disconnected`, `ProtocolError`). An integer argument or result is "
        "a GraphQL `Int`: 32-bit.\n\n"
        f"{notice}"
    )
    runtime = [*_ERRORS, "Subscription", "RECURSION_LEVELS", "type ClientOptions", "type Json"]
    runtime.sort(key=lambda n: n.removeprefix("type ").lower())
    lines = [*jsdoc(doc, ""), "", 'export { Client } from "./client.js";']
    lines += _lay_out(Br("export { ", tuple(runtime), ' } from "./runtime.js";'))
    lines += ['export type * from "./selections.js";', 'export type * from "./types.js";']
    return "\n".join(lines) + "\n"


def _example(model: ClientModel) -> str:
    methods = method_names(op.name for op in model.operations)
    calls = [op for op in model.operations if op.kind == "query"]
    calls = calls or [op for op in model.operations if op.kind == "mutation"]
    if not calls:
        return "// ..."
    op = calls[0]
    fields = ", ".join(f"{a.name}: ..." for a in op.arguments if a.required)
    args = f"{{ {fields} }}" if op.input is not None and op.arguments else ""
    return f"console.log(await client.{methods[op.name]}({args}));"


def _lay_out(code: Code, indent: str = "", suffix: str = "") -> list[str]:
    return lay_out(code, indent, suffix, "  ")
