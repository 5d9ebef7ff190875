"""The routes of the cross-domain use cases: each calls its flow, under its resource's policy."""

from fastapi import APIRouter, Response, status

from portfolio.auth import CurrentActor, requires
from portfolio.db import SessionDep
from portfolio.errors import problem_responses
from portfolio.flows import delete_project as delete_project_flow
from portfolio.preconditions import IfMatch

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
