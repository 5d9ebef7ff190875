"""A project's budget by line: a line or a revision that does not come out of the unallocated remainder
moves the project's budget with it (the projects' rules and audit trail), in the same transaction."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session

from portfolio.preconditions import ANY, Precondition
from portfolio.projects import service as projects_service
from portfolio.projects.schemas import ProjectUpdate
from portfolio.security import Actor
from portfolio.spending import service as spending_service
from portfolio.spending.models import BudgetLine
from portfolio.spending.schemas import BudgetLineCreate, BudgetLineRevision


def _move_budget(session: Session, actor: Actor, project_id: int, by: Decimal) -> None:
    if not by:
        return
    project = projects_service.get_project(session, project_id, for_update=True)
    budget = (project.budget_eur or Decimal("0.00")) + by
    projects_service.update_project(session, actor, project_id, ProjectUpdate(budget_eur=budget))


def add_line(session: Session, actor: Actor, project_id: int, data: BudgetLineCreate) -> BudgetLine:
    line, moved = spending_service.add_line(session, actor, project_id, data)
    _move_budget(session, actor, project_id, moved)
    return line


def revise_line(
    session: Session, actor: Actor, line_id: int, data: BudgetLineRevision, precondition: Precondition = ANY
) -> BudgetLine:
    line, moved = spending_service.revise_line(session, actor, line_id, data, precondition)
    _move_budget(session, actor, line.project_id, moved)
    return line
