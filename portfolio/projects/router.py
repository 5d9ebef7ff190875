import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from portfolio.audit.schemas import AuditEntryRead, AuditPage
from portfolio.auth import CurrentActor, requires
from portfolio.db import SessionDep
from portfolio.errors import problem_responses
from portfolio.flows import agreements as agreements_flow
from portfolio.flows import delete_project as delete_project_flow
from portfolio.pagination import Paging
from portfolio.preconditions import IfMatch, set_etag
from portfolio.projects import service
from portfolio.projects.models import Indicator, Milestone
from portfolio.projects.repository import ProjectFilters, ProjectRow, read_project_row
from portfolio.projects.schemas import (
    ActivityType,
    Area,
    FundingFilter,
    FundingSummary,
    IndicatorCreate,
    IndicatorRead,
    IndicatorUpdate,
    MeasureRead,
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
from portfolio.security import Actor

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
    norm: Annotated[
        str | None, Query(max_length=40, description="Projects implementing this norm (its code).")
    ] = None,
) -> ProjectFilters:
    """The project list's filters, shared by the list, the exports and the IATI publication."""
    return ProjectFilters(
        status_,
        area,
        beneficiary,
        donor,
        activity_type,
        q,
        funding,
        norm=norm.strip().lower() if norm else None,
    )


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
    return ProjectPage.of(map(to_read, rows), total, paging)


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
async def get_project(session: SessionDep, project_id: int, response: Response) -> ProjectRead:
    def read() -> ProjectRead:
        # One trip to a worker thread for the query and the conversion; the connection goes back to the
        # pool from there, so that closing the session needs no other trip.
        row = read_project_row(session, project_id)
        if row is None:
            raise service.ProjectNotFound(f"Project {project_id} does not exist.")
        project = to_read(row)
        session.close()
        return project

    return _with_etag(response, await run_in_threadpool(read))


# Deleting a project and changing its details reach across domains (its national processes, its
# agreements' reporting obligations): the routes call their flows.


@router.delete(
    "/{project_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a project that has no pledges",
    responses=problem_responses(401, 403, 404, 409, 412, 503),
)
def delete_project(session: SessionDep, actor: CurrentActor, project_id: int, precondition: IfMatch) -> None:
    delete_project_flow.delete_project(session, actor, project_id, precondition)


@router.patch(
    "/{project_id}",
    summary="Change a project's details",
    description=(
        "A new `end_date` moves the reporting obligations its agreements' schedules generated and that are "
        "not yet submitted (final reports, and the interim reports that fall before the end)."
    ),
    responses=WRITE_ERRORS,
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
    return _with_etag(response, to_read(service.get_project_row(session, project_id)))


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


# -- milestones and indicators: the same five routes each, made by one factory ---------------------


@dataclass(frozen=True)
class PartRoutes:
    """How one kind of project part (milestones, indicators) appears in the API."""

    model: Any  # Milestone or Indicator
    plural: str  # the path segment, and the suffix of the list route's name
    singular: str  # the suffix of the other routes' names
    create: type[MilestoneCreate] | type[IndicatorCreate]
    update: type[MilestoneUpdate] | type[IndicatorUpdate]
    read: type[MilestoneRead] | type[IndicatorRead]
    list_summary: str
    add_summary: str
    update_summary: str
    delete_summary: str


def _endpoint(
    call: Callable[..., Any], name: str, params: dict[str, Any], returns: Any
) -> Callable[..., Any]:
    """``call`` under ``name``, with the signature FastAPI reads its parameters and response from."""
    call.__name__ = call.__qualname__ = name
    call.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, annotation=a) for k, a in params.items()],
        return_annotation=returns,
    )
    return call


