"""Money out on the staff pages: the Budget and spending section of a project's page (its include,
``spending/project_spending.html``) — the budget against actual by line, where the money stands, the latest
expenditures with the pledges that paid them — and the forms that add and revise budget lines and record
and reverse expenditures, each saving through the same flow or service call as the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from portfolio.db import SessionDep
from portfolio.flows import budget as budget_flow
from portfolio.marking import mark as _
from portfolio.pagination import PageParams
from portfolio.preconditions import Precondition
from portfolio.projects import service as projects_service
from portfolio.projects.models import Project
from portfolio.spending import service as spending_service
from portfolio.spending.models import BudgetLine
from portfolio.spending.schemas import (
    BudgetCategory,
    BudgetLineCreate,
    BudgetLineRevision,
    ExpenditureCreate,
    ReversalCreate,
)
from portfolio.states import service as states_service
from portfolio.users.models import User
from portfolio.web.conflict import Change, changed_meanwhile, loaded_now
from portfolio.web.forms import Form, Typed, build, typed
from portfolio.web.funding import currency_options
from portfolio.web.i18n import label, options, request_lang, translations
from portfolio.web.pager import numbered
from portfolio.web.render import templates
from portfolio.web.session import PageUser, actor_of, csrf_protect, may, writer_of
from portfolio.web.submit import Attempt

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
SpendingWriter = Annotated[User, Depends(writer_of("spending"))]

LINE_FIELDS = ("category", "label", "year", "amount_eur", "from_unallocated", "reason")
REVISION_FIELDS = ("amount_eur", "label", "from_unallocated", "reason")
EXPENDITURE_FIELDS = ("spent_on", "amount", "currency", "line_id", "description", "reference")
REVERSAL_FIELDS = ("reason",)
LATEST = 10  # the expenditures the project's page lists; the rest are a link away
PER_PAGE = 50
SECTION = "#h-spending"

# The `?done=` keys the forms redirect to the project's page with, and what its section says.
NOTICES = {
    "budget-line-added": _("The budget line was added."),
    "budget-line-revised": _("The budget line was revised."),
    "expenditure-recorded": _("The expenditure was recorded."),
    "expenditure-reversed": _("The expenditure was reversed."),
}


def _gettext(request: Request) -> Callable[[str], str]:
    return translations(request_lang(request)).gettext


def back(project_id: int, done: str) -> RedirectResponse:
    """After a save: the project's page at its Budget and spending section, with the notice of what was
    done."""
    return RedirectResponse(f"/projects/{project_id}?done={done}{SECTION}", status_code=303)


def line_name(line: BudgetLine, lang: str) -> str:
    """A budget line as a pick-list and a table name it: its category, its label, its year."""
    name = label(line.category, BudgetCategory, lang)
    if line.label:
        name += f" — {line.label}"
    if line.year is not None:
        name += f" ({line.year})"
    return name


def line_names(view: spending_service.BudgetView, lang: str) -> dict[int, str]:
    """Every line of the budget by id, named."""
    return {v.line.id: line_name(v.line, lang) for v in view.lines if v.line is not None and v.line.id}


def _checked(values: Typed, name: str = "from_unallocated") -> dict[str, Any]:
    """The form's values with its checkbox read as the API takes it: ticked is "true", left out "false"
    (a browser sends nothing for a box that is not ticked)."""
    return {**values, name: "true" if values.get(name) else "false"}


# -- the project page's section -------------------------------------------------------------------


def section_context(request: Request, session: Session, user: User, project_id: int) -> dict[str, Any]:
    """What the project page's Budget and spending section shows: the budget by line against what was
    spent, the project's money in figures, its latest expenditures (a donor's account: its own State's
    shares of them only), whether this person may write them, and the notice after doing so. A donor's
    account on a project its State does not fund sees no section."""
    lang = request_lang(request)
    found = spending_service.overview(session, actor_of(user), project_id, LATEST)
    if found is None:
        return {"money_out": None}
    done = request.query_params.get("done", "")
    return {
        "money_out": found,
        "money_line_names": line_names(found.budget, lang),
        "projected_eur": found.spending.projected_balance_eur(date.today()),
        "spending_writer": may(user, "spending", "write"),
        "spending_notice": translations(lang).gettext(NOTICES[done]) if done in NOTICES else None,
        "BudgetCategory": BudgetCategory,
    }


@router.get("/projects/{project_id}/expenditures")
def expenditures(
    request: Request, session: SessionDep, user: PageUser, project_id: int, page: int = 1
) -> Response:
    """Every expenditure of the project, latest first, a page at a time."""
    actor = actor_of(user)
    project = projects_service.get_project(session, project_id)
    spending_service.spending(session, actor, project_id)  # a 404 page for a donor it does not concern
    lang = request_lang(request)
    page = max(1, min(page, 100_000))
    filters = spending_service.ExpenditureFilters(project_id=project_id)  # type: ignore[attr-defined]
    rows, total = spending_service.list_expenditures(
        session, actor, filters, PageParams(PER_PAGE, (page - 1) * PER_PAGE)
    )
    return templates.render(
        request,
        "spending/expenditures.html",
        project=project,
        expenditures=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        page_url=numbered(f"/projects/{project_id}/expenditures"),
        money_line_names=line_names(spending_service.budget(session, project_id), lang),
        names=states_service.names(session, lang),
        spending_writer=may(user, "spending", "write"),
        donor=user.role == "donor",
    )


# -- budget lines ---------------------------------------------------------------------------------


def year_options(project: Project) -> list[tuple[str, str]] | None:
    """The years a line may be for — the project's, from its start to its end — or None when the project
    has no dates yet (the year is typed then)."""
    if project.start_date is None or project.end_date is None:
        return None
    first, last = project.start_date.year, project.end_date.year
    if not 0 <= last - first <= 30:
        return None
    return [(str(year), str(year)) for year in range(first, last + 1)]


def _line_page(
    request: Request, session: Session, project: Project, form: Form, status_code: int = 200
) -> Response:
    assert project.id is not None
    return templates.render(
        request,
        "spending/line_form.html",
        status_code,
        form=form,
        project=project,
        budget=spending_service.budget(session, project.id),
        categories=options(BudgetCategory, request_lang(request)),
        years=year_options(project),
    )


@router.get("/projects/{project_id}/budget-lines/new")
def new_line(request: Request, session: SessionDep, user: SpendingWriter, project_id: int) -> Response:
    project = projects_service.get_project(session, project_id)
    return _line_page(request, session, project, Form({"from_unallocated": "true"}))


@router.post("/projects/{project_id}/budget-lines/new")
async def add_line(request: Request, session: SessionDep, user: SpendingWriter, project_id: int) -> Response:
    project = projects_service.get_project(session, project_id)
    values = _checked({k: v for k, v in typed(await request.form()).items() if k in LINE_FIELDS})
    attempt = Attempt(session)
    with attempt:
        body = build(BudgetLineCreate, values, lang=request_lang(request))
        budget_flow.add_line(session, actor_of(user), project_id, body)
    if attempt.refused:
        form = attempt.shown_on(Form(values), LINE_FIELDS)
        return _line_page(request, session, project, form, attempt.status)
    return back(project_id, "budget-line-added")


def _revision_page(
    request: Request,
    session: Session,
    line: BudgetLine,
    form: Form,
    status_code: int = 200,
    *,
    version: int | None = None,
    loaded_at: str = "",
    changes: list[Change] | None = None,
) -> Response:
    assert line.id is not None
    project = projects_service.get_project(session, line.project_id)
    lines = spending_service.budget(session, line.project_id).lines
    view = next(v for v in lines if v.line is not None and v.line.id == line.id)
    return templates.render(
        request,
        "spending/revision_form.html",
        status_code,
        form=form,
        project=project,
        line=line,
        view=view,
        line_title=line_name(line, request_lang(request)),
        revisions=spending_service.revisions(session, line.id),
        version=version if version is not None else line.version,
        loaded_at=loaded_at or loaded_now(),
        changes=changes,
        conflict=changes is not None,
        BudgetCategory=BudgetCategory,
    )


def _line_values(line: BudgetLine) -> dict[str, str]:
    return {"amount_eur": str(line.amount_eur), "label": line.label, "from_unallocated": "true"}


@router.get("/budget-lines/{line_id}/revise")
def revise_form(request: Request, session: SessionDep, user: SpendingWriter, line_id: int) -> Response:
    line = spending_service.get_line(session, line_id)
    return _revision_page(request, session, line, Form(_line_values(line)))


def _revision_body(values: Typed, lang: str) -> BudgetLineRevision:
    """The API's patch from the revision form: the amount (with its reason and where its difference comes
    from) when one is typed, and the label as it stands, cleared or not."""
    body = build(BudgetLineRevision, {k: v for k, v in values.items() if k != "label"}, lang=lang)
    if "label" not in values:
        return body
    fields = {**body.model_dump(exclude_unset=True), "label": values["label"]}
    return BudgetLineRevision.model_validate(fields)


@router.post("/budget-lines/{line_id}/revise")
async def revise_line(request: Request, session: SessionDep, user: SpendingWriter, line_id: int) -> Response:
    line = spending_service.get_line(session, line_id)
    project_id = line.project_id
    sent = typed(await request.form())
    version, loaded_at = str(sent.get("version", "")), str(sent.get("loaded_at", ""))
    values = _checked({k: v for k, v in sent.items() if k in REVISION_FIELDS})
    attempt = Attempt(session)
    with attempt:
        body = _revision_body(values, request_lang(request))
        budget_flow.revise_line(session, actor_of(user), line_id, body, Precondition(frozenset({version})))
    if attempt.conflict:
        fresh = spending_service.get_line(session, line_id)
        changes = changed_meanwhile(session, "budget_line", line_id, loaded_at)
        return _revision_page(request, session, fresh, Form(values), 412, changes=changes)
    if attempt.refused:
        line = spending_service.get_line(session, line_id)
        form = attempt.shown_on(Form(values), REVISION_FIELDS)
        held = int(version) if version.isdigit() else 0
        return _revision_page(request, session, line, form, attempt.status, version=held, loaded_at=loaded_at)
    return back(project_id, "budget-line-revised")


# -- expenditures ---------------------------------------------------------------------------------


def _expenditure_page(
    request: Request, session: Session, project: Project, form: Form, status_code: int = 200
) -> Response:
    assert project.id is not None
    lang = request_lang(request)
    view = spending_service.budget(session, project.id)
    return templates.render(
        request,
        "spending/expenditure_form.html",
        status_code,
        form=form,
        project=project,
        lines=list(line_names(view, lang).items()),
        currencies=currency_options(session, lang),
    )


@router.get("/projects/{project_id}/expenditures/new")
def new_expenditure(request: Request, session: SessionDep, user: SpendingWriter, project_id: int) -> Response:
    project = projects_service.get_project(session, project_id)
    values = {"spent_on": date.today().isoformat(), "currency": "EUR"}
    return _expenditure_page(request, session, project, Form(values))


@router.post("/projects/{project_id}/expenditures/new")
async def record_expenditure(
    request: Request, session: SessionDep, user: SpendingWriter, project_id: int
) -> Response:
    project = projects_service.get_project(session, project_id)
    values = {k: v for k, v in typed(await request.form()).items() if k in EXPENDITURE_FIELDS}
    attempt = Attempt(session)
    with attempt:
        body = build(ExpenditureCreate, {**values, "project_id": project_id}, lang=request_lang(request))
        spending_service.record_expenditure(session, actor_of(user), body, request.app.state.facts(session))
    if attempt.refused:
        form = attempt.shown_on(Form(values), EXPENDITURE_FIELDS)
        return _expenditure_page(request, session, project, form, attempt.status)
    return back(project_id, "expenditure-recorded")


def _reversal_page(
    request: Request,
    session: Session,
    user: User,
    expenditure_id: int,
    form: Form,
    status_code: int = 200,
    *,
    changes: list[Change] | None = None,
    loaded_at: str = "",
    version: int | None = None,
) -> Response:
    lang = request_lang(request)
    view = spending_service.get_expenditure(session, actor_of(user), expenditure_id)
    e = view.expenditure
    project = projects_service.get_project(session, e.project_id)
    lines = line_names(spending_service.budget(session, e.project_id), lang)
    return templates.render(
        request,
        "spending/reversal_form.html",
        status_code,
        form=form,
        project=project,
        view=view,
        e=e,
        line=lines.get(e.line_id) if e.line_id is not None else None,
        names=states_service.names(session, lang),
        version=version if version is not None else e.version,
        loaded_at=loaded_at or loaded_now(),
        changes=changes,
        conflict=changes is not None,
    )


@router.get("/expenditures/{expenditure_id}/reverse")
def reversal_form(
    request: Request, session: SessionDep, user: SpendingWriter, expenditure_id: int
) -> Response:
    return _reversal_page(request, session, user, expenditure_id, Form())


@router.post("/expenditures/{expenditure_id}/reverse")
async def reverse_expenditure(
    request: Request, session: SessionDep, user: SpendingWriter, expenditure_id: int
) -> Response:
    actor = actor_of(user)
    project_id = spending_service.get_expenditure(session, actor, expenditure_id).expenditure.project_id
    sent = typed(await request.form())
    version, loaded_at = str(sent.get("version", "")), str(sent.get("loaded_at", ""))
    values = {k: v for k, v in sent.items() if k in REVERSAL_FIELDS}
    attempt = Attempt(session)
    with attempt:
        body = build(ReversalCreate, values, lang=request_lang(request))
        spending_service.reverse_expenditure(
            session, actor, expenditure_id, body, Precondition(frozenset({version}))
        )
    if attempt.conflict:
        changes = changed_meanwhile(session, "expenditure", expenditure_id, loaded_at)
        return _reversal_page(request, session, user, expenditure_id, Form(values), 412, changes=changes)
    if attempt.refused:
        if isinstance(attempt.error, spending_service.AlreadyReversed):
            said = _gettext(request)("This expenditure has already been reversed, or is a reversal.")
            form = Form(values, message=said)
        else:
            form = attempt.shown_on(Form(values), REVERSAL_FIELDS)
        held = int(version) if version.isdigit() else 0
        return _reversal_page(
            request, session, user, expenditure_id, form, attempt.status, loaded_at=loaded_at, version=held
        )
    return back(project_id, "expenditure-reversed")
