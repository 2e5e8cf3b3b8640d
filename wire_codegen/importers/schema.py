"""JSON Schema → typegraph types (`typegraph.types` objects), with whatever a typegraph
cannot express reported at its JSON pointer.

Every named schema of the document (``$defs``, ``definitions``, ``components/schemas``, and
any other ``$ref`` target) becomes a named typegraph type in `SchemaConverter.types`; inside
a type, a reference to one is a `Ref` (the emitter writes the type's variable, or
``t.ref(name)`` where the type is not defined yet: cycles). Drafts 4 to 2020-12 and
OpenAPI 3.0's dialect (``nullable``, boolean exclusive bounds) are read alike.

Mapping: ``type`` (a list: a union, ``null``: optional), ``enum``/``const`` of strings →
``t.enum``, ``oneOf``/``anyOf`` → ``t.either``/``t.union`` (a ``null`` variant makes it
optional), ``allOf`` → its parts merged (`merge`), constraints beside a ``oneOf``/``anyOf``
→ merged into each variant, an object's property outside ``required`` → ``t.optional``,
``additionalProperties: false`` → a closed struct (an open one otherwise), no constraint at
all → the named type ``JsonValue`` (any JSON value).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from typegraph.checks import check_node
from typegraph.errors import TypegraphError
from typegraph.names import NAME_RE, pascal_case, unique_name
from typegraph.types import (
    FORMATS,
    UNSET,
    Boolean,
    Either,
    Enum,
    Float,
    Integer,
    List,
    Optional,
    Ref,
    String,
    Struct,
    Type,
    Union,
)

from .documents import escape, resolve_pointer
from .issues import Issues
from .keywords import (
    JSON_TYPES,
    TYPE_HINTS,
    Schema,
    constraints,
    is_annotation,
    normalize,
    same,
    strip_unsupported,
)
from .merge import merge

ANY_NAME = "JsonValue"
#: Names GraphQL (as wire serves it) keeps for itself; a struct, enum or union so named
#: gets a suffix.
GRAPHQL_RESERVED = frozenset(
    {"String", "Int", "Float", "Boolean", "ID", "Query", "Mutation", "Subscription"}
    | {"Email", "UUID", "URI", "Date", "DateTime"}
)
#: Formats that only restate a number's type (OpenAPI's) or hint a user interface.
QUIET_FORMATS = frozenset({"int32", "int64", "float", "double", "password"})
_NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_NAMING_SKIP = frozenset(
    {"properties", "items", "prefixItems", "additionalProperties", "allOf", "anyOf", "oneOf"}
    | {"$defs", "definitions", "components", "schemas", "schema", "content", "paths"}
)


@dataclass(frozen=True)
class Defaults:
    """How a conversion treats ``default``: ``record`` them (and leave them out of the
    types) to check them, or carry them, but for the pointers in ``drop``."""

    record: bool = False
    drop: frozenset[str] = frozenset()


@dataclass(frozen=True)
class DefaultSite:
    pointer: str
    type: Type
    value: Any


@dataclass
class _Group:
    """A ``oneOf``/``anyOf``: its variants with their pointers."""

    kind: str
    variants: list[tuple[Any, str]]
    pointer: str
    discriminator: Any = None


@dataclass(frozen=True)
class _At:
    """A sub-schema carried into a merge, with the pointer where it was written (so that
    what is reported inside it points there, not into the merged schema)."""

    schema: Any
    pointer: str


def _located(value: Any, ptr: str) -> tuple[Any, str]:
    return (value.schema, value.pointer) if isinstance(value, _At) else (value, ptr)


def _located_parts(s: Schema, ptr: str) -> Schema:
    """``s`` with its sub-schemas (properties, items, additionalProperties) carrying their
    pointers, for a merge."""
    out = dict(s)
    props = s.get("properties")
    if isinstance(props, dict):
        out["properties"] = {
            k: v if isinstance(v, _At) else _At(v, f"{ptr}/properties/{escape(k)}")
            for k, v in props.items()
        }
    for key in ("items", "additionalProperties"):
        if isinstance(s.get(key), dict):
            out[key] = _At(s[key], f"{ptr}/{key}")
    return out


class SchemaConverter:
    """Converts the schemas of one document; `finish` converts the named types that the
    conversions referred to."""

    def __init__(
        self,
        document: Any,
        issues: Issues,
        *,
        defaults: Defaults = Defaults(),
        root_name: str = "Root",
        reserved: Iterable[str] = (),
    ) -> None:
        self.document = document
        self.issues = issues
        self.defaults = defaults
        self.root_name = root_name
        self.names: dict[str, str] = {}  # pointer → type name
        self.types: dict[str, Type] = {}  # type name → its (named) type, in declaration order
        self.pointers: dict[str, str] = {}  # type name → pointer
        self.default_sites: list[DefaultSite] = []
        self._taken: set[str] = set(reserved)
        self._pending: list[str] = []
        self._aliases: dict[str, str] = {}  # type name → the name it merely refers to
        self._any: str | None = None
        self._described: dict[str, str] = {}  # description → named type of any value

    # -- named types ---------------------------------------------------------------------

    def declare(self, ptr: str, hint: str | None = None) -> str:
        """The type name for the schema at ``ptr`` (converted by `finish`): ``hint`` names a
        definition; without it, ``ptr`` is a ``$ref`` target, followed through the schemas
        that merely refer to another."""
        if hint is None:
            ptr = self._follow_aliases(ptr)
        name = self.names.get(ptr)
        if name is None:
            base = pascal_case(hint if hint is not None else self._hint(ptr))
            raw = resolve_pointer(self.document, ptr)
            taken = self._taken | GRAPHQL_RESERVED if self._always_named(raw) else self._taken
            name = unique_name(base, taken)
            self._taken.add(name)
            self.names[ptr] = name
            self.pointers[name] = ptr
            self._pending.append(ptr)
        return name

    def define(self, ptr: str, hint: str, ty: Type) -> str:
        """Name ``ty``, already converted from the schema at ``ptr``."""
        name = unique_name(pascal_case(hint), self._taken)
        self._taken.add(name)
        self.names[ptr] = name
        self.pointers[name] = ptr
        self._store(name, ty)
        return name

    def finish(self) -> None:
        while self._pending:
            ptr = self._pending.pop(0)
            name = self.names[ptr]
            if name not in self.types and name not in self._aliases:
                self._store(name, self.convert(resolve_pointer(self.document, ptr), ptr))
        for name in list(self._aliases):
            self._resolve_alias(name, set())

    def any(self) -> Ref:
        """The named type of any JSON value (defined on first use)."""
        if self._any is None:
            self._any = unique_name(ANY_NAME, self._taken)
            self._taken.add(self._any)
            self.types[self._any] = _any_value(self._any)
        return Ref(target=self._any)

    def drop_unused_any(self, roots: Sequence[Type]) -> None:
        """Forget the type of any value when neither ``roots`` nor another named type
        refers to it (described any values got types of their own)."""
        if self._any is None:
            return
        users = [*roots, *(ty for name, ty in self.types.items() if name != self._any)]
        if not any(self._any in referenced(ty) for ty in users):
            del self.types[self._any]
            self._any = None

    def _store(self, name: str, ty: Type) -> None:
        if isinstance(ty, Ref):  # the schema only refers to another named type
            self._aliases[name] = ty.target
            self.types[name] = Boolean()  # keeps the declaration order; replaced by finish
        else:
            self.types[name] = dataclasses.replace(ty, name=name)

    def _resolve_alias(self, name: str, seen: set[str]) -> Type:
        target = self._aliases.pop(name, None)
        if target is None:
            return self.types[name]
        seen = seen | {name}
        if target in seen:
            self.issues.add(self.pointers[name], "the schema only refers to itself: any value")
            definition: Type = _any_value(name)
        else:
            definition = self._resolve_alias(target, seen)
        self.types[name] = dataclasses.replace(definition, name=name)
        return self.types[name]

    def _follow_aliases(self, ptr: str) -> str:
        """The pointer of the schema that ``ptr``'s schema merely refers to (``$ref`` with
        annotations only), followed to the end."""
        seen = {ptr}
        while True:
            try:
                ref = _alias_ref(resolve_pointer(self.document, ptr))
            except KeyError:
                return ptr
            target = _local_pointer(ref) if ref is not None else None
            if target is None or target in seen or not self._exists(target):
                return ptr
            seen.add(target)
            ptr = target

    def _exists(self, ptr: str) -> bool:
        try:
            resolve_pointer(self.document, ptr)
        except KeyError:
            return False
        return True

    def _hint(self, ptr: str) -> str:
        if ptr == "":
            return self.root_name
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in ptr[1:].split("/")]
        if len(tokens) >= 2 and tokens[-2] in ("$defs", "definitions", "schemas"):
            return tokens[-1]
        words = [t for t in tokens if t not in _NAMING_SKIP and not t.isdigit()]
        return "".join(pascal_case(w) for w in words[-2:]) or "Type"

    @staticmethod
    def _always_named(raw: Any) -> bool:
        """Whether the schema will be a struct, enum or union (named in GraphQL too)."""
        if not isinstance(raw, dict):
            return False
        return any(k in raw for k in ("properties", "enum", "oneOf", "anyOf", "allOf")) or (
            raw.get("type") == "object"
        )

    # -- conversion ----------------------------------------------------------------------

    def convert(self, schema: Any, ptr: str) -> Type:
        """The typegraph type of ``schema`` (found at ``ptr``)."""
        schema, ptr = _located(schema, ptr)
        if schema is True:
            return self.any()
        if schema is False:
            self.issues.add(ptr, "the schema false accepts no value: imported as any value")
            return self.any()
        if not isinstance(schema, dict):
            self.issues.add(ptr, f"not a schema (an object or a boolean): {schema!r}; any value")
            return self.any()
        s = strip_unsupported(normalize(schema), ptr, self.issues)
        nullable = s.pop("nullable", None) is True
        ref = _alias_ref(s)
        if ref is not None:
            ty: Type = self.ref(ref, f"{ptr}/$ref" if "$ref" in s else f"{ptr}/allOf/0/$ref")
            notes = s
        else:
            ty, notes = self._from_parts(self._parts(s, ptr, []), ptr)
        if nullable and not isinstance(ty, Optional):
            ty = Optional(item=ty)
        return self._annotate(ty, notes, ptr)

    def ref(self, ref: Any, at: str) -> Type:
        """The named type ``ref`` (a ``$ref`` found at ``at``) points to."""
        target = self._target(ref, at)
        return self.any() if target is None else Ref(target=self.declare(target))

    def _target(self, ref: Any, at: str) -> str | None:
        if not isinstance(ref, str):
            self.issues.add(at, f"$ref must be a string, got {ref!r}: any value")
            return None
        target = _local_pointer(ref)
        if target is None:
            where = "names an anchor" if ref.startswith("#") else "points outside this document"
            self.issues.add(
                at, f"$ref {ref!r} {where}: only #/... pointers are followed; any value"
            )
            return None
        if not self._exists(target):
            self.issues.add(at, f"$ref {ref!r} points to nothing in this document: any value")
            return None
        return target

    def _annotate(self, ty: Type, schema: Schema, ptr: str) -> Type:
        description = schema.get("description")
        if isinstance(description, str):
            ty = dataclasses.replace(ty, description=description)
        if "default" in schema:
            if self.defaults.record:
                self.default_sites.append(DefaultSite(ptr, ty, schema["default"]))
            elif ptr not in self.defaults.drop:
                ty = dataclasses.replace(ty, default_value=schema["default"])
        return ty

    def _parts(self, s: Schema, ptr: str, stack: list[str]) -> list[tuple[Schema, str]]:
        """The parts whose constraints all hold: ``s``'s own, its ``$ref``'s target's and its
        ``allOf``'s (nested ones flattened), each with its pointer."""
        own = {k: v for k, v in s.items() if k not in ("allOf", "$ref")}
        out = [(_located_parts(self._vetted(own, ptr), ptr), ptr)]
        if "$ref" in s:
            target = self._target(s["$ref"], f"{ptr}/$ref")
            if target is not None and target in stack:
                self.issues.add(
                    f"{ptr}/$ref",
                    f"$ref {s['$ref']!r} is part of the schema it refers to: the cycle is cut",
                )
            elif target is not None:
                raw = resolve_pointer(self.document, target)
                out += self._parts(self._prepared(raw, target), target, [*stack, target])
        all_of = s.get("allOf")
        if all_of is not None and not isinstance(all_of, list):
            self.issues.add(f"{ptr}/allOf", "allOf must be a list of schemas: dropped")
        for i, listed in enumerate(all_of if isinstance(all_of, list) else ()):
            part, pptr = _located(listed, f"{ptr}/allOf/{i}")
            if part is True:
                continue
            if not isinstance(part, dict):
                self.issues.add(pptr, "not a schema (an object or true): dropped")
                continue
            out += self._parts(self._prepared(part, pptr), pptr, stack)
        return out

    def _prepared(self, raw: Any, ptr: str) -> Schema:
        if not isinstance(raw, dict):
            self.issues.add(ptr, "not a schema (an object): dropped")
            return {}
        s = strip_unsupported(normalize(raw), ptr, self.issues)
        s.pop("nullable", None)  # a part's: null must pass every part, which this cannot say
        return s

    def _vetted(self, s: Schema, ptr: str) -> Schema:
        """``s`` without a ``format`` or ``pattern`` the typegraph cannot take (reported
        here, where they are written, before parts are merged)."""
        fmt, pattern = s.get("format"), s.get("pattern")
        if fmt is not None and fmt not in FORMATS:
            if fmt not in QUIET_FORMATS:
                self.issues.add(
                    f"{ptr}/format",
                    f"format {fmt!r} is not one a typegraph checks ({', '.join(FORMATS)}): dropped",
                )
            s = {k: v for k, v in s.items() if k != "format"}
        if pattern is not None and not self._checked(
            {"kind": "string", "pattern": pattern}, f"{ptr}/pattern"
        ):
            s = {k: v for k, v in s.items() if k != "pattern"}
        return s

    def _from_parts(self, parts: list[tuple[Schema, str]], ptr: str) -> tuple[Type, Schema]:
        """The type of all ``parts`` together, and the schema its annotations come from."""
        plain: Schema = {}
        groups: list[_Group] = []
        for part, pptr in parts:
            for kind in ("oneOf", "anyOf"):
                variants = part.get(kind)
                if isinstance(variants, list):
                    listed = [(v, f"{pptr}/{kind}/{i}") for i, v in enumerate(variants)]
                    groups.append(_Group(kind, listed, pptr, part.get("discriminator")))
                elif kind in part:
                    self.issues.add(f"{pptr}/{kind}", f"{kind} must be a list of schemas: dropped")
            if "discriminator" in part and not any(k in part for k in ("oneOf", "anyOf")):
                self.issues.add(
                    f"{pptr}/discriminator",
                    "a discriminator without oneOf/anyOf beside it cannot be expressed: dropped",
                )
            rest = {k: v for k, v in part.items() if k not in ("oneOf", "anyOf", "discriminator")}
            plain = merge(plain, rest, ptr, self.issues)
        if not groups:
            return self._typed(plain, ptr), plain
        return self._variants(groups, constraints(plain), ptr), plain

    def _variants(self, groups: list[_Group], extra: Schema, ptr: str) -> Type:
        """The first group's variants, each with ``extra`` and the other groups merged in."""
        group, rest = groups[0], groups[1:]
        if group.discriminator is not None:
            self.issues.add(
                f"{group.pointer}/discriminator",
                f"a discriminator cannot be expressed: the {group.kind} value is the variant "
                "that matches, whatever the discriminating property says",
            )
        kept: list[Type] = []
        nullable = False
        for variant, vptr in group.variants:
            if _null_only(variant):
                nullable = True
                continue
            if not rest and (not extra or self._implied(extra, variant)):
                ty = self.convert(variant, vptr)
            else:
                parts = [(extra, ptr)]
                if isinstance(variant, dict):
                    parts += self._parts(self._prepared(variant, vptr), vptr, [])
                parts += [({g.kind: [v for v, _ in g.variants]}, g.pointer) for g in rest]
                ty = self._from_parts(parts, vptr)[0]
            kept.append(self._embedded(ty, vptr))
        if not kept:
            self.issues.add(ptr, "a schema that accepts only null: imported as any value")
            return self.any()
        out: Type = kept[0] if len(kept) == 1 else _VARIANTS[group.kind](variants=tuple(kept))
        return Optional(item=out) if nullable else out

    def _implied(self, extra: Schema, variant: Any) -> bool:
        """Whether a variant already says all of ``extra`` (``type: object`` beside a
        oneOf of objects), so that it can stay a reference to its named type."""
        ref = _alias_ref(variant) if isinstance(variant, dict) else None
        target = _local_pointer(ref) if ref is not None else None
        if target is not None and self._exists(target):
            variant = resolve_pointer(self.document, self._follow_aliases(target))
        if not isinstance(variant, dict):
            return False
        own = normalize(variant)
        return all(same(own.get(k), v) for k, v in extra.items())

    def _embedded(self, ty: Type, ptr: str) -> Type:
        """``ty`` where no description or default can be hoisted out of it (an item, a
        variant, a required field): ``t.ref`` takes no default, and any value with a
        description becomes a named type of its own (a reference to ``JsonValue`` could not
        carry it: see `emit.TypeWriter`)."""
        if not isinstance(ty, Ref):
            return ty
        if ty.default_value is not UNSET:
            self.issues.add(ptr, "a default beside $ref cannot be carried by t.ref: dropped")
            ty = dataclasses.replace(ty, default_value=UNSET)
        if ty.target == self._any and ty.description is not None:
            return Ref(target=self._described_any(ty.description, ptr))
        return ty

    def _described_any(self, description: str, ptr: str) -> str:
        name = self._described.get(description)
        if name is None:
            name = unique_name(pascal_case(self._hint(ptr)), self._taken)
            self._taken.add(name)
            self._described[description] = name
            self.pointers[name] = ptr
            self.types[name] = dataclasses.replace(_any_value(name), description=description)
        return name

    # -- one schema, no composition left -------------------------------------------------

    def _typed(self, s: Schema, ptr: str) -> Type:
        types = self._types(s, ptr)
        if types is None:
            return self.any()
        if "enum" in s:
            declared = types if isinstance(s.get("type"), str | list) else None
            found = self._enum(s["enum"], declared, ptr)
            if isinstance(found, Type):
                return found
            types = found
        null = "null" in types
        kinds = [t for t in types if t != "null"]
        if "integer" in kinds and "number" in kinds:
            kinds.remove("integer")
        if not kinds:
            if null:
                self.issues.add(ptr, "a schema that accepts only null: imported as any value")
            return self.any()
        variants = [self._one(kind, s, ptr) for kind in kinds]
        ty: Type = variants[0] if len(variants) == 1 else Union(variants=tuple(variants))
        return Optional(item=ty) if null else ty

    def _types(self, s: Schema, ptr: str) -> list[str] | None:
        """The JSON types ``s`` is about (inferred from its keywords when it has no
        ``type``); None for an unknown type."""
        declared = s.get("type")
        if isinstance(declared, str):
            types = [declared]
        elif isinstance(declared, list) and all(isinstance(t, str) for t in declared):
            types = list(dict.fromkeys(declared))
        else:
            if declared is not None:
                self.issues.add(f"{ptr}/type", f"type must be a name or a list: {declared!r}")
            return _inferred(s)
        unknown = [t for t in types if t not in JSON_TYPES]
        if unknown:
            self.issues.add(f"{ptr}/type", f"unknown type {unknown[0]!r}: imported as any value")
            return None
        return types

    def _enum(self, enum: Any, declared: list[str] | None, ptr: str) -> Type | list[str]:
        """The enum type of ``enum`` (beside the ``declared`` types), or the JSON types to
        import it as when it is not one."""
        at = f"{ptr}/enum"
        if not isinstance(enum, list):
            self.issues.add(at, "enum must be a list of values: dropped")
            return declared or []
        null = any(v is None for v in enum) or (declared is not None and "null" in declared)
        values = [v for v in enum if v is not None]
        if not values:
            message = "accepts only null" if null else "is empty: it accepts no value"
            self.issues.add(at, f"the enum {message}; imported as any value")
            return self.any()
        if all(isinstance(v, str) for v in values) and (declared is None or "string" in declared):
            unservable = [v for v in values if not _graphql_enum_value(v)]
            if unservable:
                self.issues.add(
                    at,
                    f"enum value {unservable[0]!r} is not a GraphQL name "
                    "([_A-Za-z][_0-9A-Za-z]*, not true, false or null): the typegraph loads, "
                    "but wire serve refuses it; rename the values, or use "
                    "t.string(pattern=...)",
                )
            ty: Type = Enum(values=tuple(dict.fromkeys(values)))
            return Optional(item=ty) if null else ty
        types = declared if declared is not None else list(dict.fromkeys(map(_json_type, enum)))
        shown = ", ".join(_json(v) for v in values[:5]) + (", ..." if len(values) > 5 else "")
        self.issues.add(
            at,
            f"enum values [{shown}] are not all strings: a typegraph enum holds strings; "
            f"imported as {' or '.join(t for t in types if t != 'null')} "
            "without the restriction to these values",
        )
        return types

    def _one(self, kind: str, s: Schema, ptr: str) -> Type:
        if kind == "object":
            return self._object(s, ptr)
        if kind == "array":
            return self._array(s, ptr)
        if kind == "string":
            return self._string(s, ptr)
        if kind in ("integer", "number"):
            return self._number(s, ptr, kind)
        return Boolean()

    def _object(self, s: Schema, ptr: str) -> Struct:
        props = s.get("properties", {})
        if not isinstance(props, dict):
            self.issues.add(f"{ptr}/properties", "properties must be an object: dropped")
            props = {}
        required = s.get("required", [])
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            self.issues.add(f"{ptr}/required", "required must be a list of names: dropped")
            required = []
        fields: list[tuple[str, Type]] = []
        taken: set[str] = set()
        for key, listed in props.items():
            sub, fptr = _located(listed, f"{ptr}/properties/{escape(key)}")
            name = self.field_name(key, fptr, taken)
            fields.append((name, self.field(self.convert(sub, fptr), key in required, fptr)))
        for key in required:
            if key not in props:  # required, any value
                name = self.field_name(key, f"{ptr}/required", taken)
                fields.append((name, self.any()))
        additional, aptr = _located(
            s.get("additionalProperties", True), f"{ptr}/additionalProperties"
        )
        if isinstance(additional, dict) and not constraints(additional):
            additional = True
        if not isinstance(additional, bool):
            self.issues.add(
                aptr,
                "a schema for additional properties cannot be expressed in a typegraph: "
                "any additional property is accepted",
            )
            additional = True
        return Struct(fields=tuple(fields), additional_properties=additional)

    def field_name(self, key: str, ptr: str, taken: set[str]) -> str:
        """A typegraph field name for the JSON property (or parameter) ``key``, unique in
        ``taken``; a changed name is reported."""
        name = key
        if NAME_RE.fullmatch(key) is None or key.startswith("__"):
            name = re.sub(r"[^A-Za-z0-9_]", "_", key)
            if not name or name[0].isdigit():
                name = "_" + name
            while name.startswith("__"):
                name = name[1:]
        name = unique_name(name, taken, "_")
        taken.add(name)
        if name != key:
            self.issues.add(
                ptr,
                f"{key!r} is not a typegraph field name ([A-Za-z_][A-Za-z0-9_]*, not starting "
                f"with __): imported as {name!r}, so the JSON key differs",
            )
        return name

    def field(self, ty: Type, required: bool, ptr: str) -> Type:
        """``ty`` as a struct field: optional unless ``required`` (its description and
        default then belong to the optional, where GraphQL reads them)."""
        if self._is_optional(ty):
            if required:
                self.issues.add(
                    ptr,
                    "a required property that may be null: a typegraph field that accepts "
                    "null may also be absent",
                )
            return ty
        if required:
            return self._embedded(ty, ptr)
        inner = dataclasses.replace(ty, description=None, default_value=UNSET)
        return Optional(item=inner, description=ty.description, default_value=ty.default_value)

    def _is_optional(self, ty: Type) -> bool:
        if isinstance(ty, Optional):
            return True
        if isinstance(ty, Ref) and ty.target in self.pointers:
            return _accepts_null(self.document, self.pointers[ty.target], set())
        return False

    def _array(self, s: Schema, ptr: str) -> List:
        items, iptr = _located(s.get("items"), f"{ptr}/items")
        if "prefixItems" in s or isinstance(items, list):
            where = "prefixItems" if "prefixItems" in s else "items"
            self.issues.add(
                f"{ptr}/{where}",
                "items by position (a tuple) cannot be expressed in a typegraph: "
                "imported as a list of any value",
            )
            item: Type = self.any()
        elif items is None or items is True:
            item = self.any()
        else:
            item = self._embedded(self.convert(items, iptr), iptr)
        lo, hi = s.get("minItems"), s.get("maxItems")
        if not self._checked({"kind": "list", "minItems": lo, "maxItems": hi}, ptr):
            lo = hi = None
        return List(items=item, min_items=lo, max_items=hi, unique=s.get("uniqueItems") is True)

    def _string(self, s: Schema, ptr: str) -> String:
        lo, hi = s.get("minLength"), s.get("maxLength")
        if not self._checked({"kind": "string", "minLength": lo, "maxLength": hi}, ptr):
            lo = hi = None
        return String(
            min_length=lo, max_length=hi, pattern=s.get("pattern"), format=s.get("format")
        )

    def _number(self, s: Schema, ptr: str, kind: str) -> Integer | Float:
        bounds = {k: s[k] for k in _NUMBER_KEYS if k in s}
        if not self._checked({"kind": kind, **bounds}, ptr, "the bounds are dropped"):
            bounds = {}
        cls = Integer if kind == "integer" else Float
        return cls(
            minimum=bounds.get("minimum"),
            maximum=bounds.get("maximum"),
            exclusive_minimum=bounds.get("exclusiveMinimum"),
            exclusive_maximum=bounds.get("exclusiveMaximum"),
            multiple_of=bounds.get("multipleOf"),
        )

    def _checked(self, node: dict[str, Any], ptr: str, consequence: str = "dropped") -> bool:
        """Whether the typegraph accepts ``node`` (its None keys left out); else reported."""
        try:
            check_node({k: v for k, v in node.items() if v is not None}, [])
        except TypegraphError as e:
            self.issues.add(ptr, f"{e.message}: {consequence}")
            return False
        return True


