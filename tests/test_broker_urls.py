"""What a broker URL says, read the same way by every backend (`wire.messaging.urls`): the
query parameters a backend takes, with their defaults; a bad value or an unknown parameter
is a `MessagingError` that names it, at once; a backend whose client library is missing
says which extra installs it. (Nothing here connects: the URL is read when the backend is
made.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from wire.messaging import MessagingError, make_broker
from wire.messaging.members import default_consumer
from wire.messaging.mqtt import MqttBroker
from wire.messaging.nats import NatsBroker
from wire.messaging.redis import RedisBroker
from wire.messaging.urls import BrokerUrl, redacted

REPO = Path(__file__).resolve().parent.parent


def test_each_backend_reads_its_parameters_with_their_defaults() -> None:
    nats = make_broker("nats://127.0.0.1:4222")
    assert isinstance(nats, NatsBroker)
    assert (nats.server, nats.ack_wait) == ("nats://127.0.0.1:4222", 30.0)
    nats = make_broker("nats://127.0.0.1:4222?ack_wait=2.5")
    assert isinstance(nats, NatsBroker)
    assert (nats.server, nats.ack_wait, nats.lease_s) == ("nats://127.0.0.1:4222", 2.5, 2.5)

    redis = make_broker("redis://127.0.0.1:6379/0")
    assert isinstance(redis, RedisBroker)
    assert (redis.claim_idle_ms, redis.maxlen, redis.consumer) == (30_000, None, default_consumer())
    redis = make_broker("redis://127.0.0.1:6379/1?claim_idle_ms=2000&maxlen=20&consumer=pod-a")
    assert isinstance(redis, RedisBroker)
    assert redis.server == "redis://127.0.0.1:6379/1"
    assert (redis.claim_idle_ms, redis.lease_s, redis.maxlen) == (2000, 2.0, 20)
    assert redis.consumer == "pod-a"

    mqtt = make_broker("mqtt://u:p@127.0.0.1:1884")
    assert isinstance(mqtt, MqttBroker)
    assert (mqtt.host, mqtt.port, mqtt.username, mqtt.password) == ("127.0.0.1", 1884, "u", "p")
    assert (mqtt.session_expiry, mqtt.consumer) == (7 * 24 * 3600, default_consumer())
    mqtt = make_broker(f"mqtt://127.0.0.1:1883?session_expiry={0xFFFFFFFF}&consumer=")
    assert isinstance(mqtt, MqttBroker)
    assert (mqtt.session_expiry, mqtt.consumer) == (0xFFFFFFFF, default_consumer())


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (
            "nats://h:4222?ack_wait=soon",
            "?ack_wait= must be a positive number of seconds, got 'soon'",
        ),
        ("nats://h:4222?ack_wait=0", "?ack_wait= must be a positive number of seconds, got '0'"),
        (
            "nats://h:4222?ack_wait=inf",
            "?ack_wait= must be a positive number of seconds, got 'inf'",
        ),
        ("redis://h:6379/0?maxlen=-5", "?maxlen= must be a whole number of at least 1, got '-5'"),
        ("redis://h:6379/0?claim_idle_ms=1e3", "?claim_idle_ms= must be a whole number of at"),
        (
            "mqtt://h:1883?session_expiry=4294967296",
            "?session_expiry= must be a whole number from 1 to 4294967295, got '4294967296'",
        ),
        ("mqtt://h:1883?session_expiry=", "?session_expiry= must be a whole number from 1 to"),
        (
            "nats://h:4222?ack_wiat=5",
            "unknown query parameter(s) ack_wiat: a nats:// broker takes ack_wait",
        ),
        (
            "redis://h:6379/0?db=1&consumer=a",
            "unknown query parameter(s) db: a redis:// broker takes "
            "claim_idle_ms, consumer, maxlen",
        ),
    ],
)
def test_a_bad_parameter_is_a_messaging_error_that_names_it(url: str, says: str) -> None:
    with pytest.raises(MessagingError) as e:
        make_broker(url)
    assert e.value.code == "messaging_error"
    assert says in e.value.message
    assert e.value.where == url


def test_the_error_does_not_show_the_password() -> None:
    with pytest.raises(MessagingError) as e:
        make_broker("mqtt://user:secret@h:1883?session_expiry=never")
    assert e.value.where == "mqtt://user:***@h:1883?session_expiry=never"
    assert "secret" not in str(e.value)
    assert redacted("nats://h:4222") == "nats://h:4222"


def test_a_backend_without_parameters_takes_none() -> None:
    with pytest.raises(MessagingError, match="a x:// broker takes none"):
        BrokerUrl("x://h?a=1", ())
    assert BrokerUrl("x://h/p?", ()).server == "x://h/p"


def test_a_missing_client_library_names_the_extra_that_installs_it(tmp_path: Path) -> None:
    """As if no broker client were installed: packages of their names that cannot be
    imported, first on the path, in a fresh process."""
    for package in ("nats", "redis", "aio_pika", "aiomqtt"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text(
            f"raise ModuleNotFoundError(\"No module named '{package}'\", name='{package}')\n"
        )
    code = """
import sys
from wire.messaging import MissingClient, make_broker

for url in sys.argv[1:]:
    try:
        make_broker(url)
    except MissingClient as e:
        print(e.code, e.where, e.message, sep=" | ")
"""
    urls = {
        "nats://127.0.0.1:4222": ("the NATS broker client (nats-py)", "nats", "nats"),
        "amqp://guest:pw@127.0.0.1:5672/": (
            "the RabbitMQ broker client (aio-pika)",
            "aio_pika",
            "rabbitmq",
        ),
        "rediss://127.0.0.1:6379/0": ("the Redis broker client (redis-py)", "redis", "redis"),
        "mqtt://127.0.0.1:1883": ("the MQTT broker client (aiomqtt)", "aiomqtt", "mqtt"),
    }
    out = subprocess.run(
        [sys.executable, "-c", code, *urls],
        env={"PYTHONPATH": f"{tmp_path}:{REPO}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = out.stdout.splitlines()
    assert len(lines) == len(urls), out
    for line, (url, (client, module, extra)) in zip(lines, urls.items(), strict=True):
        code_, where, message = line.split(" | ")
        assert (code_, where) == ("missing_dependency", redacted(url))
        assert message == (
            f"{client} is not installed (no module {module!r}): install the extra, "
            f"pip install 'wire[{extra}]' (in this checkout: make setup)"
        )


def test_an_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(
        MessagingError, match=r"unknown broker URL 'kafka://h:9092' \(known: memory"
    ):
        make_broker("kafka://h:9092")
