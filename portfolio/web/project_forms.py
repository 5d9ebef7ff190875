"""The project's forms: recording a request for assistance, changing a project's details, moving it through
its lifecycle (with a confirmation and a note for the moves that end it, and for reopening), and keeping
its milestones and output indicators. Every form saves through the same service call as the API, and a
save against a version someone else has moved on shows what changed meanwhile."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlmodel import Session

from portfolio.db import SessionDep
from portfolio.errors import AppError, ValidationFailed
from portfolio.flows import agreements as agreements_flow
from portfolio.norms import service as norms_service
from portfolio.norms.titles import title_in
from portfolio.preconditions import Precondition
from portfolio.projects import service as projects_service
from portfolio.projects.models import FINAL, Indicator, Milestone, Project, needs_budget
from portfolio.projects.schemas import (
    ActivityType,
    Area,
    IndicatorCreate,
    IndicatorUpdate,
    MilestoneCreate,
    MilestoneUpdate,
    ProjectCreate,
    ProjectStatus,
    ProjectUpdate,
    TransitionCreate,
)
from portfolio.reference import sdg_targets
from portfolio.states import service as states_service
from portfolio.states.names import sort_key
from portfolio.users.models import User
from portfolio.web import unusual
from portfolio.web.conflict import Change, changed_meanwhile, loaded_now
from portfolio.web.forms import Form, Typed, build, typed
from portfolio.web.i18n import Formats, options, request_lang, translations
from portfolio.web.render import templates
from portfolio.web.session import actor_of, csrf_protect, writer_of
from portfolio.web.submit import Attempt

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
ProjectWriter = Annotated[User, Depends(writer_of("projects"))]
# Moves have a policy of their own: managers may reopen a project; the service decides which move a role
# may make. Donors get the 403 page.
Mover = Annotated[User, Depends(writer_of("lifecycle"))]

PROJECT_FIELDS = (
    "code",
    "title",
    "description",
    "areas",
    "activity_types",
    "beneficiaries",
    "implementing_partner",
    "request_date",
    "start_date",
    "end_date",
    "budget_eur",
    "gender_marker",
    "sdg_targets",
    "norms",
)
PROJECT_LISTS = ("areas", "activity_types", "beneficiaries", "sdg_targets", "norms")
# Text fields that may be empty on an edit form: clearing them saves an empty text, not "no value".
BLANK_IS_TEXT = frozenset({"description"})
TRANSITION_FIELDS = ("to", "note", "on")


def _gettext(request: Request) -> Callable[[str], str]:
    return translations(request_lang(request)).gettext


def hub(project_id: int, done: str) -> RedirectResponse:
    """After a successful save: the project's page, with the notice of what was done."""
    return RedirectResponse(f"/projects/{project_id}?done={done}", status_code=303)


def project_choices(request: Request, session: Session) -> dict[str, list[tuple[str, str]]]:
    """The pick-lists of the project form, in the page's language: participating States by name, areas,
    activity types, gender markers and SDG targets."""
    _ = _gettext(request)
    by_name = list(states_service.names(session, request_lang(request), "participating").items())
    return {
        "beneficiaries": by_name,
        "areas": [
            (Area.SALW, _("SALW: small arms and light weapons")),
            (Area.SCA, _("SCA: stockpiles of conventional ammunition")),
        ],
        "activity_types": options(ActivityType, request_lang(request)),
        "gender_marker": [
            ("0", _("0: gender equality examined, not targeted")),
            ("1", _("1: gender equality a significant objective")),
            ("2", _("2: gender equality the principal objective")),
        ],
        "sdg_targets": [
            (code, f"{code} · {name if len(name) <= 90 else name[:90] + '…'}")
            for code, name in sdg_targets().items()
        ],
    }


