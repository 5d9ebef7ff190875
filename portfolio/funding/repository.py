"""Every query of the funding domain: pledges, receipts, exchange rates and their totals."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import BindParameter, Select, Subquery, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from portfolio.funding.models import ExchangeRate, Instalment, Pledge, Receipt
from portfolio.pagination import PageParams, paged

ZERO = Decimal("0.00")
Q = TypeVar("Q", Select[*tuple[Any, ...]], SelectOfScalar[Any])

# -- totals used by other domains (project lists, dashboards) ------------------------------------

# What "pledged" counts: every pledge that is not withdrawn, in euros (``amount_eur``).
COUNTS_AS_PLEDGED = col(Pledge.status) != "withdrawn"


def pledged_by_project(
    project_id: int | BindParameter[int] | None = None, among: Select[Any] | None = None
) -> Subquery:
    """project_id → euros pledged (``pledged_eur``), of one project if given (SQLite would otherwise sum
    the whole table before picking one project out), or of the projects whose ids ``among`` selects."""
    query = select(Pledge.project_id, func.sum(Pledge.amount_eur).label("pledged_eur")).where(
        COUNTS_AS_PLEDGED
    )
    if project_id is not None:
        query = query.where(Pledge.project_id == project_id)
    if among is not None:
        query = query.where(col(Pledge.project_id).in_(among))
    return query.group_by(col(Pledge.project_id)).subquery("pledged")


def received_by_project(
    project_id: int | BindParameter[int] | None = None, among: Select[Any] | None = None
) -> Subquery:
    """project_id → euros received (``received_eur``), of one project if given, or of the projects whose
    ids ``among`` selects."""
    query = select(Pledge.project_id, func.sum(Receipt.amount_eur).label("received_eur")).join(
        Receipt, col(Receipt.pledge_id) == col(Pledge.id)
    )
    if project_id is not None:
        query = query.where(Pledge.project_id == project_id)
    if among is not None:
        query = query.where(col(Pledge.project_id).in_(among))
    return query.group_by(col(Pledge.project_id)).subquery("received")


def project_ids_with_donor(donor: str, *, pledged_only: bool = False) -> SelectOfScalar[int]:
    """The projects with a pledge from ``donor`` (only those that count as pledged, if asked)."""
    query = select(Pledge.project_id).where(Pledge.donor == donor)
    return query.where(COUNTS_AS_PLEDGED) if pledged_only else query


def count_pledges_for_project(session: Session, project_id: int) -> int:
    return session.exec(select(func.count()).where(Pledge.project_id == project_id)).one()


# -- pledges ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PledgeRow:
    pledge: Pledge
    received: Decimal
    received_eur: Decimal


@dataclass(frozen=True)
class PledgeFilters:
    donor: str | None = None
    project_id: int | None = None
    status: str | None = None
    currency: str | None = None
    year: int | None = None


def _received_by_pledge() -> Subquery:
    return (
        select(
            Receipt.pledge_id,
            func.sum(Receipt.amount).label("received"),
            func.sum(Receipt.amount_eur).label("received_eur"),
        )
        .group_by(col(Receipt.pledge_id))
        .subquery("pledge_received")
    )


def _pledge_query(filters: PledgeFilters) -> Select[tuple[Pledge, Decimal | None, Decimal | None]]:
    received = _received_by_pledge()
    query = sa_select(Pledge, received.c.received, received.c.received_eur).outerjoin(
        received, received.c.pledge_id == col(Pledge.id)
    )
    return filter_pledges(query, filters)


def filter_pledges(query: Q, filters: PledgeFilters) -> Q:
    """``query`` (over the pledge table) restricted to the pledges the filters select."""
    if filters.donor is not None:
        query = query.where(col(Pledge.donor) == filters.donor)
    if filters.project_id is not None:
        query = query.where(col(Pledge.project_id) == filters.project_id)
    if filters.status is not None:
        query = query.where(col(Pledge.status) == filters.status)
    if filters.currency is not None:
        query = query.where(col(Pledge.currency) == filters.currency)
    if filters.year is not None:
        query = query.where(
            col(Pledge.pledged_on) >= date(filters.year, 1, 1),
            col(Pledge.pledged_on) <= date(filters.year, 12, 31),
        )
    return query


def _row(pledge: Pledge, received: Decimal | None, received_eur: Decimal | None) -> PledgeRow:
    return PledgeRow(pledge, received if received is not None else ZERO, received_eur or ZERO)


def list_pledges(
    session: Session, filters: PledgeFilters, limit: int, offset: int
) -> tuple[list[PledgeRow], int]:
    query = _pledge_query(filters)
    rows, total = paged(
        session, query, PageParams(limit, offset), col(Pledge.pledged_on).desc(), col(Pledge.id).desc()
    )
    return [_row(*r) for r in rows], total


def get_pledge_row(session: Session, pledge_id: int) -> PledgeRow | None:
    found = session.execute(_pledge_query(PledgeFilters()).where(col(Pledge.id) == pledge_id)).first()
    return _row(*found) if found else None


def get_pledge(session: Session, pledge_id: int, *, for_update: bool = False) -> Pledge | None:
    query = select(Pledge).where(Pledge.id == pledge_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def received_on_pledge(session: Session, pledge_id: int) -> Decimal:
    total = session.exec(select(func.sum(Receipt.amount)).where(Receipt.pledge_id == pledge_id)).one()
    return total if total is not None else ZERO


def first_received_on(session: Session, pledge_id: int) -> date | None:
    """The day of the pledge's earliest receipt, if it has any."""
    return session.exec(select(func.min(Receipt.received_on)).where(Receipt.pledge_id == pledge_id)).one()


