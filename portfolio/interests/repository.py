"""Every query of the interests domain, and the exchange rates an interest's euro estimate is read at."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from portfolio.funding.models import ExchangeRate
from portfolio.interests.models import Interest
from portfolio.pagination import PageParams, paged


@dataclass(frozen=True)
class InterestFilters:
    donor: str | None = None
    project_id: int | None = None
    status: str | None = None


def list_interests(
    session: Session, filters: InterestFilters, page: PageParams
) -> tuple[list[Interest], int]:
    """One page of interests, newest first, and how many match."""
    query = select(Interest)
    if filters.donor is not None:
        query = query.where(Interest.donor == filters.donor)
    if filters.project_id is not None:
        query = query.where(Interest.project_id == filters.project_id)
    if filters.status is not None:
        query = query.where(Interest.status == filters.status)
    return paged(session, query, page, col(Interest.id).desc())


def get_interest(session: Session, interest_id: int, *, for_update: bool = False) -> Interest | None:
    if not for_update:
        return session.get(Interest, interest_id)
    return session.exec(select(Interest).where(Interest.id == interest_id).with_for_update()).first()


def project_interests(session: Session, project_id: int, donor: str | None = None) -> list[Interest]:
    """One project's interests (of one donor, if given), oldest first."""
    query = select(Interest).where(Interest.project_id == project_id)
    if donor is not None:
        query = query.where(Interest.donor == donor)
    return list(session.exec(query.order_by(col(Interest.id))).all())


def latest_rates(session: Session, currencies: Iterable[str], month: str) -> dict[str, tuple[str, Decimal]]:
    """Each currency's latest recorded rate up to ``month`` (YYYY-MM): currency → (its month, euros per
    unit), in one statement whatever the number of currencies."""
    wanted = sorted(set(currencies))
    if not wanted:
        return {}
    latest = (
        sa_select(col(ExchangeRate.currency), func.max(col(ExchangeRate.month)).label("month"))
        .where(col(ExchangeRate.currency).in_(wanted), col(ExchangeRate.month) <= month)
        .group_by(col(ExchangeRate.currency))
        .subquery("latest")
    )
    rows = session.execute(
        sa_select(col(ExchangeRate.currency), col(ExchangeRate.month), col(ExchangeRate.eur_per_unit)).join(
            latest,
            and_(latest.c.currency == col(ExchangeRate.currency), latest.c.month == col(ExchangeRate.month)),
        )
    ).all()
    return {currency: (rate_month, rate) for currency, rate_month, rate in rows}