def norm_groups(request: Request, session: Session) -> list[tuple[str, list[tuple[str, str]]]]:
    """The norms a project may name, grouped (Documents, Best Practice Guides, other norms), each titled
    in the page's language."""
    _ = _gettext(request)
    lang = request_lang(request)
    # the headings of the groups, in the plural: not the norms' kinds as a norm is labelled (NormKind)
    groups = {"document": _("OSCE Documents"), "guide": _("Best Practice Guides"), "other": _("Other norms")}
    found: dict[str, list[tuple[str, str]]] = {kind: [] for kind in groups}
    for norm in norms_service.list_norms(session):
        found.setdefault(norm.kind, []).append((norm.code, title_in(norm, lang)))
    return [
        (groups.get(kind, kind), sorted(options, key=lambda o: sort_key(o[1])))
        for kind, options in found.items()
        if options
    ]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def project_values(project: Project) -> dict[str, str | list[str]]:
    """A project as its edit form shows it."""
    values: dict[str, str | list[str]] = {
        name: _text(getattr(project, name)) for name in PROJECT_FIELDS if name not in PROJECT_LISTS
    }
    for name in PROJECT_LISTS:
        values[name] = [str(v) for v in getattr(project, name)]
    return values


def _same(typed_value: str | list[str] | None, recorded: Any) -> bool:
    if isinstance(typed_value, list) or isinstance(recorded, list):
        mine = typed_value if isinstance(typed_value, list) else []
        theirs = recorded if isinstance(recorded, list) else []
        return sorted(mine) == sorted(str(v) for v in theirs)
    return (typed_value or "") == _text(recorded)


def merged(values: Typed, current: Mapping[str, Any], changes: list[Change]) -> dict[str, Any]:
    """The person's values, except where they left a field as it was when the form was loaded and
    someone else changed it meanwhile: there the saved value, so that saving again keeps both changes."""
    out = dict(values)
    seen: set[str] = set()
    for change in changes:
        if change.field in seen or change.field not in out or change.field not in current:
            continue
        seen.add(change.field)
        if _same(out[change.field], change.old):
            out[change.field] = current[change.field]
    return out


def update_body(schema: type[BaseModel], values: Mapping[str, Any], lang: str) -> Any:
    """An edit form's values as the API's PATCH body: a cleared field is sent as null (the schema says
    whether it may be), a cleared text that may be empty as an empty text."""
    kept = {k: v for k, v in values.items() if k in BLANK_IS_TEXT}
    body = build(schema, {k: v for k, v in values.items() if k not in kept}, lang=lang, blank_is_none=True)
    if kept:
        extra = schema.model_validate(kept)
        body = schema.model_validate(
            {**body.model_dump(exclude_unset=True), **extra.model_dump(exclude_unset=True)}
        )
    return body


def project_wire(values: Mapping[str, Any]) -> dict[str, Any]:
    """A project form's values as the API takes them: the gender marker is a number there, not a text."""
    out = {k: v for k, v in values.items() if k in PROJECT_FIELDS}
    marker = out.get("gender_marker")
    if isinstance(marker, str) and marker.isdigit():
        out["gender_marker"] = int(marker)
    return out


def as_version(value: str) -> int:
    """The version a form was loaded at, as it carried it (0 for a forged or missing one: stale)."""
    return int(value) if value.isdigit() else 0


# -- new project and edit ---------------------------------------------------------------------


def project_form_page(
    request: Request,
    session: Session,
    form: Form,
    status_code: int = 200,
    *,
    project: Project | None = None,
    version: int | None = None,
    changes: list[Change] | None = None,
    loaded_at: str = "",
) -> Response:
    return templates.render(
        request,
        "projects/project_form.html",
        status_code,
        form=form,
        project=project,
        choices=project_choices(request, session),
        norm_groups=norm_groups(request, session),
        version=version if version is not None else (project.version if project else None),
        loaded_at=loaded_at or loaded_now(),
        changes=changes,
        conflict=changes is not None,
    )


def project_refused(attempt: Attempt, form: Form) -> Form:
    if isinstance(attempt.error, projects_service.DuplicateProjectCode):
        return Form(form.values, {"code": attempt.detail})  # the API's message, beside the field it is about
    return attempt.shown_on(form, PROJECT_FIELDS)


