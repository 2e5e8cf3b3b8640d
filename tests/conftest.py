"""Shared fixtures: built test guests and hand-written typegraph documents."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
# Built guests and compiled components are cached here (ignored by git), keyed by content.
os.environ.setdefault("WIRE_CACHE_DIR", str(REPO / ".wire-cache"))
sys.path.insert(0, str(REPO / "tests"))

from guests import build_wat_guest  # noqa: E402

from wire import Host, HostcallRegistry, default_registry  # noqa: E402


@pytest.fixture(scope="session")
def wat() -> Callable[[str], Path]:
    return build_wat_guest


@pytest.fixture(scope="session", autouse=True)
def _forget_broker_state() -> Iterator[None]:
    """At the end of the session, remove the queues, streams and keys its channels left
    on the real brokers, so repeated runs on one machine keep the brokers healthy."""
    yield
    from messaging import USED
    from messaging.cleanup import remove_test_state

    removed = asyncio.run(remove_test_state(USED))
    if removed:
        print(f"\nbroker clean-up ({len(USED)} test prefixes): {removed}")


def make_document(
    component: Path | str,
    functions: dict[str, dict[str, Any]],
    *,
    name: str = "tg",
    runtime: str = "rt",
    instances: dict[str, Any] | None = None,
    limits: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A typegraph document with one wire runtime; `functions` maps name -> {input fields,
    output node, op}."""
    types: dict[str, Any] = {}
    mats: dict[str, Any] = {}
    fns: dict[str, Any] = {}
    for fname, f in functions.items():
        tname = f"{fname.capitalize()}Input"
        types[tname] = {
            "kind": "struct",
            "fields": f.get("input", {}),
            "additionalProperties": False,
        }
        mats[fname] = {"runtime": runtime, "op": f.get("op", fname), "title": fname, "data": {}}
        fns[fname] = {
            "input": tname,
            "output": f.get(
                "output", {"kind": "struct", "fields": {}, "additionalProperties": True}
            ),
            "materializer": fname,
            "effect": "read",
            "exposed": True,
            "policies": ["public"],
        }
        if fns[fname]["output"]["kind"] == "struct":
            oname = f"{fname.capitalize()}Output"
            types[oname] = fns[fname]["output"]
            fns[fname]["output"] = {"kind": "ref", "name": oname}
    return {
        "format": "wire-typegraph/1",
        "name": name,
        "types": types,
        "runtimes": {
            runtime: {
                "kind": "wire",
                "component": str(component),
                "instances": instances or {"policy": "fresh"},
                "limits": {"deadline_ms": 10_000, "memory_bytes": 64 * 2**20, **(limits or {})},
            }
        },
        "materializers": mats,
        "policies": {"public": {"kind": "public"}},
        "functions": fns,
        "channels": {},
    }


@pytest.fixture(params=["fast", "generic"])
def host_for(request: pytest.FixtureRequest) -> Iterator[Callable[..., Host]]:
    """Make hosts from documents (on each call path in turn); closes them after the test."""
    made: list[Host] = []
    fast = request.param == "fast"

    def make(doc: dict[str, Any], hostcalls: HostcallRegistry | None = None, **kw: Any) -> Host:
        h = Host(doc, REPO, hostcalls=hostcalls or default_registry(), fast_path=fast, **kw)
        made.append(h)
        return h

    yield make
    for h in made:
        if not fast:  # forcing the generic path must really use it
            assert all(
                rt.call_path is None or rt.call_path.name == "generic" for rt in h.runtimes.values()
            )
        h.close()
