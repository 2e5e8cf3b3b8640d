"""Guest call fast path: every figure as a ratio against its floor, in one run.

    .venv/bin/python bench/bench_fastpath.py [--quick]

Needs the `extism` package for the Extism rows (skipped, with a note, without it).
Per-call times are the best of several repeats of a timed loop (least noise).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib.metadata
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from ctypes import addressof, c_void_p
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import wasmtime  # noqa: E402
from harness import quick  # noqa: E402
from wasmtime.component import Component, Func, Linker, Record, Variant  # noqa: E402

from tests.guests import build_wat_guest, wasm_tools_path  # noqa: E402
from wire.fastpath import (  # noqa: E402
    WitWireFuncs,
    WitWirePlan,
    _abi,
    add_hostcall,
)

try:
    import extism  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - optional
    extism = None

# handle spins `int(in-json)` iterations of a small multiply-add, then echoes in-json.
SPIN_WAT = """
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (func (export "cabi_post_metatype:wit-wire/mat-wire#handle") (param i32)
    (global.set $heap (i32.const 1024)))
  (func (export "metatype:wit-wire/mat-wire#init") (param i32 i32 i32 i32) (result i32)
    (i32.store8 (i32.const 0) (i32.const 0))
    (i32.store8 (i32.const 4) (i32.const 1))
    (i32.const 0))
  (func (export "metatype:wit-wire/mat-wire#handle")
    (param $op i32) (param $oplen i32) (param $in i32) (param $inlen i32) (result i32)
    (local $i i32) (local $n i32) (local $acc i64)
    (block $done (loop $digits
      (br_if $done (i32.ge_u (local.get $i) (local.get $inlen)))
      (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10))
        (i32.sub (i32.load8_u (i32.add (local.get $in) (local.get $i))) (i32.const 48))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $digits)))
    (block $end (loop $spin
      (br_if $end (i32.eqz (local.get $n)))
      (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 6364136223846793005))
                               (i64.const 1442695040888963407)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $spin)))
    (i64.store (i32.const 64) (local.get $acc))
    (i32.store8 (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) (local.get $in))
    (i32.store (i32.const 24) (local.get $inlen))
    (i32.const 16))
)
"""

ENGINE = wasmtime.Engine()
PAYLOADS = {"22 B": 22, "1 KB": 1024, "64 KB": 65536}
MB = b"x" * (1 << 20)


def payload(n: int) -> str:
    unit = '{"k":"vé","n":12345}, '
    return (unit * (n // len(unit) + 1))[:n]


def build_spin() -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="wire-bench-"))
    (tmp / "spin.wat").write_text(SPIN_WAT)
    tool = wasm_tools_path()
    for cmd in (
        [
            tool,
            "component",
            "embed",
            str(ROOT / "wit"),
            "--world",
            "wit-wire",
            str(tmp / "spin.wat"),
            "-o",
            str(tmp / "core.wasm"),
        ],
        [tool, "component", "new", str(tmp / "core.wasm"), "-o", str(tmp / "spin.wasm")],
    ):
        subprocess.run(cmd, check=True, capture_output=True)
    return tmp / "spin.wasm"


class Guest:
    """One instance in its own store, with both call paths at hand."""

    def __init__(
        self,
        component: Component,
        hostcall: Callable[[str, str], tuple[bool, str]],
        fast_import: bool = True,
    ) -> None:
        self.store = wasmtime.Store(ENGINE)
        linker = Linker(ENGINE)
        if fast_import:
            add_hostcall(linker, hostcall)
        else:

            def generic(_store: object, op: str, js: str) -> Variant:
                ok, out = hostcall(op, js)
                return Variant("ok" if ok else "err", out)

            with linker.root() as root, root.add_instance("metatype:wit-wire/typegate-wire") as i:
                i.add_func("hostcall", generic)
        self.instance = linker.instantiate(self.store, component)
        plan = WitWirePlan.for_component(ENGINE, component)
        assert plan is not None
        self.fast: WitWireFuncs = plan.bind(self.store, self.instance)
        mat = self.instance.get_export_index(self.store, "metatype:wit-wire/mat-wire")
        idx = self.instance.get_export_index(self.store, "handle", mat)
        assert idx is not None
        func = self.instance.get_func(self.store, idx)
        assert func is not None
        self.generic: Func = func

    def fast_handle(self, op: str, js: str) -> object:
        return self.fast.handle(self.store, op, js)

    def generic_handle(self, op: str, js: str) -> object:
        req = Record()
        setattr(req, "op-name", op)
        setattr(req, "in-json", js)
        out = self.generic(self.store, req)
        self.generic.post_return(self.store)
        return out


def per_call_us(fn: Callable[[], object], budget_s: float, repeats: int = 5) -> float:
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    n = max(10, int(budget_s / repeats / one))
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best * 1e6


def raw_floor_us(guest: Guest, js: str, budget_s: float) -> float:
    """Bare wasmtime_component_func_call + post_return with prebuilt values."""
    entries = (_abi.Entry * 2)()
    keep = []
    for entry, name, value in zip(
        entries, (b"op-name", b"in-json"), (b"op", js.encode()), strict=True
    ):
        keep += [name, value]
        entry.name.size, entry.name.data = len(name), name
        entry.val.kind, entry.val.size, entry.val.data = _abi.STRING, len(value), value
    req = _abi.VecVal(kind=_abi.RECORD, size=2, data=addressof(entries))
    res = _abi.ResultVal()
    fp = c_void_p(addressof(guest.generic._func))
    ctx = c_void_p(_abi.context_address(guest.store))
    req_p, res_p = c_void_p(addressof(req)), c_void_p(addressof(res))
    call, post = _abi.func_call, _abi.func_post_return

    def once() -> None:
        call(fp, ctx, req_p, 1, res_p, 1)
        post(fp, ctx)

    us = per_call_us(once, budget_s)
    _abi.val_delete(addressof(res))
    return us


def throughput(make: Callable[[], Callable[[], object]], threads: int, seconds: float) -> float:
    calls = [0] * threads
    workers = [make() for _ in range(threads)]
    for w in workers:
        w()
    start = threading.Barrier(threads + 1)
    stop = threading.Event()

    def run(i: int) -> None:
        w = workers[i]
        start.wait()
        n = 0
        while not stop.is_set():
            w()
            n += 1
        calls[i] = n

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in ts:
        t.join()
    return sum(calls) / (time.perf_counter() - t0)


def gil_free() -> Callable[[], object]:
    """The control workload: C code that releases the GIL (what the machine gives at all)."""
    return lambda: hashlib.sha256(MB).digest()


def rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


Row = tuple[str, str, str, str, str]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="shorter loops (smoke run)")
    args, _ = ap.parse_known_args()
    args.quick = args.quick or quick()
    budget = 0.3 if args.quick else 1.5
    rss_calls = 50_000 if args.quick else 1_000_000
    thread_s = 0.3 if args.quick else 1.0

    rows: list[Row] = []

    def row(name: str, us: float, floor_name: str, floor_us: float, target: str = "") -> None:
        ratio = us / floor_us
        verdict = ""
        if target:
            op, val = target[:2], float(target[2:].rstrip("x"))
            met = ratio <= val if op == "<=" else ratio >= val
            verdict = f"{target} {'met' if met else 'MISSED'}"
        rows.append(
            (name, f"{us:9.2f}", floor_name, f"{floor_us:9.2f}", f"{ratio:6.2f}x  {verdict}")
        )

    echo = Component.from_file(ENGINE, build_wat_guest("echo"))
    hostcaller = Component.from_file(ENGINE, build_wat_guest("hostcaller"))
    spin = Component.from_file(ENGINE, build_spin())

    def reply(op: str, js: str) -> tuple[bool, str]:
        return (True, js)

    e = Guest(echo, reply)
    ext = None
    if extism is not None:
        wasm = bytes(wasmtime.wat2wasm((ROOT / "bench/extism_echo/echo.wat").read_text()))

        @extism.host_fn(name="hostcall", namespace="extism:host/user")  # type: ignore[untyped-decorator]
        def hostcall(s: str) -> str:
            return s

        ext = extism.Plugin(wasm, functions=[hostcall])

    # 1. per-call cost by payload size
    for label, size in PAYLOADS.items():
        js = payload(size)
        jb = js.encode()
        fast = per_call_us(partial(e.fast_handle, "op", js), budget)
        generic = per_call_us(partial(e.generic_handle, "op", js), budget)
        if ext is not None:
            ex = per_call_us(partial(ext.call, "echo", jb, parse=None), budget)
            row(f"fast handle {label}", fast, "Extism echo", ex, "<=1.0x")
        if size == 22:
            floor = raw_floor_us(e, js, budget)
            row(f"fast handle {label}", fast, "raw C call", floor, "<=3.0x")
        row(f"fast handle {label}", fast, "generic path", generic, "")

    # 2. hostcall round trip: one guest call that makes one hostcall
    js = payload(22)
    h_fast = Guest(hostcaller, reply)
    h_gen = Guest(hostcaller, reply, fast_import=False)
    fast_rt = per_call_us(lambda: h_fast.fast_handle("op", js), budget)
    gen_rt = per_call_us(lambda: h_gen.generic_handle("op", js), budget)
    if ext is not None:
        jb = js.encode()
        ext_rt = per_call_us(lambda: ext.call("call_host", jb, parse=None), budget)
        row("hostcall round trip 22 B", fast_rt, "Extism host fn", ext_rt, "<=1.2x")
    row("hostcall round trip 22 B", fast_rt, "generic both ways", gen_rt, "")

    # 3. two threads vs one, each thread with its own store + instance
    def spin_iterations(target_us: float) -> str:
        g = Guest(spin, reply)
        n = 1000
        while True:
            t = per_call_us(partial(g.fast_handle, "op", str(n)), 0.2, repeats=3)
            if t > target_us / 2:
                return str(int(n * target_us / t))
            n *= 4

    def spinner(n: str) -> Callable[[], Callable[[], object]]:
        def make() -> Callable[[], object]:
            g = Guest(spin, reply)
            return lambda: g.fast_handle("op", n)

        return make

    def light() -> Callable[[], object]:
        g = Guest(echo, reply)
        return lambda: g.fast_handle("op", js)

    cases = [("control: sha256 1 MB (no GIL)", gil_free, "")]
    cases.append(("CPU-light: echo 22 B", light, ">=1.3x"))
    for target_us, target in ((35, ">=1.3x"), (1000, ">=1.8x")):
        n = spin_iterations(target_us)
        us = per_call_us(spinner(n)(), 0.3, repeats=3)
        label = f"{us:.0f} us" if us < 1000 else f"{us / 1000:.2f} ms"
        cases.append((f"spin guest, {label}/call", spinner(n), target))
    control = 1.0
    for name, make, target in cases:
        # interleaved best-of-3: other processes on the machine only ever slow a run down
        one = two = 0.0
        for _ in range(3):
            one = max(one, throughput(make, 1, thread_s))
            two = max(two, throughput(make, 2, thread_s))
        ratio = two / one
        if not target:
            control = ratio  # what two threads of GIL-free C code got from this machine
            verdict = "machine headroom"
        else:
            met = "met" if ratio >= float(target[2:-1]) else "MISSED"
            verdict = f"{target} {met} ({ratio / control:.0%} of control)"
        rows.append(
            (
                f"2 threads vs 1, {name}",
                f"{two:9.0f}/s",
                "1 thread",
                f"{one:9.0f}/s",
                f"{ratio:6.2f}x  {verdict}",
            )
        )

    # 4. RSS across many calls: fast handle + fast hostcall (hostcaller guest), 1 KB each way
    js = payload(1024)
    for _ in range(20_000):
        h_fast.fast_handle("op", js)
    gc.collect()
    before = rss_kb()
    t0 = time.perf_counter()
    for _ in range(rss_calls):
        h_fast.fast_handle("op", js)
    elapsed = time.perf_counter() - t0
    gc.collect()
    after = rss_kb()
    rows.append(
        (
            f"RSS, {rss_calls:,} calls (1 KB + hostcall)",
            f"{after:9d} KB",
            "before",
            f"{before:9d} KB",
            f"delta {after - before:+d} KB ({elapsed:.1f} s)",
        )
    )

    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    head = ("case", "us/call", "floor", "floor us", "ratio")
    widths = [max(w, len(h)) for w, h in zip(widths, head, strict=True)]
    line = " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    print(
        f"wasmtime-py {importlib.metadata.version('wasmtime')}; extism-sys "
        f"{importlib.metadata.version('extism-sys') if ext else 'not installed'}; "
        f"{os.cpu_count()} CPUs; load avg {os.getloadavg()[0]:.2f} at start"
    )
    print(line)
    print("-" * len(line))
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


if __name__ == "__main__":
    main()
