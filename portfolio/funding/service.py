"""The rules of extra-budgetary funding: what a pledge is worth in euros, what may be received
against it, and when it is paid. Knows nothing of HTTP; never commits.

Conversions use the rate of the calendar month in which the pledge was made (or the money arrived);
the euro value is computed once, when the amount is recorded, and then frozen, so later rate
corrections never rewrite history."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from sqlmodel import Session

from portfolio.audit import service as audit
from portfolio.db import utcnow
from portfolio.errors import Amount, Conflict, FieldError, NotFound, Said, ValidationFailed
from portfolio.facts import Facts, ProjectFact
from portfolio.funding import repository
from portfolio.funding.models import ExchangeRate, Instalment, Pledge, Receipt
from portfolio.funding.repository import PledgeFilters, PledgeRow
from portfolio.funding.schemas import (
    ExchangeRateCreate,
    InstalmentIn,
    InstalmentStatus,
    PledgeCreate,
    PledgeStatus,
    PledgeUpdate,
    ReceiptCreate,
)
from portfolio.money import EUR, RateLookup, rate_effect, rate_of, to_eur
from portfolio.preconditions import ANY, Precondition
from portfolio.security import Actor
from portfolio.states import service as states_service
from portfolio.states.models import State
from portfolio.writer import SessionWriter, Writer

Changes = dict[str, list[Any]]


class PledgeNotFound(NotFound):
    pass


class ReceiptExceedsPledge(Conflict):
    slug = "receipt-exceeds-pledge"
    title = "Receipt exceeds the pledge"


class PledgeWithdrawn(Conflict):
    slug = "pledge-withdrawn"
    title = "Pledge withdrawn"


class PledgeHasReceipts(Conflict):
    slug = "pledge-has-receipts"
    title = "Pledge has receipts"


class ProjectClosed(Conflict):
    slug = "project-closed"
    title = "Project closed"


def _on_field(kind: type[Conflict], field: str, detail: str) -> Conflict:
    """A conflict about one field of the body: its problem document names the field, and a page shows the
    message beside it."""
    return kind(detail, errors=[FieldError(("body", field), detail)])


class DuplicateRate(Conflict):
    slug = "duplicate-exchange-rate"
    title = "Exchange rate already recorded"


def recorded_rate(session: Session) -> RateLookup:
    """The exchange rates as recorded now: euros per unit by (currency, month)."""

    return partial(repository.rate_value, session)


# -- pledges ----------------------------------------------------------------------------------


def outstanding(row: PledgeRow) -> Decimal:
    if row.pledge.status == PledgeStatus.withdrawn:
        return Decimal("0.00")
    return row.pledge.amount - row.received


def fx_difference(row: PledgeRow) -> Decimal:
    """What exchange rates added to (or took from) the euros received: the receipts at their own months'
    rates minus the same amounts at the pledge's frozen rate. Zero for a euro pledge; it is why a pledge
    fully received in another currency can show more (or fewer) euros received than pledged."""
    return rate_effect(row.received, row.received_eur, row.pledge.eur_per_unit)


def list_pledges(
    session: Session, viewer: Actor, filters: PledgeFilters, limit: int, offset: int
) -> tuple[list[PledgeRow], int]:
    filters = replace(filters, donor=viewer.own_donor_filter(filters.donor))
    return repository.list_pledges(session, filters, limit, offset)


def get_pledge_row(session: Session, viewer: Actor, pledge_id: int) -> PledgeRow:
    row = repository.get_pledge_row(session, pledge_id)
    if row is None or not viewer.sees_donor(row.pledge.donor):
        raise PledgeNotFound(f"Pledge {pledge_id} does not exist.")
    return row


def _get_pledge(session: Session, pledge_id: int, precondition: Precondition = ANY) -> Pledge:
    pledge = repository.get_pledge(session, pledge_id, for_update=True)
    if pledge is None:
        raise PledgeNotFound(f"Pledge {pledge_id} does not exist.")
    precondition.check(pledge.version, f"Pledge {pledge_id}")
    return pledge


def _check_project_open(facts: Facts, project_id: int) -> None:
    project = facts.project(project_id)
    if project is None:
        raise ValidationFailed.field(
            ("body", "project_id"), Said("project %(project)s does not exist", project=str(project_id))
        )
    if project.cancelled:
        raise ProjectClosed(f"Project {project.code} is cancelled and takes no pledges.")


# -- dates in order: the request, then the pledge, then its money and its agreement -----------------


def before_request(pledged_on: date, project: ProjectFact | None) -> str | None:
    """Why a pledge of ``pledged_on`` cannot go to ``project``: made before the request (None: it can)."""
    if project is None or project.requested is None or pledged_on >= project.requested:
        return None
    return Said(
        "A pledge cannot be made before its project's request (requested on %(requested)s).",
        requested=project.requested,
    )


def before_pledge(received_on: date, pledged_on: date) -> str | None:
    """Why a receipt of ``received_on`` cannot be recorded on a pledge of ``pledged_on`` (None: it can)."""
    if received_on >= pledged_on:
        return None
    return Said(
        "A receipt cannot be dated before its pledge (pledged on %(pledged_on)s).", pledged_on=pledged_on
    )


def _pledge_date_problems(
    session: Session, facts: Facts, pledge: Pledge, values: dict[str, Any]
) -> list[FieldError]:
    """A changed pledge date (or project) against what surrounds it: the project's request before it, its
    receipts and its agreement's signature after it. Each problem is on the field that changed: the date,
    else the project."""
    assert pledge.id is not None
    pledged_on: date = values.get("pledged_on", pledge.pledged_on)
    project_id: int = values.get("project_id", pledge.project_id)
    date_moved = pledged_on != pledge.pledged_on
    problems: list[FieldError] = []
    if date_moved or project_id != pledge.project_id:
        found = before_request(pledged_on, facts.project(project_id))
        if found is not None:
            problems.append(FieldError(("body", "pledged_on" if date_moved else "project_id"), found))
    if date_moved:
        received = repository.first_received_on(session, pledge.id)
        if received is not None and received < pledged_on:
            problems.append(
                FieldError(
                    ("body", "pledged_on"),
                    Said(
                        "A pledge cannot be dated after money received against it "
                        "(received on %(received)s).",
                        received=received,
                    ),
                )
            )
        agreement = facts.agreement_of(pledge.id)
        signed = agreement.signed_on if agreement is not None else None
        if signed is not None and signed < pledged_on:
            problems.append(
                FieldError(
                    ("body", "pledged_on"),
                    Said(
                        "A pledge cannot be dated after its contribution agreement (signed on %(signed)s).",
                        signed=signed,
                    ),
                )
            )
    return problems


def count_pledges(session: Session, project_id: int) -> int:
    return repository.count_pledges_for_project(session, project_id)


def check_new_pledge(
    data: PledgeCreate,
    *,
    project: ProjectFact | None,
    cancelled: date | None,
    donor: State | None,
    historical: bool,
) -> None:
    """The rules a new pledge must meet, given the facts: its project (and when it was cancelled, if it
    was) and its donor State. ``historical`` is a pledge from the past (a spreadsheet import): a
    cancelled project takes it if it was made before the cancellation."""
    errors: list[FieldError] = []
    if project is None:
        errors.append(
            FieldError(
                ("body", "project_id"),
                Said("project %(project)s does not exist", project=str(data.project_id)),
            )
        )
    elif project.cancelled:
        if not historical:
            raise ProjectClosed(f"Project {project.code} is cancelled and takes no pledges.")
        if cancelled is not None and data.pledged_on > cancelled:
            raise ProjectClosed(
                f"Project {project.code} was cancelled on {cancelled} and takes no pledges made after it."
            )
    if data.pledged_on > date.today():
        errors.append(
            FieldError(("body", "pledged_on"), Said("%(day)s is in the future", day=data.pledged_on))
        )
    elif (early := before_request(data.pledged_on, project)) is not None:
        errors.append(FieldError(("body", "pledged_on"), early))
    errors += states_service.state_problems(
        [data.donor],
        {data.donor: donor} if donor is not None else {},
        ("body", "donor"),
        participating_only=False,
    )
    if data.status not in (PledgeStatus.pledged, PledgeStatus.committed):
        errors.append(
            FieldError(
                ("body", "status"),
                Said("a new pledge is pledged or committed; it turns paid when receipts reach its amount"),
            )
        )
    if errors:
        raise ValidationFailed("; ".join(e.msg for e in errors), errors=errors)


def write_pledge(
    writer: Writer,
    facts: Facts,
    actor: Actor,
    data: PledgeCreate,
    *,
    historical: bool = False,
    withdrawn: bool = False,
) -> dict[str, Any]:
    """Record a pledge and its audit entry, checked by :func:`check_new_pledge` against ``facts``, its
    euro value frozen at the rate of its month; its stored columns. ``withdrawn`` stores it withdrawn."""
    project = facts.project(data.project_id)
    cancelled = (
        facts.cancelled_on(data.project_id)
        if historical and project is not None and project.cancelled
        else None
    )
    donor = facts.states([data.donor]).get(data.donor)
    check_new_pledge(data, project=project, cancelled=cancelled, donor=donor, historical=historical)
    rate = rate_of(facts.rate, data.currency, data.pledged_on, ("body", "currency"))
    values = data.model_dump()
    values["eur_per_unit"] = rate
    values["amount_eur"] = to_eur(data.amount, rate)
    if withdrawn:
        values["status"] = PledgeStatus.withdrawn
    row = writer.insert(Pledge, values)
    writer.add_entry(audit.created_entry(actor, "pledge", row, row["project_id"]))
    return row


def create_pledge(
    session: Session,
    actor: Actor,
    data: PledgeCreate,
    facts: Facts,
    *,
    historical: bool = False,
    withdrawn: bool = False,
) -> Pledge:
    """:func:`write_pledge` through the session."""
    writer = SessionWriter(session)
    row = write_pledge(writer, facts, actor, data, historical=historical, withdrawn=withdrawn)
    session.flush()
    pledge: Pledge = writer.record(Pledge, row)
    return pledge


# What a contribution agreement fixes: it is signed with this donor, in this currency, for this project.
FIXED_BY_AGREEMENT = {
    "donor": "the donor cannot change: contribution agreement %(reference)s was made on this pledge; "
    "withdraw the pledge and record a new one instead",
    "currency": "the currency cannot change: contribution agreement %(reference)s was made on this pledge; "
    "withdraw the pledge and record a new one instead",
    "project_id": "the project cannot change: contribution agreement %(reference)s was made on this pledge; "
    "withdraw the pledge and record a new one instead",
}


def _check_fixed_by_agreement(pledge: Pledge, values: dict[str, Any], facts: Facts) -> None:
    """Once an agreement is recorded on a pledge, its donor, currency and project are those the agreement
    was made with: a wrong one is withdrawn and recorded again, never moved under the agreement."""
    changed = [n for n in FIXED_BY_AGREEMENT if n in values and values[n] != getattr(pledge, n)]
    if not changed:
        return
    assert pledge.id is not None
    agreement = facts.agreement_of(pledge.id)
    if agreement is None:
        return
    reference = agreement.reference
    errors = [
        FieldError(("body", name), Said(FIXED_BY_AGREEMENT[name], reference=reference)) for name in changed
    ]
    raise ValidationFailed("; ".join(f"body.{e.loc[1]}: {e.msg}" for e in errors), errors=errors)


def update_pledge(
    session: Session,
    actor: Actor,
    pledge_id: int,
    data: PledgeUpdate,
    facts: Facts,
    precondition: Precondition = ANY,
) -> tuple[Pledge, Changes]:
    pledge = _get_pledge(session, pledge_id, precondition)
    values = data.changes()
    received = repository.received_on_pledge(session, pledge_id)
    has_receipts = repository.count_receipts(session, pledge_id) > 0

    _check_fixed_by_agreement(pledge, values, facts)
    if "project_id" in values and values["project_id"] != pledge.project_id:
        _check_project_open(facts, values["project_id"])
    if "pledged_on" in values and values["pledged_on"] > date.today():
        raise ValidationFailed.field(
            ("body", "pledged_on"), Said("%(day)s is in the future", day=values["pledged_on"])
        )
    if problems := _pledge_date_problems(session, facts, pledge, values):
        raise ValidationFailed("; ".join(f"body.{e.loc[1]}: {e.msg}" for e in problems), errors=problems)
    if "donor" in values:
        states_service.require_states(session, [values["donor"]], ("body", "donor"), participating_only=False)
    if has_receipts and values.get("currency", pledge.currency) != pledge.currency:
        raise _on_field(
            PledgeHasReceipts,
            "currency",
            Said(
                "Pledge %(pledge)s has receipts in %(currency)s; its currency cannot change.",
                pledge=str(pledge_id),
                currency=pledge.currency,
            ),
        )
    amount = values.get("amount", pledge.amount)
    if amount < received:
        raise _on_field(
            ReceiptExceedsPledge,
            "amount",
            Said(
                "%(received)s has already been received; the pledge cannot be less than that.",
                received=Amount(received, pledge.currency),
            ),
        )
    new_status = values.get("status", pledge.status)
    if new_status == PledgeStatus.withdrawn and has_receipts:
        raise _on_field(
            PledgeHasReceipts,
            "status",
            Said(
                "Pledge %(pledge)s has receipts of %(received)s; reduce its amount to what was received "
                "instead of withdrawing it.",
                pledge=str(pledge_id),
                received=Amount(received, pledge.currency),
            ),
        )
    if new_status == PledgeStatus.paid and values.get("status") == PledgeStatus.paid and received < amount:
        raise ValidationFailed.field(
            ("body", "status"),
            Said(
                "a pledge is paid when receipts reach its amount; %(received)s of %(amount)s received",
                received=received,
                amount=amount,
            ),
        )

    original_status = pledge.status
    changes: Changes = {}
    for name, value in values.items():
        if getattr(pledge, name) != value:
            changes[name] = [getattr(pledge, name), value]
            setattr(pledge, name, value)
    if changes.keys() & {"amount", "currency", "pledged_on"}:
        rate = rate_of(facts.rate, pledge.currency, pledge.pledged_on, ("body", "currency"))
        for name, value in (("eur_per_unit", rate), ("amount_eur", to_eur(pledge.amount, rate))):
            if getattr(pledge, name) != value:
                changes[name] = [getattr(pledge, name), value]
                setattr(pledge, name, value)
    _settle(pledge, received)
    changes.pop("status", None)
    if pledge.status != original_status:
        changes["status"] = [original_status, pledge.status]
    if changes:
        pledge.updated_at = utcnow()
        audit.record(session, actor, "update", "pledge", pledge_id, changes, pledge.project_id)
        if "project_id" in changes:  # the project it left keeps a record of the move too
            audit.record(session, actor, "update", "pledge", pledge_id, changes, changes["project_id"][0])
        session.flush()
    return pledge, changes


def _settle(pledge: Pledge, received: Decimal) -> None:
    """Paid when the receipts reach the amount; back to committed if the amount grows past them."""
    if pledge.status == PledgeStatus.withdrawn:
        return
    if received > 0 and received >= pledge.amount:
        pledge.status = PledgeStatus.paid
    elif pledge.status == PledgeStatus.paid:
        pledge.status = PledgeStatus.committed


def delete_pledge(session: Session, actor: Actor, pledge_id: int, precondition: Precondition = ANY) -> Pledge:
    pledge = _get_pledge(session, pledge_id, precondition)
    if repository.count_receipts(session, pledge_id):
        raise PledgeHasReceipts(f"Pledge {pledge_id} has receipts and cannot be deleted.")
    audit.deleted(session, actor, "pledge", pledge, pledge.project_id)
    session.delete(pledge)
    session.flush()
    return pledge


# -- receipts ---------------------------------------------------------------------------------


def list_receipts(session: Session, viewer: Actor, pledge_id: int) -> tuple[Pledge, list[Receipt]]:
    row = get_pledge_row(session, viewer, pledge_id)
    return row.pledge, repository.list_receipts(session, pledge_id)


def add_receipt(
    session: Session, actor: Actor, pledge_id: int, data: ReceiptCreate
) -> tuple[Pledge, Receipt]:
    # The row lock (PostgreSQL) or the write lock taken at BEGIN (SQLite) serialises receipts on
    # one pledge, so concurrent receipts can never add up past it.
    pledge = _get_pledge(session, pledge_id)
    if pledge.status == PledgeStatus.withdrawn:
        raise PledgeWithdrawn(f"Pledge {pledge_id} was withdrawn and takes no receipts.")
    if data.received_on > date.today():
        raise ValidationFailed.field(
            ("body", "received_on"), Said("%(day)s is in the future", day=data.received_on)
        )
    if (early := before_pledge(data.received_on, pledge.pledged_on)) is not None:
        raise ValidationFailed.field(("body", "received_on"), early)
    received = repository.received_on_pledge(session, pledge_id)
    if received + data.amount > pledge.amount:
        raise _on_field(
            ReceiptExceedsPledge,
            "amount",
            Said(
                "A receipt of %(amount)s would bring the pledge to %(total)s, past its %(pledged)s "
                "(%(outstanding)s outstanding).",
                amount=Amount(data.amount, pledge.currency),
                total=Amount(received + data.amount, pledge.currency),
                pledged=Amount(pledge.amount, pledge.currency),
                outstanding=Amount(pledge.amount - received, pledge.currency),
            ),
        )
    rate = rate_of(recorded_rate(session), pledge.currency, data.received_on, ("body", "received_on"))
    receipt = Receipt(
        pledge_id=pledge_id,
        amount=data.amount,
        received_on=data.received_on,
        eur_per_unit=rate,
        amount_eur=to_eur(data.amount, rate),
    )
    session.add(receipt)
    status_before = pledge.status
    _settle(pledge, received + data.amount)
    pledge.updated_at = utcnow()
    session.flush()
    audit.created(session, actor, "receipt", receipt, pledge.project_id)
    if pledge.status != status_before:
        audit.record(
            session,
            actor,
            "update",
            "pledge",
            pledge_id,
            {"status": [status_before, pledge.status]},
            pledge.project_id,
        )
    return pledge, receipt


# -- exchange rates ---------------------------------------------------------------------------


def list_rates(
    session: Session,
    currency: str | None,
    month_from: str | None,
    month_to: str | None,
    limit: int,
    offset: int,
) -> tuple[list[ExchangeRate], int]:
    return repository.list_rates(session, currency, month_from, month_to, limit, offset)


def create_rate(session: Session, actor: Actor, data: ExchangeRateCreate) -> ExchangeRate:
    if data.currency == EUR:
        raise ValidationFailed.field(
            ("body", "currency"), Said("EUR is the portfolio's currency; its rate is always 1")
        )
    existing = repository.get_rate(session, data.currency, data.month)
    if existing is not None:
        raise DuplicateRate(
            f"{data.currency} already has a rate for {data.month}: {existing.eur_per_unit} EUR per unit."
        )
    rate = ExchangeRate(**data.model_dump())
    session.add(rate)
    session.flush()
    audit.created(session, actor, "exchange_rate", rate)
    return rate


def correct_rate(session: Session, actor: Actor, rate: ExchangeRate, eur_per_unit: Decimal) -> ExchangeRate:
    """Correct a month's rate. Amounts already recorded keep the euro value they were given."""
    old = rate.eur_per_unit
    rate.eur_per_unit = eur_per_unit
    audit.record(session, actor, "update", "exchange_rate", rate.id, {"eur_per_unit": [old, eur_per_unit]})
    session.flush()
    return rate


