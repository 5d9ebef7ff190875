"""The aggregates the dashboard pages draw: each is one SQL GROUP BY over the filtered projects, never a
loop over every pledge in Python. Amounts come back as exact Decimals (the columns' own type)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, String, Subquery, and_, case, distinct, extract, func, literal, or_, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from dashboards.filters import Filters
from dashboards.kit import ZERO, as_money
from portfolio import money
from portfolio.agreements.models import Agreement, Obligation
from portfolio.audit.models import AuditEntry
from portfolio.funding import repository as funding_repository
from portfolio.funding.models import Pledge, Receipt
from portfolio.funding.repository import COUNTS_AS_PLEDGED
from portfolio.processes.models import NationalProcess, NationalProcessProject, NationalProcessStageChange
from portfolio.projects import repository as projects_repository
from portfolio.projects.models import (
    FINAL,
    Indicator,
    Milestone,
    Project,
    ProjectActivity,
    ProjectArea,
    ProjectBeneficiary,
    ProjectStatusChange,
)
from portfolio.projects.repository import (
    gap_column,
    open_gap_column,
    percent_done,
    pledged_column,
)
from portfolio.spending.models import Charge, Expenditure
from portfolio.states.models import State
from portfolio.states.names import names_in

# Rows a streamed query holds at once: the page's memory stays that of a small portfolio however many
# pledges there are.
YIELD_PER = 500
CLOSED = sorted(FINAL)  # completed or cancelled: a closed project's shortfall is no longer sought


def selected_projects(filters: Filters) -> Select[Any]:
    """The ids of the projects a page counts: the API's project filters, from the page's."""
    return projects_repository.filtered_ids(filters.projects())


def _pledged_per_project(filters: Filters) -> Subquery:
    """project_id → ``pledged_eur`` over the projects a page counts."""
    return funding_repository.pledged_by_project(among=selected_projects(filters))


# -- funding overview -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    projects: int
    budget_eur: Decimal
    pledged_eur: Decimal
    received_eur: Decimal
    gap_eur: Decimal  # every project's shortfall, closed ones included
    seeking_funding: int
    open_gap_eur: Decimal = ZERO  # Σ max(budget − pledged, 0) over projects neither completed nor cancelled
    # The same projects as the open gap's (neither completed nor cancelled, with a budget): their budgets,
    # their pledges
    open_budget_eur: Decimal = ZERO
    open_pledged_eur: Decimal = ZERO

    @property
    def coverage(self) -> Decimal | None:
        """Pledged ÷ budget over every project selected, closed ones included."""
        return money.ratio(self.pledged_eur, self.budget_eur)

    @property
    def open_coverage(self) -> Decimal | None:
        """Pledged ÷ budget over the projects the open gap counts (neither completed nor cancelled)."""
        return money.ratio(self.open_pledged_eur, self.open_budget_eur)


def totals(session: Session, filters: Filters) -> Totals:
    pledged = _pledged_per_project(filters)
    is_open = col(Project.status).not_in(CLOSED)
    # The open gap's projects: neither completed nor cancelled, with a budget (a request may have none yet)
    counted = and_(is_open, col(Project.budget_eur).is_not(None))
    row = session.execute(
        sa_select(
            func.count(col(Project.id)),
            func.coalesce(func.sum(col(Project.budget_eur)), 0),
            func.coalesce(func.sum(pledged.c.pledged_eur), 0),
            func.coalesce(func.sum(gap_column(pledged)), 0),
            func.count(case((col(Project.status) == "seeking_funding", 1))),
            func.coalesce(func.sum(open_gap_column(col(Project.status), pledged_column(pledged))), 0),
            func.coalesce(func.sum(case((counted, col(Project.budget_eur)), else_=0)), 0),
            func.coalesce(func.sum(case((counted, pledged_column(pledged)), else_=0)), 0),
        )
        .outerjoin(pledged, pledged.c.project_id == col(Project.id))
        .where(col(Project.id).in_(selected_projects(filters)))
    ).one()
    received_by_project = funding_repository.received_by_project(among=selected_projects(filters))
    received = session.execute(
        sa_select(func.coalesce(func.sum(received_by_project.c.received_eur), 0))
    ).scalar_one()
    return Totals(
        int(row[0]),
        as_money(row[1]),
        as_money(row[2]),
        as_money(received),
        as_money(row[3]),
        int(row[4]),
        as_money(row[5]),
        as_money(row[6]),
        as_money(row[7]),
    )


@dataclass(frozen=True)
class Split:
    """An amount pledged and received under one label (a donor, a State, an area, a kind…)."""

    key: str
    label: str
    pledged_eur: Decimal
    received_eur: Decimal
    budget_eur: Decimal = ZERO
    # received in euros at the receipt months' rates minus the same amounts at the pledges' own rates
    fx_difference_eur: Decimal = ZERO
    # Σ max(budget − pledged, 0) over the projects under this label neither completed nor cancelled
    gap_eur: Decimal = ZERO


def _received_by(session: Session, filters: Filters, key: Any, *joins: tuple[Any, Any]) -> dict[str, Decimal]:
    query = sa_select(key, func.sum(col(Receipt.amount_eur))).join(
        Pledge, col(Pledge.id) == col(Receipt.pledge_id)
    )
    for target, on in joins:
        query = query.join(target, on)
    rows = session.execute(
        query.where(col(Pledge.project_id).in_(selected_projects(filters))).group_by(key)
    ).all()
    return {str(k): as_money(v) for k, v in rows}


def _pledged_by(session: Session, filters: Filters, key: Any, *joins: tuple[Any, Any]) -> dict[str, Decimal]:
    query = sa_select(key, func.sum(col(Pledge.amount_eur)))
    for target, on in joins:
        query = query.join(target, on)
    rows = session.execute(
        query.where(COUNTS_AS_PLEDGED, col(Pledge.project_id).in_(selected_projects(filters))).group_by(key)
    ).all()
    return {str(k): as_money(v) for k, v in rows}


def by_donor(session: Session, filters: Filters, names: dict[str, str]) -> list[Split]:
    pledged = _pledged_by(session, filters, col(Pledge.donor))
    received = _received_by(session, filters, col(Pledge.donor))
    fx = fx_difference_by_donor(session, filters)
    keys = sorted(pledged.keys() | received.keys(), key=lambda k: (-pledged.get(k, ZERO), k))
    return [
        Split(k, names.get(k, k), pledged.get(k, ZERO), received.get(k, ZERO), ZERO, fx.get(k, ZERO))
        for k in keys
    ]


def fx_difference_by_donor(
    session: Session, filters: Filters, donor: str | None = None
) -> dict[str, Decimal]:
    """Per donor, Σ over its pledges that are not withdrawn of (Σ receipts.amount_eur −
    round_half_up(Σ receipts.amount × pledge.eur_per_unit, 2)): what the receipts are worth in euros at
    their months' rates beyond what the same amounts are worth at the rate frozen with the pledge.

    The database sums each pledge's receipts (only pledges in another currency than the euro can
    differ); the rounding to the cent is per pledge, so it is done here, exactly, with Decimal."""
    query = (
        sa_select(
            col(Pledge.donor),
            col(Pledge.eur_per_unit),
            func.sum(col(Receipt.amount)),
            func.sum(col(Receipt.amount_eur)),
        )
        .join(Pledge, col(Pledge.id) == col(Receipt.pledge_id))
        .where(
            COUNTS_AS_PLEDGED,
            col(Pledge.currency) != "EUR",
            col(Pledge.project_id).in_(selected_projects(filters)),
        )
        .group_by(col(Pledge.id), col(Pledge.donor), col(Pledge.eur_per_unit))
    )
    if donor is not None:
        query = query.where(col(Pledge.donor) == donor)
    out: dict[str, Decimal] = {}
    for code, rate, amount, amount_eur in session.execute(query.execution_options(yield_per=YIELD_PER)):
        difference = money.rate_effect(as_money(amount), as_money(amount_eur), Decimal(str(rate)))
        out[str(code)] = out.get(str(code), ZERO) + difference
    return out


def by_beneficiary(session: Session, filters: Filters, names: dict[str, str]) -> list[Split]:
    """Per beneficiary State; a project helping several States counts in full for each of them."""
    link = (ProjectBeneficiary, col(ProjectBeneficiary.project_id) == col(Pledge.project_id))
    key = col(ProjectBeneficiary.state_code)
    pledged = _pledged_by(session, filters, key, link)
    received = _received_by(session, filters, key, link)
    budgets = dict(
        session.execute(
            sa_select(key, func.sum(col(Project.budget_eur)))
            .join(Project, col(Project.id) == col(ProjectBeneficiary.project_id))
            .where(col(Project.id).in_(selected_projects(filters)))
            .group_by(key)
        ).all()
    )
    keys = sorted(budgets.keys(), key=lambda k: (-as_money(budgets[k]), k))
    return [
        Split(k, names.get(k, k), pledged.get(k, ZERO), received.get(k, ZERO), as_money(budgets[k]))
        for k in keys
    ]


def _budget_and_gap_by(
    session: Session, filters: Filters, key: Any, project_column: Any
) -> dict[str, tuple[Decimal, Decimal]]:
    """key → (Σ budget, open gap) over the projects a page counts, joined through ``project_column``."""
    pledged = _pledged_per_project(filters)
    rows = session.execute(
        sa_select(
            key,
            func.sum(col(Project.budget_eur)),
            func.coalesce(func.sum(open_gap_column(col(Project.status), pledged_column(pledged))), 0),
        )
        .join(Project, col(Project.id) == project_column)
        .outerjoin(pledged, pledged.c.project_id == col(Project.id))
        .where(col(Project.id).in_(selected_projects(filters)))
        .group_by(key)
    ).all()
    return {str(k): (as_money(b), as_money(g)) for k, b, g in rows}


def by_area(session: Session, filters: Filters) -> list[Split]:
    """Per area, with budget and open gap; a project in both SALW and SCA counts in full for each."""
    link = (ProjectArea, col(ProjectArea.project_id) == col(Pledge.project_id))
    key = col(ProjectArea.area)
    pledged = _pledged_by(session, filters, key, link)
    received = _received_by(session, filters, key, link)
    budgets = _budget_and_gap_by(session, filters, key, col(ProjectArea.project_id))
    return [
        Split(k, k, pledged.get(k, ZERO), received.get(k, ZERO), *_budget_gap(budgets, k))
        for k in sorted(pledged.keys() | received.keys() | budgets.keys())
    ]


def _budget_gap(budgets: dict[str, tuple[Decimal, Decimal]], key: str) -> tuple[Decimal, Decimal, Decimal]:
    """(budget, fx difference, gap) in the order :class:`Split` takes them after pledged and received."""
    budget, gap = budgets.get(key, (ZERO, ZERO))
    return budget, ZERO, gap


def by_activity(session: Session, filters: Filters, labels: dict[str, str]) -> list[Split]:
    """Per activity type, with budget and open gap; a project counts in full for each of its types."""
    link = (ProjectActivity, col(ProjectActivity.project_id) == col(Pledge.project_id))
    key = col(ProjectActivity.activity_type)
    pledged = _pledged_by(session, filters, key, link)
    received = _received_by(session, filters, key, link)
    budgets = _budget_and_gap_by(session, filters, key, col(ProjectActivity.project_id))
    keys = sorted(pledged.keys() | received.keys() | budgets.keys(), key=lambda k: (-pledged.get(k, ZERO), k))
    return [
        Split(k, labels.get(k, k), pledged.get(k, ZERO), received.get(k, ZERO), *_budget_gap(budgets, k))
        for k in keys
    ]


def by_kind(session: Session, filters: Filters, labels: dict[str, str]) -> list[Split]:
    key = col(Pledge.kind)
    pledged = _pledged_by(session, filters, key)
    received = _received_by(session, filters, key)
    return [Split(k, labels.get(k, k), pledged.get(k, ZERO), received.get(k, ZERO)) for k in sorted(pledged)]


# -- money out: what was spent, and how much of the pledged money is firm ---------------------------------

FIRM = ("committed", "paid")  # an agreement signed; "pledged" is announced only, "withdrawn" neither


@dataclass(frozen=True)
class MoneyOut:
    """Over the projects a page counts: what was spent (Σ expenditures, reversals included so that they
    cancel), and the pledges not withdrawn split into firm (committed or paid) and soft (pledged only)."""

    spent_eur: Decimal
    committed_eur: Decimal
    pledged_only_eur: Decimal


def money_out(session: Session, filters: Filters) -> MoneyOut:
    """One statement: three sums over the projects selected."""
    among = selected_projects(filters)

    def pledges_in(*statuses: str) -> Any:
        return (
            sa_select(func.coalesce(func.sum(col(Pledge.amount_eur)), 0))
            .where(col(Pledge.status).in_(statuses), col(Pledge.project_id).in_(among))
            .scalar_subquery()
        )

    spent = (
        sa_select(func.coalesce(func.sum(col(Expenditure.amount_eur)), 0))
        .where(col(Expenditure.project_id).in_(among))
        .scalar_subquery()
    )
    row = session.execute(sa_select(spent, pledges_in(*FIRM), pledges_in("pledged"))).one()
    return MoneyOut(as_money(row[0]), as_money(row[1]), as_money(row[2]))


@dataclass(frozen=True)
class Delivery:
    """What arrived and what was spent under one label (an area, a State, a donor), and their ratio."""

    key: str
    label: str
    received_eur: Decimal
    spent_eur: Decimal

    @property
    def rate(self) -> Decimal | None:
        """Spent ÷ received, as the UN MPTF Office defines the delivery rate; None before any money."""
        return money.ratio(self.spent_eur, self.received_eur)


@dataclass(frozen=True)
class SpentBy:
    """What was spent on the projects a page counts (reversals deducted), by area and by beneficiary State
    (a project counting in full for each of its own), and what was charged to each donor's pledges."""

    area: dict[str, Decimal]
    beneficiary: dict[str, Decimal]
    donor: dict[str, Decimal]


