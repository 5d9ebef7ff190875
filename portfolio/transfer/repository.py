"""The queries behind the exports, the IATI publication and the importer's look-ups: whole selections in key
order, a fixed number of statements each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Row, func, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from portfolio.agreements import repository as agreements_repository
from portfolio.agreements.models import Agreement, Obligation
from portfolio.agreements.repository import ObligationFilters
from portfolio.audit.models import AuditEntry
from portfolio.funding import repository as funding_repository
from portfolio.funding.models import ExchangeRate, Pledge, Receipt
from portfolio.funding.repository import PledgeFilters
from portfolio.processes import repository as processes_repository
from portfolio.processes.models import NationalProcess, NationalProcessProject, NationalProcessStageChange
from portfolio.processes.repository import ProcessFilters
from portfolio.projects import repository as projects_repository
from portfolio.projects.models import Indicator, Milestone, Project, ProjectStatusChange
from portfolio.projects.repository import AnySelect, ProjectFilters
from portfolio.spending.models import BudgetLine, Expenditure
from portfolio.states.models import State
from portfolio.users.models import User


def projects(session: Session, filters: ProjectFilters) -> Sequence[Project]:
    ids = projects_repository.filtered_ids(filters).subquery()
    return session.exec(
        select(Project).where(col(Project.id).in_(sa_select(ids.c.id))).order_by(Project.code)
    ).all()


def status_dates(session: Session, filters: ProjectFilters) -> dict[int, date]:
    """When each selected project reached its current status: its latest status change."""
    ids = projects_repository.filtered_ids(filters).subquery()
    found = session.execute(
        sa_select(col(ProjectStatusChange.project_id), func.max(col(ProjectStatusChange.changed_on)))
        .where(col(ProjectStatusChange.project_id).in_(sa_select(ids.c.id)))
        .group_by(col(ProjectStatusChange.project_id))
    ).all()
    return {int(project_id): on for project_id, on in found}


def project_codes(session: Session, ids: Sequence[int]) -> list[str]:
    if not ids:
        return []
    return sorted(session.exec(select(Project.code).where(col(Project.id).in_(list(ids)))).all())


def states(session: Session) -> Sequence[State]:
    return session.exec(select(State).order_by(col(State.code))).all()


Part = TypeVar("Part", Milestone, Indicator)


def parts(session: Session, model: type[Part], filters: ProjectFilters) -> Sequence[Row[Part, str]]:
    """The milestones or indicators of the selected projects, each with its project's code."""
    ids = projects_repository.filtered_ids(filters).subquery()
    return session.execute(
        sa_select(model, col(Project.code))
        .join(Project, col(Project.id) == col(model.project_id))
        .where(col(model.project_id).in_(sa_select(ids.c.id)))
        .order_by(col(Project.code), col(model.id))
    ).all()


def pledges(session: Session, filters: PledgeFilters) -> Sequence[Row[Pledge, str]]:
    query = sa_select(Pledge, col(Project.code)).join(Project, col(Project.id) == col(Pledge.project_id))
    return session.execute(
        funding_repository.filter_pledges(query, filters).order_by(
            col(Project.code), col(Pledge.pledged_on), col(Pledge.id)
        )
    ).all()


def receipts(session: Session, filters: PledgeFilters) -> Sequence[Row[Receipt, Pledge, str]]:
    query = (
        sa_select(Receipt, Pledge, col(Project.code))
        .join(Pledge, col(Pledge.id) == col(Receipt.pledge_id))
        .join(Project, col(Project.id) == col(Pledge.project_id))
    )
    return session.execute(
        funding_repository.filter_pledges(query, filters).order_by(
            col(Project.code),
            col(Pledge.pledged_on),
            col(Pledge.id),
            col(Receipt.received_on),
            col(Receipt.id),
        )
    ).all()


