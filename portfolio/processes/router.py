from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from portfolio.auth import CurrentActor, requires
from portfolio.db import SessionDep
from portfolio.errors import problem_responses
from portfolio.flows import follow_ups as follow_ups_flow
from portfolio.pagination import Paging
from portfolio.preconditions import IfMatch, set_etag
from portfolio.processes import service
from portfolio.processes.repository import FollowUpFilters, FollowUpRow, ProcessFilters
from portfolio.processes.schemas import (
    FollowUpPage,
    FollowUpRead,
    FollowUpState,
    FollowUpUpdate,
    NationalProcessCreate,
    NationalProcessPage,
    NationalProcessRead,
    NationalProcessUpdate,
    ProcessKind,
    Stage,
    StageChangeRead,
)
from portfolio.schemas import StateCode

router = APIRouter(
    prefix="/api/v1/national-processes", tags=["National processes"], dependencies=requires("processes")
)


def process_filters(
    state: StateCode | None = None,
    kind: ProcessKind | None = None,
    stage: Stage | None = None,
    project_id: Annotated[int | None, Query(description="Processes this project helped build.")] = None,
) -> ProcessFilters:
    """The process list's filters, shared by the list and the exports."""
    return ProcessFilters(state, kind, stage, project_id)


def follow_up_months(request: Request) -> list[int]:
    """The months after which an operational process's follow-up checks fall due (the settings')."""
    return list(request.app.state.settings.follow_up_months)


ProcessFilterParams = Annotated[ProcessFilters, Depends(process_filters)]
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412, 422, 503)
READ_ERRORS = problem_responses(401, 403, 404, 503)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Record a national structure or procedure",
    description=(
        "A process recorded as `operational` gets its sustainability follow-up checks, due "
        "`PORTFOLIO_FOLLOW_UP_MONTHS` (default 12 and 24) months after `stage_changed_on`."
    ),
    responses=problem_responses(401, 403, 409, 422, 503),
)
def create_process(
    session: SessionDep,
    actor: CurrentActor,
    body: NationalProcessCreate,
    request: Request,
    response: Response,
) -> NationalProcessRead:
    process = service.create_process(session, actor, body, follow_up_months(request))
    set_etag(response, process.version)
    return NationalProcessRead.model_validate(process)


@router.get(
    "", summary="List national structures and procedures", responses=problem_responses(401, 403, 422, 503)
)
def list_processes(session: SessionDep, paging: Paging, filters: ProcessFilterParams) -> NationalProcessPage:
    items, total = service.list_processes(session, filters, paging)
    return NationalProcessPage.of(map(NationalProcessRead.model_validate, items), total, paging)


@router.get("/{process_id}", summary="One national process", responses=problem_responses(401, 403, 404, 503))
def get_process(session: SessionDep, process_id: int, response: Response) -> NationalProcessRead:
    process = service.get_process(session, process_id)
    set_etag(response, process.version)
    return NationalProcessRead.model_validate(process)


@router.patch(
    "/{process_id}",
    summary="Change a national process (e.g. its stage)",
    description=(
        "A move to `operational` gives the process sustainability follow-up checks due "
        "`PORTFOLIO_FOLLOW_UP_MONTHS` (default 12 and 24) months after `stage_changed_on`, replacing any "
        "still open; a move back to `established` or `planned` drops the open ones. Done checks stay."
    ),
    responses=WRITE_ERRORS,
)
def update_process(
    session: SessionDep,
    actor: CurrentActor,
    process_id: int,
    body: NationalProcessUpdate,
    precondition: IfMatch,
    request: Request,
    response: Response,
) -> NationalProcessRead:
    process, _ = service.update_process(
        session, actor, process_id, body, precondition, follow_up_months(request)
    )
    set_etag(response, process.version)
    return NationalProcessRead.model_validate(process)


@router.delete(
    "/{process_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a national process",
    responses=problem_responses(401, 403, 404, 412, 503),
)
def delete_process(session: SessionDep, actor: CurrentActor, process_id: int, precondition: IfMatch) -> None:
    service.delete_process(session, actor, process_id, precondition)


@router.get("/{process_id}/history", summary="Every stage change with its date", responses=READ_ERRORS)
def history(session: SessionDep, process_id: int) -> list[StageChangeRead]:
    return [StageChangeRead.model_validate(c) for c in service.stage_history(session, process_id)]


follow_ups_router = APIRouter(
    prefix="/api/v1/follow-ups", tags=["National processes"], dependencies=requires("processes")
)


def follow_up_read(row: FollowUpRow, today: date | None = None) -> FollowUpRead:
    check = row.check
    today = today or date.today()
    state = FollowUpState.overdue if check.status == "due" and check.due_on < today else check.status
    return FollowUpRead.model_validate(
        {
            **check.model_dump(exclude={"status"}),
            "status": state,
            "overdue": state == FollowUpState.overdue,
            "state": row.state,
            "process_name": row.process_name,
        }
    )


def read_follow_up(session: SessionDep, check_id: int, response: Response) -> FollowUpRead:
    read = follow_up_read(service.get_follow_up(session, check_id))
    set_etag(response, read.version)
    return read


@follow_ups_router.get(
    "",
    summary="List sustainability follow-up checks of national processes, soonest due first",
    description=(
        "A national process gets a check `PORTFOLIO_FOLLOW_UP_MONTHS` (default 12 and 24) months after it "
        "became operational. `status` is read as a person reads it: `overdue` is a check still due whose "
        "`due_on` has passed; `due` one whose date has not; `done` one whose outcome is recorded. "
        "`due_before` and `due_after` are exclusive."
    ),
    responses=problem_responses(401, 403, 422, 503),
)
def list_follow_ups(
    session: SessionDep,
    paging: Paging,
    process: Annotated[int | None, Query(description="The national process's id.")] = None,
    state: StateCode | None = None,
    status_: Annotated[FollowUpState | None, Query(alias="status")] = None,
    due_before: Annotated[date | None, Query(description="Due strictly before this day.")] = None,
    due_after: Annotated[date | None, Query(description="Due strictly after this day.")] = None,
) -> FollowUpPage:
    filters = FollowUpFilters(process, state, status_, due_before, due_after)
    rows, total = service.list_follow_ups(session, filters, paging)
    today = date.today()
    return FollowUpPage.of([follow_up_read(r, today) for r in rows], total, paging)


@follow_ups_router.get(
    "/{follow_up_id}",
    summary="One sustainability follow-up check",
    responses=problem_responses(401, 403, 404, 503),
)
def get_follow_up(session: SessionDep, follow_up_id: int, response: Response) -> FollowUpRead:
    return read_follow_up(session, follow_up_id, response)


# Its evidence is a document of the process: recording an outcome is a flow.
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
    months = follow_up_months(request)
    follow_ups_flow.update_follow_up(session, actor, follow_up_id, body, precondition, months)
    return read_follow_up(session, follow_up_id, response)
