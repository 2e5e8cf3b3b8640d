"""`--processes N`: run a command as N processes, to use N cores (a process's Python runs
on one core at a time; its guests' wasm does not hold it, the rest does).

The parent starts N children (the same command, told which one they are through
`WIRE_PROCESS_INDEX` / `WIRE_PROCESS_COUNT`), forwards SIGINT/SIGTERM to them, and exits
with the worst of their exit codes once all have stopped; a child that dies makes the
others stop too. `wire serve`'s children share one port (`SO_REUSEPORT`: the kernel spreads
the connections); `wire consume`'s join the same consumer groups (the broker spreads the
messages). Both need a broker the processes share: the embedded one lives in one process.

`--pin` (`WIRE_PIN=1`) keeps each process's threads on one CPU, process i on the i-th CPU
it may use. A process's event loop and its worker threads hand the GIL to each other
several times a request; on one CPU each hand-off is a local thread switch, across CPUs
a wake-up of another core (on a VM, an interrupt through the hypervisor). Pooled
`{ add }` over HTTP: 1,800 -> 2,600 req/s, 600 -> 380 µs CPU a request; the NATS orders
handler 18.7k -> 22.5k orders/s. It costs the parallel part: guests' wasm and fresh
instances' making run outside the GIL, on every core without `--pin` (a fresh
componentize-py runtime over HTTP: 455 -> 280 req/s pinned). So: pin with pooled runtimes
and small calls, with one process per core; not with fresh instances of big guests.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from .errors import WireError

INDEX = "WIRE_PROCESS_INDEX"  # in a child: which one (0-based)
COUNT = "WIRE_PROCESS_COUNT"  # in a child: how many in all
PIN = "WIRE_PIN"  # 1: each process on one CPU (--pin)
STOP_S = 60.0  # how long the parent waits for stopped children before killing them


def index() -> int | None:
    """This process's index among its siblings, or None when it is not a child."""
    raw = os.environ.get(INDEX)
    return int(raw) if raw is not None else None


def count() -> int:
    return int(os.environ.get(COUNT, "1"))


def add_pin_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pin",
        action="store_true",
        default=None,
        help="keep each process on one CPU: faster for pooled runtimes and small calls, "
        "slower for fresh instances of big guests (WIRE_PIN; see docs/serving.md)",
    )


def apply_pin(wanted: bool) -> None:
    """What `pin_wanted` said: this process (a serving or consuming one) on one CPU, said
    on stderr."""
    if wanted:
        cpu = pin_to_one_cpu()
        print(f"wire: process {os.getpid()} pinned to CPU {cpu}", file=sys.stderr, flush=True)


def pin_wanted(flag: bool | None) -> bool:
    """`--pin` if given, else `WIRE_PIN`: read before any process is started, so that a
    bad value fails once, not in every child."""
    if flag is not None:
        return flag
    raw = os.environ.get(PIN, "").strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("", "0", "false", "no", "off"):
        return False
    raise WireError(f"{PIN} must be 1 or 0, got {os.environ[PIN]!r}", where="wire")


def pin_to_one_cpu() -> int:
    """Keep this process's threads, those running and those to come, on one CPU: the
    (index)-th of those it may use now, wrapping. The CPU."""
    if not hasattr(os, "sched_setaffinity"):
        raise WireError("--pin needs CPU affinity, which this system lacks", where="wire")
    allowed = sorted(os.sched_getaffinity(0))
    cpu = allowed[(index() or 0) % len(allowed)]
    # Linux sets a thread's affinity, not a process's: every thread, then new ones inherit.
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(ProcessLookupError):  # a thread that just ended
            os.sched_setaffinity(int(tid), {cpu})
    return cpu


def strip_flag(argv: Sequence[str], flag: str) -> list[str]:
    """`argv` without `flag VALUE` / `flag=VALUE`."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == flag:
            skip = True
            continue
        if arg.startswith(flag + "="):
            continue
        out.append(arg)
    return out


def run(n: int, argv: Sequence[str]) -> int:
    """Run `wire <argv>` as `n` child processes until they stop; the exit code."""
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "wire.cli", *argv],
            env={**os.environ, INDEX: str(i), COUNT: str(n)},
        )
        for i in range(n)
    ]
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while any(c.poll() is None for c in children):
            if not stopping and any(c.poll() is not None for c in children):
                # One died on its own: stop the others, so the whole is seen to fail.
                print("wire: a process stopped; stopping the others", file=sys.stderr)
                stop(signal.SIGTERM, None)
            time.sleep(0.2)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        deadline = time.monotonic() + STOP_S
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    codes = [c.returncode for c in children]
    return max((abs(c) for c in codes), default=0)
