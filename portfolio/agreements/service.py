"""The rules of contribution agreements and of the reporting obligations they bind the FSC to. Knows
nothing of HTTP; never commits.

A pledge has at most one agreement. A signed agreement's schedule generates its obligations: an interim
narrative report every ``interim_every_months`` months from signature (while that date falls before the
project's end date), and the final narrative report and the financial statement (and the audit
certificate when asked for) ``final_after_months`` months after the project's end date. A project without
an end date gets its final reports when it gets one. Generated obligations not yet submitted follow the
schedule, the signature and the end date when these change; submitted and accepted ones, and those staff
added by hand, are never moved. Committing the pledge, and reading the project's end date, belong to
other domains: :mod:`portfolio.flows.agreements` brings them together."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlmodel import Session

from portfolio.agreements import repository
from portfolio.agreements.models import Agreement, Obligation
from portfolio.agreements.repository import AgreementRow, ObligationFilters, ObligationRow
from portfolio.agreements.schemas import (
    AgreementCreate,
    AgreementUpdate,
    ObligationCreate,
    ObligationKind,
    ObligationState,
    ObligationStatus,
    ObligationUpdate,
    Schedule,
)
from portfolio.audit import service as audit
from portfolio.db import utcnow
from portfolio.errors import Conflict, FieldError, NotFound, Said, ValidationFailed
from portfolio.pagination import PageParams
from portfolio.preconditions import ANY, Precondition
from portfolio.security import Actor
from portfolio.users.models import User

Changes = dict[str, list[Any]]
FINAL_KINDS = (ObligationKind.final_narrative, ObligationKind.financial_statement)


class AgreementNotFound(NotFound):
    pass


class ObligationNotFound(NotFound):
    pass


class AgreementExists(Conflict):
    slug = "agreement-exists"
    title = "Pledge already has an agreement"


class PledgeNotOpen(Conflict):
    slug = "pledge-withdrawn"
    title = "Pledge withdrawn"


@dataclass(frozen=True)
class PledgeFacts:
    """What the rules need to know of the pledge an agreement commits, and of its project."""

    id: int
    project_id: int
    donor: str
    status: str
    end_date: date | None


def add_months(day: date, months: int) -> date:
    """The same day ``months`` months later, or the month's last day when it is shorter (31 Aug + 6 →
    28 or 29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule_of(agreement: Agreement) -> Schedule:
    return Schedule.model_validate(agreement.schedule or {})


def planned(schedule: Schedule, signed_on: date | None, end_date: date | None) -> list[tuple[str, date]]:
    """The reports a signed agreement's schedule asks for, as (kind, due date), by due date."""
    if signed_on is None:
        return []
    found: list[tuple[str, date]] = []
    if schedule.interim_every_months and end_date is not None:
        step = 1
        while (due := add_months(signed_on, step * schedule.interim_every_months)) < end_date:
            found.append((ObligationKind.interim_narrative.value, due))
            step += 1
    if end_date is not None:
        final = add_months(end_date, schedule.final_after_months)
        kinds = [*FINAL_KINDS, *([ObligationKind.audit_certificate] if schedule.audit_certificate else [])]
        found.extend((kind.value, final) for kind in kinds)
    return sorted(found, key=lambda item: (item[1], item[0]))


def state_of(obligation: Obligation, today: date | None = None) -> ObligationState:
    """The status as a person reads it: a due obligation whose date has passed is overdue."""
    if obligation.status == ObligationStatus.due and obligation.due_on < (today or date.today()):
        return ObligationState.overdue
    return ObligationState(obligation.status)


def _check_dates(signed_on: date | None, valid_until: date | None, pledged_on: date | None) -> None:
    errors = []
    if signed_on is not None and signed_on > date.today():
        errors.append(FieldError(("body", "signed_on"), Said("%(day)s is in the future", day=signed_on)))
    elif signed_on is not None and pledged_on is not None and signed_on < pledged_on:
        errors.append(
            FieldError(
                ("body", "signed_on"),
                Said(
                    "An agreement cannot be signed before its pledge (pledged on %(pledged_on)s).",
                    pledged_on=pledged_on,
                ),
            )
        )
    if signed_on is not None and valid_until is not None and valid_until < signed_on:
        errors.append(
            FieldError(
                ("body", "valid_until"),
                Said(
                    "%(valid_until)s is before the signature (%(signed_on)s)",
                    valid_until=valid_until,
                    signed_on=signed_on,
                ),
            )
        )
    if errors:
        raise ValidationFailed("; ".join(e.msg for e in errors), errors=errors)


