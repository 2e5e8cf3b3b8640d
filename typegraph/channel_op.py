"""Channels exposed over GraphQL: a subscription that streams a channel's messages, or a
mutation that publishes one. ``g.expose(shipped=g.subscription("orders.shipped"),
place=g.publish("orders.placed"))``; policies apply as to functions (a subscription has
effect ``read``, a publish ``create``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from .func import Effect
from .policy import PolicyLike

__all__ = ["OPERATION_EFFECTS", "ChannelOp", "Operation"]

Operation = Literal["subscribe", "publish"]
OPERATION_EFFECTS: dict[Operation, Effect] = {"subscribe": "read", "publish": "create"}


@dataclass(frozen=True, eq=False)
class ChannelOp:
    """An operation on a channel, to expose with ``g.expose(name=op)``."""

    channel: str
    operation: Operation
    policies: tuple[PolicyLike, ...] = ()
    description: str | None = None

    @property
    def effect(self) -> Effect:
        return OPERATION_EFFECTS[self.operation]

    def with_policy(self, *policies: PolicyLike) -> ChannelOp:
        """This operation with its own policy chain (instead of the one given to
        ``g.expose``)."""
        return dataclasses.replace(self, policies=self.policies + tuple(policies))

    def describe(self, text: str) -> ChannelOp:
        return dataclasses.replace(self, description=text)
