"""Build what a test needs through the API, with defaults for everything the test does not care about."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from typing import Any

import uvicorn
from fastapi.testclient import TestClient

from portfolio.config import Settings

_codes = count(1)

TEST_KEY = "a-signing-key-for-tests-only-0123456789abcdef"
PASSWORD = "correct horse battery staple"  # noqa: S105 - test accounts only


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for a test app: a fixed signing key and cheap password hashing (tests hash a lot)."""
    values: dict[str, object] = {
        "database_url": database_url,
        "migrate_on_start": False,
        "secret_key": TEST_KEY,
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def project_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": f"TEST-{next(_codes):04d}",
        "title": "Upgrading ammunition depot security",
        "areas": ["SCA"],
        "activity_types": ["stockpile_security"],
        "beneficiaries": ["SRB"],
        "request_date": "2024-01-15",
        "budget_eur": "1000000.00",
    }
    body.update(overrides)
    return body


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def make_project(client: TestClient, **overrides: Any) -> dict[str, Any]:
    return ok(client.post("/api/v1/projects", json=project_body(**overrides)), 201)  # type: ignore[no-any-return]


def move(client: TestClient, project_id: int, *statuses: str, on: str | None = None) -> dict[str, Any]:
    project: dict[str, Any] = {}
    for status in statuses:
        body = {"to": status} | ({"on": on} if on else {})
        project = ok(client.post(f"/api/v1/projects/{project_id}/transitions", json=body))
    return project


def make_rate(client: TestClient, currency: str, month: str, eur_per_unit: str) -> dict[str, Any]:
    body = {"currency": currency, "month": month, "eur_per_unit": eur_per_unit}
    return ok(client.post("/api/v1/exchange-rates", json=body), 201)  # type: ignore[no-any-return]


def pledge_body(project_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "project_id": project_id,
        "donor": "DEU",
        "amount": "100000.00",
        "currency": "EUR",
        "pledged_on": "2024-03-10",
    }
    body.update(overrides)
    return body


def make_pledge(client: TestClient, project_id: int, **overrides: Any) -> dict[str, Any]:
    return ok(client.post("/api/v1/pledges", json=pledge_body(project_id, **overrides)), 201)  # type: ignore[no-any-return]


def receive(client: TestClient, pledge_id: int, amount: str, received_on: str = "2024-05-02") -> Any:
    return client.post(
        f"/api/v1/pledges/{pledge_id}/receipts", json={"amount": amount, "received_on": received_on}
    )


def assert_problem(response: Any, status: int, loc: list[Any] | None = None) -> dict[str, Any]:
    """A problem+json response with this status; with ``loc``, one of its errors names that field."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    if loc is not None:
        locs = [e["loc"] for e in body.get("errors", [])]
        assert loc in locs, f"expected an error at {loc}, got {locs}"
    return body


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve ``app`` with Uvicorn on a free port of 127.0.0.1 for the duration of the block."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
