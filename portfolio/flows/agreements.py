"""Contribution agreements, where they meet the pledges and the projects: recording a signed agreement
commits a pledge still only pledged (through the funding rules, audited, in the same transaction); the
obligations are generated against the project's end date; a project whose end date changes moves its
agreements' generated obligations not yet submitted; and a pledge with an agreement is never deleted.
Every project update goes through :func:`update_project` here, so that no path can move an end date and
leave the obligations behind."""

from __future__ import annotations

from sqlmodel import Session

from portfolio.agreements import service as agreements_service
from portfolio.agreements.models import Agreement
from portfolio.agreements.schemas import AgreementCreate, AgreementUpdate
from portfolio.errors import Conflict
from portfolio.facts import Facts
from portfolio.funding import service as funding_service
from portfolio.funding.models import Pledge
from portfolio.funding.schemas import PledgeStatus, PledgeUpdate
from portfolio.preconditions import ANY, Precondition
from portfolio.projects import service as projects_service
from portfolio.projects.models import Project
from portfolio.projects.schemas import ProjectUpdate
from portfolio.security import Actor
from portfolio.spending import service as spending_service


class PledgeHasAgreement(Conflict):
    slug = "pledge-has-agreement"
    title = "Pledge has an agreement"


def pledge_facts(session: Session, actor: Actor, pledge_id: int) -> agreements_service.PledgeFacts:
    """The pledge as ``actor`` may see it (404 otherwise) and its project's end date."""
    pledge = funding_service.get_pledge_row(session, actor, pledge_id).pledge
    assert pledge.id is not None
    project = projects_service.get_project(session, pledge.project_id)
    return agreements_service.PledgeFacts(
        pledge.id, pledge.project_id, pledge.donor, pledge.status, project.end_date
    )


def _commit_pledge(
    session: Session, actor: Actor, facts: Facts, pledge: agreements_service.PledgeFacts
) -> None:
    if pledge.status == PledgeStatus.pledged:
        update = PledgeUpdate(status=PledgeStatus.committed)
        funding_service.update_pledge(session, actor, pledge.id, update, facts)


def record_agreement(
    session: Session, actor: Actor, facts: Facts, pledge_id: int, data: AgreementCreate
) -> Agreement:
    """A pledge's agreement; signed, it commits the pledge and generates the reporting obligations."""
    pledge = pledge_facts(session, actor, pledge_id)
    agreement = agreements_service.create_agreement(session, actor, pledge, data)
    if agreement.signed_on is not None:
        _commit_pledge(session, actor, facts, pledge)
    return agreement


def change_agreement(
    session: Session,
    actor: Actor,
    facts: Facts,
    pledge_id: int,
    data: AgreementUpdate,
    precondition: Precondition = ANY,
) -> Agreement:
    """Change a pledge's agreement; signing it commits the pledge."""
    pledge = pledge_facts(session, actor, pledge_id)
    agreement, changes = agreements_service.update_agreement(session, actor, pledge, data, precondition)
    if "signed_on" in changes and agreement.signed_on is not None:
        _commit_pledge(session, actor, facts, pledge)
    return agreement


def end_date_moved(session: Session, actor: Actor, project: Project) -> None:
    """The project's end date changed: its agreements' generated obligations not yet submitted follow."""
    assert project.id is not None
    for agreement in agreements_service.project_agreements(session, project.id):
        agreements_service.sync_obligations(session, actor, agreement, project.id, project.end_date)


def update_project(
    session: Session, actor: Actor, project_id: int, data: ProjectUpdate, precondition: Precondition = ANY
) -> tuple[Project, projects_service.Changes]:
    """The one way a project's details change (API, pages, import): the projects' rules, then the
    obligations that hang on its end date; a new budget must still hold the project's budget lines."""
    project, changes = projects_service.update_project(session, actor, project_id, data, precondition)
    if "budget_eur" in changes:
        spending_service.check_lines_fit(session, project_id, project.budget_eur)
    if "end_date" in changes:
        end_date_moved(session, actor, project)
    return project, changes


def delete_pledge(session: Session, actor: Actor, pledge_id: int, precondition: Precondition = ANY) -> Pledge:
    """A pledge recorded in error goes, unless a contribution agreement commits it (and reports are owed
    under it): that one is withdrawn instead."""
    if agreements_service.has_agreement(session, pledge_id):
        raise PledgeHasAgreement(
            f"Pledge {pledge_id} has a contribution agreement and cannot be deleted; withdraw it instead."
        )
    return funding_service.delete_pledge(session, actor, pledge_id, precondition)
