"""Every query of the projects domain. A page of projects, with its funding and progress, costs a
fixed number of statements whatever its size: one for the rows and their totals, one count, and one
each for areas, activity types and beneficiaries."""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from types import SimpleNamespace
from typing import Any, TypeVar, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Row,
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    func,
)
from sqlalchemy import select as sa_select
from sqlalchemy.orm import lazyload
from sqlmodel import Session, col, select

from portfolio.funding import repository as funding_repository
from portfolio.pagination import PageParams, paged
from portfolio.projects.models import (
    FINAL,
    Indicator,
    Milestone,
    Project,
    ProjectActivity,
    ProjectArea,
    ProjectBeneficiary,
    ProjectNorm,
    ProjectStatusChange,
)

ZERO = Decimal("0.00")
PERCENT_QUANTUM = Decimal("0.1")


@dataclass(frozen=True)
class ProjectFilters:
    status: str | None = None
    area: str | None = None
    beneficiary: str | None = None
    donor: str | None = None
    activity_type: str | None = None
    q: str | None = None
    funding: str | None = None  # "underfunded" | "funded"
    requested_from: date | None = None  # request dates, both ends included
    requested_to: date | None = None
    norm: str | None = None  # projects implementing this norm (its code)
    statuses: tuple[str, ...] = ()  # any of these statuses (beside ``status``)


@dataclass(frozen=True)
class ProjectRow:
    project: Project
    pledged_eur: Decimal
    received_eur: Decimal
    milestones_total: int
    milestones_done: int
    weight_total: Decimal
    weight_done: Decimal
    lists: dict[str, list[str]]  # areas, activity_types, beneficiaries, norms: read with the row


# A project's lists come with its row as text, one query for the page, instead of three more per request.
_LISTS: tuple[
    tuple[str, type[ProjectArea | ProjectActivity | ProjectBeneficiary | ProjectNorm], str, str], ...
] = (
    ("areas", ProjectArea, "area", "area_rows"),
    ("activity_types", ProjectActivity, "activity_type", "activity_rows"),
    ("beneficiaries", ProjectBeneficiary, "state_code", "beneficiary_rows"),
    ("norms", ProjectNorm, "norm_code", "norm_rows"),
)
_SEPARATOR = "\x1f"  # the unit separator: no code or name contains it


def _milestones_by_project(project_id: int | BindParameter[int] | None = None) -> Subquery:
    query = sa_select(
        col(Milestone.project_id),
        func.count().label("total"),
        func.count(col(Milestone.done_on)).label("done"),
        func.sum(Milestone.weight).label("weight_total"),
        func.sum(case((col(Milestone.done_on).is_not(None), Milestone.weight), else_=0)).label("weight_done"),
    )
    if project_id is not None:
        query = query.where(col(Milestone.project_id) == project_id)
    return query.group_by(col(Milestone.project_id)).subquery("milestones")


def pledged_column(pledged: Subquery) -> ColumnElement[Decimal]:
    """A project's euros pledged, from :func:`portfolio.funding.repository.pledged_by_project` joined."""
    return func.coalesce(pledged.c.pledged_eur, 0)


def shortfall_column(pledged: Subquery) -> ColumnElement[Decimal | None]:
    """Budget minus pledged: negative when a project is pledged more than its budget; null while it has
    no budget (a request), so such a project is neither underfunded nor funded and has no gap."""
    return col(Project.budget_eur) - pledged_column(pledged)


def gap_column(pledged: Subquery) -> ColumnElement[Decimal | None]:
    """What a project still lacks: the shortfall, never below zero."""
    shortfall = shortfall_column(pledged)
    return case((shortfall.is_(None), None), (shortfall > 0, shortfall), else_=0)


def open_gap_column(status: Any, pledged_eur: Any) -> ColumnElement[Decimal]:
    """The open gap of one project, the one definition of every figure named "open gap": what the project
    still lacks — budget − pledged, never below zero — while it is neither completed nor cancelled (at any
    stage, on hold included); zero once it is closed, since its shortfall is no longer sought, and while it
    has no budget yet. ``status`` and ``pledged_eur`` are the project's status and euros pledged as of the
    day the figure is about: today on the dashboards, the end of the period in the period report."""
    shortfall = col(Project.budget_eur) - pledged_eur
    return case((and_(status.not_in(sorted(FINAL)), shortfall > 0), shortfall), else_=0)


