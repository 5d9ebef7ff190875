"""Contribution agreements and reporting obligations on the staff pages: a pledge's agreement (recorded and
changed through the same flow as the API, so that signing it commits the pledge and generates the
reports it asks for), the list of obligations, and one obligation's page, where staff record a report
submitted with its file, its acceptance, a new due date, its owner and a note."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session

from portfolio.agreements import service as agreements_service
from portfolio.agreements.schemas import (
    AgreementCreate,
    AgreementUpdate,
    Earmarking,
    ObligationCreate,
    ObligationKind,
    ObligationState,
    ObligationStatus,
    ObligationUpdate,
)
from portfolio.config import Settings
from portfolio.db import SessionDep
from portfolio.documents import service as documents_service
from portfolio.documents.schemas import OwnerType
from portfolio.errors import AppError
from portfolio.flows import agreements as agreements_flow
from portfolio.flows import reports as reports_flow
from portfolio.funding import service as funding_service
from portfolio.marking import mark as _
from portfolio.pagination import PageParams
from portfolio.preconditions import Precondition
from portfolio.projects import service as projects_service
from portfolio.projects.service import ProjectFilters  # type: ignore[attr-defined]  # the service's own type, re-exported
from portfolio.schemas import StateCode
from portfolio.users.models import User
from portfolio.web.conflict import changed_meanwhile, loaded_now
from portfolio.web.documents import (
    UploadFields,
    category_options,
    chosen_file,
    documents_panel,
    file_refused,
    uploader_names,
)
from portfolio.web.forms import Form, typed
from portfolio.web.i18n import label, options, request_lang, translations
from portfolio.web.pager import page_address
from portfolio.web.projects import state_names
from portfolio.web.render import templates
from portfolio.web.session import PageUser, actor_of, csrf_protect, may, writer_of
from portfolio.web.submit import Attempt

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
AgreementWriter = Annotated[User, Depends(writer_of("agreements"))]
PER_PAGE = 50
AGREEMENT_FIELDS = (
    "reference",
    "signed_on",
    "valid_until",
    "earmarking",
    "conditions",
    "interim_every_months",
    "final_after_months",
    "audit_certificate",
    "contact_name",
    "contact_email",
)
OBLIGATION_FIELDS = (
    "status",
    "submitted_on",
    "accepted_on",
    "file",
    "title",
    "category",
    "due_on",
    "owner_id",
    "note",
)
NEW_OBLIGATION_FIELDS = ("kind", "due_on", "owner_id", "note")
LIST_FILTERS = ("project", "donor", "kind", "status", "due_after", "due_before")


NOTICES = {
    "agreement-recorded": _("The agreement was recorded."),
    "agreement-saved": _("The agreement was saved."),
    "obligation-added": _("The report was added to the agreement."),
    "obligation-saved": _("The obligation was saved."),
    "document-uploaded": _("The document was uploaded."),
    "document-deleted": _("The document was deleted."),
}


def gettext_of(request: Request) -> Callable[[str], str]:
    return translations(request_lang(request)).gettext


def owner_options(session: Session) -> list[tuple[str, str]]:
    """Who may be responsible for an obligation, by name."""
    return [
        (str(u.id), f"{u.full_name} ({u.email})" if u.full_name else u.email)
        for u in agreements_service.possible_owners(session)
    ]


def notice_of(request: Request) -> str | None:
    done = request.query_params.get("done", "")
    return gettext_of(request)(NOTICES[done]) if done in NOTICES else None


# -- the agreement ----------------------------------------------------------------------------------


def agreement_values(row: agreements_service.AgreementRow) -> dict[str, str]:  # type: ignore[name-defined]
    agreement = row.agreement
    schedule = agreements_service.schedule_of(agreement)
    return {
        "reference": agreement.reference,
        "signed_on": agreement.signed_on.isoformat() if agreement.signed_on else "",
        "valid_until": agreement.valid_until.isoformat() if agreement.valid_until else "",
        "earmarking": agreement.earmarking,
        "conditions": agreement.conditions,
        "interim_every_months": str(schedule.interim_every_months or ""),
        "final_after_months": str(schedule.final_after_months),
        "audit_certificate": "yes" if schedule.audit_certificate else "",
        "contact_name": agreement.contact_name,
        "contact_email": agreement.contact_email or "",
    }


def agreement_data(values: Mapping[str, Any], *, editing: bool) -> dict[str, Any]:
    """The API's request body from the agreement form. A blank field is left out of a new agreement (its
    default applies); on an edit it is cleared."""
    data: dict[str, Any] = {}
    for name in ("reference", "signed_on", "valid_until", "earmarking", "contact_email"):
        value = str(values.get(name, "")).strip()
        if value:
            data[name] = value
        elif editing:
            data[name] = None
    for name in ("conditions", "contact_name"):
        data[name] = str(values.get(name, ""))
    schedule: dict[str, Any] = {
        "interim_every_months": str(values.get("interim_every_months", "")).strip() or None,
        "audit_certificate": values.get("audit_certificate") == "yes",
    }
    final = str(values.get("final_after_months", "")).strip()
    if final:
        schedule["final_after_months"] = final
    data["schedule"] = schedule
    return data


def _agreement_page(
    request: Request,
    session: Session,
    user: User,
    pledge_id: int,
    form: Form | None = None,
    status_code: int = 200,
    *,
    editing: bool = False,
    **context: Any,
) -> Response:
    """The agreement page: the agreement, its reports and documents; or, for a pledge without one, the
    form that records it (``editing``: the form that changes it)."""
    lang = request_lang(request)
    actor = actor_of(user)
    pledge_row = funding_service.get_pledge_row(session, actor, pledge_id)
    pledge = pledge_row.pledge
    project = projects_service.get_project(session, pledge.project_id)
    try:
        row = agreements_service.get_agreement(session, actor, pledge_id)
    except agreements_service.AgreementNotFound:
        row = None
    writer = may(user, "agreements", "write")
    obligations = agreements_service.agreement_obligations(session, actor, pledge_id) if row else []
    back = f"/pledges/{pledge_id}/agreement"
    panel = (
        documents_panel(session, user, lang, OwnerType.agreement, row.agreement.id, back)
        if row is not None and row.agreement.id is not None
        else None
    )
    if form is None and writer and (row is None or editing):
        form = (
            Form(agreement_values(row))
            if row is not None
            else Form({"earmarking": "project", "final_after_months": "3"})
        )
    if row is not None and editing:
        context.setdefault("version", row.agreement.version)
        context.setdefault("loaded_at", loaded_now())
    names = state_names(session, lang)
    return templates.render(
        request,
        "agreements/agreement.html",
        status_code,
        pledge=pledge,
        pledge_row=pledge_row,
        project=project,
        row=row,
        agreement=row.agreement if row else None,
        schedule=agreements_service.schedule_of(row.agreement) if row else None,
        obligations=obligations,
        today=date.today(),
        states={o.obligation.id: agreements_service.state_of(o.obligation) for o in obligations},
        owners=uploader_names(session) if obligations else {},
        donor_name=names.get(pledge.donor, pledge.donor),
        form=form,
        editing=editing,
        writer=writer,
        documents=panel,
        earmarking_options=options(Earmarking, request_lang(request)),
        notice=notice_of(request),
        **context,
    )


@router.get("/pledges/{pledge_id}/agreement")
def agreement_page(request: Request, session: SessionDep, user: PageUser, pledge_id: int) -> Response:
    return _agreement_page(request, session, user, pledge_id)


@router.post("/pledges/{pledge_id}/agreement")
async def record_agreement(
    request: Request, session: SessionDep, user: AgreementWriter, pledge_id: int
) -> Response:
    """Record a pledge's agreement: signed, it commits the pledge and generates its reporting obligations."""
    values = typed(await request.form())
    form = Form(values)
    attempt = Attempt(session)
    with attempt:
        body = AgreementCreate.model_validate(agreement_data(values, editing=False))
        agreements_flow.record_agreement(
            session, actor_of(user), request.app.state.facts(session), pledge_id, body
        )
    if attempt.refused:
        refused = attempt.shown_on(form, AGREEMENT_FIELDS)
        return _agreement_page(request, session, user, pledge_id, refused, attempt.status)
    return RedirectResponse(f"/pledges/{pledge_id}/agreement?done=agreement-recorded", status_code=303)


