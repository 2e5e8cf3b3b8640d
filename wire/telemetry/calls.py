"""The telemetry of one function's calls: its metrics always, a span each when tracing
is on. The host calls `start` before a call and `done` or `failed` after it."""

from __future__ import annotations

from time import perf_counter
from typing import Any

from ..errors import WireError
from . import tracing
from .metrics import call_stats


class _Traced:
    """A call started while tracing: its start time, its span and the context token."""

    __slots__ = ("span", "started", "token")

    def __init__(self, started: float, span: Any, token: object) -> None:
        self.started = started
        self.span = span
        self.token = token


def code_of(error: BaseException) -> str:
    return error.code if isinstance(error, WireError) else "internal_error"


class CallTelemetry:
    __slots__ = ("_attributes", "_span_name", "stats")

    def __init__(self, typegraph: str, function: str, runtime: str) -> None:
        self.stats = call_stats(typegraph, function)
        self._span_name = f"call {function}"
        self._attributes = {
            "wire.typegraph": typegraph,
            "wire.function": function,
            "wire.runtime": runtime,
        }

    def start(self) -> float | _Traced:
        if tracing.active:
            return _Traced(perf_counter(), *tracing.start_call(self._span_name, self._attributes))
        return perf_counter()

    def done(self, began: float | _Traced) -> None:
        if type(began) is float:
            self.stats.observe(perf_counter() - began)
            return
        assert isinstance(began, _Traced)
        self.stats.observe(perf_counter() - began.started)
        tracing.end_call(began.span, began.token)

    def failed(self, began: float | _Traced, error: BaseException) -> None:
        if isinstance(began, _Traced):
            self.stats.failed(code_of(error), perf_counter() - began.started)
            tracing.end_call(began.span, began.token, error)
        else:
            self.stats.failed(code_of(error), perf_counter() - began)

    def record(self, seconds: float, error: BaseException | None = None) -> None:
        """A call timed by its caller (one of a batch: its share of the batch's time)."""
        if error is None:
            self.stats.observe(seconds)
        else:
            self.stats.failed(code_of(error), seconds)

    def refused(self, code: str) -> None:
        """A call refused before it ran (its arguments failed the input schema)."""
        self.stats.failed(code, 0.0)
