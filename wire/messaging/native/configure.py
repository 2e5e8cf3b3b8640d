"""The subscriptions a first-draft wasi:messaging guest asks for: the channels its
`configure` returns (at start) or gives `update-guest-configuration` (while it runs), each
checked against its runtime's grants, become bindings of its handler function."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bindings import Binding
from ..errors import PermissionDenied
from .call import Call, OpError

if TYPE_CHECKING:
    from ..service import MessagingService


def bindings_for(
    svc: MessagingService, runtime: str, function: str, channels: list[str]
) -> list[Binding]:
    """Bindings of `function` to `channels` that are not bound yet; a channel the typegraph
    does not declare, or does not grant `runtime`, is `PermissionDenied` (nothing is bound).
    A channel's delivery options are those `g.on` gave `function` on it, else the defaults."""
    tg = svc.host.typegraph
    granted = tg.runtimes[runtime].channels
    where = f"{tg.name}/{runtime}"
    for ch in channels:
        if ch not in tg.channels:
            raise PermissionDenied(
                f"the guest subscribes to {ch!r}, which is not a channel of typegraph "
                f"{tg.name!r}: declare it with g.channel({ch!r}, ...) and grant it",
                where=where,
            )
        if ch not in granted:
            raise PermissionDenied(
                f"the guest subscribes to {ch!r}, which runtime {runtime!r} is not granted "
                f"(granted: {', '.join(sorted(granted)) or 'none'}); add it to "
                "MessagingComponent(..., channels=[...])",
                where=where,
            )
    bound = {(b.function, b.channel) for b in svc.bindings}
    out: list[Binding] = []
    for ch in dict.fromkeys(channels):  # in order, once each
        if (function, ch) not in bound:
            out.append(Binding(ch, function, "handler", tg.channels[ch].delivery(function)))
    return out


def subscribe_more(call: Call, channels: list[str]) -> None:
    """`update-guest-configuration`: subscribe the handler being run to `channels` too.
    Channels it leaves out stay subscribed (until the service stops)."""
    svc, ctx = call.svc, call.ctx
    if ctx.function is None:
        raise OpError("other", "no handler function is running")
    try:
        new = bindings_for(svc, ctx.runtime, ctx.function, channels)
    except PermissionDenied as e:
        raise OpError("permission-denied", str(e)) from None
    for b in new:
        call.run(svc.bind(b))
