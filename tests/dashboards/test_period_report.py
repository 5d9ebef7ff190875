"""The period report for the biennial implementation meetings: every figure against an independent sum over
the API, inside and outside the period (both ends included); the CSVs against the page's tables; the PDF in
French, on A4 with its fonts embedded and its charts as vectors; the command line; donors refused."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from portfolio.cli import app as cli
from portfolio.projects.models import Indicator
from tests.browser import ARTIFACTS
from tests.factories import make_pledge, make_project, make_rate, move, ok, receive
from tests.pages import log_in

START, END = date(2025, 1, 1), date(2025, 12, 31)
PERIOD = "?from=2025-01-01&to=2025-12-31"
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext, pdffonts) is not installed"
)


def poppler(*command: str) -> str:
    return subprocess.run(list(command), check=True, capture_output=True, text=True).stdout


def inside(day: str | date) -> bool:
    return START <= (date.fromisoformat(day) if isinstance(day, str) else day) <= END


@dataclass
class Portfolio:
    projects: dict[str, dict[str, Any]]


@pytest.fixture
def portfolio(client: TestClient, db: Any) -> Portfolio:
    """Projects, moves, pledges in three currencies, receipts, processes and indicators: some of each
    inside the period, on its first and last days, and just outside it."""
    for currency, month, rate in (
        ("NOK", "2025-12", "0.08512345"),
        ("USD", "2024-12", "0.91234567"),
        ("USD", "2025-01", "0.93456789"),
        ("USD", "2025-03", "0.92000000"),
        ("USD", "2026-01", "0.87654321"),
        ("NOK", "2026-01", "0.08300000"),
    ):
        make_rate(client, currency, month, rate)
    p: dict[str, dict[str, Any]] = {}
    # requested on the first day; assessed, funded and started in the period, completed on its last day
    p["A"] = make_project(
        client,
        code="PER-A",
        title="Depot security in Serbia and Moldova",
        areas=["SALW", "SCA"],
        beneficiaries=["SRB", "MDA"],
        request_date="2025-01-01",
        budget_eur="900000.00",
    )
    move(client, p["A"]["id"], "assessment", on="2025-01-01")
    move(client, p["A"]["id"], "planning", "seeking_funding", on="2025-02-15")
    move(client, p["A"]["id"], "implementation", on="2025-06-01")
    move(client, p["A"]["id"], "completed", on="2025-12-31")
    # requested and assessed the day before; started on the last day
    p["B"] = make_project(
        client,
        code="PER-B",
        title="Destruction of surplus ammunition in Georgia",
        beneficiaries=["GEO"],
        request_date="2024-12-31",
        budget_eur="2000000.00",
    )
    move(client, p["B"]["id"], "assessment", "planning", on="2024-12-31")
    move(client, p["B"]["id"], "seeking_funding", on="2025-03-01")
    move(client, p["B"]["id"], "implementation", on="2025-12-31")
    # requested the day after: counts nowhere but in the open needs, which it is not part of yet
    p["C"] = make_project(client, code="PER-C", beneficiaries=["ARM"], request_date="2026-01-01")
    # in implementation since before the period; on hold and resumed in it (not a start); completed after it
    p["D"] = make_project(
        client, code="PER-D", beneficiaries=["MNE"], request_date="2023-05-01", budget_eur="500000.00"
    )
    move(client, p["D"]["id"], "assessment", "planning", "seeking_funding", "implementation", on="2024-06-01")
    move(client, p["D"]["id"], "on_hold", on="2025-02-01")
    move(client, p["D"]["id"], "implementation", on="2025-03-01")
    move(client, p["D"]["id"], "completed", on="2026-01-01")
    # cancelled inside, and cancelled the day after
    p["E"] = make_project(client, code="PER-E", beneficiaries=["ALB"], request_date="2024-02-01")
    move(client, p["E"]["id"], "cancelled", on="2025-06-30")
    p["F"] = make_project(client, code="PER-F", beneficiaries=["ALB"], request_date="2024-02-01")
    move(client, p["F"]["id"], "cancelled", on="2026-01-01")
    # completed before the period: its outputs are not the period's
    p["G"] = make_project(client, code="PER-G", beneficiaries=["KAZ"], request_date="2022-01-10")
    move(client, p["G"]["id"], "assessment", "planning", "seeking_funding", "implementation", on="2023-01-10")
    move(client, p["G"]["id"], "completed", on="2024-12-31")
    # seeking funding at the period's end, with a gap
    p["H"] = make_project(
        client, code="PER-H", beneficiaries=["UZB"], request_date="2025-04-01", budget_eur="300000.00"
    )
    move(client, p["H"]["id"], "assessment", "planning", "seeking_funding", on="2025-05-01")

    a, b, d, h = p["A"]["id"], p["B"]["id"], p["D"]["id"], p["H"]["id"]
    on_first = make_pledge(
        client, a, donor="DEU", amount="100000.00", pledged_on="2025-01-01", status="committed"
    )
    on_last = make_pledge(client, a, donor="NOR", amount="500000.00", currency="NOK", pledged_on="2025-12-31")
    before = make_pledge(client, b, donor="USA", amount="200000.00", currency="USD", pledged_on="2024-12-31")
    make_pledge(
        client, b, donor="USA", amount="50000.00", currency="USD", pledged_on="2026-01-01", status="committed"
    )
    settled = make_pledge(
        client, b, donor="USA", amount="70000.00", currency="USD", pledged_on="2025-01-01", status="committed"
    )
    withdrawn = make_pledge(client, d, donor="DEU", amount="30000.00", pledged_on="2025-06-01")
    ok(client.patch(f"/api/v1/pledges/{withdrawn['id']}", json={"status": "withdrawn"}))
    make_pledge(client, h, donor="NOR", amount="1000.00", currency="NOK", pledged_on="2025-12-31")
    assert receive(client, before["id"], "100000.00", "2025-01-01").status_code == 201
    assert receive(client, on_first["id"], "40000.00", "2026-01-01").status_code == 201
    assert receive(client, before["id"], "25000.00", "2024-12-31").status_code == 201
    assert receive(client, on_last["id"], "200000.00", "2025-12-31").status_code == 201
    assert receive(client, settled["id"], "70000.00", "2025-03-10").status_code == 201  # now paid
    assert ok(client.get(f"/api/v1/pledges/{settled['id']}"))["status"] == "paid"

    commission = ok(
        client.post(
            "/api/v1/national-processes",
            json={
                "state": "SRB",
                "name": "National SALW Commission",
                "kind": "structure",
                "stage": "planned",
                "project_ids": [a],
                "stage_changed_on": "2024-12-31",
            },
        ),
        201,
    )
    for stage, on in (
        ("established", "2025-01-01"),
        ("operational", "2025-12-31"),
        ("sustained", "2026-01-01"),
    ):
        body = {"stage": stage, "stage_changed_on": on, "stage_note": "moved"}
        ok(client.patch(f"/api/v1/national-processes/{commission['id']}", json=body))
    ok(
        client.post(
            "/api/v1/national-processes",
            json={
                "state": "GEO",
                "name": "Ammunition destruction procedure",
                "kind": "procedure",
                "stage": "established",
                "stage_changed_on": "2025-07-14",
            },
        ),
        201,
    )

    def indicator(project: str, measure: str | None, target: str, actual: str | None, **sex: str) -> None:
        body = {"name": f"{measure} of {project}", "unit": "units", "target": target, "actual": actual}
        made = ok(client.post(f"/api/v1/projects/{p[project]['id']}/indicators", json=body), 201)
        # The API takes no standard measure yet: the measure (and the split by sex) is set on the record.
        with db.session(write=True) as session:
            values = {"measure": measure, **{k: Decimal(v) for k, v in sex.items()}}
            session.execute(update(Indicator).where(Indicator.id == made["id"]).values(**values))

    indicator("A", "people_trained", "120", "100", actual_women="40", actual_men="50")
    indicator("B", "people_trained", "80", "30", actual_women="30")
    indicator("D", "people_trained", "50", None)
    indicator("D", "weapons_destroyed", "5000", "4200.5")
    indicator("G", "weapons_destroyed", "9000", "9000")  # completed before the period
    indicator("C", "weapons_destroyed", "1000", "10")  # never in implementation
    indicator("A", None, "3", "2")  # a free indicator: no measure, no sum
    return Portfolio(p)


# -- reading what the page and the CSVs say ------------------------------------------------------


def kpis(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-kpi="([^"]+)" data-value="([^"]*)"', page))


def table_values(page: str, table: str) -> list[list[str]]:
    """The ``data-value`` of every cell of one table of the page (codes, ISO dates, plain decimals)."""
    block = re.search(rf'data-table="{table}">(.*?)</div>', page, re.S)
    assert block, f"no table {table}"
    rows = re.findall(r"<tr>(.*?)</tr>", block.group(1), re.S)
    values = [[html.unescape(v) for v in re.findall(r'<td data-value="([^"]*)"', r)] for r in rows]
    return [v for v in values if v]


def csv_rows(client: TestClient, table: str, query: str = PERIOD) -> list[list[str]]:
    response = client.get(f"/reports/period/{table}.csv{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text)))


def api_pledges(client: TestClient) -> list[dict[str, Any]]:
    return ok(client.get("/api/v1/pledges?limit=500"))["items"]  # type: ignore[no-any-return]


def api_receipts(
    client: TestClient, pledges: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(p, r) for p in pledges for r in ok(client.get(f"/api/v1/pledges/{p['id']}/receipts"))]


def money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


# -- the figures ---------------------------------------------------------------------------------


def test_counts_and_lists_hold_only_the_moves_inside_the_period_both_ends_included(client, portfolio):
    page = client.get(f"/reports/period{PERIOD}")
    assert page.status_code == 200, page.text
    figures = kpis(page.text)
    projects = ok(client.get("/api/v1/projects?limit=500"))["items"]
    histories = {p["id"]: ok(client.get(f"/api/v1/projects/{p['id']}/history")) for p in projects}

    def moved(status: str, starts_only: bool = False) -> set[str]:
        return {
            p["code"]
            for p in projects
            for c in histories[p["id"]]
            if c["to"] == status
            and inside(c["on"])
            and not (starts_only and c["from"] in ("on_hold", "completed", "cancelled"))
        }

    expected = {
        "requests": {p["code"] for p in projects if inside(p["request_date"])},
        "assessments": moved("assessment"),
        "started": moved("implementation", starts_only=True),
        "completed": moved("completed"),
        "cancelled": moved("cancelled"),
    }
    assert expected == {
        "requests": {"PER-A", "PER-H"},
        "assessments": {"PER-A", "PER-H"},
        "started": {"PER-A", "PER-B"},  # D resumed after a hold: not a start
        "completed": {"PER-A"},
        "cancelled": {"PER-E"},
    }
    for key, codes in expected.items():
        assert figures[key] == str(len(codes)), key
        listed = table_values(page.text, key)
        assert {row[0] for row in listed} == codes, key
    # each line links to its project, and names its beneficiaries
    a = portfolio.projects["A"]
    assert f'<a href="/projects/{a["id"]}">PER-A</a>' in page.text
    started = {row[0]: row for row in table_values(page.text, "started")}
    assert started["PER-A"][2:] == ["MDA; SRB", "2025-06-01"]
    assert started["PER-B"][3] == "2025-12-31"
    assert "Moldova, Serbia" in page.text


def test_money_pledged_committed_and_received_equal_the_apis_own_amounts_to_the_cent(client, portfolio):
    page = client.get(f"/reports/period{PERIOD}").text
    figures = kpis(page)
    pledges = api_pledges(client)
    counted = [p for p in pledges if p["status"] != "withdrawn" and inside(p["pledged_on"])]
    committed = [p for p in counted if p["status"] in ("committed", "paid")]
    receipts = [(p, r) for p, r in api_receipts(client, pledges) if inside(r["received_on"])]
    pledged_eur = sum((Decimal(p["amount_eur"]) for p in counted), Decimal(0))
    committed_eur = sum((Decimal(p["amount_eur"]) for p in committed), Decimal(0))
    received_eur = sum((Decimal(r["amount_eur"]) for _p, r in receipts), Decimal(0))
    assert figures["pledged"] == money(pledged_eur)
    assert figures["committed"] == money(committed_eur)
    assert figures["received"] == money(received_eur)
    # what the sums hold: the NOK pledge on the last day at December's rate, the USD pledge on the first at
    # January's; nothing pledged the day before or after, nor withdrawn; the receipt of the first day on a
    # pledge made before the period, at its own month's rate
    assert pledged_eur == Decimal("100000.00") + Decimal("42561.73") + Decimal("65419.75") + Decimal("85.12")
    assert received_eur == Decimal("93456.79") + Decimal("17024.69") + Decimal("64400.00")

    projects = {p["id"]: p for p in ok(client.get("/api/v1/projects?limit=500"))["items"]}

    def split(key: Any) -> dict[str, list[str]]:
        out: dict[str, list[Decimal]] = {}
        for rows, index in ((counted, 0), (committed, 1)):
            for p in rows:
                for k in key(p):
                    out.setdefault(k, [Decimal(0)] * 3)[index] += Decimal(p["amount_eur"])
        for p, r in receipts:
            for k in key(p):
                out.setdefault(k, [Decimal(0)] * 3)[2] += Decimal(r["amount_eur"])
        return {k: [money(v) for v in values] for k, values in out.items()}

    by_donor = split(lambda p: [p["donor"]])
    by_area = split(lambda p: projects[p["project_id"]]["areas"])
    by_state = split(lambda p: projects[p["project_id"]]["beneficiaries"])
    assert {row[0]: row[2:] for row in table_values(page, "by-donor")} == by_donor
    assert {row[0]: row[1:] for row in table_values(page, "by-area")} == by_area
    assert {row[0]: row[2:] for row in table_values(page, "by-beneficiary")} == by_state
    # a project in two areas (and two States) counts in full under each: every project is in SCA, only A
    # in SALW too, so the areas add up to more than the total
    assert by_area["SCA"][0] == money(pledged_eur)
    assert by_area["SALW"][0] == "142561.73"
    assert by_state["SRB"] == by_state["MDA"]
    assert "counts in full under each" in page


def test_outputs_sum_the_measures_of_the_projects_in_implementation_during_the_period(client, portfolio):
    page = client.get(f"/reports/period{PERIOD}").text
    rows = {row[0]: row for row in table_values(page, "outputs")}
    # A (started and completed in it), B (started on its last day), D (in implementation when it began);
    # not G (completed the day before), not C (never started), not the free indicator
    assert set(rows) == {"people_trained", "weapons_destroyed"}
    assert rows["people_trained"] == ["people_trained", "people", "3", "3", "250", "130", "70", "50", "10"]
    assert rows["weapons_destroyed"] == [
        "weapons_destroyed",
        "weapons",
        "1",
        "1",
        "5000",
        "4200.5",
        "",
        "",
        "",
    ]
    assert "People trained" in page and "Women" in page


def test_national_processes_moved_in_the_period_and_open_needs_at_its_end(client, portfolio):
    page = client.get(f"/reports/period{PERIOD}").text
    processes = ok(client.get("/api/v1/national-processes?limit=500"))["items"]
    expected = [
        [c["on"], p["state"], p["name"], p["kind"], c["from"] or "", c["to"]]
        for p in processes
        for c in ok(client.get(f"/api/v1/national-processes/{p['id']}/history"))
        if inside(c["on"])
    ]
    listed = table_values(page, "processes")
    assert sorted(listed) == sorted(expected)
    assert [r[0] for r in listed] == ["2025-01-01", "2025-07-14", "2025-12-31"]
    assert kpis(page)["stage-changes"] == "3"

    # at the end, the dashboards' open gap on that day: B in implementation (since the last day), D in
    # implementation (its only pledge was withdrawn), H seeking funding and F still a request (any stage
    # counts); not A (completed), E and G (cancelled, completed), nor C (requested after the end)
    pledges = api_pledges(client)
    projects = ok(client.get("/api/v1/projects?limit=500"))["items"]
    needs = {}
    for p in projects:
        history = [
            c for c in ok(client.get(f"/api/v1/projects/{p['id']}/history")) if c["on"] <= "2025-12-31"
        ]
        if not history or history[-1]["to"] in ("completed", "cancelled"):
            continue
        pledged = sum(
            (
                Decimal(x["amount_eur"])
                for x in pledges
                if x["project_id"] == p["id"]
                and x["status"] != "withdrawn"
                and x["pledged_on"] <= "2025-12-31"
            ),
            Decimal(0),
        )
        if Decimal(p["budget_eur"]) > pledged:
            needs[p["code"]] = [
                money(Decimal(p["budget_eur"])),
                money(pledged),
                money(Decimal(p["budget_eur"]) - pledged),
            ]
    assert set(needs) == {"PER-B", "PER-D", "PER-F", "PER-H"}
    listed_needs = {row[0]: row for row in table_values(page, "open-needs")}
    assert {k: v[4:] for k, v in listed_needs.items()} == needs
    assert listed_needs["PER-D"][3] == "implementation"
    assert listed_needs["PER-H"][3] == "seeking_funding"
    assert listed_needs["PER-F"][3] == "requested"
    total = sum((Decimal(v[2]) for v in needs.values()), Decimal(0))
    assert kpis(page)["open-gap"] == money(total)
    assert kpis(page)["open-needs"] == "4"


def test_the_open_gap_of_a_period_ending_today_is_the_dashboards_open_gap(client, portfolio):
    """One figure, one definition: the period report's open gap at its end is the funding overview's and
    the gaps page's open gap when the period ends today, project by project."""
    today = date.today().isoformat()
    page = client.get(f"/reports/period?from=2020-01-01&to={today}").text
    overview = client.get("/dashboards/funding").text
    gaps = client.get("/dashboards/gaps").text
    assert kpis(page)["open-gap"] == kpis(overview)["open-gap"] == kpis(gaps)["open-gap"]
    assert kpis(page)["open-needs"] == kpis(gaps)["open-gap-projects"]
    listed = {row[0]: row[-1] for row in table_values(page, "open-needs")}
    # C is a request since the period above ended; D and F were completed and cancelled since
    assert set(listed) == {"PER-B", "PER-C", "PER-H"}


