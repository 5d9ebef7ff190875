"""Donors' expressions of interest on the pages: the **Seeking funding** page, where a donor State's
account reads the projects that seek funding (their needs and gaps, never another donor's money),
expresses interest in one and withdraws its own; and, on a project's page, its interests for staff, with
the button that turns one into a pledge. Every write goes through the interests' service or its flow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from portfolio.db import SessionDep
from portfolio.errors import AppError
from portfolio.flows import interests as interests_flow
from portfolio.interests import service as interests_service
from portfolio.interests.schemas import InterestCreate
from portfolio.preconditions import Precondition
from portfolio.projects import service as projects_service
from portfolio.users.models import User
from portfolio.web.forms import Form, build, typed
from portfolio.web.funding import currency_options, donor_groups
from portfolio.web.i18n import request_lang, translations
from portfolio.web.project_interests import NOTICES, STATUS_LABELS, lines_of, state_names
from portfolio.web.projects import ACTIVITY_LABELS, AREA_LABELS
from portfolio.web.render import templates
from portfolio.web.session import PageUser, actor_of, csrf_protect, may, writer_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
InterestWriter = Annotated[User, Depends(writer_of("interests"))]
PledgeWriter = Annotated[User, Depends(writer_of("pledges"))]
FIELDS = ("donor", "amount", "currency", "note")
PER_PAGE = 20
OWN_LIMIT = 100


def _(text: str) -> str:
    """Marks an English text for the catalogue; it is translated where it is shown."""
    return text


PROJECT_STATUS_LABELS = {"seeking_funding": _("Seeking funding"), "implementation": _("Implementation")}


# -- the Seeking funding page --------------------------------------------------------------------------


def _seeking_page(
    request: Request,
    session: Session,
    user: User,
    page: int,
    status_code: int = 200,
    *,
    forms: Mapping[int, Form] | None = None,
    refusal: str = "",
) -> Response:
    lang = request_lang(request)
    gettext = translations(lang).gettext
    actor = actor_of(user)
    page = max(1, min(page, 10_000))
    rows, total = interests_flow.seeking_projects(session, actor, PER_PAGE, (page - 1) * PER_PAGE)
    names = state_names(session, lang)
    own, own_total = interests_service.recent_interests(session, actor, OWN_LIMIT)
    done = request.query_params.get("done", "")
    donor = user.role == "donor"
    return templates.render(
        request,
        "seeking_funding.html",
        status_code,
        projects=[(r, projects_service.funding_of(r)) for r in rows],
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        forms=forms or {},
        empty_form=Form(),
        refusal=refusal,
        own=lines_of(session, own, names),
        own_total=own_total,
        names=names,
        donor=donor,
        writer=may(user, "interests", "write"),
        donors=[] if donor else donor_groups(session, lang),
        currencies=currency_options(session, lang),
        status_labels=STATUS_LABELS,
        project_status_labels=PROJECT_STATUS_LABELS,
        activity_labels=ACTIVITY_LABELS,
        area_labels=AREA_LABELS,
        notice=gettext(NOTICES[done]) if done in NOTICES else None,
        path="/seeking-funding",  # a refused form answers at its own address: the menu still shows this page
    )


@router.get("/seeking-funding")
def seeking_funding(request: Request, session: SessionDep, user: PageUser, page: int = 1) -> Response:
    return _seeking_page(request, session, user, page)


def _page_of(values: Mapping[str, Any]) -> int:
    try:
        return int(str(values.get("page", "1")))
    except ValueError:
        return 1


@router.post("/projects/{project_id}/interests/new")
async def express_interest(
    request: Request, session: SessionDep, user: InterestWriter, project_id: int
) -> Response:
    values = typed(await request.form())
    page = _page_of(values)
    fields = {k: v for k, v in values.items() if k in FIELDS}
    if user.role == "donor":
        fields.pop("donor", None)  # the account's own State, whatever was sent
    try:
        body = build(InterestCreate, fields)
        interests_flow.express_interest(
            session, actor_of(user), request.app.state.facts(session), project_id, body
        )
    except (AppError, ValidationError) as exc:
        session.rollback()
        status = exc.status if isinstance(exc, AppError) else 422
        form = Form(values).refused(exc, FIELDS if user.role != "donor" else FIELDS[1:])
        gettext = translations(request_lang(request)).gettext
        refusal = gettext("Your expression of interest was not recorded.")
        return _seeking_page(request, session, user, page, status, forms={project_id: form}, refusal=refusal)
    return RedirectResponse(f"/seeking-funding?done=interest-added&page={page}", status_code=303)


@router.post("/interests/{interest_id}/withdraw")
async def withdraw_interest(
    request: Request, session: SessionDep, user: InterestWriter, interest_id: int
) -> Response:
    values = typed(await request.form())
    page = _page_of(values)
    try:
        precondition = Precondition(frozenset({str(values.get("version", ""))}))
        interests_service.withdraw(session, actor_of(user), interest_id, precondition)
    except AppError as exc:
        session.rollback()
        return _seeking_page(request, session, user, page, exc.status, refusal=exc.detail)
    return RedirectResponse(f"/seeking-funding?done=interest-withdrawn&page={page}", status_code=303)


@router.post("/interests/{interest_id}/pledge")
async def turn_into_pledge(
    request: Request, session: SessionDep, user: PledgeWriter, interest_id: int
) -> Response:
    """The interest becomes a pledge (or, refused, an error page that says why; nothing is written)."""
    values = typed(await request.form())
    precondition = Precondition(frozenset({str(values.get("version", ""))}))
    interest, _pledge = interests_flow.turn_into_pledge(
        session, actor_of(user), request.app.state.facts(session), interest_id, precondition=precondition
    )
    return RedirectResponse(
        f"/projects/{interest.project_id}?done=interest-converted#h-interests", status_code=303
    )
