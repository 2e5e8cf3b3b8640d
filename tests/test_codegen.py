"""The Python guest SDK generator: typed, mypy --strict clean, deterministic, app.py kept."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import typegraph
from wire.build import GuestTypeError, typecheck_guest
from wire_codegen import python as codegen
from wire_codegen.model import CodegenError, guest_model

REPO = Path(__file__).resolve().parent.parent
MATH = REPO / "examples" / "math"


def struct(fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"kind": "struct", "fields": fields, "additionalProperties": False, **extra}


def ref(name: str) -> dict[str, str]:
    return {"kind": "ref", "name": name}


def document(
    types: dict[str, Any],
    functions: dict[str, tuple[str, Any, str]],
    *,
    runtimes: dict[str, str] | None = None,
    policies: dict[str, Any] | None = None,
    extra_mats: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A document; `functions` maps name -> (input type name, output node, op), all on the
    first runtime; `runtimes` maps runtime name -> component."""
    runtimes = runtimes or {"rt": "guest"}
    first = next(iter(runtimes))
    mats = {
        name: {"runtime": first, "op": op, "title": name, "data": {}}
        for name, (_, _, op) in functions.items()
    }
    return {
        "format": "wire-typegraph/1",
        "name": "tg",
        "types": types,
        "runtimes": {
            name: {"kind": "wire", "component": comp, "instances": {"policy": "fresh"}}
            for name, comp in runtimes.items()
        },
        "materializers": {**mats, **(extra_mats or {})},
        "policies": {"public": {"kind": "public"}, **(policies or {})},
        "functions": {
            name: {
                "input": inp,
                "output": out,
                "materializer": name,
                "effect": "read",
                "exposed": True,
                "policies": ["public"],
            }
            for name, (inp, out, _) in functions.items()
        },
        "channels": {},
    }


def tricky_document() -> dict[str, Any]:
    """Recursive types, forward references through aliases, odd names, a custom policy op
    and a materializer no function uses."""
    types = {
        "Tree": struct(
            {
                "value": ref("Leaf"),
                "children": {"kind": "list", "items": ref("Tree")},
                "from": {"kind": "optional", "item": ref("Color")},  # a keyword
                "next-sibling": {"kind": "optional", "item": ref("Tree")},  # not an identifier
            },
            description='A tree; its docs have """quotes""" and \\ backslashes.',
        ),
        "Leaf": {"kind": "union", "variants": [ref("Tree"), {"kind": "integer"}, ref("Ids")]},
        "Ids": {"kind": "list", "items": {"kind": "string"}},  # a renamed list: an alias
        "Color": {"kind": "enum", "values": ["red", 'say "hi"']},
        "Json": struct({"list": {"kind": "boolean"}}),  # clashes with an SDK name
        "PlantInput": struct({"tree": ref("Tree"), "payload": ref("Json")}),
    }
    doc = document(
        types,
        {"plant": ("PlantInput", {"kind": "list", "items": ref("Leaf")}, "orders.plant")},
        policies={"owner_only": {"kind": "custom", "materializer": "owner"}},
        extra_mats={
            "owner": {"runtime": "rt", "op": "owner", "title": "owner", "data": {"x": 1}},
            "bare": {"runtime": "rt", "op": "class", "title": "bare", "data": {}},
        },
    )
    return doc


@pytest.fixture(scope="module")
def math_doc() -> dict[str, Any]:
    return typegraph.load(MATH / "typegraph.py")


