"""The rules of money out: a project's budget lines and their revisions, what was spent, which pledge's
money paid for it, and the balances that leave. Knows nothing of HTTP; never commits.

**Which money paid.** An expenditure is shared among the project's pledges in proportion to what each
brought in (its receipts in euros), none beyond what it has left; what one cannot take the others share
in the same proportions, and what none can take is *uncharged* (spent before the money arrived). The
OSCE pools a project's extra-budgetary contributions, so every donor bears the spending in the share it
funds; first in, first out would empty the first donor's contribution before the next is touched and
show that donor a balance of nothing while its money was pooled like the others'. Earmarked money is
charged by hand (``charges``), with the same ceiling.

**Under concurrency.** Every write locks the project's row first (``SELECT … FOR UPDATE`` on PostgreSQL;
SQLite's writers are serialised when their transaction begins), then reads what each pledge has left: two
expenditures on one project never both spend the same money. Receipts only add to what is left."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from sqlmodel import Session

from portfolio.audit import service as audit
from portfolio.db import utcnow
from portfolio.errors import Amount, Conflict, FieldError, Loc, NotFound, Said, ValidationFailed
from portfolio.facts import Facts
from portfolio.money import EUR, rate_of, to_eur
from portfolio.pagination import PageParams
from portfolio.preconditions import ANY, Precondition
from portfolio.security import NO_STATE, Actor
from portfolio.spending import repository
from portfolio.spending.models import BudgetLine, BudgetRevision, Charge, Expenditure
from portfolio.spending.repository import (
    ChargeRow,
    ExpenditureFilters,
    PledgeMoney,
    ProjectMoney,
)
from portfolio.spending.schemas import (
    BudgetLineCreate,
    BudgetLineRevision,
    ChargeIn,
    Charging,
    ExpenditureCreate,
    ExpenditureUpdate,
    ReversalCreate,
)
from portfolio.writer import SessionWriter, Writer

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# The burn rate is the spending of the last six months, a month at a time.
BURN_MONTHS = 6


class ProjectNotFound(NotFound):
    pass


class BudgetLineNotFound(NotFound):
    pass


class ExpenditureNotFound(NotFound):
    pass


class AlreadyReversed(Conflict):
    slug = "expenditure-reversed"
    title = "Expenditure already reversed"


class DuplicateReference(Conflict):
    slug = "duplicate-expenditure-reference"
    title = "Reference already recorded"


class LinesExceedBudget(Conflict):
    slug = "budget-lines-exceed-budget"
    title = "The budget lines hold more than the budget"


def _on_field(kind: type[Conflict], loc: Loc, detail: str) -> Conflict:
    return kind(detail, errors=[FieldError(loc, detail)])


# -- visibility -----------------------------------------------------------------------------------


def _project(
    session: Session, project_id: int, *, for_update: bool = False, loc: Loc | None = None
) -> ProjectMoney:
    project = repository.project_money(session, project_id, for_update=for_update)
    if project is None:
        if loc is not None:
            raise ValidationFailed.field(
                loc, Said("project %(project)s does not exist", project=str(project_id))
            )
        raise ProjectNotFound(f"Project {project_id} does not exist.")
    return project


def _sees_spending(session: Session, viewer: Actor, project_id: int) -> bool:
    """A donor's account sees the spending of the projects its State funds (a pledge, withdrawn or not)."""
    return not viewer.is_donor or repository.project_funded_by(session, project_id, viewer.state or NO_STATE)


# -- budget lines ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineView:
    line: BudgetLine | None  # None: the unallocated remainder
    amount_eur: Decimal
    spent_eur: Decimal

    @property
    def remaining_eur(self) -> Decimal:
        return self.amount_eur - self.spent_eur


@dataclass(frozen=True)
class BudgetView:
    project_id: int
    budget_eur: Decimal | None
    allocated_eur: Decimal
    lines: list[LineView]

    @property
    def unallocated_eur(self) -> Decimal | None:
        return None if self.budget_eur is None else self.budget_eur - self.allocated_eur


def budget(session: Session, project_id: int) -> BudgetView:
    """The project's budget by line, each with what was spent on it, and the unallocated remainder last
    (with what was spent on no line)."""
    project = _project(session, project_id)
    return _budget_of(session, project, repository.spent_by_line(session, project_id))


