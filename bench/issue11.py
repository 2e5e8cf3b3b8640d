"""Issue 11 in one command: wire against what users would pick instead.

    make bench-peers        # or .venv/bin/python bench/issue11.py; WIRE_BENCH_QUICK=1: smoke run

Prints, in this order: fresh vs pooled call cost (bench_call.py), the messaging peers on
NATS (bench_peers_messaging.py), the GraphQL peers over HTTP (bench_peers_graphql.py), the
process scaling rows (bench_scaling.py), then one line of targets met and missed. The
machine's load is printed first: the figures are only comparable within one run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("WIRE_CACHE_DIR", str(HERE.parent / ".wire-cache"))

import bench_call  # noqa: E402
import bench_peers_graphql  # noqa: E402
import bench_peers_messaging  # noqa: E402
import bench_scaling  # noqa: E402
from targets import Target, summary  # noqa: E402


def main() -> list[Target]:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n# issue 11: {os.cpu_count()} CPUs, load average {load} at start")
    targets = bench_call.report_fresh_vs_pooled(bench_call.fresh_vs_pooled_all())
    targets += bench_peers_messaging.main()
    targets += bench_peers_graphql.main()
    targets += bench_scaling.main()
    print(f"\nissue 11, {summary(targets)}")
    return targets


if __name__ == "__main__":
    main()
