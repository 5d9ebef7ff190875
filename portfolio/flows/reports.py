"""A report submitted with its file, where the reporting obligations meet the documents: the file is
stored as a document of the obligation (through the documents' rules: its type judged from its bytes, its
size capped) and becomes the document that fulfils it, in one transaction with the obligation's change, so
that a refused file leaves no submission and a refused submission leaves no file."""

from __future__ import annotations

from typing import BinaryIO

from sqlmodel import Session

from portfolio.agreements import service as agreements_service
from portfolio.agreements.models import Obligation
from portfolio.agreements.schemas import ObligationUpdate
from portfolio.documents import service as documents_service
from portfolio.documents.schemas import OwnerType
from portfolio.preconditions import ANY, Precondition
from portfolio.security import Actor


def record_report(
    session: Session,
    actor: Actor,
    obligation_id: int,
    data: ObligationUpdate,
    *,
    limit: int,
    report: documents_service.Upload | None = None,
    file: BinaryIO | None = None,
    filename: str | None = None,
    precondition: Precondition = ANY,
) -> Obligation:
    """Change an obligation (its submission, acceptance, due date, owner, note); with ``file``, store it
    as the obligation's document first (at most ``limit`` bytes) and name it as the document that
    fulfilled the obligation."""
    agreements_service.get_obligation(session, actor, obligation_id)  # 404 before anything is stored
    if report is not None and file is not None:
        owned = documents_service.Upload(
            OwnerType.obligation,
            obligation_id,
            report.category,
            report.title,
            report.language,
            report.shared_with_donor,
            report.public,
        )
        document = documents_service.upload(session, actor, owned, file, filename, limit)
        data = ObligationUpdate.model_validate(
            {**data.model_dump(exclude_unset=True), "document_id": document.id}
        )
    obligation, _changes = agreements_service.update_obligation(
        session, actor, obligation_id, data, precondition
    )
    return obligation
