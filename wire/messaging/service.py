"""The messaging side of a host: the typegraph's channels on a broker, its handlers and
responders subscribed, and the hostcall ops guests use.

The parts, one module each: `bindings` (what the document binds to what), `settle` (what
happens to a delivery once its function ran, per binding role), `dead_letters` (moving
what cannot be handled aside without holding up its channel), `guest_ops` (the hostcall
ops and the leases of received messages). This module runs them: one subscription per
binding, `concurrency` workers on it, each handling a batch of waiting deliveries per trip
to the host's worker pool, then settling each on the event loop. Deliveries being worked
on are `touch`ed well within the broker's lease, so a long handler or a dead letter that
waits for its channel is never redelivered meanwhile. `stop()` stops taking messages and
waits (bounded) for the ones in flight.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from ..hostcalls import CallerContext
from ..telemetry import metrics, tracing
from ..validation import describe
from .batch import GuestBatches
from .bindings import Binding, Channel, bindings_of, channels_of
from .broker import Broker, Delivery, Subscription
from .connect import make_broker
from .dead_letters import DeadLetters
from .errors import BrokerUnreachable, InvalidPayload, MessagingError, PermissionDenied
from .guest_ops import DELIVERY, OUTBOX, Receivers, register_ops
from .message import ChannelSpec, Message
from .native import configured_bindings, native_runtime
from .outcome import Failed, Handled, Outcome, Rejected, reason_of
from .settle import Counts, SettlePolicy, policy_for
from .stream import Dropped, Received, Stream
from .urls import redacted

if TYPE_CHECKING:
    from ..host import Host

log = logging.getLogger("wire.messaging")

# Deliveries one handler worker takes per trip to the worker pool (when that many wait).
BATCH = 16


def share(ready: int, others: int) -> int:
    """How many of `ready` deliveries a worker takes while `others` workers of its binding
    are free to take some: an even share, at most a batch, so that a binding's
    `concurrency` batches run at once when there is work for them."""
    return min(BATCH, -(-ready // (max(0, others) + 1)))


T = TypeVar("T")


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
        self.channels = channels_of(host.typegraph)
        self.bindings = bindings_of(host.typegraph)
        self.grants = {name: rt.channels for name, rt in host.typegraph.runtimes.items()}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.counts = Counts(host.name)
        self.dead_letters = DeadLetters(self.broker)
        # How long a message taken with `receive` waits for its complete / abandon before
        # it is given back (a guest that never settles must not grow this process).
        self.receivers = Receivers(self, receive_prefetch, receive_lease)
        self._subs: list[Subscription] = []
        self._workers: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self._waiting: set[asyncio.Task[None]] = set()  # workers waiting for a delivery
        self._busy: collections.Counter[Subscription] = collections.Counter()  # batches
        self._working: set[Delivery] = set()  # being handled now (kept leased)
        self._lease_keeper: asyncio.Task[None] | None = None
        self._policies = {
            (b.function, b.channel): policy_for(
                b,
                self.counts,
                self.broker,
                self.dead_letters,
                self.dead_letter_spec(b.channel, b.dead_letter),
            )
            for b in self.bindings
        }
        # Per binding, once: a messaging-world component gets the raw message; a function
        # whose input schema is its channel's message schema gets the message's own JSON
        # (the payload was checked against that schema already).
        # Keyed by (function, channel): cheaper to hash per message than a Binding.
        self._native = {
            (b.function, b.channel): rt
            for b in self.bindings
            if (rt := native_runtime(host, b.function)) is not None
        }
        self.checked_once = {
            (b.function, b.channel)
            for b in self.bindings
            if (fn := host.functions.get(b.function)) is not None
            and fn.input.schema == self.channels[b.channel].validator.schema
        }
        register_ops(host.hostcalls, self)
        # Handlers on pooled wire-SDK guests take a batch of deliveries per guest call.
        self.batches = GuestBatches(self)

    @property
    def handled(self) -> int:
        """Messages a handler or responder finished (acked)."""
        return self.counts.handled

    @property
    def _received(self) -> dict[str, tuple[str, Delivery, float]]:
        return self.receivers.taken

    # -- lifecycle ---------------------------------------------------------------

    async def start(self, *, consume: bool = True) -> None:
        """Connect; with `consume`, subscribe every handler and responder."""
        self.loop = asyncio.get_running_loop()
        await self.broker.connect()
        metrics.track_service(self, self.host.name)  # its broker connection, when scraped
        if self.broker.lease_s is not None:
            self._lease_keeper = asyncio.create_task(self._keep_leases(self.broker.lease_s / 3))
        if consume:
            # First: a first-draft wasi:messaging component's `configure` that fails (or asks
            # for a channel it may not use) fails the start before anything is subscribed.
            configured = await configured_bindings(self)
            for b in self.bindings:
                await self._bind(b)
            for b in configured:
                await self.bind(b)

    async def bind(self, b: Binding) -> None:
        """Subscribe one more binding now (what a first-draft wasi:messaging component asks
        for, at start or while it runs); one already bound is left as it is."""
        key = (b.function, b.channel)
        if key in self._policies:
            return
        self.bindings.append(b)
        dead_letter = self.dead_letter_spec(b.channel, b.dead_letter)
        self._policies[key] = policy_for(
            b, self.counts, self.broker, self.dead_letters, dead_letter
        )
        if (rt := native_runtime(self.host, b.function)) is not None:
            self._native[key] = rt
        await self._bind(b)

    async def _bind(self, b: Binding) -> None:
        ch = self.channels[b.channel]
        group = (
            ch.spec.queue_group
            if ch.spec.kind == "queue"
            else f"{self.host.name}.{b.function}.{b.channel}"
        )
        if b.role == "handler":  # its dead letters are kept from now on, read or not
            target = self.dead_letter_spec(b.channel, b.dead_letter)
            await self.broker.keep(target, target.queue_group)
        sub = await self.broker.subscribe(ch.spec, group, prefetch=b.concurrency * BATCH)
        self._subs.append(sub)
        policy = self._policies[(b.function, b.channel)]
        for _ in range(b.concurrency):
            self._workers.append(asyncio.create_task(self._work(b, sub, policy)))
        log.info(
            "%s %s on %s (group %s, %s, %s)",
            b.role,
            b.function,
            b.channel,
            group,
            policy.name,
            self.broker.name,
        )

    async def _work(self, b: Binding, sub: Subscription, policy: SettlePolicy) -> None:
        # Awaits the queue itself (no task and `asyncio.wait` per message: those cost a
        # lone message three turns of the loop); `stop` cancels it while it waits there.
        me = asyncio.current_task()
        assert me is not None
        busy = self._busy

        def take(have: int) -> list[Delivery]:  # a share: the others that are free get theirs
            n = share(sub.ready() + have, b.concurrency - 1 - busy[sub]) - have
            return sub.take_ready(n) if n > 0 else []

        while not self._stopping.is_set():
            batch = take(0)
            if not batch:
                self._waiting.add(me)
                try:
                    d = await sub.receive()
                except asyncio.CancelledError:
                    if self._stopping.is_set():
                        return  # woken by `stop`: nothing was taken (a queue's get
                    raise  # takes its item only once it runs on)
                finally:
                    self._waiting.discard(me)
                if d is None:
                    continue
                batch = [d, *take(1)]
            busy[sub] += 1
            try:  # Shielded: once taken, messages are seen through even while stopping.
                await asyncio.shield(self._process(b, batch, policy))
            finally:
                busy[sub] -= 1

    async def _keep_leases(self, every: float) -> None:
        """`touch` what is being handled or dead-lettered, so the broker does not give it
        to another consumer while it is still ours."""
        while True:
            await asyncio.sleep(every)
            for d in [*self._working, *self.dead_letters.deliveries()]:
                if not d.settled:
                    try:
                        await d.touch()
                    except Exception as e:  # the broker may redeliver it: a duplicate
                        log.debug("messaging: touch: %s", e)

    async def start_within(self, timeout: float) -> None:
        """`start`, bounded: connecting and subscribing every handler must end within
        `timeout` seconds (some clients, nats-py's, retry an unreachable server for ever),
        else what started is stopped and `BrokerUnreachable` says so."""
        try:
            await asyncio.wait_for(self.start(), timeout)
        except TimeoutError:
            with contextlib.suppress(Exception):
                await self.stop()
            raise BrokerUnreachable(
                f"the broker did not answer within {timeout:g} s: is it running, and is "
                "the URL right? (--broker / WIRE_BROKER; WIRE_BROKER_TIMEOUT_S)",
                where=redacted(self.broker.url),
            ) from None
        except BaseException:
            with contextlib.suppress(Exception):
                await self.stop()
            raise

    async def stop(self) -> None:
        """Stop taking messages, wait (up to `drain_timeout`) for the handlers in flight
        and the dead letters on their way, give back what was prefetched or received and
        not settled, disconnect."""
        self._stopping.set()
        for waiting in self._waiting:
            waiting.cancel()
        if self._workers:
            _, pending = await asyncio.wait(self._workers, timeout=self.drain_timeout)
            for t in pending:
                t.cancel()
            if pending:
                log.warning("stopped with %d handlers still running (timeout)", len(pending))
        await self.dead_letters.close(self.drain_timeout)
        if self._lease_keeper is not None:
            self._lease_keeper.cancel()
            await asyncio.gather(self._lease_keeper, return_exceptions=True)
        await self.receivers.close()
        for sub in self._subs:
            await sub.close()
        await self.broker.close()
        metrics.forget_service(self)

    async def __aenter__(self) -> MessagingService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- delivery ----------------------------------------------------------------

    async def _process(self, b: Binding, batch: list[Delivery], policy: SettlePolicy) -> None:
        """Handle `batch` in one trip to the worker pool (each message in turn, as if one
        by one), then settle each on the loop. One trip per batch instead of per message:
        the hop costs more than a small guest call."""
        self._working.update(batch)
        handle = tracing.handling(self._handle, self.broker.name)  # itself unless tracing
        try:
            outcomes = await self.host.run(lambda: self._handle_batch(b, batch, handle))
            for d, outcome in zip(batch, outcomes, strict=True):
                await policy.settle(d, outcome)
        finally:
            self._working.difference_update(batch)

    def _handle_batch(
        self, b: Binding, batch: list[Delivery], handle: Callable[[Binding, Delivery], Outcome]
    ) -> list[Outcome]:
        """On a worker thread: run `b`'s function on each delivery of `batch` with `handle`
        (`_handle`, traced or not); a first-draft wasi:messaging component's handler takes
        them all at once."""
        native = self._native.get((b.function, b.channel))
        if native is not None and native.batched():
            return native.deliver_batch(self, b, batch)
        outcomes = self.batches.run(b, batch, handle)
        if outcomes is not None:
            return outcomes
        return [handle(b, d) for d in batch]

    def _handle(self, b: Binding, d: Delivery) -> Outcome:
        """On a worker thread: run `b`'s function on `d`'s message."""
        ch = self.channels[b.channel]
        try:
            payload = self.decode(ch, d.message)
        except InvalidPayload as e:
            return Rejected(reason_of(e))
        log.debug("handling %s attempt %d with %s", b.channel, d.attempt, b.function)
        key = (b.function, b.channel)
        try:
            native = self._native.get(key)
            if native is not None:  # a wasi:/wasmcloud:messaging component: the raw message
                native.deliver(self, b.function, d)
                return Handled(None)
            outbox: list[tuple[ChannelSpec, Message]] = []
            extra = {DELIVERY: d, OUTBOX: outbox}
            if key in self.checked_once:
                in_json = d.message.data.decode()
                result = self.host.call_checked(b.function, in_json, extra=extra)
            else:
                result = self.host.call_sync(b.function, payload, extra=extra)
            return Handled(result, outbox)
        except Exception as e:
            return Failed(reason_of(e))

    def decode(self, ch: Channel, message: Message) -> Any:
        """`message`'s payload, checked against `ch`'s type (else `InvalidPayload`)."""
        payload = message.payload()
        bad = ch.validator.check(payload)
        if bad:
            raise InvalidPayload(
                f"the payload does not match the message type of {ch.spec.name!r}: {describe(bad)}",
                where=ch.spec.name,
            )
        return payload

    def channel(self, name: str) -> Channel:
        try:
            return self.channels[name]
        except KeyError:
            known = ", ".join(self.channels) or "none"
            raise MessagingError(
                f"no channel {name!r} in typegraph {self.host.name!r} (channels: {known})",
                where=self.host.name,
            ) from None

    def dead_letter_spec(self, channel: str, override: str | None) -> ChannelSpec:
        """Where `channel`'s dead letters go: its binding's or its own dead-letter channel;
        one the typegraph does not declare is a durable queue (dead letters are kept)."""
        target = override or self.channels[channel].dead_letter
        known = self.channels.get(target)
        return known.spec if known else ChannelSpec(target, True, "queue")

    # -- the typed API (hostcalls, the GraphQL gateway, the CLI) -----------------------

    async def send(
        self, channel: str, payload: Any, metadata: dict[str, str] | None = None
    ) -> None:
        await self.broker.send(*self.outgoing(channel, payload, metadata))

    def outgoing(
        self, channel: str, payload: Any, metadata: dict[str, str] | None = None
    ) -> tuple[ChannelSpec, Message]:
        """The message `send` publishes, checked against `channel`'s type (else
        `InvalidPayload`); thread-safe."""
        ch = self.channel(channel)
        bad = ch.validator.check(payload)
        if bad:
            raise InvalidPayload(
                f"the payload does not match the message type of {channel!r}: {describe(bad)}",
                where=channel,
            )
        return ch.spec, Message.json(channel, payload, metadata)

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

    async def subscribe(self, channel: str) -> AsyncIterator[Received | Dropped]:
        """Every message sent on `channel` from now on, checked against its type (one that
        fails is logged and skipped here: the handlers' dead-letter channel keeps it); a
        `Dropped` notice where a slow reader lost the oldest of its backlog."""
        stream = await self.listen(channel)
        try:
            async for received in stream:
                yield received
        finally:
            await stream.aclose()

    async def listen(self, channel: str) -> Stream:
        """Like `subscribe`, but subscribed once it returns: every message sent after that
        is seen (a GraphQL subscription relies on it). Close it with `aclose()`."""
        ch = self.channel(channel)
        sub = await self.broker.subscribe(ch.spec, None)
        return Stream(channel, sub, lambda m: self.decode(ch, m))

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
        return asyncio.run_coroutine_threadsafe(tracing.carried_coro(coro), loop).result(timeout)

    def check_grant(self, ctx: CallerContext, channel: str) -> Channel:
        """Channel `channel`, when the runtime of the calling guest may use it."""
        return self.check_runtime_grant(ctx.typegraph, ctx.runtime, channel)

    def check_runtime_grant(self, typegraph: str, runtime: str, channel: str) -> Channel:
        """Channel `channel`, when `runtime` may use it (else `PermissionDenied`)."""
        ch = self.channel(channel)
        granted = self.grants.get(runtime, frozenset())
        if channel not in granted:
            raise PermissionDenied(
                f"runtime {runtime!r} is not granted channel {channel!r} (granted: "
                f"{', '.join(sorted(granted)) or 'none'}); "
                "add it to WireRuntime(..., channels=[...])",
                where=f"{typegraph}/{runtime}",
            )
        return ch


__all__ = ["Binding", "MessagingService"]
