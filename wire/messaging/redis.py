"""Redis Streams (redis.asyncio): a channel is the stream `wire:<channel>`.

A group is a consumer group (XREADGROUP, XACK); entries a consumer took and never acked
stay pending in Redis: a restarted consumer of the same name reads its own pending entries
first (a consumer's name is its machine's consumer name and a member number it holds,
see members.py), as does a reader whose connection was lost, and any consumer claims
entries idle longer than `claim_idle_ms` (XCLAIM) from one that died; entries being worked
on are touched (their idle time reset) so they are not claimed meanwhile. Attempt counts
come from the group's delivery counter (XPENDING). Without a group a subscription reads new
entries (XREAD). An entry is the fields `data`, `content-type`, `metadata` (JSON) and
`reply-to`; `redis-cli XADD wire:<channel> '*' data '<json>'` is a valid message.

A durable stream never loses an unread entry: it is not trimmed by length; entries every
group has acked are trimmed away (XTRIM MINID) by its consumers. `?maxlen=N` bounds it: a
send to a full durable stream is refused (`channel_full`), never trimmed. Plain streams are
trimmed to `maxlen` (default 100 000) oldest first.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import Callable
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ResponseError

from . import members
from .broker import REPLY_PREFIX, Broker, Capabilities, Delivery, Subscription, log
from .errors import ChannelFull, MessagingError
from .message import JSON, ChannelSpec, Message
from .trim import AckedTrim
from .urls import BrokerUrl

PREFIX = "wire:"
REPLY_TTL_S = 300  # how long a reply stream outlives a requester that left without it
BLOCK_MS = 200  # how long a reader blocks: also how long closing a subscription may take
PLAIN_MAXLEN = 100_000  # a plain (not durable) stream keeps its newest entries, this many
TRIM_EVERY_S = 10.0  # how often a consumer trims the entries every group has acked
MAX_BULK = 512 * 2**20  # Redis' largest string (proto-max-bulk-len)

# XADD only while the stream holds fewer than ARGV[1] entries: a bound that refuses.
_BOUNDED_XADD = """
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
return redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
"""


def _key(channel: str) -> str:
    return PREFIX + channel


def _entry_id(raw: bytes | str) -> tuple[int, int]:
    text = raw.decode() if isinstance(raw, bytes) else raw
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def _message(channel: str, fields: dict[bytes, bytes]) -> Message:
    def text(name: bytes) -> str | None:
        value = fields.get(name)
        return value.decode() if value is not None else None

    try:
        metadata = orjson.loads(fields.get(b"metadata", b"{}"))
        metadata = (
            {str(k): str(v) for k, v in metadata.items()} if isinstance(metadata, dict) else {}
        )
    except orjson.JSONDecodeError:
        metadata = {}
    return Message(
        channel,
        fields.get(b"data", b""),
        text(b"content-type") or JSON,
        metadata,
        text(b"reply-to"),
    )


class _RedisDelivery(Delivery):
    def __init__(
        self, sub: RedisSubscription, entry_id: bytes, message: Message, attempt: int
    ) -> None:
        super().__init__(message, attempt)
        self.sub, self.entry_id = sub, entry_id

    async def _ack(self) -> None:
        if self.sub.group is not None:
            await self.sub.redis.xack(_key(self.sub.channel.name), self.sub.group, self.entry_id)

    async def touch(self) -> None:
        sub = self.sub
        if sub.group is not None and sub.consumer is not None:
            await sub.redis.xclaim(
                _key(sub.channel.name), sub.group, sub.consumer, 0, [self.entry_id], justid=True
            )

    async def _nack(self, delay: float) -> None:
        # The entry stays pending in Redis (a crash leaves it for XCLAIM); retry here.
        again = _RedisDelivery(self.sub, self.entry_id, self.message, self.attempt + 1)
        self.sub.requeue_later(again, delay)


class RedisSubscription(Subscription):
    """Read by `reader`, which is not cancelled (redis-py can hang cancelling a blocking
    read): it sees `closed` within one block interval and ends. A grouped one holds its
    `member` of the group until it closes; `on_close` gives back what it held."""

    def __init__(
        self,
        channel: ChannelSpec,
        group: str | None,
        prefetch: int,
        redis: aioredis.Redis,
        member: members.Member | None = None,
    ) -> None:
        super().__init__(channel, group, prefetch)
        self.redis = redis
        self.consumer = member.name if member is not None else None  # its name in its group
        self.reader: asyncio.Task[None] | None = None
        self.on_close: list[Callable[[], None]] = [member.release] if member is not None else []

    async def _close(self) -> None:
        if self.reader is not None:
            await self.reader
        for done in self.on_close:
            done()
        if self.group is None and self.channel.name.startswith(REPLY_PREFIX):
            with contextlib.suppress(Exception):  # it also expires (REPLY_TTL_S)
                await self.redis.delete(_key(self.channel.name))


class _CountingRetry(Retry):
    """redis-py's retry of a command over a lost connection, counting in the broker's
    `reconnects` each command that went through after redis-py opened a new one."""

    def __init__(self, broker: Broker, backoff: Any, retries: int) -> None:
        super().__init__(backoff, retries)
        self.broker = broker

    def __deepcopy__(self, memo: dict[int, Any]) -> _CountingRetry:
        # redis-py copies the retry for each connection: the copies share the broker
        clone = copy.copy(self)
        clone._backoff = copy.deepcopy(self._backoff, memo)
        return clone

    async def call_with_retry(self, do: Any, fail: Any, *args: Any, **kw: Any) -> Any:
        lost = False

        async def failed(*error: Any) -> None:
            nonlocal lost
            lost = True
            await fail(*error)

        result = await super().call_with_retry(do, failed, *args, **kw)
        if lost:
            self.broker.reconnects += 1
        return result


class RedisBroker(Broker):
    scheme = "redis"
    capabilities = Capabilities(
        durable="stream + consumer group (as durable as the server's AOF/RDB settings)",
        fanout="yes (a consumer group per group; XREAD without one)",
        queue="yes (one consumer group)",
        request_reply="yes (reply-to field, a reply stream)",
        redelivery="pending entries: own on restart, XCLAIM from dead consumers",
        reconnect="per command; readers retry",
    )

    def __init__(self, url: str) -> None:
        super().__init__(url)
        parsed = BrokerUrl(url, ["claim_idle_ms", "consumer", "maxlen"])
        self.server = parsed.server
        self.consumer = parsed.text("consumer", members.default_consumer())
        self.claim_idle_ms = parsed.integer("claim_idle_ms", 30_000)
        self.lease_s = self.claim_idle_ms / 1000
        self.maxlen = parsed.integer("maxlen", None)
        self._redis: aioredis.Redis | None = None
        # Every TRIM_EVERY_S: drop the entries every group has acked (none is pending,
        # each group has read past them).
        self._trimmer = AckedTrim("redis", self._trim, lambda: TRIM_EVERY_S)

    @property
    def redis(self) -> aioredis.Redis:
        if self._redis is None:
            raise MessagingError("not connected: call connect() first", where=self.name)
        return self._redis

    async def connect(self) -> None:
        # A cut connection is re-opened and the command retried by redis-py itself.
        self._redis = aioredis.Redis.from_url(
            self.server,
            socket_connect_timeout=5,
            retry=_CountingRetry(self, ExponentialBackoff(cap=1.0, base=0.05), 8),
            retry_on_error=[aioredis.ConnectionError, TimeoutError, OSError],
        )
        try:
            await self._redis.ping()
        except Exception as e:
            raise MessagingError(
                f"cannot connect to Redis at {self.server}: {e}", where=self.name
            ) from e

    async def connected(self) -> bool:
        if self._redis is None:
            return False
        try:
            await asyncio.wait_for(self._redis.ping(), 2)
        except Exception:
            return False
        return True

    async def close(self) -> None:
        await self._trimmer.close()
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    def max_message_bytes(self) -> int:
        return MAX_BULK

    async def keep(self, channel: ChannelSpec, group: str) -> None:
        await self._group(channel, group)

    async def _group(self, channel: ChannelSpec, group: str) -> None:
        try:
            await self.redis.xgroup_create(_key(channel.name), group, id="$", mkstream=True)
        except ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise

    async def _send(self, channel: ChannelSpec, message: Message) -> None:
        if channel.kind == "queue" and channel.durable:
            await self._group(channel, channel.queue_group)  # keep what is sent before a consumer
        fields: dict[Any, Any] = {"data": message.data, "content-type": message.content_type}
        if message.metadata:
            fields["metadata"] = orjson.dumps(message.metadata)
        if message.reply_to:
            fields["reply-to"] = message.reply_to
        key = _key(channel.name)
        plain_maxlen = self.maxlen or PLAIN_MAXLEN
        if channel.name.startswith(REPLY_PREFIX):
            # A reply stream: its requester deletes it when done; if it is gone already
            # (timed out), the stream expires instead of staying for good.
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.xadd(key, fields, maxlen=plain_maxlen, approximate=True)
                pipe.expire(key, REPLY_TTL_S)
                await pipe.execute()
        elif not channel.durable:
            await self.redis.xadd(key, fields, maxlen=plain_maxlen, approximate=True)
        elif self.maxlen is None:
            await self.redis.xadd(key, fields)
        else:
            args = [x for kv in fields.items() for x in kv]
            added = await self.redis.eval(_BOUNDED_XADD, 1, key, self.maxlen, *args)
            if added is None:
                raise ChannelFull(
                    f"durable channel {channel.name!r} holds {self.maxlen} unread messages "
                    "(its maxlen): the send is refused; consume it, or raise ?maxlen=",
                    where=self.name,
                )

    async def subscribe(
        self, channel: ChannelSpec, group: str | None = None, *, prefetch: int = 16
    ) -> Subscription:
        if group is None:
            sub = RedisSubscription(channel, None, prefetch, self.redis)
            last = await self._last_id(channel)
            sub.reader = asyncio.create_task(self._read(sub, last, prefetch))
        else:
            await self._group(channel, group)
            member = members.take(self.server, f"{channel.name}|{group}", self.consumer)
            sub = RedisSubscription(channel, group, prefetch, self.redis, member)
            sub.reader = asyncio.create_task(self._read_group(sub, group, prefetch, member.name))
            if channel.durable:
                sub.on_close.append(self._trimmer.add(_key(channel.name)))
        return sub

    async def _trim(self, key: str) -> None:
        groups: Any = await self.redis.xinfo_groups(key)
        if not groups:
            return
        floor: tuple[int, int] | None = None
        for g in groups:
            oldest = g["last-delivered-id"]
            if g["pending"]:
                summary: Any = await self.redis.xpending(key, g["name"])
                oldest = summary["min"] or oldest
            at = _entry_id(oldest)
            floor = at if floor is None or at < floor else floor
        if floor is not None and floor > (0, 0):
            await self.redis.xtrim(key, minid=f"{floor[0]}-{floor[1]}", approximate=False)

    async def _last_id(self, channel: ChannelSpec) -> bytes:
        info = (
            await self.redis.xinfo_stream(_key(channel.name))
            if await self.redis.exists(_key(channel.name))
            else None
        )
        return info["last-generated-id"] if info else b"0-0"

    async def _read(self, sub: RedisSubscription, last: bytes, count: int) -> None:
        key = _key(sub.channel.name)
        lost = False
        while not sub.closed:
            try:
                got: Any = await self.redis.xread({key: last}, count=count, block=BLOCK_MS)
            except (ConnectionError, OSError, aioredis.ConnectionError) as e:
                log.debug("redis: xread %s: %s", key, e)
                lost = True
                await asyncio.sleep(0.2)
                continue
            if lost:  # the connection came back
                lost, self.reconnects = False, self.reconnects + 1
            for _, entries in got or []:
                for entry_id, fields in entries:
                    last = entry_id
                    await sub.put(
                        _RedisDelivery(sub, entry_id, _message(sub.channel.name, fields), 1)
                    )

    async def _read_group(
        self, sub: RedisSubscription, group: str, count: int, consumer: str
    ) -> None:
        key = _key(sub.channel.name)
        loop = asyncio.get_running_loop()
        lost = False
        backlog: Any = b"0"  # first this consumer's own pending entries (a restart)
        next_claim = 0.0
        while not sub.closed:
            try:
                if loop.time() >= next_claim:
                    next_claim = loop.time() + max(self.claim_idle_ms / 2000, 0.2)
                    await self._claim(sub, group, count, consumer)
                got: Any = await self.redis.xreadgroup(
                    group,
                    consumer,
                    {key: backlog or ">"},
                    count=count,
                    block=None if backlog else BLOCK_MS,
                )
                if lost:  # the connection came back
                    lost, self.reconnects = False, self.reconnects + 1
                entries = [e for _, es in got or [] for e in es]
                if backlog is not None:
                    if not entries:
                        backlog = None
                        continue
                    backlog = entries[-1][0]
                for entry_id, fields in entries:
                    if fields is None:  # trimmed away meanwhile
                        continue
                    attempt = await self._attempt(key, group, entry_id) if backlog else 1
                    message = _message(sub.channel.name, fields)
                    await sub.put(_RedisDelivery(sub, entry_id, message, attempt))
            except ResponseError as e:
                if "NOGROUP" not in str(e):
                    raise
                await self._group(sub.channel, group)  # the stream went (a server restart)
            except (ConnectionError, OSError, aioredis.ConnectionError) as e:
                log.debug("redis: xreadgroup %s: %s", key, e)
                lost = True
                # Redis may have handed this consumer entries whose reply the lost connection
                # never brought: they wait in its own pending list, which `_claim` leaves
                # alone (it takes other consumers' idle entries). Read that list again first
                # (entries still being handled here come twice: a duplicate, never a loss).
                backlog = b"0"
                await asyncio.sleep(0.2)

    async def _claim(self, sub: RedisSubscription, group: str, count: int, consumer: str) -> None:
        """Take over entries another consumer took and left idle (it died)."""
        key = _key(sub.channel.name)
        idle: Any = await self.redis.xpending_range(
            key, group, min="-", max="+", count=count, idle=self.claim_idle_ms
        )
        theirs = [p for p in idle if p["consumer"].decode() != consumer]
        if not theirs:
            return
        claimed: Any = await self.redis.xclaim(
            key, group, consumer, self.claim_idle_ms, [p["message_id"] for p in theirs]
        )
        counts = {p["message_id"]: int(p["times_delivered"]) + 1 for p in theirs}
        for entry_id, fields in claimed:
            if fields is None:
                continue
            message = _message(sub.channel.name, fields)
            await sub.put(_RedisDelivery(sub, entry_id, message, counts.get(entry_id, 2)))

    async def _attempt(self, key: str, group: str, entry_id: bytes) -> int:
        info: Any = await self.redis.xpending_range(key, group, min=entry_id, max=entry_id, count=1)
        return int(info[0]["times_delivered"]) if info else 1
