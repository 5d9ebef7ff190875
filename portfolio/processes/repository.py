"""Every query of the national-processes domain."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import String, cast
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from portfolio.pagination import PageParams, paged
from portfolio.processes.models import (
    FollowUpCheck,
    NationalProcess,
    NationalProcessProject,
    NationalProcessStageChange,
)
from portfolio.projects.models import Project
from portfolio.users.models import RESPONSIBLE_ROLES, User


@dataclass(frozen=True)
class ProcessFilters:
    state: str | None = None
    kind: str | None = None
    stage: str | None = None
    project_id: int | None = None


def list_processes(
    session: Session, filters: ProcessFilters, limit: int, offset: int
) -> tuple[list[NationalProcess], int]:
    query = select(NationalProcess)
    if filters.state is not None:
        query = query.where(NationalProcess.state == filters.state)
    if filters.kind is not None:
        query = query.where(NationalProcess.kind == filters.kind)
    if filters.stage is not None:
        query = query.where(NationalProcess.stage == filters.stage)
    if filters.project_id is not None:
        query = query.where(
            col(NationalProcess.id).in_(
                select(NationalProcessProject.process_id).where(
                    NationalProcessProject.project_id == filters.project_id
                )
            )
        )
    return paged(
        session, query, PageParams(limit, offset), col(NationalProcess.state), col(NationalProcess.name)
    )


def get_process(session: Session, process_id: int, *, for_update: bool = False) -> NationalProcess | None:
    query = select(NationalProcess).where(NationalProcess.id == process_id)
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def get_by_name(session: Session, state: str, name: str) -> NationalProcess | None:
    return session.exec(
        select(NationalProcess).where(NationalProcess.state == state, NationalProcess.name == name)
    ).first()


def processes_of_project(session: Session, project_id: int) -> list[NationalProcess]:
    return list(
        session.exec(
            select(NationalProcess)
            .join(NationalProcessProject, col(NationalProcessProject.process_id) == col(NationalProcess.id))
            .where(col(NationalProcessProject.project_id) == project_id)
            .with_for_update()
        )
    )


def stage_history(session: Session, process_id: int) -> list[NationalProcessStageChange]:
    return list(
        session.exec(
            select(NationalProcessStageChange)
            .where(NationalProcessStageChange.process_id == process_id)
            .order_by(col(NationalProcessStageChange.changed_on), col(NationalProcessStageChange.id))
        )
    )


def linked_to_project(session: Session, project_id: int) -> list[NationalProcess]:
    """The national processes one project helped build, in one statement, by State and name: for reading
    (nothing is locked)."""
    return list(
        session.exec(
            select(NationalProcess)
            .join(NationalProcessProject, col(NationalProcessProject.process_id) == col(NationalProcess.id))
            .where(col(NationalProcessProject.project_id) == project_id)
            .order_by(col(NationalProcess.state), col(NationalProcess.name))
        )
    )


# -- reads for the staff pages (the process list and form) --------------------------------------


def list_processes_in_area(
    session: Session, filters: ProcessFilters, area: str | None, limit: int, offset: int
) -> tuple[list[NationalProcess], int]:
    """:func:`list_processes`, also narrowed to the processes of one area (SALW or SCA) when given.
    The areas are a JSON list of codes; matching the quoted code in its text works on both databases."""
    query = select(NationalProcess)
    if filters.state is not None:
        query = query.where(NationalProcess.state == filters.state)
    if filters.kind is not None:
        query = query.where(NationalProcess.kind == filters.kind)
    if filters.stage is not None:
        query = query.where(NationalProcess.stage == filters.stage)
    if area is not None:
        query = query.where(cast(col(NationalProcess.areas), String).like(f'%"{area}"%'))
    return paged(
        session, query, PageParams(limit, offset), col(NationalProcess.state), col(NationalProcess.name)
    )


def project_labels(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Code and title of the projects of these ids, by id (one query)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.exec(
        select(Project.id, Project.code, Project.title).where(col(Project.id).in_(wanted))
    ).all()
    return {int(pid): (code, title) for pid, code, title in rows if pid is not None}


def project_ids_by_code(session: Session, codes: Iterable[str]) -> dict[str, int]:
    """The ids of the projects holding these codes, by code (one query)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.exec(select(Project.code, Project.id).where(col(Project.code).in_(wanted))).all()
    return {code: int(pid) for code, pid in rows if pid is not None}


# -- sustainability follow-up checks ------------------------------------------------------------


class FollowUpRow(NamedTuple):
    check: FollowUpCheck
    state: str
    process_name: str


@dataclass(frozen=True)
class FollowUpFilters:
    process_id: int | None = None
    state: str | None = None
    status: str | None = None  # as read: due, overdue, done
    due_before: date | None = None
    due_after: date | None = None


def _follow_up_rows() -> Any:
    return sa_select(FollowUpCheck, col(NationalProcess.state), col(NationalProcess.name)).join(
        NationalProcess, col(NationalProcess.id) == col(FollowUpCheck.process_id)
    )


def list_follow_ups(
    session: Session, filters: FollowUpFilters, page: PageParams, today: date
) -> tuple[list[FollowUpRow], int]:
    """One page of follow-up checks, soonest due first, and how many match."""
    query = _follow_up_rows()
    if filters.process_id is not None:
        query = query.where(col(FollowUpCheck.process_id) == filters.process_id)
    if filters.state is not None:
        query = query.where(col(NationalProcess.state) == filters.state)
    if filters.status == "overdue":
        query = query.where(col(FollowUpCheck.status) == "due", col(FollowUpCheck.due_on) < today)
    elif filters.status == "due":
        query = query.where(col(FollowUpCheck.status) == "due", col(FollowUpCheck.due_on) >= today)
    elif filters.status is not None:
        query = query.where(col(FollowUpCheck.status) == filters.status)
    if filters.due_before is not None:
        query = query.where(col(FollowUpCheck.due_on) < filters.due_before)
    if filters.due_after is not None:
        query = query.where(col(FollowUpCheck.due_on) > filters.due_after)
    rows, total = paged(session, query, page, col(FollowUpCheck.due_on), col(FollowUpCheck.id))
    return [FollowUpRow(*r) for r in rows], total


def follow_up_row(session: Session, check_id: int) -> FollowUpRow | None:
    row = session.execute(_follow_up_rows().where(col(FollowUpCheck.id) == check_id)).first()
    return None if row is None else FollowUpRow(*row)


def lock_follow_up(session: Session, check_id: int) -> FollowUpCheck | None:
    return session.exec(select(FollowUpCheck).where(FollowUpCheck.id == check_id).with_for_update()).first()


def follow_ups_of(session: Session, process_id: int) -> list[FollowUpCheck]:
    """A process's checks, soonest due first, locked: its stage is changing."""
    query = (
        select(FollowUpCheck)
        .where(FollowUpCheck.process_id == process_id)
        .order_by(col(FollowUpCheck.due_on), col(FollowUpCheck.id))
        .with_for_update()
    )
    return list(session.exec(query).all())


def active_staff(session: Session, user_id: int) -> User | None:
    """An active staff or admin account: who may be responsible for a check."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in RESPONSIBLE_ROLES:
        return None
    return user


def owned_checks(session: Session, user_id: int) -> list[FollowUpCheck]:
    """The follow-up checks still due whose owner is this account, locked."""
    query = (
        select(FollowUpCheck)
        .where(col(FollowUpCheck.owner_id) == user_id, col(FollowUpCheck.status) == "due")
        .order_by(col(FollowUpCheck.id))
        .with_for_update()
    )
    return list(session.exec(query).all())
