"""WIT value types as wasmtime-py describes them: their names in messages, and how
wasmtime-py represents the values of variant-like types (variant, option, result).

wasmtime-py gives and takes the payload of a variant-like value as it is when its cases
can be told apart by Python type (`option<u8>`: None or an int; `result<list<u32>,
string>`: a list or a str), and a `Variant(tag, payload)` otherwise (`result<u32, u32>`).
"""

from __future__ import annotations

from typing import Any

from wasmtime.component import (
    F32,
    F64,
    S8,
    S16,
    S32,
    S64,
    U8,
    U16,
    U32,
    U64,
    Bool,
    Char,
    EnumType,
    FlagsType,
    ListType,
    OptionType,
    Record,
    RecordType,
    ResultType,
    String,
    TupleType,
    ValType,
    Variant,
    VariantType,
)

# (minimum, maximum) of each integer type.
INT_RANGES: dict[type[ValType], tuple[int, int]] = {
    S8: (-(2**7), 2**7 - 1),
    S16: (-(2**15), 2**15 - 1),
    S32: (-(2**31), 2**31 - 1),
    S64: (-(2**63), 2**63 - 1),
    U8: (0, 2**8 - 1),
    U16: (0, 2**16 - 1),
    U32: (0, 2**32 - 1),
    U64: (0, 2**64 - 1),
}
_SCALARS: dict[type[ValType], str] = {
    Bool: "bool",
    S8: "s8",
    S16: "s16",
    S32: "s32",
    S64: "s64",
    U8: "u8",
    U16: "u16",
    U32: "u32",
    U64: "u64",
    F32: "f32",
    F64: "f64",
    Char: "char",
    String: "string",
}
VariantLike = VariantType | OptionType | ResultType
Case = tuple[str, ValType | None]  # a case's name and payload type


def name_of(ty: ValType, depth: int = 2) -> str:
    """`ty` as WIT writes it, records, enums, flags and variants with their members
    (nested ones shortened past `depth`)."""
    scalar = _SCALARS.get(type(ty))
    if scalar is not None:
        return scalar
    inner = depth - 1

    def sub(t: ValType | None) -> str:
        return "_" if t is None else name_of(t, inner)

    if depth <= 0:
        return _kind(ty)
    if isinstance(ty, ListType):
        return f"list<{sub(ty.element)}>"
    if isinstance(ty, OptionType):
        return f"option<{sub(ty.payload)}>"
    if isinstance(ty, ResultType):
        return f"result<{sub(ty.ok)}, {sub(ty.err)}>"
    if isinstance(ty, TupleType):
        return f"tuple<{', '.join(sub(e) for e in ty.elements)}>"
    if isinstance(ty, RecordType):
        return f"record {{{', '.join(f'{n}: {sub(t)}' for n, t in ty.fields)}}}"
    if isinstance(ty, EnumType):
        return f"enum {{{', '.join(ty.names)}}}"
    if isinstance(ty, FlagsType):
        return f"flags {{{', '.join(ty.names)}}}"
    if isinstance(ty, VariantType):
        cases = (n if t is None else f"{n}({sub(t)})" for n, t in ty.cases)
        return f"variant {{{', '.join(cases)}}}"
    return _kind(ty)


def _kind(ty: ValType) -> str:
    for cls, word in (
        (ListType, "list<...>"),
        (OptionType, "option<...>"),
        (ResultType, "result<...>"),
        (TupleType, "tuple<...>"),
        (RecordType, "record {...}"),
        (EnumType, "enum {...}"),
        (FlagsType, "flags {...}"),
        (VariantType, "variant {...}"),
    ):
        if isinstance(ty, cls):
            return word
    return type(ty).__name__.removesuffix("Type").lower()  # own, borrow, stream, future, ...


def cases(ty: VariantLike) -> list[Case]:
    if isinstance(ty, OptionType):
        return [("none", None), ("some", ty.payload)]
    if isinstance(ty, ResultType):
        return [("ok", ty.ok), ("err", ty.err)]
    return list(ty.cases)


def _classes(ty: ValType | None) -> set[type]:
    found: set[type] = set()
    if ty is None:
        found.add(object)
    else:
        ty.add_classes(found)
    return found


def tagged(ty: VariantLike) -> bool:
    """Whether wasmtime-py represents `ty`'s values as `Variant`s: when two of its cases
    share a Python type (the rule of wasmtime-py's own conversion)."""
    seen: set[type] = set()
    for _, payload in cases(ty):
        here = _classes(payload)
        if here & seen:
            return True
        seen |= here
    return False


def case_matcher(ty: VariantLike) -> list[tuple[str, set[type]]]:
    """For an untagged `ty`: each case with the exact Python types of its values (`object`
    for a case without payload, or an untagged option inside it: a None)."""
    return [(name, _classes(payload)) for name, payload in cases(ty)]


def case_of(matcher: list[tuple[str, set[type]]], value: Any) -> str:
    """The case of an untagged variant-like value (exact types: a bool is not an int)."""
    for name, classes in matcher:
        if type(value) in classes or (value is None and object in classes):
            return name
    raise TypeError(f"no case of the type holds a {type(value).__name__}")


__all__ = [
    "INT_RANGES",
    "Case",
    "Record",
    "Variant",
    "VariantLike",
    "case_matcher",
    "case_of",
    "cases",
    "name_of",
    "tagged",
]
