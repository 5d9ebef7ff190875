"""Donors' expressions of interest: express one, read them, withdraw one, and turn one into a pledge.
Expressing one and turning one into a pledge reach into the projects' and the pledges' rules, so those
routes call their flows (:mod:`portfolio.flows.interests`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlmodel import Session

from portfolio.auth import CurrentActor, requires
from portfolio.db import SessionDep
from portfolio.errors import problem_responses
from portfolio.facts import FactsDep
from portfolio.flows import interests as interests_flow
from portfolio.funding import router as pledges_router_module
from portfolio.funding import service as funding_service
from portfolio.funding.schemas import PledgeRead
from portfolio.interests import service
from portfolio.interests.models import Interest
from portfolio.interests.repository import InterestFilters
from portfolio.interests.schemas import (
    InterestConvert,
    InterestCreate,
    InterestPage,
    InterestRead,
    InterestStatus,
)
from portfolio.pagination import Paging
from portfolio.preconditions import IfMatch, set_etag
from portfolio.schemas import StateCode

router = APIRouter(prefix="/api/v1/interests", tags=["Interests"], dependencies=requires("interests"))
# Expressing an interest (under a project's path) and turning one into a pledge (under the pledges'
# policy): each route names its own policy.
flows_router = APIRouter(prefix="/api/v1", tags=["Interests"])


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


@flows_router.post(
    "/projects/{project_id}/interests",
    status_code=status.HTTP_201_CREATED,
    summary="Express interest in funding a project that seeks funding",
    description=(
        "A donor account expresses its own State's interest (the State is taken from the account); staff "
        "may record one on a donor's behalf, naming the State in `donor`. Only a project seeking funding "
        "or in implementation with an open funding gap takes one (409 otherwise, saying why). The amount is "
        "a positive decimal string; the currency needs a recorded exchange rate for the current month, as a "
        "pledge's does. An interest is not a pledge: it counts in no pledged total until staff turn it into "
        "one (`POST /api/v1/interests/{id}/pledge`)."
    ),
    dependencies=requires("interests"),
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def express_interest(
    session: SessionDep,
    actor: CurrentActor,
    facts: FactsDep,
    project_id: int,
    body: InterestCreate,
    response: Response,
) -> InterestRead:
    interest = interests_flow.express_interest(session, actor, facts, project_id, body)
    return read_one(session, interest, response)


@flows_router.post(
    "/interests/{interest_id}/pledge",
    summary="Turn an open interest into a pledge (staff)",
    description=(
        "Creates the pledge with the interest's donor, amount and currency, status pledged, made today or on "
        "`pledged_on`, with the interest's note unless another `note` is given; marks the interest converted "
        "and links it to the pledge. One transaction, both audited: if the pledge is refused (no rate for "
        "its month, a cancelled project…) nothing is written and the interest stays open. Returns the pledge."
    ),
    dependencies=requires("pledges"),
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 503),
)
def turn_into_pledge(
    session: SessionDep,
    actor: CurrentActor,
    facts: FactsDep,
    interest_id: int,
    precondition: IfMatch,
    response: Response,
    pledged_on: Annotated[
        date | None, Query(description="When the pledge was made: today if left out.")
    ] = None,
    note: Annotated[
        str | None, Query(max_length=4000, description="The pledge's note: the interest's if left out.")
    ] = None,
) -> PledgeRead:
    try:
        body = InterestConvert(pledged_on=pledged_on, note=note)
    except ValidationError as exc:  # the rules beyond the query's own (control characters…): a 422 too
        raise RequestValidationError(
            [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from exc
    _interest, pledge = interests_flow.turn_into_pledge(
        session, actor, facts, interest_id, body, precondition
    )
    assert pledge.id is not None
    read = pledges_router_module.to_read(funding_service.get_pledge_row(session, actor, pledge.id))
    set_etag(response, read.version)
    return read
