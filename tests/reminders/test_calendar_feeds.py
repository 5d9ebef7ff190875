"""Calendar feeds: a per-account URL with a token (shown once, only its SHA-256 kept), read without logging
in by calendar clients; obligations and open milestones as all-day RFC 5545 events, parsed back with the
icalendar library; a donor's feed holds its own State's only; a new feed or a revocation makes the old URL
404, and so does deactivating the account or an administrator's reset of its password; the account page
says when a calendar last read it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlmodel import col, select

from portfolio.reminders.models import CalendarFeed
from portfolio.reminders.service import token_digest
from tests.factories import assert_problem, make_pledge, make_project, ok
from tests.pages import log_in, text_of


def feed(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    return ok(client.post("/api/v1/users/me/calendar-feed", headers=headers), 201)  # type: ignore[no-any-return]


def events(anon: TestClient, url: str) -> dict[str, Any]:
    response = anon.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    parsed = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in parsed.walk("VEVENT")}


def funded_project(client: TestClient, donor: str, due_on: str) -> dict[str, Any]:
    project = make_project(client, start_date="2024-01-01", end_date="2025-12-31")
    pledge = make_pledge(client, project["id"], donor=donor)
    agreement = ok(
        client.post(
            f"/api/v1/pledges/{pledge['id']}/agreement", json={"reference": "CA", "signed_on": "2024-04-01"}
        ),
        201,
    )
    body = {"agreement_id": agreement["id"], "kind": "audit_certificate", "due_on": due_on}
    obligation = ok(client.post("/api/v1/obligations", json=body), 201)
    milestone = ok(
        client.post(
            f"/api/v1/projects/{project['id']}/milestones", json={"title": "Depot fenced", "due_on": due_on}
        ),
        201,
    )
    ok(
        client.post(
            f"/api/v1/projects/{project['id']}/milestones",
            json={"title": "Kick-off", "due_on": "2024-02-01", "done_on": "2024-02-01"},
        ),
        201,
    )
    return {"project": project, "obligation": obligation, "milestone": milestone}


def test_a_feed_lists_obligations_and_open_milestones_as_all_day_events(client, anon, accounts, db):
    own = funded_project(client, "DEU", "2026-03-31")
    made = feed(client, accounts["staff"].headers)
    assert made["url"].endswith(f"/api/v1/calendar.ics?token={made['token']}")
    with db.session() as session:
        stored = session.exec(select(CalendarFeed)).one()
        assert stored.token_hash == token_digest(made["token"]) != made["token"]

    found = events(anon, made["url"])
    obligation_uid = f"obligation-{own['obligation']['id']}@portfolio"
    milestone_uid = f"milestone-{own['milestone']['id']}@portfolio"
    obligation_ids = [u for u in found if u.startswith("obligation-")]
    assert obligation_uid in obligation_ids and milestone_uid in found
    assert [u for u in found if u.startswith("milestone-")] == [milestone_uid]  # not the one done
    event = found[obligation_uid]
    code = own["project"]["code"]
    assert str(event["SUMMARY"]) == f"{code}: Audit certificate due to Germany"
    assert event.decoded("DTSTART") == date(2026, 3, 31)
    assert event.decoded("DTEND") == date(2026, 3, 31) + timedelta(days=1)
    assert "DTSTAMP" in event
    assert str(found[milestone_uid]["SUMMARY"]) == f"{code}: Depot fenced"
    assert set(events(anon, made["url"])) == set(found)  # the UIDs stay the same from one read to the next


def test_each_event_says_what_it_is_and_links_to_its_page_when_the_address_is_known(
    app, client, anon, accounts
):
    own = funded_project(client, "DEU", "2026-03-31")
    url = feed(client, accounts["staff"].headers)["url"]
    obligation_uid = f"obligation-{own['obligation']['id']}@portfolio"
    milestone_uid = f"milestone-{own['milestone']['id']}@portfolio"
    found = events(anon, url)
    description = str(found[obligation_uid]["DESCRIPTION"])
    assert "Contribution agreement CA with Germany" in description and own["project"]["code"] in description
    assert "URL" not in found[obligation_uid]  # no public address set: no link
    assert "Milestone of project" in str(found[milestone_uid]["DESCRIPTION"])

    base = "https://tracker.example.org"
    app.state.settings = app.state.settings.model_copy(update={"public_base_url": base})
    found = events(anon, url)
    assert str(found[obligation_uid]["URL"]) == f"{base}/obligations/{own['obligation']['id']}"
    assert str(found[milestone_uid]["URL"]) == f"{base}/projects/{own['project']['id']}"


def test_a_donors_feed_holds_only_its_own_states_obligations_and_funded_projects(client, anon, accounts):
    own = funded_project(client, "DEU", "2026-03-31")
    other = funded_project(client, "USA", "2026-04-30")
    donor_url = feed(anon, accounts["donor"].headers)["url"]
    uids = set(events(anon, donor_url))
    content = anon.get(donor_url).content
    assert b"USA" not in content and b"United States" not in content  # nor in any summary or description
    assert f"obligation-{own['obligation']['id']}@portfolio" in uids
    assert f"milestone-{own['milestone']['id']}@portfolio" in uids
    assert f"obligation-{other['obligation']['id']}@portfolio" not in uids
    assert f"milestone-{other['milestone']['id']}@portfolio" not in uids
    manager = set(events(anon, feed(anon, accounts["manager"].headers)["url"]))
    assert f"obligation-{other['obligation']['id']}@portfolio" in manager


def test_revoking_or_renewing_a_feed_makes_the_old_url_404(anon, accounts):
    headers = accounts["manager"].headers
    first = feed(anon, headers)
    second = feed(anon, headers)
    assert_problem(anon.get(first["url"]), 404)
    events(anon, second["url"])
    assert anon.delete("/api/v1/users/me/calendar-feed", headers=headers).status_code == 204
    assert_problem(anon.get(second["url"]), 404)
    assert_problem(anon.get("/api/v1/calendar.ics", params={"token": "not-a-token"}), 404)
    assert_problem(anon.get("/api/v1/calendar.ics"), 422, ["query", "token"])


def test_making_and_revoking_a_feed_is_audited(anon, accounts, db):
    from portfolio.audit.models import AuditEntry

    headers = accounts["donor"].headers
    feed(anon, headers)
    anon.delete("/api/v1/users/me/calendar-feed", headers=headers)
    with db.session() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.entity == "calendar_feed")).all()
        assert [(e.action, e.user_id) for e in entries] == [
            ("create", accounts["donor"].id),
            ("update", accounts["donor"].id),
        ]


def test_the_audit_trail_filters_on_calendar_feeds(client, anon, accounts):
    feed(anon, accounts["manager"].headers)
    page = ok(client.get("/api/v1/audit", params={"entity": "calendar_feed"}))
    assert [(e["action"], e["user_id"]) for e in page["items"]] == [("create", accounts["manager"].id)]


# -- a feed ends with its account's access, and says when it was read ------------------------------------


def test_deactivating_the_account_ends_its_feed_for_good(anon, accounts):
    admin, donor = accounts["admin"], accounts["donor"]
    url = feed(anon, donor.headers)["url"]
    assert anon.get(url).status_code == 200
    ok(anon.patch(f"/api/v1/users/{donor.id}", json={"active": False}, headers=admin.headers))
    assert_problem(anon.get(url), 404)
    ok(anon.patch(f"/api/v1/users/{donor.id}", json={"active": True}, headers=admin.headers))
    assert_problem(anon.get(url), 404)  # back in, the old address stays dead: a new one must be made


def test_an_administrators_password_reset_ends_the_feed_but_ones_own_change_does_not(anon, accounts):
    admin, manager = accounts["admin"], accounts["manager"]
    url = feed(anon, manager.headers)["url"]
    new = {"password": "a brand new passphrase of five words"}
    ok(anon.patch(f"/api/v1/users/{manager.id}", json=new, headers=admin.headers))
    assert_problem(anon.get(url), 404)

    own = ok(anon.post("/api/v1/auth/token", data={"username": manager.email, "password": new["password"]}))
    headers = {"Authorization": f"Bearer {own['access_token']}"}
    url = feed(anon, headers)["url"]
    ok(
        anon.patch(
            f"/api/v1/users/{admin.id}",
            json={"password": "yet another passphrase of five"},
            headers=admin.headers,
        )
    )
    assert anon.get(url).status_code == 200  # another account's reset leaves this feed alone


def test_the_account_page_says_when_a_calendar_last_read_the_feed(app, anon, accounts, db):
    browser = log_in(app, accounts["staff"].email)
    assert "calendar feed yet" in text_of(browser.get("/account").text)
    url = feed(anon, accounts["staff"].headers)["url"]
    page = text_of(browser.get("/account").text)
    assert "Last read by a calendar Not yet read" in page
    assert anon.get(url).status_code == 200
    with db.session() as session:
        [read_at] = session.exec(
            select(CalendarFeed.last_read_at).where(col(CalendarFeed.revoked_at).is_(None))
        ).all()
    assert read_at is not None
    page = text_of(browser.get("/account").text)
    assert "Not yet read" not in page
    assert f"Last read by a calendar {read_at:%b} {read_at.day}, {read_at.year}" in page
    french = text_of(browser.get("/account/password?lang=fr").text)
    assert "Dernière lecture par un calendrier" in french and "Pas encore lu" not in french


def test_the_home_page_leads_to_the_feed_on_the_account_page(app, accounts):
    for lang, pointer, title in (
        ("en", "your calendar feed", "Your account"),
        ("fr", "votre flux de calendrier", "Votre compte"),
    ):
        browser = log_in(app, accounts["donor"].email)
        browser.get("/language", params={"to": lang, "next": "/"})  # the language switch, as a person does
        home = browser.get("/").text
        link = re.search(r'<a href="([^"]+)">' + pointer + "</a>", home)
        assert link, home
        account = browser.get(link.group(1))
        assert account.url.path == "/account" and link.group(1).endswith("#calendar-feed")
        assert f"<h1>{title}</h1>" in account.text and 'id="calendar-feed"' in account.text
        # the address it had keeps working
        assert browser.get("/account/password").url.path == "/account"
