"""Donors' expressions of interest on the pages: the **Seeking funding** page, where a donor State's
account reads the projects that seek funding (their needs and gaps, never another donor's money),
expresses interest in one and withdraws its own; and, on a project's page, its interests for staff, with
the button that turns one into a pledge. Every write goes through the interests' service or its flow."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from portfolio.db import SessionDep
from portfolio.flows import interests as interests_flow
from portfolio.interests import service as interests_service
from portfolio.interests.schemas import InterestCreate
from portfolio.marking import mark as _
from portfolio.preconditions import Precondition
from portfolio.projects import service as projects_service
from portfolio.projects.schemas import Area, ProjectSort
from portfolio.states import service as states_service
from portfolio.users.models import User
from portfolio.web.forms import Form, build, typed
from portfolio.web.funding import currency_options, donor_groups
from portfolio.web.i18n import options, request_lang, translations
from portfolio.web.pager import page_address
from portfolio.web.project_interests import NOTICES, lines_of, state_names
from portfolio.web.render import templates
from portfolio.web.session import PageUser, actor_of, csrf_protect, may, writer_of
from portfolio.web.submit import Attempt

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
InterestWriter = Annotated[User, Depends(writer_of("interests"))]
PledgeWriter = Annotated[User, Depends(writer_of("pledges"))]
FIELDS = ("donor", "amount", "currency", "note")
PER_PAGE = 20
OWN_LIMIT = 100


# -- the Seeking funding page --------------------------------------------------------------------------


SEEKING_SORT_LABELS = {
    "code": _("Seeking funding first, by code"),
    # the register's words
    **{sort: ProjectSort(sort).label for sort in ("-gap_eur", "start_date")},
}
VIEW_FIELDS = ("area", "beneficiary", "sort")


@dataclass(frozen=True)
class View:
    """What the page shows: the area and beneficiary State chosen (None: any), the order, the page.
    A value that is not one of the choices is ignored, as a filter naming nothing."""

    area: str | None = None
    beneficiary: str | None = None
    sort: str = "code"
    page: int = 1

    @classmethod
    def of(cls, values: Mapping[str, Any], states: Mapping[str, str]) -> View:
        area = str(values.get("area", "")).strip()
        beneficiary = str(values.get("beneficiary", "")).strip().upper()
        sort = str(values.get("sort", "")).strip()
        return cls(
            area if area in Area.labels() else None,
            beneficiary if beneficiary in states else None,
            sort if sort in SEEKING_SORT_LABELS else "code",
            max(1, min(_page_of(values), 10_000)),
        )

    def query(self, page: int | None = None) -> str:
        """This view's query string, on another page when given."""
        pairs = [("area", self.area), ("beneficiary", self.beneficiary)]
        page = page or self.page
        pairs += [
            ("sort", self.sort if self.sort != "code" else None),
            ("page", str(page) if page > 1 else None),
        ]
        return urlencode([(k, v) for k, v in pairs if v])


def _seeking_page(
    request: Request,
    session: Session,
    user: User,
    values: Mapping[str, Any],
    status_code: int = 200,
    *,
    forms: Mapping[int, Form] | None = None,
    refusal: str = "",
) -> Response:
    lang = request_lang(request)
    gettext = translations(lang).gettext
    actor = actor_of(user)
    names = state_names(session, lang)
    view = View.of(values, names)
    page = view.page
    rows, total = interests_flow.seeking_projects(
        session,
        actor,
        PER_PAGE,
        (page - 1) * PER_PAGE,
        area=view.area,
        beneficiary=view.beneficiary,
        sort=view.sort,
    )
    own, own_total = interests_service.recent_interests(session, actor, OWN_LIMIT)
    done = request.query_params.get("done", "")
    donor = user.role == "donor"
    return templates.render(
        request,
        "interests/seeking_funding.html",
        status_code,
        projects=[(r, projects_service.funding_of(r)) for r in rows],
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        page_url=page_address("/seeking-funding", view.query),
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
        notice=gettext(NOTICES[done]) if done in NOTICES else None,
        view=view,
        filter_form=Form({"area": view.area or "", "beneficiary": view.beneficiary or "", "sort": view.sort}),
        area_options=options(Area, lang),
        state_options=sorted(
            (
                (s.code, names[s.code])
                for s in states_service.list_states(session)
                if s.kind == "participating"
            ),
            key=lambda item: item[1],
        ),
        sort_options=[(v, gettext(t)) for v, t in SEEKING_SORT_LABELS.items()],
        path="/seeking-funding",  # a refused form answers at its own address: the menu still shows this page
    )


@router.get("/seeking-funding")
def seeking_funding(request: Request, session: SessionDep, user: PageUser) -> Response:
    return _seeking_page(request, session, user, request.query_params)


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
    back = View.of(values, state_names(session, request_lang(request))).query()
    fields = {k: v for k, v in values.items() if k in FIELDS}
    if user.role == "donor":
        fields.pop("donor", None)  # the account's own State, whatever was sent
    attempt = Attempt(session)
    with attempt:
        body = build(InterestCreate, fields, lang=request_lang(request))
        interests_flow.express_interest(
            session, actor_of(user), request.app.state.facts(session), project_id, body
        )
    if attempt.refused:
        status = attempt.status
        form = attempt.shown_on(Form(values), FIELDS if user.role != "donor" else FIELDS[1:])
        gettext = translations(request_lang(request)).gettext
        refusal = gettext("Your expression of interest was not recorded.")
        return _seeking_page(
            request, session, user, values, status, forms={project_id: form}, refusal=refusal
        )
    return RedirectResponse(f"/seeking-funding?done=interest-added&{back}", status_code=303)


@router.post("/interests/{interest_id}/withdraw")
async def withdraw_interest(
    request: Request, session: SessionDep, user: InterestWriter, interest_id: int
) -> Response:
    values = typed(await request.form())
    back = View.of(values, state_names(session, request_lang(request))).query()
    attempt = Attempt(session)
    with attempt:
        precondition = Precondition(frozenset({str(values.get("version", ""))}))
        interests_service.withdraw(session, actor_of(user), interest_id, precondition)
    if attempt.conflict or attempt.refused:
        status = attempt.status
        return _seeking_page(request, session, user, values, status, refusal=attempt.detail)
    return RedirectResponse(f"/seeking-funding?done=interest-withdrawn&{back}", status_code=303)


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
