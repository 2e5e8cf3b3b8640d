"""TS guest calls (componentize-js) against Python guest calls (componentize-py).

The same echo op, built by `wire build` from bench/echo_ts/guest and bench/echo_py/guest,
called at 22 B, 1 KB and 64 KB: through wasmtime-py's generic component path on a warm
instance (`RawCall`: the guests alone), and through wire (`Host.call_sync`, pooled: plus
validation and JSON encoding). The floor of each row is the Python guest in the same run.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from bench_call import RawCall, document
from harness import Row, calls_for, compare, per_call_us, print_table
from payloads import SIZES, payload

from wire import Host
from wire.build import build_guest

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    wasm = {
        "js": build_guest(REPO / "bench" / "echo_ts" / "guest", progress=print),
        "py": build_guest(REPO / "bench" / "echo_py" / "guest", progress=print),
    }
    raw = {k: RawCall(path, wasi=True) for k, path in wasm.items()}
    hosts = {k: Host(document(path, "pooled", f"bench_{k}"), REPO) for k, path in wasm.items()}
    rows: list[Row] = []
    table: list[tuple[str, float, float, float, float]] = []
    try:
        for size_name, size in SIZES.items():
            p = payload(size)
            js = orjson.dumps(p).decode()
            for k in wasm:
                assert orjson.loads(raw[k].call(js)) == p, k
                assert hosts[k].call_sync("echo", p) == p, k
            n = calls_for(per_call_us(lambda js=js: raw["js"].call(js), 10))  # type: ignore[misc]
            raw_js, raw_py = compare(
                lambda js=js: raw["js"].call(js),  # type: ignore[misc]
                lambda js=js: raw["py"].call(js),  # type: ignore[misc]
                n,
            )
            wire_js, wire_py = compare(
                lambda p=p: hosts["js"].call_sync("echo", p),  # type: ignore[misc]
                lambda p=p: hosts["py"].call_sync("echo", p),  # type: ignore[misc]
                n,
            )
            table.append((size_name, raw_js, raw_py, wire_js, wire_py))
            rows.append(Row(f"TS echo {size_name}, raw", raw_js, "Python echo, raw", raw_py))
            rows.append(Row(f"TS echo {size_name}, wire", wire_js, "Python echo, wire", wire_py))
    finally:
        for h in hosts.values():
            h.close()
    print_table("TS guest (componentize-js) vs Python guest (componentize-py)", rows)
    print("\n| payload | componentize-js echo | componentize-py echo | js/py |"
          " through wire: js | through wire: py |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for size_name, rj, rp, wj, wp in table:
        print(f"| {size_name} | {fmt(rj)} | {fmt(rp)} | {rj / rp:.2f} | {fmt(wj)} | {fmt(wp)} |")


def fmt(us: float) -> str:
    return f"{us / 1000:.1f} ms" if us >= 1000 else f"{us:.0f} µs"


if __name__ == "__main__":
    main()
