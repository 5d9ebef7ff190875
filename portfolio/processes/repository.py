"""Every query of the national-processes domain."""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from portfolio.pagination import PageParams, paged
from portfolio.processes.models import NationalProcess, NationalProcessProject, NationalProcessStageChange


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
