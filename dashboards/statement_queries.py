"""What a donor's statement reads: one donor's own pledges and receipts, the projects it funds and what they
achieved, for one period. A fixed number of queries whatever the donor's size; every money sum is SQL's
over exact NUMERIC columns.

Nothing here returns another donor's pledge, amount or name: the only figure that involves every donor is
a project's own total pledged (to show the project's gap, as the project page does)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from dashboards.kit import ZERO, as_money
from dashboards.kit import Period as Period  # the statement's period, the kit's
from dashboards.queries import CLOSED
from portfolio import money
from portfolio.agreements.models import Agreement, Obligation
from portfolio.funding.models import Pledge, Receipt
from portfolio.funding.repository import COUNTS_AS_PLEDGED
from portfolio.processes.models import NationalProcess, NationalProcessProject, NationalProcessStageChange
from portfolio.projects.models import Indicator, Milestone, Project, ProjectStatusChange
from portfolio.spending.models import BudgetLine, Charge, Expenditure


def _exact(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


# -- the donor's pledges, with what arrived on them ---------------------------------------------------


def _received(donor: str, period: Period) -> Any:
    """pledge_id → received by the period's end and within the period (in the pledge's currency and in
    euros at the receipts' own rates), over the donor's pledges only."""
    by_end = col(Receipt.received_on) <= period.end
    within = and_(col(Receipt.received_on) >= period.start, by_end)
    return (
        sa_select(
            col(Receipt.pledge_id).label("pledge_id"),
            func.sum(case((by_end, col(Receipt.amount)), else_=0)).label("to_end"),
            func.sum(case((by_end, col(Receipt.amount_eur)), else_=0)).label("to_end_eur"),
            func.sum(case((within, col(Receipt.amount_eur)), else_=0)).label("within_eur"),
            func.count(case((within, 1))).label("within_count"),
        )
        .join(Pledge, col(Pledge.id) == col(Receipt.pledge_id))
        .where(col(Pledge.donor) == donor)
        .group_by(col(Receipt.pledge_id))
        .subquery("received")
    )


class PledgeRow(NamedTuple):
    id: int
    project_id: int
    kind: str
    currency: str
    amount: Decimal
    eur_per_unit: Decimal
    amount_eur: Decimal
    status: str
    pledged_on: date
    received: Decimal  # by the period's end, in the pledge's currency
    received_eur: Decimal  # by the period's end, in euros at the receipts' rates
    received_in_period_eur: Decimal
    receipts_in_period: int


def pledges(session: Session, donor: str, period: Period) -> list[PledgeRow]:
    """Every pledge of ``donor`` made by the period's end, with its receipts by then: the statement's totals
    to date are sums over these rows, and its lists the rows that concern the period."""
    received = _received(donor, period)
    rows = session.execute(
        sa_select(
            col(Pledge.id),
            col(Pledge.project_id),
            col(Pledge.kind),
            col(Pledge.currency),
            col(Pledge.amount),
            col(Pledge.eur_per_unit),
            col(Pledge.amount_eur),
            col(Pledge.status),
            col(Pledge.pledged_on),
            func.coalesce(received.c.to_end, 0),
            func.coalesce(received.c.to_end_eur, 0),
            func.coalesce(received.c.within_eur, 0),
            func.coalesce(received.c.within_count, 0),
        )
        .outerjoin(received, received.c.pledge_id == col(Pledge.id))
        .where(col(Pledge.donor) == donor, col(Pledge.pledged_on) <= period.end)
        .order_by(col(Pledge.project_id), col(Pledge.pledged_on), col(Pledge.id))
    ).all()
    return [
        PledgeRow(
            int(i),
            int(p),
            str(k),
            str(cur),
            as_money(a),
            Decimal(str(rate)),
            as_money(e),
            str(s),
            on,
            as_money(r),
            as_money(re),
            as_money(rw),
            int(n),
        )
        for i, p, k, cur, a, rate, e, s, on, r, re, rw, n in rows
    ]


class ReceiptRow(NamedTuple):
    pledge_id: int
    project_id: int
    received_on: date
    currency: str
    amount: Decimal
    eur_per_unit: Decimal
    amount_eur: Decimal
    pledge_eur_per_unit: Decimal


def receipts(session: Session, donor: str, period: Period) -> list[ReceiptRow]:
    """The money that arrived from ``donor`` within the period, oldest first, with its pledge's rate."""
    rows = session.execute(
        sa_select(
            col(Receipt.pledge_id),
            col(Pledge.project_id),
            col(Receipt.received_on),
            col(Pledge.currency),
            col(Receipt.amount),
            col(Receipt.eur_per_unit),
            col(Receipt.amount_eur),
            col(Pledge.eur_per_unit),
        )
        .join(Pledge, col(Pledge.id) == col(Receipt.pledge_id))
        .where(
            col(Pledge.donor) == donor,
            col(Receipt.received_on) >= period.start,
            col(Receipt.received_on) <= period.end,
        )
        .order_by(col(Receipt.received_on), col(Receipt.id))
    ).all()
    return [
        ReceiptRow(
            int(pid), int(prj), on, str(cur), as_money(a), Decimal(str(r)), as_money(e), Decimal(str(pr))
        )
        for pid, prj, on, cur, a, r, e, pr in rows
    ]


