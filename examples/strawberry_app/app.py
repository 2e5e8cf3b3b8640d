"""A team's own strawberry app with the math typegraph's functions in its schema.

The team keeps its server (strawberry's ASGI app on uvicorn) and its own fields (`hello`);
`wire.strawberry` adds the typegraph's functions, checked and run by wire (the guest is
built from `examples/math/guest` when the app starts, and cached):

    uvicorn --app-dir examples/strawberry_app app:app
    curl -s http://127.0.0.1:8000/graphql -H 'content-type: application/json' \\
      -d '{"query": "{ hello add(a: 1, b: 2) }"}'
    → {"data": {"hello": "Hello, world!", "add": 3}}
"""

from pathlib import Path

import strawberry
from strawberry.asgi import GraphQL

import wire.strawberry

math = wire.strawberry.load(Path(__file__).parent.parent / "math" / "typegraph.py")


@strawberry.type
class Query(math.Query):  # type: ignore[misc]  # a class made at run time
    @strawberry.field(description="The team's own field, next to the typegraph's.")
    def hello(self, name: str = "world") -> str:
        return f"Hello, {name}!"


schema = strawberry.Schema(query=Query, mutation=math.Mutation)
# Starts the typegraph's host with the server and closes it when the server stops.
app = wire.strawberry.asgi(GraphQL(schema), math)
