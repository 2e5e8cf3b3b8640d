"""The README's code is real: its walkthrough's snippets are what codegen writes (and the
guest they make builds and answers), its `wire call` lines print what it says they print,
its Python blocks run, and its sample output is in the format the CLI writes.
(`test_import_readme.py` checks the import section's example.)"""

from __future__ import annotations

import ast
import asyncio
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from test_cli_output import STEP

REPO = Path(__file__).resolve().parent.parent
WIRE = Path(sys.executable).parent / "wire"
README = (REPO / "README.md").read_text()


def section(title: str) -> str:
    """The text under the heading `title`, up to the next heading of any level."""
    found = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#+ )", README, re.S | re.M)
    assert found is not None, f"no section {title!r} in the README"
    return found.group(1)


def blocks(text: str, lang: str) -> list[str]:
    """The fenced `lang` blocks of `text`, dedented (list items indent them)."""
    return [
        textwrap.dedent(b) for b in re.findall(rf"^[ ]*```{lang}\n(.*?)^[ ]*```", text, re.S | re.M)
    ]


def wire(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [str(WIRE), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, (args, out.stderr)
    return out


def test_the_walkthrough_is_what_codegen_writes_and_it_runs(tmp_path: Path) -> None:
    """Step 1's typegraph, step 2's `wire codegen`, its app.py filled in as the README shows,
    built, and called: 13."""
    typegraph_src, app_src = blocks(section("Writing a materializer"), "python")
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
    (typegraph_src, _) = blocks(section("Writing a materializer"), "python")
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
    """`ctx.gql(query, variables)` in Python, `ctx.gql(query, {variables})` in TypeScript."""
    assert "`ctx.gql(query, variables)` in Python, `ctx.gql(query, {variables})`" in README
    (typegraph_src, _) = blocks(section("Writing a materializer"), "python")
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
    README's section says; the math example's `double` as it shows."""
    text = section("Calling functions and HTTP services from a guest")
    (snippet,) = blocks(text, "python")
    app = (REPO / "examples" / "math" / "guest" / "app.py").read_text()
    assert snippet.splitlines()[1].split("  #")[0].strip() in app
    ts_app = (REPO / "examples" / "math" / "guest-ts" / "app.ts").read_text()
    assert "return ctx.fn.add({ a: inp.a, b: inp.a });" in ts_app
    (typegraph_src, _) = blocks(section("Writing a materializer"), "python")
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
    calls = re.findall(r"`(wire call [^`]+)` → `([^`]+)`", README)
    assert len(calls) >= 2, calls  # the Python and the TypeScript walkthroughs
    for command, expected in calls:
        out = wire(*shlex.split(command)[1:])
        assert out.stdout.strip() == expected, command
    builds = re.findall(r"`(wire build examples/[^`]+)`", README)
    assert builds
    for command in builds:
        wire(*shlex.split(command)[1:])
    # codegen writes into the example's folder: run it on a copy
    codegens = re.findall(r"`(wire codegen \w+ examples/[^`]+)`", README)
    assert len(codegens) >= 2
    shutil.copytree(REPO / "examples" / "math", tmp_path / "examples" / "math")
    for command in codegens:
        out = wire(*shlex.split(command)[1:], cwd=tmp_path)
        assert "wrote " in out.stderr


def test_the_python_blocks_run() -> None:
    python = blocks(README, "python")
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


@pytest.mark.parametrize("marker", ["g.channel(", "MessagingComponent("])
def test_the_messaging_fragments_make_a_valid_typegraph(marker: str) -> None:
    """The fragments of *Messaging*, run in a typegraph that declares what they use."""
    fragments = [b for b in blocks(README, "python") if marker in b]
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
    lines = [ln for b in blocks(README, "text") for ln in b.splitlines() if ln.startswith("wire: ")]
    steps = [ln for ln in lines if not ln.startswith("wire: serving")]
    assert steps and all(STEP.match(ln) for ln in steps), steps
