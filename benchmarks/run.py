"""``python -m benchmarks``: each case on SQLite and on PostgreSQL, against the physical limit beneath it.

| case | compared with | target |
|---|---|---|
| ``GET /api/v1/projects?sort=-gap_eur&limit=50`` | the one SQL query computing the page, bare | ≤ 2× |
| ``/dashboards/funding`` | every query the page sends, bare driver | ≤ 3× |
| ``GET /api/v1/projects/{id}``, 16 clients, 1 worker | bare FastAPI route, same body and uvicorn | ≥ 0.6× |
| import of projects + pledges from CSV | a raw ``executemany`` of the rows it writes | ≤ 3× |
| peak memory of the funding page, large portfolio | the same page at 1k pledges | ≤ 1.25× |
| funding page at 1k, 10k, 100k, 1M pledges | the point before (×10 pledges) | ≤ linear |

The app is served for real (``uvicorn`` subprocess on 127.0.0.1, one worker); the bare SQL is the app's
own, captured as SQLAlchemy hands it to the driver. SQLite databases are files in a temporary folder;
PostgreSQL databases ``bench_<random>_*`` are made in the server of ``--pg-url`` and dropped at the end.
Everything made is removed at the end, also on Ctrl-C or an error. ``--quick`` checks that it all works
in about a minute; ``--json FILE`` keeps every median, sample spread and detail.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.common import Config, Result, console, load_average
from benchmarks.databases import Backend, Datasets, PostgresBackend, SQLiteBackend
from benchmarks.importing import FileMaker, import_case
from benchmarks.latency import (
    curve_case,
    funding_case,
    list_case,
    period_case,
    register_case,
    statement_case,
)
from benchmarks.memory import memory_case
from benchmarks.server import APP, ROOT, Server, server_env
from benchmarks.throughput import throughput_case

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CASES = ("list", "register", "funding", "period", "statement", "throughput", "memory", "curve", "import")
SMALL = (100, 1_000)  # the memory case's small portfolio: 1k pledges
FUZZ_TIMEOUT_S = 3600


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark the app against the physical limits beneath it, on SQLite and PostgreSQL.",
    )
    parser.add_argument("--projects", type=int, help="projects in the main portfolio (default 10000)")
    parser.add_argument("--pledges", type=int, help="pledges in the main portfolio (default 100000)")
    parser.add_argument("--repeat", type=int, help="timed runs per latency case (default 20)")
    parser.add_argument("--warmup", type=int, help="untimed runs first (default 2)")
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats: does it all work?")
    parser.add_argument(
        "--pg-url", default=DEFAULT_PG_URL, help=f"PostgreSQL server (default {DEFAULT_PG_URL})"
    )
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--curve-max", type=int, help="largest funding-curve point in pledges (default 1000000)"
    )
    parser.add_argument("--throughput-seconds", type=float, help="measured seconds per server (default 10)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument(
        "--import-projects", type=int, help="projects in the import file (default --projects)"
    )
    parser.add_argument("--import-pledges", type=int, help="pledges in the import file (default --pledges)")
    parser.add_argument(
        "--import-budget",
        type=float,
        default=600.0,
        help="seconds a full import may take; beyond, a tenth is measured and reported as scaled "
        "(default 600)",
    )
    parser.add_argument(
        "--latency-budget", type=float, help="seconds of timed runs per latency case (default 120)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic portfolios (default 1)")
    parser.add_argument("--only", help=f"comma-separated cases to run, of: {', '.join(CASES)}")
    parser.add_argument("--json", type=Path, help="write every result to this JSON file")
    parser.add_argument(
        "--fuzz-examples",
        type=int,
        help="also run tests/platform/test_fuzz.py with PORTFOLIO_FUZZ_EXAMPLES=N",
    )
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> Config:
    quick = bool(args.quick)

    def pick(value: Any, full: Any, fast: Any) -> Any:
        return value if value is not None else (fast if quick else full)

    projects = pick(args.projects, 10_000, 500)
    pledges = pick(args.pledges, 100_000, 5_000)
    cases = frozenset(c.strip() for c in args.only.split(",")) if args.only else frozenset(CASES)
    unknown = cases - set(CASES)
    if unknown:
        raise SystemExit(f"--only: unknown case(s) {', '.join(sorted(unknown))}; known: {', '.join(CASES)}")
    return Config(
        projects=projects,
        pledges=pledges,
        repeat=pick(args.repeat, 20, 5),
        warmup=pick(args.warmup, 2, 1),
        quick=quick,
        pg_url=None if args.no_pg else args.pg_url,
        curve_max=pick(args.curve_max, 1_000_000, 10_000),
        throughput_seconds=pick(args.throughput_seconds, 10.0, 2.0),
        concurrency=args.concurrency,
        import_projects=pick(args.import_projects, projects, 100),
        import_pledges=pick(args.import_pledges, pledges, 1_000),
        import_budget_s=args.import_budget,
        latency_budget_s=pick(args.latency_budget, 120.0, 15.0),
        seed=args.seed,
        cases=cases,
        fuzz_examples=args.fuzz_examples,
    )


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def attempt(results: list[Result], case: str, database: str, fn: Callable[[], Result | list[Result]]) -> None:
    """Run one case; an error becomes a row that says so, and the other cases still run."""
    load = load_average()
    console.print(f"[bold]{case}[/bold] on {database} (load average {load[0]:.2f})")
    started = time.perf_counter()
    try:
        found = fn()
    except Exception as exc:
        console.print(f"  [red]failed: {type(exc).__name__}: {exc}[/red]")
        console.print(traceback.format_exc(), markup=False)
        results.append(
            Result(case, database, "", None, None, None, None, error=f"{type(exc).__name__}: {exc}")
        )
        return
    for result in found if isinstance(found, list) else [found]:
        result.details.setdefault("case_seconds", time.perf_counter() - started)
        result.details.setdefault("load_average_at_start", load)
        results.append(result)


def run_backend(
    cfg: Config, backend: Backend, files: FileMaker, work_dir: Path, results: list[Result]
) -> None:
    datasets = Datasets(backend, cfg.seed)
    db = backend.name
    load = load_average()
    console.print(
        f"\n[bold cyan]── {backend.version()} ── load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    try:
        if cfg.cases & {"list", "register", "funding", "period", "statement", "throughput"}:
            main = datasets.get(cfg.projects, cfg.pledges)
            with Server(APP, server_env(main.url), work_dir / f"server-{db}-main.log") as server:
                if "list" in cfg.cases:
                    attempt(results, "list projects by gap", db, lambda: list_case(cfg, main, server))
                if "register" in cfg.cases:
                    attempt(results, "project register", db, lambda: register_case(cfg, main, server))
                if "funding" in cfg.cases:
                    attempt(results, "funding page", db, lambda: funding_case(cfg, main, server))
                if "period" in cfg.cases:
                    attempt(results, "period report", db, lambda: period_case(cfg, main, server))
                if "statement" in cfg.cases:
                    attempt(results, "donor statement", db, lambda: statement_case(cfg, main, server))
                if "throughput" in cfg.cases:
                    attempt(
                        results,
                        "project detail throughput",
                        db,
                        lambda: throughput_case(cfg, main, server, work_dir),
                    )
        if "memory" in cfg.cases:
            attempt(
                results,
                "funding page peak memory",
                db,
                lambda: memory_case(datasets.get(*SMALL), datasets.get(cfg.projects, cfg.pledges)),
            )
        if "curve" in cfg.cases:
            attempt(
                results, "funding page curve", db, lambda: curve_case(cfg, datasets, work_dir, keep=set())
            )
        for handle in list(datasets.made.values()):
            datasets.release(handle)
        if "import" in cfg.cases:
            attempt(results, "import from CSV", db, lambda: import_case(cfg, backend, files.get))
    finally:
        for handle in list(datasets.made.values()):
            handle.drop()


def fuzz(examples: int, pg_url: str | None) -> Result:
    case = f"tests/platform/test_fuzz.py, PORTFOLIO_FUZZ_EXAMPLES={examples}"
    target = ROOT / "tests" / "platform" / "test_fuzz.py"
    if not target.exists():
        return Result(
            case, "-", "s", None, None, None, None, note="tests/platform/test_fuzz.py not found: skipped"
        )
    env = {**os.environ, "PORTFOLIO_FUZZ_EXAMPLES": str(examples)}
    if pg_url is not None:
        # The suite's PostgreSQL half makes (and drops) its own database in that server.
        env.setdefault("PORTFOLIO_TEST_DATABASE_URL", pg_url)
    databases = "sqlite" + (", postgresql" if env.get("PORTFOLIO_TEST_DATABASE_URL") else "")
    started = time.perf_counter()
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "pytest", str(target), "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=FUZZ_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Result(
            case, databases, "s", None, None, None, None, error=f"timed out after {FUZZ_TIMEOUT_S} s"
        )
    seconds = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    summary = lines[-1] if lines else done.stderr.strip()[-200:]
    return Result(
        case,
        databases,
        "s",
        seconds,
        None,
        None,
        None,
        note=summary,
        verdict=done.returncode == 0,
        details={"returncode": done.returncode, "output_tail": "\n".join(lines[-40:])},
    )


# -- output ----------------------------------------------------------------------------------------


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "s":
        return f"{value * 1000:,.1f} ms" if value < 10 else f"{value:,.1f} s"
    if unit == "req/s":
        return f"{value:,.0f} req/s"
    if unit == "B":
        return f"{value / 2**20:,.2f} MiB"
    return f"{value:g} {unit}"


def table(results: list[Result], title: str) -> Table:
    out = Table(title=title, show_lines=False)
    for name, justify in [
        ("case", "left"), ("database", "left"), ("measured (median)", "right"),
        ("baseline (median)", "right"), ("ratio", "right"), ("target", "right"), ("meets", "center"),
        ("note", "left"),
    ]:  # fmt: skip
        out.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in results:
        meets = {True: "[green]yes[/green]", False: "[red]no[/red]", None: "—"}[r.meets]
        ratio = f"{r.ratio:,.2f}×" if r.ratio is not None else "—"
        target = f"{r.target_op} {r.target:g}×" if r.target is not None else "—"
        note = f"[red]{r.error}[/red]" if r.error else r.note
        out.add_row(
            r.case, r.database, fmt(r.measured, r.unit), fmt(r.baseline, r.unit), ratio, target, meets, note
        )
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = config_from(args)
    signal.signal(signal.SIGTERM, _interrupt)
    # Also when started in the background, where SIGINT arrives ignored: Ctrl-C must still clean up.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    load_start = load_average()
    work_dir = Path(tempfile.mkdtemp(prefix="portfolio-bench-run-"))
    results: list[Result] = []
    versions: dict[str, str] = {}
    interrupted = False
    console.print(
        f"[bold]portfolio benchmarks[/bold]: {cfg.projects:,} projects / {cfg.pledges:,} pledges, repeat "
        f"{cfg.repeat}, {'quick' if cfg.quick else 'full'}; {os.cpu_count()} CPUs, load average "
        f"{load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}"
    )
    try:
        files = FileMaker(work_dir, cfg.seed)
        factories: list[Callable[[], Backend]] = []
        if not args.no_sqlite:
            factories.append(SQLiteBackend)
        if cfg.pg_url is not None:
            pg_url = cfg.pg_url
            factories.append(lambda: PostgresBackend(pg_url))
        for factory in factories:
            try:
                backend = factory()
            except Exception as exc:  # e.g. no PostgreSQL server: say so, and go on with the others
                console.print(f"[red]cannot open the database server: {exc}[/red]")
                results.append(
                    Result("database server", "postgresql", "", None, None, None, None, error=str(exc))
                )
                continue
            try:
                versions[backend.name] = backend.version()
                run_backend(cfg, backend, files, work_dir, results)
            finally:
                backend.close()
        if cfg.fuzz_examples is not None:
            console.print(
                f"[bold]fuzz[/bold]: tests/platform/test_fuzz.py with {cfg.fuzz_examples} examples …"
            )
            results.append(fuzz(cfg.fuzz_examples, cfg.pg_url))
    except KeyboardInterrupt:
        interrupted = True
        console.print("[red]interrupted: cleaning up[/red]")
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    seconds = time.perf_counter() - started
    load_end = load_average()
    # A table wider than 80 columns when piped to a file or a log, as wide as the terminal otherwise.
    out = Console() if sys.stdout.isatty() else Console(width=200)
    out.print(
        table(
            results,
            f"portfolio benchmarks — {'INTERRUPTED ' if interrupted else ''}"
            f"{'quick' if cfg.quick else 'full'} run, {seconds:,.0f} s; load average "
            f"{load_start[0]:.2f} at start, {load_end[0]:.2f} at end ({os.cpu_count()} CPUs)",
        )
    )
    if args.json is not None:
        document = {
            "started_at": started_at.isoformat(),
            "seconds": seconds,
            "interrupted": interrupted,
            "load_average": {"start": load_start, "end": load_end},
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
                **versions,
            },
            "config": {k: sorted(v) if isinstance(v, frozenset) else v for k, v in vars(cfg).items()},
            "results": [r.as_json() for r in results],
        }
        args.json.write_text(json.dumps(document, indent=2, default=str), encoding="utf-8")
        console.print(f"wrote {args.json}")
    return 130 if interrupted else 0
