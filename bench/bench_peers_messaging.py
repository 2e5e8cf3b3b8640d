"""Issue 11, first table: wire against what users would pick instead, on NATS.

The same work everywhere: take an order `{id, item, qty}` from `<prefix>.placed`, check its
types, compute `parcels = ceil(qty / 3)`, publish `{id, parcels}` on `<prefix>.shipped`.

- plain nats-py, by hand (bench/peer_plain.py): the floor;
- FastStream, `@broker.subscriber` + `@broker.publisher` with pydantic (bench/peer_faststream.py);
- wire: `wire consume bench/orders_py/typegraph.py`, a pooled componentize-py guest that
  calls `ctx.send`.

Each runs in its own process, started once and kept for all rounds. Core NATS reads plain
subjects; JetStream reads a durable queue channel (wire) or a durable pull consumer on a
file stream (the peers), acking each order once handled. Outputs are core NATS everywhere.

Per round and system, in turn (the order rotates each round), one publisher process
(bench/publisher.py) floods `n` orders, then publishes `PACED_N` at `PACED_RATE`/s. This
process counts the outputs on `<prefix>.shipped` (nats-py) and reports:
- msgs/s: outputs from the first to the n-th of the flood;
- p50 latency: publish time (the order's `id`) to output seen, at the paced rate (the flood
  queues, so its latency is the backlog's);
- CPU per message: the system process's CPU time (/proc) over the flood, per order;
- load generator: the publisher's CPU (after its start-up) plus this process's while it
  counts, per order, and its share of all CPU spent in the flood (the machine has 2 cores).

    .venv/bin/python bench/bench_peers_messaging.py      # or: make bench (WIRE_BENCH_QUICK=1)
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import os
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import orjson
from harness import Spec, print_grid, quick, wire_flags
from nats.aio.msg import Msg
from procs import Child, start_all, wire_cli
from targets import Target, summary

HERE = Path(__file__).resolve().parent
NATS = os.environ.get("WIRE_BENCH_NATS", "nats://127.0.0.1:4222")
ORDERS = HERE / "orders_py" / "typegraph.py"
TRANSPORTS = {"core": "core NATS", "jetstream": "JetStream durable"}
SYSTEMS = (
    Spec("plain", "plain"),
    Spec("faststream", "faststream"),
    Spec("wire", "wire"),
    Spec("wire-pinned", "wire", pin=True),  # shown beside, no target of its own
)
PACED_RATE = 200.0  # orders/s for the latency phase: well below every system's capacity
TARGET_RATE = 1.5  # wire / FastStream msgs/s, both transports (issue 11)


@dataclass
class Sizes:
    n: int  # orders per flood
    rounds: int
    paced: int  # orders in the latency phase
    warmup: int

    @classmethod
    def default(cls) -> Sizes:
        if quick():
            return cls(n=200, rounds=1, paced=20, warmup=20)
        n = int(os.environ.get("WIRE_BENCH_MESSAGES", "10000"))
        return cls(n=n, rounds=5, paced=400, warmup=200)


@dataclass
class Round:
    rate: float  # outputs per second
    outputs: int
    cpu_us: float  # the system's CPU per order
    loadgen_us: float  # publisher + counter CPU per order
    p50_ms: float
    paced_outputs: int


@dataclass
class SystemResult:
    key: str
    transport: str
    rounds: list[Round] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.rounds)


class Counter:
    """Counts a system's outputs; `arm(n)` starts a batch, `wait` returns when it is in."""

    def __init__(self) -> None:
        self.count = 0
        self.target = 0
        self.first = self.last = 0.0
        self.latencies_us: list[int] | None = None
        self.done = asyncio.Event()

    def arm(self, n: int, latencies: bool = False) -> None:
        self.target = self.count + n
        self.first = 0.0
        self.latencies_us = [] if latencies else None
        self.done.clear()

    async def on_message(self, msg: Msg) -> None:
        now = time.perf_counter()
        self.count += 1
        if self.latencies_us is not None:
            self.latencies_us.append(time.time_ns() // 1000 - orjson.loads(msg.data)["id"])
        if self.first == 0.0:
            self.first = now
        if self.count == self.target:
            self.last = now
            self.done.set()

    async def wait(self, what: str, n: int) -> None:
        timeout = 60 + n / 100
        try:
            await asyncio.wait_for(self.done.wait(), timeout)
        except TimeoutError:
            got = n - (self.target - self.count)
            raise RuntimeError(f"{what}: {got} of {n} outputs after {timeout:.0f} s") from None


def label(spec: Spec) -> str:
    if spec.key == "plain":
        return "plain nats-py (floor)"
    if spec.key == "faststream":
        return f"FastStream {importlib.metadata.version('faststream')} (pydantic)"
    if spec.pin:
        return "wire --pin (one CPU)"
    return "wire (pooled Python guest, ctx.send)"


def stream_name(key: str, prefix: str) -> str:
    """The JetStream stream that holds `<prefix>.placed` for system `key`."""
    if key == "wire":  # wire's NATS backend names it after the channel
        return "WIRE_" + re.sub(r"[^A-Za-z0-9_-]", "_", f"{prefix}.placed")
    return "BENCH_" + re.sub(r"[^A-Za-z0-9_-]", "_", prefix)


def start(spec: Spec, transport: str, prefix: str) -> Child:
    jetstream, key = transport == "jetstream", spec.key
    if key == "wire":
        cmd = [*wire_cli(), "consume", str(ORDERS), "--broker", NATS, *wire_flags(spec)]
        env = {"WIRE_BENCH_ORDERS": prefix, "WIRE_BENCH_ORDERS_DURABLE": "1" if jetstream else ""}
        return Child(label(spec), cmd, r"^consuming:", env)
    cmd = [sys.executable, str(HERE / f"peer_{key}.py"), NATS, prefix]
    if jetstream:
        cmd += ["--stream", stream_name(key, prefix)]
    return Child(label(spec), cmd, r"^ready")


async def publish(subject: str, n: int, jetstream: bool, rate: float = 0.0) -> dict[str, Any]:
    mode = ["paced", str(rate)] if rate else ["flood"]
    cmd = [sys.executable, str(HERE / "publisher.py"), NATS, subject, str(n), *mode]
    proc = await asyncio.create_subprocess_exec(
        *([*cmd, "--jetstream"] if jetstream else cmd), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"the publisher failed on {subject} (exit {proc.returncode})")
    report: dict[str, Any] = orjson.loads(out.splitlines()[-1])
    if report["failed"]:
        raise RuntimeError(f"JetStream refused {report['failed']} of {n} orders on {subject}")
    return report


async def measure(
    child: Child, counter: Counter, prefix: str, jetstream: bool, sizes: Sizes
) -> Round:
    subject = f"{prefix}.placed"
    counter.arm(sizes.n)
    cpu0, me0 = child.cpu_seconds(), time.process_time()
    report = await publish(subject, sizes.n, jetstream)
    await counter.wait(f"{child.name}, flood", sizes.n)
    cpu = child.cpu_seconds() - cpu0
    loadgen = report["cpu_s"] + time.process_time() - me0
    rate = (sizes.n - 1) / max(counter.last - counter.first, 1e-9)
    outputs = sizes.n - (counter.target - counter.count)

    counter.arm(sizes.paced, latencies=True)
    await publish(subject, sizes.paced, jetstream, PACED_RATE)
    await counter.wait(f"{child.name}, paced", sizes.paced)
    assert counter.latencies_us is not None
    return Round(
        rate=rate,
        outputs=outputs,
        cpu_us=cpu / sizes.n * 1e6,
        loadgen_us=loadgen / sizes.n * 1e6,
        p50_ms=statistics.median(counter.latencies_us) / 1000,
        paced_outputs=len(counter.latencies_us),
    )


async def run_transport(
    transport: str, sizes: Sizes, systems: Sequence[Spec] = SYSTEMS
) -> dict[str, SystemResult]:
    """Every system on `transport`, interleaved over `sizes.rounds` rounds: {name: result}."""
    jetstream = transport == "jetstream"
    run = f"{os.getpid()}_{time.time_ns() // 1_000_000 % 10**9}"
    specs = {s.name: s for s in systems}
    keys = list(specs)
    prefixes = {
        k: f"bench.peers.{run}.{transport}.{re.sub(r'[^A-Za-z0-9_-]', '_', k)}" for k in keys
    }
    nc = await nats.connect(NATS)
    children: dict[str, Child] = {}
    try:
        children = {k: start(specs[k], transport, prefixes[k]) for k in keys}
        await asyncio.get_running_loop().run_in_executor(None, start_all, list(children.values()))
        counters = {k: Counter() for k in keys}
        for k in keys:
            await nc.subscribe(f"{prefixes[k]}.shipped", cb=counters[k].on_message)
        await nc.flush()
        for k in keys:  # warm up: instances, connections, consumers
            counters[k].arm(sizes.warmup)
            await publish(f"{prefixes[k]}.placed", sizes.warmup, jetstream)
            await counters[k].wait(f"{children[k].name}, warm-up", sizes.warmup)
        results = {k: SystemResult(specs[k].key, transport) for k in keys}
        for r in range(sizes.rounds):
            order = [*keys[r % len(keys) :], *keys[: r % len(keys)]]
            for k in order:
                round_ = await measure(children[k], counters[k], prefixes[k], jetstream, sizes)
                results[k].rounds.append(round_)
        return results
    finally:
        for child in children.values():
            child.stop()
        await delete_streams(nc, f"_bench_peers_{run}_")
        await nc.close()


async def delete_streams(nc: nats.NATS, marker: str) -> None:
    """Delete the JetStream streams of one run (their names hold `marker`): the orders'
    streams and wire's dead-letter ones (kept durable on either transport), so that runs
    do not pile streams up on the shared server."""
    js = nc.jetstream()
    try:
        streams = await js.streams_info()
    except Exception:
        return
    for info in streams:
        if marker in info.config.name:
            with contextlib.suppress(Exception):  # one that fails leaves the rest to go
                await js.delete_stream(info.config.name)


def run(sizes: Sizes | None = None) -> dict[str, dict[str, SystemResult]]:
    """Both transports: {transport: {system: result}}."""
    sizes = sizes or Sizes.default()
    return {t: asyncio.run(run_transport(t, sizes)) for t in TRANSPORTS}


def ratios(figures: Sequence[float]) -> list[str]:
    """wire's figure over the floor's and over FastStream's (`n/a` for a zero, e.g. CPU
    time below the clock's resolution in a quick run)."""
    floor, faststream, wire = figures[:3]
    return [f"{wire / f:.2f}" if f > 0 else "n/a" for f in (floor, faststream)]


def report(results: dict[str, dict[str, SystemResult]], sizes: Sizes) -> list[Target]:
    """Print the issue's table with its ratio columns; the targets."""
    print(
        f"\n## messaging peers (issue 11): order -> parcels -> publish on {NATS}, "
        f"{sizes.n} orders a flood, median of {sizes.rounds} interleaved round(s)"
    )
    names = [s.name for s in SYSTEMS]
    header = ["transport, measure", *(label(s) for s in SYSTEMS), "wire/floor", "wire/FS"]
    header.append("target")
    rows: list[list[str]] = []
    targets: list[Target] = []
    for transport, by_key in results.items():
        name = TRANSPORTS[transport]
        figures = {m: [by_key[k].median(m) for k in names] for m in ("rate", "p50_ms", "cpu_us")}
        rate, lat, cpu = figures["rate"], figures["p50_ms"], figures["cpu_us"]
        gen = [by_key[k].median("loadgen_us") for k in names]
        t_rate = Target(f"{name} msgs/s wire/FastStream", rate[2] / rate[1], ">=", TARGET_RATE)
        t_lat = Target(f"{name} p50 wire/FastStream", lat[2] / lat[1], "<=", 1.0)
        targets += [t_rate, t_lat] if transport == "core" else [t_rate]
        lat_verdict = t_lat.verdict() if transport == "core" else ""
        shares = [f"{g:.0f} ({g / max(g + c, 1e-9):.0%})" for g, c in zip(gen, cpu, strict=True)]
        rows += [
            [f"{name}, msgs/s", *(f"{v:,.0f}" for v in rate), *ratios(rate), t_rate.verdict()],
            [
                f"{name}, p50 ms @{PACED_RATE:.0f}/s",
                *(f"{v:.2f}" for v in lat),
                *ratios(lat),
                lat_verdict,
            ],
            [f"{name}, CPU µs/msg", *(f"{v:.0f}" for v in cpu), *ratios(cpu), ""],
            [f"{name}, load gen CPU µs/msg (share)", *shares, "", "", ""],
        ]
    print_grid(header, rows)
    print(
        "load generator: one publisher process (nats-py) and this process counting outputs "
        "(nats-py); share = its CPU / (its CPU + the system's), over the flood"
    )
    return targets


def main() -> list[Target]:
    sizes = Sizes.default()
    targets = report(run(sizes), sizes)
    print(summary(targets))
    return targets


if __name__ == "__main__":
    main()