def first_pledged_on(session: Session, project_id: int) -> date | None:
    """The day of the project's earliest pledge (withdrawn ones too), if it has any."""
    return session.exec(select(func.min(Pledge.pledged_on)).where(Pledge.project_id == project_id)).one()


def count_receipts(session: Session, pledge_id: int) -> int:
    return session.exec(select(func.count()).where(Receipt.pledge_id == pledge_id)).one()


def list_receipts(session: Session, pledge_id: int) -> list[Receipt]:
    return list(
        session.exec(
            select(Receipt)
            .where(Receipt.pledge_id == pledge_id)
            .order_by(col(Receipt.received_on), col(Receipt.id))
        )
    )


# -- exchange rates ---------------------------------------------------------------------------


def get_rate(session: Session, currency: str, month: str) -> ExchangeRate | None:
    return session.exec(
        select(ExchangeRate).where(ExchangeRate.currency == currency, ExchangeRate.month == month)
    ).first()


def rate_value(session: Session, currency: str, month: str) -> Decimal | None:
    """Euros per unit of ``currency`` recorded for ``month``, if any."""
    found = get_rate(session, currency, month)
    return found.eur_per_unit if found is not None else None


def list_rates(
    session: Session,
    currency: str | None,
    month_from: str | None,
    month_to: str | None,
    limit: int,
    offset: int,
) -> tuple[list[ExchangeRate], int]:
    query = select(ExchangeRate)
    if currency is not None:
        query = query.where(ExchangeRate.currency == currency)
    if month_from is not None:
        query = query.where(col(ExchangeRate.month) >= month_from)
    if month_to is not None:
        query = query.where(col(ExchangeRate.month) <= month_to)
    return paged(
        session, query, PageParams(limit, offset), col(ExchangeRate.currency), col(ExchangeRate.month).desc()
    )


def all_rates(session: Session) -> dict[tuple[str, str], Decimal]:
    """Every recorded rate: euros per unit by (currency, month)."""
    return {(r.currency, r.month): r.eur_per_unit for r in session.exec(select(ExchangeRate))}


PledgeKey = tuple[int, str, date, str, Decimal]


def pledge_key_counts(session: Session, project_ids: list[int], chunk: int = 500) -> dict[PledgeKey, int]:
    """How many stored pledges of these projects share each natural key
    (project, donor, pledged_on, currency, amount)."""
    columns = (
        col(Pledge.project_id),
        col(Pledge.donor),
        col(Pledge.pledged_on),
        col(Pledge.currency),
        col(Pledge.amount),
    )
    counts: dict[PledgeKey, int] = {}
    for start in range(0, len(project_ids), chunk):
        found = session.execute(
            sa_select(*columns, func.count())
            .where(col(Pledge.project_id).in_(project_ids[start : start + chunk]))
            .group_by(*columns)
        )
        for project_id, donor, pledged_on, currency, amount, count in found:
            counts[project_id, donor, pledged_on, currency, amount] = count
    return counts


# -- one project's funding, and pledges awaiting money, for the staff pages ---------------------------


def project_pledge_rows(session: Session, project_id: int, donor: str | None = None) -> list[PledgeRow]:
    """Every pledge of one project (of one donor State only, when given) with its receipts' totals, in
    one statement, by pledge date: the project page's funding lines, whatever their number."""
    query = filter_pledges(_pledge_query(PledgeFilters()), PledgeFilters(donor=donor, project_id=project_id))
    found = session.execute(query.order_by(col(Pledge.pledged_on), col(Pledge.id)))
    return [_row(*r) for r in found]


