"""The rules of donors' expressions of interest: who may express one, for which projects, in which
currency, and how it ends (withdrawn by its donor or by staff, or converted into a pledge). Knows nothing
of HTTP; never commits.

An interest is not money: it is a State saying it would like to fund a project that seeks funding, so
that FSC staff can match the States' requests with the donors' offers. It stays outside every pledged
total; staff turn it into a pledge (:mod:`portfolio.flows.interests`) when the State announces one. The
project's standing and the currency's rate come from the caller, so this domain reads no other's rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from portfolio.audit import service as audit
from portfolio.db import utcnow
from portfolio.errors import Conflict, Forbidden, NotFound, Said, ValidationFailed
from portfolio.interests import repository
from portfolio.interests.models import Interest
from portfolio.interests.repository import InterestFilters
from portfolio.interests.schemas import InterestCreate, InterestStatus
from portfolio.money import month_of, to_eur
from portfolio.pagination import PageParams
from portfolio.preconditions import ANY, Precondition
from portfolio.security import Actor
from portfolio.states import service as states_service

# The projects a donor may express interest in: those seeking funding, or under way, with a gap.
SEEKING = ("seeking_funding", "implementation")
ONE = Decimal(1)

RateCheck = Callable[[str], Decimal]  # currency → euros per unit now, or a 422 on the currency


class InterestNotFound(NotFound):
    pass


class InterestNotOpen(Conflict):
    slug = "interest-not-open"
    title = "Interest no longer open"


class ProjectNotSeekingFunding(Conflict):
    slug = "project-not-seeking-funding"
    title = "Project not seeking funding"


class OwnStateOnly(Forbidden):
    slug = "own-state-only"
    title = "Another State's interest"


@dataclass(frozen=True)
class ProjectStanding:
    """What the rules need to know of a project: its code, status and open funding gap (in euros)."""

    id: int
    code: str
    status: str
    gap_eur: Decimal


@dataclass(frozen=True)
class Estimate:
    """An amount in euros at the latest rate recorded up to this month: an estimate, never frozen."""

    eur: Decimal
    month: str
    eur_per_unit: Decimal


def donor_of(actor: Actor, named: str | None) -> str:
    """The State an interest is for: a donor account's own; staff must name one."""
    if actor.is_donor:
        if not actor.state:
            raise Forbidden("This donor account speaks for no State; ask an administrator to set it.")
        if named is not None and named != actor.state:
            raise OwnStateOnly(
                f"A donor account expresses interest for its own State ({actor.state}) only, not {named}."
            )
        return actor.state
    if named is None:
        raise ValidationFailed.field(
            ("body", "donor"), Said("name the State on whose behalf the interest is made")
        )
    return named


def check_standing(standing: ProjectStanding) -> None:
    """Only a project seeking funding or under way, with a gap still open, takes an interest."""
    if standing.status not in SEEKING:
        status = standing.status.replace("_", " ")
        raise ProjectNotSeekingFunding(
            f"Project {standing.code} is {status}: only projects seeking funding or in implementation take "
            "expressions of interest."
        )
    if standing.gap_eur <= 0:
        raise ProjectNotSeekingFunding(
            f"Project {standing.code} is fully pledged: it has no funding gap left to express interest in."
        )


def create_interest(
    session: Session, actor: Actor, standing: ProjectStanding, data: InterestCreate, rate_now: RateCheck
) -> Interest:
    """Record a donor's interest in a project, audited; ``rate_now`` is the funding rules' check that its
    currency has a rate this month."""
    donor = donor_of(actor, data.donor)
    states_service.require_states(session, [donor], ("body", "donor"), participating_only=False)
    check_standing(standing)
    rate_now(data.currency)
    interest = Interest(
        project_id=standing.id,
        donor=donor,
        amount=data.amount,
        currency=data.currency,
        note=data.note,
        status=InterestStatus.open,
    )
    session.add(interest)
    session.flush()
    audit.created(session, actor, "interest", interest, standing.id)
    return interest


