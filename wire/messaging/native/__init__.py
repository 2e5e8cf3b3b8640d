"""Components written for a messaging world, run unchanged: `wasi:messaging@0.2.0-draft`
(both of its drafts) and `wasmcloud:messaging@0.2.0` (WIT in wit/messaging/).

The host links the world's imports itself (send, request, reply / publish, request go
through the `MessagingService`, on the channels the runtime is granted, payloads checked
against the channel's type) and delivers each message of a bound channel to the guest's
handler export; an error or a trap is a failed attempt (retried, then dead-lettered).
"""

from .runtime import NativeRuntime, configured_bindings, native_runtime
from .worlds import WORLDS, World

__all__ = [
    "WORLDS",
    "NativeRuntime",
    "World",
    "configured_bindings",
    "native_runtime",
]
