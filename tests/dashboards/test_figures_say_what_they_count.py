"""The defects a manager found by reading the dashboards, each as the person sees it: the funding overview's
headline figures and the scope each counts, the Results page's outputs by year and its charts' one title,
progress at 0 % for a project that has done nothing, the timeline's today line, titles and late starts,
the data-quality page's amounts, stale projects and empty-by-design list, the donor statement's sample
notice, and the gaps table's and the map's States."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from dashboards import figures
from dashboards.labels import Labels
from portfolio.audit.models import AuditEntry
from portfolio.projects import service as projects_service
from portfolio.projects.schemas import ProjectCreate
from portfolio.security import SYSTEM
from tests.days import today
from tests.factories import make_pledge, make_project, make_rate, move, ok

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def kpis(page: str) -> dict[str, tuple[str, str, str, str]]:
    """Each headline figure: its exact value, label, text and definition, as the page shows them."""
    found = re.findall(
        r'data-kpi="([^"]+)" data-value="([^"]*)"><div class="kpi-label">(.*?)</div>'
        r'<div class="kpi-value">(.*?)</div><div class="kpi-definition">(.*?)</div>',
        page,
        flags=re.S,
    )
    return {
        k: (v, html.unescape(label), html.unescape(text), html.unescape(d)) for k, v, label, text, d in found
    }


def figure(page: str, panel: str) -> dict[str, Any]:
    """The Plotly figure a page draws in a panel, as the browser receives it."""
    found = re.search(rf'<script type="application/json" id="fig-{panel}">(.*?)</script>', page, flags=re.S)
    assert found, panel
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def section(page: str, panel: str) -> str:
    """A panel's HTML: its heading, note, chart and table."""
    return page.split(f'<section class="panel" id="{panel}"')[1].split("</section>")[0]


def csv_rows(client: Any, path: str, table: str, **params: str) -> list[dict[str, str]]:
    response = client.get(path, params={"table": table, "lang": "en", **params})
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def plain(text: str) -> str:
    return " ".join(html.unescape(text).replace("\u202f", " ").replace("\u00a0", " ").split())


# -- 1. the funding overview's headline figures ------------------------------------------------------


@pytest.fixture
def open_and_closed(client):
    """An open project short of its budget, a completed and a cancelled one with budgets of their own."""
    running = make_project(client, code="SCOPE-OPEN", budget_eur="1000.00")
    move(client, running["id"], "assessment", "planning", "seeking_funding")
    make_pledge(client, running["id"], donor="NOR", amount="250.00")
    done = make_project(client, code="SCOPE-DONE", budget_eur="700.00")
    move(client, done["id"], "assessment", "planning", "seeking_funding", "implementation")
    make_pledge(client, done["id"], donor="NOR", amount="100.00")
    move(client, done["id"], "completed")
    dropped = make_project(client, code="SCOPE-DROPPED", budget_eur="309000.00")
    move(client, dropped["id"], "cancelled")


def test_the_funding_overviews_budget_and_coverage_count_the_open_gaps_projects(client, open_and_closed):
    page = client.get("/dashboards/funding").text
    shown = kpis(page)
    # Budget and coverage: the open project alone, as the open gap (the €309,000 cancelled and the
    # €700 completed budgets are not in them)
    assert shown["budget"][:3] == ("1000.00", "Budget of open projects", "€1,000.00")
    assert shown["open-gap"][0] == "750.00"
    assert shown["coverage"][:3] == ("0.2500", "Coverage of open projects", "25.0%")
    assert "neither completed nor cancelled" in shown["budget"][3]
    assert "neither completed nor cancelled" in shown["coverage"][3]
    # Pledged and received count every project selected, and say so
    assert shown["pledged"][:2] == ("350.00", "Pledged (projects of any status)")
    assert "completed and cancelled ones included" in shown["pledged"][3]
    assert shown["received"][1] == "Received (projects of any status)"
    assert "completed and cancelled ones included" in shown["received"][3]
    french = kpis(client.get("/dashboards/funding", params={"lang": "fr"}).text)
    assert french["budget"][:2] == ("1000.00", "Budget des projets ouverts")
    assert french["coverage"][1:3] == ("Couverture des projets ouverts", "25,0\u00a0%")
    assert french["pledged"][1] == "Annoncé (projets de tout statut)"
    assert "ni achevés ni annulés" in french["budget"][3]


