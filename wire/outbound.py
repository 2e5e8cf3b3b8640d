"""The `http` hostcall op: outbound HTTP for guests, to the hosts their runtime is granted.

A runtime's grants (`WireRuntime(..., http=[...])`, `grants.http` in the document) reach the
op in the caller's context (`CallerContext.http`). A grant is `[scheme://]host[:port]`:
without a scheme it allows http and https, without a port only the scheme's default port
(80, 443). Anything else is `permission_denied` before a connection is made, and so is a
redirect to it: redirects are followed (at most `max_redirects`) only within the grants.

The op runs on the calling guest's worker thread with a shared synchronous httpx client.
`timeout_ms` (default, and at most: what is left of the guest's deadline) bounds
connecting, sending and each wait for the server, and the exchange as a whole (checked as
the body arrives); the body is read up to `max_response_bytes` (default 1 MiB,
`WIRE_HTTP_MAX_RESPONSE_BYTES`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from .errors import HttpArgsInvalid, HttpDenied, HttpFailed, HttpTimeout, ResponseTooLarge

if TYPE_CHECKING:
    from .hostcalls import CallerContext

log = logging.getLogger("wire.outbound")

DEFAULT_MAX_RESPONSE_BYTES = 2**20
MAX_RESPONSE_ENV = "WIRE_HTTP_MAX_RESPONSE_BYTES"
DEFAULT_MAX_REDIRECTS = 5
# A caller without a deadline (an op called outside a guest call) waits at most this long.
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Grant:
    """One entry of `grants.http`: `host` (lower-case, an IPv6 address without brackets),
    `port` (None: the scheme's default) and `scheme` (None: http or https)."""

    scheme: str | None
    host: str
    port: int | None

    @classmethod
    def parse(cls, text: str) -> Grant:
        """`api.example.com`, `127.0.0.1:8080`, `https://[::1]:8443`, ...; a `ValueError`
        says what is wrong with anything else."""
        scheme, sep, rest = text.partition("://")
        if not sep:
            scheme, rest = "", text
        if scheme and scheme not in DEFAULT_PORTS:
            raise ValueError(f"http grant {text!r}: the scheme must be http or https")
        if not rest or any(c in rest for c in "/?#@ "):
            raise ValueError(
                f"http grant {text!r}: write a host, optionally with a port and a scheme "
                "(api.example.com, 127.0.0.1:8080, https://api.example.com)"
            )
        try:
            parts = urlsplit(f"//{rest}")
            port = parts.port
        except ValueError as e:
            raise ValueError(f"http grant {text!r}: {e}") from None
        if not parts.hostname:
            raise ValueError(f"http grant {text!r}: no host")
        return cls(scheme or None, parts.hostname.lower(), port)

    def allows(self, scheme: str, host: str, port: int) -> bool:
        if self.scheme is not None and scheme != self.scheme:
            return False
        return host == self.host and port == (
            DEFAULT_PORTS[scheme] if self.port is None else self.port
        )

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme + '://' if self.scheme else ''}{host}{port}"


@lru_cache(maxsize=256)
def parse_grants(grants: frozenset[str]) -> tuple[Grant, ...]:
    return tuple(sorted((Grant.parse(g) for g in grants), key=str))


def check_grant(grants: tuple[Grant, ...], url: httpx.URL, where: str) -> None:
    """Return when `url` is granted; raise `HttpDenied` saying what is not."""
    scheme = url.scheme
    host = url.raw_host.decode("ascii").lower()
    if scheme not in DEFAULT_PORTS:
        raise HttpDenied(f"{url}: only http and https URLs can be granted", where=where)
    port = url.port or DEFAULT_PORTS[scheme]
    if any(g.allows(scheme, host, port) for g in grants):
        return
    shown = f"[{host}]" if ":" in host else host
    raise HttpDenied(
        f"{scheme}://{shown}:{port} is not granted to this runtime (granted: "
        f"{', '.join(map(str, grants)) or 'none'}); add it to WireRuntime(..., http=[...])",
        where=where,
    )


def _max_response_bytes() -> int:
    raw = os.environ.get(MAX_RESPONSE_ENV)
    if not raw:
        return DEFAULT_MAX_RESPONSE_BYTES
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{MAX_RESPONSE_ENV} must be a positive number of bytes, got {raw!r}")
    return value


