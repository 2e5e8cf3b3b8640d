"""One setting picks the broker: a URL (`--broker`, else `$WIRE_BROKER`, else the embedded
one)."""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from .broker import Broker
from .errors import MessagingError, MissingClient
from .urls import redacted

ENV = "WIRE_BROKER"
# Seconds to connect and subscribe every handler at start (`wire serve`, `wire consume`).
TIMEOUT_ENV = "WIRE_BROKER_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 30.0
DEFAULT = "memory://"
SCHEMES = {
    "memory": "embedded, in-process (the default)",
    "nats": "nats://host:4222 (JetStream for durable channels)",
    "amqp": "amqp://user:pass@host:5672/vhost (RabbitMQ)",
    "redis": "redis://host:6379/0 (Redis Streams)",
    "mqtt": "mqtt://host:1883 (MQTT 5, QoS 1)",
}


@dataclass(frozen=True)
class Backend:
    """A broker backend: its module and class, and the client library it needs (the
    packages it imports, the extra of wire that installs them)."""

    module: str
    cls: str
    client: str = ""
    packages: tuple[str, ...] = ()
    extra: str = ""


BACKENDS = {
    "memory": Backend("memory", "MemoryBroker"),
    "nats": Backend("nats", "NatsBroker", "the NATS broker client (nats-py)", ("nats",), "nats"),
    "amqp": Backend(
        "rabbit",
        "RabbitBroker",
        "the RabbitMQ broker client (aio-pika)",
        ("aio_pika", "aiormq", "pamqp"),
        "rabbitmq",
    ),
    "redis": Backend(
        "redis", "RedisBroker", "the Redis broker client (redis-py)", ("redis",), "redis"
    ),
    "mqtt": Backend(
        "mqtt", "MqttBroker", "the MQTT broker client (aiomqtt)", ("aiomqtt", "paho"), "mqtt"
    ),
}
# Other spellings of a scheme (TLS and the like) -> the backend's scheme.
ALIASES = {"tls": "nats", "amqps": "amqp", "rediss": "redis", "mqtts": "mqtt"}


def broker_url(url: str | None = None) -> str:
    return url or os.environ.get(ENV) or DEFAULT


def make_broker(url: str | None = None) -> Broker:
    """The backend for `url` (not connected yet); client libraries load only when used, and
    one that is not installed is a `MissingClient` naming the extra that installs it."""
    url = broker_url(url)
    scheme = urlsplit(url).scheme
    backend = BACKENDS.get(ALIASES.get(scheme, scheme))
    if backend is None:
        known = "; ".join(f"{k}: {v}" for k, v in SCHEMES.items())
        raise MessagingError(f"unknown broker URL {url!r} (known: {known})", where=ENV)
    try:
        module = importlib.import_module(f"{__package__}.{backend.module}")
    except ModuleNotFoundError as e:
        if (e.name or "").split(".")[0] not in backend.packages:
            raise
        raise MissingClient(
            f"{backend.client} is not installed (no module {e.name!r}): install the extra, "
            f"pip install 'wire[{backend.extra}]' (in this checkout: make setup)",
            where=redacted(url),
        ) from e
    broker: Broker = getattr(module, backend.cls)(url)
    return broker