@router.get("/projects/new")
def new_project_form(request: Request, session: SessionDep, user: ProjectWriter) -> Response:
    return project_form_page(request, session, Form({"request_date": date.today().isoformat()}))


@router.post("/projects/new")
async def create_project(request: Request, session: SessionDep, user: ProjectWriter) -> Response:
    values = typed(await request.form(), lists=PROJECT_LISTS)
    form = Form(values)
    attempt = Attempt(session)
    with attempt:
        body = build(ProjectCreate, project_wire(values), lang=request_lang(request))
        project = projects_service.create_project(session, actor_of(user), body)
        unusual.check_budget(session, project, values, _gettext(request), Formats(request_lang(request)))
    if attempt.refused:
        return project_form_page(request, session, project_refused(attempt, form), attempt.status)
    assert project.id is not None
    return hub(project.id, "created")


@router.get("/projects/{project_id}/edit")
def edit_project_form(
    request: Request, session: SessionDep, user: ProjectWriter, project_id: int
) -> Response:
    project = projects_service.get_project(session, project_id)
    return project_form_page(request, session, Form(project_values(project)), project=project)


@router.post("/projects/{project_id}/edit")
async def save_project(
    request: Request, session: SessionDep, user: ProjectWriter, project_id: int
) -> Response:
    values = typed(await request.form(), lists=PROJECT_LISTS)
    version, loaded_at = str(values.pop("version", "")), str(values.pop("loaded_at", ""))
    fields = {k: v for k, v in values.items() if k in PROJECT_FIELDS}
    attempt = Attempt(session)
    with attempt:
        body = update_body(ProjectUpdate, project_wire(fields), request_lang(request))
        project, saved = agreements_flow.update_project(
            session, actor_of(user), project_id, body, Precondition(frozenset({version}))
        )
        if "budget_eur" in saved:
            unusual.check_budget(session, project, values, _gettext(request), Formats(request_lang(request)))
    if attempt.conflict:
        project = projects_service.get_project(session, project_id)
        changes = changed_meanwhile(session, "project", project_id, loaded_at)
        form = Form(merged(fields, project_values(project), changes))
        return project_form_page(request, session, form, 412, project=project, changes=changes)
    if attempt.refused:
        project = projects_service.get_project(session, project_id)
        form = project_refused(attempt, Form(fields))
        # the version the person loaded stays: their save has not been applied to anything newer
        return project_form_page(
            request,
            session,
            form,
            attempt.status,
            project=project,
            version=as_version(version),
            loaded_at=loaded_at,
        )
    return hub(project_id, "saved")


# -- lifecycle --------------------------------------------------------------------------------


def needs_note(project: Project, to: str) -> bool:
    """A move that ends a project (completed, cancelled) or reopens one asks for confirmation and a note."""
    return to in FINAL or ProjectStatus(project.status) in FINAL


def transition_page(
    request: Request,
    project: Project,
    form: Form,
    status_code: int = 200,
    *,
    version: int | None = None,
    changes: list[Change] | None = None,
    loaded_at: str = "",
) -> Response:
    to = str(form.value("to"))
    return templates.render(
        request,
        "projects/transition.html",
        status_code,
        form=form,
        project=project,
        to=to,
        final=to in FINAL,
        reopening=ProjectStatus(project.status) in FINAL,
        note_required=needs_note(project, to),
        # a move the project cannot make until it has a budget: the page says so instead of offering it
        budget_first=project.budget_eur is None and needs_budget(to, project.status),
        version=version if version is not None else project.version,
        loaded_at=loaded_at or loaded_now(),
        changes=changes,
        conflict=changes is not None,
    )


def _status(to: str) -> str:
    if to not in ProjectStatus.__members__:
        raise ValidationFailed.field(("query", "to"), f"'{to}' is not a project status")
    return to


@router.get("/projects/{project_id}/transition")
def transition_form(
    request: Request, session: SessionDep, user: Mover, project_id: int, to: str = ""
) -> Response:
    project = projects_service.get_project(session, project_id)
    return transition_page(request, project, Form({"to": _status(to)}))


