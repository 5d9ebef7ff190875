from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from portfolio.audit.schemas import AuditEntryRead, AuditPage
from portfolio.auth import CurrentActor, requires
from portfolio.db import SessionDep
from portfolio.errors import problem_responses
from portfolio.flows import delete_project as delete_project_flow
from portfolio.pagination import Paging
from portfolio.preconditions import IfMatch, set_etag
from portfolio.projects import service
from portfolio.projects.models import Indicator, Milestone
from portfolio.projects.repository import ProjectFilters, ProjectRow
from portfolio.projects.schemas import (
    ActivityType,
    Area,
    FundingFilter,
    FundingSummary,
    IndicatorCreate,
    IndicatorRead,
    IndicatorUpdate,
    MilestoneCreate,
    MilestoneRead,
    MilestoneUpdate,
    Progress,
    ProjectCreate,
    ProjectPage,
    ProjectRead,
    ProjectSort,
    ProjectStatus,
    ProjectUpdate,
    StatusChangeRead,
    TransitionCreate,
)
from portfolio.schemas import StateCode

router = APIRouter(prefix="/api/v1/projects", tags=["Projects"], dependencies=requires("projects"))
# Managers may reopen a completed or cancelled project, so moves have a policy of their own; the service
# decides which move a role may make.
lifecycle_router = APIRouter(prefix="/api/v1/projects", tags=["Projects"], dependencies=requires("lifecycle"))

# A project's audit trail is read under the audit trail's policy.
trail_router = APIRouter(prefix="/api/v1/projects", tags=["Projects"], dependencies=requires("audit"))

WRITE_ERRORS = problem_responses(401, 403, 404, 409, 412, 422, 503)
READ_ERRORS = problem_responses(401, 403, 404, 503)


def project_filters(
    status_: Annotated[ProjectStatus | None, Query(alias="status")] = None,
    area: Area | None = None,
    beneficiary: Annotated[
        StateCode | None, Query(description="Participating State receiving help.", examples=["MDA"])
    ] = None,
    donor: Annotated[StateCode | None, Query(description="Projects with a pledge from this State.")] = None,
    activity_type: ActivityType | None = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Text in the code or title (any case).")
    ] = None,
    funding: Annotated[FundingFilter | None, Query(description="underfunded: pledged < budget.")] = None,
) -> ProjectFilters:
    """The project list's filters, shared by the list, the exports and the IATI publication."""
    return ProjectFilters(status_, area, beneficiary, donor, activity_type, q, funding)


ProjectFilterParams = Annotated[ProjectFilters, Depends(project_filters)]


def _with_etag(response: Response, project: ProjectRead) -> ProjectRead:
    set_etag(response, project.version)
    return project


def to_read(row: ProjectRow) -> ProjectRead:
    project = row.project
    fields = {
        name: row.lists[name] if name in row.lists else getattr(project, name)
        for name in ProjectRead.model_fields
        if name not in ("funding", "progress")
    }
    return ProjectRead(
        **fields,
        funding=FundingSummary.model_validate(service.funding_of(row)),
        progress=Progress.model_validate(service.progress_of(row)),
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Record a request for assistance",
    responses=problem_responses(401, 403, 409, 422, 503),
)
def create_project(
    session: SessionDep, actor: CurrentActor, body: ProjectCreate, response: Response
) -> ProjectRead:
    project = service.create_project(session, actor, body)
    assert project.id is not None
    return _with_etag(response, to_read(service.get_project_row(session, project.id)))


@router.get(
    "",
    summary="List projects with their funding and progress",
    responses=problem_responses(401, 403, 422, 503),
)
def list_projects(
    session: SessionDep,
    actor: CurrentActor,
    paging: Paging,
    filters: ProjectFilterParams,
    sort: Annotated[
        ProjectSort, Query(description="Sort key; prefix '-' for descending.")
    ] = ProjectSort.code_asc,
) -> ProjectPage:
    rows, total = service.list_projects(session, actor, filters, sort.value, paging.limit, paging.offset)
    return ProjectPage(
        items=[to_read(r) for r in rows], total=total, limit=paging.limit, offset=paging.offset
    )


@router.get(
    "/by-code/{project_code:path}",
    summary="One project found by its code",
    description="The project with this `code` (e.g. `SAMPLE-DEPOT-ALB-2019-01`), as in `GET /projects/{id}`.",
    responses=READ_ERRORS,
)
def get_project_by_code(
    session: SessionDep,
    project_code: Annotated[str, Path(max_length=40, examples=["SAMPLE-DEPOT-ALB-2019-01"])],
    response: Response,
) -> ProjectRead:
    return _with_etag(response, to_read(service.get_project_row_by_code(session, project_code)))


@router.get("/{project_id}", summary="One project with its funding and progress", responses=READ_ERRORS)
def get_project(session: SessionDep, project_id: int, response: Response) -> ProjectRead:
    return _with_etag(response, to_read(service.get_project_row(session, project_id)))


@router.patch("/{project_id}", summary="Change a project's details", responses=WRITE_ERRORS)
def update_project(
    session: SessionDep,
    actor: CurrentActor,
    project_id: int,
    body: ProjectUpdate,
    precondition: IfMatch,
    response: Response,
) -> ProjectRead:
    service.update_project(session, actor, project_id, body, precondition)
    return _with_etag(response, to_read(service.get_project_row(session, project_id)))


