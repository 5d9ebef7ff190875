"""National processes on the staff pages: the structures and procedures a participating State runs
itself, how far each has matured (its stage, with the date and reason of every move), the projects
that helped build it, named by their codes, and its sustainability follow-up checks: when each is due,
when it was checked and with what result, and the form on which staff record a check's outcome."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from portfolio.db import SessionDep
from portfolio.documents import service as documents_service
from portfolio.documents.content import ACCEPTED
from portfolio.documents.schemas import OwnerType
from portfolio.flows import follow_ups as follow_ups_flow
from portfolio.pagination import PageParams
from portfolio.preconditions import Precondition
from portfolio.processes import service as processes_service
from portfolio.processes.models import FollowUpCheck, NationalProcess
from portfolio.processes.schemas import (
    FollowUpUpdate,
    NationalProcessCreate,
    NationalProcessUpdate,
    ProcessKind,
    Stage,
)
from portfolio.projects.schemas import Area
from portfolio.states import service as states_service
from portfolio.states.names import name_in
from portfolio.users.models import User
from portfolio.web.conflict import changed_meanwhile, loaded_now
from portfolio.web.documents import documents_panel
from portfolio.web.forms import Form, build, typed
from portfolio.web.i18n import options, request_lang, translations
from portfolio.web.pager import numbered
from portfolio.web.render import templates
from portfolio.web.session import PageUser, actor_of, csrf_protect, may, writer_of
from portfolio.web.submit import Attempt

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
ProcessWriter = Annotated[User, Depends(writer_of("processes"))]
FIELDS = (
    "state",
    "name",
    "kind",
    "areas",
    "stage",
    "established_on",
    "project_codes",
    "description",
    "stage_changed_on",
    "stage_note",
)
PER_PAGE = 50


def state_names(session: Session, lang: str) -> dict[str, str]:
    """Every State's name in the page's language, by code."""
    return states_service.names(session, lang)


def participating_options(session: Session, lang: str) -> list[tuple[str, str]]:
    """The participating States (national processes are theirs), by name."""
    return list(states_service.names(session, lang, "participating").items())


def _choices(session: Session, lang: str) -> dict[str, Any]:
    return {
        "states": participating_options(session, lang),
        "kinds": options(ProcessKind, lang),
        "stages": options(Stage, lang),
        "areas": options(Area, lang),
    }


def split_codes(text: str) -> list[str]:
    """Project codes typed with commas, semicolons or spaces between them."""
    return [c for c in re.split(r"[,;\s]+", text) if c]


# -- the list and one process -------------------------------------------------------------------


def _option(value: str, allowed: list[str]) -> str | None:
    return value if value in allowed else None


@router.get("/processes")
def list_processes(
    request: Request,
    session: SessionDep,
    user: PageUser,
    state: str = "",
    kind: str = "",
    stage: str = "",
    area: str = "",
    page: int = 1,
) -> Response:
    lang = request_lang(request)
    choices = _choices(session, lang)
    names = state_names(session, lang)
    filters = processes_service.process_filters(
        state=_option(state.upper(), list(names)),
        kind=_option(kind, [k.value for k in ProcessKind]),
        stage=_option(stage, [s.value for s in Stage]),
    )
    page = max(1, min(page, 100_000))
    items, total = processes_service.list_processes_in_area(
        session,
        filters,
        _option(area, [a.value for a in Area]),
        PageParams(PER_PAGE, (page - 1) * PER_PAGE),
    )
    query = {"state": state, "kind": kind, "stage": stage, "area": area}
    return templates.render(
        request,
        "processes/processes.html",
        items=items,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        page_url=numbered("/processes", "&".join(f"{k}={v}" for k, v in query.items() if v)),
        form=Form(query),
        query="&".join(f"{k}={v}" for k, v in query.items() if v),
        names=names,
        last_checks={p.id: last_check(p) for p in items},
        **choices,
    )


def _created_notice(request: Request, done: str) -> str:
    _ = translations(request_lang(request)).gettext
    return {
        "created": _("The national process has been recorded."),
        "saved": _("Your changes have been saved."),
        "moved": _("The stage has been changed."),
        "checked": _("The outcome of the follow-up check has been recorded."),
    }.get(done, "")


@router.get("/processes/new")
def new_process(request: Request, session: SessionDep, user: ProcessWriter) -> Response:
    values = {"stage": "planned", "kind": "structure"}
    return _form_page(request, session, Form(values))


@router.get("/processes/{process_id}")
def show_process(
    request: Request, session: SessionDep, user: PageUser, process_id: int, done: str = ""
) -> Response:
    return _process_page(request, session, user, process_id, notice=_created_notice(request, done))


# -- the form -----------------------------------------------------------------------------------


def _form_page(
    request: Request,
    session: Session,
    form: Form,
    status_code: int = 200,
    process: NationalProcess | None = None,
    **context: Any,
) -> Response:
    return templates.render(
        request,
        "processes/process_form.html",
        status_code,
        form=form,
        process=process,
        **_choices(session, request_lang(request)),
        **context,
    )


def _body_values(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """The form's values as the API's body: the typed codes become the projects' ids."""
    data = {k: v for k, v in values.items() if k in FIELDS and k != "project_codes"}
    codes = split_codes(str(values.get("project_codes", "")))
    data["project_ids"] = processes_service.project_ids_for_codes(session, codes, "project_codes")
    return data


