"""The typegraph of the batch tests (tests/test_messaging_batches.py): handlers of a Python
SDK guest (tests/guests/batch_py) on a pooled runtime, each showing one way a batch of
deliveries ends; the same guest on a fresh runtime (which never batches); an inline Python
function (`PythonRuntime`, not a Python SDK guest); the guest again, with a glue from before
batches (it answers a batch with `no-handler`)."""

from __future__ import annotations

from typing import Any

from typegraph import Graph, PythonRuntime, WireRuntime, t, typegraph

CHANNELS = [
    "jobs.ship",
    "jobs.flaky",
    "jobs.settles",
    "jobs.swallows",
    "jobs.strays",
    "jobs.spins",
    "jobs.fresh",
    "jobs.out",
]
INLINE = "jobs.inline"  # a pooled inline-Python handler: not a Python SDK guest
OLD = "jobs.old"  # a Python SDK guest whose glue predates batches


def batch_document(component: str, old: str) -> dict[str, Any]:
    """The typegraph whose guest is `component` (a folder beside the document's root), and
    `old` the same guest with a glue from before batches."""

    def api(g: Graph) -> None:
        job = t.struct({"n": t.integer(min=0)}).rename("Job")
        done = t.struct({"n": t.integer()}).rename("Done")
        for name in CHANNELS[:-1]:
            g.channel(name, job, kind="queue")
        g.channel(INLINE, job, kind="queue")
        g.channel(OLD, job, kind="queue")
        g.channel("jobs.out", done)
        g.channel("jobs.secret", done)  # granted to no runtime
        guest = WireRuntime(component, name="guest", instances="pooled", channels=CHANNELS)
        fresh = WireRuntime(component, name="fresh", channels=["jobs.fresh", "jobs.out"])
        # sends (and logs): every delivery in a batch
        g.on("jobs.ship", guest.handler(job, t.boolean(), name="ship"))
        # fails on multiples of 5: those fail alone, the rest of their batch is handled
        g.on("jobs.flaky", guest.handler(job, t.boolean(), name="flaky"), max_attempts=1)
        # settles its delivery itself: a hostcall a batch cannot make
        g.on("jobs.settles", guest.handler(job, t.boolean(), name="settles"))
        # settles its delivery itself, inside an `except BaseException` that swallows all
        g.on("jobs.swallows", guest.handler(job, t.boolean(), name="swallows"))
        # spins for ever on 3: the batch it is in runs past the deadline
        quick = WireRuntime(
            component, name="quick", instances="pooled", deadline_ms=300, channels=CHANNELS
        )
        g.on("jobs.spins", quick.handler(job, t.boolean(), name="spins"), max_attempts=1)
        # sends where it may not, and catches the refusal
        g.on("jobs.strays", guest.handler(job, t.boolean(), name="strays"))
        g.on("jobs.fresh", fresh.handler(job, t.boolean(), name="ship"), name="ship_fresh")
        older = WireRuntime(old, name="older", instances="pooled", channels=["jobs.out"])
        g.on(OLD, older.handler(job, t.boolean(), name="ship"), name="ship_older")
        py = PythonRuntime("inline", instances="pooled")
        g.on(INLINE, py.from_lambda(job, t.boolean(), lambda job: job["n"] >= 0, name="positive"))

    return typegraph(name="batches")(api).document()
