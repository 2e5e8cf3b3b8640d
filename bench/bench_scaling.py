"""Issue 11, process scaling: `wire serve --processes N` and `wire consume --processes N`.

Each row compares 1 process with 2 in the same run (both started, measured in alternate
rounds, medians) and sets the gain against what the machine gives at all: the control
workload of bench/bench_fastpath.py (sha256 of 1 MB, which holds no GIL) on 2 threads vs 1.
Target: wire's gain reaches >= 85 % of the control's (share = (gain - 1) / (control - 1)).

- GraphQL: `{ add }` on the pooled math typegraph (bench/bench_peers_graphql.py's load);
- messaging: core NATS orders (bench/bench_peers_messaging.py's flood).

The flag is detected from `wire serve --help` / `wire consume --help`; without it the row
says "not available yet" and only the control is measured. The load generator runs on the
same 2 cores: its share of the CPU is printed, as it bounds the gain that can be seen.

    .venv/bin/python bench/bench_scaling.py      # or: make bench (WIRE_BENCH_QUICK=1)
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
from dataclasses import dataclass

import bench_peers_graphql as graphql
import bench_peers_messaging as messaging
from harness import Spec, print_grid, quick
from procs import wire_cli
from targets import Target, summary

TARGET_SHARE = 0.85


def has_processes_flag(command: str) -> bool:
    """Whether `wire <command>` takes `--processes`."""
    out = subprocess.run([*wire_cli(), command, "--help"], capture_output=True, text=True)
    return "--processes" in out.stdout


def control_gain(seconds: float) -> tuple[float, float]:
    """Calls/s of the GIL-free control on 1 and 2 threads (best of 3 interleaved, as
    bench_fastpath measures the machine's headroom)."""
    from bench_fastpath import gil_free, throughput

    one = two = 0.0
    for _ in range(3):
        one = max(one, throughput(gil_free, 1, seconds))
        two = max(two, throughput(gil_free, 2, seconds))
    return one, two


@dataclass
class Scaling:
    name: str
    unit: str
    one: float | None = None  # None: wire has no --processes yet
    two: float | None = None
    loadgen_share: float | None = None

    def share_of(self, control: float) -> float | None:
        """The part of the control's gain that wire reaches (1.0: all of it)."""
        if self.one is None or self.two is None:
            return None
        return (self.two / self.one - 1) / max(control - 1, 1e-9)


def graphql_scaling() -> Scaling:
    row = Scaling("wire serve, pooled math { add }", "req/s")
    if not has_processes_flag("serve"):
        return row
    sizes = graphql.Sizes.default()
    servers = [Spec("x1", "wire-pooled", 1), Spec("x2", "wire-pooled", 2)]
    results = graphql.run(sizes, servers)
    row.one, row.two = results["x1"].median("rate"), results["x2"].median("rate")
    row.loadgen_share = statistics.median(r.loadgen_share for r in results["x2"].runs)
    return row


def messaging_scaling() -> Scaling:
    row = Scaling("wire consume, core NATS orders", "msgs/s")
    if not has_processes_flag("consume"):
        return row
    sizes = messaging.Sizes.default()
    systems = [Spec("x1", "wire", 1), Spec("x2", "wire", 2)]
    results = asyncio.run(messaging.run_transport("core", sizes, systems))
    row.one, row.two = results["x1"].median("rate"), results["x2"].median("rate")
    gen, cpu = results["x2"].median("loadgen_us"), results["x2"].median("cpu_us")
    row.loadgen_share = gen / max(gen + cpu, 1e-9)
    return row


def run() -> tuple[tuple[float, float], list[Scaling]]:
    control = control_gain(0.3 if quick() else 1.0)
    return control, [graphql_scaling(), messaging_scaling()]


def report(control: tuple[float, float], rows: list[Scaling]) -> list[Target]:
    print("\n## process scaling (issue 11): 1 vs 2 processes in the same run")
    gain = control[1] / control[0]
    header = ["measure", "1", "2", "gain", "share of control", "load gen", "target"]
    table = [
        [
            "control: sha256 1 MB, 2 threads vs 1 (no GIL), calls/s",
            f"{control[0]:,.0f}",
            f"{control[1]:,.0f}",
            f"{gain:.2f}x",
            "(machine headroom)",
            "",
            "",
        ]
    ]
    targets = []
    for row in rows:
        target = Target(f"{row.name} 1->2 share", row.share_of(gain), ">=", TARGET_SHARE)
        targets.append(target)
        if row.one is None or row.two is None:
            command = row.name.split(",")[0]
            missing = f"not available yet: no `{command} --processes`"
            table.append([f"{row.name}, {row.unit}", "-", "-", "-", "-", "-", missing])
            continue
        table.append(
            [
                f"{row.name}, {row.unit}",
                f"{row.one:,.0f}",
                f"{row.two:,.0f}",
                f"{row.two / row.one:.2f}x",
                f"{target.value:.0%}",
                f"{row.loadgen_share or 0:.0%}",
                target.verdict(),
            ]
        )
    print_grid(header, table)
    return targets


def main() -> list[Target]:
    control, rows = run()
    targets = report(control, rows)
    print(summary(targets))
    return targets


if __name__ == "__main__":
    main()