# -- 2. Results: outputs by year -------------------------------------------------------------------------


def add_output(client, project_id: int, actual: str | None, target: str = "100") -> dict[str, Any]:
    body = {"name": "Surplus weapons destroyed", "measure": "weapons_destroyed", "target": target}
    return ok(  # type: ignore[no-any-return]
        client.post(
            f"/api/v1/projects/{project_id}/indicators",
            json=body | ({"actual": actual} if actual is not None else {}),
        ),
        201,
    )


def test_outputs_by_year_fall_in_the_year_the_actual_was_recorded_not_the_projects_end_year(client, db):
    project = make_project(client, code="YEAR-LATE", start_date="2024-01-01", end_date="2031-12-31")
    recorded = add_output(client, project["id"], actual="40")
    later = make_project(client, code="YEAR-MOVED", start_date="2024-01-01", end_date="2031-12-31")
    moved = add_output(client, later["id"], actual="7")
    # The second indicator's actual was recorded in 2025 (its audit entry says so); its target changes today,
    # which is no new actual: it stays in 2025.
    with db.session(write=True) as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.entity == "indicator", AuditEntry.entity_id == moved["id"])
        ).one()
        entry.at = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
    url = f"/api/v1/projects/{later['id']}/indicators/{moved['id']}"
    ok(client.patch(url, json={"target": "120"}))
    years = {
        r["Year"]: r["Weapons destroyed (weapons)"]
        for r in csv_rows(client, "/dashboards/results.csv", "results-by-year")
    }
    assert years == {str(today().year): "40", "2025": "7"}, years  # never 2031, the projects' end year
    assert recorded["actual"]
    page = client.get("/dashboards/results").text
    note = plain(section(page, "results-by-year"))
    assert "by the year the indicator's actual was last recorded" in note
    assert "the audit trail's latest such write" in note and "end date" not in note
    french = plain(section(client.get("/dashboards/results", params={"lang": "fr"}).text, "results-by-year"))
    assert "l'année où la valeur réelle de l'indicateur a été enregistrée pour la dernière fois" in french


# -- 4. Results: one title per chart --------------------------------------------------------------------


def test_the_results_charts_show_their_title_once_as_the_panels_heading(client):
    project = make_project(client, code="TITLE-ONCE")
    add_output(client, project["id"], actual="40")
    pledge = make_pledge(client, project["id"], amount="1000.00")
    ok(
        client.post(
            f"/api/v1/pledges/{pledge['id']}/receipts", json={"amount": "500.00", "received_on": "2024-05-02"}
        ),
        201,
    )
    page = client.get("/dashboards/results").text
    for panel, title in (
        ("results-measures", "Outputs by standard measure"),
        ("results-cost", "Cost per unit of output, by project"),
    ):
        drawn = figure(page, panel)
        assert "text" not in drawn["layout"].get("title", {}), (panel, drawn["layout"].get("title"))
        assert title not in json.dumps(drawn)  # the chart draws no title of its own
        heading = re.search(rf'<h2 id="{panel}-title">(.*?)</h2>', page)
        assert heading and heading.group(1) == title  # the heading names it, once
        assert f'role="figure" aria-label="{title}"' in section(page, panel)  # and names the chart


# -- 3. Progress: 0 % when nothing is done, and the timeline ---------------------------------------------


