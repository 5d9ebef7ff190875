from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from portfolio.auth import CurrentActor, requires
from portfolio.db import SessionDep
from portfolio.errors import problem_responses
from portfolio.pagination import Paging
from portfolio.preconditions import IfMatch, set_etag
from portfolio.processes import service
from portfolio.processes.repository import ProcessFilters
from portfolio.processes.schemas import (
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


ProcessFilterParams = Annotated[ProcessFilters, Depends(process_filters)]
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412, 422, 503)
READ_ERRORS = problem_responses(401, 403, 404, 503)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Record a national structure or procedure",
    responses=problem_responses(401, 403, 409, 422, 503),
)
def create_process(
    session: SessionDep, actor: CurrentActor, body: NationalProcessCreate, response: Response
) -> NationalProcessRead:
    process = service.create_process(session, actor, body)
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


@router.patch("/{process_id}", summary="Change a national process (e.g. its stage)", responses=WRITE_ERRORS)
def update_process(
    session: SessionDep,
    actor: CurrentActor,
    process_id: int,
    body: NationalProcessUpdate,
    precondition: IfMatch,
    response: Response,
) -> NationalProcessRead:
    process, _ = service.update_process(session, actor, process_id, body, precondition)
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