def _budget_of(session: Session, project: ProjectMoney, spent: dict[int | None, Decimal]) -> BudgetView:
    """The project's lines, with what ``spent`` (line id → euros; None: on no line) says of each."""
    lines = repository.list_lines(session, project.id)
    allocated = sum((line.amount_eur for line in lines), ZERO)
    views = [LineView(line, line.amount_eur, spent.get(line.id, ZERO)) for line in lines]
    remainder = (project.budget_eur or ZERO) - allocated
    if project.budget_eur is not None or spent.get(None):
        views.append(LineView(None, remainder, spent.get(None, ZERO)))
    return BudgetView(project.id, project.budget_eur, allocated, views)


def _unallocated(session: Session, project: ProjectMoney) -> Decimal:
    return (project.budget_eur or ZERO) - repository.allocated(session, project.id)


def _check_year(project: ProjectMoney, year: int | None) -> None:
    if year is None or project.start_date is None or project.end_date is None:
        return
    if not project.start_date.year <= year <= project.end_date.year:
        raise ValidationFailed.field(
            ("body", "year"),
            Said(
                "%(year)s is outside the project's years, %(first)s to %(last)s",
                year=str(year),
                first=str(project.start_date.year),
                last=str(project.end_date.year),
            ),
        )


def _check_taken_from_unallocated(session: Session, project: ProjectMoney, more: Decimal) -> None:
    """``more`` euros for a line from the unallocated remainder: refused when it does not hold them."""
    if more <= 0:
        return
    left = _unallocated(session, project)
    if more > left:
        raise ValidationFailed.field(
            ("body", "amount_eur"),
            Said(
                "the unallocated budget holds %(left)s, not the %(more)s this takes; raise the project's "
                "budget with it (from_unallocated false) or take it from another line",
                left=Amount(max(left, ZERO), EUR),
                more=Amount(more, EUR),
            ),
        )


def add_line(
    session: Session, actor: Actor, project_id: int, data: BudgetLineCreate
) -> tuple[BudgetLine, Decimal]:
    """A new line and its first revision; what the project's budget must move by (0 when the unallocated
    remainder paid for it)."""
    project = _project(session, project_id, for_update=True)
    _check_year(project, data.year)
    if data.from_unallocated:
        _check_taken_from_unallocated(session, project, data.amount_eur)
    line = BudgetLine(
        project_id=project_id,
        category=data.category,
        label=data.label,
        year=data.year,
        original_eur=data.amount_eur,
        amount_eur=data.amount_eur,
    )
    session.add(line)
    session.flush()
    assert line.id is not None
    session.add(
        BudgetRevision(
            line_id=line.id,
            project_id=project_id,
            revised_on=data.revised_on or date.today(),
            before_eur=ZERO,
            after_eur=data.amount_eur,
            from_unallocated=data.from_unallocated,
            reason=data.reason,
            user_id=actor.user_id,
        )
    )
    audit.created(session, actor, "budget_line", line, project_id, reason=data.reason)
    session.flush()
    return line, ZERO if data.from_unallocated else data.amount_eur


def get_line(session: Session, line_id: int, precondition: Precondition = ANY) -> BudgetLine:
    line = repository.get_line(session, line_id)
    if line is None:
        raise BudgetLineNotFound(f"Budget line {line_id} does not exist.")
    precondition.check(line.version, f"Budget line {line_id}")
    return line


def revise_line(
    session: Session, actor: Actor, line_id: int, data: BudgetLineRevision, precondition: Precondition = ANY
) -> tuple[BudgetLine, Decimal]:
    """A revision of the line's amount (dated, with its reason) or a new label; what the project's budget
    must move by."""
    values = data.changes()
    found = get_line(session, line_id)
    project = _project(session, found.project_id, for_update=True)
    line = get_line(session, line_id, precondition)
    session.refresh(line)
    moved = ZERO
    changes: dict[str, list[Any]] = {}
    if "amount_eur" in values and values["amount_eur"] != line.amount_eur:
        reason = values.get("reason")
        if not reason:
            raise ValidationFailed.field(("body", "reason"), Said("say why the amount changes"))
        from_unallocated = values.get("from_unallocated", True)
        delta = values["amount_eur"] - line.amount_eur
        if from_unallocated:
            _check_taken_from_unallocated(session, project, delta)
        else:
            moved = delta
        assert line.id is not None
        session.add(
            BudgetRevision(
                line_id=line.id,
                project_id=project.id,
                revised_on=data.revised_on or date.today(),
                before_eur=line.amount_eur,
                after_eur=values["amount_eur"],
                from_unallocated=from_unallocated,
                reason=reason,
                user_id=actor.user_id,
            )
        )
        changes["amount_eur"] = [line.amount_eur, values["amount_eur"]]
        line.amount_eur = values["amount_eur"]
    if "label" in values and values["label"] != line.label:
        changes["label"] = [line.label, values["label"]]
        line.label = values["label"]
    if changes:
        line.updated_at = utcnow()
        audit.record(
            session,
            actor,
            "update",
            "budget_line",
            line_id,
            changes | {"reason": [None, values.get("reason")]},
            project.id,
        )
        session.flush()
    return line, moved


