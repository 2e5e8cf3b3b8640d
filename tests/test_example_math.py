"""The math example end to end: a componentize-py guest built from source, through the host."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wire import HandlerError, Host, InputInvalid

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "math" / "typegraph.py"


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    with Host.load(EXAMPLE) as h:
        yield h


def test_add(host: Host) -> None:
    assert host.call_sync("add", {"a": 11, "b": 2}) == 13


def test_range_and_its_error(host: Host) -> None:
    assert host.call_sync("range", {"a": 1, "b": 4}) == [1, 2, 3, 4]
    with pytest.raises(HandlerError, match=r"invalid range: 100 > 1"):
        host.call_sync("range", {"a": 100, "b": 1})


def test_identity_of_nested_records(host: Host) -> None:
    full: dict[str, Any] = {
        "id": 1,
        "name": "full",
        "shape": "circle",
        "origin": {"x": 1.5, "y": -2.0, "label": "o"},
        "note": "n",
        "corner": {"x": 0.0, "y": 0.0},
        "cells": [["a", 1.5], [], [2.0]],
    }
    sparse: dict[str, Any] = {
        "id": 2,
        "name": "sparse",
        "shape": "square",
        "origin": {"x": 0.0, "y": 0.0, "label": None},
        "note": None,
        "cells": [],
    }
    assert host.call_sync("identity", full) == full
    assert host.call_sync("identity", sparse) == sparse
    with pytest.raises(InputInvalid, match="shape"):
        host.call_sync("identity", {**full, "shape": "hexagon"})


def test_fresh_and_pooled_counters(host: Host) -> None:
    assert [host.call_sync("count", {}) for _ in range(3)] == [1, 1, 1]
    first = host.call_sync("count_pooled", {})
    assert [host.call_sync("count_pooled", {}) for _ in range(2)] == [first + 1, first + 2]


def test_handler_exception_is_a_handler_error(host: Host) -> None:
    with pytest.raises(HandlerError, match="materializer handler error for op fail: no luck"):
        host.call_sync("fail", {"message": "no luck"})


def test_guest_log_and_stdout_reach_the_host_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="wire.guest"), Host.load(EXAMPLE) as h:
        assert h.call_sync("greet", {"name": "ada"}) == "hello ada"
    lines = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert ("wire.guest.math.guest", logging.INFO, "greeting ada") in lines
    assert ("wire.guest.math.guest", logging.INFO, "stdout works too, ada") in lines


def test_guest_traceback_on_stderr_is_logged_as_warning(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level(logging.INFO, logger="wire.guest"),
        Host.load(EXAMPLE) as h,
        pytest.raises(HandlerError),
    ):
        h.call_sync("range", {"a": 3, "b": 2})
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("ValueError: invalid range: 3 > 2" in w for w in warnings)
