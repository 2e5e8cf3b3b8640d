"""Typegraph (JSON) values to WIT values and back, for one export, planned at load.

Planning walks the typegraph node and the WIT type side by side: a pair that cannot carry
the same values is a `Mismatch` naming where it is and both types. What a typegraph cannot
say is checked per value (`Bad`): an integer out of its WIT type's range, a char that is not
one character, a float an f32 cannot hold, a NaN the export returns.

JSON shapes (WIT names are written in snake_case: `discount-pct` is `discount_pct`):

    bool, s8..u64, f32, f64, string   boolean, integer, float, string
    char                               a one-character string
    enum, flags                        an enum value; a list of enum values
    list<T>, option<T>                 a list; the value or null
    record                             a struct with the record's fields
    tuple<A, B>                        a struct whose fields are the elements, in order,
                                       or a list
    variant, result (nested)           {"tag": case, "value": payload} (no "value" when
                                       the case has no payload): a struct, or an either/
                                       union of structs, with a `tag` enum
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Mapping
from typing import Any

from wasmtime.component import (
    F32,
    F64,
    U8,
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

from .wit import INT_RANGES, VariantLike, case_matcher, case_of, cases, name_of, tagged

Node = Mapping[str, Any]
Convert = Callable[[Any], Any]  # a JSON value to a wasmtime-py value, or back
F32_MAX = 3.4028234663852886e38


class Mismatch(Exception):
    """The typegraph and the export disagree at `at` (a path such as `items[].size`)."""

    def __init__(self, at: str, message: str) -> None:
        super().__init__(message)
        self.at = at
        self.message = message


class Bad(Exception):
    """A value that does not fit its WIT type; `path` (keys and indexes from the root) is
    filled in while the error travels up."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str | int] = []


def snake(name: str) -> str:
    return name.replace("-", "_")


def _same(value: Any) -> Any:
    return value


def _at(at: str, key: str) -> str:
    return f"{at}.{key}" if at else key


