"""The `limits` typegraph served in this process (tests/limits_typegraph.py): its `wait`
op under the test's control, and its embedded broker within reach."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql_ws import Here, serve_here
from guests import build_wat_guest
from messaging import fresh

from wire.http import ServerConfig, load_all
from wire.http.typegraphs import Version
from wire.messaging.memory import MemoryBroker

LIMITS = Path(__file__).resolve().parent / "limits_typegraph.py"


@dataclass
class Waits:
    """The `wait` op: records each call's `n`, and blocks while `gate` is not set."""

    gate: threading.Event = field(default_factory=threading.Event)
    calls: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    def op(self, _ctx: Any, args: dict[str, Any]) -> None:
        with self.lock:
            self.calls.append(args["n"])
            self.changed.notify_all()
        assert self.gate.wait(60), "the test never opened the gate"

    def wait_calls(self, n: int, timeout: float = 30) -> list[int]:
        with self.lock:
            assert self.changed.wait_for(lambda: len(self.calls) >= n, timeout), self.calls
            return list(self.calls)


@dataclass
class Served:
    here: Here
    version: Version
    waits: Waits
    channel: str

    @property
    def url(self) -> str:
        return f"{self.here.url}/limits"

    @property
    def broker(self) -> MemoryBroker:
        broker = self.here.typegraphs.brokers.make()
        assert isinstance(broker, MemoryBroker)
        return broker

    def listeners(self) -> int:
        """The embedded broker's fan-out listeners on the ticks channel."""
        return len(self.broker.fanout.get(self.channel, ()))


@asynccontextmanager
async def serve_limits(monkeypatch: Any, **config: Any) -> AsyncIterator[Served]:
    """Serve the `limits` typegraph with `ServerConfig(**config)` until the block ends."""
    prefix = fresh("lim")
    monkeypatch.setenv("WIRE_TEST_PREFIX", prefix)
    monkeypatch.setenv("WIRE_TEST_GUEST", str(build_wat_guest("hostcaller")))
    cfg = ServerConfig(**config)
    typegraphs = load_all([LIMITS], cfg)
    version = typegraphs.slots["limits"].current
    assert version is not None
    waits = Waits()
    version.gateway.host.hostcalls.register(
        "wait", waits.op, args_schema={"type": "object"}, result_schema={"type": "null"}
    )
    try:
        async with serve_here(typegraphs, cfg) as here:
            yield Served(here, version, waits, f"{prefix}.ticks")
    finally:
        waits.gate.set()  # never leave a worker blocked
