"""RabbitMQ (aio-pika): one topic exchange, `wire`; a channel is a routing key.

A group is a queue `wire.<channel>@<group>` bound to the channel's key (durable channels:
a quorum queue, which survives restarts and counts deliveries in `x-delivery-count`); a
subscription without a group is a private auto-deleted queue. A queue channel's queue is
declared when it is first sent to, so nothing sent before a consumer starts is dropped.
Connections are robust: aio-pika reconnects and re-declares queues and consumers. A
message whose metadata does not fit one AMQP frame (`frame_max`, 128 KiB by default; the
server would close the connection over it) or whose body exceeds RabbitMQ's
`max_message_size` (128 MiB by default) is refused at send (`payload_too_large`).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)

from . import members
from .broker import Broker, Capabilities, Delivery, Subscription
from .errors import MessagingError, PayloadTooLarge
from .message import JSON, ChannelSpec, Message

EXCHANGE = "wire"
MAX_BODY = 128 * 2**20  # RabbitMQ's default max_message_size
PROPERTIES = 256  # the other properties of a message's header frame, at most


class _RabbitDelivery(Delivery):
    """A nack is held here for its delay (the broker still sees it unacked, so a crash
    redelivers it), then handed out again."""

    def __init__(self, sub: Subscription, msg: AbstractIncomingMessage, attempt: int) -> None:
        headers = {k: str(v) for k, v in (msg.headers or {}).items() if not k.startswith("x-")}
        super().__init__(
            Message(
                msg.routing_key or sub.channel.name,
                msg.body,
                msg.content_type or JSON,
                headers,
                msg.reply_to,
            ),
            attempt,
        )
        self.sub, self.msg = sub, msg

    async def _ack(self) -> None:
        await self.msg.ack()

    async def _nack(self, delay: float) -> None:
        self.sub.requeue_later(_RabbitDelivery(self.sub, self.msg, self.attempt + 1), delay)


class RabbitSubscription(Subscription):
    """Consumes on an AMQP channel of its own (`amqp_channel`), its prefetch the channel's."""

    def __init__(
        self,
        channel: ChannelSpec,
        group: str | None,
        prefetch: int,
        amqp_channel: AbstractRobustChannel,
    ) -> None:
        super().__init__(channel, group, prefetch)
        self.amqp_channel = amqp_channel

    async def _close(self) -> None:
        with contextlib.suppress(Exception):
            await self.amqp_channel.close()  # unacked messages go back to the queue


class RabbitBroker(Broker):
    scheme = "amqp"
    capabilities = Capabilities(
        durable="quorum queue per group, persistent messages, publisher confirms",
        fanout="yes (a queue per group or subscriber)",
        queue="yes (one shared queue)",
        request_reply="yes (reply_to, a private reply queue)",
        redelivery="held in-process for the delay; x-delivery-count after a crash",
        reconnect="aio-pika robust connection",
    )

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._conn: AbstractRobustConnection | None = None
        self._channel: AbstractRobustChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._declared: set[str] = set()
        # How the server lists this connection (`rabbitmqctl list_connections`).
        self.connection_name = f"wire {members.default_consumer()} {os.getpid()} {id(self):x}"

    async def connect(self) -> None:
        try:
            self._conn = await aio_pika.connect_robust(
                self.url,
                reconnect_interval=0.5,
                client_properties={"connection_name": self.connection_name},
            )
        except Exception as e:
            raise MessagingError(
                f"cannot connect to RabbitMQ at {self.url}: {e}", where=self.name
            ) from e
        self._conn.reconnect_callbacks.add(self._reconnected)
        self._channel = await self._conn.channel(publisher_confirms=True)
        self._exchange = await self._declare_exchange(self._channel)

    def _reconnected(self, *_: Any) -> None:
        self.reconnects += 1

    @staticmethod
    async def _declare_exchange(channel: Any) -> AbstractExchange:
        return await channel.declare_exchange(  # type: ignore[no-any-return]
            EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True
        )

    def check_size(self, channel: ChannelSpec, message: Message) -> None:
        conn = self._conn
        tune = getattr(getattr(conn, "transport", None), "connection", None)
        frame_max = int(getattr(getattr(tune, "connection_tune", None), "frame_max", 131072))
        header = PROPERTIES + sum(
            len(k.encode()) + len(v.encode()) + 6 for k, v in message.metadata.items()
        )
        if header > frame_max - 8:
            raise PayloadTooLarge(
                f"the metadata of a message on {channel.name!r} ({header} bytes) does not fit "
                f"one AMQP frame ({frame_max} bytes, the server's frame_max): send less "
                "metadata",
                where=self.name,
            )
        if len(message.data) > MAX_BODY:
            raise PayloadTooLarge(
                f"a message of {len(message.data)} bytes on {channel.name!r} exceeds "
                f"RabbitMQ's max_message_size ({MAX_BODY} bytes by default)",
                where=self.name,
            )

    async def keep(self, channel: ChannelSpec, group: str) -> None:
        _, ch, _ = self._ready()
        key = f"{channel.name}@{group}"
        if key not in self._declared:
            await self._queue(ch, channel, group)
            self._declared.add(key)

    async def connected(self) -> bool:
        conn = self._conn
        return conn is not None and not conn.is_closed and not conn.reconnecting

    async def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

    def _ready(self) -> tuple[AbstractRobustConnection, AbstractRobustChannel, AbstractExchange]:
        if self._conn is None or self._channel is None or self._exchange is None:
            raise MessagingError("not connected: call connect() first", where=self.name)
        return self._conn, self._channel, self._exchange

    async def _queue(
        self, channel_obj: Any, channel: ChannelSpec, group: str | None
    ) -> AbstractQueue:
        if group is None:
            queue: AbstractQueue = await channel_obj.declare_queue(exclusive=True, auto_delete=True)
        elif channel.durable:
            queue = await channel_obj.declare_queue(
                f"wire.{channel.name}@{group}", durable=True, arguments={"x-queue-type": "quorum"}
            )
        else:
            queue = await channel_obj.declare_queue(
                f"wire.{channel.name}@{group}", auto_delete=True
            )
        await queue.bind(EXCHANGE, routing_key=channel.name)
        return queue

    async def _send(self, channel: ChannelSpec, message: Message) -> None:
        _, _, exchange = self._ready()
        if channel.kind == "queue" and channel.durable:  # keep what is sent before a consumer
            await self.keep(channel, channel.queue_group)
        mode = (
            aio_pika.DeliveryMode.PERSISTENT
            if channel.durable
            else aio_pika.DeliveryMode.NOT_PERSISTENT
        )
        await exchange.publish(
            aio_pika.Message(
                message.data,
                content_type=message.content_type,
                headers=dict(message.metadata),
                delivery_mode=mode,
                reply_to=message.reply_to,
            ),
            routing_key=channel.name,
            timeout=10,
        )

    async def subscribe(
        self, channel: ChannelSpec, group: str | None = None, *, prefetch: int = 16
    ) -> Subscription:
        conn, _, _ = self._ready()
        ch = await conn.channel()
        sub = RabbitSubscription(channel, group, prefetch, ch)
        await ch.set_qos(prefetch_count=prefetch)
        await self._declare_exchange(ch)
        queue = await self._queue(ch, channel, group)

        async def on_message(msg: AbstractIncomingMessage) -> None:
            count = (msg.headers or {}).get("x-delivery-count")
            # quorum queues count deliveries; classic ones only flag a redelivery
            attempt = count + 1 if isinstance(count, int) else 2 if msg.redelivered else 1
            await sub.put(_RabbitDelivery(sub, msg, attempt))

        await queue.consume(on_message)
        return sub