def spent_by(session: Session, filters: Filters, donor: str | None = None) -> SpentBy:
    """One statement (three GROUP BYs in a UNION ALL). ``donor``: that State's charges only — the
    account's donor rule (:meth:`Actor.own_donor_filter`) decides it, so that a donor's account never
    reads another donor's charged share."""
    among = selected_projects(filters)
    amount = col(Expenditure.amount_eur)
    by_area: Any = (
        sa_select(literal("area", String).label("kind"), col(ProjectArea.area).label("key"), func.sum(amount))
        .join(ProjectArea, col(ProjectArea.project_id) == col(Expenditure.project_id))
        .where(col(Expenditure.project_id).in_(among))
        .group_by(col(ProjectArea.area))
    )
    state = col(ProjectBeneficiary.state_code)
    by_state: Any = (
        sa_select(literal("beneficiary", String).label("kind"), state.label("key"), func.sum(amount))
        .join(ProjectBeneficiary, col(ProjectBeneficiary.project_id) == col(Expenditure.project_id))
        .where(col(Expenditure.project_id).in_(among))
        .group_by(state)
    )
    by_donor: Any = (
        sa_select(
            literal("donor", String).label("kind"),
            col(Pledge.donor).label("key"),
            func.sum(col(Charge.amount_eur)),
        )
        .join(Pledge, col(Pledge.id) == col(Charge.pledge_id))
        .where(col(Pledge.project_id).in_(among), *([col(Pledge.donor) == donor] if donor else []))
        .group_by(col(Pledge.donor))
    )
    found: dict[str, dict[str, Decimal]] = {"area": {}, "beneficiary": {}, "donor": {}}
    for kind, key, total in session.execute(union_all(by_area, by_state, by_donor)).all():
        found[str(kind)][str(key)] = as_money(total)
    return SpentBy(found["area"], found["beneficiary"], found["donor"])