def add_part_routes(router: APIRouter, part: PartRoutes) -> None:
    """List, add, change (If-Match, ETag) and delete parts of one kind under ``/{project_id}/<plural>``."""
    model, read = part.model, part.read
    collection = f"/{{project_id}}/{part.plural}"
    item_id = f"{part.singular}_id"
    item = f"{collection}/{{{item_id}}}"

    def list_parts(*, session: Session, project_id: int) -> list[Any]:
        return [read.model_validate(p) for p in service.list_parts(session, model, project_id)]

    def add_part(*, session: Session, actor: Actor, project_id: int, body: Any) -> Any:
        return read.model_validate(service.add_part(session, actor, model, project_id, body))

    def update_part(**values: Any) -> Any:
        found, _ = service.update_part(
            values["session"],
            values["actor"],
            model,
            values["project_id"],
            values[item_id],
            values["body"],
            values["precondition"],
        )
        set_etag(values["response"], found.version)
        return read.model_validate(found)

    def delete_part(**values: Any) -> None:
        service.delete_part(
            values["session"],
            values["actor"],
            model,
            values["project_id"],
            values[item_id],
            values["precondition"],
        )

    reader = {"session": SessionDep, "project_id": int}
    writer = {"session": SessionDep, "actor": CurrentActor, "project_id": int}
    routes: list[tuple[str, str, Callable[..., Any], str, dict[str, Any], Any, dict[str, Any]]] = [
        ("GET", collection, list_parts, f"list_{part.plural}", reader, list[read], {  # type: ignore[valid-type]
            "summary": part.list_summary, "responses": READ_ERRORS
        }),
        ("POST", collection, add_part, f"add_{part.singular}", {**writer, "body": part.create}, read, {
            "summary": part.add_summary, "responses": WRITE_ERRORS, "status_code": status.HTTP_201_CREATED
        }),
        ("PATCH", item, update_part, f"update_{part.singular}", {
            **writer, item_id: int, "body": part.update, "precondition": IfMatch, "response": Response
        }, read, {"summary": part.update_summary, "responses": WRITE_ERRORS}),
        ("DELETE", item, delete_part, f"delete_{part.singular}", {
            **writer, item_id: int, "precondition": IfMatch
        }, None, {
            "summary": part.delete_summary,
            "responses": problem_responses(401, 403, 404, 409, 412, 503),
            "status_code": status.HTTP_204_NO_CONTENT,
            "response_class": Response,
        }),
    ]  # fmt: skip
    for method, path, call, name, params, returns, options in routes:
        router.add_api_route(
            path, _endpoint(call, name, params, returns), methods=[method], name=name, **options
        )


add_part_routes(
    router,
    PartRoutes(
        Milestone,
        "milestones",
        "milestone",
        MilestoneCreate,
        MilestoneUpdate,
        MilestoneRead,
        list_summary="A project's milestones",
        add_summary="Add a milestone",
        update_summary="Change a milestone (e.g. mark it done)",
        delete_summary="Delete a milestone",
    ),
)
add_part_routes(
    router,
    PartRoutes(
        Indicator,
        "indicators",
        "indicator",
        IndicatorCreate,
        IndicatorUpdate,
        IndicatorRead,
        list_summary="A project's output indicators",
        add_summary="Add an indicator (free, or counted in a standard measure, with women and men)",
        update_summary="Change an indicator (e.g. its actual value, or its women and men)",
        delete_summary="Delete an indicator",
    ),
)


@trail_router.get(
    "/{project_id}/audit",
    summary="The audit trail of one project and everything under it",
    responses=READ_ERRORS,
)
def project_audit(session: SessionDep, paging: Paging, project_id: int) -> AuditPage:
    entries, total = service.project_trail(session, project_id, paging)
    items = [AuditEntryRead.model_validate(e) for e in entries]
    return AuditPage(items=items, total=total, limit=paging.limit, offset=paging.offset)


# -- the catalogue of standard measures -----------------------------------------------------------

measures_router = APIRouter(prefix="/api/v1/measures", tags=["Projects"], dependencies=requires("projects"))


@measures_router.get(
    "",
    summary="The standard measures an indicator may carry",
    description="An indicator with a standard measure is counted in the measure's unit and adds up across "
    "projects; measures that count people (disaggregated_by_sex) carry women and men of the target and of "
    "the actual. Read by everyone logged in.",
    responses=problem_responses(401, 503),
)
def list_measures() -> list[MeasureRead]:
    return [MeasureRead.model_validate(m) for m in service.measures()]
