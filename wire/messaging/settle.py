"""Settle policies: what happens to a delivery once its function has run, named per binding
role (as FastStream names its ack policies).

- `RetryThenDeadLetter` (handlers): ack after success; after a failure, nack to deliver
  again after the binding's backoff; after `max_attempts` attempts, or at once for a
  message that can never be handled, move it to the dead-letter channel (acked only once
  its copy is stored).
- `ReplyThenAck` (responders): reply with the result, or with the error in `wire-error`,
  then ack: a request is answered once and never retried (its requester is waiting).

A delivery the guest settled itself (`complete` / `abandon` ops) is left as it is.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from ..telemetry import metrics
from .bindings import Binding
from .broker import Broker, Delivery
from .dead_letters import DeadLetters
from .message import ERROR, ChannelSpec, Message
from .outcome import Failed, Handled, Outcome, Rejected, reason_of, safely

log = logging.getLogger("wire.messaging")


# What a settle policy did with a delivery: `guest` when the guest settled it itself.
Action = Literal["handled", "retried", "dead_lettered", "replied", "guest"]


@dataclass
class Counts:
    """What the delivery pipeline of a typegraph did, per service (`/health`, `wire
    consume`, drills; the metrics count the same per binding)."""

    typegraph: str = ""
    handled: int = 0  # acked after the function succeeded (or replied to)
    retried: int = 0  # nacked for another attempt
    dead_lettered: int = 0  # handed to the dead-letter channel (stored or on its way)
    # Told of every settled delivery (the testing kit's record): (binding, delivery,
    # outcome, what was done).
    listeners: list[Callable[[Binding, Delivery, Outcome, Action], None]] = field(
        default_factory=list
    )


class SettlePolicy(ABC):
    name: ClassVar[str]

    def __init__(self, binding: Binding, counts: Counts) -> None:
        self.binding = binding
        self.counts = counts
        self.stats = metrics.binding_stats(counts.typegraph, binding.channel, binding.function)

    async def settle(self, d: Delivery, outcome: Outcome) -> None:
        if d.settled:  # the guest completed or abandoned it itself
            action: Action = "guest"
            ok = isinstance(outcome, Handled)
            self.stats.count(handled=int(ok), failed=int(not ok))
        else:
            action = await self._settle(d, outcome)
        for listener in self.counts.listeners:
            listener(self.binding, d, outcome, action)

    @abstractmethod
    async def _settle(self, d: Delivery, outcome: Outcome) -> Action: ...


async def publish(broker: Broker, outcome: Handled) -> Failed | None:
    """Publish what a handler sent (its outbox), in order; a `Failed` when the broker
    refused one (the attempt then counts as failed: the next one sends them again)."""
    for spec, message in outcome.outbox or ():
        try:
            await broker.send(spec, message, trace=False)  # traced when it was sent
        except Exception as e:
            return Failed(reason_of(e))
    return None


class RetryThenDeadLetter(SettlePolicy):
    name = "retry_then_dead_letter"

    def __init__(
        self,
        binding: Binding,
        counts: Counts,
        broker: Broker,
        dead_letters: DeadLetters,
        target: ChannelSpec,
    ) -> None:
        super().__init__(binding, counts)
        self.broker = broker
        self.dead_letters = dead_letters
        self.target = target

    async def _settle(self, d: Delivery, outcome: Outcome) -> Action:
        b = self.binding
        if isinstance(outcome, Handled):
            failed = await publish(self.broker, outcome)
            if failed is None:
                await safely(d.ack())
                self.counts.handled += 1
                self.stats.count(handled=1)
                return "handled"
            outcome = failed  # its sends could not be published: the attempt failed
        if isinstance(outcome, Failed) and d.attempt < b.max_attempts:
            log.info(
                "%s failed on %s (attempt %d/%d): %s",
                b.function,
                b.channel,
                d.attempt,
                b.max_attempts,
                outcome.reason,
            )
            await safely(d.nack(b.backoff.delay(d.attempt)))
            self.counts.retried += 1
            self.stats.count(failed=1, retried=1)
            return "retried"
        await self.dead_letters.park(
            d, self.target, outcome.reason, channel=b.channel, handler=b.function
        )
        self.counts.dead_lettered += 1
        self.stats.count(failed=1, dead=1)
        return "dead_lettered"


class ReplyThenAck(SettlePolicy):
    name = "reply_then_ack"

    def __init__(self, binding: Binding, counts: Counts, broker: Broker) -> None:
        super().__init__(binding, counts)
        self.broker = broker

    async def _settle(self, d: Delivery, outcome: Outcome) -> Action:
        request = d.message
        if isinstance(outcome, Handled):
            outcome = await publish(self.broker, outcome) or outcome
        if isinstance(outcome, Handled):
            reply = Message.json(request.reply_to or "", outcome.result)
        else:
            reply = Message.json(request.reply_to or "", None, {ERROR: outcome.reason})
        if request.reply_to:
            await safely(self.broker.reply(request, reply))
        else:
            log.warning(
                "a message on %s for responder %s was not a request (no reply topic)",
                request.topic,
                self.binding.function,
            )
        await safely(d.ack())
        if isinstance(outcome, Handled):
            self.counts.handled += 1
            self.stats.count(handled=1)
        else:
            self.stats.count(failed=1)
        return "replied"


def policy_for(
    binding: Binding,
    counts: Counts,
    broker: Broker,
    dead_letters: DeadLetters,
    target: ChannelSpec,
) -> SettlePolicy:
    """The settle policy of `binding`'s role."""
    if binding.role == "responder":
        return ReplyThenAck(binding, counts, broker)
    return RetryThenDeadLetter(binding, counts, broker, dead_letters, target)


__all__ = [
    "Action",
    "Counts",
    "Failed",
    "Handled",
    "Outcome",
    "Rejected",
    "ReplyThenAck",
    "RetryThenDeadLetter",
    "SettlePolicy",
    "policy_for",
]
