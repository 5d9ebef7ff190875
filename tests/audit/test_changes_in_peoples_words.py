"""The audit trail of a project's page and the home page's Recent changes, read as a person reads them:
records by their code or name, fields by the labels the pages give them, values as the pages write them,
and none of the bookkeeping (versions, timestamps, ids, internal fields) — in English and in French.
The API's own audit trail keeps its raw form."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portfolio.web.i18n import Formats
from tests.conftest import Account
from tests.factories import make_pledge, make_project, ok
from tests.pages import TOKEN, log_in, section

EN = Formats("en")
FR = Formats("fr")
CODE = "SALW-2024-003"
HIDDEN = re.compile(r'<input type="hidden" name="(version|loaded_at)" value="([^"]*)"')
# What a person must never read in these lists: bookkeeping fields, field names, raw values, bare ids.
INTERNALS = (
    "version",
    "created_at",
    "updated_at",
    "status_before_hold",
    "budget_eur",
    "amount_eur",
    "eur_per_unit",
    "pledged_on",
    "activity_types",
    "surplus_destruction_ammunition",
    "stockpile_security",
    "None",
)
BARE_IDS = re.compile(r"\b(project|pledge|projet|annonce|user)\s+\d+\b", re.I)


def submit(browser: TestClient, url: str, data: dict[str, Any]) -> None:
    """Open an edit form, then send it with what it carries (its token, version and load time)."""
    page = browser.get(url)
    assert page.status_code == 200, page.text
    token = TOKEN.findall(page.text)[-1]
    carried = dict(HIDDEN.findall(page.text))
    answer = browser.post(url, data={**carried, **data, "csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def rows_of(part: str) -> list[str]:
    """Each table row of a section, as the text a person reads (tags dropped, spaces collapsed)."""
    return [text_of(r) for r in re.findall(r"<tr>(.*?)</tr>", part, re.S)]


def text_of(part: str) -> str:
    words = html.unescape(re.sub(r"<[^>]+>", " ", part))
    return re.sub(r"\s+", " ", words.replace("\u202f", " ").replace("\u00a0", " ")).strip()


def plain(text: str) -> str:
    """Money as the page writes it, with the narrow and non-breaking spaces read as spaces."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


@pytest.fixture
def edited(app: FastAPI, client: TestClient, accounts: dict[str, Account]) -> Iterator[dict[str, Any]]:
    """A project and Germany's pledge to it, both edited by staff through their forms: the budget from
    €500,000.00 to €750,000.00 (and a second activity type), the pledge from €120,000.00 pledged to
    €150,000.00 committed."""
    project = make_project(
        client,
        code=CODE,
        budget_eur="500000.00",
        areas=["SCA"],
        activity_types=["surplus_destruction_ammunition"],
        beneficiaries=["SRB"],
    )
    pledge = make_pledge(client, project["id"], donor="DEU", amount="120000.00", pledged_on="2024-03-10")
    staff = log_in(app, accounts["staff"])
    submit(
        staff,
        f"/projects/{project['id']}/edit",
        {
            "code": CODE,
            "title": project["title"],
            "areas": ["SCA"],
            "beneficiaries": ["SRB"],
            "request_date": project["request_date"],
            "activity_types": ["surplus_destruction_ammunition", "stockpile_security"],
            "budget_eur": "750000.00",
        },
    )
    submit(
        staff,
        f"/pledges/{pledge['id']}/edit",
        {
            "donor": "DEU",
            "kind": "cash",
            "amount": "150000.00",
            "currency": "EUR",
            "pledged_on": "2024-03-10",
            "status": "committed",
            "note": "",
            "action": "save",
        },
    )
    yield {"project": project, "pledge": pledge, "staff": staff}
    staff.close()