@router.get("/pledges/{pledge_id}/agreement/edit")
def edit_agreement(request: Request, session: SessionDep, user: AgreementWriter, pledge_id: int) -> Response:
    agreements_service.get_agreement(session, actor_of(user), pledge_id)  # 404 without one
    return _agreement_page(request, session, user, pledge_id, editing=True)


@router.post("/pledges/{pledge_id}/agreement/edit")
async def change_agreement(
    request: Request, session: SessionDep, user: AgreementWriter, pledge_id: int
) -> Response:
    """Change a pledge's agreement on the version the form was loaded with (else the conflict page)."""
    actor = actor_of(user)
    values = typed(await request.form())
    form = Form(values)
    loaded_at = str(values.get("loaded_at", ""))
    version = str(values.get("version", ""))
    attempt = Attempt(session)
    with attempt:
        body = AgreementUpdate.model_validate(agreement_data(values, editing=True))
        precondition = Precondition(frozenset({version}))
        agreements_flow.change_agreement(
            session, actor, request.app.state.facts(session), pledge_id, body, precondition
        )
    if attempt.conflict:
        row = agreements_service.get_agreement(session, actor, pledge_id)
        changes = changed_meanwhile(session, "agreement", row.agreement.id or 0, loaded_at)
        return _agreement_page(
            request,
            session,
            user,
            pledge_id,
            form,
            412,
            editing=True,
            changes=changes,
            version=row.agreement.version,
            loaded_at=loaded_now(),
        )
    if attempt.refused:
        return _agreement_page(
            request,
            session,
            user,
            pledge_id,
            attempt.shown_on(form, AGREEMENT_FIELDS),
            attempt.status,
            editing=True,
            version=version,
            loaded_at=loaded_at,
        )
    return RedirectResponse(f"/pledges/{pledge_id}/agreement?done=agreement-saved", status_code=303)


