"""Broker URLs: read once by each backend (`BrokerUrl`: the server's address, and the query
parameters that tune the backend, typed and checked) and shown without their password
(`redacted`: in logs, `/health`, the AsyncAPI document)."""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import overload
from urllib.parse import parse_qs, urlsplit, urlunsplit

from .errors import MessagingError


def redacted(url: str) -> str:
    """`url` without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class BrokerUrl:
    """A broker URL split once: `server` is the URL without its query (what the client
    library connects to), `params` the query parameters wire reads (`?ack_wait=5`), each
    read with its type and default. A parameter the backend does not take, or a value it
    cannot use, is a `MessagingError` that names it and says what it takes."""

    def __init__(self, url: str, params: Collection[str]) -> None:
        self.url = url
        self.parts = urlsplit(url)
        self.server = urlunsplit((self.parts.scheme, self.parts.netloc, self.parts.path, "", ""))
        query = parse_qs(self.parts.query, keep_blank_values=True)
        unknown = sorted(set(query) - set(params))
        if unknown:
            takes = ", ".join(sorted(params)) or "none"
            raise MessagingError(
                f"unknown query parameter(s) {', '.join(unknown)}: a {self.parts.scheme}:// "
                f"broker takes {takes}",
                where=redacted(url),
            )
        self._params = {name: values[-1] for name, values in query.items()}

    def text(self, name: str, default: str) -> str:
        """`?name=` as given (empty or absent: `default`)."""
        return self._params.get(name) or default

    def seconds(self, name: str, default: float) -> float:
        """`?name=` as a positive number of seconds."""
        raw = self._params.get(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise self._bad(name, raw, "a positive number of seconds")
        return value

    @overload
    def integer(self, name: str, default: int, *, high: int | None = None) -> int: ...

    @overload
    def integer(self, name: str, default: None, *, high: int | None = None) -> int | None: ...

    def integer(self, name: str, default: int | None, *, high: int | None = None) -> int | None:
        """`?name=` as a whole number from 1 (to `high`)."""
        raw = self._params.get(name)
        if raw is None:
            return default
        value = int(raw) if raw.isdigit() else 0
        if not 1 <= value <= (high if high is not None else value):
            span = f"from 1 to {high}" if high is not None else "of at least 1"
            raise self._bad(name, raw, f"a whole number {span}")
        return value

    def _bad(self, name: str, raw: str, wanted: str) -> MessagingError:
        return MessagingError(f"?{name}= must be {wanted}, got {raw!r}", where=redacted(self.url))
