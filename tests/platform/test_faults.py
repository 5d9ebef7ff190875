"""Faults: an import killed or failing half-way writes nothing, a locked SQLite database or a PostgreSQL
that goes away gives 503 problem+json (never a 500, never a hang), and the app serves again afterwards
without being restarted.

Already covered elsewhere and not repeated here: a database that cannot be opened at all (a missing
SQLite folder, nothing listening on the PostgreSQL port) is a 503 with Retry-After (test_errors.py).
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import pty
import re
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from portfolio.config import Settings
from portfolio.main import create_app
from portfolio.security import SYSTEM, create_token
from portfolio.transfer.importer import ImportReport, run_import
from portfolio.transfer.kinds import Kind
from portfolio.transfer.sheets import read_table
from tests.conftest import pg_server_url
from tests.factories import (
    TEST_KEY,
    assert_problem,
    make_pledge,
    make_project,
    make_settings,
    ok,
    project_body,
    receive,
)

BUSY_TIMEOUT_S = 0.2
KILLED_ROWS = 2000  # half of them change stored projects row by row: seconds of work, killed early on
KILL_AFTER_ROWS = 200


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The suite's settings, with a SQLite writer giving up on the lock after 0.2 s instead of 5."""
    return make_settings(database_url, sqlite_busy_timeout_s=BUSY_TIMEOUT_S)


def projects_csv(codes: list[str], title: str = "Depot security upgrade") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "title", "areas", "beneficiaries", "request_date", "budget_eur"])
    for code in codes:
        writer.writerow([code, title, "SCA", "SRB", "2024-01-15", "1000.00"])
    return out.getvalue().encode()


def scalar(database_url: str, sql: str, **params: object) -> int:
    """One number, read on a connection of its own (not the app's, not the import's)."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())
    finally:
        engine.dispose()


def stored(database_url: str) -> dict[str, int]:
    """What an import may have left behind: projects, projects changed since created, audit entries."""
    return {
        "projects": scalar(database_url, "SELECT COUNT(*) FROM project"),
        "changed": scalar(database_url, "SELECT COUNT(*) FROM project WHERE version > 1"),
        "audit": scalar(database_url, "SELECT COUNT(*) FROM audit_entry"),
    }


def import_in_process(db, body: bytes, on_row: Callable[[Session, int], None] | None = None) -> ImportReport:
    """Import projects in one transaction, as the command does; ``on_row(session, done)`` after each row."""
    with db.session(write=True) as session:
        return run_import(
            session,
            SYSTEM,
            Kind.projects,
            read_table(body, Kind.projects, "projects.csv"),
            dry_run=False,
            progress=(lambda done, _total: on_row(session, done)) if on_row else None,
        )


def cli_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTFOLIO_")}
    return env | {"PORTFOLIO_DATABASE_URL": database_url, "TERM": "xterm", "COLUMNS": "160"}


def portfolio_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "portfolio.cli", *args]


# -- an import killed half-way ---------------------------------------------------------------------------


class Terminal:
    """A pseudo-terminal for a child's stderr, so that the import shows its progress bar; read in a thread."""

    def __init__(self) -> None:
        self.master, self.slave = pty.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
        self.chunks: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:  # EIO once the child has gone
                return
            if not data:
                return
            self.chunks.append(data.decode(errors="replace"))

    def start(self) -> None:
        os.close(self.slave)  # the child holds its own copy
        self.reader.start()

    def rows_done(self, total: int) -> int:
        """The highest 'done/total' count the progress bar has shown so far."""
        shown = [int(n) for n in re.findall(rf"(\d+)/{total}\b", "".join(self.chunks))]
        return max(shown, default=0)

    def tail(self) -> str:
        return "".join(self.chunks)[-400:]

    def close(self) -> None:
        self.reader.join(timeout=5)
        os.close(self.master)


