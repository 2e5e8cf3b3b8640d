"""typegraph.load: run a .py file, return its document."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

import typegraph
from typegraph import TypegraphError

MATH = """
from typegraph import Graph, Policy, WireRuntime, t, typegraph
from shared_types import NUMBER  # a sibling module: the file's folder is importable


@typegraph()
def math(g: Graph) -> None:
    guest = WireRuntime("guest")
    add_input = t.struct({"a": NUMBER, "b": NUMBER}).rename("AddInput")
    g.expose(
        Policy.public(),
        add=guest.handler(add_input, t.integer(), name="add"),
        record=guest.handler(t.struct({"name": t.string()}), t.boolean(), name="record",
                             effect="create"),
    )
    g.channel("math.done", t.struct({"sum": t.integer()}), durable=True, kind="pubsub")
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_load_the_documented_example(tmp_path: Path) -> None:
    write(tmp_path, "shared_types.py", "from typegraph import t\nNUMBER = t.integer()\n")
    path = write(tmp_path, "math_tg.py", MATH)
    before = list(sys.path)
    doc = typegraph.load(path)
    assert sys.path == before  # the folder is importable only while the file runs
    assert doc["name"] == "math"
    assert doc["runtimes"]["guest"]["component"] == "guest"  # kept as written
    assert doc["functions"]["add"] == {
        "input": "AddInput",
        "output": {"kind": "integer"},
        "materializer": "add",
        "effect": "read",
        "exposed": True,
        "policies": ["public"],
    }
    assert doc["functions"]["record"]["input"] == "RecordInput"
    assert doc["channels"]["math.done"] == {
        "message": {"kind": "ref", "name": "MathDoneMessage"},
        "durable": True,
        "kind": "pubsub",
    }
    typegraph.validate_document(doc)
    # loading twice gives the same document (a fresh module each time)
    assert typegraph.dumps(typegraph.load(str(path))) == typegraph.dumps(doc)


def test_load_picks_by_name(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "two.py",
        """
        from typegraph import Graph, Policy, WireRuntime, t, typegraph

        def build(g: Graph) -> None:
            g.expose(Policy.public(), f=WireRuntime("g").handler(t.struct({}), t.boolean(),
                                                                  name="f"))

        one = typegraph(name="one")(build)
        two = typegraph(name="two")(build)
    """,
    )
    with pytest.raises(TypegraphError, match="defines several typegraphs \\(one, two\\)"):
        typegraph.load(path)
    assert typegraph.load(path, name="two")["name"] == "two"
    with pytest.raises(TypegraphError, match=r"no typegraph named 'three'.*found: one, two"):
        typegraph.load(path, name="three")


def test_load_errors(tmp_path: Path) -> None:
    empty = write(tmp_path, "empty.py", "X = 1\n")
    with pytest.raises(TypegraphError, match="no @typegraph\\(\\) function"):
        typegraph.load(empty)
    with pytest.raises(TypegraphError, match="no typegraph file"):
        typegraph.load(tmp_path / "missing.py")
    txt = write(tmp_path, "graph.txt", "")
    with pytest.raises(TypegraphError, match=r"a typegraph file is a \.py file"):
        typegraph.load(txt)
    bad = write(
        tmp_path,
        "bad.py",
        """
        from typegraph import Graph, Policy, WireRuntime, t, typegraph

        @typegraph()
        def bad(g: Graph) -> None:
            g.expose(Policy.public(), f=WireRuntime("g").handler(
                t.struct({"a": t.integer(min=5, max=2)}), t.boolean(), name="f"))
    """,
    )
    with pytest.raises(TypegraphError) as info:
        typegraph.load(bad)
    assert str(info.value) == "functions.f.input.fields.a: minimum 5 is greater than maximum 2"
