"""Load test: a real server, 32 concurrent clients for about a minute, then the database is checked.

    python benchmarks/load.py --db sqlite|postgresql [--workers N] [--clients 32] [--duration 60]
        [--fault none|kill-worker|restart-postgres] [--pg-url URL] [--pg-restart-cmd "…"] [--json FILE]

It prepares a fresh database (a SQLite file in a temporary folder, or a throw-away PostgreSQL database
``load_<random>`` on the server of ``--pg-url``, dropped at the end), fills it with
``portfolio demo-data --synthetic``, starts ``portfolio serve --workers N`` on a free port of 127.0.0.1 and
waits for ``/healthz``. Then the clients (asyncio + httpx) create pledges and projects, add receipts (some
deliberately past the pledge, to provoke 409s), PATCH pledges and projects with ``If-Match`` (from a fresh
GET, and sometimes stale on purpose, to provoke 412s), move projects through their lifecycle, list
projects and pledges with filters and read the dashboards (logged in through their login form). Every
request is logged: operation, method, path, status, latency and, for every acknowledged write, what it
wrote.

Afterwards the database itself is read (SQLAlchemy with plain SQL, not the API) and the run PASSES only if

* no response was a 5xx and no request hung past the client timeout (connection errors to a killed worker
  are counted on their own: they acknowledge nothing);
* every acknowledged pledge, project and receipt is stored, by id, with the acknowledged amount; nothing
  new is stored that no request wrote (a write whose answer was lost with a killed worker may or may not
  have happened: it is matched, and reported, as "in doubt");
* no pledge holds more receipts than its amount, and for every pledge that got acknowledged receipts, the
  stored sum grew by exactly the acknowledged amounts;
* the last acknowledged version of every record is at most the stored one, and when they are equal the
  stored fields are the acknowledged ones;
* no write answered 412 (or any other error) left a trace: neither in the record nor in the audit trail.

Faults, half-way through the run: ``kill-worker`` sends SIGKILL to one uvicorn worker process (not the
supervisor; PostgreSQL with two or more workers); ``restart-postgres`` runs ``--pg-restart-cmd`` (on a
throw-away cluster, never the one other people use), during which requests must get 503 problem+json
answers, never a 500 or a hang, and succeed again afterwards without restarting the app.

The script needs the project installed (``.venv/bin/python benchmarks/load.py``); it imports nothing from
the ``benchmarks`` package, and nothing from the application but what it runs as a separate process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRET_KEY = "load-test-signing-key-not-for-production-0123456789"  # noqa: S105 - a throw-away server
PASSWORD = "demo-password"  # noqa: S105 - the documented password of the synthetic sample accounts
STAFF, MANAGER, DONOR = "staff@example.org", "manager@example.org", "donor.deu@example.org"
CENT = Decimal("0.01")
CLIENT_TIMEOUT_S = 30.0
PIPELINE = ["requested", "assessment", "planning", "seeking_funding", "implementation", "completed"]
HOLDABLE = {"assessment", "planning", "seeking_funding", "implementation"}
FINAL = {"completed", "cancelled"}
BENEFICIARIES = ["SRB", "BIH", "MKD", "MDA", "UKR", "GEO", "ARM", "KGZ", "TJK", "MNE", "ALB", "KAZ", "UZB"]
DONORS = ["DEU", "FRA", "USA", "GBR", "SWE", "NOR", "CHE", "ITA", "NLD", "AUT", "CAN", "JPN", "FIN", "DNK"]
DASHBOARD_PAGES = ["funding", "gaps", "progress", "national-processes", "data-quality"]

# What the clients do, with weights. A write preceded by a GET logs the GET as its own operation.
OPERATIONS: dict[str, int] = {
    "list_projects": 12,
    "list_pledges": 10,
    "get_project": 5,
    "dashboard": 5,
    "create_pledge": 10,
    "create_project": 3,
    "add_receipt": 16,
    "patch_pledge": 10,
    "patch_pledge_amount_blind": 2,
    "patch_project": 8,
    "transition": 10,
}
# The answers each operation may get (besides a 503 while the database is away). Anything else is a bug,
# of the app or of this script: a 409 on a transition read a moment before, a 422 on a body built here.
EXPECTED: dict[str, set[int]] = {
    "login": {200},
    "dashboard_login": {303},
    "create_pledge": {201, 409},  # 409: the project was cancelled meanwhile
    "create_project": {201},
    "add_receipt": {201, 409},  # 409: other receipts got there first
    "add_receipt_over": {201, 409},  # 201: the pledge grew meanwhile
    "patch_pledge": {200, 412},
    "patch_pledge_blind": {200, 409},  # 409: receipts arrived meanwhile, past the new amount
    "patch_project": {200, 412},
    "transition": {200, 412},
    "patch_pledge_stale": {412},
    "patch_project_stale": {412},
    "transition_stale": {412},
}
READ_STATUSES = {200}
STALE_SHARE = 0.2  # of the If-Match PATCHes, how many send an old ETag on purpose
OVER_SHARE = 0.2  # of the receipts, how many ask for more than the pledge has outstanding
HOT_PLEDGES = 24  # receipts mostly go to a few pledges, so that clients race on them


# -- the request log ----------------------------------------------------------------------------------


@dataclass
class Call:
    """One request as a client saw it. ``status`` is None when no answer came (connection error, timeout)."""

    client: int
    op: str
    method: str
    path: str
    status: int | None
    started: float  # seconds since the load started
    latency: float
    error: str = ""
    content_type: str = ""
    retry_after: str | None = None
    marker: str = ""  # the unique text a write carried (note, description), to trace it in the database
    intent: str = ""  # "stale" / "over" for requests meant to be refused
    wrote: dict[str, Any] | None = None  # for an acknowledged write: what the answer says was stored
    sent: dict[str, Any] | None = None  # for a write: what was asked, to match writes left in doubt

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v not in (None, "") or k == "status"}


@dataclass
class Fault:
    kind: str
    at: float = math.nan  # seconds since the load started
    ended: float = math.nan
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class World:
    """What the clients know of the portfolio, shared between them (one event loop: no locks needed)."""

    open_projects: list[int]  # not cancelled: they take pledges
    movable_projects: set[int]  # not final: they may change status
    all_projects: list[int]
    pledges: list[int]  # not withdrawn: they take receipts
    hot: list[int]
    rate_months: list[tuple[str, str]]  # (currency, YYYY-MM) with a recorded rate
    run: str
    deadline: float
    max_requests: int
    calls: list[Call] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    t0: float = 0.0
    sent: int = 0

    def now(self) -> float:
        return time.monotonic() - self.t0

    def done(self) -> bool:
        return time.monotonic() >= self.deadline or self.sent >= self.max_requests


# -- one client -----------------------------------------------------------------------------------------


class Client:
    def __init__(self, number: int, base_url: str, world: World, seed: int) -> None:
        self.number = number
        self.world = world
        self.rng = random.Random(seed)  # noqa: S311 - load generation, not cryptography
        self.http = httpx.AsyncClient(
            base_url=base_url, timeout=httpx.Timeout(CLIENT_TIMEOUT_S, connect=5.0), follow_redirects=False
        )
        self.token: str | None = None
        self.dashboard_login: str | None = None
        self.seq = 0
        self.last: Call | None = None

    def marker(self) -> str:
        self.seq += 1
        return f"<load:{self.world.run}:c{self.number}:{self.seq}>"

    async def close(self) -> None:
        await self.http.aclose()

    async def call(
        self,
        op: str,
        method: str,
        path: str,
        *,
        marker: str = "",
        intent: str = "",
        sent: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> httpx.Response | None:
        world = self.world
        world.sent += 1
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token and not path.startswith("/dashboards"):
            headers["Authorization"] = f"Bearer {self.token}"
        started = world.now()
        call = Call(
            self.number, op, method, path, None, started, 0.0, marker=marker, intent=intent, sent=sent
        )
        response: httpx.Response | None = None
        try:
            response = await self.http.request(method, path, headers=headers, **kwargs)
        except httpx.TimeoutException as exc:
            call.error = f"timeout: {type(exc).__name__}"
        except httpx.TransportError as exc:
            call.error = f"connection: {type(exc).__name__}: {exc}"
        call.latency = world.now() - started
        if response is not None:
            call.status = response.status_code
            call.content_type = response.headers.get("content-type", "")
            call.retry_after = response.headers.get("retry-after")
        world.calls.append(call)
        self.last = call
        if response is not None and response.status_code == 503:
            await asyncio.sleep(0.25)  # a polite client backs off (the answer says Retry-After)
        return response

    async def log_in(self) -> None:
        for _ in range(60):
            response = await self.call(
                "login", "POST", "/api/v1/auth/token", data={"username": STAFF, "password": PASSWORD}
            )
            if response is not None and response.status_code == 200:
                self.token = response.json()["access_token"]
                return
            await asyncio.sleep(0.5)
        raise RuntimeError(f"client {self.number} could not log in")

    async def run(self) -> None:
        await self.log_in()
        names = list(OPERATIONS)
        weights = list(OPERATIONS.values())
        while not self.world.done():
            op = self.rng.choices(names, weights)[0]
            try:
                await getattr(self, op)()
            except Exception as exc:  # a bug of this script: counted, reported, and the run goes on
                self.world.script_errors.append(f"{op}: {type(exc).__name__}: {exc}")

    # -- reads ----------------------------------------------------------------------------------------

    async def list_projects(self) -> None:
        rng = self.rng
        params: dict[str, Any] = {"limit": rng.choice([10, 50, 100, 200])}
        for name, values in (
            ("status", ["seeking_funding", "implementation", "completed", "requested"]),
            ("area", ["SALW", "SCA"]),
            ("beneficiary", BENEFICIARIES),
            ("funding", ["underfunded", "funded"]),
            ("sort", ["code", "-budget_eur", "gap_eur", "-request_date", "title"]),
            ("q", ["SYN", "LOAD", "depot", "1"]),
            ("donor", DONORS[:5]),
        ):
            if rng.random() < 0.3:
                params[name] = rng.choice(values)
        if rng.random() < 0.3:
            params["offset"] = rng.randrange(0, 400)
        await self.call("list_projects", "GET", "/api/v1/projects", params=params)

    async def list_pledges(self) -> None:
        rng = self.rng
        params: dict[str, Any] = {"limit": rng.choice([20, 50, 100, 500])}
        for name, values in (
            ("donor", DONORS),
            ("status", ["pledged", "committed", "paid", "withdrawn"]),
            ("currency", ["EUR", "USD", "GBP", "CHF"]),
            ("year", list(range(2012, 2027))),
        ):
            if rng.random() < 0.3:
                params[name] = rng.choice(values)
        if rng.random() < 0.2:
            params["project_id"] = rng.choice(self.world.all_projects)
        await self.call("list_pledges", "GET", "/api/v1/pledges", params=params)

    async def get_project(self) -> None:
        await self.call("get_project", "GET", f"/api/v1/projects/{self.rng.choice(self.world.all_projects)}")

    async def dashboard(self) -> None:
        rng = self.rng
        donor_view = rng.random() < 0.2
        account = DONOR if donor_view else MANAGER
        if self.dashboard_login != account:
            self.http.cookies.clear()
            self.dashboard_login = None
            response = await self.call(
                "dashboard_login",
                "POST",
                "/dashboards/login",
                data={"email": account, "password": PASSWORD, "next": "/dashboards"},
            )
            if response is None or response.status_code != 303:
                return
            self.dashboard_login = account
        params: dict[str, Any] = {}
        if rng.random() < 0.4:
            params["year_from"] = rng.randrange(2010, 2022)
        if rng.random() < 0.3:
            params["area"] = rng.choice(["SALW", "SCA"])
        if rng.random() < 0.2:
            params["beneficiary"] = rng.choice(BENEFICIARIES)
        if rng.random() < 0.2:
            params["lang"] = "fr"
        path = "/dashboards/donors/DEU" if donor_view else f"/dashboards/{rng.choice(DASHBOARD_PAGES)}"
        await self.call("dashboard", "GET", path, params=params)

    # -- writes ---------------------------------------------------------------------------------------

    async def create_pledge(self) -> None:
        rng, world = self.rng, self.world
        if not world.open_projects:
            return
        project_id = rng.choice(world.open_projects)
        amount = (Decimal(rng.randrange(100_000, 20_000_000)) * CENT).quantize(CENT)
        if rng.random() < 0.75 or not world.rate_months:
            currency, pledged_on = "EUR", date.today() - timedelta(days=rng.randrange(0, 2000))
        else:
            currency, month = rng.choice(world.rate_months)
            first = date(int(month[:4]), int(month[5:]), 1)
            pledged_on = min(first + timedelta(days=rng.randrange(0, 28)), date.today())
        marker = self.marker()
        body = {
            "project_id": project_id,
            "donor": rng.choice(DONORS),
            "amount": str(amount),
            "currency": currency,
            "pledged_on": pledged_on.isoformat(),
            "status": rng.choice(["pledged", "committed", "committed"]),
            "note": marker,
        }
        response = await self.call(
            "create_pledge", "POST", "/api/v1/pledges", json=body, marker=marker, sent=body
        )
        if response is not None and response.status_code == 201:
            pledge = response.json()
            self._wrote(
                {
                    "entity": "pledge",
                    "id": pledge["id"],
                    "amount": pledge["amount"],
                    "version": pledge["version"],
                    "note": pledge["note"],
                    "status": pledge["status"],
                }
            )
            world.pledges.append(pledge["id"])
            if rng.random() < 0.3:
                world.hot[rng.randrange(len(world.hot))] = pledge["id"]

    async def create_project(self) -> None:
        rng, world = self.rng, self.world
        marker = self.marker()
        body = {
            "code": f"LOAD-{world.run}-{self.number}-{self.seq}",
            "title": "Load test: depot security upgrade",
            "description": marker,
            "areas": rng.sample(["SALW", "SCA"], rng.randint(1, 2)),
            "activity_types": ["stockpile_security"],
            "beneficiaries": [rng.choice(BENEFICIARIES)],
            "request_date": (date.today() - timedelta(days=rng.randrange(30, 900))).isoformat(),
            "budget_eur": str(Decimal(rng.randrange(50_000, 2_000_000))),
        }
        response = await self.call(
            "create_project", "POST", "/api/v1/projects", json=body, marker=marker, sent=body
        )
        if response is not None and response.status_code == 201:
            project = response.json()
            self._wrote_project(project)
            world.open_projects.append(project["id"])
            world.movable_projects.add(project["id"])
            world.all_projects.append(project["id"])

    def _wrote(self, what: dict[str, Any]) -> None:
        assert self.last is not None
        self.last.wrote = what

    def _wrote_project(self, project: dict[str, Any]) -> None:
        self._wrote(
            {
                "entity": "project",
                "id": project["id"],
                "version": project["version"],
                "title": project["title"],
                "description": project["description"],
                "status": project["status"],
            }
        )

    def _pick_pledge(self) -> int | None:
        world = self.world
        if self.rng.random() < 0.7 and world.hot:
            return self.rng.choice(world.hot)
        return self.rng.choice(world.pledges) if world.pledges else None

    async def _get_pledge(self, pledge_id: int) -> dict[str, Any] | None:
        response = await self.call("get_pledge", "GET", f"/api/v1/pledges/{pledge_id}")
        if response is None or response.status_code != 200:
            return None
        pledge: dict[str, Any] = response.json()
        return pledge

    async def add_receipt(self) -> None:
        rng = self.rng
        pledge_id = self._pick_pledge()
        if pledge_id is None:
            return
        pledge = await self._get_pledge(pledge_id)
        if pledge is None or pledge["status"] == "withdrawn":
            return
        outstanding = Decimal(pledge["outstanding"])
        over = rng.random() < OVER_SHARE or outstanding <= 0
        if over:
            amount = outstanding + (Decimal(rng.randrange(1, 100_000)) * CENT)
        else:
            amount = max(CENT, (outstanding * Decimal(rng.uniform(0.05, 0.6))).quantize(CENT))
        # The pledge's own date: never in the future, and its month has a rate for the currency.
        body = {"amount": str(amount), "received_on": pledge["pledged_on"]}
        response = await self.call(
            "add_receipt_over" if over else "add_receipt",
            "POST",
            f"/api/v1/pledges/{pledge_id}/receipts",
            json=body,
            intent="over" if over else "",
            sent={"pledge_id": pledge_id, **body},
        )
        if response is not None and response.status_code == 201:
            receipt = response.json()
            self._wrote(
                {
                    "entity": "receipt",
                    "id": receipt["id"],
                    "pledge_id": receipt["pledge_id"],
                    "amount": receipt["amount"],
                }
            )

    def _if_match(self, version: int, stale: bool) -> str:
        return f'"{version - 1 if stale else version}"'

    async def patch_pledge(self) -> None:
        rng = self.rng
        pledge_id = self._pick_pledge()
        if pledge_id is None:
            return
        pledge = await self._get_pledge(pledge_id)
        if pledge is None:
            return
        stale = rng.random() < STALE_SHARE
        marker = self.marker()
        body: dict[str, Any] = {"note": marker}
        if rng.random() < 0.3:
            body["amount"] = str(Decimal(pledge["amount"]) + Decimal(rng.randrange(100, 5000)))
        if pledge["status"] == "pledged" and rng.random() < 0.3:
            body["status"] = "committed"
        await self._patch_pledge(
            "patch_pledge_stale" if stale else "patch_pledge",
            pledge_id,
            body,
            marker,
            {"If-Match": self._if_match(pledge["version"], stale)},
            stale,
        )

    async def patch_pledge_amount_blind(self) -> None:
        """Cut a pledge to just above what it has received, without If-Match: races the receipts on it."""
        pledge_id = self._pick_pledge()
        if pledge_id is None:
            return
        pledge = await self._get_pledge(pledge_id)
        if pledge is None or pledge["status"] == "withdrawn":
            return
        marker = self.marker()
        amount = Decimal(pledge["received"]) + Decimal(self.rng.randrange(1, 500_000)) * CENT
        body = {"note": marker, "amount": str(amount)}
        await self._patch_pledge("patch_pledge_blind", pledge_id, body, marker, {}, False)

    async def _patch_pledge(
        self, op: str, pledge_id: int, body: dict[str, Any], marker: str, headers: dict[str, str], stale: bool
    ) -> None:
        response = await self.call(
            op,
            "PATCH",
            f"/api/v1/pledges/{pledge_id}",
            json=body,
            headers=headers,
            marker=marker,
            intent="stale" if stale else "",
            sent={"pledge_id": pledge_id, **body},
        )
        if response is not None and response.status_code == 200:
            pledge = response.json()
            self._wrote(
                {
                    "entity": "pledge",
                    "id": pledge["id"],
                    "amount": pledge["amount"],
                    "version": pledge["version"],
                    "note": pledge["note"],
                    "status": pledge["status"],
                }
            )

    async def _get_project(self, project_id: int) -> dict[str, Any] | None:
        response = await self.call("get_project", "GET", f"/api/v1/projects/{project_id}")
        if response is None or response.status_code != 200:
            return None
        project: dict[str, Any] = response.json()
        return project

    async def patch_project(self) -> None:
        rng = self.rng
        project_id = rng.choice(self.world.all_projects)
        project = await self._get_project(project_id)
        if project is None:
            return
        stale = rng.random() < STALE_SHARE
        marker = self.marker()
        body: dict[str, Any] = {"description": marker}
        if rng.random() < 0.3:
            body["title"] = f"Load test edit {self.number}-{self.seq}"
        if rng.random() < 0.2:
            body["budget_eur"] = str(Decimal(rng.randrange(50_000, 3_000_000)))
        response = await self.call(
            "patch_project_stale" if stale else "patch_project",
            "PATCH",
            f"/api/v1/projects/{project_id}",
            json=body,
            headers={"If-Match": self._if_match(project["version"], stale)},
            marker=marker,
            intent="stale" if stale else "",
            sent={"project_id": project_id, **body},
        )
        if response is not None and response.status_code == 200:
            self._wrote_project(response.json())

    async def transition(self) -> None:
        rng, world = self.rng, self.world
        if not world.movable_projects:
            return
        project_id = rng.choice(sorted(world.movable_projects))
        project = await self._get_project(project_id)
        if project is None:
            return
        current = project["status"]
        if current in FINAL:
            world.movable_projects.discard(project_id)
            return
        if current == "on_hold":
            response = await self.call("get_history", "GET", f"/api/v1/projects/{project_id}/history")
            if response is None or response.status_code != 200:
                return
            holds = [c for c in response.json() if c["to"] == "on_hold"]
            to = holds[-1]["from"] if holds and rng.random() < 0.95 else "cancelled"
        else:
            roll = rng.random()
            if roll < 0.03:
                to = "cancelled"
            elif roll < 0.15 and current in HOLDABLE:
                to = "on_hold"
            else:
                to = PIPELINE[PIPELINE.index(current) + 1]
        stale = rng.random() < STALE_SHARE / 2
        marker = self.marker()
        response = await self.call(
            "transition_stale" if stale else "transition",
            "POST",
            f"/api/v1/projects/{project_id}/transitions",
            json={"to": to, "note": marker},
            headers={"If-Match": self._if_match(project["version"], stale)},
            marker=marker,
            intent="stale" if stale else "",
            sent={"project_id": project_id, "to": to},
        )
        if response is not None and response.status_code == 200:
            moved = response.json()
            self._wrote_project(moved)
            if moved["status"] in FINAL:
                world.movable_projects.discard(project_id)
            if moved["status"] == "cancelled" and project_id in world.open_projects:
                world.open_projects.remove(project_id)


# -- processes: the server, the database, the fault ---------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def portfolio_command() -> list[str]:
    script = Path(sys.executable).parent / "portfolio"
    return [str(script)] if script.exists() else [sys.executable, "-m", "portfolio.cli"]


def app_env(database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTFOLIO_")}
    env.update(
        {
            "PORTFOLIO_DATABASE_URL": database_url,
            "PORTFOLIO_SECRET_KEY": SECRET_KEY,
            "PORTFOLIO_ARGON2_TIME_COST": "1",
            "PORTFOLIO_ARGON2_MEMORY_KIB": "1024",
            "PORTFOLIO_LOGIN_MAX_FAILURES": "1000",
            "PYTHONUNBUFFERED": "1",
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (Linux /proc), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    def __init__(self, database_url: str, workers: int, workdir: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own command, no shell
            [
                *portfolio_command(),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            env=app_env(database_url, env),
            cwd=workdir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl-C reaches us, and we stop it whole
        )

    def wait_healthy(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the server did not become healthy in {timeout:.0f} s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """CPU used so far by the server and its live workers (a killed worker's share is lost)."""
        pid = self.process.pid
        return cpu_seconds(pid) + sum(cpu_seconds(child) for child, _ in children_of(pid))

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        # Workers left behind by a supervisor that died first are in the same process group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()


class PostgresDatabase:
    """A throw-away database ``load_<random>`` on the server of ``server_url``, dropped by :meth:`drop`."""

    def __init__(self, server_url: str) -> None:
        self.server_url: URL = make_url(server_url)
        self.name = f"load_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = self.server_url.set(database=self.name).render_as_string(hide_password=False)

    def drop(self) -> None:
        for attempt in range(20):  # the server may be restarting when we get here
            try:
                with self.admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
                break
            except Exception:
                if attempt == 19:
                    raise
                time.sleep(0.5)
        self.admin.dispose()


def fill(database_url: str, workdir: Path, projects: int, pledges: int) -> str:
    done = subprocess.run(  # noqa: S603 - our own command, no shell
        [
            *portfolio_command(),
            "demo-data",
            "--synthetic",
            "--projects",
            str(projects),
            "--pledges",
            str(pledges),
        ],
        env=app_env(database_url),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"demo-data failed ({done.returncode}): {done.stdout}{done.stderr}")
    return done.stdout.strip()


# -- reading the database -------------------------------------------------------------------------------


class Store:
    """Reads the database with plain SQL. SQLite keeps money as integer cents, PostgreSQL as NUMERIC."""

    def __init__(self, database_url: str) -> None:
        self.engine: Engine = create_engine(database_url, poolclass=NullPool)
        self.sqlite = self.engine.dialect.name == "sqlite"

    def money(self, value: Any) -> Decimal:
        if value is None:
            return Decimal("0.00")
        if self.sqlite:
            return (Decimal(int(value)) / 100).quantize(CENT)
        return Decimal(value).quantize(CENT)

    def rows(self, sql: str) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql)))

    def dispose(self) -> None:
        self.engine.dispose()


