"""Money out on the staff pages, used as a person uses them: log in through the form, open the project's
page, follow its links to the budget line and expenditure forms, type (in French, as French is written),
send, and read the Budget and spending section that comes back — and what a donor's account sees of it."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portfolio.web.i18n import Formats
from tests.days import tomorrow
from tests.factories import make_pledge, make_project, make_rate, ok, receive
from tests.pages import error_of, hidden, log_in, section, text_of, token_of, value_of
from tests.spending.test_spending import funded, spend

D = Decimal
FR = Formats("fr")
EN = Formats("en")
SPACES = {"\u202f": " ", "\xa0": " "}


def plain(text: str) -> str:
    """French and Russian narrow and no-break spaces as plain ones."""
    for odd, space in SPACES.items():
        text = text.replace(odd, space)
    return text


def beside(page: Any, field: str) -> str:
    return plain(error_of(page, field)).strip()


@pytest.fixture
def staff(anon: TestClient, accounts: dict[str, Any]) -> TestClient:
    return log_in(anon, "staff")


@pytest.fixture
def french(staff: TestClient) -> TestClient:
    """The staff account, having chosen French through the language link."""
    assert staff.get("/language", params={"to": "fr", "next": "/"}, follow_redirects=False).status_code == 303
    return staff


@pytest.fixture
def project(client: TestClient) -> dict[str, Any]:
    """€1,000,000 of budget for 2024–2027; €300,000 received from Germany, €100,000 from Norway (in NOK)."""
    made, _pledges = funded(client, start_date="2024-01-01", end_date="2027-12-31")
    return made


def send(browser: TestClient, form_url: str, data: dict[str, Any], url: str | None = None) -> Any:
    """Open the form's page, then send it with the token (and the version and loaded_at) it carries."""
    page = browser.get(form_url)
    assert page.status_code == 200, page.text
    carried = {"csrf_token": token_of(page)}
    for name in ("version", "loaded_at"):
        if f'name="{name}"' in page.text:
            carried[name] = hidden(page, name)
    return browser.post(url or form_url, data={**carried, **data}, follow_redirects=False)


def link_to(page: Any, pattern: str) -> str:
    """The address of the first link on the page matching ``pattern`` (as a person follows it)."""
    found = re.search(rf'href="({pattern})"', page.text)
    assert found, f"no link like {pattern}"
    return found.group(1)


def money_section(browser: TestClient, project_id: int) -> str:
    page = browser.get(f"/projects/{project_id}")
    assert page.status_code == 200, page.text
    return plain(text_of(section(page, "h-spending")))


def api_lines(client: TestClient, project_id: int) -> list[dict[str, Any]]:
    return ok(client.get(f"/api/v1/projects/{project_id}/budget"))["lines"]  # type: ignore[no-any-return]


def api_line(client: TestClient, project_id: int, **body: str) -> dict[str, Any]:
    return ok(client.post(f"/api/v1/projects/{project_id}/budget-lines", json=body), 201)  # type: ignore[no-any-return]


def api_expenditures(client: TestClient, project_id: int) -> list[dict[str, Any]]:
    found = ok(client.get("/api/v1/expenditures", params={"project_id": project_id}))
    return found["items"]  # type: ignore[no-any-return]


def fr(amount: str) -> str:
    return plain(FR.money(D(amount)))


# -- staff, in French -------------------------------------------------------------------------------


