"""GraphQL gateway benchmark: requests per second over HTTP, Python guest vs native resolver.

One server process (uvicorn, as `wire serve` runs it) serves the gateway example twice:
`/guest` answers `{ add(a: 1, b: 2) }` through the Python guest (componentize-py,
pooled), `/native` is the same schema with `add`'s resolver replaced by a Python
function. A client process drives both over keep-alive connections in alternating
rounds. Target: guest >= 0.8 x native. Also prints the in-process execution time per
query (`Gateway.execute`, cached parse and validation).

    .venv/bin/python bench/bench_graphql.py            # or: make bench
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
GATEWAY = REPO / "examples" / "gateway" / "typegraph.py"
QUERY = b'{"query": "{ add(a: 1, b: 2) }"}'
EXPECTED = b'{"data":{"add":3}}'
CONNECTIONS = 8
os.environ.setdefault("WIRE_CACHE_DIR", str(REPO / ".wire-cache"))
ROUND_S = 2.0
ROUNDS = 3


POOL = int(os.environ.get("BENCH_POOL", "2"))  # warm instances = worker threads


def make_gateway(*, native: bool) -> Any:
    """The example's gateway with POOL warm instances and worker threads; `native`
    replaces `add`'s resolver with a Python function (same schema otherwise)."""
    import typegraph
    from wire import Host
    from wire.graphql import Gateway

    doc = typegraph.load(GATEWAY)
    doc["runtimes"]["guest"]["instances"] = {"policy": "pooled", "size": POOL}
    gw = Gateway(Host(doc, GATEWAY.parent, max_workers=POOL))
    if native:
        field = gw.schema.query_type.fields["add"]
        field.resolve = lambda _source, _info, /, a, b: a + b
    else:
        gw.host.start()
    return gw


# -- the server process ------------------------------------------------------------------


def run_server() -> None:
    import uvicorn

    from wire.http import ServerConfig, create_app
    from wire.http.serve import _Server, bind
    from wire.http.typegraphs import Slot, Typegraphs, Version

    config = ServerConfig(port=0, graphiql=False)
    typegraphs = Typegraphs(config)
    for name, gw in (("guest", make_gateway(native=False)), ("native", make_gateway(native=True))):
        slot = Slot(GATEWAY, name)
        slot.current = Version(gw)
        typegraphs.slots[name] = slot
    sock = bind("127.0.0.1", 0)
    banner = [f"PORT {sock.getsockname()[1]}"]
    uv = uvicorn.Config(
        create_app(typegraphs, config), lifespan="on", access_log=False, log_level="warning"
    )
    _Server(uv, banner).run(sockets=[sock])


# -- the client --------------------------------------------------------------------------


async def _connection(port: int, path: str, stop_at: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (
        f"POST /{path} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n"
        f"content-length: {len(QUERY)}\r\n\r\n"
    ).encode() + QUERY
    n = 0
    try:
        while time.perf_counter() < stop_at:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = await reader.readexactly(length)
            if body != EXPECTED:
                raise RuntimeError(f"/{path} answered {body!r}")
            n += 1
    finally:
        writer.close()
    counts.append(n)


async def requests_per_second(port: int, path: str, seconds: float) -> float:
    counts: list[int] = []
    start = time.perf_counter()
    stop_at = start + seconds
    await asyncio.gather(*(_connection(port, path, stop_at, counts) for _ in range(CONNECTIONS)))
    return sum(counts) / (time.perf_counter() - start)


async def in_process_us(gw: Any, calls: int) -> float:
    query = "{ add(a: 1, b: 2) }"
    await gw.execute(query)
    start = time.perf_counter()
    for _ in range(calls):
        await gw.execute(query)
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the bench server did not start: {line!r}")
        port = int(line.split()[1])

        async def http_rounds() -> tuple[float, float]:
            await requests_per_second(port, "guest", 0.5)  # warm up both
            await requests_per_second(port, "native", 0.5)
            guest: list[float] = []
            native: list[float] = []
            for _ in range(ROUNDS):
                native.append(await requests_per_second(port, "native", ROUND_S))
                guest.append(await requests_per_second(port, "guest", ROUND_S))
            return statistics.median(guest), statistics.median(native)

        guest_rps, native_rps = asyncio.run(http_rounds())
    finally:
        proc.terminate()
        proc.wait(30)

    guest_gw, native_gw = make_gateway(native=False), make_gateway(native=True)
    try:
        guest_us = asyncio.run(in_process_us(guest_gw, 2000))
        native_us = asyncio.run(in_process_us(native_gw, 5000))
    finally:
        guest_gw.close()
        native_gw.close()

    ratio = guest_rps / native_rps
    print(
        f"\n## GraphQL over HTTP: {{ add(a: 1, b: 2) }}, one uvicorn process, "
        f"{CONNECTIONS} keep-alive connections, median of {ROUNDS} x {ROUND_S:.0f} s"
    )
    print(f"{'measure':34} {'req/s':>9} {'floor':>30} {'req/s':>9} {'ratio':>7}  target")
    print(
        f"{f'Python guest (pool of {POOL})':34} {guest_rps:9.0f} "
        f"{'same schema, native resolver':>30} {native_rps:9.0f} {ratio:7.2f}  "
        f">= 0.80 {'ok' if ratio >= 0.8 else 'MISSED'}"
    )
    print("\n## In-process execution per query (Gateway.execute, cached parse/validate)")
    print(f"{'measure':34} {'µs/query':>9}")
    print(f"{'Python guest':34} {guest_us:9.1f}")
    print(f"{'native resolver':34} {native_us:9.1f}")


if __name__ == "__main__":
    if "--serve" in sys.argv:
        run_server()
    else:
        main()
