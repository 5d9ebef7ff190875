"""Sustainability follow-up checks, where they meet the documents: a check's evidence is a document of its
own national process, checked here before the processes' rules record the outcome; and the staff page's
form uploads the evidence file (through the documents' own upload, with its type and size checks) and
records the outcome in one transaction, so that a refusal of either leaves neither."""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

from sqlmodel import Session

from portfolio.documents import service as documents_service
from portfolio.documents.schemas import OwnerType
from portfolio.errors import ValidationFailed
from portfolio.preconditions import ANY, Precondition
from portfolio.processes import service as processes_service
from portfolio.processes.models import FollowUpCheck
from portfolio.processes.schemas import FollowUpUpdate
from portfolio.security import Actor

EVIDENCE_FIELD = ("body", "evidence_document_id")


def _check_evidence(session: Session, actor: Actor, process_id: int, document_id: int) -> None:
    try:
        document = documents_service.get_document(session, actor, document_id)
    except documents_service.DocumentNotFound:
        raise ValidationFailed.field(EVIDENCE_FIELD, f"document {document_id} does not exist") from None
    if document.owner_type != OwnerType.national_process or document.owner_id != process_id:
        raise ValidationFailed.field(
            EVIDENCE_FIELD, f"document {document_id} is not a document of national process {process_id}"
        )


def update_follow_up(
    session: Session,
    actor: Actor,
    check_id: int,
    data: FollowUpUpdate,
    precondition: Precondition = ANY,
    follow_up_months: Sequence[int] | None = None,
) -> FollowUpCheck:
    """Record a check's outcome, move it or name its owner; the evidence named must be a live document of
    the check's own process (else 422 on ``evidence_document_id``)."""
    check = processes_service.lock_follow_up(session, check_id, precondition)
    if data.evidence_document_id is not None:
        _check_evidence(session, actor, check.process_id, data.evidence_document_id)
    check, _changes = processes_service.update_follow_up(
        session, actor, check_id, data, precondition, follow_up_months
    )
    return check


def record_with_evidence(
    session: Session,
    actor: Actor,
    check_id: int,
    data: FollowUpUpdate,
    evidence: tuple[BinaryIO, str | None, str] | None,
    max_bytes: int,
    precondition: Precondition = ANY,
    follow_up_months: Sequence[int] | None = None,
) -> FollowUpCheck:
    """The staff page's form: the evidence file (its bytes, its name, the title to give it), if any, is
    uploaded as a document of the check's process, then named as the check's evidence with its outcome."""
    check = processes_service.lock_follow_up(session, check_id, precondition)
    if evidence is not None:
        file, filename, title = evidence
        upload = documents_service.Upload(
            owner_type=OwnerType.national_process,
            owner_id=check.process_id,
            category="A08",
            title=title,
            language="en",
        )
        document = documents_service.upload(session, actor, upload, file, filename, max_bytes)
        data = FollowUpUpdate.model_validate(
            {**data.model_dump(exclude_unset=True), "evidence_document_id": document.id}
        )
    return update_follow_up(session, actor, check_id, data, precondition, follow_up_months)