def test_staff_adds_a_line_revises_it_and_records_an_expenditure_typed_in_french(client, french, project):
    pid = project["id"]
    page = french.get(f"/projects/{pid}")
    before = plain(text_of(section(page, "h-spending")))
    assert "Budget et dépenses" in before and "Budget par rapport au réalisé" in before
    assert "Non affecté" in before and fr("1000000.00") in before  # one unallocated line: the budget
    assert "Aucune dépense pour l’instant." in before

    new_line = link_to(page, rf"/projects/{pid}/budget-lines/new")
    form = french.get(new_line)
    assert "Nouvelle ligne budgétaire" in form.text
    assert '<option value="equipment">Équipements et fournitures</option>' in form.text
    assert '<option value="2027">2027</option>' in form.text  # the project's years to choose from
    assert 'name="from_unallocated" value="true" checked' in form.text  # ticked unless untucked
    added = send(
        french,
        new_line,
        {
            "category": "equipment",
            "label": "Cisailles hydrauliques",
            "year": "2024",
            "amount_eur": "250 000,00",
            "from_unallocated": "true",
            "reason": "Plan approuvé",
        },
    )
    assert added.status_code == 303, added.text
    assert added.headers["location"] == f"/projects/{pid}?done=budget-line-added#h-spending"
    after = french.get(added.headers["location"])
    assert "La ligne budgétaire a été ajoutée." in after.text
    shown = plain(text_of(section(after, "h-spending")))
    row = f"Équipements et fournitures Cisailles hydrauliques 2024 {fr('250000.00')} {fr('250000.00')}"
    assert row in shown
    assert "Non affecté Le budget qu’aucune ligne ne contient ; les dépenses imputées à aucune ligne" in shown
    assert fr("750000.00") in shown
    [line] = [x for x in api_lines(client, pid) if x["id"] is not None]
    assert (line["category"], line["year"], line["amount_eur"]) == ("equipment", 2024, "250000.00")

    revise = link_to(after, rf"/budget-lines/{line['id']}/revise")
    assert value_of(french.get(revise), "amount_eur") == "250000.00"
    revised = send(
        french,
        revise,
        {"amount_eur": "280 000,00", "from_unallocated": "true", "reason": "Hausse des prix de 12 %"},
    )
    assert revised.status_code == 303, revised.text
    assert revised.headers["location"] == f"/projects/{pid}?done=budget-line-revised#h-spending"
    line = ok(client.get(f"/api/v1/budget-lines/{line['id']}/revisions"))
    assert [(r["before_eur"], r["after_eur"], r["reason"]) for r in line] == [
        ("0.00", "250000.00", "Plan approuvé"),
        ("250000.00", "280000.00", "Hausse des prix de 12 %"),
    ]

    page = french.get(f"/projects/{pid}")
    record = link_to(page, rf"/projects/{pid}/expenditures/new")
    form = french.get(record)
    assert "Cisailles hydrauliques (2024)" in form.text  # the line to book it on
    assert '<option value="">Non affecté (aucune ligne budgétaire)</option>' in form.text
    line_id = api_lines(client, pid)[0]["id"]
    recorded = send(
        french,
        record,
        {
            "spent_on": "2024-06-10",
            "amount": "1 250,50",
            "currency": "EUR",
            "line_id": str(line_id),
            "description": "Cisailles, lot 2",
            "reference": "FIN-2024-0001",
        },
    )
    assert recorded.status_code == 303, recorded.text
    assert recorded.headers["location"] == f"/projects/{pid}?done=expenditure-recorded#h-spending"
    [spent] = api_expenditures(client, pid)
    assert (spent["amount"], spent["amount_eur"], spent["line_id"]) == ("1250.50", "1250.50", line_id)
    assert {c["donor"]: c["amount_eur"] for c in spent["charges"]} == {"DEU": "937.88", "NOR": "312.62"}

    after = french.get(recorded.headers["location"])
    assert "La dépense a été enregistrée." in after.text
    shown = plain(text_of(section(after, "h-spending")))
    # the line: first given 250,000, revised to 280,000, 1,250.50 spent, 278,749.50 left
    row = (
        f"Équipements et fournitures Cisailles hydrauliques 2024 {fr('250000.00')} {fr('280000.00')} "
        f"{fr('1250.50')} {fr('278749.50')}"
    )
    assert row in shown
    assert f"Total {fr('1000000.00')} {fr('1250.50')} {fr('998749.50')}" in shown
    assert f"Dépensé {fr('1250.50')}" in shown and f"Solde {fr('398749.50')}" in shown
    assert "Taux d’exécution 0,3 %" in shown  # 1,250.50 of 400,000 received
    assert "Allemagne : 937,88 €" in shown and "Norvège : 312,62 €" in shown  # the pledges that paid
    assert "FIN-2024-0001" in shown and "Cisailles, lot 2" in shown