def deliveries(
    splits: Sequence[Split], spent: dict[str, Decimal], names: dict[str, str] | None = None
) -> list[Delivery]:
    """The delivery lines of a page's splits (what arrived under each label) and what was spent under the
    same labels: one per label with money received or spent, the most received first."""
    received = {s.key: s.received_eur for s in splits}
    labels = {**(names or {}), **{s.key: s.label for s in splits}}
    keys = sorted(
        (k for k in received.keys() | spent.keys() if received.get(k) or spent.get(k)),
        key=lambda k: (-received.get(k, ZERO), k),
    )
    return [Delivery(k, labels.get(k, k), received.get(k, ZERO), spent.get(k, ZERO)) for k in keys]


@dataclass(frozen=True)
class Quarter:
    label: str  # 2024-Q1
    pledged_eur: Decimal
    received_eur: Decimal
    pledged_cumulative: Decimal
    received_cumulative: Decimal

    @property
    def start(self) -> date:
        """The quarter's first day: where it sits on a date axis."""
        year, number = self.label.split("-Q")
        return date(int(year), 3 * int(number) - 2, 1)


def over_time(session: Session, filters: Filters) -> list[Quarter]:
    """Pledged (by pledge date) and received (by receipt date) per quarter, and their running totals."""
    year_p, month_p = extract("year", col(Pledge.pledged_on)), extract("month", col(Pledge.pledged_on))
    pledged = session.execute(
        sa_select(year_p, month_p, func.sum(col(Pledge.amount_eur)))
        .where(COUNTS_AS_PLEDGED, col(Pledge.project_id).in_(selected_projects(filters)))
        .group_by(year_p, month_p)
    ).all()
    year_r, month_r = extract("year", col(Receipt.received_on)), extract("month", col(Receipt.received_on))
    received = session.execute(
        sa_select(year_r, month_r, func.sum(col(Receipt.amount_eur)))
        .join(Pledge, col(Pledge.id) == col(Receipt.pledge_id))
        .where(col(Pledge.project_id).in_(selected_projects(filters)))
        .group_by(year_r, month_r)
    ).all()
    quarters: dict[str, list[Decimal]] = {}
    for rows, index in ((pledged, 0), (received, 1)):
        for year, month, amount in rows:
            label = f"{int(year)}-Q{(int(month) - 1) // 3 + 1}"
            quarters.setdefault(label, [ZERO, ZERO])[index] += as_money(amount)
    out, running_p, running_r = [], ZERO, ZERO
    for label in sorted(quarters):
        p, r = quarters[label]
        running_p += p
        running_r += r
        out.append(Quarter(label, p, r, running_p, running_r))
    return out