def revisions(session: Session, line_id: int) -> list[BudgetRevision]:
    get_line(session, line_id)
    return repository.list_revisions(session, line_id)


def check_lines_fit(session: Session, project_id: int, budget_eur: Decimal | None) -> None:
    """A project's budget set to ``budget_eur`` must still hold its lines (its unallocated remainder is
    never negative): 409 on ``budget_eur`` otherwise."""
    lines = repository.allocated(session, project_id)
    if lines and (budget_eur is None or budget_eur < lines):
        detail = Said(
            "the budget lines hold %(lines)s; a budget below them would leave less than nothing unallocated: "
            "revise the lines first",
            lines=Amount(lines, EUR),
        )
        raise _on_field(LinesExceedBudget, ("body", "budget_eur"), detail)


# -- which money paid -----------------------------------------------------------------------------


def apportion(total: Decimal, weights: dict[int, Decimal]) -> dict[int, Decimal]:
    """``total`` split in proportion to ``weights``, to the cent, adding up exactly (largest remainder;
    a tie goes to the lower key)."""
    cents = int(total / CENT)
    whole = sum(weights.values())
    if cents <= 0 or whole <= 0:
        return dict.fromkeys(weights, ZERO)
    exact = {key: Decimal(cents) * weight / whole for key, weight in weights.items()}
    floors = {key: int(value.to_integral_value(ROUND_FLOOR)) for key, value in exact.items()}
    left = cents - sum(floors.values())
    for key in sorted(exact, key=lambda k: (-(exact[k] - floors[k]), k))[:left]:
        floors[key] += 1
    return {key: Decimal(count) * CENT for key, count in floors.items()}


def share(amount_eur: Decimal, pledges: list[PledgeMoney]) -> dict[int, Decimal]:
    """What each pledge pays of ``amount_eur``: in proportion to what it brought in, none beyond its
    balance; what one cannot take the others share in the same proportions (water-filling)."""
    room = {p.pledge_id: p.balance_eur for p in pledges if p.balance_eur > 0}
    weight = {p.pledge_id: p.received_eur for p in pledges if p.pledge_id in room}
    paid: dict[int, Decimal] = {}
    left = min(amount_eur, sum(room.values(), ZERO))
    while left > 0 and room:
        shares = apportion(left, {pid: weight[pid] for pid in room})
        full = [pid for pid, part in shares.items() if part >= room[pid]]
        if not full:
            paid.update({pid: paid.get(pid, ZERO) + part for pid, part in shares.items() if part})
            break
        for pid in full:
            paid[pid] = paid.get(pid, ZERO) + room[pid]
            left -= room.pop(pid)
    return {pid: part for pid, part in paid.items() if part}