def test_a_project_that_has_not_started_shows_0_percent_not_its_baseline_share(client):
    project = make_project(client, code="PROG-NOTHING", start_date="2027-03-01", end_date="2028-06-30")
    # its indicator: from 50 sites secured before the project to 100; nothing done yet, so 50 today
    ok(
        client.post(
            f"/api/v1/projects/{project['id']}/indicators",
            json={
                "name": "Sites secured",
                "unit": "sites",
                "baseline": "50",
                "target": "100",
                "actual": "50",
            },
        ),
        201,
    )
    for title in ("Inception", "Delivery"):
        ok(client.post(f"/api/v1/projects/{project['id']}/milestones", json={"title": title}), 201)
    (row,) = csv_rows(client, "/dashboards/progress.csv", "indicators")
    assert row["% of its own target (%)"] == "0.0", row  # not 50.0: the baseline is no progress
    (line,) = csv_rows(client, "/dashboards/progress.csv", "timeline")
    assert line["Percent complete (%)"] == "0.0"
    page = client.get("/dashboards/progress").text
    drawn = figure(page, "indicators")["data"][0]
    assert drawn["x"] == [0.0] and drawn["customdata"][0][1] == "0.0%"
    assert "50 of 100 sites, from 50" in section(page, "indicators")
    # halfway from the baseline: 75 sites is 50 %
    indicator = ok(client.get(f"/api/v1/projects/{project['id']}/indicators"))[0]
    ok(client.patch(f"/api/v1/projects/{project['id']}/indicators/{indicator['id']}", json={"actual": "75"}))
    (row,) = csv_rows(client, "/dashboards/progress.csv", "indicators")
    assert row["% of its own target (%)"] == "50.0"


def test_the_timeline_marks_today_names_projects_and_flags_late_starts(client):
    long_title = "Strengthening controls against illicit SALW trafficking at the borders of the State"
    late = make_project(
        client,
        code="TL-LATE",
        title=long_title,
        request_date="2022-01-10",
        start_date=(today() - timedelta(days=800)).isoformat(),
        end_date=(today() + timedelta(days=300)).isoformat(),
    )
    move(client, late["id"], "assessment", "planning", "seeking_funding", on="2022-06-01")
    running = make_project(
        client,
        code="TL-RUNNING",
        title="Depot security",
        request_date="2022-01-10",
        start_date=(today() - timedelta(days=900)).isoformat(),
        end_date=(today() + timedelta(days=300)).isoformat(),
    )
    move(
        client, running["id"], "assessment", "planning", "seeking_funding", "implementation", on="2022-06-01"
    )
    recent = make_project(
        client,
        code="TL-RECENT",
        title="Marking",
        request_date="2022-01-10",
        start_date=(today() - timedelta(days=100)).isoformat(),
        end_date=(today() + timedelta(days=300)).isoformat(),
    )
    move(client, recent["id"], "assessment", "planning", "seeking_funding", on="2022-06-01")
    page = client.get("/dashboards/progress").text
    drawn = figure(page, "timeline")
    (bars,) = drawn["data"]
    # each project by code and title, a long title shortened
    assert bars["y"] == [
        "TL-RUNNING — Depot security",
        "TL-LATE — Strengthening controls against illicit…",
        "TL-RECENT — Marking",
    ]
    assert bars["customdata"][1][0] == f"TL-LATE — {long_title}"  # the hover has it whole
    # a dotted line at today, named
    (line,) = [s for s in drawn["layout"]["shapes"] if s["type"] == "line"]
    assert line["x0"] == line["x1"] == today().isoformat() and line["yref"] == "paper"
    assert any(a["text"] == "Today" and a["x"] == today().isoformat() for a in drawn["layout"]["annotations"])
    # the late start alone is flagged: hatched, outlined, ⚑, and said in the hover, the table and the note
    assert bars["marker"]["pattern"]["shape"] == ["", "/", ""]
    assert [t.startswith("⚑") for t in bars["text"]] == [False, True, False]
    assert "seeking funding" in bars["customdata"][1][4]
    rows = {r["Code"]: r for r in csv_rows(client, "/dashboards/progress.csv", "timeline")}
    assert rows["TL-LATE"]["Days since its planned start, not started"] == "800"
    assert rows["TL-RUNNING"]["Days since its planned start, not started"] == ""  # it has started
    assert rows["TL-RECENT"]["Days since its planned start, not started"] == ""  # not a year late
    assert "its planned start passed over a year ago" in plain(section(page, "timeline"))
    french = figure(client.get("/dashboards/progress", params={"lang": "fr"}).text, "timeline")
    assert any(a["text"] == "Aujourd'hui" for a in french["layout"]["annotations"])


