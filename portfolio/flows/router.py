"""The routes of the cross-domain use cases: each calls its flow, under its resource's policy."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlmodel import Session

from portfolio.agreements import router as agreements_router_module
from portfolio.agreements import service as agreements_service
from portfolio.agreements.schemas import AgreementCreate, AgreementRead, AgreementUpdate
from portfolio.auth import CurrentActor, requires
from portfolio.db import SessionDep
from portfolio.errors import problem_responses
from portfolio.facts import FactsDep
from portfolio.flows import accounts as accounts_flow
from portfolio.flows import agreements as agreements_flow
from portfolio.flows import delete_project as delete_project_flow
from portfolio.flows import follow_ups as follow_ups_flow
from portfolio.flows import interests as interests_flow
from portfolio.funding import router as pledges_router_module
from portfolio.funding import service as funding_service
from portfolio.funding.schemas import PledgeRead
from portfolio.interests import router as interests_router_module
from portfolio.interests.schemas import InterestConvert, InterestCreate, InterestRead
from portfolio.preconditions import IfMatch, set_etag
from portfolio.processes import router as processes_router_module
from portfolio.processes.schemas import FollowUpRead, FollowUpUpdate
from portfolio.projects import router as projects_router_module
from portfolio.projects import service as projects_service
from portfolio.projects.schemas import ProjectRead, ProjectUpdate
from portfolio.security import Actor
from portfolio.users.schemas import UserRead, UserUpdate

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


@projects_router.patch(
    "/{project_id}",
    summary="Change a project's details",
    description=(
        "A new `end_date` moves the reporting obligations its agreements' schedules generated and that are "
        "not yet submitted (final reports, and the interim reports that fall before the end)."
    ),
    responses=projects_router_module.WRITE_ERRORS,
)
def update_project(
    session: SessionDep,
    actor: CurrentActor,
    project_id: int,
    body: ProjectUpdate,
    precondition: IfMatch,
    response: Response,
) -> ProjectRead:
    agreements_flow.update_project(session, actor, project_id, body, precondition)
    read = projects_router_module.to_read(projects_service.get_project_row(session, project_id))
    set_etag(response, read.version)
    return read


pledges_router = APIRouter(prefix="/api/v1/pledges", tags=["Pledges"], dependencies=requires("pledges"))


@pledges_router.delete(
    "/{pledge_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a pledge recorded in error (one without receipts or an agreement)",
    responses=problem_responses(401, 403, 404, 409, 412, 503),
)
def delete_pledge(session: SessionDep, actor: CurrentActor, pledge_id: int, precondition: IfMatch) -> None:
    agreements_flow.delete_pledge(session, actor, pledge_id, precondition)


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


# -- contribution agreements: recording and changing one commits its pledge ----------------------------

agreements_router = APIRouter(prefix="/api/v1", tags=["Agreements"], dependencies=requires("agreements"))

AGREEMENT_DESCRIPTION = (
    "One agreement per pledge. With `signed_on` (not in the future) the pledge, if still pledged, becomes "
    "committed (audited, in the same transaction) and the schedule generates the reporting obligations: "
    "an interim narrative report every `interim_every_months` months from signature while it falls "
    "before the project's end date, and the final narrative report and the financial statement (and the "
    "audit certificate when asked for) `final_after_months` months after the end date. Without a "
    "schedule, the final pair 3 months after the end date. A project without an end date gets its final "
    "reports when it gets one. `valid_until` before `signed_on` is a 422 naming the field."
)


def _agreement(session: Session, actor: Actor, pledge_id: int, response: Response) -> AgreementRead:
    row = agreements_service.get_agreement(session, actor, pledge_id)
    return agreements_router_module.agreement_read(row, response)


@agreements_router.post(
    "/pledges/{pledge_id}/agreement",
    status_code=status.HTTP_201_CREATED,
    summary="Record a pledge's contribution agreement (staff)",
    description=AGREEMENT_DESCRIPTION,
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def record_agreement(
    session: SessionDep,
    actor: CurrentActor,
    facts: FactsDep,
    pledge_id: int,
    body: AgreementCreate,
    response: Response,
) -> AgreementRead:
    agreements_flow.record_agreement(session, actor, facts, pledge_id, body)
    return _agreement(session, actor, pledge_id, response)


@agreements_router.patch(
    "/pledges/{pledge_id}/agreement",
    summary="Change a pledge's contribution agreement (staff)",
    description=(
        "Send the agreement's ETag as If-Match; a stale one gets 412. Setting `signed_on` commits the "
        "pledge; "
        "a new signature or schedule regenerates the generated obligations not yet submitted (submitted "
        "and accepted ones, and those added by hand, stay)."
    ),
    responses=problem_responses(401, 403, 404, 409, 412, 422, 503),
)
def change_agreement(
    session: SessionDep,
    actor: CurrentActor,
    facts: FactsDep,
    pledge_id: int,
    body: AgreementUpdate,
    precondition: IfMatch,
    response: Response,
) -> AgreementRead:
    agreements_flow.change_agreement(session, actor, facts, pledge_id, body, precondition)
    return _agreement(session, actor, pledge_id, response)


# -- sustainability follow-up checks: their evidence is a document of the process -------------------

follow_ups_router = APIRouter(
    prefix="/api/v1/follow-ups", tags=["National processes"], dependencies=requires("processes")
)


@follow_ups_router.patch(
    "/{follow_up_id}",
    summary="Record a follow-up check's outcome, move it or name its owner (staff)",
    description=(
        "Send the check's ETag as If-Match; a stale one gets 412. `outcome` is recorded once (a check "
        "already done: 409), dated `checked_on` (today if left out; neither in the future nor before the "
        "process became operational or its last stage change: 422), and changes the process's stage on "
        "that day, in its history and audited: `sustained` → stage sustained; `regressed` → one stage back "
        "(operational → established, which drops its other open checks; sustained → operational, which "
        "starts new checks from that day). `evidence_document_id` must be a document of the same national "
        "process (upload it with `POST /api/v1/documents`, `owner_type` national_process). `due_on` moves a "
        "check still due; `owner_id` names the staff member responsible."
    ),
    responses=problem_responses(401, 403, 404, 409, 412, 422, 503),
)
def update_follow_up(
    session: SessionDep,
    actor: CurrentActor,
    follow_up_id: int,
    body: FollowUpUpdate,
    precondition: IfMatch,
    request: Request,
    response: Response,
) -> FollowUpRead:
    months = processes_router_module.follow_up_months(request)
    follow_ups_flow.update_follow_up(session, actor, follow_up_id, body, precondition, months)
    return processes_router_module.read_follow_up(session, follow_up_id, response)


users_router = APIRouter(prefix="/api/v1/users", tags=["Accounts"], dependencies=requires("users"))


@users_router.patch(
    "/{user_id}",
    summary="Change an account: role, State, deactivate, reset password (admin)",
    description=(
        "An account deactivated, or moved to a role that may not be responsible for reports and checks "
        "(manager, donor), lets go of the reporting obligations and follow-up checks still due that it "
        "owned: they are left without an owner (audited), so that their reminders go to all staff."
    ),
    responses=problem_responses(401, 403, 404, 409, 412, 422, 503),
)
def update_user(
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    user_id: int,
    body: UserUpdate,
    precondition: IfMatch,
    response: Response,
) -> UserRead:
    user, _ = accounts_flow.update_account(
        session, actor, user_id, body, request.app.state.hasher, precondition
    )
    set_etag(response, user.version)
    return UserRead.model_validate(user)
