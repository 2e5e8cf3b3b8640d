"""MQTT 5 (aiomqtt), QoS 1: a channel `a.b` is the topic `a/b`.

A group is a shared subscription (`$share/<group>/<topic>`) held by a persistent session
whose client id is `wire-<group>-<consumer>`; messages are acked (PUBACK) only after the
handler succeeds (paho's manual acks), so a session that reconnects gets the unacked ones
again. Give each process a stable `?consumer=` name to find its session after a crash.
A group's session (and what it holds) outlives its process by `?session_expiry=` seconds
(default a week, like NATS streams' max age): without a limit, every process that ever
consumed would leave a session on the broker for good.
Content type, metadata (user properties) and reply topic (response topic) are MQTT 5
properties. A nack is retried in this process (MQTT has no negative ack).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import uuid
from asyncio import FIRST_COMPLETED
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiomqtt
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .broker import Broker, Capabilities, Delivery, Subscription, log
from .message import JSON, ChannelSpec, Message, MessagingError

SESSION_EXPIRY = 7 * 86400  # seconds a group's session outlives its process


def _topic(channel: str) -> str:
    return channel.replace(".", "/")


def _channel(topic: str) -> str:
    return topic.replace("/", ".")


NO_MATCHING_SUBSCRIBERS = 16  # MQTT 5 PUBACK reason code
PUBACK_TIMEOUT = 10.0


class NoSubscribers(Exception):
    """A durable channel's message found no session to keep it (retried, then reported)."""


