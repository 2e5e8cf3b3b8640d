"""The drills' typegraph for a handler that takes batches: the flow typegraph's `<P>.jobs`
handler `send` (tests/messaging/flow.py), written with wire's Python SDK
(tests/guests/flow_py) on a pooled runtime, so its deliveries go in guest batches
(wire/messaging/batch.py). `$WIRE_TEST_GUEST` is the guest's folder (its SDK generated
there), `$WIRE_TEST_PREFIX` makes the channels fresh."""

import os

from typegraph import Graph, WireRuntime, t, typegraph

P = os.environ.get("WIRE_TEST_PREFIX", "flow")
GUEST = os.environ.get("WIRE_TEST_GUEST", "flow_py")


@typegraph()
def batch_flow(g: Graph) -> None:
    done = t.struct({"n": t.integer()}).rename("Done")
    job = t.struct({"channel": t.string(), "payload": done}).rename("Job")
    g.channel(f"{P}.jobs", job, durable=True, kind="queue")
    g.channel(f"{P}.done", done, durable=True, kind="queue")
    guest = WireRuntime(GUEST, name="guest", channels=[f"{P}.done"], instances="pooled")
    g.on(f"{P}.jobs", guest.handler(job, t.optional(t.boolean()), name="send"), max_attempts=3)