@dataclass
class Snapshot:
    max_ids: dict[str, int]
    receipt_sums: dict[int, Decimal]


def snapshot(store: Store) -> Snapshot:
    max_ids = {
        table: int(store.rows(f"SELECT COALESCE(MAX(id), 0) FROM {table}")[0][0])  # noqa: S608 - fixed names
        for table in ("project", "pledge", "receipt", "audit_entry")
    }
    sums = {
        int(r[0]): store.money(r[1])
        for r in store.rows("SELECT pledge_id, SUM(amount) FROM receipt GROUP BY 1")
    }
    return Snapshot(max_ids, sums)


def world_from(store: Store, run: str, deadline: float, max_requests: int, seed: int) -> World:
    rng = random.Random(seed)  # noqa: S311
    projects = store.rows("SELECT id, status FROM project ORDER BY id")
    pledges = [int(r[0]) for r in store.rows("SELECT id FROM pledge WHERE status <> 'withdrawn' ORDER BY id")]
    outstanding = [
        int(r[0])
        for r in store.rows(
            "SELECT p.id FROM pledge p"
            " LEFT JOIN (SELECT pledge_id, SUM(amount) AS s FROM receipt GROUP BY 1) r ON r.pledge_id = p.id"
            " WHERE p.status IN ('pledged', 'committed') AND COALESCE(r.s, 0) < p.amount ORDER BY p.id"
        )
    ]
    months = [(str(r[0]), str(r[1])) for r in store.rows("SELECT currency, month FROM exchange_rate")]
    today = date.today().strftime("%Y-%m")
    return World(
        open_projects=[int(i) for i, s in projects if s != "cancelled"],
        movable_projects={int(i) for i, s in projects if s not in FINAL},
        all_projects=[int(i) for i, _ in projects],
        pledges=pledges,
        hot=rng.sample(outstanding, min(HOT_PLEDGES, len(outstanding))),
        rate_months=[m for m in months if m[1] <= today],
        run=run,
        deadline=deadline,
        max_requests=max_requests,
    )


