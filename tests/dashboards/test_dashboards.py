"""The dashboard pages as a browser gets them: logged in by cookie, filtered, in two languages, safe."""

import csv
import html
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.factories import PASSWORD, make_pledge, make_project, make_rate, move, ok, receive
from tests.pages import csrf_of, send_login

PAGES = ["funding", "gaps", "progress", "national-processes", "data-quality", "results"]
CHARTS = {
    "funding": ["by-donor", "map", "by-beneficiary", "over-time", "by-area", "by-activity", "by-kind"],
    "gaps": ["gaps"],
    "progress": ["by-status", "timeline", "indicators"],
    "national-processes": ["matrix", "stage-changes"],
    "data-quality": [],
    "results": [],  # its charts need measured indicators: tests/projects/test_results.py
}


@pytest.fixture
def portfolio(client):
    make_rate(client, "USD", "2024-03", "0.9")
    depot = make_project(
        client,
        code="DQ-DEPOT",
        title="Depot security",
        areas=["SCA"],
        beneficiaries=["SRB"],
        start_date="2024-06-01",
        end_date="2026-06-01",
        budget_eur="1000.00",
    )
    move(client, depot["id"], "assessment", "planning", "seeking_funding")
    marking = make_project(
        client,
        code="DQ-MARK",
        title="Weapons marking",
        areas=["SALW"],
        beneficiaries=["ALB"],
        request_date="2022-03-01",
        budget_eur="500.00",
    )
    pledge = make_pledge(
        client, depot["id"], donor="USA", currency="USD", amount="100.00", status="committed"
    )
    ok(receive(client, pledge["id"], "50.00", "2024-03-20"), 201)
    make_pledge(client, marking["id"], donor="DEU", amount="200.00")
    ok(
        client.post(
            f"/api/v1/projects/{depot['id']}/milestones", json={"title": "Fence", "due_on": "2024-07-01"}
        ),
        201,
    )
    ok(
        client.post(
            "/api/v1/national-processes",
            json={"state": "SRB", "name": "SALW Commission", "kind": "structure", "stage": "established"},
        ),
        201,
    )
    return {"depot": depot, "marking": marking}


def login(anon, email, password=PASSWORD, next_url="/dashboards"):
    """The login form sent on the way to the dashboards: the answer, unfollowed."""
    return send_login(anon, email, password=password, next_url=next_url)


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_each_page_shows_its_charts_and_tables(client, portfolio, name, lang):
    response = client.get(f"/dashboards/{name}", params={"lang": lang})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert f'<html lang="{lang}">' in page
    for chart in CHARTS[name]:
        assert f'data-figure="fig-{chart}"' in page
        assert f'<script type="application/json" id="fig-{chart}">' in page
        assert f"table={chart}" in page  # its CSV download
    assert '<script src="/dashboards/static/plotly.min.js">' in page


def test_french_pages_use_the_catalogue_and_french_state_names(client, portfolio):
    page = client.get("/dashboards/funding", params={"lang": "fr"}).text
    assert "Vue d&#39;ensemble du financement" in page or "Vue d'ensemble du financement" in page
    assert "Serbie" in page  # the reference data's French name
    assert "1\u202f000,00\u00a0€" in page  # the budget, written the French way
    english = client.get("/dashboards/funding").text
    assert "Funding overview" in english
    assert "€1,000.00" in english


def test_filters_narrow_the_page_and_stay_in_its_links(client, portfolio):
    everything = client.get("/dashboards/funding").text
    assert "€1,500.00" in everything  # both budgets
    salw = client.get("/dashboards/funding", params={"area": "SALW", "year_from": 2020, "lang": "fr"}).text
    assert "500,00\u00a0€" in salw
    assert "1\u202f500,00" not in salw
    links = [link for link in re.findall(r'href="(/dashboards/[^"]+)"', salw) if "/static/" not in link]
    # the main menu's entries are the site's own (unfiltered); every other dashboard link keeps the filters
    assert '<a href="/dashboards/donors">Donateurs</a>' in salw
    links = [link for link in links if link != "/dashboards/donors"]
    assert len(links) > 8
    for link in links:
        assert "area=SALW" in link and "year_from=2020" in link and "lang=fr" in link, link
    # the switch to English keeps the filters and leaves the language to the cookie it sets
    switch = re.search(r'href="(/language\?to=en[^"]+)"', salw).group(1)
    assert switch == "/language?to=en&amp;next=/dashboards/funding%3Fyear_from%3D2020%26area%3DSALW"