def _manual(charges: list[ChargeIn], amount_eur: Decimal, pledges: list[PledgeMoney]) -> dict[int, Decimal]:
    balances = {p.pledge_id: p for p in pledges}
    result: dict[int, Decimal] = {}
    for i, charge in enumerate(charges):
        loc: Loc = ("body", "charges", i, "pledge_id")
        if charge.pledge_id in result:
            raise ValidationFailed.field(
                loc, Said("pledge %(pledge)s is named twice", pledge=str(charge.pledge_id))
            )
        pledge = balances.get(charge.pledge_id)
        if pledge is None:
            raise ValidationFailed.field(
                loc, Said("pledge %(pledge)s brought no money to this project", pledge=str(charge.pledge_id))
            )
        if charge.amount_eur > pledge.balance_eur:
            raise ValidationFailed.field(
                ("body", "charges", i, "amount_eur"),
                Said(
                    "pledge %(pledge)s has %(left)s left, not %(amount)s",
                    pledge=str(charge.pledge_id),
                    left=Amount(max(pledge.balance_eur, ZERO), EUR),
                    amount=Amount(charge.amount_eur, EUR),
                ),
            )
        if charge.amount_eur:
            result[charge.pledge_id] = charge.amount_eur
    if sum(result.values(), ZERO) > amount_eur:
        raise ValidationFailed.field(
            ("body", "charges"),
            Said(
                "the charges add up to %(charged)s, more than the %(amount)s spent",
                charged=Amount(sum(result.values(), ZERO), EUR),
                amount=Amount(amount_eur, EUR),
            ),
        )
    return result


def _charge(session: Session, expenditure: Expenditure, parts: dict[int, Decimal]) -> None:
    assert expenditure.id is not None
    for pledge_id, amount in sorted(parts.items()):
        session.add(Charge(expenditure_id=expenditure.id, pledge_id=pledge_id, amount_eur=amount))


# -- expenditures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpenditureView:
    expenditure: Expenditure
    charges: list[ChargeRow]  # as the viewer may see them
    uncharged_eur: Decimal
    reversed_by_id: int | None


def _views(session: Session, viewer: Actor, rows: list[Expenditure]) -> list[ExpenditureView]:
    ids = [e.id for e in rows if e.id is not None]
    charges = repository.charges_of(session, ids)
    reversals = repository.reversed_by(session, ids)
    views = []
    for e in rows:
        assert e.id is not None
        all_charges = charges.get(e.id, [])
        uncharged = e.amount_eur - sum((c.amount_eur for c in all_charges), ZERO)
        seen = [c for c in all_charges if viewer.sees_donor(c.donor)]
        views.append(ExpenditureView(e, seen, uncharged, reversals.get(e.id)))
    return views


def list_expenditures(
    session: Session, viewer: Actor, filters: ExpenditureFilters, page: PageParams
) -> tuple[list[ExpenditureView], int]:
    if viewer.is_donor:
        filters = ExpenditureFilters(
            filters.project_id,
            filters.line_id,
            filters.spent_from,
            filters.spent_to,
            viewer.state or NO_STATE,
        )
    rows, total = repository.list_expenditures(session, filters, page)
    return _views(session, viewer, rows), total


def count_expenditures(session: Session, project_id: int) -> int:
    return repository.count_expenditures(session, project_id)


def _get(session: Session, expenditure_id: int, precondition: Precondition = ANY) -> Expenditure:
    expenditure = repository.get_expenditure(session, expenditure_id)
    if expenditure is None:
        raise ExpenditureNotFound(f"Expenditure {expenditure_id} does not exist.")
    precondition.check(expenditure.version, f"Expenditure {expenditure_id}")
    return expenditure


def get_expenditure(session: Session, viewer: Actor, expenditure_id: int) -> ExpenditureView:
    expenditure = _get(session, expenditure_id)
    if not _sees_spending(session, viewer, expenditure.project_id):
        raise ExpenditureNotFound(f"Expenditure {expenditure_id} does not exist.")
    return _views(session, viewer, [expenditure])[0]


def _check_line(session: Session, project_id: int, line_id: int | None) -> None:
    if line_id is None:
        return
    line = repository.get_line(session, line_id)
    if line is None or line.project_id != project_id:
        raise ValidationFailed.field(
            ("body", "line_id"), Said("budget line %(line)s is not a line of this project", line=str(line_id))
        )


def _check_reference(session: Session, reference: str | None, own_id: int | None = None) -> None:
    if reference is None:
        return
    owner = repository.reference_owner(session, reference)
    if owner is not None and owner != own_id:
        detail = Said(
            "the reference %(reference)s is already recorded (expenditure %(owner)s)",
            reference=reference,
            owner=str(owner),
        )
        raise _on_field(DuplicateReference, ("body", "reference"), detail)


def _check_day(day: date) -> None:
    if day > date.today():
        raise ValidationFailed.field(("body", "spent_on"), Said("%(day)s is in the future", day=day))


