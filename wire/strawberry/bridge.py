"""A typegraph's functions and channel operations as strawberry root types (`Fields`).

The root fields are `wire serve`'s: read functions on `Query`, the others and publish
operations on `Mutation`, subscriptions on `Subscription`, with the same names, arguments,
types and descriptions (`typemap.py` makes the types). Each resolver is async and calls
the host as the gateway does: the caller from the auth hook, the policy chain (a custom
policy runs on the host's worker pool), the arguments checked against the function's
input schema, the guest on a worker thread (never on the event loop), its result checked
against the output schema. A `WireError` becomes a GraphQL error with wire's
`extensions.code` and `details`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Annotated, Any

import strawberry
from graphql import GraphQLArgument, GraphQLField, GraphQLNonNull, GraphQLSchema, Undefined
from strawberry.types import Info
from strawberry.types.field import StrawberryField

from ..errors import WireError
from ..graphql import AuthConfig, CostLimits, Gateway, Request, SchemaError
from ..graphql.names import NAME
from ..host import Host
from ..messaging import MessagingError, MessagingService, make_broker
from .auth import HeaderAuth, Identify, anonymous, identify
from .channels import ChannelEvents, Streams, publish
from .errors import graphql_error
from .typemap import TypeMap, new_class, python_name

MUTATION_EFFECTS = ("create", "update", "delete")
# Strawberry's resolvers take these as keywords next to the field's arguments.
UNBRIDGEABLE_ARGUMENTS = ("info", "_source")


class Fields:
    """The root fields of one typegraph, to put in a strawberry schema:
    `class Query(fields.Query): ...` or `merge_types("Query", (Query, fields.Query))`,
    and `fields.Mutation`, `fields.Subscription` likewise (None when it has none).

    - `auth`: who calls: a hook `(info) -> AuthContext` (or an awaitable of one), an
      `AuthConfig` to check the request's `Authorization` header as `wire serve` does,
      or None: every caller is anonymous;
    - `prefix`: put before the name of every type it adds (`Point` -> `MathPoint`), when
      the app or another typegraph has a type of that name;
    - `production`: mask the errors about the host's insides (as `--production`);
    - `broker`: the broker of its channels (default `$WIRE_BROKER`, else the embedded one);
    - `subscription_backlog`: unread messages a subscriber keeps (the oldest go first);
    - `env`: where an `AuthConfig` finds the basic passwords (default: `os.environ`).

    `running()` (or `lifespan`, or `wire.strawberry.asgi(app, ...)`) starts the host and
    its channels with the app, and closes them when the app stops.
    """

    def __init__(
        self,
        host: Host,
        *,
        auth: Identify | AuthConfig | None = None,
        prefix: str = "",
        production: bool = False,
        broker: str | None = None,
        subscription_backlog: int = CostLimits.subscription_backlog,
        env: Mapping[str, str] | None = None,
    ) -> None:
        if subscription_backlog < 1:
            raise ValueError("subscription_backlog must be at least 1")
        if prefix and (not NAME.match(prefix) or prefix.startswith("__")):
            raise SchemaError(
                f"prefix {prefix!r} cannot start a GraphQL type name ([_A-Za-z][_0-9A-Za-z]*, "
                "not '__')",
                where=host.name,
            )
        self.host = host
        self.name = host.name
        self.production = production
        self.broker = broker
        self.subscription_backlog = subscription_backlog
        # wire's own gateway of the typegraph: its schema is what the bridge remakes with
        # strawberry, and it answers the guests' `gql` hostcalls in-process.
        self.gateway = Gateway(
            host,
            production=production,
            limits=CostLimits(subscription_backlog=subscription_backlog),
        )
        self.policies = self.gateway.policies
        self._streams = Streams()
        if isinstance(auth, AuthConfig):
            basic = list(host.typegraph.basic_users)
            auth = HeaderAuth(auth, host.name, basic, env)
        self._identify: Identify = auth or anonymous
        schema = self.gateway.schema
        self._types = TypeMap(schema, host.document, prefix)
        self.types: Mapping[str, Any] = self._types.types
        roots = self._root_fields(schema)
        self.Query: Any = self._root("Query", roots["Query"])
        self.Mutation: Any = self._root("Mutation", roots["Mutation"])
        self.Subscription: Any = self._root("Subscription", roots["Subscription"])

    def __repr__(self) -> str:
        return f"<wire.strawberry.Fields of typegraph {self.name!r}>"

    @property
    def messaging(self) -> MessagingService | None:
        """The service its channel fields use: `running()` starts one (or the app sets its
        own)."""
        return self.gateway.messaging

    @messaging.setter
    def messaging(self, service: MessagingService | None) -> None:
        self.gateway.messaging = service

    @property
    def subscriptions(self) -> int:
        """How many bridged subscriptions are listening now."""
        return len(self._streams)

    # -- the root types -------------------------------------------------------------------

    def _root_fields(self, schema: GraphQLSchema) -> dict[str, dict[str, StrawberryField]]:
        tg = self.host.typegraph
        functions = set(tg.exposed())
        ops = tg.channel_ops
        out: dict[str, dict[str, StrawberryField]] = {}
        for root, gtype in (
            ("Query", schema.query_type),
            ("Mutation", schema.mutation_type),
            ("Subscription", schema.subscription_type),
        ):
            fields: dict[str, StrawberryField] = {}
            taken: set[str] = set()
            for name, gfield in (gtype.fields if gtype is not None else {}).items():
                if name in functions:
                    made = self._function_field(name, gfield)
                elif name in ops and ops[name].operation == "subscribe":
                    made = self._subscription_field(name, ops[name].channel, gfield)
                elif name in ops:
                    made = self._publish_field(name, ops[name].channel, gfield)
                else:
                    continue  # the gateway's `_typegraph` stand-in: the app has its own Query
                fields[python_name(name, taken)] = made
            out[root] = fields
        return out

    def _root(self, name: str, fields: Mapping[str, StrawberryField]) -> Any:
        if not fields:
            return None
        body = {"__module__": self._types.module.__name__, **fields}
        return strawberry.type(new_class(name, body), name=name)

    def _signature(
        self, field: str, args: Mapping[str, GraphQLArgument]
    ) -> tuple[inspect.Signature, dict[str, str]]:
        """A resolver signature declaring `args` to strawberry (their GraphQL names, types,
        defaults and descriptions), and the GraphQL name of each parameter. Parameters are
        named arg0, arg1...: an argument may be named `self`, `root` or `class`."""
        params = [inspect.Parameter("info", inspect.Parameter.KEYWORD_ONLY, annotation=Info)]
        names: dict[str, str] = {}
        for i, (gname, arg) in enumerate(args.items()):
            if gname in UNBRIDGEABLE_ARGUMENTS:
                raise SchemaError(
                    f"argument {gname!r} cannot be served by strawberry, whose resolvers take "
                    f"{' and '.join(map(repr, UNBRIDGEABLE_ARGUMENTS))} as keywords: rename "
                    "it in the typegraph",
                    where=f"{self.name}.{field}.{gname}",
                )
            py = f"arg{i}"
            names[py] = gname
            default: Any = inspect.Parameter.empty  # required
            if arg.default_value is not Undefined:
                default = arg.default_value
            elif not isinstance(arg.type, GraphQLNonNull):
                default = strawberry.UNSET  # may be left out (and is, for the guest)
            annotated: Any = Annotated  # a type built at run time
            annotation = annotated[
                self._types.python_type(arg.type),
                strawberry.argument(name=gname, description=arg.description),
            ]
            params.append(
                inspect.Parameter(
                    py, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
                )
            )
        return inspect.Signature(params), names

    def _function_field(self, name: str, gfield: GraphQLField) -> StrawberryField:
        signature, names = self._signature(name, gfield.args)
        convert = self._types.output(gfield.type)
        types, call = self._types, self.call

        async def resolve(info: Info[Any, Any], **kwargs: Any) -> Any:
            result = await call(name, types.arguments(names, kwargs), info)
            return result if convert is None else convert(result)

        _named(resolve, name, signature)
        field: StrawberryField = strawberry.field(
            resolver=resolve,
            name=name,
            description=gfield.description,
            graphql_type=self._types.python_type(gfield.type),
        )
        return field

    def _publish_field(self, name: str, channel: str, gfield: GraphQLField) -> StrawberryField:
        signature, names = self._signature(name, gfield.args)
        tg = self.host.typegraph
        message = tg.channels[channel].message
        # The gateway's arguments: the message's fields, or one `message` when not a struct.
        whole = not (message.get("kind") == "ref" and tg.types[message["name"]]["kind"] == "struct")
        types, where = self._types, f"{self.name}.{name}"

        async def resolve(info: Info[Any, Any], **kwargs: Any) -> bool:
            args = types.arguments(names, kwargs)
            try:
                await self.authorize(name, info)
                payload = args.get("message") if whole else args
                await publish(self._service(name), channel, payload, where)
            except WireError as e:
                raise graphql_error(e, production=self.production) from e
            return True

        _named(resolve, name, signature)
        field: StrawberryField = strawberry.field(
            resolver=resolve, name=name, description=gfield.description, graphql_type=bool
        )
        return field

    def _subscription_field(self, name: str, channel: str, gfield: GraphQLField) -> StrawberryField:
        signature, _names = self._signature(name, gfield.args)
        convert = self._types.output(gfield.type)

        async def subscribe(info: Info[Any, Any], **_kwargs: Any) -> ChannelEvents:
            try:
                await self.authorize(name, info)
                service = self._service(name)
            except WireError as e:
                raise graphql_error(e, production=self.production) from e
            return ChannelEvents(
                service,
                channel,
                f"{self.name}.{name}",
                self._streams,
                self.subscription_backlog,
                convert,
                self.production,
            )

        _named(subscribe, name, signature)
        field: StrawberryField = strawberry.subscription(
            resolver=subscribe,
            name=name,
            description=gfield.description,
            graphql_type=self._types.python_type(gfield.type),
        )
        return field

    # -- calls ------------------------------------------------------------------------

    async def call(self, function: str, args: Any, info: Info[Any, Any]) -> Any:
        """Call `function` as the caller of `info`, with its policies: the guest (and a
        custom policy) on the host's worker pool. A `WireError` is raised as a GraphQL
        error with wire's code."""
        try:
            req = Request(await identify(self._identify, info))
            return await self.policies.call(function, args, req)
        except WireError as e:
            raise graphql_error(e, production=self.production) from e

    async def authorize(self, operation: str, info: Info[Any, Any]) -> None:
        """Check the policy chain of a channel operation for the caller of `info`."""
        req = Request(await identify(self._identify, info))
        if self.policies.needs_guest(operation, req.auth):
            await self.host.run(lambda: self.policies.enforce(operation, req))
        else:
            self.policies.enforce(operation, req)

    def _service(self, operation: str) -> MessagingService:
        service = self.messaging
        if service is None or self._streams.ended:
            raise MessagingError(
                "messaging is not running for this typegraph: start it with the app "
                "(`async with fields.running()`, `lifespan=fields.lifespan` or "
                "`wire.strawberry.asgi(app, fields)`), or set `fields.messaging`",
                where=f"{self.name}.{operation}",
            )
        return service

    # -- lifecycle ----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Fields]:
        """Start the host's runtimes (building a guest from source when needed) and, when
        the typegraph has channels and no `messaging` was set, a messaging service on
        `broker` (its handlers and responders run); at the end, end the subscriptions,
        drain and stop that service, and close the host. Once: a closed host stays closed."""
        own: MessagingService | None = None
        try:
            await asyncio.to_thread(self._start)
            if self.messaging is None and self.host.typegraph.channels:
                own = MessagingService(self.host, make_broker(self.broker))
                try:
                    await own.start()
                except BaseException:
                    with contextlib.suppress(Exception):
                        await own.stop()
                    raise
                self.messaging = own
            yield self
        finally:
            await self._streams.end()
            if own is not None:
                self.messaging = None
                await own.stop()
            await asyncio.to_thread(self.host.close)

    def lifespan(self, _app: Any) -> contextlib.AbstractAsyncContextManager[Any]:
        """`running()` as a Starlette or FastAPI `lifespan`."""
        return self.running()

    def _start(self) -> None:
        failed = {n: e for n, e in self.host.start().items() if e is not None}
        if failed:
            reasons = "; ".join(f"runtime {n}: {e}" for n, e in failed.items())
            raise WireError(f"typegraph {self.name!r} cannot start: {reasons}", where=self.name)


def _named(fn: Any, name: str, signature: inspect.Signature) -> None:
    """Give a generated resolver its field's name and the signature strawberry reads."""
    fn.__name__ = fn.__qualname__ = name
    fn.__signature__ = signature


def load(path: str | Path, *, max_workers: int | None = None, **options: Any) -> Fields:
    """Load a typegraph file for a strawberry app: `Fields` (see it for the `options`).
    `max_workers`: the host's guest worker threads (default as for `wire serve`)."""
    host = Host.load(path, max_workers=max_workers)
    try:
        return Fields(host, **options)
    except BaseException:
        host.close()
        raise
