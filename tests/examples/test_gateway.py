"""The gateway example, tested with the testing kit (`wire.testing`): its GraphQL API in
process, policies as different callers, and guests calling back through `gql`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wire.graphql import AuthContext
from wire.testing import TestApp

GATEWAY = Path(__file__).resolve().parents[2] / "examples" / "gateway" / "typegraph.py"
ADMIN = AuthContext(provider="basic", user="admin")
pytestmark = pytest.mark.asyncio


def code(response: dict[str, Any]) -> str:
    return str(response["errors"][0]["extensions"]["code"])


async def test_unions_and_oneof_inputs(wire_app: Any) -> None:
    app: TestApp = await wire_app(GATEWAY)
    shapes = await app.graphql(
        "{ figures { __typename ... on Circle { radius } ... on Square { side } } }"
    )
    assert shapes == {
        "data": {
            "figures": [
                {"__typename": "Circle", "radius": 1.0},
                {"__typename": "Square", "side": 2.0},
            ]
        }
    }
    assert await app.graphql("{ area(figure: {Square: {side: 3}}) }") == {"data": {"area": 9.0}}


async def test_policies_decide_per_caller(wire_app: Any) -> None:
    app: TestApp = await wire_app(GATEWAY)
    assert code(await app.graphql("{ stats }")) == "policy_denied"  # anonymous: no decision
    assert await app.graphql("{ stats }", auth=ADMIN) == {"data": {"stats": 42}}
    assert code(await app.graphql("{ forbidden }", auth=ADMIN)) == "policy_denied"
    assert code(await app.graphql('mutation { save_note(text: "hi") }')) == "policy_denied"
    saved = await app.graphql('mutation { save_note(text: "hi") }', auth=ADMIN)
    assert saved == {"data": {"save_note": "saved: hi"}}


async def test_guests_reach_internal_functions_through_gql(wire_app: Any) -> None:
    app: TestApp = await wire_app(GATEWAY)
    assert code(await app.graphql("{ secret }")) == "policy_denied"  # internal only
    revealed = await app.graphql("{ reveal }")
    assert revealed == {"data": {"reveal": "revealed: the eagle has landed"}}
    chained = await app.graphql("{ chain(depth: 3) add_many(n: 3) }")
    assert chained == {"data": {"chain": 3, "add_many": [1000, 1001, 1002]}}


async def test_a_direct_call_is_the_operators_and_skips_policies(wire_app: Any) -> None:
    app: TestApp = await wire_app(GATEWAY)
    assert await app.call("stats") == 42  # as `wire call --trusted`
    assert await app.call("range", {"a": 1, "b": 3}) == [1, 2, 3]
