"""One setting picks the broker: a URL (`--broker`, else `$WIRE_BROKER`, else the embedded
one)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from .broker import Broker
from .errors import MessagingError

ENV = "WIRE_BROKER"
DEFAULT = "memory://"
SCHEMES = {
    "memory": "embedded, in-process (the default)",
    "nats": "nats://host:4222 (JetStream for durable channels)",
    "amqp": "amqp://user:pass@host:5672/vhost (RabbitMQ)",
    "redis": "redis://host:6379/0 (Redis Streams)",
    "mqtt": "mqtt://host:1883 (MQTT 5, QoS 1)",
}


def broker_url(url: str | None = None) -> str:
    return url or os.environ.get(ENV) or DEFAULT


def make_broker(url: str | None = None) -> Broker:
    """The backend for `url` (not connected yet); client libraries load only when used."""
    url = broker_url(url)
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        from .memory import MemoryBroker

        return MemoryBroker(url)
    if scheme in ("nats", "tls"):
        from .nats import NatsBroker

        return NatsBroker(url)
    if scheme in ("amqp", "amqps"):
        from .rabbit import RabbitBroker

        return RabbitBroker(url)
    if scheme in ("redis", "rediss"):
        from .redis import RedisBroker

        return RedisBroker(url)
    if scheme in ("mqtt", "mqtts"):
        from .mqtt import MqttBroker

        return MqttBroker(url)
    known = "; ".join(f"{k}: {v}" for k, v in SCHEMES.items())
    raise MessagingError(f"unknown broker URL {url!r} (known: {known})", where=ENV)