def test_refusals_are_said_beside_their_field_in_french_and_write_nothing(client, french, project):
    pid = project["id"]
    make_rate(client, "NOK", "2024-06", "0.09000000")

    too_much = send(
        french,
        f"/projects/{pid}/budget-lines/new",
        {"category": "travel", "amount_eur": "1 000 000,01", "from_unallocated": "true"},
    )
    assert too_much.status_code == 422
    assert beside(too_much, "amount_eur").startswith(
        "le budget non affecté contient 1 000 000,00 €, et non les 1 000 000,01 € nécessaires"
    )
    assert value_of(too_much, "amount_eur") == "1 000 000,01"  # what was typed, to mend
    assert 'value="travel" selected' in too_much.text
    assert 'class="error" role="alert"' in too_much.text
    assert [x["id"] for x in api_lines(client, pid)] == [None]

    record = f"/projects/{pid}/expenditures/new"
    future = send(french, record, {"spent_on": tomorrow(), "amount": "1 250,50", "currency": "EUR"})
    assert future.status_code == 422
    assert beside(future, "spent_on").endswith("est dans le futur")
    assert value_of(future, "amount") == "1 250,50"

    no_rate = send(french, record, {"spent_on": "2024-07-10", "amount": "10 000", "currency": "NOK"})
    assert no_rate.status_code == 422
    assert beside(no_rate, "spent_on").startswith("aucun taux de change pour NOK en 2024-07")
    assert '<option value="NOK" selected>' in no_rate.text

    not_a_number = send(french, record, {"spent_on": "2024-06-10", "amount": "mille", "currency": "EUR"})
    assert not_a_number.status_code == 422
    assert "1 250 000,50" in beside(not_a_number, "amount")  # the example, as French writes numbers
    assert api_expenditures(client, pid) == []

    line = api_line(client, pid, category="staff", amount_eur="10")
    no_reason = send(
        french, f"/budget-lines/{line['id']}/revise", {"amount_eur": "20", "from_unallocated": "true"}
    )
    assert no_reason.status_code == 422
    assert beside(no_reason, "reason") == "indiquez pourquoi le montant change"
    assert api_lines(client, pid)[0]["amount_eur"] == "10.00"


def test_a_line_not_taken_from_the_unallocated_budget_raises_the_projects_budget(client, staff, project):
    pid = project["id"]
    added = send(
        staff,
        f"/projects/{pid}/budget-lines/new",
        {"category": "consultants", "amount_eur": "1,200,000.00"},  # the box left unticked
    )
    assert added.status_code == 303, added.text
    assert ok(client.get(f"/api/v1/projects/{pid}"))["budget_eur"] == "2200000.00"
    assert "Consultants" in money_section(staff, pid)


def test_a_stale_revision_shows_what_changed_meanwhile(client, staff, project):
    pid = project["id"]
    line = api_line(client, pid, category="staff", amount_eur="10")
    url = f"/budget-lines/{line['id']}/revise"
    form = staff.get(url)
    body = {"amount_eur": "30.00", "reason": "Colleague's change"}
    ok(client.patch(f"/api/v1/budget-lines/{line['id']}", json=body, headers={"If-Match": '"1"'}))
    data = {"amount_eur": "20", "from_unallocated": "true", "reason": "Mine", "label": ""}
    data |= {"version": hidden(form, "version"), "loaded_at": hidden(form, "loaded_at")}
    stale = staff.post(url, data={**data, "csrf_token": token_of(form)}, follow_redirects=False)
    assert stale.status_code == 412
    assert "Someone else changed this record while you were editing it" in stale.text
    assert hidden(stale, "version") == "2" and value_of(stale, "amount_eur") == "20"
    assert api_lines(client, pid)[0]["amount_eur"] == "30.00"


# -- reversing ------------------------------------------------------------------------------------


