"""Issue 11's benchmarks run end to end in their quick mode (`WIRE_BENCH_QUICK=1`).

Each system must produce every output it was fed: all the orders of every flood and every
paced run (NATS, core and JetStream), answers from every GraphQL server with no failed
request, checked echo results on fresh and pooled instances. Counts, not times: the figures
of a quick run mean nothing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from messaging import require

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("WIRE_BENCH_QUICK", "1")
    monkeypatch.syspath_prepend(str(BENCH))
    yield


def test_messaging_peers_handle_every_order(capsys: pytest.CaptureFixture[str]) -> None:
    require("nats")
    import bench_peers_messaging as bench

    sizes = bench.Sizes.default()
    results = bench.run(sizes)
    assert set(results) == {"core", "jetstream"}
    for transport, systems in results.items():
        assert set(systems) == {s.name for s in bench.SYSTEMS}
        for name, result in systems.items():
            assert len(result.rounds) == sizes.rounds == 1
            r = result.rounds[0]
            assert (r.outputs, r.paced_outputs) == (sizes.n, sizes.paced), (transport, name)
            assert r.rate > 0 and r.p50_ms > 0
    targets = bench.report(results, sizes)
    assert [t.name for t in targets] == [
        "core NATS msgs/s wire/FastStream",
        "core NATS p50 wire/FastStream",
        "JetStream durable msgs/s wire/FastStream",
    ]
    out = capsys.readouterr().out
    assert "wire/FS" in out and "FastStream" in out


def test_graphql_peers_answer_every_request(capsys: pytest.CaptureFixture[str]) -> None:
    import bench_peers_graphql as bench
    import loadgen

    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        assert shutil.which("wrk"), "CI installs wrk (.ci/run)"
    sizes = bench.Sizes.default()
    results = bench.run(sizes)
    assert set(results) == {s.name for s in bench.SERVERS}
    for name, result in results.items():
        (run,) = result.runs
        assert run.requests > 0 and run.failed == 0, name
    targets = bench.report(results, sizes, loadgen.tool())
    assert len(targets) == 2
    assert "req/s" in capsys.readouterr().out


def test_graphql_python_load_generator_counts_answers() -> None:
    """The client used when wrk is not installed."""
    import bench_peers_graphql as bench
    from harness import Spec

    sizes = bench.Sizes(seconds=0.5, rounds=1, warmup=False)
    results = bench.run(sizes, [Spec("floor", "floor")], generator="python")
    (run,) = results["floor"].runs
    assert run.requests > 0 and run.failed == 0


def test_fresh_and_pooled_calls_return_the_echo() -> None:
    import bench_call

    results = bench_call.fresh_vs_pooled_all()
    assert [r.guest for r in results] == ["WAT echo", "Python echo (componentize-py)"]
    for r in results:  # every call's result was checked against its input
        assert r.calls > 0 and r.fresh_us > 0 and r.pooled_us > 0
    assert [t.bound for t in bench_call.report_fresh_vs_pooled(results)] == [50, 500]


def test_process_scaling_rows(capsys: pytest.CaptureFixture[str]) -> None:
    import bench_scaling

    control, rows = bench_scaling.run()
    assert control[0] > 0 and control[1] > 0
    for row in rows:
        command = "serve" if row.name.startswith("wire serve") else "consume"
        measured = row.one is not None and row.two is not None
        assert measured == bench_scaling.has_processes_flag(command), row.name
    bench_scaling.report(control, rows)
    out = capsys.readouterr().out
    assert "control: sha256" in out


def test_the_telemetry_bench_measures_each_row(capsys: pytest.CaptureFixture[str]) -> None:
    import bench_telemetry

    bench_telemetry.main()  # it asserts that the hooks counted every call
    out = capsys.readouterr().out
    rows = [ln for ln in out.splitlines() if "<= 2 µs" in ln]
    assert len(rows) == 4, out


def test_typed_calls_against_gql_from_a_guest(capsys: pytest.CaptureFixture[str]) -> None:
    import bench_typed_calls as bench

    bench.main()  # it checks every result of both ways
    out = capsys.readouterr().out
    assert "ctx.fn.add (call op)" in out and "a typed call costs" in out
