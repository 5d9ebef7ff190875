"""Every query of the reminders and calendar feeds: the open obligations with their project and owner, the
staff accounts, the log of reminders sent, the lock that serialises senders, the feeds' tokens."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import func, text
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from portfolio.agreements.models import Agreement, Obligation
from portfolio.funding.models import Pledge
from portfolio.projects.models import Milestone, Project
from portfolio.reminders.models import CalendarFeed, ReminderSent
from portfolio.users.models import User

# The key of the PostgreSQL advisory lock that two senders of reminders cannot both hold.
REMINDER_LOCK_KEY = 0x5245_4D49  # "REMI"
OPEN_STATUS = "due"  # submitted and accepted obligations are reminded no more


class OpenObligation(NamedTuple):
    obligation_id: int
    kind: str
    due_on: date
    project_code: str
    project_title: str
    donor: str
    owner_email: str | None


class CalendarObligation(NamedTuple):
    obligation_id: int
    kind: str
    due_on: date
    status: str
    project_code: str
    donor: str


class CalendarMilestone(NamedTuple):
    milestone_id: int
    title: str
    due_on: date
    project_code: str


def open_obligations(session: Session, due_from: date, due_to: date) -> list[OpenObligation]:
    """Obligations still due (neither submitted nor accepted) due between the two days, inclusive, with
    their project and the e-mail of their owner when the owner's account is active."""
    owner = aliased(User)
    query = (
        sa_select(
            col(Obligation.id),
            col(Obligation.kind),
            col(Obligation.due_on),
            col(Project.code),
            col(Project.title),
            col(Pledge.donor),
            col(owner.email),
        )
        .join(Agreement, col(Agreement.id) == col(Obligation.agreement_id))
        .join(Pledge, col(Pledge.id) == col(Agreement.pledge_id))
        .join(Project, col(Project.id) == col(Pledge.project_id))
        .outerjoin(owner, (col(owner.id) == col(Obligation.owner_id)) & col(owner.active))
        .where(col(Obligation.status) == OPEN_STATUS)
        .where(col(Obligation.due_on) >= due_from, col(Obligation.due_on) <= due_to)
        .order_by(col(Obligation.due_on), col(Obligation.id))
    )
    return [OpenObligation(*row) for row in session.execute(query).all()]


def staff_emails(session: Session) -> list[str]:
    """The e-mails of every active staff account, in order."""
    query = select(User.email).where(col(User.role) == "staff", col(User.active)).order_by(col(User.email))
    return list(session.exec(query).all())


def lock_senders(session: Session) -> None:
    """Take the lock that two senders of reminders cannot both hold, until the transaction ends. On SQLite
    the write transaction (BEGIN IMMEDIATE) is that lock already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REMINDER_LOCK_KEY})


def was_sent(session: Session, obligation_id: int, kind: str, due_on: date, recipient: str) -> bool:
    query = select(func.count()).where(
        col(ReminderSent.obligation_id) == obligation_id,
        col(ReminderSent.kind) == kind,
        col(ReminderSent.due_on) == due_on,
        col(ReminderSent.recipient) == recipient,
    )
    return bool(session.exec(query).one())


def claim(session: Session, obligation_id: int, kind: str, due_on: date, recipient: str) -> ReminderSent:
    sent = ReminderSent(obligation_id=obligation_id, kind=kind, due_on=due_on, recipient=recipient)
    session.add(sent)
    session.flush()
    return sent


def reminders_sent(session: Session) -> list[ReminderSent]:
    return list(session.exec(select(ReminderSent).order_by(col(ReminderSent.id))).all())


# -- calendar feeds ------------------------------------------------------------------------------------


def active_feeds(session: Session, user_id: int) -> list[CalendarFeed]:
    """The account's feeds not yet revoked, locking its row: two requests for a new feed queue, and only
    the last one's token stays valid."""
    session.exec(select(User.id).where(col(User.id) == user_id).with_for_update()).first()
    query = select(CalendarFeed).where(
        col(CalendarFeed.user_id) == user_id, col(CalendarFeed.revoked_at).is_(None)
    )
    return list(session.exec(query.with_for_update()).all())


def add_feed(session: Session, user_id: int, token_hash: str) -> CalendarFeed:
    feed = CalendarFeed(user_id=user_id, token_hash=token_hash)
    session.add(feed)
    session.flush()
    return feed


def revoke(session: Session, feeds: list[CalendarFeed], when: datetime) -> None:
    for feed in feeds:
        feed.revoked_at = when
        session.add(feed)
    session.flush()


def feed_owner(session: Session, token_hash: str) -> User | None:
    """The active account whose unrevoked feed has this token."""
    query = (
        select(User)
        .join(CalendarFeed, col(CalendarFeed.user_id) == col(User.id))
        .where(col(CalendarFeed.token_hash) == token_hash, col(CalendarFeed.revoked_at).is_(None))
        .where(col(User.active))
    )
    return session.exec(query).first()


def calendar_obligations(session: Session, donor: str | None) -> list[CalendarObligation]:
    """Every obligation (a donor's: its own State's only), by due date."""
    query = (
        sa_select(
            col(Obligation.id),
            col(Obligation.kind),
            col(Obligation.due_on),
            col(Obligation.status),
            col(Project.code),
            col(Pledge.donor),
        )
        .join(Agreement, col(Agreement.id) == col(Obligation.agreement_id))
        .join(Pledge, col(Pledge.id) == col(Agreement.pledge_id))
        .join(Project, col(Project.id) == col(Pledge.project_id))
        .order_by(col(Obligation.due_on), col(Obligation.id))
    )
    if donor is not None:
        query = query.where(col(Pledge.donor) == donor)
    return [CalendarObligation(*row) for row in session.execute(query).all()]


def calendar_milestones(session: Session, donor: str | None) -> list[CalendarMilestone]:
    """Every open milestone with a due date (a donor's: of the projects it funds), by due date."""
    query = (
        sa_select(col(Milestone.id), col(Milestone.title), col(Milestone.due_on), col(Project.code))
        .join(Project, col(Project.id) == col(Milestone.project_id))
        .where(col(Milestone.done_on).is_(None), col(Milestone.due_on).is_not(None))
        .order_by(col(Milestone.due_on), col(Milestone.id))
    )
    if donor is not None:
        funded = sa_select(col(Pledge.project_id)).where(col(Pledge.donor) == donor)
        query = query.where(col(Milestone.project_id).in_(funded))
    return [CalendarMilestone(*row) for row in session.execute(query).all()]
