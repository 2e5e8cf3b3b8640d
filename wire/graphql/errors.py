"""Errors of the GraphQL gateway: each a `WireError` with a stable `code`."""

from __future__ import annotations

from ..errors import WireError


class SchemaError(WireError):
    """The typegraph cannot be served as GraphQL (a reserved name, a collision, ...)."""

    code = "graphql_schema_invalid"


class PolicyDenied(WireError):
    """A policy chain refused the call; nothing was called."""

    code = "policy_denied"


class PolicyFailed(WireError):
    """A custom policy failed or answered something other than allow, deny or pass."""

    code = "policy_failed"


class AuthError(WireError):
    """The request's credentials are invalid (a bad token, unknown user, wrong password)."""

    code = "unauthenticated"


class RequestTimeout(WireError):
    """The operation ran past its deadline: nothing more was started."""

    code = "request_timeout"


class SubscriptionOverflow(WireError):
    """A subscriber read too slowly: the oldest messages of its backlog were dropped."""

    code = "subscription_overflow"