def project_receipts(
    session: Session, project_id: int, donor: str | None = None
) -> list[tuple[Receipt, Pledge]]:
    """Every receipt against one project's pledges (of one donor State only, when given), each with its
    pledge, in one statement, by date."""
    query = (
        select(Receipt, Pledge)
        .join(Pledge, col(Pledge.id) == col(Receipt.pledge_id))
        .where(col(Pledge.project_id) == project_id)
    )
    if donor is not None:
        query = query.where(col(Pledge.donor) == donor)
    found = session.exec(query.order_by(col(Receipt.received_on), col(Receipt.id)))
    return [(r, p) for r, p in found]


def awaiting_money(session: Session, limit: int) -> tuple[list[PledgeRow], int]:
    """Committed pledges of which not everything has arrived, the largest euro amount first, and how
    many there are: the money the secretariat is waiting for."""
    received = _received_by_pledge()
    query = (
        sa_select(Pledge, received.c.received, received.c.received_eur)
        .outerjoin(received, received.c.pledge_id == col(Pledge.id))
        .where(
            col(Pledge.status) == "committed",
            func.coalesce(received.c.received, 0) < col(Pledge.amount),
        )
    )
    rows, total = paged(session, query, PageParams(limit, 0), col(Pledge.amount_eur).desc(), col(Pledge.id))
    return [_row(*r) for r in rows], total


# -- reads for the staff pages (pledge and rate forms) ------------------------------------------


def currencies_in_use(session: Session) -> list[str]:
    """Every currency other than the euro that a pledge is made in or that has a recorded rate, A→Z:
    the currencies whose monthly rates the rates form asks for."""
    pledged = select(Pledge.currency).where(col(Pledge.currency) != "EUR").distinct()
    rated = select(ExchangeRate.currency).distinct()
    return sorted(set(session.exec(pledged)) | set(session.exec(rated)))


def rate_months(session: Session, limit: int, offset: int) -> tuple[list[str], int]:
    """One page of the months that have at least one recorded rate, newest first, and how many there are."""
    months = select(ExchangeRate.month).distinct().subquery("months")
    total = session.exec(select(func.count()).select_from(months)).one()
    page = session.exec(
        select(months.c.month).order_by(months.c.month.desc()).limit(limit).offset(offset)
    ).all()
    return [str(m) for m in page], total


def rates_in_months(session: Session, months: list[str]) -> list[ExchangeRate]:
    """Every rate recorded for these months (one query, whatever their number)."""
    if not months:
        return []
    return list(session.exec(select(ExchangeRate).where(col(ExchangeRate.month).in_(months))))


def largest_pledge_eur(session: Session, except_id: int | None = None) -> Decimal | None:
    """The largest pledge in euros but ``except_id``; None when there is no other."""
    query = sa_select(func.max(col(Pledge.amount_eur)))
    if except_id is not None:
        query = query.where(col(Pledge.id) != except_id)
    value = session.execute(query).scalar_one()
    return None if value is None else Decimal(str(value))


# -- instalments ------------------------------------------------------------------------------


def list_instalments(session: Session, pledge_id: int) -> list[Instalment]:
    query = select(Instalment).where(Instalment.pledge_id == pledge_id)
    return list(session.exec(query.order_by(col(Instalment.due_on), col(Instalment.id))))


def replace_instalments(session: Session, pledge_id: int, rows: list[Instalment]) -> None:
    for old in session.exec(select(Instalment).where(Instalment.pledge_id == pledge_id)):
        session.delete(old)
    session.flush()
    session.add_all(rows)
    session.flush()


def pledges_with_instalments_due(
    session: Session, before: date, donor: str | None
) -> list[tuple[Pledge, list[Instalment], Decimal]]:
    """The pledges not withdrawn with an instalment due before ``before`` (of one donor, when given): each
    with all its instalments and what it received, in the pledge's currency."""
    due = select(Instalment.pledge_id).where(Instalment.due_on < before)
    query = select(Pledge).where(col(Pledge.id).in_(due), col(Pledge.status) != "withdrawn")
    if donor is not None:
        query = query.where(Pledge.donor == donor)
    pledges = list(session.exec(query.order_by(col(Pledge.id))))
    ids = [p.id for p in pledges if p.id is not None]
    if not ids:
        return []
    schedule: dict[int, list[Instalment]] = {i: [] for i in ids}
    for instalment in session.exec(
        select(Instalment)
        .where(col(Instalment.pledge_id).in_(ids))
        .order_by(col(Instalment.due_on), col(Instalment.id))
    ):
        schedule[instalment.pledge_id].append(instalment)
    received = dict(
        session.exec(
            select(Receipt.pledge_id, func.sum(Receipt.amount))
            .where(col(Receipt.pledge_id).in_(ids))
            .group_by(col(Receipt.pledge_id))
        ).all()
    )
    return [(p, schedule[p.id or 0], received.get(p.id or 0) or ZERO) for p in pledges]
