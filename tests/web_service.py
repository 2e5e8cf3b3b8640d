"""A small real HTTP service on a free port (the standard library's threading server), for
the tests of guests' outbound HTTP (the `http` op) and of `wire import openapi --http`.

Routes:
- `GET /hello`: `hello` (text/plain; charset=utf-8), header `x-service: web`;
- `ANY /echo`: `{method, path, query, headers, body}` as JSON;
- `GET /sleep?s=S`: sleeps S seconds, then `slept`;
- `GET /big?n=N[&chunked=1]`: N bytes of `x` (chunked: no content-length);
- `GET /redirect?to=URL`: 302 to URL; `GET /hops?n=N`: N + 1 redirects, then `/hello`;
- `GET /status?code=C`: an empty response of status C;
- `/api/v3/pet...`: a subset of the Swagger Petstore 3 (`petstore3.yaml` in
  tests/data/importers): `POST /pet`, `PUT /pet`, `GET /pet/findByStatus?status=`,
  `GET /pet/{petId}` (404 when unknown), `DELETE /pet/{petId}`.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PETSTORE = "/api/v3"


@dataclass
class Pets:
    """The petstore's state, and the requests it saw."""

    pets: dict[int, dict[str, Any]] = field(default_factory=dict)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (method, path with query)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the tests say what they check

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def do_PUT(self) -> None:
        self._route()

    def do_PATCH(self) -> None:
        self._route()

    def do_DELETE(self) -> None:
        self._route()

    def do_HEAD(self) -> None:
        self._route()

    def _route(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if url.path.startswith(PETSTORE + "/"):
            self._petstore(url.path[len(PETSTORE) :], query, body)
        elif url.path == "/hello":
            self._send(200, b"hello", "text/plain; charset=utf-8", {"x-service": "web"})
        elif url.path == "/echo":
            echo = {
                "method": self.command,
                "path": url.path,
                "query": query,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
            }
            self._json(200, echo)
        elif url.path == "/sleep":
            time.sleep(float(query.get("s", "1")))
            self._send(200, b"slept", "text/plain")
        elif url.path == "/big":
            n = int(query["n"])
            if query.get("chunked"):
                self._chunked(n)
            else:
                self._send(200, b"x" * n, "text/plain")
        elif url.path == "/redirect":
            self._send(302, b"", "text/plain", {"location": query["to"]})
        elif url.path == "/hops":
            n = int(query["n"])
            self._send(302, b"", "text/plain", {"location": f"/hops?n={n - 1}" if n else "/hello"})
        elif url.path == "/status":
            self._send(int(query["code"]), b"", "text/plain")
        else:
            self._json(404, {"error": f"no route {url.path}"})

    def _petstore(self, path: str, query: dict[str, str], body: str) -> None:
        pets = self.server.pets
        with pets.lock:
            pets.seen.append((self.command, self.path))
            parts = path.strip("/").split("/")
            if parts == ["pet"] and self.command in ("POST", "PUT"):
                pet = json.loads(body)
                if self.command == "PUT" and pet.get("id") not in pets.pets:
                    return self._json(404, {"message": "Pet not found"})
                pets.pets[pet["id"]] = pet
                return self._json(200, pet)
            if parts == ["pet", "findByStatus"] and self.command == "GET":
                found = [p for p in pets.pets.values() if p.get("status") == query.get("status")]
                return self._json(200, found)
            if len(parts) == 2 and parts[0] == "pet" and parts[1].isdigit():
                pet_id = int(parts[1])
                if pet_id not in pets.pets:
                    return self._json(404, {"message": "Pet not found"})
                if self.command == "GET":
                    return self._json(200, pets.pets[pet_id])
                if self.command == "DELETE":
                    del pets.pets[pet_id]
                    return self._send(200, b"", "text/plain")
            return self._json(405, {"message": f"{self.command} {path} is not served"})

    def _json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value).encode(), "application/json")

    def _send(
        self, status: int, data: bytes, media: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", media)
        self.send_header("content-length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _chunked(self, n: int) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        step = 64 * 1024
        try:
            for start in range(0, n, step):
                size = min(step, n - start)
                self.wfile.write(f"{size:x}\r\n".encode() + b"x" * size + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client stopped reading (a size cap): fine


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    pets: Pets

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that stops reading (a size cap, a timeout) is no error of the service."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


@dataclass
class WebService:
    host: str
    port: int
    pets: Pets

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def grant(self) -> str:
        return f"{self.host}:{self.port}"


@contextmanager
def web_service() -> Iterator[WebService]:
    """The service on 127.0.0.1 and a free port until the block ends."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.pets = Pets()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield WebService("127.0.0.1", server.server_address[1], server.pets)
    finally:
        server.shutdown()
        server.server_close()
