"""The aggregates of the Results page: what projects achieved, counted in standard measures
(``portfolio.projects.measures``) so that outputs add up across projects; what each unit cost; and what
the projects under each OSCE norm hold. Each is one SQL GROUP BY over the projects the page's filters
select (the same selection as the other dashboards); only the medians are taken in Python, over one row
per project and measure.

An indicator counts with its ``actual`` (what has been achieved; nothing while it is not measured) and
its ``target``. Results carry no dates of their own yet, so an output's year is the year its actual was
last recorded: the latest write the audit trail holds that gave the indicator an actual (its creation
with one, or a change of it), else, for an indicator written without an audit trail (the synthetic
portfolio), the last time the indicator changed."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import distinct, extract, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from dashboards.filters import Filters
from dashboards.queries import selected_projects
from portfolio.audit.models import AuditEntry
from portfolio.funding import repository as funding_repository
from portfolio.norms import repository as norms_repository
from portfolio.norms.titles import title_in
from portfolio.projects.measures import BY_CODE, MEASURES
from portfolio.projects.models import Indicator, Project, ProjectArea, ProjectBeneficiary, ProjectNorm

ZERO = Decimal(0)
CENT = Decimal("0.01")
MEASURE_ORDER = {m.code: i for i, m in enumerate(MEASURES)}


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def _measured() -> Any:
    """Indicators with a standard measure, of the projects the page counts."""
    return col(Indicator.measure).in_(list(BY_CODE))


@dataclass(frozen=True)
class MeasureTotal:
    measure: str
    projects: int
    target: Decimal
    actual: Decimal
    women: Decimal  # of the actual, for people counts
    men: Decimal

    @property
    def not_recorded(self) -> Decimal:
        """People counted whose sex was not recorded: the actual less women and men."""
        return max(self.actual - self.women - self.men, ZERO)

    @property
    def achieved(self) -> Decimal | None:
        """actual ÷ target, 4 decimals; None without a target."""
        return (self.actual / self.target).quantize(Decimal("0.0001")) if self.target > 0 else None


def measure_totals(session: Session, filters: Filters) -> list[MeasureTotal]:
    rows = session.execute(
        sa_select(
            col(Indicator.measure),
            func.count(distinct(col(Indicator.project_id))),
            func.coalesce(func.sum(col(Indicator.target)), 0),
            func.coalesce(func.sum(col(Indicator.actual)), 0),
            func.coalesce(func.sum(col(Indicator.actual_women)), 0),
            func.coalesce(func.sum(col(Indicator.actual_men)), 0),
        )
        .where(_measured(), col(Indicator.project_id).in_(selected_projects(filters)))
        .group_by(col(Indicator.measure))
    ).all()
    found = [MeasureTotal(m, int(n), _dec(t), _dec(a), _dec(w), _dec(x)) for m, n, t, a, w, x in rows]
    return sorted(found, key=lambda r: MEASURE_ORDER[r.measure])


@dataclass(frozen=True)
class MeasureSplit:
    """What was achieved of one measure under one key (an area, a State, a year)."""

    key: str | int | None
    measure: str
    actual: Decimal
    projects: int


def _split(session: Session, filters: Filters, key: Any, join: tuple[Any, ...] | None) -> list[MeasureSplit]:
    query = sa_select(
        key, col(Indicator.measure), func.coalesce(func.sum(col(Indicator.actual)), 0),
        func.count(distinct(col(Indicator.project_id))),
    )  # fmt: skip
    if join is not None:
        target, on, *options = join
        query = query.join(target, on, **(options[0] if options else {}))
    rows = session.execute(
        query.where(_measured(), col(Indicator.project_id).in_(selected_projects(filters))).group_by(
            key, col(Indicator.measure)
        )
    ).all()
    return [
        MeasureSplit(k if k is None or isinstance(k, str) else int(k), m, _dec(a), int(n))
        for k, m, a, n in rows
    ]


def by_area(session: Session, filters: Filters) -> list[MeasureSplit]:
    join = (ProjectArea, col(ProjectArea.project_id) == col(Indicator.project_id))
    return _split(session, filters, col(ProjectArea.area), join)


def by_beneficiary(session: Session, filters: Filters) -> list[MeasureSplit]:
    join = (ProjectBeneficiary, col(ProjectBeneficiary.project_id) == col(Indicator.project_id))
    return _split(session, filters, col(ProjectBeneficiary.state_code), join)


def by_year(session: Session, filters: Filters) -> list[MeasureSplit]:
    """By the year the indicator's actual was last recorded (see the module's note)."""
    recorded = (
        sa_select(col(AuditEntry.entity_id).label("indicator_id"), func.max(col(AuditEntry.at)).label("at"))
        .where(
            col(AuditEntry.entity) == "indicator",
            col(AuditEntry.action).in_(("create", "update")),
            # the write gave the indicator an actual: its changes hold "actual": [old, new], new not null
            col(AuditEntry.changes)[("actual", 1)].as_string().is_not(None),
        )
        .group_by(col(AuditEntry.entity_id))
        .subquery("recorded")
    )
    join = (recorded, recorded.c.indicator_id == col(Indicator.id), {"isouter": True})
    year = extract("year", func.coalesce(recorded.c.at, col(Indicator.updated_at)))
    return _split(session, filters, year, join)


# -- cost-efficiency ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitCost:
    """One project's output of one measure, and its budget and receipts per unit of it."""

    measure: str
    project_id: int
    code: str
    title: str
    actual: Decimal
    budget_eur: Decimal
    received_eur: Decimal

    @property
    def budget_per_unit(self) -> Decimal:
        return (self.budget_eur / self.actual).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def received_per_unit(self) -> Decimal:
        return (self.received_eur / self.actual).quantize(CENT, rounding=ROUND_HALF_UP)


