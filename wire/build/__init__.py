"""`wire build`: guest source folders into components, addressed by content hash.

`build_guest(Path("examples/math/guest"), progress=print)` returns the component's path,
`<cache>/builds/<hash>.wasm`; `typecheck_guest` runs mypy --strict over a guest folder.
"""

from .componentize import BuildError, build_guest
from .inputs import guest_hash
from .typecheck import GuestTypeError, bindings_dir, typecheck_guest

__all__ = [
    "BuildError",
    "GuestTypeError",
    "bindings_dir",
    "build_guest",
    "guest_hash",
    "typecheck_guest",
]
