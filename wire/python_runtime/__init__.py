"""Inline Python functions (`typegraph.PythonRuntime`): the `python` runtime kind.

Each function's source travels in its materializer's data; wire's Python runtime component
(built once, cached) compiles them all at `init` and dispatches `handle` by op. Importing
this module registers the kind (`wire` imports it).
"""

from ..runtime_kinds import register
from .component import runtime_component
from .runtime import InlinePythonRuntime

register("python", InlinePythonRuntime.for_host)

__all__ = ["InlinePythonRuntime", "runtime_component"]
