"""Guards the choice of graphql-core (not strawberry) for the gateway: the pinned version
is the one installed, the features the gateway relies on are there, and building a large
schema stays far below strawberry's measured 1.1 s (300 structs, 150 functions)."""

from __future__ import annotations

import re
import time
import tomllib
from pathlib import Path

import graphql
from graphql import GraphQLInputField, GraphQLInputObjectType, GraphQLInt
from graphql.execution import Executor

from typegraph import Graph, Policy, WireRuntime, t, typegraph
from wire import Host
from wire.graphql import Gateway

REPO = Path(__file__).resolve().parent.parent


def test_graphql_core_is_the_pinned_version() -> None:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = [d for d in deps if re.match(r"graphql-core\b", d)]
    assert pins == [f"graphql-core=={graphql.__version__}"], (pins, graphql.__version__)


def test_the_features_the_gateway_uses_exist() -> None:
    one_of = GraphQLInputObjectType("O", {"a": GraphQLInputField(GraphQLInt)}, is_one_of=True)
    assert one_of.is_one_of
    assert callable(Executor.build)  # request errors get their codes there


def test_a_large_schema_builds_fast() -> None:
    def build(g: Graph) -> None:
        rt = WireRuntime("nowhere.wasm")
        structs = [
            t.struct({f"f{j}": t.integer() for j in range(5)}).rename(f"S{i}") for i in range(300)
        ]
        g.expose(
            Policy.public(),
            **{
                f"fn{i}": rt.handler(
                    t.struct({"a": structs[2 * i], "b": t.optional(t.string())}),
                    structs[2 * i + 1],
                    name=f"fn{i}",
                )
                for i in range(150)
            },
        )

    doc = typegraph(name="big")(build).document()
    with Host(doc, Path(".")) as host:
        start = time.perf_counter()
        gw = Gateway(host)
        elapsed = time.perf_counter() - start
        assert len(gw.schema.query_type.fields) == 150  # type: ignore[union-attr]
    assert elapsed < 0.5, f"building the schema took {elapsed:.2f} s"
