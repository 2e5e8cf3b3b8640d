"""The errors of `wire serve`: each a `WireError` with a stable `code` (docs/errors.md)."""

from __future__ import annotations

from ..errors import WireError
from ..messaging.errors import BrokerUnreachable

__all__ = ["BrokerUnreachable", "ConfigError", "PortUnavailable", "StartFailed"]


class ConfigError(WireError):
    """A setting of the server (a flag or a `WIRE_*` variable) has a value it cannot use."""

    code = "bad_config"


class PortUnavailable(WireError):
    """The server cannot listen where it was told to."""

    code = "port_unavailable"


class StartFailed(WireError):
    """A runtime of the typegraph cannot start; the code is its error's (`build_failed`,
    `sdk_missing`, `component_load_failed`, ...)."""

    def __init__(self, typegraph: str, failed: dict[str, WireError], where: str) -> None:
        reasons = "; ".join(f"runtime {n}: {e}" for n, e in failed.items())
        super().__init__(f"typegraph '{typegraph}' cannot start: {reasons}", where=where)
        self.code = next(iter(failed.values())).code
