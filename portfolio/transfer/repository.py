"""The queries behind the exports: whole selections in key order, a fixed number of statements each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Row, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from portfolio.funding import repository as funding_repository
from portfolio.funding.models import ExchangeRate, Pledge, Receipt
from portfolio.funding.repository import PledgeFilters
from portfolio.processes import repository as processes_repository
from portfolio.processes.models import NationalProcess, NationalProcessProject
from portfolio.processes.repository import ProcessFilters
from portfolio.projects import repository as projects_repository
from portfolio.projects.models import Indicator, Milestone, Project, ProjectStatusChange
from portfolio.projects.repository import ProjectFilters
from portfolio.states.models import State


def projects(session: Session, filters: ProjectFilters) -> Sequence[Project]:
    ids = projects_repository.filtered_ids(filters).subquery()
    return session.exec(
        select(Project).where(col(Project.id).in_(sa_select(ids.c.id))).order_by(Project.code)
    ).all()


def status_dates(session: Session, filters: ProjectFilters) -> dict[int, date]:
    """When each selected project reached its current status: its latest status change."""
    ids = projects_repository.filtered_ids(filters).subquery()
    found = session.execute(
        sa_select(col(ProjectStatusChange.project_id), func.max(col(ProjectStatusChange.changed_on)))
        .where(col(ProjectStatusChange.project_id).in_(sa_select(ids.c.id)))
        .group_by(col(ProjectStatusChange.project_id))
    ).all()
    return {int(project_id): on for project_id, on in found}


def project_codes(session: Session, ids: Sequence[int]) -> list[str]:
    if not ids:
        return []
    return sorted(session.exec(select(Project.code).where(col(Project.id).in_(list(ids)))).all())


def states(session: Session) -> Sequence[State]:
    return session.exec(select(State).order_by(col(State.code))).all()


Part = TypeVar("Part", Milestone, Indicator)


def parts(session: Session, model: type[Part], filters: ProjectFilters) -> Sequence[Row[Part, str]]:
    """The milestones or indicators of the selected projects, each with its project's code."""
    ids = projects_repository.filtered_ids(filters).subquery()
    return session.execute(
        sa_select(model, col(Project.code))
        .join(Project, col(Project.id) == col(model.project_id))
        .where(col(model.project_id).in_(sa_select(ids.c.id)))
        .order_by(col(Project.code), col(model.id))
    ).all()


def pledges(session: Session, filters: PledgeFilters) -> Sequence[Row[Pledge, str]]:
    query = sa_select(Pledge, col(Project.code)).join(Project, col(Project.id) == col(Pledge.project_id))
    return session.execute(
        funding_repository.filter_pledges(query, filters).order_by(
            col(Project.code), col(Pledge.pledged_on), col(Pledge.id)
        )
    ).all()


def receipts(session: Session, filters: PledgeFilters) -> Sequence[Row[Receipt, Pledge, str]]:
    query = (
        sa_select(Receipt, Pledge, col(Project.code))
        .join(Pledge, col(Pledge.id) == col(Receipt.pledge_id))
        .join(Project, col(Project.id) == col(Pledge.project_id))
    )
    return session.execute(
        funding_repository.filter_pledges(query, filters).order_by(
            col(Project.code),
            col(Pledge.pledged_on),
            col(Pledge.id),
            col(Receipt.received_on),
            col(Receipt.id),
        )
    ).all()


def processes(session: Session, filters: ProcessFilters) -> tuple[Sequence[NationalProcess], dict[int, str]]:
    """The processes, and the code of every project linked to one of them."""
    found, _ = processes_repository.list_processes(session, filters, limit=2**62, offset=0)
    codes: dict[int, str] = {
        pid: code
        for pid, code in session.execute(
            sa_select(col(Project.id), col(Project.code)).where(
                col(Project.id).in_(sa_select(col(NationalProcessProject.project_id)))
            )
        ).all()
        if pid is not None
    }
    return found, codes


def rates(
    session: Session, currency: str | None, month_from: str | None, month_to: str | None
) -> Sequence[Any]:
    query = select(ExchangeRate)
    if currency is not None:
        query = query.where(ExchangeRate.currency == currency)
    if month_from is not None:
        query = query.where(col(ExchangeRate.month) >= month_from)
    if month_to is not None:
        query = query.where(col(ExchangeRate.month) <= month_to)
    return session.exec(query.order_by(col(ExchangeRate.currency), col(ExchangeRate.month))).all()


# -- the importer's look-ups: stored records matched by natural key, in id order ----------------------


def pledges_with_key(
    session: Session, project_id: int, donor: str, pledged_on: date, currency: str, amount: Decimal
) -> Sequence[Pledge]:
    return session.exec(
        select(Pledge)
        .where(
            Pledge.project_id == project_id,
            Pledge.donor == donor,
            Pledge.pledged_on == pledged_on,
            Pledge.currency == currency,
            Pledge.amount == amount,
        )
        .order_by(col(Pledge.id))
    ).all()


def receipts_matching(
    session: Session, pledge_ids: Sequence[int], received_on: date, amount: Decimal
) -> Sequence[Receipt]:
    """The receipts of these pledges received on that day for that amount."""
    return session.exec(
        select(Receipt)
        .where(
            col(Receipt.pledge_id).in_(list(pledge_ids)),
            Receipt.received_on == received_on,
            Receipt.amount == amount,
        )
        .order_by(col(Receipt.id))
    ).all()


def parts_named(
    session: Session, model: type[Part], project_id: int, field: str, name: str
) -> Sequence[Part]:
    """A project's milestones (by title) or indicators (by name) called ``name``."""
    return session.exec(
        select(model)
        .where(model.project_id == project_id, getattr(model, field) == name)
        .order_by(col(model.id))
    ).all()