# -- reads for the staff pages ------------------------------------------------------------------


def project_funding_lines(
    session: Session, viewer: Actor, project_id: int
) -> tuple[list[PledgeRow], list[tuple[Receipt, Pledge]]]:
    """One project's pledges with their received totals, and its receipts with their pledges, in two
    statements whatever their number; a donor State's account gets its own State's lines only."""
    donor = viewer.state if viewer.is_donor else None
    return (
        repository.project_pledge_rows(session, project_id, donor),
        repository.project_receipts(session, project_id, donor),
    )


def pledges_awaiting_money(session: Session, viewer: Actor, limit: int) -> tuple[list[PledgeRow], int]:
    """Committed pledges not yet received in full (largest first) and their number; nothing for a donor,
    whose own pledges are read with :func:`list_pledges`."""
    if viewer.is_donor:
        return [], 0
    return repository.awaiting_money(session, limit)


# -- reads for the staff pages (pledge and rate forms) ------------------------------------------


def currencies_in_use(session: Session) -> list[str]:
    """The non-euro currencies of the portfolio's pledges and recorded rates, A→Z."""
    return repository.currencies_in_use(session)


def rate_table(
    session: Session, limit: int, offset: int
) -> tuple[list[str], dict[tuple[str, str], Decimal], int]:
    """One page of months with rates (newest first), their rates by (month, currency), and the number of
    months: the exchange-rates register, in two queries and a count."""
    months, total = repository.rate_months(session, limit, offset)
    rates = {(r.month, r.currency): r.eur_per_unit for r in repository.rates_in_months(session, months)}
    return months, rates, total


