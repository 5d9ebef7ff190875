"""The reminders' rules: which obligation or follow-up check is reminded to whom and when, each reminder
once.

A reminder goes ``N`` days before an obligation's (or a national process's sustainability follow-up
check's) due date for each ``N`` of the settings' reminder_days (default 14 and 3), and once more on the
first day overdue, to its owner, or, when it has none, to every staff account. Only obligations still due
are reminded (not those submitted or accepted), and only checks still due (not those done). A run
that was missed is caught up: the nearest reminder not yet sent goes, never an older one as well, and an
overdue reminder is caught up for a week at most.

Each reminder is claimed by writing its ``reminder_sent`` row, under a lock that two senders cannot both
hold (PostgreSQL: an advisory transaction lock; SQLite: the write transaction), in the transaction that
then sends it: two runs, on one host or two, never both send it. When the SMTP server refuses or cannot be
reached, the claim is rolled back, so the next run tries again.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid

from babel.dates import format_date
from icalendar import Calendar, Event
from sqlmodel import Session

from portfolio.agreements.schemas import ObligationKind, ObligationState
from portfolio.audit import service as audit
from portfolio.config import Settings
from portfolio.db import Database, utcnow
from portfolio.errors import NotFound
from portfolio.languages import DEFAULT, label, translations, word
from portfolio.marking import mark as _
from portfolio.reminders import repository as repo
from portfolio.reminders.mailer import Mailer
from portfolio.reminders.repository import FOLLOW_UP, OBLIGATION, OpenFollowUp, OpenObligation
from portfolio.security import Actor
from portfolio.states import service as states_service

OVERDUE = "overdue"
OVERDUE_CATCH_UP_DAYS = 7

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reminder:
    subject_kind: str  # obligation or follow_up
    subject_id: int
    kind: str  # before-14, before-3, overdue
    due_on: date
    recipient: str
    subject: str
    body: str


@dataclass
class RunReport:
    sent: list[Reminder]
    skipped: list[Reminder]  # sent before (by an earlier run or another host)
    failed: list[tuple[Reminder, str]]
    # records no reminder could be made or sent for, with why: logged and passed over, never stopping
    # the others
    broken: list[tuple[str, str]] = field(default_factory=list)


def one_line(text: str) -> str:
    """Text for a header: line breaks (of any kind), tabs and other control or format characters become
    single spaces, so that a multi-line name typed into a form or an Excel cell cannot break a header."""
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)
    return " ".join(cleaned.split())


def reminder_kind(due_on: date, today: date, days: list[int]) -> str | None:
    """The reminder due for an obligation today: the nearest ``before-N`` whose day has come, or
    ``overdue`` within a week of the first day overdue, or none."""
    left = (due_on - today).days
    if left < 0:
        return OVERDUE if -left <= OVERDUE_CATCH_UP_DAYS else None
    reached = [n for n in days if left <= n]
    return f"before-{min(reached)}" if reached else None


class Words:
    """A reminder's or a calendar's words in the recipient's language (:mod:`portfolio.languages`): the
    English here is the message id, its translations are in the catalogues (``reminders.po``); dates are
    written as the language writes them, States named in it."""

    def __init__(self, lang: str, names: dict[str, str]) -> None:
        self.lang = lang
        self.names = names
        self._ = translations(lang).gettext
        self.ngettext = translations(lang).ngettext

    def __call__(self, text: str, **values: object) -> str:
        return self._(text) % values if values else self._(text)

    def day(self, day: date) -> str:
        return format_date(day, format="long", locale=self.lang)

    def state(self, code: str, fallback: str) -> str:
        return self.names.get(code, fallback)

    def report(self, kind: str) -> str:
        """What the pages call a report (:class:`portfolio.agreements.schemas.ObligationKind`)."""
        return label(kind if kind in ObligationKind.labels() else "other", ObligationKind, self.lang)

    def report_in_a_sentence(self, kind: str) -> str:
        """The report's name mid-sentence: "financial statement", "rapport financier"."""
        return word(kind if kind in ObligationKind.labels() else "other", ObligationKind, self.lang)

    def in_days(self, due_on: date, today: date) -> str:
        left = (due_on - today).days
        if left == 0:
            return self(_("today"))
        if left == 1:
            return self(_("tomorrow"))
        return self.ngettext("in %(days)s day", "in %(days)s days", left) % {"days": left}


