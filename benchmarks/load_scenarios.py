"""What the load's clients do: the weighted operations, what answers each may get, and the log of every
request with what each acknowledged write stored."""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx

from benchmarks.common import PASSWORD, STAFF

if TYPE_CHECKING:
    from benchmarks.load_invariants import Store

MANAGER, DONOR = "manager@example.org", "donor.deu@example.org"
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
    "upload_document": 4,
    "download_document": 4,
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
    "upload_document": {201},
    "download_document": {200},
}
READ_STATUSES = {200}
STALE_SHARE = 0.2  # of the If-Match PATCHes, how many send an old ETag on purpose
OVER_SHARE = 0.2  # of the receipts, how many ask for more than the pledge has outstanding
HOT_PLEDGES = 24  # receipts mostly go to a few pledges, so that clients race on them
CHUNK = 256 * 1024  # the documents' stored chunk: uploads run from under one to three of them


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
class World:
    """What the clients know of the portfolio, shared between them (one event loop: no locks needed)."""

    open_projects: list[int]  # not cancelled: they take pledges
    requested: dict[int, date]  # each project's request date: no pledge is made before it
    movable_projects: set[int]  # not final: they may change status
    all_projects: list[int]
    pledges: list[int]  # not withdrawn: they take receipts
    hot: list[int]
    rate_months: list[tuple[str, str]]  # (currency, YYYY-MM) with a recorded rate
    run: str
    deadline: float
    max_requests: int
    documents: dict[int, str] = field(default_factory=dict)  # uploaded here and acknowledged: id -> sha256
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
        # One browser session per account, as a manager and a donor each keep theirs: a client logs in
        # through the form once per account, not again each time it reads as the other one.
        self.page_sessions: dict[str, httpx.Cookies] = {}
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
        saved = self.page_sessions.get(account)
        self.http.cookies = saved if saved is not None else httpx.Cookies()
        if saved is None:
            form = await self.call("login_form", "GET", "/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', form.text) if form is not None else None
            if token is None:
                return
            response = await self.call(
                "dashboard_login",
                "POST",
                "/login",
                data={
                    "email": account,
                    "password": PASSWORD,
                    "next": "/dashboards",
                    "csrf_token": token.group(1),
                },
            )
            if response is None or response.status_code != 303:
                return
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
        self.page_sessions[account] = httpx.Cookies(self.http.cookies)

    # -- writes ---------------------------------------------------------------------------------------

    async def create_pledge(self) -> None:
        rng, world = self.rng, self.world
        if not world.open_projects:
            return
        project_id = rng.choice(world.open_projects)
        amount = (Decimal(rng.randrange(100_000, 20_000_000)) * CENT).quantize(CENT)
        requested = world.requested.get(project_id, date.today() - timedelta(days=2000))
        months = [m for m in world.rate_months if m[1] >= requested.strftime("%Y-%m")]
        if rng.random() < 0.75 or not months:
            days = max((date.today() - requested).days, 0)
            currency, pledged_on = "EUR", date.today() - timedelta(days=rng.randrange(0, days + 1))
        else:
            currency, month = rng.choice(months)
            first = date(int(month[:4]), int(month[5:]), 1)
            pledged_on = min(max(first + timedelta(days=rng.randrange(0, 28)), requested), date.today())
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
            world.requested[project["id"]] = date.fromisoformat(body["request_date"])
            world.open_projects.append(project["id"])
            world.movable_projects.add(project["id"])
            world.all_projects.append(project["id"])

    async def upload_document(self) -> None:
        """A PDF of up to three stored chunks, its bytes unique to this request (the marker)."""
        rng, world = self.rng, self.world
        marker = self.marker()
        size = rng.choice([2_000, CHUNK - 100, CHUNK + 1, 2 * CHUNK + rng.randrange(1, CHUNK)])
        head = f"%PDF-1.4\n% {marker}\n".encode()
        body = head + rng.randbytes(max(0, size - len(head) - 6)) + b"\n%%EOF"
        sha = hashlib.sha256(body).hexdigest()
        form = {
            "owner_type": "project",
            "owner_id": str(rng.choice(world.all_projects)),
            "category": "A07",
            "title": f"Load test {marker}",
        }
        response = await self.call(
            "upload_document",
            "POST",
            "/api/v1/documents",
            data=form,
            files={"file": ("report.pdf", body, "application/pdf")},
            marker=marker,
            sent={**form, "sha256": sha, "size": len(body)},
        )
        if response is not None and response.status_code == 201:
            stored = response.json()
            self._wrote(
                {"entity": "document", "id": stored["id"], "sha256": stored["sha256"], "size": stored["size"]}
            )
            if stored["sha256"] != sha or stored["size"] != len(body):
                world.script_errors.append(
                    f"upload_document: document {stored['id']} answered another sha256"
                )
            world.documents[stored["id"]] = sha

    async def download_document(self) -> None:
        """Read back a document uploaded in this run: the bytes must hash to what was uploaded."""
        world = self.world
        if not world.documents:
            return
        document_id = self.rng.choice(list(world.documents))
        response = await self.call("download_document", "GET", f"/api/v1/documents/{document_id}/content")
        if response is not None and response.status_code == 200:
            got = hashlib.sha256(response.content).hexdigest()
            assert self.last is not None
            if got != world.documents[document_id]:
                self.last.error = f"download of document {document_id}: sha256 {got} is not the one uploaded"

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


def world_from(store: Store, run: str, deadline: float, max_requests: int, seed: int) -> World:
    rng = random.Random(seed)  # noqa: S311
    projects = store.rows("SELECT id, status FROM project ORDER BY id")
    requested = {
        int(i): day if isinstance(day, date) else date.fromisoformat(str(day)[:10])
        for i, day in store.rows("SELECT id, request_date FROM project WHERE request_date IS NOT NULL")
    }
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
        requested=requested,
        movable_projects={int(i) for i, s in projects if s not in FINAL},
        all_projects=[int(i) for i, _ in projects],
        pledges=pledges,
        hot=rng.sample(outstanding, min(HOT_PLEDGES, len(outstanding))),
        rate_months=[m for m in months if m[1] <= today],
        run=run,
        deadline=deadline,
        max_requests=max_requests,
    )
