"""Reminders by e-mail, read back from a real SMTP server run in-process (aiosmtpd): the days before and the
first day overdue, the owner or else every staff account, each reminder once across runs and across two
concurrent senders, a dry run that sends and writes nothing, and a refused message tried again next run."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as email_policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from portfolio.cli import app as cli
from portfolio.config import Settings, get_settings
from portfolio.db import Database
from portfolio.reminders import repository
from portfolio.reminders.mailer import SmtpMailer
from portfolio.reminders.service import send_reminders
from portfolio.users.models import User
from tests.factories import make_pledge, make_project, make_settings, ok

TODAY = date(2030, 6, 1)


class Inbox:
    """What the in-process SMTP server received; ``refuse`` makes it refuse every message (554)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if self.refuse:
            return "554 Transaction failed: mailbox unavailable"
        with self._lock:
            message = message_from_bytes(envelope.content, policy=email_policy)
            assert isinstance(message, EmailMessage)
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[str]:
        return [str(m["Subject"]) for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def mail_settings(database_url: str, inbox: tuple[Inbox, int]) -> Settings:
    return make_settings(
        database_url, smtp_host="127.0.0.1", smtp_port=inbox[1], smtp_from="portfolio@example.org"
    )


def run(db: Database, settings: Settings, today: date = TODAY, dry_run: bool = False) -> Any:
    return send_reminders(db, settings, SmtpMailer(settings), today, dry_run=dry_run)


def obligation(
    client: TestClient, due_on: date, owner_id: int | None = None, kind: str = "final_narrative"
) -> Any:
    project = make_project(client, start_date="2024-01-01", end_date="2025-12-31")
    pledge = make_pledge(client, project["id"])
    agreement = ok(
        client.post(
            f"/api/v1/pledges/{pledge['id']}/agreement", json={"reference": "CA-1", "signed_on": "2024-04-01"}
        ),
        201,
    )
    body = {"agreement_id": agreement["id"], "kind": kind, "due_on": due_on.isoformat(), "owner_id": owner_id}
    return ok(client.post("/api/v1/obligations", json=body), 201) | {"project_code": project["code"]}


def second_staff(db: Database) -> str:
    with db.session(write=True) as session:
        session.add(
            User(email="staff2@test.example.org", full_name="Second", role="staff", password_hash="x")
        )
    return "staff2@test.example.org"


def test_reminders_go_the_days_before_and_on_the_first_day_overdue_to_the_owner(
    client, accounts, db, mail_settings, inbox
):
    box, _ = inbox
    owner = accounts["admin"]
    due = TODAY + timedelta(days=14)
    item = obligation(client, due, owner_id=owner.id)

    assert [r.kind for r in run(db, mail_settings, TODAY - timedelta(days=1)).sent] == []
    assert [r.kind for r in run(db, mail_settings, TODAY).sent] == ["before-14"]
    assert [r.kind for r in run(db, mail_settings, due - timedelta(days=4)).sent] == []
    assert [r.kind for r in run(db, mail_settings, due - timedelta(days=3)).sent] == ["before-3"]
    assert [r.kind for r in run(db, mail_settings, due).sent] == []
    assert [r.kind for r in run(db, mail_settings, due + timedelta(days=1)).sent] == ["overdue"]
    assert [r.kind for r in run(db, mail_settings, due + timedelta(days=2)).sent] == []

    code = item["project_code"]
    assert box.to(owner.email) == [
        f"Reminder: {code} final narrative report due {due.isoformat()} (in 14 days)",
        f"Reminder: {code} final narrative report due {due.isoformat()} (in 3 days)",
        f"Overdue: {code} final narrative report was due {due.isoformat()}",
    ]
    assert box.to(accounts["staff"].email) == []  # the owner is told, not the staff at large
    first = box.messages[0]
    assert first["From"] == "portfolio@example.org"
    text = first.get_content()
    assert "record its submission" in text and code in text and "DEU" in text
    assert "owed under contribution agreement CA-1" in text


def test_without_an_owner_every_staff_account_is_told_and_a_submitted_report_is_not(
    client, accounts, db, mail_settings, inbox
):
    box, _ = inbox
    other = second_staff(db)
    due = TODAY + timedelta(days=3)
    obligation(client, due)
    submitted = obligation(client, due, kind="financial_statement")
    ok(
        client.patch(
            f"/api/v1/obligations/{submitted['id']}",
            json={"status": "submitted", "submitted_on": date.today().isoformat()},
            headers={"If-Match": f'"{submitted["version"]}"'},
        )
    )

    report = run(db, mail_settings)
    assert sorted(r.recipient for r in report.sent) == sorted([accounts["staff"].email, other])
    assert len(box.to(accounts["staff"].email)) == 1 and len(box.to(other)) == 1
    assert all("final narrative" in s for s in box.to(other))  # nothing for the submitted statement
    assert box.to(accounts["manager"].email) == box.to(accounts["donor"].email) == []


def test_running_twice_sends_nothing_twice(client, accounts, db, mail_settings, inbox):
    box, _ = inbox
    obligation(client, TODAY + timedelta(days=14), owner_id=accounts["admin"].id)
    assert len(run(db, mail_settings).sent) == 1
    again = run(db, mail_settings)
    assert (len(again.sent), len(again.skipped)) == (0, 1)
    assert len(box.messages) == 1
    with db.session() as session:
        [logged] = repository.reminders_sent(session)
        assert (logged.kind, logged.recipient) == ("before-14", accounts["admin"].email)


def test_two_concurrent_senders_send_each_reminder_exactly_once(client, accounts, db, mail_settings, inbox):
    box, _ = inbox
    second_staff(db)
    for days in (14, 3, 0, -1, 5, 20):
        obligation(client, TODAY + timedelta(days=days))
    expected = len(run(db, mail_settings, dry_run=True).sent)
    assert expected == 10  # five of the six are reminded today, to two staff accounts each

    results: list[Any] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def sender() -> None:
        own = Database(mail_settings.database_url, mail_settings)  # an engine of its own, as another host
        try:
            start.wait()
            results.append(run(own, mail_settings))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(len(r.sent) for r in results) == expected
    assert sum(len(r.skipped) for r in results) == expected
    keys = [(m["To"], str(m["Subject"])) for m in box.messages]
    assert len(keys) == expected and len(set(keys)) == expected


def test_a_dry_run_sends_and_writes_nothing(client, accounts, db, mail_settings, inbox, monkeypatch):
    box, _ = inbox
    item = obligation(client, TODAY + timedelta(days=3), owner_id=accounts["admin"].id)
    for key, value in {
        "PORTFOLIO_DATABASE_URL": mail_settings.database_url,
        "PORTFOLIO_SMTP_HOST": "127.0.0.1",
        "PORTFOLIO_SMTP_PORT": str(mail_settings.smtp_port),
    }.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["reminders", "send", "--dry-run", "--today", TODAY.isoformat()])
        assert result.exit_code == 0, result.output
        assert f"would send: {accounts['admin'].email}: Reminder: {item['project_code']}" in result.output
        assert box.messages == []
        with db.session() as session:
            assert repository.reminders_sent(session) == []

        result = CliRunner().invoke(cli, ["reminders", "send", "--today", TODAY.isoformat()])
        assert result.exit_code == 0, result.output
        assert "1 reminder(s) sent, 0 sent before" in result.output
        assert len(box.messages) == 1
        bad = CliRunner().invoke(cli, ["reminders", "send", "--today", "1 June"])
        assert bad.exit_code == 2 and "--today" in bad.output
    finally:
        get_settings.cache_clear()


