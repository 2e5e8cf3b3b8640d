"""What travels on a channel: a message (bytes, content type, metadata, topic), and the
channel settings a backend needs to carry it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import orjson

from typegraph.names import CHANNEL_NAME_RE

from .errors import InvalidPayload, MessagingError

ChannelKind = Literal["pubsub", "queue"]
JSON = "application/json"

# Metadata keys wire itself sets; guests and other clients may read them.
ATTEMPTS = "wire-attempts"  # on a dead letter: how many times it was tried
ERROR = "wire-error"  # on a dead letter: why; on a reply: the responder failed
ORIGIN = "wire-channel"  # on a dead letter: the channel it came from
HANDLER = "wire-handler"  # on a dead letter: the handler that gave up
ERROR_MAX_BYTES = 1024  # a `wire-error` value is cut to this (it never carries the payload)


def cut(text: str, max_bytes: int = ERROR_MAX_BYTES) -> str:
    """`text` cut to at most `max_bytes` of UTF-8 (with a marker saying so)."""
    raw = text.encode()
    if len(raw) <= max_bytes:
        return text
    kept = raw[: max_bytes - 40].decode(errors="ignore")
    return f"{kept}... [cut: {len(raw)} bytes in all]"


@dataclass(frozen=True)
class Message:
    """A message as every backend carries it. `reply_to` is the topic a reply goes to."""

    topic: str
    data: bytes
    content_type: str = JSON
    metadata: dict[str, str] = field(default_factory=dict)
    reply_to: str | None = None

    @classmethod
    def json(
        cls,
        topic: str,
        payload: object,
        metadata: dict[str, str] | None = None,
        reply_to: str | None = None,
    ) -> Message:
        return cls(topic, orjson.dumps(payload), JSON, dict(metadata or {}), reply_to)

    def payload(self) -> object:
        """The data decoded as JSON; raises `InvalidPayload` saying why it is not."""
        if self.content_type.split(";")[0].strip() not in (JSON, "text/plain", ""):
            raise InvalidPayload(
                f"content type {self.content_type!r} is not JSON", where=self.topic
            )
        try:
            return orjson.loads(self.data)
        except orjson.JSONDecodeError as e:
            raise InvalidPayload(f"the message is not JSON: {e}", where=self.topic) from None


@dataclass(frozen=True)
class ChannelSpec:
    """A channel as a backend sees it: `durable` channels survive broker and host restarts
    (at-least-once); `queue` channels give each message to one consumer of one group.
    `grouped`: consumer groups read it (the typegraph binds handlers to it), so a durable
    one that finds no group's session on a broker that keeps messages only for subscribed
    sessions (MQTT) is being restarted or reconnected, not unread: the send waits."""

    name: str
    durable: bool = False
    kind: ChannelKind = "pubsub"
    grouped: bool = False

    def __post_init__(self) -> None:
        if CHANNEL_NAME_RE.fullmatch(self.name) is None:  # the typegraph's rule
            raise MessagingError(
                f"invalid channel name {self.name!r}: dot-separated tokens of letters, digits, "
                "underscores and dashes, the first starting with a letter or underscore",
                where="messaging",
            )

    @property
    def queue_group(self) -> str:
        """The one consumer group of a queue channel: every consumer competes in it."""
        return f"q.{self.name}"