# -- adding a report by hand ------------------------------------------------------------------------


def _new_obligation_page(
    request: Request, session: Session, user: User, pledge_id: int, form: Form, status_code: int = 200
) -> Response:
    actor = actor_of(user)
    row = agreements_service.get_agreement(session, actor, pledge_id)
    pledge = funding_service.get_pledge_row(session, actor, pledge_id).pledge
    project = projects_service.get_project(session, pledge.project_id)
    names = state_names(session, request_lang(request))
    return templates.render(
        request,
        "agreements/obligation_new.html",
        status_code,
        form=form,
        agreement=row.agreement,
        pledge=pledge,
        project=project,
        donor_name=names.get(pledge.donor, pledge.donor),
        kinds=options(ObligationKind, request_lang(request)),
        owners=owner_options(session),
    )


@router.get("/pledges/{pledge_id}/agreement/obligations/new")
def new_obligation(request: Request, session: SessionDep, user: AgreementWriter, pledge_id: int) -> Response:
    return _new_obligation_page(request, session, user, pledge_id, Form({"kind": "other"}))


@router.post("/pledges/{pledge_id}/agreement/obligations/new")
async def add_obligation(
    request: Request, session: SessionDep, user: AgreementWriter, pledge_id: int
) -> Response:
    """A report the agreement asks for beyond its schedule, added by hand (never moved by the schedule)."""
    actor = actor_of(user)
    values = typed(await request.form())
    form = Form(values)
    row = agreements_service.get_agreement(session, actor, pledge_id)
    attempt = Attempt(session)
    with attempt:
        data = {name: values.get(name, "") for name in NEW_OBLIGATION_FIELDS if values.get(name, "") != ""}
        body = ObligationCreate.model_validate({**data, "agreement_id": row.agreement.id})
        obligation = agreements_service.create_obligation(session, actor, body)
    if attempt.refused:
        refused = attempt.shown_on(form, NEW_OBLIGATION_FIELDS)
        return _new_obligation_page(request, session, user, pledge_id, refused, attempt.status)
    return RedirectResponse(f"/obligations/{obligation.id}?done=obligation-added", status_code=303)


# -- the list of obligations ------------------------------------------------------------------------


@dataclass
class Selection:
    filters: Any = None
    page: int = 1
    form: Form = field(default_factory=Form)


CHECKS: dict[str, TypeAdapter[Any]] = {
    "project": TypeAdapter(int),
    "donor": TypeAdapter(StateCode),
    "kind": TypeAdapter(ObligationKind),
    "status": TypeAdapter(ObligationState),
    "due_after": TypeAdapter(date),
    "due_before": TypeAdapter(date),
}


OPEN, ANY_STATUS = "open", "any"
STATUS_FILTER = {OPEN: "open", ANY_STATUS: None}


