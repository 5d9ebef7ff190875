"""The routes of the cross-domain use cases: each calls its flow, under its resource's policy."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from portfolio.auth import CurrentActor, requires
from portfolio.db import SessionDep
from portfolio.errors import problem_responses
from portfolio.facts import FactsDep
from portfolio.flows import delete_project as delete_project_flow
from portfolio.flows import interests as interests_flow
from portfolio.funding import router as pledges_router_module
from portfolio.funding import service as funding_service
from portfolio.funding.schemas import PledgeRead
from portfolio.interests import router as interests_router_module
from portfolio.interests.schemas import InterestConvert, InterestCreate, InterestRead
from portfolio.preconditions import IfMatch, set_etag

projects_router = APIRouter(prefix="/api/v1/projects", tags=["Projects"], dependencies=requires("projects"))


@projects_router.delete(
    "/{project_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a project that has no pledges",
    responses=problem_responses(401, 403, 404, 409, 412, 503),
)
def delete_project(session: SessionDep, actor: CurrentActor, project_id: int, precondition: IfMatch) -> None:
    delete_project_flow.delete_project(session, actor, project_id, precondition)


# -- donors' expressions of interest: expressing one, and turning one into a pledge ---------------------

interests_router = APIRouter(prefix="/api/v1", tags=["Interests"])


@interests_router.post(
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
    return interests_router_module.read_one(session, interest, response)


@interests_router.post(
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
