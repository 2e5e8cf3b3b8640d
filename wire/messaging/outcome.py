"""What came of handling one delivery, as the settle policies see it, and `safely`, how a
settle step runs."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from ..errors import WireError
from .message import ChannelSpec, Message, cut

log = logging.getLogger("wire.messaging")


@dataclass(frozen=True, slots=True)
class Handled:
    """The function returned `result`; `outbox`: what it sent, published before the ack."""

    result: Any
    outbox: list[tuple[ChannelSpec, Message]] | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """The message can never be handled (not JSON, or not of its channel's type)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Failed:
    """This attempt failed (the guest's error, a trap, a deadline): another may succeed."""

    reason: str


Outcome = Handled | Rejected | Failed


def reason_of(e: BaseException) -> str:
    """`e` as a bounded one-line reason (dead-letter metadata, replies, logs): metadata
    values travel as headers, one line each."""
    text = f"[{e.code}] {e}" if isinstance(e, WireError) else f"{type(e).__name__}: {e}"
    return cut(" | ".join(line.strip() for line in text.splitlines() if line.strip()))


async def safely(step: Coroutine[Any, Any, None]) -> None:
    """Run a settle step (ack, nack, reply); a failure is logged: a lost ack means a
    redelivery, never a lost message."""
    try:
        await step
    except Exception as e:
        log.warning("messaging: %s: %s", type(e).__name__, e)