def test_every_figure_has_its_definition_beside_it(client, portfolio):
    page = client.get(f"/reports/period{PERIOD}").text
    blocks = re.findall(
        r'<div class="kpi" data-kpi="([^"]+)".*?<div class="kpi-definition">(.*?)</div>', page
    )
    assert len(blocks) == 11
    assert all(len(definition) > 30 for _k, definition in blocks)
    definitions = dict(blocks)
    assert "no date of commitment" in definitions["committed"]
    assert "pledged" in html.unescape(definitions["committed"])


def test_each_csv_holds_the_rows_of_its_table_on_the_page(client, portfolio):
    page = client.get(f"/reports/period{PERIOD}").text
    for table in (
        "requests",
        "assessments",
        "started",
        "completed",
        "cancelled",
        "by-donor",
        "by-area",
        "by-beneficiary",
        "outputs",
        "processes",
        "open-needs",
    ):
        rows = csv_rows(client, table)
        assert rows[1:] == table_values(page, table), table
        assert f'href="/reports/period/{table}.csv?from=2025-01-01&amp;to=2025-12-31"' in page
    assert csv_rows(client, "by-donor")[0] == [
        "Code",
        "Donor",
        "Pledged (EUR)",
        "Committed (EUR)",
        "Received (EUR)",
    ]
    assert client.get(f"/reports/period/nothing.csv{PERIOD}").status_code == 404


