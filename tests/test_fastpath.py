"""The wit-wire fast path against wasmtime-py's generic path, on real components."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wasmtime import WasmtimeError
from wasmtime.component import Component, Func, Linker, Record, Variant

from tests.guests import WIRE_WIT_DIR, build_wat_guest, wasm_tools_path
from wire.fastpath import (
    HostcallSignatureError,
    MatInfoRecord,
    WitWireFuncs,
    WitWirePlan,
    _abi,
    add_hostcall,
    component_mismatches,
)

ENGINE = wasmtime.Engine()
HOSTCALL_IFACE = "metatype:wit-wire/typegate-wire"
MAT_WIRE = "metatype:wit-wire/mat-wire"
EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HostFn = Callable[[str, str], tuple[bool, str]]


@pytest.fixture(scope="module")
def components() -> dict[str, Component]:
    names = ["echo", "errors", "hostcaller", "initfail", "trap", "counter", "badworld"]
    return {n: Component.from_file(ENGINE, build_wat_guest(n)) for n in names}


def tagged_reply(op: str, js: str) -> tuple[bool, str]:
    """A hostcall that answers err for ops starting with '!', ok otherwise."""
    return (not op.startswith("!"), f"{op}|{js}")


class Guest:
    """One fresh instance, linked and called either the fast or the generic way."""

    def __init__(self, component: Component, fast: bool, hostcall: HostFn = tagged_reply) -> None:
        self.store = wasmtime.Store(ENGINE)
        linker = Linker(ENGINE)
        if fast:
            add_hostcall(linker, hostcall)
        else:

            def generic(_store: Any, op: str, js: str) -> Variant:
                ok, out = hostcall(op, js)
                return Variant("ok" if ok else "err", out)

            with linker.root() as root, root.add_instance(HOSTCALL_IFACE) as iface:
                iface.add_func("hostcall", generic)
        self.instance = linker.instantiate(self.store, component)
        self.fast: WitWireFuncs | None = None
        if fast:
            plan = WitWirePlan.for_component(ENGINE, component)
            assert plan is not None
            self.fast = plan.bind(self.store, self.instance)

    def _generic(self, name: str) -> Func:
        mat = self.instance.get_export_index(self.store, MAT_WIRE)
        idx = self.instance.get_export_index(self.store, name, mat)
        func = self.instance.get_func(self.store, idx) if idx is not None else None
        assert func is not None
        return func

    def handle(self, op: str, js: str) -> Any:
        if self.fast is not None:
            return self.fast.handle(self.store, op, js)
        func = self._generic("handle")
        req = Record()
        setattr(req, "op-name", op)
        setattr(req, "in-json", js)
        out = func(self.store, req)
        func.post_return(self.store)
        if isinstance(out, str):
            return (True, out)
        assert isinstance(out, Variant)
        return (False, (out.tag, out.payload))

    def init(self, version: str, ops: list[MatInfoRecord]) -> Any:
        if self.fast is not None:
            return self.fast.init(self.store, version, ops)
        func = self._generic("init")
        args = Record()
        setattr(args, "metatype-version", version)
        infos = []
        for info in ops:
            rec = Record()
            for field, value in zip(
                ("op-name", "mat-title", "mat-hash", "mat-data-json"), info, strict=True
            ):
                setattr(rec, field, value)
            infos.append(rec)
        setattr(args, "expected-ops", infos)
        out = func(self.store, args)
        func.post_return(self.store)
        if isinstance(out, Record):
            return ("ok", getattr(out, "ok"))  # noqa: B009 - Record attrs are dynamic
        assert isinstance(out, Variant)
        payload = out.payload
        if isinstance(payload, Record):
            payload = MatInfoRecord(
                *(
                    getattr(payload, f)
                    for f in ("op-name", "mat-title", "mat-hash", "mat-data-json")
                )
            )
        return ("err", out.tag, payload)


def outcome(call: Callable[[], Any]) -> Any:
    """A call's result, or its exception reduced to what both paths must agree on."""
    try:
        return ("returned", call())
    except Exception as exc:
        return ("raised", type(exc))


