"""Issue 15: what telemetry costs on the hot paths, with metrics on and tracing off.

1. The hooks alone, as a call and a handled message run them, timed in a tight loop.
2. A pooled WAT echo call (bench_call's document, 22 B) with its hooks, against the same
   call with the hooks replaced by no-ops, in alternating rounds (medians).
3. The embedded-broker handler path (bench_messaging's: a WAT echo handler) with and
   without the hooks, in alternating rounds: µs per message from the two rates.

The budget: ~2 µs per call or message. Tracing off, its hooks are a flag check each, in
both sides of 2 and 3.
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from harness import compare, quick
from payloads import payload

from wire import Host
from wire.messaging import Message, MessagingService, make_broker
from wire.telemetry import CallTelemetry, tracing

REPO = Path(__file__).resolve().parent.parent
BUDGET_US = 2.0


class NoTelemetry:
    """The hooks of a call, doing nothing."""

    def start(self) -> float:
        return 0.0

    def done(self, began: float) -> None:
        pass

    def failed(self, began: float, error: BaseException) -> None:
        pass

    def record(self, seconds: float, error: BaseException | None = None) -> None:
        pass

    def refused(self, code: str) -> None:
        pass


class NoStats:
    def count(self, handled: int = 0, failed: int = 0, retried: int = 0, dead: int = 0) -> None:
        pass


def without_hooks(host: Host) -> None:
    for name, fn in host.functions.items():
        host.functions[name] = dataclasses.replace(fn, telemetry=NoTelemetry())  # type: ignore[arg-type]


def hooks_alone(calls: int) -> tuple[float, float]:
    """µs per call of the call hooks, and per message of the message hook."""
    t = CallTelemetry("bench_hooks", "echo", "guest")
    stats = t.stats
    start = time.perf_counter()
    for _ in range(calls):
        t.done(t.start())
    per_call = (time.perf_counter() - start) / calls * 1e6
    from wire.telemetry.metrics import binding_stats

    b = binding_stats("bench_hooks", "bench.wat", "echo")
    start = time.perf_counter()
    for _ in range(calls):
        t.done(t.start())
        b.count(handled=1)
    per_message = (time.perf_counter() - start) / calls * 1e6
    assert stats.calls == 2 * calls
    return per_call, per_message


def call_overhead(component: Path, calls: int) -> tuple[float, float]:
    """Median µs of a pooled echo call with the hooks, and without them."""
    import bench_call

    p = payload(22)
    on = Host(bench_call.document(component, "pooled", "bench_tel_on"), REPO)
    off = Host(bench_call.document(component, "pooled", "bench_tel_off"), REPO)
    without_hooks(off)
    try:
        assert on.call_sync("echo", p) == p and off.call_sync("echo", p) == p
        return compare(
            lambda: on.call_sync("echo", p), lambda: off.call_sync("echo", p), calls, rounds=7
        )
    finally:
        on.close()
        off.close()


async def message_overhead(component: Path, n: int, rounds: int) -> tuple[float, float]:
    """Median µs per handled message on the embedded broker, with and without the hooks."""
    import bench_call
    import bench_messaging

    async def service_for(name: str, hooks: bool) -> tuple[Host, MessagingService, Any]:
        doc = bench_messaging.with_channel(
            bench_call.document(component, "pooled", name), f"{name}.in", "echo"
        )
        host = Host(doc, REPO)
        host.start()
        if not hooks:
            without_hooks(host)
        service = MessagingService(host, make_broker("memory://"))
        if not hooks:
            for policy in service._policies.values():
                policy.stats = NoStats()  # type: ignore[assignment]
        await service.start()
        return host, service, service.channels[f"{name}.in"].spec

    async def one_round(service: MessagingService, spec: Any, count: int) -> float:
        async def publish() -> None:
            for i in range(count):
                await service.broker.send(spec, Message.json(spec.name, bench_messaging.PAYLOAD))
                if i % bench_messaging.CHUNK == 0:
                    await asyncio.sleep(0)

        rate = await bench_messaging.rate(publish, lambda: service.handled, count)
        return 1e6 / rate

    sides = [await service_for("bench_tel_mon", True), await service_for("bench_tel_moff", False)]
    for _, service, spec in sides:
        await one_round(service, spec, 200)  # warm up
    on: list[float] = []
    off: list[float] = []
    for _ in range(rounds):
        on.append(await one_round(sides[0][1], sides[0][2], n))
        off.append(await one_round(sides[1][1], sides[1][2], n))
    for host, service, _ in sides:
        await service.stop()
        host.close()
    return statistics.median(on), statistics.median(off)


def main() -> None:
    sys.path.insert(0, str(REPO / "tests"))
    from guests import build_wat_guest

    assert not tracing.active, "tracing is on (OTEL_* set?): this measures it off"
    small = quick()
    component = build_wat_guest("echo")
    hook_call, hook_message = hooks_alone(20_000 if small else 200_000)
    with_us, without_us = call_overhead(component, 2_000 if small else 20_000)
    n, rounds = (2_000, 1) if small else (20_000, 5)
    msg_with, msg_without = asyncio.run(message_overhead(component, n, rounds))
    print("\n## telemetry cost (issue 15): metrics on, tracing off")
    rows = [
        ("hooks alone, per call", hook_call, None),
        ("hooks alone, per handled message (its call's too)", hook_message, None),
        ("pooled WAT echo call, with - without hooks", with_us - without_us, with_us),
        ("embedded-broker handler, per message, with - without", msg_with - msg_without, msg_with),
    ]
    print(f"{'measure':56} {'µs':>8} {'of µs':>8}  budget")
    for name, us, of in rows:
        of_text = f"{of:8.1f}" if of is not None else f"{'':>8}"
        verdict = "ok" if us <= BUDGET_US else "OVER"
        print(f"{name:56} {us:8.2f} {of_text}  <= {BUDGET_US:g} µs {verdict}")


if __name__ == "__main__":
    main()
