"""Instance slots: wasmtime's pooling allocator, which the host's engines use by default.

With it an instance's memories, tables and instance state go into slots reserved once per
engine, and a slot keeps the copy-on-write image of the module it last held, so making an
instance of the same component again maps nothing new and freeing it unmaps nothing. A
fresh WAT echo call (instantiate, `init`, `handle`, free) went from 56 to 35 µs in process,
a componentize-py one from ~1.28 to ~1.2 ms (`make bench-peers` prints today's figures).

The price is a ceiling: at most `instances` component instances live at once per engine
(pooled, spares and in calls, every runtime of the process together); one more fails its
call with `overloaded`, saying so. Address space is reserved up front (4 GiB and a guard
per memory slot, never committed until used). A freed slot keeps up to
`WIRE_INSTANCE_KEEP_BYTES` of its memory (default 16 MiB; 0 gives all back) and resets it
in place for the next instance: handing pages back makes the kernel interrupt every core
the process runs on, which cost a third of a fresh GraphQL request's CPU (`examples/math`
served 335 req/s, 650 with the pages kept). So the process keeps the memory its busiest
moment needed, up to that much per slot. `WIRE_INSTANCE_SLOTS` sets the ceiling (default
1000, wasmtime's own default); `WIRE_INSTANCE_SLOTS=0` allocates on demand, as wasmtime
does without the pool, with no ceiling but the machine's.

Per component the pool admits what wire's guests need with room to spare (componentize-py:
14 core instances, 2 tables of 5,672 elements; componentize-js fits too). A component past
one of these limits fails to load, with wasmtime's reason and the way out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import wasmtime
from wasmtime import _bindings as capi

from .errors import ComponentLoadError, Overloaded, WireError

ENV = "WIRE_INSTANCE_SLOTS"
KEEP_ENV = "WIRE_INSTANCE_KEEP_BYTES"
DEFAULT_INSTANCES = 1000
DEFAULT_KEEP_BYTES = 16 << 20  # a componentize-py guest's whole memory (13 MiB to start)
HINT = f"(wire's instance slots: {ENV}, default {DEFAULT_INSTANCES}; {ENV}=0 allocates on demand)"


@dataclass(frozen=True)
class InstanceSlots:
    """How many component instances an engine holds at once, and what one may contain."""

    instances: int = DEFAULT_INSTANCES
    core_instances_per_component: int = 64
    memories_per_component: int = 16
    tables_per_component: int = 32
    table_elements: int = 100_000
    memory_bytes: int = 4 << 30  # a 32-bit memory's whole range: runtimes cap their own
    # What a freed slot keeps of its memory, reset in place for the next instance, instead
    # of handing the pages back to the kernel (whose unmapping interrupts every core the
    # process runs on: a third of a fresh GraphQL request's CPU on 2 cores).
    keep_bytes: int = DEFAULT_KEEP_BYTES

    @classmethod
    def from_env(cls) -> InstanceSlots | None:
        """The slots `WIRE_INSTANCE_SLOTS` and `WIRE_INSTANCE_KEEP_BYTES` ask for; None to
        allocate on demand."""
        n = _count(ENV, DEFAULT_INSTANCES, "0: no pool")
        keep = _count(KEEP_ENV, DEFAULT_KEEP_BYTES, "0: give all memory back")
        return cls(instances=n, keep_bytes=keep) if n else None

    def apply(self, config: wasmtime.Config) -> None:
        """Make engines built from `config` allocate from these slots."""
        pool = capi.wasmtime_pooling_allocation_config_new()
        n = self.instances
        for name, value in (
            ("total_component_instances", n),
            # Every slot may hold a componentize-py instance (14 core instances, 2 tables).
            ("total_core_instances", n * 16),
            ("total_memories", n),
            ("total_tables", n * 4),
            ("max_core_instances_per_component", self.core_instances_per_component),
            ("max_memories_per_component", self.memories_per_component),
            ("max_tables_per_component", self.tables_per_component),
            ("table_elements", self.table_elements),
            ("max_memory_size", self.memory_bytes),
            ("linear_memory_keep_resident", self.keep_bytes),
            ("table_keep_resident", min(self.keep_bytes, 1 << 20)),
        ):
            getattr(capi, f"wasmtime_pooling_allocation_config_{name}_set")(pool, value)
        capi.wasmtime_pooling_allocation_strategy_set(config.ptr(), pool)
        capi.wasmtime_pooling_allocation_config_delete(pool)


def _count(name: str, default: int, zero: str) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r}: expected a whole number ({zero})") from None
    if n < 0:
        raise ValueError(f"{name}={raw!r}: expected 0 or more ({zero})")
    return n


def slot_error(e: Exception, where: str) -> WireError | None:
    """The wire error for wasmtime's `e` when the pool caused it: every slot taken
    (`overloaded`: the call may succeed later), or a component past a per-component limit
    (it can never load); None for any other error."""
    message = str(e).strip()
    if "maximum concurrent limit" in message:
        first = message.splitlines()[0]
        return Overloaded(f"every instance slot is taken ({first}) {HINT}", where=where)
    if "pooling allocator" in message:
        return ComponentLoadError(
            f"the component does not fit an instance slot: {message} {HINT}", where=where
        )
    return None
