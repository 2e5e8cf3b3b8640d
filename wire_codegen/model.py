"""The language-neutral view of a guest: the ops it implements and the named types they use.

A typegraph document (format `wire-typegraph/1`) describes many runtimes; a guest source
folder implements every op of the wire runtimes that point at it. `guest_model` walks the
document once and returns what any SDK emitter needs: ops sorted by name, each with its input
and output type, every function of the typegraph (what the guest may call with the `call`
hostcall op), and the named types they reach in dependency order (a type comes after the
types it refers to, except along a cycle, where the emitter sees a forward reference).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

ScalarKind = Literal["boolean", "integer", "float", "string", "json", "null"]
Builtin = Literal["policy-input", "policy-decision"]


class CodegenError(Exception):
    """The document cannot be turned into an SDK; the message says where and what to do."""


# Type expressions: how a type is written where it is used.


@dataclass(frozen=True)
class Scalar:
    kind: ScalarKind  # "json": any JSON value (an op with no declared types); "null": only
    # null (a hostcall op's result, from its JSON Schema)
    format: str | None = None  # a string's `format` (`email`, `uuid`, ...): GraphQL clients
    # name it (the gateway serves each as a scalar of its own)


@dataclass(frozen=True)
class Ref:
    name: str  # the key of a named type in `GuestModel.types`


@dataclass(frozen=True)
class ListOf:
    item: TypeExpr


@dataclass(frozen=True)
class MapOf:
    item: TypeExpr  # an object with any keys, each value an `item` (hostcall op schemas only)


@dataclass(frozen=True)
class Nullable:
    item: TypeExpr  # `optional`: the value may be null (or absent, in a struct)


@dataclass(frozen=True)
class BuiltinRef:
    name: Builtin  # a type the SDK itself provides (the policy op protocol)


TypeExpr = Scalar | Ref | ListOf | MapOf | Nullable | BuiltinRef


# Named types: one definition each.


@dataclass(frozen=True)
class Field:
    name: str
    type: TypeExpr
    optional: bool  # may be absent (the document's `optional` node)
    description: str | None


@dataclass(frozen=True)
class StructDef:
    name: str
    fields: tuple[Field, ...]
    additional: bool  # unknown fields allowed
    description: str | None


@dataclass(frozen=True)
class EnumDef:
    name: str
    values: tuple[str, ...]
    description: str | None


@dataclass(frozen=True)
class UnionDef:
    name: str
    variants: tuple[TypeExpr, ...]
    exclusive: bool  # `either` (exactly one matches) vs `union` (at least one)
    description: str | None


@dataclass(frozen=True)
class AliasDef:
    name: str  # a renamed scalar, list or optional
    target: TypeExpr
    description: str | None


NamedType = StructDef | EnumDef | UnionDef | AliasDef


@dataclass(frozen=True)
class Op:
    name: str  # `mat-info.op-name` / `handle-req.op-name`
    input: TypeExpr
    output: TypeExpr
    kind: Literal["function", "policy", "untyped"]
    functions: tuple[str, ...]  # the functions (or policies) served by this op, sorted
    description: str | None


@dataclass(frozen=True)
class Callee:
    """A function of the typegraph, as a guest calls it (`ctx.fn.<name>`, the `call` op)."""

    name: str
    input: TypeExpr
    output: TypeExpr
    effect: str
    exposed: bool
    description: str | None


@dataclass(frozen=True)
class GuestModel:
    typegraph: str
    component: str  # the runtimes' `component` path (relative to the typegraph file)
    runtimes: tuple[str, ...]
    ops: tuple[Op, ...]
    types: tuple[NamedType, ...]  # dependency order
    functions: tuple[Callee, ...] = ()  # every function of the typegraph, by name

    def type(self, name: str) -> NamedType:
        for t in self.types:
            if t.name == name:
                return t
        raise KeyError(name)


def select_runtimes(doc: Mapping[str, Any], runtime: str | None) -> tuple[str, tuple[str, ...]]:
    """The component folder and every wire runtime that shares it.

    `runtime` names one of them; None is allowed when all wire runtimes share one component.
    """
    wire = {name: rt for name, rt in doc.get("runtimes", {}).items() if rt.get("kind") == "wire"}
    if not wire:
        raise CodegenError(f"typegraph {doc.get('name')!r} declares no wire runtime")
    if runtime is None:
        components = {rt["component"] for rt in wire.values()}
        if len(components) > 1:
            raise CodegenError(
                f"typegraph {doc.get('name')!r} has wire runtimes over different components "
                f"({', '.join(sorted(wire))}): name the runtime to generate the SDK for"
            )
        component = components.pop()
    elif runtime not in wire:
        raise CodegenError(
            f"no wire runtime {runtime!r} in typegraph {doc.get('name')!r}; "
            f"its wire runtimes are: {', '.join(sorted(wire))}"
        )
    else:
        component = wire[runtime]["component"]
    names = tuple(sorted(n for n, rt in wire.items() if rt["component"] == component))
    return component, names


def guest_model(doc: Mapping[str, Any], runtime: str | None = None) -> GuestModel:
    """Walk `doc` for the guest behind `runtime` (see `select_runtimes`)."""
    component, runtimes = select_runtimes(doc, runtime)
    walker = TypeWalker(doc.get("types", {}))
    ops = tuple(walker.op(name, users) for name, users in sorted(_op_users(doc, runtimes).items()))
    for op in ops:
        walker.visit(op.input)
        walker.visit(op.output)
    functions = tuple(
        walker.callee(name, fn) for name, fn in sorted(doc.get("functions", {}).items())
    )
    for fn in functions:
        walker.visit(fn.input)
        walker.visit(fn.output)
    return GuestModel(
        doc.get("name", ""), component, runtimes, ops, tuple(walker.ordered), functions
    )


@dataclass(frozen=True)
class _User:
    kind: Literal["function", "policy", "untyped"]
    name: str  # function, policy or materializer id
    node: Mapping[str, Any]


def _op_users(doc: Mapping[str, Any], runtimes: tuple[str, ...]) -> dict[str, list[_User]]:
    """Op name → the functions, policies or bare materializers that call it."""
    mats = {
        mid: m for mid, m in doc.get("materializers", {}).items() if m.get("runtime") in runtimes
    }
    users: dict[str, list[_User]] = {m["op"]: [] for m in mats.values()}
    for fname, fn in doc.get("functions", {}).items():
        mat = mats.get(fn.get("materializer"))
        if mat is not None:
            users[mat["op"]].append(_User("function", fname, fn))
    for pname, pol in doc.get("policies", {}).items():
        mat = mats.get(pol.get("materializer")) if pol.get("kind") == "custom" else None
        if mat is not None:
            users[mat["op"]].append(_User("policy", pname, pol))
    for mid, mat in mats.items():
        if not users[mat["op"]]:
            users[mat["op"]].append(_User("untyped", mid, mat))
    return users


class TypeWalker:
    """Turns type nodes into type expressions (`expr`) and collects the named types they
    reach, in dependency order (`visit`, then `ordered`); `op` is the guest walk's."""

    def __init__(self, types: Mapping[str, Any]) -> None:
        self.types: Mapping[str, Any] = types
        self.ordered: list[NamedType] = []
        self._state: dict[str, Literal["visiting", "done"]] = {}

    # -- ops

    def op(self, name: str, users: list[_User]) -> Op:
        kinds = {u.kind for u in users}
        if len(kinds) > 1:
            raise CodegenError(
                f"op {name!r} serves both a function and a policy "
                f"({', '.join(sorted(u.name for u in users))}): give each its own op"
            )
        kind = users[0].kind
        names = tuple(sorted(u.name for u in users))
        if kind == "policy":
            return Op(
                name, BuiltinRef("policy-input"), BuiltinRef("policy-decision"), kind, names, None
            )
        if kind == "untyped":
            return Op(name, Scalar("json"), Scalar("json"), kind, names, None)
        # Prefer the function named like the op, else the first by name; all must agree.
        fns = sorted(users, key=lambda u: (u.name != name, u.name))
        first = fns[0]
        for other in fns[1:]:
            for part in ("input", "output"):
                if not self._same(_as_node(first.node[part]), _as_node(other.node[part])):
                    raise CodegenError(
                        f"functions {first.name!r} and {other.name!r} share op {name!r} but "
                        f"their {part} types differ: reuse one type object for both"
                    )
        inp = self.expr(_as_node(first.node["input"]), f"functions.{first.name}.input")
        out = self.expr(_as_node(first.node["output"]), f"functions.{first.name}.output")
        return Op(name, inp, out, kind, names, first.node.get("description"))

    def callee(self, name: str, fn: Mapping[str, Any]) -> Callee:
        where = f"functions.{name}"
        return Callee(
            name,
            self.expr(_as_node(fn["input"]), f"{where}.input"),
            self.expr(_as_node(fn["output"]), f"{where}.output"),
            fn.get("effect", "read"),
            bool(fn.get("exposed")),
            fn.get("description"),
        )

    # -- type expressions

    def expr(self, node: Mapping[str, Any], where: str) -> TypeExpr:
        kind = node.get("kind")
        if kind in ("boolean", "integer", "float", "string"):
            return Scalar(kind, node.get("format") if kind == "string" else None)
        if kind == "ref":
            if node["name"] not in self.types:
                raise CodegenError(f"{where}: unknown type {node['name']!r}")
            return Ref(node["name"])
        if kind == "list":
            return ListOf(self.expr(node["items"], f"{where}.items"))
        if kind == "optional":
            return Nullable(self.expr(node["item"], f"{where}.item"))
        if kind in ("struct", "enum", "either", "union"):
            raise CodegenError(f"{where}: a {kind} must be a named type (a ref), found inline")
        raise CodegenError(f"{where}: unknown type kind {kind!r}")

    def definition(self, name: str) -> NamedType:
        node = self.types[name]
        where = f"types.{name}"
        desc = node.get("description")
        kind = node.get("kind")
        if kind == "struct":
            fields = []
            for fname, fnode in node.get("fields", {}).items():
                optional = fnode.get("kind") == "optional"
                ftype = self.expr(fnode, f"{where}.fields.{fname}")
                fields.append(Field(fname, ftype, optional, fnode.get("description")))
            return StructDef(name, tuple(fields), bool(node.get("additionalProperties")), desc)
        if kind == "enum":
            return EnumDef(name, tuple(node["values"]), desc)
        if kind in ("either", "union"):
            variants = tuple(
                self.expr(v, f"{where}.variants.{i}") for i, v in enumerate(node["variants"])
            )
            return UnionDef(name, variants, kind == "either", desc)
        return AliasDef(name, self.expr(node, where), desc)

    # -- dependency order (depth-first, post-order)

    def visit(self, expr: TypeExpr) -> None:
        for name in _refs(expr):
            if name in self._state:
                continue  # done, or a cycle: the emitter writes a forward reference
            self._state[name] = "visiting"
            definition = self.definition(name)
            for dep in _deps(definition):
                self.visit(dep)
            self._state[name] = "done"
            self.ordered.append(definition)

    # -- structural equality of two type nodes, through refs (cycles assumed equal)

    def _same(self, a: Any, b: Any, assumed: set[tuple[str, str]] | None = None) -> bool:
        assumed = set() if assumed is None else assumed
        if isinstance(a, dict) and isinstance(b, dict):
            if a.get("kind") == "ref" and b.get("kind") == "ref":
                pair = (a["name"], b["name"])
                if pair[0] == pair[1] or pair in assumed:
                    return True
                assumed.add(pair)
                return self._same(self.types.get(pair[0]), self.types.get(pair[1]), assumed)
            keys = (set(a) | set(b)) - {"description"}
            return all(self._same(a.get(k), b.get(k), assumed) for k in keys)
        if isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                return False
            return all(self._same(x, y, assumed) for x, y in zip(a, b, strict=True))
        return bool(a == b)


def _as_node(value: Any) -> Mapping[str, Any]:
    """A function's `input` is a type name; its `output` a node."""
    return {"kind": "ref", "name": value} if isinstance(value, str) else value


def _refs(expr: TypeExpr) -> Iterator[str]:
    if isinstance(expr, Ref):
        yield expr.name
    elif isinstance(expr, ListOf | MapOf | Nullable):
        yield from _refs(expr.item)


def _deps(definition: NamedType) -> Iterator[TypeExpr]:
    if isinstance(definition, StructDef):
        yield from (f.type for f in definition.fields)
    elif isinstance(definition, UnionDef):
        yield from definition.variants
    elif isinstance(definition, AliasDef):
        yield definition.target


def walk(expr: TypeExpr) -> Iterator[TypeExpr]:
    """`expr` and the expressions inside it (not through refs)."""
    yield expr
    if isinstance(expr, ListOf | MapOf | Nullable):
        yield from walk(expr.item)


def refs_in(expr: TypeExpr) -> tuple[str, ...]:
    """The named types `expr` mentions directly (for an emitter's forward-reference check)."""
    return tuple(_refs(expr))
