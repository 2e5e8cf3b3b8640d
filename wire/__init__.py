"""wire: a typegraph materializer runtime on wasmtime."""

from .errors import (
    ComponentLoadError,
    DeadlineExceeded,
    GuestInitError,
    GuestInJsonError,
    GuestTrap,
    HandlerError,
    HostcallError,
    InputInvalid,
    NoHandler,
    OutputInvalid,
    Overloaded,
    RecursionLimit,
    TypegraphLoadError,
    UnknownFunction,
    WireError,
)
from .host import Function, Host
from .hostcalls import CallerContext, HostcallRegistry, default_registry
from .instances import Limits

__all__ = [
    "CallerContext",
    "ComponentLoadError",
    "DeadlineExceeded",
    "Function",
    "GuestInJsonError",
    "GuestInitError",
    "GuestTrap",
    "HandlerError",
    "Host",
    "HostcallError",
    "HostcallRegistry",
    "InputInvalid",
    "Limits",
    "NoHandler",
    "OutputInvalid",
    "Overloaded",
    "RecursionLimit",
    "TypegraphLoadError",
    "UnknownFunction",
    "WireError",
    "default_registry",
]