@router.post("/projects/{project_id}/transition")
async def move_project(request: Request, session: SessionDep, user: Mover, project_id: int) -> Response:
    values = typed(await request.form())
    version, loaded_at = str(values.pop("version", "")), str(values.pop("loaded_at", ""))
    fields = {k: v for k, v in values.items() if k in TRANSITION_FIELDS}
    form = Form(fields)
    project = projects_service.get_project(session, project_id)
    to = _status(str(fields.get("to", "")))
    if needs_note(project, to) and not str(fields.get("note", "")).strip():
        _ = _gettext(request)
        message = _("Say why: a note is required for this change.")
        return transition_page(
            request,
            project,
            Form(fields, {"note": message}),
            422,
            version=as_version(version),
            loaded_at=loaded_at,
        )
    attempt = Attempt(session)
    with attempt:  # a move this account may not make is the 403 page
        body = build(TransitionCreate, fields, lang=request_lang(request))
        projects_service.transition(
            session,
            actor_of(user),
            project_id,
            body.to,
            body.note,
            body.on,
            Precondition(frozenset({version})),
        )
    if attempt.conflict:
        project = projects_service.get_project(session, project_id)
        changes = changed_meanwhile(session, "project", project_id, loaded_at)
        return transition_page(request, project, form, 412, changes=changes)
    if attempt.refused:
        project = projects_service.get_project(session, project_id)
        return transition_page(
            request,
            project,
            attempt.shown_on(form, TRANSITION_FIELDS),
            attempt.status,
            version=as_version(version),
            loaded_at=loaded_at,
        )
    return hub(project_id, "moved")


# -- milestones and indicators ----------------------------------------------------------------


@dataclass(frozen=True)
class PartForm:
    """How one kind of project part (milestones, indicators) appears in the pages."""

    model: type[Milestone] | type[Indicator]
    entity: str  # its name in the audit trail
    segment: str  # its path segment under the project
    template: str
    fields: tuple[str, ...]
    create: type[MilestoneCreate] | type[IndicatorCreate]
    update: type[MilestoneUpdate] | type[IndicatorUpdate]
    not_found: type[AppError]


MILESTONES = PartForm(
    Milestone,
    "milestone",
    "milestones",
    "projects/milestone_form.html",
    ("title", "due_on", "weight", "done_on"),
    MilestoneCreate,
    MilestoneUpdate,
    projects_service.MilestoneNotFound,
)
INDICATORS = PartForm(
    Indicator,
    "indicator",
    "indicators",
    "projects/indicator_form.html",
    (
        "name",
        "measure",
        "unit",
        "baseline",
        "target",
        "target_women",
        "target_men",
        "actual",
        "actual_women",
        "actual_men",
    ),
    IndicatorCreate,
    IndicatorUpdate,
    projects_service.IndicatorNotFound,
)


def part_wire(kind: PartForm, values: Mapping[str, Any]) -> dict[str, Any]:
    """A part form's values as the API takes them. The unit of an indicator with a standard measure is
    the measure's: the field is fixed then, and what it holds is left for the service to fill in."""
    out = dict(values)
    if kind is INDICATORS and out.get("measure"):
        out.pop("unit", None)
    return out


def find_part(session: Session, kind: PartForm, project_id: int, part_id: int) -> Any:
    """One milestone or indicator of a project (a 404 page when it has none with this id)."""
    for part in projects_service.list_parts(session, kind.model, project_id):  # type: ignore[type-var]
        if part.id == part_id:
            return part
    raise kind.not_found(f"Project {project_id} has no {kind.entity} {part_id}.")


def part_values(kind: PartForm, part: Any) -> dict[str, str | list[str]]:
    values: dict[str, str | list[str]] = {}
    for name in kind.fields:
        value = getattr(part, name)
        # quantities without trailing zeros (430.5, not 430.5000); a milestone's weight as stored (2.50)
        quantity = kind is INDICATORS and isinstance(value, Decimal)
        values[name] = format(value.normalize(), "f") if quantity else _text(value)
    return values