# -- the checks -------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    numbers: dict[str, Any] = field(default_factory=dict)

    def fail(self, reason: str) -> None:
        self.failures.append(reason)


def _sample(items: list[Any], n: int = 5) -> str:
    shown = ", ".join(str(i) for i in items[:n])
    return shown + (f" … ({len(items)} in all)" if len(items) > n else "")


OUTAGE_GRACE_S = 5.0  # after the restart command returns, the app has this long to reconnect


def check(
    calls: list[Call], store: Store, before: Snapshot, fault: str, outage: tuple[float, float] | None = None
) -> Verdict:
    """``outage``: while PostgreSQL was being restarted (seconds since the start): 503s are expected then."""
    verdict = Verdict()
    answered = [c for c in calls if c.status is not None]
    errors_5xx = [c for c in answered if c.status is not None and c.status >= 500]
    timeouts = [c for c in calls if c.error.startswith("timeout")]
    dropped = [c for c in calls if c.error.startswith("connection")]
    only_503 = all(c.status == 503 for c in errors_5xx)

    def during_outage(c: Call) -> bool:
        return (
            outage is not None
            and c.started <= outage[1] + OUTAGE_GRACE_S
            and c.started + c.latency >= outage[0]
        )

    expected = [c for c in errors_5xx if c.status == 503 and during_outage(c)]
    unexpected = [c for c in errors_5xx if c not in expected]
    if unexpected:
        by = Counter(f"{c.op} {c.status}" for c in unexpected)
        where = " outside the database outage" if outage is not None else ""
        verdict.fail(f"{len(unexpected)} responses{where} were 5xx: {dict(by)}")
    if outage is not None:
        verdict.numbers["expected_503_during_outage"] = len(expected)
    not_problem = [c for c in errors_5xx if not c.content_type.startswith("application/problem+json")]
    if not_problem:
        verdict.fail(f"{len(not_problem)} 5xx responses were not problem+json")
    no_retry = [c for c in errors_5xx if c.status == 503 and not c.retry_after]
    if no_retry:
        verdict.fail(f"{len(no_retry)} 503 responses had no Retry-After")
    if timeouts:
        verdict.fail(f"{len(timeouts)} requests got no answer within {CLIENT_TIMEOUT_S:.0f} s (a hang)")
    if dropped and fault != "kill-worker":
        verdict.fail(f"{len(dropped)} requests lost their connection without a fault being injected")
    verdict.numbers["connection_errors"] = len(dropped)
    verdict.numbers["only_503_among_5xx"] = only_503

    surprising = [
        c
        for c in answered
        if c.status is not None and c.status < 500 and c.status not in EXPECTED.get(c.op, READ_STATUSES)
    ]
    if surprising:
        by = Counter(f"{c.op} {c.status}" for c in surprising)
        verdict.fail(f"{len(surprising)} unexpected answers: {dict(by)}; e.g. {_sample(surprising, 2)}")

    # Writes the server acknowledged, and writes whose answer never came (they may or may not have happened).
    acked = [c for c in calls if c.wrote is not None]
    in_doubt = [c for c in calls if c.status is None and c.method != "GET" and c.sent is not None]
    verdict.numbers["acknowledged_writes"] = len(acked)
    verdict.numbers["writes_in_doubt"] = len(in_doubt)

    # Refused on purpose and yet written?
    for intent, refusal in (("stale", 412), ("over", 409)):
        meant = [c for c in answered if c.intent == intent]
        wrong = [c for c in meant if c.status is not None and 200 <= c.status < 300]
        verdict.numbers[f"{intent}_requests"] = len(meant)
        verdict.numbers[f"{intent}_refused_{refusal}"] = sum(c.status == refusal for c in meant)
        if intent == "stale" and wrong:
            verdict.fail(
                f"{len(wrong)} PATCH/transitions with a stale If-Match were accepted: {_sample(wrong)}"
            )
        if intent == "over" and wrong:
            verdict.notes.append(
                f"{len(wrong)} deliberately over-receiving receipts were accepted (the pledge grew "
                "meanwhile); the stored sums are checked below"
            )

    pledges: dict[int, tuple[Any, ...]] = {
        int(r[0]): (store.money(r[1]), int(r[2]), str(r[3]), str(r[4]))
        for r in store.rows("SELECT id, amount, version, note, status FROM pledge")
    }
    receipts = {
        int(r[0]): (int(r[1]), store.money(r[2]), str(r[3]))
        for r in store.rows("SELECT id, pledge_id, amount, received_on FROM receipt")
    }
    projects: dict[int, tuple[Any, ...]] = {
        int(r[0]): (int(r[1]), str(r[2]), str(r[3]), str(r[4]))
        for r in store.rows("SELECT id, version, title, description, status FROM project")
    }
    sums: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for pledge_id, amount, _ in receipts.values():
        sums[pledge_id] += amount

    # 1. No pledge over-received.
    over = [pid for pid, (amount, *_rest) in pledges.items() if sums[pid] > amount]
    if over:
        verdict.fail(f"{len(over)} pledges hold more receipts than their amount: {_sample(over)}")

    # 2. Every acknowledged receipt stored once, as acknowledged; nothing stored that nobody wrote.
    acked_receipts = {c.wrote["id"]: c.wrote for c in acked if c.wrote and c.wrote["entity"] == "receipt"}
    missing = [rid for rid in acked_receipts if rid not in receipts]
    if missing:
        verdict.fail(f"{len(missing)} acknowledged receipts are not stored: {_sample(missing)}")
    wrong_amount = [
        rid
        for rid, w in acked_receipts.items()
        if rid in receipts and (receipts[rid][0], receipts[rid][1]) != (w["pledge_id"], Decimal(w["amount"]))
    ]
    if wrong_amount:
        verdict.fail(
            f"{len(wrong_amount)} stored receipts differ from what was acknowledged: {_sample(wrong_amount)}"
        )
    doubtful_receipts = Counter(
        (c.sent["pledge_id"], Decimal(c.sent["amount"]), c.sent["received_on"])
        for c in in_doubt
        if c.op.startswith("add_receipt") and c.sent
    )
    new_receipts = [rid for rid in receipts if rid > before.max_ids["receipt"]]
    phantom, matched_doubt = [], 0
    for rid in new_receipts:
        if rid in acked_receipts:
            continue
        key = (receipts[rid][0], receipts[rid][1], receipts[rid][2])
        if doubtful_receipts[key] > 0:
            doubtful_receipts[key] -= 1
            matched_doubt += 1
        else:
            phantom.append(rid)
    if phantom:
        # A receipt whose request was answered with an error (a 503: "retry") and yet stored is worse
        # than a stray one: a client that retries, as told, pays twice.
        failed = Counter(
            (c.sent["pledge_id"], Decimal(c.sent["amount"]), c.sent["received_on"])
            for c in answered
            if c.op.startswith("add_receipt") and c.sent and c.status is not None and c.status >= 300
        )
        despite = [
            rid for rid in phantom if failed[(receipts[rid][0], receipts[rid][1], receipts[rid][2])] > 0
        ]
        if despite:
            verdict.fail(
                f"{len(despite)} receipts are stored although their request was answered with an error: "
                f"{_sample(despite)}"
            )
        if len(despite) < len(phantom):
            others = [rid for rid in phantom if rid not in despite]
            verdict.fail(f"{len(others)} receipts are stored that no request wrote: {_sample(others)}")
    verdict.numbers["receipts_acknowledged"] = len(acked_receipts)
    verdict.numbers["receipts_in_doubt_found_stored"] = matched_doubt

    # 3. For every pledge with acknowledged receipts: the stored sum grew by exactly those amounts.
    grew: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for w in acked_receipts.values():
        grew[w["pledge_id"]] += Decimal(w["amount"])
    for rid in new_receipts:
        if rid not in acked_receipts and rid not in phantom:
            grew[receipts[rid][0]] += receipts[rid][1]
    sum_wrong = [
        pid
        for pid, amount in grew.items()
        if sums[pid] - before.receipt_sums.get(pid, Decimal("0.00")) != amount
    ]
    if sum_wrong:
        verdict.fail(
            f"{len(sum_wrong)} pledges' stored receipts do not add up to what was acknowledged: "
            f"{_sample(sum_wrong)}"
        )
    verdict.numbers["pledges_with_acknowledged_receipts"] = len(grew)

    # 4. Pledges and projects: every acknowledged new one stored, nothing new that no request created, and
    # the last acknowledged version of each reflected.
    for entity, table in (("pledge", pledges), ("project", projects)):
        latest: dict[int, dict[str, Any]] = {}
        for c in acked:
            wrote = c.wrote
            if (
                wrote is not None
                and wrote["entity"] == entity
                and (wrote["id"] not in latest or wrote["version"] >= latest[wrote["id"]]["version"])
            ):
                latest[wrote["id"]] = wrote
        created = {c.wrote["id"] for c in acked if c.wrote and c.op == f"create_{entity}"}
        lost = sorted(i for i in created if i not in table)
        if lost:
            verdict.fail(f"{len(lost)} acknowledged new {entity}s are not stored: {_sample(lost)}")
        # A create whose answer was lost may have happened: it is then stored with the marker it carried.
        doubtful_creates = {c.marker for c in in_doubt if c.op == f"create_{entity}"}
        new = [i for i in table if i > before.max_ids[entity] and i not in created]
        unexplained = [i for i in new if table[i][2] not in doubtful_creates]  # the note / the description
        if unexplained:
            verdict.fail(
                f"{len(unexplained)} {entity}s are stored that no request created: {_sample(unexplained)}"
            )
        verdict.numbers[f"{entity}s_created_in_doubt_found_stored"] = len(new) - len(unexplained)
        # Records a write in doubt may have changed after their last acknowledged version.
        touched_in_doubt = {c.sent.get(f"{entity}_id") for c in in_doubt if c.sent is not None}
        behind: list[int] = []
        differs: list[Any] = []
        for i, w in latest.items():
            if i not in table:
                continue
            stored = table[i]
            if entity == "pledge":
                version = stored[1]
                values: dict[str, Any] = {"amount": stored[0], "note": stored[2], "status": stored[3]}
                want: dict[str, Any] = {
                    "amount": Decimal(w["amount"]),
                    "note": w["note"],
                    "status": w["status"],
                }
            else:
                version = stored[0]
                values = {"title": stored[1], "description": stored[2], "status": stored[3]}
                want = {"title": w["title"], "description": w["description"], "status": w["status"]}
            if version < w["version"]:
                behind.append(i)
            elif version == w["version"] and values != want:
                differs.append((i, want, values))
            elif version > w["version"] and i not in touched_in_doubt:
                if entity == "project":
                    # Only the writes of this script move a project's version: one that was not acknowledged?
                    differs.append((i, f"stored version {version} > last acknowledged {w['version']}"))
                elif values["amount"] != want["amount"] or values["note"] != want["note"]:
                    # A pledge's later versions come from receipts, which change neither amount nor note.
                    differs.append((i, want, values))
        if behind:
            verdict.fail(
                f"{len(behind)} {entity}s are stored at a version older than acknowledged: {_sample(behind)}"
            )
        if differs:
            verdict.fail(
                f"{len(differs)} {entity}s differ from their last acknowledged version: {_sample(differs, 3)}"
            )
        verdict.numbers[f"{entity}s_written_and_checked"] = len(latest)

    # 5. Refused writes (412, 409, …) left no trace; every acknowledged change is in the audit trail.
    audit_text = "\n".join(
        str(r[0])
        for r in store.rows(f"SELECT changes FROM audit_entry WHERE id > {before.max_ids['audit_entry']}")  # noqa: S608
    )
    stored_text = "\n".join(
        [p[2] for p in pledges.values()]
        + [p[2] for p in projects.values()]
        + [p[1] for p in projects.values()]
    )
    refused = [c for c in answered if c.marker and c.status is not None and c.status >= 300]
    leaked = [c for c in refused if c.marker in audit_text or c.marker in stored_text]
    if leaked:
        by = Counter(f"{c.op} {c.status}" for c in leaked)
        verdict.fail(f"{len(leaked)} refused writes left a trace in the database: {dict(by)}")
    unaudited = [c for c in acked if c.marker and c.marker not in audit_text]
    if unaudited:
        verdict.fail(
            f"{len(unaudited)} acknowledged writes are missing from the audit trail: {_sample(unaudited, 2)}"
        )
    verdict.numbers["refused_writes_checked"] = len(refused)
    return verdict


