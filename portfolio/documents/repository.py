"""Every query of the documents domain: documents, their chunks of bytes, their owners, and which
documents a donor State may read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, false, func, insert, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from portfolio.agreements.models import Agreement, Obligation
from portfolio.documents.models import Document, DocumentChunk
from portfolio.documents.schemas import OwnerType
from portfolio.funding.models import Pledge
from portfolio.pagination import PageParams, paged
from portfolio.processes.models import NationalProcess
from portfolio.projects.models import Indicator, Project

# The table each kind of owner lives in.
OWNER_MODELS: dict[OwnerType, type[SQLModel] | None] = {
    OwnerType.project: Project,
    OwnerType.national_process: NationalProcess,
    OwnerType.indicator: Indicator,
    OwnerType.agreement: Agreement,
    OwnerType.obligation: Obligation,
}


def _own_agreements(donor: str) -> Any:
    return (
        sa_select(col(Agreement.id))
        .join(Pledge, col(Pledge.id) == col(Agreement.pledge_id))
        .where(col(Pledge.donor) == donor)
    )


def _own_obligations(donor: str) -> Any:
    return (
        sa_select(col(Obligation.id))
        .join(Agreement, col(Agreement.id) == col(Obligation.agreement_id))
        .join(Pledge, col(Pledge.id) == col(Agreement.pledge_id))
        .where(col(Pledge.donor) == donor)
    )


# Owners that belong to one donor State: kind → the ids of that State's own. A donor reads every document
# of its own agreements and obligations.
DONOR_OWNED: dict[OwnerType, Callable[[str], Any]] = {
    OwnerType.agreement: _own_agreements,
    OwnerType.obligation: _own_obligations,
}


@dataclass(frozen=True)
class DocumentFilters:
    owner_type: OwnerType | None = None
    owner_id: int | None = None
    donor: str | None = None  # only what this donor State may read


def owner_exists(session: Session, owner_type: OwnerType, owner_id: int) -> bool:
    model = OWNER_MODELS[owner_type]
    return model is not None and session.get(model, owner_id) is not None


def owner_project(session: Session, owner_type: OwnerType, owner_id: int) -> int | None:
    """The project a document's owner belongs to (the project itself, or an indicator's), if any."""
    if owner_type == OwnerType.project:
        return owner_id
    if owner_type == OwnerType.indicator:
        indicator = session.get(Indicator, owner_id)
        return indicator.project_id if indicator is not None else None
    return None


def readable_by_donor(donor: str) -> ColumnElement[bool]:
    """Documents a donor State may read: those shared with donors on projects it funds (a pledge that is
    not withdrawn), and every document of its own agreements and obligations."""
    funded = sa_select(col(Pledge.project_id)).where(
        col(Pledge.donor) == donor, col(Pledge.status) != "withdrawn"
    )
    clauses: list[ColumnElement[bool]] = [
        and_(
            col(Document.owner_type) == OwnerType.project.value,
            col(Document.shared_with_donor).is_(True),
            col(Document.owner_id).in_(funded),
        )
    ]
    for owner_type, own_ids in DONOR_OWNED.items():
        own = own_ids(donor)
        clauses.append(and_(col(Document.owner_type) == owner_type.value, col(Document.owner_id).in_(own)))
    return or_(false(), *clauses)


def _live(filters: DocumentFilters) -> Any:
    query = select(Document).where(col(Document.deleted_at).is_(None))
    if filters.owner_type is not None:
        query = query.where(Document.owner_type == filters.owner_type.value)
    if filters.owner_id is not None:
        query = query.where(Document.owner_id == filters.owner_id)
    if filters.donor is not None:
        query = query.where(readable_by_donor(filters.donor))
    return query


def list_documents(
    session: Session, filters: DocumentFilters, page: PageParams
) -> tuple[list[Document], int]:
    """One page of documents that are not deleted, newest first, and how many match."""
    return paged(session, _live(filters), page, col(Document.id).desc())


def get_document(
    session: Session, document_id: int, donor: str | None = None, *, for_update: bool = False
) -> Document | None:
    """A document (deleted ones included), or None when there is none or ``donor`` may not read it."""
    query = select(Document).where(Document.id == document_id)
    if donor is not None:
        query = query.where(readable_by_donor(donor))
    if for_update:
        query = query.with_for_update()
    return session.exec(query).first()


def add_chunk(session: Session, document_id: int, seq: int, data: bytes) -> None:
    """Store one piece of a document's bytes (a plain INSERT: the session keeps no copy of them)."""
    session.execute(insert(DocumentChunk).values(document_id=document_id, seq=seq, data=data))


def chunk(session: Session, document_id: int, seq: int) -> bytes | None:
    found = session.execute(
        sa_select(col(DocumentChunk.data)).where(
            col(DocumentChunk.document_id) == document_id, col(DocumentChunk.seq) == seq
        )
    ).scalar()
    return bytes(found) if found is not None else None


def chunk_count(session: Session, document_id: int) -> int:
    return int(
        session.execute(
            sa_select(func.count()).where(col(DocumentChunk.document_id) == document_id)
        ).scalar_one()
    )


def delete_chunks(session: Session, document_id: int) -> None:
    session.execute(delete(DocumentChunk).where(col(DocumentChunk.document_id) == document_id))


def publishable(session: Session, project_ids: list[int]) -> list[Document]:
    """The documents of these projects that are shared with donors, public and not deleted, oldest first."""
    if not project_ids:
        return []
    query = select(Document).where(
        col(Document.deleted_at).is_(None),
        col(Document.owner_type) == OwnerType.project.value,
        col(Document.owner_id).in_(project_ids),
        col(Document.shared_with_donor).is_(True),
        col(Document.public).is_(True),
    )
    return list(session.exec(query.order_by(col(Document.id))).all())
