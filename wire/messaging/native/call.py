"""What a native-world guest can do while it handles a message: send, request and reply
through the host's `MessagingService`, on the typegraph's channels it is granted.

Guests call the host synchronously on their worker thread, so the call being served is a
thread-local (`current()`); broker operations run on the service's loop (`svc.run`).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ...errors import WireError
from ...hostcalls import CallerContext
from ...validation import describe
from ..broker import Delivery
from ..errors import InvalidPayload, MessagingError, PermissionDenied, ReplyTimeout
from ..message import Message

if TYPE_CHECKING:
    from ..service import MessagingService

log = logging.getLogger("wire.messaging.native")
T = TypeVar("T")
ErrorKind = Literal["timeout", "connection", "permission-denied", "other"]


class OpError(Exception):
    """An operation failed; the world returns it to the guest as its error type."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class Resources:
    """Host-side objects behind an instance's resource handles (rep -> object)."""

    def __init__(self) -> None:
        self._items: dict[int, object] = {}
        self._reps = itertools.count(1)

    def add(self, obj: object) -> int:
        rep = next(self._reps)
        self._items[rep] = obj
        return rep

    def get(self, rep: int, kind: type[T]) -> T:
        obj = self._items.get(rep)
        if not isinstance(obj, kind):
            raise WireError(f"no {kind.__name__} behind handle {rep}", where="messaging")
        return obj

    def take(self, rep: int, kind: type[T]) -> T:
        obj = self.get(rep, kind)
        del self._items[rep]
        return obj

    def drop(self, rep: int) -> None:
        self._items.pop(rep, None)

    def pop(self, rep: int) -> object | None:
        """The object behind `rep` (None if there is none), no longer kept."""
        return self._items.pop(rep, None)


@dataclass
class Call:
    """One delivery being handled by a guest of runtime `ctx.runtime` (or, for the first
    wasi:messaging draft, a batch of them, or its `configure`)."""

    svc: MessagingService
    ctx: CallerContext
    delivery: Delivery | None
    resources: Resources
    timeout_s: float  # the default wait of a request: the runtime's deadline
    where: str = field(init=False)
    # The first draft: the deliveries handed to the guest's `handler` at once, by the id
    # their messages carry, and what the guest said of each (True: complete, False: abandon).
    batch: dict[str, Delivery] = field(default_factory=dict)
    settled: dict[str, bool] = field(default_factory=dict)
    due: float | None = None  # when the guest's call must end (monotonic)
    last_error: str = ""  # what the first draft's `error.trace()` says

    def __post_init__(self) -> None:
        self.where = f"{self.ctx.typegraph}/{self.ctx.runtime}"

    def send(self, message: Message) -> None:
        ch = self._checked(message)
        log.debug("%s sends on %s", self.where, message.topic)
        self.run(self.svc.broker.send(ch.spec, message))

    def request(self, message: Message, timeout_s: float | None, expected: int) -> list[Message]:
        ch = self._checked(message)
        coro = self.svc.broker.request(
            ch.spec, message, timeout=timeout_s or self.timeout_s, expected=max(1, expected)
        )
        return self.run(coro)

    def reply(self, request: Message, reply: Message) -> None:
        if not request.reply_to:
            raise OpError(
                "other", f"the message on {request.topic!r} is not a request: it has no reply topic"
            )
        self.run(self.svc.broker.reply(request, reply))

    def receive(self, channel: str, timeout_s: float) -> tuple[str, Delivery] | None:
        """The next message of `channel` for this runtime within `timeout_s` (the `receive`
        op's lease applies): its id and delivery, or None."""
        try:
            self.svc.check_grant(self.ctx, channel)
        except (PermissionDenied, MessagingError) as e:
            raise OpError("permission-denied", str(e)) from None
        got = self.run(self.svc.receivers.receive(self.ctx.runtime, channel, timeout_s))
        return None if got is None else (got[0], got[1])

    def settle(self, rid: str, complete: bool) -> None:
        """Complete or abandon message `rid`: one of the batch being handled (settled as
        the guest says once its handler returns: acked, or a failed attempt) or one taken
        with `receive` (acked or given back now)."""
        if rid in self.batch:
            if rid in self.settled:
                said = "completed" if self.settled[rid] else "abandoned"
                raise OpError("other", f"message {rid} was {said} already")
            self.settled[rid] = complete
            return
        try:
            d = self.svc.receivers.settle_target(self.ctx, rid)
        except MessagingError as e:
            raise OpError("other", str(e)) from None
        self.run(d.ack() if complete else d.nack())

    def remaining_s(self) -> float:
        """Seconds left before the guest's deadline (its runtime's deadline if unknown)."""
        return self.timeout_s if self.due is None else max(0.0, self.due - time.monotonic())

    def _checked(self, message: Message) -> Any:
        """The channel of `message` if this runtime may use it and the payload fits its type."""
        topic = message.topic
        if topic not in self.svc.channels:
            known = ", ".join(sorted(self.svc.channels)) or "none"
            raise OpError(
                "other",
                f"{self.where}: {topic!r} is not a channel of typegraph {self.ctx.typegraph!r} "
                f"(channels: {known}); declare it with g.channel(...) and grant it",
            )
        try:
            ch = self.svc.check_grant(self.ctx, topic)
            bad = ch.validator.check(message.payload())
        except PermissionDenied as e:
            raise OpError("permission-denied", str(e)) from None
        except InvalidPayload as e:
            raise OpError("other", f"invalid payload: {e}") from None
        if bad:
            raise OpError(
                "other",
                f"{topic}: the payload does not match the channel's message type: {describe(bad)}",
            )
        return ch

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        try:
            return self.svc.run(coro)
        except ReplyTimeout as e:
            raise OpError("timeout", str(e)) from None
        except Exception as e:
            text = str(e) if isinstance(e, WireError) else f"{type(e).__name__}: {e}"
            raise OpError("connection", text) from None


_local = threading.local()


def current() -> Call:
    """The call being served on this thread (a host function runs inside one)."""
    stack: list[Call] = getattr(_local, "stack", [])
    if not stack:
        raise WireError("a messaging import was called outside a message delivery")
    return stack[-1]


def current_or_none() -> Call | None:
    stack: list[Call] = getattr(_local, "stack", [])
    return stack[-1] if stack else None


@contextmanager
def serving(call: Call) -> Iterator[None]:
    stack: list[Call] = _local.__dict__.setdefault("stack", [])
    stack.append(call)
    try:
        yield
    finally:
        stack.pop()
