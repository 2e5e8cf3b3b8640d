"""What a typegraph document says about its channels: each channel's settings and type, and
the functions bound to them (handlers and responders) with their delivery options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..validation import Validator
from .message import ChannelSpec

Role = Literal["handler", "responder"]


@dataclass(frozen=True)
class Backoff:
    """The wait before attempt n + 1: `initial * multiplier ** (n - 1)` seconds, at most `max`."""

    initial: float = 0.1
    max: float = 30.0
    multiplier: float = 2.0

    def delay(self, attempt: int) -> float:
        """Wait after failed attempt number `attempt` (1-based)."""
        return float(min(self.max, self.initial * self.multiplier ** max(0, attempt - 1)))

    @classmethod
    def from_document(cls, node: dict[str, Any] | None) -> Backoff:
        node = node or {}
        return cls(
            node.get("initial_ms", 100) / 1000,
            node.get("max_ms", 30_000) / 1000,
            float(node.get("multiplier", 2.0)),
        )


@dataclass(frozen=True)
class Binding:
    """A function bound to a channel: a handler (acks, retries, dead letters) or a
    responder (replies with its result)."""

    channel: str
    function: str
    role: Role = "handler"
    max_attempts: int = 5
    backoff: Backoff = field(default_factory=Backoff)
    concurrency: int = 1
    dead_letter: str | None = None


@dataclass(frozen=True)
class Channel:
    """A channel of the typegraph: how a backend carries it, its type, its dead letters."""

    spec: ChannelSpec
    validator: Validator
    dead_letter: str


def channels_of(document: dict[str, Any]) -> dict[str, Channel]:
    import typegraph

    out: dict[str, Channel] = {}
    for name, ch in document.get("channels", {}).items():
        schema = typegraph.json_schema(document, ch["message"])
        grouped = bool(ch.get("handlers") or ch.get("responders"))
        out[name] = Channel(
            ChannelSpec(name, bool(ch.get("durable")), ch.get("kind", "pubsub"), grouped),
            Validator(schema),
            ch.get("dead_letter") or f"{name}.dead",
        )
    return out


def bindings_of(document: dict[str, Any]) -> list[Binding]:
    out: list[Binding] = []
    for name, ch in document.get("channels", {}).items():
        options = ch.get("options", {})
        roles: list[tuple[str, Role]] = [
            *((f, "handler") for f in ch.get("handlers", [])),
            *((f, "responder") for f in ch.get("responders", [])),
        ]
        for fn, role in roles:
            o = options.get(fn, {})
            out.append(
                Binding(
                    name,
                    fn,
                    role,
                    int(o.get("max_attempts", 5)),
                    Backoff.from_document(o.get("backoff")),
                    int(o.get("concurrency", 1)),
                    o.get("dead_letter"),
                )
            )
    return out