def _refused(request: Request, attempt: Attempt, form: Form) -> Form:
    """The process form with its refusal: project codes that name no project beside the codes typed."""
    if isinstance(attempt.error, processes_service.UnknownProjectCodes):
        _ = translations(request_lang(request)).gettext
        message = _("No project has the code %(codes)s.") % {"codes": ", ".join(attempt.error.codes)}
        return Form(form.values, {"project_codes": message})
    return attempt.shown_on(form, FIELDS)


@router.post("/processes/new")
async def create_process(request: Request, session: SessionDep, user: ProcessWriter) -> Response:
    values = typed(await request.form(), lists=("areas",))
    form = Form(values)
    attempt = Attempt(session)
    with attempt:
        data = _body_values(session, values)
        data.pop("stage_note", None)
        body = build(NationalProcessCreate, data, lang=request_lang(request))
        months = list(request.app.state.settings.follow_up_months)
        process = processes_service.create_process(session, actor_of(user), body, months)
    if attempt.refused:
        return _form_page(request, session, _refused(request, attempt, form), attempt.status)
    return RedirectResponse(f"/processes/{process.id}?done=created", status_code=303)


def _process_values(session: Session, process: NationalProcess) -> dict[str, Any]:
    labels = processes_service.project_labels(session, process.project_ids)
    return {
        "state": process.state,
        "name": process.name,
        "kind": process.kind,
        "areas": list(process.areas),
        "stage": process.stage,
        "established_on": process.established_on.isoformat() if process.established_on else "",
        "project_codes": ", ".join(sorted(code for code, _title in labels.values())),
        "description": process.description,
    }


def _linked(session: Session, process: NationalProcess) -> list[tuple[int, tuple[str, str]]]:
    labels = processes_service.project_labels(session, process.project_ids)
    return sorted(labels.items(), key=lambda p: p[1][0])


@router.get("/processes/{process_id}/edit")
def edit_process(request: Request, session: SessionDep, user: ProcessWriter, process_id: int) -> Response:
    process = processes_service.get_process(session, process_id)
    form = Form(_process_values(session, process))
    return _form_page(
        request,
        session,
        form,
        process=process,
        version=process.version,
        loaded_at=loaded_now(),
        linked=_linked(session, process),
        today=date.today().isoformat(),
    )


