"""A support-staff member's day, end to end in Debian's Chromium, by typing and clicking only.

Moldova asks for help to destroy 300 tonnes of surplus ammunition; the request is assessed and planned with
a budget, seeks funding, Germany pledges €250,000 and Norway NOK 1,000,000, Germany's pledge is committed
and money arrives, an over-receipt is refused beside its field, two milestones (one done), an indicator with
an actual, and Moldova's national SALW commission linked to the project. Every figure the pages then show is
checked against the API. Before these pages the same day took 19 hand-written JSON bodies in Swagger."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from tests.browser import ARTIFACTS, DEMO_PASSWORD, chromium, shoot, skip_module_without_browser

skip_module_without_browser()
CODE = "MDA-AMMO-DESTR-2026"


def field(label: str) -> re.Pattern[str]:
    """A field's accessible name: its label, and "(required)" where the form says so."""
    return re.compile(rf"^\s*{re.escape(label)}(\s*\(required\))?\s*$")


class Person:
    """A page, and a count of everything the person does on it: each field typed or chosen, each click."""

    def __init__(self, page: Any, server: str) -> None:
        self.page = page
        self.server = server
        self.steps = 0
        self.forms = 0  # forms sent

    def type(self, label: str, text: str) -> None:
        self.page.get_by_label(field(label)).fill(text)
        self.steps += 1

    def choose(self, label: str, option: str) -> None:
        self.page.get_by_label(field(label)).select_option(label=option)
        self.steps += 1

    def tick(self, label: str) -> None:
        self.page.get_by_label(field(label)).check()
        self.steps += 1

    def press(self, name: str | re.Pattern[str]) -> None:
        self.page.get_by_role("button", name=name, exact=isinstance(name, str)).click()
        self.page.wait_for_load_state("load")
        self.steps += 1
        self.forms += 1

    def follow(self, name: str | re.Pattern[str]) -> None:
        self.page.get_by_role("link", name=name, exact=isinstance(name, str)).first.click()
        self.page.wait_for_load_state("load")
        self.steps += 1

    def shot(self, name: str) -> None:
        shoot(self.page, f"day-{name}")

    def text(self, selector: str = "main") -> str:
        return str(self.page.inner_text(selector))


