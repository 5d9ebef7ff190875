"""Donors' expressions of interest on the pages, used as people use them: a donor State reads the projects
that seek funding (and nothing of another donor's money), expresses interest, is refused beside the field
it got wrong, withdraws; staff turn an interest into a pledge from the project's page; the funding
dashboard counts open interests apart from pledges. Then the same day in a real browser."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from portfolio.security import create_token
from portfolio.users.models import User
from tests.browser import log_in as log_in_by_form
from tests.browser import shoot
from tests.conftest import Account
from tests.days import this_month, today
from tests.factories import PASSWORD, make_pledge, make_project, make_rate, move, ok
from tests.pages import log_in, token_of

SEEKING = ("assessment", "planning", "seeking_funding")
SECRET_NOTE = "Cabinet decision expected in spring"  # noqa: S105 - the other donor's note


@pytest.fixture
def staff(anon: TestClient, accounts: dict[str, Any]) -> TestClient:
    return log_in(anon, "staff")


@pytest.fixture
def donor(app: Any, accounts: dict[str, Any]) -> TestClient:
    with TestClient(app) as browser:
        yield log_in(browser, "donor")


@pytest.fixture
def norway(app: Any) -> Account:
    state = app.state
    with state.db.session(write=True) as session:
        user = User(
            email="donor.nor@test.example.org",
            full_name="Test donor NOR",
            role="donor",
            state="NOR",
            password_hash=state.hasher.hash(PASSWORD),
        )
        session.add(user)
        session.flush()
        assert user.id is not None
        token = create_token(state.secret_key, user.id, user.token_version, timedelta(hours=1))
        return Account(user.id, user.email, "donor", "NOR", token)


def seeking(client: TestClient, **overrides: Any) -> dict[str, Any]:
    project = make_project(client, **overrides)
    move(client, project["id"], *SEEKING)
    return project


def express(client: TestClient, project_id: int, headers: dict[str, str] | None = None, **body: Any) -> Any:
    data = {"amount": "250000.00", "currency": "EUR"} | body
    return ok(client.post(f"/api/v1/projects/{project_id}/interests", json=data, headers=headers or {}), 201)


def error_of(page: Any, project_id: int, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="f-{project_id}-{name}-error">(.*?)</p>', page.text, re.S)
    return html.unescape(found.group(1)) if found else ""


def value_of(page: Any, project_id: int, name: str) -> str:
    found = re.search(
        rf'<input id="f-{project_id}-{name}" name="{name}" type="text"[^>]*value="([^"]*)"', page.text
    )
    assert found, f"no field {name} for project {project_id}"
    return html.unescape(found.group(1))


def section_of(page: Any, project_id: int) -> str:
    found = re.search(rf'<section class="panel need" id="p-{project_id}".*?</section>', page.text, re.S)
    assert found, f"project {project_id} is not listed"
    return found.group(0)


def without_selects(text: str) -> str:
    return re.sub(r"<select.*?</select>", "", text, flags=re.S)  # the pick-lists of States and currencies


def post_form(browser: TestClient, url: str, data: dict[str, Any], form_url: str = "/seeking-funding") -> Any:
    page = browser.get(form_url)
    assert page.status_code == 200, page.text
    return browser.post(url, data={**data, "csrf_token": token_of(page)}, follow_redirects=False)


# -- the Seeking funding page --------------------------------------------------------------------------


@pytest.fixture
def needs(client: TestClient, accounts: dict[str, Any]) -> dict[str, Any]:
    """Projects in every situation, Germany's pledge and interest and the United States' on the same one."""
    make_rate(client, "USD", this_month(), "0.50000000")
    shared = seeking(
        client,
        code="SEEK-1",
        title="Melange disposal",
        budget_eur="10000.00",
        description="Rocket fuel oxidiser",
    )
    make_pledge(client, shared["id"], donor="DEU", amount="300.00", pledged_on=today().isoformat())
    make_pledge(
        client,
        shared["id"],
        donor="USA",
        amount="4321.98",
        currency="USD",
        pledged_on=today().isoformat(),
        note=SECRET_NOTE,
    )
    under_way = seeking(client, code="SEEK-2", title="Marking machines", budget_eur="80000.00")
    make_pledge(client, under_way["id"], donor="USA", amount="8765.43", pledged_on=today().isoformat())
    move(client, under_way["id"], "implementation")
    planning = make_project(client, code="SEEK-3", title="Not yet planned")
    move(client, planning["id"], "assessment", "planning")
    full = seeking(client, code="SEEK-4", title="Fully pledged", budget_eur="500.00")
    make_pledge(client, full["id"], donor="FRA", amount="500.00", pledged_on=today().isoformat())
    own = express(client, shared["id"], accounts["donor"].headers, amount="1234.56", note="Our own note")
    express(client, shared["id"], donor="USA", amount="7654.32", currency="USD", note=SECRET_NOTE)
    return {"shared": shared, "under_way": under_way, "planning": planning, "full": full, "own": own}


def test_a_donor_reads_the_needs_and_gaps_but_no_other_donors_money(client, donor, staff, needs):
    page = donor.get("/seeking-funding")
    assert page.status_code == 200
    assert '<a href="/seeking-funding" aria-current="page">Seeking funding</a>' in page.text  # in its menu
    shared = section_of(page, needs["shared"]["id"])
    assert "SEEK-1</a> — Melange disposal" in shared and "Rocket fuel oxidiser" in shared
    assert "Serbia" in shared and "Stockpile security" in shared  # beneficiary and activity
    funding = ok(client.get(f"/api/v1/projects/{needs['shared']['id']}"))["funding"]
    assert funding["gap_eur"] == "7539.01"  # 10000 − 300 − 4321.98 × 0.5
    assert '<dd class="budget">€10,000.00</dd>' in shared
    assert '<dd class="gap">€7,539.01</dd>' in shared
    assert '<dd class="coverage">24.6%</dd>' in shared
    assert "Implementation" in section_of(page, needs["under_way"]["id"])
    assert f'id="p-{needs["planning"]["id"]}"' not in page.text and "SEEK-3" not in page.text
    assert f'id="p-{needs["full"]["id"]}"' not in page.text and "SEEK-4" not in page.text
    # its own interest, with its status; nothing of the other States' pledges and interest
    assert "1,234.56" in page.text and "Open" in page.text
    text = without_selects(page.text)
    for secret in (
        "USA",
        "United States",
        "4321.98",
        "4,321.98",
        "7654.32",
        "7,654.32",
        "8,765.43",
        "France",
    ):
        assert secret not in text, secret
    assert SECRET_NOTE not in text
    # staff see every interest there: the check above could fail
    everyone = without_selects(staff.get("/seeking-funding").text)
    assert "United States" in everyone and "7,654.32" in everyone


def test_express_interest_refused_beside_the_amount_then_recorded(client, donor, needs):
    pid = needs["under_way"]["id"]
    url = f"/projects/{pid}/interests/new"
    refused = post_form(donor, url, {"amount": "0", "currency": "EUR", "note": "Tentative", "page": "1"})
    assert refused.status_code == 422
    assert error_of(refused, pid, "amount") == "More than 0."
    assert value_of(refused, pid, "amount") == "0" and value_of(refused, pid, "note") == "Tentative"
    assert f'aria-describedby="f-{pid}-amount-error"' in refused.text
    assert "Your expression of interest was not recorded." in refused.text
    no_rate = post_form(donor, url, {"amount": "1000.00", "currency": "NOK", "page": "1"})
    assert no_rate.status_code == 422
    assert f"no exchange rate for NOK in {this_month()}" in error_of(no_rate, pid, "currency")
    forged = post_form(donor, url, {"amount": "1000.00", "currency": "EUR", "donor": "USA", "page": "1"})
    assert forged.status_code == 303  # a donor's interest is its own State's, whatever was sent
    done = post_form(donor, url, {"amount": "50000.00", "currency": "USD", "note": "Tentative", "page": "1"})
    assert done.status_code == 303 and done.headers["location"].startswith(
        "/seeking-funding?done=interest-added"
    )
    assert "Your expression of interest was recorded." in donor.get(done.headers["location"]).text
    mine = ok(client.get("/api/v1/interests", params={"project_id": pid}))["items"]
    assert sorted((i["donor"], i["amount"], i["currency"]) for i in mine) == [
        ("DEU", "1000.00", "EUR"),
        ("DEU", "50000.00", "USD"),
    ]
    closed = post_form(
        donor, f"/projects/{needs['planning']['id']}/interests/new", {"amount": "1", "currency": "EUR"}
    )
    assert closed.status_code == 409
    assert "only projects seeking funding or in implementation" in closed.text


def test_a_donor_withdraws_its_own_interest_only(client, anon, accounts, donor, norway, needs):
    own = needs["own"]
    response = post_form(donor, f"/interests/{own['id']}/withdraw", {"version": "1", "page": "1"})
    assert response.status_code == 303
    assert ok(client.get(f"/api/v1/interests/{own['id']}"))["status"] == "withdrawn"
    page = donor.get(response.headers["location"])
    assert "The expression of interest was withdrawn." in page.text
    assert re.search(r'<td class="interest-status">Withdrawn</td>\s*<td>–</td>', page.text)  # no button now
    again = post_form(donor, f"/interests/{own['id']}/withdraw", {"version": "2", "page": "1"})
    assert again.status_code == 409 and "only an open interest can change" in again.text
    other = express(client, needs["shared"]["id"], norway.headers)
    assert post_form(donor, f"/interests/{other['id']}/withdraw", {"version": "1"}).status_code == 404
    manager = log_in(anon, "manager")
    assert "Express interest" not in manager.get("/seeking-funding").text
    assert post_form(manager, f"/interests/{other['id']}/withdraw", {"version": "1"}).status_code == 403
    assert ok(client.get(f"/api/v1/interests/{other['id']}"))["status"] == "open"


# -- the project page ----------------------------------------------------------------------------------


def test_staff_turn_an_interest_into_a_pledge_from_the_project_page(client, anon, donor, staff, needs):
    pid = needs["shared"]["id"]
    usa = ok(client.get("/api/v1/interests", params={"donor": "USA"}))["items"][0]
    page = staff.get(f"/projects/{pid}")
    section = re.search(r'<section class="panel interests".*?</section>', page.text, re.S).group(0)  # type: ignore[union-attr]
    assert "Germany" in section and "€1,234.56" in section and "Our own note" in section
    assert "United States" in section and "$7,654.32" in section and "€3,827.16" in section  # at 0.5
    assert section.count("Turn into pledge") == 2
    response = staff.post(
        f"/interests/{usa['id']}/pledge",
        data={"version": "1", "csrf_token": token_of(page)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    after = staff.get(response.headers["location"])
    assert "The interest was turned into a pledge" in after.text
    pledges = re.search(r'<table class="pledges">.*?</table>', after.text, re.S).group(0)  # type: ignore[union-attr]
    assert pledges.count('<th scope="row">United States of America</th>') == 2 and "$7,654.32" in pledges
    assert ok(client.get(f"/api/v1/interests/{usa['id']}"))["status"] == "converted"
    assert (
        ok(client.get(f"/api/v1/projects/{pid}"))["funding"]["pledged_eur"] == "6288.15"
    )  # 300 + 2160.99 + 3827.16
    # the donor reads its own interest there, without the button, and not the other State's
    own = donor.get(f"/projects/{pid}").text
    assert "Your State's expressions of interest" in html.unescape(own) and "€1,234.56" in own
    assert "Turn into pledge" not in own and "7,654.32" not in own
    manager = log_in(anon, "manager")
    page = manager.get(f"/projects/{pid}")
    assert "Turn into pledge" not in page.text and "€1,234.56" in page.text
    forged = manager.post(
        f"/interests/{needs['own']['id']}/pledge",
        data={"version": "1", "csrf_token": token_of(page)},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert ok(client.get(f"/api/v1/interests/{needs['own']['id']}"))["status"] == "open"


def test_a_refused_conversion_says_why_and_writes_nothing(client, staff, needs):
    pid = needs["shared"]["id"]
    move(client, pid, "implementation", "cancelled", on=today().isoformat())
    page = staff.get(f"/projects/{pid}")
    response = staff.post(
        f"/interests/{needs['own']['id']}/pledge",
        data={"version": "1", "csrf_token": token_of(page)},
        follow_redirects=False,
    )
    assert response.status_code == 409
    assert (
        "text/html" in response.headers["content-type"]
        and "is cancelled and takes no pledges" in response.text
    )
    assert ok(client.get(f"/api/v1/interests/{needs['own']['id']}"))["status"] == "open"
    assert ok(client.get("/api/v1/pledges", params={"project_id": pid}))["total"] == 2


# -- the funding dashboard -----------------------------------------------------------------------------


def kpi(page: str, key: str) -> Decimal:
    found = re.search(rf'data-kpi="{key}" data-value="([^"]*)"', page)
    assert found, key
    return Decimal(found.group(1))


def test_the_funding_page_counts_open_interests_apart_at_todays_rate(client, staff, norway, needs):
    make_rate(client, "NOK", this_month(), "0.08620000")
    salw = seeking(client, areas=["SALW"], budget_eur="900000.00")
    express(client, salw["id"], norway.headers, amount="333333.33", currency="NOK")
    express(client, salw["id"], norway.headers, amount="333333.33", currency="NOK")
    withdrawn = express(client, salw["id"], norway.headers, amount="999.99")
    ok(client.post(f"/api/v1/interests/{withdrawn['id']}/withdraw"))
    converted = express(client, needs["under_way"]["id"], norway.headers, amount="5000.00")
    ok(client.post(f"/api/v1/interests/{converted['id']}/pledge"), 201)
    pledged_before = kpi(staff.get("/dashboards/funding").text, "pledged")

    everything = ok(client.get("/api/v1/interests", params={"status": "open", "limit": 500}))["items"]
    expected = sum((Decimal(i["estimate_eur"]) for i in everything), Decimal("0.00"))
    assert expected == Decimal("1234.56") + Decimal("3827.16") + 2 * Decimal("28733.33")  # three currencies
    page = staff.get("/dashboards/funding").text
    assert kpi(page, "open-interests") == expected
    assert kpi(page, "pledged") == pledged_before  # interests are no pledges
    assert "Open interests (not pledges)" in page
    panel = re.search(r'<section class="panel" id="open-interests".*?</section>', page, re.S).group(0)  # type: ignore[union-attr]
    assert "<td>Norway</td><td>2</td><td>€57,466.66</td>" in panel
    assert "<td>United States of America</td><td>1</td><td>€3,827.16</td>" in panel, panel
    # the page's filters apply: SALW projects only
    salw_only = staff.get("/dashboards/funding", params={"area": "SALW"}).text
    assert kpi(salw_only, "open-interests") == 2 * Decimal("28733.33")
    csv = staff.get("/dashboards/funding.csv", params={"table": "open-interests"})
    assert csv.status_code == 200 and "Norway,2,57466.66" in csv.text


# -- in a real browser ------------------------------------------------------------------------------------


REFUSED = ("the server responded with a status of",)


def test_a_donor_expresses_interest_and_staff_turn_it_into_a_pledge_in_the_browser(demo_site, browser):
    server, _app = demo_site
    context, page, problems = log_in_by_form(browser, server, "donor.deu@example.org", ignore=REFUSED)
    try:
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Seeking funding").click()
        assert page.get_by_role("heading", level=1).text_content() == "Seeking funding"
        need = page.locator("section.need").first
        code = need.get_by_role("heading", level=2).get_by_role("link").text_content()
        need.locator("summary").click()
        need.get_by_label("Amount").fill("12,5")
        need.get_by_label("Note").fill("Subject to the Bundestag's budget")
        need.get_by_role("button", name="Express interest").click()
        need = page.locator("section.need", has=page.get_by_role("link", name=code, exact=True))
        message = need.locator(".field-error").first
        assert "decimal" in message.text_content().lower() or "number" in message.text_content().lower()
        assert message.get_attribute("id", timeout=2000).endswith("-amount-error")
        assert need.get_by_label("Note").input_value() == "Subject to the Bundestag's budget"
        assert page.evaluate("document.activeElement.name") == "amount"
        shoot(page, "interest-refused")
        need.get_by_label("Amount").fill("150000.00")
        need.get_by_label("Currency").select_option("EUR")
        need.get_by_role("button", name="Express interest").click()
        assert "Your expression of interest was recorded." in page.locator(".notice").text_content()
        row = page.locator("table.own-interests tr", has=page.get_by_role("link", name=code, exact=True))
        assert "€150,000.00" in row.text_content() and "Open" in row.text_content()
        shoot(page, "interest-seeking-funding")
    finally:
        context.close()
    assert problems == []

    context, page, problems = log_in_by_form(browser, server, "staff@example.org", ignore=REFUSED)
    try:
        page.get_by_role("link", name="Projects", exact=True).click()
        page.get_by_label("Code or title contains").fill(code)
        page.get_by_role("button", name="Show projects").click()
        page.get_by_role("link", name=code, exact=True).first.click()
        section = page.locator("section.interests")
        line = section.locator("tr", has_text="€150,000.00")
        assert "Germany" in line.text_content() and "Subject to the Bundestag" in line.text_content()
        line.get_by_role("button", name=re.compile("^Turn into pledge")).click()
        assert (
            "The interest was turned into a pledge"
            in page.locator("section.interests .notice").text_content()
        )
        pledge = page.locator("table.pledges tbody tr", has_text="Germany").filter(has_text="€150,000.00")
        assert pledge.count() == 1 and "Pledged" in pledge.first.text_content()
        assert "Turned into a pledge" in section.locator("tr", has_text="€150,000.00").text_content()
        shoot(page, "interest-turned-into-pledge")
    finally:
        context.close()
    assert problems == []

    context, page, problems = log_in_by_form(browser, server, "donor.deu@example.org", ignore=REFUSED)
    try:
        page.get_by_role("link", name="Seeking funding").click()
        row = page.locator("table.own-interests tr", has=page.get_by_role("link", name=code, exact=True))
        assert "Turned into a pledge" in row.text_content()
        assert row.get_by_role("button").count() == 0
        shoot(page, "interest-converted-donor")
    finally:
        context.close()
    assert problems == []