# -- reporting --------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summarise(calls: list[Call], elapsed: float) -> dict[str, Any]:
    per_op: dict[str, dict[str, Any]] = {}
    for op in sorted({c.op for c in calls}):
        mine = [c for c in calls if c.op == op]
        latencies = [c.latency for c in mine if c.status is not None]
        per_op[op] = {
            "requests": len(mine),
            "req_per_s": len(mine) / elapsed,
            "p50_ms": percentile(latencies, 0.50) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000,
            "max_ms": (max(latencies) if latencies else math.nan) * 1000,
            "statuses": dict(sorted(Counter(str(c.status or c.error.split(":")[0]) for c in mine).items())),
        }
    latencies = [c.latency for c in calls if c.status is not None]
    return {
        "requests": len(calls),
        "seconds": elapsed,
        "req_per_s": len(calls) / elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "statuses": dict(sorted(Counter(str(c.status or c.error.split(":")[0]) for c in calls).items())),
        "operations": per_op,
    }


def fault_findings(fault: Fault, calls: list[Call]) -> dict[str, Any]:
    found: dict[str, Any] = {"kind": fault.kind, "at_s": fault.at, **fault.detail}
    if fault.kind == "kill-worker":
        dropped = [c for c in calls if c.error.startswith("connection")]
        found["connection_errors"] = len(dropped)
        found["connection_errors_by_op"] = dict(Counter(c.op for c in dropped))
        found["writes_in_doubt"] = sum(1 for c in dropped if c.sent is not None)
        found["connection_error_kinds"] = dict(Counter(c.error.split(":")[1].strip() for c in dropped))
        after = [c for c in calls if c.started >= fault.at and c.status is not None and c.status < 500]
        found["successes_after_kill"] = sum(1 for c in after if c.status is not None and c.status < 400)
    if fault.kind == "restart-postgres" and not math.isnan(fault.at):
        down, up = fault.at, fault.ended
        unavailable = [c for c in calls if c.status == 503]
        found["restart_command_s"] = up - down
        found["responses_503"] = len(unavailable)
        found["responses_503_problem_json"] = sum(
            1 for c in unavailable if c.content_type.startswith("application/problem+json")
        )
        found["responses_500"] = sum(1 for c in calls if c.status == 500)
        overlapping = [c for c in calls if c.started <= up and c.started + c.latency >= down]
        found["requests_overlapping_outage"] = len(overlapping)
        found["longest_latency_during_outage_s"] = max((c.latency for c in overlapping), default=0.0)
        if unavailable:
            found["first_503_s"] = min(c.started + c.latency for c in unavailable)
            found["last_503_s"] = max(c.started + c.latency for c in unavailable)
        success_after = [
            c.started + c.latency
            for c in calls
            if c.started >= up and c.status is not None and c.status < 400 and c.op != "login"
        ]
        found["first_success_after_restart_s"] = (min(success_after) - up) if success_after else None
        last_503 = found.get("last_503_s")
        if last_503 is not None:
            later = [t for t in success_after if t >= last_503] or [
                c.started + c.latency
                for c in calls
                if c.started + c.latency >= last_503 and c.status is not None and c.status < 400
            ]
            found["first_success_after_last_503_s"] = (min(later) - last_503) if later else None
    return found


