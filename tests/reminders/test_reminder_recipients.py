"""Reminders follow the rule, not the account that once owned a report: an account turned into a donor's
(or a manager's, or deactivated) lets go of the reports and checks it owned, audited, and is never reminded
of them; a donor's calendar feed carries only the follow-up checks of processes linked to projects it
funds; and one record that cannot be made into an e-mail never stops the others."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from typer.testing import CliRunner

from portfolio.audit.models import AuditEntry
from portfolio.cli import app as cli
from portfolio.config import get_settings
from portfolio.users.models import User
from tests.factories import make_pledge, make_project, ok
from tests.reminders.test_calendar_feeds import events, feed
from tests.reminders.test_reminders import TODAY, inbox, mail_settings, obligation, run

__all__ = ["inbox", "mail_settings"]


def _staff_owner(anon, accounts):
    """A second staff account, made through the API, that the admin can later change."""
    admin = accounts["admin"].headers
    body = {
        "email": "owner@test.example.org",
        "full_name": "Report Owner",
        "role": "staff",
        "password": "a long passphrase nobody guesses 7",
    }
    return ok(anon.post("/api/v1/users", json=body, headers=admin), 201)


def test_an_account_turned_donor_lets_go_of_its_reports_and_is_not_reminded(
    client, anon, accounts, db, mail_settings, inbox
):
    box, _ = inbox
    owner = _staff_owner(anon, accounts)
    item = obligation(client, TODAY + timedelta(days=14), owner_id=owner["id"])
    process = {"state": "SRB", "name": "Registry", "kind": "structure", "stage": "operational"}
    check = ok(client.post("/api/v1/national-processes", json=process), 201)["follow_ups"][0]
    ok(client.patch(f"/api/v1/follow-ups/{check['id']}", json={"owner_id": owner["id"]}))

    admin = accounts["admin"].headers
    current = anon.get(f"/api/v1/users/{owner['id']}", headers=admin)
    change = {"role": "donor", "state": "USA"}
    headers = admin | {"If-Match": current.headers["etag"]}
    ok(anon.patch(f"/api/v1/users/{owner['id']}", json=change, headers=headers))

    assert ok(client.get(f"/api/v1/obligations/{item['id']}"))["owner_id"] is None
    assert ok(client.get(f"/api/v1/follow-ups/{check['id']}"))["owner_id"] is None
    with db.session() as session:
        entries = session.exec(select(AuditEntry)).all()
        releases = [
            (e.entity, e.user_id) for e in entries if (e.changes or {}).get("owner_id") == [owner["id"], None]
        ]
    assert sorted(releases) == [
        ("follow_up_check", accounts["admin"].id),
        ("obligation", accounts["admin"].id),
    ]

    report = run(db, mail_settings)
    assert report.sent, "the report still due is reminded, to staff"
    assert box.to(owner["email"]) == []
    assert box.to(accounts["staff"].email)


def test_an_owner_whose_role_changed_behind_the_rules_is_still_not_reminded(
    client, accounts, db, mail_settings, inbox
):
    """Recipients are checked when the reminders are made, not only when an owner is named."""
    box, _ = inbox
    obligation(client, TODAY + timedelta(days=3), owner_id=accounts["admin"].id)
    with db.session(write=True) as session:  # as an import or an old release might have left it
        admin = session.get(User, accounts["admin"].id)
        admin.role, admin.state = "donor", "USA"
    run(db, mail_settings)
    assert box.to(accounts["admin"].email) == []
    assert len(box.to(accounts["staff"].email)) == 1


def test_a_donors_feed_has_the_checks_of_processes_linked_to_projects_it_funds_only(client, anon, accounts):
    funded = make_project(client)
    make_pledge(client, funded["id"], donor="DEU")
    elsewhere = make_project(client)
    make_pledge(client, elsewhere["id"], donor="USA")
    made = {}
    for name, project in (("Own registry", funded), ("Other registry", elsewhere), ("Unlinked", None)):
        body = {"state": "SRB", "name": name, "kind": "structure", "stage": "operational"}
        if project:
            body["project_ids"] = [project["id"]]
        made[name] = ok(client.post("/api/v1/national-processes", json=body), 201)["follow_ups"]
    donor = set(events(anon, feed(anon, accounts["donor"].headers)["url"]))
    checks = {name: {f"follow-up-{c['id']}@portfolio" for c in found} for name, found in made.items()}
    assert checks["Own registry"] <= donor
    assert not (checks["Other registry"] | checks["Unlinked"]) & donor
    staff = set(events(anon, feed(anon, accounts["staff"].headers)["url"]))
    assert checks["Other registry"] | checks["Unlinked"] <= staff


def test_a_line_break_in_a_process_name_stops_no_reminder(
    client, accounts, db, mail_settings, inbox, monkeypatch
):
    box, _ = inbox
    body = {
        "state": "SRB",
        "name": "SALW\nCommission\r\nof Serbia",
        "kind": "structure",
        "stage": "operational",
    }
    process = ok(client.post("/api/v1/national-processes", json=body), 201)
    check = process["follow_ups"][0]
    day = date_of(check["due_on"]) - timedelta(days=3)
    item = obligation(client, day + timedelta(days=3), owner_id=accounts["admin"].id)
    for key, value in mail_settings.model_dump(exclude_none=True).items():
        if key in ("database_url", "smtp_host", "smtp_port", "smtp_from"):
            monkeypatch.setenv(f"PORTFOLIO_{key.upper()}", str(value))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["reminders", "send", "--today", day.isoformat()])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    subjects = [str(m["Subject"]) for m in box.messages]
    assert any("SRB SALW Commission of Serbia" in s for s in subjects), subjects
    assert any(item["project_code"] in s for s in subjects), subjects
    assert all("\n" not in s and "\r" not in s for s in subjects)


def test_a_record_that_cannot_be_sent_is_named_and_the_others_still_go(
    client, accounts, db, mail_settings, inbox, monkeypatch
):
    box, _ = inbox
    first = obligation(client, TODAY + timedelta(days=3), owner_id=accounts["admin"].id)
    second = obligation(client, TODAY + timedelta(days=3), owner_id=accounts["admin"].id)
    from portfolio.reminders import service

    real = service.message

    def broken_for_the_first(reminder, settings):
        if reminder.subject_id == first["id"]:
            raise ValueError("a header the standard library refuses")
        return real(reminder, settings)

    monkeypatch.setattr(service, "message", broken_for_the_first)
    report = run(db, mail_settings)
    assert [r.subject_id for r in report.sent] == [second["id"]]
    assert [what for what, _ in report.broken] == [f"obligation #{first['id']} to {accounts['admin'].email}"]
    assert len(box.messages) == 1


def date_of(text):
    from datetime import date

    return date.fromisoformat(text)