def part_page(
    request: Request,
    session: Session,
    kind: PartForm,
    project_id: int,
    form: Form,
    status_code: int = 200,
    *,
    part: Any = None,
    version: int | None = None,
    changes: list[Change] | None = None,
    loaded_at: str = "",
) -> Response:
    project = projects_service.get_project(session, project_id)
    return templates.render(
        request,
        kind.template,
        status_code,
        form=form,
        project=project,
        part=part,
        version=version if version is not None else (part.version if part is not None else None),
        loaded_at=loaded_at or loaded_now(),
        changes=changes,
        conflict=changes is not None,
        today=date.today(),
        measures=projects_service.measures() if kind is INDICATORS else (),
    )


def part_stale(
    request: Request,
    session: Session,
    kind: PartForm,
    project_id: int,
    part_id: int,
    values: Typed,
    loaded_at: str,
) -> Response:
    """The edit form again after a save met a newer version: what changed meanwhile, the person's
    values, the new version."""
    part = find_part(session, kind, project_id, part_id)
    changes = changed_meanwhile(session, kind.entity, part_id, loaded_at)
    form = Form(merged(values, part_values(kind, part), changes))
    return part_page(request, session, kind, project_id, form, 412, part=part, changes=changes)


async def add_part(
    request: Request, session: Session, user: User, kind: PartForm, project_id: int
) -> Response:
    values = {k: v for k, v in typed(await request.form()).items() if k in kind.fields}
    attempt = Attempt(session)
    with attempt:
        body = build(kind.create, part_wire(kind, values), lang=request_lang(request))
        projects_service.add_part(session, actor_of(user), kind.model, project_id, body)  # type: ignore[type-var]
    if attempt.refused:
        form = attempt.shown_on(Form(values), kind.fields)
        return part_page(request, session, kind, project_id, form, attempt.status)
    return hub(project_id, f"{kind.entity}-added")


async def save_part(
    request: Request, session: Session, user: User, kind: PartForm, project_id: int, part_id: int
) -> Response:
    values = typed(await request.form())
    version, loaded_at = str(values.pop("version", "")), str(values.pop("loaded_at", ""))
    fields = {k: v for k, v in values.items() if k in kind.fields}
    attempt = Attempt(session)
    with attempt:
        body = update_body(kind.update, part_wire(kind, fields), request_lang(request))
        projects_service.update_part(
            session,
            actor_of(user),
            kind.model,  # type: ignore[type-var]
            project_id,
            part_id,
            body,
            Precondition(frozenset({version})),
        )
    if attempt.conflict:
        return part_stale(request, session, kind, project_id, part_id, fields, loaded_at)
    if attempt.refused:
        part = find_part(session, kind, project_id, part_id)
        form = attempt.shown_on(Form(fields), kind.fields)
        return part_page(
            request,
            session,
            kind,
            project_id,
            form,
            attempt.status,
            part=part,
            version=as_version(version),
            loaded_at=loaded_at,
        )
    return hub(project_id, f"{kind.entity}-saved")


async def delete_part(
    request: Request, session: Session, user: User, kind: PartForm, project_id: int, part_id: int
) -> Response:
    values = typed(await request.form())
    version, loaded_at = str(values.get("version", "")), str(values.get("loaded_at", ""))
    attempt = Attempt(session)
    with attempt:
        projects_service.delete_part(
            session,
            actor_of(user),
            kind.model,
            project_id,
            part_id,
            Precondition(frozenset({version})),  # type: ignore[type-var]
        )
    if attempt.conflict or attempt.refused:
        part = find_part(session, kind, project_id, part_id)
        if attempt.conflict:
            return part_stale(request, session, kind, project_id, part_id, part_values(kind, part), loaded_at)
        form = attempt.shown_on(Form(part_values(kind, part)), kind.fields)
        return part_page(request, session, kind, project_id, form, attempt.status, part=part)
    return hub(project_id, f"{kind.entity}-deleted")


@router.get("/projects/{project_id}/milestones/new")
def new_milestone_form(
    request: Request, session: SessionDep, user: ProjectWriter, project_id: int
) -> Response:
    return part_page(request, session, MILESTONES, project_id, Form({"weight": "1"}))