def record_expenditure(session: Session, actor: Actor, data: ExpenditureCreate, facts: Facts) -> Expenditure:
    """One expenditure, by the rules and records of :func:`write_expenditure` (the import's too): its
    project locked first, then what it needs read for it alone."""
    lines = [data.line_id] if data.line_id is not None else []
    references = [data.reference] if data.reference is not None else []
    ledger = load_ledger(session, [data.project_id], lines, references, lock=True)
    writer = SessionWriter(session)
    expenditure: Expenditure = writer.record(
        Expenditure, write_expenditure(writer, facts, actor, data, ledger)
    )
    return expenditure


def _audit_parts(parts: dict[int, Decimal]) -> dict[str, str]:
    return {str(pledge_id): str(amount) for pledge_id, amount in sorted(parts.items())}


def _check_not_reversed(session: Session, expenditure: Expenditure) -> None:
    assert expenditure.id is not None
    if expenditure.reverses_id is not None:
        raise AlreadyReversed(f"Expenditure {expenditure.id} is a reversal; it stays as it was recorded.")
    reversal = repository.reversed_by(session, [expenditure.id]).get(expenditure.id)
    if reversal is not None:
        raise AlreadyReversed(f"Expenditure {expenditure.id} was reversed by expenditure {reversal}.")


def update_expenditure(
    session: Session,
    actor: Actor,
    expenditure_id: int,
    data: ExpenditureUpdate,
    facts: Facts,
    precondition: Precondition = ANY,
) -> Expenditure:
    """A correction. A new amount, currency, day or charges shares it among the pledges again."""
    found = _get(session, expenditure_id)
    project = _project(session, found.project_id, for_update=True)
    expenditure = _get(session, expenditure_id, precondition)
    session.refresh(expenditure)
    _check_not_reversed(session, expenditure)
    values = data.changes()
    if "spent_on" in values:
        _check_day(values["spent_on"])
    if "line_id" in values:
        _check_line(session, project.id, values["line_id"])
    if "reference" in values:
        _check_reference(session, values["reference"], expenditure_id)
    new: dict[str, Any] = {
        name: values[name]
        for name in ("line_id", "spent_on", "amount", "currency", "description", "reference")
        if name in values and values[name] != getattr(expenditure, name)
    }
    changes: dict[str, list[Any]] = {name: [getattr(expenditure, name), value] for name, value in new.items()}
    parts: dict[int, Decimal] | None = None
    if {"spent_on", "amount", "currency"} & new.keys() or "charges" in values:
        currency = new.get("currency", expenditure.currency)
        rate = rate_of(facts.rate, currency, new.get("spent_on", expenditure.spent_on), ("body", "spent_on"))
        amount_eur = to_eur(new.get("amount", expenditure.amount), rate)
        before = repository.charges_of(session, [expenditure_id]).get(expenditure_id, [])
        repository.delete_charges(session, expenditure_id)  # what it had taken is back on its pledges
        pledges = repository.pledge_money(session, project.id)
        charges = values.get("charges")
        if "charges" not in values and expenditure.charging == Charging.manual:
            charges = [ChargeIn(pledge_id=c.pledge_id, amount_eur=c.amount_eur) for c in before]
        if charges is None:
            parts, new["charging"] = share(amount_eur, pledges), Charging.proportional
        else:
            parts, new["charging"] = _manual(charges, amount_eur, pledges), Charging.manual
        if amount_eur != expenditure.amount_eur:
            changes["amount_eur"] = [expenditure.amount_eur, amount_eur]
        new |= {"eur_per_unit": rate, "amount_eur": amount_eur}
        was = {str(c.pledge_id): str(c.amount_eur) for c in before}
        if was != _audit_parts(parts):
            changes["charges"] = [was, _audit_parts(parts)]
    for name, value in new.items():  # one change of the record: its version goes up by one
        setattr(expenditure, name, value)
    if parts is not None:
        _charge(session, expenditure, parts)
    if changes:
        expenditure.updated_at = utcnow()
        audit.record(session, actor, "update", "expenditure", expenditure_id, changes, project.id)
        session.flush()
    return expenditure