def agreements(session: Session, filters: PledgeFilters) -> Sequence[Row[Agreement, Pledge, str, str]]:
    """The agreements of the selected pledges, each with its pledge, project code and donor's name."""
    query = (
        sa_select(Agreement, Pledge, col(Project.code), col(State.name))
        .join(Pledge, col(Pledge.id) == col(Agreement.pledge_id))
        .join(Project, col(Project.id) == col(Pledge.project_id))
        .join(State, col(State.code) == col(Pledge.donor))
    )
    return session.execute(
        funding_repository.filter_pledges(query, filters).order_by(
            col(Project.code), col(Pledge.pledged_on), col(Pledge.id)
        )
    ).all()


def crowded_pledges(session: Session, filters: PledgeFilters) -> set[int]:
    """The selected pledges that share their project, donor and date with another pledge: those a
    spreadsheet tells apart by amount."""
    others = (
        sa_select(col(Pledge.project_id), col(Pledge.donor), col(Pledge.pledged_on))
        .group_by(col(Pledge.project_id), col(Pledge.donor), col(Pledge.pledged_on))
        .having(func.count() > 1)
    )
    crowded = others.subquery()
    query = sa_select(col(Pledge.id)).join(
        crowded,
        (crowded.c.project_id == col(Pledge.project_id))
        & (crowded.c.donor == col(Pledge.donor))
        & (crowded.c.pledged_on == col(Pledge.pledged_on)),
    )
    return {int(i) for i in session.scalars(funding_repository.filter_pledges(query, filters)).all()}


def obligations(
    session: Session, filters: ObligationFilters, today: date
) -> Sequence[Row[Obligation, Agreement, Pledge, str, str, str | None]]:
    """The selected obligations, soonest due first, each with its agreement, pledge, project code, donor's
    name and owner's e-mail."""
    query = (
        sa_select(Obligation, Agreement, Pledge, col(Project.code), col(State.name), col(User.email))
        .join(Agreement, col(Agreement.id) == col(Obligation.agreement_id))
        .join(Pledge, col(Pledge.id) == col(Agreement.pledge_id))
        .join(Project, col(Project.id) == col(Pledge.project_id))
        .join(State, col(State.code) == col(Pledge.donor))
        .outerjoin(User, col(User.id) == col(Obligation.owner_id))
    )
    query = agreements_repository.filter_obligations(query, filters, today)
    return session.execute(query.order_by(col(Obligation.due_on), col(Obligation.id))).all()


def stage_dates(session: Session) -> dict[int, date]:
    """process id → the day of its latest stage move: when it reached the stage it is at."""
    return {
        int(pid): on
        for pid, on in session.execute(
            sa_select(
                col(NationalProcessStageChange.process_id),
                func.max(col(NationalProcessStageChange.changed_on)),
            ).group_by(col(NationalProcessStageChange.process_id))
        ).all()
    }


def processes(session: Session, filters: ProcessFilters) -> tuple[Sequence[NationalProcess], dict[int, str]]:
    """The processes, and the code of every project linked to one of them."""
    found, _ = processes_repository.list_processes(session, filters, limit=2**62, offset=0)
    codes: dict[int, str] = {
        pid: code
        for pid, code in session.execute(
            sa_select(col(Project.id), col(Project.code)).where(
                col(Project.id).in_(sa_select(col(NationalProcessProject.project_id)))
            )
        ).all()
        if pid is not None
    }
    return found, codes


def rates(
    session: Session, currency: str | None, month_from: str | None, month_to: str | None
) -> Sequence[Any]:
    query = select(ExchangeRate)
    if currency is not None:
        query = query.where(ExchangeRate.currency == currency)
    if month_from is not None:
        query = query.where(col(ExchangeRate.month) >= month_from)
    if month_to is not None:
        query = query.where(col(ExchangeRate.month) <= month_to)
    return session.exec(query.order_by(col(ExchangeRate.currency), col(ExchangeRate.month))).all()


def expenditures(session: Session, filters: ProjectFilters) -> Sequence[Row[Expenditure, str, str | None]]:
    """The expenditures of the selected projects, each with its project's code and, for a reversal, the
    reference of the expenditure it reverses; by project, day and id."""
    reversed_ = aliased(Expenditure)
    ids = projects_repository.filtered_ids(filters).subquery()
    return session.execute(
        sa_select(Expenditure, col(Project.code), col(reversed_.reference))
        .join(Project, col(Project.id) == col(Expenditure.project_id))
        .outerjoin(reversed_, col(reversed_.id) == col(Expenditure.reverses_id))
        .where(col(Expenditure.project_id).in_(sa_select(ids.c.id)))
        .order_by(col(Project.code), col(Expenditure.spent_on), col(Expenditure.id))
    ).all()


