"""`operations.py` (an `Operation` per root field, and how the object types nest) and
`client.py` (`Client` and `AsyncClient`: a typed method per operation)."""

from __future__ import annotations

import json

from ...model import TypeExpr, refs_in
from ...python.emit_types import TypeWriter
from ..docs import paragraphs
from ..layout import Br, Code, lay_out
from ..model import ClientModel, LeafCheck, Operation, StructShape, UnionShape
from ..partial import PartialWriter
from .docstrings import docstring
from .imports import Imports
from .names import constant_names, method_names, parameter_names


class Signatures:
    """The Python types of each operation's arguments and results."""

    def __init__(self, model: ClientModel, partial: PartialWriter, writer: TypeWriter) -> None:
        self.model = model
        self.partial = partial
        self.writer = writer
        self.gql = partial.gql

    def full(self, op: Operation, imports: Imports) -> str:
        if op.partial:
            return self.narrowed(op, imports)
        return self._full_type(op, imports)

    def _full_type(self, op: Operation, imports: Imports) -> str:
        return self.expr(op.output, imports)

    def expr(self, t: TypeExpr, imports: Imports) -> str:
        imports.types.update(self.writer.py_names[r] for r in refs_in(t))
        return self.writer.expr(t)

    def narrowed(self, op: Operation, imports: Imports) -> str:
        if op.selects is None:
            return self._full_type(op, imports)
        return self.partial.expr(op.output, imports.types, imports.selections)

    def select(self, op: Operation, imports: Imports) -> str:
        assert op.selects is not None
        name = self.partial.companions[f"{op.selects}/select"]
        imports.selections.add(name)
        return name

    def argument(self, op: Operation, index: int, imports: Imports) -> str:
        arg = op.arguments[index]
        text = self.expr(arg.type, imports)
        if arg.required:
            return text
        nullable, _ = self.gql.unwrap(arg.type)
        return f"{text} = None" if nullable else f"{text} | None = None"


def emit_operations(model: ClientModel, sigs: Signatures, header: str) -> str:
    # The runtime's names are qualified (`runtime.Operation`): user types may take any name.
    imports = Imports()
    body: list[str] = []
    shapes: list[Code] = []
    for shape in model.shapes:
        if isinstance(shape, StructShape):
            fields = Br("{", tuple(f"{_q(f)}: {_q(t)}" for f, t in shape.fields), "}")
            args: tuple[Code, ...] = (fields,)
            if shape.required or shape.checks:
                args += (Br("(", tuple(_q(r) for r in shape.required), ")", one_tuple=True),)
            if shape.checks:
                checks = tuple(_check(f"{_q(f)}: ", c) for f, c in shape.checks)
                args += (Br("{", checks, "}"),)
            shapes.append(Br(f"{_q(shape.name)}: runtime.ObjectShape(", args, ")"))
        else:
            assert isinstance(shape, UnionShape)
            variants = Br("(", tuple(_q(v) for v in shape.variants), ")", one_tuple=True)
            args = (variants,)
            if shape.aliases:
                aliases = Br(
                    "{",
                    tuple(
                        Br(f"{_q(v)}: {{", tuple(f"{_q(f)}: {_q(a)}" for f, a in pairs), "}")
                        for v, pairs in shape.aliases
                    ),
                    "}",
                )
                args += (aliases,)
            shapes.append(Br(f"{_q(shape.name)}: runtime.UnionShape(", args, ")"))
    body += ["", "# How the object and union types nest: for selections and union arguments."]
    body += lay_out(Br("SHAPES: dict[str, runtime.Shape] = {", tuple(shapes), "}"))
    constants = constant_names(op.name for op in model.operations)
    for op in model.operations:
        full, narrowed = sigs.full(op, imports), sigs.narrowed(op, imports)
        variables = Br("{", tuple(f"{_q(a.name)}: {_q(a.graphql_type)}" for a in op.arguments), "}")
        args = (_q(op.kind), _q(op.name), variables, "SHAPES")
        if op.selects is not None:
            args += (f"selects={_q(op.selects)}",)
        if op.encode:
            args += (Br("encode={", tuple(f"{_q(a)}: {_q(t)}" for a, t in op.encode), "}"),)
        if op.decode:
            args += ("decode=True",)
        head = f"{constants[op.name]}: runtime.Operation[{full}, {narrowed}] = runtime.Operation("
        body += ["", *lay_out(Br(head, args, ")"))]
    lines = [header, "", "from __future__ import annotations", "", "from . import runtime"]
    lines += imports.lines()
    return "\n".join([*lines, *body]) + "\n"


def _check(head: str, check: LeafCheck) -> Code:
    if isinstance(check, str):
        return head + _q(check)
    return Br(f"{head}(", tuple(_q(v) for v in check), ")", one_tuple=True)


