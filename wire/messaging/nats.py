"""NATS (nats-py): core NATS for plain channels, JetStream for durable ones.

A durable channel is a JetStream stream (file storage) named after it; a group on it is a
durable pull consumer with explicit acks, so its backlog survives restarts and `nak(delay)`
redelivers with JetStream's own delivery count. Without a group, and on plain channels,
subscriptions are core NATS (queue groups for competing consumers); core messages are not
kept, so a nack there is retried in this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from .broker import Broker, Capabilities, Delivery, Subscription, log
from .message import JSON, ChannelSpec, Message, MessagingError

REPLY_HEADER = "wire-reply-to"  # JetStream publishes carry no reply subject


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)


def _message(msg: Msg) -> Message:
    headers = dict(msg.headers or {})
    content_type = headers.pop("Content-Type", JSON)
    reply_to = msg.reply if msg.reply and not msg.reply.startswith("$JS.") else None
    reply_to = headers.pop(REPLY_HEADER, None) or reply_to
    return Message(msg.subject, msg.data, content_type, headers, reply_to)


class _CoreDelivery(Delivery):
    def __init__(self, sub: Subscription, message: Message, attempt: int = 1) -> None:
        super().__init__(message, attempt)
        self.sub = sub

    async def _ack(self) -> None:
        pass

    async def _nack(self, delay: float) -> None:
        self.sub.requeue_later(_CoreDelivery(self.sub, self.message, self.attempt + 1), delay)


class _JetStreamDelivery(Delivery):
    def __init__(self, msg: Msg) -> None:
        super().__init__(_message(msg), msg.metadata.num_delivered)
        self.msg = msg

    async def _ack(self) -> None:
        await self.msg.ack()

    async def _nack(self, delay: float) -> None:
        await self.msg.nak(delay=delay or None)


class NatsSubscription(Subscription):
    async def _close(self) -> None:
        sub = getattr(self, "nats_sub", None)
        if sub is not None:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()


class NatsBroker(Broker):
    scheme = "nats"
    capabilities = Capabilities(
        durable="JetStream stream per channel, durable pull consumer per group",
        fanout="yes",
        queue="yes (queue groups; JetStream consumers)",
        request_reply="native reply subjects",
        redelivery="JetStream nak(delay), its delivery count; core: in-process",
        reconnect="nats-py reconnects; pull consumers resume",
    )

    def __init__(self, url: str) -> None:
        super().__init__(url)
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.server = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        # How long JetStream waits for an ack before it redelivers (a host killed mid-handling).
        self.ack_wait = float(query.get("ack_wait", 30))
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._streams: set[str] = set()

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
        async def disconnected() -> None:
            if self._nc is None or self._nc.is_draining:
                return  # our own close
            log.warning("nats: disconnected from %s; reconnecting", self.server)

        async def reconnected() -> None:
            log.info("nats: reconnected to %s", self.server)

        async def error(e: Exception) -> None:
            log.debug("nats: %s", e)

        try:
            self._nc = await nats.connect(
                self.server,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.25,
                connect_timeout=5,
                disconnected_cb=disconnected,
                reconnected_cb=reconnected,
                error_cb=error,
            )
        except Exception as e:
            raise MessagingError(
                f"cannot connect to NATS at {self.server}: {e}", where=self.name
            ) from e
        self._js = self.nc.jetstream()

    async def connected(self) -> bool:
        return self._nc is not None and bool(self._nc.is_connected)

    async def close(self) -> None:
        nc, self._nc = self._nc, None
        if nc is not None:
            with contextlib.suppress(Exception):
                await nc.drain()

    async def _stream(self, channel: ChannelSpec) -> str:
        name = "WIRE_" + _safe(channel.name)
        if name not in self._streams:
            config = StreamConfig(
                name=name, subjects=[channel.name], storage=StorageType.FILE, max_age=7 * 86400
            )
            try:
                await self.js.add_stream(config)
            except BadRequestError as e:  # exists with other limits: use it as it is
                log.debug("stream %s: %s", name, e)
            self._streams.add(name)
        return name

    async def _send(self, channel: ChannelSpec, message: Message) -> None:
        headers = {**message.metadata, "Content-Type": message.content_type}
        if channel.durable:
            await self._stream(channel)
            if message.reply_to:
                headers[REPLY_HEADER] = message.reply_to
            await self.js.publish(channel.name, message.data, timeout=5, headers=headers)
        else:
            await self.nc.publish(
                channel.name, message.data, reply=message.reply_to or "", headers=headers
            )

    async def subscribe(
        self, channel: ChannelSpec, group: str | None = None, *, prefetch: int = 16
    ) -> Subscription:
        sub = NatsSubscription(channel, group, prefetch)
        if channel.durable and group is not None:
            stream = await self._stream(channel)
            config = ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=self.ack_wait,
                max_deliver=-1,  # wire counts attempts and dead-letters itself
                deliver_policy=DeliverPolicy.ALL,
                max_ack_pending=-1,
            )
            psub = await self.js.pull_subscribe(
                channel.name, durable=_safe(group), stream=stream, config=config
            )
            sub.nats_sub = psub  # type: ignore[attr-defined]
            sub.spawn(self._pull(sub, psub, prefetch))
        else:

            async def on_message(msg: Msg) -> None:
                if (msg.headers or {}).get("Status") == "503":
                    return  # the server's "no responders" notice on a reply subject
                await sub.put(_CoreDelivery(sub, _message(msg)))

            sub.nats_sub = await self.nc.subscribe(  # type: ignore[attr-defined]
                channel.name, queue=_safe(group) if group else "", cb=on_message
            )
            await self.nc.flush()  # the server knows the subscription before we return
        return sub

    async def _pull(self, sub: Subscription, psub: Any, batch: int) -> None:
        # `closed`, not only cancellation, ends the loop: a cancel that lands as fetch's
        # own timeout fires is swallowed (asyncio.wait_for in 3.11), and close() would wait
        # for this task forever.
        while not sub.closed:
            try:
                msgs = await psub.fetch(batch=batch, timeout=1)
            except TimeoutError:
                continue
            except asyncio.CancelledError:
                raise
            except Exception as e:  # disconnected: nats-py reconnects, the consumer stays
                log.debug("nats: fetch on %s: %s", sub.channel.name, e)
                await asyncio.sleep(0.2)
                continue
            for i, m in enumerate(msgs):
                try:
                    await sub.put(_JetStreamDelivery(m))
                except asyncio.CancelledError:  # closing: give back what was not handed out
                    for rest in msgs[i:]:
                        with contextlib.suppress(Exception):
                            await rest.nak()
                    raise