WORDS = {
    "en": {
        "fmt": EN,
        "budget": "Budget",
        "amount": "Amount",
        "donor": "Germany",
        "activities": ("Destruction of surplus ammunition", "Stockpile security and management"),
        "committed": "Committed",
    },
    "fr": {
        "fmt": FR,
        "budget": "Budget",
        "amount": "Montant",
        "donor": "Allemagne",
        "activities": ("Destruction des munitions excédentaires", "Sécurité et gestion des stocks"),
        "committed": "Engagé",
    },
}


def check_list(part: str, lang: str, project_id: int) -> None:
    """What any list of changes must say of the edits, in ``lang``."""
    words = WORDS[lang]
    fmt: Formats = words["fmt"]  # type: ignore[assignment]
    rows = rows_of(part)
    read = text_of(part)
    # the budget's edit: the project by its code, the field by its label, both amounts as money
    budget = [r for r in rows if plain(fmt.money(Decimal("750000.00"))) in r]
    assert budget, read
    assert CODE in budget[0] and re.search(rf"{words['budget']} ?:", budget[0]), budget[0]
    assert plain(fmt.money(Decimal("500000.00"))) in budget[0], budget[0]
    for activity in words["activities"]:
        assert activity in budget[0], (activity, budget[0])
    # the pledge's edit: Germany's pledge to the project, the amounts as money, the status by its label
    pledged = [r for r in rows if plain(fmt.money(Decimal("150000.00"))) in r]
    assert pledged, read
    assert words["donor"] in pledged[0] and CODE in pledged[0], pledged[0]
    assert re.search(rf"{words['amount']} ?:", pledged[0]), pledged[0]
    assert plain(fmt.money(Decimal("120000.00"))) in pledged[0], pledged[0]
    assert words["committed"] in pledged[0], pledged[0]  # type: ignore[operator]
    # the project's page is linked by its code, never named by its id
    assert f'<a href="/projects/{project_id}">{CODE}</a>' in part
    # no bookkeeping, no field names, no raw values, no bare ids
    for internal in INTERNALS:
        assert internal not in read, (internal, read)
    assert not re.search(r"\bcommitted\b|\bpledged\b", read), read
    assert not BARE_IDS.search(read), BARE_IDS.search(read)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_project_pages_audit_trail_speaks_a_persons_words(edited: dict[str, Any], lang: str) -> None:
    pid = edited["project"]["id"]
    page = edited["staff"].get(f"/projects/{pid}?lang={lang}")
    assert page.status_code == 200
    check_list(section(page.text, "h-trail"), lang, pid)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_homes_recent_changes_speak_a_persons_words(edited: dict[str, Any], lang: str) -> None:
    pid = edited["project"]["id"]
    page = edited["staff"].get(f"/?lang={lang}")
    assert page.status_code == 200
    check_list(section(page.text, "h-recent"), lang, pid)


def test_the_creations_name_their_values_and_skip_the_empty_ones(edited: dict[str, Any]) -> None:
    """A new record reads as its values (no "– →" before each), without its empty fields."""
    pid = edited["project"]["id"]
    trail = section(edited["staff"].get(f"/projects/{pid}").text, "h-trail")
    created = [r for r in rows_of(trail) if "Serbia" in r]
    assert created, text_of(trail)
    assert "Beneficiary States: Serbia" in created[0] and "Areas: SCA" in created[0], created[0]
    assert f"Request date: {EN.date(date(2024, 1, 15))}" in created[0]
    assert "Implementing partner" not in created[0] and "→" not in created[0], created[0]


def test_the_api_keeps_the_raw_trail(client: TestClient, edited: dict[str, Any]) -> None:
    """What the pages reword, the API still gives as it was written: field names and raw values."""
    pid = edited["project"]["id"]
    entries = ok(client.get("/api/v1/audit", params={"entity": "project", "entity_id": pid}))["items"]
    update = next(e for e in entries if e["action"] == "update")
    assert update["changes"]["budget_eur"] == ["500000.00", "750000.00"]
    assert update["entity"] == "project" and update["entity_id"] == pid
    created = next(e for e in entries if e["action"] == "create")
    assert "status_before_hold" in created["changes"] and "version" in created["changes"]


