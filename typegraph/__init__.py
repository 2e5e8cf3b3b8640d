"""typegraph: describe an API (types, functions, policies, channels) and
serialise it to a ``wire-typegraph/1`` document (docs/typegraph-document.md).

    from typegraph import Graph, Policy, WireRuntime, t, typegraph

    @typegraph()
    def math(g: Graph) -> None:
        guest = WireRuntime("guest")
        g.expose(Policy.public(), add=guest.handler(
            t.struct({"a": t.integer(), "b": t.integer()}), t.integer(), name="add"))
"""

from . import model, t
from .channel_op import ChannelOp
from .core_wire import CoreRuntime
from .definition import Typegraph, typegraph
from .document import FORMAT, Document, document_schema, dumps, validate_document
from .errors import TypegraphError
from .func import Effect, Func
from .graph import Channel, Graph
from .loader import load
from .materializer import Materializer
from .messaging import MessagingComponent
from .model import Backoff
from .policy import Policy, PolicyOn
from .python import PythonRuntime
from .reflected import ReflectedRuntime
from .runtime import WireRuntime
from .schema import function_schemas, json_schema
from .types import Type

__all__ = [
    "FORMAT",
    "Backoff",
    "Channel",
    "ChannelOp",
    "CoreRuntime",
    "Document",
    "Effect",
    "Func",
    "Graph",
    "Materializer",
    "MessagingComponent",
    "Policy",
    "PolicyOn",
    "PythonRuntime",
    "ReflectedRuntime",
    "Type",
    "Typegraph",
    "TypegraphError",
    "WireRuntime",
    "document_schema",
    "dumps",
    "function_schemas",
    "json_schema",
    "load",
    "model",
    "t",
    "typegraph",
    "validate_document",
]