def month_rates(session: Session, month: str) -> dict[str, ExchangeRate]:
    """The rates recorded for one month (YYYY-MM), by currency."""
    return {r.currency: r for r in repository.rates_in_months(session, [month])}


PledgeWithReceipts = PledgeRow  # a pledge and what has been received against it, as the pages show it


def largest_other_pledge_eur(session: Session, pledge_id: int | None = None) -> Decimal | None:
    """The largest pledge in euros of every other pledge: what :func:`portfolio.money.far_above` compares
    a pledge with."""
    return repository.largest_pledge_eur(session, pledge_id)


# -- instalments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstalmentView:
    instalment: Instalment
    currency: str
    received: Decimal
    status: InstalmentStatus

    @property
    def outstanding(self) -> Decimal:
        return self.instalment.amount - self.received


def instalment_views(
    pledge: Pledge, instalments: list[Instalment], received: Decimal, today: date
) -> list[InstalmentView]:
    """Each instalment with what the receipts cover of it: they pay the earliest instalment first."""
    views = []
    left = received
    for instalment in sorted(instalments, key=lambda i: (i.due_on, i.id or 0)):
        covered = min(instalment.amount, max(left, Decimal("0.00")))
        left -= covered
        if covered >= instalment.amount:
            status = InstalmentStatus.received
        elif instalment.due_on < today:
            status = InstalmentStatus.overdue
        else:
            status = InstalmentStatus.due
        views.append(InstalmentView(instalment, pledge.currency, covered, status))
    return views


