"""`wire publish`, `wire listen`, `wire consume`: the messaging commands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import orjson

from ..errors import WireError
from .connect import DEFAULT_TIMEOUT_S, ENV, TIMEOUT_ENV, make_broker
from .errors import MessagingError
from .message import ChannelSpec, Message

log = logging.getLogger("wire.cli")


def _spec(ns: argparse.Namespace) -> tuple[ChannelSpec, Any]:
    """The channel's spec and validator from the typegraph, else from the flags."""
    if ns.typegraph:
        import typegraph

        from .bindings import channels_of

        try:
            doc = typegraph.load(Path(ns.typegraph))
        except typegraph.TypegraphError as e:
            raise WireError(str(e), where=ns.typegraph) from e
        channels = channels_of(typegraph.model.read(doc))
        if ns.channel not in channels:
            raise MessagingError(
                f"no channel {ns.channel!r} in {ns.typegraph} "
                f"(channels: {', '.join(channels) or 'none'})",
                where="wire",
            )
        ch = channels[ns.channel]
        return ch.spec, ch.validator
    return ChannelSpec(ns.channel, ns.durable, "queue" if ns.queue else "pubsub"), None


def _check_url(broker: Any) -> None:
    if broker.scheme == "memory":
        raise MessagingError(
            f"the embedded broker lives inside one process: set --broker or ${ENV} "
            "(e.g. nats://127.0.0.1:4222) to reach a broker from the command line",
            where="wire",
        )


def cmd_publish(ns: argparse.Namespace) -> int:
    spec, validator = _spec(ns)
    try:
        payload = orjson.loads(ns.payload)
    except orjson.JSONDecodeError as e:
        raise WireError(f"the payload is not valid JSON: {e}", where="wire publish") from e
    if validator is not None:
        from ..validation import describe

        bad = validator.check(payload)
        if bad:
            raise MessagingError(
                f"the payload does not match the message type of {spec.name!r}: {describe(bad)}",
                where="wire publish",
            )
    meta = dict(kv.split("=", 1) for kv in ns.meta or [])
    broker = make_broker(ns.broker)
    _check_url(broker)

    async def run() -> None:
        await broker.connect()
        try:
            await broker.send(spec, Message.json(spec.name, payload, meta))
        finally:
            await broker.close()

    asyncio.run(run())
    return 0


def cmd_listen(ns: argparse.Namespace) -> int:
    spec, _ = _spec(ns)
    broker = make_broker(ns.broker)
    _check_url(broker)

    async def run() -> None:
        await broker.connect()
        sub = await broker.subscribe(spec, ns.group)
        print(f"listening on {spec.name} ({broker.name})", file=sys.stderr, flush=True)
        seen = 0
        try:
            async for d in sub:
                m = d.message
                try:
                    payload: Any = m.payload()
                except WireError:
                    payload = m.data.decode(errors="replace")
                line = {"channel": m.topic, "payload": payload, "metadata": m.metadata}
                sys.stdout.write(orjson.dumps(line).decode() + "\n")
                sys.stdout.flush()
                await d.ack()
                seen += 1
                if ns.count and seen >= ns.count:
                    break
        finally:
            await sub.close()
            await broker.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
    return 0


def broker_timeout() -> float:
    """Seconds to connect and subscribe every handler: `WIRE_BROKER_TIMEOUT_S`, else 30."""
    raw = os.environ.get(TIMEOUT_ENV, "")
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise MessagingError(
            f"{TIMEOUT_ENV} must be a positive number of seconds, got {raw!r}",
            where="wire consume",
        )
    return value


