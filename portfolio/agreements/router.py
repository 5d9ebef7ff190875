"""Reporting obligations, and a pledge's agreement. Recording and changing an agreement reach into the
pledges' rules, so those routes call their flows (:mod:`portfolio.flows.agreements`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlmodel import Session

from portfolio.agreements import service
from portfolio.agreements.repository import AgreementRow, ObligationFilters, ObligationRow
from portfolio.agreements.schemas import (
    AgreementCreate,
    AgreementRead,
    AgreementUpdate,
    ObligationCreate,
    ObligationKind,
    ObligationPage,
    ObligationRead,
    ObligationState,
    ObligationUpdate,
    ScheduleRead,
)
from portfolio.auth import CurrentActor, requires
from portfolio.db import SessionDep
from portfolio.errors import problem_responses
from portfolio.facts import FactsDep
from portfolio.flows import agreements as agreements_flow
from portfolio.pagination import Paging
from portfolio.preconditions import IfMatch, set_etag
from portfolio.schemas import StateCode
from portfolio.security import Actor

agreements_router = APIRouter(prefix="/api/v1", tags=["Agreements"], dependencies=requires("agreements"))
router = APIRouter(prefix="/api/v1/obligations", tags=["Agreements"], dependencies=requires("agreements"))


def agreement_read(row: AgreementRow, response: Response | None = None) -> AgreementRead:
    agreement = row.agreement
    if response is not None:
        set_etag(response, agreement.version)
    return AgreementRead.model_validate(
        {
            **agreement.model_dump(exclude={"schedule"}),
            "schedule": ScheduleRead.model_validate(service.schedule_of(agreement).model_dump()),
            "project_id": row.project_id,
            "donor": row.donor,
        }
    )


def obligation_read(row: ObligationRow, today: date | None = None) -> ObligationRead:
    obligation = row.obligation
    state = service.state_of(obligation, today)
    return ObligationRead.model_validate(
        {
            **obligation.model_dump(exclude={"status"}),
            "status": state,
            "overdue": state == ObligationState.overdue,
            "pledge_id": row.pledge_id,
            "project_id": row.project_id,
            "donor": row.donor,
        }
    )


def read_obligation(
    session: Session, actor: CurrentActor, obligation_id: int, response: Response
) -> ObligationRead:
    read = obligation_read(service.get_obligation(session, actor, obligation_id))
    set_etag(response, read.version)
    return read


@agreements_router.get(
    "/pledges/{pledge_id}/agreement",
    summary="A pledge's contribution agreement (a donor account: its own State's pledges only)",
    responses=problem_responses(401, 403, 404, 503),
)
def get_agreement(
    session: SessionDep, actor: CurrentActor, pledge_id: int, response: Response
) -> AgreementRead:
    return agreement_read(service.get_agreement(session, actor, pledge_id), response)


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
    return agreement_read(service.get_agreement(session, actor, pledge_id), response)


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


@router.get(
    "",
    summary="List reporting obligations, soonest due first (a donor account: its own State's)",
    description=(
        "`status` is read as a person reads it: `overdue` is an obligation still due whose `due_on` has "
        "passed; `due` is one still due whose date has not. `due_before` and `due_after` are exclusive."
    ),
    responses=problem_responses(401, 403, 422, 503),
)
def list_obligations(
    session: SessionDep,
    actor: CurrentActor,
    paging: Paging,
    project: Annotated[int | None, Query(description="The project's id.")] = None,
    donor: StateCode | None = None,
    kind: ObligationKind | None = None,
    status_: Annotated[ObligationState | None, Query(alias="status")] = None,
    due_before: Annotated[date | None, Query(description="Due strictly before this day.")] = None,
    due_after: Annotated[date | None, Query(description="Due strictly after this day.")] = None,
) -> ObligationPage:
    filters = ObligationFilters(project, donor, kind, status_, due_before, due_after)
    rows, total = service.list_obligations(session, actor, filters, paging)
    today = date.today()
    return ObligationPage.of([obligation_read(r, today) for r in rows], total, paging)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Add a reporting obligation to an agreement by hand (staff)",
    description=(
        "An obligation added by hand is never moved by the agreement's schedule or the project's end date."
    ),
    responses=problem_responses(401, 403, 422, 503),
)
def create_obligation(
    session: SessionDep, actor: CurrentActor, body: ObligationCreate, response: Response
) -> ObligationRead:
    obligation = service.create_obligation(session, actor, body)
    assert obligation.id is not None
    return read_obligation(session, actor, obligation.id, response)


@router.get(
    "/{obligation_id}",
    summary="One reporting obligation (a donor account: its own State's only)",
    responses=problem_responses(401, 403, 404, 503),
)
def get_obligation(
    session: SessionDep, actor: CurrentActor, obligation_id: int, response: Response
) -> ObligationRead:
    return read_obligation(session, actor, obligation_id, response)


@router.patch(
    "/{obligation_id}",
    summary="Record a submission or acceptance, move an obligation, name its owner (staff)",
    description=(
        "Send the ETag as If-Match; a stale one gets 412. A generated obligation edited by hand is still "
        "moved by the schedule and the project's end date until it is submitted, unless its `kind` changes: "
        "it is then staff's own (`generated` false) and the schedule adds its report again."
    ),
    responses=problem_responses(401, 403, 404, 412, 422, 503),
)
def update_obligation(
    session: SessionDep,
    actor: CurrentActor,
    obligation_id: int,
    body: ObligationUpdate,
    precondition: IfMatch,
    response: Response,
) -> ObligationRead:
    service.update_obligation(session, actor, obligation_id, body, precondition)
    return read_obligation(session, actor, obligation_id, response)
