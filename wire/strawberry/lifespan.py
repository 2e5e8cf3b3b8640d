"""Start and close bridged typegraphs with the app that serves them.

- Starlette, FastAPI: `lifespan=wire.strawberry.lifespan(math, orders)` (or
  `lifespan=math.lifespan` for one), or `async with math.running(): ...` inside the
  app's own lifespan;
- an ASGI app without a lifespan of its own, such as strawberry's `GraphQL`:
  `app = wire.strawberry.asgi(GraphQL(schema), math)` answers the server's lifespan
  events and passes every other request to it.

A typegraph that fails to start fails the app's startup (uvicorn then exits), with the
reason.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .bridge import Fields

log = logging.getLogger("wire.strawberry")

Lifespan = Callable[[Any], contextlib.AbstractAsyncContextManager[None]]


def lifespan(*typegraphs: Fields) -> Lifespan:
    """A lifespan running `typegraphs` (started in order, closed in reverse)."""

    @contextlib.asynccontextmanager
    async def run(_app: Any) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for tg in typegraphs:
                await stack.enter_async_context(tg.running())
            yield

    return run


def asgi(app: ASGIApp, *typegraphs: Fields) -> ASGIApp:
    """`app` with `typegraphs` running while the server runs (ASGI lifespan protocol)."""
    run = lifespan(*typegraphs)

    async def with_lifespan(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        await _serve_lifespan(run(app), receive, send)

    return with_lifespan


async def _serve_lifespan(
    running: contextlib.AbstractAsyncContextManager[None], receive: Receive, send: Send
) -> None:
    await receive()  # lifespan.startup
    try:
        await running.__aenter__()
    except Exception as e:
        log.exception("starting the typegraphs failed")
        await send({"type": "lifespan.startup.failed", "message": str(e)})
        return
    await send({"type": "lifespan.startup.complete"})
    await receive()  # lifespan.shutdown
    try:
        await running.__aexit__(None, None, None)
    except Exception as e:
        log.exception("stopping the typegraphs failed")
        await send({"type": "lifespan.shutdown.failed", "message": str(e)})
        return
    await send({"type": "lifespan.shutdown.complete"})
