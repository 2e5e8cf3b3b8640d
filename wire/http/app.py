"""The ASGI app: GraphQL over HTTP for each typegraph at `/<name>`, GraphiQL, `/health`.

- `POST /<name>`: `application/json` `{query, variables, operationName}`, or
  `application/graphql` with the query as the body;
- `GET /<name>?query=...&variables=...&operationName=...`: queries only (a mutation
  over GET is 405); a browser (Accept: text/html) gets GraphiQL, its editor filled
  from `?query=` (`&raw` asks for the JSON result instead);
- `GET /<name>/asyncapi.json`: the typegraph's AsyncAPI 3.0 document (its channels on the
  server's broker; `wire/asyncapi.py`);
- `GET /favicon.ico`: wire's icon;
- `GET /health`: each typegraph's status and its broker connection (503 when one is not
  serving or its broker is unreachable);
- `GET /metrics`: the process's metrics in Prometheus's text format (`wire.telemetry`);
- `ws://.../<name>`: GraphQL over WebSocket (`graphql-transport-ws`): subscriptions, and
  queries and mutations too (see `subscriptions.py`). A subscription over HTTP is 400.

Status codes: 200 for every well-formed GraphQL request (its errors are in the body,
each with `extensions.code`), 400 for a malformed one, 401 for bad credentials,
404/405/413/415 as HTTP means them, 408 for a body that did not arrive in time (the
head has its own deadline, `head_timeout.py`), 503 for a typegraph that failed to load.
A client that goes away mid-body is one log line.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from .. import processes
from ..asyncapi import asyncapi
from ..graphql import AuthError
from ..telemetry.asgi import TracingMiddleware
from ..telemetry.exposition import CONTENT_TYPE, scrape
from . import graphiql
from .config import ServerConfig
from .subscriptions import serve_socket
from .typegraphs import Typegraphs

log = logging.getLogger("wire.serve")

RESERVED_PATHS = ("health", "metrics", "_wire")


class _TypegraphName(Convertor[str]):
    """A path segment that is none of the server's own one-segment paths: the GraphQL
    route comes first, so a query does not try every other route's pattern (starlette
    matches them in turn)."""

    regex = r"(?!(?:health|metrics|favicon\.ico)$)[^/]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("typegraph", _TypegraphName())


class ORJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class HttpError(Exception):
    """An HTTP-level failure: answered as `{"errors": [{message, extensions.code}]}`."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> Response:
        body = {"errors": [{"message": self.message, "extensions": {"code": self.code}}]}
        return ORJSONResponse(body, status_code=self.status, headers=self.headers)


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The request body; 413 as soon as it is known to exceed `limit` bytes, 408 when it
    is not all in within `timeout` seconds. `ClientDisconnect` when the client goes away."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise _too_large(limit)
        except ValueError:
            raise HttpError(400, "bad_request", "Content-Length is not a number") from None
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):  # no task per request, unlike wait_for
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                chunks.append(chunk)
    except TimeoutError:
        raise HttpError(
            408,
            "read_timeout",
            f"the request body did not arrive within {timeout:g} s "
            "(--body-timeout / WIRE_BODY_TIMEOUT_S)",
            {"Connection": "close"},  # the rest of the body may still come: not read
        ) from None
    return b"".join(chunks)


def _too_large(limit: int) -> HttpError:
    return HttpError(413, "request_too_large", f"the request body exceeds {limit} bytes")


def _json_object(raw: Any, what: str) -> dict[str, Any] | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            raise HttpError(400, "bad_request", f"{what} is not valid JSON: {e}") from None
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise HttpError(400, "bad_request", f"{what} must be a JSON object")
    return raw


async def graphql_params(
    request: Request, limit: int, timeout: float
) -> tuple[str, Any, str | None]:
    """(query, variables, operationName) from a GET's query string or a POST's body."""
    if request.method == "GET":
        q = request.query_params
        raw: dict[str, Any] = {
            "query": q.get("query"),
            "variables": q.get("variables"),
            "operationName": q.get("operationName"),
        }
    else:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await read_body(request, limit, timeout)
        if media == "application/graphql":
            raw = {"query": body.decode("utf-8", "replace")}
        elif media in ("application/json", ""):
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError as e:
                raise HttpError(400, "bad_request", f"the body is not valid JSON: {e}") from None
            if not isinstance(parsed, dict):
                raise HttpError(400, "bad_request", "the body must be a JSON object")
            raw = parsed
        else:
            raise HttpError(
                415,
                "unsupported_media_type",
                f"unsupported Content-Type {media!r}: use application/json",
            )
    query = raw.get("query")
    if not isinstance(query, str) or not query.strip():
        raise HttpError(400, "bad_request", "missing 'query': send a GraphQL document")
    variables = _json_object(raw.get("variables"), "variables")
    op_name = raw.get("operationName")
    if op_name is not None and not isinstance(op_name, str):
        raise HttpError(400, "bad_request", "operationName must be a string")
    return query, variables, op_name or None


def _wants_html(request: Request) -> bool:
    # A browser navigating here (GraphiQL fills its editor from ?query=); `&raw` asks
    # for the JSON result instead.
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "raw" not in request.query_params