# -- 5. the data-quality page ------------------------------------------------------------------------------


def test_the_data_quality_page_writes_amounts_as_money_in_its_language(client):
    make_rate(client, "DKK", "2024-02", "0.13400000")
    project = make_project(client, code="DQ-KRONE", request_date="2023-05-01")
    pledge = make_pledge(
        client, project["id"], donor="DNK", currency="DKK", amount="382000.00", pledged_on="2024-02-10"
    )
    ok(client.patch(f"/api/v1/pledges/{pledge['id']}", json={"status": "committed"}))
    english = section(client.get("/dashboards/data-quality").text, "unpaid_commitments")
    assert "382000.00 DKK" not in english
    assert "Denmark: DKK382,000.00" in plain(english)
    french = section(client.get("/dashboards/data-quality", params={"lang": "fr"}).text, "unpaid_commitments")
    assert "Danemark : 382 000,00 DKK" in plain(french) or "Danemark: 382 000,00 DKK" in plain(french)
    # the CSV keeps the amount as data
    (row,) = csv_rows(client, "/dashboards/data-quality.csv", "unpaid_commitments")
    assert row["Detail"] == "DNK: 382000.00 DKK"


def system_project(db, code: str, requested: date) -> int:
    """A project written as the sample loader writes them: by the system, today."""
    with db.session(write=True) as session:
        project = projects_service.create_project(
            session,
            SYSTEM,
            ProjectCreate(
                code=code,
                title=f"{code} title",
                areas=["SCA"],
                activity_types=["stockpile_security"],
                beneficiaries=["SRB"],
                request_date=requested,
                budget_eur=Decimal("1000.00"),
            ),
        )
        assert project.id is not None
        return project.id


def test_stale_projects_are_those_whose_last_real_change_is_over_90_days_old(client, db):
    long_ago = today() - timedelta(days=400)
    quiet = system_project(db, "SAMPLE-QUIET", long_ago)  # loaded today, nothing since its request
    edited = system_project(db, "SAMPLE-EDITED", long_ago)
    ok(client.patch(f"/api/v1/projects/{edited}", json={"title": "Edited by a person"}))  # a real change
    fresh = system_project(db, "SAMPLE-FRESH", today() - timedelta(days=30))  # requested a month ago
    made = make_project(client, code="REAL-NEW", request_date=long_ago.isoformat())  # a person wrote it today
    rows = {r["Record"]: r for r in csv_rows(client, "/dashboards/data-quality.csv", "stale_projects")}
    assert set(rows) == {"SAMPLE-QUIET"}, rows
    assert rows["SAMPLE-QUIET"]["Since"] == long_ago.isoformat()  # its last change: its request
    assert quiet and fresh and made
    page = client.get("/dashboards/data-quality").text
    shown = plain(section(page, "stale_projects"))
    assert "SAMPLE-QUIET title (requested)" in shown
    assert "Loading the sample data is not a change" in shown
    french = plain(
        section(client.get("/dashboards/data-quality", params={"lang": "fr"}).text, "stale_projects")
    )
    assert "SAMPLE-QUIET title (demandé)" in french


def test_the_list_that_stays_empty_by_design_says_what_it_would_hold(client):
    page = plain(section(client.get("/dashboards/data-quality").text, "missing_rates"))
    assert (
        "Would list each pledge or receipt in another currency than the euro whose month has no exchange rate"
        in page
    )
    french = plain(
        section(client.get("/dashboards/data-quality", params={"lang": "fr"}).text, "missing_rates")
    )
    assert "Listerait chaque annonce ou versement" in french


# -- 6. the donor statement's sample notice -----------------------------------------------------------------