def test_staff_reverses_an_expenditure_from_the_project_page(client, staff, project):
    pid = project["id"]
    made = ok(spend(client, pid, "4000.00", description="Wrong project", reference="FIN-9"), 201)
    page = staff.get(f"/projects/{pid}")
    reverse = link_to(page, rf"/expenditures/{made['id']}/reverse")
    form = staff.get(reverse)
    assert "FIN-9" in form.text and "€4,000.00" in form.text
    no_reason = send(staff, reverse, {"reason": ""})
    assert no_reason.status_code == 422 and error_of(no_reason, "reason") == "Required."
    done = send(staff, reverse, {"reason": "Booked on the wrong project"})
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/projects/{pid}?done=expenditure-reversed#h-spending"
    rows = api_expenditures(client, pid)
    assert [(e["amount_eur"], e["reverses_id"], e["description"]) for e in rows] == [
        ("-4000.00", made["id"], "Booked on the wrong project"),
        ("4000.00", None, "Wrong project"),
    ]
    back = staff.get(done.headers["location"])
    shown = plain(text_of(section(back, "h-spending")))
    assert "The expenditure was reversed." in shown
    assert "(reversal)" in shown and "(reversed)" in shown
    assert f"/expenditures/{made['id']}/reverse" not in staff.get(f"/projects/{pid}").text
    assert "Spent €0.00" in shown and "Balance €400,000.00" in shown
    again = staff.post(
        reverse,
        data={"reason": "again", "version": "1", "csrf_token": token_of(form)},
        follow_redirects=False,
    )
    assert again.status_code == 409
    assert "This expenditure has already been reversed, or is a reversal." in again.text
    assert len(api_expenditures(client, pid)) == 2


def test_the_page_lists_the_latest_expenditures_and_links_to_all_of_them(client, staff, project):
    pid = project["id"]
    for day in range(1, 13):
        ok(spend(client, pid, "10.00", spent_on=f"2024-06-{day:02d}", reference=f"R-{day}"), 201)
    page = staff.get(f"/projects/{pid}")
    shown = section(page, "h-spending")
    assert shown.count('<tr id="expenditure-') == 10
    assert "R-12" in shown and "R-3" in shown and "R-2" not in shown  # latest first
    everything = staff.get(link_to(page, rf"/projects/{pid}/expenditures"))
    assert everything.status_code == 200
    assert everything.text.count('<tr id="expenditure-') == 12
    assert "Expenditures of" in everything.text and "(12)" in everything.text


# -- what a donor sees -----------------------------------------------------------------------------


def test_a_donor_sees_its_own_states_charges_and_no_forms(client, anon, accounts, project):
    pid = project["id"]
    ok(spend(client, pid, "1000.00", description="Shears", reference="FIN-1"), 201)
    other = make_project(client)
    donor = log_in(anon, "donor")  # Germany's
    page = donor.get(f"/projects/{pid}")
    assert page.status_code == 200
    shown = section(page, "h-spending")
    words = text_of(shown)
    assert "Budget and spending" in words and "Budget against actual" in words
    assert "Germany: €750.00" in words and "Norway" not in words  # its own share only
    assert "Your State's share" in words and "What your State's pledges have left" in words
    for control in ("/budget-lines/new", "/expenditures/new", "/revise", "/reverse", "<form"):
        assert control not in shown, control
    assert donor.get(f"/projects/{pid}/expenditures/new").status_code == 403
    assert donor.get(f"/projects/{pid}/budget-lines/new").status_code == 403
    forged = donor.post(
        f"/projects/{pid}/expenditures/new",
        data={"spent_on": "2024-06-10", "amount": "5", "currency": "EUR", "csrf_token": token_of(page)},
        follow_redirects=False,
    )
    assert forged.status_code == 403 and "text/html" in forged.headers["content-type"]
    assert len(api_expenditures(client, pid)) == 1
    # a project Germany does not fund: no section, and its spending is no page of its
    unfunded = donor.get(f"/projects/{other['id']}")
    assert unfunded.status_code == 200 and 'id="h-spending"' not in unfunded.text
    assert donor.get(f"/projects/{other['id']}/expenditures").status_code == 404


