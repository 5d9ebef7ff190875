"""Peak memory of producing the funding page, small portfolio against large.

Measured in-process with ``tracemalloc`` around one request through ``TestClient`` against an app built
by ``create_app`` (logged in by the dashboards' form, warmed by two requests first): the peak of Python
allocations made while the request ran, whichever thread made them. Allocations that Python does not see
(SQLite's page cache, libpq's result buffers) are not counted; the server's RSS would count them, but
also the allocator's high-water mark and every earlier request, which tells less about one page."""

from __future__ import annotations

import gc
import tracemalloc
from typing import Any

from benchmarks.capture import in_process
from benchmarks.common import Result, median
from benchmarks.databases import DatabaseHandle
from benchmarks.latency import FUNDING_PATH
from benchmarks.server import dashboard_cookie

RUNS = 3


def peak_bytes(handle: DatabaseHandle, runs: int = RUNS) -> dict[str, Any]:
    with in_process(handle) as (client, _engine):
        headers = dashboard_cookie(client)
        for _ in range(2):
            client.get(FUNDING_PATH, headers=headers).raise_for_status()
        peaks: list[int] = []
        size = 0
        for _ in range(runs):
            gc.collect()
            tracemalloc.start()
            try:
                tracemalloc.reset_peak()
                start, _ = tracemalloc.get_traced_memory()
                response = client.get(FUNDING_PATH, headers=headers)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            response.raise_for_status()
            size = len(response.content)
            peaks.append(peak - start)
    return {"peak_bytes": median([float(p) for p in peaks]), "runs": peaks, "response_bytes": size}


def _k(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n / 1000:g}k"


def memory_case(small: DatabaseHandle, large: DatabaseHandle) -> Result:
    low, high = peak_bytes(small), peak_bytes(large)
    return Result(
        f"funding page peak memory, {_k(large.pledges)} vs {_k(small.pledges)} pledges",
        large.dialect,
        "B",
        high["peak_bytes"],
        low["peak_bytes"],
        "<=",
        1.25,
        note="tracemalloc, in-process",
        details={"large": {**high, "pledges": large.pledges}, "small": {**low, "pledges": small.pledges}},
    )
