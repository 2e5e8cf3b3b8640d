"""Shared by the client SDK tests: the typegraphs they generate clients for, the
environment that serves them, a server that never answers, and the TypeScript toolchain."""

from __future__ import annotations

import importlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from guests import build_wat_guest
from messaging.support import FLOW, flow_env
from serving import GATEWAY, MATH, REPO

import typegraph

ORDERS = REPO / "examples" / "orders" / "typegraph.py"
EDGES = REPO / "tests" / "client_typegraph.py"
TYPEGRAPHS = {"math": MATH, "gateway": GATEWAY, "orders": ORDERS, "flow": FLOW, "edges": EDGES}

JWT_SECRET = "a-client-test-secret-that-is-long-enough-for-hs256-0123456789"
ADMIN_PASSWORD = "s3cret pass"


def serve_env(prefix: str) -> dict[str, str]:
    """What `wire serve` of TYPEGRAPHS needs: the test guests, fresh channels, the gateway's
    admin password and a JWT secret."""
    return {
        **flow_env(prefix),
        "WIRE_TEST_ECHO": str(build_wat_guest("echo")),
        "WIRE_JWT_SECRET": JWT_SECRET,
        "WIRE_GATEWAY_BASIC_ADMIN": ADMIN_PASSWORD,
    }


def load(name: str, prefix: str = "client") -> dict[str, Any]:
    """The document of one of TYPEGRAPHS, loaded as `wire serve` loads it."""
    saved = dict(os.environ)
    os.environ.update(serve_env(prefix))
    try:
        return typegraph.load(TYPEGRAPHS[name])
    finally:
        os.environ.clear()
        os.environ.update(saved)


def import_fresh(folder: Path, package: str) -> Any:
    """Import the generated package `package` from `folder` (forgetting an earlier one)."""
    for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
        del sys.modules[name]
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(folder))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def silent_server(hold_s: float = 5.0) -> Iterator[str]:
    """A TCP server that accepts connections and never answers: its URL. It drops each
    connection after `hold_s` (long past the clients' timeouts in the tests), so that a
    client left holding one (Node's WebSocket, closed while connecting) is let go."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[tuple[float, socket.socket]] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            now = time.monotonic()
            while held and held[0][0] <= now:
                held.pop(0)[1].close()
            try:
                held.append((time.monotonic() + hold_s, listener.accept()[0]))
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for _, conn in held:
            conn.close()
        listener.close()


@contextmanager
def failing_server() -> Iterator[str]:
    """An HTTP server that answers every request with a 502 and a body that is not JSON, as
    a proxy in front of a server that is down would: its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            body = b"upstream is down"
            self.send_response(502)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


# -- TypeScript ----------------------------------------------------------------------

# The strictest settings a project may compile the client with: no DOM, no Node types.
TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "target": "es2022",
        "module": "es2022",
        "moduleResolution": "bundler",
        "lib": ["es2022"],
        "types": [],
        "isolatedModules": True,
        "verbatimModuleSyntax": True,
        "noUncheckedIndexedAccess": True,
        "exactOptionalPropertyTypes": True,
        "noImplicitOverride": True,
        "noImplicitReturns": True,
        "noUnusedLocals": True,
        "noUnusedParameters": True,
        "pretty": False,
    },
    "include": ["**/*.ts"],
}


def tsc(folder: Path, *, emit: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`tsc -p` over `folder` with TSCONFIG (emitting JavaScript into `emit`, when given)."""
    from wire.build.toolchain import TSC, toolchain

    config = json.loads(json.dumps(TSCONFIG))
    if emit is None:
        config["compilerOptions"]["noEmit"] = True
    else:
        config["compilerOptions"]["outDir"] = str(emit)
    (folder / "tsconfig.json").write_text(json.dumps(config, indent=2))
    tools = toolchain()
    return subprocess.run(
        [*tools.script(TSC), "-p", str(folder)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
