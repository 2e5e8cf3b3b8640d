"""OpenTelemetry traces: one trace from a caller's HTTP request, through the publish
mutation, the handler and its `ctx.send`, to the subscription (the SDK's in-memory
exporter, `wire serve`'s app in process); an OTLP exporter configured by OTEL_* alone."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql_ws import GqlWs, serve_here
from messaging import fresh
from messaging.support import FLOW, flow_env
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from test_metrics import OBSERVE, observe_env

from wire.http import ServerConfig, load_all
from wire.telemetry import tracing

WIRE = Path(sys.executable).parent / "wire"
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{CALLER_TRACE}-00f067aa0ba902b7-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.enable(provider)
    try:
        yield exporter
    finally:
        tracing.disable()
        provider.shutdown()


def parent_of(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> ReadableSpan:
    assert span.parent is not None, f"{span.name} has no parent"
    return by_id[span.parent.span_id]


@pytest.mark.asyncio
async def test_one_trace_from_a_mutation_through_a_handler_to_the_subscription(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = fresh("tr")
    for key, value in flow_env(prefix).items():
        monkeypatch.setenv(key, value)
    config = ServerConfig()
    typegraphs = load_all([FLOW], config)
    done = f"{prefix}.done"
    job = "mutation($c: String!, $n: Int!) { jobs(channel: $c, payload: {n: $n}) }"
    async with serve_here(typegraphs, config) as here:
        url = f"{here.url}/flow"
        async with GqlWs.open(url) as ws, httpx.AsyncClient() as client:
            assert await ws.subscribe("d", "subscription { done { n } }") == []
            r = await client.post(
                url,
                json={"query": job, "variables": {"c": done, "n": 7}},
                headers={"traceparent": TRACEPARENT},
            )
            assert r.json() == {"data": {"jobs": True}}
            message = await ws.recv()
            assert message["payload"] == {"data": {"done": {"n": 7}}}

    finished = spans.get_finished_spans()
    by_id = {s.context.span_id: s for s in finished}
    (received,) = [s for s in finished if s.name == f"receive {done}"]
    # walk from the subscription back to the caller's request
    chain = [received]
    while chain[-1].parent is not None and chain[-1].parent.span_id in by_id:
        chain.append(parent_of(chain[-1], by_id))
    names = [s.name for s in reversed(chain)]
    assert names == [
        "POST /flow",
        "mutation",
        f"send {prefix}.jobs",
        f"process {prefix}.jobs",
        "call send",
        "hostcall send",
        f"send {done}",
        f"receive {done}",
    ]
    kinds = [s.kind for s in reversed(chain)]
    assert kinds == [
        SpanKind.SERVER,
        SpanKind.INTERNAL,
        SpanKind.PRODUCER,
        SpanKind.CONSUMER,
        SpanKind.INTERNAL,
        SpanKind.INTERNAL,
        SpanKind.PRODUCER,
        SpanKind.CONSUMER,
    ]
    # one trace, the caller's: its traceparent was continued
    assert {format(s.context.trace_id, "032x") for s in chain} == {CALLER_TRACE}
    assert chain[-1].parent is not None and chain[-1].parent.span_id not in by_id  # the caller
    process = chain[4]
    attributes: dict[str, Any] = dict(process.attributes or {})
    assert attributes["messaging.destination.name"] == f"{prefix}.jobs"
    assert attributes["wire.handler"] == "send" and attributes["wire.attempt"] == 1
    assert dict(received.attributes or {})["messaging.destination.name"] == done


class Collector(http.server.BaseHTTPRequestHandler):
    """An OTLP/HTTP endpoint that keeps what it is sent."""

    received: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()
        self.wfile.write(b"")

    def log_message(self, *_args: Any) -> None:
        pass


def test_otel_variables_alone_send_the_spans_to_an_otlp_endpoint() -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    env = {
        **observe_env(fresh("ot")),
        "PATH": "/usr/bin:/bin",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_SERVICE_NAME": "wire-test",
        "WIRE_CACHE_DIR": os.environ.get("WIRE_CACHE_DIR", ""),
    }
    try:
        out = subprocess.run(
            [str(WIRE), "call", str(OBSERVE), "echo", '{"n": 5}'],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout == '{"n":5}\n'
    finally:
        server.shutdown()
    assert Collector.received, "no spans reached the OTLP endpoint"
    path, media, body = Collector.received[0]
    assert path == "/v1/traces" and media == "application/x-protobuf"
    request = ExportTraceServiceRequest.FromString(body)
    (resource,) = request.resource_spans
    service = {a.key: a.value.string_value for a in resource.resource.attributes}
    assert service["service.name"] == "wire-test"
    names = {s.name for scope in resource.scope_spans for s in scope.spans}
    assert "call echo" in names