def reverse_expenditure(
    session: Session,
    actor: Actor,
    expenditure_id: int,
    data: ReversalCreate,
    precondition: Precondition = ANY,
) -> Expenditure:
    """A negative entry cancelling an expenditure, with the same line and the same shares, negated."""
    found = _get(session, expenditure_id)
    project = _project(session, found.project_id, for_update=True)
    original = _get(session, expenditure_id, precondition)
    _check_not_reversed(session, original)
    day = data.reversed_on or date.today()
    if day > date.today() or day < original.spent_on:
        raise ValidationFailed.field(
            ("body", "reversed_on"),
            Said("a reversal is dated between the expenditure (%(day)s) and today", day=original.spent_on),
        )
    reversal = Expenditure(
        project_id=project.id,
        line_id=original.line_id,
        spent_on=day,
        amount=-original.amount,
        currency=original.currency,
        eur_per_unit=original.eur_per_unit,
        amount_eur=-original.amount_eur,
        description=data.reason,
        reverses_id=original.id,
        charging=original.charging,
    )
    session.add(reversal)
    session.flush()
    parts = {
        c.pledge_id: -c.amount_eur
        for c in repository.charges_of(session, [expenditure_id]).get(expenditure_id, [])
    }
    _charge(session, reversal, parts)
    audit.created(session, actor, "expenditure", reversal, project.id, charges=_audit_parts(parts))
    session.flush()
    return reversal


# -- balances -------------------------------------------------------------------------------------


def _ratio(part: Decimal, whole: Decimal | None) -> Decimal | None:
    if not whole:
        return None
    return (part / whole).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class SpendingView:
    project_id: int
    budget_eur: Decimal | None
    received_eur: Decimal
    spent_eur: Decimal
    uncharged_eur: Decimal
    burn_rate_eur: Decimal
    end_date: date | None
    pledges: list[PledgeMoney]
    by_year: dict[int, Decimal]

    @property
    def balance_eur(self) -> Decimal:
        return self.received_eur - self.spent_eur

    @property
    def delivery_rate(self) -> Decimal | None:
        return _ratio(self.spent_eur, self.received_eur)

    @property
    def budget_used(self) -> Decimal | None:
        return _ratio(self.spent_eur, self.budget_eur)

    def projected_balance_eur(self, today: date) -> Decimal | None:
        if self.end_date is None:
            return None
        months = max(0, (self.end_date.year - today.year) * 12 + self.end_date.month - today.month)
        return self.balance_eur - self.burn_rate_eur * months


def spending(session: Session, viewer: Actor, project_id: int, today: date | None = None) -> SpendingView:
    """Where the project's money stands; a donor's account sees its own State's pledges' balances only."""
    project = _project(session, project_id)
    if not _sees_spending(session, viewer, project_id):
        raise ProjectNotFound(f"Project {project_id} does not exist.")
    return _spending_of(session, viewer, project, today or date.today())


def _spending_of(session: Session, viewer: Actor, project: ProjectMoney, today: date) -> SpendingView:
    pledges = repository.pledge_money(session, project.id)
    totals = repository.project_spending(session, project.id, since=today - timedelta(days=182))
    received = sum((p.received_eur for p in pledges), ZERO)
    burn = (totals.recent_eur / BURN_MONTHS).quantize(CENT)
    return SpendingView(
        project.id,
        project.budget_eur,
        received,
        totals.spent_eur,
        totals.spent_eur - sum((p.spent_eur for p in pledges), ZERO),
        burn,
        project.end_date,
        [p for p in pledges if viewer.sees_donor(p.donor)],
        totals.by_year,
    )


@dataclass(frozen=True)
class Overview:
    """What a project's page shows of its money out."""

    spending: SpendingView
    budget: BudgetView
    latest: list[ExpenditureView]  # the latest expenditures, latest first
    expenditure_count: int


def overview(
    session: Session, viewer: Actor, project_id: int, rows: int, today: date | None = None
) -> Overview | None:
    """The project's budget by line, where its money stands and its latest ``rows`` expenditures, in the
    same few statements whatever their number — the project read once, the spending by line and the
    expenditures only when something was spent; None when the viewer may not see them (a donor's account
    on a project its State does not fund)."""
    project = _project(session, project_id)
    if not _sees_spending(session, viewer, project_id):
        return None
    money = _spending_of(session, viewer, project, today or date.today())
    if not money.by_year:  # nothing was ever booked on the project
        return Overview(money, _budget_of(session, project, {}), [], 0)
    found, total = repository.list_expenditures(
        session, ExpenditureFilters(project_id=project_id), PageParams(rows, 0)
    )
    budget_view = _budget_of(session, project, repository.spent_by_line(session, project_id))
    return Overview(money, budget_view, _views(session, viewer, found), total)