def test_the_period_counts_nothing_outside_it(client, portfolio):
    page = client.get("/reports/period?from=2025-01-02&to=2025-12-30").text
    figures = kpis(page)
    assert figures["requests"] == "1"  # H; A was requested on the first day
    assert figures["started"] == "1"  # A, on 1 June; B started on the last day
    assert figures["completed"] == "0" and figures["assessments"] == "1"
    assert figures["received"] == "64400.00"  # the USD receipt of 10 March, nothing on the first or last day
    assert figures["pledged"] == "0.00"
    assert figures["stage-changes"] == "1"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            "?from=2025-12-31&to=2025-01-01",
            "to",
            "The end of the period (2025-01-01) comes before its start.",
        ),
        ("?from=31/12/2025&to=2025-12-31", "from", "“31/12/2025” is not a date: write it as YYYY-MM-DD."),
        ("?from=2025-01-01&to=2025-02-30", "to", "“2025-02-30” is not a date: write it as YYYY-MM-DD."),
        ("?from=1800-01-01&to=2025-02-01", "from", "“1800-01-01” is not a date between 1990 and 2100."),
    ],
)
def test_a_period_that_cannot_be_read_is_refused_beside_its_field(client, query, field, message):
    page = client.get(f"/reports/period{query}")
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    error = re.search(rf'<p class="field-error" id="f-{field}-error">(.*?)</p>', page.text)
    assert error and message in html.unescape(error.group(1))
    assert f'aria-describedby="f-{field}-error"' in page.text
    assert 'data-kpi="' not in page.text  # no figures for a period that was not understood
    for url in (f"/reports/period.pdf{query}", f"/reports/period/by-donor.csv{query}"):
        refused = client.get(url)
        assert refused.status_code == 422, url
        assert message in refused.text


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("fr", "La fin de la période (2025-01-01) précède son début."),
        ("ru", "Окончание периода (2025-01-01) предшествует его началу."),
    ],
)
def test_a_refused_period_is_named_in_the_pages_language(client, lang, message):
    page = client.get(f"/reports/period?from=2025-12-31&to=2025-01-01&lang={lang}")
    assert page.status_code == 422
    error = re.search(r'<p class="field-error" id="f-to-error">(.*?)</p>', page.text)
    assert error and html.unescape(error.group(1)) == message
    assert 'id="f-from-error"' not in page.text