def selection(query: Mapping[str, str], gettext: Callable[[str], str]) -> Selection:
    """The list's query string read as the API reads its query: a blank field means any; a value the API
    would refuse gets a message beside its field."""
    values = {name: query.get(name, "").strip() for name in (*LIST_FILTERS, "page")}
    # What waits to be delivered unless another status is asked for; "any" lists every status.
    values["status"] = values["status"] or OPEN
    errors: dict[str, str] = {}
    chosen: dict[str, Any] = {}
    for name, check in CHECKS.items():
        if name == "status" and values[name] in (OPEN, ANY_STATUS):
            continue
        if values[name]:
            try:
                chosen[name] = check.validate_python(values[name])
            except ValidationError:
                if name.startswith("due_"):
                    errors[name] = gettext("“%(value)s” is not a date (YYYY-MM-DD).") % {
                        "value": values[name]
                    }
                else:
                    errors[name] = gettext("“%(value)s” is not one of the choices.") % {"value": values[name]}
    page = 1
    if values["page"]:
        try:
            page = int(values["page"])
            if page < 1:
                raise ValueError
        except ValueError:
            errors["page"] = gettext("A page number is a whole number from 1.")
            page = 1
    filters = agreements_service.ObligationFilters(  # type: ignore[attr-defined]
        project_id=chosen.get("project"),
        donor=chosen.get("donor"),
        kind=str(chosen["kind"]) if "kind" in chosen else None,
        status=str(chosen["status"]) if "status" in chosen else STATUS_FILTER.get(values["status"]),
        due_before=chosen.get("due_before"),
        due_after=chosen.get("due_after"),
    )
    return Selection(filters, page, Form(values, errors))


def query_of(values: Mapping[str, str], page: int | None = None) -> str:
    pairs = [(name, values[name]) for name in LIST_FILTERS if values.get(name)]
    if page and page > 1:
        pairs.append(("page", str(page)))
    return urlencode(pairs)


