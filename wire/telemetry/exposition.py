"""The metrics in Prometheus's text format: `GET /metrics` of `wire serve`, and a server
of their own for `wire consume --metrics-port`."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from . import metrics

CONTENT_TYPE = CONTENT_TYPE_LATEST


async def scrape() -> bytes:
    """Every metric, the broker gauges brought up to date first (on this event loop)."""
    await metrics.refresh()
    return generate_latest(REGISTRY)


async def serve_metrics(sock: socket.socket) -> asyncio.Task[None]:
    """Serve `GET /metrics` on the bound `sock` from this event loop until the task
    returned is cancelled."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def endpoint(_request: Request) -> Response:
        return Response(await scrape(), media_type=CONTENT_TYPE)

    class Quiet(uvicorn.Server):
        """Leaves the signals to the process it runs in."""

        @contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    app = Starlette(routes=[Route("/metrics", endpoint)])
    server = Quiet(uvicorn.Config(app, lifespan="off", access_log=False, log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if task.done():
        task.result()  # raises why it could not serve
    return task