# -- the projects it funds ------------------------------------------------------------------------


def listed_projects(donor: str, period: Period) -> Select[Any]:
    """The ids of the projects a statement lists: those with a pledge of ``donor`` made by the period's end
    that was made in the period, received money in it, is still outstanding at its end, or whose project
    was not yet closed when the period began (a project closed before it is history)."""
    in_period = and_(col(Pledge.pledged_on) >= period.start, col(Pledge.pledged_on) <= period.end)
    received_in_period = col(Pledge.id).in_(
        sa_select(col(Receipt.pledge_id)).where(
            col(Receipt.received_on) >= period.start, col(Receipt.received_on) <= period.end
        )
    )
    received_by_end = (
        sa_select(func.coalesce(func.sum(col(Receipt.amount)), 0))
        .where(col(Receipt.pledge_id) == col(Pledge.id), col(Receipt.received_on) <= period.end)
        .scalar_subquery()
    )
    outstanding = and_(COUNTS_AS_PLEDGED, col(Pledge.amount) > received_by_end)
    closed_before = (
        sa_select(col(Project.id))
        .join(ProjectStatusChange, col(ProjectStatusChange.project_id) == col(Project.id))
        .where(
            col(Project.status).in_(CLOSED),
            col(ProjectStatusChange.to_status) == col(Project.status),
            col(ProjectStatusChange.changed_on) < period.start,
        )
    )
    open_then = and_(COUNTS_AS_PLEDGED, col(Pledge.project_id).not_in(closed_before))
    return (
        sa_select(col(Pledge.project_id))
        .where(col(Pledge.donor) == donor, col(Pledge.pledged_on) <= period.end)
        .where(or_(in_period, received_in_period, outstanding, open_then))
        .distinct()
    )


# Up to this many listed projects are sent as a list of ids, read once; beyond it (far above any donor's
# portfolio, and under SQLite's limit of bound parameters) the queries repeat the subquery instead.
IDS_AS_LIST = 20_000


def listed_ids(session: Session, donor: str, period: Period) -> Any:
    """The listed projects' ids as a list when they are few enough, else as the subquery itself."""
    ids = [int(i) for (i,) in session.execute(listed_projects(donor, period).limit(IDS_AS_LIST + 1)).all()]
    return ids if len(ids) <= IDS_AS_LIST else listed_projects(donor, period)


def _ids(projects: Sequence[ProjectRow], donor: str, period: Period) -> Any:
    """The ids of the projects already read, as a list (the same selection, not read again)."""
    return [p.id for p in projects] if len(projects) <= IDS_AS_LIST else listed_projects(donor, period)


class ProjectRow(NamedTuple):
    id: int
    code: str
    title: str
    status: str
    budget_eur: Decimal | None  # None: a request with no budget yet
    project_pledged_eur: Decimal  # every donor's, for the project's gap only
    milestones: int
    milestones_done: int  # done by the period's end


