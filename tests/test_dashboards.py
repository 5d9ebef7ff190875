"""The dashboard pages as a browser gets them: logged in by cookie, filtered, in two languages, safe."""

import csv
import io
import re

import pytest

from tests.factories import PASSWORD, make_pledge, make_project, make_rate, move, ok, receive

PAGES = ["funding", "gaps", "progress", "national-processes", "data-quality"]
CHARTS = {
    "funding": ["by-donor", "map", "by-beneficiary", "over-time", "by-area", "by-activity", "by-kind"],
    "gaps": ["gaps"],
    "progress": ["by-status", "timeline", "indicators"],
    "national-processes": ["matrix", "stage-changes"],
    "data-quality": [],
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
    return anon.post(
        "/dashboards/login",
        data={"email": email, "password": password, "next": next_url},
        follow_redirects=False,
    )


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
    assert "€\u00a01,000.00" in english


def test_filters_narrow_the_page_and_stay_in_its_links(client, portfolio):
    everything = client.get("/dashboards/funding").text
    assert "€\u00a01,500.00" in everything  # both budgets
    salw = client.get("/dashboards/funding", params={"area": "SALW", "year_from": 2020, "lang": "fr"}).text
    assert "500,00\u00a0€" in salw
    assert "1\u202f500,00" not in salw
    links = [link for link in re.findall(r'href="(/dashboards/[^"]+)"', salw) if "/static/" not in link]
    assert len(links) > 8
    for link in links:
        assert "area=SALW" in link and "year_from=2020" in link, link
    # every link but the switch to English keeps the language
    assert [link for link in links if "lang=fr" not in link] == [
        "/dashboards/funding?year_from=2020&amp;area=SALW"
    ]


def test_the_gaps_page_lists_only_projects_seeking_funding(client, portfolio):
    page = client.get("/dashboards/gaps").text
    assert "DQ-DEPOT" in page
    assert "DQ-MARK" not in page


def test_data_quality_flags_overdue_milestones(client, portfolio):
    page = client.get("/dashboards/data-quality").text
    assert "Fence" in page
    assert "2024-07-01" in page


def test_csv_download_has_the_tables_numbers(client, portfolio):
    response = client.get("/dashboards/funding.csv", params={"table": "by-donor"})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["Donor", "Pledged", "Received"]
    assert ["Germany", "€\u00a0200.00", "€\u00a00.00"] in rows
    assert ["United States of America", "€\u00a090.00", "€\u00a045.00"] in rows
    assert client.get("/dashboards/funding.csv", params={"table": "nope"}).status_code == 404


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
    assert response.headers["location"] == "/dashboards/login?next=/dashboards/funding%3Farea%3DSCA"
    assert anon.get("/dashboards/funding.csv?table=by-donor", follow_redirects=False).status_code == 303


def test_logging_in_sets_a_cookie_and_opens_the_page(anon, accounts, portfolio):
    response = login(anon, accounts["manager"].email, next_url="/dashboards/gaps")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboards/gaps"
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert "DQ-DEPOT" in anon.get("/dashboards/gaps").text
    anon.post("/dashboards/logout")
    assert anon.get("/dashboards/gaps", follow_redirects=False).status_code == 303


def test_a_wrong_password_stays_on_the_login_page(anon, accounts):
    response = login(anon, accounts["manager"].email, password="not the password")
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.text


def test_login_never_redirects_to_another_site(anon, accounts):
    response = login(anon, accounts["manager"].email, next_url="https://evil.example/")
    assert response.headers["location"] == "/dashboards"


def test_a_donor_lands_on_its_own_view_and_cannot_leave_it(anon, accounts, portfolio):
    login(anon, accounts["donor"].email)
    landing = anon.get("/dashboards", follow_redirects=False)
    assert landing.headers["location"].startswith("/dashboards/donors/DEU")
    own = anon.get("/dashboards/donors/DEU")
    assert own.status_code == 200
    assert "DQ-MARK" in own.text  # Germany's pledge
    assert "DQ-DEPOT" not in own.text  # only the United States funds that one
    for url in (
        "/dashboards/donors/USA",
        "/dashboards/funding",
        "/dashboards/gaps",
        "/dashboards/data-quality",
        "/dashboards/funding.csv?table=by-donor",
        "/dashboards/donors/USA.csv?table=donor-pledges",
    ):
        response = anon.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"] == "/dashboards/donors/DEU", url


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


def test_export_writes_self_contained_pages(client, portfolio, database_url, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from portfolio.cli import app
    from portfolio.config import get_settings

    monkeypatch.setenv("PORTFOLIO_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app,
            [
                "dashboards",
                "export",
                str(tmp_path / "out"),
                "--lang",
                "fr",
                "--area",
                "SCA",
                "--donor",
                "usa",
            ],
            catch_exceptions=False,
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == [
        "data-quality.html",
        "donor-USA.html",
        "funding.html",
        "gaps.html",
        "national-processes.html",
        "progress.html",
    ]
    funding = (tmp_path / "out" / "funding.html").read_text(encoding="utf-8")
    assert "<script src=" not in funding and '<link rel="stylesheet"' not in funding  # nothing to fetch
    assert "plotly.js v" in funding  # the library itself is inside
    assert "PlotlyGeoAssets" in funding  # and the map
    assert 'data-figure="fig-by-donor"' in funding
    assert "Vue d&#39;ensemble du financement" in funding or "Vue d'ensemble du financement" in funding
    assert "1\u202f000,00\u00a0€" in funding  # only the SCA project's budget
    assert "DQ-DEPOT" in (tmp_path / "out" / "donor-USA.html").read_text(encoding="utf-8")


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
