"""The typegraph of the telemetry tests: functions that answer, fail, trap and run past
their deadline, a handler that forwards jobs (or fails on a channel it may not use), a
subscription, all on the WAT test guests (`$WIRE_TEST_<GUEST>`: their built components).
`$WIRE_TEST_PREFIX` makes the channels fresh.
"""

import os

from typegraph import Graph, Policy, WireRuntime, t, typegraph

P = os.environ.get("WIRE_TEST_PREFIX", "obs")


def guest(name: str) -> str:
    return os.environ.get(f"WIRE_TEST_{name.upper()}", f"{name}.wasm")


@typegraph()
def observe(g: Graph) -> None:
    anything = t.struct({}, additional_properties=True).rename("Any")
    out = t.struct({"n": t.integer()}).rename("Out")
    job = t.struct({"channel": t.string(), "payload": out}).rename("Job")
    g.channel(f"{P}.jobs", job, durable=True, kind="queue")
    g.channel(f"{P}.out", out)

    echo = WireRuntime(guest("echo"), name="echo", instances="pooled", pool_size=2)
    caller = WireRuntime(
        guest("hostcaller"), name="caller", instances="pooled", channels=[f"{P}.out"]
    )
    # `send` forwards a job's payload to its channel: refused for a channel not granted
    g.on(f"{P}.jobs", caller.handler(job, t.optional(t.boolean()), name="send"), max_attempts=2)
    g.expose(
        Policy.public(),
        echo=echo.handler(out, out, name="echo"),
        # a float in, an integer out: 3e9 is an integer JSON Schema accepts, GraphQL's Int not
        wide=echo.handler(t.struct({"n": t.float()}), out, name="wide"),
        boom=WireRuntime(guest("errors"), name="errors").handler(anything, anything, name="boom"),
        spin=WireRuntime(guest("loop"), name="loop", deadline_ms=100).handler(
            anything, anything, name="spin"
        ),
        crash=WireRuntime(guest("trap"), name="trap").handler(anything, anything, name="crash"),
        jobs=g.publish(f"{P}.jobs"),
        out=g.subscription(f"{P}.out"),
    )
