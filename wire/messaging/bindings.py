"""What a typegraph says about its channels, as messaging acts on it: each channel's spec
(how a backend carries it), its checked type and its dead letters, and the functions bound
to it with their delivery options (`typegraph.model.Delivery`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from typegraph import model
from typegraph.model import Backoff

from ..validation import Validator
from .message import ChannelSpec

Role = Literal["handler", "responder"]


@dataclass(frozen=True)
class Binding:
    """A function bound to a channel: a handler (acks, retries, dead letters) or a
    responder (replies with its result)."""

    channel: str
    function: str
    role: Role = "handler"
    delivery: model.Delivery = field(default_factory=model.Delivery)

    @property
    def max_attempts(self) -> int:
        return self.delivery.max_attempts

    @property
    def backoff(self) -> Backoff:
        return self.delivery.backoff

    @property
    def concurrency(self) -> int:
        return self.delivery.concurrency

    @property
    def dead_letter(self) -> str | None:
        return self.delivery.dead_letter


@dataclass(frozen=True)
class Channel:
    """A channel of the typegraph: how a backend carries it, its type, its dead letters."""

    spec: ChannelSpec
    validator: Validator
    dead_letter: str


def channels_of(tg: model.Model) -> dict[str, Channel]:
    return {
        name: Channel(
            ChannelSpec(name, ch.durable, ch.kind, bool(ch.handlers or ch.responders)),
            Validator(tg.json_schema(ch.message)),
            ch.dead_letter,
        )
        for name, ch in tg.channels.items()
    }


def bindings_of(tg: model.Model) -> list[Binding]:
    out: list[Binding] = []
    for ch in tg.channels.values():
        out += [Binding(ch.name, fn, "handler", ch.delivery(fn)) for fn in ch.handlers]
        out += [Binding(ch.name, fn, "responder", ch.delivery(fn)) for fn in ch.responders]
    return out
