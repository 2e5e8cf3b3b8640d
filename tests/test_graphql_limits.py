"""GraphQL cost limits over real HTTP: a query over its depth, aliases, fields or tokens is
refused before anything runs (`query_too_complex`, naming the limit, the value found and
the limit), a guest's `gql` query meets the same limits, and a request past its deadline
answers `request_timeout` while its worker starts nothing more.

The math example runs under `wire serve` (a subprocess); the `limits` typegraph (the
hostcaller WAT guest, a `wait` op the test controls) runs in this process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query
from limits_support import serve_limits
from serving import MATH, Server, serve

# The request: 1800 aliases of a guest function, ~30 KB.
ALIASES_1800 = "{ " + " ".join(f"a{i}: add(a: {i}, b: 2)" for i in range(1800)) + " }"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    # Tokens raised so that the request reaches validation (the default token
    # limit alone would stop it while parsing).
    with serve(MATH, "--max-tokens", "30000", env={"WIRE_MAX_FIELDS": "2000"}) as s:
        yield s


def too_complex(body: dict[str, Any]) -> dict[str, Any]:
    """The one `query_too_complex` error of a request that ran nothing: its details."""
    assert "data" not in body, body  # refused before execution
    (err,) = body["errors"]
    assert err["extensions"]["code"] == "query_too_complex", err
    assert "too complex" in err["message"]
    details: dict[str, Any] = err["extensions"]["details"]
    return details


def test_the_1800_alias_request_is_refused_at_validation(server: Server) -> None:
    assert len(ALIASES_1800) > 30_000
    started = time.perf_counter()
    body = server.gql(ALIASES_1800, path="math")
    elapsed = time.perf_counter() - started
    assert body["_status"] == 200
    assert too_complex(body) == {"limit": "aliases", "found": 1800, "max": 50}
    assert body["errors"][0]["message"] == (
        "the query is too complex: it has 1800 aliases, over the limit of 50 "
        "(simplify it, or ask the operator to raise --max-aliases / WIRE_MAX_ALIASES)"
    )
    # It ran nothing (it took 15.6 s before); generous for a loaded 2-core machine.
    assert elapsed < 2.0, elapsed
    # within the limit, aliases run
    few = "{ " + " ".join(f"a{i}: add(a: {i}, b: 2)" for i in range(3)) + " }"
    assert server.gql(few, path="math")["data"] == {"a0": 2, "a1": 3, "a2": 4}


def test_depth_is_limited(server: Server) -> None:
    nested = "{ __schema { types { fields { type " + "{ ofType " * 16 + "{ name }" + " }" * 16
    nested += " } } } }"
    details = too_complex(server.gql(nested, path="math"))
    assert details == {"limit": "depth", "found": 21, "max": 15}


def test_fields_count_each_use_of_a_fragment(server: Server) -> None:
    # Each fragment spreads the previous one twice: 2^20 fields from a 1 KB query,
    # counted without expanding it.
    fragments = ["fragment F0 on Query { __typename }"]
    fragments += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 21)]
    query = "{ ...F20 } " + " ".join(fragments)
    body = server.gql(query, path="math")
    assert "data" not in body
    assert [e["extensions"]["details"] for e in body["errors"]] == [
        {"limit": "fields", "found": 2**20, "max": 2000},  # WIRE_MAX_FIELDS
        {"limit": "repeats", "found": 2**20, "max": 50},  # all are `__typename`
    ]


def test_repeats_of_one_field_are_limited(server: Server) -> None:
    # graphql-core compares the fields sharing a response name pairwise: 1000 copies
    # of one field took its validation 1.4 s; 51 are refused before that.
    body = server.gql("{ " + "add(a: 1, b: 2) " * 51 + "}", path="math")
    assert too_complex(body) == {"limit": "repeats", "found": 51, "max": 50}
    fragments = "fragment A on Query { add(a: 1, b: 2) } fragment B on Query { ...A ...A }"
    within = "{ ...B ...B add(a: 1, b: 2) } " + fragments  # 5 in one selection set
    assert server.gql(within, path="math") == {"data": {"add": 3}, "_status": 200}


def test_several_limits_are_reported_together(server: Server) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(2100)) + " }"
    body = server.gql(query, path="math")
    assert "data" not in body
    found = {
        e["extensions"]["details"]["limit"]: e["extensions"]["details"] for e in body["errors"]
    }
    assert found == {
        "aliases": {"limit": "aliases", "found": 2100, "max": 50},
        "fields": {"limit": "fields", "found": 2100, "max": 2000},
    }


def test_an_introspection_query_fits_the_defaults(server: Server) -> None:
    # GraphiQL's introspection query nests 13 levels; graphql-core's, asked for all, 15.
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    body = server.gql(query, path="math")
    assert "errors" not in body, body["errors"]
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


def test_limits_apply_over_get_too(server: Server) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(60)) + " }"
    r = server.client.get(f"{server.url}/math", params={"query": query})
    assert too_complex(r.json()) == {"limit": "aliases", "found": 60, "max": 50}


# -- in this process: the `limits` typegraph, its `wait` op under the test's control ------

VIA_GQL = "query($q: String!) { via_gql(query: $q) }"


async def post(
    client: httpx.AsyncClient, url: str, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    r = await client.post(url, json={"query": query, "variables": variables}, timeout=60)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


@pytest.mark.asyncio
async def test_the_default_token_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    async with serve_limits(monkeypatch) as s, httpx.AsyncClient() as client:
        body = await post(client, s.url, "{ " + "__typename " * 10_001 + "}")
        assert too_complex(body) == {"limit": "tokens", "found": 10_001, "max": 10_000}
        assert "more than 10000 tokens" in body["errors"][0]["message"]
        comments = "{ __typename }" + "\n#" * 10_001  # comments are bounded alike
        assert too_complex(await post(client, s.url, comments))["limit"] == "tokens"


@pytest.mark.asyncio
async def test_a_guest_query_meets_the_same_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    async with serve_limits(monkeypatch, max_aliases=2) as s, httpx.AsyncClient() as client:
        s.waits.gate.set()
        inner = "{ a: wait(n: 1) b: wait(n: 2) c: wait(n: 3) }"
        body = await post(client, s.url, VIA_GQL, {"q": inner})
        (err,) = body["data"]["via_gql"]["errors"]
        assert err["extensions"]["code"] == "query_too_complex"
        assert err["extensions"]["details"] == {"limit": "aliases", "found": 3, "max": 2}
        assert s.waits.calls == []  # the guest's query ran nothing
        ok = await post(client, s.url, VIA_GQL, {"q": "{ a: wait(n: 4) b: wait(n: 5) }"})
        assert ok["data"]["via_gql"] == {"data": {"a": None, "b": None}, "errors": []}
        assert s.waits.calls == [4, 5]


@pytest.mark.asyncio
@pytest.mark.parametrize("nested", [False, True], ids=["resolvers", "nested-gql"])
async def test_a_request_past_its_deadline_stops(
    monkeypatch: pytest.MonkeyPatch, nested: bool
) -> None:
    three = "{ a: wait(n: 1) b: wait(n: 2) c: wait(n: 3) }"
    async with (
        serve_limits(monkeypatch, request_timeout_s=1.0, workers=1) as s,
        httpx.AsyncClient() as client,
    ):
        # nested: a guest's query shares the deadline of the request that made it
        body = await (
            post(client, s.url, VIA_GQL, {"q": three}) if nested else post(client, s.url, three)
        )
        # answered while the first guest call still blocks its worker (the gate is shut)
        assert s.waits.calls == [1] and not s.waits.gate.is_set()
        (err,) = body["errors"]
        assert err["extensions"]["code"] == "request_timeout"
        assert "deadline of 1 s" in err["message"] and "WIRE_REQUEST_TIMEOUT_S" in err["message"]
        assert body["data"] is None
        # the call in flight ends; nothing after it starts, and the one worker is free
        s.waits.gate.set()
        assert await post(client, s.url, "{ wait(n: 9) }") == {"data": {"wait": None}}
        assert s.waits.calls == [1, 9]


@pytest.mark.asyncio
async def test_a_request_queued_past_its_deadline_never_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with (
        serve_limits(monkeypatch, request_timeout_s=1.0, workers=1) as s,
        httpx.AsyncClient() as client,
    ):
        first = asyncio.create_task(post(client, s.url, "{ wait(n: 1) }"))
        await asyncio.to_thread(s.waits.wait_calls, 1)  # it holds the only worker
        queued = await post(client, s.url, "{ wait(n: 2) }")
        assert queued["errors"][0]["extensions"]["code"] == "request_timeout"
        assert (await first)["errors"][0]["extensions"]["code"] == "request_timeout"
        s.waits.gate.set()
        assert await post(client, s.url, "{ wait(n: 3) }") == {"data": {"wait": None}}
        assert s.waits.calls == [1, 3]