def test_without_a_period_the_report_covers_last_year_to_today(client):
    page = client.get("/reports/period")
    assert page.status_code == 200
    today = date.today()
    assert f'value="{today.year - 1}-01-01"' in page.text
    assert f'value="{today.isoformat()}"' in page.text


# -- who may read it ------------------------------------------------------------------------------


def test_donors_may_open_neither_the_page_nor_its_pdf_nor_its_csvs(anon, accounts, portfolio):
    donor = log_in(anon, "donor")
    for url in (
        f"/reports/period{PERIOD}",
        f"/reports/period.pdf{PERIOD}",
        f"/reports/period/by-donor.csv{PERIOD}",
    ):
        response = donor.get(url)
        assert response.status_code == 403, url
        assert "NOR" not in response.text and "Norway" not in response.text and "42561" not in response.text
    assert "/reports/period" not in donor.get("/").text  # and the menu does not offer it


@pytest.mark.parametrize("role", ["manager", "staff", "admin"])
def test_the_menu_leads_staff_managers_and_admins_to_the_report(anon, accounts, role):
    browser = log_in(anon, role)
    home = browser.get("/")
    assert '<a href="/reports/period"' in home.text
    assert browser.get("/reports/period").status_code == 200


# -- the PDF and the command line ------------------------------------------------------------------


