"""Recent fixes to the staff pages, done in Debian's Chromium as a person does them — typing, choosing from
lists, pressing buttons, following links, reading what the page then says — in English and in French (the
language chosen through the login page's language switch), on SQLite and on PostgreSQL:

- a project entered by mistake is deleted from its page after a confirmation, and the register names it;
  a project with a pledge offers no delete, and says why when its delete is confirmed too late;
- a cancelled project's page offers no "New pledge";
- a pledge's amount below what was received is refused beside Amount, what was typed kept;
- a receipt dated before its pledge is refused beside "Received on";
- a pledge under a signed contribution agreement keeps its donor, the page saying why beside Donor;
- the home page leads to the calendar feed on the account page.

The refusals' own words are still the API's English on a French page: that test is an expected failure
(strict), and says why. The French refusal beside Amount is shot into test-artifacts/ for people to look at.
The data each test starts from is made through the API (the ``client`` fixture); the server is a live one on
that test's own database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser import VIEWPORT, shoot, skip_module_without_browser
from tests.factories import PASSWORD, live_server, make_pledge, make_project, ok, receive

skip_module_without_browser()

LANGS = pytest.mark.parametrize("lang", ["en", "fr"])
AGREEMENT = "CA-2024-017"

# What a person reads and clicks, in each language.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "email": "E-mail",
        "password": "Password",
        "log in": "Log in",
        "delete link": "Delete this project…",
        "delete heading": "Delete project {code}",
        "one milestone": "1 milestone goes with it",
        "delete button": "Delete the project for good",
        "keep": "Keep it",
        "deleted": "The project {code} was deleted.",
        "has a pledge": "This project has 1 pledge: it cannot be deleted.",
        "not deleted": "The project was not deleted:",
        "back to project": "Back to the project",
        "new pledge": "New pledge",
        "no new pledge": "A cancelled project takes no new pledges.",
        "move to cancelled": "Move to Cancelled…",
        "confirm cancelled": "Move to “Cancelled”",
        "note": "Note",
        "cancelled": "Cancelled",
        "edit pledge of germany": "Edit the pledge of Germany",
        "record a receipt": "Record a receipt",
        "amount": "Amount",
        "amount in eur": "Amount in EUR",
        "received on": "Received on",
        "donor": "Donor",
        "save": "Save changes",
        "record receipt": "Record receipt",
        "not saved": "The record was not saved. See the messages beside the fields.",
        "germany": "Germany",
        "france": "France",
        "calendar pointer": "your calendar feed",
        "your account": "Your account",
        "calendar feed": "Calendar feed",
        "make feed": "Make my calendar feed URL",
        "feed url": "Your calendar feed URL",
        "feed shown": "Your calendar feed URL is below. Copy it now: it is shown only this once.",
    },
    "fr": {
        "email": "Courriel",
        "password": "Mot de passe",
        "log in": "Se connecter",
        "delete link": "Supprimer ce projet…",
        "delete heading": "Supprimer le projet {code}",
        "one milestone": "1 jalon est supprimé avec lui",
        "delete button": "Supprimer définitivement le projet",
        "keep": "Le garder",
        "deleted": "Le projet {code} a été supprimé.",
        "has a pledge": "Ce projet a 1 annonce : il ne peut pas être supprimé.",
        "not deleted": "Le projet n’a pas été supprimé :",
        "back to project": "Retour au projet",
        "new pledge": "Nouvelle annonce",
        "no new pledge": "Un projet annulé ne reçoit plus de nouvelle annonce.",
        "move to cancelled": "Passer à : Annulé…",
        "confirm cancelled": "Passer à « Annulé »",
        "note": "Note",
        "cancelled": "Annulé",
        "edit pledge of germany": "Modifier l’annonce de l’État : Allemagne",
        "record a receipt": "Enregistrer un versement",
        "amount": "Montant",
        "amount in eur": "Montant en EUR",
        "received on": "Reçu le",
        "donor": "Donateur",
        "save": "Enregistrer les modifications",
        "record receipt": "Enregistrer le versement",
        "not saved": "L’enregistrement n’a pas été effectué. Voir les messages à côté des champs.",
        "germany": "Allemagne",
        "france": "France",
        "calendar pointer": "votre flux de calendrier",
        "your account": "Votre compte",
        "calendar feed": "Flux de calendrier",
        "make feed": "Créer l’adresse de mon flux de calendrier",
        "feed url": "L’adresse de votre flux de calendrier",
        "feed shown": "L’adresse de votre flux de calendrier figure ci-dessous.",
    },
}


def field(label: str) -> re.Pattern[str]:
    """A field's accessible name: its label, and "(required)" where the form says so, in either language."""
    return re.compile(rf"^\s*{re.escape(label)}(\s*\((required|obligatoire)\))?\s*$")


