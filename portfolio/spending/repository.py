"""Every query of money out: budget lines and their revisions, expenditures, their charges, balances."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from portfolio.funding.models import Pledge, Receipt
from portfolio.pagination import PageParams, paged
from portfolio.projects.models import Project
from portfolio.spending.models import BudgetLine, BudgetRevision, Charge, Expenditure

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ProjectMoney:
    """What money out needs to know of a project."""

    id: int
    code: str
    status: str
    budget_eur: Decimal | None
    start_date: date | None
    end_date: date | None


def project_money(session: Session, project_id: int, *, for_update: bool = False) -> ProjectMoney | None:
    """The project, its row locked when asked (PostgreSQL; SQLite's writers are serialised at BEGIN): the
    lock every write of its budget lines and expenditures takes first, so that two of them never read the
    same money left on a pledge."""
    query = sa_select(
        col(Project.id),
        col(Project.code),
        col(Project.status),
        col(Project.budget_eur),
        col(Project.start_date),
        col(Project.end_date),
    ).where(col(Project.id) == project_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).first()
    return None if row is None else ProjectMoney(*row)


def project_funded_by(session: Session, project_id: int, donor: str) -> bool:
    """Whether ``donor`` made a pledge (withdrawn or not) to the project."""
    query = select(Pledge.id).where(Pledge.project_id == project_id, Pledge.donor == donor).limit(1)
    return session.exec(query).first() is not None


# -- budget lines ---------------------------------------------------------------------------------


def list_lines(session: Session, project_id: int) -> list[BudgetLine]:
    query = select(BudgetLine).where(BudgetLine.project_id == project_id)
    return list(
        session.exec(
            query.order_by(col(BudgetLine.year).nulls_first(), col(BudgetLine.category), col(BudgetLine.id))
        )
    )


def get_line(session: Session, line_id: int) -> BudgetLine | None:
    return session.get(BudgetLine, line_id)


def allocated(session: Session, project_id: int) -> Decimal:
    total = session.exec(
        select(func.sum(BudgetLine.amount_eur)).where(BudgetLine.project_id == project_id)
    ).one()
    return total or ZERO


def spent_by_line(session: Session, project_id: int) -> dict[int | None, Decimal]:
    """line id (None: booked on no line) → euros spent, reversals deducted."""
    query = (
        select(Expenditure.line_id, func.sum(Expenditure.amount_eur))
        .where(Expenditure.project_id == project_id)
        .group_by(col(Expenditure.line_id))
    )
    return {line_id: total or ZERO for line_id, total in session.exec(query)}


def list_revisions(session: Session, line_id: int) -> list[BudgetRevision]:
    query = select(BudgetRevision).where(BudgetRevision.line_id == line_id)
    return list(session.exec(query.order_by(col(BudgetRevision.revised_on), col(BudgetRevision.id))))


def count_line_expenditures(session: Session, line_id: int) -> int:
    return session.exec(select(func.count()).where(Expenditure.line_id == line_id)).one()


# -- expenditures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpenditureFilters:
    project_id: int | None = None
    line_id: int | None = None
    spent_from: date | None = None
    spent_to: date | None = None
    donor: str | None = None  # the projects a pledge from this State funds


def _filtered(filters: ExpenditureFilters) -> SelectOfScalar[Expenditure]:
    query = select(Expenditure)
    if filters.project_id is not None:
        query = query.where(Expenditure.project_id == filters.project_id)
    if filters.line_id is not None:
        query = query.where(Expenditure.line_id == filters.line_id)
    if filters.spent_from is not None:
        query = query.where(Expenditure.spent_on >= filters.spent_from)
    if filters.spent_to is not None:
        query = query.where(Expenditure.spent_on <= filters.spent_to)
    if filters.donor is not None:
        funded = select(Pledge.project_id).where(Pledge.donor == filters.donor)
        query = query.where(col(Expenditure.project_id).in_(funded))
    return query


def list_expenditures(
    session: Session, filters: ExpenditureFilters, page: PageParams
) -> tuple[list[Expenditure], int]:
    return paged(
        session, _filtered(filters), page, col(Expenditure.spent_on).desc(), col(Expenditure.id).desc()
    )


def count_expenditures(session: Session, project_id: int) -> int:
    return session.exec(select(func.count()).where(Expenditure.project_id == project_id)).one()


def get_expenditure(session: Session, expenditure_id: int) -> Expenditure | None:
    return session.get(Expenditure, expenditure_id)


def reference_owner(session: Session, reference: str) -> int | None:
    return session.exec(select(Expenditure.id).where(Expenditure.reference == reference)).first()


def references_in_use(session: Session, references: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(references), 500):
        chunk = references[start : start + 500]
        found.update(
            r
            for r in session.exec(select(Expenditure.reference).where(col(Expenditure.reference).in_(chunk)))
            if r
        )
    return found


def reversed_by(session: Session, ids: list[int]) -> dict[int, int]:
    """expenditure id → the id of the entry reversing it, for those of ``ids`` that were reversed."""
    if not ids:
        return {}
    query = select(Expenditure.reverses_id, Expenditure.id).where(col(Expenditure.reverses_id).in_(ids))
    return {reversed_id: own for reversed_id, own in session.exec(query) if reversed_id is not None and own}


@dataclass(frozen=True)
class ChargeRow:
    expenditure_id: int
    pledge_id: int
    donor: str
    amount_eur: Decimal


def charges_of(session: Session, ids: list[int]) -> dict[int, list[ChargeRow]]:
    """expenditure id → its charges with the donor of each pledge."""
    result: dict[int, list[ChargeRow]] = defaultdict(list)
    if not ids:
        return result
    query = (
        sa_select(
            col(Charge.expenditure_id), col(Charge.pledge_id), col(Pledge.donor), col(Charge.amount_eur)
        )
        .join(Pledge, col(Pledge.id) == col(Charge.pledge_id))
        .where(col(Charge.expenditure_id).in_(ids))
        .order_by(col(Charge.expenditure_id), col(Charge.pledge_id))
    )
    for row in session.execute(query):
        result[row[0]].append(ChargeRow(*row))
    return result


def delete_charges(session: Session, expenditure_id: int) -> None:
    for charge in session.exec(select(Charge).where(Charge.expenditure_id == expenditure_id)):
        session.delete(charge)
    session.flush()


# -- balances -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PledgeMoney:
    pledge_id: int
    donor: str
    received_eur: Decimal
    spent_eur: Decimal

    @property
    def balance_eur(self) -> Decimal:
        return self.received_eur - self.spent_eur


def pledge_money(session: Session, project_id: int) -> list[PledgeMoney]:
    """Each pledge of the project that brought money in or was charged: received, charged, in euros."""
    received = (
        select(Receipt.pledge_id, func.sum(Receipt.amount_eur).label("received"))
        .join(Pledge, col(Pledge.id) == col(Receipt.pledge_id))
        .where(Pledge.project_id == project_id)
        .group_by(col(Receipt.pledge_id))
        .subquery()
    )
    charged = (
        select(Charge.pledge_id, func.sum(Charge.amount_eur).label("charged"))
        .join(Pledge, col(Pledge.id) == col(Charge.pledge_id))
        .where(Pledge.project_id == project_id)
        .group_by(col(Charge.pledge_id))
        .subquery()
    )
    query = (
        sa_select(col(Pledge.id), col(Pledge.donor), received.c.received, charged.c.charged)
        .outerjoin(received, received.c.pledge_id == col(Pledge.id))
        .outerjoin(charged, charged.c.pledge_id == col(Pledge.id))
        .where(col(Pledge.project_id) == project_id)
        .where((received.c.received.is_not(None)) | (charged.c.charged.is_not(None)))
        .order_by(col(Pledge.pledged_on), col(Pledge.id))
    )
    rows = session.execute(query)
    return [PledgeMoney(pid, donor, got or ZERO, spent or ZERO) for pid, donor, got, spent in rows]


@dataclass(frozen=True)
class ProjectSpending:
    spent_eur: Decimal
    recent_eur: Decimal  # spent since the day asked for
    by_year: dict[int, Decimal]


def project_spending(session: Session, project_id: int, since: date) -> ProjectSpending:
    """The project's spending by calendar year, with what of it was spent since ``since``: one statement."""
    year = func.extract("year", col(Expenditure.spent_on))
    recent = case((col(Expenditure.spent_on) >= since, col(Expenditure.amount_eur)), else_=ZERO)
    rows = session.execute(
        sa_select(year, func.sum(Expenditure.amount_eur), func.sum(recent))
        .where(col(Expenditure.project_id) == project_id)
        .group_by(year)
        .order_by(year)
    ).all()
    by_year = {int(y): total or ZERO for y, total, _recent in rows}
    lately = sum((Decimal(r or 0) for _y, _t, r in rows), ZERO)
    return ProjectSpending(sum(by_year.values(), ZERO), lately, by_year)


# -- the IATI file: a fixed number of statements for the whole selection --------------------------


def lines_of_projects(session: Session, ids: Select[Any]) -> Sequence[BudgetLine]:
    """The budget lines of the projects ``ids`` selects."""
    query = select(BudgetLine).where(col(BudgetLine.project_id).in_(ids))
    return session.exec(query.order_by(col(BudgetLine.project_id), col(BudgetLine.id))).all()


def expenditures_of_projects(session: Session, ids: Select[Any], donor: str | None) -> Sequence[Expenditure]:
    """The expenditures of the projects ``ids`` selects (of those ``donor`` funds, when given), by day."""
    query = select(Expenditure).where(col(Expenditure.project_id).in_(ids))
    if donor is not None:
        query = query.where(
            col(Expenditure.project_id).in_(select(Pledge.project_id).where(Pledge.donor == donor))
        )
    return session.exec(query.order_by(col(Expenditure.spent_on), col(Expenditure.id))).all()


# -- many expenditures at once (an import): a fixed number of statements per 500 records -------------

IN_CHUNK = 500


def lock_projects(session: Session, project_ids: list[int]) -> None:
    """Lock the rows of these projects, in id order (PostgreSQL; SQLite's writers are serialised at
    BEGIN): the lock :func:`project_money` takes for one expenditure, taken once for many."""
    ids = sorted(set(project_ids))
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        query = sa_select(col(Project.id)).where(col(Project.id).in_(chunk)).order_by(col(Project.id))
        session.execute(query.with_for_update()).all()


def line_projects(session: Session, line_ids: list[int]) -> dict[int, int]:
    """line id → its project's id, for those of ``line_ids`` that exist."""
    ids = sorted(set(line_ids))
    found: dict[int, int] = {}
    for start in range(0, len(ids), IN_CHUNK):
        query = select(BudgetLine.id, BudgetLine.project_id).where(
            col(BudgetLine.id).in_(ids[start : start + IN_CHUNK])
        )
        found.update((line_id, project_id) for line_id, project_id in session.exec(query) if line_id)
    return found


def reference_owners(session: Session, references: list[str]) -> dict[str, int]:
    """reference → the id of the expenditure recorded with it, for those of ``references`` recorded."""
    wanted = sorted(set(references))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        query = select(Expenditure.reference, Expenditure.id).where(
            col(Expenditure.reference).in_(wanted[start : start + IN_CHUNK])
        )
        found.update((reference, own) for reference, own in session.exec(query) if reference and own)
    return found


def pledge_money_of(session: Session, project_ids: list[int]) -> dict[int, list[PledgeMoney]]:
    """:func:`pledge_money` of many projects: project id → its pledges' money, in the same order."""
    ids = sorted(set(project_ids))
    result: dict[int, list[PledgeMoney]] = defaultdict(list)
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        received = (
            select(Receipt.pledge_id, func.sum(Receipt.amount_eur).label("received"))
            .join(Pledge, col(Pledge.id) == col(Receipt.pledge_id))
            .where(col(Pledge.project_id).in_(chunk))
            .group_by(col(Receipt.pledge_id))
            .subquery()
        )
        charged = (
            select(Charge.pledge_id, func.sum(Charge.amount_eur).label("charged"))
            .join(Pledge, col(Pledge.id) == col(Charge.pledge_id))
            .where(col(Pledge.project_id).in_(chunk))
            .group_by(col(Charge.pledge_id))
            .subquery()
        )
        query = (
            sa_select(
                col(Pledge.project_id),
                col(Pledge.id),
                col(Pledge.donor),
                received.c.received,
                charged.c.charged,
            )
            .outerjoin(received, received.c.pledge_id == col(Pledge.id))
            .outerjoin(charged, charged.c.pledge_id == col(Pledge.id))
            .where(col(Pledge.project_id).in_(chunk))
            .where((received.c.received.is_not(None)) | (charged.c.charged.is_not(None)))
            .order_by(col(Pledge.project_id), col(Pledge.pledged_on), col(Pledge.id))
        )
        for project_id, pid, donor, got, spent in session.execute(query):
            result[project_id].append(PledgeMoney(pid, donor, got or ZERO, spent or ZERO))
    return dict(result)