class Planner:
    """Plans conversions between the nodes of one typegraph document and WIT types."""

    def __init__(self, types: Mapping[str, Node]) -> None:
        self.types = types
        self._names = {id(node): name for name, node in types.items()}  # for messages

    # -- typegraph nodes ------------------------------------------------------------

    def resolve(self, node: Node) -> tuple[Node, str | None]:
        """The definition behind `node` (refs followed) and its type name, if named."""
        name = None
        while node["kind"] == "ref":
            name = node["name"]
            node = self.types[name]
        return node, name

    def describe(self, node: Node | None, depth: int = 2) -> str:
        if node is None:
            return "nothing"
        node, name = self.resolve(node)
        name = name or self._names.get(id(node))
        kind = node["kind"]
        label = f"{kind} {name!r}" if name else kind
        if depth <= 0 and kind in ("list", "optional", "struct", "enum", "either", "union"):
            return label
        if kind == "list":
            return f"list<{self.describe(node['items'], depth - 1)}>"
        if kind == "optional":
            return f"optional<{self.describe(node['item'], depth - 1)}>"
        if kind == "enum":
            return f"{label} [{', '.join(node['values'])}]"
        if kind == "struct":
            return f"{label} {{{', '.join(node['fields'])}}}"
        return label

    def _mismatch(self, at: str, node: Node | None, ty: ValType, why: str = "") -> Mismatch:
        text = f"the typegraph has {self.describe(node)}, the export has {name_of(ty)}"
        return Mismatch(at, f"{text}: {why}" if why else text)

    def _kind(self, node: Node) -> str:
        kind: str = self.resolve(node)[0]["kind"]
        return kind

    # -- typegraph -> WIT (the export's parameters) --------------------------------

    def lower_params(
        self, params: list[tuple[str, ValType]], struct_node: Node
    ) -> Callable[[dict[str, Any]], list[Any]]:
        """The export's arguments from the function's input (a struct whose fields are the
        parameters, by name)."""
        plan = self._fields_in(params, struct_node, "", "parameter")

        def lower(obj: dict[str, Any]) -> list[Any]:
            args = []
            for _, key, conv in plan:
                try:
                    args.append(conv(obj.get(key)))
                except Bad as e:
                    e.path.insert(0, key)
                    raise
            return args

        return lower

    def lower(self, ty: ValType, node: Node, at: str) -> Convert:
        """How a value of `node` becomes a value of `ty`; a `Mismatch` when some value of
        `node` has no place in `ty`."""
        if isinstance(ty, OptionType):
            return self._lower_option(ty, node, at)
        node, _ = self.resolve(node)
        kind = node["kind"]
        if kind == "optional":
            raise self._mismatch(at, node, ty, "null has no place in it (only in an option<...>)")
        if isinstance(ty, Bool):
            self._expect(kind, ("boolean",), at, node, ty)
            return _same
        limits = INT_RANGES.get(type(ty))
        if limits is not None:
            self._expect(kind, ("integer",), at, node, ty)
            return _int_lowering(name_of(ty), *limits)
        if isinstance(ty, F32 | F64):
            self._expect(kind, ("float", "integer"), at, node, ty)
            return _f32_lowering if isinstance(ty, F32) else float
        if isinstance(ty, Char):
            self._expect(kind, ("string", "enum"), at, node, ty)
            return _char_lowering
        if isinstance(ty, String):
            self._expect(kind, ("string", "enum"), at, node, ty)
            return _same
        if isinstance(ty, EnumType):
            self._expect(kind, ("enum",), at, node, ty)
            names = self._names_in(ty.names, node["values"], at, node, ty, "case")
            return names.__getitem__
        if isinstance(ty, FlagsType):
            items = self.resolve(node["items"])[0] if kind == "list" else None
            if items is None or items["kind"] != "enum":
                raise self._mismatch(at, node, ty, "flags are a list of enum values")
            names = self._names_in(ty.names, items["values"], at, node, ty, "flag")
            return lambda values: {names[v] for v in values}
        if isinstance(ty, ListType):
            self._expect(kind, ("list",), at, node, ty)
            element = ty.element
            if isinstance(element, U8):
                self._expect(self._kind(node["items"]), ("integer",), f"{at}[]", node, ty)
                return _bytes_lowering
            return _list_of(self.lower(element, node["items"], f"{at}[]"))
        if isinstance(ty, RecordType):
            self._expect(kind, ("struct",), at, node, ty)
            return _record_lowering(self._fields_in(ty.fields, node, at, "field"))
        if isinstance(ty, TupleType):
            return self._lower_tuple(ty, node, at)
        if isinstance(ty, VariantType | ResultType):
            return self._lower_variant(ty, node, at)
        raise self._mismatch(at, node, ty, "the host cannot pass values of this type")

    def _expect(self, kind: str, kinds: tuple[str, ...], at: str, node: Node, ty: ValType) -> None:
        if kind not in kinds:
            raise self._mismatch(at, node, ty)

    def _names_in(
        self, wit: list[str], values: list[str], at: str, node: Node, ty: ValType, what: str
    ) -> dict[str, str]:
        """snake_case name -> WIT name, every typegraph value among them."""
        names = {snake(n): n for n in wit}
        extra = [v for v in values if v not in names]
        if extra:
            raise self._mismatch(
                at, node, ty, f"{', '.join(map(repr, extra))} is not a {what} of the export's type"
            )
        return names

    def _fields_in(
        self, fields: list[tuple[str, ValType]], node: Node, at: str, what: str
    ) -> list[tuple[str, str, Convert]]:
        """(WIT name, typegraph field, conversion) of each WIT field or parameter."""
        label = self.describe(node, 0)
        node, _ = self.resolve(node)
        tg: Mapping[str, Node] = node["fields"]
        by_key = {snake(n): (n, t) for n, t in fields}
        for key in tg:
            if key not in by_key:
                known = ", ".join(by_key) or "none"
                raise Mismatch(
                    _at(at, key),
                    f"{label} has a field {key!r} that is not a {what} of the export "
                    f"({what}s: {known})",
                )
        plan = []
        for key, (wit_name, ty) in by_key.items():
            where = _at(at, key)
            if key not in tg:
                raise Mismatch(
                    where,
                    f"the export's {what} {wit_name!r} ({name_of(ty)}) is missing from {label}: "
                    f"add the field {key!r}",
                )
            plan.append((wit_name, key, self.lower(ty, tg[key], where)))
        return plan

    def _lower_option(self, ty: OptionType, node: Node, at: str) -> Convert:
        payload = ty.payload
        if isinstance(payload, OptionType):
            raise self._mismatch(at, node, ty, "option<option<...>> has no JSON form")
        resolved, _ = self.resolve(node)
        item = resolved["item"] if resolved["kind"] == "optional" else node
        inner = self.lower(payload, item, at)
        if tagged(ty):
            none = Variant("none")
            return lambda v: none if v is None else Variant("some", inner(v))
        return lambda v: None if v is None else inner(v)

    def _lower_tuple(self, ty: TupleType, node: Node, at: str) -> Convert:
        elements = ty.elements
        resolved, _ = self.resolve(node)
        if resolved["kind"] == "struct":
            fields = list(resolved["fields"].items())
            if len(fields) != len(elements):
                raise self._mismatch(
                    at, node, ty, f"a tuple of {len(elements)} takes a struct of as many fields"
                )
            plan = [
                (key, self.lower(t, fnode, _at(at, key)))
                for (key, fnode), t in zip(fields, elements, strict=True)
            ]

            def from_struct(obj: dict[str, Any]) -> tuple[Any, ...]:
                out = []
                for key, conv in plan:
                    try:
                        out.append(conv(obj.get(key)))
                    except Bad as e:
                        e.path.insert(0, key)
                        raise
                return tuple(out)

            return from_struct
        if resolved["kind"] == "list":
            convs = [self.lower(t, resolved["items"], f"{at}[{i}]") for i, t in enumerate(elements)]
            n = len(convs)

            def from_list(items: list[Any]) -> tuple[Any, ...]:
                if len(items) != n:
                    raise Bad(f"{len(items)} items for a tuple of {n}")
                out = []
                for i, (conv, item) in enumerate(zip(convs, items, strict=True)):
                    try:
                        out.append(conv(item))
                    except Bad as e:
                        e.path.insert(0, i)
                        raise
                return tuple(out)

            return from_list
        raise self._mismatch(at, node, ty, "a tuple is a struct of its elements, or a list")

    def _variants(self, node: Node, ty: ValType, at: str) -> list[tuple[list[str], Node | None]]:
        """(tags, value node) of each struct of a variant's typegraph type."""
        resolved, _ = self.resolve(node)
        if resolved["kind"] in ("either", "union"):
            structs = [self.resolve(v)[0] for v in resolved["variants"]]
        else:
            structs = [resolved]
        out = []
        for s in structs:
            fields = s.get("fields") if s["kind"] == "struct" else None
            tag = self.resolve(fields["tag"])[0] if fields and "tag" in fields else None
            if (
                fields is None
                or tag is None
                or tag["kind"] != "enum"
                or set(fields) - {"tag", "value"}
            ):
                raise self._mismatch(
                    at,
                    node,
                    ty,
                    'a variant is {"tag": case, "value": payload}: a struct with a `tag` enum '
                    "and a `value` (or an either of such structs; typegraph.reflected.variant "
                    "makes one)",
                )
            out.append((list(tag["values"]), fields.get("value")))
        return out

    def _lower_variant(self, ty: VariantLike, node: Node, at: str) -> Convert:
        wit_cases = {snake(n): (n, t) for n, t in cases(ty)}
        plan: dict[str, tuple[str, Convert | None]] = {}
        for tags, value in self._variants(node, ty, at):
            for tag in tags:
                case = wit_cases.get(tag)
                if case is None:
                    raise self._mismatch(
                        at, node, ty, f"{tag!r} is not a case of the export's type"
                    )
                if tag in plan:
                    continue
                wit_name, payload = case
                where = f"{at}<{tag}>"
                if payload is None:
                    plan[tag] = (wit_name, None)
                elif value is None:
                    raise Mismatch(
                        where, f"case {tag!r} carries {name_of(payload)}: give it a `value` field"
                    )
                else:
                    plan[tag] = (wit_name, self.lower(payload, value, where))
        self._check_lowerable(ty, node, at)
        is_tagged = tagged(ty)

        def lower(obj: dict[str, Any]) -> Any:
            tag = obj["tag"]
            wit_name, conv = plan[tag]
            try:
                payload = None if conv is None else conv(obj.get("value"))
            except Bad as e:
                e.path.insert(0, "value")
                raise
            return Variant(wit_name, payload) if is_tagged else payload

        return lower

    def _check_lowerable(self, ty: VariantLike, node: Node, at: str) -> None:
        """wasmtime-py finds the case of an untagged value by `isinstance`, first case first: a
        later case whose values are instances of an earlier case's types (a bool of an int, or
        anything of an `option`) would be taken for the earlier one."""
        if tagged(ty):
            return
        seen: list[tuple[type, ...]] = []
        for _, payload in cases(ty):
            if payload is None:
                here: set[type] = {type(None)}
            else:
                here = set()
                payload.add_classes(here)
            if any(issubclass(c, earlier) for c in here for earlier in seen):
                raise self._mismatch(
                    at,
                    node,
                    ty,
                    "wasmtime-py cannot tell its cases apart to pass them to the export",
                )
            if payload is not None:
                found: set[type] = set()
                payload.add_classes(found)
                seen.append(tuple(found))

    # -- WIT -> typegraph (the export's result) ------------------------------------

    def lift_result(self, ty: ValType | None, node: Node) -> Convert:
        """How the export's result becomes the function's output. An `err` of a top-level
        `result` becomes a `Failed` carrying the error value as JSON."""
        if ty is None:
            self._expect_null(node, "the export returns nothing")
            return _lift_none
        if not isinstance(ty, ResultType):
            return self.lift(ty, node, "")
        ok_ty, err_ty = ty.ok, ty.err
        if ok_ty is None:
            self._expect_null(node, "the export's result has no ok value")
        ok = _lift_none if ok_ty is None else self.lift(ok_ty, node, "")
        err = _lift_none if err_ty is None else self.lift(err_ty, None, "")
        if tagged(ty):
            return lambda v: ok(v.payload) if v.tag == "ok" else Failed(err(v.payload))
        matcher = case_matcher(ty)
        return lambda v: ok(v) if case_of(matcher, v) == "ok" else Failed(err(v))

    def _expect_null(self, node: Node, why: str) -> None:
        if self.resolve(node)[0]["kind"] != "optional":
            raise Mismatch(
                "",
                f"{why}, but the typegraph's output {self.describe(node)} does not take null: "
                "make it t.optional(...)",
            )

    def lift(self, ty: ValType, node: Node | None, at: str) -> Convert:
        """How a value of `ty` becomes a value of `node` (None: the plain JSON form); a
        `Mismatch` when some value of `ty` has no place in `node`."""
        if node is not None:
            node, _ = self.resolve(node)
            if node["kind"] == "optional" and not isinstance(ty, OptionType):
                node, _ = self.resolve(node["item"])
        kind = None if node is None else node["kind"]

        def expect(*kinds: str) -> None:
            if kind is not None and kind not in kinds:
                raise self._mismatch(at, node, ty)

        if isinstance(ty, OptionType):
            if node is not None and kind != "optional":
                raise self._mismatch(at, node, ty, "none is null: make it t.optional(...)")
            if isinstance(ty.payload, OptionType):
                raise self._mismatch(at, node, ty, "option<option<...>> has no JSON form")
            inner = self.lift(ty.payload, None if node is None else node["item"], at)
            if tagged(ty):
                return lambda v: None if v.tag == "none" else inner(v.payload)
            return lambda v: None if v is None else inner(v)
        if isinstance(ty, Bool):
            expect("boolean")
            return _same
        if type(ty) in INT_RANGES:
            expect("integer", "float")
            return _same
        if isinstance(ty, F32 | F64):
            expect("float")
            return _f32_lifting if isinstance(ty, F32) else _f64_lifting
        if isinstance(ty, Char | String):
            expect("string")
            return _same
        if isinstance(ty, EnumType):
            expect("enum", "string")
            names = {n: snake(n) for n in ty.names}
            if kind == "enum":
                assert node is not None
                self._names_out(names.values(), node["values"], at, node, ty, "case")
            return names.__getitem__
        if isinstance(ty, FlagsType):
            expect("list")
            order = [(n, snake(n)) for n in ty.names]
            if node is not None:
                items = self.resolve(node["items"])[0]
                if items["kind"] == "enum":
                    self._names_out([s for _, s in order], items["values"], at, node, ty, "flag")
                elif items["kind"] != "string":
                    raise self._mismatch(at, node, ty, "flags are a list of enum values")
            return lambda flags: [s for n, s in order if n in flags]
        if isinstance(ty, ListType):
            expect("list")
            items_node = None if node is None else node["items"]
            if isinstance(ty.element, U8):
                if items_node is not None and self._kind(items_node) not in ("integer", "float"):
                    raise self._mismatch(f"{at}[]", node, ty)
                return list
            return _list_of(self.lift(ty.element, items_node, f"{at}[]"))
        if isinstance(ty, RecordType):
            expect("struct")
            return _record_lifting(self._fields_out(ty.fields, node, at))
        if isinstance(ty, TupleType):
            return self._lift_tuple(ty, node, at)
        if isinstance(ty, VariantType | ResultType):
            return self._lift_variant(ty, node, at)
        raise self._mismatch(at, node, ty, "the host cannot take values of this type")

    def _names_out(
        self, wit: Any, values: list[str], at: str, node: Node, ty: ValType, what: str
    ) -> None:
        missing = [n for n in wit if n not in values]
        if missing:
            raise self._mismatch(
                at, node, ty, f"the export's {what} {', '.join(map(repr, missing))} is missing"
            )

    def _fields_out(
        self, fields: list[tuple[str, ValType]], node: Node | None, at: str
    ) -> list[tuple[str, str, Convert]]:
        """(WIT name, JSON key, conversion) of each field of a record."""
        tg: Mapping[str, Node] = {} if node is None else node["fields"]
        label = "the struct" if node is None else self.describe(node, 0)
        plan = []
        for wit_name, ty in fields:
            key = snake(wit_name)
            where = _at(at, key)
            if node is not None and key not in tg:
                raise Mismatch(
                    where,
                    f"the export's field {wit_name!r} ({name_of(ty)}) is missing from {label}: "
                    f"add the field {key!r}",
                )
            plan.append((wit_name, key, self.lift(ty, tg.get(key), where)))
        keys = {key for _, key, _ in plan}
        for key, fnode in tg.items():
            if key not in keys and self._kind(fnode) != "optional":
                raise Mismatch(
                    _at(at, key),
                    f"{label} requires the field {key!r}, which the export's record does not "
                    f"have (its fields: {', '.join(keys) or 'none'})",
                )
        return plan

    def _lift_tuple(self, ty: TupleType, node: Node | None, at: str) -> Convert:
        elements = ty.elements
        if node is None or node["kind"] == "list":
            items = None if node is None else node["items"]
            convs = [self.lift(t, items, f"{at}[{i}]") for i, t in enumerate(elements)]
            by_index = list(enumerate(convs))
            return lambda v: [_keyed(i, c, x) for (i, c), x in zip(by_index, v, strict=True)]
        if node["kind"] != "struct" or len(node["fields"]) != len(elements):
            raise self._mismatch(
                at, node, ty, f"a tuple of {len(elements)} is a struct of as many fields, or a list"
            )
        plan = [
            (key, self.lift(t, fnode, _at(at, key)))
            for (key, fnode), t in zip(node["fields"].items(), elements, strict=True)
        ]
        return lambda v: {key: _keyed(key, c, x) for (key, c), x in zip(plan, v, strict=True)}

    def _lift_variant(self, ty: VariantLike, node: Node | None, at: str) -> Convert:
        given: dict[str, Node | None] = {}
        if node is not None:
            for tags, value in self._variants(node, ty, at):
                for tag in tags:
                    given.setdefault(tag, value)
        plan: dict[str, tuple[str, Convert | None]] = {}
        for wit_name, payload in cases(ty):
            tag = snake(wit_name)
            where = f"{at}<{tag}>"
            if node is not None and tag not in given:
                raise self._mismatch(
                    at, node, ty, f"its case {tag!r} has no struct in the typegraph"
                )
            value = given.get(tag)
            if payload is None:
                plan[wit_name] = (tag, None)
            elif node is not None and value is None:
                raise Mismatch(
                    where, f"case {tag!r} carries {name_of(payload)}: give it a `value` field"
                )
            else:
                plan[wit_name] = (tag, self.lift(payload, value, where))
        if tagged(ty):
            return lambda v: _tag_value(plan[v.tag], v.payload)
        matcher = case_matcher(ty)
        return lambda v: _tag_value(plan[case_of(matcher, v)], v)


