"""Donors' expressions of interest: read them, and withdraw one. Expressing one and turning one into a
pledge reach into the projects' and the pledges' rules, so their routes are in
:mod:`portfolio.flows.router`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlmodel import Session

from portfolio.auth import CurrentActor, requires
from portfolio.db import SessionDep
from portfolio.errors import problem_responses
from portfolio.interests import service
from portfolio.interests.models import Interest
from portfolio.interests.repository import InterestFilters
from portfolio.interests.schemas import InterestPage, InterestRead, InterestStatus
from portfolio.pagination import Paging
from portfolio.preconditions import IfMatch, set_etag
from portfolio.schemas import StateCode

router = APIRouter(prefix="/api/v1/interests", tags=["Interests"], dependencies=requires("interests"))


def reads(session: Session, interests: list[Interest]) -> list[InterestRead]:
    """Interests as the API returns them, each with its euro estimate (one statement for the rates)."""
    found = service.estimates(session, interests)
    out = []
    for interest in interests:
        assert interest.id is not None
        estimate = found.get(interest.id)
        out.append(
            InterestRead.model_validate(interest).model_copy(
                update={
                    "estimate_eur": estimate.eur if estimate else None,
                    "rate_month": estimate.month if estimate else None,
                }
            )
        )
    return out


def read_one(session: Session, interest: Interest, response: Response) -> InterestRead:
    set_etag(response, interest.version)
    return reads(session, [interest])[0]


@router.get(
    "",
    summary="List expressions of interest (a donor account: its own State's)",
    responses=problem_responses(401, 403, 422, 503),
)
def list_interests(
    session: SessionDep,
    actor: CurrentActor,
    paging: Paging,
    project_id: int | None = None,
    status_: Annotated[InterestStatus | None, Query(alias="status")] = None,
    donor: StateCode | None = None,
) -> InterestPage:
    filters = InterestFilters(donor, project_id, status_)
    items, total = service.list_interests(session, actor, filters, paging)
    return InterestPage.of(reads(session, items), total, paging)


@router.get(
    "/{interest_id}",
    summary="One expression of interest (a donor account: its own State's only)",
    responses=problem_responses(401, 403, 404, 503),
)
def get_interest(
    session: SessionDep, actor: CurrentActor, interest_id: int, response: Response
) -> InterestRead:
    return read_one(session, service.get_interest(session, actor, interest_id), response)


@router.post(
    "/{interest_id}/withdraw",
    summary="Withdraw an open interest (its donor State's account, or staff)",
    responses=problem_responses(401, 403, 404, 409, 412, 503),
)
def withdraw(
    session: SessionDep, actor: CurrentActor, interest_id: int, precondition: IfMatch, response: Response
) -> InterestRead:
    return read_one(session, service.withdraw(session, actor, interest_id, precondition), response)
