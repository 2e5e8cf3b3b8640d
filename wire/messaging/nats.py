"""NATS (nats-py): core NATS for plain channels, JetStream for durable ones.

A durable channel is a JetStream stream (file storage) named after it, without limits:
nothing unread is aged out or trimmed. A group on it is a durable push consumer with
explicit acks, delivering to `_wire.deliver.<stream>.<group>` for the queue group of the
same name (every process of the group subscribes there; the server spreads the messages
and holds at most `MAX_ACK_PENDING` unacked), so its backlog survives restarts and
`nak(delay)` redelivers with JetStream's own delivery count; a durable queue channel's
group is created when it is first sent to, so nothing sent before a consumer starts is
dropped; a pub-sub group sees what is sent from its first subscription on. Messages every
group has acked are purged by the consumers when every group is caught up (checked every
`CHECK_EVERY_S`; a purge under a backlog stops nats-server 2.9's push consumers, and one
found stopped is woken: see `_trim`). (Not interest
retention: nats-server 2.9 acks, then drops, a message that reaches an interest stream
while a graceful shutdown has stopped its consumers: 11 of 2000 were lost that way in a
drill.) Deliveries being worked on are kept with `in_progress` within `ack_wait`. (Not pull
consumers: nats-py's fetch costs a request per batch and a future per message, a third of
a handler's cost; a push consumer's messages come like core ones.) Without a group, and on
plain channels, subscriptions are core NATS (queue groups for competing consumers); core
messages are not kept, so a nack there is retried in this process.

Connections come back: nats-py reconnects a broken one; one the server closes for good
(a protocol error, an authorization change) is replaced by a new connection, and every
subscription resumes on it. A message over the server's `max_payload` (data and headers)
is refused at send (`payload_too_large`) instead of costing the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as NatsCoreSub
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError

from .broker import Broker, Capabilities, Delivery, Subscription, log
from .errors import MessagingError
from .message import JSON, ChannelSpec, Message
from .trim import AckedTrim
from .urls import BrokerUrl

REPLY_HEADER = "wire-reply-to"  # JetStream publishes carry no reply subject
CONTENT_TYPE = "Content-Type"
REOPEN_WAIT_S = 0.5  # between attempts to replace a connection the server closed
CHECK_EVERY_S = 2.0  # how often a reader checks its streams' consumers (see _trim)
# Per group, in all its processes: what the server hands out unacked. Enough to keep the
# handlers busy; each one in flight when a broker dies comes again (a duplicate).
MAX_ACK_PENDING = 256
DELIVER_PREFIX = "_wire.deliver."  # push consumers deliver to `<prefix><stream>.<group>`


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)


def _message(msg: Msg) -> Message:
    headers = dict(msg.headers or {})
    content_type = headers.pop(CONTENT_TYPE, JSON)
    reply_to = msg.reply if msg.reply and not msg.reply.startswith("$JS.") else None
    reply_to = headers.pop(REPLY_HEADER, None) or reply_to
    return Message(msg.subject, msg.data, content_type, headers, reply_to)


def _headers(channel: ChannelSpec, message: Message) -> dict[str, str] | None:
    """The message's NATS headers; None for JSON without metadata (a plain PUB: what a
    message without a Content-Type header means already)."""
    reply = channel.durable and message.reply_to
    if not message.metadata and message.content_type == JSON and not reply:
        return None
    headers = {**message.metadata, CONTENT_TYPE: message.content_type}
    if reply:
        headers[REPLY_HEADER] = message.reply_to or ""
    for k, v in headers.items():
        if not k or any(c in k for c in ":\r\n ") or "\r" in v or "\n" in v:
            raise MessagingError(
                f"metadata {k!r} cannot travel as a NATS header: keys are tokens without "
                "':' or spaces, values one line",
                where="nats",
            )
    return headers


def _done_up_to(c: Any) -> int:
    """The stream sequence up to which consumer `c` needs nothing more: all it was given,
    when nothing is outstanding; else its ack floor."""
    delivered, acked = c.delivered, c.ack_floor
    if delivered is None or acked is None:
        return 0
    if acked.consumer_seq == delivered.consumer_seq and not c.num_ack_pending:
        return int(delivered.stream_seq or 0)
    return int(acked.stream_seq or 0)


class _CoreDelivery(Delivery):
    def __init__(self, sub: Subscription, message: Message, attempt: int = 1) -> None:
        super().__init__(message, attempt)
        self.sub = sub

    async def _ack(self) -> None:
        pass

    async def _nack(self, delay: float) -> None:
        self.sub.requeue_later(_CoreDelivery(self.sub, self.message, self.attempt + 1), delay)


def num_delivered(msg: Msg) -> int:
    """How many times JetStream has delivered `msg` (1 the first time): nats-py's
    `msg.metadata.num_delivered`, read from the ack subject without building the rest of the
    metadata (two dataclasses and a datetime: ~10 % of the loop's time a message under a
    JetStream flood, py-spy). Ack subjects (NATS ADR-15): `$JS.ACK.<stream>.<consumer>.
    <delivered>.<stream seq>.<consumer seq>.<time>.<pending>`, or, from servers that name
    a domain, `$JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>...` (11 tokens or
    more); anything else is left to nats-py (which says what is wrong with it)."""
    tokens = (msg.reply or "").split(".")
    n = len(tokens)
    if tokens[0] == "$JS" and n > 4 and tokens[1] == "ACK":
        if n == 9 and tokens[4].isdigit():
            return int(tokens[4])
        if n >= 11 and tokens[6].isdigit():
            return int(tokens[6])
    return int(msg.metadata.num_delivered)


class _JetStreamDelivery(Delivery):
    def __init__(self, msg: Msg) -> None:
        super().__init__(_message(msg), num_delivered(msg))
        self.msg = msg

    async def touch(self) -> None:
        await self.msg.in_progress()

    async def _ack(self) -> None:
        await self.msg.ack()

    async def _nack(self, delay: float) -> None:
        await self.msg.nak(delay=delay or None)


class NatsSubscription(Subscription):
    """A core NATS subscription: on the channel's subject (a queue group for a group), or,
    for a durable group, on its push consumer's deliver subject (`jetstream`)."""

    def __init__(
        self,
        broker: NatsBroker,
        channel: ChannelSpec,
        group: str | None,
        prefetch: int,
        *,
        subject: str | None = None,
        jetstream: bool = False,
    ) -> None:
        super().__init__(channel, group, prefetch)
        self.broker = broker
        self.subject = subject or channel.name
        self.jetstream = jetstream
        self.core: NatsCoreSub | None = None  # re-made on a new connection
        self.on_close: list[Callable[[], None]] = []

    async def on_message(self, msg: Msg) -> None:
        if self.jetstream:
            if self.closed:  # closing: give back at once what was still coming
                with contextlib.suppress(Exception):
                    await msg.nak()
                return
            if not msg.reply.startswith("$JS.ACK."):
                return  # a status or heartbeat, not a message
            await self.put(_JetStreamDelivery(msg))
            return
        if (msg.headers or {}).get("Status") == "503":
            return  # the server's "no responders" notice on a reply subject
        await self.put(_CoreDelivery(self, _message(msg)))

    async def _close(self) -> None:
        for done in self.on_close:
            done()
        self.broker.core_subs.discard(self)
        if self.core is not None:
            with contextlib.suppress(Exception):
                # What nats-py holds for it goes through on_message, which gives it back.
                if self.jetstream:
                    await self.core.drain()  # type: ignore[no-untyped-call]
                else:
                    await self.core.unsubscribe()


