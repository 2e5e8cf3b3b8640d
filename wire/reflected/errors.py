"""The error of the `reflected` kind: a `WireError` with a stable `code` (docs/errors.md)."""

from __future__ import annotations

from ..errors import ComponentLoadError


class SignatureMismatch(ComponentLoadError):
    """A function's typegraph types do not fit the WIT signature of the export it binds."""

    code = "signature_mismatch"
