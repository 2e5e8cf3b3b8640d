"""Who calls a bridged function: the app says it with a hook, or the request's
`Authorization` header says it, checked as `wire serve` checks it.

A hook gets strawberry's `info` (the app's own `info.context`: a session, a user the app
already authenticated, ...) and returns the `AuthContext` that policies see (`context` in
a custom policy's input), or an awaitable of it. Without one, every caller is anonymous.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from strawberry.types import Info

from ..graphql import ANONYMOUS, AuthConfig, AuthContext, Authenticator

Identify = Callable[[Info[Any, Any]], AuthContext | Awaitable[AuthContext]]


def authorization_of(context: Any) -> str | None:
    """The `Authorization` of a strawberry request: a WebSocket's `connection_init`
    payload first (graphql-transport-ws), else the request's header. Strawberry's
    integrations keep the request at `context["request"]` or `context.request`."""
    if isinstance(context, Mapping):
        request, params = context.get("request"), context.get("connection_params")
    else:
        request = getattr(context, "request", None)
        params = getattr(context, "connection_params", None)
    if isinstance(params, Mapping):
        found = params.get("Authorization", params.get("authorization"))
        if isinstance(found, str) and found:
            return found
    headers = getattr(request, "headers", None)
    found = headers.get("authorization") if headers is not None else None
    return found if isinstance(found, str) else None


class HeaderAuth:
    """The caller from the `Authorization` header: a JWT bearer token or basic credentials
    of the users the typegraph lists, with the keys and passwords of `config` (and
    `WIRE_<TYPEGRAPH>_BASIC_<USER>`); no header is the anonymous caller, bad credentials
    fail with `unauthenticated`."""

    def __init__(
        self,
        config: AuthConfig,
        typegraph: str,
        basic_users: list[str],
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.authenticator = Authenticator(config, typegraph, basic_users, env)

    def __call__(self, info: Info[Any, Any]) -> AuthContext:
        return self.authenticator.authenticate(authorization_of(info.context))


def anonymous(_info: Info[Any, Any]) -> AuthContext:
    return ANONYMOUS


async def identify(hook: Identify, info: Info[Any, Any]) -> AuthContext:
    """The caller of the field `info` resolves, as `hook` says."""
    found = hook(info)
    if inspect.isawaitable(found):
        found = await found
    if not isinstance(found, AuthContext):
        raise TypeError(
            f"the auth hook returned {type(found).__name__}: it must return a "
            "wire.graphql.AuthContext (or an awaitable of one)"
        )
    return found