@pytest.fixture
def site(app: Any, accounts: Any) -> Iterator[str]:
    """A live server on this test's database (SQLite or PostgreSQL), with one account per role."""
    with live_server(app) as url:
        yield url


class Person:
    """One person at the browser, logged in through the form in ``lang``: what they see and do."""

    def __init__(self, browser: Any, server: str, role: str, lang: str) -> None:
        self.server = server
        self.words = WORDS[lang]
        self.context = browser.new_context(viewport=VIEWPORT)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        # A refusal the test asks for comes with a 4xx status, which Chromium reports on the console.
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(m.text) if m.type == "error" and "status of 4" not in m.text else None
            ),
        )
        self.page.goto(f"{server}/login")
        if lang == "fr":  # the language switch at the top of every page, as a person does
            self.follow("Français")
            expect(self.page.locator("html")).to_have_attribute("lang", "fr")
        self.type("email", f"{role}@test.example.org")
        self.page.get_by_label(self.words["password"]).fill(PASSWORD)
        self.press("log in")
        assert self.page.url == f"{server}/", self.page.url

    def w(self, key: str, **values: str) -> str:
        return self.words[key].format(**values)

    def label(self, key: str) -> Any:
        return self.page.get_by_label(field(self.words[key]))

    def type(self, key: str, text: str) -> None:
        self.label(key).fill(text)

    def press(self, key: str) -> None:
        self.page.get_by_role("button", name=self.words[key], exact=True).click()
        self.page.wait_for_load_state("load")

    def follow(self, name: str | re.Pattern[str]) -> None:
        self.page.get_by_role("link", name=name, exact=isinstance(name, str)).click()
        self.page.wait_for_load_state("load")

    def open_project(self, code: str) -> None:
        """From the project register, follow the project's code."""
        self.page.goto(f"{self.server}/projects")
        self.follow(code)

    def beside(self, key: str) -> Any:
        """The message in the same field block as the field labelled ``key``."""
        return self.page.locator(".field", has=self.label(key)).locator(".field-error")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def people(browser: Any, site: str) -> Iterator[Any]:
    """Log people in, and close their browser contexts afterwards; none may have met a page error."""
    started: list[Person] = []

    def person(role: str, lang: str) -> Person:
        started.append(Person(browser, site, role, lang))
        return started[-1]

    yield person
    for one in started:
        one.close()
    for one in started:
        assert one.problems == []


# -- 1. deleting a project entered by mistake ------------------------------------------------------------


@LANGS
def test_an_admin_deletes_a_project_entered_by_mistake_from_its_page(people, client, lang):
    code = f"MISTAKE-{lang.upper()}"
    mistake = make_project(client, code=code, title="Entered twice by mistake")
    milestone = {"title": "Kick-off", "due_on": "2025-01-15"}
    ok(client.post(f"/api/v1/projects/{mistake['id']}/milestones", json=milestone), 201)
    kept = make_project(client, code=f"KEPT-{lang.upper()}")
    admin = people("admin", lang)
    page = admin.page

    admin.open_project(code)
    admin.follow(admin.w("delete link"))
    expect(page.get_by_role("heading", level=1)).to_have_text(admin.w("delete heading", code=code))
    expect(page.locator("#goes-with-it")).to_contain_text(admin.w("one milestone"))
    ok(client.get(f"/api/v1/projects/{mistake['id']}"))  # nothing is gone before the button
    admin.press("delete button")

    assert re.fullmatch(rf"{re.escape(admin.server)}/projects\?deleted={code}", page.url), page.url
    expect(page.get_by_role("status").filter(has_text=code)).to_have_text(admin.w("deleted", code=code))
    expect(page.get_by_role("link", name=code, exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name=kept["code"], exact=True)).to_have_count(1)
    assert client.get(f"/api/v1/projects/{mistake['id']}").status_code == 404


@LANGS
def test_a_project_with_a_pledge_offers_no_delete_and_a_late_confirmation_says_why(people, client, lang):
    funded = make_project(client, code=f"FUNDED-{lang.upper()}", request_date="2024-01-15")
    make_pledge(client, funded["id"], pledged_on="2024-03-10")
    late = make_project(client, code=f"LATE-{lang.upper()}", request_date="2024-01-15")
    admin = people("admin", lang)
    page = admin.page

    admin.open_project(funded["code"])
    expect(page.get_by_role("link", name=admin.w("new pledge"), exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=admin.w("delete link"))).to_have_count(0)

    # Another project's confirmation is open when someone records a pledge on it: the button is refused.
    admin.open_project(late["code"])
    admin.follow(admin.w("delete link"))
    make_pledge(client, late["id"], pledged_on="2024-03-10")
    admin.press("delete button")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(admin.w("not deleted"))
    expect(page.locator("#has-pledges")).to_contain_text(admin.w("has a pledge"))
    expect(page.get_by_role("button", name=admin.w("delete button"))).to_have_count(0)
    admin.follow(admin.w("back to project"))
    assert page.url == f"{admin.server}/projects/{late['id']}"
    ok(client.get(f"/api/v1/projects/{late['id']}"))
    ok(client.get(f"/api/v1/projects/{funded['id']}"))