def _update_body(data: dict[str, Any], lang: str) -> NationalProcessUpdate:
    """The API's patch: a cleared description is an empty one; a cleared date is no date."""
    description = data.pop("description", None)
    body = build(NationalProcessUpdate, data, lang=lang, blank_is_none=True)
    if description is not None:
        body = NationalProcessUpdate.model_validate(
            {**body.model_dump(exclude_unset=True), "description": description}
        )
    return body


@router.post("/processes/{process_id}/edit")
async def update_process(
    request: Request, session: SessionDep, user: ProcessWriter, process_id: int
) -> Response:
    process = processes_service.get_process(session, process_id)
    stage_before = process.stage
    values = typed(await request.form(), lists=("areas",))
    form = Form(values)
    loaded_at = str(values.get("loaded_at", ""))
    context: dict[str, Any] = {
        "version": values.get("version", process.version),
        "loaded_at": loaded_at,
        "linked": _linked(session, process),
        "today": date.today().isoformat(),
    }
    attempt = Attempt(session)
    with attempt:
        body = _update_body(_body_values(session, values), request_lang(request))
        precondition = Precondition(frozenset({str(values.get("version", ""))}))
        months = list(request.app.state.settings.follow_up_months)
        process, _changes = processes_service.update_process(
            session, actor_of(user), process_id, body, precondition, months
        )
    if attempt.conflict:
        fresh = processes_service.get_process(session, process_id)
        changes = changed_meanwhile(session, "national_process", process_id, loaded_at)
        context.update(version=fresh.version, loaded_at=loaded_now(), changes=changes)
        return _form_page(request, session, form, 412, process=fresh, **context)
    if attempt.refused:
        process = processes_service.get_process(session, process_id)
        refused = _refused(request, attempt, form)
        return _form_page(request, session, refused, attempt.status, process=process, **context)
    done = "moved" if process.stage != stage_before else "saved"
    return RedirectResponse(f"/processes/{process_id}?done={done}", status_code=303)


# -- sustainability follow-up checks ------------------------------------------------------------------

FOLLOW_UP_FIELDS = ("checked_on", "outcome", "note", "evidence")


def outcome_choices(lang: str) -> list[tuple[str, str]]:
    _ = translations(lang).gettext
    return [
        ("sustained", _("Sustained: it still runs on national resources")),
        ("regressed", _("Regressed: it moves back one stage")),
    ]


def last_check(process: NationalProcess) -> tuple[str, FollowUpCheck | None]:
    """What the process list says of a process's checks: ``overdue`` when one is overdue, else ``done``
    with the last check recorded, else ``none``."""
    checks = process.follow_ups
    if any(c.status_now == "overdue" for c in checks):
        return "overdue", None
    done = [c for c in checks if c.status == "done"]
    if done:
        return "done", max(done, key=lambda c: (c.checked_on or date.min, c.id or 0))
    return "none", None


def _evidence_titles(session: Session, user: User, checks: list[FollowUpCheck]) -> dict[int, str]:
    """The titles of the checks' evidence documents the person may read, by document id."""
    titles: dict[int, str] = {}
    for check in checks:
        if check.evidence_document_id is None:
            continue
        try:
            document = documents_service.get_document(session, actor_of(user), check.evidence_document_id)
        except documents_service.DocumentNotFound:
            continue
        titles[check.evidence_document_id] = document.title
    return titles


def _follow_up_messages(request: Request, exc: Exception, form: Form) -> Form:
    """The refusal of a check's form in the page's language, each message beside its field."""
    lang = request_lang(request)
    _ = translations(lang).gettext
    if isinstance(exc, documents_service.UnsupportedDocumentType):
        return Form(
            form.values, {"evidence": _("The evidence must be a %(types)s file.") % {"types": ACCEPTED}}
        )
    if isinstance(exc, documents_service.DocumentTooLarge):
        message = _("The evidence file is larger than the %(size)s bytes a document may have.")
        return Form(
            form.values, {"evidence": message % {"size": request.app.state.settings.document_max_bytes}}
        )
    refused = form.refused(exc, FOLLOW_UP_FIELDS)
    words = {
        "outcome": _("Choose the outcome of the check."),
        "checked_on": _(
            "Give the day of the check: a date neither in the future nor before the process became "
            "operational or last changed stage."
        ),
        "note": _("The note may have at most 4000 characters, and no control characters."),
    }
    errors = {name: words.get(name, message) for name, message in refused.errors.items()}
    return Form(form.values, errors, refused.message)


