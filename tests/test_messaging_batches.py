"""Handlers take a batch of deliveries per guest call (wire/messaging/batch.py), with the
outcomes one call per delivery gives: a real Python SDK guest and its TypeScript twin
(tests/guests/batch_py, batch_ts; each SDK written by `wire codegen`, built here) on a
pooled runtime, their deliveries published faster than they are handled, so that they wait
and go in batches."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from batch_typegraph import INLINE, OLD, batch_document

import wire_codegen
from wire import Host
from wire.build import build_guest
from wire.errors import HandlerError
from wire.messaging.outcome import reason_of
from wire.telemetry import metrics
from wire.testing import Settled, TestApp

GUESTS = Path(__file__).resolve().parent / "guests"
N = 40  # deliveries per test: more than one batch (16)


LANGUAGES = {"python": "batch_py/app.py", "typescript": "batch_ts/app.ts"}
GLUE = {"python": "glue.py", "typescript": "glue.ts"}


@pytest.fixture(scope="module", params=list(LANGUAGES))
def root(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the guest `batch` (tests/guests/batch_py or batch_ts, in turn): its
    app and the SDK codegen writes, built; and `old`, the same with a glue from before
    batches."""
    language: str = request.param
    root = tmp_path_factory.mktemp(f"batches_{language}")
    app = GUESTS / LANGUAGES[language]
    for name, runtime in (("batch", "guest"), ("old", "older")):
        folder = root / name
        folder.mkdir()
        shutil.copy(app, folder / app.name)
        wire_codegen.generate(language, batch_document("batch", "old"), runtime, folder)
    glue = root / "old" / "wire_sdk" / GLUE[language]  # as if generated before batches
    older = glue.read_text().replace('"wire.batch/"', '"(no batches)"')
    assert '"(no batches)"' in older
    glue.write_text(older)
    for name in ("batch", "old"):
        build_guest(root / name)
    return root


def open_app(root: Path) -> TestApp:
    return TestApp(Host(batch_document("batch", "old"), root))


async def publish_all(app: TestApp, channel: str, n: int = N) -> list[Settled]:
    """Publish `n` jobs at once, then their outcomes, by job."""
    published = [await app.publish(channel, {"n": i}) for i in range(n)]
    settled = [await p.outcome() for p in published]
    return sorted(settled, key=lambda s: int(s.payload["n"]))


@pytest.mark.asyncio
async def test_a_busy_handler_takes_its_deliveries_in_batches(root: Path) -> None:
    stats = metrics.binding_stats("batches", "jobs.ship", "ship")
    before = stats.batched  # (the process's: the other language's run counted too)
    async with open_app(root) as app:
        settled = await publish_all(app, "jobs.ship")
        assert [s.action for s in settled] == ["handled"] * N
        assert all(s.result is True for s in settled)
        # every send published, in order (each after its own handler returned)
        assert await app.wait_sent("jobs.out", N) == [{"n": 2 * i} for i in range(N)]
        batches = app.messaging.batches
        assert batches.batched >= N // 2  # most went in batches (the first may come alone)
        # and the metric says so (wire_messages_batched_total)
        assert stats.batched - before == batches.batched
        assert not batches.falls_back("ship", "jobs.ship")  # a log is no reason to stop
        assert any(line.message == "shipping 7" for line in app.logs)


@pytest.mark.asyncio
async def test_a_failing_delivery_fails_alone(root: Path) -> None:
    async with open_app(root) as app:
        settled = await publish_all(app, "jobs.flaky")
        failed = [s for s in settled if not s.ok]
        assert [s.payload["n"] for s in failed] == list(range(0, N, 5))
        assert {s.action for s in failed} == {"dead_lettered"}  # max_attempts=1
        assert all(s.action == "handled" for s in settled if s.ok)
        assert app.messaging.batches.batched > 0
        # the reason a call of its own gives
        with pytest.raises(HandlerError) as alone:
            await asyncio.to_thread(app.host.call_sync, "flaky", {"n": 5})
        assert (
            failed[1].error
            == reason_of(alone.value)
            == (
                "[handler_error] batches/guest: materializer handler error for op flaky: "
                "no multiples of 5: 5"
            )
        )
        assert sorted(p["n"] for p in app.sent_on("jobs.out")) == [i for i in range(N) if i % 5]


@pytest.mark.asyncio
async def test_a_handler_that_needs_the_host_runs_one_call_each(root: Path) -> None:
    async with open_app(root) as app:
        settled = await publish_all(app, "jobs.settles")
        # ctx.complete() ran in each delivery's own call: the guest settled every one
        assert [s.action for s in settled] == ["guest"] * N
        assert all(s.result is True for s in settled)
        assert app.messaging.batches.falls_back("settles", "jobs.settles")


@pytest.mark.asyncio
async def test_a_hostcall_the_handler_swallowed_is_made_in_its_own_call(root: Path) -> None:
    async with open_app(root) as app:
        settled = await publish_all(app, "jobs.swallows", 20)
        # the batch saw the handler swallow the stop: it ran again, and completed for real
        assert [(s.action, s.result) for s in settled] == [("guest", True)] * 20
        assert app.messaging.batches.falls_back("swallows", "jobs.swallows")


@pytest.mark.asyncio
async def test_a_batch_past_its_deadline_runs_again_one_call_each(root: Path) -> None:
    async with open_app(root) as app:
        settled = await publish_all(app, "jobs.spins", 20)
        # only 3 fails (its own call's deadline); the rest of its batch ran again, handled
        assert [s.payload["n"] for s in settled if not s.ok] == [3]
        assert "deadline" in (settled[3].error or "")
        assert [s.action for s in settled if s.ok] == ["handled"] * 19
        assert app.messaging.batches.falls_back("spins", "jobs.spins")
        assert sorted(p["n"] for p in app.sent_on("jobs.out")) == [i for i in range(20) if i != 3]


@pytest.mark.asyncio
async def test_a_refused_send_is_refused_inside_the_handler(root: Path) -> None:
    async with open_app(root) as app:
        settled = await publish_all(app, "jobs.strays")
        # the handler caught the refusal (its own call raised it there): handled, False
        assert [(s.action, s.result) for s in settled] == [("handled", False)] * N
        assert app.sent_on("jobs.secret") == []
        assert not app.messaging.batches.falls_back("strays", "jobs.strays")


@pytest.mark.asyncio
async def test_a_fresh_runtime_never_batches(root: Path) -> None:
    async with open_app(root) as app:
        settled = await publish_all(app, "jobs.fresh")
        assert [s.action for s in settled] == ["handled"] * N
        assert app.messaging.batches.batched == 0
        assert await app.wait_sent("jobs.out", N) == [{"n": 2 * i} for i in range(N)]


@pytest.mark.asyncio
async def test_a_guest_that_knows_no_batches_gets_one_call_each(root: Path) -> None:
    async with open_app(root) as app:
        settled = await publish_all(app, OLD)
        assert [(s.action, s.result) for s in settled] == [("handled", True)] * N
        assert app.messaging.batches.falls_back("ship_older", OLD)  # it said no-handler
        assert await app.wait_sent("jobs.out", N) == [{"n": 2 * i} for i in range(N)]
        # not an SDK guest: never asked
        settled = await publish_all(app, INLINE)
        assert [(s.action, s.result) for s in settled] == [("handled", True)] * N
        assert not app.messaging.batches.falls_back("positive", INLINE)
        assert app.messaging.batches.batched == 0