@needs_poppler
def test_the_french_pdf_reads_french_on_a4_with_fonts_embedded_and_vector_charts(client, portfolio, tmp_path):
    response = client.get(f"/reports/period.pdf{PERIOD}&lang=fr")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "period-report-2025-01-01-2025-12-31-fr.pdf" in response.headers["content-disposition"]
    pdf = tmp_path / "period-fr.pdf"
    pdf.write_bytes(response.content)
    info = poppler("pdfinfo", str(pdf))
    assert "x 841.89 pts (A4)" in info
    fonts = [line.split() for line in poppler("pdffonts", str(pdf)).splitlines()[2:]]
    assert fonts and all(row[-5] == "yes" for row in fonts), fonts
    assert poppler("pdfimages", "-list", str(pdf)).count("\n") == 2, "a chart was rasterised"
    text = re.sub(
        r"\s+", " ", poppler("pdftotext", str(pdf), "-").replace("\u202f", " ").replace("\u00a0", " ")
    )
    for words in (
        "Rapport sur la période",
        "Du 1 janv. 2025 au 31 déc. 2025",
        "Demandes reçues",
        "Projets démarrés",
        "Projets avec un déficit ouvert à la fin de la période",
        "Personnes formées",
        "Femmes",
        "Annoncé et reçu pendant la période par donateur",
        "Norvège",
    ):
        assert words in text, words
    figures = kpis(client.get(f"/reports/period{PERIOD}").text)
    pledged = Decimal(figures["pledged"])
    french = f"{pledged:,.2f}".replace(",", " ").replace(".", ",") + " €"
    assert french in text  # 208 066,60 €
    assert "Pledged" not in text and "Requests received" not in text
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("period-report-fr-*.png"):
        old.unlink()
    poppler("pdftoppm", "-png", "-r", "60", str(pdf), str(ARTIFACTS / "period-report-fr"))
    assert list(ARTIFACTS.glob("period-report-fr-*.png"))


