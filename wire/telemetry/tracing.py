"""OpenTelemetry traces of a wire process: off by default, on when the standard `OTEL_*`
variables configure an exporter (`configure_from_env`, which the CLI calls) or when an
application calls `enable()`.

Off, every hook costs one flag check and OpenTelemetry is not even imported. On, spans
cover the HTTP request (server), the GraphQL operation, each function call, each hostcall,
each broker publish (producer) and each delivery to a handler or a subscription
(consumer). The W3C trace context travels in message metadata (`traceparent`,
`tracestate`): a handler's span continues its publisher's trace across brokers and
processes. The context follows work from the event loop to the worker threads and back
(`carried`, `carried_coro`).
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import WireError
from .errors import TracingConfigError

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer, TracerProvider

T = TypeVar("T")
# Read by the hooks: False costs them nothing else.
active = False
_tracer: Tracer | None = None
_NULL: AbstractContextManager[None] = nullcontext()


def enable(provider: TracerProvider | None = None) -> None:
    """Trace from now on, with `provider` (default: OpenTelemetry's global one, which an
    application may have set up already)."""
    global _tracer, active
    from opentelemetry import trace

    _tracer = (provider or trace.get_tracer_provider()).get_tracer("wire", _version())
    active = True


def disable() -> None:
    """Stop tracing (spans already started end as usual)."""
    global active
    active = False


def _version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("wire")
    except importlib.metadata.PackageNotFoundError:
        return "0"


def configure_from_env(env: Mapping[str, str] | None = None) -> bool:
    """Turn tracing on as the standard variables say; whether it is on.

    `OTEL_TRACES_EXPORTER` (`otlp`, `console`, `none`; comma-separated) picks the
    exporters; without it, `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) means
    `otlp`. The OTLP exporter speaks `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf`, the
    default; `grpc` needs `opentelemetry-exporter-otlp-proto-grpc`) and reads its own
    `OTEL_EXPORTER_OTLP_*` settings; spans are batched (`OTEL_BSP_*`). The service is
    `OTEL_SERVICE_NAME` (default `wire`); `OTEL_SDK_DISABLED=true` turns it all off."""
    env = os.environ if env is None else env
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    names = [n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",")]
    names = [n for n in names if n]
    if not names and (
        env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    ):
        names = ["otlp"]
    names = [n for n in names if n != "none"]
    if not names:
        return False
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    service = env.get("OTEL_SERVICE_NAME") or "wire"
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    for name in names:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name, env)))
    trace.set_tracer_provider(provider)
    enable(provider)
    return True


def _exporter(name: str, env: Mapping[str, str]) -> Any:
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if name != "otlp":
        raise TracingConfigError(
            f"OTEL_TRACES_EXPORTER={name!r} is not an exporter wire knows: use otlp, console "
            "or none",
            where="OTEL_TRACES_EXPORTER",
        )
    protocol = (
        env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    ).strip()
    if protocol == "http/protobuf":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if protocol == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (  # type: ignore[import-not-found]
                OTLPSpanExporter as GrpcExporter,
            )
        except ImportError:
            raise TracingConfigError(
                "OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs the package "
                "opentelemetry-exporter-otlp-proto-grpc: install it, or use http/protobuf",
                where="OTEL_EXPORTER_OTLP_PROTOCOL",
            ) from None
        return GrpcExporter()
    raise TracingConfigError(
        f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r} is not supported: use http/protobuf or grpc",
        where="OTEL_EXPORTER_OTLP_PROTOCOL",
    )


def _t() -> Tracer:
    assert _tracer is not None
    return _tracer


# -- the context across threads and the loop ---------------------------------------------


def carried(fn: Callable[[], T]) -> Callable[[], T]:
    """`fn`, to run on a worker thread in the caller's context (its current span)."""
    if not active:
        return fn
    ctx = contextvars.copy_context()
    return lambda: ctx.run(fn)


def carried_coro(coro: Coroutine[Any, Any, T]) -> Coroutine[Any, Any, T]:
    """`coro`, to run on the event loop (from a worker thread) in the caller's context."""
    if not active:
        return coro
    from opentelemetry import context

    current = context.get_current()

    async def run() -> T:
        token = context.attach(current)
        try:
            return await coro
        finally:
            context.detach(token)

    return run()


# -- spans ---------------------------------------------------------------------------------


def start_call(name: str, attributes: Mapping[str, str]) -> tuple[Span, object]:
    """A function call's span, made current; end it with `end_call`."""
    from opentelemetry import context, trace

    span = _t().start_span(name, attributes=attributes)
    return span, context.attach(trace.set_span_in_context(span))


def end_call(span: Span, token: object, error: BaseException | None = None) -> None:
    from opentelemetry import context

    context.detach(token)  # type: ignore[arg-type]
    if error is not None:
        _failed(span, error)
    span.end()


def _failed(span: Span, error: BaseException | str) -> None:
    from opentelemetry.trace import Status, StatusCode

    if isinstance(error, BaseException):
        span.record_exception(error)
        if isinstance(error, WireError):
            span.set_attribute("wire.error.code", error.code)
        error = str(error)
    span.set_status(Status(StatusCode.ERROR, error))


def hostcall(fn: Callable[[Any, Any], T], ctx: Any, args: Any, op: str) -> T:
    """Run hostcall op `op` (`fn(ctx, args)`) in a span of its own."""
    attributes = {
        "wire.hostcall.op": op,
        "wire.typegraph": ctx.typegraph,
        "wire.runtime": ctx.runtime,
    }
    if ctx.function:
        attributes["wire.function"] = ctx.function
    with _t().start_as_current_span(f"hostcall {op}", attributes=attributes):
        return fn(ctx, args)


def graphql(operation: str, name: str | None, typegraph: str) -> AbstractContextManager[Any]:
    """The span of a GraphQL operation (a no-op context when tracing is off)."""
    if not active:
        return _NULL
    attributes = {"graphql.operation.type": operation, "wire.typegraph": typegraph}
    if name:
        attributes["graphql.operation.name"] = name
    title = f"{operation} {name}" if name else operation
    return _t().start_as_current_span(title, attributes=attributes)


def inject(metadata: Mapping[str, str]) -> dict[str, str]:
    """`metadata` with the current trace context in it (W3C `traceparent`); as it was
    when no span is current (a dead letter keeps its original's)."""
    from opentelemetry import propagate, trace

    if not trace.get_current_span().get_span_context().is_valid:
        return dict(metadata)
    out = dict(metadata)
    propagate.inject(out)
    return out


@contextmanager
def publishing(broker: str, channel: str) -> Iterator[None]:
    """The span of a publish on `channel` (the producer side)."""
    from opentelemetry.trace import SpanKind

    attributes = {
        "messaging.system": broker,
        "messaging.destination.name": channel,
        "messaging.operation.type": "send",
    }
    with _t().start_as_current_span(
        f"send {channel}", kind=SpanKind.PRODUCER, attributes=attributes
    ):
        yield


def handling(handle: Callable[[Any, Any], T], broker: str) -> Callable[[Any, Any], T]:
    """`handle(binding, delivery)` in a span continuing the trace of the message's
    publisher (from its metadata); `handle` itself when tracing is off."""
    if not active:
        return handle
    from opentelemetry import propagate
    from opentelemetry.trace import SpanKind

    def traced(b: Any, d: Any) -> T:
        attributes = {
            "messaging.system": broker,
            "messaging.destination.name": b.channel,
            "messaging.operation.type": "process",
            "wire.handler": b.function,
            "wire.attempt": d.attempt,
        }
        parent = propagate.extract(d.message.metadata)
        with _t().start_as_current_span(
            f"process {b.channel}", context=parent, kind=SpanKind.CONSUMER, attributes=attributes
        ) as span:
            outcome = handle(b, d)
            reason = getattr(outcome, "reason", None)
            if isinstance(reason, str):
                _failed(span, reason)
            return outcome

    return traced


def received(channel: str, metadata: Mapping[str, str]) -> None:
    """A message of `channel` reached a subscriber (a GraphQL subscription, a listener):
    a span in its publisher's trace."""
    from opentelemetry import propagate
    from opentelemetry.trace import SpanKind

    attributes = {"messaging.destination.name": channel, "messaging.operation.type": "receive"}
    span = _t().start_span(
        f"receive {channel}",
        context=propagate.extract(metadata),
        kind=SpanKind.CONSUMER,
        attributes=attributes,
    )
    span.end()


def http_server(method: str, path: str, headers: Mapping[str, str]) -> AbstractContextManager[Span]:
    """The span of an HTTP request, continuing the caller's trace (its `traceparent`)."""
    from opentelemetry import propagate
    from opentelemetry.trace import SpanKind

    attributes = {"http.request.method": method, "url.path": path}
    return _t().start_as_current_span(
        f"{method} {path}",
        context=propagate.extract(headers),
        kind=SpanKind.SERVER,
        attributes=attributes,
    )
