"""`wire.messaging.nats.num_delivered` reads a JetStream message's delivery count from its
ack subject as nats-py's full metadata parse does (differential, over both subject forms);
the redelivery count over a real server is in test_messaging_conformance.py."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nats.aio.msg import Msg
from nats.errors import NotJSMessageError

from wire.messaging.nats import num_delivered

NAME = st.text(st.sampled_from("abcXYZ09_-"), min_size=1, max_size=12)
COUNT = st.integers(min_value=0, max_value=2**63)


def message(reply: str) -> Msg:
    return Msg(None, subject="orders.placed", reply=reply)  # type: ignore[arg-type]


def v1(stream: str, consumer: str, delivered: int, seq: int) -> str:
    return f"$JS.ACK.{stream}.{consumer}.{delivered}.{seq}.{seq}.1733000000000000000.0"


def v2(domain: str, stream: str, consumer: str, delivered: int, seq: int, tail: bool) -> str:
    rest = ".r4nd0m" if tail else ""
    return f"$JS.ACK.{domain}.ACC123.{stream}.{consumer}.{delivered}.{seq}.{seq}.17330.5{rest}"


@given(NAME, NAME, COUNT, COUNT)
def test_the_first_form_as_nats_py_reads_it(stream: str, consumer: str, n: int, seq: int) -> None:
    msg = message(v1(stream, consumer, n, seq))
    assert num_delivered(msg) == Msg.Metadata._from_reply(msg.reply).num_delivered == n


@given(st.one_of(st.just("_"), NAME), NAME, NAME, COUNT, COUNT, st.booleans())
def test_the_domain_form_as_nats_py_reads_it(
    domain: str, stream: str, consumer: str, n: int, seq: int, tail: bool
) -> None:
    msg = message(v2(domain, stream, consumer, n, seq, tail))
    assert num_delivered(msg) == Msg.Metadata._from_reply(msg.reply).num_delivered == n


@pytest.mark.parametrize(
    "reply", ["", "_INBOX.abc", "$JS.ACK.s.c.x.1.1.1.0", "$JS.ACK.s.c.1.1", "$JS.NAK.s.c.1.1.1.1.0"]
)
def test_anything_else_is_nats_pys_to_refuse(reply: str) -> None:
    with pytest.raises((NotJSMessageError, ValueError)):
        num_delivered(message(reply))
