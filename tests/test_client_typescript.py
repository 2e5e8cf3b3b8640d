"""The generated TypeScript clients: `tsc --strict` (and stricter) clean with no DOM or Node
types, the types refusing wrong calls, and in Node.js against a real `wire serve`: every
example, the subscription flows, every error path (tests/data/client_ts/main.ts prints what
each check gave; this module reads it). Node 20 runs with `--experimental-websocket`."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from clients import (
    ADMIN_PASSWORD,
    EDGES,
    JWT_SECRET,
    ORDERS,
    TYPEGRAPHS,
    failing_server,
    free_port,
    load,
    serve_env,
    silent_server,
    tsc,
)
from doc_text import blocks, section
from messaging import fresh
from messaging.support import FLOW
from serving import GATEWAY, MATH, Server, serve

PREFIX = fresh("clts")
PROGRAM = Path(__file__).resolve().parent / "data" / "client_ts"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="needs Node.js (tests/test_ts_* too)")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clients and the test program, type-checked and compiled to JavaScript."""
    import wire_codegen

    src = tmp_path_factory.mktemp("ts-clients")
    for name in TYPEGRAPHS:
        wire_codegen.generate("client-typescript", load(name, PREFIX), None, src)
    for file in PROGRAM.iterdir():
        shutil.copy(file, src / file.name)
    (src / "readme.ts").write_text(readme_snippet())
    out = src / "js"
    proc = tsc(src, emit=out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (out / "package.json").write_text('{"type": "module"}\n')
    return out


def readme_snippet() -> str:
    """The TypeScript snippet of docs/clients.md."""
    (snippet,) = blocks(section("TypeScript", "docs/clients.md"), "ts")
    return snippet


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serve(MATH, GATEWAY, ORDERS, FLOW, EDGES, env=serve_env(PREFIX)) as s:
        yield s


def node(script: Path, *args: str) -> str:
    assert NODE is not None
    proc = subprocess.run(
        [NODE, "--experimental-websocket", "--no-warnings", str(script), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def results(built: Path, server: Server) -> dict[str, Any]:
    with silent_server() as silent, failing_server() as failing:
        settings = {
            "base": server.url,
            "silent": silent,
            "failing": failing,
            "nowhere": f"http://127.0.0.1:{free_port()}",
            "admin": jwt.encode({"role": "admin"}, JWT_SECRET, algorithm="HS256"),
            "forged": jwt.encode({"role": "admin"}, "x" * 40, algorithm="HS256"),
            "password": ADMIN_PASSWORD,
            "prefix": PREFIX,
        }
        out: dict[str, Any] = json.loads(node(built / "main.js", json.dumps(settings)))
    return out


def error(result: Any) -> dict[str, Any]:
    assert isinstance(result, dict) and "error" in result, result
    return result


# -- compile time ---------------------------------------------------------------------


def test_the_clients_pass_tsc_strict_and_refuse_wrong_calls(built: Path) -> None:
    """`built` compiled the clients and main.ts with TSCONFIG: strict, no DOM or Node types,
    `noUncheckedIndexedAccess`, `exactOptionalPropertyTypes`, unused locals refused. Its
    `@ts-expect-error` lines are calls the types must refuse (tsc fails when one passes)."""
    main = (PROGRAM / "main.ts").read_text()
    assert main.count("// @ts-expect-error") == 7
    assert (built / "main.js").is_file() and (built / "gateway_client" / "client.js").is_file()


def test_tsc_names_a_wrong_call(built: Path, tmp_path: Path) -> None:
    src = built.parent
    wrong = tmp_path / "wrong"
    shutil.copytree(src / "math_client", wrong / "math_client")
    shutil.copy(src / "env.d.ts", wrong / "env.d.ts")
    (wrong / "use.ts").write_text(
        'import { Client } from "./math_client/index.js";\n'
        'export const sum: Promise<string> = new Client("http://x/math").add({ a: 1, b: 2 });\n'
    )
    proc = tsc(wrong)
    assert proc.returncode != 0
    assert "Type 'Promise<number>' is not assignable to type 'Promise<string>'" in proc.stdout


# -- in Node.js, against the server ---------------------------------------------------


def test_the_examples(results: dict[str, Any]) -> None:
    assert results["math.add"] == 13
    assert results["math.range"] == [1, 2, 3, 4]
    assert results["math.identity"]["cells"] == [["a", 1.5], [], [2, "b"]]
    assert results["math.identity"]["corner"] == {"x": 0, "y": 0.5, "label": None}
    assert results["math.identity.select"] == {"name": "full", "origin": {"x": 1.5}}
    assert results["math.double"] == 42
    assert results["math.count"] == 1
    assert results["gateway.figures"] == [{"radius": 1}, {"side": 2}]
    assert results["gateway.figures.select"] == [{}, {"side": 2}]
    assert results["gateway.area.square"] == 4
    assert results["gateway.area.circle"] == pytest.approx(3.14159, rel=1e-5)
    assert results["gateway.records.select"] == [
        {"name": "sparse", "corner": None},
        {"name": "full", "corner": {"label": "c"}},
    ]
    assert results["gateway.stats.token"] == 42
    assert results["gateway.stats.basic"] == 42


def test_edges(results: dict[str, Any]) -> None:
    assert results["edges.tree"] == {
        "value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]
    }  # fmt: skip
    items = [{"kind": "circle", "size": 1.5}, {"kind": "label", "size": "big", "bold": True}]
    assert results["edges.tagged"] == {"items": items}
    assert results["edges.tagged.select"] == {"items": [{}, {"size": "big"}]}
    assert results["edges.words"] == {
        "from": "a", "class": "b", "select": 1, "self": 2, "email": None, "id": None,
        "at": None, "ids": ["p"], "unit": "ft",
    }  # fmt: skip
    assert results["edges.words.default"] == {"unit": "m"}


def test_subscriptions(results: dict[str, Any]) -> None:
    assert results["orders.flow"] == {
        "placed": True,
        "first": {"id": 1, "parcels": 3},
        "second": {"id": 2, "parcels": 1},
        "after": {"done": True},
    }
    assert results["orders.flow.select"] == {"parcels": 2}
    assert results["flow.jobs"] == {"n": 5}
    assert results["edges.notes"] == "hello"


def test_api_errors(results: dict[str, Any]) -> None:
    fail = error(results["math.fail"])
    assert fail["error"] == "ApiError" and fail["code"] == "handler_error"
    assert fail["path"] == ["fail"] and "boom" in fail["detail"] and not fail["transport"]
    wide = error(results["math.wide"])
    assert wide["code"] == "invalid_variables"
    assert "Int cannot represent non 32-bit signed integer value" in wide["detail"]
    invalid = error(results["gateway.add_many.invalid"])
    assert invalid["code"] == "invalid_input" and invalid["path"] == ["add_many"]
    assert invalid["details"] == [
        {"path": "n", "message": "5000 is greater than the maximum of 1000"}
    ]
    assert error(results["orders.place.invalid"])["code"] == "invalid_payload"
    for denied in ("gateway.forbidden", "gateway.stats.anonymous", "flow.denied"):
        assert error(results[denied])["code"] == "policy_denied", denied
    unknown = error(results["select.unknown"])
    assert unknown["error"] == "TypeError" and "Rec has no field 'nmae'" in unknown["message"]
    variant = error(results["variant.none"])
    assert variant["error"] == "TypeError"
    assert "none of the variants of Figure (Circle, Square)" in variant["message"]


def test_transport_errors(results: dict[str, Any]) -> None:
    for name in ("nowhere", "nowhere.subscription"):
        assert error(results[name])["error"] == "ConnectFailed", name
        assert results[name]["transport"]
    missing = error(results["unknown_typegraph"])
    assert missing["error"] == "HttpError" and missing["status"] == 404
    assert missing["code"] == "unknown_typegraph"
    gone = error(results["unknown_typegraph.subscription"])
    assert gone["error"] == "Disconnected" and gone["closeCode"] == 4404
    for name in ("gateway.stats.forged", "gateway.stats.wrong_password", "forged.subscription"):
        refused = error(results[name])
        assert refused["error"] == "Unauthorized" and refused["status"] == 401, name
    assert "invalid bearer token" in results["forged.subscription"]["detail"]  # closed: 4403
    broken = error(results["server_error"])
    assert broken["error"] == "HttpError" and broken["status"] == 502 and broken["code"] is None
    assert broken["detail"] == "upstream is down" and broken["transport"]
    for name in ("timeout", "timeout.subscription"):
        timed_out = error(results[name])
        assert timed_out["error"] == "TimedOut" and "no answer in 300 ms" in timed_out["message"]


def test_the_readme_snippet(built: Path, server: Server) -> None:
    script = (built / "readme.js").read_text().replace("http://127.0.0.1:7890", server.url)
    (built / "readme_here.js").write_text(script)
    assert node(built / "readme_here.js").split() == ["2", "invalid_payload"]
