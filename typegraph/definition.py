"""A typegraph definition: what `@typegraph()` makes of a function; `document()` runs it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .graph import Graph
from .names import check_name
from .serialize import serialize

__all__ = ["Typegraph", "typegraph"]


class Typegraph:
    """A typegraph definition; ``document()`` runs it and returns its document."""

    def __init__(self, name: str, builder: Callable[[Graph], Any]) -> None:
        check_name(name, "typegraph", ["name"])
        self.name = name
        self.builder = builder

    def __repr__(self) -> str:
        return f"Typegraph({self.name!r})"

    def graph(self) -> Graph:
        g = Graph(self.name)
        self.builder(g)
        return g

    def document(self) -> dict[str, Any]:
        return serialize(self.graph())


def typegraph(name: str | None = None) -> Callable[[Callable[[Graph], Any]], Typegraph]:
    """Decorate ``def my_graph(g: Graph) -> None`` to define a typegraph (named after
    the function unless ``name`` is given)."""

    def decorate(builder: Callable[[Graph], Any]) -> Typegraph:
        return Typegraph(name or builder.__name__, builder)

    return decorate