def percent_done(weight_done: Decimal, weight_total: Decimal) -> Decimal | None:
    """Progress: done weight ÷ total weight × 100, one decimal, half up; None without milestones."""
    if weight_total <= 0:
        return None
    return (weight_done / weight_total * 100).quantize(PERCENT_QUANTUM, rounding=ROUND_HALF_UP)


AnySelect = Select[*tuple[Any, ...]]
Q = TypeVar("Q", bound=AnySelect)


def _filtered(query: Q, filters: ProjectFilters, pledged: Subquery) -> Q:
    if filters.status is not None:
        query = query.where(col(Project.status) == filters.status)
    if filters.statuses:
        query = query.where(col(Project.status).in_(filters.statuses))
    if filters.requested_from is not None:
        query = query.where(col(Project.request_date) >= filters.requested_from)
    if filters.requested_to is not None:
        query = query.where(col(Project.request_date) <= filters.requested_to)
    if filters.area is not None:
        query = query.where(
            col(Project.id).in_(select(ProjectArea.project_id).where(ProjectArea.area == filters.area))
        )
    if filters.activity_type is not None:
        query = query.where(
            col(Project.id).in_(
                select(ProjectActivity.project_id).where(
                    ProjectActivity.activity_type == filters.activity_type
                )
            )
        )
    if filters.beneficiary is not None:
        query = query.where(
            col(Project.id).in_(
                select(ProjectBeneficiary.project_id).where(
                    ProjectBeneficiary.state_code == filters.beneficiary
                )
            )
        )
    if filters.donor is not None:
        query = query.where(col(Project.id).in_(funding_repository.project_ids_with_donor(filters.donor)))
    if filters.norm is not None:
        query = query.where(
            col(Project.id).in_(select(ProjectNorm.project_id).where(ProjectNorm.norm_code == filters.norm))
        )
    if filters.q:
        query = query.where(
            col(Project.code).icontains(filters.q, autoescape=True)
            | col(Project.title).icontains(filters.q, autoescape=True)
        )
    if filters.funding == "underfunded":
        query = query.where(pledged_column(pledged) < col(Project.budget_eur))
    elif filters.funding == "funded":
        query = query.where(pledged_column(pledged) >= col(Project.budget_eur))
    return query


SORTS = {
    "code": col(Project.code),
    "title": col(Project.title),
    "request_date": col(Project.request_date),
    "budget_eur": col(Project.budget_eur),
    "start_date": col(Project.start_date),
}


def _rows_query(
    filters: ProjectFilters, project_id: int | BindParameter[int] | None = None
) -> tuple[AnySelect, Subquery]:
    pledged = funding_repository.pledged_by_project(project_id)
    received = funding_repository.received_by_project(project_id)
    milestones = _milestones_by_project(project_id)
    lists = [
        sa_select(func.aggregate_strings(getattr(model, column), _SEPARATOR))
        .where(col(model.project_id) == col(Project.id))
        .correlate(Project)
        .scalar_subquery()
        .label(name)
        for name, model, column, _ in _LISTS
    ]
    query = (
        sa_select(
            Project,
            *lists,
            pledged_column(pledged).label("pledged_eur"),
            func.coalesce(received.c.received_eur, 0).label("received_eur"),
            func.coalesce(milestones.c.total, 0),
            func.coalesce(milestones.c.done, 0),
            func.coalesce(milestones.c.weight_total, 0),
            func.coalesce(milestones.c.weight_done, 0),
        )
        .outerjoin(pledged, pledged.c.project_id == col(Project.id))
        .outerjoin(received, received.c.project_id == col(Project.id))
        .outerjoin(milestones, milestones.c.project_id == col(Project.id))
        .options(*(lazyload(getattr(Project, rows)) for *_, rows in _LISTS))
    )
    return _filtered(query, filters, pledged), pledged


