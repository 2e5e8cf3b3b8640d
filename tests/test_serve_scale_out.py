"""Scale-out: two real `wire serve` processes on one durable queue channel of a real
broker. N jobs are published through both servers' publish mutation; the handlers of the
two processes compete for them, and each handled job sends its `n` to another channel,
which a GraphQL subscription on one server streams: every n is seen exactly once (each
job handled once per successful ack, none lost), and both processes did some of it."""

from __future__ import annotations

import re

import pytest
from graphql_ws import GqlWs
from messaging import fresh, require
from messaging.support import FLOW, flow_env
from serving import Server, serve

pytestmark = pytest.mark.asyncio
JOB = "mutation($c: String!, $n: Int!) { jobs(channel: $c, payload: {n: $n}) }"


def handled(server: Server) -> int:
    """What the server said it handled when it stopped."""
    assert server.stop() == 0, server.output
    found = re.search(r"messaging: flow stopped after (\d+) message", server.output)
    assert found, server.output
    return int(found.group(1))


@pytest.mark.parametrize("backend", ["nats", "rabbitmq"])
async def test_two_servers_share_a_durable_channel(backend: str) -> None:
    url = require(backend)
    p, n = fresh("x"), 100
    env = flow_env(p)
    with serve(FLOW, "--broker", url, env=env) as a, serve(FLOW, "--broker", url, env=env) as b:
        async with GqlWs.open(f"{a.url}/flow") as ws:
            assert await ws.subscribe("done", "subscription { done { n } }") == []
            for i in range(n):
                body = (a, b)[i % 2].gql(JOB, {"c": f"{p}.done", "n": i}, path="flow")
                assert body == {"data": {"jobs": True}, "_status": 200}
            seen = []
            while len(seen) < n:
                message = await ws.recv()
                assert message["type"] == "next", message
                seen.append(message["payload"]["data"]["done"]["n"])
        assert sorted(seen) == list(range(n))
        counts = [handled(a), handled(b)]
    assert sum(counts) == n and min(counts) > 0, counts
