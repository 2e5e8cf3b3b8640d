"""The peers of `wire serve` in the GraphQL benchmark: one uvicorn process each.

    python bench/peer_graphql.py (floor | strawberry-cached | strawberry)

Each serves `add(a: Int!, b: Int!): Int!` (a native Python resolver) at POST `/graphql` and
prints `serving <url>` once its socket listens. uvicorn runs as `wire serve` runs it (no
access log, log level warning):

- floor: graphql-core + starlette by hand; each query text parsed and validated once;
- strawberry-cached: strawberry with its ParserCache and ValidationCache extensions;
- strawberry: strawberry with its defaults.
"""

from __future__ import annotations

import argparse
import inspect
import socket
from typing import Any

import uvicorn

MAX_DOCUMENTS = 1000  # the floor's cache of parsed and validated queries


def floor_app() -> Any:
    import orjson
    from graphql import (
        DocumentNode,
        GraphQLArgument,
        GraphQLField,
        GraphQLInt,
        GraphQLNonNull,
        GraphQLObjectType,
        GraphQLSchema,
        execute,
        parse,
        validate,
    )
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    int_arg = GraphQLArgument(GraphQLNonNull(GraphQLInt))
    add = GraphQLField(
        GraphQLNonNull(GraphQLInt),
        args={"a": int_arg, "b": int_arg},
        resolve=lambda _source, _info, a, b: a + b,
    )
    schema = GraphQLSchema(query=GraphQLObjectType("Query", {"add": add}))
    documents: dict[str, DocumentNode] = {}

    def json(body: object, status: int = 200) -> Response:
        return Response(orjson.dumps(body), status, media_type="application/json")

    async def graphql(request: Request) -> Response:
        body = orjson.loads(await request.body())
        query = body["query"]
        document = documents.get(query)
        if document is None:
            document = parse(query)
            errors = validate(schema, document)
            if errors:
                return json({"errors": [e.formatted for e in errors]}, 400)
            if len(documents) < MAX_DOCUMENTS:
                documents[query] = document
        result = execute(
            schema,
            document,
            variable_values=body.get("variables"),
            operation_name=body.get("operationName"),
        )
        if inspect.isawaitable(result):
            result = await result
        return json(result.formatted)

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


def strawberry_app(cached: bool) -> Any:
    import strawberry
    from strawberry.asgi import GraphQL
    from strawberry.extensions import ParserCache, ValidationCache

    @strawberry.type
    class Query:
        @strawberry.field
        def add(self, a: int, b: int) -> int:
            return a + b

    extensions = [ParserCache(), ValidationCache()] if cached else []
    return GraphQL(strawberry.Schema(query=Query, extensions=extensions))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("server", choices=["floor", "strawberry-cached", "strawberry"])
    ns = ap.parse_args()
    app = floor_app() if ns.server == "floor" else strawberry_app(ns.server == "strawberry-cached")
    # IPPROTO_TCP, as `wire serve` binds: asyncio sets TCP_NODELAY on accepted connections
    # only then (without it each keep-alive response waits ~40 ms on a delayed ACK)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    print(f"serving http://127.0.0.1:{sock.getsockname()[1]}/graphql", flush=True)
    config = uvicorn.Config(app, access_log=False, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
