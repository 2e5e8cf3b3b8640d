"""HTTP load for the GraphQL benchmarks: wrk when it is installed (Debian's `wrk`), else a
small asyncio client in its own process (`python bench/loadgen.py URL SECONDS CONNECTIONS`).

Both POST the same JSON body over keep-alive connections for a fixed time and report the
requests answered, the failed ones and the load generator's own CPU time.
"""

from __future__ import annotations

import asyncio
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import orjson

BODY = b'{"query": "{ add(a: 1, b: 2) }"}'
EXPECTED = b'{"data":{"add":3}}'
WRK_SCRIPT = f"""wrk.method = "POST"
wrk.body = '{BODY.decode()}'
wrk.headers["Content-Type"] = "application/json"
"""


@dataclass
class Load:
    requests: int  # answered with 200 (wrk: any 2xx; the body is checked before the run)
    failed: int  # non-2xx answers, socket errors, wrong bodies
    seconds: float
    cpu_s: float  # the load generator's

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def tool() -> str:
    """Which load generator `run` uses."""
    return "wrk" if shutil.which("wrk") else "python"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(url: str, seconds: float, connections: int, generator: str | None = None) -> Load:
    """Drive `url` for `seconds` over `connections` keep-alive connections."""
    generator = generator or tool()
    cpu0 = children_cpu()
    if generator == "wrk":
        with tempfile.TemporaryDirectory() as tmp:
            script = Path(tmp) / "post.lua"
            script.write_text(WRK_SCRIPT)
            threads = min(2, connections)
            cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "-s", str(script)]
            out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
        return parse_wrk(out, children_cpu() - cpu0)
    cmd = [sys.executable, __file__, url, str(seconds), str(connections)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    report = orjson.loads(out.splitlines()[-1])
    return Load(report["requests"], report["failed"], report["seconds"], children_cpu() - cpu0)


def parse_wrk(out: str, cpu_s: float) -> Load:
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", out)
    if done is None:
        raise RuntimeError(f"wrk printed no request count:\n{out}")
    unit = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[done.group(3)]
    failed = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        failed += int(m.group(1))
    answered = int(done.group(1)) - failed
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        failed += sum(int(g) for g in m.groups())
    return Load(answered, failed, float(done.group(2)) * unit, cpu_s)


# -- the fallback client (its own process) ------------------------------------------------


async def _connection(host: str, port: int, path: str, stop_at: float) -> tuple[int, int]:
    reader, writer = await asyncio.open_connection(host, port)
    request = (
        f"POST {path} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY
    ok = failed = 0
    try:
        while time.perf_counter() < stop_at:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = await reader.readexactly(length)
            if head.startswith(b"HTTP/1.1 200") and body == EXPECTED:
                ok += 1
            else:
                failed += 1
    finally:
        writer.close()
    return ok, failed


async def _drive(url: str, seconds: float, connections: int) -> dict[str, float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    start = time.perf_counter()
    stop_at = start + seconds
    counts = await asyncio.gather(
        *(_connection(host, port, parts.path, stop_at) for _ in range(connections))
    )
    return {
        "requests": sum(ok for ok, _ in counts),
        "failed": sum(f for _, f in counts),
        "seconds": time.perf_counter() - start,
    }


if __name__ == "__main__":
    result = asyncio.run(_drive(sys.argv[1], float(sys.argv[2]), int(sys.argv[3])))
    print(orjson.dumps(result).decode(), flush=True)