def print_report(summary: dict[str, Any], verdict: Verdict, fault: dict[str, Any] | None, title: str) -> None:
    out = sys.stdout
    out.write(f"\n== {title}\n")
    out.write(
        f"{summary['requests']} requests in {summary['seconds']:.1f} s: {summary['req_per_s']:.1f} req/s; "
        f"p50 {summary['p50_ms']:.1f} ms, p99 {summary['p99_ms']:.1f} ms\n"
    )
    out.write(f"statuses: {summary['statuses']}\n")
    cpu = summary.get("cpu")
    if cpu:
        seconds = summary["seconds"]
        out.write(
            f"CPU: server {cpu['server_cpu_s']:.1f} s ({cpu['server_cpu_s'] / seconds:.0%} of one core), "
            f"load script {cpu['load_script_cpu_s']:.1f} s ({cpu['load_script_cpu_s'] / seconds:.0%}), "
            f"{cpu['machine_cpus']} CPUs\n"
        )
    out.write("\n")
    out.write(
        f"{'operation':<28}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}  statuses\n"
    )
    for op, s in summary["operations"].items():
        out.write(
            f"{op:<28}{s['requests']:>9}{s['req_per_s']:>8.1f}{s['p50_ms']:>9.1f}{s['p99_ms']:>9.1f}"
            f"{s['max_ms']:>9.1f}  {s['statuses']}\n"
        )
    if fault:
        out.write("\nfault:\n")
        for key, value in fault.items():
            shown = f"{value:.3f}" if isinstance(value, float) else value
            out.write(f"  {key}: {shown}\n")
    out.write("\nchecks:\n")
    for key, value in verdict.numbers.items():
        out.write(f"  {key}: {value}\n")
    for note in verdict.notes:
        out.write(f"  note: {note}\n")
    if verdict.failures:
        out.write("\nFAIL\n")
        for reason in verdict.failures:
            out.write(f"  - {reason}\n")
    else:
        out.write("\nPASS\n")
    out.flush()


