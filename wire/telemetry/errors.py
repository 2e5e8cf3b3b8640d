"""The error of telemetry: a `WireError` with a stable `code` (docs/errors.md)."""

from __future__ import annotations

from ..errors import WireError


class TracingConfigError(WireError):
    """The `OTEL_*` variables ask for traces wire cannot export (an unknown exporter or
    protocol, a missing exporter package)."""

    code = "bad_config"
