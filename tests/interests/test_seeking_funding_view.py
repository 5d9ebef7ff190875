"""The Seeking funding page as a donor reads it: filtered by area and beneficiary State, sorted by the gap
or the planned start, the choice kept by the pager and by expressing interest — through the page's form,
and in a real browser by its labels, in English and in French."""

from __future__ import annotations

import re

import pytest

from tests.browser import log_in as browser_log_in
from tests.browser import missing
from tests.factories import make_project, move
from tests.pages import csrf_of, log_in, text_of


def seeking(client, code: str, *, area: str, state: str, budget: str, start: str | None) -> None:
    body = {"code": code, "areas": [area], "beneficiaries": [state], "budget_eur": budget}
    if start:
        body |= {"start_date": start, "end_date": "2029-12-31"}
    else:
        body |= {"start_date": None, "end_date": None}
    project = make_project(client, **body)
    move(client, project["id"], "assessment", "planning", "seeking_funding")


def cards(html: str) -> list[str]:
    return re.findall(
        r'<section class="panel need" id="p-\d+"[^>]*>\s*<h2[^>]*><a href="/projects/\d+">([^<]+)</a>', html
    )


@pytest.fixture
def portfolio(client):
    seeking(client, "SF-A", area="SALW", state="SRB", budget="100000.00", start="2027-03-01")
    seeking(client, "SF-B", area="SCA", state="SRB", budget="900000.00", start="2026-01-15")
    seeking(client, "SF-C", area="SCA", state="MDA", budget="500000.00", start=None)
    seeking(client, "SF-D", area="SALW", state="MDA", budget="300000.00", start="2025-06-01")


def test_a_donor_filters_by_area_and_state_and_sorts_by_gap_or_start(app, accounts, portfolio):
    donor = log_in(app, accounts["donor"].email)
    assert cards(donor.get("/seeking-funding").text) == ["SF-A", "SF-B", "SF-C", "SF-D"]
    assert cards(donor.get("/seeking-funding", params={"area": "SCA"}).text) == ["SF-B", "SF-C"]
    assert cards(donor.get("/seeking-funding", params={"beneficiary": "MDA"}).text) == ["SF-C", "SF-D"]
    by_gap = donor.get("/seeking-funding", params={"sort": "-gap_eur"}).text
    assert cards(by_gap) == ["SF-B", "SF-C", "SF-D", "SF-A"]
    by_start = donor.get("/seeking-funding", params={"sort": "start_date", "area": "SALW"}).text
    assert cards(by_start) == ["SF-D", "SF-A"]
    assert (
        cards(donor.get("/seeking-funding", params={"sort": "start_date"}).text)[-1] == "SF-C"
    )  # no date: last
    # a choice that is none of the offered ones is ignored, never an error
    odd = donor.get("/seeking-funding", params={"area": "XX", "beneficiary": "ZZZ", "sort": "drop"})
    assert odd.status_code == 200 and cards(odd.text) == ["SF-A", "SF-B", "SF-C", "SF-D"]
    none = text_of(donor.get("/seeking-funding", params={"area": "SCA", "beneficiary": "UKR"}).text)
    assert "No project seeking funding matches these filters." in none


def test_expressing_interest_comes_back_to_the_same_choice(app, accounts, portfolio):
    donor = log_in(app, accounts["donor"].email)
    page = donor.get("/seeking-funding", params={"area": "SCA", "sort": "-gap_eur"}).text
    form = re.search(r'<form class="interest" method="post" action="([^"]+)"', page)
    assert form
    hidden = dict(re.findall(r'<input type="hidden" name="(area|sort|page)" value="([^"]*)">', page))
    answer = donor.post(
        form.group(1),
        data={"csrf_token": csrf_of(page), "amount": "1000.00", "currency": "EUR", "note": "", **hidden},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/seeking-funding?done=interest-added&area=SCA&sort=-gap_eur"


@pytest.mark.skipif(missing() is not None, reason=str(missing()))
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_in_the_browser_a_donor_chooses_an_area_and_an_order(browser, server, lang):
    words = {
        "en": ("Area", "Sort by", "Funding gap (largest first)", "Show projects", "Seeking funding"),
        "fr": (
            "Domaine",
            "Trier par",
            "Déficit de financement (le plus grand d’abord)",
            "Afficher les projets",
            None,
        ),
    }[lang]
    context, page, problems = browser_log_in(
        browser, server, "donor.deu@example.org", lang, choose_language=True
    )
    try:
        page.goto(f"{server}/seeking-funding")
        before = page.locator("section.need h2 a").all_inner_texts()
        assert before
        page.get_by_label(words[0], exact=True).select_option("SCA")
        page.get_by_label(words[1], exact=True).select_option(label=words[2])
        page.get_by_role("button", name=words[3]).click()
        page.wait_for_load_state("load")
        assert "area=SCA" in page.url and "sort=-gap_eur" in page.url
        shown = page.locator("section.need h2 a").all_inner_texts()
        gaps = page.locator("section.need dd.gap").all_inner_texts()
        assert shown and set(shown) <= set(before)
        amounts = [
            float(
                re.sub(r"[^\d,.]", "", g)
                .replace("\u202f", "")
                .replace(",", "" if lang == "en" else ".")
                .rstrip(".")
            )
            for g in gaps
        ]
        assert amounts == sorted(amounts, reverse=True)
    finally:
        context.close()
    assert problems == []
