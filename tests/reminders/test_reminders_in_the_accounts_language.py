"""The reminders an account is sent and its calendar feed are written in the language the account chose —
on its own page, or by an administrator — with its States named and its dates written in that language:
read back from a real SMTP server run in-process and parsed with icalendar."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar

from portfolio.users.models import User
from tests.factories import ok
from tests.pages import TOKEN, log_in, text_of
from tests.reminders import test_reminders
from tests.reminders.test_calendar_feeds import feed, funded_project
from tests.reminders.test_reminders import TODAY, obligation, run

inbox, mail_settings = test_reminders.inbox, test_reminders.mail_settings  # the in-process SMTP server


def choose_language(app, email: str, language: str) -> str:
    """Choose the language on one's own account page, as a person does; the page's notice after it."""
    browser = log_in(app, email)
    page = browser.get("/account")
    assert 'id="language"' in page.text
    token = TOKEN.findall(page.text)[-1]
    answer = browser.post(
        "/account/language", data={"language": language, "csrf_token": token}, follow_redirects=True
    )
    assert answer.status_code == 200 and answer.url.path == "/account"
    return text_of(answer.text)


def test_an_account_that_chose_russian_is_reminded_in_russian(
    app, client, accounts, db, mail_settings, inbox
):
    box, _ = inbox
    owner = accounts["admin"]
    notice = choose_language(app, owner.email, "ru")
    assert "will be written in the language you chose" in notice  # said in the page's own language
    due = TODAY + timedelta(days=3)
    item = obligation(client, due, owner_id=owner.id)
    assert [r.kind for r in run(db, mail_settings, TODAY).sent] == ["before-3"]
    [message] = box.messages
    subject, text = str(message["Subject"]), message.get_content()
    code = item["project_code"]
    assert (
        subject
        == f"Напоминание: {code}, «итоговый описательный отчет» — срок {due.isoformat()} (через 3 дня)"
    )
    assert "Германия (DEU)" in text  # the donor, named in Russian
    assert "соглашением о взносе CA-1" in text
    assert "4 июня 2030" in text  # the date as Russian writes it
    assert "What to do" not in text and "Reporting obligation" not in text


def test_an_administrator_sets_an_accounts_language_and_staff_are_each_told_in_their_own(
    client, anon, accounts, db, mail_settings, inbox
):
    box, _ = inbox
    with db.session(write=True) as session:
        session.add(
            User(email="staff-fr@test.example.org", full_name="Française", role="staff", password_hash="x")
        )
    admin = accounts["admin"].headers
    users = ok(anon.get("/api/v1/users?limit=50", headers=admin))["items"]
    [french] = [u for u in users if u["email"].startswith("staff-fr")]
    assert french["language"] == "en"
    changed = anon.patch(f"/api/v1/users/{french['id']}", json={"language": "fr"}, headers=admin)
    assert ok(changed)["language"] == "fr"
    refused = anon.patch(f"/api/v1/users/{french['id']}", json={"language": "xx"}, headers=admin)
    assert refused.status_code == 422

    due = TODAY + timedelta(days=14)
    obligation(client, due)  # no owner: every staff account is told
    run(db, mail_settings, TODAY)
    subjects = {str(m["To"]): str(m["Subject"]) for m in box.messages}
    assert subjects["staff-fr@test.example.org"].startswith("Rappel : ")
    assert "« rapport narratif final »" in subjects["staff-fr@test.example.org"]
    assert "(dans 14 jours)" in subjects["staff-fr@test.example.org"]
    assert subjects[accounts["staff"].email].startswith("Reminder: ")


def test_a_russian_accounts_calendar_feed_speaks_russian(app, client, anon, accounts):
    staff = accounts["staff"]
    choose_language(app, staff.email, "ru")
    funded_project(client, "DEU", "2030-03-01")
    url = feed(anon, staff.headers)["url"]
    calendar = Calendar.from_ical(anon.get(url).content)
    assert str(calendar["X-WR-CALNAME"]) == "Портфель помощи: отчеты, этапы и проверки устойчивости"
    events = {str(e["UID"]).split("-")[0]: e for e in calendar.walk("VEVENT")}
    report = events["obligation"]
    assert "«Аудиторское заключение» для государства Германия" in str(report["SUMMARY"])
    assert "Обязательство по отчетности №" in str(report["DESCRIPTION"])
    assert str(report["CATEGORIES"].cats[0]) == "Обязательство по отчетности"
    assert "еще не выполнен" in str(events["milestone"]["DESCRIPTION"])
    english = Calendar.from_ical(anon.get(feed(anon, accounts["admin"].headers)["url"]).content)
    assert str(english["X-WR-CALNAME"]).startswith("Assistance portfolio")  # the others' stay English
