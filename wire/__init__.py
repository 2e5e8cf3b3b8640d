"""wire: a typegraph materializer runtime on wasmtime.

Every error wire raises is a `WireError` subclass, exported here; those of the GraphQL
gateway and of `wire serve` are imported on first use (their packages pull graphql-core,
starlette and uvicorn, which `import wire` does not need).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from typegraph.model import Limits

from . import core_wire as _core_wire  # noqa: F401  (registers the `core_wire` kind)
from . import python_runtime as _python  # noqa: F401  (registers the `python` kind)
from . import reflected as _reflected  # noqa: F401  (registers the `reflected` kind)
from . import runtime as _runtime  # noqa: F401  (registers the `wire` runtime kind)
from .build.errors import BuildError, GuestTypeError, SdkMissing
from .core_wire.errors import GuestAbiError
from .errors import (
    ComponentLoadError,
    DeadlineExceeded,
    GuestInitError,
    GuestInJsonError,
    GuestTrap,
    HandlerError,
    HostcallError,
    HttpArgsInvalid,
    HttpDenied,
    HttpFailed,
    HttpTimeout,
    ImportFailed,
    ImportIncomplete,
    InputInvalid,
    MemoryLimitExceeded,
    NoHandler,
    OutputInvalid,
    Overloaded,
    RecursionLimit,
    ResponseTooLarge,
    TypegraphLoadError,
    UnknownFunction,
    WireError,
)
from .host import Function, Host
from .hostcalls import CallerContext, HostcallRegistry, default_registry
from .messaging import native as _native  # noqa: F401  (registers the `messaging` kind)
from .messaging.errors import (
    BrokerUnreachable,
    ChannelFull,
    InvalidPayload,
    MessagingError,
    MissingClient,
    NotCallable,
    PayloadTooLarge,
    PermissionDenied,
    ReplyTimeout,
)
from .reflected.errors import SignatureMismatch
from .telemetry.errors import TracingConfigError

if TYPE_CHECKING:
    from .graphql.errors import (
        AuthError,
        PolicyDenied,
        PolicyFailed,
        RequestTimeout,
        SchemaError,
        SubscriptionOverflow,
    )
    from .http.errors import ConfigError, PortUnavailable, StartFailed

# Exported, imported when first asked for: name -> its module.
_LAZY = {
    **dict.fromkeys(
        (
            "AuthError",
            "PolicyDenied",
            "PolicyFailed",
            "RequestTimeout",
            "SchemaError",
            "SubscriptionOverflow",
        ),
        "wire.graphql.errors",
    ),
    **dict.fromkeys(("ConfigError", "PortUnavailable", "StartFailed"), "wire.http.errors"),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wire' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AuthError",
    "BrokerUnreachable",
    "BuildError",
    "CallerContext",
    "ChannelFull",
    "ComponentLoadError",
    "ConfigError",
    "DeadlineExceeded",
    "Function",
    "GuestAbiError",
    "GuestInJsonError",
    "GuestInitError",
    "GuestTrap",
    "GuestTypeError",
    "HandlerError",
    "Host",
    "HostcallError",
    "HostcallRegistry",
    "HttpArgsInvalid",
    "HttpDenied",
    "HttpFailed",
    "HttpTimeout",
    "ImportFailed",
    "ImportIncomplete",
    "InputInvalid",
    "InvalidPayload",
    "Limits",
    "MemoryLimitExceeded",
    "MessagingError",
    "MissingClient",
    "NoHandler",
    "NotCallable",
    "OutputInvalid",
    "Overloaded",
    "PayloadTooLarge",
    "PermissionDenied",
    "PolicyDenied",
    "PolicyFailed",
    "PortUnavailable",
    "RecursionLimit",
    "ReplyTimeout",
    "RequestTimeout",
    "ResponseTooLarge",
    "SchemaError",
    "SdkMissing",
    "SignatureMismatch",
    "StartFailed",
    "SubscriptionOverflow",
    "TracingConfigError",
    "TypegraphLoadError",
    "UnknownFunction",
    "WireError",
    "default_registry",
]
