"""Home: the work waiting for the person logged in. Staff, admins and managers see the requests awaiting
assessment, the projects seeking funding with their gap, the overdue milestones, the committed pledges
whose money has not all arrived, the overdue reporting obligations and instalments and the latest changes;
a donor State's account sees its own State's pledges, overdue reports and instalments and the way to its
donor view, nothing of other donors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from portfolio.agreements import service as agreements_service
from portfolio.audit import service as audit_service
from portfolio.db import SessionDep
from portfolio.funding import service as funding_service
from portfolio.funding.service import PledgeFilters  # type: ignore[attr-defined]  # the service's own type, re-exported
from portfolio.projects import service as projects_service
from portfolio.projects.service import ProjectFilters  # type: ignore[attr-defined]  # the service's own type, re-exported
from portfolio.web.changes import Lookups, describe, look_up
from portfolio.web.i18n import request_lang
from portfolio.web.projects import emails_of, query_of, state_names
from portfolio.web.render import templates
from portfolio.web.session import PageUser, actor_of, csrf_protect

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

ROWS = 10
RECENT = 15
SIGN_IN_ACTIONS = frozenset({"login_failed", "lock"})
DONOR_ROWS = 200

REQUESTED = ProjectFilters(status="requested")
SEEKING = ProjectFilters(status="seeking_funding", funding="underfunded")


@router.get("/")
def home(request: Request, session: SessionDep, user: PageUser) -> Response:
    actor = actor_of(user)
    lang = request_lang(request)
    if actor.is_donor:
        rows, total = funding_service.list_pledges(session, actor, PledgeFilters(), DONOR_ROWS, 0)
        late, late_total = agreements_service.overdue_obligations(session, actor, ROWS)
        instalments = funding_service.overdue_instalments(session, actor)
        ids = {r.pledge.project_id for r in rows} | {o.project_id for o in late}
        ids |= {o.pledge.project_id for o in instalments[:ROWS]}
        projects = projects_service.codes_and_titles(session, sorted(ids))
        return templates.render(
            request,
            "layout/home.html",
            donor=True,
            pledges=[(r, funding_service.outstanding(r)) for r in rows],
            pledge_total=total,
            projects=projects,
            pledged_eur=sum(
                (r.pledge.amount_eur for r in rows if r.pledge.status != "withdrawn"), Decimal("0.00")
            ),
            received_eur=sum((r.received_eur for r in rows), Decimal("0.00")),
            state_name=state_names(session, lang).get(user.state or "", user.state),
            late=late,
            late_total=late_total,
            instalments=instalments[:ROWS],
            instalments_total=len(instalments),
            names=state_names(session, lang),
            today=date.today(),
        )
    requested, requested_total = projects_service.list_projects(
        session, actor, REQUESTED, "request_date", ROWS, 0
    )
    seeking, seeking_total = projects_service.list_projects(session, actor, SEEKING, "-gap_eur", ROWS, 0)
    overdue, overdue_total = projects_service.overdue_milestones(session, date.today(), ROWS)
    awaiting, awaiting_total = funding_service.pledges_awaiting_money(session, actor, ROWS)
    late, late_total = agreements_service.overdue_obligations(session, actor, ROWS)
    instalments = funding_service.overdue_instalments(session, actor)
    ids = {r.pledge.project_id for r in awaiting} | {o.project_id for o in late}
    ids |= {o.pledge.project_id for o in instalments[:ROWS]}
    projects = projects_service.codes_and_titles(session, sorted(ids))
    # Failed sign-ins are the administrators' (Accounts → Failed sign-ins), not staff's recent changes; older
    # databases still hold some in the audit trail.
    recent = [e for e in audit_service.recent_entries(session, RECENT) if e.action not in SIGN_IN_ACTIONS]
    names = state_names(session, lang)
    lookups = Lookups.of(recent, lang, names, emails_of(session))
    look_up(session, actor, recent, lookups)
    return templates.render(
        request,
        "layout/home.html",
        donor=False,
        requested=requested,
        requested_total=requested_total,
        requested_query=query_of(REQUESTED, "request_date"),
        seeking=[(r, projects_service.funding_of(r)) for r in seeking],
        seeking_total=seeking_total,
        seeking_query=query_of(SEEKING, "-gap_eur"),
        overdue=overdue,
        overdue_total=overdue_total,
        awaiting=[(r, funding_service.outstanding(r)) for r in awaiting],
        awaiting_total=awaiting_total,
        late=late,
        late_total=late_total,
        instalments=instalments[:ROWS],
        instalments_total=len(instalments),
        projects=projects,
        names=names,
        recent=describe(recent, lookups),
        today=date.today(),
    )