@router.delete(
    "/{project_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a project that has no pledges",
    responses=problem_responses(401, 403, 404, 409, 412, 503),
)
def delete_project(session: SessionDep, actor: CurrentActor, project_id: int, precondition: IfMatch) -> None:
    delete_project_flow.delete_project(session, actor, project_id, precondition)


@lifecycle_router.post(
    "/{project_id}/transitions",
    summary="Move a project through its lifecycle, or reopen it",
    description=(
        "Staff and admins move a project one step: requested → assessment → planning → seeking_funding → "
        "implementation → completed, on_hold and back, or cancelled. A manager or an admin may reopen a "
        "completed or cancelled project to the status it left (`to` = that status), with a `note` saying "
        "why; anyone else gets 403. Every move is kept in the history and the audit trail."
    ),
    responses=WRITE_ERRORS,
)
def transition(
    session: SessionDep,
    actor: CurrentActor,
    project_id: int,
    body: TransitionCreate,
    precondition: IfMatch,
    response: Response,
) -> ProjectRead:
    service.transition(session, actor, project_id, body.to, body.note, body.on, precondition)
    return _with_etag(response, to_read(service.get_project_row(session, project_id)))


@router.get(
    "/{project_id}/history", summary="Every status change with its date and note", responses=READ_ERRORS
)
def history(session: SessionDep, project_id: int) -> list[StatusChangeRead]:
    return [StatusChangeRead.model_validate(c) for c in service.status_history(session, project_id)]


@router.get("/{project_id}/milestones", summary="A project's milestones", responses=READ_ERRORS)
def list_milestones(session: SessionDep, project_id: int) -> list[MilestoneRead]:
    return [MilestoneRead.model_validate(m) for m in service.list_parts(session, Milestone, project_id)]


@router.post(
    "/{project_id}/milestones",
    status_code=status.HTTP_201_CREATED,
    summary="Add a milestone",
    responses=WRITE_ERRORS,
)
def add_milestone(
    session: SessionDep, actor: CurrentActor, project_id: int, body: MilestoneCreate
) -> MilestoneRead:
    return MilestoneRead.model_validate(service.add_part(session, actor, Milestone, project_id, body))


@router.patch(
    "/{project_id}/milestones/{milestone_id}",
    summary="Change a milestone (e.g. mark it done)",
    responses=WRITE_ERRORS,
)
def update_milestone(
    session: SessionDep,
    actor: CurrentActor,
    project_id: int,
    milestone_id: int,
    body: MilestoneUpdate,
    precondition: IfMatch,
    response: Response,
) -> MilestoneRead:
    milestone, _ = service.update_part(
        session, actor, Milestone, project_id, milestone_id, body, precondition
    )
    set_etag(response, milestone.version)
    return MilestoneRead.model_validate(milestone)


@router.delete(
    "/{project_id}/milestones/{milestone_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a milestone",
    responses=problem_responses(401, 403, 404, 409, 412, 503),
)
def delete_milestone(
    session: SessionDep, actor: CurrentActor, project_id: int, milestone_id: int, precondition: IfMatch
) -> None:
    service.delete_part(session, actor, Milestone, project_id, milestone_id, precondition)


@router.get("/{project_id}/indicators", summary="A project's output indicators", responses=READ_ERRORS)
def list_indicators(session: SessionDep, project_id: int) -> list[IndicatorRead]:
    return [IndicatorRead.model_validate(i) for i in service.list_parts(session, Indicator, project_id)]


@router.post(
    "/{project_id}/indicators",
    status_code=status.HTTP_201_CREATED,
    summary="Add an indicator",
    responses=WRITE_ERRORS,
)
def add_indicator(
    session: SessionDep, actor: CurrentActor, project_id: int, body: IndicatorCreate
) -> IndicatorRead:
    return IndicatorRead.model_validate(service.add_part(session, actor, Indicator, project_id, body))


@router.patch(
    "/{project_id}/indicators/{indicator_id}",
    summary="Change an indicator (e.g. its actual value)",
    responses=WRITE_ERRORS,
)
def update_indicator(
    session: SessionDep,
    actor: CurrentActor,
    project_id: int,
    indicator_id: int,
    body: IndicatorUpdate,
    precondition: IfMatch,
    response: Response,
) -> IndicatorRead:
    indicator, _ = service.update_part(
        session, actor, Indicator, project_id, indicator_id, body, precondition
    )
    set_etag(response, indicator.version)
    return IndicatorRead.model_validate(indicator)


@router.delete(
    "/{project_id}/indicators/{indicator_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete an indicator",
    responses=problem_responses(401, 403, 404, 409, 412, 503),
)
def delete_indicator(
    session: SessionDep, actor: CurrentActor, project_id: int, indicator_id: int, precondition: IfMatch
) -> None:
    service.delete_part(session, actor, Indicator, project_id, indicator_id, precondition)


@trail_router.get(
    "/{project_id}/audit",
    summary="The audit trail of one project and everything under it",
    responses=READ_ERRORS,
)
def project_audit(session: SessionDep, paging: Paging, project_id: int) -> AuditPage:
    entries, total = service.project_trail(session, project_id, paging)
    items = [AuditEntryRead.model_validate(e) for e in entries]
    return AuditPage(items=items, total=total, limit=paging.limit, offset=paging.offset)