def holds_uncommitted_writes(database_url: str) -> bool:
    """Whether another connection is in the middle of a writing transaction: on SQLite it holds the write
    lock (no one else can take it); on PostgreSQL a backend of this database has been given a transaction
    id, which happens at its first write."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        probe = sqlite3.connect(url.database or "", timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            return "locked" in str(exc)
        else:
            probe.execute("ROLLBACK")
            return False
        finally:
            probe.close()
    writers = (
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
    )
    return scalar(database_url, writers) > 0


def test_an_import_killed_half_way_writes_nothing_and_the_database_still_works(db, database_url, tmp_path):
    # Half the file changes stored projects (written row by row), half adds new ones.
    existing = [f"KILL-{i:05d}" for i in range(KILLED_ROWS // 2)]
    new = [f"KILL-{i:05d}" for i in range(KILLED_ROWS // 2, KILLED_ROWS)]
    import_in_process(db, projects_csv(existing, title="Before"))
    before = stored(database_url)
    big = tmp_path / "projects.csv"
    big.write_bytes(projects_csv(existing + new, title="After"))
    env = cli_env(database_url)

    terminal = Terminal()
    process = subprocess.Popen(
        portfolio_cli("import", str(big), "--kind", "projects"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=terminal.slave,
        env=env,
        cwd=tmp_path,
    )
    terminal.start()
    try:
        # The signal the command itself gives (its progress bar counting rows), and the database's word
        # that the import's transaction has written; then freeze it there, so that nothing moves on
        # between the look and the kill.
        deadline = time.monotonic() + 60
        while terminal.rows_done(KILLED_ROWS) < KILL_AFTER_ROWS or not holds_uncommitted_writes(database_url):
            assert process.poll() is None, f"the import ended before it could be killed: {terminal.tail()}"
            assert time.monotonic() < deadline, f"the import showed no progress: {terminal.tail()}"
            time.sleep(0.01)
        process.send_signal(signal.SIGSTOP)
        assert holds_uncommitted_writes(database_url)
        shown = terminal.rows_done(KILLED_ROWS)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        terminal.close()
    assert process.returncode == -signal.SIGKILL
    assert KILL_AFTER_ROWS <= shown < KILLED_ROWS

    assert stored(database_url) == before
    assert scalar(database_url, "SELECT COUNT(*) FROM project WHERE title = 'After'") == 0

    # The database still works, and nothing of the killed transaction is in the way (PostgreSQL held
    # row locks on the rows it had changed): the same rows import again, changed and new.
    small = tmp_path / "again.csv"
    small.write_bytes(projects_csv([existing[0], existing[KILL_AFTER_ROWS // 2], new[0]], title="After"))
    again = subprocess.run(
        portfolio_cli("import", str(small), "--kind", "projects"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert "Imported. 3 rows: 1 new, 2 changed" in again.stdout
    assert stored(database_url) == {
        "projects": before["projects"] + 1,
        "changed": 2,
        "audit": before["audit"] + 3,
    }


class Interrupted(Exception):
    pass


def test_an_import_that_fails_half_way_leaves_nothing_behind(db, database_url):
    existing = [f"HALF-{i:04d}" for i in range(150)]
    new = [f"HALF-{i:04d}" for i in range(150, 300)]
    import_in_process(db, projects_csv(existing, title="Before"))
    before = stored(database_url)
    changed_in_transaction: list[int] = []

    def break_at_row_200(session: Session, done: int) -> None:
        if done == 200:  # every stored project changed, and 50 new ones checked: then it breaks
            changed = session.execute(text("SELECT COUNT(*) FROM project WHERE version > 1")).scalar_one()
            changed_in_transaction.append(int(changed))
            raise Interrupted

    body = projects_csv(existing + new, title="After")
    with pytest.raises(Interrupted):
        import_in_process(db, body, break_at_row_200)
    # The changes were in the transaction when it broke (else there would be nothing to undo)…
    assert changed_in_transaction == [150]
    # …and none of them, nor any new project, outlived it.
    assert stored(database_url) == before
    report = import_in_process(db, body)
    assert (report.created, report.updated, report.problems) == (150, 150, [])


# -- SQLite: another connection holds the write lock -------------------------------------------------------


@contextmanager
def sqlite_write_lock(database_url: str) -> Iterator[sqlite3.Connection]:
    """Another connection that has taken SQLite's write lock, as a long writing transaction would."""
    holder = sqlite3.connect(make_url(database_url).database or "", timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield holder
    finally:
        holder.execute("ROLLBACK")
        holder.close()


WRITES = {
    "create a project": lambda c, ids: c.post("/api/v1/projects", json=project_body(code="LOCKED-1")),
    "change a project": lambda c, ids: c.patch(
        f"/api/v1/projects/{ids['project']}", json={"title": "Changed"}, headers={"If-Match": '"1"'}
    ),
    "record a receipt": lambda c, ids: receive(c, ids["pledge"], "100.00"),
}
# What the database holds once the write went through: the refused attempt left nothing behind.
WRITTEN = {
    "create a project": lambda c, ids: ok(c.get("/api/v1/projects"))["total"] == 2,
    "change a project": lambda c, ids: ok(c.get(f"/api/v1/projects/{ids['project']}"))["version"] == 2,
    "record a receipt": lambda c, ids: len(ok(c.get(f"/api/v1/pledges/{ids['pledge']}/receipts"))) == 1,
}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_that_cannot_get_the_sqlite_lock_is_a_503_and_goes_through_once_it_is_free(
    client, accounts, database_url, write
):
    project = make_project(client)
    ids = {"project": project["id"], "pledge": make_pledge(client, project["id"], status="committed")["id"]}
    with sqlite_write_lock(database_url):
        started = time.monotonic()
        response = WRITES[write](client, ids)
        waited = time.monotonic() - started
        body = assert_problem(response, 503)
        assert response.headers["retry-after"]
        assert "busy" in body["detail"]
        # It waited for the lock for the configured time (not the default 5 s) rather than failing at once.
        assert BUSY_TIMEOUT_S * 0.8 <= waited < 3, waited
        # In WAL mode a writer does not block readers: the API and the dashboards still answer.
        assert ok(client.get(f"/api/v1/projects/{project['id']}"))["version"] == 1
        assert ok(client.get("/api/v1/pledges"))["total"] == 1
        page = client.get("/dashboards/funding", headers=accounts["manager"].headers)
        assert page.status_code == 200, page.text
    after = WRITES[write](client, ids)
    assert after.status_code in (200, 201), after.text
    assert WRITTEN[write](client, ids)


# -- PostgreSQL goes away --------------------------------------------------------------------------------


@pytest.fixture
def pg_admin() -> Iterator[Engine]:
    url = pg_server_url()
    assert url is not None
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_while_postgresql_refuses_connections_requests_get_503_and_the_app_recovers_by_itself(
    client, database_url, pg_admin
):
    project = make_project(client)  # the app now holds pooled connections to the database
    name = make_url(database_url).database
    others = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"
    try:
        with pg_admin.connect() as conn:
            # As a restart would: every connection of the app is cut, and no new one can be made.
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            deadline = time.monotonic() + 10
            while conn.execute(text(others), {"name": name}).scalar_one():
                assert time.monotonic() < deadline, "the app's connections were not cut"
                time.sleep(0.05)
        for response in (
            client.get("/api/v1/projects"),
            client.get(f"/api/v1/projects/{project['id']}"),
            client.post("/api/v1/projects", json=project_body()),
            client.patch(f"/api/v1/projects/{project['id']}", json={"title": "Lost?"}),
        ):
            assert_problem(response, 503)
            assert response.headers["retry-after"]
    finally:
        with pg_admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
    # Back: the same app serves again, and nothing refused was written meanwhile.
    stored_project = ok(client.get(f"/api/v1/projects/{project['id']}"))
    assert (stored_project["title"], stored_project["version"]) == (project["title"], 1)
    assert ok(client.get("/api/v1/projects"))["total"] == 1
    ok(client.post("/api/v1/projects", json=project_body()), 201)


def test_a_postgresql_that_accepts_but_never_answers_is_a_503_within_the_connect_timeout():
    """A server that takes the TCP connection and then says nothing (hung, or a black hole on the way)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nobody ever reads or answers
        port = silent.getsockname()[1]
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/portfolio"
        app = create_app(make_settings(database_url=url, migrate_on_start=False))
        token = create_token(TEST_KEY, 1, 1, timedelta(minutes=5))
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            started = time.monotonic()
            response = client.get("/api/v1/projects")
            waited = time.monotonic() - started
        app.state.db.dispose()
    assert_problem(response, 503)
    assert response.headers["retry-after"]
    assert waited < 5 + 3, f"answered after {waited:.1f} s: the connect timeout is 5 s"