class Failed:
    """An `err` of a top-level result: its value, as JSON."""

    __slots__ = ("error",)

    def __init__(self, error: Any) -> None:
        self.error = error


def _lift_none(_: Any) -> None:
    return None


def _tag_value(case: tuple[str, Convert | None], payload: Any) -> dict[str, Any]:
    tag, conv = case
    if conv is None:
        return {"tag": tag}
    return {"tag": tag, "value": _keyed("value", conv, payload)}


def _keyed(key: str | int, conv: Convert, value: Any) -> Any:
    """`conv(value)`, a `Bad` from it located under `key`."""
    try:
        return conv(value)
    except Bad as e:
        e.path.insert(0, key)
        raise


def _list_of(conv: Convert) -> Convert:
    if conv is _same:
        return _same

    def convert(values: list[Any]) -> list[Any]:
        out = []
        i = 0
        try:
            for i, v in enumerate(values):  # noqa: B007  (i names the failing item)
                out.append(conv(v))
        except Bad as e:
            e.path.insert(0, i)
            raise
        return out

    return convert


def _record_lowering(plan: list[tuple[str, str, Convert]]) -> Convert:
    def lower(obj: dict[str, Any]) -> Record:
        rec = Record()
        for wit_name, key, conv in plan:
            try:
                setattr(rec, wit_name, conv(obj.get(key)))
            except Bad as e:
                e.path.insert(0, key)
                raise
        return rec

    return lower


