"""The graph being defined, and the ``@typegraph()`` decorator."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .channel_op import ChannelOp
from .errors import TypegraphError
from .func import Func
from .model import DEFAULT_CONCURRENCY, DEFAULT_MAX_ATTEMPTS, Backoff
from .names import check_channel_name, check_name
from .policy import PolicyLike
from .types import Ref, Struct, Type

__all__ = ["Channel", "ChannelExposure", "Exposure", "Graph"]

ChannelKind = Literal["pubsub", "queue"]


@dataclass(frozen=True)
class Exposure:
    """A function registered in a graph under ``name``."""

    name: str
    func: Func
    exposed: bool
    policies: tuple[PolicyLike, ...]


@dataclass(frozen=True)
class ChannelExposure:
    """A channel operation exposed in a graph under ``name``."""

    name: str
    op: ChannelOp
    policies: tuple[PolicyLike, ...]


@dataclass(frozen=True)
class Channel:
    name: str
    message: Type
    durable: bool = False
    kind: ChannelKind = "pubsub"
    handlers: tuple[str, ...] = ()
    responders: tuple[str, ...] = ()
    dead_letter: str | None = None
    # function name -> delivery options (the document's `options`), set by g.on / g.respond
    options: tuple[tuple[str, dict[str, Any]], ...] = ()


class Graph:
    """What a ``@typegraph()`` function receives: expose functions, declare channels."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.functions: dict[str, Exposure] = {}
        self.channels: dict[str, Channel] = {}
        self.channel_ops: dict[str, ChannelExposure] = {}
        self.basic_users: tuple[str, ...] = ()

    def _add(
        self, name: str, func: object, exposed: bool, policies: tuple[PolicyLike, ...]
    ) -> None:
        path = ["functions", name]
        check_name(name, "function", path)
        if name in self.functions or name in self.channel_ops:
            raise TypegraphError(
                f"function {name!r} is defined twice; give each function its own name", path
            )
        if isinstance(func, ChannelOp):
            if not exposed:
                raise TypegraphError(
                    f"{name!r} is a channel operation: expose it with g.expose({name}=...)", path
                )
            self.channel_ops[name] = ChannelExposure(name, func, policies)
            return
        if not isinstance(func, Func):
            raise TypegraphError(
                f"expected a function (t.func(...) or runtime.handler(...)), got {func!r}", path
            )
        self.functions[name] = Exposure(name, func, exposed, policies)

    def expose(self, *policies: PolicyLike, **funcs: Func | ChannelOp) -> None:
        """Expose ``funcs`` (functions, or channel operations from `subscription` and
        `publish`) under their keyword names; ``policies`` is the chain of every one
        that has no policy of its own (`Func.with_policy`, `ChannelOp.with_policy`)."""
        for name, func in funcs.items():
            self._add(name, func, True, tuple(policies))

    def define(self, **funcs: Func) -> None:
        """Register ``funcs`` without exposing them (e.g. channel handlers)."""
        for name, func in funcs.items():
            self._add(name, func, False, ())

    def channel(
        self,
        name: str,
        message: Type,
        *,
        durable: bool = False,
        kind: ChannelKind = "pubsub",
        handlers: Sequence[str] = (),
        dead_letter: str | None = None,
    ) -> Channel:
        """Declare a message channel carrying ``message``; ``handlers`` are the names
        of the functions called with each message (or bind them with `on`);
        ``dead_letter`` is where messages that fail go (default ``<name>.dead``)."""
        path = ["channels", name]
        check_channel_name(name, path)
        if name in self.channels:
            raise TypegraphError(
                f"channel {name!r} is declared twice; declare each channel once", path
            )
        if kind not in ("pubsub", "queue"):
            raise TypegraphError(
                f"unknown channel kind {kind!r}: use 'pubsub' or 'queue'", [*path, "kind"]
            )
        if not isinstance(message, Type):
            raise TypegraphError(f"expected a type (t.*), got {message!r}", [*path, "message"])
        if dead_letter is not None:
            check_channel_name(dead_letter, [*path, "dead_letter"])
        channel = Channel(name, message, bool(durable), kind, tuple(handlers), (), dead_letter)
        self.channels[name] = channel
        return channel

    def subscription(self, channel: str | Channel) -> ChannelOp:
        """A GraphQL subscription streaming the messages of ``channel`` (typed by its
        message type); expose it: ``g.expose(shipped=g.subscription("orders.shipped"))``.
        Its effect is ``read``."""
        return ChannelOp(channel.name if isinstance(channel, Channel) else channel, "subscribe")

    def publish(self, channel: str | Channel) -> ChannelOp:
        """A GraphQL mutation publishing a message on ``channel`` (its arguments are the
        fields of the message type); expose it: ``g.expose(place=g.publish("orders.placed"))``.
        Its effect is ``create``."""
        return ChannelOp(channel.name if isinstance(channel, Channel) else channel, "publish")

    def on(
        self,
        channel: str | Channel,
        func: Func,
        *,
        name: str | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff: float | Backoff = Backoff.initial,
        concurrency: int = DEFAULT_CONCURRENCY,
        dead_letter: str | None = None,
    ) -> Func:
        """Call ``func`` (e.g. ``runtime.handler(message_type, ...)``) with every message
        of ``channel``. The message is acked when it succeeds; on failure it is retried
        after ``backoff`` (seconds, doubling; or a `Backoff`) up to ``max_attempts``
        times, then sent to ``dead_letter`` (default: the channel's). At most
        ``concurrency`` messages are handled at once. ``name`` (default: the op name)
        registers the function, unless it is already registered."""
        if isinstance(backoff, int | float):
            backoff = Backoff(initial=float(backoff))
        options: dict[str, Any] = {
            "max_attempts": max_attempts,
            "backoff": backoff.to_document(),
            "concurrency": concurrency,
        }
        if dead_letter is not None:
            options["dead_letter"] = dead_letter
        return self._bind(channel, func, name, "handlers", options)

    def respond(
        self,
        channel: str | Channel,
        func: Func,
        *,
        name: str | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> Func:
        """Answer requests on ``channel`` with ``func``: its input is the channel's message
        type, its result is the reply."""
        return self._bind(channel, func, name, "responders", {"concurrency": concurrency})

    def _bind(
        self,
        channel: str | Channel,
        func: Func,
        name: str | None,
        role: Literal["handlers", "responders"],
        options: dict[str, Any],
    ) -> Func:
        ch_name = channel.name if isinstance(channel, Channel) else channel
        path = ["channels", ch_name, role]
        ch = self.channels.get(ch_name)
        if ch is None:
            raise TypegraphError(
                f"unknown channel {ch_name!r}: declare it first with g.channel({ch_name!r}, ...)",
                path,
            )
        if not isinstance(func, Func):
            raise TypegraphError(f"expected a function (runtime.handler(...)), got {func!r}", path)
        for key in ("max_attempts", "concurrency"):
            value = options.get(key)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise TypegraphError(f"{key} must be an integer >= 1, got {value!r}", [*path, key])
        b = options.get("backoff")
        if b is not None and (
            b["initial_ms"] < 0 or b["max_ms"] < b["initial_ms"] or b["multiplier"] < 1
        ):
            raise TypegraphError(
                f"backoff needs 0 <= initial <= max and multiplier >= 1, got {b}",
                [*path, "backoff"],
            )
        if "dead_letter" in options:
            check_channel_name(options["dead_letter"], [*path, "dead_letter"])
        fn_name = name or func.materializer.op
        existing = self.functions.get(fn_name)
        func = self._native(func, ch, role, path, existing.func if existing else None)
        if existing is None:
            self.define(**{fn_name: func})
        elif existing.func is not func:
            raise TypegraphError(
                f"function {fn_name!r} is already defined as another function; pass name=...",
                ["functions", fn_name],
            )
        bound = getattr(ch, role)
        if fn_name in bound:
            raise TypegraphError(f"{fn_name!r} is bound to {ch_name!r} twice", path)
        options_ = (*ch.options, (fn_name, options))
        if role == "handlers":
            ch = dataclasses.replace(ch, handlers=(*bound, fn_name), options=options_)
        else:
            ch = dataclasses.replace(ch, responders=(*bound, fn_name), options=options_)
        self.channels[ch_name] = ch
        return func

    @staticmethod
    def _native(
        func: Func, ch: Channel, role: str, path: Sequence[str | int], existing: Func | None
    ) -> Func:
        """A messaging-world handler takes the channel's message; it cannot respond."""
        from .messaging import CHANNEL_MESSAGE, MessagingComponent

        rt = func.materializer.runtime
        if not isinstance(rt, MessagingComponent):
            return func
        if role == "responders":
            raise TypegraphError(
                f"a {rt.world} handler cannot answer g.respond: bind it with g.on(...) and "
                "reply from the guest (its reply/publish to the request's reply-to)",
                path,
            )
        if func.input is not CHANNEL_MESSAGE:
            return func
        if not isinstance(ch.message, Struct | Ref):
            raise TypegraphError(
                f"channel {ch.name!r} carries a t.{ch.message.kind}: a handler's channel "
                "must carry a t.struct",
                path,
            )
        if (
            existing is not None
            and existing.materializer is func.materializer
            and existing.input is ch.message
        ):
            return existing  # bound to this channel's type already (another g.on)
        return dataclasses.replace(func, input=ch.message)

    def auth(self, *, basic: Sequence[str] = ()) -> None:
        """Users who may sign in with HTTP basic auth; their passwords come from the
        server's configuration (``WIRE_<TYPEGRAPH>_BASIC_<USER>``), never the document."""
        for i, user in enumerate(basic):
            check_name(user, "basic auth user", ["auth", "basic", i])
        if len(set(basic)) != len(basic):
            raise TypegraphError("a basic auth user is listed twice", ["auth", "basic"])
        self.basic_users = tuple(basic)