# -- the run ----------------------------------------------------------------------------------------------


async def inject(fault: Fault, server: Server, world: World, at: float, restart_cmd: str | None) -> None:
    await asyncio.sleep(max(0.0, at - world.now()))
    if fault.kind == "kill-worker":
        workers = uvicorn_workers(server.process.pid)
        if not workers:
            fault.detail["error"] = "no uvicorn worker process found"
            return
        victim = workers[0]
        fault.at = world.now()
        os.kill(victim, signal.SIGKILL)
        fault.detail.update(
            {"supervisor_pid": server.process.pid, "workers_before": workers, "killed_pid": victim}
        )
        # uvicorn's supervisor notices a dead worker within about half a second and spawns a new one.
        while world.now() - fault.at < 30:
            await asyncio.sleep(0.25)
            new = [pid for pid in uvicorn_workers(server.process.pid) if pid not in workers]
            if new:
                fault.detail["replacement_pid"] = new[0]
                fault.detail["replacement_seen_after_s"] = world.now() - fault.at
                break
        started = time.monotonic()
        while time.monotonic() - started < 30 and "replacement_pid" in fault.detail:
            if f"Started server process [{fault.detail['replacement_pid']}]" in server.log_path.read_text(
                errors="replace"
            ):
                fault.detail["replacement_serving_after_s"] = world.now() - fault.at
                break
            await asyncio.sleep(0.25)
        fault.detail["supervisor_alive"] = server.process.poll() is None
    elif fault.kind == "restart-postgres":
        assert restart_cmd is not None
        fault.at = world.now()
        # Output to a file, not a pipe: a server started by the command may keep a pipe open for ever.
        output_path = server.log_path.with_name("restart.log")
        with output_path.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                *shlex.split(restart_cmd), stdout=sink, stderr=asyncio.subprocess.STDOUT
            )
            await process.wait()
        fault.ended = world.now()
        fault.detail["restart_exit_code"] = process.returncode
        output = output_path.read_bytes()
        fault.detail["restart_output"] = " | ".join(output.decode(errors="replace").split("\n"))[-300:]


