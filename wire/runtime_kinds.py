"""Runtime kinds: what makes the runtime of a typegraph's `runtimes` entry, by its `kind`.

The host knows no kind itself. The layers that provide one register it when they are
imported: `wire.runtime` registers `wire` (wit-wire components), `wire.messaging.native`
registers `messaging` (wasi:/wasmcloud:messaging components), `wire.reflected` registers
`reflected` (typed WIT exports), `wire.core_wire` registers `core_wire` (core modules), and
importing `wire` imports them all. A platform extender registers theirs the same way, or
gives a `Host` its own table.

    register("reflected", ExportsRuntime.for_host)
    host = Host(doc, base_dir)                      # every registered kind
    host = Host(doc, base_dir, kinds={"wire": ...}) # exactly these
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from typegraph import model

from .engine import Engine
from .errors import TypegraphLoadError, WireError
from .hostcalls import HostcallRegistry

ComponentResolver = Callable[[Path], Path]


class Runtime(Protocol):
    """What a host needs of a runtime: started once, called, closed."""

    spec: model.Runtime
    failed: WireError | None

    def start(self) -> None:
        """Load what it runs; a failure is raised and kept (`failed`)."""

    def call(
        self,
        op: str,
        in_json: str,
        *,
        function: str | None = None,
        extra: dict[str, Any] | None = None,
        started: float | None = None,
    ) -> str:
        """Run `op` on `in_json` (blocking: on a worker thread); the JSON result."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class RuntimeEnv:
    """What a host gives each of its runtimes."""

    typegraph: model.Model
    base_dir: Path  # the typegraph file's folder: components are relative to it
    engine: Engine
    hostcalls: HostcallRegistry
    workers: int  # the host's worker threads
    resolve_component: ComponentResolver | None = None
    fast_path: bool | None = None


RuntimeKind = Callable[[model.Runtime, RuntimeEnv], Runtime]

_KINDS: dict[str, RuntimeKind] = {}


def register(kind: str, make: RuntimeKind, *, replace: bool = False) -> None:
    """Make runtimes of `kind` with `make(spec, env)` in every host made from now on."""
    if kind in _KINDS and _KINDS[kind] is not make and not replace:
        raise ValueError(f"runtime kind {kind!r} is already registered (pass replace=True)")
    _KINDS[kind] = make


def registered() -> dict[str, RuntimeKind]:
    """The kinds registered so far (a copy)."""
    return dict(_KINDS)


def make_runtime(spec: model.Runtime, env: RuntimeEnv, kinds: Mapping[str, RuntimeKind]) -> Runtime:
    make = kinds.get(spec.kind)
    if make is None:
        known = ", ".join(sorted(kinds)) or "none"
        raise TypegraphLoadError(
            f"runtime {spec.name!r} is of kind {spec.kind!r}, which this host does not know "
            f"(known: {known}): import the package that provides it",
            where=env.typegraph.name,
        )
    return make(spec, env)