class OutboundHttp:
    """The `http` op (`wit/ops/http.json`): register it with `reg.register_spec(OPS_DIR /
    "http.json", OutboundHttp())` (the default registry has one)."""

    def __init__(
        self,
        *,
        max_response_bytes: int | None = None,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
    ) -> None:
        self.max_response_bytes = max_response_bytes or _max_response_bytes()
        self.max_redirects = max_redirects
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> httpx.Client:
        """The shared client (made on first use, again after `close`)."""
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(follow_redirects=False)
            return self._client

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def __call__(self, ctx: CallerContext, args: dict[str, Any]) -> dict[str, Any]:
        where = f"{ctx.typegraph}/{ctx.runtime}"
        end = _end(ctx, args.get("timeout_ms"))
        headers = args.get("headers") or {}
        if any(k.lower() == "host" for k in headers):
            raise HttpArgsInvalid("the Host header comes from the URL: leave it out", where=where)
        grants = parse_grants(ctx.http)
        client = self.client
        try:
            request = client.build_request(
                args["method"], args["url"], headers=headers, content=args.get("body")
            )
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as e:
            raise HttpArgsInvalid(f"bad URL {args['url']!r}: {e}", where=where) from None
        for _ in range(self.max_redirects + 1):
            check_grant(grants, request.url, where)
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise self._timeout(args, where)
            request.extensions["timeout"] = httpx.Timeout(remaining).as_dict()
            log.debug("%s: %s %s", where, request.method, request.url)
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException:
                raise self._timeout(args, where) from None
            except httpx.TransportError as e:
                raise HttpFailed(f"{request.method} {request.url}: {e}", where=where) from None
            try:
                if response.next_request is not None:  # a redirect: followed within the grants
                    request = response.next_request
                    continue
                body = self._read(response, end, args, where)
            finally:
                response.close()
            return {
                "status": response.status_code,
                "url": str(request.url),
                "headers": _headers(response.headers),
                "body": body,
            }
        raise HttpFailed(f"{args['url']}: more than {self.max_redirects} redirects", where=where)

    def _read(self, response: httpx.Response, end: float, args: dict[str, Any], where: str) -> str:
        cap = self.max_response_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise self._too_large(args, where, f"it declares {declared} bytes")
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > cap:
                    raise self._too_large(args, where, "it is longer")
                chunks.append(chunk)
                if time.monotonic() > end:
                    raise self._timeout(args, where)
        except httpx.TimeoutException:
            raise self._timeout(args, where) from None
        except httpx.TransportError as e:
            raise HttpFailed(f"{args['url']}: reading the response: {e}", where=where) from None
        data = b"".join(chunks)
        try:
            return data.decode(response.charset_encoding or "utf-8", errors="replace")
        except LookupError:  # a charset Python does not know
            return data.decode("utf-8", errors="replace")

    def _timeout(self, args: dict[str, Any], where: str) -> HttpTimeout:
        asked = args.get("timeout_ms")
        limit = (
            f"within its timeout of {asked} ms (or by the guest's deadline, if sooner)"
            if asked
            else "by the guest's deadline"
        )
        return HttpTimeout(
            f"{args['method']} {args['url']}: no complete response {limit}", where=where
        )

    def _too_large(self, args: dict[str, Any], where: str, why: str) -> ResponseTooLarge:
        return ResponseTooLarge(
            f"{args['method']} {args['url']}: the response body is over the limit of "
            f"{self.max_response_bytes} bytes ({why}); raise {MAX_RESPONSE_ENV} if it must "
            "be read whole",
            where=where,
        )


def _end(ctx: CallerContext, timeout_ms: int | None) -> float:
    """When the exchange must be over (monotonic): after `timeout_ms`, by the guest's
    deadline (without `timeout_ms`: at the guest's deadline)."""
    if timeout_ms is None:
        return ctx.due if ctx.due is not None else time.monotonic() + DEFAULT_TIMEOUT_S
    end = time.monotonic() + timeout_ms / 1000
    return end if ctx.due is None else min(end, ctx.due)


def _headers(headers: httpx.Headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in headers.multi_items():
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out