def projects(session: Session, donor: str, period: Period) -> list[ProjectRow]:
    listed = listed_ids(session, donor, period)
    every_pledge = (
        sa_select(col(Pledge.project_id).label("project_id"), func.sum(col(Pledge.amount_eur)).label("eur"))
        .where(COUNTS_AS_PLEDGED, col(Pledge.project_id).in_(listed))
        .group_by(col(Pledge.project_id))
        .subquery("every_pledge")
    )
    done = and_(col(Milestone.done_on).is_not(None), col(Milestone.done_on) <= period.end)
    milestones = (
        sa_select(
            col(Milestone.project_id).label("project_id"),
            func.count().label("total"),
            func.count(case((done, 1))).label("done"),
        )
        .where(col(Milestone.project_id).in_(listed))
        .group_by(col(Milestone.project_id))
        .subquery("milestones")
    )
    rows = session.execute(
        sa_select(
            col(Project.id),
            col(Project.code),
            col(Project.title),
            col(Project.status),
            col(Project.budget_eur),
            func.coalesce(every_pledge.c.eur, 0),
            func.coalesce(milestones.c.total, 0),
            func.coalesce(milestones.c.done, 0),
        )
        .outerjoin(every_pledge, every_pledge.c.project_id == col(Project.id))
        .outerjoin(milestones, milestones.c.project_id == col(Project.id))
        .where(col(Project.id).in_(listed))
        .order_by(col(Project.code))
    ).all()
    return [
        ProjectRow(
            int(i), str(c), str(t), str(s), None if b is None else as_money(b), as_money(p), int(m), int(d)
        )
        for i, c, t, s, b, p, m, d in rows
    ]


class IndicatorRow(NamedTuple):
    project_id: int
    name: str
    unit: str
    measure: str | None
    target: Decimal
    actual: Decimal | None
    target_women: Decimal | None
    target_men: Decimal | None
    actual_women: Decimal | None
    actual_men: Decimal | None


def indicators(
    session: Session, donor: str, period: Period, projects: Sequence[ProjectRow] | None = None
) -> list[IndicatorRow]:
    listed = listed_ids(session, donor, period) if projects is None else _ids(projects, donor, period)
    rows = session.execute(
        sa_select(
            col(Indicator.project_id),
            col(Indicator.name),
            col(Indicator.unit),
            col(Indicator.measure),
            col(Indicator.target),
            col(Indicator.actual),
            col(Indicator.target_women),
            col(Indicator.target_men),
            col(Indicator.actual_women),
            col(Indicator.actual_men),
        )
        .where(col(Indicator.project_id).in_(listed))
        .order_by(col(Indicator.project_id), col(Indicator.id))
    ).all()
    return [
        IndicatorRow(
            int(p),
            str(n),
            str(u),
            m,
            Decimal(str(t)),
            _exact(a),
            _exact(tw),
            _exact(tm),
            _exact(aw),
            _exact(am),
        )
        for p, n, u, m, t, a, tw, tm, aw, am in rows
    ]


@dataclass(frozen=True)
class ProcessRow:
    id: int
    state: str
    name: str
    kind: str
    stage: str
    project_ids: tuple[int, ...]


class StageMove(NamedTuple):
    process_id: int
    from_stage: str | None
    to_stage: str
    changed_on: date


def processes(
    session: Session, donor: str, period: Period, projects: Sequence[ProjectRow] | None = None
) -> tuple[list[ProcessRow], list[StageMove]]:
    """The national structures and procedures linked to the listed projects, and their stage moves within
    the period."""
    listed = listed_ids(session, donor, period) if projects is None else _ids(projects, donor, period)
    links = session.execute(
        sa_select(col(NationalProcessProject.process_id), col(NationalProcessProject.project_id)).where(
            col(NationalProcessProject.project_id).in_(listed)
        )
    ).all()
    linked: dict[int, list[int]] = {}
    for process_id, project_id in links:
        linked.setdefault(int(process_id), []).append(int(project_id))
    if not linked:
        return [], []
    ids = sorted(linked)
    rows = session.execute(
        sa_select(
            col(NationalProcess.id),
            col(NationalProcess.state),
            col(NationalProcess.name),
            col(NationalProcess.kind),
            col(NationalProcess.stage),
        )
        .where(col(NationalProcess.id).in_(ids))
        .order_by(col(NationalProcess.state), col(NationalProcess.name))
    ).all()
    moves = session.execute(
        sa_select(
            col(NationalProcessStageChange.process_id),
            col(NationalProcessStageChange.from_stage),
            col(NationalProcessStageChange.to_stage),
            col(NationalProcessStageChange.changed_on),
        )
        .where(
            col(NationalProcessStageChange.process_id).in_(ids),
            col(NationalProcessStageChange.changed_on) >= period.start,
            col(NationalProcessStageChange.changed_on) <= period.end,
        )
        .order_by(col(NationalProcessStageChange.changed_on), col(NationalProcessStageChange.id))
    ).all()
    return (
        [
            ProcessRow(int(i), str(s), str(n), str(k), str(g), tuple(sorted(linked[int(i)])))
            for i, s, n, k, g in rows
        ],
        [StageMove(int(p), f, str(t), on) for p, f, t, on in moves],
    )


