"""Strawberry apps with bridged typegraphs, for the tests of `wire.strawberry`, and a way
to serve an ASGI app with uvicorn in a subprocess, as users run one.

`uvicorn --factory strawberry_apps:gateway_app`: a team's schema (`hello`) with the gateway
example (policies; callers from the `Authorization` header) and, its types prefixed `Spin`,
the typegraph in `$WIRE_TEST_SPIN_TYPEGRAPH` (a guest that spins until its deadline, and
one that answers at once).
"""

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
import strawberry
from strawberry.asgi import GraphQL
from strawberry.tools import merge_types

import wire.strawberry
from wire.graphql import AuthConfig

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
EXAMPLES = REPO / "examples"
UVICORN = Path(sys.executable).parent / "uvicorn"


@strawberry.type
class Team:
    @strawberry.field
    def hello(self) -> str:
        return "Hello from the team!"


def gateway_app() -> Any:
    gateway = wire.strawberry.load(EXAMPLES / "gateway" / "typegraph.py", auth=AuthConfig())
    spin = wire.strawberry.load(os.environ["WIRE_TEST_SPIN_TYPEGRAPH"], prefix="Spin")
    query = merge_types("Query", (Team, gateway.Query, spin.Query))
    schema = strawberry.Schema(query=query, mutation=gateway.Mutation)
    return wire.strawberry.asgi(GraphQL(schema), gateway, spin)


class Uvicorn:
    """An ASGI app served by `uvicorn` in a subprocess: its URL and a client."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.url = ""
        self.client = httpx.Client(timeout=60)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"Uvicorn running on (http://\S+)", self.output)
            if found:
                self.url = f"{found.group(1)}/graphql"
                return
            if self.proc.poll() is not None:
                time.sleep(0.2)  # let the reader drain
                raise RuntimeError(f"uvicorn exited {self.proc.returncode}:\n{self.output}")
            time.sleep(0.05)
        raise TimeoutError(f"uvicorn did not start in {timeout} s:\n{self.output}")

    def gql(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        """POST a GraphQL request; the decoded body."""
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        r = self.client.post(self.url, json=body, **kw)
        assert r.status_code == 200, (r.status_code, r.text)
        out: dict[str, Any] = r.json()
        return out

    def stop(self, timeout: float = 30) -> int:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@contextmanager
def uvicorn(*args: str, env: dict[str, str] | None = None) -> Iterator[Uvicorn]:
    """Run `uvicorn <args> --port 0` (from the tests' folder) until the block ends."""
    full_env = {**os.environ, **(env or {})}
    full_env.setdefault("WIRE_CACHE_DIR", str(REPO / ".wire-cache"))
    proc = subprocess.Popen(
        [str(UVICORN), *args, "--port", "0", "--lifespan", "on"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=full_env,
        cwd=TESTS,
    )
    server = Uvicorn(proc)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
