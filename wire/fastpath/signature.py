"""Does a component speak exactly the wit-wire signatures the fast path is built for?

Types are rendered as canonical text (``result<string, variant{...}>``) and
compared with the expected text: one readable rule instead of a tree of
isinstance checks, and the mismatch message shows both sides. Parameter names
are left out: they never reach a call (arguments are positional), so a
component that only renames a parameter still takes the fast path. Record field
and variant case names are kept: wasmtime checks them when values cross.
"""

from __future__ import annotations

from wasmtime import Engine
from wasmtime.component import (
    Bool,
    Component,
    ComponentInstanceType,
    FuncType,
    ListType,
    RecordType,
    ResultType,
    String,
    ValType,
    VariantType,
)

__all__ = [
    "EXPECTED_HANDLE",
    "EXPECTED_HOSTCALL",
    "EXPECTED_INIT",
    "HOSTCALL_INTERFACE",
    "MAT_WIRE_INTERFACE",
    "component_mismatches",
    "describe_func",
    "describe_type",
]

MAT_WIRE_INTERFACE = "metatype:wit-wire/mat-wire"
HOSTCALL_INTERFACE = "metatype:wit-wire/typegate-wire"

_MAT_INFO = "record{op-name: string, mat-title: string, mat-hash: string, mat-data-json: string}"
EXPECTED_INIT = (
    f"func(record{{metatype-version: string, expected-ops: list<{_MAT_INFO}>}})"
    f" -> result<record{{ok: bool}}, variant{{version-mismatch(string),"
    f" unexpected-mat({_MAT_INFO}), other(string)}}>"
)
EXPECTED_HANDLE = (
    "func(record{op-name: string, in-json: string})"
    " -> result<string, variant{no-handler, in-json-err(string), handler-err(string)}>"
)
EXPECTED_HOSTCALL = "func(string, string) -> result<string, string>"


def describe_type(ty: ValType | None) -> str:
    """Canonical text of the value types wit-wire uses; anything else by class name."""
    if ty is None:
        return "_"
    if isinstance(ty, String):
        return "string"
    if isinstance(ty, Bool):
        return "bool"
    if isinstance(ty, ListType):
        return f"list<{describe_type(ty.element)}>"
    if isinstance(ty, RecordType):
        fields = ", ".join(f"{name}: {describe_type(t)}" for name, t in ty.fields)
        return f"record{{{fields}}}"
    if isinstance(ty, VariantType):
        cases = ", ".join(
            name if t is None else f"{name}({describe_type(t)})" for name, t in ty.cases
        )
        return f"variant{{{cases}}}"
    if isinstance(ty, ResultType):
        return f"result<{describe_type(ty.ok)}, {describe_type(ty.err)}>"
    return type(ty).__name__.lower()


def describe_func(fty: FuncType) -> str:
    params = ", ".join(describe_type(t) for _, t in fty.params)
    result = fty.result
    return f"func({params})" + ("" if result is None else f" -> {describe_type(result)}")


def _instance_funcs(item: object, engine: Engine) -> dict[str, str] | None:
    if not isinstance(item, ComponentInstanceType):
        return None
    out: dict[str, str] = {}
    for name, ext in item.exports(engine).items():
        ty = ext.ty
        if isinstance(ty, FuncType):
            out[name] = describe_func(ty)
    return out


def component_mismatches(engine: Engine, component: Component) -> list[str]:
    """Why ``component`` cannot take the fast path (empty: it can).

    Needs the ``mat-wire`` export with exactly ``init`` and ``handle`` as expected;
    a ``hostcall`` import, if present, must match too (not importing it is fine).
    """
    cty = component.type
    problems: list[str] = []
    exports = cty.exports(engine)
    mat = (
        _instance_funcs(exports[MAT_WIRE_INTERFACE].ty, engine)
        if MAT_WIRE_INTERFACE in exports
        else None
    )
    if mat is None:
        problems.append(f"no `{MAT_WIRE_INTERFACE}` instance export")
    else:
        for name, expected in (("init", EXPECTED_INIT), ("handle", EXPECTED_HANDLE)):
            got = mat.get(name)
            if got != expected:
                problems.append(
                    f"`{MAT_WIRE_INTERFACE}#{name}` is {got or 'missing'}, want {expected}"
                )
    imports = cty.imports(engine)
    if HOSTCALL_INTERFACE in imports:
        wire = _instance_funcs(imports[HOSTCALL_INTERFACE].ty, engine) or {}
        got = wire.get("hostcall")
        if got is not None and got != EXPECTED_HOSTCALL:
            problems.append(f"`{HOSTCALL_INTERFACE}#hostcall` is {got}, want {EXPECTED_HOSTCALL}")
    return problems
