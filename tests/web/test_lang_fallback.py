"""A language the site does not have, asked for in ``?lang=``, falls back — on every page and every file a
dashboard or report serves — to the language chosen before, the browser's, or English; never an error."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_pledge, make_project, ok

UNKNOWN = ["xx", "zz-ZZ", "../", "", "fr\u0000", "e" * 300]
PERIOD = {"from": "2024-01-01", "to": "2024-12-31"}

PAGES = [
    "/",
    "/projects",
    "/dashboards/funding",
    "/dashboards/gaps",
    "/dashboards/progress",
    "/dashboards/national-processes",
    "/dashboards/data-quality",
    "/dashboards/results",
    "/dashboards/donors",
    "/dashboards/donors/DEU",
    "/reports/period",
]
FILES = [
    ("/dashboards/funding.csv", {"table": "by-donor"}),
    ("/dashboards/gaps.csv", {"table": "gaps"}),
    ("/dashboards/progress.csv", {"table": "timeline"}),
    ("/dashboards/data-quality.csv", {"table": "overdue_milestones"}),
    ("/dashboards/donors/DEU.csv", {"table": "projects"}),
    ("/dashboards/donors/DEU.pdf", {}),
    ("/reports/period.pdf", {}),
    ("/reports/period/requests.csv", {}),
]


@pytest.fixture
def funded(client):
    project = make_project(client)
    make_pledge(client, project["id"], donor="DEU")
    return project


def _page_lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', html)
    assert found, html[:200]
    return found.group(1)


def _ask(client, url: str, params: dict[str, str], lang: str):
    # A NUL is refused before any route runs (400); every other unknown language is just ignored.
    response = client.get(url, params={**PERIOD, **params, "lang": lang})
    expected = 400 if "\u0000" in lang else 200
    assert response.status_code == expected, (url, lang, response.status_code, response.text[:300])
    return response


@pytest.mark.parametrize("lang", UNKNOWN)
def test_an_unknown_language_falls_back_to_english_on_every_page(client, funded, lang):
    for url in PAGES:
        response = _ask(client, url, {}, lang)
        if response.status_code == 200:
            assert _page_lang(response.text) == "en", url


@pytest.mark.parametrize("lang", UNKNOWN)
def test_an_unknown_language_falls_back_to_english_in_every_file(client, funded, lang):
    for url, params in FILES:
        _ask(client, url, params, lang)


def test_a_donor_asking_its_statement_in_an_unknown_language_gets_it_in_english(anon, accounts, funded):
    donor = accounts["donor"].headers
    for suffix, params in (("", {}), (".csv", {"table": "projects"}), (".pdf", {})):
        response = anon.get(
            f"/dashboards/donors/DEU{suffix}", params=PERIOD | params | {"lang": "xx"}, headers=donor
        )
        assert response.status_code == 200, (suffix, response.text[:300])


@pytest.mark.parametrize("lang", ["FR", "fr", "fr-FR", "fr_BE", " fr "])
def test_french_in_any_case_or_region_is_french(client, funded, lang):
    for url in PAGES:
        assert _page_lang(_ask(client, url, {}, lang).text) == "fr", url
    statement = client.get("/dashboards/donors/DEU.csv", params=PERIOD | {"table": "projects", "lang": lang})
    assert statement.status_code == 200


def test_an_unknown_language_keeps_the_language_chosen_before(client, funded):
    client.cookies.set("portfolio_lang", "fr")
    try:
        assert _page_lang(ok_page(client, "/dashboards/funding", "xx")) == "fr"
        assert _page_lang(ok_page(client, "/reports/period", "../")) == "fr"
    finally:
        client.cookies.clear()
    # A cookie naming no language of the site is ignored as well.
    client.cookies.set("portfolio_lang", "../")
    try:
        assert _page_lang(ok_page(client, "/dashboards/funding", "zz-ZZ")) == "en"
    finally:
        client.cookies.clear()


def ok_page(client, url: str, lang: str) -> str:
    response = client.get(url, params=PERIOD | {"lang": lang})
    assert response.status_code == 200, (url, response.text[:300])
    return str(response.text)


def test_the_api_never_fails_on_an_unknown_language(client):
    assert isinstance(ok(client.get("/api/v1/norms", params={"lang": "xx"})), list)