def unit_costs(session: Session, filters: Filters) -> list[UnitCost]:
    """Per project and measure with something achieved (actual > 0): the whole budget and every euro
    received, each divided by that output."""
    received = funding_repository.received_by_project(among=selected_projects(filters))
    actual = func.sum(col(Indicator.actual))
    rows = session.execute(
        sa_select(
            col(Indicator.measure),
            col(Project.id),
            col(Project.code),
            col(Project.title),
            actual,
            col(Project.budget_eur),
            func.coalesce(received.c.received_eur, 0),
        )
        .join(Project, col(Project.id) == col(Indicator.project_id))
        .outerjoin(received, received.c.project_id == col(Project.id))
        .where(
            _measured(),
            col(Indicator.project_id).in_(selected_projects(filters)),
            col(Project.budget_eur).is_not(None),  # a cost per unit needs a budget
        )
        .group_by(
            col(Indicator.measure),
            col(Project.id),
            col(Project.code),
            col(Project.title),
            col(Project.budget_eur),
            received.c.received_eur,
        )
        .having(actual > 0)
    ).all()
    found = [UnitCost(m, int(i), c, t, _dec(a), _dec(b), _dec(r)) for m, i, c, t, a, b, r in rows]
    return sorted(found, key=lambda u: (MEASURE_ORDER[u.measure], u.budget_per_unit, u.code))


@dataclass(frozen=True)
class CostSpread:
    """The portfolio's median and range of the cost per unit of one measure, over its projects."""

    measure: str
    projects: int
    median_budget: Decimal
    min_budget: Decimal
    max_budget: Decimal
    median_received: Decimal
    min_received: Decimal
    max_received: Decimal


def _median(values: Sequence[Decimal]) -> Decimal:
    return Decimal(statistics.median(values)).quantize(CENT, rounding=ROUND_HALF_UP)


def cost_spread(costs: list[UnitCost]) -> list[CostSpread]:
    spreads = []
    for code in sorted({c.measure for c in costs}, key=MEASURE_ORDER.__getitem__):
        mine = [c for c in costs if c.measure == code]
        budget = [c.budget_per_unit for c in mine]
        received = [c.received_per_unit for c in mine]
        spreads.append(
            CostSpread(
                code,
                len(mine),
                _median(budget),
                min(budget),
                max(budget),
                _median(received),
                min(received),
                max(received),
            )
        )
    return spreads


# -- norms ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NormLine:
    code: str
    title: str
    titles: Mapping[str, str]  # the recorded titles in other languages, by language code
    builtin: bool
    kind: str
    projects: int
    budget_eur: Decimal
    pledged_eur: Decimal
    outputs: dict[str, Decimal]  # measure → achieved

    def label(self, lang: str) -> str:
        return title_in(self, lang)


def by_norm(session: Session, filters: Filters) -> list[NormLine]:
    """Every norm of the catalogue, with the projects the page counts that name it: how many, their
    budget and pledges (euros), and their outputs by measure. A project under several norms counts in
    full under each."""
    selected = selected_projects(filters)
    pledged = funding_repository.pledged_by_project(among=selected)
    counts = session.execute(
        sa_select(
            col(ProjectNorm.norm_code),
            func.count(col(Project.id)),
            func.coalesce(func.sum(col(Project.budget_eur)), 0),
            func.coalesce(func.sum(pledged.c.pledged_eur), 0),
        )
        .join(Project, col(Project.id) == col(ProjectNorm.project_id))
        .outerjoin(pledged, pledged.c.project_id == col(Project.id))
        .where(col(Project.id).in_(selected))
        .group_by(col(ProjectNorm.norm_code))
    ).all()
    outputs = session.execute(
        sa_select(
            col(ProjectNorm.norm_code),
            col(Indicator.measure),
            func.coalesce(func.sum(col(Indicator.actual)), 0),
        )
        .join(Indicator, col(Indicator.project_id) == col(ProjectNorm.project_id))
        .where(_measured(), col(Indicator.project_id).in_(selected))
        .group_by(col(ProjectNorm.norm_code), col(Indicator.measure))
    ).all()
    by_code = {c: (int(n), _dec(b), _dec(p)) for c, n, b, p in counts}
    made: dict[str, dict[str, Decimal]] = {}
    for code, measure, actual in outputs:
        made.setdefault(code, {})[measure] = _dec(actual)
    return [
        NormLine(
            norm.code,
            norm.title,
            norm.titles,
            norm.builtin,
            norm.kind,
            *by_code.get(norm.code, (0, ZERO, ZERO)),
            made.get(norm.code, {}),
        )
        for norm in norms_repository.list_norms(session)
    ]
