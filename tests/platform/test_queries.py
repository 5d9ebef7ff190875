"""Query discipline: no list endpoint runs one statement per row, and every column the lists and the
dashboards filter, join or sort on is indexed in the migrated schema.

Statement counts. The SQL statements each list endpoint sends (``before_cursor_execute`` on the app's
engine) are counted with ``limit=1`` and ``limit=100``, over a small portfolio (3 of everything: projects,
pledges, receipts, milestones, indicators, national processes, rates, accounts, history entries) and again
after it has grown to 25 of everything. The count must be the same all four times: a statement per row
(an "N+1") would make it grow with the page or with the data. Building the portfolio through the API
takes a few seconds, so it is built once per database (a module-scoped fixture, on a database of its own)
and every endpoint is measured on it; the parametrised test then names the endpoint that misbehaves.

Indexes. ``REQUIRED_INDEXES`` lists, query by query, the columns the repositories and the dashboards use
in a WHERE (compared with a value), a JOIN, or as the first key of an ORDER BY. Each must lead an index, a
unique constraint or the primary key of the schema the migrations build (read back with
``inspect(engine)``, not taken from the models). A comment below it says why the remaining columns of
those clauses are left out.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine

from portfolio import migrate
from portfolio.main import create_app
from portfolio.security import create_token
from portfolio.transfer.kinds import Kind
from portfolio.users.models import User
from tests.factories import PASSWORD, make_project, make_rate, make_settings, ok, pledge_body

SMALL = 3
LARGE = 25
LIMITS = (1, 100)


# -- the endpoints ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """A list endpoint; ``{project}``, ``{pledge}`` and ``{process}`` stand for the records whose
    children grow with the portfolio."""

    path: str
    params: dict[str, str] = field(default_factory=dict)
    paged: bool = False
    admin: bool = False
    fixed: bool = False  # reference data: the same rows whatever the portfolio holds

    @property
    def name(self) -> str:
        return self.path + (f"?{urlencode(self.params)}" if self.params else "")


ENDPOINTS = [
    Endpoint("/api/v1/projects", paged=True),
    Endpoint(
        "/api/v1/projects",
        {
            "sort": "-gap_eur",
            "status": "requested",
            "area": "SCA",
            "beneficiary": "SRB",
            "activity_type": "stockpile_security",
            "donor": "DEU",
            "q": "depot",
            "funding": "underfunded",
        },
        paged=True,
    ),
    Endpoint("/api/v1/pledges", paged=True),
    Endpoint("/api/v1/pledges", {"donor": "DEU", "status": "pledged", "year": "2022"}, paged=True),
    Endpoint("/api/v1/pledges/{pledge}/receipts"),
    Endpoint("/api/v1/exchange-rates", paged=True),
    Endpoint("/api/v1/exchange-rates", {"currency": "USD", "from": "2020-01", "to": "2029-12"}, paged=True),
    Endpoint("/api/v1/national-processes", paged=True),
    Endpoint(
        "/api/v1/national-processes", {"state": "SRB", "kind": "structure", "stage": "planned"}, paged=True
    ),
    Endpoint("/api/v1/national-processes/{process}/history"),
    Endpoint("/api/v1/states", fixed=True),
    Endpoint("/api/v1/audit", paged=True),
    Endpoint("/api/v1/audit", {"entity": "project", "action": "create"}, paged=True),
    Endpoint("/api/v1/projects/{project}/audit", paged=True),
    Endpoint("/api/v1/projects/{project}/milestones"),
    Endpoint("/api/v1/projects/{project}/indicators"),
    Endpoint("/api/v1/projects/{project}/history"),
    Endpoint("/api/v1/users", paged=True, admin=True),
    *[Endpoint(f"/api/v1/exports/{kind.value}.csv") for kind in Kind],
    Endpoint("/api/v1/exports/iati.xml"),
]


# -- a database and an app of this module's own --------------------------------------------------


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database for this module alone (the portfolio is built once, not once per test)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path_factory.mktemp("queries") / "portfolio.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    databases = request.getfixturevalue("pg_databases")  # skips when PostgreSQL is not configured
    url: str = databases.create()  # dropped at the end of the run with the others
    migrate.upgrade(url)
    return url


@dataclass
class Portfolio:
    """What the API was given, and the records whose children grow."""

    client: TestClient
    admin: dict[str, str]
    projects: list[int] = field(default_factory=list)
    pledges: list[int] = field(default_factory=list)
    processes: list[int] = field(default_factory=list)
    rates: int = 0
    users: int = 0
    milestones: int = 0  # of the first project
    indicators: int = 0  # of the first project
    receipts: int = 0  # on the first pledge
    history: int = 0  # status changes of the first project
    stages: int = 0  # stage changes of the first process

    @property
    def ids(self) -> dict[str, int]:
        return {"project": self.projects[0], "pledge": self.pledges[0], "process": self.processes[0]}

    def grow_to(self, n: int) -> None:
        """n of everything: projects (each with a pledge, its agreement and obligations, a receipt, a
        milestone, an indicator and a national process), rates and accounts; and n milestones, indicators
        and history entries on the first project, n receipts on its pledge and n stage changes on its
        process."""
        client = self.client
        while self.rates < n:
            year, month = divmod(self.rates, 12)
            make_rate(client, "USD", f"{2022 + year}-{month + 1:02d}", "0.91234567")
            self.rates += 1
        while len(self.projects) < n:
            self._add_project(len(self.projects))
        project, pledge, process = self.projects[0], self.pledges[0], self.processes[0]
        while self.milestones < n:
            self._add_milestone(project, self.milestones)
            self.milestones += 1
        while self.indicators < n:
            self._add_indicator(project, self.indicators)
            self.indicators += 1
        while self.receipts < n:
            self._add_receipt(pledge)
            self.receipts += 1
        while self.history < n:
            # requested → assessment, then on hold and back, as often as it takes.
            to = "assessment" if self.history % 2 else "on_hold"
            ok(client.post(f"/api/v1/projects/{project}/transitions", json={"to": to}))
            self.history += 1
        while self.stages < n:
            stage = "established" if self.stages % 2 else "operational"
            ok(client.patch(f"/api/v1/national-processes/{process}", json={"stage": stage}))
            self.stages += 1
        while self.users < n:
            body = {
                "email": f"reader{self.users}@queries.example.org",
                "full_name": f"Reader {self.users}",
                "role": "manager",
                "password": PASSWORD,
            }
            ok(client.post("/api/v1/users", json=body, headers=self.admin), 201)
            self.users += 1

    def _add_project(self, i: int) -> None:
        client = self.client
        project = make_project(
            client,
            title=f"Upgrading ammunition depot security {i}",
            areas=["SALW", "SCA"],
            activity_types=["stockpile_security", "training_and_capacity"],
            beneficiaries=["SRB", "ALB"],
            request_date="2021-11-15",
            start_date="2024-02-01",
            end_date="2026-12-31",
        )
        pid = project["id"]
        body = pledge_body(
            pid,
            donor="DEU" if i % 2 == 0 else "CHE",
            currency="USD" if i % 3 else "EUR",
            pledged_on="2022-01-10",
        )
        pledge = ok(client.post("/api/v1/pledges", json=body), 201)
        self._add_receipt(pledge["id"])
        # Germany's agreements wait for signature (its pledges stay pledged); Switzerland's are signed.
        agreement: dict[str, Any] = {"reference": f"CA-{i}", "schedule": {"interim_every_months": 12}}
        if i % 2:
            agreement["signed_on"] = "2022-02-01"
        ok(client.post(f"/api/v1/pledges/{pledge['id']}/agreement", json=agreement), 201)
        self._add_milestone(pid, i)
        self._add_indicator(pid, i)
        line = {"category": "equipment", "amount_eur": "1000.00"}
        line_id = ok(client.post(f"/api/v1/projects/{pid}/budget-lines", json=line), 201)["id"]
        spent = {"project_id": pid, "line_id": line_id, "spent_on": "2024-06-10", "amount": "100.00"}
        ok(
            client.post("/api/v1/expenditures", json=spent | {"currency": "EUR", "reference": f"FIN-{i}"}),
            201,
        )
        process = {
            "state": "SRB",
            "name": f"National SALW Commission {i}",
            "kind": "structure",
            "areas": ["SALW"],
            "project_ids": [pid],
        }
        created = ok(client.post("/api/v1/national-processes", json=process), 201)
        self.projects.append(pid)
        self.pledges.append(pledge["id"])
        self.processes.append(created["id"])
        if i == 0:  # the first project's children are counted from here on
            self.milestones = self.indicators = self.receipts = self.history = self.stages = 1

    def _add_receipt(self, pledge: int) -> None:
        body = {"amount": "1.00", "received_on": "2022-01-20"}
        ok(self.client.post(f"/api/v1/pledges/{pledge}/receipts", json=body), 201)

    def _add_milestone(self, project: int, i: int) -> None:
        body: dict[str, Any] = {"title": f"Milestone {i}", "weight": "2.00"}
        if i % 3:
            body["due_on"] = f"2025-{i % 12 + 1:02d}-15"
        if i % 2:
            body["done_on"] = "2024-03-01"
        ok(self.client.post(f"/api/v1/projects/{project}/milestones", json=body), 201)

    def _add_indicator(self, project: int, i: int) -> None:
        body = {"name": f"Ammunition destroyed {i}", "unit": "tonnes", "target": "300", "actual": "120"}
        ok(self.client.post(f"/api/v1/projects/{project}/indicators", json=body), 201)


@dataclass(frozen=True)
class Count:
    statements: list[str]
    rows: int


@dataclass
class Measurement:
    counts: dict[str, Count] = field(default_factory=dict)  # "3 rows, limit=1" → what it cost
    error: str | None = None


def _rows(endpoint: Endpoint, response: Any) -> int:
    """How many records the response holds."""
    if endpoint.path.endswith(".csv"):
        return len(response.text.splitlines()) - 1  # the header; no test value spans lines
    if endpoint.path.endswith(".xml"):
        return response.text.count("<iati-activity ")
    body = response.json()
    return len(body["items"] if endpoint.paged else body)


def _counting(engine: Engine, call: Callable[[], Any]) -> tuple[list[str], Any]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        result = call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen, result


def _get(client: TestClient, portfolio: Portfolio, endpoint: Endpoint, limit: int | None) -> Any:
    response = client.get(
        endpoint.path.format(**portfolio.ids),
        params=endpoint.params | ({"limit": str(limit)} if limit else {}),
        headers=portfolio.admin if endpoint.admin else None,
    )
    assert response.status_code == 200, response.text
    return response


def _measure(
    client: TestClient, engine: Engine, portfolio: Portfolio, phase: str, into: dict[str, Measurement]
) -> None:
    for endpoint in ENDPOINTS:
        measurement = into.setdefault(endpoint.name, Measurement())
        if measurement.error:
            continue
        limits = LIMITS if endpoint.paged else (None,)
        try:
            if not measurement.counts:
                _get(client, portfolio, endpoint, limits[-1])  # warm-up: first-use statements
            for limit in limits:
                statements, response = _counting(engine, partial(_get, client, portfolio, endpoint, limit))
                label = phase + (f", limit={limit}" if limit else "")
                measurement.counts[label] = Count(statements, _rows(endpoint, response))
        except Exception as exc:  # reported by the endpoint's own test, not by every test
            measurement.error = f"{phase}: {exc!r}"


def _make_accounts(app: Any) -> dict[str, dict[str, str]]:
    state = app.state
    headers = {}
    with state.db.session(write=True) as session:
        for role in ("staff", "admin"):
            user = User(
                email=f"{role}@test.example.org",
                full_name=f"Test {role}",
                role=role,
                password_hash=state.hasher.hash(PASSWORD),
            )
            session.add(user)
            session.flush()
            assert user.id is not None
            token = create_token(state.secret_key, user.id, user.token_version, timedelta(hours=1))
            headers[role] = {"Authorization": f"Bearer {token}"}
    return headers


@pytest.fixture(scope="module")
def measured(module_database_url: str) -> Iterator[dict[str, Measurement]]:
    """Every endpoint's statements over the small portfolio, then over the large one."""
    app = create_app(make_settings(module_database_url))
    headers = _make_accounts(app)
    results: dict[str, Measurement] = {}
    with TestClient(app, headers=headers["staff"]) as client:
        portfolio = Portfolio(client, headers["admin"])
        engine = app.state.db.engine
        portfolio.grow_to(SMALL)
        _measure(client, engine, portfolio, f"{SMALL} of each", results)
        portfolio.grow_to(LARGE)
        _measure(client, engine, portfolio, f"{LARGE} of each", results)
        yield results


