"""`wire build`: guest source folders into components, addressed by content hash.

`build_guest(Path("examples/math/guest"), progress=print)` returns the component's path,
`<cache>/builds/<hash>.wasm`, for a Python (componentize-py), TypeScript or JavaScript
(componentize-js) guest. `typecheck_guest` runs mypy --strict over a Python guest folder,
`typecheck_ts_guest` tsc --strict over a TypeScript one.
"""

from .detect import Language, guest_language
from .errors import BuildError, GuestTypeError, SdkMissing
from .guest import build_guest, guest_hash
from .toolchain import Toolchain, toolchain
from .typecheck import bindings_dir, typecheck_guest, typecheck_ts_guest

__all__ = [
    "BuildError",
    "GuestTypeError",
    "Language",
    "SdkMissing",
    "Toolchain",
    "bindings_dir",
    "build_guest",
    "guest_hash",
    "guest_language",
    "toolchain",
    "typecheck_guest",
    "typecheck_ts_guest",
]