def kpi_values(page: str) -> dict[str, Decimal]:
    """Every headline figure's exact value, read from its data-kpi/data-value attributes."""
    pairs = re.findall(r'data-kpi="([^"]+)" data-value="([^"]*)"', page)
    return {key: Decimal(value) for key, value in pairs if value}


@pytest.fixture
def closed_and_open(client, portfolio):
    """Beside the portfolio: a completed and a cancelled project still short of their budget (no longer
    sought), one in implementation with a gap, and one fully pledged."""
    done = make_project(client, code="GAP-DONE", areas=["SALW"], budget_eur="700.00")
    move(client, done["id"], "assessment", "planning", "seeking_funding", "implementation")
    make_pledge(client, done["id"], donor="NOR", amount="100.00")
    move(client, done["id"], "completed")
    dropped = make_project(client, code="GAP-DROPPED", areas=["SCA"], budget_eur="300.00")
    move(client, dropped["id"], "cancelled")
    running = make_project(client, code="GAP-RUNNING", areas=["SCA"], budget_eur="2000.00")
    move(client, running["id"], "assessment", "planning", "seeking_funding", "implementation")
    make_pledge(client, running["id"], donor="NOR", amount="1250.50")
    funded = make_project(client, code="GAP-FUNDED", areas=["SCA"], budget_eur="100.00")
    make_pledge(client, funded["id"], donor="NOR", amount="100.00")
    withdrawn = make_pledge(client, funded["id"], donor="CHE", amount="40.00")
    ok(client.patch(f"/api/v1/pledges/{withdrawn['id']}", json={"status": "withdrawn"}))
    return portfolio


def api_totals(client) -> dict[str, Decimal]:
    """The headline sums, computed here from what the API answers (not from the dashboards' SQL)."""
    projects = ok(client.get("/api/v1/projects", params={"limit": 500}))["items"]
    pledges = ok(client.get("/api/v1/pledges", params={"limit": 500}))["items"]
    pledged: dict[int, Decimal] = {}
    for p in pledges:
        if p["status"] != "withdrawn":
            pledged[p["project_id"]] = pledged.get(p["project_id"], Decimal(0)) + Decimal(p["amount_eur"])
    open_gap = sum(
        (
            max(Decimal(p["budget_eur"]) - pledged.get(p["id"], Decimal(0)), Decimal(0))
            for p in projects
            if p["status"] not in ("completed", "cancelled")
        ),
        Decimal("0.00"),
    )
    return {
        # the budget of the projects the open gap counts (neither completed nor cancelled)
        "budget": sum(
            (Decimal(p["budget_eur"]) for p in projects if p["status"] not in ("completed", "cancelled")),
            Decimal("0.00"),
        ),
        "pledged": sum(pledged.values(), Decimal("0.00")),
        "received": sum((Decimal(p["received_eur"]) for p in pledges), Decimal("0.00")),
        "open-gap": open_gap,
    }


def test_headline_figures_carry_their_exact_values_and_the_open_gap_leaves_closed_projects_out(
    client, closed_and_open
):
    page = client.get("/dashboards/funding").text
    values = kpi_values(page)
    expected = api_totals(client)
    assert {k: values[k] for k in expected} == expected
    # 1000 − 0 (DQ-DEPOT: 90 pledged) … computed by hand as well: the completed project's 600 and the
    # cancelled one's 300 are not part of it
    assert values["open-gap"] == Decimal("910.00") + Decimal("300.00") + Decimal("749.50")
    assert 'data-kpi="open-gap" data-value="1959.50"' in page
    assert "Σ max(budget − pledged, 0) over the projects neither completed nor cancelled." in page
    assert 'data-kpi="budget" data-value="3600.00"' in page  # 4600 less the completed and cancelled 1000
    french = client.get("/dashboards/funding", params={"lang": "fr"}).text
    assert kpi_values(french) == values
    assert "Déficit ouvert" in french


