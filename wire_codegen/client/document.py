"""What the client generators read from a typegraph document, and nothing else.

Every read of the document's JSON layout by the client walk is here, so that the walk
stays the same when the document gets a typed model: only `read_document` changes. Type
nodes are handed on as they are, to the shared `TypeWalker`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

TypeNode = Mapping[str, Any]


@dataclass(frozen=True)
class ExposedFunction:
    name: str  # the GraphQL root field
    input: str  # the name of its input struct (its fields are the field's arguments)
    output: TypeNode
    effect: Literal["read", "create", "update", "delete"]
    description: str | None


@dataclass(frozen=True)
class ChannelOperation:
    name: str  # the GraphQL root field
    operation: Literal["publish", "subscribe"]
    channel: str
    message: TypeNode  # the channel's message type
    description: str | None


@dataclass(frozen=True)
class ClientDocument:
    typegraph: str
    types: Mapping[str, TypeNode]  # every named type
    functions: tuple[ExposedFunction, ...]  # exposed ones only, in document order
    channel_ops: tuple[ChannelOperation, ...]  # in document order


def read_document(doc: Mapping[str, Any]) -> ClientDocument:
    """The parts of a `wire-typegraph/1` document a caller of its GraphQL API sees."""
    functions = tuple(
        ExposedFunction(
            name, fn["input"], fn["output"], fn.get("effect", "read"), fn.get("description")
        )
        for name, fn in doc.get("functions", {}).items()
        if fn.get("exposed")
    )
    channels = doc.get("channels", {})
    channel_ops = tuple(
        ChannelOperation(
            name,
            op["operation"],
            op["channel"],
            channels[op["channel"]]["message"],
            op.get("description"),
        )
        for name, op in doc.get("channel_ops", {}).items()
    )
    return ClientDocument(doc.get("name", ""), doc.get("types", {}), functions, channel_ops)
