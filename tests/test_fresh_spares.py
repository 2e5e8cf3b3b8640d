"""Fresh instances made ahead of their call (issue 11): a fresh runtime keeps `spares`
instances made and initialised by a background maker, each used for one call only; used
ones are freed by the maker after their call; nothing is left when the runtime closes,
and a maker that cannot make an instance never stops the calls."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import make_document

from typegraph import Graph, Policy, WireRuntime, model, t
from typegraph.definition import Typegraph
from typegraph.model import DEFAULT_SPARES
from wire import Host
from wire.instances import FreshInstances
from wire.runtime import GuestRuntime

Wat = Callable[[str], Path]
HostFor = Callable[..., Host]
WAIT_S = 10.0


class Made:
    """An instance as the provider sees it: which thread made and freed it, and when."""

    def __init__(self, serial: int) -> None:
        self.serial = serial
        self.made_by = threading.current_thread().name
        self.closed_by: str | None = None
        self.closes = 0
        self.broken = False
        self.overflow = False

    def close(self) -> None:
        self.closes += 1
        self.closed_by = threading.current_thread().name


class Factory:
    def __init__(self) -> None:
        self.made: list[Made] = []
        self.failing: Exception | None = None
        self._lock = threading.Lock()

    def __call__(self, due: float | None) -> Made:
        if self.failing is not None:
            raise self.failing
        with self._lock:
            inst = Made(len(self.made))
            self.made.append(inst)
        return inst


def until(check: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + WAIT_S
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"still not true after {WAIT_S} s: {what}")
        time.sleep(0.002)


def test_calls_take_spares_made_ahead_once_each_and_the_maker_frees_them() -> None:
    factory = Factory()
    fresh: FreshInstances[Made] = FreshInstances(factory, limit=None, where="tg/rt", spares=2)
    try:
        until(lambda: fresh.idle() == 2, "two spares ready")
        assert all(m.made_by.startswith("wire-spares") for m in factory.made)
        used: list[Made] = []
        for _ in range(20):
            until(lambda: fresh.idle() == 2, "the spares replaced")
            inst = fresh.acquire()
            assert inst.made_by.startswith("wire-spares"), "the call made its own instance"
            assert inst.closes == 0 and inst not in used
            used.append(inst)
            fresh.release(inst)
        until(lambda: all(m.closes == 1 for m in used), "used instances freed")
        assert {m.closed_by for m in used} == {"wire-spares tg/rt"}
        assert fresh.in_use == 0
    finally:
        fresh.close()
    # Everything made was freed exactly once: the spares and the used ones alike.
    assert [m.closes for m in factory.made] == [1] * len(factory.made)
    assert len(factory.made) == 22


def test_without_a_spare_a_call_makes_its_own_and_frees_it_itself() -> None:
    factory = Factory()
    fresh: FreshInstances[Made] = FreshInstances(factory, limit=None, where="tg/rt", spares=0)
    inst = fresh.acquire()
    assert inst.made_by == threading.current_thread().name
    fresh.release(inst)
    assert inst.closes == 1 and inst.closed_by == threading.current_thread().name
    fresh.close()


def test_a_failing_maker_leaves_calls_to_make_their_own_and_recovers() -> None:
    factory = Factory()
    factory.failing = RuntimeError("no memory for another instance")
    fresh: FreshInstances[Made] = FreshInstances(factory, limit=None, where="tg/rt", spares=1)
    try:
        with pytest.raises(RuntimeError, match="no memory"):
            fresh.acquire()  # the call reports the error itself
        assert fresh.in_use == 0
        factory.failing = None
        inst = fresh.acquire()  # made by the call while the maker backs off
        fresh.release(inst)
        until(lambda: fresh.idle() == 1, "the maker recovered")
    finally:
        fresh.close()
    assert all(m.closes == 1 for m in factory.made)


def test_closing_while_a_call_holds_an_instance_frees_it_on_release() -> None:
    factory = Factory()
    fresh: FreshInstances[Made] = FreshInstances(factory, limit=None, where="tg/rt", spares=1)
    until(lambda: fresh.idle() == 1, "a spare ready")
    inst = fresh.acquire()
    fresh.close()
    assert inst.closes == 0
    fresh.release(inst)
    assert inst.closes == 1
    assert all(m.closes == 1 for m in factory.made)


def test_fresh_runtimes_with_spares_keep_no_state_between_calls(
    wat: Wat, host_for: HostFor
) -> None:
    fns = {"count": {"output": {"kind": "integer"}}}
    for spares in (0, 1, 3):
        host = host_for(
            make_document(wat("counter"), fns, instances={"policy": "fresh", "spares": spares})
        )
        assert [host.call_sync("count", {}) for _ in range(8)] == [1] * 8
        runtime = host.runtimes["rt"]
        assert isinstance(runtime, GuestRuntime)
        policy = runtime.policy
        assert policy is not None
        until(lambda: policy.idle() == spares, f"{spares} spares ready")  # noqa: B023
        host.close()
        assert policy.idle() == 0


def test_spares_travel_from_the_dsl_through_the_document() -> None:
    def spared(graph: Graph) -> None:
        three = WireRuntime("guest", name="three", spares=3)
        default = WireRuntime("guest", name="default")
        graph.expose(
            Policy.public(),
            a=three.handler(t.struct({}), t.boolean(), name="a"),
            b=default.handler(t.struct({}), t.boolean(), name="b"),
        )

    doc = Typegraph("spared", spared).document()
    assert doc["runtimes"]["three"]["instances"] == {"policy": "fresh", "spares": 3}
    assert doc["runtimes"]["default"]["instances"] == {"policy": "fresh"}
    tg = model.read(doc)
    assert tg.runtimes["three"].instances.spares == 3
    assert tg.runtimes["default"].instances.spares == DEFAULT_SPARES == 1