def _explain(counts: dict[str, Count]) -> str:
    lines = [f"  {label}: {c.rows} row(s), {len(c.statements)} statement(s)" for label, c in counts.items()]
    first, *_, last = counts.values()
    extra = list(last.statements)
    for statement in first.statements:
        if statement in extra:
            extra.remove(statement)
    if extra:
        lines.append("statements of the last call not in the first:")
        lines += [f"  {' '.join(s.split())[:300]}" for s in extra[:10]]
        lines += [f"  … and {len(extra) - 10} more"] if len(extra) > 10 else []
    return "\n".join(lines)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_a_list_costs_the_same_statements_whatever_the_page_size_and_the_data(
    measured: dict[str, Measurement], endpoint: Endpoint
) -> None:
    measurement = measured[endpoint.name]
    assert measurement.error is None, measurement.error
    counts = measurement.counts
    assert len(counts) == 2 * (len(LIMITS) if endpoint.paged else 1)
    # Every call returned rows (loaders that run per batch of rows say nothing about an empty page)...
    assert all(c.rows > 0 for c in counts.values()), _explain(counts)
    # ...and, but for reference data, more of them once the portfolio had grown.
    first, *_, last = counts.values()
    if not endpoint.fixed:
        assert last.rows > first.rows, _explain(counts)
    sizes = {len(c.statements) for c in counts.values()}
    assert len(sizes) == 1, f"{endpoint.name} issues a number of statements that varies:\n{_explain(counts)}"


