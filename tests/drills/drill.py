"""The delivery drill: N distinct ids through `wire consume` on a real broker, a fault
injected mid-stream, and every id counted from the broker.

A publisher process (a plain client, not wire: publisher.py) sends job `i` for i in
0..N-1 on the durable queue channel `<p>.jobs` of the flow typegraph
(tests/messaging/flow.py) at `rate` per second; `wire consume` processes run its `send`
handler, whose guest forwards each job's payload `{"n": i}` to `<p>.done`. A collector in
the test reads `<p>.done` and the dead-letter channel `<p>.jobs.dead` as a consumer group
from before the first job. Counted at the end:

- sent: ids the broker confirmed to the publisher (all N; it retries through outages);
- handled: distinct ids seen on `<p>.done`; duplicates: how many more times they came;
- dead-lettered: ids (or poison messages) on the dead-letter channel;
- lost: sent ids that are neither handled nor dead-lettered. It must be 0.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from guests import GUESTS_DIR, _cache_dir, build_wat_guest
from messaging import fresh
from messaging.support import FLOW, flow_env

import typegraph
import wire_codegen
from wire.messaging import ChannelSpec, make_broker

HERE = Path(__file__).resolve().parent
BATCH_FLOW = HERE / "batch_flow.py"  # the flow typegraph's handler in Python (guest batches)
WIRE = str(Path(sys.executable).parent / "wire")
N = int(os.environ.get("WIRE_DRILL_N", "2000"))
RATE = int(os.environ.get("WIRE_DRILL_RATE", "1000"))  # messages per second
SETTLE_S = 90.0  # how long the drill waits for every id to be accounted for...
QUIET_S = 15.0  # ...unless nothing more arrives for this long (what is missing is lost)

# Per backend, the consumer's URL options that make recovery quick enough for a test:
# NATS redelivers what a killed consumer did not ack after `ack_wait`; Redis lets another
# member claim it after `claim_idle_ms`. (Defaults: 30 s each.)
RECOVERY = {"nats": "ack_wait=2", "redis": "claim_idle_ms=2000", "mqtt": "", "rabbitmq": ""}


@dataclass
class Result:
    backend: str
    fault: str
    sent: int = 0
    handled: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    lost: int = 0
    seconds: float = 0.0
    missing: list[int] = field(default_factory=list)

    def row(self) -> str:
        return (
            f"| {self.backend} | {self.fault} | {self.sent} | {self.handled} | "
            f"{self.duplicates} | {self.dead_lettered} | {self.lost} | {self.seconds:.1f} |"
        )


RESULTS: list[Result] = []  # printed at the end of the session (conftest.py)
HEADER = (
    "| backend | fault | sent | handled | duplicates | dead-lettered | lost | seconds |\n"
    "|---|---|---|---|---|---|---|---|"
)


def with_options(url: str, options: str) -> str:
    if not options:
        return url
    return url + ("&" if "?" in url else "?") + options


def python_guest() -> Path:
    """The folder of the drills' Python SDK guest (tests/guests/flow_py, its SDK generated
    for tests/drills/batch_flow.py), in the test cache; `wire consume` builds it (cached)."""
    folder = _cache_dir() / "flow_py"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(GUESTS_DIR / "flow_py" / "app.py", folder / "app.py")
    saved = dict(os.environ)
    os.environ["WIRE_TEST_GUEST"] = str(folder)
    try:
        doc = typegraph.load(BATCH_FLOW)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    wire_codegen.generate("python", doc, "guest", folder)
    return folder


class Consumer:
    """A `wire consume` process of the flow typegraph (default consumer name); with
    `python`, of its Python SDK twin, whose handler takes guest batches."""

    def __init__(self, url: str, prefix: str, python: bool = False) -> None:
        env = {**os.environ, **flow_env(prefix)}
        env["WIRE_TEST_GUEST"] = str(python_guest() if python else build_wat_guest("hostcaller"))
        typegraph_file = BATCH_FLOW if python else FLOW
        self.proc = subprocess.Popen(
            [WIRE, "consume", str(typegraph_file), "--broker", url, "--drain-timeout", "20"],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._wait_for("consuming:")

    def _wait_for(self, needle: str) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            if needle in line:
                return
        raise AssertionError(f"wire consume ended before {needle!r}:\n{''.join(self.lines)}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Collector:
    """Reads `<p>.done` and `<p>.jobs.dead` as consumer groups, acking what it reads."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.done = ChannelSpec(f"{prefix}.done", True, "queue")
        self.dead = ChannelSpec(f"{prefix}.jobs.dead", True, "queue")
        self.handled: list[int] = []
        self.dead_letters: list[dict[str, Any]] = []
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self.broker = make_broker(self.url)
        await self.broker.connect()
        for spec, sink in ((self.done, self._on_done), (self.dead, self._on_dead)):
            sub = await self.broker.subscribe(spec, spec.queue_group, prefetch=64)
            self._tasks.append(asyncio.create_task(self._read(sub, sink)))

    def _on_done(self, data: bytes, meta: dict[str, str]) -> None:
        self.handled.append(orjson.loads(data)["n"])

    def _on_dead(self, data: bytes, meta: dict[str, str]) -> None:
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            payload = None
        self.dead_letters.append({"payload": payload, "size": len(data), "meta": meta})

    async def _read(self, sub: Any, sink: Callable[[bytes, dict[str, str]], None]) -> None:
        self.subs = [*getattr(self, "subs", []), sub]
        while True:
            d = await sub.receive(1.0)
            if d is None:
                continue
            sink(d.message.data, d.message.metadata)
            await d.ack()

    def dead_ids(self) -> set[int]:
        ids = set()
        for d in self.dead_letters:
            p = d["payload"]
            if isinstance(p, dict) and isinstance(p.get("payload"), dict):
                ids.add(p["payload"]["n"])
        return ids

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for sub in getattr(self, "subs", []):
            await sub.close()
        await self.broker.close()


