"""The TypeScript guest SDK generator: one walk shared with Python, tsc --strict clean,
deterministic, the author's files kept, `Ctx` helpers from the hostcall op schemas."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_codegen import document, struct, tricky_document

import typegraph
from wire.build import GuestTypeError, typecheck_ts_guest
from wire_codegen import hostcalls, model
from wire_codegen import python as py
from wire_codegen import typescript as ts

REPO = Path(__file__).resolve().parent.parent
MATH = REPO / "examples" / "math"
CodegenError = model.CodegenError


@pytest.fixture(scope="module")
def math_doc() -> dict[str, Any]:
    return typegraph.load(MATH / "typegraph_ts.py")


def test_math_sdk_files(math_doc: dict[str, Any], tmp_path: Path) -> None:
    written = ts.generate(math_doc, None, tmp_path)
    names = sorted(p.relative_to(tmp_path).as_posix() for p in written)
    assert names == [
        "app.ts",
        "tsconfig.json",
        *(f"wire_sdk/{n}" for n in ("ctx.ts", "env.d.ts", "functions.ts", "glue.ts")),
        *(f"wire_sdk/{n}" for n in ("handlers.ts", "hostcalls.ts", "index.ts", "runtime.ts")),
        "wire_sdk/types.ts",
    ]
    types = (tmp_path / "wire_sdk" / "types.ts").read_text()
    assert 'export type Shape = "circle" | "square" | "triangle";' in types
    assert "export type Cell = string | number;" in types
    assert "  corner?: Point | null;" in types  # optional: may be absent, or null
    assert "  cells: Cell[][];" in types
    assert "export type CountInput = { [key: string]: never };" in types  # no fields at all
    handlers = (tmp_path / "wire_sdk" / "handlers.ts").read_text()
    assert "  add(inp: AddInput, ctx: Ctx): number;" in handlers
    assert "  range(inp: RangeInput, ctx: Ctx): number[];" in handlers
    assert handlers.count("  count(") == 1  # two runtimes, one op, one stub
    assert "/** Op `count`, for functions count, count_pooled. */" in handlers
    ctx = (tmp_path / "wire_sdk" / "ctx.ts").read_text()
    assert "  log(level: LogArgsLevel, message: string): void {" in ctx
    if (REPO / "wit" / "ops" / "gql.json").exists():
        assert '  gql(query: string, options: Omit<GqlArgs, "query"> = {}): GqlResult {' in ctx
    # ctx.fn: a typed stub per function; ctx.fetch: HTTP through the `http` op
    assert "  readonly fn: Functions;" in ctx
    assert "  fetch(url: string, init: FetchInit = {}): FetchResponse {" in ctx
    functions = (tmp_path / "wire_sdk" / "functions.ts").read_text()
    assert "  add(args: AddInput): number {" in functions
    assert '    return this.#call("add", args) as number;' in functions
    assert "  identity(args: Rec): Rec {" in functions
    assert "  count_pooled(args: CountInput): number {" in functions


def test_both_languages_share_one_walk(math_doc: dict[str, Any]) -> None:
    """The Python and TS SDKs of a typegraph are two renderings of one GuestModel."""
    walked = model.guest_model(math_doc, None)
    py_files = py.render(walked)
    ts_files = ts.render(walked, hostcalls.hostcall_model())
    for op in walked.ops:
        assert f"def {op.name}(self" in py_files["handlers.py"]
        assert f"  {op.name}(inp: " in ts_files["handlers.ts"]
    for named in walked.types:
        assert named.name in py_files["types.py"] and named.name in ts_files["types.ts"]


def test_generated_sdk_passes_tsc_strict(math_doc: dict[str, Any], tmp_path: Path) -> None:
    ts.generate(math_doc, None, tmp_path)
    typecheck_ts_guest(tmp_path)  # raises GuestTypeError with tsc's report


def test_tricky_sdk_passes_tsc_strict(tmp_path: Path) -> None:
    ts.generate(tricky_document(), None, tmp_path)
    types = (tmp_path / "wire_sdk" / "types.ts").read_text()
    assert "export interface Json_ {" in types  # renamed away from the SDK's `Json`
    assert "export type Leaf = Tree | number | Ids;" in types  # a forward reference is fine
    assert '  "next-sibling"?: Tree | null;' in types
    assert "  from?: Color | null;" in types  # a reserved word is a fine property name
    assert 'export type Color = "red" | "say \\"hi\\"";' in types
    handlers = (tmp_path / "wire_sdk" / "handlers.ts").read_text()
    assert "  orders_plant(inp: PlantInput, ctx: Ctx): Leaf[];" in handlers
    assert "  owner(inp: PolicyInput, ctx: Ctx): PolicyDecision;" in handlers
    assert "  class(inp: Json, ctx: Ctx): Json;" in handlers
    assert '["class", { method: "class", objectInput: false }],' in handlers
    typecheck_ts_guest(tmp_path)


def test_tsc_catches_a_wrong_handler(math_doc: dict[str, Any], tmp_path: Path) -> None:
    ts.generate(math_doc, None, tmp_path)
    app = tmp_path / "app.ts"
    app.write_text(app.read_text().replace("ctx: Ctx): number {", "ctx: Ctx): string {", 1))
    with pytest.raises(GuestTypeError, match="Type 'string' is not assignable to type 'number'"):
        typecheck_ts_guest(tmp_path)


def test_ctx_helpers_are_typed_from_the_op_schemas(tmp_path: Path) -> None:
    ops = tmp_path / "ops"
    ops.mkdir()
    schema = {
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
                "required": ["kids"],
            }
        },
        "type": "object",
        "properties": {
            "mode": {"enum": ["a", "b"]},
            "tree": {"$ref": "#/$defs/Node"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
            "limit": {"type": "integer"},
        },
        "required": ["mode", "tree"],
        "additionalProperties": False,
    }
    (ops / "walk.json").write_text(
        json.dumps({"op": "walk", "args": schema, "result": {"type": ["string", "null"]}})
    )
    (ops / "odd.json").write_text(
        json.dumps(
            {
                "op": "odd",
                "args": {"type": "object", "properties": {"a-b": {}}, "required": ["a-b"]},
                "result": {"const": "done"},
            }
        )
    )
    doc = document({"FInput": struct({})}, {"f": ("FInput", {"kind": "integer"}, "f")})
    ts.generate(doc, None, tmp_path / "guest", ops)
    ctx = (tmp_path / "guest" / "wire_sdk" / "ctx.ts").read_text()
    assert (
        "  walk(mode: WalkArgsMode, tree: Node, "
        'options: Omit<WalkArgs, "mode" | "tree"> = {}): string | null {'
    ) in ctx
    assert "  odd(args: OddArgs): OddResult {" in ctx  # `a-b` cannot be a parameter
    usage = tmp_path / "guest" / "use.ts"
    usage.write_text(
        'import type { Ctx } from "./wire_sdk/index.js";\n'
        "export function use(ctx: Ctx): string | null {\n"
        '  ctx.odd({ "a-b": [1] });\n'
        '  ctx.hostcall("custom_op", { any: ["json"] });\n'
        '  return ctx.walk("a", { kids: [{ kids: [] }] }, { note: null, tags: { k: "v" } });\n'
        "}\n"
    )
    typecheck_ts_guest(tmp_path / "guest")
    usage.write_text(usage.read_text().replace('ctx.walk("a"', 'ctx.walk("c"'))
    with pytest.raises(GuestTypeError, match='"c"'):
        typecheck_ts_guest(tmp_path / "guest")


def test_bad_op_files_are_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"op": "y"}')
    with pytest.raises(CodegenError, match=r"x\.json: declares op 'y'; name the file y\.json"):
        hostcalls.hostcall_model(tmp_path)
    (tmp_path / "x.json").write_text("{nope")
    with pytest.raises(CodegenError, match=r"x\.json: not valid JSON"):
        hostcalls.hostcall_model(tmp_path)
    (tmp_path / "x.json").write_text('{"op": "x", "args": {"$ref": "#/nowhere"}}')
    with pytest.raises(CodegenError, match=r"cannot resolve \$ref '#/nowhere'"):
        hostcalls.hostcall_model(tmp_path)


def test_deterministic(math_doc: dict[str, Any], tmp_path: Path) -> None:
    ts.generate(math_doc, None, tmp_path / "a")
    shuffled = copy.deepcopy(math_doc)
    for key in ("types", "materializers", "functions", "runtimes"):
        shuffled[key] = dict(reversed(list(shuffled[key].items())))
    ts.generate(shuffled, None, tmp_path / "b")
    for path in sorted((tmp_path / "a").rglob("*.ts")):
        rel = path.relative_to(tmp_path / "a")
        assert path.read_text() == (tmp_path / "b" / rel).read_text(), rel


def test_regenerating_keeps_the_authors_files(math_doc: dict[str, Any], tmp_path: Path) -> None:
    ts.generate(math_doc, None, tmp_path)
    (tmp_path / "app.ts").write_text("// mine\n")
    (tmp_path / "tsconfig.json").write_text("{}\n")
    (tmp_path / "wire_sdk" / "types.ts").write_text("// edited by hand\n")
    (tmp_path / "wire_sdk" / "stale.ts").write_text("")
    written = ts.generate(math_doc, None, tmp_path)
    assert (tmp_path / "app.ts").read_text() == "// mine\n"
    assert (tmp_path / "tsconfig.json").read_text() == "{}\n"
    assert tmp_path / "app.ts" not in written
    assert "export interface Rec {" in (tmp_path / "wire_sdk" / "types.ts").read_text()
    assert not (tmp_path / "wire_sdk" / "stale.ts").exists()


def test_example_sdk_is_up_to_date(math_doc: dict[str, Any]) -> None:
    """examples/math/guest-ts/wire_sdk is committed: it must match its typegraph and wit/ops."""
    files = ts.render(model.guest_model(math_doc, None), hostcalls.hostcall_model())
    for name, text in files.items():
        if name not in ("app.ts", "tsconfig.json"):
            path = MATH / "guest-ts" / "wire_sdk" / name
            assert path.read_text() == text, f"{path} is stale: run wire codegen typescript"


def test_name_clash_after_mangling_is_rejected() -> None:
    doc = document(
        {"AInput": struct({})},
        {
            "a": ("AInput", {"kind": "integer"}, "do.it"),
            "b": ("AInput", {"kind": "integer"}, "do_it"),
        },
    )
    with pytest.raises(CodegenError, match="both become the TS name 'do_it'"):
        ts.render(model.guest_model(doc, None), hostcalls.hostcall_model())


def test_cli_codegen_typescript(math_doc: dict[str, Any], tmp_path: Path) -> None:
    def wire(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "wire.cli", *args]
        return subprocess.run(cmd, cwd=REPO, env=dict(os.environ), capture_output=True, text=True)

    out = wire("codegen", "typescript", str(MATH / "typegraph_ts.py"), "-o", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert f"wrote {tmp_path / 'app.ts'}" in out.stderr
    bad = wire("codegen", "typescript", str(MATH / "typegraph.py"), "-o", str(tmp_path / "x"),
               "--runtime", "nope")  # fmt: skip
    assert bad.returncode == 1
    assert "error [wire_error]" in bad.stderr and "no wire runtime 'nope'" in bad.stderr
    assert wire("codegen", "cobol", "x.py", "-o", "y").returncode == 2
