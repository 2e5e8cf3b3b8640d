"""Type expressions of results narrowed by `select=`, for any emitter: an object or union
type becomes its `Partial` companion, through lists, optionals and renamed lists."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..model import AliasDef, ListOf, Nullable, Ref, TypeExpr
from .graphql import GraphQLView


class PartialWriter:
    """`names`: document type name → the emitter's name; `companions`: `<name>/select` and
    `<name>/partial` → the emitter's names of a selectable type's companions; `leaf` writes
    any other expression, `list_of` and `nullable` the language's wrappers."""

    def __init__(
        self,
        gql: GraphQLView,
        selectable: tuple[str, ...],
        names: Mapping[str, str],
        companions: Mapping[str, str],
        *,
        leaf: Callable[[TypeExpr], str],
        list_of: Callable[[str], str],
        nullable: Callable[[str], str],
    ) -> None:
        self.gql = gql
        self.selectable = frozenset(selectable)
        self.names = names
        self.companions = companions
        self.leaf = leaf
        self.list_of = list_of
        self.nullable = nullable

    def expr(self, t: TypeExpr, types: set[str], selections: set[str]) -> str:
        """`t` narrowed; adds the names it writes to `types` (the typegraph's types) and
        `selections` (companions)."""
        if isinstance(t, Ref):
            if t.name in self.selectable:
                name = self.companions[f"{t.name}/partial"]
                selections.add(name)
                return name
            d = self.gql.types[t.name]
            if isinstance(d, AliasDef) and self.gql.object_of(d.target) is not None:
                # a renamed list of objects: its items are partial
                return self.expr(d.target, types, selections)
            types.add(self.names[t.name])
            return self.names[t.name]
        if isinstance(t, ListOf):
            return self.list_of(self.expr(t.item, types, selections))
        if isinstance(t, Nullable):
            return self.nullable(self.expr(t.item, types, selections))
        return self.leaf(t)

    def select(self, t: TypeExpr) -> str | None:
        """The `Select` companion a field of type `t` takes, or None for a leaf."""
        target = self.gql.object_of(t)
        return None if target is None else self.companions[f"{target}/select"]


def companion_names(
    names: Mapping[str, str], selectable: tuple[str, ...], taken: frozenset[str]
) -> dict[str, str]:
    """For each selectable type, `<Name>Select` and `<Name>Partial` (keys `<doc name>/select`
    and `<doc name>/partial`), never one of `taken` or of the types' names (a `_` is added)."""
    used = set(names.values()) | taken
    out: dict[str, str] = {}
    for name in selectable:
        for role, suffix in (("select", "Select"), ("partial", "Partial")):
            candidate = f"{names[name]}{suffix}"
            while candidate in used:
                candidate += "_"
            used.add(candidate)
            out[f"{name}/{role}"] = candidate
    return out
