"""A trillion-euro typo is caught before it swamps the figures: a page that saves a budget or a pledge over
ten times the largest other so far asks the person to confirm it beside the amount, keeps nothing until
they do, and the data-quality page lists every such amount stored — in English and in French, and in a
real browser as a person types it."""

from __future__ import annotations

import re

import pytest

from tests.browser import log_in as browser_log_in
from tests.browser import missing, shoot
from tests.factories import make_pledge, make_project, move, ok
from tests.pages import log_in, text_of
from tests.projects.test_web_project_forms import NEW, created_id, form_of, submit

TRILLION = "1000000000000.00"


@pytest.fixture
def portfolio(client):
    """Two projects of ordinary size, the larger €2,000,000, and a pledge of €40,000."""
    small = make_project(client, code="ORD-1", budget_eur="100000.00")
    make_project(client, code="ORD-2", budget_eur="2000000.00")
    make_pledge(client, small["id"], amount="40000.00", currency="EUR")
    return small


def codes(client) -> list[str]:
    return sorted(p["code"] for p in ok(client.get("/api/v1/projects", params={"limit": 100}))["items"])


@pytest.mark.parametrize(
    ("lang", "asked", "box"),
    [
        (
            "en",
            "€1,000,000,000,000.00 is over ten times the largest so far (€2,000,000.00)",
            "Yes, this amount is right",
        ),
        ("fr", "dépasse dix fois le plus élevé à ce jour", "Oui, ce montant est exact"),
    ],
)
def test_a_trillion_euro_budget_is_kept_only_once_confirmed(
    app, accounts, client, portfolio, lang, asked, box
):
    staff = log_in(app, accounts["staff"].email)
    url = f"/projects/new?lang={lang}"
    refused = submit(staff, url, {**NEW, "budget_eur": TRILLION})
    assert refused.status_code == 422
    said = text_of(refused.text)
    assert asked in said and box in said, said
    field = refused.text.split('id="f-budget_eur"', 1)[1].split("</div>", 1)[0]
    assert 'name="confirm_unusual"' in field  # the box sits beside the amount
    assert f'value="{TRILLION}"' in refused.text  # what was typed stays
    assert NEW["code"] not in codes(client)  # nothing kept yet
    confirmed = staff.post(
        url,
        data={**form_of(refused), **NEW, "budget_eur": TRILLION, "confirm_unusual": "1"},
        follow_redirects=False,
    )
    project_id = created_id(confirmed)
    assert ok(client.get(f"/api/v1/projects/{project_id}"))["budget_eur"] == TRILLION


def test_an_ordinary_budget_and_an_unchanged_one_are_not_asked_about(app, accounts, client, portfolio):
    staff = log_in(app, accounts["staff"].email)
    assert (
        submit(staff, "/projects/new", {**NEW, "budget_eur": "19000000.00"}).status_code == 303
    )  # < ten times
    huge = make_project(client, code="HUGE-1", budget_eur=TRILLION)  # the API takes it as it comes
    url = f"/projects/{huge['id']}/edit"
    page = staff.get(url)
    values = dict(
        re.findall(r'<input id="f-(\w+)" name="\w+" type="(?:text|date)" value="([^"]*)"', page.text)
    )
    saved = staff.post(
        url,
        data={**form_of(page), **values, "title": "Renamed", "areas": ["SALW"], "beneficiaries": ["SRB"]},
        follow_redirects=False,
    )
    assert saved.status_code == 303, text_of(saved.text)
    assert ok(client.get(f"/api/v1/projects/{huge['id']}"))["title"] == "Renamed"


def test_a_pledge_far_above_every_other_is_confirmed_first(app, accounts, client, portfolio):
    target = make_project(client, code="ORD-3", budget_eur="500000.00")
    move(client, target["id"], "assessment", "planning", "seeking_funding")
    staff = log_in(app, accounts["staff"].email)
    url = f"/projects/{target['id']}/pledges/new"
    typed = {
        "donor": "DEU",
        "kind": "cash",
        "amount": "4000000.00",
        "currency": "EUR",
        "pledged_on": "2025-02-01",
    }
    refused = submit(staff, url, typed)
    assert refused.status_code == 422
    assert "€4,000,000.00 is over ten times the largest so far (€40,000.00)" in text_of(refused.text)
    assert ok(client.get("/api/v1/pledges", params={"project_id": target["id"]}))["total"] == 0
    done = staff.post(url, data={**form_of(refused), **typed, "confirm_unusual": "1"}, follow_redirects=False)
    assert done.status_code == 303, text_of(done.text)
    assert ok(client.get("/api/v1/pledges", params={"project_id": target["id"]}))["total"] == 1


def test_the_data_quality_page_lists_the_unusual_amounts_in_its_language(app, accounts, client, portfolio):
    huge = make_project(client, code="HUGE-1", budget_eur=TRILLION)
    manager = log_in(app, accounts["manager"].email)
    page = manager.get("/dashboards/data-quality")
    section = page.text.split('id="unusual_amounts"', 1)[1].split("</section>", 1)[0]
    said = text_of(section)
    assert "Amounts over ten times the largest other of their kind" in text_of(page.text)
    assert "HUGE-1" in said and "Budget: €1,000,000,000,000.00" in said, said
    assert f'href="/projects/{huge["id"]}"' in section
    assert "ORD-2" not in said
    french = text_of(manager.get("/dashboards/data-quality", params={"lang": "fr"}).text)
    assert "Montants dépassant dix fois le plus élevé des autres de leur sorte" in french
    assert "HUGE-1 Budget : 1 000 000 000 000,00 €" in french.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.skipif(missing() is not None, reason=str(missing()))
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_in_the_browser_a_mistyped_budget_asks_to_be_confirmed(browser, server, lang):
    words = {
        "en": (
            "Budget in euros",
            "Save changes",
            "over ten times the largest so far",
            "Yes, this amount is right",
        ),
        "fr": (
            "Budget en euros",
            "Enregistrer les modifications",
            "dépasse dix fois",
            "Oui, ce montant est exact",
        ),
    }[lang]
    context, page, problems = browser_log_in(
        browser, server, "staff@example.org", lang, choose_language=True, ignore=["422"]
    )
    try:
        page.goto(f"{server}/projects")
        page.locator("table a[href^='/projects/']").first.click()
        page.wait_for_load_state("load")
        project_url = page.url
        page.goto(f"{project_url}/edit")
        budget = page.get_by_label(words[0])
        before = budget.input_value()
        budget.fill("9" * 11)  # a slip of the finger: 99,999,999,999
        page.get_by_role("button", name=words[1]).click()
        page.wait_for_load_state("load")
        message = page.locator("#f-budget_eur-error")
        assert words[2] in message.inner_text()
        message.scroll_into_view_if_needed()
        shoot(page, f"unusual-budget-{lang}", full_page=False)
        page.get_by_label(words[3]).check()
        page.get_by_label(words[0]).fill(before)  # on second thought: the old budget back
        page.get_by_role("button", name=words[1]).click()
        page.wait_for_load_state("load")
        assert page.url.startswith(project_url) and "done=saved" in page.url
        assert not problems, problems
    finally:
        context.close()