def test_a_message_the_smtp_server_refuses_is_sent_by_the_next_run(
    client, accounts, db, mail_settings, inbox
):
    box, _ = inbox
    obligation(client, TODAY + timedelta(days=14), owner_id=accounts["admin"].id)
    box.refuse = True
    refused = run(db, mail_settings)
    assert (len(refused.sent), len(refused.failed)) == (0, 1)
    assert "554" in refused.failed[0][1]
    with db.session() as session:
        assert repository.reminders_sent(session) == []  # the claim was rolled back

    box.refuse = False
    retried = run(db, mail_settings)
    assert len(retried.sent) == 1
    assert box.to(accounts["admin"].email) != []


def test_reminder_days_are_read_from_a_comma_separated_setting(monkeypatch):
    monkeypatch.setenv("PORTFOLIO_REMINDER_DAYS", "7, 30,1")
    assert Settings().reminder_days == [30, 7, 1]
    monkeypatch.setenv("PORTFOLIO_REMINDER_DAYS", "two weeks")
    with pytest.raises(ValueError, match="reminder_days"):
        Settings()


def test_an_unreachable_smtp_server_sends_nothing_and_logs_nothing(client, accounts, db, database_url):
    obligation(client, TODAY + timedelta(days=3), owner_id=accounts["admin"].id)
    nowhere = make_settings(database_url, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout_s=2)
    report = run(db, nowhere)
    assert (len(report.sent), len(report.failed)) == (0, 1)
    with db.session() as session:
        assert repository.reminders_sent(session) == []
