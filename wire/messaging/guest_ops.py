"""The messaging hostcall ops of wit/ops/ (send, request, reply, receive, complete,
abandon), bound to a `MessagingService`, and the leases of messages guests `receive`.

Guests call ops synchronously on their worker thread; each op runs its broker work on the
service's event loop (`svc.run`). A message taken with `receive` is the guest's until it
completes or abandons it, or until its lease ends (it is then given back: delivered again).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING, Any

from ..hostcalls import CallerContext, HostcallRegistry
from ..paths import OPS_DIR
from ..telemetry import metrics, tracing
from .broker import Delivery, Subscription
from .errors import InvalidPayload, MessagingError
from .message import ERROR, Message
from .outcome import reason_of, safely

if TYPE_CHECKING:
    from .service import MessagingService

log = logging.getLogger("wire.messaging")
DELIVERY = "wire.delivery"  # CallerContext.extra key: the message a guest call is handling
# CallerContext.extra key: where a handler's sends wait until it returns (its outbox)
OUTBOX = "wire.outbox"


class Receivers:
    """The subscriptions behind `receive` (one per runtime and channel) and the messages
    taken with it and not yet settled, each with its lease."""

    def __init__(self, svc: MessagingService, prefetch: int, lease: float) -> None:
        self.svc = svc
        self.prefetch = prefetch
        self.lease = lease
        self._subs: dict[tuple[str, str], Subscription] = {}
        self._lock = asyncio.Lock()
        # id -> (runtime, delivery, lease end), in the order received (so, of lease end)
        self.taken: dict[str, tuple[str, Delivery, float]] = {}

    async def receive(
        self, runtime: str, channel: str, timeout: float
    ) -> tuple[str, Delivery, Any] | None:
        """The next valid message of `channel` for `runtime` within `timeout` seconds."""
        svc = self.svc
        ch = svc.channel(channel)
        sub = await self._subscription(runtime, channel)
        loop = asyncio.get_running_loop()
        await self.give_back_expired(loop.time())
        deadline = loop.time() + timeout
        while True:
            d = await sub.receive(max(0.0, deadline - loop.time()) or 0.001)
            if d is None:
                return None
            try:
                payload = svc.decode(ch, d.message)
            except InvalidPayload as e:
                handler = f"{runtime}.receive"
                await svc.dead_letters.park(
                    d,
                    svc.dead_letter_spec(channel, None),
                    reason_of(e),
                    channel=channel,
                    handler=handler,
                )
                metrics.binding_stats(svc.host.name, channel, handler).count(failed=1, dead=1)
                continue
            rid = uuid.uuid4().hex
            self.taken[rid] = (runtime, d, loop.time() + self.lease)
            return rid, d, payload

    async def _subscription(self, runtime: str, channel: str) -> Subscription:
        key = (runtime, channel)
        async with self._lock:
            sub = self._subs.get(key)
            if sub is None:
                spec = self.svc.channel(channel).spec
                group = (
                    spec.queue_group
                    if spec.kind == "queue"
                    else f"{self.svc.host.name}.{runtime}.receive"
                )
                sub = await self.svc.broker.subscribe(spec, group, prefetch=self.prefetch)
                self._subs[key] = sub
            return sub

    async def give_back_expired(self, now: float) -> None:
        """Nack the received messages whose lease ended unsettled (redelivered later)."""
        for rid, (runtime, d, ends) in list(self.taken.items()):
            if ends > now:
                break
            if self.taken.pop(rid, None) is None:
                continue  # settled meanwhile, from a guest's thread
            log.warning(
                "runtime %s left a message of %s unsettled for %g s: given back",
                runtime,
                d.message.topic,
                self.lease,
            )
            await safely(d.nack())

    def get(self, ctx: CallerContext, rid: str) -> Delivery:
        """The message `rid` that runtime `ctx.runtime` received and has not settled."""
        owner, d, _ = self.taken.get(rid, ("", None, 0.0))
        if d is None or owner != ctx.runtime:
            raise MessagingError(
                f"no received message {rid!r} for runtime {ctx.runtime!r} (already settled, "
                f"or given back after its {self.lease:g} s lease?)",
                where=f"{ctx.typegraph}/{ctx.runtime}",
            )
        return d

    def settle_target(self, ctx: CallerContext, rid: str | None) -> Delivery:
        """The delivery a `complete`/`abandon` settles: `rid`'s, else the one being handled."""
        if rid is None:
            d = ctx.extra.get(DELIVERY)
            if not isinstance(d, Delivery):
                raise MessagingError(
                    "no message is being handled by this call: pass the `id` of a received message",
                    where=f"{ctx.typegraph}/{ctx.runtime}",
                )
            return d
        d = self.get(ctx, rid)
        self.taken.pop(rid, None)
        return d

    async def close(self) -> None:
        """Give back what was received and not settled; unsubscribe."""
        for _, d, _ in list(self.taken.values()):
            await safely(d.nack())
        self.taken.clear()
        for sub in self._subs.values():
            await sub.close()
        self._subs.clear()


