"""Issue 2: a guest call through wire vs a raw wasmtime-py call of the same export.

Floors, measured in the same run: a raw wasmtime-py component call of `handle` on a
warm instance with the JSON string ready (no validation, no encoding).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import orjson
import wasmtime
from harness import Row, calls_for, compare, per_call_us, print_table
from payloads import ITEM, PAYLOAD_FIELDS, SIZES, payload
from wasmtime.component import Component, Linker, Record, Variant

from wire import Host
from wire.engine import default_engine
from wire.protocol import MAT_WIRE, TYPEGATE_WIRE

REPO = Path(__file__).resolve().parent.parent


def document(component: Path, policy: str, name: str = "bench") -> dict[str, Any]:
    return {
        "format": "wire-typegraph/1",
        "name": name,
        "types": {
            "Item": ITEM,
            "Payload": {"kind": "struct", "fields": PAYLOAD_FIELDS},
        },
        "runtimes": {
            "guest": {
                "kind": "wire",
                "component": str(component),
                "instances": {"policy": policy, "size": 1}
                if policy == "pooled"
                else {"policy": policy},
                "limits": {"deadline_ms": 10_000, "memory_bytes": 256 * 2**20},
            }
        },
        "materializers": {"echo": {"runtime": "guest", "op": "echo", "title": "echo", "data": {}}},
        "policies": {},
        "functions": {
            "echo": {
                "input": "Payload",
                "output": {"kind": "ref", "name": "Payload"},
                "materializer": "echo",
                "effect": "read",
                "exposed": False,
                "policies": [],
            }
        },
        "channels": {},
    }


class RawCall:
    """The floor: wasmtime-py's generic component call on a warm instance."""

    def __init__(self, component: Path, wasi: bool) -> None:
        engine = default_engine().wasm
        comp = Component.from_file(engine, str(component))
        self.store = wasmtime.Store(engine)
        self.store.set_epoch_deadline(2**62)
        linker = Linker(engine)
        if wasi:
            linker.add_wasip2()
            self.store.set_wasi(wasmtime.WasiConfig())
        with linker.root() as root, root.add_instance(TYPEGATE_WIRE) as iface:
            iface.add_func("hostcall", lambda _s, _op, _j: Variant("ok", "null"))
        inst = linker.instantiate(self.store, comp)
        iface_idx = inst.get_export_index(self.store, MAT_WIRE)
        self.init = inst.get_func(self.store, inst.get_export_index(self.store, "init", iface_idx))
        self.handle = inst.get_func(
            self.store, inst.get_export_index(self.store, "handle", iface_idx)
        )
        args = Record()
        info = Record()
        for k, v in (
            ("op-name", "echo"),
            ("mat-title", "echo"),
            ("mat-hash", ""),
            ("mat-data-json", "{}"),
        ):
            setattr(info, k, v)
        setattr(args, "metatype-version", "0.5.1")
        setattr(args, "expected-ops", [info])
        self.init(self.store, args)
        self.init.post_return(self.store)

    def call(self, in_json: str) -> Any:
        req = Record()
        setattr(req, "op-name", "echo")
        setattr(req, "in-json", in_json)
        out = self.handle(self.store, req)
        self.handle.post_return(self.store)
        return out


def bench_guest(label: str, component: Path, wasi: bool) -> list[Row]:
    rows: list[Row] = []
    raw = RawCall(component, wasi)
    pooled = Host(document(component, "pooled"), REPO)
    fresh = Host(document(component, "fresh", "bench_fresh"), REPO)
    for size_name, size in SIZES.items():
        p = payload(size)
        js = orjson.dumps(p).decode()
        assert orjson.loads(raw.call(js)) == p
        assert pooled.call_sync("echo", p) == p
        expected = per_call_us(lambda js=js: raw.call(js), 20)  # type: ignore[misc]
        n = calls_for(expected)
        wire_us, raw_us = compare(
            lambda p=p: pooled.call_sync("echo", p),  # type: ignore[misc]
            lambda js=js: raw.call(js),  # type: ignore[misc]
            n,
        )
        rows.append(
            Row(f"{label} call {size_name} (pooled)", wire_us, "raw wasmtime-py", raw_us, "≤ 1.2")
        )
        if size_name == "1 KB":
            fn = pooled.function("echo")
            check_us = per_call_us(lambda p=p, fn=fn: (fn.input.check(p), fn.output.check(p)), 2000)  # type: ignore[misc]
            rows.append(
                Row(
                    f"{label} validation share of a 1 KB call",
                    check_us,
                    "wire call",
                    wire_us,
                    "≤ 0.10",
                )
            )
    p = payload(22)
    pooled_us = per_call_us(lambda: pooled.call_sync("echo", p), calls_for(100))
    fresh_n = 200 if not wasi else 20
    t0 = time.perf_counter()
    for _ in range(fresh_n):
        fresh.call_sync("echo", p)
    fresh_us = (time.perf_counter() - t0) / fresh_n * 1e6
    rows.append(
        Row(
            f"{label} call 22 B, fresh instance per call",
            fresh_us,
            "pooled call",
            pooled_us,
            "(instantiate+init cost)",
        )
    )
    pooled.close()
    fresh.close()
    return rows


def main() -> None:
    sys.path.insert(0, str(REPO / "tests"))
    from guests import build_wat_guest

    rows = bench_guest("WAT echo", build_wat_guest("echo"), wasi=False)
    py_echo = REPO / "bench" / "echo_py" / "guest"
    if py_echo.exists():
        from wire.build import build_guest

        rows += bench_guest("Python echo", build_guest(py_echo), wasi=True)
    print_table("guest call through wire (issue 2)", rows)


if __name__ == "__main__":
    main()
