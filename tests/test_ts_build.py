"""`wire build` of TS and JS guests: real componentize-js builds, cached by content hash,
components that import only what wasmtime-py's linker provides."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import wasmtime
from wasmtime.component import Linker, Record, Variant

from wire.build import BuildError, GuestTypeError, build_guest, guest_hash, guest_language
from wire.components import load_component
from wire.engine import default_engine
from wire.paths import cache_dir
from wire.protocol import MAT_WIRE, TYPEGATE_WIRE
from wire_codegen import typescript as ts

REPO = Path(__file__).resolve().parent.parent
GUEST = REPO / "examples" / "math" / "guest-ts"
BUILDS = cache_dir("builds")  # conftest points $WIRE_CACHE_DIR at .wire-cache/ unless set


@pytest.fixture(scope="module")
def wasm() -> Path:
    return build_guest(GUEST)


def wit_of(wasm: Path) -> str:
    tool = Path(sys.executable).parent / "wasm-tools"
    out = subprocess.run([str(tool), "component", "wit", str(wasm)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_ts_guest_builds_into_the_cache(wasm: Path) -> None:
    assert guest_language(GUEST) == ("typescript", "app.ts")
    assert wasm.parent == BUILDS
    assert wasm.name == f"{guest_hash(GUEST)}.wasm"


def test_component_imports_only_what_the_host_links(wasm: Path) -> None:
    """WASI p2 (`add_wasip2`) and wit-wire's hostcall: no wasi:http, no fetch-event."""
    wit = wit_of(wasm)
    imports = re.findall(r"^\s*import ([^;]+);", wit, re.M)
    assert f"import {TYPEGATE_WIRE};" in wit and f"export {MAT_WIRE};" in wit
    allowed = ("wasi:cli/", "wasi:io/", "wasi:clocks/", "wasi:filesystem/", "wasi:random/")
    others = [i for i in imports if i != TYPEGATE_WIRE and not i.startswith(allowed)]
    assert others == [], others
    # ...and wasmtime-py's linker indeed satisfies them all.
    engine = default_engine()
    linker = Linker(engine.wasm)
    linker.add_wasip2()
    with linker.root() as root, root.add_instance(TYPEGATE_WIRE) as iface:
        iface.add_func("hostcall", lambda _s, _op, _j: Variant("ok", "null"))
    store = wasmtime.Store(engine.wasm)
    store.set_epoch_deadline(2**62)
    store.set_wasi(wasmtime.WasiConfig())
    linker.instantiate(store, load_component(engine, wasm).component)


def test_second_build_is_a_cache_hit(wasm: Path) -> None:
    messages: list[str] = []
    started = time.monotonic()
    assert build_guest(GUEST, progress=messages.append) == wasm
    assert time.monotonic() - started < 1.0  # componentize-js alone takes seconds
    assert messages == [f"up to date: {GUEST} ({wasm.name})"]


def test_hash_follows_content_not_location_or_node_modules(tmp_path: Path) -> None:
    copy = tmp_path / "guest"
    shutil.copytree(GUEST, copy)
    before = guest_hash(copy)
    assert before == guest_hash(GUEST)
    (copy / "node_modules" / "x").mkdir(parents=True)
    (copy / "node_modules" / "x" / "index.js").write_text("junk")
    (copy / ".vscode").mkdir()
    (copy / ".vscode" / "settings.json").write_text("{}")
    assert guest_hash(copy) == before
    app = copy / "app.ts"
    app.write_text(app.read_text() + "\n// changed\n")
    assert guest_hash(copy) != before


def test_the_toolchain_pins_are_in_the_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    toolchain = importlib.import_module("wire.build.toolchain")
    before = guest_hash(GUEST)
    monkeypatch.setattr(toolchain, "pins_hash", lambda: "other-pins")
    assert guest_hash(GUEST) != before


def test_a_type_error_fails_the_build_and_caches_nothing(tmp_path: Path) -> None:
    shutil.copytree(GUEST, tmp_path / "g")
    app = tmp_path / "g" / "app.ts"
    app.write_text(app.read_text().replace("return inp.a + inp.b;", "return inp.a + inp.c;"))
    with pytest.raises(GuestTypeError) as info:
        build_guest(tmp_path / "g")
    assert "app.ts(" in str(info.value) and "Property 'c' does not exist" in str(info.value)
    assert str(tmp_path / "g") in str(info.value)
    assert not list(BUILDS.glob(f"{guest_hash(tmp_path / 'g')}*"))


def test_a_bundling_error_carries_esbuild_stderr(tmp_path: Path) -> None:
    (tmp_path / "app.js").write_text(
        f'import {{ nope }} from "./missing.js";\n// {time.time_ns()}\n'
    )
    with pytest.raises(BuildError, match="esbuild failed") as info:
        build_guest(tmp_path)
    assert "missing.js" in info.value.stderr