_VARIANTS: dict[str, type[Either] | type[Union]] = {"oneOf": Either, "anyOf": Union}


def _any_value(name: str) -> Union:
    """Any JSON value, as a typegraph says it (it has no such type)."""
    return Union(
        variants=(
            Optional(item=Boolean()),  # and null
            Float(),
            String(),
            List(items=Ref(target=name)),
            Struct(fields=(), additional_properties=True),
        ),
        name=name,
        description="Any JSON value.",
    )


def _alias_ref(schema: Any) -> str | None:
    """The ``$ref`` of a schema that says nothing else (annotations aside)."""
    if not isinstance(schema, dict):
        return None
    own = [k for k in schema if not is_annotation(k)]
    if own == ["$ref"] and isinstance(schema["$ref"], str):
        return schema["$ref"]
    parts = schema.get("allOf")
    if own == ["allOf"] and isinstance(parts, list) and len(parts) == 1:
        return _alias_ref(parts[0])
    return None


def _local_pointer(ref: str) -> str | None:
    """The JSON pointer of a ``#/...`` reference (``#`` is the whole document)."""
    if not ref.startswith("#"):
        return None
    fragment = unquote(ref[1:])
    return fragment if fragment == "" or fragment.startswith("/") else None


def _null_only(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    own = constraints(normalize(schema))
    return own in ({"type": "null"}, {"type": ["null"]}, {"enum": [None]})


def _accepts_null(document: Any, ptr: str, seen: set[str]) -> bool:
    """Whether the schema at ``ptr`` becomes an optional type (it accepts null)."""
    if ptr in seen:
        return False
    seen.add(ptr)
    try:
        schema = resolve_pointer(document, ptr)
    except KeyError:
        return False
    if not isinstance(schema, dict):
        return False
    ref = _alias_ref(schema)
    target = _local_pointer(ref) if ref is not None else None
    if target is not None:
        return schema.get("nullable") is True or _accepts_null(document, target, seen)
    s = normalize(schema)
    declared = s.get("type")
    if s.get("nullable") is True or declared == "null":
        return True
    if isinstance(declared, list) and "null" in declared:
        return True
    if isinstance(s.get("enum"), list) and None in s["enum"]:
        return True
    return any(
        isinstance(s.get(kind), list) and any(_null_only(v) for v in s[kind])
        for kind in ("oneOf", "anyOf")
    )


def _inferred(s: Schema) -> list[str]:
    """The JSON types a schema without ``type`` constrains (none: any value)."""
    types = [kind for kind, keys in TYPE_HINTS.items() if any(k in s for k in keys)]
    fmt = s.get("format")
    if not types and isinstance(fmt, str):
        types = ["integer"] if fmt in ("int32", "int64") else ["string"]
        if fmt in ("float", "double"):
            types = ["number"]
    return types


def _graphql_enum_value(value: str) -> bool:
    return bool(re.fullmatch(r"[_A-Za-z][_0-9A-Za-z]*", value)) and value not in (
        "true",
        "false",
        "null",
    )


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def referenced(ty: Type) -> Sequence[str]:
    """The named types ``ty`` refers to, in order of appearance."""
    out: list[str] = []
    todo = [ty]
    while todo:
        node = todo.pop()
        if isinstance(node, Ref):
            out.append(node.target)
        todo.extend(child for _, child in reversed(node.children()))
    return list(dict.fromkeys(out))