class Publisher:
    def __init__(self, backend: str, url: str, prefix: str, poison: list[str]) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable, str(HERE / "publisher.py"), backend, url, f"{prefix}.jobs",
                f"{prefix}.done", str(N), str(RATE), *poison,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )  # fmt: skip
        self.report: dict[str, Any] | None = None

    def wait_progress(self, at: int) -> None:
        """Block until the publisher has sent `at` messages."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("progress") and int(line.split()[1]) >= at:
                return
            if line.startswith("{"):
                self.report = orjson.loads(line)
                return
        raise AssertionError("the publisher ended early")

    def finish(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        if self.report is None:
            for line in self.proc.stdout:
                if line.startswith("{"):
                    self.report = orjson.loads(line)
        self.proc.wait(60)
        assert self.report is not None, "the publisher printed no report"
        return self.report


Fault = Callable[["Drill"], None]


class Drill:
    """One run: consumers on `url`, a publisher, a fault at a third of the stream."""

    def __init__(
        self,
        backend: str,
        url: str,
        *,
        consumers: int = 1,
        private: Any = None,
        python: bool = False,
    ) -> None:
        self.backend = backend
        self.private = private  # a PrivateBroker the faults may kill, or None
        self.url = url
        self.consumer_url = with_options(url, RECOVERY[backend])
        self.prefix = fresh("d")
        self.python = python  # the Python SDK guest (guest batches) instead of the WAT one
        self.consumers = [
            Consumer(self.consumer_url, self.prefix, python) for _ in range(consumers)
        ]
        self.collector = Collector(url, self.prefix)

    def restart_consumer(self, i: int = 0) -> None:
        self.consumers[i] = Consumer(self.consumer_url, self.prefix, self.python)

    async def run(self, fault_name: str, fault: Fault, poison: tuple[str, ...] = ()) -> Result:
        started = time.monotonic()
        await self.collector.start()
        publisher = Publisher(self.backend, self.url, self.prefix, list(poison))
        try:
            await asyncio.to_thread(publisher.wait_progress, N // 3)
            await asyncio.to_thread(fault, self)
            report = await asyncio.to_thread(publisher.finish)
            sent = set(report["sent"])
            bad = set(report["poison"])
            good = sent - bad
            deadline = time.monotonic() + SETTLE_S
            progress, last_change = -1, time.monotonic()
            while time.monotonic() < deadline:
                seen = set(self.collector.handled) | self.collector.dead_ids()
                if good <= seen and len(self.collector.dead_letters) >= len(bad):
                    break
                now = len(self.collector.handled) + len(self.collector.dead_letters)
                if now != progress:
                    progress, last_change = now, time.monotonic()
                elif time.monotonic() - last_change > QUIET_S:
                    break
                await asyncio.sleep(0.25)
            await asyncio.sleep(1.0)  # late duplicates still count
        finally:
            for c in self.consumers:
                await asyncio.to_thread(c.stop)
            await self.collector.stop()
        handled = Counter(self.collector.handled)
        accounted = set(handled) | self.collector.dead_ids()
        missing = sorted(good - accounted)
        result = Result(
            self.backend,
            fault_name,
            sent=len(sent),
            handled=len(handled),
            duplicates=sum(handled.values()) - len(handled),
            dead_lettered=len(self.collector.dead_letters),
            lost=len(missing) + max(0, len(bad) - len(self.collector.dead_letters)),
            seconds=time.monotonic() - started,
            missing=missing[:20],
        )
        RESULTS.append(result)
        return result
