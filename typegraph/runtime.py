"""The wire runtime: WebAssembly components that implement materializers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from .func import Effect, Func
from .materializer import Materializer
from .model import (
    DEFAULT_DEADLINE_MS,
    DEFAULT_MEMORY_BYTES,
    DEFAULT_POOL_SIZE,
    DEFAULT_SPARES,
    InstancesPolicy,
)
from .policy import Policy
from .types import Ref, Struct, Type

__all__ = ["WireRuntime"]


class WireRuntime:
    """A guest component: ``component`` is a built ``.wasm`` or a guest source
    folder, relative to the typegraph file's folder.

    ``instances`` is ``"fresh"`` (a new instance per call) or ``"pooled"`` (up to
    ``pool_size`` warm instances); a fresh runtime keeps ``spares`` instances made ahead of
    their call, each still used once. ``concurrency`` bounds the calls it runs at once
    (default: the host's workers but two, and at most ``pool_size``). ``channels`` lists
    the channels its guests may use (``grants.channels``), ``http`` the HTTP hosts they may
    reach through the ``http`` hostcall op (``grants.http``: ``"api.example.com"``,
    ``"127.0.0.1:8080"``, ``"https://api.example.com"``). ``name`` defaults to the
    component's file stem.
    """

    kind: ClassVar[str] = "wire"  # the document's runtime kind

    def __init__(
        self,
        component: str,
        *,
        name: str | None = None,
        instances: InstancesPolicy = "fresh",
        pool_size: int = DEFAULT_POOL_SIZE,
        spares: int = DEFAULT_SPARES,
        deadline_ms: int = DEFAULT_DEADLINE_MS,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
        channels: Sequence[str] | None = None,
        concurrency: int | None = None,
        http: Sequence[str] | None = None,
    ) -> None:
        self.component = component
        self.name = name
        self.instances = instances
        self.pool_size = pool_size
        self.spares = spares
        self.deadline_ms = deadline_ms
        self.memory_bytes = memory_bytes
        self.concurrency = concurrency
        self.channels: tuple[str, ...] | None = None if channels is None else tuple(channels)
        self.http: tuple[str, ...] | None = None if http is None else tuple(http)

    def __repr__(self) -> str:
        return f"WireRuntime({self.component!r}, name={self.name!r})"

    def op(self, name: str, title: str | None = None, data: Any = None) -> Materializer:
        """The materializer for op ``name`` (``title`` defaults to ``name``, ``data`` to ``{}``)."""
        return Materializer(self, name, title, {} if data is None else data)

    def handler(
        self,
        inp: Struct | Ref,
        out: Type,
        *,
        name: str,
        effect: Effect = "read",
        title: str | None = None,
        data: Any = None,
    ) -> Func:
        """Shorthand for ``t.func(inp, out, self.op(name), effect=effect)``."""
        return Func(inp, out, self.op(name, title, data), effect)

    def policy(self, name: str, *, op: str | None = None, data: Any = None) -> Policy:
        """A custom policy named ``name``, decided by op ``op`` (default: ``name``)
        of this runtime, which returns ``"allow"``, ``"deny"`` or ``"pass"``."""
        return Policy("custom", name, self.op(op or name, data=data))