def create_app(
    typegraphs: Typegraphs,
    config: ServerConfig,
    *,
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
) -> Starlette:
    """The ASGI app serving `typegraphs` (closed when the app shuts down); `background`
    tasks (the file watcher) run while it serves."""
    for name in typegraphs.slots:
        if name in RESERVED_PATHS:
            raise ValueError(f"a typegraph cannot be named '{name}': the server uses /{name}")

    async def graphql_endpoint(request: Request) -> Response:
        name = request.path_params["name"]
        slot = typegraphs.slots.get(name)
        try:
            if slot is None:
                known = ", ".join(f"/{n}" for n in sorted(typegraphs.slots)) or "none"
                raise HttpError(404, "unknown_typegraph", f"no typegraph at /{name} ({known})")
            if request.method == "GET" and _wants_html(request):
                if not config.graphiql:
                    raise HttpError(404, "graphiql_disabled", "GraphiQL is turned off")
                return HTMLResponse(graphiql.page(name, request.url.path))
            query, variables, op_name = await graphql_params(
                request, config.max_body_bytes, config.body_timeout_s
            )
            async with slot.use() as gw:
                if gw is None:
                    raise HttpError(
                        503,
                        "typegraph_unavailable",
                        f"typegraph '{name}' is not serving: {slot.error or 'it has not loaded'}",
                    )
                try:
                    auth = gw.authenticator.authenticate(request.headers.get("authorization"))
                except AuthError as e:
                    raise HttpError(
                        401, e.code, str(e), {"WWW-Authenticate": 'Bearer, Basic realm="wire"'}
                    ) from None
                op = gw.operation_type(query, op_name)
                if op is not None and op.value == "subscription":
                    raise HttpError(
                        400,
                        "subscription_needs_websocket",
                        f"a subscription needs a WebSocket: connect to ws://<host>/{name} "
                        "with the graphql-transport-ws protocol (GraphiQL does)",
                    )
                if request.method == "GET" and op is not None and op.value != "query":
                    raise HttpError(
                        405,
                        "method_not_allowed",
                        f"a {op.value} needs POST: GET only runs queries",
                        {"Allow": "POST"},
                    )
                result = await gw.execute(query, variables, op_name, auth)
            return ORJSONResponse(result)
        except HttpError as e:
            return e.response()
        except ClientDisconnect:
            client = f"{request.client.host}:{request.client.port}" if request.client else "?"
            log.info("%s went away before its request body was complete", client)
            return Response(status_code=400)  # never sent: no one is there

    async def health(_request: Request) -> Response:
        status = {name: await slot.status() for name, slot in typegraphs.slots.items()}
        ok = all(s["status"] == "ok" for s in status.values())
        body = {
            "status": "ok" if ok else "degraded",
            "broker": typegraphs.brokers.shown,
            "typegraphs": status,
            # which of the server's processes answered (`--processes`)
            "process": {"pid": os.getpid(), "index": processes.index() or 0},
        }
        return ORJSONResponse(body, status_code=200 if ok else 503)

    async def metrics(_request: Request) -> Response:
        return Response(await scrape(), media_type=CONTENT_TYPE)

    async def asyncapi_document(request: Request) -> Response:
        name = request.path_params["name"]
        slot = typegraphs.slots.get(name)
        if slot is None:
            known = ", ".join(f"/{n}" for n in sorted(typegraphs.slots)) or "none"
            return HttpError(
                404, "unknown_typegraph", f"no typegraph at /{name} ({known})"
            ).response()
        version = slot.current
        if version is None:
            why = slot.error or "it has not loaded"
            message = f"typegraph '{name}' is not serving: {why}"
            return HttpError(503, "typegraph_unavailable", message).response()
        document = asyncapi(version.gateway.host.document, typegraphs.brokers.url)
        return ORJSONResponse(document)

    async def favicon(_request: Request) -> Response:
        return Response(
            graphiql.FAVICON,
            media_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=604800, immutable"},
        )

    async def index(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return ORJSONResponse({"typegraphs": {n: f"{base}/{n}" for n in typegraphs.slots}})

    async def asset(request: Request) -> Response:
        found = graphiql.asset(request.path_params["asset"]) if config.graphiql else None
        if found is None:
            return HttpError(404, "not_found", "no such asset").response()
        content, media = found
        return Response(content, media_type=media, headers={"Cache-Control": "max-age=86400"})

    async def websocket(ws: WebSocket) -> None:
        await serve_socket(ws, typegraphs)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            await typegraphs.start()  # their channels, on this event loop
        except BaseException:
            await typegraphs.close()
            raise
        tasks = [asyncio.create_task(job()) for job in background]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await typegraphs.close()

    return Starlette(
        routes=[
            Route("/{name:typegraph}", graphql_endpoint, methods=["GET", "POST"]),
            Route("/", index),
            Route("/health", health),
            Route("/metrics", metrics),
            Route("/favicon.ico", favicon),
            Route("/{name}/asyncapi.json", asyncapi_document),
            Route(graphiql.ASSET_PREFIX + "{asset}", asset),
            WebSocketRoute("/{name}", websocket),
        ],
        lifespan=lifespan,
        middleware=[Middleware(TracingMiddleware)],
    )