def _link(base_url: str | None, path: str, what: str) -> str:
    """A line with the page's address, when the tracker's public address is set; else nothing."""
    return f"{what}: {base_url}{path}\n\n" if base_url else ""


def compose(
    item: OpenObligation,
    kind: str,
    recipient: str,
    today: date,
    base_url: str | None = None,
    words: Words | None = None,
) -> Reminder:
    w = words or Words(DEFAULT, {})
    what = w.report_in_a_sentence(item.kind)
    values = {"project": item.project_code, "report": what, "day": item.due_on.isoformat()}
    if kind == OVERDUE:
        subject = w(_("Overdue: %(project)s %(report)s was due %(day)s"), **values)
        when = w(_("was due on %(date)s and has not been recorded as submitted"), date=w.day(item.due_on))
    else:
        in_days = w.in_days(item.due_on, today)
        subject = w(
            _("Reminder: %(project)s %(report)s due %(day)s (%(in_days)s)"), **values, in_days=in_days
        )
        when = w(_("is due on %(date)s (%(in_days)s)"), date=w.day(item.due_on), in_days=in_days)
    body = (
        w(
            _(
                "The %(report)s to %(donor)s (%(code)s) on project %(project)s (%(title)s), owed under "
                "contribution agreement %(reference)s, %(when)s."
            ),
            report=what,
            donor=w.state(item.donor, item.donor_name),
            code=item.donor,
            project=item.project_code,
            title=one_line(item.project_title),
            reference=item.agreement_reference,
            when=when,
        )
        + "\n\n"
        + w(
            _(
                "What to do: prepare the report and send it to the donor; then record its submission on "
                'the reporting obligation in the portfolio tracker (status "submitted" and the date), which '
                "stops further reminders. If the date has moved, change the obligation's due date instead."
            )
        )
        + "\n\n"
        + _link(base_url, f"/obligations/{item.obligation_id}", w(_("Record the submission")))
        + _link(base_url, f"/projects/{item.project_id}", w(_("Project page")))
        + w(
            _(
                "Reporting obligation #%(id)s. You receive this as its owner or, as it has no owner, as a "
                "member of the FSC support staff."
            ),
            id=item.obligation_id,
        )
        + "\n"
    )
    return Reminder(OBLIGATION, item.obligation_id, kind, item.due_on, recipient, one_line(subject), body)


def compose_follow_up(
    item: OpenFollowUp,
    kind: str,
    recipient: str,
    today: date,
    base_url: str | None = None,
    words: Words | None = None,
) -> Reminder:
    w = words or Words(DEFAULT, {})
    what = w(_("%(months)s-month sustainability check"), months=item.months_after)
    values = {
        "name": f"{item.state} {one_line(item.process_name)}",
        "what": what,
        "day": item.due_on.isoformat(),
    }
    if kind == OVERDUE:
        subject = w(_("Overdue: %(name)s %(what)s was due %(day)s"), **values)
        when = w(_("was due on %(date)s and has not been recorded"), date=w.day(item.due_on))
    else:
        in_days = w.in_days(item.due_on, today)
        subject = w(_("Reminder: %(name)s %(what)s due %(day)s (%(in_days)s)"), **values, in_days=in_days)
        when = w(_("is due on %(date)s (%(in_days)s)"), date=w.day(item.due_on), in_days=in_days)
    body = (
        w(
            _(
                "The %(what)s of the national process “%(process)s” of %(state)s (%(code)s), operational "
                "since %(since)s, %(when)s."
            ),
            what=what,
            process=one_line(item.process_name),
            state=w.state(item.state, item.state_name),
            code=item.state,
            since=w.day(item.operational_on),
            when=when,
        )
        + "\n\n"
        + w(
            _(
                "What to do: find out with the national authorities whether it still runs on national "
                "resources; then record the check's outcome on the process's page in the portfolio tracker "
                "(sustained or regressed, the date, a note and the evidence), which stops further reminders. "
                "If the date has moved, change the check's due date instead."
            )
        )
        + "\n\n"
        + _link(base_url, f"/processes/{item.process_id}", w(_("Process page")))
        + w(
            _(
                "Follow-up check #%(id)s. You receive this as its owner or, as it has no owner, as a member "
                "of the FSC support staff."
            ),
            id=item.check_id,
        )
        + "\n"
    )
    return Reminder(FOLLOW_UP, item.check_id, kind, item.due_on, recipient, one_line(subject), body)


