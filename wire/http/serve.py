"""`wire serve`: load typegraphs, bind, start their channels, print their URLs, serve
until SIGINT/SIGTERM.

Shutdown is graceful: uvicorn stops accepting, lets running requests finish (up to
`graceful_shutdown_s`), then subscriptions end, message handlers in flight finish (up to
`graceful_shutdown_s`) and every host is closed (its guest calls drained).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from .. import processes
from ..errors import WireError
from . import head_timeout
from .app import create_app
from .config import ServerConfig
from .errors import PortUnavailable
from .typegraphs import Typegraphs, describe_failure, load_gateway
from .watch import watch

log = logging.getLogger("wire.serve")


def bind(host: str, port: int, *, shared: bool = False) -> socket.socket:
    """A socket bound to `host`:`port` (checked before anything is built: a busy port is
    one line, at once). `shared`: other processes of this server bind it too
    (`SO_REUSEPORT`: the kernel spreads the connections among those that listen)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY on accepted connections only
    # for sockets that say they are TCP; without it every response waits ~40 ms (Nagle
    # against delayed ACKs) on keep-alive connections.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise PortUnavailable(
                f"port {port} is in use: pick another with --port (WIRE_PORT), "
                "or --port 0 for any free one",
                where=f"{host}:{port}",
            ) from None
        if e.errno == errno.EACCES:
            raise PortUnavailable(
                f"no permission to listen on port {port} (ports below 1024 need root): "
                "pick another with --port",
                where=f"{host}:{port}",
            ) from None
        raise PortUnavailable(
            f"cannot listen there ({e.strerror}): check --host (WIRE_HOST) and --port",
            where=f"{host}:{port}",
        ) from None
    except (OverflowError, socket.gaierror) as e:
        sock.close()
        raise PortUnavailable(
            f"cannot listen there ({e}): check --host (WIRE_HOST) and --port",
            where=f"{host}:{port}",
        ) from None
    sock.set_inheritable(True)
    return sock


def _check_shared_broker(typegraphs: Typegraphs) -> None:
    """Sibling processes must share their channels' broker: the embedded one is per process."""
    with_channels = [
        n
        for n, slot in typegraphs.slots.items()
        if slot.current is not None and slot.current.gateway.host.typegraph.channels
    ]
    if with_channels and typegraphs.brokers.url.startswith("memory:"):
        raise WireError(
            f"typegraph(s) {', '.join(with_channels)} have channels, and the embedded broker "
            "lives inside one process: with --processes, give them a broker the processes "
            "share (--broker nats://..., amqp://, redis://, mqtt://)",
            where="wire serve",
        )


def load_all(paths: Sequence[Path], config: ServerConfig) -> Typegraphs:
    """Every typegraph loaded and started; with `watch`, one that fails is kept (not
    serving, its error shown) so that fixing the file brings it up."""
    typegraphs = Typegraphs(config)
    try:
        for path in paths:
            path = path.resolve()
            try:
                typegraphs.add(path, load_gateway(path, config))
            except Exception as e:
                if not config.watch:
                    raise
                log.error("%s failed to load (watching it): %s", path, describe_failure(e))
                typegraphs.add(path, None, describe_failure(e))
    except BaseException:
        for slot in typegraphs.slots.values():
            if slot.current is not None:
                slot.current.gateway.close()
        raise
    return typegraphs


class _Server(uvicorn.Server):
    """Prints where each typegraph is served once the socket accepts connections."""

    def __init__(self, config: uvicorn.Config, banner: list[str]) -> None:
        super().__init__(config)
        self.banner = banner

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown, which ends the
        # process by the signal; a drained, clean stop should exit 0 instead.
        signals = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in signals}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        for line in self.banner:
            print(line, flush=True)


def _loop_factory(config: uvicorn.Config) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop uvicorn would run on (uvloop when installed)."""
    factory = getattr(config, "get_loop_factory", None)  # uvicorn ≥ 0.36
    return factory() if factory is not None else None


def serve(
    paths: Sequence[Path],
    config: ServerConfig,
    *,
    hints: Callable[[str], list[str]] | None = None,
) -> int:
    """Serve until stopped; the exit code. `hints(base_url)` gives lines printed after
    the URLs (what to try). One of `processes.count()` sibling processes (`--processes`)
    shares the port with the others; only the first prints the banner."""
    siblings = processes.count()
    sock = bind(config.host, config.port, shared=siblings > 1)
    try:
        typegraphs = load_all(paths, config)
        if siblings > 1:
            _check_shared_broker(typegraphs)
    except BaseException:
        sock.close()
        raise
    port = sock.getsockname()[1]
    shown = f"[{config.host}]" if ":" in config.host else config.host
    base = f"http://{shown}:{port}"
    banner = [f"wire: serving {len(typegraphs.slots)} typegraph(s) at {base}"]
    for name, slot in typegraphs.slots.items():
        ui = " (GraphiQL in a browser)" if config.graphiql else ""
        banner.append(f"  {name}: {base}/{name}{ui}")
        tg = slot.current.gateway.host.typegraph if slot.current is not None else None
        if tg is not None and tg.channels:
            subs = [n for n, op in tg.channel_ops.items() if op.operation == "subscribe"]
            ws = f"; subscriptions at ws://{shown}:{port}/{name}" if subs else ""
            banner.append(f"    channels on {typegraphs.brokers.shown}{ws}")
    banner.append(f"  health: {base}/health")
    if hints is not None:
        banner.extend(hints(base))
    if siblings > 1:  # the first of the processes speaks for all
        banner = [f"wire: {siblings} processes share port {port}", *banner]
        if processes.index() != 0:
            banner = []
    background: list[Any] = [lambda: watch(typegraphs)] if config.watch else []
    app = create_app(typegraphs, config, background=background)
    uv = uvicorn.Config(
        app,
        http=head_timeout.protocol(config.header_timeout_s),
        lifespan="on",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=int(config.graceful_shutdown_s),
    )
    server = _Server(uv, banner)

    async def run() -> None:
        # The channels start before uvicorn does: a broker that cannot be reached is one
        # error line (not a traceback from uvicorn's lifespan), and the server never
        # answers before its handlers run. The app's lifespan closes them.
        try:
            await typegraphs.start()
        except BaseException:
            await typegraphs.close()
            raise
        await server.serve(sockets=[sock])

    try:
        with asyncio.Runner(loop_factory=_loop_factory(uv)) as runner:
            runner.run(run())
    finally:
        sock.close()
    print("wire: stopped", file=sys.stderr, flush=True)
    return 0 if server.started else 1
