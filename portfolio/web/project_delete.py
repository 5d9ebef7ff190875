"""Deleting a project entered by mistake, from its page: a confirmation that says what goes with it (its
milestones, indicators and history; the national processes it is linked to lose the link), then the
delete through the same flow as ``DELETE /api/v1/projects/{id}`` — refused, saying why, while the project
has pledges (a project with money is cancelled, not deleted). Whoever may change projects may delete one;
the audit trail keeps its last state whole."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from portfolio.db import SessionDep
from portfolio.flows import delete_project as delete_project_flow
from portfolio.funding import service as funding_service
from portfolio.preconditions import Precondition
from portfolio.processes import service as processes_service
from portfolio.projects import service as projects_service
from portfolio.users.models import User
from portfolio.web.forms import typed
from portfolio.web.i18n import request_lang, translations
from portfolio.web.render import templates
from portfolio.web.session import actor_of, csrf_protect, writer_of
from portfolio.web.submit import Attempt

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
ProjectWriter = Annotated[User, Depends(writer_of("projects"))]


def _confirmation(
    request: Request, session: Session, project_id: int, status_code: int = 200, refusal: str = ""
) -> Response:
    row = projects_service.get_project_row(session, project_id)
    milestones, indicators, _history = projects_service.project_parts(session, project_id)
    return templates.render(
        request,
        "projects/project_delete.html",
        status_code,
        project=row.project,
        pledges=funding_service.count_pledges(session, project_id),
        milestones=len(milestones),
        indicators=len(indicators),
        processes=processes_service.processes_of_project(session, project_id),
        refusal=refusal,
    )


@router.get("/projects/{project_id}/delete")
def confirm_delete(request: Request, session: SessionDep, user: ProjectWriter, project_id: int) -> Response:
    return _confirmation(request, session, project_id)


@router.post("/projects/{project_id}/delete")
async def delete_project(
    request: Request, session: SessionDep, user: ProjectWriter, project_id: int
) -> Response:
    values = typed(await request.form())
    attempt = Attempt(session)
    with attempt:
        project = delete_project_flow.delete_project(
            session, actor_of(user), project_id, Precondition(frozenset({str(values.get("version", ""))}))
        )
    if attempt.conflict or attempt.refused:
        gettext = translations(request_lang(request)).gettext
        refusal = gettext("The project was not deleted: %(reason)s") % {"reason": attempt.detail}
        return _confirmation(request, session, project_id, attempt.status, refusal)
    return RedirectResponse(f"/projects?deleted={project.code}", status_code=303)