def test_the_section_costs_the_same_statements_however_much_was_spent(app: FastAPI, client, staff):
    from sqlalchemy import event

    small, _ = funded(client)
    large = make_project(client)
    ok(receive(client, make_pledge(client, large["id"], donor="FRA")["id"], "50000.00"), 201)
    ok(spend(client, small["id"], "1.00"), 201)
    for n in range(30):
        api_line(client, large["id"], category="travel", amount_eur="1")
        ok(spend(client, large["id"], "1.00", reference=f"MANY-{n}"), 201)
    staff.get(f"/projects/{small['id']}")  # the first request prepares the routes

    def statements(project_id: int) -> int:
        seen: list[str] = []

        def record(*args: Any) -> None:
            seen.append(str(args[2]))

        event.listen(app.state.db.engine, "before_cursor_execute", record)
        try:
            assert staff.get(f"/projects/{project_id}").status_code == 200
        finally:
            event.remove(app.state.db.engine, "before_cursor_execute", record)
        return len(seen)

    assert statements(small["id"]) == statements(large["id"])


# -- in a real browser ------------------------------------------------------------------------------


# A refused form answers 422 on purpose, and Chromium logs that status: not a problem of the page.
REFUSED = ("the server responded with a status of",)
MOBILE = {"width": 390, "height": 844}


def roomy_project(app: FastAPI) -> tuple[int, str]:
    """A sample project under way whose pledges brought money in, with the most unallocated budget."""
    from sqlmodel import col, select

    from portfolio.projects.models import Project
    from portfolio.security import Actor
    from portfolio.spending import service as spending_service

    system = Actor(user_id=None, role="admin", state=None)
    with app.state.db.session() as session:
        projects = session.exec(select(Project).where(col(Project.status) == "implementation")).all()
        found = []
        for p in projects:
            assert p.id is not None
            money = spending_service.spending(session, system, p.id)
            room = spending_service.budget(session, p.id).unallocated_eur or D(0)
            if money.received_eur > 0 and room >= D("2000"):
                found.append((room, p.id, p.code))
        assert found, "no sample project under way with money in and room in its budget"
        _room, project_id, code = max(found)
        return project_id, code


def axe_failures(page: Any, axe: Any) -> list[str]:
    """The serious and critical accessibility violations axe-core finds on the page."""
    found = []
    for violation in axe.run(page).response["violations"]:
        if violation["impact"] in ("serious", "critical"):
            nodes = "; ".join(n["target"][0] for n in violation["nodes"][:3])
            found.append(f"{page.url}: axe {violation['id']} ({violation['impact']}): {nodes}")
    return found


