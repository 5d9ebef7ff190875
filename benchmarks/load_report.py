"""The load's report: requests, latencies and statuses per operation, the fault, the checks."""

from __future__ import annotations

import math
import sys
from collections import Counter
from typing import Any

from benchmarks.load_invariants import Verdict
from benchmarks.load_scenarios import Call

# -- reporting --------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summarise(calls: list[Call], elapsed: float) -> dict[str, Any]:
    per_op: dict[str, dict[str, Any]] = {}
    for op in sorted({c.op for c in calls}):
        mine = [c for c in calls if c.op == op]
        latencies = [c.latency for c in mine if c.status is not None]
        per_op[op] = {
            "requests": len(mine),
            "req_per_s": len(mine) / elapsed,
            "p50_ms": percentile(latencies, 0.50) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000,
            "max_ms": (max(latencies) if latencies else math.nan) * 1000,
            "statuses": dict(sorted(Counter(str(c.status or c.error.split(":")[0]) for c in mine).items())),
        }
    latencies = [c.latency for c in calls if c.status is not None]
    return {
        "requests": len(calls),
        "seconds": elapsed,
        "req_per_s": len(calls) / elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "statuses": dict(sorted(Counter(str(c.status or c.error.split(":")[0]) for c in calls).items())),
        "operations": per_op,
    }


def print_report(summary: dict[str, Any], verdict: Verdict, fault: dict[str, Any] | None, title: str) -> None:
    out = sys.stdout
    out.write(f"\n== {title}\n")
    out.write(
        f"{summary['requests']} requests in {summary['seconds']:.1f} s: {summary['req_per_s']:.1f} req/s; "
        f"p50 {summary['p50_ms']:.1f} ms, p99 {summary['p99_ms']:.1f} ms\n"
    )
    out.write(f"statuses: {summary['statuses']}\n")
    cpu = summary.get("cpu")
    if cpu:
        seconds = summary["seconds"]
        out.write(
            f"CPU: server {cpu['server_cpu_s']:.1f} s ({cpu['server_cpu_s'] / seconds:.0%} of one core), "
            f"load script {cpu['load_script_cpu_s']:.1f} s ({cpu['load_script_cpu_s'] / seconds:.0%}), "
            f"{cpu['machine_cpus']} CPUs\n"
        )
    out.write("\n")
    out.write(
        f"{'operation':<28}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}  statuses\n"
    )
    for op, s in summary["operations"].items():
        out.write(
            f"{op:<28}{s['requests']:>9}{s['req_per_s']:>8.1f}{s['p50_ms']:>9.1f}{s['p99_ms']:>9.1f}"
            f"{s['max_ms']:>9.1f}  {s['statuses']}\n"
        )
    if fault:
        out.write("\nfault:\n")
        for key, value in fault.items():
            shown = f"{value:.3f}" if isinstance(value, float) else value
            out.write(f"  {key}: {shown}\n")
    out.write("\nchecks:\n")
    for key, value in verdict.numbers.items():
        out.write(f"  {key}: {value}\n")
    for note in verdict.notes:
        out.write(f"  note: {note}\n")
    if verdict.failures:
        out.write("\nFAIL\n")
        for reason in verdict.failures:
            out.write(f"  - {reason}\n")
    else:
        out.write("\nPASS\n")
    out.flush()