class ObligationRow(NamedTuple):
    project_id: int
    reference: str
    kind: str
    due_on: date


def overdue_obligations(session: Session, donor: str, today: date) -> list[ObligationRow]:
    """The donor's reporting obligations still due whose date has passed on ``today``, longest overdue first:
    its own agreements only."""
    rows = session.execute(
        sa_select(
            col(Pledge.project_id), col(Agreement.reference), col(Obligation.kind), col(Obligation.due_on)
        )
        .join(Agreement, col(Agreement.id) == col(Obligation.agreement_id))
        .join(Pledge, col(Pledge.id) == col(Agreement.pledge_id))
        .where(col(Pledge.donor) == donor, col(Obligation.status) == "due", col(Obligation.due_on) < today)
        .order_by(col(Obligation.due_on), col(Obligation.id))
    ).all()
    return [ObligationRow(*row) for row in rows]


# -- what its money paid for ------------------------------------------------------------------------------


class PaidForRow(NamedTuple):
    """The part of one project's expenditures, on one budget line category, charged to the donor's own
    pledges (made by the period's end): within the period, and to its end."""

    project_id: int
    project_code: str
    category: str | None  # None: spending booked on no budget line (the unallocated remainder)
    in_period_eur: Decimal
    to_end_eur: Decimal


def paid_for(session: Session, donor: str, period: Period) -> list[PaidForRow]:
    """The charges on ``donor``'s pledges made by the period's end, for spending dated by its end (a
    reversal on its own day, so that it cancels from then on), by project and budget line category. Only
    its own pledges' charges are read: never another donor's share of the same expenditure."""
    by_end = col(Expenditure.spent_on) <= period.end
    within = and_(col(Expenditure.spent_on) >= period.start, by_end)
    category = col(BudgetLine.category)
    rows = session.execute(
        sa_select(
            col(Expenditure.project_id),
            col(Project.code),
            category,
            func.sum(case((within, col(Charge.amount_eur)), else_=0)),
            func.sum(col(Charge.amount_eur)),
        )
        .join(Expenditure, col(Expenditure.id) == col(Charge.expenditure_id))
        .join(Pledge, col(Pledge.id) == col(Charge.pledge_id))
        .join(Project, col(Project.id) == col(Expenditure.project_id))
        .outerjoin(BudgetLine, col(BudgetLine.id) == col(Expenditure.line_id))
        .where(col(Pledge.donor) == donor, col(Pledge.pledged_on) <= period.end, by_end)
        .group_by(col(Expenditure.project_id), col(Project.code), category)
    ).all()
    found = [
        PaidForRow(int(i), str(code), None if c is None else str(c), as_money(w), as_money(t))
        for i, code, c, w, t in rows
    ]
    # by project, the unallocated last (the databases disagree on where NULL sorts); a line that reversals
    # brought back to nothing says nothing
    found.sort(key=lambda r: (r.project_code, r.category is None, r.category or ""))
    return [r for r in found if r.in_period_eur or r.to_end_eur]


# -- the donor's money, summed --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectMoney:
    """A project as the statement shows it: the donor's own pledges and receipts, its share of the budget,
    and the project's gap (budget − every donor's pledges)."""

    own_eur: Decimal
    share: Decimal | None  # None while the project has no budget
    received_eur: Decimal
    gap_eur: Decimal | None


@dataclass(frozen=True)
class ReceiptLine:
    """A receipt in the period, with what the same amount is worth at its pledge's rate and the difference."""

    receipt: ReceiptRow
    eur_at_pledge: Decimal
    fx_eur: Decimal  # euros at the receipt's month rate − the same amount at its pledge's rate


@dataclass(frozen=True)
class CurrencyLine:
    currency: str
    outstanding: Decimal  # in the currency
    outstanding_eur: Decimal  # at the pledges' own rates
    pledges: int