def register_ops(reg: HostcallRegistry, svc: MessagingService) -> None:
    """The messaging ops of wit/ops/, bound to `svc` (replacing earlier ones)."""
    receivers = svc.receivers

    def send(ctx: CallerContext, a: dict[str, Any]) -> None:
        svc.check_grant(ctx, a["channel"])
        spec, message = svc.outgoing(a["channel"], a["payload"], a.get("metadata"))
        outbox = ctx.extra.get(OUTBOX)
        if outbox is None:
            svc.run(svc.broker.send(spec, message))
        elif not tracing.active:  # a handler's: published after it returns, before the ack
            outbox.append((spec, message))
        else:  # the send's span is here, in the guest's call; the publish comes later
            with tracing.publishing(svc.broker.name, spec.name):
                outbox.append((spec, svc.broker.traced(message)))

    def request(ctx: CallerContext, a: dict[str, Any]) -> dict[str, Any]:
        svc.check_grant(ctx, a["channel"])
        timeout = a.get("timeout_ms", 5000) / 1000
        replies = svc.run(
            svc.request(
                a["channel"],
                a["payload"],
                timeout=timeout,
                expected=a.get("expected", 1),
                metadata=a.get("metadata"),
            )
        )
        out = []
        for m in replies:
            meta = dict(m.metadata)
            entry: dict[str, Any] = {"payload": m.payload(), "metadata": meta}
            if ERROR in meta:
                entry["error"] = meta[ERROR]
            out.append(entry)
        return {"replies": out}

    def reply(ctx: CallerContext, a: dict[str, Any]) -> None:
        rid = a.get("id")
        d = receivers.get(ctx, rid) if rid is not None else receivers.settle_target(ctx, None)
        message = Message.json("", a["payload"], a.get("metadata"))
        svc.run(svc.broker.reply(d.message, message))

    def receive(ctx: CallerContext, a: dict[str, Any]) -> dict[str, Any]:
        svc.check_grant(ctx, a["channel"])
        got = svc.run(receivers.receive(ctx.runtime, a["channel"], a.get("timeout_ms", 0) / 1000))
        if got is None:
            return {"message": None}
        rid, d, payload = got
        return {
            "message": {
                "id": rid,
                "channel": a["channel"],
                "payload": payload,
                "metadata": dict(d.message.metadata),
                "attempt": d.attempt,
            }
        }

    def complete(ctx: CallerContext, a: dict[str, Any]) -> None:
        d = receivers.settle_target(ctx, a.get("id"))
        svc.run(d.ack())

    def abandon(ctx: CallerContext, a: dict[str, Any]) -> None:
        d = receivers.settle_target(ctx, a.get("id"))
        svc.run(d.nack(a.get("delay_ms", 0) / 1000))

    for name, fn in (
        ("send", send),
        ("request", request),
        ("reply", reply),
        ("receive", receive),
        ("complete", complete),
        ("abandon", abandon),
    ):
        reg.register_spec(OPS_DIR / f"{name}.json", fn, replace=True)
