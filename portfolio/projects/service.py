"""The rules of projects: what a project must hold, how it moves through its lifecycle, and how its
funding and progress are summarised. Knows nothing of HTTP; never commits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlmodel import Session

from portfolio.audit import service as audit
from portfolio.audit.models import AuditEntry
from portfolio.errors import Conflict, FieldError, Forbidden, NotFound, Said, ValidationFailed
from portfolio.facts import Facts
from portfolio.money import ratio, shortfall
from portfolio.norms import service as norms_service
from portfolio.norms.titles import title_in
from portfolio.pagination import PageParams
from portfolio.preconditions import ANY, Precondition
from portfolio.projects import repository
from portfolio.projects.facts import LiveFacts
from portfolio.projects.measures import BY_CODE, MEASURES, Measure
from portfolio.projects.models import (
    FINAL,
    HOLDABLE,
    PIPELINE,
    Indicator,
    Milestone,
    Project,
    ProjectActivity,
    ProjectArea,
    ProjectBeneficiary,
    ProjectNorm,
    ProjectStatusChange,
    needs_budget,
)
from portfolio.projects.repository import ProjectFilters, ProjectRow, percent_done
from portfolio.projects.schemas import (
    IndicatorCreate,
    IndicatorUpdate,
    MilestoneCreate,
    MilestoneUpdate,
    ProjectCreate,
    ProjectStatus,
    ProjectUpdate,
    unknown_measure,
)
from portfolio.security import Actor
from portfolio.states import service as states_service
from portfolio.states.models import State
from portfolio.writer import SessionWriter, Writer

Changes = dict[str, list[Any]]

# -- lifecycle --------------------------------------------------------------------------------


def allowed_moves(status: ProjectStatus, before_hold: ProjectStatus | None = None) -> list[ProjectStatus]:
    """Where a project may go from ``status``: the next step, on hold and back, or cancelled."""
    if status in FINAL:
        return []
    if status == ProjectStatus.on_hold:
        return [s for s in (before_hold, ProjectStatus.cancelled) if s is not None]
    moves = [PIPELINE[PIPELINE.index(status) + 1]]
    if status in HOLDABLE:
        moves.append(ProjectStatus.on_hold)
    moves.append(ProjectStatus.cancelled)
    return moves


class ProjectNotFound(NotFound):
    pass


class TransitionNotAllowed(Conflict):
    slug = "transition-not-allowed"
    title = "Status change not allowed"


class MoveForbidden(Forbidden):
    slug = "move-forbidden"
    title = "Status change not allowed for this role"


class ProjectHasPledges(Conflict):
    slug = "project-has-pledges"
    title = "Project has pledges"


class BudgetRequired(Conflict):
    slug = "budget-required"
    title = "A budget is needed first"


def _no_budget(code: str, to: str) -> BudgetRequired:
    detail = Said(
        "Project %(code)s has no budget yet; give it one before moving it to %(to)s.",
        code=code,
        to=ProjectStatus(to),
    )
    return BudgetRequired(detail, errors=[FieldError(("body", "budget_eur"), detail)])


class DuplicateProjectCode(Conflict):
    slug = "duplicate-project-code"
    title = "Project code already used"


def _code_taken(code: str, owner: object) -> Said:
    return Said("Project code '%(code)s' is already used by project %(owner)s.", code=code, owner=str(owner))


# -- summaries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Funding:
    budget_eur: Decimal | None
    pledged_eur: Decimal
    received_eur: Decimal
    gap_eur: Decimal | None
    coverage: Decimal | None


@dataclass(frozen=True)
class ProgressSummary:
    milestones_total: int
    milestones_done: int
    percent: Decimal | None


def funding_of(row: ProjectRow) -> Funding:
    budget = row.project.budget_eur
    return Funding(
        budget,
        row.pledged_eur,
        row.received_eur,
        shortfall(budget, row.pledged_eur),
        ratio(row.pledged_eur, budget),
    )


def progress_of(row: ProjectRow) -> ProgressSummary:
    percent = percent_done(row.weight_done, row.weight_total) if row.milestones_total else None
    return ProgressSummary(row.milestones_total, row.milestones_done, percent)


# -- projects ---------------------------------------------------------------------------------


def list_projects(
    session: Session, viewer: Actor, filters: ProjectFilters, sort: str, limit: int, offset: int
) -> tuple[list[ProjectRow], int]:
    filters = replace(filters, donor=viewer.donor_filter(filters.donor))
    return repository.list_projects(session, filters, sort, limit, offset)


def get_project(
    session: Session, project_id: int, *, for_update: bool = False, precondition: Precondition = ANY
) -> Project:
    project = repository.get_project(session, project_id, for_update=for_update)
    if project is None:
        raise ProjectNotFound(f"Project {project_id} does not exist.")
    precondition.check(project.version, f"Project {project_id}")
    return project


def project_lists(project: Project) -> dict[str, list[str]]:
    return {
        "areas": project.areas,
        "activity_types": project.activity_types,
        "beneficiaries": project.beneficiaries,
        "norms": project.norms,
    }


def get_project_row(session: Session, project_id: int) -> ProjectRow:
    row = repository.get_project_row(session, project_id)
    if row is None:
        raise ProjectNotFound(f"Project {project_id} does not exist.")
    return row


def get_project_row_by_code(session: Session, code: str) -> ProjectRow:
    """A project found by its code, as users know it (any case, surrounding spaces ignored)."""
    project = repository.get_project_by_code(session, code.strip())
    if project is None:
        project = repository.get_project_by_code(session, code.strip().upper())
    if project is None:
        raise ProjectNotFound(f"No project has the code '{code}'.")
    assert project.id is not None
    return get_project_row(session, project.id)


def _check_code_free(facts: Facts, code: str, own_id: int | None = None) -> None:
    owner = facts.code_owner(code)
    if owner is not None and owner != own_id:
        raise DuplicateProjectCode(_code_taken(code, owner))


def _check_dates(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise ValidationFailed.field(
            ("body", "end_date"),
            Said("the end date (%(end)s) is before the start date (%(start)s)", end=end, start=start),
        )


def _check_request_date(requested: date) -> None:
    if requested > date.today():
        raise ValidationFailed.field(
            ("body", "request_date"), Said("%(day)s is in the future", day=requested)
        )


def check_new_project(
    data: ProjectCreate,
    *,
    code_owner: int | None,
    states: Mapping[str, State],
    norms: frozenset[str] = frozenset(),
) -> None:
    """The rules a new project must meet, given the facts: who holds its code, its beneficiaries, and
    the norms catalogue (``norms``: its codes) for the norms it names."""
    if code_owner is not None:
        raise DuplicateProjectCode(_code_taken(data.code, code_owner))
    errors = states_service.state_problems(
        data.beneficiaries, states, ("body", "beneficiaries"), participating_only=True, indexed=True
    )
    errors += norms_service.unknown_codes(data.norms, norms, ("body", "norms"))
    checks: list[Callable[[], None]] = [
        lambda: _check_dates(data.start_date, data.end_date),
        lambda: _check_request_date(data.request_date),
    ]
    for check in checks:
        try:
            check()
        except ValidationFailed as exc:  # every problem at once, not one per attempt
            errors += exc.errors
    if errors:
        raise ValidationFailed("; ".join(e.msg for e in errors), errors=errors)


LIST_FIELDS = ("areas", "activity_types", "beneficiaries", "norms")
LINKS: list[tuple[type[ProjectArea | ProjectActivity | ProjectBeneficiary | ProjectNorm], str, str]] = [
    (ProjectArea, "area", "areas"),
    (ProjectActivity, "activity_type", "activity_types"),
    (ProjectBeneficiary, "state_code", "beneficiaries"),
    (ProjectNorm, "norm_code", "norms"),
]


def write_project(
    writer: Writer,
    facts: Facts,
    actor: Actor,
    data: ProjectCreate,
    *,
    status: ProjectStatus | None = None,
    status_on: date | None = None,
) -> dict[str, Any]:
    """Record a new project (its columns, links, opening history entry and audit entry), checked by the
    rules of :func:`check_new_project` against ``facts``; its stored columns.

    ``status`` (a spreadsheet import) gives it at once the status the file records: see
    :func:`imported_on`. Every rule is checked before anything is handed to ``writer``."""
    check_new_project(
        data,
        code_owner=facts.code_owner(data.code),
        states=facts.states(data.beneficiaries),
        norms=facts.norm_codes() if data.norms else frozenset(),
    )
    move_to = status if status is not None and status != ProjectStatus.requested else None
    if move_to is not None and data.budget_eur is None and needs_budget(move_to, _held_from(data.start_date)):
        raise ValidationFailed.field(
            ("body", "budget_eur"),
            Said(
                "a project in %(status)s needs a budget; only a request may have none yet",
                status=ProjectStatus(move_to),
            ),
        )
    if move_to is not None:
        on = imported_on(
            move_to, requested=data.request_date, start=data.start_date, end=data.end_date, on=status_on
        )
    row = writer.insert(Project, data.model_dump(exclude=set(LIST_FIELDS)))
    project_id: int = row["id"]
    lists = {name: sorted(str(v) for v in getattr(data, name)) for name in LIST_FIELDS}
    writer.add_entry(audit.created_entry(actor, "project", row, project_id, **lists))
    for model, column, name in LINKS:
        for value in getattr(data, name):
            writer.insert(model, {"project_id": project_id, column: value})
    writer.insert(
        ProjectStatusChange,
        {
            "project_id": project_id,
            "from_status": None,
            "to_status": ProjectStatus.requested,
            "changed_on": data.request_date,
            "note": "Request for assistance received",
        },
    )
    if move_to is not None:
        _write_imported_move(writer, actor, row, move_to, on)
    return row


def imported_on(
    to: ProjectStatus, *, requested: date, start: date | None, end: date | None, on: date | None
) -> date:
    """The day a project created from a spreadsheet reached the status the file records.

    The file says where the project stands, not how it got there: the history holds the request and
    one change to that status. That change is dated ``on`` (the file's ``status_on``) when given, which
    may be neither in the future nor before the request; else by the project's own dates — a completed
    project on its end_date, one in implementation on its start_date, when that day has come (never
    before the request) — else the day of the import."""
    today = date.today()
    if on is not None:
        if on > today:
            raise ValidationFailed.field(("body", "status_on"), Said("%(day)s is in the future", day=on))
        if on < requested:
            raise ValidationFailed.field(
                ("body", "status_on"),
                Said(
                    "%(on)s is before the request on %(requested)s, the previous status change",
                    on=on,
                    requested=requested,
                ),
            )
        return on
    own = {ProjectStatus.completed: end, ProjectStatus.implementation: start}.get(to)
    return max(own, requested) if own is not None and own <= today else today


def _held_from(start: date | None) -> ProjectStatus:
    """Where a project imported on hold resumes: implementation once it has started, planning before."""
    started = start is not None and start <= date.today()
    return ProjectStatus.implementation if started else ProjectStatus.planning


def _write_imported_move(
    writer: Writer, actor: Actor, row: dict[str, Any], to: ProjectStatus, on: date
) -> None:
    """Move a project just written from requested to ``to`` on ``on``. A project imported on hold
    resumes where its dates say it was: implementation once it has started, planning before."""
    project_id: int = row["id"]
    current = ProjectStatus.requested
    columns: dict[str, Any] = {"status": to}
    if to == ProjectStatus.on_hold:
        columns["status_before_hold"] = _held_from(row["start_date"])
    writer.update(Project, row, columns)
    writer.insert(
        ProjectStatusChange,
        {
            "project_id": project_id,
            "from_status": current,
            "to_status": to,
            "changed_on": on,
            "note": "Imported",
        },
    )
    changes = {"status": [current, to], "on": [None, on]}
    writer.add_entry(audit.entry(actor, "transition", "project", project_id, changes, project_id))


def create_project(
    session: Session,
    actor: Actor,
    data: ProjectCreate,
    *,
    status: ProjectStatus | None = None,
    status_on: date | None = None,
) -> Project:
    """:func:`write_project` through the session."""
    writer = SessionWriter(session)
    row = write_project(writer, LiveFacts(session), actor, data, status=status, status_on=status_on)
    session.flush()
    project: Project = writer.record(Project, row)
    return project


def _move_request(session: Session, facts: Facts, project: Project, requested: date) -> None:
    """The request opens the status history: moving its date moves that first entry, within the history.
    A new date comes before every pledge to the project, too."""
    assert project.id is not None
    project_id = project.id
    _check_request_date(requested)
    pledged = facts.first_pledged_on(project_id) if requested != project.request_date else None
    if pledged is not None and requested > pledged:
        raise ValidationFailed.field(
            ("body", "request_date"),
            Said(
                "A request cannot be dated after a pledge to its project (pledged on %(pledged)s).",
                pledged=pledged,
            ),
        )
    history = repository.status_history(session, project_id)
    if history and history[0].from_status is None:
        later = history[1].changed_on if len(history) > 1 else None
        if later is not None and requested > later:
            raise ValidationFailed.field(
                ("body", "request_date"),
                Said(
                    "%(requested)s is after the status change on %(later)s", requested=requested, later=later
                ),
            )
        history[0].changed_on = requested


def _sync_rows(rows: list[Any], wanted: list[str], attr: str, make: type) -> None:
    """Make a project's link rows match ``wanted`` without deleting and re-inserting what stays."""
    have = {getattr(r, attr): r for r in rows}
    for value, row in have.items():
        if value not in wanted:
            rows.remove(row)
    for value in wanted:
        if value not in have:
            rows.append(make(**{attr: value}))


def update_project(
    session: Session, actor: Actor, project_id: int, data: ProjectUpdate, precondition: Precondition = ANY
) -> tuple[Project, Changes]:
    project = get_project(session, project_id, for_update=True, precondition=precondition)
    values = data.changes()
    facts = LiveFacts(session)
    if "code" in values:
        _check_code_free(facts, values["code"], project.id)
    if "beneficiaries" in values:
        states_service.require_states(
            session, values["beneficiaries"], ("body", "beneficiaries"), participating_only=True, indexed=True
        )
    _check_dates(values.get("start_date", project.start_date), values.get("end_date", project.end_date))
    if (
        "budget_eur" in values
        and values["budget_eur"] is None
        and needs_budget(project.status, project.status_before_hold)
    ):
        raise ValidationFailed.field(
            ("body", "budget_eur"),
            Said(
                "a project in %(status)s keeps a budget; it may be empty only before planning",
                status=ProjectStatus(project.status),
            ),
        )
    if "request_date" in values:
        _move_request(session, facts, project, values["request_date"])
    if values.get("norms"):
        norms_service.check_codes(session, values["norms"])

    changes: Changes = {}
    lists: dict[
        str, tuple[str, str, type[ProjectArea | ProjectActivity | ProjectBeneficiary | ProjectNorm]]
    ] = {
        "areas": ("area_rows", "area", ProjectArea),
        "activity_types": ("activity_rows", "activity_type", ProjectActivity),
        "beneficiaries": ("beneficiary_rows", "state_code", ProjectBeneficiary),
        "norms": ("norm_rows", "norm_code", ProjectNorm),
    }
    for name, value in values.items():
        if name in lists:
            old = getattr(project, name)
            new = sorted(str(v) for v in value)
            if old != new:
                rows_attr, attr, model = lists[name]
                _sync_rows(getattr(project, rows_attr), [str(v) for v in value], attr, model)
                changes[name] = [old, new]
        else:
            old = getattr(project, name)
            if old != value:
                setattr(project, name, value)
                changes[name] = [old, value]
    if changes:
        audit.record(session, actor, "update", "project", project_id, changes, project_id)
        session.flush()
    return project, changes


def delete_project(
    session: Session, actor: Actor, project_id: int, precondition: Precondition = ANY
) -> Project:
    """Delete a project, its history, links, milestones and indicators (the pledges and national
    processes it has are for :mod:`portfolio.flows.delete_project` to see to first)."""
    project = get_project(session, project_id, for_update=True, precondition=precondition)
    # Everything that goes with the project is kept in its last audit entry, so that it can be rebuilt.
    milestones = [audit.snapshot(m) for m in repository.list_milestones(session, project_id)]
    indicators = [audit.snapshot(i) for i in repository.list_indicators(session, project_id)]
    audit.deleted(
        session,
        actor,
        "project",
        project,
        project_id,
        **project_lists(project),
        milestones=milestones,
        indicators=indicators,
    )
    session.delete(project)
    session.flush()
    return project


MOVERS = frozenset({"admin", "staff"})
REOPENERS = frozenset({"admin", "manager"})


def _reopen_target(history: list[ProjectStatusChange]) -> tuple[ProjectStatus, ProjectStatus | None] | None:
    """The status a completed or cancelled project left, and where it stood before a hold if that status
    was on_hold: where reopening takes it back to."""
    if not history or history[-1].from_status is None:
        return None
    left = ProjectStatus(history[-1].from_status)
    before_hold = None
    if left == ProjectStatus.on_hold:
        into_hold = [c for c in history[:-1] if c.to_status == ProjectStatus.on_hold]
        if into_hold and into_hold[-1].from_status is not None:
            before_hold = ProjectStatus(into_hold[-1].from_status)
    return left, before_hold


def transition(
    session: Session,
    actor: Actor,
    project_id: int,
    to: ProjectStatus,
    note: str,
    on: date | None,
    precondition: Precondition = ANY,
) -> tuple[Project, ProjectStatusChange]:
    """Move a project one step of its lifecycle (staff and admins), or reopen a completed or cancelled
    project to the status it left (managers and admins, with a note saying why)."""
    project = get_project(session, project_id, for_update=True, precondition=precondition)
    current = ProjectStatus(project.status)
    reopen = current in FINAL
    if reopen:
        if actor.role not in REOPENERS:
            raise MoveForbidden(
                f"Project {project.code} is {current}; only a manager or an admin may reopen it."
            )
        target = _reopen_target(repository.status_history(session, project_id))
        if target is None or to != target[0]:
            back = f"to {target[0]}, the status it left" if target else "nowhere: it has no earlier status"
            raise TransitionNotAllowed(f"A {current} project can only be reopened {back}.")
        if not note.strip():
            raise ValidationFailed.field(("body", "note"), Said("say why the project is reopened"))
        before_hold = target[1]
    else:
        if actor.role not in MOVERS:
            raise MoveForbidden(f"The {actor.role} role may not move a project; it may only reopen one.")
        before_hold = ProjectStatus(project.status_before_hold) if project.status_before_hold else None
        allowed = allowed_moves(current, before_hold)
        if to not in allowed:
            options = ", ".join(allowed) if allowed else f"none: {current} is final"
            raise TransitionNotAllowed(
                f"A project cannot move from {current} to {to}. Allowed from {current}: {options}."
            )
        before_hold = current if to == ProjectStatus.on_hold else None
    if project.budget_eur is None and needs_budget(to, before_hold):
        raise _no_budget(project.code, to)
    today = date.today()
    on = on or today
    if on > today:
        raise ValidationFailed.field(("body", "on"), Said("%(day)s is in the future", day=on))
    last = repository.last_status_change(session, project_id)
    if last is not None and on < last.changed_on:
        raise ValidationFailed.field(
            ("body", "on"),
            Said("%(on)s is before the previous status change on %(last)s", on=on, last=last.changed_on),
        )
    project.status_before_hold = before_hold
    project.status = to
    change = ProjectStatusChange(
        project_id=project_id, from_status=current, to_status=to, changed_on=on, note=note
    )
    session.add(change)
    audit.record(
        session,
        actor,
        "reopen" if reopen else "transition",
        "project",
        project_id,
        {"status": [current, to], "on": [None, on], "note": [None, note]},
        project_id,
    )
    session.flush()
    return project, change


def project_trail(session: Session, project_id: int, page: PageParams) -> tuple[list[AuditEntry], int]:
    """:func:`portfolio.audit.service.project_trail`; a 404 for a project that neither exists nor
    ever did (a deleted project keeps its trail)."""
    entries, total = audit.project_trail(session, project_id, page)
    if total == 0:
        get_project(session, project_id)
    return entries, total


def status_history(session: Session, project_id: int) -> list[ProjectStatusChange]:
    get_project(session, project_id)
    return repository.status_history(session, project_id)


# -- milestones and indicators ----------------------------------------------------------------


class MilestoneNotFound(NotFound):
    pass


class IndicatorNotFound(NotFound):
    pass


def _apply(obj: Milestone | Indicator, values: dict[str, Any]) -> Changes:
    changes: Changes = {}
    for name, value in values.items():
        old = getattr(obj, name)
        if old != value:
            setattr(obj, name, value)
            changes[name] = [old, value]
    return changes


# Milestones and indicators are parts of a project, handled alike: listed, added, changed (with If-Match)
# and deleted under their project, each write recorded in the audit trail with the project's id.
Part = TypeVar("Part", Milestone, Indicator)
PART_ENTITY: dict[type[Milestone | Indicator], str] = {Milestone: "milestone", Indicator: "indicator"}
PART_NOT_FOUND: dict[type[Milestone | Indicator], type[NotFound]] = {
    Milestone: MilestoneNotFound,
    Indicator: IndicatorNotFound,
}


def _check_done_on(done_on: date | None) -> None:
    if done_on is not None and done_on > date.today():
        raise ValidationFailed.field(("body", "done_on"), Said("%(day)s is in the future", day=done_on))


INDICATOR_FIELDS = (
    "name",
    "measure",
    "unit",
    "baseline",
    "target",
    "actual",
    "target_women",
    "target_men",
    "actual_women",
    "actual_men",
)
PEOPLE = [m.code for m in MEASURES if m.people]
BREAKDOWNS = (("target", "target_women", "target_men"), ("actual", "actual_women", "actual_men"))


def _total_needed(total_name: str) -> Said:
    """Why women and men of the target (or the actual) are refused without the target itself."""
    if total_name == "target":
        return Said("women and men of the target need the target itself: give it")
    return Said("women and men of the actual need the actual itself: give it")


def _too_many(total_name: str, given: dict[str, Decimal], counted: Decimal, total: Decimal) -> Said:
    """Why women and men (``given``: "women" and/or "men") that add up past the target (or the actual) are
    refused; each number without trailing zeros (:func:`portfolio.money.plain`)."""
    women, men = (given[k].normalize() if k in given else None for k in ("women", "men"))
    if women is not None and men is not None:
        parts = Said("women %(women)s + men %(men)s", women=women, men=men)
    elif women is not None:
        parts = Said("women %(women)s", women=women)
    else:
        parts = Said("men %(men)s", men=men)
    if total_name == "target":
        return Said(
            "%(parts)s = %(counted)s exceed the target of %(total)s; women + men may be at most the target",
            parts=parts,
            counted=counted.normalize(),
            total=total.normalize(),
        )
    return Said(
        "%(parts)s = %(counted)s exceed the actual of %(total)s; women + men may be at most the actual",
        parts=parts,
        counted=counted.normalize(),
        total=total.normalize(),
    )


def settle_indicator(values: dict[str, Any]) -> dict[str, Any]:
    """An indicator's fields as they are stored, checked by the rules of standard measures: ``values`` is
    the whole record (for a change, the stored record with the change applied).

    With a measure of the catalogue the unit is the measure's (filled in when left empty; another unit is
    refused); a free indicator names its own unit. Only a measure that counts people takes women and men
    of its target and actual: whole numbers whose sum never exceeds the total they break down (the total
    may hold people whose sex was not recorded); an actual breakdown needs an actual. Every problem at
    once, each naming its field."""
    settled = dict(values)
    errors: list[FieldError] = []

    def refuse(name: str, msg: str) -> None:
        errors.append(FieldError(("body", name), msg))

    code = settled.get("measure")
    measure = BY_CODE.get(code) if code else None
    if code and measure is None:
        refuse("measure", unknown_measure(code))
    unit = settled.get("unit")
    if measure is not None:
        if unit and unit.strip().casefold() != measure.unit.casefold():
            refuse(
                "unit",
                Said(
                    "the measure '%(code)s' counts in %(unit)s, not '%(given)s': "
                    "leave the unit empty or give %(unit)s",
                    code=measure.code,
                    unit=Said(measure.unit),  # a unit of the catalogue: a page says it in its language
                    given=unit,
                ),
            )
        settled["unit"] = measure.unit
    elif not unit:
        refuse("unit", Said("a free indicator needs a unit (or choose a standard measure)"))
    breakdown = [n for _, w, m in BREAKDOWNS for n in (w, m) if settled.get(n) is not None]
    if breakdown and (measure is None or not measure.people):
        people = ", ".join(PEOPLE)
        for name in breakdown:
            refuse(
                name,
                Said(
                    "women and men are only for a measure that counts people (%(people)s); "
                    "'%(code)s' does not count people: leave them empty",
                    people=people,
                    code=measure.code,
                )
                if measure
                else Said(
                    "women and men are only for a measure that counts people (%(people)s); "
                    "a free indicator: leave them empty",
                    people=people,
                ),
            )
    elif measure is not None and measure.people:
        for name in ("baseline", "target", "actual"):
            number = settled.get(name)
            if number is not None and number != number.to_integral_value():
                refuse(name, Said("%(number)s is not a whole number of people", number=number))
        for total_name, women_name, men_name in BREAKDOWNS:
            total, women, men = (settled.get(n) for n in (total_name, women_name, men_name))
            if total is None:
                for name in (women_name, men_name):
                    if settled.get(name) is not None:
                        refuse(name, _total_needed(total_name))
                continue
            parts = [(n, v) for n, v in ((women_name, women), (men_name, men)) if v is not None]
            counted = sum((v for _, v in parts), Decimal(0))
            if counted > total:
                given = {n.rsplit("_", 1)[1]: v for n, v in parts}
                # beside the last of the two given: the number that tipped it over
                refuse(parts[-1][0], _too_many(total_name, given, counted, total))
    if errors:
        raise ValidationFailed("; ".join(e.msg for e in errors), errors=errors)
    return settled


def list_parts(session: Session, model: type[Part], project_id: int) -> list[Part]:
    get_project(session, project_id)
    return repository.list_parts(session, model, project_id)


def add_part(
    session: Session,
    actor: Actor,
    model: type[Part],
    project_id: int,
    data: MilestoneCreate | IndicatorCreate,
) -> Part:
    get_project(session, project_id)
    _check_done_on(getattr(data, "done_on", None))
    values = data.model_dump()
    if model is Indicator:
        values = settle_indicator(values)
    part = model(project_id=project_id, **values)
    session.add(part)
    session.flush()
    audit.created(session, actor, PART_ENTITY[model], part, project_id)
    return part


def get_part(
    session: Session, model: type[Part], project_id: int, part_id: int, precondition: Precondition = ANY
) -> Part:
    part = repository.get_part(session, model, project_id, part_id, for_update=True)
    entity = PART_ENTITY[model]
    if part is None:
        raise PART_NOT_FOUND[model](f"Project {project_id} has no {entity} {part_id}.")
    precondition.check(part.version, f"{entity.capitalize()} {part_id}")
    return part


def update_part(
    session: Session,
    actor: Actor,
    model: type[Part],
    project_id: int,
    part_id: int,
    data: MilestoneUpdate | IndicatorUpdate,
    precondition: Precondition = ANY,
) -> tuple[Part, Changes]:
    part = get_part(session, model, project_id, part_id, precondition)
    _check_done_on(getattr(data, "done_on", None))
    values = data.changes()
    if isinstance(part, Indicator):
        record = {n: getattr(part, n) for n in INDICATOR_FIELDS} | values
        if values.get("measure") and "unit" not in values:
            record["unit"] = None  # a measure newly chosen brings its own unit
        merged = settle_indicator(record)
        values = {n: v for n, v in merged.items() if n in values or v != getattr(part, n)}
    changes = _apply(part, values)
    if changes:
        audit.record(session, actor, "update", PART_ENTITY[model], part_id, changes, project_id)
    session.flush()
    return part, changes


def delete_part(
    session: Session,
    actor: Actor,
    model: type[Part],
    project_id: int,
    part_id: int,
    precondition: Precondition = ANY,
) -> Part:
    part = get_part(session, model, project_id, part_id, precondition)
    audit.deleted(session, actor, PART_ENTITY[model], part, project_id)
    session.delete(part)
    session.flush()
    return part


# -- reads for the staff pages --------------------------------------------------------------------


def reopen_target(history: list[ProjectStatusChange]) -> ProjectStatus | None:
    """Where reopening a completed or cancelled project with this status ``history`` would take it (the
    status it left), if anywhere: what :func:`transition` accepts from a manager or an admin."""
    target = _reopen_target(history)
    return target[0] if target is not None else None


def project_parts(
    session: Session, project_id: int
) -> tuple[list[Milestone], list[Indicator], list[ProjectStatusChange]]:
    """A project's milestones, indicators and status history, one statement each, whatever their number
    (the caller has already found the project)."""
    return (
        repository.list_milestones(session, project_id),
        repository.list_indicators(session, project_id),
        repository.status_history(session, project_id),
    )


def overdue_milestones(
    session: Session, today: date, limit: int
) -> tuple[list[tuple[Milestone, str, str]], int]:
    """Milestones due before ``today`` and not yet done, with their project's code and title, and how many."""
    return repository.overdue_milestones(session, today, limit)


def codes_and_titles(session: Session, ids: list[int]) -> dict[int, tuple[str, str]]:
    """Each project's code and title by id, for lists that name projects."""
    return repository.codes_and_titles(session, ids)


# -- standard measures ----------------------------------------------------------------------------


def measures() -> tuple[Measure, ...]:
    """The catalogue of standard measures an indicator may carry."""
    return MEASURES


# -- the norms projects implement -------------------------------------------------------------------


def projects_naming_norm(session: Session, norm_code: str) -> list[str]:
    """The codes of the projects that name a norm: why it may not leave the catalogue."""
    return repository.codes_naming_norm(session, norm_code)


def norm_titles(session: Session, codes: list[str], lang: str) -> dict[str, str]:
    """These norms' titles in ``lang``, by code: how a project's page names them."""
    return {c: title_in(n, lang) for c, n in norms_service.titles(session, codes).items()}


def largest_other_budget(session: Session, project_id: int | None = None) -> Decimal | None:
    """The largest budget of every other project: what :func:`portfolio.money.far_above` compares a
    budget with."""
    return repository.largest_budget(session, project_id)