def test_the_gaps_page_lists_every_project_with_an_open_gap(client, closed_and_open):
    page = client.get("/dashboards/gaps").text
    for code in ("DQ-DEPOT", "DQ-MARK", "GAP-RUNNING"):  # seeking funding, requested, in implementation
        assert code in page, code
    for code in ("GAP-DONE", "GAP-DROPPED", "GAP-FUNDED"):  # completed, cancelled, fully pledged
        assert code not in page, code
    values = kpi_values(page)
    assert values["open-gap"] == api_totals(client)["open-gap"]
    assert values["open-gap-projects"] == 3
    rows = list(csv.reader(io.StringIO(client.get("/dashboards/gaps.csv", params={"table": "gaps"}).text)))
    assert sum(Decimal(row[7]) for row in rows[1:]) == values["open-gap"]


def test_data_quality_flags_overdue_milestones(client, portfolio):
    page = client.get("/dashboards/data-quality").text
    assert "Fence" in page
    assert "2024-07-01" in page


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_csv_download_holds_numbers_as_numbers_and_dates_iso(client, portfolio, lang):
    response = client.get("/dashboards/funding.csv", params={"table": "by-donor", "lang": lang})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    if lang == "en":
        assert rows[0] == ["Donor", "Pledged (EUR)", "Received (EUR)", "Rate effect (EUR)"]
        assert ["Germany", "200.00", "0.00", "0.00"] in rows
        assert ["United States of America", "90.00", "45.00", "0.00"] in rows
    else:
        assert ["Allemagne", "200.00", "0.00", "0.00"] in rows  # the same numbers, whatever the language
    gaps = list(csv.reader(io.StringIO(client.get("/dashboards/gaps.csv?table=gaps").text)))
    assert gaps[0][-1] == "Coverage (%)"
    assert gaps[1][5:] == ["1000.00", "90.00", "910.00", "9.0"]
    timeline = list(csv.reader(io.StringIO(client.get("/dashboards/progress.csv?table=timeline").text)))
    assert timeline[1][3:5] == ["2024-06-01", "2026-06-01"]
    quality = list(
        csv.reader(io.StringIO(client.get("/dashboards/data-quality.csv?table=overdue_milestones").text))
    )
    assert quality[1] == ["DQ-DEPOT", "Fence", "2024-07-01"]
    for row in rows[1:] + gaps[1:]:
        assert not any("€" in cell or "\u00a0" in cell for cell in row), row
    missing = client.get("/dashboards/funding.csv", params={"table": "nope"})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/plain")
    assert client.get("/dashboards/funding.csv").status_code == 404  # no table named: not a JSON 422


# -- filters as a form sends them ----------------------------------------------------------------


FORM_PAGES = PAGES  # a donor's statement takes a period instead: tests/dashboards/test_statement.py


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("name", FORM_PAGES)
def test_a_form_applied_with_fields_left_at_any_shows_the_page(client, portfolio, name, lang):
    blank = {"year_from": "", "year_to": "", "area": "", "beneficiary": "", "status": "", "lang": lang}
    response = client.get(f"/dashboards/{name}", params=blank)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert f'<html lang="{lang}">' in response.text
    chosen = client.get(f"/dashboards/{name}", params=blank | {"beneficiary": "SRB", "year_from": "2020"})
    assert chosen.status_code == 200
    assert '<option value="SRB" selected>' in chosen.text
    assert (
        client.get(
            f"/dashboards/{name}.csv" if "/" not in name else "/dashboards/donors/USA.csv",
            params=blank | {"table": "x"},
        ).status_code
        == 404
    )


def test_blank_filters_count_as_any(client, portfolio):
    blank = client.get("/dashboards/funding?year_from=&year_to=&area=&beneficiary=&status=").text
    assert kpi_values(blank) == kpi_values(client.get("/dashboards/funding").text)
    narrowed = client.get("/dashboards/funding?year_from=&year_to=&area=&beneficiary=ALB&status=").text
    assert kpi_values(narrowed)["budget"] == Decimal("500.00")


BAD_FILTERS = [
    ("year_from", "abc", "“abc” is not a year between 1990 and 2100.", "« abc » n'est pas une année"),
    ("year_to", "1800", "“1800” is not a year between 1990 and 2100.", "« 1800 » n'est pas une année"),
    ("area", "XYZ", "“XYZ” is not an area", "« XYZ » n'est pas un domaine"),
    ("beneficiary", "JPN", "“JPN” is not an OSCE participating State.", "n'est pas un État participant"),
    ("beneficiary", "ZZZ", "“ZZZ” is not an OSCE participating State.", "n'est pas un État participant"),
    ("status", "done", "“done” is not a project status.", "« done » n'est pas un statut de projet."),
]


