"""wire: a typegraph materializer runtime on wasmtime."""

from typegraph.model import Limits

from . import core_wire as _core_wire  # noqa: F401  (registers the `core_wire` kind)
from . import python_runtime as _python  # noqa: F401  (registers the `python` kind)
from . import reflected as _reflected  # noqa: F401  (registers the `reflected` kind)
from . import runtime as _runtime  # noqa: F401  (registers the `wire` runtime kind)
from .errors import (
    ComponentLoadError,
    DeadlineExceeded,
    GuestInitError,
    GuestInJsonError,
    GuestTrap,
    HandlerError,
    HostcallError,
    InputInvalid,
    MemoryLimitExceeded,
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
from .messaging import native as _native  # noqa: F401  (registers the `messaging` kind)

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
    "MemoryLimitExceeded",
    "NoHandler",
    "OutputInvalid",
    "Overloaded",
    "RecursionLimit",
    "TypegraphLoadError",
    "UnknownFunction",
    "WireError",
    "default_registry",
]
