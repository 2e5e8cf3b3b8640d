"""Slow and vanishing HTTP clients against `wire serve` (a subprocess, real sockets): half a
request head or half a body is answered 408 `read_timeout` and closed once its deadline
passes; a connection that sends nothing is closed quietly; a client that disconnects
mid-body is one log line, not a traceback; the server serves on."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from serving import MATH, Server, serve

HEAD = b"POST /math HTTP/1.1\r\nHost: wire\r\nContent-Type: application/json\r\n"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serve(MATH, "--header-timeout", "1", env={"WIRE_BODY_TIMEOUT_S": "1"}) as s:
        yield s


def connect(server: Server) -> socket.socket:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)))
    sock.settimeout(30)  # a bound for a failing test, not a timing assertion
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    out = b""
    while chunk := sock.recv(65536):
        out += chunk
    return out


def response(raw: bytes) -> tuple[int, dict[str, str], Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


def still_serves(server: Server) -> None:
    assert server.gql("{ add(a: 1, b: 2) }", path="math")["data"] == {"add": 3}


def test_half_a_request_head_gets_408(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(b"POST /math HTTP/1.1\r\nHost: wi")  # then nothing
        status, headers, body = response(read_all(sock))
    assert status == 408 and headers["connection"] == "close"
    (err,) = body["errors"]
    assert err["extensions"]["code"] == "read_timeout"
    assert err["message"] == (
        "the request head did not arrive within 1 s (--header-timeout / WIRE_HEADER_TIMEOUT_S)"
    )
    still_serves(server)


def test_a_head_sent_one_byte_at_a_time_is_cut_off(server: Server) -> None:
    # Each byte resets no timer: the whole head must arrive within the deadline.
    with connect(server) as sock:
        started = time.monotonic()
        for byte in b"GET /math?query={__typename} HTTP/1.1\r\nHost: wire\r\n":
            try:
                sock.send(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.1)
            if time.monotonic() - started > 20:
                break
        raw = read_all(sock)
    assert raw.startswith(b"HTTP/1.1 408 ")


def test_an_idle_connection_is_closed_quietly(server: Server) -> None:
    with connect(server) as sock:
        assert read_all(sock) == b""  # closed, nothing said


def test_a_keep_alive_connection_gets_the_deadline_for_its_next_head(server: Server) -> None:
    body = b'{"query": "{ add(a: 2, b: 2) }"}'
    with connect(server) as sock:
        sock.sendall(HEAD + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        first = b""
        while not first.endswith(b"}}"):  # one response, the connection kept
            first += sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ") and first.endswith(b'{"data":{"add":4}}')
        sock.sendall(b"POST /math HTTP/1.1\r\n")  # the next request stalls mid-head
        assert read_all(sock).startswith(b"HTTP/1.1 408 ")


def test_half_a_body_gets_408(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(HEAD + b"Content-Length: 100\r\n\r\n" + b'{"query": ')
        status, headers, body = response(read_all(sock))
    assert status == 408 and headers["connection"] == "close"
    (err,) = body["errors"]
    assert err["extensions"]["code"] == "read_timeout"
    assert "the request body did not arrive within 1 s" in err["message"]
    assert "WIRE_BODY_TIMEOUT_S" in err["message"]
    still_serves(server)


def test_a_client_gone_mid_body_is_one_log_line(server: Server) -> None:
    clients = []
    for _ in range(3):
        with connect(server) as sock:
            sock.sendall(HEAD + b"Content-Length: 1000\r\n\r\n" + b'{"query": "{ add')
            clients.append(sock.getsockname()[1])
            time.sleep(0.2)  # the server is reading the body
    gone = []
    for _ in range(100):
        gone = [ln for ln in server.lines if "went away before its request body" in ln]
        if len(gone) >= 3:
            break
        time.sleep(0.1)
    assert len(gone) == 3, server.output
    assert all(any(f":{port} went away" in ln for ln in gone) for port in clients), gone
    assert "Traceback" not in server.output and "ClientDisconnect" not in server.output
    still_serves(server)
