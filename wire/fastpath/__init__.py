"""Guest call fast path for exactly the wit-wire signatures.

wasmtime-py's generic component API re-reads a function's type and converts
every value through generic Python code on each call; for wit-wire's fixed
shapes (``handle(record{string, string}) -> result<string, handle-err>``,
``init``, and the ``hostcall(string, string) -> result<string, string>``
import) this package talks to the C API directly with value structs built
once. Choose it per component, fall back to the generic path otherwise::

    plan = WitWirePlan.for_component(engine, component)   # None -> generic path
    linker = Linker(engine)
    add_hostcall(linker, my_hostcall)                      # fn(op, json) -> (ok, str)
    instance = linker.instantiate(store, component)
    funcs = plan.bind(store, instance)
    funcs.init(store, "0.5.0", [MatInfoRecord("op", "title", "hash", "{}")])  # ("ok", True)
    funcs.handle(store, "op", '{"a": 1}')  # (True, '...') | (False, (case, payload))

Errors are raised exactly as on the generic path (see :mod:`.errors`).
"""

from .epoch import deadline_setter, epoch_incrementer
from .errors import HostcallSignatureError
from .funcs import HandleResult, InitResult, MatInfoRecord, WitWireFuncs, WitWirePlan
from .hostcall import HostcallFn, add_hostcall, add_hostcall_to
from .signature import component_mismatches

__all__ = [
    "HandleResult",
    "HostcallFn",
    "HostcallSignatureError",
    "InitResult",
    "MatInfoRecord",
    "WitWireFuncs",
    "WitWirePlan",
    "add_hostcall",
    "add_hostcall_to",
    "component_mismatches",
    "deadline_setter",
    "epoch_incrementer",
]