@router.post("/projects/{project_id}/milestones/new")
async def create_milestone(
    request: Request, session: SessionDep, user: ProjectWriter, project_id: int
) -> Response:
    return await add_part(request, session, user, MILESTONES, project_id)


@router.get("/projects/{project_id}/milestones/{milestone_id}/edit")
def edit_milestone_form(
    request: Request, session: SessionDep, user: ProjectWriter, project_id: int, milestone_id: int
) -> Response:
    part = find_part(session, MILESTONES, project_id, milestone_id)
    return part_page(request, session, MILESTONES, project_id, Form(part_values(MILESTONES, part)), part=part)


@router.post("/projects/{project_id}/milestones/{milestone_id}/edit")
async def save_milestone(
    request: Request, session: SessionDep, user: ProjectWriter, project_id: int, milestone_id: int
) -> Response:
    return await save_part(request, session, user, MILESTONES, project_id, milestone_id)


@router.post("/projects/{project_id}/milestones/{milestone_id}/done")
async def milestone_done(
    request: Request, session: SessionDep, user: ProjectWriter, project_id: int, milestone_id: int
) -> Response:
    """Mark a milestone done today (the hub's one-button shortcut for the edit form's "done on")."""
    values = typed(await request.form())
    version, loaded_at = str(values.get("version", "")), str(values.get("loaded_at", ""))
    body = build(MilestoneUpdate, {"done_on": date.today().isoformat()}, lang="en")
    attempt = Attempt(session)
    with attempt:
        projects_service.update_part(
            session,
            actor_of(user),
            Milestone,
            project_id,
            milestone_id,
            body,
            Precondition(frozenset({version})),
        )
    if attempt.conflict or attempt.refused:
        part = find_part(session, MILESTONES, project_id, milestone_id)
        values = part_values(MILESTONES, part) | {"done_on": date.today().isoformat()}
        if attempt.conflict:
            return part_stale(request, session, MILESTONES, project_id, milestone_id, values, loaded_at)
        form = attempt.shown_on(Form(values), MILESTONES.fields)
        return part_page(request, session, MILESTONES, project_id, form, attempt.status, part=part)
    return hub(project_id, "milestone-done")


@router.post("/projects/{project_id}/milestones/{milestone_id}/delete")
async def delete_milestone(
    request: Request, session: SessionDep, user: ProjectWriter, project_id: int, milestone_id: int
) -> Response:
    return await delete_part(request, session, user, MILESTONES, project_id, milestone_id)


@router.get("/projects/{project_id}/indicators/new")
def new_indicator_form(
    request: Request, session: SessionDep, user: ProjectWriter, project_id: int
) -> Response:
    return part_page(request, session, INDICATORS, project_id, Form({"baseline": "0"}))


@router.post("/projects/{project_id}/indicators/new")
async def create_indicator(
    request: Request, session: SessionDep, user: ProjectWriter, project_id: int
) -> Response:
    return await add_part(request, session, user, INDICATORS, project_id)


@router.get("/projects/{project_id}/indicators/{indicator_id}/edit")
def edit_indicator_form(
    request: Request, session: SessionDep, user: ProjectWriter, project_id: int, indicator_id: int
) -> Response:
    part = find_part(session, INDICATORS, project_id, indicator_id)
    return part_page(request, session, INDICATORS, project_id, Form(part_values(INDICATORS, part)), part=part)


@router.post("/projects/{project_id}/indicators/{indicator_id}/edit")
async def save_indicator(
    request: Request, session: SessionDep, user: ProjectWriter, project_id: int, indicator_id: int
) -> Response:
    return await save_part(request, session, user, INDICATORS, project_id, indicator_id)


@router.post("/projects/{project_id}/indicators/{indicator_id}/delete")
async def delete_indicator(
    request: Request, session: SessionDep, user: ProjectWriter, project_id: int, indicator_id: int
) -> Response:
    return await delete_part(request, session, user, INDICATORS, project_id, indicator_id)
