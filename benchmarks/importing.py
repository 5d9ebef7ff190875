"""The spreadsheet import against a raw ``executemany`` of the same rows.

The files: a synthetic portfolio (the app's generator, on SQLite) exported by the app's own exporter in
the import templates' columns — projects, pledges, and the exchange rates the pledges need.

The app: into a fresh migrated database, the rates are imported first (untimed); then ``run_import`` of
the projects file and of the pledges file, each in its own transaction as two ``portfolio import``
commands would do, CSV parsing included (timed).

The floor: what that import wrote — the rows of ``project``, its area, activity and beneficiary links,
its status changes and ``pledge``, read back from the imported database — inserted into another fresh
database (rates copied untimed) with the bare driver's ``executemany``, one transaction. The audit rows
the import also writes are not part of the floor; the time with them is in the details."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import Config, Result, console, median, spread
from benchmarks.databases import Backend, DatabaseHandle, SQLiteBackend, fill, migrate, settings_for

TABLES = [
    "project",
    "project_area",
    "project_activity",
    "project_beneficiary",
    "project_status_change",
    "pledge",
]
AUDIT = "audit_entry"
BARE_RUNS = 3
PILOT_FROM_PLEDGES = 20_000  # above this, a tenth is imported first to see whether the whole fits the budget


@dataclass(frozen=True)
class ImportFiles:
    projects: int
    pledges: int
    projects_csv: bytes
    pledges_csv: bytes
    rates_csv: bytes


class FileMaker:
    """CSV files of a synthetic portfolio of a given size, made once each (on SQLite) and kept."""

    def __init__(self, work_dir: Path, seed: int) -> None:
        self.work_dir = work_dir
        self.seed = seed
        self.made: dict[tuple[int, int], ImportFiles] = {}

    def get(self, projects: int, pledges: int) -> ImportFiles:
        if (projects, pledges) not in self.made:
            self.made[(projects, pledges)] = self._make(projects, pledges)
        return self.made[(projects, pledges)]

    def _make(self, projects: int, pledges: int) -> ImportFiles:
        from portfolio.db import Database
        from portfolio.security import SYSTEM
        from portfolio.transfer import exporter
        from portfolio.transfer.exporter import ExportFilters, Format
        from portfolio.transfer.kinds import Kind

        console.print(f"  making CSV files of {projects:,} projects / {pledges:,} pledges …", end="")
        started = time.perf_counter()
        backend = SQLiteBackend()
        try:
            source = backend.create("source")
            fill(source, projects, pledges, self.seed)
            db = Database(source.url, settings_for(source.url))
            bodies: dict[Kind, bytes] = {}
            try:
                with db.session() as session:
                    for kind in (Kind.projects, Kind.pledges, Kind.exchange_rates):
                        rows = exporter.rows(session, SYSTEM, kind, ExportFilters())
                        bodies[kind] = exporter.render(kind, Format.csv, rows)
                        (self.work_dir / f"import-{projects}-{pledges}-{kind.value}.csv").write_bytes(
                            bodies[kind]
                        )
            finally:
                db.dispose()
        finally:
            backend.close()
        console.print(f" {time.perf_counter() - started:.1f} s")
        return ImportFiles(
            projects, pledges, bodies[Kind.projects], bodies[Kind.pledges], bodies[Kind.exchange_rates]
        )


class ImportProblems(RuntimeError):
    pass


def _import(url: str, kind_name: str, data: bytes) -> dict[str, Any]:
    from portfolio.db import Database
    from portfolio.security import SYSTEM
    from portfolio.transfer.importer import ImportFailed, run_import
    from portfolio.transfer.kinds import Kind
    from portfolio.transfer.sheets import read_table

    kind = Kind(kind_name)
    db = Database(url, settings_for(url))
    try:
        started = time.perf_counter()
        table = read_table(data, kind, f"{kind.value}.csv")
        parsed = time.perf_counter()
        with db.session(write=True) as session:
            report = run_import(session, SYSTEM, kind, table, dry_run=False)
        seconds = time.perf_counter() - started
    except ImportFailed as exc:
        first = "; ".join(f"row {p.row} {p.column}: {p.message}" for p in exc.report.problems[:3])
        raise ImportProblems(f"{kind.value}: {len(exc.report.problems)} problems, e.g. {first}") from exc
    finally:
        db.dispose()
    return {
        "seconds": seconds,
        "parse_seconds": parsed - started,
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
    }


def _placeholder(dialect: str) -> str:
    return "?" if dialect == "sqlite" else "%s"


def _bare_reader(handle: DatabaseHandle) -> Any:
    conn = handle.bare()
    if handle.dialect == "postgresql":
        from psycopg.types.string import TextLoader

        # JSON columns come back as their text, and go back in as it (the server casts the literal).
        conn.adapters.register_loader("json", TextLoader)
        conn.adapters.register_loader("jsonb", TextLoader)
    return conn


def read_rows(
    handle: DatabaseHandle, tables: list[str], where: dict[str, str] | None = None
) -> dict[str, Any]:
    """Every row of ``tables`` as the database stores it: {table: (columns, rows)}."""
    out: dict[str, Any] = {}
    with closing(_bare_reader(handle)) as conn:
        for table in tables:
            condition = f" WHERE {where[table]}" if where and table in where else ""
            cursor = conn.execute(f'SELECT * FROM "{table}"{condition} ORDER BY 1')  # noqa: S608 - our own names
            columns = [d[0] for d in cursor.description]
            out[table] = (columns, cursor.fetchall())
    return out


def insert_rows(conn: Any, dialect: str, data: dict[str, Any]) -> float:
    """One transaction of ``executemany`` per table, timed from BEGIN to COMMIT."""
    mark = _placeholder(dialect)
    statements = []
    for table, (columns, rows) in data.items():
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join(mark for _ in columns)
        statements.append((f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows))  # noqa: S608
    started = time.perf_counter()
    if dialect == "sqlite":
        conn.execute("BEGIN IMMEDIATE")
        for sql, rows in statements:
            conn.executemany(sql, rows)
        conn.execute("COMMIT")
    else:
        with conn.transaction(), conn.cursor() as cursor:
            for sql, rows in statements:
                cursor.executemany(sql, rows)
    return time.perf_counter() - started


def delete_rows(conn: Any, dialect: str, tables: list[str]) -> None:
    if dialect == "sqlite":
        conn.execute("BEGIN IMMEDIATE")
        for table in reversed(tables):
            conn.execute(f'DELETE FROM "{table}"')  # noqa: S608 - our own names
        conn.execute("COMMIT")
    else:
        with conn.transaction():
            for table in reversed(tables):
                conn.execute(f'DELETE FROM "{table}"')  # noqa: S608 - our own names


def measure(backend: Backend, files: ImportFiles, runs: int) -> dict[str, Any]:
    """Import ``files`` through the app, then insert what it wrote with the bare driver."""
    imported = backend.create(f"import_app_{files.pledges}")
    floor = backend.create(f"import_bare_{files.pledges}")
    try:
        migrate(imported)
        rates = _import(imported.url, "exchange-rates", files.rates_csv)
        console.print(f"  [{backend.name}] importing {files.projects:,} projects …", end="")
        projects = _import(imported.url, "projects", files.projects_csv)
        console.print(f" {projects['seconds']:.1f} s; {files.pledges:,} pledges …", end="")
        pledges = _import(imported.url, "pledges", files.pledges_csv)
        console.print(f" {pledges['seconds']:.1f} s")
        written = read_rows(imported, [*TABLES, AUDIT], where={AUDIT: "entity <> 'exchange_rate'"})
        audit = written.pop(AUDIT)
        rate_rows = read_rows(imported, ["exchange_rate"])
        migrate(floor)
        with closing(floor.bare()) as conn:
            insert_rows(conn, floor.dialect, rate_rows)
            samples = []
            for _ in range(runs):
                samples.append(insert_rows(conn, floor.dialect, written))
                delete_rows(conn, floor.dialect, TABLES)
            with_audit = insert_rows(conn, floor.dialect, {**written, AUDIT: audit})
    finally:
        imported.drop()
        floor.drop()
    app_seconds = projects["seconds"] + pledges["seconds"]
    return {
        "projects": files.projects,
        "pledges": files.pledges,
        "app_seconds": app_seconds,
        "app_projects": projects,
        "app_pledges": pledges,
        "rates_import_untimed": rates,
        "bare_executemany": spread(samples),
        "bare_seconds": median(samples),
        "bare_with_audit_rows_seconds": with_audit,
        "rows_written": {table: len(rows) for table, (_, rows) in written.items()},
        "audit_rows_written": len(audit[1]),
    }


def import_case(cfg: Config, backend: Backend, files_for: Callable[[int, int], ImportFiles]) -> Result:
    projects, pledges = cfg.import_projects, cfg.import_pledges
    runs = 1 if cfg.quick else BARE_RUNS
    pilot: dict[str, Any] | None = None
    scaled = False
    if pledges > PILOT_FROM_PLEDGES:
        pilot = measure(backend, files_for(max(projects // 10, 1), pledges // 10), runs)
        estimate = pilot["app_seconds"] * 10
        pilot["estimated_full_s"] = estimate
        if estimate > cfg.import_budget_s:
            console.print(
                f"  [{backend.name}] the full import would take about {estimate:.0f} s "
                f"(> {cfg.import_budget_s:.0f} s): reporting the tenth"
            )
            scaled = True
    found = pilot if scaled and pilot is not None else measure(backend, files_for(projects, pledges), runs)
    size = f"{found['projects']:,} projects + {found['pledges']:,} pledges"
    note = size + (f" (SCALED DOWN from {projects:,} + {pledges:,})" if scaled else "")
    return Result(
        "import projects + pledges (CSV)",
        backend.name,
        "s",
        found["app_seconds"],
        found["bare_seconds"],
        "<=",
        3.0,
        note=note,
        details={**found, "scaled": scaled, "pilot": pilot if not scaled else None},
    )
