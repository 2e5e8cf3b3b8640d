"""Progress of the slow steps: guest builds, component compiles, tool installs.

Code that may take seconds marks a step:

    with progress.step("build examples/math/guest", hint="componentize-py") as s:
        ...
        s.finish("built", "17.9 MB")      # or s.finish("cached")

Nothing is shown until a reporter is installed (`install`, as the CLI does). In a terminal
a running step is one line that ticks every second (`wire: build examples/math/guest…
12 s (componentize-py)`), replaced by its outcome when it ends; elsewhere only the
outcome is written, one line per step, to be read by people and scripts alike:

    wire: <step>: <outcome> (<seconds> s[; <detail>])

where the outcome is `built`, `compiled`, `installed`, `cached`, `done` or `failed`.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

TICK_S = 1.0  # how often a running step's line is redrawn in a terminal
_CLEAR = "\r\x1b[K"


class Step:
    """One running step; `finish` names its outcome (default: `done`, or `failed`)."""

    def __init__(self, what: str, hint: str = "") -> None:
        self.what = what
        self.hint = hint
        self.outcome = "done"
        self.detail = ""
        self.started = time.monotonic()
        self.elapsed = 0.0

    def finish(self, outcome: str, detail: str = "") -> None:
        self.outcome = outcome
        self.detail = detail

    def line(self) -> str:
        """The outcome line of a finished step."""
        detail = f"; {self.detail}" if self.detail else ""
        return f"wire: {self.what}: {self.outcome} ({self.elapsed:.1f} s{detail})"

    def running(self, now: float) -> str:
        """The ticking line of a running step."""
        hint = f" ({self.hint})" if self.hint else ""  # last: cut first on a narrow screen
        return f"wire: {self.what}… {now - self.started:.0f} s{hint}"


class Reporter:
    """Writes steps (and log lines, through `LogHandler`) to `stream`; `live`: a terminal,
    where a running step ticks."""

    def __init__(self, stream: TextIO, live: bool) -> None:
        self.stream = stream
        self.live = live
        self._active: list[Step] = []
        self._shown = False  # a ticking line is on the screen
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._ticker: threading.Thread | None = None

    def begin(self, step: Step) -> None:
        with self._lock:
            self._active.append(step)
            if self.live:
                self._draw()
                if self._ticker is None:
                    self._ticker = threading.Thread(
                        target=self._tick, name="wire-progress", daemon=True
                    )
                    self._ticker.start()

    def end(self, step: Step) -> None:
        with self._lock:
            if step in self._active:
                self._active.remove(step)
            self._put(step.line())
            self._wake.notify()

    def write(self, line: str) -> None:
        """Write a line of other output without garbling the ticking one."""
        with self._lock:
            self._put(line)

    def _put(self, line: str) -> None:
        if self._shown:
            self.stream.write(_CLEAR)
            self._shown = False
        self.stream.write(line + "\n")
        if self.live:
            self._draw()
        self.stream.flush()

    def _draw(self) -> None:
        if self._active:
            width = shutil.get_terminal_size().columns - 1  # a wrapped line would not clear
            self.stream.write(_CLEAR + self._active[0].running(time.monotonic())[:width])
            self._shown = True
            self.stream.flush()

    def _tick(self) -> None:
        with self._lock:
            while True:
                self._wake.wait(TICK_S)
                if self._active:
                    self._draw()


_reporter: Reporter | None = None
_names: dict[Path, str] = {}


def install(stream: TextIO) -> Reporter:
    """Show steps on `stream` from now on (ticking when it is a terminal)."""
    global _reporter
    live = stream.isatty() and os.environ.get("TERM") != "dumb"
    _reporter = Reporter(stream, live)
    return _reporter


def uninstall() -> None:
    global _reporter
    _reporter = None


def active() -> Reporter | None:
    return _reporter


@contextmanager
def step(what: str, *, hint: str = "") -> Iterator[Step]:
    """Mark a step that may take a while; it ends with the block (`failed` if it raises)."""
    s = Step(what, hint)
    reporter = _reporter
    if reporter is not None:
        reporter.begin(s)
    try:
        yield s
    except BaseException:
        s.finish("failed")
        raise
    finally:
        s.elapsed = time.monotonic() - s.started
        if reporter is not None:
            reporter.end(s)


def shown(path: Path) -> str:
    """`path` as a person would name it: relative to the working folder when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def name_as(path: Path, name: str) -> None:
    """Call the file `path` (a built component) `name` in steps (its guest folder)."""
    _names[path.resolve()] = name


def name_of(path: Path) -> str:
    return _names.get(path.resolve()) or shown(path)


class LogHandler(logging.Handler):
    """Log records through the reporter (so they never garble a ticking line)."""

    def __init__(self, reporter: Reporter) -> None:
        super().__init__()
        self.reporter = reporter

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.reporter.write(self.format(record))
        except Exception:
            self.handleError(record)