@pytest.mark.parametrize(("field", "value", "english", "french"), BAD_FILTERS)
def test_a_bad_filter_is_named_beside_its_field_in_the_pages_language(
    client, portfolio, field, value, english, french
):
    for lang, message in (("en", english), ("fr", french)):
        query = {"year_from": "", "year_to": "", "area": "", "beneficiary": "", "status": "", "lang": lang}
        response = client.get("/dashboards/funding", params=query | {field: value})
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("text/html")
        page = html.unescape(response.text)
        assert message in page, (lang, page[:200])
        # beside its own field: the message follows that field's control within its label
        label = re.search(rf'name="{field}".*?</label>', page, flags=re.S)
        assert label is not None and message in label.group(0)
        assert f'aria-describedby="{field}-error"' in response.text
        assert 'data-kpi="budget"' in response.text  # the page itself, with the other filters applied
        table = client.get("/dashboards/funding.csv", params=query | {field: value, "table": "by-donor"})
        assert table.status_code == 422 and table.headers["content-type"].startswith("text/plain")
        assert message in table.text


def test_years_in_the_wrong_order_are_named(client, portfolio):
    response = client.get("/dashboards/gaps", params={"year_from": "2024", "year_to": "2020"})
    assert response.status_code == 422
    assert "The last year (2020) comes before the first." in response.text


def test_the_pages_never_answer_json(anon, accounts):
    login(anon, accounts["manager"].email)
    for url in (
        "/dashboards/funding?lang=de",
        "/dashboards/donors/DEU?year_from=1e3",
        "/dashboards/gaps.csv",
    ):
        response = anon.get(url)
        assert not response.headers["content-type"].startswith("application/"), url
        assert response.status_code in (200, 404, 422), url
    broken = anon.post("/login", data={"email": "a@b.c"})  # no CSRF token
    assert broken.status_code == 403 and broken.headers["content-type"].startswith("text/html")
    assert anon.post("/api/v1/auth/token", data={}).headers["content-type"].startswith("application/")


def test_the_stamp_says_in_words_which_filters_a_page_shows(client, portfolio):
    page = client.get("/dashboards/funding?year_from=2020&year_to=2024&area=SCA&beneficiary=MDA").text
    assert "Years 2020–2024 · Area: SCA · Beneficiary State: Moldova" in page
    french = client.get("/dashboards/funding?year_from=2020&area=SCA&beneficiary=SRB&lang=fr").text
    assert "Années à partir de 2020 · Domaine\u00a0: SMC · État bénéficiaire\u00a0: Serbie" in html.unescape(
        french
    )
    assert "Shows: all projects" in client.get("/dashboards/funding").text


# -- the rate effect -------------------------------------------------------------------------------


def test_received_above_pledged_in_euros_is_explained_as_the_rate_effect(client, portfolio):
    make_rate(client, "USD", "2024-05", "0.96")
    make_rate(client, "USD", "2024-06", "0.93")
    project = make_project(client, code="FX-1", areas=["SALW"], beneficiaries=["MNE"], budget_eur="5000.00")
    pledge = make_pledge(client, project["id"], donor="USA", currency="USD", amount="1000.00")  # 900.00 €
    ok(receive(client, pledge["id"], "333.33", "2024-05-02"), 201)  # 320.00 € (319.9968)
    ok(receive(client, pledge["id"], "666.67", "2024-06-03"), 201)  # 620.00 € (620.0031)
    # the other USA pledge (DQ-DEPOT): 50 USD at the pledge's own month, no effect
    received_eur = Decimal("320.00") + Decimal("620.00") + Decimal("45.00")
    fx = (
        Decimal("320.00")
        + Decimal("620.00")
        - (Decimal("1000.00") * Decimal("0.9")).quantize(Decimal("0.01"))
    )
    assert fx == Decimal("40.00")
    rows = list(csv.reader(io.StringIO(client.get("/dashboards/funding.csv?table=by-donor").text)))
    assert ["United States of America", "990.00", str(received_eur), "40.00"] in rows
    assert ["Germany", "200.00", "0.00", "0.00"] in rows
    values = kpi_values(client.get("/dashboards/donors/USA").text)
    assert values["pledged"] == Decimal("990.00") and values["received"] == received_eur
    assert values["fx-difference"] == Decimal("40.00")


