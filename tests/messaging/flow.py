"""The typegraph of the messaging tests (in-process and `wire consume` subprocesses).

The `hostcaller` WAT guest forwards each call to the hostcall op named like the call's op:
the handler `send` of `<P>.jobs` publishes each job's `payload` on the job's `channel`, the
handler `record` of `<P>.events` calls a `record` op that the test registers (in-process).
`$WIRE_TEST_GUEST` is the built component, `$WIRE_TEST_PREFIX` makes the channels fresh.
Served by `wire serve`, it exposes publish mutations `jobs` and `events`, the subscription
`done`, and `denied` (a subscription no one may open).
"""

import os

from typegraph import Backoff, Graph, Policy, WireRuntime, t, typegraph

P = os.environ.get("WIRE_TEST_PREFIX", "flow")
GUEST = os.environ.get("WIRE_TEST_GUEST", "hostcaller.wasm")
ECHO = os.environ.get("WIRE_TEST_ECHO", "echo.wasm")
DEADLINE = int(os.environ.get("WIRE_TEST_DEADLINE_MS", "10000"))


@typegraph()
def flow(g: Graph) -> None:
    done = t.struct({"n": t.integer()}).rename("Done")
    job = t.struct({"channel": t.string(), "payload": done}).rename("Job")
    event = t.struct({"n": t.integer(), "fail": t.integer(min=0)}).rename("Event")
    nothing = t.optional(t.boolean())

    g.channel(f"{P}.jobs", job, durable=True, kind="queue")
    g.channel(f"{P}.done", done, durable=True, kind="queue")
    g.channel(f"{P}.events", event, durable=True, dead_letter=f"{P}.events.dead")
    ask = t.struct({"q": t.string()}).rename("Ask")
    g.channel(f"{P}.ask", ask, kind="queue")

    guest = WireRuntime(
        GUEST,
        name="guest",
        channels=[f"{P}.done", f"{P}.jobs", f"{P}.ask"],
        deadline_ms=DEADLINE,
        instances="pooled",
    )
    g.on(f"{P}.jobs", guest.handler(job, nothing, name="send"), max_attempts=3, backoff=0.05)
    g.on(
        f"{P}.events",
        guest.handler(event, nothing, name="record"),
        max_attempts=3,
        backoff=Backoff(initial=0.05, max=0.2),
        concurrency=2,
    )
    g.respond(f"{P}.ask", WireRuntime(ECHO, name="echo").handler(ask, ask, name="answer"))
    # The guest's own ops, exposed to call them directly from a test.
    args = t.struct({}, additional_properties=True)
    anything = t.optional(t.struct({}, additional_properties=True).rename("Any"))
    g.expose(
        Policy.public(),
        do_send=guest.handler(args, anything, name="send"),
        do_receive=guest.handler(args, anything, name="receive"),
        do_complete=guest.handler(args, anything, name="complete"),
        do_abandon=guest.handler(args, anything, name="abandon"),
        do_request=guest.handler(args, anything, name="request"),
        jobs=g.publish(f"{P}.jobs"),
        events=g.publish(f"{P}.events"),
        done=g.subscription(f"{P}.done"),
        denied=g.subscription(f"{P}.events").with_policy(Policy.deny()),
    )
