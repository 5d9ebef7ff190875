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
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portfolio import migrate
from portfolio.config import Settings
from portfolio.db import Database
from portfolio.main import create_app
from portfolio.models import metadata
from portfolio.security import create_token
from portfolio.users.models import User
from tests.factories import PASSWORD, make_settings

PG_ENV = "PORTFOLIO_TEST_DATABASE_URL"
PG_SKIP = f"{PG_ENV} is not set: the PostgreSQL half of the suite is skipped"
REFERENCE_TABLES = {"state"}
# Tables a migration seeds that tests may change (the norms catalogue): emptied with the rest after each
# test, then given back the rows the migration wrote.
SEEDED_TABLES = ("norm",)
_seeded_rows: dict[str, list[dict[str, object]]] = {}


def pg_server_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def pytest_report_header() -> str:
    return f"databases: SQLite and {'PostgreSQL' if pg_server_url() else 'no PostgreSQL (' + PG_SKIP + ')'}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say why tests were skipped: the PostgreSQL half in one line, anything else (no Chromium…) in full."""
    skipped = terminalreporter.stats.get("skipped", [])
    if pg_server_url() is None:
        count = sum(PG_SKIP in str(r.longrepr) for r in skipped)
        terminalreporter.write_line(f"PostgreSQL: {count} test(s) skipped because {PG_SKIP}.", yellow=True)
    others: dict[str, int] = {}
    for report in skipped:
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if PG_SKIP not in reason:
            others[reason] = others.get(reason, 0) + 1
    for reason, count in others.items():
        terminalreporter.write_line(f"Skipped {count}: {reason}", yellow=True)


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
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            for name in SEEDED_TABLES:
                table = metadata.tables[name]
                _seeded_rows[name] = [dict(r._mapping) for r in conn.execute(table.select())]
    finally:
        engine.dispose()
    return url


def _empty_postgres(url: str) -> None:
    # DELETE is much quicker than TRUNCATE on tables this small.
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                if table.name not in REFERENCE_TABLES:
                    conn.execute(table.delete())
            for name in SEEDED_TABLES:
                if _seeded_rows.get(name):
                    conn.execute(metadata.tables[name].insert(), _seeded_rows[name])
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


ROLES = {"admin": None, "staff": None, "manager": None, "donor": "DEU"}


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture(scope="session")
def shared_app() -> FastAPI:
    """One application for the whole run (FastAPI prepares its routes on the first request, which
    costs a noticeable fraction of a second); each test gives it a database of its own."""
    return create_app(make_settings("sqlite://"))


@pytest.fixture
def app(shared_app: FastAPI, settings: Settings) -> Iterator[FastAPI]:
    shared_app.state.db = Database(settings.database_url, settings)
    shared_app.state.settings = settings
    yield shared_app
    shared_app.state.db.dispose()


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    role: str
    state: str | None
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def accounts(app: object) -> dict[str, Account]:
    """One account per role (the donor speaks for Germany), each with a valid token."""
    state = app.state  # type: ignore[attr-defined]
    made: dict[str, Account] = {}
    with state.db.session(write=True) as session:
        for role, code in ROLES.items():
            user = User(
                email=f"{role}@test.example.org",
                full_name=f"Test {role}",
                role=role,
                state=code,
                password_hash=state.hasher.hash(PASSWORD),
            )
            session.add(user)
            session.flush()
            assert user.id is not None
            token = create_token(state.secret_key, user.id, user.token_version, timedelta(hours=1))
            made[role] = Account(user.id, user.email, role, code, token)
    return made


@pytest.fixture
def anon(app: object) -> Iterator[TestClient]:
    """A client that sends no token."""
    with TestClient(app) as test_client:  # type: ignore[arg-type]
        yield test_client


@pytest.fixture
def client(app: object, accounts: dict[str, Account]) -> Iterator[TestClient]:
    """A client logged in as FSC support staff (who may read and write everything but accounts)."""
    with TestClient(app, headers=accounts["staff"].headers) as test_client:  # type: ignore[arg-type]
        yield test_client


@pytest.fixture
def db(app: object) -> Database:
    return app.state.db  # type: ignore[attr-defined, no-any-return]


# -- the browser tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, one for each test module (the test is skipped when it is missing)."""
    from tests.browser import chromium

    with chromium() as started:
        yield started


@pytest.fixture(scope="module")
def demo_site(
    request: pytest.FixtureRequest, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, FastAPI]]:
    """A live server on the sample portfolio, on a database of each test module's own: its URL, its app."""
    from tests.browser import demo_site as site

    with site(sqlite_template, tmp_path_factory, request.module.__name__.rsplit(".", 1)[-1]) as started:
        yield started


@pytest.fixture(scope="module")
def server(demo_site: tuple[str, FastAPI]) -> str:
    """The URL of the module's live server on the sample portfolio."""
    return demo_site[0]