def list_instalments(session: Session, viewer: Actor, pledge_id: int) -> list[InstalmentView]:
    row = get_pledge_row(session, viewer, pledge_id)
    instalments = repository.list_instalments(session, pledge_id)
    return instalment_views(row.pledge, instalments, row.received, date.today())


def set_instalments(
    session: Session,
    actor: Actor,
    pledge_id: int,
    items: list[InstalmentIn],
    precondition: Precondition = ANY,
) -> list[Instalment]:
    """The pledge's payment schedule, replaced whole: each instalment on or after the pledge's day, together
    at most the pledge's amount. Audited as a change of the pledge."""
    pledge = _get_pledge(session, pledge_id, precondition)
    if pledge.status == PledgeStatus.withdrawn:
        raise PledgeWithdrawn(f"Pledge {pledge_id} was withdrawn; it has no payment schedule.")
    for i, item in enumerate(items):
        if item.due_on < pledge.pledged_on:
            raise ValidationFailed.field(
                ("body", "instalments", i, "due_on"),
                Said(
                    "%(day)s is before the pledge (%(pledged)s)", day=item.due_on, pledged=pledge.pledged_on
                ),
            )
    total = sum((item.amount for item in items), Decimal("0.00"))
    if total > pledge.amount:
        raise ValidationFailed.field(
            ("body", "instalments"),
            Said(
                "the instalments add up to %(total)s, more than the pledge's %(pledged)s",
                total=Amount(total, pledge.currency),
                pledged=Amount(pledge.amount, pledge.currency),
            ),
        )
    before = [_instalment_text(i) for i in repository.list_instalments(session, pledge_id)]
    rows = [Instalment(pledge_id=pledge_id, due_on=i.due_on, amount=i.amount, note=i.note) for i in items]
    repository.replace_instalments(session, pledge_id, rows)
    after = [_instalment_text(i) for i in sorted(rows, key=lambda r: r.due_on)]
    if before != after:
        pledge.updated_at = utcnow()
        audit.record(
            session, actor, "update", "pledge", pledge_id, {"instalments": [before, after]}, pledge.project_id
        )
        session.flush()
    return rows


def _instalment_text(instalment: Instalment) -> str:
    return f"{instalment.due_on.isoformat()} {instalment.amount}"


@dataclass(frozen=True)
class OverdueInstalment:
    pledge: Pledge
    view: InstalmentView


def overdue_instalments(
    session: Session, viewer: Actor, today: date | None = None
) -> list[OverdueInstalment]:
    """Every instalment past its day and not wholly received, soonest first (a donor account: its own
    State's)."""
    today = today or date.today()
    donor = viewer.own_donor_filter(None)
    found = []
    for pledge, instalments, received in repository.pledges_with_instalments_due(session, today, donor):
        for view in instalment_views(pledge, instalments, received, today):
            if view.status == InstalmentStatus.overdue:
                found.append(OverdueInstalment(pledge, view))
    return sorted(found, key=lambda o: (o.view.instalment.due_on, o.pledge.id or 0))