def _q(value: str | None) -> str:
    """A Python literal: a double-quoted string, or None."""
    return "None" if value is None else json.dumps(value)


# -- client.py


def emit_client(model: ClientModel, sigs: Signatures, header: str) -> str:
    imports = Imports()
    methods = method_names(op.name for op in model.operations)
    constants = constant_names(op.name for op in model.operations)
    tg = model.typegraph
    sync_doc = (
        f"A blocking client of typegraph `{tg}`: `Client(url)`, a method per query and "
        "mutation (subscriptions need `AsyncClient`). Settings: see `BaseClient`."
    )
    async_doc = (
        f"An asyncio client of typegraph `{tg}`: `async with AsyncClient(url) as client`, a "
        "method per query, mutation and subscription. Settings: see `BaseAsyncClient`."
    )
    classes: list[list[str]] = []
    for cls, base, doc, asynchronous in (
        ("Client", "BaseClient", sync_doc, False),
        ("AsyncClient", "BaseAsyncClient", async_doc, True),
    ):
        imports.runtime.add(base)
        block = [f"class {cls}({base}):", *docstring(doc, "    ")]
        for op in model.operations:
            if op.kind == "subscription" and not asynchronous:
                continue
            block += ["", *_method(op, methods[op.name], constants[op.name], sigs, imports,
                                   asynchronous=asynchronous)]  # fmt: skip
        classes.append(block)
    lines = [header, "", "from __future__ import annotations", "", *imports.lines()]
    for block in classes:
        lines += ["", "", *block]
    return "\n".join(lines) + "\n"


def _method(
    op: Operation,
    method: str,
    constant: str,
    sigs: Signatures,
    imports: Imports,
    *,
    asynchronous: bool,
) -> list[str]:
    imports.operations.add(constant)
    params = parameter_names((a.name for a in op.arguments), f"operation {op.name!r}")
    args = tuple(
        f"{params[a.name]}: {sigs.argument(op, i, imports)}" for i, a in enumerate(op.arguments)
    )
    subscription = op.kind == "subscription"
    if subscription:
        imports.runtime.add("Subscription")

    def result(text: str) -> str:
        return f"Subscription[{text}]" if subscription else text

    call = "self._subscribe" if subscription else "self._call"
    prefix = "return await " if asynchronous and not subscription else "return "
    define = "async def" if asynchronous and not subscription else "def"
    values = Br("{", tuple(f"{_q(a.name)}: {params[a.name]}" for a in op.arguments), "}")
    full = sigs.full(op, imports)
    doc = docstring(_method_doc(op, params), "        ")
    if op.selects is None:
        params_ = ("self", "*", *args) if args else ("self",)
        head = Br(f"{define} {method}(", params_, f") -> {result(full)}:")
        body = lay_out(Br(f"{prefix}{call}(", (constant, values), ")"), "        ")
        return [*lay_out(head, "    "), *doc, *body]
    select = sigs.select(op, imports)
    narrowed = sigs.narrowed(op, imports)
    body = lay_out(Br(f"{prefix}{call}(", (constant, values, "select"), ")"), "        ")
    if op.partial:  # the default selection is partial already: one signature
        params_ = ("self", "*", *args, f"select: {select} | None = None")
        head = Br(f"{define} {method}(", params_, f") -> {result(narrowed)}:")
        return [*lay_out(head, "    "), *doc, *body]
    imports.typing.add("overload")
    lines: list[str] = []
    for sel, returns in (
        ("select: None = None", f"{result(full)}: ..."),
        (f"select: {select}", f"{result(narrowed)}: ..."),
        (f"select: {select} | None = None", f"{result(full)} | {result(narrowed)}:"),
    ):
        head = Br(f"{define} {method}(", ("self", "*", *args, sel), f") -> {returns}")
        lines += ["    @overload"] if returns.endswith("...") else []
        lines += lay_out(head, "    ")
    return [*lines, *doc, *body]


def _method_doc(op: Operation, params: dict[str, str]) -> str:
    if op.description:
        text = paragraphs(op.description)
    elif op.source == "publish":
        text = f"Publish a message on channel `{op.channel}` (True once the broker has it)."
    elif op.source == "subscribe":
        text = f"The messages of channel `{op.channel}`, from the moment the subscription starts."
    else:
        text = f"{op.kind.capitalize()} `{op.name}`."
    described = [a for a in op.arguments if a.description]
    if described:
        text += "\n\nArgs:\n" + "\n".join(
            f"    {params[a.name]}: {' '.join((a.description or '').split())}" for a in described
        )
    if op.partial:
        text += (
            "\n\nThe result is recursive: it is selected RECURSION_LEVELS deep by default, and "
            "the fields that would go deeper are absent."
        )
    return text