# -- 2. a cancelled project takes no new pledge ----------------------------------------------------------


@LANGS
def test_a_cancelled_projects_page_offers_no_new_pledge(people, client, lang):
    project = make_project(client, code=f"CANCEL-{lang.upper()}")
    staff = people("staff", lang)
    page = staff.page
    new_pledge = page.get_by_role("link", name=staff.w("new pledge"), exact=True)

    staff.open_project(project["code"])
    expect(new_pledge).to_be_visible()
    staff.follow(staff.w("move to cancelled"))
    staff.type("note", "The beneficiary withdrew its request.")
    page.get_by_role("button", name=staff.w("confirm cancelled")).click()
    page.wait_for_load_state("load")

    assert re.match(rf"{re.escape(staff.server)}/projects/{project['id']}(\?|#|$)", page.url), page.url
    expect(page.locator(".current-status")).to_have_text(staff.w("cancelled"))
    expect(new_pledge).to_have_count(0)
    expect(page.get_by_text(staff.w("no new pledge"))).to_be_visible()
    # the New pledge form's address, kept from before, leads back to the page that says why
    page.goto(f"{staff.server}/projects/{project['id']}/pledges/new")
    assert page.url == f"{staff.server}/projects/{project['id']}#no-new-pledge", page.url
    expect(page.get_by_text(staff.w("no new pledge"))).to_be_visible()
    assert ok(client.get("/api/v1/pledges", params={"project_id": project["id"]}))["total"] == 0


# -- 3, 4, 5. refusals beside the field ---------------------------------------------------------------
# Each flow makes its data through the API, then does in the browser what refuses; the page then shows it.


def cut_a_pledge_below_what_was_received(person: Person, client: Any, code: str) -> dict[str, Any]:
    """Germany pledged 10,000.00 and 6,000.00 came in; the person types 5000.00 as the amount."""
    project = make_project(client, code=code)
    pledge = make_pledge(client, project["id"], amount="10000.00", pledged_on="2024-05-01")
    ok(receive(client, pledge["id"], "6000.00", received_on="2024-05-02"), 201)
    person.open_project(code)
    person.follow(person.w("edit pledge of germany"))
    person.type("amount", "5000.00")
    person.press("save")
    return pledge


def date_a_receipt_before_its_pledge(person: Person, client: Any, code: str) -> dict[str, Any]:
    """Germany pledged on 7 December 2025; the person records money received on the 3rd."""
    project = make_project(client, code=code, request_date="2025-06-02")
    pledge = make_pledge(client, project["id"], pledged_on="2025-12-07", amount="1000.00")
    person.open_project(code)
    person.follow(person.w("record a receipt"))
    person.type("received on", "2025-12-03")
    person.type("amount in eur", "10.00")
    person.press("record receipt")
    return pledge


def move_a_signed_pledge_to_another_donor(person: Person, client: Any, code: str) -> dict[str, Any]:
    """Germany's pledge has contribution agreement CA-2024-017, signed; the person chooses France as donor."""
    project = make_project(client, code=code, request_date="2024-01-15")
    pledge = make_pledge(client, project["id"], donor="DEU", amount="25000.00", pledged_on="2024-03-10")
    agreement = {"reference": AGREEMENT, "signed_on": "2024-04-01"}
    ok(client.post(f"/api/v1/pledges/{pledge['id']}/agreement", json=agreement), 201)
    person.open_project(code)
    person.follow(person.w("edit pledge of germany"))
    expect(person.label("donor").locator("option:checked")).to_have_text(person.w("germany"))
    person.label("donor").select_option(label=person.w("france"))
    person.press("save")
    return pledge


