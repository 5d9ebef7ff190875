"""Every query of the reminders and calendar feeds: the open obligations with their project and owner, the
open follow-up checks of national processes with their process and owner, the staff accounts, the log of
reminders sent, the lock that serialises senders, the feeds' tokens."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, func, or_, text
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from portfolio.agreements.models import Agreement, Obligation
from portfolio.funding.models import Pledge
from portfolio.processes.models import FollowUpCheck, NationalProcess, NationalProcessProject
from portfolio.projects.models import Milestone, Project
from portfolio.reminders.models import CalendarFeed, ReminderSent
from portfolio.states.models import State
from portfolio.users.models import RESPONSIBLE_ROLES, User

# The key of the PostgreSQL advisory lock that two senders of reminders cannot both hold.
REMINDER_LOCK_KEY = 0x5245_4D49  # "REMI"
OPEN_STATUS = "due"  # submitted and accepted obligations are reminded no more


OBLIGATION = "obligation"
FOLLOW_UP = "follow_up"


class OpenObligation(NamedTuple):
    obligation_id: int
    kind: str
    due_on: date
    project_id: int
    project_code: str
    project_title: str
    donor: str
    donor_name: str
    owner_email: str | None
    agreement_reference: str
    owner_language: str | None


class OpenFollowUp(NamedTuple):
    check_id: int
    months_after: int
    operational_on: date
    due_on: date
    process_id: int
    process_name: str
    state: str
    state_name: str
    owner_email: str | None
    owner_language: str | None


class CalendarFollowUp(NamedTuple):
    check_id: int
    months_after: int
    due_on: date
    process_id: int
    process_name: str
    state: str


class CalendarObligation(NamedTuple):
    obligation_id: int
    kind: str
    due_on: date
    status: str
    project_id: int
    project_code: str
    project_title: str
    donor: str
    agreement_reference: str
    donor_name: str


class CalendarMilestone(NamedTuple):
    milestone_id: int
    title: str
    due_on: date
    project_id: int
    project_code: str


def _may_be_reminded(owner: Any) -> Any:
    """An owner is reminded while its account is active and of a role that may be responsible (an account
    made a donor's or a manager's since is not: the report falls back to all staff)."""
    return col(owner.active) & col(owner.role).in_(RESPONSIBLE_ROLES)


def open_obligations(session: Session, due_from: date, due_to: date) -> list[OpenObligation]:
    """Obligations still due (neither submitted nor accepted) due between the two days, inclusive, with
    their project and the e-mail of their owner when it may be reminded."""
    owner = aliased(User)
    query = (
        sa_select(
            col(Obligation.id),
            col(Obligation.kind),
            col(Obligation.due_on),
            col(Project.id),
            col(Project.code),
            col(Project.title),
            col(Pledge.donor),
            col(State.name),
            col(owner.email),
            col(Agreement.reference),
            col(owner.language),
        )
        .join(Agreement, col(Agreement.id) == col(Obligation.agreement_id))
        .join(Pledge, col(Pledge.id) == col(Agreement.pledge_id))
        .join(Project, col(Project.id) == col(Pledge.project_id))
        .join(State, col(State.code) == col(Pledge.donor))
        .outerjoin(owner, (col(owner.id) == col(Obligation.owner_id)) & _may_be_reminded(owner))
        .where(col(Obligation.status) == OPEN_STATUS)
        .where(col(Obligation.due_on) >= due_from, col(Obligation.due_on) <= due_to)
        .order_by(col(Obligation.due_on), col(Obligation.id))
    )
    return [OpenObligation(*row) for row in session.execute(query).all()]


def open_follow_ups(session: Session, due_from: date, due_to: date) -> list[OpenFollowUp]:
    """Follow-up checks of national processes still due between the two days, inclusive, with their
    process, its State's name and the e-mail of their owner when it may be reminded."""
    owner = aliased(User)
    query = (
        sa_select(
            col(FollowUpCheck.id),
            col(FollowUpCheck.months_after),
            col(FollowUpCheck.operational_on),
            col(FollowUpCheck.due_on),
            col(NationalProcess.id),
            col(NationalProcess.name),
            col(NationalProcess.state),
            col(State.name),
            col(owner.email),
            col(owner.language),
        )
        .join(NationalProcess, col(NationalProcess.id) == col(FollowUpCheck.process_id))
        .join(State, col(State.code) == col(NationalProcess.state))
        .outerjoin(owner, (col(owner.id) == col(FollowUpCheck.owner_id)) & _may_be_reminded(owner))
        .where(col(FollowUpCheck.status) == OPEN_STATUS)
        .where(col(FollowUpCheck.due_on) >= due_from, col(FollowUpCheck.due_on) <= due_to)
        .order_by(col(FollowUpCheck.due_on), col(FollowUpCheck.id))
    )
    return [OpenFollowUp(*row) for row in session.execute(query).all()]


def staff_recipients(session: Session) -> list[tuple[str, str]]:
    """The e-mail and the language of every active staff account, in order of the e-mails."""
    query = (
        select(User.email, User.language)
        .where(col(User.role) == "staff", col(User.active))
        .order_by(col(User.email))
    )
    return [(email, language) for email, language in session.exec(query).all()]