def due_reminders(
    db: Database, settings: Settings, today: date, broken: list[tuple[str, str]] | None = None
) -> list[Reminder]:
    """Every reminder that today's run should send, sent before or not: obligations first, then
    follow-up checks. A record no reminder can be made for is logged and named in ``broken``; the others
    go on."""
    broken = [] if broken is None else broken
    days = settings.reminder_days
    base_url = settings.public_base_url
    earliest = today - timedelta(days=OVERDUE_CATCH_UP_DAYS)
    latest = today + timedelta(days=max(days, default=0))
    with db.session() as session:
        items = repo.open_obligations(session, earliest, latest)
        checks = repo.open_follow_ups(session, earliest, latest)
        staff = repo.staff_recipients(session)
        languages = {lang for _email, lang in staff}
        languages |= {r.owner_language for r in items if r.owner_language}
        languages |= {r.owner_language for r in checks if r.owner_language}
        # each recipient is written to in its account's language, the States named in it
        words = {lang: Words(lang, states_service.names(session, lang)) for lang in languages | {DEFAULT}}

    def words_of(lang: str | None) -> Words:
        return words.get(lang or DEFAULT, words[DEFAULT])

    reminders: list[Reminder] = []
    for item in items:
        kind = reminder_kind(item.due_on, today, days)
        if kind is None:
            continue
        owner = [(item.owner_email, item.owner_language)] if item.owner_email else staff
        for recipient, lang in owner:
            try:
                reminders.append(compose(item, kind, recipient, today, base_url, words_of(lang)))
            except Exception as exc:  # one bad record never stops the others
                _broken(broken, f"reporting obligation #{item.obligation_id}", exc)
    for check in checks:
        kind = reminder_kind(check.due_on, today, days)
        if kind is None:
            continue
        owner = [(check.owner_email, check.owner_language)] if check.owner_email else staff
        for recipient, lang in owner:
            try:
                reminders.append(compose_follow_up(check, kind, recipient, today, base_url, words_of(lang)))
            except Exception as exc:
                _broken(broken, f"follow-up check #{check.check_id}", exc)
    return reminders


def _broken(broken: list[tuple[str, str]], what: str, exc: Exception) -> None:
    log.exception("No reminder could be made or sent for %s; the others go on.", what)
    broken.append((what, f"{type(exc).__name__}: {exc}"))