async def drive(
    base_url: str,
    world: World,
    clients: int,
    seed: int,
    fault: Fault,
    server: Server,
    restart_cmd: str | None,
    duration: float,
) -> float:
    pool = [Client(i, base_url, world, seed * 1000 + i) for i in range(clients)]
    world.t0 = time.monotonic()
    world.deadline = world.t0 + duration
    injector = (
        asyncio.create_task(inject(fault, server, world, duration / 2, restart_cmd))
        if fault.kind != "none"
        else None
    )
    try:
        results = await asyncio.gather(*(c.run() for c in pool), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        if injector is not None:
            await injector
    finally:
        if injector is not None and not injector.done():
            injector.cancel()
        for c in pool:
            await c.close()
    return world.now()


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], required=True)
    parser.add_argument(
        "--workers", type=int, help="server worker processes (default: 2 on PostgreSQL, 1 on SQLite)"
    )
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop after this many requests")
    parser.add_argument("--fault", choices=["none", "kill-worker", "restart-postgres"], default="none")
    parser.add_argument(
        "--pg-url", default=DEFAULT_PG_URL, help="a PostgreSQL server whose user may create databases"
    )
    parser.add_argument(
        "--pg-restart-cmd", help="the command that restarts that server (--fault restart-postgres)"
    )
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--pledges", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the summary as JSON to this file")
    parser.add_argument("--log", type=Path, help="write every request as one JSON line to this file")
    parser.add_argument("--server-log", type=Path, help="keep a copy of the server's output here")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra setting for the server, e.g. PORTFOLIO_SQLITE_BUSY_TIMEOUT_S=30 (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.workers is None:
        args.workers = 2 if args.db == "postgresql" else 1
    if args.fault == "kill-worker" and args.workers < 2:
        parser.error("--fault kill-worker needs --workers 2 or more (one must be left to serve)")
    if args.fault != "none" and args.db != "postgresql":
        parser.error(f"--fault {args.fault} is a PostgreSQL fault: use --db postgresql")
    if args.fault == "restart-postgres" and not args.pg_restart_cmd:
        parser.error("--fault restart-postgres needs --pg-restart-cmd")
    return args


@contextlib.contextmanager
def cleanup_on_signals() -> Iterator[None]:
    previous = {s: signal.signal(s, _terminate) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="portfolio-load-"))
    pg: PostgresDatabase | None = None
    server: Server | None = None
    store: Store | None = None
    title = f"{args.db}, {args.workers} worker(s), {args.clients} clients, fault {args.fault}"
    with cleanup_on_signals():
        try:
            if args.db == "sqlite":
                database_url = f"sqlite:///{workdir / 'portfolio.db'}"
            else:
                pg = PostgresDatabase(args.pg_url)
                database_url = pg.url
            print(f"database: {make_url(database_url).render_as_string(hide_password=True)}", flush=True)
            print(fill(database_url, workdir, args.projects, args.pledges), flush=True)
            store = Store(database_url)
            before = snapshot(store)
            run = uuid.uuid4().hex[:6]
            world = world_from(store, run, 0.0, args.max_requests, args.seed)
            extra_env = dict(item.split("=", 1) for item in args.server_env)
            server = Server(database_url, args.workers, workdir, extra_env)
            server.wait_healthy()
            print(
                f"server: {server.url} (pid {server.process.pid}); {args.clients} clients for "
                f"{args.duration:.0f} s",
                flush=True,
            )
            fault = Fault(args.fault)
            server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
            elapsed = asyncio.run(
                drive(
                    server.url,
                    world,
                    args.clients,
                    args.seed,
                    fault,
                    server,
                    args.pg_restart_cmd,
                    args.duration,
                )
            )
            server_alive = server.process.poll() is None
            cpu = {
                "load_script_cpu_s": time.process_time() - client_cpu,
                "server_cpu_s": server.cpu_seconds() - server_cpu,
                "machine_cpus": os.cpu_count(),
            }
            server.stop()
            if args.server_log:
                shutil.copyfile(server.log_path, args.server_log)
            calls = world.calls
            if args.log:
                with args.log.open("w") as log:
                    for c in calls:
                        log.write(json.dumps(c.as_json(), default=str) + "\n")
            outage = (fault.at, fault.ended) if fault.kind == "restart-postgres" else None
            verdict = check(calls, store, before, args.fault, outage)
            if world.script_errors:
                verdict.fail(
                    f"{len(world.script_errors)} errors in the load script itself: "
                    f"{_sample(sorted(set(world.script_errors)), 3)}"
                )
            if not server_alive:
                verdict.fail("the server process had exited before the end of the run")
            if fault.kind != "none" and math.isnan(fault.at):
                verdict.fail(f"the fault was not injected: {fault.detail}")
            findings = fault_findings(fault, calls) if fault.kind != "none" else None
            if fault.kind == "restart-postgres" and findings is not None:
                if findings.get("restart_exit_code") != 0:
                    verdict.fail(f"the restart command failed: {findings.get('restart_output')}")
                if findings.get("first_success_after_restart_s") is None:
                    verdict.fail("no request succeeded after PostgreSQL came back")
            summary = summarise(calls, elapsed)
            summary["cpu"] = cpu
            if any(c.status is not None and c.status >= 500 and c.status != 503 for c in calls):
                errors = [
                    line
                    for line in server.log_path.read_text(errors="replace").splitlines()
                    if "Error" in line or "Traceback" in line
                ]
                verdict.notes.append("server log errors: " + " | ".join(errors[-8:]))
            print_report(summary, verdict, findings, title)
            if args.json:
                document = {
                    "title": title,
                    "db": args.db,
                    "workers": args.workers,
                    "clients": args.clients,
                    "duration_s": args.duration,
                    "fault": findings,
                    "summary": summary,
                    "checks": verdict.numbers,
                    "notes": verdict.notes,
                    "failures": verdict.failures,
                    "result": "FAIL" if verdict.failures else "PASS",
                }
                args.json.write_text(json.dumps(document, indent=2, default=str) + "\n")
            return 1 if verdict.failures else 0
        except KeyboardInterrupt:
            print("\ninterrupted; cleaning up", file=sys.stderr)
            return 130
        except SystemExit:
            print("\nterminated; cleaning up", file=sys.stderr)
            raise
        finally:
            if server is not None:
                server.stop()
            if store is not None:
                store.dispose()
            if pg is not None:
                pg.drop()
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