def test_math_sdk_files(math_doc: dict[str, Any], tmp_path: Path) -> None:
    written = codegen.generate(math_doc, None, tmp_path)
    names = sorted(p.relative_to(tmp_path).as_posix() for p in written)
    assert names == [
        "app.py",
        "wire_sdk/__init__.py",
        "wire_sdk/functions.py",
        "wire_sdk/glue.py",
        "wire_sdk/handlers.py",
        "wire_sdk/runtime.py",
        "wire_sdk/types.py",
    ]
    types = (tmp_path / "wire_sdk" / "types.py").read_text()
    assert 'Shape: TypeAlias = Literal["circle", "square", "triangle"]' in types
    assert "Cell: TypeAlias = str | float" in types
    assert "    corner: NotRequired[Point | None]" in types
    assert "    cells: list[list[Cell]]" in types
    handlers = (tmp_path / "wire_sdk" / "handlers.py").read_text()
    assert "def add(self, inp: AddInput, ctx: Ctx) -> int:" in handlers
    assert "def identity(self, inp: Rec, ctx: Ctx) -> Rec:" in handlers
    assert "def range(self, inp: RangeInput, ctx: Ctx) -> list[int]:" in handlers
    # count and count_pooled (two runtimes over one folder) share op `count`: one stub.
    assert handlers.count("def count(") == 1
    assert '"Op `count`, for functions count, count_pooled.' in handlers.replace('"""', '"')
    # ctx.fn: a typed stub per function of the typegraph (count and count_pooled each)
    functions = (tmp_path / "wire_sdk" / "functions.py").read_text()
    assert "    def add(self, args: AddInput) -> int:" in functions
    assert '        result: int = self._call("add", args)' in functions
    assert "    def identity(self, args: Rec) -> Rec:" in functions
    assert "    def count_pooled(self, args: CountInput) -> int:" in functions
    assert '"""Function `count` (exposed, update)."""' in functions


def test_every_function_gets_a_stub_whatever_its_runtime(tmp_path: Path) -> None:
    doc = tricky_document()
    doc["runtimes"]["other"] = {"kind": "wire", "component": "elsewhere", "instances": {}}
    doc["materializers"]["far"] = {"runtime": "other", "op": "far", "title": "far", "data": {}}
    doc["types"]["FarInput"] = struct({"n": {"kind": "integer"}})
    doc["functions"]["import"] = {  # a keyword, on another runtime, not exposed
        "input": "FarInput",
        "output": {"kind": "optional", "item": ref("Color")},
        "materializer": "far",
        "effect": "delete",
        "exposed": False,
        "policies": [],
        "description": "Far away.",
    }
    codegen.generate(doc, "rt", tmp_path)
    functions = (tmp_path / "wire_sdk" / "functions.py").read_text()
    assert "    def import_(self, args: FarInput) -> Color | None:" in functions
    assert '"""Function `import` (not exposed, delete). Far away."""' in functions
    assert '        result: Color | None = self._call("import", args)' in functions
    assert "    def plant(self, args: PlantInput) -> list[Leaf]:" in functions
    types = (tmp_path / "wire_sdk" / "types.py").read_text()
    assert "class FarInput(TypedDict):" in types  # a type only another runtime's function uses
    typecheck_guest(tmp_path)


def test_generated_sdk_is_mypy_strict_clean(math_doc: dict[str, Any], tmp_path: Path) -> None:
    codegen.generate(math_doc, "guest", tmp_path)
    typecheck_guest(tmp_path)  # raises GuestTypeError with mypy's report


def test_tricky_sdk_is_mypy_strict_clean_and_imports(tmp_path: Path) -> None:
    codegen.generate(tricky_document(), None, tmp_path)
    typecheck_guest(tmp_path)
    types = (tmp_path / "wire_sdk" / "types.py").read_text()
    assert "class Json_(TypedDict):" in types  # renamed away from the SDK's `Json`
    assert 'Leaf: TypeAlias = "Tree | int | Ids"' in types  # Ids comes later: quoted
    assert '"next-sibling": "NotRequired[Tree | None]"' in types
    handlers = (tmp_path / "wire_sdk" / "handlers.py").read_text()
    assert "def orders_plant(self, inp: PlantInput, ctx: Ctx) -> list[Leaf]:" in handlers
    assert "def owner(self, inp: PolicyInput, ctx: Ctx) -> PolicyDecision:" in handlers
    assert "def class_(self, inp: Json, ctx: Ctx) -> Json:" in handlers
    assert '"class": OpSpec("class_", object_input=False)' in handlers
    # The modules import in plain CPython (forward references and all), without bindings.
    probe = "import wire_sdk, wire_sdk.types as t; print(sorted(t.Tree.__annotations__))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "['children', 'from', 'next-sibling', 'value']"


def test_mypy_catches_a_wrong_handler(math_doc: dict[str, Any], tmp_path: Path) -> None:
    codegen.generate(math_doc, None, tmp_path)
    app = tmp_path / "app.py"
    app.write_text(app.read_text().replace("-> int:\n        raise", "-> str:\n        raise", 1))
    with pytest.raises(GuestTypeError, match='Return type "str" of "add" incompatible'):
        typecheck_guest(tmp_path)


