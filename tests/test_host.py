"""The host end to end on WAT guests: validation, error mapping, traps, limits, pools."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import make_document

from wire import (
    DeadlineExceeded,
    GuestInitError,
    GuestInJsonError,
    GuestTrap,
    HandlerError,
    Host,
    InputInvalid,
    NoHandler,
    OutputInvalid,
    UnknownFunction,
    default_registry,
)

ANY_OBJECT: dict[str, Any] = {"kind": "struct", "fields": {}, "additionalProperties": True}
HostFor = Callable[..., Host]
Wat = Callable[[str], Path]


def test_echo_round_trip_and_input_validation(wat: Wat, host_for: HostFor) -> None:
    doc = make_document(
        wat("echo"),
        {
            "echo": {
                "input": {
                    "n": {"kind": "integer", "minimum": 0, "maximum": 10},
                    "tag": {"kind": "optional", "item": {"kind": "string", "pattern": "^[a-z]+$"}},
                },
                "output": ANY_OBJECT,
            }
        },
    )
    host = host_for(doc)
    assert host.call_sync("echo", {"n": 3, "tag": "abc"}) == {"n": 3, "tag": "abc"}
    with pytest.raises(InputInvalid) as err:
        host.call_sync("echo", {"n": 11, "tag": "ABC", "extra": 1})
    msg = str(err.value)
    assert msg.startswith("tg.echo: invalid arguments")
    assert "at /n" in msg and "at /tag" in msg and "extra" in msg
    assert {d["path"] for d in err.value.details} >= {"n", "tag"}
    with pytest.raises(UnknownFunction, match=r"no function 'nope'.*functions: echo"):
        host.call_sync("nope", {})


def test_invalid_input_never_reaches_the_guest(wat: Wat, host_for: HostFor) -> None:
    doc = make_document(
        wat("counter"),
        {"count": {"input": {"n": {"kind": "integer"}}, "output": {"kind": "integer"}}},
        instances={"policy": "pooled", "size": 1},
    )
    host = host_for(doc)
    with pytest.raises(InputInvalid):
        host.call_sync("count", {"n": "not a number"})
    assert host.call_sync("count", {"n": 1}) == 1  # the bad call did not count


def test_pooled_instance_keeps_state_fresh_does_not(wat: Wat, host_for: HostFor) -> None:
    fns = {"count": {"output": {"kind": "integer"}}}
    pooled = host_for(make_document(wat("counter"), fns, instances={"policy": "pooled", "size": 1}))
    fresh = host_for(make_document(wat("counter"), fns))
    assert [pooled.call_sync("count", {}) for _ in range(3)] == [1, 2, 3]
    assert [fresh.call_sync("count", {}) for _ in range(3)] == [1, 1, 1]


@pytest.mark.parametrize(
    ("guest", "expected"),
    [("wrongshape", "does not match the output type"), ("notjson", "not JSON")],
)
def test_bad_guest_result_is_an_error(
    wat: Wat, host_for: HostFor, guest: str, expected: str
) -> None:
    doc = make_document(
        wat(guest),
        {"f": {"output": {"kind": "struct", "fields": {"ok": {"kind": "boolean"}}}}},
    )
    with pytest.raises(OutputInvalid, match=expected):
        host_for(doc).call_sync("f", {})


@pytest.mark.parametrize(
    ("op", "error", "message"),
    [
        ("nothing", NoHandler, "materializer doesn't implement handler for op nothing"),
        ("json", GuestInJsonError, "failed deserializing json args for op json: bad json at 1:1"),
        ("other", HandlerError, "materializer handler error for op other: boom"),
    ],
)
def test_handle_errors_map_to_wire_errors(
    wat: Wat, host_for: HostFor, op: str, error: type[Exception], message: str
) -> None:
    host = host_for(make_document(wat("errors"), {"f": {"op": op, "output": ANY_OBJECT}}))
    with pytest.raises(error, match=message) as err:
        host.call_sync("f", {})
    assert str(err.value).startswith("tg/rt: ")


@pytest.mark.parametrize("policy", ["fresh", "pooled"])
def test_trap_discards_the_instance(wat: Wat, host_for: HostFor, policy: str) -> None:
    host = host_for(
        make_document(wat("trap"), {"f": {"output": ANY_OBJECT}}, instances={"policy": policy})
    )
    for _ in range(2):  # the second call gets a new instance, not the poisoned one
        with pytest.raises(GuestTrap, match="unreachable") as err:
            host.call_sync("f", {})
        assert "cannot enter component" not in str(err.value)
    rt = host.runtimes["rt"]
    if policy == "pooled":
        assert rt.policy is not None and rt.policy.idle() == 0  # type: ignore[attr-defined]


def test_deadline_stops_an_endless_guest(wat: Wat, host_for: HostFor) -> None:
    doc = make_document(wat("loop"), {"spin": {"output": ANY_OBJECT}}, limits={"deadline_ms": 200})
    host = host_for(doc)
    start = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="deadline of 200 ms"):
        host.call_sync("spin", {})
    assert time.monotonic() - start < 5
    echo = host_for(make_document(wat("echo"), {"e": {"output": ANY_OBJECT}}))
    assert echo.call_sync("e", {}) == {}  # the host carries on


def test_memory_cap_stops_unbounded_growth(wat: Wat, host_for: HostFor) -> None:
    doc = make_document(
        wat("grow"), {"grow": {"output": ANY_OBJECT}}, limits={"memory_bytes": 8 * 2**20}
    )
    with pytest.raises(GuestTrap, match="trapped"):
        host_for(doc).call_sync("grow", {})


def test_init_failure_marks_the_runtime_failed(wat: Wat, host_for: HostFor) -> None:
    host = host_for(make_document(wat("initfail"), {"f": {"output": ANY_OBJECT}}))
    errors = host.start()
    assert isinstance(errors["rt"], GuestInitError)
    assert "does not implement op 'f'" in str(errors["rt"])
    with pytest.raises(GuestInitError):  # every later call reports the same failure
        host.call_sync("f", {})


def test_init_failure_variants(wat: Wat, host_for: HostFor) -> None:
    two = host_for(make_document(wat("initfail"), {"f": {}, "g": {}}))
    assert "init exploded" in str(two.start()["rt"])


def test_component_without_mat_wire_is_a_clear_load_error(wat: Wat, host_for: HostFor) -> None:
    host = host_for(make_document(wat("badworld"), {"f": {}}))
    err = host.start()["rt"]
    assert err is not None and "does not export 'metatype:wit-wire/mat-wire'" in str(err)


def test_missing_component_is_a_clear_load_error(host_for: HostFor, tmp_path: Path) -> None:
    host = host_for(make_document(tmp_path / "missing.wasm", {"f": {}}))
    err = host.start()["rt"]
    assert err is not None and "component not found" in str(err)
    assert str(tmp_path / "missing.wasm") in str(err)


def test_guest_log_goes_to_the_host_logger(
    wat: Wat, host_for: HostFor, caplog: pytest.LogCaptureFixture
) -> None:
    doc = make_document(
        wat("hostcaller"),
        {
            "log": {
                "input": {"level": {"kind": "string"}, "message": {"kind": "string"}},
                "output": {"kind": "optional", "item": {"kind": "boolean"}},
            }
        },
    )
    with caplog.at_level(logging.DEBUG, logger="wire.guest"):
        assert host_for(doc).call_sync("log", {"level": "warning", "message": "hi"}) is None
    rec = [r for r in caplog.records if r.name == "wire.guest.tg.rt"]
    assert [(r.levelno, r.getMessage()) for r in rec] == [(logging.WARNING, "hi")]


def test_hostcall_errors_unknown_op_and_bad_args(wat: Wat, host_for: HostFor) -> None:
    doc = make_document(
        wat("hostcaller"),
        {
            "nope": {"output": ANY_OBJECT},
            "log": {"input": {"level": {"kind": "string"}}, "output": ANY_OBJECT},
        },
    )
    host = host_for(doc)
    with pytest.raises(HandlerError, match='"code":"op_404"'):
        host.call_sync("nope", {})
    with pytest.raises(HandlerError, match=r'"code":"invalid_args".*message'):
        host.call_sync("log", {"level": "loud"})


def test_user_registered_hostcall_op(wat: Wat, host_for: HostFor) -> None:
    reg = default_registry()
    seen: list[Any] = []

    def double(ctx: Any, args: dict[str, int]) -> dict[str, int]:
        seen.append((ctx.typegraph, ctx.runtime, ctx.function))
        return {"value": args["value"] * 2}

    obj = {"kind": "struct", "fields": {"value": {"kind": "integer"}}}
    reg.register("double", double, args_schema=obj_schema(), result_schema=obj_schema())
    doc = make_document(wat("hostcaller"), {"double": {"input": obj["fields"], "output": obj}})
    assert host_for(doc, hostcalls=reg).call_sync("double", {"value": 21}) == {"value": 42}
    assert seen == [("tg", "rt", "double")]


def obj_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"value": {"type": "integer"}},
        "required": ["value"],
        "additionalProperties": False,
    }


def test_async_call_runs_the_guest_on_a_worker_thread(wat: Wat, host_for: HostFor) -> None:
    reg = default_registry()
    threads: list[str] = []

    def whoami(_ctx: Any, _args: Any) -> str:
        threads.append(threading.current_thread().name)
        return threading.current_thread().name

    reg.register("whoami", whoami, args_schema={}, result_schema={"type": "string"})
    doc = make_document(
        wat("hostcaller"),
        {"whoami": {"output": {"kind": "string"}}},
        instances={"policy": "pooled", "size": 2},
    )
    host = host_for(doc, hostcalls=reg, max_workers=2)

    async def main() -> list[Any]:
        return await asyncio.gather(*(host.call("whoami", {}) for _ in range(20)))

    results = asyncio.run(main())
    assert len(results) == 20
    assert all(name.startswith("wire-guest") for name in threads)
    assert threading.main_thread().name not in threads


def nesting_host(wat: Wat, host_for: HostFor, policy: dict[str, Any]) -> Host:
    """`nest(depth)` calls itself through a hostcall until depth reaches 0."""
    reg = default_registry()
    holder: list[Host] = []

    def nest(_ctx: Any, args: dict[str, int]) -> int:
        if args["depth"] == 0:
            return 0
        return 1 + int(holder[0].call_sync("nest", {"depth": args["depth"] - 1}))

    reg.register(
        "nest",
        nest,
        args_schema={"type": "object", "properties": {"depth": {"type": "integer"}}},
        result_schema={"type": "integer"},
    )
    doc = make_document(
        wat("hostcaller"),
        {"nest": {"input": {"depth": {"kind": "integer"}}, "output": {"kind": "integer"}}},
        instances=policy,
    )
    holder.append(host_for(doc, hostcalls=reg, max_workers=1))
    return holder[0]


@pytest.mark.parametrize("policy", [{"policy": "pooled", "size": 1}, {"policy": "fresh"}])
def test_nested_calls_do_not_deadlock(wat: Wat, host_for: HostFor, policy: dict[str, Any]) -> None:
    host = nesting_host(wat, host_for, policy)
    assert host.call_sync("nest", {"depth": 5}) == 5

    async def main() -> Any:
        return await asyncio.wait_for(host.call("nest", {"depth": 5}), timeout=30)

    assert asyncio.run(main()) == 5  # on a worker pool of one thread
    rt = host.runtimes["rt"]
    if policy["policy"] == "pooled":
        assert rt.policy is not None and rt.policy.idle() == 1  # overflow instances not kept


def test_runaway_recursion_is_stopped(wat: Wat, host_for: HostFor) -> None:
    host = nesting_host(wat, host_for, {"policy": "pooled", "size": 1})
    with pytest.raises(HandlerError, match=r"recursion_limit.*nested deeper than 16"):
        host.call_sync("nest", {"depth": 100})
    assert host.call_sync("nest", {"depth": 2}) == 2  # and the host carries on


def test_call_path_is_chosen_per_component(wat: Wat) -> None:
    fns = {"e": {"output": ANY_OBJECT}}
    with Host(make_document(wat("echo"), fns), Path(".")) as fast:
        fast.call_sync("e", {})
        assert fast.runtimes["rt"].call_path is not None
        assert fast.runtimes["rt"].call_path.name == "fast"
    with Host(make_document(wat("echo"), fns), Path("."), fast_path=False) as generic:
        generic.call_sync("e", {})
        assert generic.runtimes["rt"].call_path is not None
        assert generic.runtimes["rt"].call_path.name == "generic"


def test_input_errors_inside_optional_fields_name_the_real_problem(
    wat: Wat, host_for: HostFor
) -> None:
    point = {"kind": "struct", "fields": {"x": {"kind": "integer", "maximum": 3}}}
    doc = make_document(
        wat("echo"),
        {"e": {"input": {"p": {"kind": "optional", "item": {"kind": "ref", "name": "P"}}}}},
    )
    doc["types"]["P"] = {**point, "additionalProperties": False}
    with pytest.raises(InputInvalid) as err:
        host_for(doc).call_sync("e", {"p": {"x": 5}})
    assert err.value.details == [{"path": "p/x", "message": "5 is greater than the maximum of 3"}]