# -- funding gaps and progress -------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectLine:
    id: int
    code: str
    title: str
    status: str
    areas: str
    beneficiaries: str
    budget_eur: Decimal | None  # None: a request with no budget yet (and so no gap)
    pledged_eur: Decimal
    gap_eur: Decimal | None
    coverage: Decimal | None
    start_date: date | None
    end_date: date | None
    percent: Decimal | None
    overdue_milestones: int


def project_lines(
    session: Session,
    filters: Filters,
    names: dict[str, str] | None = None,
    *,
    open_gaps_only: bool = False,
) -> list[ProjectLine]:
    """One line per project: funding, progress, overdue milestones; a fixed number of queries.
    ``names``: the beneficiary States' names in the page's language (their codes without it).
    ``open_gaps_only``: the projects that make up the open gap (neither completed nor cancelled, budget
    above what is pledged), whatever stage they are in."""
    names = names or {}
    pledged = _pledged_per_project(filters)
    today = date.today()
    milestones = (
        sa_select(
            col(Milestone.project_id),
            func.sum(col(Milestone.weight)).label("weight_total"),
            func.sum(case((col(Milestone.done_on).is_not(None), col(Milestone.weight)), else_=0)).label(
                "weight_done"
            ),
            func.count(
                case((and_(col(Milestone.done_on).is_(None), col(Milestone.due_on) < today), 1))
            ).label("overdue"),
        )
        .group_by(col(Milestone.project_id))
        .subquery()
    )
    query = (
        sa_select(
            Project,
            pledged_column(pledged),
            milestones.c.weight_total,
            milestones.c.weight_done,
            func.coalesce(milestones.c.overdue, 0),
        )
        .outerjoin(pledged, pledged.c.project_id == col(Project.id))
        .outerjoin(milestones, milestones.c.project_id == col(Project.id))
        .where(col(Project.id).in_(selected_projects(filters)))
    )
    if open_gaps_only:
        query = query.where(open_gap_column(col(Project.status), pledged_column(pledged)) > 0)
    query = query.order_by(gap_column(pledged).desc(), col(Project.code))
    # Areas and beneficiaries come with the projects (selectin loading: one query each, not one per row).
    lines = []
    for project, pledged_eur, weight_total, weight_done, overdue in session.execute(query).all():
        pledged_eur = as_money(pledged_eur)
        budget = project.budget_eur
        percent = percent_done(Decimal(str(weight_done or 0)), Decimal(str(weight_total or 0)))
        lines.append(
            ProjectLine(
                id=project.id,
                code=project.code,
                title=project.title,
                status=project.status,
                areas="/".join(project.areas),
                beneficiaries=", ".join(sorted(names.get(c, c) for c in project.beneficiaries)),
                budget_eur=budget,
                pledged_eur=pledged_eur,
                gap_eur=money.shortfall(budget, pledged_eur),
                coverage=money.ratio(pledged_eur, budget),
                start_date=project.start_date,
                end_date=project.end_date,
                percent=percent,
                overdue_milestones=int(overdue),
            )
        )
    return lines


@dataclass(frozen=True)
class OpenGaps:
    """The projects that make up the open gap, largest first, and its total."""

    projects: list[ProjectLine]
    gap_eur: Decimal  # Σ max(budget − pledged, 0) over them


def open_gaps(session: Session, filters: Filters, names: dict[str, str]) -> OpenGaps:
    lines = project_lines(session, filters, names, open_gaps_only=True)
    return OpenGaps(lines, sum((p.gap_eur or ZERO for p in lines), ZERO))


@dataclass(frozen=True)
class StatusLine:
    status: str
    projects: int
    budget_eur: Decimal


def by_status(session: Session, filters: Filters) -> list[StatusLine]:
    rows = session.execute(
        sa_select(col(Project.status), func.count(), func.sum(col(Project.budget_eur)))
        .where(col(Project.id).in_(selected_projects(filters)))
        .group_by(col(Project.status))
    ).all()
    return [StatusLine(s, int(n), as_money(b)) for s, n, b in rows]


@dataclass(frozen=True)
class IndicatorLine:
    name: str
    unit: str
    projects: int
    target: Decimal
    actual: Decimal


def indicators(session: Session, filters: Filters) -> list[IndicatorLine]:
    key = (col(Indicator.name), col(Indicator.unit))
    rows = session.execute(
        sa_select(
            *key,
            func.count(distinct(col(Indicator.project_id))),
            func.sum(col(Indicator.target)),
            func.coalesce(func.sum(col(Indicator.actual)), 0),
        )
        .where(col(Indicator.project_id).in_(selected_projects(filters)))
        .group_by(*key)
        .order_by(*key)
    ).all()
    return [IndicatorLine(n, u, int(c), Decimal(str(t)), Decimal(str(a))) for n, u, c, t, a in rows]


# -- national processes --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessCell:
    state: str
    name: str
    kind: str
    stage: str
    established_on: date | None