@router.get("/obligations")
def obligations(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Reporting obligations, soonest due first, filtered and paged as the API lists them."""
    gettext = gettext_of(request)
    lang = request_lang(request)
    actor = actor_of(user)
    chosen = selection(request.query_params, gettext)
    rows: list[Any] = []
    total = 0
    if not chosen.form.errors:
        page = PageParams(PER_PAGE, (chosen.page - 1) * PER_PAGE)
        rows, total = agreements_service.list_obligations(session, actor, chosen.filters, page)
    projects, _count = projects_service.list_projects(session, actor, ProjectFilters(), "code", 500, 0)
    titles = {r.project.id: (r.project.code, r.project.title) for r in projects}
    names = state_names(session, lang)
    pages = max(1, -(-total // PER_PAGE))
    values = {k: str(v) for k, v in chosen.form.values.items()}
    today = date.today()
    return templates.render(
        request,
        "agreements/obligations.html",
        422 if chosen.form.errors else 200,
        form=chosen.form,
        rows=rows,
        states={r.obligation.id: agreements_service.state_of(r.obligation, today) for r in rows},
        owners=uploader_names(session) if rows else {},
        total=total,
        page=chosen.page,
        pages=pages,
        first=(chosen.page - 1) * PER_PAGE + 1 if rows else 0,
        last=(chosen.page - 1) * PER_PAGE + len(rows),
        page_url=page_address("/obligations", lambda n: query_of(values, n)),
        titles=titles,
        names=names,
        today=today,
        donor=actor.is_donor,
        project_options=[(str(pid), f"{code} — {title}") for pid, (code, title) in titles.items()],
        state_options=sorted(names.items(), key=lambda item: item[1]),
        kind_options=options(ObligationKind, request_lang(request)),
        status_options=[
            (OPEN, gettext("Still to deliver (due or overdue)")),
            *options(ObligationState, request_lang(request)),
            (ANY_STATUS, gettext("Any status")),
        ],
    )


# -- one obligation ---------------------------------------------------------------------------------


def obligation_values(row: Any, lang: str) -> dict[str, str]:
    o = row.obligation
    return {
        "status": o.status,
        "submitted_on": o.submitted_on.isoformat() if o.submitted_on else "",
        "accepted_on": o.accepted_on.isoformat() if o.accepted_on else "",
        "due_on": o.due_on.isoformat(),
        "owner_id": str(o.owner_id or ""),
        "note": o.note,
        "title": f"{label(o.kind, ObligationKind, lang)} ({o.due_on.isoformat()})",
        "category": "A08",
    }


def _obligation_page(
    request: Request,
    session: Session,
    user: User,
    obligation_id: int,
    form: Form | None = None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    lang = request_lang(request)
    actor = actor_of(user)
    row = agreements_service.get_obligation(session, actor, obligation_id)
    agreement = agreements_service.get_agreement(session, actor, row.pledge_id)
    project = projects_service.get_project(session, row.project_id)
    back = f"/obligations/{obligation_id}"
    panel = documents_panel(session, user, lang, OwnerType.obligation, obligation_id, back)
    fulfilling = None
    if row.obligation.document_id is not None:
        fulfilling = next((d for d, _by, _size in panel.items if d.id == row.obligation.document_id), None)
    names = state_names(session, lang)
    context.setdefault("version", row.obligation.version)
    context.setdefault("loaded_at", loaded_now())
    return templates.render(
        request,
        "agreements/obligation.html",
        status_code,
        row=row,
        obligation=row.obligation,
        state=agreements_service.state_of(row.obligation),
        agreement=agreement.agreement,
        project=project,
        donor_name=names.get(row.donor, row.donor),
        owners=uploader_names(session),
        owner_choices=owner_options(session),
        status_options=options(ObligationStatus, request_lang(request)),
        categories=category_options(),
        fulfilling=fulfilling,
        documents=panel,
        writer=may(user, "agreements", "write"),
        form=form or Form(obligation_values(row, request_lang(request))),
        today=date.today(),
        notice=notice_of(request),
        **context,
    )


@router.get("/obligations/{obligation_id:int}")
def obligation_page(request: Request, session: SessionDep, user: PageUser, obligation_id: int) -> Response:
    return _obligation_page(request, session, user, obligation_id)


def obligation_update(values: Mapping[str, Any]) -> ObligationUpdate:
    """The API's patch from the obligation form: every field shown; a blank date or owner is cleared."""
    data: dict[str, Any] = {"status": values.get("status") or None, "note": str(values.get("note", ""))}
    for name in ("submitted_on", "accepted_on", "due_on", "owner_id"):
        value = str(values.get(name, "")).strip()
        data[name] = value or None
    return ObligationUpdate.model_validate(data)


@router.post("/obligations/{obligation_id:int}")
async def update_obligation(
    request: Request, session: SessionDep, user: AgreementWriter, obligation_id: int
) -> Response:
    """Record a report submitted (with its file, which becomes the fulfilling document), its acceptance, a
    new due date, its owner or a note, on the version the form was loaded with."""
    actor = actor_of(user)
    sent = await request.form()
    values: dict[str, Any] = typed(sent)
    values.pop("file", None)
    form = Form(values)
    loaded_at = str(values.get("loaded_at", ""))
    version = str(values.get("version", ""))
    settings: Settings = request.app.state.settings
    attempt = Attempt(session)
    with attempt:
        body = obligation_update(values)
        file = chosen_file(sent)
        report = None
        if file is not None:
            report = documents_service.Upload(
                OwnerType.obligation,
                obligation_id,
                str(values.get("category", "")).strip().upper() or "A08",
                str(values.get("title", "")).strip(),
                request_lang(request),
            )
            check_report(report)
        reports_flow.record_report(
            session,
            actor,
            obligation_id,
            body,
            limit=settings.document_max_bytes,
            report=report,
            file=file.file if file is not None else None,
            filename=file.filename if file is not None else None,
            precondition=Precondition(frozenset({version})),
        )
    if attempt.conflict:
        changes = changed_meanwhile(session, "obligation", obligation_id, loaded_at)
        return _obligation_page(
            request,
            session,
            user,
            obligation_id,
            form,
            412,
            changes=changes,
            loaded_at=loaded_now(),
            version=agreements_service.get_obligation(session, actor, obligation_id).obligation.version,
        )
    if attempt.error is not None:
        refused = file_refused(attempt.error) if isinstance(attempt.error, AppError) else attempt.error
        return _obligation_page(
            request,
            session,
            user,
            obligation_id,
            form.refused(refused, OBLIGATION_FIELDS),
            refused.status if isinstance(refused, AppError) else 422,
            version=version,
            loaded_at=loaded_at,
        )
    return RedirectResponse(f"/obligations/{obligation_id}?done=obligation-saved", status_code=303)


def check_report(report: Any) -> None:
    """The report's title and category, checked by the upload form's own types (a 422 naming them)."""
    UploadFields.model_validate(
        {
            "owner_type": report.owner_type,
            "owner_id": report.owner_id,
            "category": report.category,
            "title": report.title,
            "language": report.language,
        }
    )
