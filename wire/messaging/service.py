"""The messaging side of a host: the typegraph's channels on a broker, its handlers and
responders subscribed, and the hostcall ops guests use (send, request, reply, receive,
complete, abandon).

Delivery: a handler's message is acked after the handler succeeds; on failure it is nacked
and delivered again after an exponential backoff, and after `max_attempts` it goes to the
dead-letter channel with the attempt count and the reason in its metadata. A payload that
fails the channel's type goes there too, at once. `stop()` stops taking messages and waits
for the ones in flight.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ..errors import WireError
from ..hostcalls import CallerContext, HostcallRegistry
from ..paths import OPS_DIR
from ..validation import Validator, describe
from .broker import Broker, Delivery, Subscription
from .connect import make_broker
from .message import (
    ATTEMPTS,
    ERROR,
    HANDLER,
    ORIGIN,
    ChannelSpec,
    InvalidPayload,
    Message,
    MessagingError,
    PermissionDenied,
)
from .native import native_runtime
from .stream import Received, Stream

if TYPE_CHECKING:
    from ..host import Host

log = logging.getLogger("wire.messaging")

# Deliveries one handler worker takes per trip to the worker pool (when that many wait).
BATCH = 16
T = TypeVar("T")
DELIVERY = "wire.delivery"  # CallerContext.extra key: the message a guest call is handling


@dataclass(frozen=True)
class Backoff:
    initial: float = 0.1  # seconds before the second attempt
    max: float = 30.0
    multiplier: float = 2.0

    def delay(self, attempt: int) -> float:
        """Wait after failed attempt number `attempt` (1-based)."""
        return float(min(self.max, self.initial * self.multiplier ** max(0, attempt - 1)))

    @classmethod
    def from_document(cls, node: dict[str, Any] | None) -> Backoff:
        node = node or {}
        return cls(
            node.get("initial_ms", 100) / 1000,
            node.get("max_ms", 30_000) / 1000,
            float(node.get("multiplier", 2.0)),
        )


@dataclass(frozen=True)
class Binding:
    """A function bound to a channel: a handler (acks, retries, dead letters) or a
    responder (replies with its result)."""

    channel: str
    function: str
    role: Literal["handler", "responder"] = "handler"
    max_attempts: int = 5
    backoff: Backoff = field(default_factory=Backoff)
    concurrency: int = 1
    dead_letter: str | None = None


@dataclass
class _Channel:
    spec: ChannelSpec
    validator: Validator
    dead_letter: str


def channels_of(document: dict[str, Any]) -> dict[str, _Channel]:
    import typegraph

    out: dict[str, _Channel] = {}
    for name, ch in document.get("channels", {}).items():
        schema = typegraph.json_schema(document, ch["message"])
        out[name] = _Channel(
            ChannelSpec(name, bool(ch.get("durable")), ch.get("kind", "pubsub")),
            Validator(schema),
            ch.get("dead_letter") or f"{name}.dead",
        )
    return out


def bindings_of(document: dict[str, Any]) -> list[Binding]:
    out: list[Binding] = []
    for name, ch in document.get("channels", {}).items():
        options = ch.get("options", {})
        roles: list[tuple[str, Literal["handler", "responder"]]] = [
            *((f, "handler") for f in ch.get("handlers", [])),
            *((f, "responder") for f in ch.get("responders", [])),
        ]
        for fn, role in roles:
            o = options.get(fn, {})
            out.append(
                Binding(
                    name,
                    fn,
                    role,
                    int(o.get("max_attempts", 5)),
                    Backoff.from_document(o.get("backoff")),
                    int(o.get("concurrency", 1)),
                    o.get("dead_letter"),
                )
            )
    return out


class MessagingService:
    """Runs a host's channels on a broker. Create it on the event loop that will run it
    (guests' hostcalls come back to that loop from their worker threads)."""

    def __init__(
        self,
        host: Host,
        broker: Broker | None = None,
        *,
        drain_timeout: float = 30.0,
        receive_prefetch: int = 1,
        receive_lease: float = 300.0,
    ) -> None:
        self.host = host
        self.broker = broker or make_broker()
        self.drain_timeout = drain_timeout
        self.receive_prefetch = receive_prefetch
        # How long a message taken with `receive` waits for its complete / abandon before
        # it is given back (a guest that never settles must not grow this process).
        self.receive_lease = receive_lease
        self.channels = channels_of(host.document)
        self.bindings = bindings_of(host.document)
        self.grants: dict[str, frozenset[str]] = {
            rt: frozenset(entry.get("grants", {}).get("channels", []))
            for rt, entry in host.document["runtimes"].items()
        }
        self.loop: asyncio.AbstractEventLoop | None = None
        self._subs: list[Subscription] = []
        self._workers: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        # id -> (runtime, delivery, lease end), in the order received (so, of lease end)
        self._received: dict[str, tuple[str, Delivery, float]] = {}
        self._receivers: dict[tuple[str, str], Subscription] = {}
        self._receivers_lock = asyncio.Lock()
        self.handled = 0  # messages a handler or responder finished (acked)
        # Per binding, once: a messaging-world component gets the raw message; a function
        # whose input schema is its channel's message schema gets the message's own JSON
        # (the payload was checked against that schema already).
        # Keyed by (function, channel): cheaper to hash per message than a Binding.
        self._native = {
            (b.function, b.channel): rt
            for b in self.bindings
            if (rt := native_runtime(host, b.function)) is not None
        }
        self._checked_once = {
            (b.function, b.channel)
            for b in self.bindings
            if (fn := host.functions.get(b.function)) is not None
            and fn.input.schema == self.channels[b.channel].validator.schema
        }
        register_ops(host.hostcalls, self)

    # -- lifecycle ---------------------------------------------------------------

    async def start(self, *, consume: bool = True) -> None:
        """Connect; with `consume`, subscribe every handler and responder."""
        self.loop = asyncio.get_running_loop()
        await self.broker.connect()
        if consume:
            for b in self.bindings:
                await self._bind(b)

    async def _bind(self, b: Binding) -> None:
        ch = self.channels[b.channel]
        group = (
            ch.spec.queue_group
            if ch.spec.kind == "queue"
            else f"{self.host.name}.{b.function}.{b.channel}"
        )
        sub = await self.broker.subscribe(ch.spec, group, prefetch=b.concurrency * BATCH)
        self._subs.append(sub)
        for _ in range(b.concurrency):
            self._workers.append(asyncio.create_task(self._work(b, sub)))
        log.info(
            "%s %s on %s (group %s, %s)", b.role, b.function, b.channel, group, self.broker.name
        )

    async def _work(self, b: Binding, sub: Subscription) -> None:
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            while not self._stopping.is_set():
                get = asyncio.ensure_future(sub.receive())
                await asyncio.wait({get, stop}, return_when=asyncio.FIRST_COMPLETED)
                if not get.done():
                    get.cancel()
                    break
                d = get.result()
                if d is None:
                    continue
                batch = [d, *sub.take_ready(BATCH - 1)]
                # Shielded: once taken, messages are seen through even while stopping.
                await asyncio.shield(self._process(b, batch))
        finally:
            stop.cancel()

    async def stop(self) -> None:
        """Stop taking messages, wait (up to `drain_timeout`) for the handlers in flight,
        give back what was prefetched or received and not settled, disconnect."""
        self._stopping.set()
        if self._workers:
            _, pending = await asyncio.wait(self._workers, timeout=self.drain_timeout)
            for t in pending:
                t.cancel()
            if pending:
                log.warning("stopped with %d handlers still running (timeout)", len(pending))
        for _, d, _ in list(self._received.values()):
            await self._safe(d.nack())
        self._received.clear()
        for sub in [*self._subs, *self._receivers.values()]:
            await sub.close()
        await self.broker.close()

    async def __aenter__(self) -> MessagingService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- delivery ----------------------------------------------------------------

    async def _process(self, b: Binding, batch: list[Delivery]) -> None:
        """Handle `batch` in one trip to the worker pool (each message in turn, as if one
        by one), then settle each on the loop: ack after success, else retry or
        dead-letter. One trip per batch instead of per message: the hop costs more than a
        small guest call."""
        outcomes = await self.host.run(lambda: [self._handle(b, d) for d in batch])
        for d, outcome in zip(batch, outcomes, strict=True):
            await self._settle(b, d, outcome)

    def _handle(self, b: Binding, d: Delivery) -> tuple[str, Any]:
        """On a worker thread: ("ok", result), ("invalid", reason) or ("failed", reason)."""
        ch = self.channels[b.channel]
        try:
            payload = self._decode(ch, d.message)
        except InvalidPayload as e:
            return ("invalid", str(e))
        extra = {DELIVERY: d}
        log.debug("handling %s attempt %d with %s", b.channel, d.attempt, b.function)
        try:
            key = (b.function, b.channel)
            native = self._native.get(key)
            if native is not None:  # a wasi:/wasmcloud:messaging component: the raw message
                native.deliver(self, b.function, d)
                return ("ok", None)
            if key in self._checked_once:
                in_json = d.message.data.decode()
                return ("ok", self.host.call_checked(b.function, in_json, extra=extra))
            return ("ok", self.host.call_sync(b.function, payload, extra=extra))
        except Exception as e:
            reason = (
                f"{type(e).__name__}: {e}" if not isinstance(e, WireError) else f"[{e.code}] {e}"
            )
            return ("failed", reason)

    async def _settle(self, b: Binding, d: Delivery, outcome: tuple[str, Any]) -> None:
        kind, value = outcome
        if kind == "invalid":
            await self._dead_letter(b, d, value)
            return
        if kind == "failed":
            if b.role == "responder":
                await self._safe(self._reply(d.message, None, {ERROR: value}))
                await self._safe(d.ack())
            elif d.settled:
                pass  # the guest settled it itself (complete / abandon)
            elif d.attempt >= b.max_attempts:
                await self._dead_letter(b, d, value)
            else:
                log.info(
                    "%s failed on %s (attempt %d/%d): %s",
                    b.function,
                    b.channel,
                    d.attempt,
                    b.max_attempts,
                    value,
                )
                await self._safe(d.nack(b.backoff.delay(d.attempt)))
            return
        if b.role == "responder":
            await self._safe(self._reply(d.message, value, {}))
        await self._safe(d.ack())
        self.handled += 1

    async def _reply(self, request: Message, payload: Any, metadata: dict[str, str]) -> None:
        if request.reply_to:
            await self.broker.reply(request, Message.json(request.reply_to, payload, metadata))
        else:
            log.warning(
                "a message on %s for a responder was not a request (no reply topic)", request.topic
            )

    async def _dead_letter(self, b: Binding, d: Delivery, reason: str) -> None:
        """Publish to the dead-letter channel (as is: it may not match any type), then ack."""
        target = b.dead_letter or self.channels[b.channel].dead_letter
        known = self.channels.get(target)
        spec = (
            known.spec
            if known
            else ChannelSpec(target, self.channels[b.channel].spec.durable, "queue")
        )
        meta = {
            **d.message.metadata,
            ERROR: reason,
            ATTEMPTS: str(d.attempt),
            ORIGIN: b.channel,
            HANDLER: b.function,
        }
        log.warning("dead-lettering a message of %s to %s: %s", b.channel, target, reason)
        m = d.message
        try:
            await self.broker.send(spec, Message(target, m.data, m.content_type, meta))
        except Exception as e:  # never ack what could not be kept: the broker redelivers
            log.error("dead-lettering to %s failed (%s); the message stays unacked", target, e)
            await self._safe(d.nack(1.0))
            return
        await self._safe(d.ack())

    async def _safe(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except Exception as e:  # a lost ack means a redelivery, never a lost message
            log.warning("messaging: %s: %s", type(e).__name__, e)

    def _decode(self, ch: _Channel, message: Message) -> Any:
        payload = message.payload()
        bad = ch.validator.check(payload)
        if bad:
            raise InvalidPayload(
                f"the payload does not match the message type of {ch.spec.name!r}: {describe(bad)}",
                where=ch.spec.name,
            )
        return payload

    def channel(self, name: str) -> _Channel:
        try:
            return self.channels[name]
        except KeyError:
            known = ", ".join(self.channels) or "none"
            raise MessagingError(
                f"no channel {name!r} in typegraph {self.host.name!r} (channels: {known})",
                where=self.host.name,
            ) from None

    # -- the typed API (hostcalls, the GraphQL gateway, the CLI) -----------------------

    async def send(
        self, channel: str, payload: Any, metadata: dict[str, str] | None = None
    ) -> None:
        ch = self.channel(channel)
        bad = ch.validator.check(payload)
        if bad:
            raise InvalidPayload(
                f"the payload does not match the message type of {channel!r}: {describe(bad)}",
                where=channel,
            )
        await self.broker.send(ch.spec, Message.json(channel, payload, metadata))

    async def request(
        self,
        channel: str,
        payload: Any,
        *,
        timeout: float = 5.0,
        expected: int = 1,
        metadata: dict[str, str] | None = None,
    ) -> list[Message]:
        ch = self.channel(channel)
        bad = ch.validator.check(payload)
        if bad:
            raise InvalidPayload(
                f"the request does not match {channel!r}: {describe(bad)}", where=channel
            )
        message = Message.json(channel, payload, metadata)
        return await self.broker.request(ch.spec, message, timeout=timeout, expected=expected)

    async def subscribe(self, channel: str) -> AsyncIterator[Received]:
        """Every message sent on `channel` from now on, checked against its type (one that
        fails is logged and skipped here: the handlers' dead-letter channel keeps it)."""
        ch = self.channel(channel)
        sub = await self.broker.subscribe(ch.spec, None)
        try:
            async for d in sub:
                await d.ack()
                try:
                    payload = self._decode(ch, d.message)
                except InvalidPayload as e:
                    log.warning("subscription on %s skips a message: %s", channel, e)
                    continue
                yield Received(channel, payload, dict(d.message.metadata))
        finally:
            await sub.close()

    async def listen(self, channel: str) -> Stream:
        """Like `subscribe`, but subscribed once it returns: every message sent after that
        is seen (a GraphQL subscription relies on it). Close it with `aclose()`."""
        ch = self.channel(channel)
        sub = await self.broker.subscribe(ch.spec, None)
        return Stream(channel, sub, lambda m: self._decode(ch, m))

    async def receive(
        self, runtime: str, channel: str, timeout: float
    ) -> tuple[str, Delivery, Any] | None:
        """For the `receive` op: the next valid message of `channel` for `runtime`."""
        ch = self.channel(channel)
        key = (runtime, channel)
        async with self._receivers_lock:
            sub = self._receivers.get(key)
            if sub is None:
                group = (
                    ch.spec.queue_group
                    if ch.spec.kind == "queue"
                    else f"{self.host.name}.{runtime}.receive"
                )
                sub = await self.broker.subscribe(ch.spec, group, prefetch=self.receive_prefetch)
                self._receivers[key] = sub
        loop = asyncio.get_running_loop()
        await self._give_back_expired(loop.time())
        deadline = loop.time() + timeout
        while True:
            d = await sub.receive(max(0.0, deadline - loop.time()) or 0.001)
            if d is None:
                return None
            try:
                payload = self._decode(ch, d.message)
            except InvalidPayload as e:
                await self._dead_letter(Binding(channel, f"{runtime}.receive"), d, str(e))
                continue
            rid = uuid.uuid4().hex
            self._received[rid] = (runtime, d, loop.time() + self.receive_lease)
            return rid, d, payload

    async def _give_back_expired(self, now: float) -> None:
        """Nack the received messages whose lease ended unsettled (redelivered later)."""
        for rid, (runtime, d, ends) in list(self._received.items()):
            if ends > now:
                break
            if self._received.pop(rid, None) is None:
                continue  # settled meanwhile, from a guest's thread
            log.warning(
                "runtime %s left a message of %s unsettled for %g s: given back",
                runtime,
                d.message.topic,
                self.receive_lease,
            )
            await self._safe(d.nack())

    def received(self, ctx: CallerContext, rid: str) -> Delivery:
        """The message `rid` that runtime `ctx.runtime` received and has not settled."""
        owner, d, _ = self._received.get(rid, ("", None, 0.0))
        if d is None or owner != ctx.runtime:
            raise MessagingError(
                f"no received message {rid!r} for runtime {ctx.runtime!r} (already settled, "
                f"or given back after its {self.receive_lease:g} s lease?)",
                where=f"{ctx.typegraph}/{ctx.runtime}",
            )
        return d

    # -- hostcalls -----------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the service's loop from a guest's worker thread."""
        loop = self.loop
        if loop is None or loop.is_closed():
            coro.close()
            raise MessagingError(
                "messaging is not running in this host: start a MessagingService "
                "(`wire consume`, `wire serve`) to use channels",
                where=self.host.name,
            )
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            coro.close()
            raise MessagingError(
                "a messaging hostcall ran on the event loop thread; guests must run on workers",
                where=self.host.name,
            )
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)

    def check_grant(self, ctx: CallerContext, channel: str) -> _Channel:
        ch = self.channel(channel)
        granted = self.grants.get(ctx.runtime, frozenset())
        if channel not in granted:
            raise PermissionDenied(
                f"runtime {ctx.runtime!r} is not granted channel {channel!r} (granted: "
                f"{', '.join(sorted(granted)) or 'none'}); "
                "add it to WireRuntime(..., channels=[...])",
                where=f"{ctx.typegraph}/{ctx.runtime}",
            )
        return ch

    def settle_target(self, ctx: CallerContext, rid: str | None) -> Delivery:
        if rid is None:
            d = ctx.extra.get(DELIVERY)
            if not isinstance(d, Delivery):
                raise MessagingError(
                    "no message is being handled by this call: pass the `id` of a received message",
                    where=f"{ctx.typegraph}/{ctx.runtime}",
                )
            return d
        d = self.received(ctx, rid)
        self._received.pop(rid, None)
        return d


def register_ops(reg: HostcallRegistry, svc: MessagingService) -> None:
    """The messaging ops of wit/ops/, bound to `svc` (replacing earlier ones)."""

    def send(ctx: CallerContext, a: dict[str, Any]) -> None:
        svc.check_grant(ctx, a["channel"])
        svc.run(svc.send(a["channel"], a["payload"], a.get("metadata")))

    def request(ctx: CallerContext, a: dict[str, Any]) -> dict[str, Any]:
        svc.check_grant(ctx, a["channel"])
        timeout = a.get("timeout_ms", 5000) / 1000
        replies = svc.run(
            svc.request(
                a["channel"],
                a["payload"],
                timeout=timeout,
                expected=a.get("expected", 1),
                metadata=a.get("metadata"),
            )
        )
        out = []
        for m in replies:
            meta = dict(m.metadata)
            entry: dict[str, Any] = {"payload": m.payload(), "metadata": meta}
            if ERROR in meta:
                entry["error"] = meta[ERROR]
            out.append(entry)
        return {"replies": out}

    def reply(ctx: CallerContext, a: dict[str, Any]) -> None:
        rid = a.get("id")
        d = svc.received(ctx, rid) if rid is not None else svc.settle_target(ctx, None)
        message = Message.json("", a["payload"], a.get("metadata"))
        svc.run(svc.broker.reply(d.message, message))

    def receive(ctx: CallerContext, a: dict[str, Any]) -> dict[str, Any]:
        svc.check_grant(ctx, a["channel"])
        got = svc.run(svc.receive(ctx.runtime, a["channel"], a.get("timeout_ms", 0) / 1000))
        if got is None:
            return {"message": None}
        rid, d, payload = got
        return {
            "message": {
                "id": rid,
                "channel": a["channel"],
                "payload": payload,
                "metadata": dict(d.message.metadata),
                "attempt": d.attempt,
            }
        }

    def complete(ctx: CallerContext, a: dict[str, Any]) -> None:
        d = svc.settle_target(ctx, a.get("id"))
        svc.run(d.ack())

    def abandon(ctx: CallerContext, a: dict[str, Any]) -> None:
        d = svc.settle_target(ctx, a.get("id"))
        svc.run(d.nack(a.get("delay_ms", 0) / 1000))

    for name, fn in (
        ("send", send),
        ("request", request),
        ("reply", reply),
        ("receive", receive),
        ("complete", complete),
        ("abandon", abandon),
    ):
        reg.register_spec(OPS_DIR / f"{name}.json", fn, replace=True)