def process_matrix(session: Session, filters: Filters) -> list[ProcessCell]:
    query = sa_select(
        col(NationalProcess.state),
        col(NationalProcess.name),
        col(NationalProcess.kind),
        col(NationalProcess.stage),
        col(NationalProcess.established_on),
    )
    if filters.beneficiary:
        query = query.where(col(NationalProcess.state) == filters.beneficiary)
    rows = session.execute(
        query.add_columns(col(NationalProcess.areas)).order_by(
            col(NationalProcess.state), col(NationalProcess.name)
        )
    ).all()
    # The areas are a short JSON list per process; a few dozen rows are filtered here, not thousands.
    return [ProcessCell(*row[:5]) for row in rows if not filters.area or filters.area in row[5]]


@dataclass(frozen=True)
class StageCount:
    year: int
    stage: str
    changes: int


def stage_changes(session: Session, filters: Filters) -> list[StageCount]:
    year = extract("year", col(NationalProcessStageChange.changed_on))
    query = (
        sa_select(year, col(NationalProcessStageChange.to_stage), func.count())
        .join(NationalProcess, col(NationalProcess.id) == col(NationalProcessStageChange.process_id))
        .group_by(year, col(NationalProcessStageChange.to_stage))
        .order_by(year)
    )
    if filters.beneficiary:
        query = query.where(col(NationalProcess.state) == filters.beneficiary)
    if filters.area:
        query = query.where(col(NationalProcess.id).in_(_processes_in_area(session, filters.area)))
    return [StageCount(int(y), s, int(n)) for y, s, n in session.execute(query).all()]


def _processes_in_area(session: Session, area: str) -> list[int]:
    # The areas are a short JSON list per process; the few dozen processes are filtered here.
    rows = session.execute(sa_select(col(NationalProcess.id), col(NationalProcess.areas))).all()
    return [process_id for process_id, areas in rows if area in areas]


# -- one donor -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DonorPledge:
    project_code: str
    project_title: str
    status: str
    kind: str
    currency: str
    amount: Decimal
    amount_eur: Decimal
    received_eur: Decimal


def donor_pledges(session: Session, filters: Filters, donor: str) -> list[DonorPledge]:
    received = (
        sa_select(col(Receipt.pledge_id), func.sum(col(Receipt.amount_eur)).label("eur"))
        .group_by(col(Receipt.pledge_id))
        .subquery()
    )
    rows = session.execute(
        sa_select(
            col(Project.code),
            col(Project.title),
            col(Pledge.status),
            col(Pledge.kind),
            col(Pledge.currency),
            col(Pledge.amount),
            col(Pledge.amount_eur),
            func.coalesce(received.c.eur, 0),
        )
        .join(Project, col(Project.id) == col(Pledge.project_id))
        .outerjoin(received, received.c.pledge_id == col(Pledge.id))
        .where(col(Pledge.donor) == donor, col(Pledge.project_id).in_(selected_projects(filters)))
        .order_by(col(Project.code), col(Pledge.pledged_on))
    ).all()
    return [DonorPledge(c, t, s, k, cur, a, e, as_money(r)) for c, t, s, k, cur, a, e, r in rows]


@dataclass(frozen=True)
class DonorView:
    """One donor's pledges to the projects a page counts, with their sums in euros: the pledges not
    withdrawn, what arrived on them, what is still outstanding, and the exchange difference."""

    code: str
    pledges: list[DonorPledge]
    pledged_eur: Decimal
    received_eur: Decimal
    outstanding_eur: Decimal  # Σ max(pledged − received, 0) per pledge
    fx_difference_eur: Decimal

    @property
    def received_above_pledged(self) -> bool:
        return self.received_eur > self.pledged_eur

    def split(self, label: str) -> Split:
        """The donor as one line of the by-donor figures (for the note on exchange rates)."""
        return Split(self.code, label, self.pledged_eur, self.received_eur, ZERO, self.fx_difference_eur)


def donor_view(session: Session, filters: Filters, donor: str) -> DonorView:
    pledges = donor_pledges(session, filters, donor)
    active = [p for p in pledges if p.status != "withdrawn"]
    return DonorView(
        donor,
        pledges,
        sum((p.amount_eur for p in active), ZERO),
        sum((p.received_eur for p in active), ZERO),
        sum((max(p.amount_eur - p.received_eur, ZERO) for p in active), ZERO),
        fx_difference_by_donor(session, filters, donor).get(donor, ZERO),
    )


def donor_processes(session: Session, filters: Filters, donor: str) -> list[ProcessCell]:
    funded = funding_repository.project_ids_with_donor(donor, pledged_only=True)
    rows = session.execute(
        sa_select(
            col(NationalProcess.state),
            col(NationalProcess.name),
            col(NationalProcess.kind),
            col(NationalProcess.stage),
            col(NationalProcess.established_on),
        )
        .where(
            col(NationalProcess.id).in_(
                sa_select(col(NationalProcessProject.process_id)).where(
                    col(NationalProcessProject.project_id).in_(funded),
                    col(NationalProcessProject.project_id).in_(selected_projects(filters)),
                )
            )
        )
        .order_by(col(NationalProcess.state), col(NationalProcess.name))
    ).all()
    return [ProcessCell(*row) for row in rows]


# -- data quality --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attention:
    what: str
    record: str
    detail: str  # as the CSV holds it: amounts as plain numbers ("DEU: 382000.00 DKK")
    since: date | None
    project_id: int | None = None  # the project the record belongs to, for a link to its page
    # A pledge's amount, currency and donor, for the page to write in its language ("Denmark: DKK382,000.00")
    amount: Decimal | None = None
    currency: str = ""
    donor: str = ""
    status: str = ""  # a project's status, for the page to name in its language
    # A sentence of the page's words (a key of dashboards.labels) with its figures, which the page writes
    # in its language: money (Decimal, euros), a share (a ratio) or a count (int).
    phrase: str = ""
    figures: tuple[tuple[str, Decimal | int, str], ...] = ()


# How sample data is recognised: the sample loader (portfolio.demo) starts every project code with it.
SAMPLE_PREFIX = "SAMPLE-"


