"""The reports' benchmark on its own: ``python -m benchmarks.reports [--only period,statement]
[--pg-url URL] [--quick]``.

Builds a synthetic portfolio (10,000 projects / 100,000 pledges by default) on SQLite and, with
``--pg-url``, on PostgreSQL; serves the app with uvicorn; times the period report over the last two years
and the largest donor's statement, each against its own queries replayed with the bare driver (target
≤ 3×), and each one's French PDF (target < 10 s). The same cases (``period``, ``statement``) are part of
a full ``python -m benchmarks`` run."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from rich.console import Console

from benchmarks.common import Config, Result, console
from benchmarks.databases import Backend, Datasets, PostgresBackend, SQLiteBackend
from benchmarks.latency import period_case, statement_case
from benchmarks.run import table
from benchmarks.server import APP, Server, server_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reports", description=__doc__)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--pledges", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--pg-url", help="a PostgreSQL server to make a throw-away database on")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--quick", action="store_true", help="500 projects / 5,000 pledges, 3 runs")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--only", default="period,statement", help="period, statement or both")
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    cfg = Config(
        projects=500 if quick else args.projects,
        pledges=5_000 if quick else args.pledges,
        repeat=3 if quick else args.repeat,
        warmup=1,
        quick=quick,
        pg_url=args.pg_url,
        curve_max=0,
        throughput_seconds=0.0,
        concurrency=1,
        import_projects=0,
        import_pledges=0,
        import_budget_s=0.0,
        latency_budget_s=15.0 if quick else 120.0,
        seed=20260101,
        cases=frozenset(c.strip() for c in args.only.split(",")),
        fuzz_examples=None,
    )
    backends: list[Backend] = [] if args.no_sqlite else [SQLiteBackend()]
    if args.pg_url:
        backends.append(PostgresBackend(args.pg_url))
    results: list[Result] = []
    work_dir = Path(tempfile.mkdtemp(prefix="portfolio-bench-reports-"))
    for backend in backends:
        datasets = Datasets(backend, cfg.seed)
        try:
            handle = datasets.get(cfg.projects, cfg.pledges)
            with Server(APP, server_env(handle.url), work_dir / f"server-{backend.name}.log") as server:
                if "period" in cfg.cases:
                    results.extend(period_case(cfg, handle, server))
                if "statement" in cfg.cases:
                    results.extend(statement_case(cfg, handle, server))
        finally:
            for made in list(datasets.made.values()):
                made.drop()
            backend.close()
    Console(width=200).print(table(results, f"reports, {cfg.projects:,} projects / {cfg.pledges:,} pledges"))
    if args.json is not None:
        args.json.write_text(
            json.dumps([r.as_json() for r in results], indent=2, default=str), encoding="utf-8"
        )
        console.print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
