"""`wire serve` in a subprocess on a free port, as users run it, for the HTTP tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
WIRE = Path(sys.executable).parent / "wire"
GATEWAY = REPO / "examples" / "gateway" / "typegraph.py"
MATH = REPO / "examples" / "math" / "typegraph.py"


class Server:
    """A running `wire serve`: its base URL, its output so far, and a client."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.url = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.client = httpx.Client(timeout=60)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"serving \d+ typegraph\(s\) at (http://\S+)", self.output)
            if found:
                self.url = found.group(1)
                return
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the reader drain
                raise RuntimeError(f"wire serve exited {self.proc.returncode}:\n{self.output}")
            time.sleep(0.05)
        raise TimeoutError(f"wire serve did not start in {timeout} s:\n{self.output}")

    def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        path: str = "gateway",
        **kw: Any,
    ) -> dict[str, Any]:
        """POST a GraphQL request; the decoded body (any status)."""
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        r = self.client.post(f"{self.url}/{path}", json=body, **kw)
        out: dict[str, Any] = r.json()
        out["_status"] = r.status_code
        return out

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM (graceful shutdown); the exit code."""
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)
        return self.proc.returncode


@contextmanager
def serve(*args: str | Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """Run `wire serve --port 0 <args>` until the block ends."""
    cmd = [str(WIRE), "serve", "--port", "0", *map(str, args)]
    full_env = {**os.environ, **(env or {})}
    full_env.setdefault("WIRE_CACHE_DIR", str(REPO / ".wire-cache"))
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=full_env,
        cwd=REPO,
    )
    server = Server(proc)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
