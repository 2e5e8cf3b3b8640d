"""Taking messages off a broker in a test: each one acked as it comes, and a failure that
says how many came (or which are missing) when the rest do not."""

from __future__ import annotations

from typing import Any

from wire.messaging import Broker, ChannelSpec, Message, Subscription


async def take(sub: Subscription, n: int, timeout: float = 10.0) -> list[Message]:
    """The next `n` messages of `sub`, each acked; fails when one does not come within
    `timeout` seconds."""
    got: list[Message] = []
    for _ in range(n):
        d = await sub.receive(timeout)
        assert d is not None, f"{len(got)} of {n} messages came on {sub.channel.name}"
        await d.ack()
        got.append(d.message)
    return got


async def take_all(sub: Subscription, quiet: float = 1.0) -> list[Message]:
    """Every message of `sub`, each acked, until none comes for `quiet` seconds."""
    got: list[Message] = []
    while (d := await sub.receive(quiet)) is not None:
        await d.ack()
        got.append(d.message)
    return got


async def take_until(sub: Subscription, want: set[int], timeout: float = 60.0) -> list[int]:
    """The `n` of each message of `sub` (each acked), duplicates too, until every `n` of
    `want` came; fails naming those missing when none comes within `timeout` seconds."""
    seen: list[int] = []
    while not want <= set(seen):
        d = await sub.receive(timeout)
        assert d is not None, (
            f"missing on {sub.channel.name} after {timeout:g} s: {sorted(want - set(seen))}"
        )
        payload: Any = d.message.payload()
        seen.append(payload["n"])
        await d.ack()
    return seen


async def take_from(
    broker: Broker, spec: ChannelSpec, n: int, *, group: str | None = None, timeout: float = 30.0
) -> list[Message]:
    """`n` messages of channel `spec` as consumer group `group` sees them (default: the
    queue's own group), on a subscription made for them and closed after."""
    sub = await broker.subscribe(spec, group or spec.queue_group)
    try:
        return await take(sub, n, timeout)
    finally:
        await sub.close()
