"""The project register (every project, filtered, sorted and paged as the API lists them, with its
CSV/XLSX export) and the project page: one project's details, lifecycle, funding by donor, receipts,
milestones, indicators, national processes, status history and audit trail, on one page that costs the
same few statements however many pledges and receipts the project has."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session

from portfolio.agreements import service as agreements_service
from portfolio.audit import service as audit_service
from portfolio.audit.models import AuditEntry
from portfolio.db import SessionDep
from portfolio.documents.schemas import OwnerType
from portfolio.funding import service as funding_service
from portfolio.funding.service import PledgeRow  # type: ignore[attr-defined]  # the service's own type, re-exported
from portfolio.marking import mark as _
from portfolio.money import month_of
from portfolio.pagination import PageParams
from portfolio.processes import service as processes_service
from portfolio.projects import service as projects_service
from portfolio.projects.models import FINAL, ProjectStatusChange
from portfolio.projects.schemas import ActivityType, Area, FundingFilter, ProjectSort, ProjectStatus
from portfolio.projects.service import ProjectFilters  # type: ignore[attr-defined]  # the service's own type, re-exported
from portfolio.schemas import StateCode
from portfolio.security import Actor
from portfolio.states import service as states_service
from portfolio.transfer import exporter
from portfolio.transfer.exporter import MEDIA_TYPES, ExportFilters, Format
from portfolio.transfer.kinds import Kind
from portfolio.users import service as users_service
from portfolio.users.models import User
from portfolio.web.changes import ChangeLine, Lookups, describe
from portfolio.web.conflict import loaded_now
from portfolio.web.documents import NOTICES as DOCUMENT_NOTICES
from portfolio.web.documents import documents_panel, uploader_names
from portfolio.web.forms import Form
from portfolio.web.i18n import options, request_lang, translations
from portfolio.web.pager import page_address
from portfolio.web.project_interests import hub_context as interests_context
from portfolio.web.render import templates
from portfolio.web.session import PageUser, actor_of, csrf_protect, may
from portfolio.web.spending import section_context as spending_context

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

PER_PAGE = 50
TRAIL_LENGTH = 50
OBLIGATION_ROWS = 50
FILTER_FIELDS = ("status", "area", "beneficiary", "donor", "activity_type", "q", "funding")


# The `?done=` keys the project's pages redirect here with, and what the person is told.
NOTICES = {
    "created": _("The project was created."),
    "saved": _("The project's details were saved."),
    "moved": _("The project's status was changed."),
    "pledge-added": _("The pledge was added."),
    "pledge-saved": _("The pledge was saved."),
    "receipt-added": _("The receipt was recorded."),
    "milestone-added": _("The milestone was added."),
    "milestone-saved": _("The milestone was saved."),
    "milestone-done": _("The milestone was marked done."),
    "milestone-deleted": _("The milestone was deleted."),
    "indicator-added": _("The indicator was added."),
    "indicator-saved": _("The indicator was saved."),
    "indicator-deleted": _("The indicator was deleted."),
    **DOCUMENT_NOTICES,
}

FIELD_LABELS = {
    "status": _("Status"),
    "area": _("Area"),
    "beneficiary": _("Beneficiary State"),
    "donor": _("Donor State"),
    "activity_type": _("Activity type"),
    "q": _("Code or title contains"),
    "funding": _("Funding"),
    "sort": _("Sort by"),
    "page": _("Page"),
}


def gettext_of(request: Request) -> Callable[[str], str]:
    return translations(request_lang(request)).gettext


def state_names(session: Session, lang: str) -> dict[str, str]:
    """Every State's name in the page's language, by code (one statement)."""
    return states_service.names(session, lang)


# -- the register ----------------------------------------------------------------------------------


@dataclass
class Selection:
    """What the register's form asked for: the API's filters and sort, the page, and any refusal."""

    filters: ProjectFilters = field(default_factory=ProjectFilters)
    sort: str = ProjectSort.code_asc.value
    page: int = 1
    form: Form = field(default_factory=Form)


CHECKS: dict[str, TypeAdapter[Any]] = {
    "status": TypeAdapter(ProjectStatus),
    "area": TypeAdapter(Area),
    "beneficiary": TypeAdapter(StateCode),
    "donor": TypeAdapter(StateCode),
    "activity_type": TypeAdapter(ActivityType),
    "funding": TypeAdapter(FundingFilter),
    "sort": TypeAdapter(ProjectSort),
}


def selection(query: Mapping[str, str], gettext: Callable[[str], str]) -> Selection:
    """The register's query string read as the API reads its query: a blank field means any; a value the
    API would refuse gets a message beside its field."""
    values = {name: query.get(name, "").strip() for name in (*FILTER_FIELDS, "sort", "page")}
    errors: dict[str, str] = {}
    chosen: dict[str, Any] = {}
    for name, check in CHECKS.items():
        if values[name]:
            try:
                chosen[name] = str(check.validate_python(values[name]))
            except ValidationError:
                errors[name] = gettext("“%(value)s” is not one of the choices.") % {"value": values[name]}
    if len(values["q"]) > 100:
        errors["q"] = gettext("At most 100 characters.")
    page = 1
    if values["page"]:
        try:
            page = int(values["page"])
            if page < 1:
                raise ValueError
        except ValueError:
            errors["page"] = gettext("A page number is a whole number from 1.")
            page = 1
    filters = ProjectFilters(
        status=chosen.get("status"),
        area=chosen.get("area"),
        beneficiary=chosen.get("beneficiary"),
        donor=chosen.get("donor"),
        activity_type=chosen.get("activity_type"),
        q=values["q"] or None,
        funding=chosen.get("funding"),
    )
    return Selection(filters, chosen.get("sort", ProjectSort.code_asc.value), page, Form(values, errors))


def query_of(filters: ProjectFilters, sort: str | None = None, page: int | None = None) -> str:
    """The register's query string for a selection (the links of the pager, the exports, the home page)."""
    pairs = [(name, getattr(filters, name)) for name in FILTER_FIELDS if getattr(filters, name)]
    if sort and sort != ProjectSort.code_asc.value:
        pairs.append(("sort", sort))
    if page and page > 1:
        pairs.append(("page", str(page)))
    return urlencode(pairs)


