"""Donors' expressions of interest, where they meet the projects and the pledges: a project's standing
(status and open gap) and the currency's rate, checked by the projects' and the funding rules, when an
interest is expressed; and the one-step conversion of an interest into a pledge, in one transaction (the
pledge written by the funding rules, the interest marked converted, both audited), or nothing at all."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session

from portfolio.errors import ValidationFailed
from portfolio.facts import Facts
from portfolio.funding import service as funding_service
from portfolio.funding.models import Pledge
from portfolio.funding.schemas import PledgeCreate, PledgeStatus
from portfolio.interests import service as interests_service
from portfolio.interests.models import Interest
from portfolio.interests.schemas import InterestConvert, InterestCreate
from portfolio.money import rate_of
from portfolio.preconditions import ANY, Precondition
from portfolio.projects import service as projects_service
from portfolio.projects.repository import ProjectFilters, ProjectRow
from portfolio.projects.schemas import ProjectStatus
from portfolio.security import Actor


def standing_of(row: ProjectRow) -> interests_service.ProjectStanding:
    """A project's status and open gap (budget − pledged, never below zero), as the interest rules see it."""
    project = row.project
    assert project.id is not None
    gap = projects_service.funding_of(row).gap_eur
    # Only a project seeking funding takes interest, and it has a budget: no budget means no gap to fill.
    return interests_service.ProjectStanding(project.id, project.code, project.status, gap or Decimal("0.00"))


def express_interest(
    session: Session, actor: Actor, facts: Facts, project_id: int, data: InterestCreate
) -> Interest:
    """A donor's interest in a project seeking funding (409 otherwise), in a currency with a rate this month
    (the funding rules' check, 422 on the currency)."""
    row = projects_service.get_project_row(session, project_id)  # 404 for a project that does not exist
    today = date.today()

    def rate_now(currency: str) -> Decimal:
        return rate_of(facts.rate, currency, today, ("body", "currency"))

    return interests_service.create_interest(session, actor, standing_of(row), data, rate_now)


def turn_into_pledge(
    session: Session,
    actor: Actor,
    facts: Facts,
    interest_id: int,
    body: InterestConvert | None = None,
    precondition: Precondition = ANY,
) -> tuple[Interest, Pledge]:
    """The pledge an open interest becomes: its donor, amount, currency and note, made today (or on the
    date given), status pledged; the interest converted and linked to it. The caller's transaction holds
    both: if either fails, neither is written."""
    body = body or InterestConvert()
    interest = interests_service.open_for_conversion(session, actor, interest_id, precondition)
    if body.pledged_on is not None and body.pledged_on > date.today():
        raise ValidationFailed.field(("query", "pledged_on"), f"{body.pledged_on} is in the future")
    data = PledgeCreate(
        project_id=interest.project_id,
        donor=interest.donor,
        amount=interest.amount,
        currency=interest.currency,
        pledged_on=body.pledged_on or date.today(),
        status=PledgeStatus.pledged,
        note=interest.note if body.note is None else body.note,
    )
    pledge = funding_service.create_pledge(session, actor, data, facts)
    assert pledge.id is not None
    return interests_service.mark_converted(session, actor, interest, pledge.id), pledge


SEEKING_SORTS = ("code", "-gap_eur", "start_date")


def seeking_projects(
    session: Session,
    viewer: Actor,
    limit: int,
    offset: int,
    *,
    area: str | None = None,
    beneficiary: str | None = None,
    sort: str = "code",
) -> tuple[list[ProjectRow], int]:
    """The projects seeking funding, and those in implementation, that have an open gap — of one area or
    for one beneficiary State when asked: one page of them, and how many there are. By ``code``: those
    seeking funding first, each group in code order; by ``-gap_eur`` (the largest gap first) or
    ``start_date`` (the earliest planned start first, those without one last): both groups together."""
    if sort != "code":
        filters = ProjectFilters(
            statuses=(ProjectStatus.seeking_funding.value, ProjectStatus.implementation.value),
            funding="underfunded",
            area=area,
            beneficiary=beneficiary,
        )
        return projects_service.list_projects(session, viewer, filters, sort, limit, offset)
    rows: list[ProjectRow] = []
    total = 0
    for status in (ProjectStatus.seeking_funding, ProjectStatus.implementation):
        filters = ProjectFilters(
            status=status.value, funding="underfunded", area=area, beneficiary=beneficiary
        )
        skip = max(0, offset - total)
        room = max(0, limit - len(rows))
        found, count = projects_service.list_projects(session, viewer, filters, "code", max(room, 1), skip)
        if room:
            rows.extend(found[:room])
        total += count
    return rows, total
