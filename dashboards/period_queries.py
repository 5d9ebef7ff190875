"""What the period report counts: the only module of the report that reads the database.

Each figure is one SQL aggregate (or one list) over the records dated inside the period, both ends
included; amounts come back as exact Decimals. The definitions the report prints beside each figure are
those of the functions below."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, distinct, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from dashboards.kit import ZERO, as_money, as_quantity
from dashboards.kit import Period as Period  # the report's period, the kit's
from dashboards.queries import CLOSED
from dashboards.queries import state_names as state_names  # the report's States, named as the pages name them
from portfolio.funding.models import Pledge, Receipt
from portfolio.funding.repository import COUNTS_AS_PLEDGED
from portfolio.processes.models import NationalProcess, NationalProcessStageChange
from portfolio.projects.models import (
    Indicator,
    Project,
    ProjectArea,
    ProjectBeneficiary,
    ProjectStatusChange,
)
from portfolio.projects.repository import open_gap_column

COMMITTED = ("committed", "paid")  # a pledge whose agreement is signed (paid: and settled)
# A move into implementation from these is a resumption (after a hold) or a reopening, not a start.
NOT_A_START = ("on_hold", "completed", "cancelled")
TOTAL = "total"


# -- projects ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectMove:
    """A project and the day it did what the list counts (its request, or its first such move)."""

    id: int
    code: str
    title: str
    beneficiaries: tuple[str, ...]
    on: date


def _beneficiaries(session: Session, ids: Select[Any]) -> dict[int, tuple[str, ...]]:
    rows = session.execute(
        sa_select(col(ProjectBeneficiary.project_id), col(ProjectBeneficiary.state_code))
        .where(col(ProjectBeneficiary.project_id).in_(ids))
        .order_by(col(ProjectBeneficiary.project_id), col(ProjectBeneficiary.state_code))
    ).all()
    out: dict[int, list[str]] = {}
    for project_id, code in rows:
        out.setdefault(int(project_id), []).append(str(code))
    return {k: tuple(v) for k, v in out.items()}


def _project_moves(session: Session, dated: Any) -> list[ProjectMove]:
    """``dated``: a subquery of (project_id, on); the projects in it with their beneficiaries."""
    rows = session.execute(
        sa_select(col(Project.id), col(Project.code), col(Project.title), dated.c.on)
        .join(dated, dated.c.project_id == col(Project.id))
        .order_by(dated.c.on, col(Project.code))
    ).all()
    names = _beneficiaries(session, sa_select(dated.c.project_id))
    return [ProjectMove(int(i), str(c), str(t), names.get(int(i), ()), on) for i, c, t, on in rows]


def requests_received(session: Session, period: Period) -> list[ProjectMove]:
    """Projects whose request_date lies in the period."""
    dated = (
        sa_select(col(Project.id).label("project_id"), col(Project.request_date).label("on"))
        .where(col(Project.request_date).between(period.start, period.end))
        .subquery("dated")
    )
    return _project_moves(session, dated)


def moves_into(session: Session, period: Period, status: str) -> list[ProjectMove]:
    """Projects with a move into ``status`` dated in the period, each once, on the first such day. A move
    into implementation counts as a start only from an earlier stage (not a resumption after a hold, nor a
    reopening)."""
    query: Any = sa_select(
        col(ProjectStatusChange.project_id).label("project_id"),
        func.min(col(ProjectStatusChange.changed_on)).label("on"),
    ).where(
        col(ProjectStatusChange.to_status) == status,
        col(ProjectStatusChange.changed_on).between(period.start, period.end),
    )
    if status == "implementation":
        query = query.where(
            or_(
                col(ProjectStatusChange.from_status).is_(None),
                col(ProjectStatusChange.from_status).not_in(NOT_A_START),
            )
        )
    dated = query.group_by(col(ProjectStatusChange.project_id)).subquery("dated")
    return _project_moves(session, dated)


def _status_on(day: date, *, before: bool = False) -> Any:
    """project_id → ``status``: where each project stood at the end of ``day`` (at its start with
    ``before``), from its status history (the last change recorded up to then; the history of a project
    is recorded in date order, so the highest id is the last change)."""
    when = col(ProjectStatusChange.changed_on) < day if before else col(ProjectStatusChange.changed_on) <= day
    last = (
        sa_select(func.max(col(ProjectStatusChange.id)).label("id"))
        .where(when)
        .group_by(col(ProjectStatusChange.project_id))
    )
    return (
        sa_select(
            col(ProjectStatusChange.project_id).label("project_id"),
            col(ProjectStatusChange.to_status).label("status"),
        )
        .where(col(ProjectStatusChange.id).in_(last))
        .subquery("status_on")
    )


def implemented_in(period: Period) -> Any:
    """The ids of the projects in implementation at some time in the period: in implementation when it
    began, or moved into implementation (or completed) during it."""
    before = _status_on(period.start, before=True)
    already = sa_select(before.c.project_id).where(before.c.status == "implementation")
    moved = sa_select(col(ProjectStatusChange.project_id)).where(
        col(ProjectStatusChange.to_status).in_(("implementation", "completed")),
        col(ProjectStatusChange.changed_on).between(period.start, period.end),
    )
    return already.union(moved)


# -- money ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoneyLine:
    """Pledged, committed and received in the period under one key (a donor, an area, a State), or in all."""

    key: str
    pledged_eur: Decimal
    committed_eur: Decimal
    received_eur: Decimal


def _pledged(
    session: Session, period: Period, key: Any, link: tuple[Any, Any] | None
) -> dict[str, tuple[Decimal, Decimal]]:
    query = sa_select(
        *([] if key is None else [key]),
        func.coalesce(func.sum(col(Pledge.amount_eur)), 0),
        func.coalesce(
            func.sum(case((col(Pledge.status).in_(COMMITTED), col(Pledge.amount_eur)), else_=0)), 0
        ),
    )
    if link is not None:
        query = query.join(*link)
    query = query.where(COUNTS_AS_PLEDGED, col(Pledge.pledged_on).between(period.start, period.end))
    if key is None:
        p, c = session.execute(query).one()
        return {TOTAL: (as_money(p), as_money(c))}
    rows = session.execute(query.group_by(key)).all()
    return {str(k): (as_money(p), as_money(c)) for k, p, c in rows}


def _received(session: Session, period: Period, key: Any, link: tuple[Any, Any] | None) -> dict[str, Decimal]:
    query = sa_select(
        *([] if key is None else [key]), func.coalesce(func.sum(col(Receipt.amount_eur)), 0)
    ).join(Pledge, col(Pledge.id) == col(Receipt.pledge_id))
    if link is not None:
        query = query.join(*link)
    query = query.where(col(Receipt.received_on).between(period.start, period.end))
    if key is None:
        return {TOTAL: as_money(session.execute(query).scalar_one())}
    return {str(k): as_money(v) for k, v in session.execute(query.group_by(key)).all()}


def _money_by(session: Session, period: Period, key: Any, link: tuple[Any, Any] | None) -> list[MoneyLine]:
    pledged = _pledged(session, period, key, link)
    received = _received(session, period, key, link)
    lines = [
        MoneyLine(k, *pledged.get(k, (ZERO, ZERO)), received.get(k, ZERO))
        for k in pledged.keys() | received.keys()
    ]
    return sorted(lines, key=lambda m: (-m.pledged_eur, -m.received_eur, m.key))


def money_totals(session: Session, period: Period) -> MoneyLine:
    """Σ pledges not withdrawn with pledged_on in the period (€ at each pledge's rate); of them, those
    committed or paid; Σ receipts with received_on in the period (€ at each receipt's month's rate)."""
    return _money_by(session, period, None, None)[0]


def money_by_donor(session: Session, period: Period) -> list[MoneyLine]:
    return _money_by(session, period, col(Pledge.donor), None)


def money_by_area(session: Session, period: Period) -> list[MoneyLine]:
    """A project in both areas counts in full under each (the dashboards' rule)."""
    link = (ProjectArea, col(ProjectArea.project_id) == col(Pledge.project_id))
    return _money_by(session, period, col(ProjectArea.area), link)


def money_by_beneficiary(session: Session, period: Period) -> list[MoneyLine]:
    """A project helping several States counts in full under each (the dashboards' rule)."""
    link = (ProjectBeneficiary, col(ProjectBeneficiary.project_id) == col(Pledge.project_id))
    return _money_by(session, period, col(ProjectBeneficiary.state_code), link)


# -- outputs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputLine:
    measure: str
    projects: int
    indicators: int
    target: Decimal
    actual: Decimal
    actual_women: Decimal
    actual_men: Decimal

    @property
    def not_recorded(self) -> Decimal:
        return self.actual - self.actual_women - self.actual_men


def outputs(session: Session, period: Period) -> list[OutputLine]:
    """Per standard measure, the indicators of the projects in implementation at some time in the period:
    Σ target and Σ actual as last recorded; women and men of the actual (of indicators with an actual)."""
    has_actual = col(Indicator.actual).is_not(None)
    rows = session.execute(
        sa_select(
            col(Indicator.measure),
            func.count(distinct(col(Indicator.project_id))),
            func.count(),
            func.coalesce(func.sum(col(Indicator.target)), 0),
            func.coalesce(func.sum(col(Indicator.actual)), 0),
            func.coalesce(func.sum(case((has_actual, func.coalesce(col(Indicator.actual_women), 0)))), 0),
            func.coalesce(func.sum(case((has_actual, func.coalesce(col(Indicator.actual_men), 0)))), 0),
        )
        .where(col(Indicator.measure).is_not(None), col(Indicator.project_id).in_(implemented_in(period)))
        .group_by(col(Indicator.measure))
    ).all()
    return [
        OutputLine(str(m), int(p), int(n), as_quantity(t), as_quantity(a), as_quantity(w), as_quantity(men))
        for m, p, n, t, a, w, men in rows
    ]


# -- national processes --------------------------------------------------------------------------


@dataclass(frozen=True)
class StageMove:
    process_id: int
    state: str
    name: str
    kind: str
    from_stage: str | None
    to_stage: str
    on: date


def stage_moves(session: Session, period: Period) -> list[StageMove]:
    """Every stage change dated in the period (a process's first stage, when recorded, has no "from")."""
    rows = session.execute(
        sa_select(
            col(NationalProcess.id),
            col(NationalProcess.state),
            col(NationalProcess.name),
            col(NationalProcess.kind),
            col(NationalProcessStageChange.from_stage),
            col(NationalProcessStageChange.to_stage),
            col(NationalProcessStageChange.changed_on),
        )
        .join(NationalProcess, col(NationalProcess.id) == col(NationalProcessStageChange.process_id))
        .where(col(NationalProcessStageChange.changed_on).between(period.start, period.end))
        .order_by(
            col(NationalProcessStageChange.changed_on),
            col(NationalProcess.state),
            col(NationalProcess.name),
            col(NationalProcessStageChange.id),
        )
    ).all()
    return [StageMove(int(i), str(s), str(n), str(k), f, str(t), on) for i, s, n, k, f, t, on in rows]


# -- the open gap at the end ---------------------------------------------------------------------


@dataclass(frozen=True)
class OpenNeed:
    id: int
    code: str
    title: str
    beneficiaries: tuple[str, ...]
    status: str
    budget_eur: Decimal
    pledged_eur: Decimal
    gap_eur: Decimal


def open_needs(session: Session, period: Period) -> list[OpenNeed]:
    """The projects with an open gap at the end of the period: neither completed nor cancelled by their
    status history on that day, whose budget exceeds Σ pledges not withdrawn pledged up to it — the open
    gap as the dashboards count it today (:func:`portfolio.projects.repository.open_gap_column`), on the
    period's last day; largest gap first."""
    status = _status_on(period.end)
    pledged = (
        sa_select(col(Pledge.project_id).label("project_id"), func.sum(col(Pledge.amount_eur)).label("eur"))
        .where(COUNTS_AS_PLEDGED, col(Pledge.pledged_on) <= period.end)
        .group_by(col(Pledge.project_id))
        .subquery("pledged_by_end")
    )
    pledged_eur = func.coalesce(pledged.c.eur, 0)
    gap = open_gap_column(status.c.status, pledged_eur)
    query = (
        sa_select(
            col(Project.id),
            col(Project.code),
            col(Project.title),
            status.c.status,
            col(Project.budget_eur),
            pledged_eur,
            gap,
        )
        .join(status, status.c.project_id == col(Project.id))
        .outerjoin(pledged, pledged.c.project_id == col(Project.id))
        .where(gap > 0)
        .order_by(gap.desc(), col(Project.code))
    )
    rows = session.execute(query).all()
    names = _beneficiaries(session, sa_select(status.c.project_id).where(status.c.status.not_in(CLOSED)))
    return [
        OpenNeed(int(i), str(c), str(t), names.get(int(i), ()), str(s), as_money(b), as_money(p), as_money(g))
        for i, c, t, s, b, p, g in rows
    ]


def open_gap(needs: list[OpenNeed]) -> Decimal:
    """Σ of the projects' gaps (:func:`open_needs`): the dashboards' open gap on the period's last day."""
    return sum((n.gap_eur for n in needs), ZERO)
