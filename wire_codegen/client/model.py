"""The language-neutral view of a client: the GraphQL operations a caller of a served
typegraph can run, and the named types they use.

`client_model` walks the document once (through `document.py`) and returns what every
client emitter needs:

- one `Operation` per exposed function (a query for effect `read`, else a mutation) and
  per channel operation (`subscribe`: a subscription; `publish`: a mutation whose arguments
  are the message's fields), sorted by name, each with its arguments and their GraphQL
  variable types, and its result;
- the named types they reach, in dependency order (`model.TypeWalker`, as for guests);
- `shapes`: for each object and union type a result or a union argument can hold, its
  fields that nest another object (or union) type, so the client runtime can write
  selection sets, narrow them with `select=`, put union arguments into their `@oneOf` form
  (telling the variants apart by their fields) and read aliased union fields back.

Recursive types are selected `RECURSION_LEVELS` deep by default: along one path of
fields, a type is expanded at most that many times, and the fields that would go deeper
are left out. A result whose default selection is cut that way is `partial`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from ..model import (
    AliasDef,
    CodegenError,
    EnumDef,
    ListOf,
    NamedType,
    Nullable,
    Ref,
    Scalar,
    StructDef,
    TypeExpr,
    TypeWalker,
    UnionDef,
)
from .document import ClientDocument, read_document
from .graphql import MUTATION_EFFECTS, GraphQLView, check_name

RECURSION_LEVELS = 3  # a recursive type is expanded at most this often along one path


@dataclass(frozen=True)
class Argument:
    name: str  # the GraphQL argument (a field of the input struct or of the message)
    type: TypeExpr
    required: bool  # False: it may be left out (it is optional, or it has a default)
    graphql_type: str  # the type of its variable (`[Int!]!`; nullable when not required)
    description: str | None


@dataclass(frozen=True)
class Operation:
    name: str  # the root field (and the client's method)
    kind: Literal["query", "mutation", "subscription"]
    source: Literal["function", "publish", "subscribe"]
    arguments: tuple[Argument, ...]
    input: str | None  # the struct whose fields the arguments are (None: a subscription, or
    # a publish of a message that is not a struct, whose one argument is `message`)
    output: TypeExpr  # the field's value (`boolean` for a publish)
    selects: str | None  # the object or union type the result selects into; None: a leaf
    partial: bool  # the default selection is cut (a recursive result): every field optional
    encode: tuple[tuple[str, str], ...]  # (argument, type) whose values may hold a union: the
    # runtime writes each union value in its `@oneOf` form, `{Variant: value}`
    decode: bool  # the result may hold a union: the runtime drops the `__typename` selected
    # with it and renames its aliased fields back
    description: str | None
    channel: str | None  # the channel of a channel operation


# What a value must be: "boolean", "integer", "number", "string", "list", "object" or
# "any", with a "?" when null is allowed too; or the values of an enum (None: null).
LeafCheck = str | tuple[str | None, ...]


@dataclass(frozen=True)
class StructShape:
    name: str
    fields: tuple[tuple[str, str | None], ...]  # every field → the object type it nests
    required: tuple[str, ...]  # fields a value must have (to tell union variants apart)
    # for a variant of a union argument, field → what its value must be, to tell variants
    # apart as the gateway does (the first that fits)
    checks: tuple[tuple[str, LeafCheck], ...] = ()


@dataclass(frozen=True)
class UnionShape:
    name: str
    variants: tuple[str, ...]  # the structs, in order (`... on Variant`)
    # variant → (field, alias) for fields that two variants type differently: GraphQL
    # refuses such fields side by side in one selection, so they are selected under an
    # alias and renamed back (found with the `__typename` that is selected with them)
    aliases: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


Shape = StructShape | UnionShape


@dataclass(frozen=True)
class ClientModel:
    typegraph: str
    operations: tuple[Operation, ...]
    types: tuple[NamedType, ...]  # dependency order
    shapes: tuple[Shape, ...]  # the object and union types results and union arguments hold
    outputs: frozenset[str]  # named types reachable from a result
    selectable: tuple[str, ...]  # object and union types a result can select into, sorted


def client_model(doc: Mapping[str, object]) -> ClientModel:
    """Walk `doc` for a client of its GraphQL API."""
    return _ClientWalk(read_document(doc)).model()


@dataclass(frozen=True)
class _Root:
    """A root field before the GraphQL names are known."""

    source: Literal["function", "publish", "subscribe"]
    name: str
    effect: str
    description: str | None
    channel: str | None
    input: str | None
    fields: tuple[_Input, ...]
    output: TypeExpr


@dataclass(frozen=True)
class _Input:
    name: str
    type: TypeExpr
    has_default: bool
    description: str | None


class _ClientWalk:
    def __init__(self, doc: ClientDocument) -> None:
        self.doc = doc
        self.walker = TypeWalker(doc.types)

    def model(self) -> ClientModel:
        roots = sorted(self._roots(), key=lambda r: r.name)
        for root in roots:
            if root.input is not None:
                self.walker.visit(Ref(root.input))  # the type of the arguments, as one value
            for f in root.fields:
                self.walker.visit(f.type)
            self.walker.visit(root.output)
        types = {t.name: t for t in self.walker.ordered}
        outputs = frozenset(n for r in roots for n in _reach(types, r.output))
        self.gql = GraphQLView(types, outputs)
        ops = tuple(self._operation(root) for root in roots)
        selectable = tuple(sorted(n for n in outputs if self.gql.is_object(n)))
        # the runtime needs the shapes of what it selects, and of arguments holding unions;
        # for those, the variants' fields are checked to tell which variant a value is
        encoded: set[str] = set()
        for op in ops:
            for _, target in op.encode:
                encoded |= self._closure(target)
        variants = {
            v
            for name in encoded
            if isinstance(d := types[name], UnionDef)
            for v in self.gql.object_variants(d) or ()
        }
        shapes = tuple(
            self._shape(d, checked=d.name in variants)
            for d in self.walker.ordered
            if d.name in encoded or d.name in selectable
        )
        return ClientModel(
            self.doc.typegraph, ops, tuple(self.walker.ordered), shapes, outputs, selectable
        )

    def _roots(self) -> Iterator[_Root]:
        for fn in self.doc.functions:
            where = f"functions.{fn.name}"
            fields = self._struct_fields(fn.input, f"{where}.input")
            output = self.walker.expr(fn.output, f"{where}.output")
            yield _Root(
                "function", fn.name, fn.effect, fn.description, None, fn.input, fields, output
            )
        for op in self.doc.channel_ops:
            where = f"channels.{op.channel}.message"
            message = self.walker.expr(op.message, where)
            if op.operation == "subscribe":
                yield _Root(
                    "subscribe", op.name, "read", op.description, op.channel, None, (), message
                )
                continue
            struct = self._message_struct(message)
            fields = (
                self._struct_fields(struct, where)
                if struct is not None
                else (_Input("message", message, False, None),)
            )
            yield _Root(
                "publish", op.name, "create", op.description, op.channel, struct, fields,
                Scalar("boolean"),
            )  # fmt: skip

    # -- operations

    def _operation(self, root: _Root) -> Operation:
        check_name(root.name, "root field", root.name)
        args = []
        encode = []
        for f in root.fields:
            check_name(f.name, "argument", f"{root.name}.{f.name}")
            nullable, _ = self.gql.unwrap(f.type)
            required = not nullable and not f.has_default
            gql = self.gql.input_type(f.type)
            if not required:
                gql = gql.removesuffix("!")  # left out: the argument's default applies
            args.append(Argument(f.name, f.type, required, gql, f.description))
            target = self.gql.object_of(f.type)
            if target is not None and self._holds_union(target):
                encode.append((f.name, target))
        selects = self.gql.object_of(root.output)
        kind: Literal["query", "mutation", "subscription"]
        if root.source == "subscribe":
            kind = "subscription"
        else:
            kind = "mutation" if root.effect in MUTATION_EFFECTS else "query"
        return Operation(
            root.name,
            kind,
            root.source,
            tuple(args),
            root.input,
            root.output,
            selects,
            selects is not None and self._recursive(selects),
            tuple(encode),
            selects is not None and self._holds_union(selects),
            root.description,
            root.channel,
        )

    def _struct_fields(self, struct: str, where: str) -> tuple[_Input, ...]:
        """The fields of input struct `struct`: the arguments of a root field."""
        node = self.doc.types.get(struct)
        if node is None or node.get("kind") != "struct":
            raise CodegenError(f"{where}: {struct!r} is not a struct of the document")
        return tuple(
            _Input(
                fname,
                self.walker.expr(fnode, f"types.{struct}.fields.{fname}"),
                "default" in fnode,
                fnode.get("description"),
            )
            for fname, fnode in node.get("fields", {}).items()
        )

    def _message_struct(self, message: TypeExpr) -> str | None:
        """The struct a published message is, when it is one (its fields are arguments)."""
        if isinstance(message, Ref) and self.doc.types[message.name].get("kind") == "struct":
            return message.name
        return None

    # -- shapes

    def _shape(self, d: NamedType, *, checked: bool) -> Shape:
        if isinstance(d, StructDef):
            fields = []
            for f in d.fields:
                check_name(f.name, "field", f"types.{d.name}.fields.{f.name}")
                fields.append((f.name, self.gql.object_of(f.type)))
            required = tuple(f.name for f in d.fields if not f.optional)
            checks = tuple((f.name, self._leaf_check(f.type)) for f in d.fields) if checked else ()
            return StructShape(d.name, tuple(fields), required, checks)
        assert isinstance(d, UnionDef)
        variants = self.gql.object_variants(d) or ()
        return UnionShape(d.name, variants, self._aliases(variants))

    def _leaf_check(self, expr: TypeExpr) -> LeafCheck:
        """What a value of `expr` must be (see `LeafCheck`)."""
        nullable, inner = self.gql.unwrap(expr)
        check: LeafCheck
        if isinstance(inner, ListOf):
            check = "list"
        elif isinstance(inner, Scalar):
            check = {"float": "number", "json": "any"}.get(inner.kind, inner.kind)
        elif isinstance(inner, Ref) and isinstance(d := self.gql.types[inner.name], EnumDef):
            return (*d.values, None) if nullable else d.values
        elif isinstance(inner, Ref) and self.gql.is_object(inner.name):
            check = "object"
        else:
            check = "any"  # a union of scalars, a struct without fields: the server checks
        return f"{check}?" if nullable and check != "any" else check

    def _aliases(
        self, variants: tuple[str, ...]
    ) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
        """Fields that variants type differently, with an alias per variant."""
        typed: dict[str, set[str]] = {}
        for v in variants:
            for f in self._struct(v).fields:
                typed.setdefault(f.name, set()).add(self.gql.output_type(f.type))
        clashing = {name for name, kinds in typed.items() if len(kinds) > 1}
        out = []
        for v in variants:
            names = {f.name for f in self._struct(v).fields}
            own = []
            for f in self._struct(v).fields:
                if f.name in clashing:
                    alias = f"{f.name}_{v}"
                    while alias in names:  # never the name of another field of the variant
                        alias += "_"
                    own.append((f.name, alias))
            if own:
                out.append((v, tuple(own)))
        return tuple(out)

    def _struct(self, name: str) -> StructDef:
        d = self.gql.types[name]
        assert isinstance(d, StructDef)
        return d

    def _nested(self, name: str) -> Iterator[str]:
        """The object and union types that object or union `name` nests directly."""
        d = self.gql.types[name]
        if isinstance(d, StructDef):
            for f in d.fields:
                target = self.gql.object_of(f.type)
                if target is not None:
                    yield target
        elif isinstance(d, UnionDef):
            yield from self.gql.object_variants(d) or ()

    def _closure(self, name: str) -> set[str]:
        """`name` and the object and union types it nests, at any depth."""
        found: set[str] = set()
        todo = [name]
        while todo:
            n = todo.pop()
            if n not in found:
                found.add(n)
                todo.extend(self._nested(n))
        return found

    def _recursive(self, name: str) -> bool:
        """Whether a value of `name` may nest a value of a type it is nested in (a cycle)."""
        state: dict[str, str] = {}

        def cycle(n: str) -> bool:
            state[n] = "open"
            for m in self._nested(n):
                if state.get(m) == "open" or (m not in state and cycle(m)):
                    return True
            state[n] = "done"
            return False

        return cycle(name)

    def _holds_union(self, name: str) -> bool:
        """Whether values of object or union `name` may hold a union value."""
        return any(isinstance(self.gql.types[n], UnionDef) for n in self._closure(name))


def _reach(types: Mapping[str, NamedType], expr: TypeExpr) -> Iterator[str]:
    """The named types reachable from `expr` (the gateway's `mark_outputs`)."""
    seen: set[str] = set()
    todo = [expr]
    while todo:
        e = todo.pop()
        if isinstance(e, ListOf | Nullable):
            todo.append(e.item)
        elif isinstance(e, Ref) and e.name not in seen:
            seen.add(e.name)
            yield e.name
            d = types[e.name]
            if isinstance(d, StructDef):
                todo.extend(f.type for f in d.fields)
            elif isinstance(d, UnionDef):
                todo.extend(d.variants)
            elif isinstance(d, AliasDef):
                todo.append(d.target)
