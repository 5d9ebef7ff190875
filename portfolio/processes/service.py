"""The rules of national management processes: the structures and procedures a participating State
runs itself, and how they mature (planned → established → operational → sustained, and back).

Sustainability follow-ups: when a process becomes operational (on creation or by a stage change), it gets
one follow-up check per ``follow_up_months`` (default 12 and 24) months after the day it did. A process
that becomes operational again (after a regression) starts its checks afresh from that day; one that goes
back to established or planned loses its open checks; checks already done always stay, they are its
history. Recording a check's outcome — ``sustained`` or ``regressed`` — is a stage change made here, through
:func:`update_process`, dated by the check: sustained moves the process to stage sustained, regressed one
stage back (operational → established, sustained → operational).

Knows nothing of HTTP; never commits."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlmodel import Session

from portfolio.audit import service as audit
from portfolio.config import get_settings
from portfolio.db import utcnow
from portfolio.errors import Conflict, FieldError, NotFound, Said, ValidationFailed
from portfolio.pagination import PageParams
from portfolio.preconditions import ANY, Precondition
from portfolio.processes import repository
from portfolio.processes.models import (
    FollowUpCheck,
    NationalProcess,
    NationalProcessProject,
    NationalProcessStageChange,
)
from portfolio.processes.repository import FollowUpFilters, FollowUpRow, ProcessFilters
from portfolio.processes.schemas import (
    FollowUpOutcome,
    FollowUpStatus,
    FollowUpUpdate,
    NationalProcessCreate,
    NationalProcessUpdate,
    Stage,
)
from portfolio.projects import repository as projects_repository
from portfolio.security import Actor
from portfolio.states import service as states_service

Changes = dict[str, list[Any]]


class ProcessNotFound(NotFound):
    pass


class DuplicateProcess(Conflict):
    slug = "duplicate-national-process"
    title = "National process already recorded"


def list_processes(
    session: Session, filters: ProcessFilters, page: PageParams
) -> tuple[list[NationalProcess], int]:
    return repository.list_processes(session, filters, page.limit, page.offset)


def get_process(
    session: Session, process_id: int, *, for_update: bool = False, precondition: Precondition = ANY
) -> NationalProcess:
    process = repository.get_process(session, process_id, for_update=for_update)
    if process is None:
        raise ProcessNotFound(f"National process {process_id} does not exist.")
    precondition.check(process.version, f"National process {process_id}")
    return process


def _check_name_free(session: Session, state: str, name: str, own_id: int | None = None) -> None:
    other = repository.get_by_name(session, state, name)
    if other is not None and other.id != own_id:
        raise DuplicateProcess(
            Said(
                "%(state)s already has a national process named '%(name)s' (id %(id)s).",
                state=state,
                name=name,
                id=str(other.id),
            )
        )


def _check_established_on(established_on: date | None) -> None:
    if established_on is not None and established_on > date.today():
        raise ValidationFailed.field(
            ("body", "established_on"), Said("%(day)s is in the future", day=established_on)
        )


def _change_date(on: date | None, established_on: date | None = None) -> tuple[date, str]:
    """The day of a stage change and the field it was given in: ``stage_changed_on`` when given; else, for
    the change that first takes the process out of planned, the ``established_on`` given (the day it left
    planned); else today. Never in the future."""
    if on is None and established_on is not None:
        _check_established_on(established_on)
        return established_on, "established_on"
    today = date.today()
    on = on or today
    if on > today:
        raise ValidationFailed.field(("body", "stage_changed_on"), Said("%(day)s is in the future", day=on))
    return on, "stage_changed_on"


def _require_projects(session: Session, ids: list[int], field: str) -> None:
    existing = projects_repository.existing_project_ids(session, ids)
    missing = [i for i in ids if i not in existing]
    if missing:
        raise ValidationFailed.field(
            ("body", field), Said("no such project: %(ids)s", ids=", ".join(map(str, missing)))
        )


def create_process(
    session: Session,
    actor: Actor,
    data: NationalProcessCreate,
    follow_up_months: Sequence[int] | None = None,
) -> NationalProcess:
    states_service.require_states(session, [data.state], ("body", "state"), participating_only=True)
    _require_projects(session, data.project_ids, "project_ids")
    _check_name_free(session, data.state, data.name)
    _check_established_on(data.established_on)
    left_planned = data.established_on if data.stage != Stage.planned else None
    on, _field = _change_date(data.stage_changed_on, left_planned)
    values = data.model_dump(exclude={"project_ids", "stage_changed_on"})
    if data.stage != Stage.planned and data.established_on is None:
        values["established_on"] = on  # it left "planned" when it reached its present stage
    process = NationalProcess(
        **values,
        project_rows=[NationalProcessProject(project_id=p) for p in data.project_ids],
    )
    session.add(process)
    session.flush()
    assert process.id is not None
    session.add(
        NationalProcessStageChange(process_id=process.id, from_stage=None, to_stage=data.stage, changed_on=on)
    )
    session.flush()
    audit.created(session, actor, "national_process", process, project_ids=process.project_ids)
    if data.stage == Stage.operational:
        _follow_stage(session, actor, process, None, Stage.operational, on, follow_up_months)
    return process


def update_process(
    session: Session,
    actor: Actor,
    process_id: int,
    data: NationalProcessUpdate,
    precondition: Precondition = ANY,
    follow_up_months: Sequence[int] | None = None,
) -> tuple[NationalProcess, Changes]:
    """Change a process; a new stage is dated and kept in its history, and moves its follow-up checks
    (see the module's docstring)."""
    process = get_process(session, process_id, for_update=True, precondition=precondition)
    values = data.changes()
    on_value = values.pop("stage_changed_on", None)
    note = values.pop("stage_note", None) or ""
    if "state" in values:
        states_service.require_states(session, [values["state"]], ("body", "state"), participating_only=True)
    if "project_ids" in values:
        _require_projects(session, values["project_ids"], "project_ids")
    if values.keys() & {"state", "name"}:
        _check_name_free(
            session, values.get("state", process.state), values.get("name", process.name), process.id
        )
    if values.get("established_on", process.established_on) != process.established_on:
        _check_established_on(values["established_on"])

    changes: Changes = {}
    for name, value in values.items():
        old = process.project_ids if name == "project_ids" else getattr(process, name)
        new = sorted(value) if name == "project_ids" else value
        if name == "areas":
            new = [str(a) for a in value]
        if old == new:
            continue
        changes[name] = [old, new]
        if name == "project_ids":
            have = {r.project_id: r for r in process.project_rows}
            for pid, row in have.items():
                if pid not in new:
                    process.project_rows.remove(row)
            process.project_rows.extend(NationalProcessProject(project_id=p) for p in new if p not in have)
        else:
            setattr(process, name, new)

    if "stage" in changes:
        old_stage, new_stage = changes["stage"]
        history = repository.stage_history(session, process_id)
        leaves_planned = new_stage != Stage.planned and all(h.to_stage == Stage.planned for h in history)
        on, field = _change_date(on_value, process.established_on if leaves_planned else None)
        if history and on < history[-1].changed_on:
            raise ValidationFailed.field(
                ("body", field),
                Said(
                    "%(on)s is before the previous stage change on %(last)s",
                    on=on,
                    last=history[-1].changed_on,
                ),
            )
        session.add(
            NationalProcessStageChange(
                process_id=process_id, from_stage=old_stage, to_stage=new_stage, changed_on=on, note=note
            )
        )
        if new_stage != Stage.planned and process.established_on is None and "established_on" not in values:
            process.established_on = on
            changes["established_on"] = [None, on]
    if changes:
        process.updated_at = utcnow()
        action = "update"
        if "stage" in changes:
            action = "stage_change"
            changes["stage_changed_on"] = [None, on]
        audit.record(session, actor, action, "national_process", process_id, changes)
        session.flush()
    if "stage" in changes:
        old_stage, new_stage = changes["stage"]
        _follow_stage(session, actor, process, old_stage, new_stage, on, follow_up_months)
    return process, changes


def delete_process(
    session: Session, actor: Actor, process_id: int, precondition: Precondition = ANY
) -> NationalProcess:
    process = get_process(session, process_id, for_update=True, precondition=precondition)
    audit.deleted(session, actor, "national_process", process, project_ids=process.project_ids)
    session.delete(process)
    session.flush()
    return process


def stage_history(session: Session, process_id: int) -> list[NationalProcessStageChange]:
    get_process(session, process_id)
    return repository.stage_history(session, process_id)


def unlink_project(session: Session, actor: Actor, project_id: int) -> None:
    """The national processes a project helped build lose the link to it: a change to each of them."""
    for process in repository.processes_of_project(session, project_id):
        old = process.project_ids
        process.project_rows = [r for r in process.project_rows if r.project_id != project_id]
        process.updated_at = utcnow()
        audit.record(
            session,
            actor,
            "update",
            "national_process",
            process.id,
            {"project_ids": [old, [p for p in old if p != project_id]]},
        )


def processes_of_project(session: Session, project_id: int) -> list[NationalProcess]:
    """The national processes a project is linked to (its page lists them), in one statement."""
    return repository.linked_to_project(session, project_id)


# -- reads for the staff pages (the process list and form) --------------------------------------


def process_filters(state: str | None, kind: str | None, stage: str | None) -> ProcessFilters:
    """The list's filters as the pages pass them (None: any)."""
    return ProcessFilters(state=state, kind=kind, stage=stage)


def list_processes_in_area(
    session: Session, filters: ProcessFilters, area: str | None, page: PageParams
) -> tuple[list[NationalProcess], int]:
    """The process list of the pages: the API's filters, and the area (SALW or SCA) besides."""
    return repository.list_processes_in_area(session, filters, area, page.limit, page.offset)


def project_labels(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Code and title of the linked projects, by id: how people know them."""
    return repository.project_labels(session, ids)


class UnknownProjectCodes(ValidationFailed):
    """Codes that no project holds, named in ``codes``."""

    codes: tuple[str, ...] = ()


def project_ids_for_codes(session: Session, codes: list[str], field: str) -> list[int]:
    """The ids of the projects people named by code (any case), in the order given; a 422 on ``field``
    naming every code no project holds."""
    wanted = [c.strip() for c in codes if c.strip()]
    found = repository.project_ids_by_code(session, [*wanted, *(c.upper() for c in wanted)])
    ids: list[int] = []
    unknown: list[str] = []
    for code in wanted:
        pid = found.get(code, found.get(code.upper()))
        if pid is None:
            unknown.append(code)
        else:
            ids.append(pid)
    if unknown:
        msg = Said("no project has the code %(codes)s", codes=", ".join(repr(c) for c in unknown))
        error = UnknownProjectCodes(msg, errors=[FieldError(("body", field), msg)])
        error.codes = tuple(unknown)
        raise error
    return list(dict.fromkeys(ids))


# -- sustainability follow-up checks ----------------------------------------------------------------

LIVE_STAGES = (Stage.operational, Stage.sustained)
ONE_STAGE_BACK = {Stage.operational: Stage.established, Stage.sustained: Stage.operational}


class FollowUpNotFound(NotFound):
    pass


class FollowUpDone(Conflict):
    slug = "follow-up-done"
    title = "Follow-up check already done"


class ProcessNotLive(Conflict):
    slug = "process-not-operational"
    title = "National process neither operational nor sustained"


def add_months(day: date, months: int) -> date:
    """The same day so many months later; a day the month lacks becomes its last."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _months(follow_up_months: Sequence[int] | None) -> list[int]:
    return sorted(set(get_settings().follow_up_months if follow_up_months is None else follow_up_months))


def _follow_stage(
    session: Session,
    actor: Actor,
    process: NationalProcess,
    old_stage: str | None,
    new_stage: str,
    on: date,
    follow_up_months: Sequence[int] | None,
) -> None:
    """Move a process's follow-up checks with its new stage: becoming operational starts them afresh from
    ``on``; going back to established or planned drops the open ones; done checks always stay."""
    if new_stage == Stage.sustained or old_stage == new_stage:
        return
    assert process.id is not None
    checks = repository.follow_ups_of(session, process.id) if old_stage is not None else []
    for check in checks:
        if check.status == FollowUpStatus.due:
            audit.deleted(session, actor, "follow_up_check", check)
            session.delete(check)
    session.flush()
    if new_stage == Stage.operational:
        taken = {(c.operational_on, c.months_after) for c in checks}
        for months in _months(follow_up_months):
            if (on, months) in taken:
                continue
            check = FollowUpCheck(
                process_id=process.id, operational_on=on, months_after=months, due_on=add_months(on, months)
            )
            session.add(check)
            session.flush()
            audit.created(session, actor, "follow_up_check", check)
    session.flush()
    session.expire(process, ["follow_up_rows"])


def list_follow_ups(
    session: Session, filters: FollowUpFilters, page: PageParams
) -> tuple[list[FollowUpRow], int]:
    return repository.list_follow_ups(session, filters, page, date.today())


def get_follow_up(session: Session, check_id: int) -> FollowUpRow:
    row = repository.follow_up_row(session, check_id)
    if row is None:
        raise FollowUpNotFound(f"Follow-up check {check_id} does not exist.")
    return row


def lock_follow_up(session: Session, check_id: int, precondition: Precondition = ANY) -> FollowUpCheck:
    """The check, locked, after its ETag is checked (412 when stale, 404 when there is none)."""
    check = repository.lock_follow_up(session, check_id)
    if check is None:
        raise FollowUpNotFound(f"Follow-up check {check_id} does not exist.")
    precondition.check(check.version, f"Follow-up check {check_id}")
    return check


def _outcome_note(check: FollowUpCheck, outcome: str, note: str) -> str:
    head = f"{check.months_after}-month follow-up check: {outcome}"
    return f"{head}. {note}"[:4000] if note else head


def _follow_up_problems(
    session: Session,
    check: FollowUpCheck,
    values: dict[str, Any],
    outcome: str | None,
    checked_on: date | None,
    on: date,
    today: date,
) -> list[FieldError]:
    """What is wrong with a check's change, field by field: a day without an outcome, an owner who is not
    active staff, an outcome dated in the future, before the process became operational or before its last
    stage change."""
    errors: list[FieldError] = []
    if checked_on is not None and outcome is None:
        errors.append(FieldError(("body", "checked_on"), Said("give the outcome with the day of the check")))
    if values.get("owner_id") is not None and repository.active_staff(session, values["owner_id"]) is None:
        errors.append(
            FieldError(
                ("body", "owner_id"),
                Said(
                    "account %(account)s is not an active staff or admin account",
                    account=str(values["owner_id"]),
                ),
            )
        )
    if outcome is not None:
        history = repository.stage_history(session, check.process_id)
        if on > today:
            errors.append(FieldError(("body", "checked_on"), Said("%(day)s is in the future", day=on)))
        elif on < check.operational_on:
            errors.append(
                FieldError(
                    ("body", "checked_on"),
                    Said(
                        "%(on)s is before the process became operational on %(operational)s",
                        on=on,
                        operational=check.operational_on,
                    ),
                )
            )
        elif history and on < history[-1].changed_on:
            errors.append(
                FieldError(
                    ("body", "checked_on"),
                    Said(
                        "%(on)s is before the process's last stage change on %(last)s",
                        on=on,
                        last=history[-1].changed_on,
                    ),
                )
            )
    return errors


def update_follow_up(
    session: Session,
    actor: Actor,
    check_id: int,
    data: FollowUpUpdate,
    precondition: Precondition = ANY,
    follow_up_months: Sequence[int] | None = None,
) -> tuple[FollowUpCheck, Changes]:
    """Record a check's outcome (once: a done check is a 409), move a check still due, name its owner,
    change its note or evidence. An outcome changes the process's stage, dated by the check. The evidence
    document is the caller's to check (:mod:`portfolio.flows.follow_ups`)."""
    check = lock_follow_up(session, check_id, precondition)
    values = data.changes()
    outcome = values.pop("outcome", None)
    checked_on = values.pop("checked_on", None)
    done = check.status == FollowUpStatus.done
    if outcome is not None and done:
        raise FollowUpDone(
            f"Follow-up check {check_id} was recorded as {check.outcome} on {check.checked_on}; "
            "an outcome is recorded once."
        )
    if "due_on" in values and done:
        raise FollowUpDone(f"Follow-up check {check_id} is done: its due date is history.")
    process = get_process(session, check.process_id, for_update=True)
    today = date.today()
    on = checked_on or today
    errors = _follow_up_problems(session, check, values, outcome, checked_on, on, today)
    if errors:
        raise ValidationFailed("; ".join(e.msg for e in errors), errors=errors)
    if outcome is not None and process.stage not in LIVE_STAGES:
        raise ProcessNotLive(
            f"National process {process.id} is {process.stage}: only an operational or sustained process "
            "is checked."
        )

    changes: Changes = {}
    for name, value in values.items():
        old = getattr(check, name)
        if old != value:
            changes[name] = [old, value]
            setattr(check, name, value)
    if outcome is not None:
        for name, value in (
            ("status", FollowUpStatus.done.value),
            ("checked_on", on),
            ("outcome", FollowUpOutcome(outcome).value),
            ("recorded_by", actor.user_id),
        ):
            changes[name] = [getattr(check, name), value]
            setattr(check, name, value)
    if not changes:
        return check, changes
    check.updated_at = utcnow()
    audit.record(
        session, actor, "outcome" if outcome is not None else "update", "follow_up_check", check_id, changes
    )
    session.flush()
    if outcome is not None:
        stage = Stage(process.stage)
        new_stage = Stage.sustained if outcome == FollowUpOutcome.sustained else ONE_STAGE_BACK[stage]
        if new_stage != stage:
            move = NationalProcessUpdate(
                stage=new_stage, stage_changed_on=on, stage_note=_outcome_note(check, outcome, check.note)
            )
            update_process(session, actor, check.process_id, move, follow_up_months=follow_up_months)
    return check, changes


def release_owned(session: Session, actor: Actor, user_id: int) -> int:
    """Leave without an owner every follow-up check still due that this account owned (it may own none
    any more), so that its reminders go to all staff; audited. How many."""
    now = utcnow()
    owned = repository.owned_checks(session, user_id)
    for check in owned:
        check.owner_id = None
        check.updated_at = now
        audit.record(session, actor, "update", "follow_up_check", check.id, {"owner_id": [user_id, None]})
    session.flush()
    return len(owned)