def budget_lines(session: Session, filters: ProjectFilters) -> Sequence[Row[BudgetLine, str]]:
    """The budget lines of the selected projects, each with its project's code."""
    ids = projects_repository.filtered_ids(filters).subquery()
    return session.execute(
        sa_select(BudgetLine, col(Project.code))
        .join(Project, col(Project.id) == col(BudgetLine.project_id))
        .where(col(BudgetLine.project_id).in_(sa_select(ids.c.id)))
        .order_by(col(Project.code), col(BudgetLine.year).nulls_first(), col(BudgetLine.id))
    ).all()


# -- the importer's look-ups: stored records matched by natural key, in id order ----------------------


def reversed_references(session: Session, references: Sequence[str]) -> set[str]:
    """Those of ``references`` whose expenditure was reversed."""
    wanted = sorted(set(references))
    found: set[str] = set()
    reversals = select(Expenditure.reverses_id).where(col(Expenditure.reverses_id).is_not(None))
    for start in range(0, len(wanted), 500):
        query = select(Expenditure.reference).where(
            col(Expenditure.reference).in_(wanted[start : start + 500]),
            col(Expenditure.id).in_(reversals),
        )
        found.update(r for r in session.exec(query) if r)
    return found


def pledges_with_key(
    session: Session, project_id: int, donor: str, pledged_on: date, currency: str, amount: Decimal
) -> Sequence[Pledge]:
    return session.exec(
        select(Pledge)
        .where(
            Pledge.project_id == project_id,
            Pledge.donor == donor,
            Pledge.pledged_on == pledged_on,
            Pledge.currency == currency,
            Pledge.amount == amount,
        )
        .order_by(col(Pledge.id))
    ).all()


def pledges_on(session: Session, project_id: int, donor: str, pledged_on: date) -> Sequence[Pledge]:
    """A project's pledges from one donor on one day, in id order."""
    return session.exec(
        select(Pledge)
        .where(Pledge.project_id == project_id, Pledge.donor == donor, Pledge.pledged_on == pledged_on)
        .order_by(col(Pledge.id))
    ).all()


def agreements_of(session: Session, pledge_ids: Sequence[int]) -> dict[int, Agreement]:
    """pledge id → its agreement, for those of ``pledge_ids`` that have one."""
    if not pledge_ids:
        return {}
    found = session.exec(select(Agreement).where(col(Agreement.pledge_id).in_(list(pledge_ids)))).all()
    return {a.pledge_id: a for a in found}


def receipts_matching(
    session: Session, pledge_ids: Sequence[int], received_on: date, amount: Decimal
) -> Sequence[Receipt]:
    """The receipts of these pledges received on that day for that amount."""
    return session.exec(
        select(Receipt)
        .where(
            col(Receipt.pledge_id).in_(list(pledge_ids)),
            Receipt.received_on == received_on,
            Receipt.amount == amount,
        )
        .order_by(col(Receipt.id))
    ).all()


def parts_named(
    session: Session, model: type[Part], project_id: int, field: str, name: str
) -> Sequence[Part]:
    """A project's milestones (by title) or indicators (by name) called ``name``."""
    return session.exec(
        select(model)
        .where(model.project_id == project_id, getattr(model, field) == name)
        .order_by(col(model.id))
    ).all()


# -- the IATI publication's loading: a fixed number of statements for the whole selection -----------


def iati_projects(session: Session, ids: AnySelect) -> Sequence[Project]:
    """The selected projects; their areas, activity types and beneficiaries come with them (one
    "selectin" statement each)."""
    return session.exec(select(Project).where(col(Project.id).in_(ids))).all()


