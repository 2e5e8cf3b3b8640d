"""Instance slots (wire.slots): instances come from wasmtime's pooling allocator by
default. Slots are given back when an instance is freed; with every slot taken a call is
`overloaded` and says how to get more; a component too big for a slot fails to load and
says why; `WIRE_INSTANCE_SLOTS=0` allocates on demand."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import make_document

from wire import Host
from wire.engine import Engine, default_engine
from wire.errors import ComponentLoadError, Overloaded
from wire.slots import ENV, KEEP_ENV, InstanceSlots

Wat = Callable[[str], Path]
HostFor = Callable[..., Host]
ANY = {"kind": "struct", "fields": {}, "additionalProperties": True}
ECHO = {"e": {"op": "echo", "input": {"n": {"kind": "integer"}}, "output": ANY}}
FRESH = {"policy": "fresh", "spares": 0}


@pytest.fixture
def engine_of() -> Iterator[Callable[[InstanceSlots | None], Engine]]:
    made: list[Engine] = []

    def make(slots: InstanceSlots | None) -> Engine:
        made.append(Engine(slots=slots))
        return made[-1]

    yield make
    for e in made:
        e.close()


def test_the_environment_sets_the_slots(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.delenv(KEEP_ENV, raising=False)
    assert InstanceSlots.from_env() == InstanceSlots()
    monkeypatch.setenv(ENV, "12")
    assert InstanceSlots.from_env() == InstanceSlots(instances=12)
    monkeypatch.setenv(KEEP_ENV, "0")
    assert InstanceSlots.from_env() == InstanceSlots(instances=12, keep_bytes=0)
    monkeypatch.setenv(ENV, "0")
    assert InstanceSlots.from_env() is None
    for name in (ENV, KEEP_ENV):
        for bad in ("many", "-3"):
            monkeypatch.setenv(name, bad)
            with pytest.raises(ValueError, match=name):
                InstanceSlots.from_env()
            monkeypatch.setenv(name, "1")


def test_the_host_engine_uses_slots_unless_told_not_to() -> None:
    assert default_engine().slots == InstanceSlots.from_env()
    code = "from wire.engine import default_engine; print(default_engine().slots)"
    for value, expected in (("0", "None"), ("7", "instances=7")):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, ENV: value},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert expected in out


@pytest.mark.parametrize("slots", [InstanceSlots(instances=2), None], ids=["pool", "on-demand"])
def test_freed_instances_give_their_slot_back(
    wat: Wat, host_for: HostFor, engine_of: Callable[..., Engine], slots: InstanceSlots | None
) -> None:
    host = host_for(make_document(wat("echo"), ECHO, instances=FRESH), engine=engine_of(slots))
    for i in range(50):  # 50 fresh instances through 2 slots
        assert host.call_sync("e", {"n": i}) == {"n": i}


def test_every_slot_taken_is_overloaded_until_one_is_freed(
    wat: Wat, host_for: HostFor, engine_of: Callable[..., Engine]
) -> None:
    engine = engine_of(InstanceSlots(instances=1))

    def holder(name: str) -> Host:  # a pooled runtime: its instance keeps the slot
        host = host_for(
            make_document(wat("echo"), ECHO, name=name, instances={"policy": "pooled"}),
            engine=engine,
        )
        assert host.call_sync("e", {"n": 1}) == {"n": 1}
        return host

    def overloaded(host: Host) -> None:
        with pytest.raises(Overloaded) as e:
            host.call_sync("e", {"n": 2})
        assert "every instance slot is taken" in str(e.value)
        assert ENV in str(e.value) and "late/rt" in str(e.value)

    fresh = host_for(make_document(wat("echo"), ECHO, name="late", instances=FRESH), engine=engine)
    held = holder("held")
    overloaded(fresh)  # while it starts (its first instance)
    assert held.call_sync("e", {"n": 3}) == {"n": 3}  # the holder carries on
    held.close()  # frees its instance, and so the slot
    assert fresh.call_sync("e", {"n": 4}) == {"n": 4}  # started now: not failed for good
    held = holder("held_again")
    overloaded(fresh)  # in a call
    held.close()
    assert fresh.call_sync("e", {"n": 5}) == {"n": 5}


def test_a_component_too_big_for_a_slot_fails_to_load_and_says_why(
    wat: Wat, host_for: HostFor, engine_of: Callable[..., Engine]
) -> None:
    # The echo guest's memory starts at one 64 KiB page.
    engine = engine_of(InstanceSlots(instances=4, memory_bytes=32 * 1024))
    with pytest.raises(ComponentLoadError) as e:
        host = host_for(make_document(wat("echo"), ECHO, instances=FRESH), engine=engine)
        host.call_sync("e", {"n": 0})
    message = str(e.value)
    assert "does not fit an instance slot" in message and "minimum byte size" in message
    assert f"{ENV}=0" in message and ".wasm" in message  # which component
