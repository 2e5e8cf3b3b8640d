"""PythonRuntime in the typegraph DSL and document: the sources it captures (a lambda's own
text, a def without decorators, a module file), the op names, and the misuse it rejects."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

import pytest

from typegraph import Graph, Policy, PythonRuntime, TypegraphError, t, typegraph, validate_document

INP = t.struct({"a": t.integer(), "b": t.integer()}).rename("Pair")


def document(build: Callable[[Graph, PythonRuntime], None], **runtime: Any) -> dict[str, Any]:
    @typegraph(name="tg")
    def tg(g: Graph) -> None:
        build(g, PythonRuntime(**runtime))

    return tg.document()


def data_of(doc: dict[str, Any], function: str) -> dict[str, Any]:
    mat = doc["materializers"][doc["functions"][function]["materializer"]]
    assert mat["runtime"] == "python"
    data: dict[str, Any] = mat["data"]
    return data


def slugify(inp):  # type: ignore[no-untyped-def]
    import re

    return re.sub(r"[^a-z0-9]+", "-", inp["title"].lower())


def logged(fn: Callable[..., Any]) -> Callable[..., Any]:
    return fn


@logged
def decorated(inp, ctx):  # type: ignore[no-untyped-def]
    return inp["a"]


def test_the_three_forms_and_the_runtime_entry() -> None:
    doc = document(
        lambda g, py: g.expose(
            Policy.public(),
            add=py.from_lambda(INP, t.integer(), lambda x: x["a"] + x["b"]),
            slug=py.from_def(t.struct({"title": t.string()}), t.string(), slugify),
            count=py.import_(
                INP, t.integer(), module="data/python_inline/counter.py", name="count"
            ),
        ),
        instances="pooled",
        deadline_ms=500,
    )
    assert doc["runtimes"] == {
        "python": {
            "kind": "python",
            "instances": {"policy": "pooled", "size": 4},
            "limits": {"deadline_ms": 500, "memory_bytes": 128 * 2**20},
        }
    }
    add = data_of(doc, "add")
    assert add == {
        "kind": "lambda",
        "source": 'lambda x: x["a"] + x["b"]',
        "entry": "<lambda>",
        "file": "test_python_runtime_typegraph.py",
        "line": add["line"],
    }
    slug = data_of(doc, "slug")
    assert slug["kind"] == "def" and slug["entry"] == "slugify"
    assert slug["source"].startswith("def slugify(inp):") and "import re" in slug["source"]
    count = data_of(doc, "count")
    assert count["kind"] == "module" and count["entry"] == "count"
    assert count["file"] == "data/python_inline/counter.py" and count["line"] == 1
    assert "def count(inp):" in count["source"]
    validate_document(doc)


def test_lambdas_sharing_a_line_each_get_their_own_text() -> None:
    i = t.integer()
    # fmt: off
    doc = document(lambda g, py: g.expose(Policy.public(), plus=py.from_lambda(INP, i, lambda x: x["a"] + x["b"]), minus=py.from_lambda(INP, i, lambda y: y["a"] - (lambda z: z)(y["b"]))))  # noqa: E501
    # fmt: on
    assert data_of(doc, "plus")["source"] == 'lambda x: x["a"] + x["b"]'
    assert data_of(doc, "minus")["source"] == 'lambda y: y["a"] - (lambda z: z)(y["b"])'
    ops = {doc["functions"][f]["materializer"] for f in ("plus", "minus")}
    assert ops == {"lambda", "lambda_2"}  # the component finds each function by its op
    assert {doc["materializers"][m]["op"] for m in ops} == {"lambda", "lambda_2"}


def test_a_lambda_over_several_lines_and_a_decorated_def() -> None:
    # fmt: off
    doc = document(
        lambda g, py: g.expose(
            Policy.public(),
            long=py.from_lambda(INP, t.integer(), lambda x: (
                x["a"]
                * x["b"]
            ), name="product"),
            first=py.from_def(INP, t.integer(), decorated),
        )
    )
    # fmt: on
    long = data_of(doc, "long")
    assert long["source"].startswith("lambda x: (") and long["source"].endswith(")")
    assert "\n" in long["source"]
    assert doc["materializers"][doc["functions"]["long"]["materializer"]]["op"] == "product"
    first = data_of(doc, "first")
    assert (
        first["source"]
        == 'def decorated(inp, ctx):  # type: ignore[no-untyped-def]\n    return inp["a"]\n'
    )
    assert first["line"] == decorated.__code__.co_firstlineno + 1  # the def, not @logged


def test_the_same_function_twice_is_one_op() -> None:
    def build(g: Graph, py: PythonRuntime) -> None:
        g.expose(Policy.public(), s1=py.from_def(INP, t.string(), slugify))
        g.expose(Policy.public(), s2=py.from_def(INP, t.string(), slugify))

    doc = document(build)
    assert doc["functions"]["s1"]["materializer"] == doc["functions"]["s2"]["materializer"]


def test_what_cannot_travel_is_refused() -> None:
    offset = 3

    with pytest.raises(TypegraphError, match=r"uses offset from around it") as e:
        document(
            lambda g, py: g.define(f=py.from_lambda(INP, t.integer(), lambda x: x["a"] + offset))
        )
    assert str(e.value).startswith("runtimes.python.from_lambda:")
    with pytest.raises(TypegraphError, match="takes a lambda, got the function 'slugify'"):
        document(lambda g, py: g.define(f=py.from_lambda(INP, t.string(), slugify)))
    with pytest.raises(TypegraphError, match="takes a def, got a lambda"):
        document(lambda g, py: g.define(f=py.from_def(INP, t.string(), lambda x: x)))
    with pytest.raises(TypegraphError, match="takes a Python function"):
        document(lambda g, py: g.define(f=py.from_def(INP, t.string(), len)))
    partial = functools.partial(slugify)
    with pytest.raises(TypegraphError, match="takes a Python function"):
        document(lambda g, py: g.define(f=py.from_def(INP, t.string(), partial)))


def test_a_module_must_exist_next_to_the_caller() -> None:
    with pytest.raises(TypegraphError, match=r"cannot read module 'nope.py'") as e:
        document(lambda g, py: g.define(f=py.import_(INP, t.integer(), module="nope.py", name="f")))
    assert str(e.value).startswith("runtimes.python.import_.nope.py:")
    with pytest.raises(TypegraphError, match=r"must be a \.py file"):
        document(lambda g, py: g.define(f=py.import_(INP, t.integer(), module="x.txt", name="f")))


def test_ops_and_policies_of_a_component_do_not_apply() -> None:
    with pytest.raises(TypegraphError, match="use from_lambda, from_def or import_"):
        document(lambda g, py: g.define(f=py.handler(INP, t.integer(), name="f")))
    with pytest.raises(TypegraphError, match="cannot decide policies"):
        document(lambda g, py: py.policy("p") and None)


def test_the_document_schema_knows_the_kind() -> None:
    doc = document(lambda g, py: g.define(f=py.from_lambda(INP, t.integer(), lambda x: 1)))
    with_component = copy.deepcopy(doc)
    with_component["runtimes"]["python"]["component"] = "guest"
    with pytest.raises(TypegraphError):
        validate_document(with_component)
    wire = copy.deepcopy(doc)
    wire["runtimes"]["python"]["kind"] = "wire"  # a wire runtime needs its component
    with pytest.raises(TypegraphError):
        validate_document(wire)
