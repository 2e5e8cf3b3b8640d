"""Core WebAssembly modules speaking the wire protocol (the `core_wire` runtime kind), for
languages without component support: `CoreRuntime("echo.wat")` in the DSL. The ABI is in
docs/core-wire.md.

Importing this package registers the kind (`wire` imports it)."""

from .errors import GuestAbiError
from .module import load_module
from .runtime import CoreInstance, CoreModuleRuntime

__all__ = ["CoreInstance", "CoreModuleRuntime", "GuestAbiError", "load_module"]