def test_entry_detection_errors(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match=r"no app\.py, app\.ts or app\.js"):
        build_guest(tmp_path)
    (tmp_path / "app.ts").write_text("")
    (tmp_path / "app.js").write_text("")
    with pytest.raises(BuildError, match=r"several entry modules \(app\.ts, app\.js\)"):
        build_guest(tmp_path)


# -- a JavaScript guest: no TypeScript of its own, the SDK's glue, a module of its own

JS_DOC = {
    "format": "wire-typegraph/1",
    "name": "js",
    "types": {
        "EchoInput": {
            "kind": "struct",
            "fields": {"text": {"kind": "string"}},
            "additionalProperties": False,
        }
    },
    "runtimes": {"rt": {"kind": "wire", "component": "guest", "instances": {"policy": "fresh"}}},
    "materializers": {
        op: {"runtime": "rt", "op": op, "title": op, "data": {"n": 1}}
        for op in ("echo", "todo", "missing")
    },
    "policies": {"public": {"kind": "public"}},
    "functions": {
        op: {
            "input": "EchoInput",
            "output": {"kind": "string"},
            "materializer": op,
            "effect": "read",
            "exposed": True,
            "policies": ["public"],
        }
        for op in ("echo", "todo", "missing")
    },
    "channels": {},
}
JS_APP = """\
import { exportMatWire, NotImplementedError } from "./wire_sdk/index.js";
import { shout } from "./lib/shout.js";

// Plain JavaScript: `missing` is not written at all, `todo` not yet.
export const matWire = exportMatWire({
  echo(inp, ctx) {
    return shout(inp.text) + " " + JSON.stringify(ctx.data);
  },
  todo() {
    throw new NotImplementedError();
  },
});
"""


@pytest.fixture(scope="module")
def js_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("js") / "guest"
    ts.generate(JS_DOC, None, src)
    (src / "app.ts").unlink()
    (src / "app.js").write_text(JS_APP)
    (src / "lib").mkdir()
    (src / "lib" / "shout.js").write_text("export const shout = (s) => s.toUpperCase() + '!';\n")
    assert guest_language(src) == ("javascript", "app.js")
    return build_guest(src)


def call(func: wasmtime.component.Func, store: wasmtime.Store, **fields: object) -> object:
    arg = Record()
    for k, v in fields.items():
        setattr(arg, k.replace("_", "-"), v)
    try:
        return func(store, arg)
    finally:
        func.post_return(store)


def test_js_guest_builds_and_the_glue_maps_missing_and_todo_ops(js_wasm: Path) -> None:
    engine = default_engine()
    linker = Linker(engine.wasm)
    linker.add_wasip2()
    with linker.root() as root, root.add_instance(TYPEGATE_WIRE) as iface:
        iface.add_func("hostcall", lambda _s, _op, _j: Variant("ok", "null"))
    store = wasmtime.Store(engine.wasm)
    store.set_epoch_deadline(2**62)
    store.set_wasi(wasmtime.WasiConfig())
    inst = linker.instantiate(store, load_component(engine, js_wasm).component)
    idx = inst.get_export_index(store, MAT_WIRE)
    init = inst.get_func(store, inst.get_export_index(store, "init", idx))
    handle = inst.get_func(store, inst.get_export_index(store, "handle", idx))

    def infos(*ops: str) -> list[Record]:
        out = []
        for op in ops:
            r = Record()
            for k, v in (("op-name", op), ("mat-title", op), ("mat-hash", ""),
                         ("mat-data-json", json.dumps({"n": 1}))):  # fmt: skip
                setattr(r, k, v)
            out.append(r)
        return out

    err = call(init, store, metatype_version="0.5.1", expected_ops=infos("echo", "missing"))
    assert isinstance(err, Variant) and err.tag == "unexpected-mat"
    assert getattr(err.payload, "op-name") == "missing"
    ok = call(init, store, metatype_version="0.5.1", expected_ops=infos("echo", "todo"))
    assert getattr(ok, "ok") is True  # noqa: B009
    assert call(handle, store, op_name="echo", in_json='{"text": "hi"}') == '"HI! {\\"n\\":1}"'
    assert call(handle, store, op_name="todo", in_json='{"text": "hi"}') == Variant(
        "handler-err", "op 'todo' is not implemented: write todo() in app.ts"
    )


def test_cli_build_of_a_ts_guest(wasm: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "wire.cli", "build", str(GUEST)],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
    )
    assert (out.returncode, out.stdout.strip()) == (0, str(wasm))
    assert "up to date" in out.stderr