def is_sample(code: str) -> bool:
    """A project of the sample portfolio, by its code."""
    return code.startswith(SAMPLE_PREFIX)


def sample_projects(code: Any) -> Any:
    """The same, as a condition on a project code column."""
    return code.startswith(SAMPLE_PREFIX)


def stale_projects(session: Session, filters: Filters, before: date) -> list[Attention]:
    """The selected projects, neither completed nor cancelled, whose last change came before ``before``,
    oldest first, each with the day of that change.

    A project's last change is the latest of the days its records carry (its request, its status changes,
    its pledges, their receipts, its milestones done) and of the writes the audit trail holds for it or
    any of its records (through the API, the staff pages or an import) — but for the sample loader's own
    writes, which put the whole sample in at once on the day it is loaded: a sample project changes on its
    sample days, and when someone edits it. ``updated_at`` alone misses a receipt or a milestone added to a
    project, and is the loading day for every sample project."""
    at = datetime(before.year, before.month, before.day, tzinfo=UTC)

    def latest(column: Any, *where: Any, join: tuple[Any, Any] | None = None) -> Any:
        query = sa_select(func.max(column))
        if join is not None:
            query = query.join(*join)
        return query.where(*where).correlate(Project).scalar_subquery()

    written = latest(
        col(AuditEntry.at),
        col(AuditEntry.project_id) == col(Project.id),
        or_(col(AuditEntry.user_id).is_not(None), ~sample_projects(col(Project.code))),
    )
    days = [
        latest(col(ProjectStatusChange.changed_on), col(ProjectStatusChange.project_id) == col(Project.id)),
        latest(col(Pledge.pledged_on), col(Pledge.project_id) == col(Project.id)),
        latest(
            col(Receipt.received_on),
            col(Pledge.project_id) == col(Project.id),
            join=(Pledge, col(Pledge.id) == col(Receipt.pledge_id)),
        ),
        latest(col(Milestone.done_on), col(Milestone.project_id) == col(Project.id)),
    ]
    lines = (
        sa_select(
            col(Project.code).label("code"),
            col(Project.title).label("title"),
            col(Project.status).label("status"),
            col(Project.id).label("id"),
            col(Project.request_date).label("requested"),
            written.label("written"),
            *(day.label(f"day_{n}") for n, day in enumerate(days)),
        )
        .where(col(Project.id).in_(selected_projects(filters)), col(Project.status).not_in(CLOSED))
        .subquery("lines")
    )
    dated = [lines.c[f"day_{n}"] for n in range(len(days))]
    rows = session.execute(
        sa_select(lines).where(
            lines.c.requested < before,
            or_(lines.c.written.is_(None), lines.c.written < at),
            *(or_(day.is_(None), day < before) for day in dated),
        )
    ).all()
    found = []
    for row in rows:
        moments = [row.requested, *(row._mapping[f"day_{n}"] for n in range(len(days)))]
        if row.written is not None:
            moments.append(row.written.date())
        last = max(m for m in moments if m is not None)
        found.append(
            Attention("stale", row.code, f"{row.title} ({row.status})", last, row.id, status=row.status)
        )
    return sorted(found, key=lambda a: (a.since or date.min, a.record))


def needs_attention(
    session: Session, filters: Filters, today: date | None = None
) -> dict[str, list[Attention]]:
    today = today or date.today()
    stale = stale_projects(session, filters, today - timedelta(days=90))
    overdue = _overdue_milestones(session, filters, today)
    unpaid = session.execute(
        _committed(
            filters,
            col(Pledge.pledged_on) < today - timedelta(days=365),
            col(Pledge.id).not_in(sa_select(col(Receipt.pledge_id))),
        ).order_by(col(Pledge.pledged_on))
    ).all()
    unsigned = session.execute(
        _committed(filters, col(Pledge.id).not_in(sa_select(col(Agreement.pledge_id)))).order_by(
            col(Pledge.pledged_on), col(Pledge.id)
        )
    ).all()
    late_reports = _late_reports(session, filters, today)
    money_out = _money_out_attention(session, filters, today)
    return money_out | {
        "stale_projects": stale,
        "unusual_amounts": unusual_amounts(session, filters),
        "pledges_without_agreement": [
            Attention("no-agreement", c, f"{d}: {a} {cur}", p, i, a, cur, d)
            for c, d, a, cur, p, i in unsigned
        ],
        "overdue_obligations": [
            Attention("overdue-report", c, f"{d}, {ref}: {kind.replace('_', ' ')}", due, i)
            for c, d, ref, kind, due, i in late_reports
        ],
        "overdue_milestones": [Attention("overdue", c, t, d, i) for c, t, d, i in overdue],
        "unpaid_commitments": [
            Attention("unpaid", c, f"{d}: {a} {cur}", p, i, a, cur, d) for c, d, a, cur, p, i in unpaid
        ],
        # A non-euro amount cannot be recorded without its month's rate (the API, the pages and the import
        # refuse it with a 422), so this list stays empty unless rows were written around the application;
        # the page says what it would hold.
        "missing_rates": [],
    }


# Money out that needs a look, as AMP's performance rules flag activities: no spending this many months after
# the money arrived; spending this far behind the time gone (percentage points of the budget).
IDLE_MONTHS = 6
BEHIND_BY = Decimal("0.25")