def _record_lifting(plan: list[tuple[str, str, Convert]]) -> Convert:
    def lift(rec: Record) -> dict[str, Any]:
        out = {}
        for wit_name, key, conv in plan:
            try:
                out[key] = conv(getattr(rec, wit_name))
            except Bad as e:
                e.path.insert(0, key)
                raise
        return out

    return lift


def _int_lowering(wit: str, lo: int, hi: int) -> Convert:
    def lower(v: int | float) -> int:
        if isinstance(v, float):  # JSON Schema's integers include 3.0
            v = int(v)
        if not lo <= v <= hi:
            raise Bad(f"{v} is out of range for {wit} ({lo} to {hi})")
        return v

    return lower


def _f32_lowering(v: int | float) -> float:
    if abs(v) > F32_MAX:
        raise Bad(f"{v} is out of range for f32 (at most {F32_MAX:g} either way)")
    return float(v)


def _char_lowering(v: str) -> str:
    if len(v) != 1:
        raise Bad(f"a char is one character, not {len(v)}")
    return v


def _bytes_lowering(values: list[int]) -> bytes:
    for i, v in enumerate(values):
        if not 0 <= v <= 255:
            err = Bad(f"{v} is out of range for u8 (0 to 255)")
            err.path.append(i)
            raise err
    return bytes(int(v) for v in values)


def _f64_lifting(v: float) -> float:
    if not math.isfinite(v):
        raise Bad(f"the export returned {v}, which JSON cannot carry")
    return v


def _f32_lifting(v: float) -> float:
    """The shortest decimal that is the same f32 (0.1, not 0.10000000149011612)."""
    _f64_lifting(v)
    single = struct.pack("<f", v)
    for digits in range(6, 10):
        short = float(f"{v:.{digits}g}")
        if struct.pack("<f", short) == single:
            return short
    return v