# -- agreements ---------------------------------------------------------------------------------------


def get_agreement(session: Session, viewer: Actor, pledge_id: int) -> AgreementRow:
    """A pledge's agreement (a donor: of its own State's pledges only; any other is a 404)."""
    row = repository.agreement_of_pledge(session, pledge_id)
    if row is None or not viewer.sees_donor(row.donor):
        raise AgreementNotFound(f"Pledge {pledge_id} has no agreement.")
    return row


def has_agreement(session: Session, pledge_id: int) -> bool:
    return repository.agreement_of_pledge(session, pledge_id) is not None


def create_agreement(session: Session, actor: Actor, pledge: PledgeFacts, data: AgreementCreate) -> Agreement:
    """Record a pledge's agreement, audited, and generate its obligations when it is signed."""
    if pledge.status == "withdrawn":
        raise PledgeNotOpen(f"Pledge {pledge.id} is withdrawn; it takes no agreement.")
    if repository.agreement_of_pledge(session, pledge.id) is not None:
        raise AgreementExists(f"Pledge {pledge.id} already has an agreement; change it instead.")
    _check_dates(data.signed_on, data.valid_until, repository.pledged_on(session, pledge.id))
    values = data.model_dump(exclude={"schedule"})
    schedule = data.schedule or Schedule()
    agreement = Agreement(pledge_id=pledge.id, schedule=schedule.model_dump(), **values)
    session.add(agreement)
    session.flush()
    audit.created(session, actor, "agreement", agreement, pledge.project_id)
    sync_obligations(session, actor, agreement, pledge.project_id, pledge.end_date)
    return agreement


def update_agreement(
    session: Session,
    actor: Actor,
    pledge: PledgeFacts,
    data: AgreementUpdate,
    precondition: Precondition = ANY,
) -> tuple[Agreement, Changes]:
    """Change an agreement; a new signature or schedule regenerates the obligations not yet submitted."""
    found = repository.agreement_of_pledge(session, pledge.id)
    agreement = None if found is None else repository.lock_agreement(session, found.agreement.id or 0)
    if agreement is None:
        raise AgreementNotFound(f"Pledge {pledge.id} has no agreement.")
    precondition.check(agreement.version, f"The agreement of pledge {pledge.id}")
    values = data.changes()
    if "schedule" in values:
        values["schedule"] = Schedule.model_validate(values["schedule"]).model_dump()
    signed_on = values.get("signed_on", agreement.signed_on)
    # A new signature is checked against the pledge's date; one already recorded is left as it is.
    pledged_on = repository.pledged_on(session, pledge.id) if signed_on != agreement.signed_on else None
    _check_dates(signed_on, values.get("valid_until", agreement.valid_until), pledged_on)
    changes: Changes = {}
    for name, value in values.items():
        old = getattr(agreement, name)
        if old != value:
            changes[name] = [old, value]
            setattr(agreement, name, value)
    if changes:
        agreement.updated_at = utcnow()
        audit.record(session, actor, "update", "agreement", agreement.id, changes, pledge.project_id)
        session.flush()
        if changes.keys() & {"signed_on", "schedule"}:
            sync_obligations(session, actor, agreement, pledge.project_id, pledge.end_date)
    return agreement, changes


