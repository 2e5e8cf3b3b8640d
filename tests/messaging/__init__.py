"""Shared helpers of the messaging tests: the brokers on this machine, fresh channel names."""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlsplit

import pytest

# The real servers the conformance suite runs against (see .ci/run), and the embedded one.
BROKERS = {
    "memory": "memory://",
    "nats": os.environ.get("WIRE_TEST_NATS", "nats://127.0.0.1:4222"),
    "rabbitmq": os.environ.get("WIRE_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/"),
    "redis": os.environ.get("WIRE_TEST_REDIS", "redis://127.0.0.1:6379/0"),
    # Group sessions of test processes expire soon after they end (the default is a week).
    "mqtt": os.environ.get("WIRE_TEST_MQTT", "mqtt://127.0.0.1:1883?session_expiry=300"),
}


def reachable(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "memory":
        return True
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 2).close()
        return True
    except OSError:
        return False


def require(name: str) -> str:
    """The URL of broker `name`; when it is not running, skip locally but fail in CI."""
    url = BROKERS[name]
    if not reachable(url):
        message = f"broker {name} is not reachable at {url}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{message}; CI needs every broker running (.ci/run starts them)")
        pytest.skip(message)
    return url


# Every prefix `fresh` gave out in this session: the session's end removes their state
# from the brokers (cleanup.py).
USED: set[str] = set()


def fresh(prefix: str = "t") -> str:
    """A channel-name prefix no earlier run used (durable brokers keep their state)."""
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    USED.add(name)
    return name


def with_query(url: str, **params: object) -> str:
    if url.startswith("memory"):
        return url
    sep = "&" if "?" in url else "?"
    return url + sep + "&".join(f"{k}={v}" for k, v in params.items())