@pytest.fixture(scope="module")
def pairs(components: dict[str, Component]) -> dict[str, tuple[Guest, Guest]]:
    """(fast, generic) instances of the stateless guests, reused across examples."""
    return {
        n: (Guest(components[n], True), Guest(components[n], False))
        for n in ("echo", "errors", "hostcaller")
    }


# -- strategies ------------------------------------------------------------------------

big_text = st.builds(
    lambda unit, extra: unit * (65536 // len(unit) + 1 + extra),
    st.text(min_size=1, max_size=6),
    st.integers(0, 3),
)
json_text = st.one_of(st.text(), st.just(""), st.text(alphabet='日本語é🎉\x00"\\{}'), big_text)
op_names = st.one_of(
    st.text(max_size=24),
    st.sampled_from(["", "n", "j", "!x", "x", "no-handler", "é", "🎉op"]),
    st.builds(lambda p, s: p + s, st.sampled_from(["n", "j", "!"]), st.text(max_size=8)),
)
mat_infos = st.lists(
    st.builds(
        MatInfoRecord,
        st.text(max_size=8),
        st.text(max_size=8),
        st.text(max_size=8),
        st.text(max_size=16),
    ),
    max_size=3,
)


# -- identical results -----------------------------------------------------------------


@EXAMPLES
@given(op=op_names, js=json_text)
def test_handle_fast_equals_generic(
    pairs: dict[str, tuple[Guest, Guest]], op: str, js: str
) -> None:
    for name, (fast, generic) in pairs.items():
        got = outcome(partial(fast.handle, op, js))
        assert got == outcome(partial(generic.handle, op, js)), name
        if name == "echo":
            assert got == ("returned", (True, js))


@EXAMPLES
@given(version=st.text(max_size=12), ops=mat_infos)
def test_init_fast_equals_generic(
    components: dict[str, Component], version: str, ops: list[MatInfoRecord]
) -> None:
    for name in ("echo", "initfail"):
        fast = Guest(components[name], True).init(version, ops)
        assert fast == Guest(components[name], False).init(version, ops), name


def test_init_error_cases(components: dict[str, Component]) -> None:
    guest = Guest(components["initfail"], True)
    info = MatInfoRecord("op", "Title é", "h", '{"x": 1}')
    assert guest.init("1", []) == ("err", "version-mismatch", "wants 9.9")
    assert guest.init("1", [info]) == ("err", "unexpected-mat", info)
    assert guest.init("1", [info, info]) == ("err", "other", "init exploded")
    assert Guest(components["echo"], True).init("1", [info]) == ("ok", True)


def test_handle_error_cases(components: dict[str, Component]) -> None:
    guest = Guest(components["errors"], True)
    assert guest.handle("nope", "{}") == (False, ("no-handler", None))
    assert guest.handle("json", "{}") == (False, ("in-json-err", "bad json at 1:1"))
    assert guest.handle("other", "{}") == (False, ("handler-err", "boom"))


@pytest.mark.parametrize("bad", [b"{}", None, 3])
def test_non_str_input_raises_type_error_like_generic(
    components: dict[str, Component], bad: Any
) -> None:
    for fast in (True, False):
        guest = Guest(components["echo"], fast)
        with pytest.raises(TypeError):
            guest.handle("op", bad)
        with pytest.raises(TypeError):
            guest.handle(bad, "{}")
        assert guest.handle("op", "still fine") == (True, "still fine")


def test_lone_surrogate_raises_like_generic(components: dict[str, Component]) -> None:
    for fast in (True, False):
        with pytest.raises(UnicodeEncodeError):
            Guest(components["echo"], fast).handle("op", "\ud800")


def test_counter_state_matches(components: dict[str, Component]) -> None:
    fast, generic = Guest(components["counter"], True), Guest(components["counter"], False)
    assert [fast.handle("op", "") for _ in range(5)] == [generic.handle("op", "") for _ in range(5)]
    assert fast.handle("op", "") == (True, "6")


# -- post-return -----------------------------------------------------------------------


@pytest.fixture
def post_return_spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts calls to the real wasmtime_component_func_post_return."""
    calls: list[int] = []
    real = _abi.func_post_return

    def spy(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(_abi, "func_post_return", spy)
    yield calls


def test_post_return_after_every_call_including_errors(
    components: dict[str, Component], post_return_spy: list[int]
) -> None:
    guest = Guest(components["errors"], True)
    assert guest.fast is not None
    assert guest.handle("n", "") == (False, ("no-handler", None))
    assert guest.handle("x", "") == (False, ("handler-err", "boom"))
    assert len(post_return_spy) == 2
    assert guest.init("v", []) == ("ok", True)
    assert len(post_return_spy) == 3


def test_many_large_calls_do_not_exhaust_guest_memory(components: dict[str, Component]) -> None:
    # The echo guest's bump allocator resets only in post-return; 10k x 2 x 64 KB in a
    # 4 MB memory would trap if it were skipped.
    guest = Guest(components["echo"], True)
    guest.store.set_limits(memory_size=4 << 20)
    payload = "é" * 32768  # 64 KB of UTF-8
    for _ in range(10_000):
        assert guest.handle("op", payload)[0] is True


# -- traps and failures ----------------------------------------------------------------


def test_trap_raises_like_generic_and_next_instance_works(components: dict[str, Component]) -> None:
    for fast in (True, False):
        guest = Guest(components["trap"], fast)
        with pytest.raises(WasmtimeError, match="unreachable"):
            guest.handle("op", "{}")
        assert Guest(components["echo"], fast).handle("op", "ok") == (True, "ok")


def test_hostcall_exception_propagates_and_host_stays_healthy(
    components: dict[str, Component],
) -> None:
    class Boom(RuntimeError):
        pass

    def explode(op: str, js: str) -> tuple[bool, str]:
        raise Boom(f"no {op}")

    for fast in (True, False):
        with pytest.raises(Boom, match="no op"):
            Guest(components["hostcaller"], fast, explode).handle("op", "{}")
        assert Guest(components["hostcaller"], fast).handle("op", "1") == (True, "op|1")


def test_hostcall_bad_return_is_a_clear_error(components: dict[str, Component]) -> None:
    guest = Guest(components["hostcaller"], True, lambda op, js: (True, 42))  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match=r"\(bool, str\)"):
        guest.handle("op", "{}")


# -- hostcall through the fast import --------------------------------------------------


@EXAMPLES
@given(op=op_names, js=json_text)
def test_hostcall_fast_import_equals_generic(
    pairs: dict[str, tuple[Guest, Guest]], op: str, js: str
) -> None:
    fast, generic = pairs["hostcaller"]
    expected = (
        (True, f"{op}|{js}") if not op.startswith("!") else (False, ("handler-err", f"{op}|{js}"))
    )
    assert fast.handle(op, js) == generic.handle(op, js) == expected


def test_hostcall_receives_exact_strings(components: dict[str, Component]) -> None:
    seen: list[tuple[str, str]] = []

    def record(op: str, js: str) -> tuple[bool, str]:
        seen.append((op, js))
        return (True, "")

    big = "日本" * 40000
    guest = Guest(components["hostcaller"], True, record)
    assert guest.handle("é", big) == (True, "")
    assert guest.handle("", "") == (True, "")
    assert seen == [("é", big), ("", "")]


def test_threads_each_with_an_instance(components: dict[str, Component]) -> None:
    errors: list[BaseException] = []

    def work(tag: str) -> None:
        try:
            guest = Guest(components["hostcaller"], True)
            for i in range(2000):
                op = f"{tag}{i}"
                assert guest.handle(op, "é" * (i % 50)) == (True, f"{op}|{'é' * (i % 50)}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# -- automatic choice ------------------------------------------------------------------


def build_variant(tmp: Path, name: str, wat: str, edit: Callable[[str], str]) -> Component:
    """A component from ``wat`` against wit-wire.wit as changed by ``edit``."""
    wit = tmp / name / "wit"
    wit.mkdir(parents=True)
    text = (WIRE_WIT_DIR / "wit-wire.wit").read_text()
    changed = edit(text)
    assert changed != text
    (wit / "wit-wire.wit").write_text(changed)
    (tmp / name / "g.wat").write_text(wat)
    tool = wasm_tools_path()
    core, out = tmp / name / "core.wasm", tmp / name / "g.wasm"
    for cmd in (
        [
            tool,
            "component",
            "embed",
            str(wit),
            "--world",
            "wit-wire",
            str(tmp / name / "g.wat"),
            "-o",
            str(core),
        ],
        [tool, "component", "new", str(core), "-o", str(out)],
    ):
        subprocess.run(cmd, check=True, capture_output=True)
    return Component.from_file(ENGINE, out)


def guest_wat(name: str) -> str:
    return (WIRE_WIT_DIR.parent / "tests" / "guests" / f"{name}.wat").read_text()


def test_exact_signatures_take_the_fast_path(components: dict[str, Component]) -> None:
    for name in ("echo", "errors", "hostcaller", "initfail", "trap", "counter"):
        assert component_mismatches(ENGINE, components[name]) == []
        assert WitWirePlan.for_component(ENGINE, components[name]) is not None
    assert WitWirePlan.for_component(ENGINE, components["badworld"]) is None


def test_other_handle_signature_falls_back(tmp_path: Path) -> None:
    # Same core ABI as echo.wat (4 x i32 -> i32), different component type.
    comp = build_variant(
        tmp_path,
        "flat",
        guest_wat("echo"),
        lambda t: t.replace(
            "handle: func(req: handle-req)", "handle: func(op-name: string, in-json: string)"
        ),
    )
    assert any("handle" in m for m in component_mismatches(ENGINE, comp))
    assert WitWirePlan.for_component(ENGINE, comp) is None
    store = wasmtime.Store(ENGINE)
    instance = Linker(ENGINE).instantiate(store, comp)
    assert WitWireFuncs.resolve(store, instance) is None
    # the generic path still serves it
    mat = instance.get_export_index(store, MAT_WIRE)
    idx = instance.get_export_index(store, "handle", mat)
    func = instance.get_func(store, idx) if idx is not None else None
    assert func is not None
    assert func(store, "op", "{}") == "{}"


ODD_CALLER = """
(module
  (import "metatype:wit-wire/typegate-wire" "hostcall"
    (func $hostcall (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (func (export "metatype:wit-wire/mat-wire#init") (param i32 i32 i32 i32) (result i32)
    (i32.store8 (i32.const 0) (i32.const 0))
    (i32.store8 (i32.const 4) (i32.const 1))
    (i32.const 0))
  (func (export "metatype:wit-wire/mat-wire#handle") (param i32 i32 i32 i32) (result i32)
    (drop (call $hostcall (local.get 0) (local.get 1) (local.get 3)))
    (i32.store8 (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) (i32.const 0))
    (i32.store (i32.const 24) (i32.const 0))
    (i32.const 16))
)
"""


def test_other_hostcall_signature_falls_back_and_fast_import_refuses(tmp_path: Path) -> None:
    comp = build_variant(
        tmp_path,
        "odd",
        ODD_CALLER,
        lambda t: t.replace(
            "hostcall: func(op-name: string, json: string) -> result<string, string>;",
            "hostcall: func(op-name: string, n: u32) -> u32;",
        ),
    )
    assert any("hostcall" in m for m in component_mismatches(ENGINE, comp))
    assert WitWirePlan.for_component(ENGINE, comp) is None
    # Linked to the fast import anyway: a clear error, not misread memory.
    store = wasmtime.Store(ENGINE)
    linker = Linker(ENGINE)
    add_hostcall(linker, tagged_reply)
    instance = linker.instantiate(store, comp)
    funcs = WitWireFuncs.resolve(store, instance)  # the exports alone do match
    assert funcs is not None
    with pytest.raises(HostcallSignatureError, match="another signature"):
        funcs.handle(store, "op", "{}")