def _track_pubacks(client: aiomqtt.Client) -> None:
    """Resolve the futures `_publish` waits on with each PUBACK's reason code (aiomqtt's
    own `publish` drops it, and "no matching subscribers" means the message is gone)."""
    waiting: dict[int, asyncio.Future[int]] = {}
    client._wire_pubacks = waiting  # type: ignore[attr-defined]
    aiomqtt_callback: Any = client._client.on_publish

    def on_publish(c: Any, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        fut = waiting.pop(mid, None)
        if fut is not None and not fut.done():
            fut.set_result(int(getattr(reason, "value", reason)))
        aiomqtt_callback(c, userdata, mid, reason, props)

    client._client.on_publish = on_publish


async def _publish(client: aiomqtt.Client, topic: str, data: bytes, props: Properties) -> int:
    """Publish at QoS 1; the PUBACK's reason code once the broker has it."""
    info = client._client.publish(topic, data, qos=1, properties=props)
    if info.rc != mqtt.MQTT_ERR_SUCCESS:
        raise aiomqtt.MqttCodeError(info.rc, "could not publish")
    # Registered before any await: the PUBACK is read on this loop, so it cannot come first.
    fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    waiting: dict[int, asyncio.Future[int]] = client._wire_pubacks  # type: ignore[attr-defined]
    waiting[info.mid] = fut
    lost: asyncio.Future[Any] = client._disconnected
    try:
        await asyncio.wait([fut, lost], timeout=PUBACK_TIMEOUT, return_when=FIRST_COMPLETED)
    finally:
        waiting.pop(info.mid, None)
    if not fut.done():
        raise aiomqtt.MqttError("no PUBACK: the connection was lost or the broker is too slow")
    return fut.result()


class _MqttDelivery(Delivery):
    def __init__(
        self, sub: MqttSubscription, msg: aiomqtt.Message, client: aiomqtt.Client, attempt: int
    ) -> None:
        props = msg.properties
        metadata = dict(getattr(props, "UserProperty", None) or [])
        content_type = getattr(props, "ContentType", None) or JSON
        reply = getattr(props, "ResponseTopic", None)
        payload = msg.payload if isinstance(msg.payload, bytes) else str(msg.payload or "").encode()
        super().__init__(
            Message(
                _channel(msg.topic.value),
                payload,
                content_type,
                metadata,
                _channel(reply) if reply else None,
            ),
            attempt,
        )
        self.sub, self.msg, self.client = sub, msg, client

    async def _ack(self) -> None:
        if self.msg.qos and self.sub.client is self.client:  # else the session resends it
            # aiomqtt has no manual-ack API: paho's, underneath, sends the PUBACK.
            self.client._client.ack(self.msg.mid, self.msg.qos)

    async def _nack(self, delay: float) -> None:
        again = _MqttDelivery(self.sub, self.msg, self.client, self.attempt + 1)
        self.sub.requeue_later(again, delay)


class MqttSubscription(Subscription):
    client: aiomqtt.Client | None = None
    release: Callable[[], None] = staticmethod(lambda: None)

    async def _close(self) -> None:
        self.release()


class MqttBroker(Broker):
    scheme = "mqtt"
    capabilities = Capabilities(
        durable="persistent sessions, QoS 1 (kept once a group's session has subscribed)",
        fanout="yes",
        queue="yes (shared subscriptions)",
        request_reply="emulated: response topic + a private reply subscription",
        redelivery="unacked messages held in-process; the session resends after a crash",
        reconnect="reconnect loop; sessions resume",
    )

    def __init__(self, url: str) -> None:
        super().__init__(url)
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 1883
        self.username, self.password = parts.username, parts.password
        self.consumer = query.get("consumer") or f"{socket.gethostname()}-{os.getpid()}"
        expiry = query.get("session_expiry", str(SESSION_EXPIRY))
        if not expiry.isdigit() or not 0 < int(expiry) <= 0xFFFFFFFF:
            raise MessagingError(
                f"session_expiry must be a number of seconds (1 to {0xFFFFFFFF}), got {expiry!r}",
                where=self.name,
            )
        self.session_expiry = int(expiry)
        self._publisher: aiomqtt.Client | None = None
        self._lock = asyncio.Lock()
        self._members: dict[tuple[str, str], set[int]] = {}

    def _client(self, identifier: str, *, persistent: bool) -> aiomqtt.Client:
        connect = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        if persistent:
            connect.SessionExpiryInterval = self.session_expiry
        client = aiomqtt.Client(
            self.host,
            self.port,
            username=self.username,
            password=self.password,
            identifier=re.sub(r"[^A-Za-z0-9_.-]", "_", identifier),
            protocol=aiomqtt.ProtocolVersion.V5,
            clean_start=not persistent,
            properties=connect,
            timeout=10,
            max_queued_incoming_messages=0,
        )
        client._client.manual_ack_set(True)  # PUBACK only once handled (see _MqttDelivery)
        return client

    async def connect(self) -> None:
        try:
            await self._connect_publisher()
        except Exception as e:
            raise MessagingError(
                f"cannot connect to MQTT at {self.host}:{self.port}: {e}", where=self.name
            ) from e

    async def _connect_publisher(self) -> aiomqtt.Client:
        async with self._lock:
            if self._publisher is None:
                client = self._client(f"wire-pub-{uuid.uuid4().hex[:12]}", persistent=False)
                _track_pubacks(client)
                await client.__aenter__()
                self._publisher = client
            return self._publisher

    async def connected(self) -> bool:
        try:
            client = await asyncio.wait_for(self._connect_publisher(), 2)
        except Exception:
            return False
        return bool(client._client.is_connected())

    async def close(self) -> None:
        if self._publisher is not None:
            with contextlib.suppress(Exception):
                await self._publisher.__aexit__(None, None, None)
            self._publisher = None

    async def _send(self, channel: ChannelSpec, message: Message) -> None:
        client = await self._connect_publisher()
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        props.ContentType = message.content_type
        if message.metadata:
            props.UserProperty = list(message.metadata.items())
        if message.reply_to:
            props.ResponseTopic = _topic(message.reply_to)
        try:
            reason = await _publish(client, _topic(channel.name), message.data, props)
        except aiomqtt.MqttError:
            async with self._lock:  # reconnect on the next try
                if self._publisher is client:
                    self._publisher = None
                    with contextlib.suppress(Exception):
                        await client.__aexit__(None, None, None)
            raise
        if reason == NO_MATCHING_SUBSCRIBERS:
            if channel.durable and channel.kind == "queue":
                # The broker dropped it. Mosquitto (2.0.x) does not restore shared
                # subscriptions after a restart: until the group's members resubscribe, a
                # durable queue has no one to keep its messages. Retried (Broker.send)
                # until they are back, then a clear error: never a silent loss.
                raise NoSubscribers(
                    f"the broker has no session subscribed to durable queue channel "
                    f"{channel.name!r} (MQTT keeps a message only for sessions subscribed to "
                    "its topic: start its consumers first)"
                )
            # Pub-sub: a message reaches those subscribed when it is sent, no one here.
            log.debug("mqtt: no subscriber for %r: message dropped (pub-sub)", channel.name)

    async def subscribe(
        self, channel: ChannelSpec, group: str | None = None, *, prefetch: int = 16
    ) -> Subscription:
        sub = MqttSubscription(channel, group, prefetch)
        if group is None:
            ident, topic, persistent = (
                f"wire-sub-{uuid.uuid4().hex[:12]}",
                _topic(channel.name),
                False,
            )
        else:
            # This process's n-th live member of the group: stable across restarts.
            taken = self._members.setdefault((channel.name, group), set())
            n = min(set(range(1, len(taken) + 2)) - taken)
            taken.add(n)
            sub.release = lambda: taken.discard(n)
            ident = f"wire-{group}-{self.consumer}.{n}"
            topic, persistent = (
                f"$share/{group.replace('.', '_')}/{_topic(channel.name)}",
                channel.durable,
            )
        subscribed = asyncio.get_running_loop().create_future()
        sub.spawn(self._run(sub, ident, topic, persistent, subscribed))
        await subscribed
        return sub

    async def _run(
        self,
        sub: MqttSubscription,
        ident: str,
        topic: str,
        persistent: bool,
        subscribed: asyncio.Future[None],
    ) -> None:
        while not sub.closed:  # see NatsBroker._pull: a swallowed cancel must not loop on
            client = self._client(ident, persistent=persistent)
            try:
                async with client:
                    sub.client = client
                    await client.subscribe(topic, qos=1)
                    if not subscribed.done():
                        subscribed.set_result(None)
                    async for msg in client.messages:
                        await sub.put(_MqttDelivery(sub, msg, client, 1))
            except asyncio.CancelledError:
                raise
            except Exception as e:  # MqttError, or OSError while the broker is down
                if not subscribed.done():
                    subscribed.set_exception(
                        MessagingError(f"cannot subscribe to {topic!r}: {e}", where=self.name)
                    )
                    return
                log.warning("mqtt: %s lost its connection (%s); reconnecting", ident, e)
                sub.client = None
                await asyncio.sleep(0.5)
