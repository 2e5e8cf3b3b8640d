"""The GraphQL schema of a typegraph: one root field per exposed function.

Effects decide the root: `read` → Query, `create`/`update`/`delete` → Mutation. Channel
operations (`channel_ops`) add `Subscription` fields and publish mutations (`channels.py`).
Each root field's resolver checks the policy chain, then calls the guest through the
host (which checks the arguments against the input JSON Schema first: bounds, patterns,
formats; nothing invalid reaches a guest).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    validate_schema,
)

from ..host import Host
from . import channels
from .errors import SchemaError
from .limits import CostLimits
from .names import NameTable, check_name
from .policies import Policies, Request
from .types import TypeMapper

MUTATION_EFFECTS = ("create", "update", "delete")


def _resolver(host: Host, policies: Policies, function: str) -> Any:
    where = f"{host.name}.{function}"

    # Positional-only parameters: an argument may be named `source` or `info`.
    def resolve(_source: Any, info: GraphQLResolveInfo[Any], /, **args: Any) -> Any:
        req: Request = info.context
        req.check_deadline(where)  # past it, no guest (policy or function) starts
        if req.sync:
            policies.enforce(function, req)
            return host.call_sync(function, args, extra=req.extra)
        awaitable: Awaitable[Any] = policies.call(function, args, req)
        return awaitable

    return resolve


def build_schema(
    host: Host,
    policies: Policies,
    messaging: channels.MessagingRef = lambda: None,
    limits: CostLimits | None = None,
) -> GraphQLSchema:
    """The schema of `host`'s typegraph; a `SchemaError` when it cannot be served.
    `messaging` gives the messaging service that channel fields use (when running);
    `limits` bound its subscriptions' backlogs."""
    limits = limits or CostLimits()
    model = host.typegraph
    tg = model.name
    names = NameTable(tg)
    types = TypeMapper(model.document, names)
    exposed = model.exposed()
    for fn in exposed.values():
        types.mark_outputs(fn.output)
    channels.mark_outputs(model, types)

    roots: dict[str, dict[str, GraphQLField]] = {"Query": {}, "Mutation": {}, "Subscription": {}}
    for fname, fn in exposed.items():
        where = f"{tg}.functions.{fname}"
        check_name(fname, "function", where)
        root = "Mutation" if fn.effect in MUTATION_EFFECTS else "Query"
        roots[root][fname] = GraphQLField(
            types.output(fn.output, f"{where}.output"),
            args=types.arguments(fn.input, f"{where}.input"),
            resolve=_resolver(host, policies, fname),
            description=fn.description,
        )
    for name, op in model.channel_ops.items():
        if op.operation == "subscribe":
            roots["Subscription"][name] = channels.subscription_field(
                host, policies, types, messaging, name, limits
            )
        else:
            roots["Mutation"][name] = channels.publish_field(host, policies, types, messaging, name)
    if not roots["Query"]:
        # GraphQL requires a Query type with a field; a mutations-only typegraph gets one.
        roots["Query"]["_typegraph"] = GraphQLField(
            GraphQLNonNull(GraphQLString),
            resolve=lambda *_a, **_k: tg,
            description="The typegraph's name (it exposes no read function).",
        )
    query = GraphQLObjectType("Query", roots["Query"])
    mutation = GraphQLObjectType("Mutation", roots["Mutation"]) if roots["Mutation"] else None
    subscription = (
        GraphQLObjectType("Subscription", roots["Subscription"]) if roots["Subscription"] else None
    )
    try:
        schema = GraphQLSchema(
            query=query,
            mutation=mutation,
            subscription=subscription,
            description=f"typegraph {tg}",
        )
        problems = validate_schema(schema)
    except Exception as e:
        # graphql-core resolves field thunks here and wraps what they raise
        cause: BaseException | None = e
        while cause is not None and not isinstance(cause, SchemaError):
            cause = cause.__cause__
        raise (cause or SchemaError(str(e), where=tg)) from e
    if problems:
        raise SchemaError("; ".join(p.message for p in problems), where=tg)
    return schema
