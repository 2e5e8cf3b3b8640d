"""A typegraph's functions inside a strawberry app's own schema.

    import strawberry
    from strawberry.asgi import GraphQL
    import wire.strawberry

    math = wire.strawberry.load("examples/math/typegraph.py")

    @strawberry.type
    class Query(math.Query):   # or strawberry.tools.merge_types("Query", (Query, math.Query))
        @strawberry.field
        def hello(self) -> str:
            return "Hello!"

    schema = strawberry.Schema(query=Query, mutation=math.Mutation)
    app = wire.strawberry.asgi(GraphQL(schema), math)   # starts and closes the typegraph

The bridged fields and types are `wire serve`'s (same names, arguments, types, checks,
policies and error codes); see `Fields` for the options (auth, prefix, broker, ...).
This package sits above the host and the gateway: nothing in wire imports it.
"""

try:
    import strawberry  # noqa: F401
except ImportError as e:  # pragma: no cover (the extra is installed for the tests)
    raise ImportError(
        "wire.strawberry needs strawberry-graphql: pip install 'wire[strawberry]'"
    ) from e

from .auth import HeaderAuth, Identify, authorization_of
from .bridge import Fields, load
from .errors import graphql_error
from .lifespan import asgi, lifespan

__all__ = [
    "Fields",
    "HeaderAuth",
    "Identify",
    "asgi",
    "authorization_of",
    "graphql_error",
    "lifespan",
    "load",
]