def cmd_consume(ns: argparse.Namespace) -> int:
    from .. import processes
    from ..graphql import Gateway
    from ..telemetry import tracing
    from .service import MessagingService

    start_timeout = broker_timeout()  # a bad value fails before anything is built
    pin = processes.pin_wanted(ns.pin)
    n = 1 if processes.index() is not None else int(ns.processes or 1)
    if n > 1:
        if make_broker(ns.broker).scheme == "memory":
            raise MessagingError(
                "the embedded broker lives inside one process: with --processes, give the "
                "processes a broker they share (--broker nats://..., amqp://, redis://, mqtt://)",
                where="wire consume",
            )
        if ns.metrics_port:
            raise MessagingError(
                "--metrics-port with --processes: each process has its own metrics; give "
                "them --metrics-port 0 (any free port each) or run one process",
                where="wire consume",
            )
        return processes.run(n, processes.strip_flag(ns.argv, "--processes"))

    processes.apply_pin(pin)
    tracing.configure_from_env()
    metrics_sock = None
    if ns.metrics_port is not None:
        from ..http.serve import bind

        metrics_sock = bind(ns.metrics_host, ns.metrics_port)  # a busy port fails at once

    async def run() -> None:
        # A gateway serves the guests' `gql` op (the typegraph's own GraphQL, in-process).
        with Gateway.load(ns.typegraph, name=ns.name).host as host:
            errors = await asyncio.get_running_loop().run_in_executor(None, host.start)
            for err in errors.values():
                if err is not None:
                    raise err
            service = MessagingService(host, make_broker(ns.broker), drain_timeout=ns.drain_timeout)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            # Bounded (nats-py retries an unreachable server for ever), and a signal while
            # connecting stops the command.
            starting = asyncio.ensure_future(service.start_within(start_timeout))
            signalled = asyncio.ensure_future(stop.wait())
            await asyncio.wait({starting, signalled}, return_when=asyncio.FIRST_COMPLETED)
            signalled.cancel()
            if not starting.done():
                starting.cancel()  # start_within stops what it started
                await asyncio.gather(starting, return_exceptions=True)
                print("stopped before the broker answered", file=sys.stderr, flush=True)
                return
            starting.result()
            n = len(service.bindings)
            print(
                f"consuming: {n} handler(s) on {service.broker.name}", file=sys.stderr, flush=True
            )
            exporter = None
            if metrics_sock is not None:
                from ..telemetry.exposition import serve_metrics

                exporter = await serve_metrics(metrics_sock)
                where = "{}:{}".format(*metrics_sock.getsockname()[:2])
                print(f"metrics at http://{where}/metrics", file=sys.stderr, flush=True)
            await stop.wait()
            print("draining", file=sys.stderr, flush=True)
            await service.stop()
            if exporter is not None:
                exporter.cancel()
                await asyncio.gather(exporter, return_exceptions=True)
            print(f"stopped after {service.handled} message(s)", file=sys.stderr, flush=True)

    try:
        asyncio.run(run())
    finally:
        if metrics_sock is not None:
            metrics_sock.close()
    return 0


def add_commands(sub: Any) -> None:
    from .. import processes

    def broker_opt(s: argparse.ArgumentParser) -> None:
        s.add_argument("--broker", help=f"broker URL (default: ${ENV}, else memory://)")

    def channel_opts(s: argparse.ArgumentParser) -> None:
        s.add_argument("channel")
        s.add_argument("--typegraph", "-t", help="take the channel's settings and type from it")
        s.add_argument("--durable", action="store_true", help="without -t: a durable channel")
        s.add_argument("--queue", action="store_true", help="without -t: a queue channel")
        broker_opt(s)

    s = sub.add_parser("publish", help="publish a JSON message on a channel")
    channel_opts(s)
    s.add_argument("payload", help="the message (JSON)")
    s.add_argument("--meta", action="append", help="metadata key=value (repeatable)")
    s.set_defaults(run=cmd_publish)

    s = sub.add_parser("listen", help="print the messages of a channel (one JSON per line)")
    channel_opts(s)
    s.add_argument("--group", help="join this consumer group (default: see every message)")
    s.add_argument("--count", type=int, default=0, help="exit after this many messages")
    s.set_defaults(run=cmd_listen)

    s = sub.add_parser("consume", help="run a typegraph's handlers and responders (no HTTP)")
    s.add_argument("typegraph")
    s.add_argument("--name", help="which @typegraph, when the file has several")
    s.add_argument("--drain-timeout", type=float, default=30.0, help="seconds to finish on stop")
    s.add_argument(
        "--processes",
        type=int,
        help="run N processes in the same consumer groups, to use N cores (default 1)",
    )
    processes.add_pin_flag(s)
    s.add_argument(
        "--metrics-port",
        type=int,
        help="serve Prometheus metrics at http://<metrics-host>:<port>/metrics (default: off; "
        "0: any free port)",
    )
    s.add_argument(
        "--metrics-host", default="127.0.0.1", help="where --metrics-port listens (127.0.0.1)"
    )
    broker_opt(s)
    s.set_defaults(run=cmd_consume)