def test_staff_keeps_the_budget_and_records_spending_in_the_browser(demo_site, browser):
    from tests.browser import log_in as log_in_by_form
    from tests.browser import shoot

    axe = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python").Axe()
    server, app = demo_site
    project_id, code = roomy_project(app)
    failures: list[str] = []
    context, page, problems = log_in_by_form(browser, server, "staff@example.org", ignore=REFUSED)
    try:
        page.goto(f"{server}/projects/{project_id}")
        spending = page.locator("section.spending")
        assert "Budget against actual" in spending.inner_text()
        failures += axe_failures(page, axe)
        spending.get_by_role("link", name="Add a budget line").click()
        assert code in page.text_content("main")
        page.get_by_label("Category").select_option(label="Travel")
        page.get_by_label("Label").fill("Field visits to the depots")
        assert page.get_by_label("Take it from the unallocated budget").is_checked()
        page.get_by_label("Amount in euros").fill("1,500.00")
        page.get_by_label("Reason").fill("Two more visits agreed with the donors")
        failures += axe_failures(page, axe)
        page.get_by_role("button", name="Add budget line").click()
        assert page.url.endswith(f"/projects/{project_id}?done=budget-line-added#h-spending")
        assert "The budget line was added." in spending.inner_text()
        row = spending.locator("table.budget-lines tr", has_text="Field visits to the depots")
        assert "Travel" in row.inner_text() and "€1,500.00" in row.inner_text()

        spending.get_by_role("link", name="Record an expenditure").click()
        page.get_by_label("Spent on").fill(tomorrow())
        page.get_by_label(re.compile(r"^Amount")).fill("1,250.50")
        page.get_by_label("Currency").select_option("EUR")
        page.get_by_label("Budget line").select_option(label="Travel — Field visits to the depots")
        page.get_by_label("Description").fill("Car hire for two depot visits")
        page.get_by_label("Finance reference").fill("WEB-SPEND-0001")
        page.get_by_role("button", name="Record expenditure").click()
        assert "is in the future" in page.locator("#f-spent_on-error").text_content()
        assert page.evaluate("document.activeElement.id") == "f-spent_on"
        assert page.get_by_label("Finance reference").input_value() == "WEB-SPEND-0001"
        failures += axe_failures(page, axe)
        shoot(page, "spending-expenditure-refused")
        page.get_by_label("Spent on").fill(today_iso())
        page.get_by_role("button", name="Record expenditure").click()
        assert page.url.endswith("?done=expenditure-recorded#h-spending")
        entry = spending.locator("table.expenditures tr", has_text="WEB-SPEND-0001")
        assert "€1,250.50" in entry.inner_text() and "Car hire for two depot visits" in entry.inner_text()
        assert ": €" in entry.inner_text()  # the pledges that paid, each with its share
        line = spending.locator("table.budget-lines tr", has_text="Field visits to the depots")
        assert "€1,250.50" in line.inner_text() and "€249.50" in line.inner_text()  # spent, and left
        spending.scroll_into_view_if_needed()
        shoot(page, "spending-section-desktop", full_page=False)
        spending.screenshot(path=str(artifact("spending-section-desktop-whole")))

        line.get_by_role("link", name="Revise").click()
        page.get_by_label("New amount in euros").fill("2,000.00")
        page.get_by_label("Reason").fill("A third visit")
        failures += axe_failures(page, axe)
        shoot(page, "spending-revision-form")
        page.get_by_role("button", name="Save revision").click()
        assert page.url.endswith("?done=budget-line-revised#h-spending")
        revised = line.inner_text()
        assert "€1,500.00" in revised and "€2,000.00" in revised and "€749.50" in revised

        entry.get_by_role("link", name="Reverse…").click()
        page.get_by_label("Reason").fill("Booked twice")
        failures += axe_failures(page, axe)
        page.get_by_role("button", name="Reverse expenditure").click()
        assert page.url.endswith("?done=expenditure-reversed#h-spending")
        assert "(reversed)" in entry.inner_text()
        spending.get_by_role("link", name=re.compile(r"All .* expenditures of the project")).click()
        assert page.locator("table.expenditures tr", has_text="WEB-SPEND-0001").count() == 1
        failures += axe_failures(page, axe)
    finally:
        context.close()
    assert problems == []
    assert failures == [], "\n".join(failures)

    context, page, problems = log_in_by_form(
        browser, server, "staff@example.org", "fr", ignore=REFUSED, viewport=MOBILE
    )
    try:
        page.goto(f"{server}/projects/{project_id}")
        page.locator("section.spending").get_by_role("link", name="Enregistrer une dépense").click()
        page.get_by_label("Dépensé le").fill(today_iso())
        page.get_by_label(re.compile(r"^Montant")).fill("1 250,50")
        page.get_by_label("Ligne budgétaire").select_option(label="Voyages — Field visits to the depots")
        page.get_by_label("Référence comptable").fill("WEB-SPEND-0002")
        shoot(page, "spending-expenditure-form-mobile-fr")
        page.get_by_role("button", name="Enregistrer la dépense").click()
        assert page.url.endswith("?done=expenditure-recorded#h-spending")
        spending = page.locator("section.spending")
        assert "La dépense a été enregistrée." in spending.inner_text()
        entry = plain(spending.locator("table.expenditures tr", has_text="WEB-SPEND-0002").inner_text())
        assert "1 250,50 €" in entry
        shoot(page, "spending-section-mobile-fr", full_page=False)
        spending.screenshot(path=str(artifact("spending-section-mobile-fr-whole")))
        failures += axe_failures(page, axe)
    finally:
        context.close()
    assert problems == []
    assert failures == [], "\n".join(failures)


def today_iso() -> str:
    from tests.days import today

    return today().isoformat()


def artifact(name: str) -> Any:
    from tests.browser import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