def _to_row(values: Row[*tuple[Any, ...]]) -> ProjectRow:
    project, *listed = values[: 1 + len(_LISTS)]
    pledged, received, total, done, weight_total, weight_done = values[1 + len(_LISTS) :]
    texts = dict(zip((name for name, *_ in _LISTS), listed, strict=True))
    return ProjectRow(
        lists={name: sorted(text.split(_SEPARATOR)) if text else [] for name, text in texts.items()},
        project=project,
        pledged_eur=_as_decimal(pledged),
        received_eur=_as_decimal(received),
        milestones_total=int(total),
        milestones_done=int(done),
        weight_total=_as_decimal(weight_total),
        weight_done=_as_decimal(weight_done),
    )


def _as_decimal(value: object) -> Decimal:
    # Sums come back through the column's exact type; a bare 0 from COALESCE comes back as an int.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def list_projects(
    session: Session, filters: ProjectFilters, sort: str, limit: int, offset: int
) -> tuple[list[ProjectRow], int]:
    query, pledged = _rows_query(filters)
    ids = sa_select(col(Project.id)).outerjoin(pledged, pledged.c.project_id == col(Project.id))
    field = sort.removeprefix("-")
    key = gap_column(pledged) if field == "gap_eur" else SORTS[field]
    order = (key.desc() if sort.startswith("-") else key.asc()).nulls_last()  # no date: after those with one
    rows, total = paged(
        session,
        query,
        PageParams(limit, offset),
        order,
        col(Project.id),
        count_query=_filtered(ids, filters, pledged),
    )
    return [_to_row(r) for r in rows], total


def filtered_ids(filters: ProjectFilters) -> AnySelect:
    """The ids of the projects the filters select, as a subquery for other queries (joined to the
    pledged totals only when the funding filter needs them)."""
    pledged = funding_repository.pledged_by_project()
    ids = sa_select(col(Project.id))
    if filters.funding is not None:
        ids = ids.outerjoin(pledged, pledged.c.project_id == col(Project.id))
    return _filtered(ids, filters, pledged)


@cache
def _one_row_query() -> AnySelect:
    """One project's row, built once: building this statement costs more than running it."""
    project_id = bindparam("project_id", type_=Integer)
    query, _ = _rows_query(ProjectFilters(), project_id)
    return query.where(col(Project.id) == project_id)


def get_project_row(session: Session, project_id: int) -> ProjectRow | None:
    found = session.execute(_one_row_query(), {"project_id": project_id}).first()
    return _to_row(found) if found is not None else None


def get_project(session: Session, project_id: int, *, for_update: bool = False) -> Project | None:
    if not for_update:
        return session.get(Project, project_id)  # from the session when it already holds the project
    return session.exec(select(Project).where(Project.id == project_id).with_for_update()).first()


def get_project_by_code(session: Session, code: str) -> Project | None:
    return session.exec(select(Project).where(Project.code == code)).first()


