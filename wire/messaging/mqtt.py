"""MQTT 5 (aiomqtt), QoS 1: a channel `a.b` is the topic `a/b`.

A group is a shared subscription (`$share/<group>/<topic>`) held by a persistent session
whose client id is `wire-<group>-<consumer>.<n>`: the machine's consumer name (`?consumer=`,
default the host name) and a member number this process holds (see members.py), so a
restarted process resumes its own session, and what it holds, instead of leaving it behind.
Messages are acked (PUBACK) only after the handler succeeds (paho's manual acks), so a
session that reconnects gets the unacked ones again. A group's session (and what it holds)
outlives its process by `?session_expiry=` seconds (default a week): without a limit, every
consumer name that ever consumed would leave a session on the broker for good.
`keep(channel, group)` (a dead-letter channel) makes the group's first session subscribe
and leaves it, so the broker keeps the group's messages before any consumer runs.

A broker drops QoS 1 messages it cannot queue for a session (Mosquitto:
`max_queued_messages`, 1000 by default, counted per session): wire cannot see which, so it
watches the broker's own count (`$SYS/broker/publish/messages/dropped`) and logs an error
when it grows. Set the limit for the load you expect (examples/mosquitto.conf).
Content type, metadata (user properties) and reply topic (response topic) are MQTT 5
properties. A nack is retried in this process (MQTT has no negative ack).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from asyncio import FIRST_COMPLETED
from typing import Any

import aiomqtt
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from . import members
from .broker import Broker, Capabilities, Delivery, Subscription, log
from .errors import MessagingError
from .message import JSON, ChannelSpec, Message
from .urls import BrokerUrl

SESSION_EXPIRY = 7 * 86400  # seconds a group's session outlives its process


def _topic(channel: str) -> str:
    return channel.replace(".", "/")


def _channel(topic: str) -> str:
    return topic.replace("/", ".")


NO_MATCHING_SUBSCRIBERS = 16  # MQTT 5 PUBACK reason code
PUBACK_TIMEOUT = 10.0
MAX_PACKET = 268_435_455  # MQTT's largest packet
DROPPED = "$SYS/broker/publish/messages/dropped"  # Mosquitto's count of messages it dropped
ADOPT_EVERY_S = 5.0  # how often a member looks for members of its group that are gone
DRAIN_QUIET_S = 1.0  # a taken-over session is drained once it sent nothing this long
DRAIN_LIMIT_S = 300.0  # ...and all it sent is acked, within this


class NoSubscribers(Exception):
    """A durable channel's message found no session to keep it (retried, then reported)."""


class _Publisher:
    """The broker's publishing client, and the PUBACKs its publishes wait for: each one's
    reason code resolves the future `publish` waits on (aiomqtt's own `publish` drops it,
    and "no matching subscribers" means the message is gone)."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self._waiting: dict[int, asyncio.Future[int]] = {}
        aiomqtt_callback: Any = client._client.on_publish

        def on_publish(c: Any, userdata: Any, mid: int, reason: Any, props: Any) -> None:
            fut = self._waiting.pop(mid, None)
            if fut is not None and not fut.done():
                fut.set_result(int(getattr(reason, "value", reason)))
            aiomqtt_callback(c, userdata, mid, reason, props)

        client._client.on_publish = on_publish

    async def publish(self, topic: str, data: bytes, props: Properties) -> int:
        """Publish at QoS 1; the PUBACK's reason code once the broker has it."""
        info = self.client._client.publish(topic, data, qos=1, properties=props)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise aiomqtt.MqttCodeError(info.rc, "could not publish")
        # Registered before any await: the PUBACK is read on this loop, so it cannot come first.
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting[info.mid] = fut
        lost: asyncio.Future[Any] = self.client._disconnected
        try:
            await asyncio.wait([fut, lost], timeout=PUBACK_TIMEOUT, return_when=FIRST_COMPLETED)
        finally:
            self._waiting.pop(info.mid, None)
        if not fut.done():
            raise aiomqtt.MqttError("no PUBACK: the connection was lost or the broker is too slow")
        return fut.result()


