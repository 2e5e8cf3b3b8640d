"""`TestApp`: a typegraph under test, in this process, on an embedded broker of its own.

It runs what `wire serve` runs (the host and its guests, the GraphQL gateway, the channels
and their handlers), and records what happens: each delivery settled by a handler or a
responder, what was sent on the broker, the replies, the dead letters and the guests' log.
A test publishes, awaits the outcome, and reads the records; it may replace a hostcall op
(a fake `http`, a recording `send`) and run GraphQL in process.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..graphql import ANONYMOUS, AuthContext, Gateway
from ..graphql.gateway import Responses
from ..host import Host
from ..hostcalls import CallerContext
from ..messaging import Delivery, Message, MessagingService
from ..messaging.bindings import Binding
from ..messaging.memory import MemoryBroker
from ..messaging.message import ATTEMPTS, ERROR, HANDLER, ORIGIN, ChannelSpec
from ..messaging.outcome import Handled, Outcome
from ..messaging.settle import Action
from ..paths import OPS_DIR

OpFn = Callable[[CallerContext, Any], Any]
_by_test: contextvars.ContextVar[bool] = contextvars.ContextVar("wire_test_publish", default=False)


@dataclass(frozen=True)
class Settled:
    """A delivery a handler (or responder) is done with. `action`: `handled`, `retried`,
    `dead_lettered`, `replied` (a responder's), or `guest` (the guest completed or abandoned
    it itself). `result` is the function's, `error` why it failed (`[code] message`)."""

    channel: str
    handler: str
    payload: Any
    metadata: dict[str, str]
    attempt: int
    action: Action
    result: Any = None
    error: str | None = None
    data: bytes = field(default=b"", repr=False)

    @property
    def ok(self) -> bool:
        """The function succeeded."""
        return self.error is None

    @property
    def final(self) -> bool:
        """No other attempt follows."""
        return self.action != "retried"


@dataclass(frozen=True)
class Sent:
    """A message sent on a channel by the typegraph (its guests, its publish mutations)."""

    channel: str
    payload: Any
    metadata: dict[str, str]


@dataclass(frozen=True)
class Reply:
    """A responder's (or a guest's) reply to a request on `channel`; `error` when it failed."""

    channel: str
    payload: Any
    error: str | None
    metadata: dict[str, str]


@dataclass(frozen=True)
class DeadLetter:
    """A message moved to `dead_letter` after `handler` gave up on it in `channel`."""

    dead_letter: str
    channel: str
    handler: str
    payload: Any
    error: str
    attempts: int
    metadata: dict[str, str]


@dataclass(frozen=True)
class Logged:
    """A line a guest of `runtime` logged (`ctx.log`, its stdout or stderr)."""

    runtime: str
    level: str
    message: str


def _decoded(message: Message) -> Any:
    try:
        return message.payload()
    except Exception:
        return message.data


class _RecordingBroker(MemoryBroker):
    """The embedded broker, recording what is sent, replied and dead-lettered."""

    def __init__(self, app: TestApp) -> None:
        super().__init__("memory://")
        self.app = app

    async def _send(self, channel: ChannelSpec, message: Message) -> None:
        meta = dict(message.metadata)
        if ORIGIN in meta and HANDLER in meta:
            self.app.dead_letters.append(
                DeadLetter(
                    channel.name,
                    meta[ORIGIN],
                    meta[HANDLER],
                    _decoded(message),
                    meta.get(ERROR, ""),
                    int(meta.get(ATTEMPTS, "0")),
                    meta,
                )
            )
        elif not channel.name.startswith("_wire.") and not _by_test.get():
            self.app.sent.append(Sent(channel.name, _decoded(message), meta))
        await super()._send(channel, message)
        self.app._changed()

    async def reply(self, request: Message, reply: Message) -> None:
        await super().reply(request, reply)
        meta = dict(reply.metadata)
        payload = _decoded(reply)
        self.app.replies.append(Reply(request.topic, payload, meta.get(ERROR), meta))
        self.app._changed()


class _GuestLog(logging.Handler):
    def __init__(self, app: TestApp, prefix: str) -> None:
        super().__init__(logging.DEBUG)
        self.app = app
        self.prefix = prefix

    def emit(self, record: logging.LogRecord) -> None:
        runtime = record.name[len(self.prefix) :]
        self.app.logs.append(Logged(runtime, record.levelname.lower(), record.getMessage()))


class Published:
    """A message the test published: `await outcome()` waits for what its handler did."""

    def __init__(self, app: TestApp, channel: str, data: bytes) -> None:
        self.app = app
        self.channel = channel
        self.data = data

    async def outcome(self, handler: str | None = None, *, timeout: float = 10.0) -> Settled:
        """The final outcome (after any retries) of this message in `handler` (default:
        the channel's one handler or responder)."""
        handler = self.app._handler_of(self.channel, handler)
        return await self.app._next(
            lambda s: (
                s.final
                and s.channel == self.channel
                and s.handler == handler
                and s.data == self.data
            ),
            f"{handler} to settle the message published on {self.channel}",
            timeout,
        )


