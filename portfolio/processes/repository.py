"""Every query of the national-processes domain."""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import String, cast
from sqlmodel import Session, col, select

from portfolio.pagination import PageParams, paged
from portfolio.processes.models import NationalProcess, NationalProcessProject, NationalProcessStageChange
from portfolio.projects.models import Project


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
