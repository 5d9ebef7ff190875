"""`portfolio serve` as the hosts behind a balancer run it: real processes on real ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine

from portfolio.connections import service as connections
from portfolio.connections.repository import server_connections
from tests.factories import PASSWORD


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_env(database_url: str, **settings: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PORTFOLIO_DATABASE_URL": database_url,
        "PORTFOLIO_SECRET_KEY": "a-signing-key-for-tests-only-0123456789abcdef",
        "PORTFOLIO_ARGON2_TIME_COST": "1",
        "PORTFOLIO_ARGON2_MEMORY_KIB": "1024",
    }
    env.update({f"PORTFOLIO_{k.upper()}": v for k, v in settings.items()})
    return env


def create_account(env: dict[str, str], cwd: Path, email: str, role: str = "staff") -> None:
    subprocess.run(
        [sys.executable, "-m", "portfolio.cli", "users", "create", "--email", email, "--role", role,
         "--password", PASSWORD],
        env=env, cwd=cwd, check=True, capture_output=True, timeout=60,
    )  # fmt: skip


@contextmanager
def served(
    env: dict[str, str], cwd: Path, *args: str, port: int | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``portfolio serve`` on a free port until it answers /healthz; stopped (TERM, then KILL) afterwards."""
    port = port or free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "portfolio.cli", "serve", "--port", str(port), *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
                assert time.monotonic() < deadline, "server did not start within 60 s"
                time.sleep(0.2)
        yield server, url
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def token(url: str, email: str) -> str:
    response = httpx.post(
        f"{url}/api/v1/auth/token", data={"username": email, "password": PASSWORD}, timeout=10
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


# -- trusted proxies -----------------------------------------------------------------------------------


def _feed_url(url: str, bearer: str) -> str:
    headers = {"Authorization": f"Bearer {bearer}", "X-Forwarded-Proto": "https"}
    made = httpx.post(f"{url}/api/v1/users/me/calendar-feed", headers=headers, timeout=10)
    assert made.status_code == 201, made.text
    return str(made.json()["url"])


def test_serve_believes_forwarded_https_only_from_the_trusted_proxies(tmp_path: Path):
    env = serve_env(f"sqlite:///{tmp_path / 'served.db'}", trusted_proxies="127.0.0.1")
    create_account(env, tmp_path, "staff@example.org")
    with served(env, tmp_path) as (_, url):
        assert _feed_url(url, token(url, "staff@example.org")).startswith("https://127.0.0.1:")
    # The balancer is elsewhere: this client's header is ignored, though Uvicorn alone trusts 127.0.0.1.
    with served({**env, "PORTFOLIO_TRUSTED_PROXIES": "10.0.0.0/8"}, tmp_path) as (_, url):
        assert _feed_url(url, token(url, "staff@example.org")).startswith("http://127.0.0.1:")


# -- workers exit with their supervisor ----------------------------------------------------------------


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found |= {child} | descendants(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; it waits only for its (new) parent to reap it


def port_free(url: str) -> bool:
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a server restarting on it would
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_killing_the_supervisor_outright_ends_its_workers_and_frees_the_port(tmp_path: Path):
    env = serve_env(f"sqlite:///{tmp_path / 'served.db'}")
    with served(env, tmp_path, "--workers", "2") as (server, url):
        deadline = time.monotonic() + 30
        while len(workers := descendants(server.pid)) < 2:
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        killed = time.monotonic()
        while any(alive(pid) for pid in workers) or not port_free(url):
            assert time.monotonic() - killed < 5, (
                f"still running 5 s after the supervisor was killed: {workers}"
            )
            time.sleep(0.1)
        gone_after = time.monotonic() - killed
    with served(env, tmp_path, port=int(url.rsplit(":", 1)[1])) as (_, again):  # the same port
        assert httpx.get(f"{again}/healthz", timeout=5).status_code == 200
    print(f"workers gone and port free {gone_after:.2f} s after kill -9 of the supervisor")


# -- PostgreSQL's connection budget --------------------------------------------------------------------


@pytest.mark.postgresql
def test_serve_warns_when_its_workers_cannot_fit_in_postgresqls_connections(pg_databases, tmp_path: Path):
    url = pg_databases.create()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            found = server_connections(conn)
        assert found.max_connections > 0 and found.in_use >= 1
        too_many = found.max_connections // 2 + 1  # two workers' pools and overflows: over max_connections
        assert connections.check(engine, workers=2, pool_size=too_many) is not None
        assert connections.check(engine, workers=1, pool_size=1) is None
    finally:
        engine.dispose()
    env = serve_env(url, db_pool_size=str(too_many))
    with served(env, tmp_path, "--workers", "2") as (server, _):
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    assert f"2 worker(s) × 2 × PORTFOLIO_DB_POOL_SIZE={too_many} may open {4 * too_many}" in output, output
    assert f"the server allows {found.max_connections} (max_connections)" in output
    assert "hosts × workers × 2 × PORTFOLIO_DB_POOL_SIZE + reserve ≤ max_connections" in output
    with served(serve_env(url, db_pool_size="1"), tmp_path) as (server, _):
        server.terminate()
        assert "warning" not in server.communicate(timeout=30)[0].decode()


# -- what reaches the log --------------------------------------------------------------------------------


def test_a_calendar_feeds_token_never_reaches_the_access_log(tmp_path: Path):
    env = serve_env(f"sqlite:///{tmp_path / 'served.db'}")
    create_account(env, tmp_path, "staff@example.org")
    with served(env, tmp_path, "--workers", "2") as (server, url):
        feed = _feed_url(url, token(url, "staff@example.org"))
        secret = feed.split("token=", 1)[1]
        for _ in range(4):  # both workers, most likely
            assert httpx.get(feed.replace("https://", "http://"), timeout=10).status_code == 200
        server.terminate()
        output, _ = server.communicate(timeout=30)
    log = output.decode()
    assert 'GET /api/v1/calendar.ics?token=[redacted] HTTP/1.1" 200' in log, log
    assert secret not in log
