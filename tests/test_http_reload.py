"""`wire serve --watch`: a changed typegraph reloads while the server keeps serving; a
typegraph that fails to load leaves the previous version serving, its error shown."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from serving import Server, serve

TEMPLATE = """
from typegraph import Graph, Policy, WireRuntime, t, typegraph


@typegraph()
def live(g: Graph) -> None:
    rt = WireRuntime({component!r})
    g.expose(Policy.public(), {functions})
"""


def write(folder: Path, component: Path, names: list[str], broken: str = "") -> None:
    functions = ", ".join(
        f"{n}=rt.handler(t.struct({{'v': t.integer()}}).rename('V'), "
        f"t.struct({{'v': t.integer()}}).rename('V'), name='echo')"
        for n in names
    )
    text = TEMPLATE.format(component=str(component), functions=functions) + broken
    (folder / "typegraph.py").write_text(text)


def wait_for(check: Callable[[], bool], what: str, server: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}:\n{server.output}")


def fields(server: Server) -> set[str]:
    body: dict[str, Any] = server.gql("{ __schema { queryType { fields { name } } } }", path="live")
    return {f["name"] for f in body["data"]["__schema"]["queryType"]["fields"]}


def test_watch_reloads_and_survives_a_broken_typegraph(
    tmp_path: Path, wat: Callable[[str], Path]
) -> None:
    echo = wat("echo")
    write(tmp_path, echo, ["one"])
    with serve(tmp_path / "typegraph.py", "--watch") as server:
        assert server.gql("{ one(v: 1) { v } }", path="live")["data"] == {"one": {"v": 1}}

        write(tmp_path, echo, ["one", "two"])
        wait_for(lambda: "two" in fields(server), "the reload adding 'two'", server)
        assert server.gql("{ two(v: 2) { v } }", path="live")["data"] == {"two": {"v": 2}}

        write(tmp_path, echo, ["one", "three"], broken="\ndef broken(:\n")
        wait_for(
            lambda: (
                "error" in server.client.get(f"{server.url}/health").json()["typegraphs"]["live"]
            ),
            "the failed reload to show",
            server,
        )
        health = server.client.get(f"{server.url}/health").json()["typegraphs"]["live"]
        assert "SyntaxError" in health["error"]
        assert health["status"] == "ok"  # the previous version still serves
        assert fields(server) == {"one", "two"}
        assert "reload of live failed" in server.output

        write(tmp_path, echo, ["one", "three"])
        wait_for(lambda: fields(server) == {"one", "three"}, "the fixed reload", server)
        health = server.client.get(f"{server.url}/health").json()["typegraphs"]["live"]
        assert "error" not in health
