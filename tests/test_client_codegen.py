"""The client SDK generators without a server: the shape of the API, `mypy --strict`, ruff
and `ruff format` over the generated Python, every GraphQL document a client can send valid
against the schema the gateway builds, names and types that match the gateway's, and the
clear errors."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clients import TYPEGRAPHS, import_fresh, load
from graphql import parse, validate
from test_codegen import document, ref, struct

import wire_codegen
from wire import Host
from wire.graphql import Gateway
from wire_codegen.client import model as client_model

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CodegenError = wire_codegen.CodegenError


@pytest.fixture(scope="module")
def docs() -> dict[str, dict[str, Any]]:
    return {name: load(name) for name in TYPEGRAPHS}


@pytest.fixture(scope="module")
def generated(docs: dict[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every test typegraph's Python client, side by side in one folder."""
    out = tmp_path_factory.mktemp("clients")
    for doc in docs.values():
        wire_codegen.generate("client-python", doc, None, out)
    return out


@pytest.fixture(scope="module")
def gateways(docs: dict[str, dict[str, Any]]) -> Iterator[dict[str, Gateway]]:
    """The gateway of each typegraph (its schema; no guest runs here)."""
    made = {name: Gateway(Host(doc, Path("."))) for name, doc in docs.items()}
    yield made
    for gw in made.values():
        gw.close()


def run(*cmd: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True)


# -- the API ------------------------------------------------------------------------


def test_math_client_files_and_methods(generated: Path) -> None:
    files = sorted(p.name for p in (generated / "math_client").iterdir())
    assert files == [
        "__init__.py", "client.py", "operations.py", "py.typed", "runtime.py",
        "selections.py", "types.py",
    ]  # fmt: skip
    client = (generated / "math_client" / "client.py").read_text()
    assert "    def add(self, *, a: int, b: int) -> int:" in client
    assert "    async def add(self, *, a: int, b: int) -> int:" in client
    assert "        return self._call(ADD, {" in client
    # a struct result: the default selection gives the full type, `select=` the partial one
    assert "        select: None = None,\n    ) -> Rec: ..." in client
    assert "        select: RecSelect,\n    ) -> RecPartial: ..." in client
    assert "    ) -> Rec | RecPartial:" in client
    assert "    def count(self) -> int:" in client  # no arguments: no `*`
    operations = (generated / "math_client" / "operations.py").read_text()
    assert "ADD: runtime.Operation[int, int] = runtime.Operation(" in operations
    assert '"cells": "[[Cell!]!]!"' in operations
    assert '"corner": "PointInput"' in operations  # optional: a nullable variable
    assert 'COUNT: runtime.Operation[int, int] = runtime.Operation("mutation", "count"' in (
        operations.replace("\n    ", "")
    )


def test_channel_operations_and_docs(generated: Path) -> None:
    client = (generated / "orders_client" / "client.py").read_text()
    sync, asynchronous = client.split("class AsyncClient", 1)
    assert "def shipped" not in sync  # subscriptions need asyncio
    assert "    def shipped(self, *, select: None = None) -> Subscription[OrderShipped]: ..." in (
        asynchronous
    )
    assert '        """Every order shipped from now on."""' in asynchronous
    assert "    async def place(self, *, id: int, item: str, qty: int) -> bool:" in asynchronous
    edges = (generated / "edges_client" / "client.py").read_text()
    assert "    async def note(self, *, message: str) -> bool:" in edges  # not a struct
    assert "    def notes(self) -> Subscription[str]:" in edges
    # keywords and the client's own parameter names become `_`-suffixed parameters
    assert '"from": from_,' in edges and '"select": select_,' in edges
    assert '"class": class_,' in edges and '"self": self_,' in edges
    assert "            from_: A keyword as a field." in edges
    assert '        """Every awkward name at once.\n\n        Returns its input.' in edges


def test_the_package_docstring_shows_a_call(generated: Path) -> None:
    init = (generated / "gateway_client" / "__init__.py").read_text()
    assert '    with Client("http://127.0.0.1:7890/gateway") as client:' in init
    assert "        print(client.add(a=..., b=...))" in init


def test_generated_python_passes_mypy_strict_ruff_and_ruff_format(generated: Path) -> None:
    packages = sorted(p.name for p in generated.iterdir() if p.name.endswith("_client"))
    assert len(packages) == len(TYPEGRAPHS)
    out = run(BIN / "mypy", "--strict", "--no-incremental", *packages, cwd=generated)
    assert out.returncode == 0, out.stdout + out.stderr
    config = REPO / "pyproject.toml"
    out = run(BIN / "ruff", "check", "--no-cache", "--config", config, ".", cwd=generated)
    assert out.returncode == 0, out.stdout + out.stderr
    out = run(BIN / "ruff", "format", "--check", "--no-cache", "--config", config, ".",
              cwd=generated)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr


USE = """
from gateway_client import Client, FigurePartial, Rec, RecPartial
from edges_client import AsyncClient, TreePartial

def use(c: Client, a: AsyncClient) -> None:
    total: int = c.add(a=1, b=2)
    rec: Rec = c.identity(id=1, name="n", shape="circle", origin={"x": 1.0, "y": 2.0}, cells=[])
    part: RecPartial = c.identity(
        id=1, name="n", shape="square", origin={"x": 1.0, "y": 2.0}, cells=[["a", 1.0]],
        select={"name": True, "origin": {"x": True}},
    )
    shapes: list[FigurePartial] = c.figures(select={"Circle": {"radius": True}})
    area: float = c.area(figure={"radius": 2.0})
    tree = a.tree(value=1, children=[])
    print(total, rec, part, shapes, area, tree)
"""

# Each line marked `# wrong` is an error mypy must report.
WRONG = """
from gateway_client import Client, Point, Rec

def use(c: Client) -> None:
    c.add(a="1", b=2)  # wrong
    c.identity(id=1, name="n", shape="hexagon", origin={"x": 1.0, "y": 2.0}, cells=[])  # wrong
    c.identity(id=1, name="n", shape="circle", origin={"x": 1.0}, cells=[])  # wrong
    c.records(select={"nmae": True})  # wrong
    c.identity(id=1, name="n", shape="circle", origin={"x": 1.0, "y": 2.0}, cells=[])["note"]
    o: Point = {"x": 0.0, "y": 0.0}
    full: Rec = c.identity(id=1, name="", shape="circle", origin=o, cells=[], select={})  # wrong
    c.count()  # wrong
    c.area(figure={"radius": "big"})  # wrong
"""


def test_mypy_checks_the_callers_code(generated: Path) -> None:
    """The types are real: right calls pass `mypy --strict`, wrong ones are named."""
    (generated / "use.py").write_text(USE)
    (generated / "wrong.py").write_text(WRONG)
    try:
        out = run(BIN / "mypy", "--strict", "use.py", cwd=generated)
        assert out.returncode == 0, out.stdout
        out = run(BIN / "mypy", "--strict", "wrong.py", cwd=generated)
    finally:
        (generated / "use.py").unlink()
        (generated / "wrong.py").unlink()
    report = out.stdout
    wrong = {i for i, line in enumerate(WRONG.splitlines(), 1) if line.endswith("# wrong")}
    found = {int(line.split(":")[1]) for line in report.splitlines() if ": error:" in line}
    assert found == wrong, report
    assert 'Argument "a" to "add" of "Client" has incompatible type "str"' in report
    assert 'expression has type "RecPartial", variable has type "Rec"' in report
    assert '"Client" has no attribute "count"' in report


# -- the documents the clients send --------------------------------------------------


def operations(module: Any) -> dict[str, Any]:
    runtime = module.runtime
    return {
        name: op for name, op in vars(module.operations).items()
        if isinstance(op, runtime.Operation)
    }  # fmt: skip


@pytest.mark.parametrize("name", list(TYPEGRAPHS))
def test_every_document_is_valid_for_the_gateway(
    name: str, generated: Path, gateways: dict[str, Gateway]
) -> None:
    schema = gateways[name].schema
    package = import_fresh(generated, f"{name}_client")
    ops = operations(package)
    assert ops
    for op in ops.values():
        for text in (op.document(), *_narrowed(op)):
            errors = validate(schema, parse(text))
            assert not errors, (text, errors)


def _narrowed(op: Any) -> list[str]:
    """A `select=` document for each operation with a selectable result: its first field."""
    if op.selects is None:
        return []
    shape = op.shapes[op.selects]
    if hasattr(shape, "variants"):
        return [op.document({v: True}) for v in shape.variants]
    first = next(iter(shape.fields))
    return [op.document({first: True})]


@pytest.mark.parametrize("name", list(TYPEGRAPHS))
def test_variable_types_are_the_gateways_argument_types(
    name: str, docs: dict[str, dict[str, Any]], gateways: dict[str, Gateway]
) -> None:
    schema = gateways[name].schema
    model = client_model.client_model(docs[name])
    roots = {"query": schema.query_type, "mutation": schema.mutation_type,
             "subscription": schema.subscription_type}  # fmt: skip
    for op in model.operations:
        root = roots[op.kind]
        assert root is not None and op.name in root.fields, op.name
        args = root.fields[op.name].args
        assert list(args) == [a.name for a in op.arguments]
        for arg in op.arguments:
            served = str(args[arg.name].type)
            expected = served if arg.required else served.removesuffix("!")
            assert arg.graphql_type == expected, (op.name, arg.name)


def test_union_fields_typed_differently_need_their_aliases(
    generated: Path, gateways: dict[str, Gateway]
) -> None:
    package = import_fresh(generated, "edges_client")
    document = package.operations.TAGGED.document()
    assert "... on Circle { kind_Circle: kind size_Circle: size }" in document
    assert "__typename" in document
    plain = document.replace("kind_Circle: ", "").replace("size_Circle: ", "")
    plain = plain.replace("kind_Label: ", "").replace("size_Label: ", "")
    errors = validate(gateways["edges"].schema, parse(plain))
    assert errors and "conflict" in errors[0].message