class NatsBroker(Broker):
    scheme = "nats"
    capabilities = Capabilities(
        durable="JetStream stream per channel (interest retention), durable pull consumer "
        "per group",
        fanout="yes",
        queue="yes (queue groups; JetStream consumers)",
        request_reply="native reply subjects",
        redelivery="JetStream nak(delay), its delivery count; core: in-process",
        reconnect="nats-py reconnects; a connection the server closed is replaced",
    )

    def __init__(self, url: str) -> None:
        super().__init__(url)
        parsed = BrokerUrl(url, ["ack_wait"])
        self.server = parsed.server
        # How long JetStream waits for an ack before it redelivers (a host killed mid-handling).
        self.ack_wait = parsed.seconds("ack_wait", 30.0)
        self.lease_s = self.ack_wait
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._generation = 0  # bumped when a closed connection is replaced
        self._closing = False
        self._reopening: asyncio.Task[None] | None = None
        self._streams: set[str] = set()
        self._consumers: set[tuple[str, str]] = set()
        self.core_subs: set[NatsSubscription] = set()
        self.reopened = 0  # connections replaced after the server closed one
        self.stalls_woken = 0  # push consumers found stopped and subscribed to anew
        # Every CHECK_EVERY_S: wake stalled consumers, purge what every group has acked.
        self._trimmer = AckedTrim("nats", self._trim, lambda: CHECK_EVERY_S)
        self._purged: dict[str, int] = {}  # stream -> the sequence it was purged up to
        self._delivered: dict[tuple[str, str], int] = {}  # (stream, consumer) -> last seen

    @property
    def nc(self) -> Client:
        if self._nc is None:
            raise MessagingError("not connected: call connect() first", where=self.name)
        return self._nc

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise MessagingError("not connected: call connect() first", where=self.name)
        return self._js

    async def connect(self) -> None:
        self._closing = False
        try:
            self._nc = await self._open()
        except Exception as e:
            raise MessagingError(
                f"cannot connect to NATS at {self.server}: {e}", where=self.name
            ) from e
        self._js = self._nc.jetstream()

    async def _open(self) -> Client:
        async def disconnected() -> None:
            if not self._closing:
                log.warning("nats: disconnected from %s; reconnecting", self.server)

        async def reconnected() -> None:
            self.reconnects += 1
            log.info("nats: reconnected to %s", self.server)

        async def error(e: Exception) -> None:
            log.debug("nats: %s", e)

        nc: Client | None = None

        async def closed() -> None:
            if self._closing or nc is not self._nc:
                return  # our own close, or a connection already replaced
            log.warning(
                "nats: the connection to %s was closed (%s); opening a new one",
                self.server,
                nc.last_error if nc is not None else "?",
            )
            if self._reopening is None or self._reopening.done():
                self._reopening = asyncio.create_task(self._reopen())

        nc = await nats.connect(
            self.server,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.25,
            connect_timeout=5,
            disconnected_cb=disconnected,
            reconnected_cb=reconnected,
            error_cb=error,
            closed_cb=closed,
        )
        return nc

    async def _reopen(self) -> None:
        """Replace a connection the server closed; resume the core subscriptions on it
        (pull consumers see the new generation and resume by themselves)."""
        while not self._closing:
            try:
                nc = await self._open()
            except Exception as e:
                log.warning("nats: reconnecting to %s: %s", self.server, e)
                await asyncio.sleep(REOPEN_WAIT_S)
                continue
            if self._closing:
                await nc.close()
                return
            self._nc, self._js = nc, nc.jetstream()
            self._generation += 1
            self.reopened += 1
            self.reconnects += 1
            for sub in list(self.core_subs):
                await self._subscribe_core(sub)
            log.info("nats: a new connection to %s serves every subscription", self.server)
            return

    async def connected(self) -> bool:
        return self._nc is not None and bool(self._nc.is_connected)

    async def close(self) -> None:
        self._closing = True
        await self._trimmer.close()
        if self._reopening is not None:
            self._reopening.cancel()
            await asyncio.gather(self._reopening, return_exceptions=True)
        nc, self._nc = self._nc, None
        if nc is not None:
            with contextlib.suppress(Exception):
                await nc.drain()

    # -- sizes ------------------------------------------------------------------

    def max_message_bytes(self) -> int | None:
        nc = self._nc
        return int(nc.max_payload) if nc is not None and nc.max_payload else None

    def message_bytes(self, message: Message) -> int:
        # The server counts the header block (`NATS/1.0\r\n`, `k: v\r\n` each, `\r\n`).
        if not message.metadata:
            return len(message.data) + 64  # at most the Content-Type and reply headers
        headers = {**message.metadata, CONTENT_TYPE: message.content_type}
        if message.reply_to:
            headers[REPLY_HEADER] = message.reply_to
        block = 12 + sum(len(k.encode()) + len(v.encode()) + 4 for k, v in headers.items())
        return len(message.data) + block

    # -- JetStream ----------------------------------------------------------------

    async def _stream(self, channel: ChannelSpec) -> str:
        name = "WIRE_" + _safe(channel.name)
        if name not in self._streams:
            config = StreamConfig(name=name, subjects=[channel.name], storage=StorageType.FILE)
            try:
                await self.js.add_stream(config)
            except BadRequestError as e:  # exists with other settings: use it as it is
                log.debug("stream %s: %s", name, e)
                await self._warn_if_lossy(name)
            self._streams.add(name)
        return name

    async def _warn_if_lossy(self, name: str) -> None:
        try:
            info = await self.js.stream_info(name)
        except Exception as e:
            log.debug("stream %s: %s", name, e)
            return
        cfg = info.config
        lossy = cfg.max_age or (cfg.max_msgs or -1) > 0 or (cfg.max_bytes or -1) > 0
        if lossy or (cfg.retention is not None and cfg.retention.value != "limits"):
            log.warning(
                "nats: stream %s exists with settings that can delete messages unread "
                "(retention %s, max_age %s s, max_msgs %s, max_bytes %s); delete it to let "
                "wire make it without them",
                name,
                cfg.retention,
                cfg.max_age,
                cfg.max_msgs,
                cfg.max_bytes,
            )

    async def _consumer(
        self, channel: ChannelSpec, group: str, deliver: DeliverPolicy = DeliverPolicy.ALL
    ) -> tuple[str, str]:
        """The push consumer of `group` on `channel`'s stream, made if missing: its deliver
        subject and deliver group."""
        stream = await self._stream(channel)
        durable = _safe(group)
        config = ConsumerConfig(
            durable_name=durable,
            deliver_subject=f"{DELIVER_PREFIX}{stream}.{durable}",
            deliver_group=durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_deliver=-1,  # wire counts attempts and dead-letters itself
            deliver_policy=deliver,
            max_ack_pending=MAX_ACK_PENDING,
        )
        try:
            await self.js.add_consumer(stream, config)
        except BadRequestError as e:  # it exists: made by another process, or long ago
            info = await self.js.consumer_info(stream, durable)
            made = info.config
            if not made.deliver_subject:
                raise MessagingError(
                    f"consumer {durable!r} of stream {stream} is a pull consumer (made by an "
                    "older wire): delete it (`nats consumer rm`) to let wire make it again",
                    where=self.name,
                ) from e
            return made.deliver_subject, made.deliver_group or durable
        assert config.deliver_subject is not None
        return config.deliver_subject, durable

    async def keep(self, channel: ChannelSpec, group: str) -> None:
        if not channel.durable:
            return
        key = (channel.name, group)
        if key not in self._consumers:
            await self._consumer(channel, group)
            self._consumers.add(key)

    async def _send(self, channel: ChannelSpec, message: Message) -> None:
        headers = _headers(channel, message)
        if channel.durable:
            await self._stream(channel)
            if channel.kind == "queue":  # keep what is sent before a consumer starts
                await self.keep(channel, channel.queue_group)
            await self.js.publish(channel.name, message.data, timeout=5, headers=headers)
        else:
            await self.nc.publish(
                channel.name, message.data, reply=message.reply_to or "", headers=headers
            )

    # -- subscriptions ------------------------------------------------------------

    async def subscribe(
        self, channel: ChannelSpec, group: str | None = None, *, prefetch: int = 16
    ) -> Subscription:
        if channel.durable and group is not None:
            # A queue channel's group exists from the first send (`keep`); a pub-sub group
            # made here sees what is sent from now on.
            deliver = DeliverPolicy.ALL if channel.kind == "queue" else DeliverPolicy.NEW
            subject, queue = await self._consumer(channel, group, deliver)
            sub = NatsSubscription(self, channel, queue, prefetch, subject=subject, jetstream=True)
            sub.on_close.append(self._trimmer.add(await self._stream(channel)))
        else:
            sub = NatsSubscription(self, channel, group, prefetch)
        await self._subscribe_core(sub)
        self.core_subs.add(sub)
        return sub

    async def _subscribe_core(self, sub: NatsSubscription) -> None:
        group = sub.group
        sub.core = await self.nc.subscribe(
            sub.subject, queue=_safe(group) if group else "", cb=sub.on_message
        )
        await self.nc.flush()  # the server knows the subscription before we return

    async def _trim(self, stream: str) -> None:
        """Each round (every `CHECK_EVERY_S`): wake the consumers of `stream` that stopped
        delivering, then purge what every group has acked, when every group is caught up.

        nats-server 2.9 stops a push consumer when its stream is purged while it has
        messages to deliver (seen here: 260 of 10000 delivered, the rest pending with none
        unacked, until a new message came). So the purge waits for a moment when nothing is
        pending, and a consumer found with messages pending, none unacked and no delivery
        since the last round is woken by subscribing to it anew."""
        consumers = await self.js.consumers_info(stream)
        if not consumers:
            return
        for c in consumers:
            await self._wake_if_stalled(stream, c)
        if any(c.num_pending or c.num_ack_pending for c in consumers):
            return
        floor = min(_done_up_to(c) for c in consumers)
        if floor > self._purged.get(stream, 0):
            await self.js.purge_stream(stream, seq=floor + 1)
            self._purged[stream] = floor

    async def _wake_if_stalled(self, stream: str, c: Any) -> None:
        key = (stream, c.name)
        delivered = c.delivered.consumer_seq if c.delivered is not None else 0
        before, self._delivered[key] = self._delivered.get(key), delivered
        if not c.num_pending or c.num_ack_pending or before != delivered:
            return
        subject = c.config.deliver_subject
        mine = [s for s in self.core_subs if s.jetstream and s.subject == subject]
        if not mine:
            return  # another process reads it: its own rounds wake it
        log.warning(
            "nats: consumer %s of stream %s stopped delivering with %d message(s) pending "
            "and none unacked (nats-server after a purge); subscribing anew",
            c.name,
            stream,
            c.num_pending,
        )
        self.stalls_woken += 1
        for sub in mine:
            old = sub.core
            if old is not None:
                with contextlib.suppress(Exception):
                    await old.drain()  # type: ignore[no-untyped-call]
            await self._subscribe_core(sub)