def test_a_donor_that_received_more_euros_than_it_pledged_is_told_why(client):
    make_rate(client, "GBP", "2024-03", "1.10")
    make_rate(client, "GBP", "2024-07", "1.20")
    project = make_project(client, code="FX-2", areas=["SCA"], budget_eur="5000.00")
    pledge = make_pledge(client, project["id"], donor="GBR", currency="GBP", amount="1000.00")  # 1100.00 €
    ok(receive(client, pledge["id"], "1000.00", "2024-07-15"), 201)  # 1200.00 €
    for lang, words in (
        ("en", "received €100.00 more than it pledged; €100.00 of it is the rate effect"),
        ("fr", "a versé 100,00\u00a0€ de plus qu'annoncé ; l'effet de change en explique 100,00\u00a0€"),
    ):
        funding = html.unescape(client.get("/dashboards/funding", params={"lang": lang}).text)
        assert words in funding, lang
        donor = client.get("/dashboards/donors/GBR", params={"lang": lang})
        assert words in html.unescape(donor.text), lang
        assert 'data-kpi="fx-difference" data-value="100.00"' in donor.text
    assert "Rate effect: a pledge in another currency" in client.get("/dashboards/donors/GBR").text


# -- the front door ---------------------------------------------------------------------------------


def test_the_root_is_the_home_page_behind_the_login_and_a_donor_lands_on_its_own_view(anon, accounts):
    response = anon.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"
    login(anon, accounts["donor"].email)
    landing = anon.get("/dashboards")
    assert landing.status_code == 200
    assert str(landing.url).endswith("/dashboards/donors/DEU")
    assert 'href="/docs"' in landing.text
    assert 'href="/dashboards/donors/DEU"' in anon.get("/").text


def test_every_page_links_to_the_api_docs(client, portfolio):
    for name in PAGES:
        assert 'href="/docs"' in client.get(f"/dashboards/{name}").text, name
    assert client.get("/docs").status_code == 200


def test_the_readme_quick_start_names_the_dashboards():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "http://127.0.0.1:8000/dashboards" in quick_start


def test_user_text_is_escaped_everywhere(client):
    make_project(
        client,
        code="XSS-1",
        title="<script>alert(1)</script>",
        areas=["SCA"],
        budget_eur="10.00",
        start_date="2024-01-01",
        end_date="2024-12-31",
    )
    for name in ("funding", "gaps", "progress"):
        page = client.get(f"/dashboards/{name}").text
        assert "<script>alert(1)" not in page
    progress = client.get("/dashboards/progress").text
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in progress  # the table, escaped by the template
    assert "\\u0026lt;script\\u0026gt;alert(1)" in progress  # the chart's hover text, escaped for Plotly
    rows = client.get("/dashboards/progress.csv", params={"table": "timeline"}).text
    assert "<script>alert(1)</script>" in rows  # a CSV is data: kept as typed, never executed


def test_pages_only_allow_the_apps_own_scripts(client, portfolio):
    response = client.get("/dashboards/funding")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy
    scripts = re.findall(r"<script([^>]*)>", response.text)
    for attributes in scripts:
        assert 'type="application/json"' in attributes or 'src="/dashboards/static/' in attributes, attributes
    assert "http://" not in response.text and "https://" not in response.text


def test_plotly_and_the_map_come_from_the_app(anon):
    plotly = anon.get("/dashboards/static/plotly.min.js")
    assert plotly.status_code == 200
    assert "plotly.js" in plotly.text[:200]
    topology = anon.get("/dashboards/static/topojson/world_110m.json")
    assert topology.status_code == 200
    assert topology.json()["type"] == "Topology"


