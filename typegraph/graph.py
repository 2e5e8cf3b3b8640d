"""The graph being defined, and the ``@typegraph()`` decorator."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .errors import TypegraphError
from .func import Func
from .names import check_channel_name, check_name
from .policy import PolicyLike
from .types import Type

__all__ = ["Channel", "Exposure", "Graph", "Typegraph", "typegraph"]

ChannelKind = Literal["pubsub", "queue"]


@dataclass(frozen=True)
class Exposure:
    """A function registered in a graph under ``name``."""

    name: str
    func: Func
    exposed: bool
    policies: tuple[PolicyLike, ...]


@dataclass(frozen=True)
class Channel:
    name: str
    message: Type
    durable: bool = False
    kind: ChannelKind = "pubsub"
    handlers: tuple[str, ...] = ()


class Graph:
    """What a ``@typegraph()`` function receives: expose functions, declare channels."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.functions: dict[str, Exposure] = {}
        self.channels: dict[str, Channel] = {}

    def _add(
        self, name: str, func: object, exposed: bool, policies: tuple[PolicyLike, ...]
    ) -> None:
        path = ["functions", name]
        check_name(name, "function", path)
        if name in self.functions:
            raise TypegraphError(
                f"function {name!r} is defined twice; give each function its own name", path
            )
        if not isinstance(func, Func):
            raise TypegraphError(
                f"expected a function (t.func(...) or runtime.handler(...)), got {func!r}", path
            )
        self.functions[name] = Exposure(name, func, exposed, policies)

    def expose(self, *policies: PolicyLike, **funcs: Func) -> None:
        """Expose ``funcs`` under their keyword names; ``policies`` is the chain of
        every function that has no policy of its own (`Func.with_policy`)."""
        for name, func in funcs.items():
            self._add(name, func, True, tuple(policies))

    def define(self, **funcs: Func) -> None:
        """Register ``funcs`` without exposing them (e.g. channel handlers)."""
        for name, func in funcs.items():
            self._add(name, func, False, ())

    def channel(
        self,
        name: str,
        message: Type,
        *,
        durable: bool = False,
        kind: ChannelKind = "pubsub",
        handlers: Sequence[str] = (),
    ) -> Channel:
        """Declare a message channel carrying ``message``; ``handlers`` are the names
        of the functions called with each message."""
        path = ["channels", name]
        check_channel_name(name, path)
        if name in self.channels:
            raise TypegraphError(
                f"channel {name!r} is declared twice; declare each channel once", path
            )
        if kind not in ("pubsub", "queue"):
            raise TypegraphError(
                f"unknown channel kind {kind!r}: use 'pubsub' or 'queue'", [*path, "kind"]
            )
        if not isinstance(message, Type):
            raise TypegraphError(f"expected a type (t.*), got {message!r}", [*path, "message"])
        channel = Channel(name, message, bool(durable), kind, tuple(handlers))
        self.channels[name] = channel
        return channel


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
        from .serialize import serialize

        return serialize(self.graph())


def typegraph(name: str | None = None) -> Callable[[Callable[[Graph], Any]], Typegraph]:
    """Decorate ``def my_graph(g: Graph) -> None`` to define a typegraph (named after
    the function unless ``name`` is given)."""

    def decorate(builder: Callable[[Graph], Any]) -> Typegraph:
        return Typegraph(name or builder.__name__, builder)

    return decorate
