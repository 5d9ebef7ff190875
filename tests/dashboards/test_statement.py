"""A donor's statement for a period: on the page, as CSV and as an A4 PDF (and from the command line).

Germany (the test donor account's State) and the United Kingdom fund the same project; every figure of
Germany's statement is checked against sums over the API's own pledge and receipt lists, to the cent, and
nothing of the United Kingdom's money reaches any of Germany's outputs."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
import subprocess
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from tests.factories import make_pledge, make_project, make_rate, move, ok, receive

PERIOD = {"from": "2025-01-01", "to": "2025-12-31"}
CENT = Decimal("0.01")
TABLES = ["projects", "pledges", "receipts", "outstanding", "results", "processes"]
# What only the United Kingdom's pledge and receipt hold: its name, amounts and note.
OTHER_DONOR = [
    "United Kingdom",
    "Royaume-Uni",
    "GBR",
    "GBP",
    "40,000",
    "40 000",
    "40000",
    "46,000",
    "46 000",
    "46000",
    "12,345.67",
    "12 345,67",
    "12345.67",
    "14,814.80",
    "14 814,80",
    "14814.80",
    "Whitehall",
]

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def poppler(*command: str) -> str:
    return subprocess.run(list(command), check=True, capture_output=True, text=True).stdout


def flat(text: str) -> str:
    """Every run of spaces (thin and no-break ones too) and line breaks as one space, so that French numbers
    and labels wrapped in a narrow column can be searched for."""
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


@pytest.fixture
def funded(client):
    """Two projects; Germany pledges in euros and dollars (one pledge before the period, one withdrawn),
    the United Kingdom in pounds on the same project; receipts in the period in USD and GBP."""
    for currency, month, rate in (
        ("USD", "2025-02", "0.90"),
        ("USD", "2025-06", "0.95"),
        ("GBP", "2025-03", "1.15"),
        ("GBP", "2025-08", "1.20"),
    ):
        make_rate(client, currency, month, rate)
    depot = make_project(
        client,
        code="ST-DEPOT",
        title="Depot security in Kragujevac",
        budget_eur="100000.00",
        request_date="2022-01-10",
    )
    marking = make_project(
        client,
        code="ST-MARK",
        title="Weapons marking",
        areas=["SALW"],
        budget_eur="50000.00",
        request_date="2022-01-10",
    )
    for project in (depot, marking):
        move(client, project["id"], "assessment", "planning", "seeking_funding", on="2022-06-01")
    old = make_pledge(client, depot["id"], donor="DEU", amount="7777.00", pledged_on="2023-05-05")
    ok(receive(client, old["id"], "7777.00", "2023-06-01"), 201)
    euros = make_pledge(client, depot["id"], donor="DEU", amount="30000.00", pledged_on="2025-02-10")
    ok(receive(client, euros["id"], "10000.00", "2025-04-01"), 201)
    dollars = make_pledge(
        client, marking["id"], donor="DEU", currency="USD", amount="20000.00", pledged_on="2025-02-15"
    )
    ok(receive(client, dollars["id"], "5000.00", "2025-06-10"), 201)
    dropped = make_pledge(client, marking["id"], donor="DEU", amount="1234.00", pledged_on="2025-03-01")
    ok(client.patch(f"/api/v1/pledges/{dropped['id']}", json={"status": "withdrawn"}))
    british = make_pledge(
        client,
        depot["id"],
        donor="GBR",
        currency="GBP",
        amount="40000.00",
        pledged_on="2025-03-05",
        note="Whitehall tranche",
    )
    ok(receive(client, british["id"], "12345.67", "2025-08-20"), 201)
    ok(
        client.post(
            f"/api/v1/projects/{depot['id']}/milestones",
            json={"title": "Fence", "due_on": "2025-05-01", "done_on": "2025-04-20"},
        ),
        201,
    )
    ok(client.post(f"/api/v1/projects/{depot['id']}/milestones", json={"title": "Alarm"}), 201)
    ok(
        client.post(
            f"/api/v1/projects/{depot['id']}/indicators",
            json={"name": "Guards trained", "unit": "people", "target": "40", "actual": "25"},
        ),
        201,
    )
    process = ok(
        client.post(
            "/api/v1/national-processes",
            json={
                "state": "SRB",
                "name": "Depot inspection body",
                "kind": "structure",
                "stage": "planned",
                "project_ids": [depot["id"]],
            },
        ),
        201,
    )
    return {"depot": depot, "marking": marking, "process": process}


def kpis(page: str) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in re.findall(r'data-kpi="([^"]+)" data-value="([^"]*)"', page)}


def api_figures(client, donor: str, start: date, end: date) -> dict[str, Decimal]:
    """The statement's headline figures, summed independently from the API's pledge and receipt lists."""
    pledges = ok(client.get("/api/v1/pledges", params={"donor": donor, "limit": 200}))["items"]
    out = dict.fromkeys(
        ["pledged-period", "received-period", "fx-period", "pledged", "received", "outstanding"],
        Decimal("0.00"),
    )
    for p in pledges:
        on = date.fromisoformat(p["pledged_on"])
        if on > end:
            continue
        rate = Decimal(p["eur_per_unit"])
        counts = p["status"] != "withdrawn"
        if counts:
            out["pledged"] += Decimal(p["amount_eur"])
            if on >= start:
                out["pledged-period"] += Decimal(p["amount_eur"])
        received = Decimal("0.00")
        for r in ok(client.get(f"/api/v1/pledges/{p['id']}/receipts")):
            day = date.fromisoformat(r["received_on"])
            if day > end:
                continue
            received += Decimal(r["amount"])
            out["received"] += Decimal(r["amount_eur"])
            if day >= start:
                out["received-period"] += Decimal(r["amount_eur"])
                at_pledge = (Decimal(r["amount"]) * rate).quantize(CENT, rounding=ROUND_HALF_UP)
                out["fx-period"] += Decimal(r["amount_eur"]) - at_pledge
        if counts:
            left = Decimal(p["amount"]) - received
            out["outstanding"] += (left * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return out


def test_every_headline_figure_equals_the_sums_over_the_api(client, funded):
    page = client.get("/dashboards/donors/DEU", params=PERIOD)
    assert page.status_code == 200, page.text[:500]
    shown = kpis(page.text)
    expected = api_figures(client, "DEU", date(2025, 1, 1), date(2025, 12, 31))
    for key, value in expected.items():
        assert shown[key] == value, key
    # and the same figures worked out by hand, so that the API sums above cannot both be wrong
    assert shown["pledged-period"] == Decimal("48000.00")  # 30 000 € + 20 000 USD × 0.90; not the withdrawn
    assert shown["received-period"] == Decimal("14750.00")  # 10 000 € + 5 000 USD × 0.95
    assert shown["fx-period"] == Decimal("250.00")  # 4 750 € − 5 000 USD × 0.90
    assert shown["pledged"] == Decimal("55777.00") and shown["received"] == Decimal("22527.00")
    assert shown["outstanding"] == Decimal("33500.00")  # 20 000 € + 15 000 USD × 0.90
    assert shown["fx-difference"] == Decimal("250.00")
    assert shown["projects"] == 2


def test_the_tables_hold_its_pledges_receipts_shares_outstanding_and_results(client, funded):
    def table(name: str) -> list[list[str]]:
        response = client.get("/dashboards/donors/DEU.csv", params=PERIOD | {"table": name})
        assert response.status_code == 200, response.text
        return list(csv.reader(io.StringIO(response.text)))[1:]

    projects = {row[0]: row for row in table("projects")}
    assert sorted(projects) == ["ST-DEPOT", "ST-MARK"]
    depot = projects["ST-DEPOT"]
    # its own pledges (7 777 + 30 000) ÷ the budget; the gap is the project's: 100 000 − (37 777 + 46 000)
    assert depot[3:9] == ["100000.00", "37777.00", "0.3778", "17777.00", "16223.00", "1/2"]
    assert projects["ST-MARK"][4:6] == ["18000.00", "0.3600"]
    pledges = table("pledges")
    # the pledge made before the period and paid before it is history; the withdrawn one was made in it
    assert [(p[0], p[1], p[3], p[4], p[6], p[7], p[9]) for p in pledges] == [
        ("ST-DEPOT", "2025-02-10", "EUR", "30000.00", "30000.00", "pledged", "20000.00"),
        ("ST-MARK", "2025-02-15", "USD", "20000.00", "18000.00", "pledged", "15000.00"),
        ("ST-MARK", "2025-03-01", "EUR", "1234.00", "1234.00", "withdrawn", "0.00"),
    ]
    receipts = table("receipts")
    assert receipts == [
        ["ST-DEPOT", "2025-04-01", "EUR", "10000.00", "10000.00", "10000.00", "0.00"],
        ["ST-MARK", "2025-06-10", "USD", "5000.00", "4750.00", "4500.00", "250.00"],
    ]
    assert table("outstanding") == [
        ["EUR", "20000.00", "20000.00", "1"],
        ["USD", "15000.00", "13500.00", "1"],
    ]
    assert table("results") == [["ST-DEPOT", "Guards trained", "", "people", "40", "25", "", "", "", ""]]
    processes = table("processes")
    assert [row[:5] for row in processes] == [
        ["SRB", "Depot inspection body", "structure", "planned", "ST-DEPOT"]
    ]
    missing = client.get("/dashboards/donors/DEU.csv", params=PERIOD | {"table": "nope"})
    assert missing.status_code == 404


def test_the_page_links_each_project_and_says_what_the_figures_mean(client, funded):
    page = html.unescape(client.get("/dashboards/donors/DEU", params=PERIOD).text)
    assert f'href="/projects/{funded["depot"]["id"]}">ST-DEPOT</a>' in page
    assert "Statement of contributions: Germany" in page
    assert "Period: Jan 1, 2025 to Dec 31, 2025" in page
    assert "from 1 January of last year to today" in page
    assert "Σ receipts dated in the period, in euros at the rate of the month each arrived." in page
    assert 'href="/dashboards/donors/DEU.pdf?from=2025-01-01&to=2025-12-31&lang=en"' in page
    assert page.count("<svg") == 3  # pledged and received, share, outstanding: vector charts
    assert "Its pledges and receipts by project, in euros" in page


def test_a_period_counts_only_what_happened_in_it(client, funded):
    old = kpis(client.get("/dashboards/donors/DEU", params={"from": "2023-01-01", "to": "2023-12-31"}).text)
    assert old["projects"] == 1  # only the depot had a German pledge by then
    assert old["pledged-period"] == old["received-period"] == old["pledged"] == Decimal("7777.00")
    assert old["outstanding"] == Decimal("0.00")
    later = kpis(client.get("/dashboards/donors/DEU", params={"from": "2026-01-01", "to": "2026-06-30"}).text)
    assert later["pledged-period"] == later["received-period"] == Decimal("0.00")
    assert later["projects"] == 2  # still outstanding on both
    assert later["outstanding"] == Decimal("33500.00")
    expected = api_figures(client, "DEU", date(2026, 1, 1), date(2026, 6, 30))
    assert all(later[k] == v for k, v in expected.items())


def test_the_default_period_runs_from_1_january_of_last_year_to_today(client, funded):
    page = client.get("/dashboards/donors/DEU")
    today = date.today()
    assert f'name="from" value="{today.year - 1}-01-01"' in page.text
    assert f'name="to" value="{today.isoformat()}"' in page.text


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "2025-13-01"}, "from", "“2025-13-01” is not a date: write it as YYYY-MM-DD."),
        ({"to": "tomorrow"}, "to", "“tomorrow” is not a date: write it as YYYY-MM-DD."),
        ({"from": "2025-06-01", "to": "2025-01-01"}, "to", "The end of the period (2025-01-01) comes before"),
        ({"from": "1800-01-01"}, "from", "“1800-01-01” is not a date between 1990 and 2100."),
    ],
)
def test_a_bad_date_is_named_beside_its_field(client, funded, params, field, message):
    page = client.get("/dashboards/donors/DEU", params=params)
    assert page.status_code == 422
    text = html.unescape(page.text)
    assert f'<span class="field-error" id="{field}-error">{message}' in text
    assert f'aria-describedby="{field}-error"' in text
    for suffix in (".csv", ".pdf"):
        refused = client.get(f"/dashboards/donors/DEU{suffix}", params=params | {"table": "projects"})
        assert refused.status_code == 422 and message in refused.text


# -- donor isolation -------------------------------------------------------------------------------------


def test_nothing_of_another_donors_money_reaches_the_page_or_its_csv(anon, accounts, funded):
    donor = accounts["donor"].headers
    for lang in ("en", "fr"):
        page = anon.get("/dashboards/donors/DEU", params=PERIOD | {"lang": lang}, headers=donor)
        assert page.status_code == 200
        text = flat(html.unescape(page.text))
        assert "ST-DEPOT" in text
        for secret in OTHER_DONOR:
            assert secret not in text, (lang, secret)
    for name in TABLES:
        table = anon.get("/dashboards/donors/DEU.csv", params=PERIOD | {"table": name}, headers=donor)
        assert table.status_code == 200
        for secret in OTHER_DONOR:
            assert secret not in table.text, (name, secret)


@pytest.mark.parametrize("suffix", ["", ".csv", ".pdf"])
def test_a_donor_asking_for_another_states_statement_is_refused(anon, accounts, funded, suffix):
    response = anon.get(
        f"/dashboards/donors/GBR{suffix}",
        params=PERIOD | {"table": "projects"},
        headers=accounts["donor"].headers,
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "46000" not in response.text and "Whitehall" not in response.text
    lower = anon.get(
        f"/dashboards/donors/gbr{suffix}", params={"table": "projects"}, headers=accounts["donor"].headers
    )
    assert lower.status_code == 403
    manager = anon.get(
        f"/dashboards/donors/GBR{suffix}",
        params=PERIOD | {"table": "pledges"},
        headers=accounts["manager"].headers,
    )
    assert manager.status_code == 200
    assert anon.get(f"/dashboards/donors/XXX{suffix}", headers=accounts["manager"].headers).status_code == 404


# -- the PDF ---------------------------------------------------------------------------------------------


def _pdf(client, tmp_path, name: str, **params: str):
    response = client.get("/dashboards/donors/DEU.pdf", params=PERIOD | params)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/pdf"
    # the file's name in the statement's language: a French reader's download says "relevé"
    word = {"fr": "releve", "ru": "otchet"}.get(params.get("lang", "en"), "statement")
    assert f"{word}-DEU-2025-01-01-2025-12-31.pdf" in response.headers["content-disposition"]
    path = tmp_path / name
    path.write_bytes(response.content)
    return path


@needs_poppler
def test_the_pdf_is_a4_with_its_fonts_embedded_and_its_charts_as_vectors(anon, accounts, funded, tmp_path):
    donor = accounts["donor"].headers
    response = anon.get("/dashboards/donors/DEU.pdf", params=PERIOD, headers=donor)
    assert response.status_code == 200
    path = tmp_path / "deu.pdf"
    path.write_bytes(response.content)
    _save_pages(path, "statement-pdf-en")
    info = poppler("pdfinfo", str(path))
    assert "x 841.89 pts (A4)" in info
    assert "Title:           Statement of contributions: Germany" in info
    fonts = [line.split() for line in poppler("pdffonts", str(path)).splitlines()[2:]]
    assert fonts and all(row[-5] == "yes" for row in fonts), fonts
    assert len(poppler("pdfimages", "-list", str(path)).splitlines()) == 2  # the header lines: no image
    text = flat(poppler("pdftotext", str(path), "-"))
    Path("test-artifacts/statement-pdf-en.txt").write_text(text, encoding="utf-8")
    assert "Statement of contributions: Germany" in text
    assert "€48,000.00" in text and "€33,500.00" in text and "€250.00" in text
    assert "Its pledges and receipts by project, in euros" in text  # the chart's words are text
    assert "ST-DEPOT" in text and "Depot inspection" in text and "Guards" in text  # cells wrap in columns
    for secret in OTHER_DONOR:
        assert secret not in text, secret
    _save_pages(path, "statement-pdf-en")


@needs_poppler
def test_the_french_pdf_reads_french_with_french_numbers(client, funded, tmp_path):
    path = _pdf(client, tmp_path, "deu-fr.pdf", lang="fr")
    text = flat(poppler("pdftotext", str(path), "-"))
    assert "Relevé des contributions : Allemagne" in text
    assert "48 000,00 €" in text and "33 500,00 €" in text
    assert "Annoncé pendant la période" in text
    assert "Période : 1 janv. 2025 au 31 déc. 2025" in text
    assert "37,8 %" in text  # its share of the depot's budget
    assert "Pledged in the period" not in text
    _save_pages(path, "statement-pdf-fr")


@needs_poppler
def test_the_russian_pdf_reads_russian_in_cyrillic_with_russian_numbers(client, funded, tmp_path):
    path = _pdf(client, tmp_path, "deu-ru.pdf", lang="ru")
    fonts = [line.split() for line in poppler("pdffonts", str(path)).splitlines()[2:]]
    assert fonts and all(row[-5] == "yes" for row in fonts), fonts  # Cyrillic glyphs embedded
    text = flat(poppler("pdftotext", str(path), "-")).replace("\xa0", " ").replace("\u202f", " ")
    assert "Отчет о взносах: Германия" in text  # the State's name from CLDR's Russian
    assert "48 000,00 €" in text and "33 500,00 €" in text
    assert "Объявлено за период" in text
    assert "37,8 %" in text
    assert "Pledged in the period" not in text and "Germany" not in text
    _save_pages(path, "statement-pdf-ru")


@needs_poppler
def test_the_command_line_writes_the_same_pdf(client, funded, database_url, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from portfolio.cli import app
    from portfolio.config import get_settings

    served = _pdf(client, tmp_path, "served.pdf", lang="fr")
    out = tmp_path / "out" / "deu.pdf"
    monkeypatch.setenv("PORTFOLIO_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        args = ["report", "donor", "deu", "--from", "2025-01-01", "--to", "2025-12-31", "--out", str(out)]
        result = CliRunner().invoke(app, [*args, "--lang", "fr"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        refused = CliRunner().invoke(
            app, ["report", "donor", "XXX", "--from", "2025-02-30", "--out", str(out)]
        )
        assert refused.exit_code == 2
        assert "XXX" in refused.output and "--from" in refused.output
    finally:
        get_settings.cache_clear()
    assert poppler("pdftotext", str(out), "-") == poppler("pdftotext", str(served), "-")
    assert poppler("pdfinfo", str(out)).count("A4") == 1


def _save_pages(pdf, name: str) -> None:
    """Each page as a PNG in test-artifacts/, to look at."""
    if shutil.which("pdftoppm") is None:
        return
    out = Path("test-artifacts")
    out.mkdir(exist_ok=True)
    poppler("pdftoppm", "-png", "-r", "60", str(pdf), str(out / name))
