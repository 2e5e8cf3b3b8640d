"""`wire build`: real componentize-py builds of examples/math/guest, cached by content hash,
and the built component driven through wasmtime's component API (no wire host involved)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from wasmtime import Engine, Store, WasiConfig
from wasmtime.component import Component, Linker, Record, Variant

from wire.build import BuildError, build_guest, guest_hash, typecheck_guest

REPO = Path(__file__).resolve().parent.parent
GUEST = REPO / "examples" / "math" / "guest"
MAT_WIRE = "metatype:wit-wire/mat-wire"
MATH_OPS = ["add", "count", "fail", "greet", "identity", "range"]


@pytest.fixture(scope="module", autouse=True)
def cache_dir() -> Iterator[None]:
    # Builds are reused across test runs (the folder is ignored by git).
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WIRE_CACHE_DIR", str(REPO / ".wire-cache"))
        yield


@pytest.fixture(scope="module")
def wasm(cache_dir: None) -> Path:
    return build_guest(GUEST)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


@pytest.fixture(scope="module")
def component(engine: Engine, wasm: Path) -> Component:
    # Compiling takes seconds: keep the compiled form next to the builds, per wasmtime version.
    compiled = REPO / ".wire-cache" / "test-compiled" / f"{wasm.stem}-{version('wasmtime')}"
    if compiled.exists():
        return Component.deserialize_file(engine, str(compiled))
    comp = Component.from_file(engine, str(wasm))
    compiled.parent.mkdir(parents=True, exist_ok=True)
    tmp = compiled.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(comp.serialize())
    tmp.replace(compiled)
    return comp


def record(**fields: Any) -> Record:
    r = Record()
    for name, value in fields.items():
        setattr(r, name.replace("_", "-"), value)
    return r


def mat_info(op: str) -> Record:
    return record(op_name=op, mat_title=op, mat_hash="0" * 64, mat_data_json="{}")


class Guest:
    """One instance of the component; `hostcalls` records (op, args) and answers from
    `replies` (op -> Variant)."""

    def __init__(self, engine: Engine, component: Component) -> None:
        self.hostcalls: list[tuple[str, Any]] = []
        self.replies: dict[str, Variant] = {}
        linker = Linker(engine)
        linker.add_wasip2()
        with linker.root() as root, root.add_instance("metatype:wit-wire/typegate-wire") as inst:
            inst.add_func("hostcall", self._hostcall)
        self.store = Store(engine)
        self.store.set_wasi(WasiConfig())
        instance = linker.instantiate(self.store, component)
        iface = instance.get_export_index(self.store, MAT_WIRE)
        assert iface is not None

        def func(name: str) -> Any:
            index = instance.get_export_index(self.store, name, iface)
            assert index is not None
            return instance.get_func(self.store, index)

        self._init, self._handle = func("init"), func("handle")

    def _hostcall(self, _store: Any, op: str, args: str) -> Variant:
        self.hostcalls.append((op, json.loads(args)))
        return self.replies.get(op, Variant("ok", "null"))

    def init(self, ops: list[str]) -> Any:
        out = self._init(self.store, record(metatype_version="0.1.0", expected_ops=[
            mat_info(op) for op in ops
        ]))  # fmt: skip
        self._init.post_return(self.store)
        return out

    def handle(self, op: str, in_json: str) -> Any:
        out = self._handle(self.store, record(op_name=op, in_json=in_json))
        self._handle.post_return(self.store)
        return out

    def call(self, op: str, inp: Any) -> Any:
        return self.handle(op, json.dumps(inp))


@pytest.fixture
def guest(engine: Engine, component: Component) -> Guest:
    g = Guest(engine, component)
    ok = g.init(MATH_OPS)
    assert isinstance(ok, Record) and getattr(ok, "ok") is True  # noqa: B009 (untyped Record)
    return g


# -- the build


def test_component_exports_mat_wire(wasm: Path) -> None:
    assert wasm.parent == REPO / ".wire-cache" / "builds"
    assert wasm.name == f"{guest_hash(GUEST)}.wasm"
    tool = Path(sys.executable).parent / "wasm-tools"
    wit = subprocess.run(
        [str(tool), "component", "wit", str(wasm)], capture_output=True, text=True, check=True
    ).stdout
    assert f"export {MAT_WIRE};" in wit
    assert "import metatype:wit-wire/typegate-wire;" in wit


def test_second_build_is_a_cache_hit(wasm: Path) -> None:
    messages: list[str] = []
    started = time.monotonic()
    again = build_guest(GUEST, progress=messages.append)
    assert again == wasm
    assert time.monotonic() - started < 1.0  # componentize-py alone takes seconds
    assert messages == [f"up to date: {GUEST} ({wasm.name})"]


def test_hash_follows_content_not_location_or_caches(tmp_path: Path) -> None:
    copy = tmp_path / "guest"
    shutil.copytree(GUEST, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = guest_hash(copy)
    assert before == guest_hash(GUEST)
    (copy / "__pycache__").mkdir()
    (copy / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"junk")
    (copy / ".mypy_cache").mkdir()
    (copy / "wit_world").mkdir()  # editor bindings: the build makes its own
    (copy / "wit_world" / "__init__.py").write_text("")
    assert guest_hash(copy) == before
    app = copy / "app.py"
    app.write_text(app.read_text() + "\n# changed\n")
    changed = guest_hash(copy)
    assert changed != before
    (copy / "data.txt").write_text("a new file is an input too")
    assert guest_hash(copy) not in (before, changed)


def test_build_failure_carries_componentize_py_stderr(tmp_path: Path) -> None:
    # pytest is installed here (venv and system), but a build sees only the guest and stdlib.
    (tmp_path / "app.py").write_text(f"import pytest\n# {time.time_ns()}\n")
    with pytest.raises(BuildError) as info:
        build_guest(tmp_path)
    assert "No module named 'pytest'" in info.value.stderr
    assert "componentize-py failed" in str(info.value) and str(tmp_path) in str(info.value)
    assert not list((REPO / ".wire-cache" / "builds").glob(f"{guest_hash(tmp_path)}*"))


def test_build_needs_an_app(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"no app\.py"):
        build_guest(tmp_path)


def test_example_guest_typechecks() -> None:
    assert "no issues" in typecheck_guest(GUEST)


def test_cache_dir_is_private(wasm: Path) -> None:
    assert os.stat(wasm.parent).st_mode & 0o077 == 0


# -- the built component through wasmtime: the glue's error mapping, end to end


def test_add(guest: Guest) -> None:
    assert guest.call("add", {"a": 6, "b": 7}) == "13"


def test_range_and_its_error(guest: Guest) -> None:
    assert guest.call("range", {"a": 1, "b": 4}) == "[1,2,3,4]"
    assert guest.call("range", {"a": 100, "b": 1}) == Variant(
        "handler-err", "invalid range: 100 > 1"
    )


def test_identity_round_trips_a_nested_record(guest: Guest) -> None:
    rec = {
        "id": 1,
        "name": "ünï",
        "shape": "square",
        "origin": {"x": 0.5, "y": -2.0},
        "corner": {"x": 1.0, "y": 1.0, "label": None},
        "cells": [["a", 1.5], [], ["b"]],
    }
    assert json.loads(guest.call("identity", rec)) == rec


def test_greet_logs_through_hostcall(guest: Guest) -> None:
    assert guest.call("greet", {"name": "ada"}) == '"hello ada"'
    assert guest.hostcalls == [("log", {"level": "info", "message": "greeting ada"})]


def test_hostcall_error_becomes_a_handler_error(guest: Guest) -> None:
    guest.replies["log"] = Variant("err", json.dumps({"message": "no", "code": "op_failed"}))
    assert guest.call("greet", {"name": "ada"}) == Variant(
        "handler-err", "hostcall 'log' failed (op_failed): no"
    )


def test_raising_handler_gives_handler_err(guest: Guest) -> None:
    assert guest.call("fail", {"message": "boom"}) == Variant("handler-err", "boom")


def test_unknown_op_gives_no_handler(guest: Guest) -> None:
    assert guest.call("nope", {}) == Variant("no-handler", None)


def test_bad_json_gives_in_json_err(guest: Guest) -> None:
    err = guest.handle("add", "{not json")
    assert isinstance(err, Variant) and err.tag == "in-json-err"
    assert str(err.payload).startswith("op 'add': input is not JSON")
    err = guest.handle("add", "[1, 2]")
    assert err == Variant("in-json-err", "op 'add': input must be a JSON object, got list")


def test_init_with_a_missing_op_gives_unexpected_mat(engine: Engine, component: Component) -> None:
    g = Guest(engine, component)
    err = g.init(["add", "sqrt"])
    assert isinstance(err, Variant) and err.tag == "unexpected-mat"
    assert err.payload == mat_info("sqrt")


def test_handle_serves_only_the_ops_init_announced(engine: Engine, component: Component) -> None:
    g = Guest(engine, component)
    assert g.call("add", {"a": 1, "b": 2}) == Variant("no-handler", None)  # before init
    g.init(["count"])  # the pooled runtime's init: its own op only
    assert g.call("add", {"a": 1, "b": 2}) == Variant("no-handler", None)
    assert g.call("count", {}) == "1"


def test_count_lives_as_long_as_the_instance(engine: Engine, component: Component) -> None:
    g = Guest(engine, component)
    g.init(["count"])
    assert [g.call("count", {}) for _ in range(3)] == ["1", "2", "3"]
    fresh = Guest(engine, component)
    fresh.init(["count"])
    assert fresh.call("count", {}) == "1"
