"""The staff's home page, the project register and the project page, used as a person uses them: log in
through the form, open the pages, read what they show, and compare it with what the API says of the
same records."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from portfolio.projects import service as projects_service
from portfolio.projects.repository import ProjectFilters
from portfolio.security import SYSTEM
from portfolio.web.i18n import Formats
from tests.browser import log_in as log_in_by_form
from tests.browser import shoot
from tests.conftest import Account
from tests.dashboards.test_dashboard_figures import count_statements
from tests.factories import (
    make_pledge,
    make_project,
    make_rate,
    move,
    ok,
    receive,
)
from tests.pages import log_in, section, text_of

EN = Formats("en")
FR = Formats("fr")


@pytest.fixture
def as_role(app: FastAPI, accounts: dict[str, Account]) -> Iterator[Callable[[str], TestClient]]:
    made: list[TestClient] = []

    def open_as(role: str) -> TestClient:
        browser = log_in(app, accounts[role].email)
        made.append(browser)
        return browser

    yield open_as
    for browser in made:
        browser.close()


@pytest.fixture
def funded(client: TestClient) -> dict[str, Any]:
    """A project in implementation with a euro pledge from Germany, a pound pledge from the UK partly
    received, milestones (one overdue, one done), an indicator and a linked national process."""
    make_rate(client, "GBP", "2024-03", "1.16000000")
    make_rate(client, "GBP", "2024-05", "1.17000000")
    project = make_project(client, title="Securing the Kraljevo depot", budget_eur="500000.00")
    pid = project["id"]
    move(client, pid, "assessment", "planning", "seeking_funding")
    deu = make_pledge(client, pid, donor="DEU", amount="120000.00", status="committed")
    gbr = make_pledge(client, pid, donor="GBR", amount="50000.00", currency="GBP", status="committed")
    ok(receive(client, gbr["id"], "20000.00", "2024-05-02"), 201)
    overdue = (date.today() - timedelta(days=10)).isoformat()
    ok(
        client.post(
            f"/api/v1/projects/{pid}/milestones", json={"title": "Fence installed", "due_on": overdue}
        ),
        201,
    )
    ok(
        client.post(
            f"/api/v1/projects/{pid}/milestones",
            json={"title": "Site survey", "due_on": "2024-02-01", "done_on": "2024-02-03", "weight": "2"},
        ),
        201,
    )
    ok(
        client.post(
            f"/api/v1/projects/{pid}/indicators",
            json={"name": "Depots secured", "unit": "depots", "target": "4", "actual": "1"},
        ),
        201,
    )
    process = ok(
        client.post(
            "/api/v1/national-processes",
            json={
                "state": "SRB",
                "name": "National SALW commission",
                "kind": "structure",
                "areas": ["SALW"],
                "project_ids": [pid],
            },
        ),
        201,
    )
    return {"project": ok(client.get(f"/api/v1/projects/{pid}")), "deu": deu, "gbr": gbr, "process": process}


# -- the project page ------------------------------------------------------------------------------


def test_project_page_shows_the_apis_figures(
    as_role: Callable[[str], TestClient], client: TestClient, funded: dict[str, Any]
) -> None:
    project = funded["project"]
    page = as_role("staff").get(f"/projects/{project['id']}")
    assert page.status_code == 200
    html = page.text
    funding = project["funding"]
    summary = section(html, "h-funding")
    for key, cell in (
        ("budget_eur", "budget"),
        ("pledged_eur", "pledged"),
        ("gap_eur", "gap"),
        ("received_eur", "received"),
    ):
        shown = re.search(rf'id="{cell}">([^<]+)<', summary)
        assert shown and shown.group(1) == EN.money(Decimal(funding[key])), (key, shown and shown.group(1))
    assert f'id="coverage">{EN.percent(Decimal(funding["coverage"]))}<' in summary
    # the pledge lines: donor by name, amount in its currency and in euros, the rate, received, outstanding
    gbr = funded["gbr"]
    lines = text_of(summary)
    assert "United Kingdom" in lines and "Germany" in lines
    assert EN.money(Decimal("50000.00"), "GBP") in lines
    assert EN.money(Decimal(gbr["amount_eur"])) in lines
    assert EN.number(Decimal(gbr["eur_per_unit"])) in lines
    assert EN.money(Decimal("20000.00"), "GBP") in lines
    assert EN.money(Decimal(gbr["outstanding"]), "GBP") in lines
    assert f'href="/pledges/{gbr["id"]}/edit"' in summary
    assert f'href="/pledges/{gbr["id"]}/receipts/new"' in summary
    assert f'href="/projects/{project["id"]}/pledges/new"' in summary
    # receipts, with the euros and the rate month
    receipts = text_of(section(html, "h-receipts"))
    received = ok(client.get(f"/api/v1/pledges/{gbr['id']}/receipts"))
    assert EN.money(Decimal(received[0]["amount_eur"])) in receipts and "2024-05" in receipts
    # details: beneficiaries by name, areas, dates
    details = text_of(section(html, "h-details"))
    assert "Serbia" in details and "SCA" in details and "Stockpile security" in details
    assert EN.date(date(2024, 1, 15)) in details
    # linked national processes, status history, audit trail
    processes = section(html, "h-processes")
    assert (
        f'href="/processes/{funded["process"]["id"]}"' in processes
        and "National SALW commission" in processes
    )
    history = section(html, "h-history")
    assert "Requested" in history and "Seeking funding" in history
    moved = re.search(r"<td>Planning</td><td>Seeking funding</td><td>[^<]*</td><td>([^<]+)</td>", history)
    assert moved and moved.group(1) == "staff@test.example.org"
    trail = text_of(section(html, "h-trail"))
    assert "staff@test.example.org" in trail and "transition" in trail


def test_milestones_are_a_checklist_with_mark_done_forms(
    as_role: Callable[[str], TestClient], client: TestClient, funded: dict[str, Any]
) -> None:
    pid = funded["project"]["id"]
    html = as_role("staff").get(f"/projects/{pid}").text
    checklist = section(html, "h-milestones")
    milestones = ok(client.get(f"/api/v1/projects/{pid}/milestones"))
    undone = next(m for m in milestones if m["done_on"] is None)
    done = next(m for m in milestones if m["done_on"] is not None)
    assert f'action="/projects/{pid}/milestones/{undone["id"]}/done"' in checklist
    assert f'action="/projects/{pid}/milestones/{done["id"]}/done"' not in checklist
    form = checklist[checklist.index(f'/milestones/{undone["id"]}/done"') :]
    assert re.search(rf'name="version" value="{undone["version"]}"', form)
    assert "overdue" in text_of(checklist)
    assert EN.date(date(2024, 2, 3)) in text_of(checklist)
    assert f'href="/projects/{pid}/milestones/{undone["id"]}/edit"' in checklist
    assert f'href="/projects/{pid}/milestones/new"' in checklist
    indicators = section(html, "h-indicators")
    assert EN.percent(Decimal("0.25")) in text_of(indicators)
    assert f'href="/projects/{pid}/indicators/new"' in indicators
    assert f'href="/projects/{pid}/edit"' in html


def test_lifecycle_offers_only_the_allowed_moves(
    as_role: Callable[[str], TestClient], funded: dict[str, Any]
) -> None:
    pid = funded["project"]["id"]
    html = as_role("staff").get(f"/projects/{pid}").text
    lifecycle = section(html, "h-lifecycle")
    # seeking funding → implementation (a button), on hold (a button), cancelled (a link to confirm)
    assert re.findall(r'name="to" value="([a-z_]+)"', lifecycle) == ["implementation", "on_hold"]
    assert f'href="/projects/{pid}/transition?to=cancelled"' in lifecycle
    assert "completed" not in re.findall(r'value="([a-z_]+)"', lifecycle)
    assert f'name="version" value="{funded["project"]["version"]}"' in lifecycle
    assert 'name="loaded_at"' in lifecycle and 'name="csrf_token"' in lifecycle
    # a manager may move nothing here
    manager = section(as_role("manager").get(f"/projects/{pid}").text, "h-lifecycle")
    assert "<form" not in manager and "transition" not in manager


def test_a_manager_sees_only_the_reopen_link(
    as_role: Callable[[str], TestClient], client: TestClient
) -> None:
    pid = make_project(client)["id"]
    move(client, pid, "assessment", "cancelled")
    manager = section(as_role("manager").get(f"/projects/{pid}").text, "h-lifecycle")
    assert f'href="/projects/{pid}/transition?to=assessment"' in manager
    assert "<form" not in manager
    assert "Reopen" in manager
    staff = section(as_role("staff").get(f"/projects/{pid}").text, "h-lifecycle")
    assert "transition" not in staff  # staff may not reopen
    admin = section(as_role("admin").get(f"/projects/{pid}").text, "h-lifecycle")
    assert f'href="/projects/{pid}/transition?to=assessment"' in admin


def test_a_donor_sees_its_own_pledges_only_and_no_buttons(
    as_role: Callable[[str], TestClient], funded: dict[str, Any]
) -> None:
    pid = funded["project"]["id"]
    page = as_role("donor").get(f"/projects/{pid}")
    assert page.status_code == 200
    html = page.text
    words = text_of(html)
    assert "Germany" in words  # the donor speaks for Germany
    assert "United Kingdom" not in words
    for amount in ("50000.00", "20000.00", "30000.00"):
        assert EN.money(Decimal(amount), "GBP") not in words
    gbr = funded["gbr"]
    assert EN.money(Decimal(gbr["amount_eur"])) not in words
    # the project's totals would give away the other donors' amounts
    assert EN.money(Decimal(funded["project"]["funding"]["pledged_eur"])) not in words
    assert EN.money(Decimal(funded["project"]["funding"]["gap_eur"])) not in words
    assert "<form" not in html.split("<main", 1)[1].replace('action="/logout"', "")
    for link in (
        "/edit",
        "/pledges/new",
        "/receipts/new",
        "/milestones/new",
        "/indicators/new",
        "transition",
    ):
        assert link not in html
    assert 'id="h-trail"' not in html
    assert EN.money(Decimal("120000.00")) in words


def test_project_notices_and_unknown_project(
    as_role: Callable[[str], TestClient], funded: dict[str, Any]
) -> None:
    browser = as_role("staff")
    pid = funded["project"]["id"]
    page = browser.get(f"/projects/{pid}?done=pledge-added")
    assert 'role="status">The pledge was added.<' in page.text
    browser.get("/language?to=fr&next=/")
    page = browser.get(f"/projects/{pid}?done=milestone-done")
    assert "Le jalon a été marqué comme atteint." in page.text
    assert FR.money(Decimal(funded["project"]["funding"]["gap_eur"])) in page.text
    missing = browser.get("/projects/999999")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")


def test_the_project_page_costs_the_same_statements_whatever_its_size(
    app: FastAPI, as_role: Callable[[str], TestClient], client: TestClient
) -> None:
    make_rate(client, "USD", "2024-03", "0.91000000")
    make_rate(client, "USD", "2024-05", "0.92000000")
    small = make_project(client, budget_eur="9000000.00")["id"]
    pledge = make_pledge(client, small, currency="USD")
    ok(receive(client, pledge["id"], "10.00"), 201)
    large = make_project(client, budget_eur="9000000.00")["id"]
    donors = ["DEU", "FRA", "ITA", "NOR", "SWE", "USA"]
    for n in range(30):
        p = make_pledge(client, large, donor=donors[n % len(donors)], currency="USD" if n % 2 else "EUR")
        for _ in range(2):
            ok(receive(client, p["id"], "10.00"), 201)
    for n in range(20):
        ok(
            client.post(
                f"/api/v1/projects/{large}/milestones", json={"title": f"Step {n}", "due_on": "2024-06-01"}
            ),
            201,
        )
    browser = as_role("staff")
    browser.get(f"/projects/{small}")  # warm up: the first request prepares the routes
    db = app.state.db
    counts = {}
    for pid in (small, large):
        counts[pid] = count_statements(db, lambda pid=pid: ok_page(browser.get(f"/projects/{pid}")))
    assert counts[small] == counts[large], counts
    # 15, the Interests section's own fixed cost, the agreements, obligations and documents sections', and
    # the Budget and spending section's (the project's money, its pledges' balances, its spending by year,
    # its budget lines)
    assert counts[small] <= 25, counts
    print(f"project page: {counts[small]} statements")


def ok_page(response: Any) -> None:
    assert response.status_code == 200, response.text


# -- the register ----------------------------------------------------------------------------------


def test_register_filters_with_blanks_and_a_search(
    as_role: Callable[[str], TestClient], client: TestClient
) -> None:
    first = make_project(client, code="REG-ALPHA-01", title="Alpha depot")
    make_project(client, code="REG-BETA-01", title="Beta depot", beneficiaries=["MDA"])
    browser = as_role("staff")
    blank = "status=&area=&beneficiary=&donor=&activity_type=&funding=&sort=code"
    page = browser.get(f"/projects?q=&{blank}")
    assert page.status_code == 200
    assert "REG-ALPHA-01" in page.text and "REG-BETA-01" in page.text
    assert "Showing 1–2 of 2 projects" in text_of(page.text)
    page = browser.get(f"/projects?q=alpha&{blank}")
    assert "REG-ALPHA-01" in page.text and "REG-BETA-01" not in page.text
    assert f'href="/projects/{first["id"]}"' in page.text
    page = browser.get("/projects?beneficiary=MDA&status=requested&area=")
    assert "REG-BETA-01" in page.text and "REG-ALPHA-01" not in page.text
    assert 'value="MDA" selected' in page.text  # the choice is kept
    api = ok(client.get("/api/v1/projects", params={"sort": "-title"}))
    page = browser.get("/projects?sort=-title")
    codes = re.findall(r'href="/projects/\d+">([A-Z0-9-]+)<', page.text)
    assert codes == [p["code"] for p in api["items"]]


def test_register_columns_match_the_api(as_role: Callable[[str], TestClient], funded: dict[str, Any]) -> None:
    page = as_role("staff").get("/projects?funding=underfunded")
    assert page.status_code == 200
    funding = funded["project"]["funding"]
    words = text_of(page.text)
    for key in ("budget_eur", "pledged_eur", "gap_eur"):
        assert EN.money(Decimal(funding[key])) in words
    assert EN.percent(Decimal(funding["coverage"])) in words
    assert EN.percent(Decimal(funded["project"]["progress"]["percent"]) / 100) in words
    assert "Seeking funding" in words and "Serbia" in words


def test_a_bad_filter_gets_a_message_beside_its_field(as_role: Callable[[str], TestClient]) -> None:
    page = as_role("staff").get("/projects?status=bogus&q=x")
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert re.search(r'id="f-status-error">[^<]*bogus', page.text)
    assert 'name="q" type="search" value="x"' in page.text
    page = as_role("staff").get("/projects?sort=nonsense&page=zero")
    assert page.status_code == 422
    assert 'id="f-sort-error"' in page.text and 'id="f-page-error"' in page.text


def test_register_pages_fifty_at_a_time(as_role: Callable[[str], TestClient], client: TestClient) -> None:
    for n in range(53):
        make_project(client, code=f"PAGE-{n:03d}")
    browser = as_role("staff")
    first = browser.get("/projects")
    assert "Showing 1–50 of 53 projects" in text_of(first.text)
    assert 'href="/projects?page=2" rel="next"' in first.text
    assert "PAGE-049" in first.text and "PAGE-050" not in first.text
    second = browser.get("/projects?page=2")
    assert "Showing 51–53 of 53 projects" in text_of(second.text)
    assert "PAGE-050" in second.text and 'rel="prev"' in second.text and 'rel="next"' not in second.text


def test_exports_carry_the_current_selection(
    as_role: Callable[[str], TestClient], client: TestClient
) -> None:
    make_project(client, code="EXP-SRB-01")
    make_project(client, code="EXP-MDA-01", beneficiaries=["MDA"])
    browser = as_role("staff")
    page = browser.get("/projects?beneficiary=MDA&q=")
    assert 'href="/projects.csv?beneficiary=MDA"' in page.text
    exported = browser.get("/projects.csv?beneficiary=MDA&q=&status=")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    codes = [r[0] for r in rows[1:]]
    assert codes == ["EXP-MDA-01"]
    api = client.get("/api/v1/exports/projects.csv", params={"beneficiary": "MDA"})
    assert api.status_code == 200 and api.content == exported.content  # the API's export, byte for byte
    workbook = browser.get("/projects.xlsx?q=EXP-SRB")
    assert workbook.status_code == 200 and workbook.headers["content-disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert "EXP-SRB-01" in values and "EXP-MDA-01" not in values
    bad = browser.get("/projects.csv?status=bogus")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html")


# -- home ------------------------------------------------------------------------------------------


def test_home_lists_the_work_waiting(
    as_role: Callable[[str], TestClient], client: TestClient, funded: dict[str, Any]
) -> None:
    waiting = make_project(client, code="WAIT-01", title="A fresh request")
    page = as_role("staff").get("/")
    assert page.status_code == 200
    html = page.text
    requested = section(html, "h-requested")
    assert "(1)" in text_of(requested) and f'href="/projects/{waiting["id"]}"' in requested
    seeking = section(html, "h-seeking")
    pid = funded["project"]["id"]
    assert f'href="/projects/{pid}"' in seeking
    assert EN.money(Decimal(funded["project"]["funding"]["gap_eur"])) in text_of(seeking)
    overdue = text_of(section(html, "h-overdue"))
    assert "Fence installed" in overdue and "(1)" in overdue
    awaiting = section(html, "h-awaiting")
    assert "(2)" in text_of(awaiting)
    assert EN.money(Decimal(funded["gbr"]["outstanding"]), "GBP") in text_of(awaiting)
    recent = section(html, "h-recent")
    assert "staff@test.example.org" in recent
    assert recent.count("<tr>") - 1 == min(
        15, len(ok(client.get("/api/v1/audit", params={"limit": 500}))["items"])
    )
    assert f'href="/projects/{waiting["id"]}"' in recent
    assert 'href="/projects/new"' in html


def test_home_of_a_donor_shows_its_own_pledges(
    as_role: Callable[[str], TestClient], funded: dict[str, Any]
) -> None:
    html = as_role("donor").get("/").text
    words = text_of(html)
    assert 'href="/dashboards/donors/DEU"' in html
    assert EN.money(Decimal("120000.00")) in words
    assert "United Kingdom" not in words and EN.money(Decimal("50000.00"), "GBP") not in words
    assert 'id="h-recent"' not in html and 'href="/projects/new"' not in html
    manager = as_role("manager").get("/").text
    assert 'id="h-seeking"' in manager and 'href="/projects/new"' not in manager


# -- in a browser ----------------------------------------------------------------------------------


def test_staff_find_a_project_with_the_register_form(demo_site: tuple[str, FastAPI], browser: Any) -> None:
    server, app = demo_site
    with app.state.db.session() as session:
        rows, _ = projects_service.list_projects(
            session, SYSTEM, ProjectFilters(status="seeking_funding"), "code", 1, 0
        )
        code, target_id = rows[0].project.code, rows[0].project.id
    words = code.split("-")
    search = "-".join(words[1:3]) if len(words) > 2 else code
    context, page, problems = log_in_by_form(browser, server, "staff@example.org")
    try:
        page.wait_for_url(f"{server}/")
        assert page.get_by_role("heading", name="My work").is_visible()
        shoot(page, "staff-home")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
        page.get_by_label("Code or title contains").fill(search)
        page.get_by_label("Status").select_option(label="Seeking funding")
        page.get_by_role("button", name="Show projects").click()
        page.wait_for_load_state("load")
        assert "status=seeking_funding" in page.url and "q=" in page.url
        shoot(page, "staff-register")
        page.get_by_role("link", name=code, exact=True).click()
        page.wait_for_load_state("load")
        assert page.url == f"{server}/projects/{target_id}"
        assert page.get_by_role("heading", name="Funding by donor").is_visible()
        assert page.get_by_role("heading", name="Lifecycle").is_visible()
        shoot(page, "staff-project")
        page.get_by_role("link", name="Français").click()
        page.wait_for_load_state("load")
        assert page.get_by_role("heading", name="Financement par donateur").is_visible()
        shoot(page, "staff-project-fr")
    finally:
        context.close()
    assert problems == []