def api(server: str) -> httpx.Client:
    token = httpx.post(
        f"{server}/api/v1/auth/token", data={"username": "manager@example.org", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    return httpx.Client(base_url=server, headers={"Authorization": f"Bearer {token}"})


def test_a_staff_members_day_in_the_browser(server: str) -> None:
    today = date.today().isoformat()
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1300, "height": 900}, locale="en-GB")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        me = Person(page, server)
        try:
            page.goto(f"{server}/")  # the login form, then back to the home page
            me.type("E-mail", "staff@example.org")
            me.type("Password", DEMO_PASSWORD)
            me.press("Log in")
            assert page.url == f"{server}/"
            me.shot("01-home")

            # Moldova's request
            me.follow("New project")
            me.type("Project code", CODE)
            me.type("Title", "Destruction of 300 tonnes of surplus ammunition in Moldova")
            me.choose("Beneficiary States", "Moldova")
            me.tick("SCA: stockpiles of conventional ammunition")
            me.tick("Destruction of surplus ammunition")
            me.type("Request date", today)
            me.type("Budget in euros", "0")  # not known until the project is planned
            me.type(
                "Description",
                "Moldova asks for help to destroy 300 tonnes of surplus conventional ammunition.",
            )
            me.press("Create project")
            assert re.search(r"/projects/\d+\?done=created$", page.url), page.url
            project_url = page.url.split("?")[0]
            project_id = int(project_url.rsplit("/", 1)[1])
            assert "Requested" in me.text("#lifecycle") if page.locator("#lifecycle").count() else True

            # assessment, planning with a budget, seeking funding
            me.press("Move to Assessment")
            me.press("Move to Planning")
            me.follow("Edit details")
            me.type("Budget in euros", "600000")
            me.press("Save changes")
            me.press("Move to Seeking funding")
            assert "Seeking funding" in me.text()
            me.shot("02-seeking-funding")

            # Germany pledges €250,000
            me.follow("New pledge")
            me.choose("Donor", "Germany")
            me.choose("Currency", "EUR — Euro")
            me.type("Amount", "250000")
            me.type("Pledged on", today)
            me.press("Record pledge")
            assert "done=pledge-added" in page.url

            # Norway pledges NOK 1,000,000: the euro value is shown before it is saved
            me.follow("New pledge")
            me.choose("Donor", "Norway")
            page.get_by_label(field("Currency")).select_option(value="NOK")
            me.steps += 1
            me.type("Amount", "1000000")
            me.type("Pledged on", today)
            me.press("Preview in euros")
            preview = me.text()
            assert re.search(r"≈ €[\d,]+\.\d\d at 1 NOK = [\d.]+ EUR", preview), preview
            me.shot("03-pledge-preview")
            me.press("Record pledge")
            assert "done=pledge-added" in page.url

            client = api(server)
            pledges = client.get("/api/v1/pledges", params={"project_id": project_id}).json()["items"]
            by_donor = {p["donor"]: p for p in pledges}
            assert set(by_donor) == {"DEU", "NOR"}
            nok_eur = Decimal(by_donor["NOR"]["amount_eur"])
            assert f"€{nok_eur:,.2f}" in me.text(), "the project page shows Norway's pledge in euros"

            # Germany's pledge committed, a receipt, an over-receipt refused
            page.get_by_role("link", name="Edit the pledge of Germany").click()
            page.wait_for_load_state("load")
            me.steps += 1
            me.choose("Status", "Committed")
            me.press("Save changes")
            assert "done=pledge-saved" in page.url
            page.locator("tr", has_text="Germany").get_by_role("link", name="Record a receipt").click()
            page.wait_for_load_state("load")
            me.steps += 1
            receipt_url = page.url
            me.type("Received on", today)
            me.type("Amount in EUR", "100000")
            me.press("Record receipt")
            assert "done=receipt-added" in page.url
            page.goto(receipt_url)
            me.steps += 1
            me.type("Received on", today)
            me.type("Amount in EUR", "200000")
            me.press("Record receipt")
            message = page.locator("#f-amount-error")
            assert message.is_visible()
            assert "€150,000.00 outstanding" in message.inner_text(), message.inner_text()
            assert page.get_by_label(field("Amount in EUR")).input_value() == "200000"
            assert page.evaluate("document.activeElement.id") == "f-amount"
            me.shot("04-over-receipt-refused")
            page.goto(project_url)

            # two milestones, one done
            for title, due in (
                ("Destruction plan approved", today),
                ("Final destruction report", "2027-06-30"),
            ):
                me.follow("Add a milestone")
                me.type("Title", title)
                me.type("Due on", due)
                me.press("Add milestone")
            me.press(re.compile(r"^Mark done\W+Destruction plan approved$"))
            assert "done=milestone-done" in page.url
            assert "1 of 2 done" in me.text()

            # an indicator with an actual
            me.follow("Add an indicator")
            me.type("Name", "Ammunition destroyed")
            me.type("Unit", "tonnes")
            me.type("Baseline", "0")
            me.type("Target", "300")
            me.press("Add indicator")
            me.follow(re.compile(r"^Edit\W+Ammunition destroyed$"))
            me.type("Actual", "120")
            me.press("Save indicator")
            assert "done=indicator-saved" in page.url

            # Moldova's national SALW commission, linked to the project
            me.follow("National processes")
            me.follow("Record a national process")
            me.choose("State", "Moldova")
            me.type("Name", "National SALW Commission of Moldova")
            me.choose("Kind", "Structure")
            me.type("Projects that helped build it", CODE)
            me.press("Record national process")
            assert re.search(r"/processes/\d+\?done=created", page.url), page.url

            # the progress, on the project page and on the dashboards
            page.goto(project_url)
            me.steps += 1
            hub = me.text()
            assert "National SALW Commission of Moldova" in hub
            assert "40.0%" in hub  # 120 of 300 tonnes
            me.shot("05-project-page")
            page.screenshot(
                path=str(ARTIFACTS / "day-05-project-page-top.png"),
                full_page=True,
                clip={"x": 0, "y": 0, "width": 1300, "height": 1750},
            )
            row = client.get(f"/api/v1/projects/{project_id}").json()
            assert row["funding"]["pledged_eur"] == format(Decimal("250000.00") + nok_eur, "f")
            assert row["funding"]["received_eur"] == "100000.00"
            assert row["progress"]["milestones_done"] == 1
            me.follow("Dashboards")
            me.follow("Progress")
            tables = str(page.text_content("main"))  # the tables beneath the charts, folded or not
            assert "Ammunition destroyed" in tables
            me.shot("06-dashboards-progress")
        except Exception:
            me.shot("failure")  # where the day stopped, for the person reading the failure
            raise
        finally:
            context.close()
    assert errors == []
    # The day, counted: every field typed or chosen, every click. The README and the closing note quote it.
    print(f"\nstaff day: {me.steps} steps in the browser, {me.forms} forms sent, no id typed")
    assert me.steps < 80
