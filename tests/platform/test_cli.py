"""The `portfolio` command as an operator uses it."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from portfolio.cli import app
from tests.factories import make_settings

runner = CliRunner()


@pytest.fixture
def env(empty_database_url, monkeypatch):
    from portfolio.config import get_settings

    monkeypatch.setenv("PORTFOLIO_DATABASE_URL", empty_database_url)
    get_settings.cache_clear()
    yield empty_database_url
    get_settings.cache_clear()


def invoke(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_db_upgrade_current_and_downgrade(env):
    pending = invoke("db", "current")
    assert pending.exit_code == 1
    assert "none" in pending.output
    assert invoke("db", "upgrade").exit_code == 0
    current = invoke("db", "current")
    assert current.exit_code == 0, current.output
    assert invoke("db", "downgrade", "base").exit_code == 0
    assert invoke("db", "current").exit_code == 1


def test_demo_data_loads_a_labelled_sample_portfolio_once(env):
    from fastapi.testclient import TestClient

    from portfolio.main import create_app

    first = invoke("demo-data")
    assert first.exit_code == 0, first.output
    assert "created 30 projects" in first.output
    for account in ("admin@example.org", "staff@example.org", "manager@example.org", "donor.deu@example.org"):
        assert account in first.output
    assert "demo-password" in first.output
    second = invoke("demo-data")
    assert (
        "created 0 projects, 0 pledges, 0 receipts, 0 exchange rates, 0 national processes" in second.output
    )

    application = create_app(make_settings(database_url=env, migrate_on_start=False))
    with TestClient(application) as client:
        login = client.post(
            "/api/v1/auth/token", data={"username": "manager@example.org", "password": "demo-password"}
        )
        assert login.status_code == 200, login.text
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        projects = client.get("/api/v1/projects", params={"limit": 500}).json()
        pledges = client.get("/api/v1/pledges", params={"limit": 500}).json()["items"]
        processes = client.get("/api/v1/national-processes", params={"limit": 500}).json()
    application.state.db.dispose()

    assert projects["total"] == 30
    assert all(p["code"].startswith("SAMPLE-") for p in projects["items"])
    assert all(p["description"].startswith("Sample data") for p in projects["items"])
    assert len({b for p in projects["items"] for b in p["beneficiaries"]}) >= 8
    assert {a for p in projects["items"] for a in p["areas"]} == {"SALW", "SCA"}
    assert len({p["status"] for p in projects["items"]}) == 8  # every lifecycle status is represented
    assert len({p["donor"] for p in pledges}) >= 12
    assert {"EUR", "USD", "GBP", "CHF"} <= {p["currency"] for p in pledges}
    assert any(p["kind"] == "in_kind" for p in pledges)
    assert any(p["received"] != "0.00" for p in pledges)
    assert any(p["progress"]["milestones_total"] for p in projects["items"])
    assert processes["total"] >= 15
    assert {p["stage"] for p in processes["items"]} == {"planned", "established", "operational", "sustained"}


def test_help_describes_every_command():
    result = invoke("--help")
    for command in ("serve", "db", "demo-data"):
        assert command in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_migrates_and_answers(tmp_path: Path):
    port = _free_port()
    env = {**os.environ, "PORTFOLIO_DATABASE_URL": f"sqlite:///{tmp_path / 'served.db'}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "portfolio.cli", "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
                assert time.monotonic() < deadline, "server did not start within 30 s"
                time.sleep(0.2)
        assert health.json()["status"] == "ok"
        assert httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5).status_code == 200
        anonymous = httpx.get(f"http://127.0.0.1:{port}/api/v1/states", timeout=5)
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == "Bearer"
    finally:
        server.terminate()
        server.wait(timeout=10)
