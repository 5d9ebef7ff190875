"""The synthetic portfolio: reproducible, of the size asked for, consistent with the application's rules
(checked through the API), and a database the application goes on working with."""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from portfolio import migrate
from portfolio.backup import dump
from portfolio.db import make_engine
from portfolio.funding.models import ExchangeRate, Pledge, Receipt
from portfolio.money import to_eur
from portfolio.processes.models import NationalProcess, NationalProcessStageChange
from portfolio.projects.models import Indicator, Milestone, Project, ProjectStatusChange
from portfolio.synthetic import generate
from tests.conftest import PostgresDatabases
from tests.factories import make_pledge, make_project, make_rate, move, ok, receive

SIZE = {"projects": 60, "pledges": 400}
ID_MODELS = [
    Project,
    ProjectStatusChange,
    Milestone,
    Indicator,
    ExchangeRate,
    Pledge,
    Receipt,
    NationalProcess,
    NationalProcessStageChange,
]
NOT_SYNTHETIC = {"app_user", "audit_entry"}

NewDatabase = Callable[[str], Engine]


def _new_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path, name: str) -> str:
    if backend == "sqlite":
        path = tmp_path / f"{name}.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    databases: PostgresDatabases = request.getfixturevalue("pg_databases")
    url = databases.create()
    migrate.upgrade(url)
    return url


@pytest.fixture
def new_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewDatabase]:
    """Makes further migrated, empty databases of the test's kind (beside the test's own)."""
    engines: list[Engine] = []

    def make(name: str) -> Engine:
        engines.append(make_engine(_new_database(backend, request, tmp_path, name)))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()