class TestApp:
    """A typegraph under test: `async with TestApp("typegraph.py") as app:` (or the
    `wire_app` fixture of the pytest plugin).

    `typegraph`: a typegraph file (its guests are built when needed, cached) or a `Host`
    (the app closes it). `ops`: hostcall ops to replace from the start (as `replace_op`)."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def __init__(
        self,
        typegraph: str | Path | Host,
        *,
        name: str | None = None,
        max_workers: int | None = None,
        ops: Mapping[str, OpFn] | None = None,
    ) -> None:
        self._source = typegraph
        self._name = name
        self._max_workers = max_workers
        self._pending_ops = dict(ops or {})
        self._host: Host | None = None
        self._gateway: Gateway | None = None
        self._messaging: MessagingService | None = None
        self.broker = _RecordingBroker(self)
        self.settled: list[Settled] = []
        self.sent: list[Sent] = []
        self.replies: list[Reply] = []
        self.dead_letters: list[DeadLetter] = []
        self.logs: list[Logged] = []
        self._claimed: set[int] = set()  # indexes of `settled` an awaited outcome returned
        self._change = asyncio.Event()
        self._responses: list[Responses] = []
        self._log: tuple[logging.Logger, _GuestLog, int] | None = None

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> TestApp:
        """Load the typegraph (building its guests when needed), start its runtimes and its
        channels. Its runtimes that cannot start fail it."""
        source = self._source
        if isinstance(source, Host):
            host = source
        else:
            host = await asyncio.to_thread(
                Host.load, source, name=self._name, max_workers=self._max_workers
            )
        self._host = host
        failed = {n: e for n, e in (await asyncio.to_thread(host.start)).items() if e}
        if failed:
            await self.close()
            raise next(iter(failed.values()))
        self._gateway = Gateway(host)
        prefix = f"wire.guest.{host.name}."
        logger = logging.getLogger(prefix[:-1])
        handler = _GuestLog(self, prefix)
        self._log = (logger, handler, logger.level)
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        self._messaging = MessagingService(host, self.broker, drain_timeout=5.0)
        self._messaging.counts.listeners.append(self._on_settled)
        self._gateway.messaging = self._messaging
        for op, fn in self._pending_ops.items():
            self.replace_op(op, fn)
        await self._messaging.start()
        return self

    async def close(self) -> None:
        """End the subscriptions, drain the handlers, close the host."""
        for responses in self._responses:
            await responses.aclose()
        if self._messaging is not None:
            await self._messaging.stop()
        if self._host is not None:
            await asyncio.to_thread(self._host.close)
        if self._log is not None:
            logger, handler, level = self._log
            logger.removeHandler(handler)
            logger.setLevel(level)
            self._log = None

    async def __aenter__(self) -> TestApp:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def host(self) -> Host:
        if self._host is None:
            raise RuntimeError("the TestApp is not started: `async with TestApp(...)`")
        return self._host

    @property
    def gateway(self) -> Gateway:
        """The typegraph's GraphQL gateway (its schema, `execute`, `subscribe`)."""
        if self._gateway is None:
            raise RuntimeError("the TestApp is not started: `async with TestApp(...)`")
        return self._gateway

    @property
    def messaging(self) -> MessagingService:
        if self._messaging is None:
            raise RuntimeError("the TestApp is not started: `async with TestApp(...)`")
        return self._messaging

    # -- calls -------------------------------------------------------------------------

    async def call(self, function: str, args: Any = None) -> Any:
        """Call `function` as the operator (`wire call --trusted`: any function, schemas
        checked, no policies); its result, or its `WireError`."""
        return await self.host.call(function, {} if args is None else args)

    async def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        auth: AuthContext = ANONYMOUS,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        """Run a query or mutation against the typegraph's schema in process (policies
        apply, as the caller `auth`); the GraphQL response, as `wire serve` would send it."""
        return await self.gateway.execute(query, variables, operation_name, auth)

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None, *, auth: AuthContext = ANONYMOUS
    ) -> Responses:
        """Start a GraphQL subscription: listening once this returns; `await anext(...)`
        for each response. Closed with the app (or `aclose()`). A subscription that cannot
        start raises `AssertionError` with its errors."""
        started = await self.gateway.subscribe(query, variables, None, auth)
        if isinstance(started, list):
            raise AssertionError(f"the subscription did not start: {started}")
        self._responses.append(started)
        return started

    def replace_op(self, name: str, fn: OpFn) -> None:
        """Serve hostcall op `name` with `fn(ctx, args)` from now on (its JSON Schemas stay:
        wire's own for its ops, none for an op wire does not know)."""
        if self._host is None:
            self._pending_ops[name] = fn
            return
        registry = self.host.hostcalls
        current = registry.get(name)
        if current is not None:
            registry.register(
                name,
                fn,
                args_schema=current.args.schema,
                result_schema=current.result.schema,
                description=current.description,
                replace=True,
            )
        elif (OPS_DIR / f"{name}.json").exists():
            registry.register_spec(OPS_DIR / f"{name}.json", fn, replace=True)
        else:
            registry.register(name, fn, args_schema={}, result_schema={}, replace=True)

    # -- messages ------------------------------------------------------------------------

    async def publish(
        self, channel: str, payload: Any, metadata: dict[str, str] | None = None
    ) -> Published:
        """Send `payload` on `channel` (checked against its type: `invalid_payload`), as a
        client would; `await (...).outcome()` waits for its handler."""
        message = Message.json(channel, payload)
        token = _by_test.set(True)
        try:
            await self.messaging.send(channel, payload, metadata)
        finally:
            _by_test.reset(token)
        return Published(self, channel, message.data)

    async def request(self, channel: str, payload: Any, *, timeout: float = 5.0) -> Reply:
        """Send a request on `channel` and wait for its responder's reply."""
        token = _by_test.set(True)
        try:
            (reply,) = await self.messaging.request(channel, payload, timeout=timeout)
        finally:
            _by_test.reset(token)
        meta = dict(reply.metadata)
        return Reply(channel, _decoded(reply), meta.get(ERROR), meta)

    async def outcome(
        self, handler: str, *, channel: str | None = None, timeout: float = 10.0
    ) -> Settled:
        """The next final outcome of `handler` (on `channel`, when it has several) that no
        earlier `outcome` returned: for messages the test did not publish itself (a guest's
        `ctx.send`, a publish mutation)."""
        channel = channel or self._channel_of(handler)
        return await self._next(
            lambda s: s.final and s.handler == handler and s.channel == channel,
            f"{handler} to settle a message of {channel}",
            timeout,
        )

    def sent_on(self, channel: str) -> list[Any]:
        """The payloads the typegraph sent on `channel`, in order."""
        return [s.payload for s in self.sent if s.channel == channel]

    async def wait_sent(self, channel: str, count: int = 1, *, timeout: float = 10.0) -> list[Any]:
        """Wait until the typegraph sent at least `count` messages on `channel`; their
        payloads."""
        await self._wait(
            lambda: len(self.sent_on(channel)) >= count,
            f"{count} message(s) on {channel}",
            timeout,
        )
        return self.sent_on(channel)

    # -- records -------------------------------------------------------------------------

    def _on_settled(self, b: Binding, d: Delivery, outcome: Outcome, action: Action) -> None:
        handled = isinstance(outcome, Handled)
        self.settled.append(
            Settled(
                channel=b.channel,
                handler=b.function,
                payload=_decoded(d.message),
                metadata=dict(d.message.metadata),
                attempt=d.attempt,
                action=action,
                result=outcome.result if isinstance(outcome, Handled) else None,
                error=None if handled else getattr(outcome, "reason", None),
                data=d.message.data,
            )
        )
        self._changed()

    def _changed(self) -> None:
        self._change.set()

    async def _wait(self, ready: Callable[[], bool], what: str, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not ready():
            self._change.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"waited {timeout:g} s for {what}")
            try:
                await asyncio.wait_for(self._change.wait(), remaining)
            except TimeoutError:
                continue

    async def _next(self, match: Callable[[Settled], bool], what: str, timeout: float) -> Settled:
        found: list[Settled] = []

        def ready() -> bool:
            for i, s in enumerate(self.settled):
                if i not in self._claimed and match(s):
                    self._claimed.add(i)
                    found.append(s)
                    return True
            return False

        await self._wait(ready, what, timeout)
        return found[0]

    def _bindings(self, channel: str | None = None, handler: str | None = None) -> list[Binding]:
        return [
            b
            for b in self.messaging.bindings
            if (channel is None or b.channel == channel)
            and (handler is None or b.function == handler)
        ]

    def _handler_of(self, channel: str, handler: str | None) -> str:
        if handler is not None:
            return handler
        bound = self._bindings(channel=channel)
        if len(bound) != 1:
            names = ", ".join(b.function for b in bound) or "none"
            raise ValueError(f"channel {channel!r} has {len(bound)} handlers ({names}): name one")
        return bound[0].function

    def _channel_of(self, handler: str) -> str:
        bound = self._bindings(handler=handler)
        if len(bound) != 1:
            chans = ", ".join(b.channel for b in bound) or "none"
            raise ValueError(
                f"{handler!r} is bound to {len(bound)} channels ({chans}): pass channel="
            )
        return bound[0].channel
