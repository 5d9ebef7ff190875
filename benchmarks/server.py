"""Serving an app for real: ``uvicorn`` in a subprocess on 127.0.0.1, a free port, one worker.

The app and the bare constant route are started by the same command line (only the app factory
differs), so that they share the event loop, HTTP parser, worker count and logging settings."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from benchmarks.common import ARGON2_MEMORY_KIB, ARGON2_TIME_COST, PASSWORD, SECRET_KEY, STAFF

ROOT = Path(__file__).resolve().parent.parent
APP = "portfolio.main:create_app"
BARE_APP = "benchmarks.bare_app:create_app"
START_TIMEOUT_S = 90.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SESSION_COOKIE = "portfolio_session"  # portfolio.web.session.COOKIE
LOGIN_CSRF_COOKIE = "portfolio_login_csrf"  # portfolio.web.session.LOGIN_CSRF_COOKIE


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTFOLIO_")}
    env.update(
        {
            "PORTFOLIO_DATABASE_URL": database_url,
            "PORTFOLIO_SECRET_KEY": SECRET_KEY,
            "PORTFOLIO_ARGON2_TIME_COST": str(ARGON2_TIME_COST),
            "PORTFOLIO_ARGON2_MEMORY_KIB": str(ARGON2_MEMORY_KIB),
            # Migrated beforehand, as `portfolio serve` does before it starts its workers.
            "PORTFOLIO_MIGRATE_ON_START": "false",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(extra or {})
    return env


def children_of(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the direct children of ``pid``: psutil when installed, /proc otherwise."""
    try:
        import psutil  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        pass
    else:
        found_by_psutil = []
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(pid).children():
                with contextlib.suppress(psutil.Error):
                    found_by_psutil.append((child.pid, " ".join(child.cmdline())))
        return found_by_psutil
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # The command name (field 2) may hold spaces and parentheses: the fields after it follow the last ")".
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append((int(entry.name), cmdline.strip()))
    return found


def uvicorn_workers(supervisor: int) -> list[int]:
    """The worker processes of uvicorn's supervisor (spawned by multiprocessing), not its resource tracker."""
    return sorted(pid for pid, cmd in children_of(supervisor) if "spawn_main" in cmd)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (Linux /proc), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # Fields 14 and 15 of stat (utime, stime); the split above starts at field 3.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class Server:
    """``python -m uvicorn FACTORY --factory --workers N`` on a free port; stopped on exit, come what may.

    With one worker uvicorn serves in its own process; with more, a supervisor starts the workers."""

    def __init__(
        self,
        factory: str,
        env: dict[str, str],
        log_path: Path,
        workers: int = 1,
        log_level: str = "warning",
    ) -> None:
        self.factory = factory
        self.env = env
        self.log_path = log_path
        self.workers = workers
        self.log_level = log_level
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "uvicorn", self.factory, "--factory",
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers),
            "--proxy-headers", "--no-access-log", "--log-level", self.log_level,
        ]  # fmt: skip

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # Ctrl-C reaches us, and we stop it ourselves
            )
        finally:
            log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        with httpx.Client(base_url=self.base_url, timeout=5.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.factory} exited with {self.process.returncode}: {self.tail()}")
                try:
                    if client.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"{self.factory} did not answer /healthz within {START_TIMEOUT_S:.0f} s: {self.tail()}"
        )

    def tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"{self.factory} is not running")
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of the server process and its live workers (a killed worker's
        share is lost); with one worker, uvicorn serves in-process."""
        if self.process is None:
            return 0.0
        pid = self.process.pid
        workers = children_of(pid) if self.workers > 1 else []
        return process_cpu_seconds(pid) + sum(process_cpu_seconds(child) for child, _ in workers)

    def rss_bytes(self) -> int:
        if self.process is None:
            return 0
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
        if self.workers > 1:
            # Workers left behind by a supervisor that died first are in the same process group.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)


def bearer_token(client: httpx.Client, email: str = STAFF) -> dict[str, str]:
    """Log in through the token endpoint (OAuth2 password form); the Authorization header to send."""
    response = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def dashboard_cookie(client: httpx.Client, email: str = STAFF) -> dict[str, str]:
    """Log in through the site's login form, as a person does: GET /login for the form's CSRF token and
    its cookie, then POST the form; the Cookie header to send (the session cookie is path=/, for the
    staff pages and the dashboards alike)."""
    form = client.get("/login", params={"next": "/dashboards/funding"})
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    login_csrf = form.cookies.get(LOGIN_CSRF_COOKIE)
    if form.status_code != 200 or found is None or login_csrf is None:
        raise RuntimeError(f"login form unavailable: {form.status_code} {form.text[:200]}")
    client.cookies.clear()  # the form's cookie goes in the header, as a browser sends it
    response = client.post(
        "/login",
        data={
            "email": email,
            "password": PASSWORD,
            "next": "/dashboards/funding",
            "csrf_token": found.group(1),
        },
        headers={"Cookie": f"{LOGIN_CSRF_COOKIE}={login_csrf}"},
        follow_redirects=False,
    )
    if response.status_code != 303 or SESSION_COOKIE not in response.cookies:
        raise RuntimeError(f"login failed: {response.status_code} {response.text[:200]}")
    client.cookies.clear()  # the caller sends the session cookie itself, in the header returned
    return {"Cookie": f"{SESSION_COOKIE}={response.cookies[SESSION_COOKIE]}"}