def test_a_recursive_result_is_cut_and_partial(generated: Path) -> None:
    package = import_fresh(generated, "edges_client")
    assert package.runtime.RECURSION_LEVELS == 3
    document = package.operations.TREE.document()
    assert document.endswith("{ value children { value children { value } } } }")
    client = (generated / "edges_client" / "client.py").read_text()
    assert "select: TreeSelect | None = None\n    ) -> TreePartial:" in client
    # `select=` may go deeper than the default, as deep as it says
    deep = package.operations.TREE.document({"children": {"children": {"children": True}}})
    expected = "children { children { children { value children { value children { value } } } } }"
    assert expected in deep


def test_select_mistakes_are_value_errors(generated: Path) -> None:
    package = import_fresh(generated, "gateway_client")
    identity = package.operations.IDENTITY
    with pytest.raises(ValueError, match=r"Rec has no field 'nmae' \(its fields: id, name, "):
        identity.document({"nmae": True})
    with pytest.raises(ValueError, match="select= picks no field of Rec"):
        identity.document({"name": False})
    with pytest.raises(ValueError, match=r"Rec\.name is not an object: select it with True"):
        identity.document({"name": {"x": True}})
    with pytest.raises(ValueError, match=r"picks no field of Point \(at Rec.origin\)"):
        identity.document({"origin": {}})
    with pytest.raises(ValueError, match=r"none of the variants of Figure \(Circle, Square\)"):
        package.operations.AREA.request({"figure": {"edge": 1.0}}, None)


def test_union_arguments_take_their_one_of_form(generated: Path) -> None:
    package = import_fresh(generated, "edges_client")
    body = package.operations.TAGGED.request(
        {"items": [{"kind": "circle", "size": 1.0}, {"kind": "label", "size": "big"}]}, None
    )
    assert body["variables"] == {
        "items": [
            {"Circle": {"kind": "circle", "size": 1.0}},
            {"Label": {"kind": "label", "size": "big"}},
        ]
    }
    # arguments left out (None) are not sent: the server's defaults apply
    body = package.operations.WORDS.request({"from": "a", "select": 1, "unit": None}, None)
    assert body["variables"] == {"from": "a", "select": 1}
    assert body["operationName"] == "words"


# -- generation ---------------------------------------------------------------------


def test_deterministic(docs: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    doc = docs["gateway"]
    wire_codegen.generate("client-python", doc, None, tmp_path / "a")
    shuffled = copy.deepcopy(doc)
    for key in ("types", "functions"):
        shuffled[key] = dict(reversed(list(shuffled[key].items())))
    wire_codegen.generate("client-python", shuffled, None, tmp_path / "b")
    for path in sorted((tmp_path / "a").rglob("*.py")):
        rel = path.relative_to(tmp_path / "a")
        assert path.read_text() == (tmp_path / "b" / rel).read_text(), rel


def test_regenerating_removes_stale_modules(
    docs: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    wire_codegen.generate("client-python", docs["math"], None, tmp_path)
    (tmp_path / "math_client" / "stale.py").write_text("")
    wire_codegen.generate("client-python", docs["math"], None, tmp_path)
    assert not (tmp_path / "math_client" / "stale.py").exists()


def test_names_graphql_cannot_serve_are_refused(tmp_path: Path) -> None:
    doc = document(
        {"In": struct({"next-sibling": {"kind": "integer"}})},
        {"f": ("In", {"kind": "integer"}, "f")},
    )
    with pytest.raises(CodegenError, match=r"argument 'next-sibling' is not a GraphQL name"):
        wire_codegen.generate("client-python", doc, None, tmp_path)
    doc = document(
        {"In": struct({}), "Out": struct({"__x": {"kind": "integer"}})},
        {"f": ("In", ref("Out"), "f")},
    )
    with pytest.raises(CodegenError, match=r"types\.Out\.fields\.__x: field '__x'"):
        wire_codegen.generate("client-typescript", doc, None, tmp_path)


def test_a_runtime_is_refused(docs: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    for language in ("client-python", "client-typescript"):
        with pytest.raises(CodegenError, match="a client covers every exposed function"):
            wire_codegen.generate(language, docs["math"], "guest", tmp_path)


def test_the_cli_writes_a_client(tmp_path: Path) -> None:
    out = run(BIN / "wire", "codegen", "client-python", TYPEGRAPHS["math"], "-o", tmp_path,
              cwd=tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert f"wrote {tmp_path / 'math_client' / 'client.py'}" in out.stderr
    ts = tmp_path / "ts"
    out = run(BIN / "wire", "codegen", "client-typescript", TYPEGRAPHS["math"], "-o", ts,
              cwd=tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert (ts / "math_client" / "client.ts").is_file()
    out = run(BIN / "wire", "codegen", "client-python", TYPEGRAPHS["math"], "-o", tmp_path,
              "--runtime", "guest", cwd=tmp_path)  # fmt: skip
    assert out.returncode == 1
    assert "a client covers every exposed function" in out.stderr
