"""Channels as GraphQL root fields (the typegraph's `channel_ops`).

- a `subscribe` op is a `Subscription` field typed by the channel's message type: it
  streams every message sent on the channel from the moment the subscription starts
  (payloads were checked against the channel's type by the messaging service). A
  subscriber that reads more slowly than messages come keeps the newest
  `subscription_backlog` of them: the oldest are dropped, and the next response is an
  error `subscription_overflow` saying how many (the subscription goes on);
- a `publish` op is a `Mutation` field whose arguments are the message's fields (or one
  `message` argument when the message is not a struct): it checks the message against
  the channel's JSON Schema (`invalid_payload`, with `details: [{path, message}]`), sends
  it, and answers `true` once the broker has it.

Both check their policy chain first (effect `read` / `create`). They reach the messaging
service that the server runs for the typegraph (`Gateway.messaging`); without one they
fail with `messaging_error`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLField,
    GraphQLNonNull,
    GraphQLResolveInfo,
)

from typegraph import model

from ..host import Host
from ..messaging.errors import InvalidPayload, MessagingError
from ..messaging.stream import Dropped
from ..validation import as_details, describe
from .errors import SubscriptionOverflow
from .limits import CostLimits
from .names import check_name
from .policies import Policies, Request
from .types import TypeMapper

if TYPE_CHECKING:
    from ..messaging import MessagingService, Stream

MessagingRef = Callable[[], "MessagingService | None"]


def _service(messaging: MessagingRef, tg: str, name: str) -> MessagingService:
    svc = messaging()
    if svc is None:
        raise MessagingError(
            "messaging is not running for this typegraph: serve it with `wire serve` "
            "(which starts its channels on the broker)",
            where=f"{tg}.{name}",
        )
    return svc


def _message_struct(tg: model.Model, node: model.Node) -> str | None:
    """The struct a channel carries, when it is one (its fields become arguments)."""
    if node.get("kind") == "ref" and tg.types[node["name"]]["kind"] == "struct":
        return str(node["name"])
    return None


def mark_outputs(tg: model.Model, types: TypeMapper) -> None:
    """Subscribed message types are outputs (this decides the names of input types)."""
    for op in tg.channel_ops.values():
        if op.operation == "subscribe":
            types.mark_outputs(tg.channels[op.channel].message)


def subscription_field(
    host: Host,
    policies: Policies,
    types: TypeMapper,
    messaging: MessagingRef,
    name: str,
    limits: CostLimits,
) -> GraphQLField:
    tg = host.typegraph
    op = tg.channel_ops[name]
    channel = op.channel
    where = f"{host.name}.channel_ops.{name}"
    check_name(name, "subscription", where)

    async def subscribe(_root: Any, info: GraphQLResolveInfo[Any], /, **_args: Any) -> Stream:
        req: Request = info.context
        if policies.needs_guest(name, req.auth):
            await host.run(lambda: policies.enforce(name, req))
        else:
            policies.enforce(name, req)
        stream = await _service(messaging, host.name, name).listen(channel)
        req.streams.append(stream)
        stream.backlog = limits.subscription_backlog
        return stream

    def resolve(event: Any, _info: GraphQLResolveInfo[Any], /, **_args: Any) -> Any:
        if isinstance(event, Dropped):
            raise SubscriptionOverflow(
                f"{event.count} message(s) of channel {channel!r} were dropped: this "
                f"subscriber read more slowly than they came, and at most {event.backlog} "
                "wait for it (the oldest go first); the subscription goes on",
                where=f"{host.name}.{name}",
                details={"dropped": event.count, "backlog": event.backlog},
            )
        return event.payload

    return GraphQLField(
        types.output(tg.channels[channel].message, f"{where}.message"),
        subscribe=subscribe,
        resolve=resolve,
        description=op.description or f"The messages of channel {channel}.",
    )


def publish_field(
    host: Host, policies: Policies, types: TypeMapper, messaging: MessagingRef, name: str
) -> GraphQLField:
    tg = host.typegraph
    op = tg.channel_ops[name]
    channel = op.channel
    where = f"{host.name}.channel_ops.{name}"
    check_name(name, "mutation", where)
    message = tg.channels[channel].message
    struct = _message_struct(tg, message)
    if struct is not None:
        args = types.arguments(struct, f"{where}.message")
    else:
        args = {"message": GraphQLArgument(types.input(message, f"{where}.message"))}

    def resolve(_root: Any, info: GraphQLResolveInfo[Any], /, **kwargs: Any) -> bool:
        # Runs on a worker thread (the whole operation does): sending hops to the loop.
        req: Request = info.context
        req.check_deadline(f"{host.name}.{name}")
        policies.enforce(name, req)
        svc = _service(messaging, host.name, name)
        payload = kwargs if struct is not None else kwargs["message"]
        bad = svc.channel(channel).validator.check(payload)
        if bad:
            raise InvalidPayload(
                f"the message does not match the type of channel {channel!r}: {describe(bad)}",
                where=f"{host.name}.{name}",
                details=as_details(bad),
            )
        svc.run(svc.send(channel, payload))
        return True

    return GraphQLField(
        GraphQLNonNull(GraphQLBoolean),
        args=args,
        resolve=resolve,
        description=op.description
        or f"Publish a message on channel {channel} (true once the broker has it).",
    )