def contents(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row the generator writes, as a backup holds them (amounts as decimal strings)."""
    with Session(engine) as session:
        tables: dict[str, list[dict[str, Any]]] = dump(session)["tables"]
    return {name: rows for name, rows in tables.items() if name not in NOT_SYNTHETIC}


def count(engine: Engine, model: type[Any]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model.__table__)).scalar_one())


def highest_ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            m.__tablename__: int(conn.execute(select(func.max(m.__table__.c.id))).scalar() or 0)
            for m in ID_MODELS
        }


def every(client: Any, url: str, **params: str) -> list[dict[str, Any]]:
    """Every item of a paged list, page after page."""
    items: list[dict[str, Any]] = []
    while True:
        page = ok(client.get(url, params={**params, "limit": 500, "offset": len(items)}))
        items += page["items"]
        if len(items) >= page["total"]:
            return items


def usd_rates(client: Any, month: str) -> list[dict[str, Any]]:
    return every(client, "/api/v1/exchange-rates", currency="USD", **{"from": month, "to": month})


# -- reproducible --------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_rows_another_seed_other_rows(new_database):
    # Fresh databases each: the ids too start from the same place.
    first, again = new_database("first"), new_database("again")
    generate(first, **SIZE, seed=7)
    generate(again, **SIZE, seed=7)
    rows = contents(first)
    assert len(rows["project"]) == SIZE["projects"]
    assert contents(again) == rows

    other = new_database("other")
    generate(other, **SIZE, seed=8)
    different = contents(other)
    for table in ("project", "project_status_change", "pledge", "receipt", "milestone", "national_process"):
        assert different[table] != rows[table], table


def test_sqlite_and_postgresql_get_the_same_rows(pg_databases, sqlite_template, tmp_path):
    url = pg_databases.create()
    migrate.upgrade(url)
    shutil.copyfile(sqlite_template, tmp_path / "beside.db")
    engines = [make_engine(url), make_engine(f"sqlite:///{tmp_path / 'beside.db'}")]
    try:
        for engine in engines:
            generate(engine, **SIZE, seed=5)
        assert contents(engines[0]) == contents(engines[1])
    finally:
        for engine in engines:
            engine.dispose()


# -- sizes -------------------------------------------------------------------------------------------


def test_the_sizes_asked_for_are_met_and_reported(db):
    seen: list[tuple[str, int, int]] = []
    report = generate(db.engine, **SIZE, seed=1, progress=lambda *step: seen.append(step))
    engine = db.engine
    assert count(engine, Project) == report.projects == SIZE["projects"]
    assert count(engine, Pledge) == report.pledges == SIZE["pledges"]
    assert count(engine, Receipt) == report.receipts
    assert abs(report.receipts - 1.5 * SIZE["pledges"]) <= 0.1 * SIZE["pledges"]
    assert count(engine, ExchangeRate) == report.rates > 0
    assert count(engine, Milestone) == report.milestones > 0
    assert count(engine, Indicator) == report.indicators > 0
    assert count(engine, NationalProcess) == report.processes == SIZE["projects"] // 10
    assert report.seconds > 0
    assert ("project", SIZE["projects"], SIZE["projects"]) in seen
    assert ("pledge", SIZE["pledges"], SIZE["pledges"]) in seen
    # Synthetic data has no audit trail.
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_entry")).scalar_one() == 0


def test_a_tiny_portfolio_still_carries_its_pledges(db):
    report = generate(db.engine, projects=1, pledges=5, seed=3)
    assert (report.projects, report.pledges) == (1, 5)
    assert count(db.engine, Pledge) == 5


def test_nothing_asked_for_nothing_written(db):
    report = generate(db.engine, projects=0, pledges=0)
    assert (report.projects, report.pledges, report.rates, report.processes) == (0, 0, 0, 0)
    assert count(db.engine, ExchangeRate) == 0


# -- consistent, as the API shows it ---------------------------------------------------------------


def test_the_api_finds_every_rule_kept(client, db):
    report = generate(db.engine, **SIZE, seed=11)
    today = date.today()
    projects = {p["id"]: p for p in every(client, "/api/v1/projects")}
    pledges = every(client, "/api/v1/pledges")
    rates = {
        (r["currency"], r["month"]): Decimal(r["eur_per_unit"])
        for r in every(client, "/api/v1/exchange-rates")
    }
    assert len(projects) == report.projects and len(pledges) == report.pledges

    def rate(currency: str, day: str) -> Decimal:
        return Decimal(1) if currency == "EUR" else rates[currency, day[:7]]

    histories = {pid: ok(client.get(f"/api/v1/projects/{pid}/history")) for pid in projects}
    cancelled_on = {
        pid: next(h["on"] for h in history if h["to"] == "cancelled")
        for pid, history in histories.items()
        if projects[pid]["status"] == "cancelled"
    }
    pledged: dict[int, Decimal] = defaultdict(Decimal)
    received: dict[int, Decimal] = defaultdict(Decimal)
    statuses: set[str] = set()
    receipts = 0
    for pledge in pledges:
        project = projects[pledge["project_id"]]
        amount, got = Decimal(pledge["amount"]), Decimal(pledge["received"])
        statuses.add(pledge["status"])
        assert got <= amount
        assert (pledge["status"] == "paid") == (got == amount > 0), pledge
        assert Decimal(pledge["eur_per_unit"]) == rate(pledge["currency"], pledge["pledged_on"])
        assert Decimal(pledge["amount_eur"]) == to_eur(amount, Decimal(pledge["eur_per_unit"]))
        assert project["request_date"] <= pledge["pledged_on"] <= today.isoformat()
        if project["status"] == "cancelled":
            assert pledge["pledged_on"] < cancelled_on[project["id"]]
        assert pledge["donor"] not in project["beneficiaries"]
        listed = ok(client.get(f"/api/v1/pledges/{pledge['id']}/receipts"))
        receipts += len(listed)
        if pledge["status"] == "withdrawn":
            assert listed == [] and got == 0
        else:
            pledged[project["id"]] += Decimal(pledge["amount_eur"])
        assert sum((Decimal(r["amount"]) for r in listed), Decimal("0.00")) == got
        for r in listed:
            assert pledge["pledged_on"] <= r["received_on"] <= today.isoformat()
            assert Decimal(r["eur_per_unit"]) == rate(pledge["currency"], r["received_on"])
            assert Decimal(r["amount_eur"]) == to_eur(Decimal(r["amount"]), Decimal(r["eur_per_unit"]))
            received[project["id"]] += Decimal(r["amount_eur"])
    assert receipts == report.receipts
    assert statuses == {"pledged", "committed", "paid", "withdrawn"}

    for pid, project in projects.items():
        funding = project["funding"]
        assert Decimal(funding["pledged_eur"]) == pledged[pid]
        assert Decimal(funding["received_eur"]) == received[pid]
        assert project["code"].startswith(f"SYN-{project['request_date'][:4]}-")
        assert "2010-01-01" <= project["request_date"] <= today.isoformat()
        assert 1 <= len(project["beneficiaries"]) <= 3
        assert Decimal("50000") <= Decimal(project["budget_eur"]) <= Decimal("5000000")
        history = histories[pid]
        assert history[0]["from"] is None and history[0]["to"] == "requested"
        assert history[0]["on"] == project["request_date"]
        assert history[-1]["to"] == project["status"]
        assert [h["on"] for h in history] == sorted(h["on"] for h in history)
        assert history[-1]["on"] <= today.isoformat()
        for before, after in zip(history, history[1:], strict=False):
            assert after["from"] == before["to"]
        if project["status"] == "completed":
            assert project["start_date"] <= project["end_date"] <= today.isoformat()
        if project["status"] in ("requested", "assessment"):
            assert project["funding"]["pledged_eur"] == "0.00"
        milestones = ok(client.get(f"/api/v1/projects/{pid}/milestones"))
        assert len(milestones) <= 6
        assert all(m["done_on"] is None or m["done_on"] <= today.isoformat() for m in milestones)
        assert len(ok(client.get(f"/api/v1/projects/{pid}/indicators"))) <= 3
    assert {p["status"] for p in projects.values()} >= {"requested", "implementation", "completed"}

    processes = every(client, "/api/v1/national-processes")
    assert len({(p["state"], p["name"]) for p in processes}) == len(processes) == report.processes
    for process in processes:
        assert process["project_ids"]
        for pid in process["project_ids"]:
            assert process["state"] in projects[pid]["beneficiaries"]
        changes = ok(client.get(f"/api/v1/national-processes/{process['id']}/history"))
        assert changes[0]["from"] is None and changes[-1]["to"] == process["stage"]
        assert all(c["on"] <= today.isoformat() for c in changes)


def test_the_pages_answer_on_synthetic_data(client, db):
    generate(db.engine, **SIZE, seed=2)
    project = every(client, "/api/v1/projects")[0]
    donor = every(client, "/api/v1/pledges")[0]["donor"]
    for url in (
        f"/api/v1/projects/{project['id']}",
        "/api/v1/projects?funding=underfunded&sort=-gap_eur",
        "/dashboards/funding",
        "/dashboards/gaps",
        "/dashboards/progress",
        "/dashboards/national-processes",
        "/dashboards/data-quality",
        f"/dashboards/donors/{donor}",
        "/dashboards/funding?lang=fr&area=SCA",
    ):
        assert client.get(url).status_code == 200, url


# -- and the application carries on ---------------------------------------------------------------


def test_new_records_take_ids_after_the_synthetic_ones(client, db, backend):
    generate(db.engine, **SIZE, seed=4)
    before = highest_ids(db.engine)
    if backend == "sqlite":
        with db.engine.connect() as conn:
            issued = dict(conn.execute(text("SELECT name, seq FROM sqlite_sequence")).all())
        assert all(issued[name] == highest for name, highest in before.items())

    project = make_project(client, code="AFTER-SYN-1", request_date="2024-01-15")
    move(client, project["id"], "assessment", "planning", "seeking_funding", on="2024-02-01")
    ok(client.post(f"/api/v1/projects/{project['id']}/milestones", json={"title": "Fence"}), 201)
    ok(
        client.post(
            f"/api/v1/projects/{project['id']}/indicators",
            json={"name": "Sites", "unit": "sites", "target": "3"},
        ),
        201,
    )
    pledge = make_pledge(
        client, project["id"], donor="USA", currency="USD", amount="1000.00", pledged_on="2024-03-10"
    )
    assert [pledge["eur_per_unit"]] == [r["eur_per_unit"] for r in usd_rates(client, "2024-03")]
    receipt = ok(receive(client, pledge["id"], "400.00", "2024-04-02"), 201)
    rate = make_rate(client, "USD", "2031-01", "0.9")
    process = ok(
        client.post(
            "/api/v1/national-processes",
            json={
                "state": "SRB",
                "name": "A process of its own",
                "kind": "structure",
                "project_ids": [project["id"]],
            },
        ),
        201,
    )
    assert rate["month"] == "2031-01"
    assert project["id"] > before["project"]
    assert pledge["id"] > before["pledge"]
    assert receipt["id"] > before["receipt"]
    assert process["id"] > before["national_process"]
    after = highest_ids(db.engine)
    for name in before:
        assert after[name] > before[name], name


def test_ids_of_deleted_records_are_not_reissued(client, db):
    gone = make_project(client, code="GONE-1")
    assert client.delete(f"/api/v1/projects/{gone['id']}").status_code == 204
    generate(db.engine, projects=5, pledges=10)
    with db.engine.connect() as conn:
        first = conn.execute(select(func.min(Project.__table__.c.id))).scalar_one()
    assert first > gone["id"]


def test_rates_and_processes_already_recorded_are_kept_and_used(client, db):
    make_rate(client, "USD", "2024-03", "0.5")
    names = {
        (state, name)
        for state in ("UKR", "SRB", "BIH", "MDA", "ALB")
        for name in ("National SALW Commission", "Central weapons registry")
    }
    for state, name in sorted(names):
        body = {"state": state, "name": name, "kind": "structure"}
        ok(client.post("/api/v1/national-processes", json=body), 201)
    generate(db.engine, **SIZE, seed=6)
    assert [r["eur_per_unit"] for r in usd_rates(client, "2024-03")] == ["0.50000000"]
    for pledge in every(client, "/api/v1/pledges", currency="USD"):
        if pledge["pledged_on"].startswith("2024-03"):
            assert pledge["eur_per_unit"] == "0.50000000"
    processes = every(client, "/api/v1/national-processes")
    assert len(processes) == len(names) + SIZE["projects"] // 10
    assert len({(p["state"], p["name"]) for p in processes}) == len(processes)


# -- refusals ---------------------------------------------------------------------------------------


def test_a_database_that_holds_projects_is_refused(client, db):
    make_project(client)
    with pytest.raises(ValueError, match="already holds 1 project"):
        generate(db.engine, **SIZE)
    assert count(db.engine, Pledge) == 0 and count(db.engine, ExchangeRate) == 0


def test_generating_twice_is_refused_and_changes_nothing(db):
    generate(db.engine, projects=20, pledges=50)
    rows = contents(db.engine)
    with pytest.raises(ValueError, match="already holds 20 project"):
        generate(db.engine, projects=20, pledges=50, seed=2)
    assert contents(db.engine) == rows


def test_an_unmigrated_database_is_refused(backend, empty_database_url):
    engine = make_engine(empty_database_url)
    try:
        with pytest.raises(ValueError, match="portfolio db upgrade"):
            generate(engine, **SIZE)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("projects", "pledges"),
    [(-1, 0), (0, -1), (0, 5)],
)
def test_impossible_sizes_are_refused(db, projects, pledges):
    with pytest.raises(ValueError, match="projects"):
        generate(db.engine, projects=projects, pledges=pledges)