@needs_poppler
def test_the_command_line_writes_the_pdf_and_each_table_as_csv(
    client, portfolio, settings, tmp_path, monkeypatch
):
    monkeypatch.setenv("PORTFOLIO_DATABASE_URL", settings.database_url)
    from portfolio.config import get_settings

    get_settings.cache_clear()
    try:
        out, folder = tmp_path / "report.pdf", tmp_path / "csv"
        result = CliRunner().invoke(
            cli,
            [
                "report",
                "period",
                "--from",
                "2025-01-01",
                "--to",
                "2025-12-31",
                "--out",
                str(out),
                "--csv-dir",
                str(folder),
            ],
        )
        assert result.exit_code == 0, result.output
        assert poppler("pdfinfo", str(out)).count("A4") == 1
        text = poppler("pdftotext", str(out), "-")
        assert "Period report" in text and "PER-A" in text
        written = sorted(p.name for p in folder.iterdir())
        assert len(written) == 11
        donors = list(csv.reader((folder / "period-report-2025-01-01-2025-12-31-by-donor.csv").open()))
        assert donors[1:] == csv_rows(client, "by-donor")[1:]
        refused = CliRunner().invoke(cli, ["report", "period", "--from", "2025-12-31", "--to", "2025-01-01"])
        assert refused.exit_code == 2
        assert "--to: The end of the period (2025-01-01) comes before its start." in refused.output
    finally:
        get_settings.cache_clear()
