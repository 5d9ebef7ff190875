"""Reminders and calendar feeds of sustainability follow-up checks, read back from a real SMTP server run
in-process (aiosmtpd) and from the feed parsed with icalendar; and what every reminder says: the donor State
by its name, and a link to the page when the tracker's public address is set."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from icalendar import Calendar

from portfolio.config import Settings
from portfolio.db import Database
from portfolio.reminders import repository
from portfolio.reminders.mailer import SmtpMailer
from portfolio.reminders.service import send_reminders
from tests.factories import make_pledge, make_project, make_settings, ok
from tests.reminders.test_reminders import Inbox, free_port

PROCESSES = "/api/v1/national-processes"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port  # type: ignore[attr-defined]
    yield handler
    controller.stop()


def mail_settings(database_url: str, box: Inbox, **overrides: Any) -> Settings:
    port = box.port  # type: ignore[attr-defined]
    return make_settings(
        database_url, smtp_host="127.0.0.1", smtp_port=port, smtp_from="portfolio@example.org", **overrides
    )


def run(db: Database, settings: Settings, today: date) -> Any:
    return send_reminders(db, settings, SmtpMailer(settings), today)


def operational_process(client: TestClient, on: str = "2024-03-31", **overrides: Any) -> dict[str, Any]:
    body = {"state": "SRB", "name": "National SALW Commission", "kind": "structure", "stage": "operational"}
    body |= {"stage_changed_on": on, **overrides}
    process = ok(client.post(PROCESSES, json=body), 201)
    checks = ok(client.get("/api/v1/follow-ups", params={"process": process["id"]}))["items"]
    return process | {"checks": checks}


def test_a_follow_up_check_is_reminded_the_days_before_and_once_overdue(
    client, accounts, db, database_url, inbox
):
    settings = mail_settings(database_url, inbox)
    process = operational_process(client)
    first = process["checks"][0]
    due = date.fromisoformat(first["due_on"])  # 2025-03-31
    ok(client.patch(f"/api/v1/follow-ups/{first['id']}", json={"owner_id": accounts["admin"].id}))

    kinds = [
        [r.kind for r in run(db, settings, day).sent]
        for day in (
            due - timedelta(days=15),
            due - timedelta(days=14),
            due - timedelta(days=14),  # again: nothing twice
            due - timedelta(days=3),
            due,
            due + timedelta(days=1),
            due + timedelta(days=2),
        )
    ]
    assert kinds == [[], ["before-14"], [], ["before-3"], [], ["overdue"], []]
    subjects = inbox.to(accounts["admin"].email)
    assert subjects == [
        "Reminder: SRB National SALW Commission 12-month sustainability check due 2025-03-31 (in 14 days)",
        "Reminder: SRB National SALW Commission 12-month sustainability check due 2025-03-31 (in 3 days)",
        "Overdue: SRB National SALW Commission 12-month sustainability check was due 2025-03-31",
    ]
    text = inbox.messages[0].get_content()
    assert (
        "of Serbia (SRB)" in text and "operational since March 31, 2024" in text
    )  # as CLDR writes a long date
    assert "record the check's outcome" in text
    assert "http" not in text  # no public address set: no link
    with db.session() as session:
        logged = [(r.follow_up_id, r.obligation_id, r.kind) for r in repository.reminders_sent(session)]
    assert logged == [(first["id"], None, k) for k in ("before-14", "before-3", "overdue")]


def test_without_an_owner_every_staff_account_is_told_and_a_done_check_is_not(
    client, accounts, db, database_url, inbox
):
    settings = mail_settings(database_url, inbox)
    process = operational_process(client)
    first, second = process["checks"]
    ok(
        client.patch(
            f"/api/v1/follow-ups/{first['id']}", json={"outcome": "sustained", "checked_on": "2025-03-01"}
        )
    )

    assert run(db, settings, date(2025, 3, 28)).sent == []  # the 12-month check is done
    due = date.fromisoformat(second["due_on"])
    sent = run(db, settings, due - timedelta(days=3)).sent
    assert [(r.recipient, r.kind) for r in sent] == [(accounts["staff"].email, "before-3")]
    assert inbox.to(accounts["manager"].email) == inbox.to(accounts["donor"].email) == []


def test_a_moved_due_date_starts_the_reminders_afresh(client, accounts, db, database_url, inbox):
    settings = mail_settings(database_url, inbox)
    first = operational_process(client)["checks"][0]
    due = date.fromisoformat(first["due_on"])
    assert len(run(db, settings, due - timedelta(days=3)).sent) == 1
    later = due + timedelta(days=30)
    ok(client.patch(f"/api/v1/follow-ups/{first['id']}", json={"due_on": later.isoformat()}))
    assert [r.kind for r in run(db, settings, later - timedelta(days=3)).sent] == ["before-3"]


def test_reminders_name_the_donor_state_and_link_the_page_when_the_public_address_is_set(
    client, accounts, db, database_url, inbox
):
    project = make_project(client, start_date="2024-01-01", end_date="2025-12-31")
    pledge = make_pledge(client, project["id"], donor="DEU")
    agreement = ok(
        client.post(
            f"/api/v1/pledges/{pledge['id']}/agreement", json={"reference": "CA", "signed_on": "2024-04-01"}
        ),
        201,
    )
    body = {"agreement_id": agreement["id"], "kind": "other", "due_on": "2031-05-10"}
    ok(client.post("/api/v1/obligations", json=body), 201)
    process = operational_process(client, on="2024-03-31")
    first = process["checks"][0]
    ok(client.patch(f"/api/v1/follow-ups/{first['id']}", json={"due_on": "2031-05-10"}))

    linked = mail_settings(database_url, inbox, public_base_url="https://tracker.example.org/")
    sent = run(db, linked, date(2031, 5, 7)).sent
    assert len(sent) == 2
    by_kind = {r.subject_kind: r.body for r in sent}
    assert "to Germany (DEU) on project" in by_kind["obligation"]
    assert f"Project page: https://tracker.example.org/projects/{project['id']}\n" in by_kind["obligation"]
    assert "Record the submission: https://tracker.example.org/obligations/" in by_kind["obligation"]
    assert f"Process page: https://tracker.example.org/processes/{process['id']}\n" in by_kind["follow_up"]
    mails = [m.get_content() for m in inbox.messages]
    assert any(f"https://tracker.example.org/projects/{project['id']}" in m for m in mails)

    unlinked = mail_settings(database_url, inbox)
    overdue = run(db, unlinked, date(2031, 5, 11)).sent
    assert len(overdue) == 2 and all("http" not in r.body for r in overdue)
    assert "Germany (DEU)" in next(r.body for r in overdue if r.subject_kind == "obligation")


def test_the_public_address_setting_is_read_without_its_trailing_slash(monkeypatch):
    monkeypatch.setenv("PORTFOLIO_PUBLIC_BASE_URL", "https://tracker.example.org/ ")
    assert Settings().public_base_url == "https://tracker.example.org"
    monkeypatch.setenv("PORTFOLIO_PUBLIC_BASE_URL", "")
    assert Settings().public_base_url is None


# -- calendar feeds -----------------------------------------------------------------------------------


def test_every_feed_has_the_open_follow_up_checks_with_stable_uids(app, client, anon, accounts):
    # the donor's feed has the checks of a process linked to a project it funds (its own test says the rest)
    funded = make_project(client)
    make_pledge(client, funded["id"], donor=accounts["donor"].state)
    process = operational_process(client, project_ids=[funded["id"]])
    first, second = process["checks"]
    ok(
        client.patch(
            f"/api/v1/follow-ups/{first['id']}", json={"outcome": "sustained", "checked_on": "2025-03-01"}
        )
    )

    for role in ("staff", "manager", "donor"):
        made = ok(client.post("/api/v1/users/me/calendar-feed", headers=accounts[role].headers), 201)
        reads = []
        for _ in range(2):
            response = anon.get(made["url"])
            assert response.status_code == 200, response.text
            reads.append({str(e["UID"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")})
        found = reads[0]
        checks = [u for u in found if u.startswith("follow-up-")]
        assert checks == [f"follow-up-{second['id']}@portfolio"], role  # the done one is not there
        assert set(reads[1]) == set(found)
        event = found[checks[0]]
        assert str(event["SUMMARY"]) == "SRB National SALW Commission: 24-month sustainability check"
        assert event.decoded("DTSTART") == date(2026, 3, 31)
        assert event.decoded("DTEND") == date(2026, 4, 1)
        assert "24 months after it became operational" in str(event["DESCRIPTION"])
    app.state.settings = app.state.settings.model_copy(update={"public_base_url": "https://t.example.org"})
    response = anon.get(made["url"])
    event = {str(e["UID"]): e for e in Calendar.from_ical(response.content).walk("VEVENT")}[checks[0]]
    assert str(event["URL"]) == f"https://t.example.org/processes/{process['id']}"
