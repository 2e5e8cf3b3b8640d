"""The README and the reference in docs/ are true: the walkthrough's snippets are what codegen
writes (and the guest they make builds and answers), the `wire call` lines print what they
say, every Python block compiles and the host's runs, the sample output is in the format the
CLI writes, every link leads to a file and a heading that exist, the Reference lists every
file of docs/ and the Layout every package. (Other tests check the snippets of their own
subject where they live: `test_import_docs.py`, `test_client_python.py`, `test_errors.py`,
...)"""

from __future__ import annotations

import ast
import asyncio
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from doc_text import all_blocks, anchors, blocks, documents, read, section
from test_cli_output import STEP

REPO = Path(__file__).resolve().parent.parent
WIRE = Path(sys.executable).parent / "wire"
README = read()


def wire(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [str(WIRE), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, (args, out.stderr)
    return out


def test_the_walkthrough_is_what_codegen_writes_and_it_runs(tmp_path: Path) -> None:
    """Step 1's typegraph, step 2's `wire codegen`, its app.py filled in as the README shows,
    built, and called: 13."""
    typegraph_src, app_src = blocks(section("Write a materializer"), "python")
    (tmp_path / "typegraph.py").write_text(typegraph_src)
    wire("codegen", "python", "typegraph.py", "-o", "guest", cwd=tmp_path)
    generated = (tmp_path / "guest" / "app.py").read_text()
    filled = generated.replace("raise NotImplementedError", 'return inp["a"] + inp["b"]')
    assert filled.split("from __future__ import annotations\n\n", 1)[1] == app_src
    (tmp_path / "guest" / "app.py").write_text(filled)
    wire("build", "guest", cwd=tmp_path)
    called = wire("call", "typegraph.py", "add", '{"a": 11, "b": 2}', cwd=tmp_path)
    assert called.stdout == "13\n"


def test_the_typescript_snippet_is_what_codegen_writes(tmp_path: Path) -> None:
    (typegraph_src, _) = blocks(section("Write a materializer"), "python")
    (app_src,) = blocks(section("In TypeScript (or JavaScript)"), "ts")
    (tmp_path / "typegraph.py").write_text(typegraph_src)
    wire("codegen", "typescript", "typegraph.py", "-o", "guest", cwd=tmp_path)
    generated = (tmp_path / "guest" / "app.ts").read_text()
    filled = generated.replace("throw new NotImplementedError();", "return inp.a + inp.b;")
    code = [
        ln for ln in filled.splitlines() if ln.strip() and not ln.lstrip().startswith(("/*", "*"))
    ]
    snippet = [ln for ln in app_src.splitlines() if ln.strip()]
    starts = [i for i in range(len(code)) if code[i : i + len(snippet)] == snippet]
    assert starts, f"the README's TypeScript app is not in what codegen writes:\n{filled}"


def test_the_gql_signatures_are_the_readmes(tmp_path: Path) -> None:
    """`ctx.gql(query, variables)` in Python, `ctx.gql(query, {variables})` in TypeScript, as
    docs/serving.md says."""
    serving = read("docs/serving.md")
    assert "`ctx.gql(query, variables)` in Python, `ctx.gql(query, {variables})`" in serving
    (typegraph_src, _) = blocks(section("Write a materializer"), "python")
    (tmp_path / "typegraph.py").write_text(typegraph_src)
    wire("codegen", "python", "typegraph.py", "-o", "py", cwd=tmp_path)
    wire("codegen", "typescript", "typegraph.py", "-o", "ts", cwd=tmp_path)
    runtime = (tmp_path / "py" / "wire_sdk" / "runtime.py").read_text()
    assert re.search(r"def gql\(self, query: str, variables: ", runtime)
    ctx = (tmp_path / "ts" / "wire_sdk" / "ctx.ts").read_text()
    assert 'gql(query: string, options: Omit<GqlArgs, "query"> = {})' in ctx
    hostcalls = (tmp_path / "ts" / "wire_sdk" / "hostcalls.ts").read_text()
    assert re.search(r"interface GqlArgs \{\s*query: string;\s*variables\?: ", hostcalls)


def test_the_typed_call_and_http_helpers_are_the_readmes(tmp_path: Path) -> None:
    """`ctx.fn.add(...)`, `ctx.call`, `ctx.http.<method>` and `ctx.fetch(url, {...})` as the
    section of docs/guests.md says; the math example's `double` as it shows."""
    text = section("Calling functions and HTTP services from a guest", "docs/guests.md")
    (snippet,) = blocks(text, "python")
    app = (REPO / "examples" / "math" / "guest" / "app.py").read_text()
    assert snippet.splitlines()[1].split("  #")[0].strip() in app
    ts_app = (REPO / "examples" / "math" / "guest-ts" / "app.ts").read_text()
    assert "return ctx.fn.add({ a: inp.a, b: inp.a });" in ts_app
    (typegraph_src, _) = blocks(section("Write a materializer"), "python")
    (tmp_path / "typegraph.py").write_text(typegraph_src)
    wire("codegen", "python", "typegraph.py", "-o", "py", cwd=tmp_path)
    wire("codegen", "typescript", "typegraph.py", "-o", "ts", cwd=tmp_path)
    functions = (tmp_path / "py" / "wire_sdk" / "functions.py").read_text()
    assert "def add(self, args: AddInput) -> int:" in functions
    runtime = (tmp_path / "py" / "wire_sdk" / "runtime.py").read_text()
    assert "def call(self, function: str, args: Mapping[str, object]) -> Json:" in runtime
    methods = re.findall(r"`\.(\w+)`", text.split("in Python;")[0])
    assert methods == ["put", "patch", "delete"]
    for method in ["get", "post", "request", *methods]:
        assert f"    def {method}(" in runtime, method
    assert "`ctx.http.get(url, headers=..., timeout_ms=...)`, `.post(url, json=...)`" in text
    ctx = (tmp_path / "ts" / "wire_sdk" / "ctx.ts").read_text()
    assert "  fetch(url: string, init: FetchInit = {}): FetchResponse {" in ctx
    assert "  call(args: CallArgs): Json {" in ctx and "`ctx.call({function, args})`" in text
    ts_runtime = (tmp_path / "ts" / "wire_sdk" / "runtime.ts").read_text()
    init = re.search(r"interface FetchInit \{(.*?)\n\}", ts_runtime, re.S)
    assert init is not None
    fields = re.findall(r"^  (\w+)\?:", init.group(1), re.M)
    assert f"{{{', '.join(fields)}}}" in text.replace("\n  ", " ")  # {method, headers, ...}


def test_the_readmes_wire_commands_do_what_it_says(tmp_path: Path) -> None:
    text = "\n".join(read(name) for name in documents())  # the README's, and the docs'
    calls = re.findall(r"`(wire call [^`]+)` → `([^`]+)`", text)
    assert len(calls) >= 2, calls  # the Python and the TypeScript walkthroughs
    for command, expected in calls:
        out = wire(*shlex.split(command)[1:])
        assert out.stdout.strip() == expected, command
    builds = re.findall(r"`(wire build examples/[^`]+)`", text)
    assert builds
    for command in builds:
        wire(*shlex.split(command)[1:])
    # codegen writes into the example's folder: run it on a copy
    codegens = re.findall(r"`(wire codegen \w+ examples/[^`]+)`", text)
    assert len(codegens) >= 2
    shutil.copytree(REPO / "examples" / "math", tmp_path / "examples" / "math")
    for command in codegens:
        out = wire(*shlex.split(command)[1:], cwd=tmp_path)
        assert "wrote " in out.stderr


def test_the_python_blocks_run() -> None:
    python = all_blocks("python")  # the README's and the docs'
    for block in python:  # all of them are Python, a top-level `await` allowed
        compile(block, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    (host_example,) = [b for b in python if "from wire import Host" in b]
    code = compile(host_example, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)

    async def run() -> None:
        namespace: dict[str, Any] = {}
        coroutine = eval(code, namespace)  # a top-level await makes it a coroutine
        if coroutine is not None:
            await coroutine

    cwd = os.getcwd()
    os.chdir(REPO)  # its paths are the repository's
    try:
        asyncio.run(run())
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize(
    ("marker", "name"), [("g.channel(", "README.md"), ("MessagingComponent(", "docs/runtimes.md")]
)
def test_the_messaging_fragments_make_a_valid_typegraph(marker: str, name: str) -> None:
    """The fragments of the README's *Messaging* and of docs/runtimes.md's messaging
    components, run in a typegraph that declares what they use."""
    fragments = [b for b in blocks(read(name), "python") if marker in b]
    assert fragments
    for fragment in fragments:
        _fragment_typegraph(fragment, marker)


def _fragment_typegraph(fragment: str, marker: str) -> None:
    from typegraph import Graph, MessagingComponent, Policy, WireRuntime, t, typegraph

    @typegraph(name="readme")
    def readme(g: Graph) -> None:
        placed = t.struct({"id": t.integer(), "qty": t.integer()}).rename("OrderPlaced")
        quote_req = t.struct({"qty": t.integer()}).rename("QuoteRequest")
        for name, message in (("orders.shipped", placed), ("orders.quote", quote_req)):
            g.channel(name, message)
        g.channel("orders.failed", placed, kind="queue")
        if marker != "g.channel(":
            g.channel("orders.placed", placed, durable=True, kind="queue")
        names = {"g": g, "t": t, "Policy": Policy, "WireRuntime": WireRuntime}
        names |= {"MessagingComponent": MessagingComponent, "placed": placed}
        exec(fragment, {**names, "quote_req": quote_req})

    doc = readme.document()
    assert doc["channels"]["orders.placed"]["handlers"]


def test_the_sample_output_is_in_the_clis_format() -> None:
    lines = [ln for b in all_blocks("text") for ln in b.splitlines() if ln.startswith("wire: ")]
    steps = [ln for ln in lines if not ln.startswith("wire: serving")]
    assert steps and all(STEP.match(ln) for ln in steps), steps


def test_every_link_leads_somewhere() -> None:
    """Each relative link of the README and of docs/ names a file that exists, and a heading
    of it when it has an anchor."""
    checked = 0
    for name in documents():
        base = (REPO / name).parent
        for target in re.findall(r"\]\(([^)\s]+)\)", read(name)):
            if re.match(r"[a-z]+:", target):
                continue  # a URL
            path, _, anchor = target.partition("#")
            file = (base / path).resolve() if path else REPO / name
            assert file.exists(), f"{name}: link to {target}: no such file"
            if anchor:
                rel = file.relative_to(REPO).as_posix()
                assert anchor in anchors(rel), f"{name}: link to {target}: no such heading"
            checked += 1
    assert checked > 20, checked


def test_the_reference_lists_every_file_of_docs() -> None:
    reference = section("Reference")
    for name in documents()[1:]:
        assert f"]({name})" in reference, f"{name} is not in the README's Reference"


def test_the_layout_shows_every_package() -> None:
    """Every package of wire/ and wire_codegen/ (a folder with an `__init__.py`) is a line of
    the Layout, indented under its parent, and so is every top-level folder of the checkout
    that holds code or docs."""
    (layout,) = blocks(section("Layout"), "")
    shown: set[str] = set()
    parents: list[str] = []
    for line in layout.splitlines():
        found = re.match(r"^( *)(\S+/)\s", line)
        if found is None:
            continue  # a description's next line
        depth = len(found.group(1)) // 2
        parents = [*parents[:depth], found.group(2)]
        shown.add("".join(parents))
    packages = {
        f"{p.parent.relative_to(REPO).as_posix()}/"
        for root in ("wire", "wire_codegen")
        for p in (REPO / root).rglob("__init__.py")
    }
    assert packages - shown == set(), "packages missing from the README's Layout"
    folders = {"typegraph/", "wire/", "wire_codegen/", "wit/", "docs/", "examples/", "tests/"}
    assert folders - shown == set(), "folders missing from the README's Layout"
    assert shown - packages - folders <= {"bench/"}, "the Layout shows folders that are not there"