def list_interests(
    session: Session, viewer: Actor, filters: InterestFilters, page: PageParams
) -> tuple[list[Interest], int]:
    if viewer.is_donor:
        if filters.donor is not None and filters.donor != viewer.state:
            return [], 0  # another State's interests do not exist for a donor
        filters = replace(filters, donor=viewer.state or "")
    return repository.list_interests(session, filters, page)


def get_interest(session: Session, viewer: Actor, interest_id: int) -> Interest:
    interest = repository.get_interest(session, interest_id)
    if interest is None or not viewer.sees_donor(interest.donor):
        raise InterestNotFound(f"Interest {interest_id} does not exist.")
    return interest


def project_interests(session: Session, viewer: Actor, project_id: int) -> list[Interest]:
    """One project's interests as ``viewer`` may see them (a donor: its own State's only)."""
    return repository.project_interests(session, project_id, viewer.state if viewer.is_donor else None)


def _open_interest(session: Session, actor: Actor, interest_id: int, precondition: Precondition) -> Interest:
    interest = repository.get_interest(session, interest_id, for_update=True)
    if interest is None or not actor.sees_donor(interest.donor):
        raise InterestNotFound(f"Interest {interest_id} does not exist.")
    precondition.check(interest.version, f"Interest {interest_id}")
    if interest.status != InterestStatus.open:
        raise InterestNotOpen(
            f"Interest {interest_id} is {interest.status}; only an open interest can change."
        )
    return interest


def _set_status(session: Session, actor: Actor, interest: Interest, values: dict[str, Any]) -> None:
    changes = {name: [getattr(interest, name), value] for name, value in values.items()}
    for name, value in values.items():
        setattr(interest, name, value)
    interest.updated_at = utcnow()
    audit.record(session, actor, "update", "interest", interest.id, changes, interest.project_id)
    session.flush()


def withdraw(session: Session, actor: Actor, interest_id: int, precondition: Precondition = ANY) -> Interest:
    """The donor that made an interest (or staff) takes it back."""
    interest = _open_interest(session, actor, interest_id, precondition)
    _set_status(session, actor, interest, {"status": InterestStatus.withdrawn})
    return interest


def open_for_conversion(
    session: Session, actor: Actor, interest_id: int, precondition: Precondition = ANY
) -> Interest:
    """The open interest staff are turning into a pledge, locked until the pledge is written."""
    return _open_interest(session, actor, interest_id, precondition)


def mark_converted(session: Session, actor: Actor, interest: Interest, pledge_id: int) -> Interest:
    """The interest has become pledge ``pledge_id``."""
    _set_status(session, actor, interest, {"status": InterestStatus.converted, "pledge_id": pledge_id})
    return interest


def estimates(
    session: Session, interests: Iterable[Interest], today: date | None = None
) -> dict[int, Estimate]:
    """Each interest's euros at its currency's latest rate up to this month (one statement for them all);
    an interest whose currency has no such rate is left out."""
    items = list(interests)
    month = month_of(today or date.today())
    rates = repository.latest_rates(session, (i.currency for i in items if i.currency != "EUR"), month)
    found: dict[int, Estimate] = {}
    for interest in items:
        assert interest.id is not None
        if interest.currency == "EUR":
            found[interest.id] = Estimate(interest.amount, month, ONE)
        elif interest.currency in rates:
            rate_month, rate = rates[interest.currency]
            found[interest.id] = Estimate(to_eur(interest.amount, rate), rate_month, rate)
    return found


# -- reads for the staff pages ------------------------------------------------------------------------


def recent_interests(session: Session, viewer: Actor, limit: int) -> tuple[list[Interest], int]:
    """The newest interests ``viewer`` may see (a donor: its own State's), and how many there are."""
    return list_interests(session, viewer, InterestFilters(), PageParams(limit, 0))
