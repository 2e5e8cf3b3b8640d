"""The math example, tested with the testing kit (`wire.testing`): calls, errors, logs,
instance policies, a guest's `gql` and a replaced hostcall op."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wire import HandlerError, InputInvalid
from wire.testing import TestApp

MATH = Path(__file__).resolve().parents[2] / "examples" / "math" / "typegraph.py"
pytestmark = pytest.mark.asyncio


async def test_add_and_its_checked_arguments(wire_app: Any) -> None:
    app: TestApp = await wire_app(MATH)
    assert await app.call("add", {"a": 11, "b": 2}) == 13
    with pytest.raises(InputInvalid, match="invalid arguments"):
        await app.call("add", {"a": "eleven", "b": 2})  # never reaches the guest


async def test_a_guest_error_is_a_handler_error(wire_app: Any) -> None:
    app: TestApp = await wire_app(MATH)
    with pytest.raises(HandlerError, match="invalid range: 4 > 1"):
        await app.call("range", {"a": 4, "b": 1})
    with pytest.raises(HandlerError, match="no luck"):
        await app.call("fail", {"message": "no luck"})


async def test_greet_logs_through_ctx_log(wire_app: Any) -> None:
    app: TestApp = await wire_app(MATH)
    assert await app.call("greet", {"name": "Ada"}) == "hello Ada"
    assert ("guest", "info", "greeting Ada") in [(g.runtime, g.level, g.message) for g in app.logs]


async def test_fresh_instances_forget_pooled_ones_remember(wire_app: Any) -> None:
    app: TestApp = await wire_app(MATH)
    assert [await app.call("count") for _ in range(3)] == [1, 1, 1]
    assert [await app.call("count_pooled") for _ in range(3)] == [1, 2, 3]


async def test_double_calls_add_through_graphql(wire_app: Any) -> None:
    app: TestApp = await wire_app(MATH)
    assert await app.call("double", {"a": 21}) == 42
    assert await app.graphql("{ double(a: 5) }") == {"data": {"double": 10}}


async def test_a_replaced_call_op_answers_for_the_function(wire_app: Any) -> None:
    calls: list[dict[str, Any]] = []

    def fake_call(_ctx: Any, args: dict[str, Any]) -> int:
        calls.append(args)
        return 1000

    app: TestApp = await wire_app(MATH, ops={"call": fake_call})
    assert await app.call("double", {"a": 1}) == 1000  # `double` calls `add` with ctx.fn
    assert calls == [{"function": "add", "args": {"a": 1, "b": 1}}]


async def test_graphql_in_process_keeps_the_int_limit(wire_app: Any) -> None:
    app: TestApp = await wire_app(MATH)
    assert await app.graphql("{ add(a: 1, b: 2) }") == {"data": {"add": 3}}
    wide = await app.graphql("{ add(a: 2000000000, b: 2000000000) }")
    assert wide["errors"][0]["extensions"]["code"] == "graphql_error"  # Int is 32-bit
    assert await app.call("add", {"a": 2000000000, "b": 2000000000}) == 4000000000