def poppler(*command: str) -> str:
    return subprocess.run(list(command), check=True, capture_output=True, text=True).stdout


WHOLLY = "Sample data: the projects and amounts in this statement are fictitious."
PARTLY = "Records whose code starts with SAMPLE- are fictitious sample data."


def statement(client, tmp_path, name: str) -> tuple[str, str]:
    """Germany's statement for 2025: the notice paragraph of its page, and its PDF's text."""
    params = {"from": "2025-01-01", "to": "2025-12-31"}
    page = client.get("/dashboards/donors/DEU", params=params).text
    notice = re.findall(r'<p class="sample" role="note">(.*?)</p>', page)
    pdf = client.get("/dashboards/donors/DEU.pdf", params=params)
    assert pdf.status_code == 200
    path = tmp_path / name
    path.write_bytes(pdf.content)
    return " ".join(notice), plain(poppler("pdftotext", str(path), "-"))


def funded_by_germany(client, code: str) -> None:
    project = make_project(client, code=code, request_date="2024-01-10")
    make_pledge(client, project["id"], donor="DEU", amount="1000.00", pledged_on="2025-03-01")


@needs_poppler
def test_the_statement_calls_itself_fictitious_only_when_every_project_is_sample_data(client, tmp_path):
    funded_by_germany(client, "SAMPLE-ONE")
    notice, text = statement(client, tmp_path, "sample.pdf")
    assert notice == WHOLLY and WHOLLY in text
    funded_by_germany(client, "REAL-ONE")
    notice, text = statement(client, tmp_path, "mixed.pdf")
    assert WHOLLY not in notice and WHOLLY not in text
    assert notice == PARTLY and PARTLY in text  # which records are sample data, not the whole statement


# -- 7. the gaps table's States and the map --------------------------------------------------------------


def test_the_gaps_table_names_beneficiary_states_in_the_pages_language(client):
    make_project(client, code="GAP-UZB", beneficiaries=["UZB", "KAZ"])
    (row,) = csv_rows(client, "/dashboards/gaps.csv", "gaps")
    assert row["Beneficiary State"] == "Kazakhstan, Uzbekistan"
    english = section(client.get("/dashboards/gaps").text, "gaps")
    assert "<td>Kazakhstan, Uzbekistan</td>" in english and "<td>UZB" not in english
    french = section(client.get("/dashboards/gaps", params={"lang": "fr"}).text, "gaps")
    assert "<td>Kazakhstan, Ouzbékistan</td>" in french


def colour_at_zero(trace: dict[str, Any]) -> str:
    scale = trace["colorscale"]
    assert scale[0][0] == 0
    return str(scale[0][1]).lower()


def test_the_map_shows_seas_countries_without_data_and_0_eur_states_apart(client):
    paid = make_project(client, code="MAP-PAID", beneficiaries=["SRB"])
    make_pledge(client, paid["id"], amount="5000.00")
    make_project(client, code="MAP-NOTHING", beneficiaries=["MDA"])  # helped, nothing pledged: €0
    page = client.get("/dashboards/funding").text
    drawn = figure(page, "map")
    geo = drawn["layout"]["geo"]
    (trace,) = drawn["data"]
    assert dict(zip(trace["locations"], trace["z"], strict=True)) == {"SRB": 5000.0, "MDA": 0.0}
    sea, land, zero = geo["oceancolor"].lower(), geo["landcolor"].lower(), colour_at_zero(trace)
    assert geo["showocean"] is True and geo["showlakes"] is True and geo["lakecolor"].lower() == sea
    # the sea, a country no project helps (the land left unpainted) and a State at €0: three colours
    assert len({sea, land, zero}) == 3
    # €0 alone has the zero colour: a State with a cent pledged is already blue
    assert trace["colorscale"][1][0] * 5000.0 < 0.01
    note = plain(section(page, "map"))
    assert "(€0)" in note and "grey: a country no project selected helps" in note and "sea" in note
    assert figures.beneficiary_map([], Labels("en")).figure.layout.geo.showocean is True