def test_receipts_and_deletions_are_named_by_their_donor_and_project(
    app: FastAPI, client: TestClient, accounts: dict[str, Account]
) -> None:
    """A receipt reads as money from its donor for the project, in the pledge's currency; a pledge deleted
    since is still named by what the trail kept of it."""
    ok(
        client.post(
            "/api/v1/exchange-rates", json={"currency": "GBP", "month": "2024-03", "eur_per_unit": "1.16"}
        ),
        201,
    )
    ok(
        client.post(
            "/api/v1/exchange-rates", json={"currency": "GBP", "month": "2024-05", "eur_per_unit": "1.17"}
        ),
        201,
    )
    project = make_project(client, code=CODE)
    british = make_pledge(client, project["id"], donor="GBR", amount="50000.00", currency="GBP")
    ok(
        client.post(
            f"/api/v1/pledges/{british['id']}/receipts",
            json={"amount": "20000.00", "received_on": "2024-05-02"},
        ),
        201,
    )
    french = make_pledge(client, project["id"], donor="FRA", amount="10000.00")
    assert client.delete(f"/api/v1/pledges/{french['id']}").status_code == 204
    staff = log_in(app, accounts["staff"])
    for lang, fmt, british_name, french_name in (
        ("en", EN, "United Kingdom", "France"),
        ("fr", FR, "Royaume-Uni", "France"),
    ):
        for url, heading in (
            (f"/projects/{project['id']}?lang={lang}", "h-trail"),
            (f"/?lang={lang}", "h-recent"),
        ):
            rows = rows_of(section(staff.get(url).text, heading))
            receipt = next(r for r in rows if plain(fmt.money(Decimal("20000.00"), "GBP")) in r)
            assert british_name in receipt and CODE in receipt, receipt
            gone = next(r for r in rows if plain(fmt.money(Decimal("10000.00"))) in r and french_name in r)
            assert CODE in gone and ("Deleted" if lang == "en" else "Suppression") in gone, gone
            assert not BARE_IDS.search(" ".join(rows)), rows
    staff.close()


def test_every_field_the_trail_records_has_a_label_or_is_left_out() -> None:
    """A field added to a record must get the label its page gives it here (or be left out as bookkeeping):
    else the pages would show it by its name."""
    from portfolio.agreements.models import Agreement, Obligation
    from portfolio.documents.models import Document
    from portfolio.funding.models import ExchangeRate, Pledge, Receipt
    from portfolio.interests.models import Interest
    from portfolio.norms.models import Norm
    from portfolio.processes.models import FollowUpCheck, NationalProcess
    from portfolio.projects.models import Indicator, Milestone, Project
    from portfolio.reminders.models import CalendarFeed
    from portfolio.users.models import User
    from portfolio.web.changes import BOOKKEEPING, FIELDS

    models = {
        "project": (Project, ("areas", "activity_types", "beneficiaries", "norms", "on", "note")),
        "pledge": (Pledge, ()),
        "receipt": (Receipt, ()),
        "milestone": (Milestone, ()),
        "indicator": (Indicator, ()),
        "interest": (Interest, ()),
        "agreement": (Agreement, ()),
        "obligation": (Obligation, ()),
        "document": (Document, ()),
        "national_process": (NationalProcess, ("project_ids",)),
        "follow_up_check": (FollowUpCheck, ()),
        "user": (User, ()),
        "norm": (Norm, ()),
        "exchange_rate": (ExchangeRate, ()),
        "calendar_feed": (CalendarFeed, ()),
    }
    unlabelled = [
        f"{entity}.{name}"
        for entity, (model, extra) in models.items()
        for name in [*(c.name for c in model.__table__.columns), *extra]
        if name not in BOOKKEEPING and name not in FIELDS[entity]
    ]
    assert not unlabelled, unlabelled
