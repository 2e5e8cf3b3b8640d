"""Functions: input struct -> output, run by a materializer."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from .materializer import Materializer
from .policy import PolicyLike
from .types import Type

__all__ = ["EFFECTS", "Effect", "Func"]

Effect = Literal["read", "create", "update", "delete"]
EFFECTS: tuple[Effect, ...] = ("read", "create", "update", "delete")


@dataclass(frozen=True, eq=False)
class Func:
    """A function; expose it with ``g.expose(name=func)``."""

    input: Type
    output: Type
    materializer: Materializer
    effect: Effect = "read"
    policies: tuple[PolicyLike, ...] = ()
    description: str | None = None

    def with_policy(self, *policies: PolicyLike) -> Func:
        """This function with its own policy chain (used instead of the chain
        given to ``g.expose``)."""
        return dataclasses.replace(self, policies=self.policies + tuple(policies))

    def describe(self, text: str) -> Func:
        return dataclasses.replace(self, description=text)
