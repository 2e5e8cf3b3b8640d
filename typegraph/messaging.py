"""Components written for a messaging world, run unchanged: `wasi:messaging` or
`wasmcloud:messaging` handlers bound to channels with ``g.on``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from .errors import TypegraphError
from .func import Func
from .model import (
    DEFAULT_DEADLINE_MS,
    DEFAULT_MEMORY_BYTES,
    DEFAULT_POOL_SIZE,
    DEFAULT_SPARES,
    InstancesPolicy,
)
from .policy import Policy
from .runtime import WireRuntime
from .types import Optional, Ref, Struct, Type

__all__ = ["CHANNEL_MESSAGE", "WORLDS", "MessagingComponent", "MessagingWorld"]

MessagingWorld = Literal["wasi:messaging", "wasmcloud:messaging"]
# The world names of the document, by the short names the DSL takes.
WORLDS: dict[str, str] = {
    "wasi:messaging": "wasi:messaging@0.2.0-draft",
    "wasmcloud:messaging": "wasmcloud:messaging@0.2.0",
}

#: Stands for "the message type of the channel ``g.on`` binds the handler to".
CHANNEL_MESSAGE = Struct(additional_properties=True, description="the channel's message")
_NOTHING: Type = Optional(item=Struct(additional_properties=True))


class MessagingComponent(WireRuntime):
    """A component built for ``world`` (it exports the world's handler and imports its
    producer / consumer interfaces). Bind its handler to channels with
    ``g.on(channel, rt.handler())``: each message reaches the guest as is. ``channels``
    lists the channels the guest may send or request on (``grants.channels``). Instances
    and limits are as for `WireRuntime`."""

    kind = "messaging"

    def __init__(
        self,
        component: str,
        *,
        world: MessagingWorld,
        name: str | None = None,
        channels: Sequence[str] | None = None,
        instances: InstancesPolicy = "fresh",
        pool_size: int = DEFAULT_POOL_SIZE,
        spares: int = DEFAULT_SPARES,
        deadline_ms: int = DEFAULT_DEADLINE_MS,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
    ) -> None:
        super().__init__(
            component,
            name=name,
            instances=instances,
            pool_size=pool_size,
            spares=spares,
            deadline_ms=deadline_ms,
            memory_bytes=memory_bytes,
            channels=channels,
        )
        full = WORLDS.get(world) or (world if world in WORLDS.values() else None)
        if full is None:
            raise TypegraphError(
                f"unknown messaging world {world!r}: use one of {', '.join(WORLDS)}",
                ["runtimes", name or component, "world"],
            )
        self.world = full

    def __repr__(self) -> str:
        return f"MessagingComponent({self.component!r}, world={self.world!r}, name={self.name!r})"

    def handler(  # type: ignore[override]
        self, message: Struct | Ref | None = None, *, name: str = "handle"
    ) -> Func:
        """The guest's handler, for ``g.on(channel, ...)``; its input is ``message``, by
        default the message type of the channel it is bound to. It cannot be exposed."""
        return Func(message or CHANNEL_MESSAGE, _NOTHING, self.op(name), "read")

    def policy(self, name: str, *, op: str | None = None, data: Any = None) -> Policy:
        raise TypegraphError(
            f"a {self.world} component cannot decide policies: use a WireRuntime",
            ["policies", name],
        )
