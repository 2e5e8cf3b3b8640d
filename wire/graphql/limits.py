"""What one GraphQL operation may cost, checked before anything runs.

The parser stops at `max_tokens`; a validation rule (run first, once per cached document)
measures every operation of the document (its depth, its aliases, the fields it selects,
a fragment counted each time it is spread, and how often one response name repeats in a
selection set) and stops the validation at once when one is over a limit: the other rules
never see such a document. (graphql-core's rule for overlapping fields is quadratic in the
fields sharing a response name: 1000 copies of one field took it 1.4 s, hence `repeats`.)
Execution has a deadline (`Deadline`): no resolver that calls a guest starts after it.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.validation import ValidationRule
from graphql.validation.validate import ValidationAbortedError

from .errors import RequestTimeout


@dataclass(frozen=True)
class CostLimits:
    """The cost limits of one operation (`wire serve` flags and `WIRE_*` variables)."""

    max_depth: int = 15  # nested field levels (GraphiQL's introspection query has 13)
    max_aliases: int = 50  # aliased fields (each may be one more guest call)
    max_fields: int = 1000  # field selections, a fragment counted at each spread
    max_repeats: int = 50  # fields sharing one response name in one selection set
    max_tokens: int = 10_000  # lexical tokens (and, separately, comments) of the document
    request_timeout_s: float = 30.0  # wall clock per query or mutation
    subscription_backlog: int = 1000  # messages kept for a slow subscriber (oldest dropped)

    def __post_init__(self) -> None:
        for name in ("max_depth", "max_aliases", "max_fields", "max_repeats", "max_tokens"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.request_timeout_s <= 0:
            raise ValueError("request_timeout_s must be positive")
        if self.subscription_backlog < 1:
            raise ValueError("subscription_backlog must be at least 1")


# Each limit as clients see it: its setting, how an operator raises it, what was found.
SETTINGS = {
    "depth": ("max_depth", "--max-depth / WIRE_MAX_DEPTH", "nests {} levels deep"),
    "aliases": ("max_aliases", "--max-aliases / WIRE_MAX_ALIASES", "has {} aliases"),
    "fields": ("max_fields", "--max-fields / WIRE_MAX_FIELDS", "selects {} fields"),
    "repeats": (
        "max_repeats",
        "--max-repeats / WIRE_MAX_REPEATS",
        "selects one response name {} times in a selection set",
    ),
    "tokens": ("max_tokens", "--max-tokens / WIRE_MAX_TOKENS", "has {} tokens"),
}


def too_complex(
    limits: CostLimits, limit: str, found: int, node: Any = None, *, at_least: bool = False
) -> GraphQLError:
    """The `query_too_complex` error for `limit` (`found` is a lower bound with `at_least`:
    the parser stops counting tokens at the limit)."""
    attr, setting, what = SETTINGS[limit]
    allowed = getattr(limits, attr)
    value = f"more than {allowed}" if at_least else str(found)
    return GraphQLError(
        f"the query is too complex: it {what.format(value)}, over the limit of {allowed} "
        f"(simplify it, or ask the operator to raise {setting})",
        node,
        extensions={
            "code": "query_too_complex",
            "details": {"limit": limit, "found": found, "max": allowed},
        },
    )


@dataclass
class _Cost:
    depth: int = 0
    aliases: int = 0
    fields: int = 0
    repeats: int = 0  # the most fields sharing a response name in one selection set
    # The response names this selection set selects, with how many times (fragments in).
    names: Counter[str] = field(default_factory=Counter)

    def add(self, sub: _Cost, *, nested: bool) -> None:
        """Take in a field's selections (`nested`) or a fragment's (same level)."""
        self.depth = max(self.depth, sub.depth + nested)
        self.aliases += sub.aliases
        self.fields += sub.fields
        self.repeats = max(self.repeats, sub.repeats)
        if not nested:
            self.names.update(sub.names)


class _Measure:
    """Measures selection sets; each fragment once (then reused at every spread)."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.done: dict[str, _Cost] = {}
        self.open: set[str] = set()  # a cycle is left to the NoFragmentCycles rule

    def selections(self, node: SelectionSetNode) -> _Cost:
        cost = _Cost()
        for sel in node.selections:
            if isinstance(sel, FieldNode):
                cost.add(
                    self.selections(sel.selection_set) if sel.selection_set else _Cost(),
                    nested=True,
                )
                cost.aliases += sel.alias is not None
                cost.fields += 1
                cost.names[(sel.alias or sel.name).value] += 1
            elif isinstance(sel, InlineFragmentNode):
                cost.add(self.selections(sel.selection_set), nested=False)
            elif isinstance(sel, FragmentSpreadNode):
                found = self.fragment(sel.name.value)
                if found is not None:
                    cost.add(found, nested=False)
        if cost.names:
            cost.repeats = max(cost.repeats, max(cost.names.values()))
        return cost

    def fragment(self, name: str) -> _Cost | None:
        known = self.done.get(name)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None or name in self.open:
            return None  # unknown or cyclic: other rules report it
        self.open.add(name)
        try:
            cost = self.done[name] = self.selections(definition.selection_set)
        finally:
            self.open.discard(name)
        return cost


def cost_rule(limits: CostLimits) -> type[ValidationRule]:
    """A validation rule that rejects an operation over `limits` before any other rule
    runs (put it first): it aborts the validation with the errors it found."""

    class QueryCost(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> None:
            fragments = {
                d.name.value: d for d in node.definitions if isinstance(d, FragmentDefinitionNode)
            }
            measure = _Measure(fragments)
            errors: list[GraphQLError] = []
            for op in node.definitions:
                if not isinstance(op, OperationDefinitionNode):
                    continue
                try:
                    cost = measure.selections(op.selection_set)
                except RecursionError:
                    # fragments spread within fragments thousands deep
                    errors.append(
                        too_complex(limits, "depth", limits.max_depth + 1, op, at_least=True)
                    )
                    continue
                for limit, found in (
                    ("depth", cost.depth),
                    ("aliases", cost.aliases),
                    ("fields", cost.fields),
                    ("repeats", cost.repeats),
                ):
                    if found > getattr(limits, SETTINGS[limit][0]):
                        errors.append(too_complex(limits, limit, found, op))
            if not errors:
                return
            for error in errors[:-1]:
                self.report_error(error)
            last = errors[-1]
            # Raising this stops the validation here: `validate` keeps it with the others.
            raise ValidationAbortedError(last.message, last.nodes, extensions=last.extensions)

    return QueryCost


class Deadline:
    """When an operation must be done by (monotonic clock)."""

    def __init__(self, seconds: float, *, at: float | None = None) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds if at is None else at

    @property
    def remaining(self) -> float:
        return self.at - time.monotonic()

    def check(self, where: str) -> None:
        """Raise `RequestTimeout` once the deadline has passed (before starting work)."""
        if time.monotonic() >= self.at:
            raise RequestTimeout(self.message(), where=where)

    def message(self) -> str:
        return (
            f"the request ran past its deadline of {self.seconds:g} s and was stopped "
            "(nothing more was started; raise --request-timeout / WIRE_REQUEST_TIMEOUT_S "
            "if the work is legitimate)"
        )