def _money_out_attention(session: Session, filters: Filters, today: date) -> dict[str, list[Attention]]:
    """Projects that spent more than they received; projects in implementation holding money received over
    ``IDLE_MONTHS`` months ago with nothing spent since; expenditures dated after their project's end; and
    projects under way whose budget used trails the share of their time gone by more than ``BEHIND_BY``."""
    chosen = selected_projects(filters)
    spent = (
        sa_select(col(Expenditure.project_id).label("pid"), func.sum(Expenditure.amount_eur).label("spent"))
        .group_by(col(Expenditure.project_id))
        .subquery("spent")
    )
    received = (
        sa_select(
            col(Pledge.project_id).label("pid"),
            func.sum(Receipt.amount_eur).label("received"),
            func.min(Receipt.received_on).label("first"),
        )
        .join(Pledge, col(Pledge.id) == col(Receipt.pledge_id))
        .group_by(col(Pledge.project_id))
        .subquery("received")
    )
    last_spent = (
        sa_select(col(Expenditure.project_id).label("pid"), func.max(Expenditure.spent_on).label("last"))
        .group_by(col(Expenditure.project_id))
        .subquery("last_spent")
    )
    rows = session.execute(
        sa_select(
            col(Project.id),
            col(Project.code),
            col(Project.title),
            col(Project.status),
            col(Project.start_date),
            col(Project.end_date),
            col(Project.budget_eur),
            spent.c.spent,
            received.c.received,
            received.c.first,
            last_spent.c.last,
        )
        .outerjoin(spent, spent.c.pid == col(Project.id))
        .outerjoin(received, received.c.pid == col(Project.id))
        .outerjoin(last_spent, last_spent.c.pid == col(Project.id))
        .where(col(Project.id).in_(chosen))
        .order_by(col(Project.code))
    ).all()
    late_rows = session.execute(
        sa_select(
            col(Project.code),
            col(Project.id),
            col(Project.end_date),
            func.count(),
            func.sum(Expenditure.amount_eur),
        )
        .join(Project, col(Project.id) == col(Expenditure.project_id))
        .where(col(Project.id).in_(chosen), col(Expenditure.spent_on) > col(Project.end_date))
        .group_by(col(Project.code), col(Project.id), col(Project.end_date))
        .order_by(col(Project.code))
    ).all()
    idle_since = today - timedelta(days=IDLE_MONTHS * 365 // 12)
    over, idle, behind = [], [], []
    for pid, code, title, status, start, end, budget, out, got, first, last in rows:
        out, got = out or ZERO, got or ZERO
        if out > got:
            over.append(
                Attention(
                    "overspent",
                    code,
                    f"spent {out} EUR, received {got} EUR",
                    None,
                    pid,
                    phrase="overspent_detail",
                    figures=(("spent", out, "money"), ("received", got, "money")),
                )
            )
        waiting_since = max(first, last) if first is not None and last is not None else first
        if (
            status == "implementation"
            and got > out
            and waiting_since is not None
            and waiting_since < idle_since
        ):
            idle.append(Attention("idle", code, f"{title} ({status})", waiting_since, pid, status=status))
        if status == "implementation" and start and end and budget and start < today < end:
            gone = Decimal((today - start).days) / Decimal((end - start).days)
            used = out / budget
            if used < gone - BEHIND_BY:
                behind.append(
                    Attention(
                        "behind",
                        code,
                        f"spent {used:.2%} of the budget in {gone:.2%} of its time",
                        start,
                        pid,
                        phrase="behind_detail",
                        figures=(("used", used, "share"), ("gone", gone, "share")),
                    )
                )
    after_end = [
        Attention(
            "after-end",
            code,
            f"{count} expenditures, {total} EUR",
            end,
            pid,
            phrase="after_end_detail",
            figures=(("count", int(count), "count"), ("amount", total or ZERO, "money")),
        )
        for code, pid, end, count, total in late_rows
    ]
    return {
        "spent_over_received": over,
        "money_idle": sorted(idle, key=lambda a: (a.since or date.min, a.record)),
        "spending_after_end": after_end,
        "delivery_behind": behind,
    }


def _overdue_milestones(session: Session, filters: Filters, today: date) -> Sequence[Any]:
    """Milestones not done whose date has passed, of the selected projects still under way."""
    return session.execute(
        sa_select(col(Project.code), col(Milestone.title), col(Milestone.due_on), col(Project.id))
        .join(Project, col(Project.id) == col(Milestone.project_id))
        .where(
            col(Project.id).in_(selected_projects(filters)),
            col(Milestone.done_on).is_(None),
            col(Milestone.due_on) < today,
            col(Project.status).not_in(["completed", "cancelled"]),
        )
        .order_by(col(Milestone.due_on))
    ).all()


def _committed(filters: Filters, *conditions: Any) -> Any:
    """The selected projects' committed pledges that meet ``conditions``, as the lists show them."""
    return (
        sa_select(
            col(Project.code),
            col(Pledge.donor),
            col(Pledge.amount),
            col(Pledge.currency),
            col(Pledge.pledged_on),
            col(Project.id),
        )
        .join(Project, col(Project.id) == col(Pledge.project_id))
        .where(
            col(Pledge.project_id).in_(selected_projects(filters)),
            col(Pledge.status) == "committed",
            *conditions,
        )
    )


def _late_reports(session: Session, filters: Filters, today: date) -> Sequence[Any]:
    """Reporting obligations still due whose date has passed, on the selected projects' agreements."""
    return session.execute(
        sa_select(
            col(Project.code),
            col(Pledge.donor),
            col(Agreement.reference),
            col(Obligation.kind),
            col(Obligation.due_on),
            col(Project.id),
        )
        .join(Agreement, col(Agreement.id) == col(Obligation.agreement_id))
        .join(Pledge, col(Pledge.id) == col(Agreement.pledge_id))
        .join(Project, col(Project.id) == col(Pledge.project_id))
        .where(
            col(Pledge.project_id).in_(selected_projects(filters)),
            col(Obligation.status) == "due",
            col(Obligation.due_on) < today,
        )
        .order_by(col(Obligation.due_on), col(Obligation.id))
    ).all()


def unusual_amounts(session: Session, filters: Filters) -> list[Attention]:
    """The selected projects' budget or pledge over ten times the largest other of its kind in the whole
    portfolio (:func:`portfolio.money.far_above`, the rule the pages confirm a typed amount by)."""
    found: list[Attention] = []
    budgets = session.execute(
        sa_select(col(Project.id), col(Project.code), col(Project.budget_eur), col(Project.request_date))
        .where(col(Project.budget_eur).is_not(None))
        .order_by(col(Project.budget_eur).desc(), col(Project.id))
        .limit(2)
    ).all()
    selected = set(session.execute(selected_projects(filters)).scalars())
    if len(budgets) == 2 and money.far_above(budgets[0][2], budgets[1][2]) and budgets[0][0] in selected:
        i, code, budget, requested = budgets[0]
        found.append(
            Attention("unusual-budget", code, f"budget: {budget} EUR", requested, i, budget, money.EUR)
        )
    pledges = session.execute(
        sa_select(
            col(Pledge.project_id),
            col(Project.code),
            col(Pledge.amount_eur),
            col(Pledge.pledged_on),
            col(Pledge.donor),
        )
        .join(Project, col(Project.id) == col(Pledge.project_id))
        .order_by(col(Pledge.amount_eur).desc(), col(Pledge.id))
        .limit(2)
    ).all()
    if len(pledges) == 2 and money.far_above(pledges[0][2], pledges[1][2]) and pledges[0][0] in selected:
        i, code, eur, on, donor = pledges[0]
        found.append(Attention("unusual-pledge", code, f"{donor}: {eur} EUR", on, i, eur, money.EUR, donor))
    return found


def participating_states(session: Session) -> set[str]:
    """The codes a beneficiary may take: OSCE participating States (Partners fund, they do not receive)."""
    return {
        str(c)
        for c in session.execute(
            sa_select(col(State.code)).where(col(State.kind) == "participating")
        ).scalars()
    }


def state_names(session: Session, lang: str) -> dict[str, str]:
    """Every State's name in ``lang`` (:func:`portfolio.states.names.name_in`), by code."""
    return names_in(list(session.execute(sa_select(State)).scalars()), lang)


# -- open interests (not pledges) -----------------------------------------------------------------------


@dataclass(frozen=True)
class DonorInterests:
    """One donor's open expressions of interest: how many, and their euros at today's rate."""

    donor: str
    label: str
    count: int
    estimate_eur: Decimal


@dataclass(frozen=True)
class OpenInterests:
    """Donors' open expressions of interest in the projects a page counts: not pledges, so counted apart.
    Each interest's euros are its amount at its currency's latest rate recorded up to this month, rounded
    to the cent as the API's ``estimate_eur``; an interest whose currency has no such rate is left out."""

    count: int
    estimate_eur: Decimal
    by_donor: list[DonorInterests]
    without_rate: int = 0


def open_interests(
    session: Session, filters: Filters, names: dict[str, str], today: date | None = None
) -> OpenInterests:
    """One GROUP BY (donor, currency, amount): interests of the same amount convert to the same cents, so
    the sum equals the sum of every interest's own estimate, exactly."""
    from portfolio.interests import repository as interests_repository
    from portfolio.interests.models import Interest

    day = today or date.today()
    rows = session.execute(
        sa_select(col(Interest.donor), col(Interest.currency), col(Interest.amount), func.count())
        .where(col(Interest.status) == "open", col(Interest.project_id).in_(selected_projects(filters)))
        .group_by(col(Interest.donor), col(Interest.currency), col(Interest.amount))
    ).all()
    rates = interests_repository.latest_rates(
        session, {str(c) for _d, c, _a, _n in rows if c != "EUR"}, f"{day.year:04d}-{day.month:02d}"
    )
    counts: dict[str, int] = {}
    euros: dict[str, Decimal] = {}
    without = 0
    for donor, currency, amount, n in rows:
        if currency == "EUR":
            each = as_money(amount)
        elif currency in rates:
            each = money.to_eur(as_money(amount), rates[currency][1])
        else:
            without += int(n)
            continue
        counts[donor] = counts.get(donor, 0) + int(n)
        euros[donor] = euros.get(donor, ZERO) + each * int(n)
    by_donor = sorted(
        (DonorInterests(d, names.get(d, d), counts[d], euros[d]) for d in counts),
        key=lambda line: (-line.estimate_eur, line.label),
    )
    return OpenInterests(sum(counts.values()), sum(euros.values(), ZERO), by_donor, without)


# -- added for the charts: each project's indicators, the donors' index ---------------------------


@dataclass(frozen=True)
class ProjectIndicator:
    """One indicator of one project, against its own target (in its own unit)."""

    project_id: int
    project_code: str
    name: str
    unit: str
    target: Decimal
    actual: Decimal | None
    baseline: Decimal = Decimal(0)  # the value before the project: no progress of its own

    @property
    def share(self) -> Decimal | None:
        """The way from the baseline to the target covered so far: (actual − baseline) ÷ (target − baseline)
        (0 = nothing done since the baseline, 1 = the target reached; for an indicator that is to fall, both
        differences are negative). The actual and the target are values of the indicator, the baseline's
        part of them being no progress: a project that has done nothing, its actual still the baseline, is
        at 0, not at baseline ÷ target. None without an actual, or with a target equal to the baseline."""
        if self.actual is None or self.target == self.baseline:
            return None
        return money.ratio(self.actual - self.baseline, self.target - self.baseline)


def project_indicators(session: Session, filters: Filters) -> list[ProjectIndicator]:
    """Every indicator of the projects a page counts, by project code then indicator name: one query."""
    rows = session.execute(
        sa_select(
            col(Project.id),
            col(Project.code),
            col(Indicator.name),
            col(Indicator.unit),
            col(Indicator.target),
            col(Indicator.actual),
            col(Indicator.baseline),
        )
        .join(Project, col(Project.id) == col(Indicator.project_id))
        .where(col(Project.id).in_(selected_projects(filters)))
        .order_by(col(Project.code), col(Indicator.name), col(Indicator.id))
    ).all()
    return [
        ProjectIndicator(
            int(i),
            str(c),
            str(n),
            str(u),
            Decimal(str(t)),
            None if a is None else Decimal(str(a)),
            Decimal(str(b or 0)),
        )
        for i, c, n, u, t, a, b in rows
    ]
