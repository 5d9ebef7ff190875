"""Throw-away databases: SQLite files in a temporary folder, PostgreSQL databases ``bench_<random>_<label>``
made through the ``postgres`` maintenance database and dropped at the end. Each can be filled with a
synthetic portfolio and the sample accounts, and opened with the bare driver (``sqlite3``, ``psycopg``)."""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import tempfile
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

from benchmarks.common import ARGON2_MEMORY_KIB, ARGON2_TIME_COST, SECRET_KEY, console
from portfolio.config import Settings

LOCAL_HOSTS = {None, "", "127.0.0.1", "localhost", "::1"}


def settings_for(url: str) -> Settings:
    """The app's settings for a benchmark database: fixed key, cheap Argon2, no migration at start."""
    return Settings(
        database_url=url,
        secret_key=SECRET_KEY,
        argon2_time_cost=ARGON2_TIME_COST,
        argon2_memory_kib=ARGON2_MEMORY_KIB,
        migrate_on_start=False,
    )


@dataclass
class DatabaseHandle:
    label: str
    url: str  # SQLAlchemy URL, as PORTFOLIO_DATABASE_URL takes it
    dialect: str  # "sqlite" | "postgresql"
    backend: Backend
    projects: int = 0
    pledges: int = 0
    generated_s: float | None = None
    dropped: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    def bare(self) -> Any:
        """A bare DB-API connection (autocommit), as close to the server as Python gets."""
        return self.backend.bare_connect(self)

    def drop(self) -> None:
        if not self.dropped:
            self.dropped = True
            self.backend.drop(self)


class Backend(ABC):
    name: str

    @abstractmethod
    def create(self, label: str) -> DatabaseHandle: ...

    @abstractmethod
    def bare_connect(self, handle: DatabaseHandle) -> Any: ...

    @abstractmethod
    def drop(self, handle: DatabaseHandle) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    def version(self) -> str:
        return ""


class SQLiteBackend(Backend):
    name = "sqlite"

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="portfolio-bench-"))
        self.handles: list[DatabaseHandle] = []

    def path(self, handle: DatabaseHandle) -> Path:
        return self.folder / f"{handle.label}.db"

    def create(self, label: str) -> DatabaseHandle:
        path = self.folder / f"{label}.db"
        handle = DatabaseHandle(label, f"sqlite:///{path}", "sqlite", self)
        self.handles.append(handle)
        return handle

    def bare_connect(self, handle: DatabaseHandle) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path(handle), isolation_level=None, check_same_thread=False)
        # The same connection settings as the app's engine (portfolio/db.py).
        conn.create_function("lower", 1, lambda v: v.lower() if isinstance(v, str) else v, deterministic=True)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def drop(self, handle: DatabaseHandle) -> None:
        path = self.path(handle)
        for suffix in ("", "-wal", "-shm", "-journal", ".secret-key"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def version(self) -> str:
        return f"SQLite {sqlite3.sqlite_version}"


class PostgresBackend(Backend):
    name = "postgresql"

    def __init__(self, server_url: str) -> None:
        url = make_url(server_url)
        if url.host not in LOCAL_HOSTS:
            raise SystemExit(
                f"--pg-url must point at 127.0.0.1 (this script talks to nothing else): {url.host}"
            )
        self.url = url
        self.prefix = f"bench_{secrets.token_hex(4)}"
        self.created: list[str] = []
        self.admin = psycopg.connect(self._conninfo("postgres"), autocommit=True, connect_timeout=5)

    def _conninfo(self, dbname: str) -> str:
        parts: dict[str, Any] = {
            "host": self.url.host or "127.0.0.1",
            "port": self.url.port,
            "user": self.url.username,
            "password": self.url.password,
            "dbname": dbname,
        }
        return make_conninfo(**{k: v for k, v in parts.items() if v is not None})

    def create(self, label: str) -> DatabaseHandle:
        name = f"{self.prefix}_{label}".lower()
        self.admin.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        url = self.url.set(drivername="postgresql+psycopg", database=name)
        return DatabaseHandle(label, url.render_as_string(hide_password=False), "postgresql", self)

    def _name(self, handle: DatabaseHandle) -> str:
        return str(make_url(handle.url).database)

    def bare_connect(self, handle: DatabaseHandle) -> psycopg.Connection[Any]:
        return psycopg.connect(self._conninfo(self._name(handle)), autocommit=True, connect_timeout=5)

    def _drop(self, name: str, attempts: int = 20) -> None:
        """DROP DATABASE, reconnecting while the server restarts (a load run's fault may restart it)."""
        for attempt in range(attempts):
            try:
                if self.admin.closed:
                    self.admin = psycopg.connect(
                        self._conninfo("postgres"), autocommit=True, connect_timeout=5
                    )
                self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                break
            except psycopg.OperationalError:
                self.admin.close()
                if attempt == attempts - 1:
                    raise
                time.sleep(0.5)
        if name in self.created:
            self.created.remove(name)

    def drop(self, handle: DatabaseHandle) -> None:
        self._drop(self._name(handle))

    def close(self) -> None:
        try:
            for name in list(self.created):
                self._drop(name)
        finally:
            self.admin.close()

    def version(self) -> str:
        row = self.admin.execute("SHOW server_version").fetchone()
        return f"PostgreSQL {row[0] if row else '?'}"


def migrate(handle: DatabaseHandle) -> None:
    from portfolio import migrate as app_migrate

    app_migrate.upgrade(handle.url)


def fill(handle: DatabaseHandle, projects: int, pledges: int, seed: int) -> None:
    """Migrate, generate a synthetic portfolio (the app's own generator) and add the sample accounts."""
    from portfolio.db import Database
    from portfolio.demo import load_demo_accounts
    from portfolio.security import password_hasher
    from portfolio.synthetic import generate

    migrate(handle)
    settings = settings_for(handle.url)
    db = Database(handle.url, settings)
    try:
        started = time.perf_counter()
        report = generate(db.engine, projects=projects, pledges=pledges, seed=seed)
        with db.session(write=True) as session:
            load_demo_accounts(session, password_hasher(settings))
        handle.generated_s = time.perf_counter() - started
        handle.projects, handle.pledges = projects, pledges
        handle.info = {
            "receipts": report.receipts,
            "milestones": report.milestones,
            "rates": report.rates,
            "indicators": report.indicators,
            "processes": report.processes,
            "seed": seed,
        }
    finally:
        db.dispose()
    if handle.dialect == "postgresql":
        with handle.bare() as conn:
            conn.execute("VACUUM ANALYZE")


class Datasets:
    """Synthetic portfolios by size, made once per run and database kind; dropped when released."""

    def __init__(self, backend: Backend, seed: int) -> None:
        self.backend = backend
        self.seed = seed
        self.made: dict[tuple[int, int], DatabaseHandle] = {}

    def get(self, projects: int, pledges: int) -> DatabaseHandle:
        key = (projects, pledges)
        if key not in self.made or self.made[key].dropped:
            handle = self.backend.create(f"p{projects}_g{pledges}")
            console.print(
                f"  [{self.backend.name}] generating {projects:,} projects / {pledges:,} pledges …", end=""
            )
            fill(handle, projects, pledges, self.seed)
            console.print(f" {handle.generated_s:.1f} s")
            self.made[key] = handle
        return self.made[key]

    def release(self, handle: DatabaseHandle) -> None:
        handle.drop()
