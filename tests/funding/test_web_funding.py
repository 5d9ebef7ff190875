"""The pledge, receipt and exchange-rate pages, used as a person uses them: log in through the form, open
the page, fill it in, send it, and read what comes back."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.browser import ARTIFACTS
from tests.browser import log_in as log_in_by_form
from tests.factories import make_pledge, make_project, make_rate, ok, receive
from tests.pages import error_of, hidden, log_in, token_of, value_of


def send(browser: TestClient, url: str, data: dict[str, Any], form_url: str | None = None) -> Any:
    """Open the form page, then send it with its token (as a browser does)."""
    page = browser.get(form_url or url)
    assert page.status_code == 200, page.text
    return browser.post(url, data={**data, "csrf_token": token_of(page)}, follow_redirects=False)


@pytest.fixture
def staff(anon: TestClient, accounts: dict[str, Any]) -> TestClient:
    return log_in(anon, "staff")


@pytest.fixture
def project(client: TestClient) -> dict[str, Any]:
    return make_project(client, code="WEB-FUND-1", title="Depot security in Serbia")


PLEDGE = {
    "donor": "NOR",
    "kind": "cash",
    "amount": "100000.00",
    "currency": "NOK",
    "pledged_on": "2026-11-10",
    "status": "pledged",
    "note": "Letter of intent",
}


def test_new_pledge_from_the_pick_lists_shows_its_euro_value(client, staff, project):
    make_rate(client, "NOK", "2026-11", "0.08620000")
    form = staff.get(f"/projects/{project['id']}/pledges/new")
    assert form.status_code == 200
    assert "WEB-FUND-1 — Depot security in Serbia" in form.text
    assert '<optgroup label="Participating States">' in form.text
    assert '<optgroup label="Partners for Co-operation">' in form.text
    assert '<option value="NOR">Norway</option>' in form.text
    currencies = re.findall(r'<option value="([A-Z]{3})"[^>]*>\1 — ', form.text)
    assert currencies[:2] == ["EUR", "NOK"]  # the euro, then the currencies in use, then the rest
    assert len(currencies) > 100
    response = send(staff, f"/projects/{project['id']}/pledges/new", PLEDGE)
    assert response.status_code == 303
    assert response.headers["location"] == f"/projects/{project['id']}?done=pledge-added"
    pledges = ok(client.get("/api/v1/pledges", params={"project_id": project["id"]}))["items"]
    assert [(p["donor"], p["amount"], p["currency"], p["amount_eur"]) for p in pledges] == [
        ("NOR", "100000.00", "NOK", "8620.00")
    ]


def test_preview_with_and_without_a_rate(client, staff, project):
    url = f"/projects/{project['id']}/pledges/new"
    response = send(staff, url, {**PLEDGE, "action": "preview"})
    assert response.status_code == 200
    assert "No rate recorded for NOK in 2026-11: record it first." in response.text
    assert 'href="/exchange-rates/month?month=2026-11"' in response.text
    assert value_of(response, "amount") == "100000.00"  # the values stay in the form
    make_rate(client, "NOK", "2026-11", "0.08620000")
    response = send(staff, url, {**PLEDGE, "action": "preview"})
    assert "≈ €8,620.00" in response.text
    assert "at 1 NOK = 0.0862 EUR (rate of 2026-11)" in response.text
    assert ok(client.get("/api/v1/pledges"))["total"] == 0  # a preview writes nothing


def test_a_pledge_without_a_rate_is_refused_beside_the_currency(client, staff, project):
    response = send(staff, f"/projects/{project['id']}/pledges/new", PLEDGE)
    assert response.status_code == 422
    assert "no exchange rate for NOK in 2026-11" in error_of(response, "currency")
    assert value_of(response, "amount") == "100000.00"
    assert ok(client.get("/api/v1/pledges"))["total"] == 0


def test_commit_by_status_change_and_edit_amount(client, staff, project):
    make_rate(client, "NOK", "2026-11", "0.08620000")
    pledge = make_pledge(client, project["id"], donor="NOR", currency="NOK", pledged_on="2026-11-10")
    url = f"/pledges/{pledge['id']}/edit"
    form = staff.get(url)
    assert form.status_code == 200
    assert '<option value="withdrawn">Withdrawn</option>' in form.text
    data = {**PLEDGE, "amount": "200000.00", "status": "committed", "version": hidden(form, "version")}
    data["loaded_at"] = hidden(form, "loaded_at")
    response = staff.post(url, data={**data, "csrf_token": token_of(form)}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/projects/{project['id']}?done=pledge-saved"
    after = ok(client.get(f"/api/v1/pledges/{pledge['id']}"))
    assert (after["status"], after["amount"], after["amount_eur"], after["note"]) == (
        "committed",
        "200000.00",
        "17240.00",
        "Letter of intent",
    )
    page = staff.get(url)
    assert "€17,240.00" in page.text  # the euro value, as the pages show it


def test_a_stale_pledge_edit_shows_what_changed(client, staff, project):
    pledge = make_pledge(client, project["id"])
    url = f"/pledges/{pledge['id']}/edit"
    form = staff.get(url)
    version, loaded_at = hidden(form, "version"), hidden(form, "loaded_at")
    body = {"note": "Changed by a colleague"}
    ok(client.patch(f"/api/v1/pledges/{pledge['id']}", json=body, headers={"If-Match": '"1"'}))
    data = {**PLEDGE, "donor": "DEU", "currency": "EUR", "pledged_on": "2024-03-10", "note": "Mine"}
    data |= {"version": version, "loaded_at": loaded_at, "csrf_token": token_of(form)}
    response = staff.post(url, data=data, follow_redirects=False)
    assert response.status_code == 412
    assert "Someone else changed this record while you were editing it" in response.text
    assert "Changed by a colleague" in response.text
    assert hidden(response, "version") == "2"  # the new version, to save again on top of it
    assert "Mine" in response.text
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["note"] == "Changed by a colleague"


def test_delete_a_pledge_recorded_in_error_after_confirming(client, staff, project):
    pledge = make_pledge(client, project["id"])
    url = f"/pledges/{pledge['id']}/delete"
    form = staff.get(f"/pledges/{pledge['id']}/edit")
    data = {"version": "1", "loaded_at": hidden(form, "loaded_at"), "csrf_token": token_of(form)}
    response = staff.post(url, data=data, follow_redirects=False)
    assert response.status_code == 422
    assert "Tick the box" in error_of(response, "confirm")
    response = staff.post(url, data={**data, "confirm": "yes"}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get(f"/api/v1/pledges/{pledge['id']}").status_code == 404


def test_receipt_and_over_receipt_refused_beside_the_amount(client, staff, project):
    pledge = make_pledge(client, project["id"], amount="1000.00")
    url = f"/pledges/{pledge['id']}/receipts/new"
    form = staff.get(url)
    assert "Amount in EUR" in form.text
    response = send(staff, url, {"received_on": "2024-05-02", "amount": "400.00"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/projects/{project['id']}?done=receipt-added"
    response = send(staff, url, {"received_on": "2024-05-03", "amount": "700.00"})
    assert response.status_code == 409
    message = error_of(response, "amount")
    assert "would bring the pledge to €1,100.00, past its €1,000.00 (€600.00 outstanding)" in message
    assert value_of(response, "amount") == "700.00"
    assert value_of(response, "received_on") == "2024-05-03"
    receipts = ok(client.get(f"/api/v1/pledges/{pledge['id']}/receipts"))
    assert [r["amount"] for r in receipts] == ["400.00"]  # nothing more was written


def test_the_months_rates_form_saves_two_currencies_at_once(client, staff):
    make_rate(client, "NOK", "2026-10", "0.08500000")
    make_rate(client, "NOK", "2026-11", "0.08600000")
    url = "/exchange-rates/month?month=2026-11"
    form = staff.get(url)
    assert value_of(form, "rate_NOK") == "0.086"
    data = {"rate_NOK": "0.0862", "new_currency": "PLN", "new_rate": "0.2315"}
    response = send(staff, url, data)
    assert response.status_code == 303
    rates = ok(client.get("/api/v1/exchange-rates", params={"to": "2026-11", "from": "2026-11"}))["items"]
    assert {(r["currency"], r["eur_per_unit"]) for r in rates} == {
        ("NOK", "0.08620000"),
        ("PLN", "0.23150000"),
    }
    listing = staff.get("/exchange-rates")
    assert listing.text.index("2026-11") < listing.text.index("2026-10")  # newest month first
    assert "0.0862" in listing.text and "0.2315" in listing.text


@pytest.mark.parametrize("bad", ["0", "-1", "abc"])
def test_a_bad_rate_refuses_the_whole_month(client, staff, bad):
    make_rate(client, "NOK", "2026-11", "0.08600000")
    make_rate(client, "CHF", "2026-10", "1.05000000")
    url = "/exchange-rates/month?month=2026-11"
    response = send(staff, url, {"rate_NOK": "0.0862", "rate_CHF": bad})
    assert response.status_code == 422
    assert error_of(response, "rate_CHF")
    assert not error_of(response, "rate_NOK")
    assert value_of(response, "rate_CHF") == bad and value_of(response, "rate_NOK") == "0.0862"
    rates = ok(client.get("/api/v1/exchange-rates", params={"from": "2026-11"}))["items"]
    assert [(r["currency"], r["eur_per_unit"]) for r in rates] == [("NOK", "0.08600000")]


def test_donors_and_managers_read_without_write_controls(client, anon, accounts, project):
    deu = make_pledge(client, project["id"], donor="DEU")
    fra = make_pledge(client, project["id"], donor="FRA")
    donor = log_in(anon, "donor")
    page = donor.get(f"/pledges/{deu['id']}/edit")
    assert page.status_code == 200
    assert "Save changes" not in page.text and "Delete pledge" not in page.text
    assert "<dd>Germany</dd>" in page.text  # the donor by name
    assert donor.get(f"/pledges/{fra['id']}/edit").status_code == 404  # another State's pledge
    forged = donor.post(
        f"/pledges/{deu['id']}/edit",
        data={"note": "forged", "version": "1", "csrf_token": token_of(page)},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert "text/html" in forged.headers["content-type"]
    assert donor.get(f"/projects/{project['id']}/pledges/new").status_code == 403
    rates = donor.get("/exchange-rates/month?month=2026-11")
    assert rates.status_code == 200 and "Save the rates" not in rates.text
    forged = donor.post(
        "/exchange-rates/month?month=2026-11",
        data={"rate_NOK": "0.1", "csrf_token": token_of(rates)},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert ok(client.get(f"/api/v1/pledges/{deu['id']}"))["note"] == ""


def test_a_post_without_the_csrf_token_is_refused(client, staff, project):
    pledge = make_pledge(client, project["id"], amount="1000.00")
    response = staff.post(
        f"/pledges/{pledge['id']}/receipts/new",
        data={"received_on": "2024-05-02", "amount": "10.00"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert receive(client, pledge["id"], "1000.00").status_code == 201  # nothing was received before


# -- in a real browser ------------------------------------------------------------------------------


# A refused form answers 409/422 on purpose, and Chromium logs that status: not a problem of the page.
REFUSED = ("the server responded with a status of",)


def browse_as(browser: Any, server: str, email: str) -> tuple[Any, Any, list[str]]:
    return log_in_by_form(browser, server, email, ignore=REFUSED)


def open_project(app: Any) -> tuple[int, str]:
    from sqlmodel import col, select

    from portfolio.projects.models import Project

    with app.state.db.session() as session:
        project = session.exec(
            select(Project).where(col(Project.status) != "cancelled").order_by(col(Project.id))
        ).first()
        assert project is not None and project.id is not None
        return project.id, project.code


def newest_pledge(app: Any, project_id: int) -> int:
    from sqlmodel import col, select

    from portfolio.funding.models import Pledge

    with app.state.db.session() as session:
        pledge_id = session.exec(
            select(Pledge.id).where(Pledge.project_id == project_id).order_by(col(Pledge.id).desc())
        ).first()
        assert pledge_id is not None
        return int(pledge_id)


def test_a_pledge_in_nok_previewed_then_received_and_over_received_in_the_browser(demo_site, browser):
    server, app = demo_site
    ARTIFACTS.mkdir(exist_ok=True)
    project_id, code = open_project(app)
    context, page, problems = browse_as(browser, server, "staff@example.org")
    try:
        page.goto(f"{server}/exchange-rates/month?month=2026-11")
        if page.get_by_label("EUR per 1 NOK").count():
            page.get_by_label("EUR per 1 NOK").fill("0.0862")
        else:
            page.get_by_label("Currency").select_option("NOK")
            page.get_by_label("EUR per unit").fill("0.0862")
        page.get_by_role("button", name="Save the rates of 2026-11").click()
        assert "The month's rates have been saved." in page.text_content("main")
        page.goto(f"{server}/exchange-rates")
        page.screenshot(path=str(ARTIFACTS / "staff-rates.png"), full_page=True)

        page.goto(f"{server}/projects/{project_id}/pledges/new")
        assert code in page.text_content("h1")
        page.get_by_label("Donor").select_option(label="Norway")
        page.get_by_label("Currency").select_option(label="NOK — Norwegian Krone")
        page.get_by_label("Amount").fill("500000.00")
        page.get_by_label("Pledged on").fill("2026-11-10")
        page.get_by_label("Note").fill("Letter of intent from the Norwegian delegation")
        page.get_by_role("button", name="Preview in euros").click()
        preview = page.locator("#preview").text_content()
        assert "≈ €43,100.00" in preview and "1 NOK = 0.0862 EUR (rate of 2026-11)" in preview
        assert page.get_by_label("Amount").input_value() == "500000.00"
        page.screenshot(path=str(ARTIFACTS / "staff-pledge-form.png"), full_page=True)
        page.get_by_role("button", name="Record pledge").click()
        assert page.url.endswith(f"/projects/{project_id}?done=pledge-added")

        pledge_id = newest_pledge(app, project_id)
        page.goto(f"{server}/pledges/{pledge_id}/receipts/new")
        page.get_by_label("Received on").fill("2026-11-20")
        page.get_by_label("Amount in NOK").fill("100000.00")
        page.get_by_role("button", name="Record receipt").click()
        assert page.url.endswith("?done=receipt-added")
        page.goto(f"{server}/pledges/{pledge_id}/receipts/new")
        page.get_by_label("Received on").fill("2026-11-21")
        page.get_by_label("Amount in NOK").fill("450000.00")
        page.get_by_role("button", name="Record receipt").click()
        message = page.locator("#f-amount-error").text_content()
        assert "past its NOK500,000.00 (NOK400,000.00 outstanding)" in message
        assert page.get_by_label("Amount in NOK").input_value() == "450000.00"
        assert page.evaluate("document.activeElement.id") == "f-amount"
        page.screenshot(path=str(ARTIFACTS / "staff-receipt-refused.png"), full_page=True)

        page.goto(f"{server}/language?to=fr&next=/projects/{project_id}/pledges/new")
        page.get_by_label("Donateur").select_option(label="Norvège")
        page.get_by_label("Devise").select_option("NOK")
        page.get_by_label("Montant").fill("250000.00")
        page.get_by_label("Annoncée le").fill("2026-11-10")
        page.get_by_role("button", name="Aperçu en euros").click()
        assert "21\u202f550,00\xa0€ à 1 NOK = 0,0862 EUR" in page.locator("#preview").text_content()
        page.screenshot(path=str(ARTIFACTS / "staff-pledge-form-fr.png"), full_page=True)
    finally:
        context.close()
    assert problems == []


def count_statements(app: Any, browser: TestClient, url: str) -> int:
    """How many SQL statements one page view runs."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = app.state.db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert browser.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(seen)


def test_the_rates_and_pledge_pages_run_a_fixed_number_of_statements(app, client, staff, project):
    make_rate(client, "NOK", "2026-11", "0.08600000")
    pledge = make_pledge(client, project["id"], amount="1000.00")
    receive(client, pledge["id"], "10.00")
    few = [count_statements(app, staff, u) for u in ("/exchange-rates", f"/pledges/{pledge['id']}/edit")]
    for month in range(1, 10):
        make_rate(client, "CHF", f"2025-{month:02d}", "1.05000000")
        make_rate(client, "PLN", f"2025-{month:02d}", "0.23000000")
        receive(client, pledge["id"], "10.00", f"2024-05-{month + 2:02d}")
    many = [count_statements(app, staff, u) for u in ("/exchange-rates", f"/pledges/{pledge['id']}/edit")]
    assert many == few, (few, many)


def test_a_month_that_is_not_one_gets_a_page_not_a_stack_trace(staff):
    response = staff.get("/exchange-rates/month", params={"month": "2026-13"})
    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"]
    assert "Give the month as YYYY-MM" in response.text
