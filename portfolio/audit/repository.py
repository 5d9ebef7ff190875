from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from portfolio.audit.models import AuditEntry
from portfolio.pagination import PageParams, paged


@dataclass(frozen=True)
class AuditFilters:
    entity: str | None = None
    entity_id: int | None = None
    user_id: int | None = None
    action: str | None = None
    project_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_entries(session: Session, f: AuditFilters, limit: int, offset: int) -> tuple[list[AuditEntry], int]:
    query = select(AuditEntry)
    if f.entity is not None:
        query = query.where(col(AuditEntry.entity) == f.entity)
    if f.entity_id is not None:
        query = query.where(col(AuditEntry.entity_id) == f.entity_id)
    if f.user_id is not None:
        query = query.where(col(AuditEntry.user_id) == f.user_id)
    if f.action is not None:
        query = query.where(col(AuditEntry.action) == f.action)
    if f.project_id is not None:
        query = query.where(col(AuditEntry.project_id) == f.project_id)
    if f.since is not None:
        query = query.where(col(AuditEntry.at) >= f.since)
    if f.until is not None:
        query = query.where(col(AuditEntry.at) < f.until)
    return paged(
        session, query, PageParams(limit, offset), col(AuditEntry.at).desc(), col(AuditEntry.id).desc()
    )


def count_since(session: Session, entity: str, entity_id: int, action: str, since: datetime) -> int:
    return session.exec(
        select(func.count()).where(
            col(AuditEntry.entity) == entity,
            col(AuditEntry.entity_id) == entity_id,
            col(AuditEntry.action) == action,
            col(AuditEntry.at) >= since,
        )
    ).one()


def entries_of(session: Session, entity: str, entity_id: int, actions: tuple[str, ...]) -> list[AuditEntry]:
    """Every entry of these actions on one record, oldest first, in one statement."""
    return list(
        session.exec(
            select(AuditEntry)
            .where(
                col(AuditEntry.entity) == entity,
                col(AuditEntry.entity_id) == entity_id,
                col(AuditEntry.action).in_(actions),
            )
            .order_by(col(AuditEntry.at), col(AuditEntry.id))
        )
    )
