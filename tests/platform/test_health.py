"""Liveness (/healthz) answers at once, however busy the app; readiness (/readyz) asks the database."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portfolio import migrate
from tests.factories import live_server, project_body

IN_FLIGHT = 60  # more than the 40 threads of the server's pool


@contextmanager
def writes_held(database_url: str) -> Iterator[None]:
    """Another client holds the lock every project write needs, until the block ends."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(str(url.database), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("LOCK TABLE project IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                conn.rollback()
    finally:
        engine.dispose()


def _timed(client: httpx.Client, path: str) -> tuple[int, float]:
    started = time.monotonic()
    response = client.get(path)
    return response.status_code, time.monotonic() - started


def test_healthz_answers_at_once_while_every_thread_of_the_pool_waits_on_the_database(
    app, accounts, database_url
):
    headers = accounts["staff"].headers
    with live_server(app) as base:
        # Every client made beforehand: making one (its TLS context) costs this process more than the server.
        clients = [httpx.Client(base_url=base, headers=headers, timeout=60) for _ in range(IN_FLIGHT)]
        checker = httpx.Client(base_url=base, timeout=60)
        assert checker.get("/healthz").status_code == 200
        with writes_held(database_url):
            writers = [
                threading.Thread(target=c.post, args=("/api/v1/projects",), kwargs={"json": project_body()})
                for c in clients
            ]
            for writer in writers:
                writer.start()
            time.sleep(2)  # every one is in flight, holding a thread of the pool or waiting for one
            checks = [_timed(checker, "/healthz") for _ in range(5)]
            ready = _timed(checker, "/readyz")  # needs a thread: waits its turn, as /healthz used to
        for writer in writers:
            writer.join(timeout=60)
        for client in [*clients, checker]:
            client.close()
    assert all(status == 200 for status, _ in checks)
    slowest = max(seconds for _, seconds in checks)
    print(f"/healthz with the pool saturated: slowest of 5 {slowest * 1000:.0f} ms; /readyz {ready[1]:.2f} s")
    assert slowest < 0.5, checks


def test_readyz_reports_the_database_and_its_revision(anon):
    body = anon.get("/readyz").json()
    assert body["status"] == "ok" and body["revision"] == migrate.head_revision()
    assert anon.get("/healthz").json() == {"status": "ok"}
