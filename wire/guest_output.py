"""Guest stdout/stderr into the host log, without calling Python from wasmtime's threads.

WASI output is written by wasmtime on its own (tokio) threads. A Python callback there
can run while the interpreter is finalising, where taking the GIL ends the thread with a
forced unwind through Rust frames: the process aborts. So each stream is an OS pipe that
wasmtime writes into by path, and one Python thread turns what arrives into log lines.
"""

from __future__ import annotations

import logging
import os
import selectors
import threading
from dataclasses import dataclass, field

_MARKER = b"\0wire-output-sync\0"


@dataclass
class _Stream:
    logger: logging.Logger
    level: int
    buf: bytearray = field(default_factory=bytearray)
    synced: threading.Event = field(default_factory=threading.Event)

    def feed(self, data: bytes) -> None:
        self.buf.extend(data)
        while (nl := self.buf.find(b"\n")) >= 0:
            line = bytes(self.buf[:nl])
            del self.buf[: nl + 1]
            if line.endswith(_MARKER):  # a partial guest line may precede the marker
                if line := line[: -len(_MARKER)]:
                    self.emit(line)
                self.synced.set()
            else:
                self.emit(line)

    def emit(self, line: bytes) -> None:
        self.logger.log(self.level, "%s", line.decode("utf-8", "replace"))

    def flush(self) -> None:
        if self.buf:
            self.emit(bytes(self.buf))
            self.buf.clear()


class OutputPipe:
    """A pipe whose write end wasmtime opens by `path`; lines go to `logger` at `level`."""

    def __init__(self, logger: logging.Logger, level: int) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        self.path = f"/proc/self/fd/{self._write}"
        self._stream = _Stream(logger, level)
        _pump.add(self._read, self._stream)

    def close(self, timeout: float = 0.5) -> None:
        """Log what guests wrote so far, then close our write end.

        A marker line goes through the pipe after everything already in it; once the pump
        has read it, every earlier line is in the log. The pipe itself is closed by the pump
        when the last store holding it is gone.
        """
        if self._write < 0:
            return
        try:
            os.write(self._write, _MARKER + b"\n")
            self._stream.synced.wait(timeout)
        finally:
            os.close(self._write)
            self._write = -1

    def __del__(self) -> None:
        self.close()


class _Pump:
    """One daemon thread reading every guest output pipe."""

    def __init__(self) -> None:
        self._sel = selectors.DefaultSelector()
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        self._sel.register(self._wake_r, selectors.EVENT_READ, None)
        self._thread: threading.Thread | None = None

    def add(self, fd: int, stream: _Stream) -> None:
        with self._lock:
            self._sel.register(fd, selectors.EVENT_READ, stream)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="wire-guest-output", daemon=True
                )
                self._thread.start()
        os.write(self._wake_w, b"\0")  # re-enter select() with the new fd

    def _run(self) -> None:
        while True:
            for key, _ in self._sel.select():
                if key.data is None:
                    os.read(self._wake_r, 4096)
                    continue
                stream: _Stream = key.data
                try:
                    data = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if data:
                    stream.feed(data)
                else:  # every writer closed
                    stream.flush()
                    with self._lock:
                        self._sel.unregister(key.fd)
                    os.close(key.fd)


_pump = _Pump()
