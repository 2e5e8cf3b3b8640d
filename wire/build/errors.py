"""The errors of `wire build`: each a `WireError` with a stable `code` (docs/errors.md)."""

from __future__ import annotations

from ..errors import WireError


class BuildError(WireError):
    """A guest could not be built; `stderr` carries the build tool's output."""

    code = "build_failed"

    def __init__(self, message: str, *, where: str | None = None, stderr: str = "") -> None:
        super().__init__(message, where=where, details=stderr or None)
        self.stderr = stderr


class GuestTypeError(BuildError):
    """mypy found errors in the guest; `stderr` carries its report."""

    code = "guest_type_error"


class SdkMissing(BuildError):
    """The guest imports `wire_sdk`, which `wire codegen` has not written."""

    code = "sdk_missing"
