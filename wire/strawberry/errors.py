"""wire's errors as GraphQL errors, formatted as `wire serve` formats them."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from graphql import GraphQLError

from ..errors import WireError
from ..graphql.gateway import MASKED_CODES

log = logging.getLogger("wire.strawberry")


def graphql_error(error: WireError, *, production: bool = False) -> GraphQLError:
    """`error` as a resolver raises it: the message names where it happened, and
    `extensions` carry its `code` and `details`. With `production`, an error about the
    host's insides (a trap, a bad guest result, ...) reads `internal error (reference
    <id>)` and the log has it in full, as with `wire serve --production`."""
    message = str(error)
    extensions: dict[str, Any] = {"code": error.code}
    if error.details is not None:
        extensions["details"] = error.details
    if production and error.code in MASKED_CODES:
        ref = uuid.uuid4().hex[:12]
        log.error("[%s] %s: %s", ref, error.code, error)
        message = f"internal error (reference {ref})"
        extensions.pop("details", None)
    return GraphQLError(message, original_error=error, extensions=extensions)