def sync_obligations(
    session: Session, actor: Actor, agreement: Agreement, project_id: int, end_date: date | None
) -> list[Obligation]:
    """Bring the generated obligations in line with the schedule, the signature and the project's end
    date: for each kind, submitted and accepted ones count as the first reports of the schedule and stay
    as they are; the rest move to the remaining due dates, are added where missing, and go where the
    schedule no longer asks for them. Every change is audited; the obligations changed are returned."""
    assert agreement.id is not None
    wanted: dict[str, list[date]] = {}
    for kind, due in planned(schedule_of(agreement), agreement.signed_on, end_date):
        wanted.setdefault(kind, []).append(due)
    generated = [o for o in repository.agreement_obligations(session, agreement.id) if o.generated]
    touched: list[Obligation] = []
    for kind in sorted(set(wanted) | {o.kind for o in generated}):
        mine = [o for o in generated if o.kind == kind]
        done = sum(1 for o in mine if o.status != ObligationStatus.due)
        slots = wanted.get(kind, [])[done:]
        open_ones = [o for o in mine if o.status == ObligationStatus.due]
        for obligation, due in zip(open_ones, slots, strict=False):
            if obligation.due_on != due:
                changes: Changes = {"due_on": [obligation.due_on, due]}
                obligation.due_on = due
                obligation.updated_at = utcnow()
                audit.record(session, actor, "update", "obligation", obligation.id, changes, project_id)
                touched.append(obligation)
        for obligation in open_ones[len(slots) :]:
            audit.deleted(session, actor, "obligation", obligation, project_id)
            session.delete(obligation)
        for due in slots[len(open_ones) :]:
            obligation = Obligation(agreement_id=agreement.id, kind=kind, due_on=due, generated=True)
            session.add(obligation)
            session.flush()
            audit.created(session, actor, "obligation", obligation, project_id)
            touched.append(obligation)
    session.flush()
    return touched


def obligations_of_agreement(session: Session, agreement_id: int) -> list[Obligation]:
    """An agreement's obligations, by due date."""
    return repository.agreement_obligations(session, agreement_id)


def project_agreements(session: Session, project_id: int) -> list[Agreement]:
    return repository.project_agreements(session, project_id)


# -- obligations --------------------------------------------------------------------------------------


def list_obligations(
    session: Session, viewer: Actor, filters: ObligationFilters, page: PageParams
) -> tuple[list[ObligationRow], int]:
    filters = replace(filters, donor=viewer.own_donor_filter(filters.donor))
    return repository.list_obligations(session, filters, page, date.today())


def get_obligation(session: Session, viewer: Actor, obligation_id: int) -> ObligationRow:
    row = repository.obligation_row(session, obligation_id)
    if row is None or not viewer.sees_donor(row.donor):
        raise ObligationNotFound(f"Obligation {obligation_id} does not exist.")
    return row


def agreement_obligations(session: Session, viewer: Actor, pledge_id: int) -> list[ObligationRow]:
    """The obligations of a pledge's agreement, by due date (a donor: of its own State's pledges only)."""
    row = get_agreement(session, viewer, pledge_id)
    assert row.agreement.id is not None
    return [
        ObligationRow(o, row.agreement.pledge_id, row.project_id, row.donor)
        for o in repository.agreement_obligations(session, row.agreement.id)
    ]


def possible_owners(session: Session) -> list[User]:
    """The accounts that may be named responsible for an obligation: active staff and admins, by name."""
    return repository.staff_accounts(session)


def _check_owner(session: Session, owner_id: int | None) -> None:
    if owner_id is not None and repository.staff_account(session, owner_id) is None:
        raise ValidationFailed.field(
            ("body", "owner_id"),
            Said("account %(account)s is not an active staff or admin account", account=str(owner_id)),
        )


def create_obligation(session: Session, actor: Actor, data: ObligationCreate) -> Obligation:
    """A report staff add by hand to an agreement (never moved by the schedule), audited."""
    found = repository.agreement_row(session, data.agreement_id)
    if found is None:
        raise ValidationFailed.field(
            ("body", "agreement_id"),
            Said("agreement %(agreement)s does not exist", agreement=str(data.agreement_id)),
        )
    _check_owner(session, data.owner_id)
    obligation = Obligation(**data.model_dump(), generated=False)
    session.add(obligation)
    session.flush()
    audit.created(session, actor, "obligation", obligation, found.project_id)
    return obligation


