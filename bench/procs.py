"""Child processes of the benchmarks: start one, wait for the line that says it is ready,
read its CPU time, stop it."""

from __future__ import annotations

import collections
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def wire_cli() -> list[str]:
    """The `wire` command of this interpreter's environment (the checkout's, as `make` runs
    it)."""
    script = Path(sys.executable).parent / "wire"
    return [str(script)] if script.exists() else [sys.executable, "-m", "wire.cli"]


def _stat(pid: int | str) -> list[str]:
    """/proc/<pid>/stat's fields after the command name (field 3 on)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` and its live descendants (e.g. the workers of
    `--processes N`), all their threads, from /proc."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = _stat(entry.name)
            except OSError:  # gone meanwhile
                continue
            children[int(fields[1])].append(int(entry.name))
            times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += times.get(p, 0.0)
        todo += children.get(p, [])
    return total


class Child:
    """A process whose stdout and stderr are read line by line; `ready` is the first
    match of `ready_pattern`."""

    def __init__(
        self,
        name: str,
        cmd: Sequence[str],
        ready_pattern: str,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.pattern = re.compile(ready_pattern)
        self.ready: re.Match[str] | None = None
        self.tail: collections.deque[str] = collections.deque(maxlen=30)
        self._seen = threading.Event()
        self.proc = subprocess.Popen(
            list(cmd),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
            cwd=REPO,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.tail.append(line.rstrip())
            if self.ready is None:
                self.ready = self.pattern.search(line)
                if self.ready is not None:
                    self._seen.set()
        self._seen.set()  # ended: wait_ready reports it

    def wait_ready(self, timeout: float = 120) -> re.Match[str]:
        self._seen.wait(timeout)
        if self.ready is None:
            state = "exited" if self.proc.poll() is not None else f"not ready in {timeout:.0f} s"
            raise RuntimeError(f"{self.name} {state}; its output:\n" + "\n".join(self.tail))
        return self.ready

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.proc.pid)

    def stop(self, timeout: float = 10) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_all(children: Sequence[Child], timeout: float = 180) -> None:
    """Wait for every child to be ready (they start in parallel); stop them all if one
    fails."""
    try:
        for child in children:
            child.wait_ready(timeout)
    except BaseException:
        for child in children:
            child.stop()
        raise