def test_generated_code_is_ruff_clean(tmp_path: Path) -> None:
    codegen.generate(tricky_document(), None, tmp_path)
    ruff = Path(sys.executable).parent / "ruff"
    cfg = str(REPO / "pyproject.toml")
    out = subprocess.run(
        [str(ruff), "check", "--no-cache", "--config", cfg, str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_deterministic(math_doc: dict[str, Any], tmp_path: Path) -> None:
    codegen.generate(math_doc, None, tmp_path / "a")
    shuffled = copy.deepcopy(math_doc)
    for key in ("types", "materializers", "functions", "runtimes"):
        shuffled[key] = dict(reversed(list(shuffled[key].items())))
    codegen.generate(shuffled, None, tmp_path / "b")
    for path in sorted((tmp_path / "a").rglob("*.py")):
        rel = path.relative_to(tmp_path / "a")
        assert path.read_text() == (tmp_path / "b" / rel).read_text(), rel


def test_regenerating_keeps_app_py_and_rewrites_the_sdk(
    math_doc: dict[str, Any], tmp_path: Path
) -> None:
    codegen.generate(math_doc, None, tmp_path)
    app = tmp_path / "app.py"
    app.write_text("# mine\n")
    (tmp_path / "wire_sdk" / "types.py").write_text("# edited by hand\n")
    (tmp_path / "wire_sdk" / "stale.py").write_text("")
    written = codegen.generate(math_doc, None, tmp_path)
    assert app.read_text() == "# mine\n"
    assert app not in written
    assert "class Rec(TypedDict):" in (tmp_path / "wire_sdk" / "types.py").read_text()
    assert not (tmp_path / "wire_sdk" / "stale.py").exists()


# Every committed Python SDK (each guest's folder needs its own to build), by typegraph.
COMMITTED_SDKS = [
    REPO / "examples" / "math",
    REPO / "examples" / "gateway",
    REPO / "examples" / "orders",
    REPO / "bench" / "echo_py",
    REPO / "bench" / "orders_py",
]


@pytest.mark.parametrize("folder", COMMITTED_SDKS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_committed_sdks_are_up_to_date(folder: Path) -> None:
    """`<folder>/guest/wire_sdk` is committed: it must be what codegen writes for its
    typegraph today (the template's glue and runtime included)."""
    model = guest_model(typegraph.load(folder / "typegraph.py"), None)
    for name, text in codegen.render(model).items():
        if name != "app.py":
            path = folder / "guest" / "wire_sdk" / name
            assert path.read_text() == text, f"{path} is stale: run wire codegen"


def test_runtime_selection() -> None:
    doc = document(
        {"AInput": struct({})},
        {"a": ("AInput", {"kind": "integer"}, "a")},
        runtimes={"one": "guest", "two": "guest", "other": "elsewhere"},
    )
    with pytest.raises(CodegenError, match="name the runtime"):
        codegen.render(guest_model(doc, None))
    with pytest.raises(CodegenError, match=r"no wire runtime 'nope'.*one, other, two"):
        codegen.generate(doc, "nope", Path("/nonexistent"))
    model = guest_model(doc, "two")
    assert model.runtimes == ("one", "two") and [op.name for op in model.ops] == ["a"]


def test_ops_shared_with_different_types_are_rejected() -> None:
    doc = document(
        {"AInput": struct({}), "BInput": struct({"x": {"kind": "integer"}})},
        {
            "a": ("AInput", {"kind": "integer"}, "same"),
            "b": ("BInput", {"kind": "integer"}, "same"),
        },
    )
    with pytest.raises(CodegenError, match="'a' and 'b' share op 'same' but their input"):
        guest_model(doc, None)


def test_name_clash_after_mangling_is_rejected() -> None:
    doc = document(
        {"AInput": struct({})},
        {
            "a": ("AInput", {"kind": "integer"}, "do.it"),
            "b": ("AInput", {"kind": "integer"}, "do_it"),
        },
    )
    with pytest.raises(CodegenError, match="both become the Python name 'do_it'"):
        codegen.render(guest_model(doc, None))
