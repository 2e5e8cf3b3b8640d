"""Hosts on the `flow` typegraph, with a `record` hostcall op the test controls."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guests import build_wat_guest

import typegraph
from wire import Host, HostcallRegistry, WireError, default_registry

FLOW = Path(__file__).resolve().parent / "flow.py"


def flow_env(prefix: str, **extra: str) -> dict[str, str]:
    return {
        "WIRE_TEST_PREFIX": prefix,
        "WIRE_TEST_GUEST": str(build_wat_guest("hostcaller")),
        "WIRE_TEST_ECHO": str(build_wat_guest("echo")),
        **extra,
    }


def flow_document(prefix: str) -> dict[str, Any]:
    saved = dict(os.environ)
    os.environ.update(flow_env(prefix))
    try:
        return typegraph.load(FLOW)
    finally:
        os.environ.clear()
        os.environ.update(saved)


@dataclass
class Recorder:
    """The `record` op: counts calls per event `n`, fails the first `fail` of them, and
    tracks how many run at once."""

    calls: dict[int, int] = field(default_factory=dict)
    done: list[int] = field(default_factory=list)
    running: int = 0
    max_running: int = 0
    gate: threading.Event | None = None  # when set by the test, calls wait on it
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    def op(self, _ctx: Any, args: dict[str, Any]) -> None:
        n, fail = args["n"], args["fail"]
        with self.lock:
            self.calls[n] = self.calls.get(n, 0) + 1
            attempt = self.calls[n]
            self.running += 1
            self.max_running = max(self.max_running, self.running)
            self.changed.notify_all()
        try:
            if self.gate is not None:
                self.gate.wait(30)
            if attempt <= fail:
                raise WireError(f"event {n} fails on attempt {attempt}", where="record")
            with self.lock:
                self.done.append(n)
        finally:
            with self.lock:
                self.running -= 1
                self.changed.notify_all()

    def wait(self, pred: Callable[[Recorder], bool], timeout: float = 20) -> None:
        with self.lock:
            assert self.changed.wait_for(lambda: pred(self), timeout), f"timed out: {self}"


def flow_host(prefix: str, recorder: Recorder) -> Host:
    reg: HostcallRegistry = default_registry()
    reg.register(
        "record", recorder.op, args_schema={"type": "object"}, result_schema={"type": "null"}
    )
    return Host(flow_document(prefix), FLOW.parent, hostcalls=reg)