def iati_pledges(session: Session, ids: AnySelect, donor: str | None) -> Sequence[Pledge]:
    """The selected projects' pledges (one donor's only, when ``donor`` is given), oldest first."""
    own = [col(Pledge.donor) == donor] if donor is not None else []
    return session.exec(
        select(Pledge)
        .where(col(Pledge.project_id).in_(ids), *own)
        .order_by(col(Pledge.pledged_on), col(Pledge.id))
    ).all()


def iati_receipts(session: Session, ids: AnySelect, donor: str | None) -> Sequence[Receipt]:
    """The receipts on those pledges, oldest first."""
    own = [col(Pledge.donor) == donor] if donor is not None else []
    return session.exec(
        select(Receipt)
        .join(Pledge, col(Receipt.pledge_id) == col(Pledge.id))
        .where(col(Pledge.project_id).in_(ids), *own)
        .order_by(col(Receipt.received_on), col(Receipt.id))
    ).all()


def iati_indicators(session: Session, ids: AnySelect) -> Sequence[Indicator]:
    return session.exec(
        select(Indicator).where(col(Indicator.project_id).in_(ids)).order_by(col(Indicator.id))
    ).all()


def status_changes_into(
    session: Session, ids: AnySelect, statuses: list[str]
) -> Sequence[ProjectStatusChange]:
    """The selected projects' changes into one of ``statuses``, in date order."""
    return session.exec(
        select(ProjectStatusChange)
        .where(
            col(ProjectStatusChange.project_id).in_(ids),
            col(ProjectStatusChange.to_status).in_(statuses),
        )
        .order_by(col(ProjectStatusChange.changed_on), col(ProjectStatusChange.id))
    ).all()


def projects_outstanding(session: Session, ids: AnySelect) -> set[int]:
    """The projects with a pledge that is not withdrawn and not fully received (every donor's)."""
    received = (
        select(col(Receipt.pledge_id).label("pledge_id"), func.sum(Receipt.amount).label("received"))
        .group_by(col(Receipt.pledge_id))
        .subquery()
    )
    query = (
        select(col(Pledge.project_id))
        .outerjoin(received, received.c.pledge_id == col(Pledge.id))
        .where(
            col(Pledge.project_id).in_(ids),
            col(Pledge.status) != "withdrawn",
            col(Pledge.amount) > func.coalesce(received.c.received, 0),
        )
        .distinct()
    )
    return set(session.exec(query).all())


def last_updated(session: Session, ids: AnySelect, donor: str | None) -> dict[int, datetime]:
    """Each project's last change: the latest timestamp of the project, its pledges, receipts,
    indicators, milestones, transitions and audit entries (which also date deletions) — one statement.
    For a donor (``donor`` set), only its own pledges and receipts count."""
    own = [col(Pledge.donor) == donor] if donor is not None else []
    parts: list[AnySelect] = [
        select(col(Project.id).label("pid"), col(Project.updated_at).label("at")).where(
            col(Project.id).in_(ids)
        ),
        select(col(Pledge.project_id), col(Pledge.updated_at)).where(col(Pledge.project_id).in_(ids), *own),
        select(col(Pledge.project_id), col(Receipt.created_at))
        .join(Pledge, col(Receipt.pledge_id) == col(Pledge.id))
        .where(col(Pledge.project_id).in_(ids), *own),
        select(col(Indicator.project_id), col(Indicator.updated_at)).where(
            col(Indicator.project_id).in_(ids)
        ),
        select(col(Milestone.project_id), col(Milestone.updated_at)).where(
            col(Milestone.project_id).in_(ids)
        ),
        select(col(ProjectStatusChange.project_id), col(ProjectStatusChange.recorded_at)).where(
            col(ProjectStatusChange.project_id).in_(ids)
        ),
    ]
    audited: AnySelect = select(col(AuditEntry.project_id), col(AuditEntry.at)).where(
        col(AuditEntry.project_id).in_(ids)
    )
    if donor is not None:  # another State's pledges and receipts leave no trace in a donor's file
        audited = audited.where(col(AuditEntry.entity).not_in(["pledge", "receipt"]))
    parts.append(audited)
    moments = union_all(*parts).subquery()
    query = select(moments.c.pid, func.max(moments.c.at)).group_by(moments.c.pid)
    return {pid: at for pid, at in session.execute(query).all() if at is not None}