@dataclass(frozen=True)
class Ledger:
    """The statement's figures, summed exactly (Decimal) from the donor's own rows: its headline figures,
    and what each pledge, project, receipt and currency adds up to."""

    counted: list[PledgeRow]  # the pledges not withdrawn
    outstanding: dict[int, Decimal]  # pledge id → amount − received by the end, in its currency, above 0
    outstanding_eur: dict[int, Decimal]  # pledge id → the same at the pledge's own rate
    own: dict[int, Decimal]  # project id → its pledges not withdrawn, in euros at their rates
    own_received: dict[int, Decimal]  # project id → received from it by the end, in euros
    receipts: list[ReceiptLine]  # the period's receipts, in date order
    by_currency: list[CurrencyLine]  # outstanding by currency, largest in euros first
    pledged_in_period_eur: Decimal
    received_in_period_eur: Decimal
    fx_in_period_eur: Decimal
    pledged_eur: Decimal  # to date
    received_eur: Decimal  # to date, on every pledge (a withdrawn one's receipts too)
    fx_eur: Decimal  # to date, rounded per pledge
    outstanding_total_eur: Decimal

    @property
    def at_pledge_in_period_eur(self) -> Decimal:
        return sum((line.eur_at_pledge for line in self.receipts), ZERO)

    @property
    def excess_eur(self) -> Decimal | None:
        """How many more euros arrived than were pledged (exchange rates), None when not more."""
        return self.received_eur - self.pledged_eur if self.received_eur > self.pledged_eur else None

    def project(self, row: ProjectRow) -> ProjectMoney:
        mine = self.own.get(row.id, ZERO)
        return ProjectMoney(
            mine,
            money.ratio(mine, row.budget_eur),
            self.own_received.get(row.id, ZERO),
            money.shortfall(row.budget_eur, row.project_pledged_eur),
        )

    def share_percent(self, row: ProjectRow) -> Decimal:
        """The donor's pledges as a percentage of the project's budget, unrounded (for a chart's bar)."""
        assert row.budget_eur
        return self.own.get(row.id, ZERO) / row.budget_eur * 100


def ledger(pledges: Sequence[PledgeRow], receipts: Sequence[ReceiptRow], period: Period) -> Ledger:
    """The figures of a statement from its rows (:func:`pledges` and :func:`receipts` of one period)."""
    counted = [p for p in pledges if p.status != "withdrawn"]
    outstanding = {p.id: p.amount - p.received for p in counted if p.amount > p.received}
    outstanding_eur = {
        p.id: money.to_eur(left, p.eur_per_unit) for p in counted if (left := outstanding.get(p.id))
    }
    own: dict[int, Decimal] = {}
    own_received: dict[int, Decimal] = {}
    for p in pledges:
        if p.status != "withdrawn":
            own[p.project_id] = own.get(p.project_id, ZERO) + p.amount_eur
        own_received[p.project_id] = own_received.get(p.project_id, ZERO) + p.received_eur
    lines = [
        ReceiptLine(
            r,
            money.to_eur(r.amount, r.pledge_eur_per_unit),
            money.rate_effect(r.amount, r.amount_eur, r.pledge_eur_per_unit),
        )
        for r in receipts
    ]
    return Ledger(
        counted,
        outstanding,
        outstanding_eur,
        own,
        own_received,
        lines,
        _by_currency(counted, outstanding, outstanding_eur),
        pledged_in_period_eur=sum((p.amount_eur for p in counted if p.pledged_on >= period.start), ZERO),
        received_in_period_eur=sum((r.amount_eur for r in receipts), ZERO),
        fx_in_period_eur=sum((line.fx_eur for line in lines), ZERO),
        pledged_eur=sum((p.amount_eur for p in counted), ZERO),
        received_eur=sum((p.received_eur for p in pledges), ZERO),
        fx_eur=sum((money.rate_effect(p.received, p.received_eur, p.eur_per_unit) for p in counted), ZERO),
        outstanding_total_eur=sum(outstanding_eur.values(), ZERO),
    )


def _by_currency(
    counted: Sequence[PledgeRow], outstanding: dict[int, Decimal], outstanding_eur: dict[int, Decimal]
) -> list[CurrencyLine]:
    sums: dict[str, tuple[Decimal, Decimal, int]] = {}
    for p in counted:
        if p.id in outstanding:
            left, left_eur, n = sums.get(p.currency, (ZERO, ZERO, 0))
            sums[p.currency] = (left + outstanding[p.id], left_eur + outstanding_eur[p.id], n + 1)
    order = sorted(sums, key=lambda c: (-sums[c][1], c))
    return [CurrencyLine(c, *sums[c]) for c in order]