def _process_page(
    request: Request,
    session: Session,
    user: User,
    process_id: int,
    *,
    notice: str = "",
    follow_form: Form | None = None,
    status_code: int = 200,
) -> Response:
    lang = request_lang(request)
    process = processes_service.get_process(session, process_id)
    history = processes_service.stage_history(session, process_id)
    projects = processes_service.project_labels(session, process.project_ids)
    state = states_service.get_state(session, process.state)
    checks = process.follow_ups
    open_check = next((c for c in checks if c.status == "due"), None)
    today = date.today().isoformat()
    return templates.render(
        request,
        "processes/process.html",
        status_code,
        process=process,
        history=history,
        projects=sorted(projects.items(), key=lambda p: p[1][0]),
        state_name=name_in(state, lang),
        notice=notice,
        checks=checks,
        evidence_titles=_evidence_titles(session, user, checks),
        open_check=open_check if may(user, "processes", "write") else None,
        follow_form=follow_form or Form({"checked_on": today}),
        outcome_choices=outcome_choices(lang),
        today=today,
        documents=documents_panel(
            session, user, lang, OwnerType.national_process, process_id, f"/processes/{process_id}"
        ),
        **_choices(session, lang),
    )


@router.post("/processes/{process_id}/follow-ups")
async def record_follow_up(
    request: Request, session: SessionDep, user: ProcessWriter, process_id: int
) -> Response:
    """Record the outcome of a process's open follow-up check, with an optional evidence file."""
    processes_service.get_process(session, process_id)
    form_data = await request.form()
    values = typed(form_data)
    values.pop("evidence", None)
    form = Form(values)
    _ = translations(request_lang(request)).gettext
    raw_id = str(values.get("check_id", ""))
    check = processes_service.get_follow_up(session, int(raw_id)) if raw_id.isdigit() else None
    if check is None or check.check.process_id != process_id:
        raise processes_service.FollowUpNotFound(f"National process {process_id} has no such check.")
    sent = form_data.get("evidence")
    evidence = None
    if isinstance(sent, UploadFile) and sent.filename:
        title = _("Evidence of the %(months)s-month follow-up check") % {"months": check.check.months_after}
        evidence = (sent.file, sent.filename, title)
    settings = request.app.state.settings
    attempt = Attempt(session)
    with attempt:
        data = build(
            FollowUpUpdate,
            {
                "outcome": values.get("outcome") or None,
                "checked_on": values.get("checked_on", ""),
                "note": values.get("note", ""),
            },
            lang=request_lang(request),
        )
        precondition = Precondition(frozenset({str(values.get("version", ""))}))
        follow_ups_flow.record_with_evidence(
            session,
            actor_of(user),
            check.check.id or 0,
            data,
            evidence,
            settings.document_max_bytes,
            precondition,
            list(settings.follow_up_months),
        )
    if attempt.conflict:
        message = _("Someone recorded or changed this check meanwhile: it is shown as it is now.")
        return _process_page(
            request, session, user, process_id, follow_form=Form(values, {}, message), status_code=412
        )
    if isinstance(attempt.error, processes_service.FollowUpDone):
        message = _("This check has already been recorded.")
        return _process_page(
            request, session, user, process_id, follow_form=Form(values, {}, message), status_code=409
        )
    if attempt.error is not None:
        refused = _follow_up_messages(request, attempt.error, form)
        return _process_page(
            request, session, user, process_id, follow_form=refused, status_code=attempt.status
        )
    return RedirectResponse(f"/processes/{process_id}?done=checked", status_code=303)
