"""Every query of the agreements domain. An agreement belongs to a pledge, so the pledge's project and
donor are read beside it, in the same statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Select
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from portfolio.agreements.models import Agreement, Obligation
from portfolio.funding.models import Pledge
from portfolio.pagination import PageParams, paged
from portfolio.users.models import RESPONSIBLE_ROLES, User

Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])


class AgreementRow(NamedTuple):
    agreement: Agreement
    project_id: int
    donor: str


class ObligationRow(NamedTuple):
    obligation: Obligation
    pledge_id: int
    project_id: int
    donor: str


@dataclass(frozen=True)
class ObligationFilters:
    project_id: int | None = None
    donor: str | None = None
    kind: str | None = None
    status: str | None = None  # as read: due, overdue, submitted, accepted
    due_before: date | None = None
    due_after: date | None = None


def _agreement_rows() -> Any:
    return sa_select(Agreement, col(Pledge.project_id), col(Pledge.donor)).join(
        Pledge, col(Pledge.id) == col(Agreement.pledge_id)
    )


def agreement_of_pledge(session: Session, pledge_id: int) -> AgreementRow | None:
    row = session.execute(_agreement_rows().where(col(Agreement.pledge_id) == pledge_id)).first()
    return None if row is None else AgreementRow(*row)


def pledged_on(session: Session, pledge_id: int) -> date | None:
    """When the pledge an agreement is made on was made (None: no such pledge)."""
    return session.exec(select(col(Pledge.pledged_on)).where(col(Pledge.id) == pledge_id)).first()


def agreement_row(session: Session, agreement_id: int) -> AgreementRow | None:
    row = session.execute(_agreement_rows().where(col(Agreement.id) == agreement_id)).first()
    return None if row is None else AgreementRow(*row)


def lock_agreement(session: Session, agreement_id: int) -> Agreement | None:
    return session.exec(select(Agreement).where(Agreement.id == agreement_id).with_for_update()).first()


def project_agreements(session: Session, project_id: int) -> list[Agreement]:
    """The agreements of a project's pledges, oldest first."""
    query = (
        select(Agreement)
        .join(Pledge, col(Pledge.id) == col(Agreement.pledge_id))
        .where(col(Pledge.project_id) == project_id)
        .order_by(col(Agreement.id))
    )
    return list(session.exec(query).all())


def _obligation_rows() -> Any:
    return (
        sa_select(Obligation, col(Agreement.pledge_id), col(Pledge.project_id), col(Pledge.donor))
        .join(Agreement, col(Agreement.id) == col(Obligation.agreement_id))
        .join(Pledge, col(Pledge.id) == col(Agreement.pledge_id))
    )


def filter_obligations(query: Q, filters: ObligationFilters, today: date) -> Q:
    """``query`` (over obligations joined to their agreement and pledge) restricted to what the filters
    select; ``status`` as a person reads it: overdue is a due obligation whose date is before ``today``."""
    if filters.project_id is not None:
        query = query.where(col(Pledge.project_id) == filters.project_id)
    if filters.donor is not None:
        query = query.where(col(Pledge.donor) == filters.donor)
    if filters.kind is not None:
        query = query.where(col(Obligation.kind) == filters.kind)
    if filters.status == "overdue":
        query = query.where(col(Obligation.status) == "due", col(Obligation.due_on) < today)
    elif filters.status == "open":  # still to deliver: due, overdue or not
        query = query.where(col(Obligation.status) == "due")
    elif filters.status == "due":
        query = query.where(col(Obligation.status) == "due", col(Obligation.due_on) >= today)
    elif filters.status is not None:
        query = query.where(col(Obligation.status) == filters.status)
    if filters.due_before is not None:
        query = query.where(col(Obligation.due_on) < filters.due_before)
    if filters.due_after is not None:
        query = query.where(col(Obligation.due_on) > filters.due_after)
    return query


def list_obligations(
    session: Session, filters: ObligationFilters, page: PageParams, today: date
) -> tuple[list[ObligationRow], int]:
    """One page of obligations, soonest due first, and how many match."""
    query = filter_obligations(_obligation_rows(), filters, today)
    rows, total = paged(session, query, page, col(Obligation.due_on), col(Obligation.id))
    return [ObligationRow(*r) for r in rows], total


def obligation_row(session: Session, obligation_id: int) -> ObligationRow | None:
    row = session.execute(_obligation_rows().where(col(Obligation.id) == obligation_id)).first()
    return None if row is None else ObligationRow(*row)


def lock_obligation(session: Session, obligation_id: int) -> Obligation | None:
    return session.exec(select(Obligation).where(Obligation.id == obligation_id).with_for_update()).first()


def agreement_obligations(session: Session, agreement_id: int) -> list[Obligation]:
    """An agreement's obligations, by due date."""
    query = (
        select(Obligation)
        .where(Obligation.agreement_id == agreement_id)
        .order_by(col(Obligation.due_on), col(Obligation.id))
    )
    return list(session.exec(query).all())


def staff_account(session: Session, user_id: int) -> User | None:
    """An active staff or admin account: who may be responsible for an obligation."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in RESPONSIBLE_ROLES:
        return None
    return user


def staff_accounts(session: Session) -> list[User]:
    """The active staff and admin accounts, by name: who may be responsible for an obligation."""
    query = (
        select(User)
        .where(col(User.active).is_(True), col(User.role).in_(RESPONSIBLE_ROLES))
        .order_by(col(User.full_name), col(User.email))
    )
    return list(session.exec(query).all())


def owned_obligations(session: Session, user_id: int) -> list[tuple[Obligation, int]]:
    """The obligations still due whose owner is this account, each with its project's id, locked."""
    query = (
        select(Obligation, col(Pledge.project_id))
        .join(Agreement, col(Agreement.id) == col(Obligation.agreement_id))
        .join(Pledge, col(Pledge.id) == col(Agreement.pledge_id))
        .where(col(Obligation.owner_id) == user_id, col(Obligation.status) == "due")
        .order_by(col(Obligation.id))
        .with_for_update(of=Obligation)
    )
    return [(o, project_id) for o, project_id in session.exec(query).all()]