class _Session:
    """One connection of a member session: the deliveries it brought are acked on it while
    it lives (after a reconnect the session resends them instead)."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.live = True
        self.outstanding = 0  # messages it brought that are not acked yet


class _MqttDelivery(Delivery):
    def __init__(
        self, sub: MqttSubscription, msg: aiomqtt.Message, session: _Session, attempt: int
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
        self.sub, self.msg, self.session = sub, msg, session
        if attempt == 1:
            session.outstanding += 1

    async def _ack(self) -> None:
        s = self.session
        s.outstanding -= 1
        if self.msg.qos and s.live:  # else the session resends it
            # aiomqtt has no manual-ack API: paho's, underneath, sends the PUBACK.
            s.client._client.ack(self.msg.mid, self.msg.qos)

    async def _nack(self, delay: float) -> None:
        again = _MqttDelivery(self.sub, self.msg, self.session, self.attempt + 1)
        self.sub.requeue_later(again, delay)


class MqttSubscription(Subscription):
    """A grouped one holds its `member` of the group (its session's name) until it closes."""

    def __init__(
        self,
        channel: ChannelSpec,
        group: str | None,
        prefetch: int,
        member: members.Member | None = None,
    ) -> None:
        super().__init__(channel, group, prefetch)
        self.member = member

    def release(self) -> None:
        if self.member is not None:
            self.member.release()

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
        parsed = BrokerUrl(url, ["consumer", "session_expiry"])
        parts = parsed.parts
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 1883
        self.username, self.password = parts.username, parts.password
        self.consumer = parsed.text("consumer", members.default_consumer())
        # seconds; MQTT 5 carries it in four bytes
        self.session_expiry = parsed.integer("session_expiry", SESSION_EXPIRY, high=0xFFFFFFFF)
        self._publisher: _Publisher | None = None
        self._lock = asyncio.Lock()
        self._watch: asyncio.Task[None] | None = None
        self._kept: dict[str, str] = {}  # channel -> the group `keep` made a session for
        self.dropped: int | None = None  # the broker's count of dropped messages, last seen

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
        self._watch = asyncio.create_task(self._watch_drops())

    async def _watch_drops(self) -> None:
        """Log an error each time the broker reports that it dropped messages (a session
        queue was full): durable channels are at-least-once only within its limits."""
        while True:
            try:
                async with self._client(f"wire-sys-{uuid.uuid4().hex[:12]}", persistent=False) as c:
                    c._client.manual_ack_set(False)
                    await c.subscribe(DROPPED, qos=0)
                    async for msg in c.messages:
                        self._saw_dropped(int(float(bytes(msg.payload or b"0").decode())))
            except asyncio.CancelledError:
                raise
            except Exception as e:  # the broker restarts: watch it again
                log.debug("mqtt: watching %s: %s", DROPPED, e)
                await asyncio.sleep(1.0)

    def _saw_dropped(self, count: int) -> None:
        if self.dropped is not None and count > self.dropped:
            log.error(
                "mqtt: the broker at %s:%d dropped %d message(s) it could not queue for a "
                "session (Mosquitto's max_queued_messages / max_queued_bytes): raise its "
                "limit, or add consumers",
                self.host,
                self.port,
                count - self.dropped,
            )
        self.dropped = count

    async def _connect_publisher(self) -> _Publisher:
        async with self._lock:
            if self._publisher is None:
                client = self._client(f"wire-pub-{uuid.uuid4().hex[:12]}", persistent=False)
                publisher = _Publisher(client)
                await client.__aenter__()
                self._publisher = publisher
            return self._publisher

    async def connected(self) -> bool:
        try:
            publisher = await asyncio.wait_for(self._connect_publisher(), 2)
        except Exception:
            return False
        return bool(publisher.client._client.is_connected())

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
            self._watch = None
        if self._publisher is not None:
            with contextlib.suppress(Exception):
                await self._publisher.client.__aexit__(None, None, None)
            self._publisher = None

    def max_message_bytes(self) -> int:
        return MAX_PACKET

    def _group_topic(self, channel: ChannelSpec, group: str) -> str:
        return f"$share/{group.replace('.', '_')}/{_topic(channel.name)}"

    async def keep(self, channel: ChannelSpec, group: str) -> None:
        """Subscribe the group's first member session (unless a live process holds it:
        then its group is consumed) and leave it: the broker keeps the group's messages."""
        if not channel.durable or self._kept.get(channel.name) == group:
            return
        member = members.take(self.url_key, f"{channel.name}|{group}", self.consumer)
        try:
            if member.n != 1:
                return  # member 1 is live here: the group has a consumer
            ident = f"wire-{group}-{member.name}"
            async with self._client(ident, persistent=True) as client:
                await client.subscribe(self._group_topic(channel, group), qos=1)
        finally:
            member.release()
        self._kept[channel.name] = group

    @property
    def url_key(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    async def _send(self, channel: ChannelSpec, message: Message) -> None:
        publisher = await self._connect_publisher()
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        props.ContentType = message.content_type
        if message.metadata:
            props.UserProperty = list(message.metadata.items())
        if message.reply_to:
            props.ResponseTopic = _topic(message.reply_to)
        try:
            reason = await publisher.publish(_topic(channel.name), message.data, props)
        except aiomqtt.MqttError:
            async with self._lock:  # reconnect on the next try
                if self._publisher is publisher:
                    self._publisher = None
                    with contextlib.suppress(Exception):
                        await publisher.client.__aexit__(None, None, None)
            raise
        if reason == NO_MATCHING_SUBSCRIBERS:
            if channel.durable and (channel.kind == "queue" or channel.grouped):
                # The broker dropped it. Mosquitto (2.0.x) does not restore shared
                # subscriptions after a restart: until the group's members resubscribe, a
                # durable channel's groups have no session to keep its messages. Retried
                # (Broker.send) until they are back, then a clear error: never a silent loss.
                kept = self._kept.pop(channel.name, None)
                if kept is not None:  # a group kept here: subscribe its session again
                    await self.keep(channel, kept)
                raise NoSubscribers(
                    f"the broker has no session subscribed to durable channel "
                    f"{channel.name!r} (MQTT keeps a message only for sessions subscribed to "
                    "its topic: start its consumers first)"
                )
            # Pub-sub: a message reaches those subscribed when it is sent, no one here.
            log.debug("mqtt: no subscriber for %r: message dropped (pub-sub)", channel.name)

    async def subscribe(
        self, channel: ChannelSpec, group: str | None = None, *, prefetch: int = 16
    ) -> Subscription:
        if group is None:
            sub = MqttSubscription(channel, None, prefetch)
            ident, topic, persistent = (
                f"wire-sub-{uuid.uuid4().hex[:12]}",
                _topic(channel.name),
                False,
            )
        else:
            # This machine's lowest free member of the group: stable across restarts.
            member = members.take(self.url_key, f"{channel.name}|{group}", self.consumer)
            sub = MqttSubscription(channel, group, prefetch, member)
            ident = f"wire-{group}-{member.name}"
            topic, persistent = self._group_topic(channel, group), channel.durable
            if persistent:
                sub.spawn(self._adopt_orphans(sub, f"{channel.name}|{group}", group, topic))
        subscribed = asyncio.get_running_loop().create_future()
        sub.spawn(self._run(sub, ident, topic, persistent, subscribed))
        try:
            await subscribed
        except BaseException:
            sub.release()
            raise
        return sub

    async def _run(
        self,
        sub: MqttSubscription,
        ident: str,
        topic: str,
        persistent: bool,
        subscribed: asyncio.Future[None],
    ) -> None:
        lost = False
        while not sub.closed:  # see NatsBroker._pull: a swallowed cancel must not loop on
            client = self._client(ident, persistent=persistent)
            session = _Session(client)
            try:
                async with client:
                    await client.subscribe(topic, qos=1)
                    if lost:
                        lost, self.reconnects = False, self.reconnects + 1
                    if not subscribed.done():
                        subscribed.set_result(None)
                    async for msg in client.messages:
                        await sub.put(_MqttDelivery(sub, msg, session, 1))
            except asyncio.CancelledError:
                raise
            except Exception as e:  # MqttError, or OSError while the broker is down
                if not subscribed.done():
                    subscribed.set_exception(
                        MessagingError(f"cannot subscribe to {topic!r}: {e}", where=self.name)
                    )
                    return
                log.warning("mqtt: %s lost its connection (%s); reconnecting", ident, e)
                lost = True
                await asyncio.sleep(0.5)
            finally:
                session.live = False

    async def _adopt_orphans(self, sub: MqttSubscription, key: str, group: str, topic: str) -> None:
        """Take over the sessions of this machine's members of `group` that are gone (their
        process died and did not come back): the broker gives a shared subscription's
        messages to offline sessions too, so without this they would wait there for good."""
        while not sub.closed:
            await asyncio.sleep(ADOPT_EVERY_S)
            for member in members.orphans(self.url_key, key, self.consumer):
                try:
                    if await self._drain(sub, f"wire-{group}-{member.name}", topic):
                        member.forget()
                except asyncio.CancelledError:
                    raise
                except Exception as e:  # tried again next round
                    log.warning("mqtt: taking over %s: %s", member.name, e)
                finally:
                    member.release()

    async def _drain(self, sub: MqttSubscription, ident: str, topic: str) -> bool:
        """Resume session `ident`, unsubscribe it (no new messages go to it), hand what it
        holds to `sub`, and end it once all of that is acked. False if that took too long
        (the session is kept, and taken over again later)."""
        loop = asyncio.get_running_loop()
        client = self._client(ident, persistent=True)
        session = _Session(client)
        taken = 0
        async with client:
            await client.unsubscribe(topic)
            messages = aiter(client.messages)
            quiet_since, give_up = loop.time(), loop.time() + DRAIN_LIMIT_S
            while loop.time() < give_up:
                try:
                    async with asyncio.timeout(0.25):
                        msg = await anext(messages)
                except TimeoutError:
                    if session.outstanding == 0 and loop.time() - quiet_since >= DRAIN_QUIET_S:
                        break
                    continue
                await sub.put(_MqttDelivery(sub, msg, session, 1))
                taken += 1
                quiet_since = loop.time()
            else:
                session.live = False
                return False
            # End the session: the broker forgets it (and it stops holding a share).
            end = Properties(PacketTypes.DISCONNECT)  # type: ignore[no-untyped-call]
            end.SessionExpiryInterval = 0
            client._client.disconnect(properties=end)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(client._disconnected), 5)
            session.live = False
        log.warning(
            "mqtt: took over %s, a member that is gone: %d message(s) it held were handled here",
            ident,
            taken,
        )
        return True