# -- many expenditures at once (an import) --------------------------------------------------------


@dataclass
class Ledger:
    """What :func:`record_expenditure` reads of the database for each expenditure, read once for many of
    them (:func:`load_ledger`) and kept up to date as they are recorded (:func:`write_expenditure`): the
    budget lines they name, the references already recorded, and what each pledge of their projects
    brought in and was charged."""

    lines: dict[int, int] = field(default_factory=dict)  # line id → its project's id
    references: dict[str, int] = field(default_factory=dict)  # reference → the expenditure holding it
    money: dict[int, list[PledgeMoney]] = field(default_factory=dict)  # project id → its pledges' money

    def pledges(self, project_id: int) -> list[PledgeMoney]:
        return self.money.get(project_id, [])

    def charged(self, project_id: int, parts: dict[int, Decimal]) -> None:
        if parts:
            self.money[project_id] = [
                PledgeMoney(p.pledge_id, p.donor, p.received_eur, p.spent_eur + parts[p.pledge_id])
                if p.pledge_id in parts
                else p
                for p in self.pledges(project_id)
            ]


def load_ledger(
    session: Session, project_ids: list[int], line_ids: list[int], references: list[str], *, lock: bool
) -> Ledger:
    """The :class:`Ledger` of expenditures to these projects, naming these lines and references: the
    projects' rows locked first when ``lock`` (as :func:`record_expenditure` locks its project), so that
    no other writer spends the same money meanwhile."""
    if lock:
        repository.lock_projects(session, project_ids)
    return Ledger(
        repository.line_projects(session, line_ids),
        repository.reference_owners(session, references),
        repository.pledge_money_of(session, project_ids),
    )


def write_expenditure(
    writer: Writer, facts: Facts, actor: Actor, data: ExpenditureCreate, ledger: Ledger
) -> dict[str, Any]:
    """:func:`record_expenditure`'s rules and records, its reads answered by ``facts`` and ``ledger``
    (loaded once for many expenditures) and its records handed to ``writer``: the expenditure, its
    charges (shared as :func:`share` or :func:`_manual` shares them) and its audit entry. Its stored
    columns."""
    if facts.project(data.project_id) is None:
        raise ValidationFailed.field(
            ("body", "project_id"), Said("project %(project)s does not exist", project=str(data.project_id))
        )
    _check_day(data.spent_on)
    if data.line_id is not None and ledger.lines.get(data.line_id) != data.project_id:
        raise ValidationFailed.field(
            ("body", "line_id"),
            Said("budget line %(line)s is not a line of this project", line=str(data.line_id)),
        )
    owner = ledger.references.get(data.reference) if data.reference is not None else None
    if owner is not None:
        detail = Said(
            "the reference %(reference)s is already recorded (expenditure %(owner)s)",
            reference=str(data.reference),
            owner=str(owner),
        )
        raise _on_field(DuplicateReference, ("body", "reference"), detail)
    rate = rate_of(facts.rate, data.currency, data.spent_on, ("body", "spent_on"))
    amount_eur = to_eur(data.amount, rate)
    pledges = ledger.pledges(data.project_id)
    if data.charges is None:
        parts, charging = share(amount_eur, pledges), Charging.proportional
    else:
        parts, charging = _manual(data.charges, amount_eur, pledges), Charging.manual
    row = writer.insert(
        Expenditure,
        {
            "project_id": data.project_id,
            "line_id": data.line_id,
            "spent_on": data.spent_on,
            "amount": data.amount,
            "currency": data.currency,
            "eur_per_unit": rate,
            "amount_eur": amount_eur,
            "description": data.description,
            "reference": data.reference,
            "charging": charging.value,
        },
    )
    for pledge_id, amount in sorted(parts.items()):
        writer.insert(Charge, {"expenditure_id": row["id"], "pledge_id": pledge_id, "amount_eur": amount})
    writer.add_entry(
        audit.created_entry(actor, "expenditure", row, data.project_id, charges=_audit_parts(parts))
    )
    ledger.charged(data.project_id, parts)
    if data.reference is not None:
        ledger.references[data.reference] = row["id"]
    return row
