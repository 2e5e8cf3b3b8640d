"""Property-based: random type trees, values derived from them, two validators.

For each random type we derive values that must be valid and mutations that
must be invalid, and check that the schema derived from the document agrees with
that expectation in jsonschema-rs (the host's validator, formats on) and in
python-jsonschema (Draft 2020-12 with its FormatChecker).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import string
from typing import Any

import jsonschema
import jsonschema_rs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

import typegraph
from typegraph import Graph, Policy, WireRuntime, t
from typegraph.types import (
    Boolean,
    Either,
    Enum,
    Float,
    Integer,
    List,
    Optional,
    String,
    Struct,
    Type,
    Union,
)

# TYPEGRAPH_PROP_EXAMPLES raises the bound for a longer local run.
SETTINGS = settings(
    max_examples=int(os.environ.get("TYPEGRAPH_PROP_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LIMIT = 10_000  # values of unbounded numbers stay within +-LIMIT

# --- string shapes -------------------------------------------------------------

PATTERNS: dict[str, tuple[SearchStrategy[str], list[str]]] = {
    r"^[a-z]+$": (st.from_regex(r"[a-z]{1,8}", fullmatch=True), ["", "ABC", "a1", "a b"]),
    r"^\d{3}-\d{4}$": (
        st.from_regex(r"[0-9]{3}-[0-9]{4}", fullmatch=True),
        ["123-456", "1234-567", "abc-defg", "123-45678", "x123-4567"],
    ),
    r"ab+c": (  # unanchored: searched anywhere in the string
        st.tuples(st.text("xyz ", max_size=3), st.integers(1, 4), st.text("xyz ", max_size=3)).map(
            lambda p: f"{p[0]}a{'b' * p[1]}c{p[2]}"
        ),
        ["", "ac", "a-b-c", "ABC", "abx"],
    ),
}

FORMAT_VALUES: dict[str, SearchStrategy[str]] = {
    "uuid": st.uuids().map(str),
    "email": st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.(com|org)", fullmatch=True),
    "uri": st.from_regex(r"https://[a-z]{1,8}\.example/[a-z0-9]{0,8}", fullmatch=True),
    "date": st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)).map(dt.date.isoformat),
    "date-time": st.datetimes(
        dt.datetime(1900, 1, 1), dt.datetime(2100, 12, 31), timezones=st.just(dt.UTC)
    ).map(dt.datetime.isoformat),
}
# Invalid samples for the formats that python-jsonschema checks without extras.
FORMAT_INVALID: dict[str, list[str]] = {
    "uuid": ["not-a-uuid", "1234", "7d444840-9dc0-11d1-b245"],
    "email": ["plainaddress", "no-at.example.com"],
    "date": ["2024-13-01", "2023-02-29", "01/02/2024", "yesterday"],
}

# --- JSON classes -------------------------------------------------------------

CLASS_SAMPLES: dict[str, list[Any]] = {
    "boolean": [True, False],
    "number": [7, -2.5],
    "string": ["", "zz"],
    "array": [[], [1]],
    "object": [{}, {"k": 1}],
    "null": [None],
}


def classes(ty: Type) -> frozenset[str]:
    if isinstance(ty, Boolean):
        return frozenset({"boolean"})
    if isinstance(ty, Integer | Float):
        return frozenset({"number"})
    if isinstance(ty, String | Enum):
        return frozenset({"string"})
    if isinstance(ty, List):
        return frozenset({"array"})
    if isinstance(ty, Struct):
        return frozenset({"object"})
    if isinstance(ty, Optional):
        return classes(ty.item) | {"null"}
    assert isinstance(ty, Either | Union)
    return frozenset().union(*(classes(v) for v in ty.variants))


# --- type trees ------------------------------------------------------------------


@st.composite
def integer_types(draw: st.DrawFn) -> Integer:
    m = draw(st.none() | st.integers(2, 7))
    lo = draw(st.none() | st.integers(-1000, 1000))
    span = draw(st.integers((m or 1) - 1, 300))  # >= m-1: a multiple of m lies in range
    hi = None
    if draw(st.booleans()):
        hi = (lo if lo is not None else draw(st.integers(-1000, 1000))) + span
    kwargs: dict[str, Any] = {}
    if lo is not None:
        kwargs.update({"min": lo} if draw(st.booleans()) else {"x_min": lo - 1})
    if hi is not None:
        kwargs.update({"max": hi} if draw(st.booleans()) else {"x_max": hi + 1})
    return t.integer(multiple_of=m, **kwargs)


@st.composite
def float_types(draw: st.DrawFn) -> Float:
    lo = draw(st.none() | st.integers(-100_000, 100_000).map(lambda n: n / 100))
    span = draw(st.integers(1, 50_000).map(lambda n: n / 100))
    hi = None
    if draw(st.booleans()):
        hi = round((lo if lo is not None else 0.5) + span, 2)
    kwargs: dict[str, Any] = {}
    if lo is not None:
        kwargs["min" if draw(st.booleans()) else "x_min"] = lo
    if hi is not None:
        kwargs["max" if draw(st.booleans()) else "x_max"] = hi
    return t.float(**kwargs)


@st.composite
def string_types(draw: st.DrawFn) -> String:
    shape = draw(st.sampled_from(["plain", "pattern", "format"]))
    if shape == "pattern":
        return t.string(pattern=draw(st.sampled_from(sorted(PATTERNS))))
    if shape == "format":
        return t.string(format=draw(st.sampled_from(sorted(FORMAT_VALUES))))
    lo = draw(st.none() | st.integers(0, 5))
    hi = draw(st.none() | st.integers(lo or 0, (lo or 0) + 10))
    return t.string(min=lo, max=hi)


enum_types = st.lists(
    st.text(string.ascii_letters, min_size=1, max_size=6), min_size=1, max_size=4, unique=True
).map(t.enum)

leaves: SearchStrategy[Type] = st.one_of(
    st.just(t.boolean()), integer_types(), float_types(), string_types(), enum_types
)


def plenty(ty: Type) -> bool:
    """Enough distinct values for unique lists."""
    if isinstance(ty, Integer):
        return ty.multiple_of is None and (
            (ty.minimum is None and ty.exclusive_minimum is None)
            or (ty.maximum is None and ty.exclusive_maximum is None)
        )
    return (
        isinstance(ty, String)
        and ty.pattern is None
        and ty.format is None
        and (ty.max_length is None or ty.max_length >= 3)
    )


@st.composite
def list_types(draw: st.DrawFn, children: SearchStrategy[Type]) -> List:
    items = draw(children)
    lo = draw(st.none() | st.integers(0, 3))
    hi = draw(st.none() | st.integers(lo or 0, (lo or 0) + 3))
    unique = plenty(items) and draw(st.booleans())
    return t.list(items, min=lo, max=hi, unique=unique)


field_names = st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True)


@st.composite
def struct_types(draw: st.DrawFn, children: SearchStrategy[Type]) -> Struct:
    fields = draw(st.dictionaries(field_names, children, max_size=4))
    return t.struct(fields, additional_properties=draw(st.booleans()))


def variant_types(children: SearchStrategy[Type], make: Any) -> SearchStrategy[Type]:
    # variants of pairwise distinct JSON classes, so that a value of one variant
    # never matches another (oneOf needs exactly one match)
    single = children.filter(lambda c: len(classes(c)) == 1)
    return st.lists(single, min_size=2, max_size=3, unique_by=lambda c: classes(c)).map(make)


def extend(children: SearchStrategy[Type]) -> SearchStrategy[Type]:
    return st.one_of(
        list_types(children),
        children.map(t.optional),
        struct_types(children),
        variant_types(children, t.either),
        variant_types(children, t.union),
    )


type_trees: SearchStrategy[Type] = st.recursive(leaves, extend, max_leaves=6)

# --- values -----------------------------------------------------------------------


def number_bounds(ty: Integer | Float) -> tuple[float | None, bool, float | None, bool]:
    """(lower, lower exclusive, upper, upper exclusive)."""
    if ty.minimum is not None:
        lo, xlo = ty.minimum, False
    elif ty.exclusive_minimum is not None:
        lo, xlo = ty.exclusive_minimum, True
    else:
        lo, xlo = None, False
    if ty.maximum is not None:
        hi, xhi = ty.maximum, False
    elif ty.exclusive_maximum is not None:
        hi, xhi = ty.exclusive_maximum, True
    else:
        hi, xhi = None, False
    return lo, xlo, hi, xhi


def int_range(ty: Integer) -> tuple[int, int]:
    lo, xlo, hi, xhi = number_bounds(ty)
    low = -LIMIT if lo is None else int(lo) + (1 if xlo else 0)
    high = LIMIT if hi is None else int(hi) - (1 if xhi else 0)
    return low, high


def valid(ty: Type) -> SearchStrategy[Any]:
    if isinstance(ty, Boolean):
        return st.booleans()
    if isinstance(ty, Integer):
        low, high = int_range(ty)
        m = int(ty.multiple_of or 1)
        return st.integers(math.ceil(low / m), math.floor(high / m)).map(lambda k: k * m)
    if isinstance(ty, Float):
        lo, xlo, hi, xhi = number_bounds(ty)
        return st.floats(
            min_value=-LIMIT if lo is None else lo,
            max_value=LIMIT if hi is None else hi,
            exclude_min=xlo,
            exclude_max=xhi,
            allow_nan=False,
            allow_infinity=False,
            allow_subnormal=False,
        )
    if isinstance(ty, String):
        if ty.pattern is not None:
            return PATTERNS[ty.pattern][0]
        if ty.format is not None:
            return FORMAT_VALUES[ty.format]
        low = ty.min_length or 0
        return st.text(
            min_size=low, max_size=ty.max_length if ty.max_length is not None else low + 12
        )
    if isinstance(ty, Enum):
        return st.sampled_from(ty.values)
    if isinstance(ty, List):
        low = ty.min_items or 0
        return st.lists(
            valid(ty.items),
            min_size=low,
            max_size=ty.max_items if ty.max_items is not None else low + 3,
            unique=ty.unique,
        )
    if isinstance(ty, Optional):
        return st.none() | valid(ty.item)
    if isinstance(ty, Struct):
        required = {k: valid(v) for k, v in ty.fields if not isinstance(v, Optional)}
        optional = {k: valid(v) for k, v in ty.fields if isinstance(v, Optional)}
        if ty.additional_properties:
            optional["zz_extra"] = st.integers() | st.text(max_size=3)
        return st.fixed_dictionaries(required, optional=optional)
    assert isinstance(ty, Either | Union)
    return st.one_of([valid(v) for v in ty.variants])


def invalid(ty: Type) -> SearchStrategy[Any] | None:
    """Values that must be rejected: another JSON class, or a same-class mutation."""
    options: list[SearchStrategy[Any]] = []
    wrong = [v for c, samples in CLASS_SAMPLES.items() if c not in classes(ty) for v in samples]
    if wrong:
        options.append(st.sampled_from(wrong))
    same_class = mutations(ty)
    if same_class is not None:
        options.append(same_class)
    return st.one_of(options) if options else None


def mutations(ty: Type) -> SearchStrategy[Any] | None:
    """Invalid values of the same JSON class as ``ty`` (so other variants of an
    either/union, which have other classes, do not match them either)."""
    opts: list[SearchStrategy[Any]] = []
    if isinstance(ty, Integer):
        low, high = int_range(ty)
        lo, _, hi, _ = number_bounds(ty)
        if lo is not None:
            opts.append(st.just(low - 1))
        if hi is not None:
            opts.append(st.just(high + 1))
        opts.append(valid(ty).map(lambda v: v + 0.5))  # not an integer
        if ty.multiple_of:
            opts.append(valid(ty).map(lambda v: v + 1))  # not a multiple (or out of range)
    elif isinstance(ty, Float):
        lo, xlo, hi, xhi = number_bounds(ty)
        if lo is not None:
            opts.append(st.sampled_from([lo - 1, lo - 0.25] + ([lo] if xlo else [])))
        if hi is not None:
            opts.append(st.sampled_from([hi + 1, hi + 0.25] + ([hi] if xhi else [])))
    elif isinstance(ty, String):
        if ty.pattern is not None:
            opts.append(st.sampled_from(PATTERNS[ty.pattern][1]))
        elif ty.format is not None:
            if ty.format in FORMAT_INVALID:
                opts.append(st.sampled_from(FORMAT_INVALID[ty.format]))
        else:
            if ty.min_length:
                opts.append(st.text(min_size=ty.min_length - 1, max_size=ty.min_length - 1))
            if ty.max_length is not None:
                opts.append(st.text(min_size=ty.max_length + 1, max_size=ty.max_length + 3))
    elif isinstance(ty, Enum):
        opts.append(st.sampled_from(ty.values).map(lambda v: v + "_x"))
    elif isinstance(ty, List):
        item = valid(ty.items)
        if ty.min_items:
            n = ty.min_items - 1
            opts.append(st.lists(item, min_size=n, max_size=n))
        if ty.max_items is not None:
            n = ty.max_items + 1
            opts.append(st.lists(item, min_size=n, max_size=n))
        if ty.unique:
            opts.append(st.lists(item, min_size=1, max_size=3).map(lambda xs: [*xs, xs[0]]))
        bad_item = invalid(ty.items)
        n = max(ty.min_items or 0, 1)
        if bad_item is not None and (ty.max_items is None or ty.max_items >= n):
            opts.append(
                st.tuples(
                    st.lists(item, min_size=n, max_size=n), bad_item, st.integers(0, n - 1)
                ).map(lambda p: [*p[0][: p[2]], p[1], *p[0][p[2] + 1 :]])
            )
    elif isinstance(ty, Optional):
        return mutations(ty.item)
    elif isinstance(ty, Struct):
        good = valid(ty)
        required = [k for k, v in ty.fields if not isinstance(v, Optional)]
        if required:
            opts.append(
                st.tuples(good, st.sampled_from(required)).map(
                    lambda p: {k: v for k, v in p[0].items() if k != p[1]}
                )
            )
        if not ty.additional_properties:
            opts.append(good.map(lambda d: {**d, "zz_extra": 1}))
        for key, sub in ty.fields:
            bad = invalid(sub)
            if bad is not None:
                opts.append(st.tuples(good, bad).map(lambda p, k=key: {**p[0], k: p[1]}))
    elif isinstance(ty, Either | Union):
        opts.extend(m for m in map(mutations, ty.variants) if m is not None)
    return st.one_of(opts) if opts else None


# --- the property ------------------------------------------------------------------

RUNTIME = WireRuntime("guest")
FORMATS = jsonschema.FormatChecker()


def document_for(ty: Type) -> dict[str, Any]:
    @typegraph.typegraph(name="prop")
    def prop(g: Graph) -> None:
        g.expose(Policy.public(), f=RUNTIME.handler(t.struct({"v": ty}), ty, name="f"))

    return prop.document()


def validators(schema: dict[str, Any]) -> list[Any]:
    jsonschema.Draft202012Validator.check_schema(schema)
    return [
        jsonschema_rs.validator_for(schema, validate_formats=True),
        jsonschema.Draft202012Validator(schema, format_checker=FORMATS),
    ]


@SETTINGS
@given(ty=type_trees, data=st.data())
def test_validators_agree_with_the_type(ty: Type, data: st.DataObject) -> None:
    doc = document_for(ty)
    typegraph.validate_document(doc)
    in_schema, out_schema = typegraph.function_schemas(doc, "f")
    out_validators, in_validators = validators(out_schema), validators(in_schema)

    for value in data.draw(st.lists(valid(ty), min_size=1, max_size=3), label="valid"):
        for v in out_validators:
            assert v.is_valid(value), (type(v).__name__, value)
        for v in in_validators:
            assert v.is_valid({"v": value}), (type(v).__name__, value)
    for v in in_validators:  # an optional field may be absent, others are required
        assert v.is_valid({}) == isinstance(ty, Optional), type(v).__name__

    bad = invalid(ty)
    if bad is None:
        return
    for value in data.draw(st.lists(bad, min_size=1, max_size=3), label="invalid"):
        for v in out_validators:
            assert not v.is_valid(value), (type(v).__name__, value)
        for v in in_validators:
            assert not v.is_valid({"v": value}), (type(v).__name__, value)


@SETTINGS
@given(ty=type_trees)
def test_serialisation_is_deterministic_and_valid(ty: Type) -> None:
    first = document_for(ty)
    assert typegraph.dumps(document_for(ty)) == typegraph.dumps(first)
    typegraph.validate_document(first)
    # every named type is reachable and every $defs entry is a valid schema
    schema = typegraph.json_schema(first, first["functions"]["f"]["output"])
    assert set(schema["$defs"]) <= set(first["types"])


@settings(max_examples=100, deadline=None)
@given(ty=type_trees, data=st.data())
def test_defaults_from_valid_values_are_accepted(ty: Type, data: st.DataObject) -> None:
    value = data.draw(valid(ty))
    doc = document_for(ty.default(value))
    assert typegraph.json_schema(doc, doc["functions"]["f"]["output"]) is not None
    bad = invalid(ty)
    if bad is not None:
        wrong = data.draw(bad)
        try:
            document_for(ty.default(wrong))
        except typegraph.TypegraphError as err:
            assert "does not match the type" in err.message
        else:
            raise AssertionError(f"default {wrong!r} accepted")
