"""Deleting a project: refused while it has pledges or expenditures; the national processes it helped
build lose the link (a change to each, in their audit trail); then the project goes, with everything it
holds."""

from __future__ import annotations

from sqlmodel import Session

from portfolio.funding import service as funding_service
from portfolio.preconditions import ANY, Precondition
from portfolio.processes import service as processes_service
from portfolio.projects import service as projects_service
from portfolio.projects.models import Project
from portfolio.security import Actor
from portfolio.spending import service as spending_service


def delete_project(
    session: Session, actor: Actor, project_id: int, precondition: Precondition = ANY
) -> Project:
    project = projects_service.get_project(session, project_id, for_update=True, precondition=precondition)
    pledges = funding_service.count_pledges(session, project_id)
    if pledges:
        raise projects_service.ProjectHasPledges(
            f"Project {project.code} has {pledges} pledge(s) and cannot be deleted; cancel it instead."
        )
    spent = spending_service.count_expenditures(session, project_id)
    if spent:
        raise projects_service.ProjectHasPledges(
            f"Project {project.code} has {spent} expenditure(s) and cannot be deleted; cancel it instead."
        )
    processes_service.unlink_project(session, actor, project_id)
    return projects_service.delete_project(session, actor, project_id)