def lock_senders(session: Session) -> None:
    """Take the lock that two senders of reminders cannot both hold, until the transaction ends. On SQLite
    the write transaction (BEGIN IMMEDIATE) is that lock already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REMINDER_LOCK_KEY})


def _subject_column(subject: str) -> Any:
    return col(ReminderSent.follow_up_id) if subject == FOLLOW_UP else col(ReminderSent.obligation_id)


def was_sent(
    session: Session, subject: str, subject_id: int, kind: str, due_on: date, recipient: str
) -> bool:
    """Whether this reminder of an obligation or a follow-up check (``subject``) went already."""
    query = select(func.count()).where(
        _subject_column(subject) == subject_id,
        col(ReminderSent.kind) == kind,
        col(ReminderSent.due_on) == due_on,
        col(ReminderSent.recipient) == recipient,
    )
    return bool(session.exec(query).one())


def claim(
    session: Session, subject: str, subject_id: int, kind: str, due_on: date, recipient: str
) -> ReminderSent:
    sent = ReminderSent(
        obligation_id=None if subject == FOLLOW_UP else subject_id,
        follow_up_id=subject_id if subject == FOLLOW_UP else None,
        kind=kind,
        due_on=due_on,
        recipient=recipient,
    )
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


def _working() -> Any:
    """A feed works while it is not revoked and was made after its account last ended its feeds."""
    return and_(
        col(CalendarFeed.revoked_at).is_(None),
        or_(col(User.feeds_valid_from).is_(None), col(CalendarFeed.created_at) > col(User.feeds_valid_from)),
    )


def working_feed(session: Session, user_id: int) -> CalendarFeed | None:
    """The account's calendar feed that works, if any (without locking anything)."""
    query = (
        select(CalendarFeed)
        .join(User, col(CalendarFeed.user_id) == col(User.id))
        .where(col(CalendarFeed.user_id) == user_id, _working())
        .order_by(col(CalendarFeed.id).desc())
    )
    return session.exec(query).first()


def feed_owner(session: Session, token_hash: str) -> tuple[User, CalendarFeed] | None:
    """The active account whose working feed has this token, and the feed."""
    query = (
        select(User, CalendarFeed)
        .join(CalendarFeed, col(CalendarFeed.user_id) == col(User.id))
        .where(col(CalendarFeed.token_hash) == token_hash, _working())
        .where(col(User.active))
    )
    found = session.exec(query).first()
    return (found[0], found[1]) if found is not None else None


def mark_read(session: Session, feed_id: int, now: datetime, earlier_than: datetime) -> None:
    """Note that a calendar read the feed now, unless that was already noted since ``earlier_than``."""
    session.execute(
        sa_update(CalendarFeed)
        .where(col(CalendarFeed.id) == feed_id)
        .where(or_(col(CalendarFeed.last_read_at).is_(None), col(CalendarFeed.last_read_at) < earlier_than))
        .values(last_read_at=now)
    )


def calendar_obligations(session: Session, donor: str | None) -> list[CalendarObligation]:
    """Every obligation (a donor's: its own State's only), by due date."""
    query = (
        sa_select(
            col(Obligation.id),
            col(Obligation.kind),
            col(Obligation.due_on),
            col(Obligation.status),
            col(Project.id),
            col(Project.code),
            col(Project.title),
            col(Pledge.donor),
            col(Agreement.reference),
            col(State.name),
        )
        .join(Agreement, col(Agreement.id) == col(Obligation.agreement_id))
        .join(Pledge, col(Pledge.id) == col(Agreement.pledge_id))
        .join(Project, col(Project.id) == col(Pledge.project_id))
        .join(State, col(State.code) == col(Pledge.donor))
        .order_by(col(Obligation.due_on), col(Obligation.id))
    )
    if donor is not None:
        query = query.where(col(Pledge.donor) == donor)
    return [CalendarObligation(*row) for row in session.execute(query).all()]


def calendar_milestones(session: Session, donor: str | None) -> list[CalendarMilestone]:
    """Every open milestone with a due date (a donor's: of the projects it funds), by due date."""
    query = (
        sa_select(
            col(Milestone.id), col(Milestone.title), col(Milestone.due_on), col(Project.id), col(Project.code)
        )
        .join(Project, col(Project.id) == col(Milestone.project_id))
        .where(col(Milestone.done_on).is_(None), col(Milestone.due_on).is_not(None))
        .order_by(col(Milestone.due_on), col(Milestone.id))
    )
    if donor is not None:
        funded = sa_select(col(Pledge.project_id)).where(col(Pledge.donor) == donor)
        query = query.where(col(Milestone.project_id).in_(funded))
    return [CalendarMilestone(*row) for row in session.execute(query).all()]


def calendar_follow_ups(session: Session, donor: str | None) -> list[CalendarFollowUp]:
    """Every follow-up check of a national process still due, by due date (a donor's: of the processes
    linked to projects it funds, as its milestones are)."""
    query = (
        sa_select(
            col(FollowUpCheck.id),
            col(FollowUpCheck.months_after),
            col(FollowUpCheck.due_on),
            col(NationalProcess.id),
            col(NationalProcess.name),
            col(NationalProcess.state),
        )
        .join(NationalProcess, col(NationalProcess.id) == col(FollowUpCheck.process_id))
        .where(col(FollowUpCheck.status) == OPEN_STATUS)
        .order_by(col(FollowUpCheck.due_on), col(FollowUpCheck.id))
    )
    if donor is not None:
        funded = sa_select(col(Pledge.project_id)).where(col(Pledge.donor) == donor)
        linked = sa_select(col(NationalProcessProject.process_id)).where(
            col(NationalProcessProject.project_id).in_(funded)
        )
        query = query.where(col(FollowUpCheck.process_id).in_(linked))
    return [CalendarFollowUp(*row) for row in session.execute(query).all()]
