"""`wire_sdk/handlers.py` (the abstract stubs and the op table) and the first `app.py`."""

from __future__ import annotations

import json

from ..model import BuiltinRef, GuestModel, Op, Ref, Scalar, StructDef, refs_in, walk
from .emit_types import TypeWriter
from .names import method_names

LINE = 100  # the project's line length; generated code stays within it


def emit_handlers(model: GuestModel, writer: TypeWriter, header: str) -> str:
    methods = method_names(op.name for op in model.ops)
    runtime_names = {"Ctx", "OpSpec"} | _builtins_used(model.ops, writer)
    lines = [header, "", "from __future__ import annotations", ""]
    lines += ["from abc import ABC, abstractmethod", ""]
    lines += import_names("runtime", runtime_names, relative=True)
    lines += import_names("types", _types_used(model.ops, writer), relative=True)
    lines += ["", "", "class Handlers(ABC):"]
    lines.append(f'    """The ops of component {model.component!r}: implement each in app.py."""')
    for op in model.ops:
        lines += ["", "    @abstractmethod"]
        lines += _signature(methods[op.name], op, writer)
        lines += docstring(_op_doc(op), "        ")
    lines += ["", "", "OPS: dict[str, OpSpec] = {"]
    for op in model.ops:
        args = f"{json.dumps(methods[op.name])}, object_input={_object_input(model, op)}"
        line = f"    {json.dumps(op.name)}: OpSpec({args}),"
        lines += (
            [line]
            if len(line) <= LINE
            else [line[: line.index("(") + 1], f"        {args}", "    ),"]
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def emit_app(model: GuestModel, writer: TypeWriter) -> str:
    methods = method_names(op.name for op in model.ops)
    cls = "App" if "App" not in writer.py_names.values() else "App_"
    lines = [
        f'"""The ops of component {model.component!r} (typegraph {model.typegraph!r}).',
        "",
        "Written once by wire codegen and yours from now on: regenerating the SDK never",
        "overwrites this file. Fill in each method; `MatWire` below is the component's export.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    lines += import_names(
        "wire_sdk", {"Ctx", "Handlers", "export"} | _builtins_used(model.ops, writer)
    )
    lines += import_names("wire_sdk.types", _types_used(model.ops, writer))
    lines += ["", "", f"class {cls}(Handlers):"]
    for i, op in enumerate(model.ops):
        lines += [""] if i else []
        lines += _signature(methods[op.name], op, writer)
        lines.append("        raise NotImplementedError")
    if not model.ops:
        lines.append("    pass")
    lines += ["", "", f"MatWire = export({cls})", ""]
    return "\n".join(lines)


def _signature(method: str, op: Op, writer: TypeWriter) -> list[str]:
    inp, out = writer.expr(op.input), writer.expr(op.output)
    line = f"    def {method}(self, inp: {inp}, ctx: Ctx) -> {out}:"
    if len(line) <= LINE:
        return [line]
    return [f"    def {method}(", "        self,", f"        inp: {inp},", "        ctx: Ctx,",
            f"    ) -> {out}:"]  # fmt: skip


def docstring(text: str, indent: str) -> list[str]:
    """A docstring of `text`, wrapped at spaces within LINE."""
    lines: list[str] = []
    current = ""
    for word in f'"""{text}'.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and len(indent) + len(candidate) + 3 > LINE:
            lines.append(indent + current)
            current = word
        else:
            current = candidate
    return [*lines, f'{indent}{current}"""']


def _op_doc(op: Op) -> str:
    what = {"function": "function", "policy": "policy", "untyped": "materializer"}[op.kind]
    users = ", ".join(op.functions)
    doc = f"Op `{op.name}`, for {what}{'s' if len(op.functions) > 1 else ''} {users}."
    if op.description:
        doc += " " + " ".join(op.description.split())
    return doc.replace("\\", "\\\\").replace('"""', "'''")


def _object_input(model: GuestModel, op: Op) -> bool:
    if isinstance(op.input, BuiltinRef):
        return True
    return isinstance(op.input, Ref) and isinstance(model.type(op.input.name), StructDef)


def _types_used(ops: tuple[Op, ...], writer: TypeWriter) -> set[str]:
    return {writer.py_names[r] for op in ops for t in (op.input, op.output) for r in refs_in(t)}


def _builtins_used(ops: tuple[Op, ...], writer: TypeWriter) -> set[str]:
    """The names `runtime.py` provides that the stubs mention (Json, the policy types)."""
    used = set()
    for op in ops:
        for t in (op.input, op.output):
            for part in walk(t):
                is_json = isinstance(part, Scalar) and part.kind == "json"
                if is_json or isinstance(part, BuiltinRef):
                    used.add(writer.expr(part))
    return used


def import_names(module: str, names: set[str], *, relative: bool = False) -> list[str]:
    if not names:
        return []
    ordered = sorted(names, key=_isort_key)
    head = f"from {'.' if relative else ''}{module} import "
    line = head + ", ".join(ordered)
    if len(line) <= LINE:
        return [line]
    return [head + "(", *(f"    {n}," for n in ordered), ")"]


def _isort_key(name: str) -> tuple[int, str]:
    # ruff's isort order within one import: CONSTANTS, then Classes, then functions.
    if name.isupper():
        return 0, name
    return (1, name) if name[:1].isupper() else (2, name)
