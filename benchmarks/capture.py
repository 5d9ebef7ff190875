"""The app's own SQL, captured as its driver receives it, and replayed through the bare driver.

A request is sent in-process (``TestClient`` against ``create_app``) while a ``before_cursor_execute``
listener records every statement with its parameters exactly as SQLAlchemy compiled and processed them
for the driver (placeholders, bound values, types). Replaying them with ``sqlite3`` / ``psycopg`` is the
database work of the request with nothing of the app around it."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from benchmarks.databases import DatabaseHandle, settings_for
from benchmarks.server import bearer_token, dashboard_cookie

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@dataclass(frozen=True)
class Statement:
    sql: str
    params: Any

    @property
    def is_query(self) -> bool:
        head = self.sql.lstrip().split(None, 1)[0].upper() if self.sql.strip() else ""
        return head in ("SELECT", "WITH")

    def short(self, width: int = 100) -> str:
        flat = " ".join(self.sql.split())
        return flat if len(flat) <= width else flat[: width - 1] + "…"


@contextmanager
def in_process(handle: DatabaseHandle) -> Iterator[tuple[TestClient, Engine]]:
    """The app built by ``create_app`` on ``handle``'s database, and its engine."""
    from portfolio.main import create_app

    app = create_app(settings_for(handle.url))
    client = TestClient(app, base_url="http://127.0.0.1")
    try:
        yield client, app.state.db.engine
    finally:
        client.close()
        app.state.db.dispose()


def capture(engine: Engine, fn: Callable[[], Any]) -> list[Statement]:
    captured: list[Statement] = []

    def record(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool
    ) -> None:
        if not executemany:
            captured.append(Statement(statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return captured


def request_sql(handle: DatabaseHandle, path: str, *, dashboard: bool) -> tuple[list[Statement], int]:
    """Every query a GET of ``path`` sends to the database (after login), and the response's size."""
    with in_process(handle) as (client, engine):
        headers = dashboard_cookie(client) if dashboard else bearer_token(client)
        client.get(path, headers=headers)  # warm: the first request fills the app's caches
        size = 0

        def get() -> None:
            nonlocal size
            response = client.get(path, headers=headers, follow_redirects=False)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:200]}")
            size = len(response.content)

        statements = capture(engine, get)
    return [s for s in statements if s.is_query], size


def run(conn: Any, statements: list[Statement]) -> int:
    """Execute ``statements`` on a bare DB-API connection and fetch every row; how many rows came back."""
    rows = 0
    for statement in statements:
        cursor = conn.execute(statement.sql, statement.params)
        rows += len(cursor.fetchall())
    return rows