def _settle_status(obligation: Obligation, values: dict[str, Any]) -> dict[str, Any]:
    """The new values with the status and its dates made consistent, or a 422 naming the field."""
    today = date.today()
    merged = {
        name: values.get(name, getattr(obligation, name))
        for name in ("status", "submitted_on", "accepted_on")
    }
    if "status" not in values and values.get("submitted_on") and obligation.status == ObligationStatus.due:
        merged["status"] = ObligationStatus.submitted  # a submission date given is a submission
    status = merged["status"]
    errors: list[FieldError] = []
    for name in ("submitted_on", "accepted_on"):
        if values.get(name) is not None and values[name] > today:
            errors.append(FieldError(("body", name), Said("%(day)s is in the future", day=values[name])))
    if status == ObligationStatus.due:
        for name in ("submitted_on", "accepted_on"):
            if values.get(name) is not None:
                errors.append(FieldError(("body", name), Said("a due obligation has not been submitted")))
            merged[name] = None
    else:
        if status == ObligationStatus.submitted:
            if values.get("accepted_on") is not None:
                errors.append(
                    FieldError(("body", "accepted_on"), Said("set status accepted to record an acceptance"))
                )
            merged["accepted_on"] = None
            if merged["submitted_on"] is None:
                if "submitted_on" in values:
                    errors.append(
                        FieldError(("body", "submitted_on"), Said("a submitted obligation has its date"))
                    )
                merged["submitted_on"] = today
        if status == ObligationStatus.accepted:
            if merged["submitted_on"] is None:
                errors.append(
                    FieldError(
                        ("body", "submitted_on"),
                        Said("an obligation is accepted once submitted: give its date"),
                    )
                )
            if merged["accepted_on"] is None:
                if "accepted_on" in values:
                    errors.append(
                        FieldError(("body", "accepted_on"), Said("an accepted obligation has its date"))
                    )
                merged["accepted_on"] = today
            if (
                merged["submitted_on"] is not None
                and merged["accepted_on"] is not None
                and merged["accepted_on"] < merged["submitted_on"]
            ):
                errors.append(
                    FieldError(
                        ("body", "accepted_on"),
                        Said(
                            "%(accepted)s is before the submission (%(submitted)s)",
                            accepted=merged["accepted_on"],
                            submitted=merged["submitted_on"],
                        ),
                    )
                )
    if errors:
        raise ValidationFailed("; ".join(e.msg for e in errors), errors=errors)
    return values | merged


def update_obligation(
    session: Session,
    actor: Actor,
    obligation_id: int,
    data: ObligationUpdate,
    precondition: Precondition = ANY,
) -> tuple[Obligation, Changes]:
    """Change an obligation by hand: record its submission or acceptance, move it, name its owner."""
    found = repository.obligation_row(session, obligation_id)
    obligation = None if found is None else repository.lock_obligation(session, obligation_id)
    if found is None or obligation is None:
        raise ObligationNotFound(f"Obligation {obligation_id} does not exist.")
    precondition.check(obligation.version, f"Obligation {obligation_id}")
    values = data.changes()
    if "owner_id" in values:
        _check_owner(session, values["owner_id"])
    values = _settle_status(obligation, values)
    changes: Changes = {}
    for name, value in values.items():
        old = getattr(obligation, name)
        if old != value:
            changes[name] = [old, value]
            setattr(obligation, name, value)
    if "kind" in changes and obligation.generated:  # another report than the schedule's: staff's own now
        obligation.generated = False
        changes["generated"] = [True, False]
    if changes:
        obligation.updated_at = utcnow()
        audit.record(session, actor, "update", "obligation", obligation_id, changes, found.project_id)
        session.flush()
    return obligation, changes


def release_owned(session: Session, actor: Actor, user_id: int) -> int:
    """Leave without an owner every obligation still due that this account owned (it may own none any
    more: deactivated, or no longer staff or admin), so that its reminders go to all staff; audited. How
    many."""
    now = utcnow()
    owned = repository.owned_obligations(session, user_id)
    for obligation, project_id in owned:
        obligation.owner_id = None
        obligation.updated_at = now
        changes: Changes = {"owner_id": [user_id, None]}
        audit.record(session, actor, "update", "obligation", obligation.id, changes, project_id)
    session.flush()
    return len(owned)


def overdue_obligations(session: Session, viewer: Actor, limit: int) -> tuple[list[ObligationRow], int]:
    """The obligations still due whose date has passed, longest overdue first, as ``viewer`` may see
    them (a donor: its own State's), and how many there are."""
    return list_obligations(session, viewer, ObligationFilters(status="overdue"), PageParams(limit, 0))