# -- indexes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    """``table.column`` must lead an index (or the primary key, or a unique constraint); ``or_leading``
    names a composite that would serve the query at least as well (e.g. a sort within one parent)."""

    table: str
    column: str
    uses: str
    or_leading: tuple[str, ...] = ()


REQUIRED_INDEXES = [
    # project ------------------------------------------------------------------------------------
    Need("project", "id", "every join from a child table (pledges, milestones, areas…) to its project"),
    Need("project", "code", "GET /projects sort=code (default); exports ORDER BY code; donor dashboard"),
    Need("project", "title", "GET /projects sort=title"),
    Need("project", "request_date", "GET /projects sort=request_date; dashboards year_from/year_to filter"),
    Need("project", "budget_eur", "GET /projects sort=budget_eur"),
    Need("project", "status", "GET /projects?status=; dashboards status filter, seeking-funding page"),
    Need("project", "updated_at", "dashboards needs_attention: stale projects (updated_at < …, ORDER BY)"),
    # the projects' lists (areas, activity types, beneficiaries) -----------------------------------
    Need("project_area", "area", "GET /projects?area=; dashboards area filter"),
    Need("project_area", "project_id", "selectin load of a page's areas; dashboards by_area"),
    Need("project_activity", "activity_type", "GET /projects?activity_type="),
    Need("project_activity", "project_id", "selectin load of activity types; dashboards by_activity"),
    Need("project_beneficiary", "state_code", "GET /projects?beneficiary=; dashboards beneficiary filter"),
    Need("project_beneficiary", "project_id", "selectin load of beneficiaries; dashboards by_beneficiary"),
    # pledges and receipts -----------------------------------------------------------------------
    Need("pledge", "id", "receipts joined to their pledge (lists, exports, dashboards)"),
    Need("pledge", "project_id", "pledged/received per project (GET /projects); GET /pledges?project_id="),
    Need("pledge", "donor", "GET /projects?donor=, GET /pledges?donor= (and every donor's own list)"),
    Need("pledge", "status", "GET /pledges?status=; dashboards unpaid commitments (status = committed)"),
    Need("pledge", "currency", "GET /pledges?currency=; dashboards rate effect (currency <> EUR)"),
    Need("pledge", "pledged_on", "GET /pledges ORDER BY pledged_on DESC and ?year=; dashboards unpaid"),
    Need("receipt", "pledge_id", "GET /pledges/{id}/receipts; received per pledge and per project"),
    Need(
        "receipt",
        "received_on",
        "GET /pledges/{id}/receipts ORDER BY received_on",
        or_leading=("pledge_id", "received_on"),
    ),
    Need("exchange_rate", "currency", "GET /exchange-rates?currency= and ORDER BY currency, month"),
    Need("exchange_rate", "month", "GET /exchange-rates?from=&to= (a range of months, any currency)"),
    # milestones, indicators, history ------------------------------------------------------------
    Need("milestone", "project_id", "GET /projects/{id}/milestones; progress per project; exports"),
    Need("milestone", "due_on", "GET /projects/{id}/milestones ORDER BY due_on; dashboards overdue"),
    Need("indicator", "project_id", "GET /projects/{id}/indicators; dashboards indicators; exports"),
    Need("project_status_change", "project_id", "GET /projects/{id}/history"),
    Need(
        "project_status_change",
        "changed_on",
        "GET /projects/{id}/history ORDER BY changed_on",
        or_leading=("project_id", "changed_on"),
    ),
    # national processes -------------------------------------------------------------------------
    Need("national_process", "state", "GET /national-processes?state= and ORDER BY state, name; dashboards"),
    Need("national_process", "kind", "GET /national-processes?kind="),
    Need("national_process", "stage", "GET /national-processes?stage="),
    Need("national_process_project", "project_id", "GET /national-processes?project_id=; donor dashboard"),
    Need("national_process_project", "process_id", "selectin load of a page's project_ids; donor dashboard"),
    Need("national_process_stage_change", "process_id", "GET /national-processes/{id}/history"),
    Need(
        "national_process_stage_change",
        "changed_on",
        "GET /national-processes/{id}/history ORDER BY changed_on",
        or_leading=("process_id", "changed_on"),
    ),
    # audit trail, accounts, States --------------------------------------------------------------
    Need("audit_entry", "at", "GET /audit and /projects/{id}/audit ORDER BY at DESC; ?since=&until="),
    Need("audit_entry", "entity", "GET /audit?entity=(&entity_id=)"),
    Need("audit_entry", "user_id", "GET /audit?user_id="),
    Need("audit_entry", "action", "GET /audit?action="),
    Need("audit_entry", "project_id", "GET /projects/{id}/audit"),
    Need("app_user", "email", "GET /users ORDER BY email"),
    Need("state", "code", "States looked up by code"),
    # state.name: GET /states sorts 68 reference rows by name; an index would not pay for itself.
    Need("state", "kind", "GET /states?kind=; dashboards beneficiary choices (participating States)"),
]

# Columns of those WHERE / JOIN / ORDER BY clauses that need no index of their own:
# - tie-breakers: the id that ends most ORDER BYs (the primary key); national_process.name after state
#   (the unique (state, name) serves ORDER BY state, name, and GET /national-processes?state=);
#   audit_entry.entity_id, which only means something with entity (the (entity, entity_id) index);
# - residual filters, applied to rows an indexed column has already found: milestone.done_on IS NULL
#   beside due_on < today (dashboards needs_attention); project_status_change.to_status IN (…) beside
#   project_id IN (…) (IATI export);
# - what a plain index cannot serve: ?q= (LIKE '%…%' on code and title); sort=gap_eur (computed);
#   EXTRACT(year/month …) in the dashboards' time series; GROUP BY, and ORDER BY of aggregated rows
#   (pledge.kind, indicator name and unit, national_process_stage_change.to_stage).


def _leading_columns(engine: Engine) -> dict[str, list[tuple[str, ...]]]:
    """Per table, the column lists of its primary key, unique constraints and indexes."""
    inspector = inspect(engine)
    found: dict[str, list[tuple[str, ...]]] = {}
    for table in inspector.get_table_names():
        keys = [tuple(inspector.get_pk_constraint(table)["constrained_columns"])]
        keys += [tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)]
        keys += [tuple(c or "" for c in i["column_names"]) for i in inspector.get_indexes(table)]
        found[table] = [k for k in keys if k]
    return found


def test_every_filter_join_and_sort_column_leads_an_index(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        keys = _leading_columns(engine)
    finally:
        engine.dispose()
    missing = []
    for need in REQUIRED_INDEXES:
        assert need.table in keys, f"no table {need.table}"
        wanted = [(need.column,)] + ([need.or_leading] if need.or_leading else [])
        if not any(key[: len(w)] == w for key in keys[need.table] for w in wanted):
            better = f" (or better, an index on ({', '.join(need.or_leading)}))" if need.or_leading else ""
            missing.append(f"{need.table}.{need.column}{better} — {need.uses}")
    assert not missing, "columns that lead no index:\n" + "\n".join(missing)