# -- who sees what -------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(anon):
    response = anon.get("/dashboards/funding?area=SCA", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/dashboards/funding%3Farea%3DSCA"
    assert anon.get("/dashboards/funding.csv?table=by-donor", follow_redirects=False).status_code == 303


def test_logging_in_sets_a_cookie_and_opens_the_page(anon, accounts, portfolio):
    response = login(anon, accounts["manager"].email, next_url="/dashboards/gaps")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboards/gaps"
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    page = anon.get("/dashboards/gaps").text
    assert "DQ-DEPOT" in page
    token = csrf_of(page)
    assert anon.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert anon.get("/dashboards/gaps", follow_redirects=False).status_code == 303


def test_a_wrong_password_stays_on_the_login_page(anon, accounts):
    response = login(anon, accounts["manager"].email, password="not the password")
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.text


def test_login_never_redirects_to_another_site(anon, accounts):
    response = login(anon, accounts["manager"].email, next_url="https://evil.example/")
    assert response.headers["location"] == "/"


def test_a_donor_lands_on_its_own_view_and_cannot_leave_it(anon, accounts, portfolio):
    login(anon, accounts["donor"].email)
    landing = anon.get("/dashboards", follow_redirects=False)
    assert landing.headers["location"].startswith("/dashboards/donors/DEU")
    own = anon.get("/dashboards/donors/DEU")
    assert own.status_code == 200
    assert "DQ-MARK" in own.text  # Germany's pledge
    assert "DQ-DEPOT" not in own.text  # only the United States funds that one
    for url in (
        "/dashboards/funding",
        "/dashboards/gaps",
        "/dashboards/data-quality",
        "/dashboards/funding.csv?table=by-donor",
    ):
        response = anon.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"] == "/dashboards/donors/DEU", url
    for url in ("/dashboards/donors/USA", "/dashboards/donors/USA.csv?table=pledges"):
        assert anon.get(url, follow_redirects=False).status_code == 403, url  # another State's statement


def test_a_manager_may_open_any_donors_view(anon, accounts, portfolio):
    login(anon, accounts["manager"].email)
    page = anon.get("/dashboards/donors/USA")
    assert page.status_code == 200
    assert "DQ-DEPOT" in page.text
    assert anon.get("/dashboards/donors/XXX").status_code == 404


def test_a_revoked_account_loses_the_dashboards_at_once(anon, client, accounts):
    login(anon, accounts["manager"].email)
    assert anon.get("/dashboards/funding").status_code == 200
    admin = {"Authorization": f"Bearer {accounts['admin'].token}"}
    ok(client.patch(f"/api/v1/users/{accounts['manager'].id}", json={"active": False}, headers=admin))
    assert anon.get("/dashboards/funding", follow_redirects=False).status_code == 303


def export_cli(database_url, monkeypatch, *args):
    from typer.testing import CliRunner

    from portfolio.cli import app
    from portfolio.config import get_settings

    monkeypatch.setenv("PORTFOLIO_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["dashboards", "export", *args], catch_exceptions=False)
    finally:
        get_settings.cache_clear()


def test_export_writes_self_contained_pages(client, portfolio, database_url, tmp_path, monkeypatch):
    out = tmp_path / "out"
    result = export_cli(
        database_url, monkeypatch, str(out), "--lang", "fr", "--area", "SCA", "--year-from", "2020"
    )
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert files == [
        "data-quality.html",
        "funding.html",
        "gaps.html",
        "national-processes.html",
        "progress.html",
        "results.html",
    ]
    funding = (out / "funding.html").read_text(encoding="utf-8")
    assert "<script src=" not in funding and '<link rel="stylesheet"' not in funding  # nothing to fetch
    assert "plotly.js v" in funding  # the library itself is inside
    assert "PlotlyGeoAssets" in funding  # and the map
    assert 'data-figure="fig-by-donor"' in funding
    assert "Vue d&#39;ensemble du financement" in funding or "Vue d'ensemble du financement" in funding
    assert "1\u202f000,00\u00a0€" in funding  # only the SCA project's budget
    # the stamp says which filters in words, not as a query string
    assert "Affiche\u00a0: Années à partir de 2020 · Domaine\u00a0: SMC" in html.unescape(funding)
    assert "area=SCA" not in funding


def test_a_donors_export_holds_only_that_donors_pages(client, portfolio, database_url, tmp_path, monkeypatch):
    out = tmp_path / "usa"
    result = export_cli(database_url, monkeypatch, str(out), "--donor", "usa", "--beneficiary", "srb")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["donor-USA.html"]
    page = (out / "donor-USA.html").read_text(encoding="utf-8")
    assert "DQ-DEPOT" in page
    # nothing of another donor's money: no portfolio panels, not Germany's pledge to DQ-MARK
    assert 'id="by-donor"' not in page and "DQ-MARK" not in page and "200.00" not in page
    assert 'href="funding.html"' not in page  # no links to pages that are not there
    assert "Shows: Beneficiary State: Serbia" in page
    refused = export_cli(
        database_url, monkeypatch, str(tmp_path / "x"), "--donor", "XXX", "--beneficiary", "JPN"
    )
    assert refused.exit_code == 2
    assert "--donor" in refused.output and "--beneficiary" in refused.output


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--area", "MINES"], "--area"), (["--lang", "de"], "--lang"), (["--status", "done"], "--status")],
)
def test_export_refuses_bad_filters(tmp_path, args, message):
    from typer.testing import CliRunner

    from portfolio.cli import app

    result = CliRunner().invoke(app, ["dashboards", "export", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_the_pages_sit_in_the_sites_layout_with_a_menu_of_the_dashboards(client, portfolio):
    page = client.get("/dashboards/gaps?area=SCA").text
    assert 'href="/static/app.css"' in page and 'href="/dashboards/static/dashboards.css"' in page
    assert '<nav aria-label="Main">' in page  # the site's menu, with the dashboards marked as current
    assert '<a href="/dashboards" aria-current="page">Dashboards</a>' in page
    subnav = page.split('<nav class="subnav" aria-label="Dashboards">', 1)[1].split("</nav>", 1)[0]
    assert subnav.count("<a ") == len(PAGES) + 1  # and the donors' index
    assert '<a href="/dashboards/donors?area=SCA">Donors</a>' in subnav
    assert '<a href="/dashboards/gaps?area=SCA" aria-current="page">Funding gaps</a>' in subnav
    assert 'action="/logout"' in page  # the site's one logout
    assert client.post("/dashboards/logout").status_code in (404, 405)
    assert client.post("/dashboards/login").status_code in (404, 405)


def test_without_lang_in_the_query_the_pages_speak_the_language_chosen_before(client, portfolio):
    client.cookies.set("portfolio_lang", "fr")
    page = client.get("/dashboards/funding").text
    assert '<html lang="fr">' in page and "Vue d&#39;ensemble du financement" in page
    assert 'href="/dashboards/gaps?lang=fr"' in page  # the links keep the language
    assert '<html lang="en">' in client.get("/dashboards/funding?lang=en").text
    client.cookies.clear()
    browser = client.get("/dashboards/funding", headers={"Accept-Language": "fr-FR,fr;q=0.8"})
    assert '<html lang="fr">' in browser.text


# -- the donors' index ---------------------------------------------------------------------------------


def sql_donor_totals(db) -> dict[str, tuple[Decimal, Decimal]]:
    """Per donor State, pledged (not withdrawn) and received in euros, summed here in plain SQL."""
    from sqlalchemy import text

    with db.session() as session:
        pledged = dict(
            session.execute(
                text("SELECT donor, SUM(amount_eur) FROM pledge WHERE status <> 'withdrawn' GROUP BY donor")
            ).all()
        )
        received = dict(
            session.execute(
                text(
                    "SELECT p.donor, SUM(r.amount_eur) FROM receipt r JOIN pledge p ON p.id = r.pledge_id"
                    " GROUP BY p.donor"
                )
            ).all()
        )
        # SQLite keeps money as whole cents (an exact integer); PostgreSQL as NUMERIC(18, 2)
        unit = Decimal("0.01") if session.get_bind().dialect.name == "sqlite" else Decimal(1)

    def euros(value: object) -> Decimal:
        return (Decimal(str(value or 0)) * unit).quantize(Decimal("0.01"))

    return {d: (euros(pledged.get(d)), euros(received.get(d))) for d in pledged.keys() | received.keys()}


def donor_rows(page: str) -> dict[str, tuple[str, str, str]]:
    """The donors' table: {link: (name, pledged, received)} as the page shows them."""
    body = page.split('id="donors"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(
        r'<tr><td><a href="([^"]+)">([^<]+)</a></td><td>([^<]+)</td><td>([^<]+)</td></tr>', body
    )
    return {html.unescape(href): (name, pledged, received) for href, name, pledged, received in rows}


def test_the_donors_index_lists_every_donor_with_its_sums_to_the_cent(client, db, portfolio):
    make_pledge(client, portfolio["marking"]["id"], donor="USA", amount="0.35")  # a second US pledge, cents
    withdrawn = make_pledge(client, portfolio["depot"]["id"], donor="NOR", amount="999.00")
    ok(client.patch(f"/api/v1/pledges/{withdrawn['id']}", json={"status": "withdrawn"}))
    expected = sql_donor_totals(db)
    assert expected["USA"] == (Decimal("90.35"), Decimal("45.00"))  # 100 USD × 0.9 + 0.35; 50 USD × 0.9
    page = client.get("/dashboards/donors")
    assert page.status_code == 200
    rows = donor_rows(page.text)
    # Norway's one pledge was withdrawn: nothing pledged, nothing received, not a donor of these projects
    assert "NOR" not in expected
    assert set(rows) == {"/dashboards/donors/USA", "/dashboards/donors/DEU"}
    for code, (pledged, received) in expected.items():
        _name, shown_pledged, shown_received = rows[f"/dashboards/donors/{code}"]
        assert (shown_pledged, shown_received) == (f"€{pledged:,.2f}", f"€{received:,.2f}"), code
    # the CSV holds the same sums as plain numbers
    lines = list(csv.reader(io.StringIO(client.get("/dashboards/donors.csv?table=donors").text)))
    assert lines[0] == ["Donor", "Pledged (EUR)", "Received (EUR)"]
    by_name = {row[0]: (Decimal(row[1]), Decimal(row[2])) for row in lines[1:]}
    assert by_name["United States of America"] == expected["USA"]
    assert sum(p for p, _ in by_name.values()) == sum(p for p, _ in expected.values())
    # in French, with the filters kept in each link
    french = client.get("/dashboards/donors?lang=fr&area=SALW").text
    assert "<h1>Donateurs</h1>" in french
    salw = donor_rows(french)
    assert salw["/dashboards/donors/DEU?area=SALW&lang=fr"][1] == "200,00\u00a0€"
    assert salw["/dashboards/donors/USA?area=SALW&lang=fr"][1] == "0,35\u00a0€"


@pytest.mark.parametrize("role", ["staff", "manager", "admin"])
def test_the_donors_index_is_in_the_menu_of_every_role_but_donors(anon, accounts, portfolio, role):
    login(anon, accounts[role].email)
    home = anon.get("/").text
    menu = home.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/dashboards/donors">Donors</a>' in menu
    page = anon.get("/dashboards/donors")
    assert page.status_code == 200 and "/dashboards/donors/USA" in page.text


def test_a_donor_has_no_donors_index(anon, accounts, portfolio):
    login(anon, accounts["donor"].email)
    menu = anon.get("/").text.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    assert '/dashboards/donors"' not in menu and "/dashboards/donors/DEU" in menu
    for url in ("/dashboards/donors", "/dashboards/donors.csv?table=donors", "/dashboards/donors?lang=fr"):
        response = anon.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"] == "/dashboards/donors/DEU", url


def test_table_cells_link_to_the_pages_of_projects_states_and_donors(client, portfolio):
    depot, marking = portfolio["depot"]["id"], portfolio["marking"]["id"]
    funding = client.get("/dashboards/funding").text
    assert '<a href="/dashboards/donors/USA">United States of America</a>' in funding
    assert '<a href="/projects?beneficiary=SRB">Serbia</a>' in funding
    assert '<a href="/projects?area=SCA">SCA</a>' in funding
    gaps = client.get("/dashboards/gaps").text
    assert f'<a href="/projects/{depot}">DQ-DEPOT</a>' in gaps and f'<a href="/projects/{marking}">' in gaps
    progress = client.get("/dashboards/progress").text
    assert f'<a href="/projects/{depot}">DQ-DEPOT</a>' in progress  # the timeline
    assert '<a href="/projects?status=seeking_funding">seeking funding</a>' in progress
    quality = client.get("/dashboards/data-quality").text
    assert f'<a href="/projects/{depot}">DQ-DEPOT</a>' in quality  # its overdue milestone
    processes = client.get("/dashboards/national-processes").text
    assert '<a href="/projects?beneficiary=SRB">Serbia</a>' in processes
    # and every one of them answers
    for link in ("/projects?beneficiary=SRB", f"/projects/{depot}", "/projects?status=seeking_funding"):
        assert client.get(link).status_code == 200, link
    assert "DQ-DEPOT" in client.get("/projects?beneficiary=SRB").text
    assert "DQ-MARK" not in client.get("/projects?beneficiary=SRB").text


def test_french_pages_load_plotlys_french_locale_from_the_app(client, anon, portfolio):
    french = client.get("/dashboards/funding?lang=fr").text
    assert '<script src="/dashboards/static/plotly-locales/fr.js"></script>' in french
    assert "plotly-locales" not in client.get("/dashboards/funding").text
    script = anon.get("/dashboards/static/plotly-locales/fr.js")
    assert script.status_code == 200 and 'name:"fr"' in script.text and 'decimal:","' in script.text
    assert "MIT License" in anon.get("/dashboards/static/plotly-locales/LICENSE").text
