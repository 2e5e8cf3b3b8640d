"""The WAT test guests behave as documented, driven through wasmtime-py's component API."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from wasmtime import WasmtimeError
from wasmtime.component import Component, Func, Linker, Record, Variant

try:
    from tests.guests import (
        GUESTS_DIR,
        GuestBuildError,
        build_wat_guest,
        guest_names,
        wasm_tools_path,
    )
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from guests import (  # type: ignore[no-redef]
        GUESTS_DIR,
        GuestBuildError,
        build_wat_guest,
        guest_names,
        wasm_tools_path,
    )

MAT_WIRE = "metatype:wit-wire/mat-wire"
TYPEGATE_WIRE = "metatype:wit-wire/typegate-wire"
MAT_INFO_FIELDS = ("op-name", "mat-title", "mat-hash", "mat-data-json")

HostFn = Callable[[str, str], Variant]


def record(**fields: Any) -> Record:
    r = Record()
    for name, value in fields.items():
        setattr(r, name.replace("_", "-"), value)
    return r


def mat_info(i: int) -> Record:
    return record(**{f.replace("-", "_"): f"{f}-{i}" for f in MAT_INFO_FIELDS})


@dataclass
class Guest:
    engine: wasmtime.Engine
    store: wasmtime.Store
    init_fn: Func
    handle_fn: Func
    host_calls: list[tuple[str, str]] = field(default_factory=list)

    def init(self, ops: list[Record] | None = None, version: str = "0.1.0") -> Any:
        out = self.init_fn(self.store, record(metatype_version=version, expected_ops=ops or []))
        self.init_fn.post_return(self.store)
        return out

    def handle(self, op: str, in_json: str = "{}") -> Any:
        out = self.handle_fn(self.store, record(op_name=op, in_json=in_json))
        self.handle_fn.post_return(self.store)
        return out


def echo_host(op: str, js: str) -> Variant:
    return Variant("ok", f"{op}:{js}")


def load(
    name: str,
    *,
    engine: wasmtime.Engine | None = None,
    host: HostFn = echo_host,
    memory_size: int | None = None,
) -> Guest:
    engine = engine or wasmtime.Engine()
    component = Component.from_file(engine, build_wat_guest(name))
    calls: list[tuple[str, str]] = []

    def hostcall(_store: wasmtime.StoreContext, op: str, js: str) -> Variant:
        calls.append((op, js))
        return host(op, js)

    linker = Linker(engine)
    with linker.root() as root, root.add_instance(TYPEGATE_WIRE) as iface:
        iface.add_func("hostcall", hostcall)
    store = wasmtime.Store(engine)
    if memory_size is not None:
        store.set_limits(memory_size=memory_size)
    instance = linker.instantiate(store, component)
    mat_wire = instance.get_export_index(store, MAT_WIRE)
    assert mat_wire is not None

    def func(fn: str) -> Func:
        idx = instance.get_export_index(store, fn, mat_wire)
        assert idx is not None
        f = instance.get_func(store, idx)
        assert f is not None
        return f

    return Guest(engine, store, func("init"), func("handle"), calls)


def assert_trap(exc: pytest.ExceptionInfo[WasmtimeError], reason: str) -> None:
    assert reason in str(exc.value), str(exc.value)


# --- build helper ---------------------------------------------------------------------------


def test_wasm_tools_found() -> None:
    assert Path(wasm_tools_path()).is_file()


@pytest.mark.parametrize("name", guest_names())
def test_guest_builds_to_a_cached_component(name: str) -> None:
    path = build_wat_guest(name)
    head = path.read_bytes()[:8]
    assert head == b"\0asm\x0d\x00\x01\x00", head  # component layer, not a core module
    assert build_wat_guest(name) == path
    assert path.parent.name == "test-guests"


def test_cache_dir_env_and_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIRE_CACHE_DIR", str(tmp_path))
    echo, trap = build_wat_guest("echo"), build_wat_guest("trap")
    assert echo.parent == tmp_path / "test-guests"
    assert echo != trap
    mtime = echo.stat().st_mtime_ns
    assert build_wat_guest("echo") == echo and echo.stat().st_mtime_ns == mtime
    assert [p.name for p in (tmp_path / "test-guests").iterdir() if p.name.startswith(".")] == []


def test_unknown_guest() -> None:
    with pytest.raises(FileNotFoundError, match="no such test guest"):
        build_wat_guest("nope")


def test_guest_build_error_is_runtime_error() -> None:
    assert issubclass(GuestBuildError, RuntimeError)


# --- guests ---------------------------------------------------------------------------------


# Guests with a world of their own (`<name>.wit`) export no mat-wire.
OWN_WORLD = {n for n in guest_names() if (GUESTS_DIR / f"{n}.wit").is_file()}


@pytest.mark.parametrize("name", sorted(set(guest_names()) - {"initfail"} - OWN_WORLD))
def test_init_ok(name: str) -> None:
    out = load(name).init([mat_info(0), mat_info(1)])
    assert isinstance(out, Record) and out.ok is True


def test_echo() -> None:
    g = load("echo")
    g.init()
    for op, js in [("a", "{}"), ("", ""), ("é", '{"ünï": "ç🎉"}'), ("x", "[" * 70_000)]:
        assert g.handle(op, js) == js


def test_echo_heap_is_reset_after_each_call() -> None:
    g = load("echo", memory_size=1 << 20)  # 16 pages; 200 x 100 kB would need ~300 without reset
    big = "x" * 100_000
    for _ in range(200):
        assert g.handle("op", big) == big


def test_trap() -> None:
    g = load("trap")
    with pytest.raises(WasmtimeError) as exc:
        g.handle("op")
    assert_trap(exc, "unreachable")
    with pytest.raises(WasmtimeError, match="cannot enter component instance"):
        g.handle("op")  # a trapped instance is poisoned


def test_loop_is_interrupted_by_epoch_deadline() -> None:
    config = wasmtime.Config()
    config.epoch_interruption = True
    engine = wasmtime.Engine(config)
    g = load("loop", engine=engine)
    g.store.set_epoch_deadline(1)
    g.init()  # deadline is relative to the current epoch, still 0: init must not be cut off
    timer = threading.Timer(0.1, engine.increment_epoch)
    timer.start()
    try:
        with pytest.raises(WasmtimeError) as exc:
            g.handle("op")
    finally:
        timer.cancel()
    assert_trap(exc, "interrupt")


def test_grow_hits_store_memory_limit_and_traps() -> None:
    g = load("grow", memory_size=8 << 20)
    with pytest.raises(WasmtimeError) as exc:
        g.handle("op")
    # unreachable (not an OOM) proves memory.grow returned -1 under the limiter
    assert_trap(exc, "unreachable")


def test_memory_limit_below_initial_memory_fails_instantiation() -> None:
    with pytest.raises(WasmtimeError, match="exceeds memory limits"):
        load("echo", memory_size=64 << 10)  # guests declare 2 pages = 128 KiB


def test_notjson() -> None:
    out = load("notjson").handle("op", '{"a": 1}')
    assert out == "not json {"
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_wrongshape() -> None:
    out = load("wrongshape").handle("op", '{"a": 1}')
    assert out == '{"unexpected": true}'
    assert json.loads(out) == {"unexpected": True}


def test_counter_counts_per_instance() -> None:
    g = load("counter")
    g.init()
    assert [g.handle("op") for _ in range(12)] == [str(i) for i in range(1, 13)]
    assert load("counter").handle("op") == "1"


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        ("no_such_op", Variant("no-handler")),
        ("n", Variant("no-handler")),
        ("json_op", Variant("in-json-err", "bad json at 1:1")),
        ("other", Variant("handler-err", "boom")),
        ("", Variant("handler-err", "boom")),
    ],
)
def test_errors(op: str, expected: Variant) -> None:
    g = load("errors")
    assert g.handle(op) == expected
    assert g.handle(op) == expected  # a handled error leaves the instance usable


def test_initfail_version_mismatch() -> None:
    assert load("initfail").init([]) == Variant("version-mismatch", "wants 9.9")


def test_initfail_unexpected_mat_echoes_the_mat_info() -> None:
    out = load("initfail").init([mat_info(7)])
    assert isinstance(out, Variant) and out.tag == "unexpected-mat"
    assert {f: getattr(out.payload, f) for f in MAT_INFO_FIELDS} == {
        f: f"{f}-7" for f in MAT_INFO_FIELDS
    }


@pytest.mark.parametrize("n", [2, 5])
def test_initfail_other(n: int) -> None:
    assert load("initfail").init([mat_info(i) for i in range(n)]) == Variant(
        "other", "init exploded"
    )


def test_hostcaller_ok() -> None:
    g = load("hostcaller")
    g.init()
    assert g.handle("log", '{"msg": "hi"}') == 'log:{"msg": "hi"}'
    big = "y" * 200_000  # host-written string goes through the guest's cabi_realloc
    assert g.handle("op", big) == f"op:{big}"
    assert g.host_calls == [("log", '{"msg": "hi"}'), ("op", big)]


def test_hostcaller_err_becomes_handler_err() -> None:
    err = '{"message": "unknown op", "code": "op_404"}'
    g = load("hostcaller", host=lambda op, js: Variant("err", err))
    assert g.handle("nope", "{}") == Variant("handler-err", err)
    assert g.host_calls == [("nope", "{}")]


def test_hostcaller_host_exception_propagates_and_poisons() -> None:
    def host(op: str, js: str) -> Variant:
        raise ValueError("host blew up")

    g = load("hostcaller", host=host)
    with pytest.raises(ValueError, match="host blew up"):
        g.handle("log")
    with pytest.raises(WasmtimeError, match="cannot enter component instance"):
        g.handle("log")


def test_hostcaller_needs_the_hostcall_import() -> None:
    engine = wasmtime.Engine()
    component = Component.from_file(engine, build_wat_guest("hostcaller"))
    assert list(component.type.imports(engine)) == [TYPEGATE_WIRE]
    with pytest.raises(WasmtimeError, match=TYPEGATE_WIRE):
        Linker(engine).instantiate(wasmtime.Store(engine), component)


def test_badworld_has_no_mat_wire_export() -> None:
    engine = wasmtime.Engine()
    component = Component.from_file(engine, build_wat_guest("badworld"))
    assert list(component.type.exports(engine)) == ["wire-test:badworld/other"]
    assert component.get_export_index(MAT_WIRE) is None
    store = wasmtime.Store(engine)
    instance = Linker(engine).instantiate(store, component)
    assert instance.get_export_index(store, MAT_WIRE) is None