def message(reminder: Reminder, settings: Settings) -> EmailMessage:
    # Headers are kept on one line (RFC 5322 allows 998 characters): Python's folding would start a long
    # subject on a continuation line, which some clients show with a leading space.
    mail = EmailMessage(policy=SMTP.clone(max_line_length=998))
    mail["From"] = settings.smtp_from
    mail["To"] = reminder.recipient
    mail["Subject"] = reminder.subject
    mail["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    mail.set_content(reminder.body)
    return mail


class _NotSent(Exception):
    pass


def send_reminders(
    db: Database, settings: Settings, mailer: Mailer, today: date, *, dry_run: bool = False
) -> RunReport:
    """Send today's reminders, each once. A dry run sends and writes nothing; it reports what would go."""
    report = RunReport([], [], [])
    for reminder in due_reminders(db, settings, today, report.broken):
        key = (reminder.subject_kind, reminder.subject_id, reminder.kind, reminder.due_on, reminder.recipient)
        if dry_run:
            with db.session() as session:
                (report.skipped if repo.was_sent(session, *key) else report.sent).append(reminder)
            continue
        try:
            with db.session(write=True) as session:
                repo.lock_senders(session)
                if repo.was_sent(session, *key):
                    report.skipped.append(reminder)
                    continue
                repo.claim(session, *key)
                try:
                    mailer.send(message(reminder, settings))
                except (smtplib.SMTPException, OSError) as exc:
                    raise _NotSent(str(exc) or type(exc).__name__) from exc
        except _NotSent as failure:  # the claim is rolled back: the next run tries again
            report.failed.append((reminder, str(failure)))
            continue
        except Exception as exc:  # the claim is rolled back; one bad record never stops the others
            what = f"{reminder.subject_kind.replace('_', '-')} #{reminder.subject_id} to {reminder.recipient}"
            _broken(report.broken, what, exc)
            continue
        report.sent.append(reminder)
    return report


# -- calendar feeds ------------------------------------------------------------------------------------

FEED_TOKEN_BYTES = 32
UID_DOMAIN = "portfolio"


class FeedNotFound(NotFound):
    pass


def token_digest(token: str) -> str:
    """The SHA-256 of a feed token, as stored: the token itself is shown once and never kept."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_feed(session: Session, actor: Actor) -> str:
    """A new calendar feed token for the actor's account, revoking any earlier one; audited."""
    assert actor.user_id is not None
    earlier = repo.active_feeds(session, actor.user_id)
    now = utcnow()
    if earlier:
        repo.revoke(session, earlier, now)
        for feed in earlier:
            audit.record(session, actor, "update", "calendar_feed", feed.id, {"revoked_at": [None, now]})
    token = secrets.token_urlsafe(FEED_TOKEN_BYTES)
    feed = repo.add_feed(session, actor.user_id, token_digest(token))
    audit.record(session, actor, "create", "calendar_feed", feed.id, {"user_id": [None, actor.user_id]})
    return token


@dataclass(frozen=True)
class FeedStatus:
    """An account's calendar feed that works: when it was made and when a calendar last read it."""

    made_at: datetime
    last_read_at: datetime | None


def feed_status(session: Session, actor: Actor) -> FeedStatus | None:
    """The actor's calendar feed that works, if it has one."""
    assert actor.user_id is not None
    feed = repo.working_feed(session, actor.user_id)
    return FeedStatus(feed.created_at, feed.last_read_at) if feed is not None else None


@dataclass(frozen=True)
class FeedCalendar:
    """A feed's calendar, and whether its reading is still to be noted (see :func:`note_read`)."""

    body: bytes
    feed_id: int
    to_note: bool


READ_NOTED_EVERY = timedelta(minutes=1)


def note_read(session: Session, feed_id: int) -> None:
    """Note that a calendar read the feed (to the minute: a calendar polling often writes once a minute)."""
    now = utcnow()
    repo.mark_read(session, feed_id, now, now - READ_NOTED_EVERY)


def revoke_feeds(session: Session, actor: Actor) -> int:
    """Revoke the actor's calendar feed (its old URL answers 404 from now on); audited. How many were."""
    assert actor.user_id is not None
    feeds = repo.active_feeds(session, actor.user_id)
    now = utcnow()
    repo.revoke(session, feeds, now)
    for feed in feeds:
        audit.record(session, actor, "update", "calendar_feed", feed.id, {"revoked_at": [None, now]})
    return len(feeds)


def calendar(session: Session, token: str, base_url: str | None = None) -> FeedCalendar:
    """The RFC 5545 calendar of the feed with this token: every reporting obligation and every open
    milestone with a due date that its account may see, and every follow-up check still due of a national
    process (a donor's: of the processes linked to projects it funds), as all-day events with a
    description and, when the tracker's public address is known, the URL of the page where each is
    recorded, written in the account's language. 404 for an unknown or revoked token, a feed made before
    its account was deactivated or its password reset by an administrator, or an account no longer
    active."""
    found = repo.feed_owner(session, token_digest(token)) if token else None
    if found is None:
        raise FeedNotFound("No calendar feed has this token (it may have been revoked).")
    user, feed = found
    assert feed.id is not None
    donor = Actor(user.id, user.role, user.state).own_donor_filter(None)  # a donor's: its own State's
    stamp = utcnow()
    w = Words(user.language, states_service.names(session, user.language))
    cal = Calendar()
    cal.add("prodid", "-//OSCE FSC Support Section//SALW-SCA assistance portfolio//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", w(_("Assistance portfolio: reports, milestones and sustainability checks")))
    for o in repo.calendar_obligations(session, donor):
        donor_name = w.state(o.donor, o.donor_name)
        status = label(o.status, ObligationState, w.lang)
        summary = w(
            _("%(project)s: %(report)s due to %(donor)s"),
            project=o.project_code,
            report=w.report(o.kind),
            donor=donor_name,
        )
        event = _event(
            f"obligation-{o.obligation_id}@{UID_DOMAIN}",
            stamp,
            o.due_on,
            summary if o.status == "due" else f"{summary} ({status})",
        )
        event.add(
            "description",
            w(
                _(
                    "Contribution agreement %(reference)s with %(donor)s, project %(project)s (%(title)s). "
                    "Reporting obligation #%(id)s, %(status)s."
                ),
                reference=o.agreement_reference,
                donor=donor_name,
                project=o.project_code,
                title=o.project_title,
                id=o.obligation_id,
                status=word(o.status, ObligationState, w.lang),
            ),
        )
        _add_url(event, base_url, f"/obligations/{o.obligation_id}")
        event.add("categories", [w(_("Reporting obligation"))])
        cal.add_component(event)
    for m in repo.calendar_milestones(session, donor):
        event = _event(
            f"milestone-{m.milestone_id}@{UID_DOMAIN}", stamp, m.due_on, f"{m.project_code}: {m.title}"
        )
        event.add(
            "description", w(_("Milestone of project %(project)s, not yet done."), project=m.project_code)
        )
        _add_url(event, base_url, f"/projects/{m.project_id}")
        event.add("categories", [w(_("Milestone"))])
        cal.add_component(event)
    for f in repo.calendar_follow_ups(session, donor):
        what = w(_("%(months)s-month sustainability check"), months=f.months_after)
        event = _event(
            f"follow-up-{f.check_id}@{UID_DOMAIN}", stamp, f.due_on, f"{f.state} {f.process_name}: {what}"
        )
        event.add(
            "description",
            w(
                _(
                    "Is the national process still running on national resources %(months)s months after "
                    "it became operational? Follow-up check #%(id)s."
                ),
                months=f.months_after,
                id=f.check_id,
            ),
        )
        _add_url(event, base_url, f"/processes/{f.process_id}")
        event.add("categories", [w(_("Sustainability check"))])
        cal.add_component(event)
    stale = feed.last_read_at is None or feed.last_read_at < stamp - READ_NOTED_EVERY
    return FeedCalendar(bytes(cal.to_ical()), feed.id, stale)


def _add_url(event: Event, base_url: str | None, path: str) -> None:
    """The page's address as the event's URL, when the tracker's public address is set."""
    if base_url:
        event.add("url", f"{base_url}{path}")


def _event(uid: str, stamp: datetime, day: date, summary: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    event.add("transp", "TRANSPARENT")
    return event