@LANGS
def test_a_pledge_cut_below_what_was_received_is_refused_beside_the_amount(people, client, lang):
    staff = people("staff", lang)
    pledge = cut_a_pledge_below_what_was_received(staff, client, f"RECEIVED-{lang.upper()}")

    expect(staff.page.get_by_role("alert")).to_have_text(staff.w("not saved"))
    message = staff.beside("amount")
    expect(message).to_be_visible()
    money = {"en": re.compile("€6,000.00"), "fr": re.compile(r"6\s000,00\s€")}[lang]  # as pages write money
    expect(message).to_contain_text(money)
    if lang == "en":
        expect(message).to_have_text(
            "€6,000.00 has already been received; the pledge cannot be less than that."
        )
    amount = staff.label("amount")
    expect(amount).to_have_accessible_description(re.compile(money))  # read out with the field
    expect(amount).to_have_value("5000.00")  # what was typed is kept
    expect(amount).to_be_focused()
    if lang == "fr":
        shoot(staff.page, "refusal-beside-amount-fr")
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["amount"] == "10000.00"


@LANGS
def test_a_receipt_dated_before_its_pledge_is_refused_beside_the_date(people, client, lang):
    staff = people("staff", lang)
    pledge = date_a_receipt_before_its_pledge(staff, client, f"EARLY-{lang.upper()}")

    expect(staff.page.get_by_role("alert")).to_have_text(staff.w("not saved"))
    message = staff.beside("received on")
    expect(message).to_be_visible()
    day = {"en": "Dec 7, 2025", "fr": "7 déc. 2025"}[lang]  # as the page writes dates
    expect(message).to_contain_text(day)
    if lang == "en":
        expect(message).to_have_text("A receipt cannot be dated before its pledge (pledged on Dec 7, 2025).")
    received_on = staff.label("received on")
    expect(received_on).to_have_accessible_description(re.compile(day))
    expect(received_on).to_have_value("2025-12-03")
    expect(staff.label("amount in eur")).to_have_value("10.00")
    expect(received_on).to_be_focused()
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["received"] == "0.00"


@LANGS
def test_a_pledge_under_a_signed_agreement_keeps_its_donor_saying_why_beside_it(people, client, lang):
    staff = people("staff", lang)
    pledge = move_a_signed_pledge_to_another_donor(staff, client, f"SIGNED-{lang.upper()}")

    expect(staff.page.get_by_role("alert")).to_have_text(staff.w("not saved"))
    message = staff.beside("donor")
    expect(message).to_be_visible()
    expect(message).to_contain_text(AGREEMENT)
    if lang == "en":
        expect(message).to_have_text(
            f"the donor cannot change: contribution agreement {AGREEMENT} was made on this pledge; "
            "withdraw the pledge and record a new one instead"
        )
    donor = staff.label("donor")
    expect(donor).to_have_accessible_description(re.compile(AGREEMENT))
    expect(donor.locator("option:checked")).to_have_text(staff.w("france"))  # as chosen
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["donor"] == "DEU"


# What each refusal says in English: on a French page, none of it should be read.
ENGLISH = {
    "amount": "has already been received; the pledge cannot be less than that",
    "received on": "A receipt cannot be dated before its pledge",
    "donor": "cannot change: contribution agreement",
}
FRENCH_WORDS = re.compile(r"\b(annonce|versement|reçu|accord)", re.IGNORECASE)


def test_on_a_french_page_the_refusals_beside_the_fields_are_in_french(people, client):
    staff = people("staff", "fr")
    said: dict[str, str] = {}
    for key, flow in (
        ("amount", cut_a_pledge_below_what_was_received),
        ("received on", date_a_receipt_before_its_pledge),
        ("donor", move_a_signed_pledge_to_another_donor),
    ):
        flow(staff, client, f"FR-{len(said)}")
        message = staff.beside(key)
        expect(message).to_be_visible()
        said[key] = message.inner_text()
    english = {key: text for key, text in said.items() if ENGLISH[key] in text}
    not_french = {key: text for key, text in said.items() if not FRENCH_WORDS.search(text)}
    assert english == {} and not_french == {}, said


# -- 6. the calendar feed, found from the home page ------------------------------------------------------


@LANGS
def test_the_home_page_leads_to_the_calendar_feed_on_the_account_page(people, lang):
    donor = people("donor", lang)
    page = donor.page

    donor.follow(donor.w("calendar pointer"))
    assert page.url == f"{donor.server}/account#calendar-feed", page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(donor.w("your account"))
    feed = page.get_by_role("region", name=donor.w("calendar feed"))
    expect(feed).to_be_visible()
    feed.get_by_role("button", name=donor.w("make feed")).click()
    page.wait_for_load_state("load")

    expect(page.get_by_role("status")).to_contain_text(donor.w("feed shown"))
    address = page.get_by_label(donor.w("feed url"))
    expect(address).to_have_value(re.compile(rf"^{re.escape(donor.server)}/\S+token=\S+$"))
    calendar = httpx.get(address.input_value())
    assert calendar.status_code == 200
    assert calendar.headers["content-type"].startswith("text/calendar")
    assert calendar.text.startswith("BEGIN:VCALENDAR")
