"""Every test gets its own database.

SQLite: a copy of a database file migrated once per run (a real file, WAL and all).
PostgreSQL (when PORTFOLIO_TEST_DATABASE_URL is set): a database created for this run on that
server, migrated once, and emptied after each test. Each test that takes ``database_url`` runs on
both; without the variable the PostgreSQL half is skipped with the reason shown in the summary.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portfolio import migrate
from portfolio.config import Settings
from portfolio.db import Database
from portfolio.main import create_app
from portfolio.models import metadata

PG_ENV = "PORTFOLIO_TEST_DATABASE_URL"
PG_SKIP = f"{PG_ENV} is not set: the PostgreSQL half of the suite is skipped"
REFERENCE_TABLES = {"state"}


def pg_server_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def pytest_report_header() -> str:
    return f"databases: SQLite and {'PostgreSQL' if pg_server_url() else 'no PostgreSQL (' + PG_SKIP + ')'}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if pg_server_url() is None:
        skipped = sum(PG_SKIP in str(r.longrepr) for r in terminalreporter.stats.get("skipped", []))
        terminalreporter.write_line(f"PostgreSQL: {skipped} test(s) skipped because {PG_SKIP}.", yellow=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "portfolio.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


class PostgresDatabases:
    """Creates throw-away databases on the test server and drops them at the end of the run."""

    def __init__(self, server_url: str) -> None:
        self.server_url = make_url(server_url)
        self.admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self) -> str:
        name = f"portfolio_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.server_url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PostgresDatabases]:
    url = pg_server_url()
    if url is None:
        pytest.skip(PG_SKIP)
    databases = PostgresDatabases(url)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def pg_migrated(pg_databases: PostgresDatabases) -> str:
    url = pg_databases.create()
    migrate.upgrade(url)
    return url


def _empty_postgres(url: str) -> None:
    # DELETE is much quicker than TRUNCATE on tables this small.
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                if table.name not in REFERENCE_TABLES:
                    conn.execute(table.delete())
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and pg_server_url() is None:
        pytest.skip(PG_SKIP)
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database (but for the reference States) for this test alone."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "portfolio.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
    else:
        url: str = request.getfixturevalue("pg_migrated")
        _empty_postgres(url)
        yield url


@pytest.fixture
def empty_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no schema at all."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    databases: PostgresDatabases = request.getfixturevalue("pg_databases")
    return databases.create()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, migrate_on_start=False)


@pytest.fixture
def app(settings: Settings) -> Iterator[object]:
    application = create_app(settings)
    yield application
    application.state.db.dispose()


@pytest.fixture
def client(app: object) -> Iterator[TestClient]:
    with TestClient(app) as test_client:  # type: ignore[arg-type]
        yield test_client


@pytest.fixture
def db(app: object) -> Database:
    return app.state.db  # type: ignore[attr-defined, no-any-return]
