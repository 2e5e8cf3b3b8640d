"""Run every benchmark: `make bench` or `.venv/bin/python bench/run.py`.

`WIRE_BENCH_QUICK=1` runs issue 11's parts (bench/issue11.py, also `make bench-peers`) and
bench_fastpath with small sizes and one round: a smoke run of the code paths, not figures
to compare.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("WIRE_CACHE_DIR", str(HERE.parent / ".wire-cache"))

import bench_bounds  # noqa: E402
import bench_call  # noqa: E402
import bench_fastpath  # noqa: E402
import bench_graphql  # noqa: E402
import bench_inline  # noqa: E402
import bench_messaging  # noqa: E402
import bench_telemetry  # noqa: E402
import bench_ts  # noqa: E402
import bench_typed_calls  # noqa: E402
import issue11  # noqa: E402

if __name__ == "__main__":
    bench_call.main()
    bench_bounds.main()
    bench_fastpath.main()
    bench_ts.main()
    bench_inline.main()
    bench_graphql.main()
    bench_typed_calls.main()
    bench_messaging.main()
    bench_telemetry.main()
    issue11.main()
