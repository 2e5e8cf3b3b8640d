"""The error of the `core_wire` kind: a `WireError` with a stable `code` (docs/errors.md)."""

from __future__ import annotations

from ..errors import WireError


class GuestAbiError(WireError):
    """A core module broke the core_wire ABI: a pointer or length outside its memory, or a
    reply that is not the JSON envelope. Its instance is discarded."""

    code = "guest_abi_error"