def _deleted_notice(request: Request, gettext: Callable[[str], str]) -> str | None:
    """What the register says after a project was deleted from its page (``?deleted=CODE``)."""
    code = request.query_params.get("deleted", "").strip()[:40]
    return gettext("The project %(code)s was deleted.") % {"code": code} if code else None


@router.get("/projects")
def register(request: Request, session: SessionDep, user: PageUser) -> Response:
    gettext = gettext_of(request)
    lang = request_lang(request)
    chosen = selection(request.query_params, gettext)
    rows: list[Any] = []
    total = 0
    if not chosen.form.errors:
        offset = (chosen.page - 1) * PER_PAGE
        rows, total = projects_service.list_projects(
            session, actor_of(user), chosen.filters, chosen.sort, PER_PAGE, offset
        )
    names = state_names(session, lang)
    lines = [(r, projects_service.funding_of(r), projects_service.progress_of(r)) for r in rows]
    pages = max(1, -(-total // PER_PAGE))
    return templates.render(
        request,
        "projects/projects_register.html",
        422 if chosen.form.errors else 200,
        form=chosen.form,
        lines=lines,
        total=total,
        page=chosen.page,
        pages=pages,
        first=(chosen.page - 1) * PER_PAGE + 1 if rows else 0,
        last=(chosen.page - 1) * PER_PAGE + len(rows),
        page_url=page_address("/projects", lambda n: query_of(chosen.filters, chosen.sort, n)),
        export_query=query_of(chosen.filters),
        names=names,
        state_options=sorted(names.items(), key=lambda item: item[1]),
        status_options=options(ProjectStatus, lang),
        area_options=options(Area, lang),
        activity_options=options(ActivityType, lang),
        funding_options=options(FundingFilter, lang),
        sort_options=options(ProjectSort, lang),
        notice=_deleted_notice(request, gettext),
    )


def _export(request: Request, session: Session, user: User, fmt: Format) -> Response:
    chosen = selection(request.query_params, gettext_of(request))
    if chosen.form.errors:
        return register(request, session, user)
    data = exporter.rows(session, actor_of(user), Kind.projects, ExportFilters(projects=chosen.filters))
    name = exporter.filename(Kind.projects, fmt, date.today().isoformat())
    return Response(
        exporter.render(Kind.projects, fmt, data),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/projects.csv")
def register_csv(request: Request, session: SessionDep, user: PageUser) -> Response:
    return _export(request, session, user, Format.csv)


@router.get("/projects.xlsx")
def register_xlsx(request: Request, session: SessionDep, user: PageUser) -> Response:
    return _export(request, session, user, Format.xlsx)


# -- the project page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """A status the person may move the project to: a button (a step), or a link to the confirmation
    form (a final move or a reopening, which ask for a note)."""

    to: str
    confirm: bool


def moves_for(
    user: User, status: ProjectStatus, before_hold: str | None, reopen_to: str | None
) -> list[Move]:
    """The lifecycle controls this person gets: staff and admins the allowed steps; managers and admins
    the reopening of a completed or cancelled project; donors none."""
    if status in FINAL:
        if user.role in projects_service.REOPENERS and reopen_to is not None:
            return [Move(reopen_to, True)]
        return []
    if user.role not in projects_service.MOVERS:
        return []
    hold = ProjectStatus(before_hold) if before_hold else None
    return [Move(s.value, s in FINAL) for s in projects_service.allowed_moves(status, hold)]


def emails_of(session: Session) -> dict[int, str]:
    """Every account's e-mail by id, in one page of the accounts (the audit trail names its writers)."""
    found, _ = users_service.list_users(session, PageParams(500, 0))
    return {u.id: u.email for u in found if u.id is not None}


def totals(lines: list[PledgeRow]) -> dict[str, Decimal]:
    """The euro totals of some pledge lines: pledged (not withdrawn), received, outstanding."""
    pledged = sum((r.pledge.amount_eur for r in lines if r.pledge.status != "withdrawn"), Decimal("0.00"))
    received = sum((r.received_eur for r in lines), Decimal("0.00"))
    return {"pledged": pledged, "received": received}


def history_writers(
    history: list[ProjectStatusChange], entries: list[AuditEntry], emails: Mapping[int, str]
) -> list[str]:
    """Who made each change of a status history, by e-mail: the audit entry that records the same move
    (from, to, date), or the creation for the opening request; blank when none is found."""
    moves: dict[tuple[Any, Any, str], list[AuditEntry]] = {}
    for e in entries:
        changes = e.changes or {}
        if e.action == "create":
            key: tuple[Any, Any, str] = (None, "requested", "")
        else:
            status = changes.get("status") or [None, None]
            on = changes.get("on") or [None, None]
            key = (status[0], status[1], str(on[1]))
        moves.setdefault(key, []).append(e)
    who = []
    for change in history:
        key = (
            (None, "requested", "")
            if change.from_status is None
            else (change.from_status, change.to_status, change.changed_on.isoformat())
        )
        found = moves.get(key)
        entry = found.pop(0) if found else None
        if entry is None:
            who.append("")
        elif entry.user_id is None:
            who.append("system")
        else:
            who.append(emails.get(entry.user_id, f"user {entry.user_id}"))
    return who


@router.get("/projects/{project_id:int}")
def project_page(request: Request, session: SessionDep, user: PageUser, project_id: int) -> Response:
    gettext = gettext_of(request)
    lang = request_lang(request)
    actor = actor_of(user)
    row = projects_service.get_project_row(session, project_id)
    project = row.project
    pledges, receipts = funding_service.project_funding_lines(session, actor, project_id)
    milestones, indicators, history = projects_service.project_parts(session, project_id)
    names = state_names(session, lang)
    status = ProjectStatus(project.status)
    reopen_to = projects_service.reopen_target(history) if status in FINAL else None
    done = request.query_params.get("done", "")
    today = date.today()
    agreements = agreements_service.project_agreements(session, project_id)
    panel = _obligations_panel(session, actor, project_id, today)
    documents = documents_panel(session, user, lang, OwnerType.project, project_id, f"/projects/{project_id}")
    interests = interests_context(request, session, user, project_id)
    norm_titles = projects_service.norm_titles(session, row.lists["norms"], lang)
    see_trail = may(user, "audit", "read")
    trail: list[ChangeLine] = []
    movers: list[str] = []
    if see_trail:
        # The trail names the project's records from what the page has loaded: no statement of its own.
        shown: dict[str, list[Any]] = {
            "pledge": [r.pledge for r in pledges],
            "receipt": [r for r, _pledge in receipts],
            "milestone": milestones,
            "indicator": indicators,
            "agreement": agreements,
            "obligation": [o.obligation for o in panel["obligations"]],
            "document": [d for d, _who, _size in documents.items],
            "interest": [line.interest for line in interests["interest_lines"]],
        }
        trail, movers = _trail(session, project_id, project.code, lang, names, history, norm_titles, shown)
    return templates.render(
        request,
        "projects/project.html",
        with_agreement={a.pledge_id for a in agreements},
        **panel,
        documents=documents,
        project=project,
        row=row,
        funding=projects_service.funding_of(row),
        progress=projects_service.progress_of(row),
        pledges=pledges,
        outstanding={r.pledge.id: funding_service.outstanding(r) for r in pledges},
        own=totals(pledges),
        receipts=receipts,
        milestones=milestones,
        indicators=indicators,
        measures={m.code: m for m in projects_service.measures()},
        history=history,
        movers=movers,
        processes=processes_service.processes_of_project(session, project_id),
        names=names,
        trail=trail,
        see_trail=see_trail,
        moves=moves_for(user, status, project.status_before_hold, reopen_to),
        reopening=status in FINAL,
        loaded_at=loaded_now(),
        writer=may(user, "projects", "write"),
        pledge_writer=may(user, "pledges", "write"),
        donor=user.role == "donor",
        today=today,
        month_of=month_of,
        notice=gettext(NOTICES[done]) if done in NOTICES else None,
        **interests,  # the Interests section
        **spending_context(request, session, user, project_id),  # the Budget and spending section
        norm_titles=norm_titles,
    )


def _obligations_panel(session: Session, actor: Actor, project_id: int, today: date) -> dict[str, Any]:
    """The project's reporting obligations as the viewer may see them: the first rows, how many there are,
    each one's state today, the next one due and how many are overdue."""
    obligations, total = agreements_service.list_obligations(
        session,
        actor,
        agreements_service.ObligationFilters(project_id=project_id),  # type: ignore[attr-defined]
        PageParams(OBLIGATION_ROWS, 0),
    )
    states = {o.obligation.id: agreements_service.state_of(o.obligation, today) for o in obligations}
    return {
        "obligations": obligations,
        "obligation_total": total,
        "states": states,
        "next_due": next((o for o in obligations if states[o.obligation.id] == "due"), None),
        "overdue_count": sum(1 for s in states.values() if s == "overdue"),
        "owners": uploader_names(session) if obligations else {},
    }


def _trail(
    session: Session,
    project_id: int,
    code: str,
    lang: str,
    names: dict[str, str],
    history: list[Any],
    norm_titles: dict[str, str],
    shown: dict[str, list[Any]],
) -> tuple[list[ChangeLine], list[str]]:
    """The project's latest changes in people's words, naming the records the page ``shown`` by what the
    page calls them; and who moved the project through each status of its ``history``."""
    entries, _count = projects_service.project_trail(session, project_id, PageParams(TRAIL_LENGTH, 0))
    emails = emails_of(session)
    movers = history_writers(history, audit_service.status_writers(session, "project", project_id), emails)
    lookups = Lookups.of(entries, lang, names, emails)
    lookups.projects[project_id] = code
    lookups.norms.update(norm_titles)
    for kind, records in shown.items():
        lookups.know(kind, records)
    return describe(entries, lookups), movers