def existing_project_ids(session: Session, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set(session.exec(select(Project.id).where(col(Project.id).in_(ids))))  # type: ignore[arg-type]


def status_history(session: Session, project_id: int) -> list[ProjectStatusChange]:
    return list(
        session.exec(
            select(ProjectStatusChange)
            .where(ProjectStatusChange.project_id == project_id)
            .order_by(col(ProjectStatusChange.changed_on), col(ProjectStatusChange.id))
        )
    )


def last_status_change(session: Session, project_id: int) -> ProjectStatusChange | None:
    return session.exec(
        select(ProjectStatusChange)
        .where(ProjectStatusChange.project_id == project_id)
        .order_by(col(ProjectStatusChange.changed_on).desc(), col(ProjectStatusChange.id).desc())
        .limit(1)
    ).first()


PartT = TypeVar("PartT", Milestone, Indicator)
PART_ORDER: dict[type[Milestone | Indicator], tuple[Any, ...]] = {
    Milestone: (col(Milestone.due_on).is_(None), col(Milestone.due_on), col(Milestone.id)),
    Indicator: (col(Indicator.id),),
}


def list_parts(session: Session, model: type[PartT], project_id: int) -> list[PartT]:
    """A project's milestones (by due date, undated last) or indicators (in the order they were added)."""
    query = select(model).where(col(model.project_id) == project_id).order_by(*PART_ORDER[model])
    return list(session.exec(query))


def list_milestones(session: Session, project_id: int) -> list[Milestone]:
    return list_parts(session, Milestone, project_id)


def list_indicators(session: Session, project_id: int) -> list[Indicator]:
    return list_parts(session, Indicator, project_id)


def get_part(
    session: Session, model: type[PartT], project_id: int, part_id: int, *, for_update: bool = False
) -> PartT | None:
    query = select(model).where(col(model.id) == part_id, col(model.project_id) == project_id)
    return session.exec(query.with_for_update() if for_update else query).first()


def projects_by_codes(session: Session, codes: list[str], chunk: int = 500) -> dict[str, Project]:
    """The projects holding these codes, by code; their link lists load when first used."""
    found: dict[str, Project] = {}
    for start in range(0, len(codes), chunk):
        projects = session.exec(
            select(Project).where(col(Project.code).in_(codes[start : start + chunk])).options(lazyload("*"))
        )
        found.update({p.code: p for p in projects})
    return found


# -- one project for a read: no ORM instance ----------------------------------------------------------


class ProjectColumns(SimpleNamespace):
    """A project's columns as read, for answering a read: no ORM instance (building one costs more than
    the query), not attached to the session, never written back."""


@cache
def _project_columns() -> tuple[str, ...]:
    return tuple(column.key for column in Project.__table__.columns)  # type: ignore[attr-defined]


def read_project_row(session: Session, project_id: int) -> ProjectRow | None:
    """:func:`get_project_row` for a read that changes nothing: the same statement, through Core."""
    found = session.connection().execute(_one_row_query(), {"project_id": project_id}).first()
    if found is None:
        return None
    names = _project_columns()
    project = ProjectColumns(**dict(zip(names, found[: len(names)], strict=True)))
    return _to_row((cast(Project, project), *found[len(names) :]))  # type: ignore[arg-type]


# -- reads for the staff pages ------------------------------------------------------------------------


def overdue_milestones(
    session: Session, today: date, limit: int
) -> tuple[list[tuple[Milestone, str, str]], int]:
    """Milestones due before ``today`` and not done, the longest overdue first, each with its project's
    code and title, and how many there are (two statements)."""
    query: AnySelect = (
        sa_select(Milestone, col(Project.code), col(Project.title))
        .join(Project, col(Project.id) == col(Milestone.project_id))
        .where(col(Milestone.done_on).is_(None), col(Milestone.due_on) < today)
    )
    rows, total = paged(session, query, PageParams(limit, 0), col(Milestone.due_on), col(Milestone.id))
    return [(m, code, title) for m, code, title in rows], total


def codes_and_titles(session: Session, ids: list[int]) -> dict[int, tuple[str, str]]:
    """The code and title of each of these projects, by id, in one statement."""
    if not ids:
        return {}
    found = session.execute(
        sa_select(col(Project.id), col(Project.code), col(Project.title)).where(col(Project.id).in_(ids))
    )
    return {i: (code, title) for i, code, title in found}


# -- the norms projects implement -------------------------------------------------------------------


def codes_naming_norm(session: Session, norm_code: str) -> list[str]:
    """The codes of the projects that name this norm, in order (one statement)."""
    query = (
        sa_select(col(Project.code))
        .join(ProjectNorm, col(ProjectNorm.project_id) == col(Project.id))
        .where(col(ProjectNorm.norm_code) == norm_code)
        .order_by(col(Project.code))
    )
    return list(session.execute(query).scalars())


def largest_budget(session: Session, except_id: int | None = None) -> Decimal | None:
    """The largest budget of the projects but ``except_id``; None when none has one."""
    query = sa_select(func.max(col(Project.budget_eur)))
    if except_id is not None:
        query = query.where(col(Project.id) != except_id)
    value = session.execute(query).scalar_one()
    return None if value is None else _as_decimal(value)
