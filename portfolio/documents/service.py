"""The rules of documents: what may be uploaded, to what, who reads which, and how the bytes are kept
whole. Knows nothing of HTTP; never commits.

The bytes are kept in the database in chunks of :data:`CHUNK_SIZE`, so that every app host sees them and a
backup carries them, and so that neither an upload nor a download holds a whole file in memory. Every read
hashes the stored chunks one by one before anything is sent: bytes that no longer match their SHA-256 are
refused (:class:`DocumentDamaged`) instead of being served."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import BinaryIO

from sqlmodel import Session

from portfolio.audit import service as audit
from portfolio.db import Database, utcnow
from portfolio.documents import content, repository
from portfolio.documents.models import Document
from portfolio.documents.repository import DocumentFilters
from portfolio.documents.schemas import DocumentUpdate, OwnerType
from portfolio.errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from portfolio.pagination import PageParams
from portfolio.preconditions import ANY, Precondition
from portfolio.security import Actor

CHUNK_SIZE = 256 * 1024
OWNER_NAMES = {
    OwnerType.project: "project",
    OwnerType.agreement: "agreement",
    OwnerType.obligation: "obligation",
    OwnerType.national_process: "national process",
    OwnerType.indicator: "indicator",
}


class DocumentNotFound(NotFound):
    pass


class DocumentTooLarge(AppError):
    status = 413
    slug = "payload-too-large"
    title = "File too large"


class UnsupportedDocumentType(AppError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported document type"


class DocumentDamaged(Conflict):
    slug = "document-damaged"
    title = "Stored document damaged"


@dataclass(frozen=True)
class Upload:
    """What an upload names besides its bytes."""

    owner_type: OwnerType
    owner_id: int
    category: str
    title: str
    language: str
    shared_with_donor: bool = False
    public: bool = False


def too_large(limit: int) -> str:
    return f"The file is larger than the {limit} bytes a document may have."


def _measure(file: BinaryIO, limit: int) -> tuple[int, str]:
    """Size and SHA-256 of the spooled upload, read chunk by chunk; 413 as soon as it passes ``limit``."""
    file.seek(0)
    digest = hashlib.sha256()
    size = 0
    while block := file.read(CHUNK_SIZE):
        size += len(block)
        if size > limit:
            raise DocumentTooLarge(too_large(limit))
        digest.update(block)
    file.seek(0)
    return size, digest.hexdigest()


def require_owner(session: Session, owner_type: OwnerType, owner_id: int) -> None:
    if not repository.owner_exists(session, owner_type, owner_id):
        raise ValidationFailed.field(("body", "owner_id"), f"no such {OWNER_NAMES[owner_type]}: {owner_id}")


def upload(
    session: Session, actor: Actor, data: Upload, file: BinaryIO, filename: str | None, limit: int
) -> Document:
    """Store an uploaded file and what it is, audited; in the caller's transaction, so a refusal or a
    failure half-way leaves neither a document nor any of its bytes."""
    require_owner(session, data.owner_type, data.owner_id)
    size, sha256 = _measure(file, limit)
    media_type = content.media_type_of(file)
    if media_type is None:
        raise UnsupportedDocumentType(
            f"The file's content is not {content.ACCEPTED} (judged from the bytes, whatever its name says)."
        )
    document = Document(
        owner_type=data.owner_type.value,
        owner_id=data.owner_id,
        category=data.category,
        title=data.title,
        language=data.language,
        filename=content.stored_filename(filename, media_type),
        media_type=media_type,
        size=size,
        sha256=sha256,
        shared_with_donor=data.shared_with_donor,
        public=data.public,
        uploaded_by=actor.user_id,
    )
    session.add(document)
    session.flush()
    assert document.id is not None
    seq = 0
    while block := file.read(CHUNK_SIZE):
        repository.add_chunk(session, document.id, seq, block)
        seq += 1
    audit.created(session, actor, "document", document, _project_of(session, document))
    return document


def _project_of(session: Session, document: Document) -> int | None:
    return repository.owner_project(session, OwnerType(document.owner_type), document.owner_id)


def list_documents(
    session: Session, viewer: Actor, filters: DocumentFilters, page: PageParams
) -> tuple[list[Document], int]:
    if viewer.is_donor:
        filters = replace(filters, donor=viewer.state or "")
    return repository.list_documents(session, filters, page)


def get_document(session: Session, viewer: Actor, document_id: int, *, for_update: bool = False) -> Document:
    """A document that is not deleted and that ``viewer`` may read (else 404)."""
    donor = (viewer.state or "") if viewer.is_donor else None
    document = repository.get_document(session, document_id, donor, for_update=for_update)
    if document is None or document.deleted_at is not None:
        raise DocumentNotFound(f"Document {document_id} does not exist.")
    return document


def update(
    session: Session, actor: Actor, document_id: int, data: DocumentUpdate, precondition: Precondition = ANY
) -> Document:
    """Change what is said of a document (not its bytes), audited."""
    document = get_document(session, actor, document_id, for_update=True)
    precondition.check(document.version, f"Document {document_id}")
    changes = {
        name: [getattr(document, name), value]
        for name, value in data.changes().items()
        if getattr(document, name) != value
    }
    if changes:
        for name, (_old, value) in changes.items():
            setattr(document, name, value)
        audit.record(
            session, actor, "update", "document", document.id, changes, _project_of(session, document)
        )
        session.flush()
    return document


def delete(
    session: Session, actor: Actor, document_id: int, *, purge: bool = False, precondition: Precondition = ANY
) -> None:
    """Delete a document: staff and admins mark it deleted (it is kept, bytes and all, but no longer
    listed or served); an admin may purge it, which removes the record and its bytes for good, a document
    already marked deleted included."""
    if purge and actor.role != "admin":
        raise Forbidden("Only an admin may purge a document; delete it without purge=true instead.")
    document = repository.get_document(session, document_id, for_update=True)
    if document is None or (document.deleted_at is not None and not purge):
        raise DocumentNotFound(f"Document {document_id} does not exist.")
    precondition.check(document.version, f"Document {document_id}")
    project_id = _project_of(session, document)
    if purge:
        assert document.id is not None
        audit.deleted(session, actor, "document", document, project_id)
        repository.delete_chunks(session, document.id)
        session.delete(document)
        session.flush()
        return
    now = utcnow()
    changes = {"deleted_at": [None, now], "deleted_by": [None, actor.user_id]}
    document.deleted_at = now
    document.deleted_by = actor.user_id
    audit.record(session, actor, "delete", "document", document.id, changes, project_id)
    session.flush()


def _damaged(document: Document) -> DocumentDamaged:
    return DocumentDamaged(
        f"Document {document.id}'s stored bytes no longer match their SHA-256 ({document.sha256}); it is not "
        "served. Restore it from a backup, or upload it again."
    )


def verify(session: Session, document: Document) -> None:
    """Hash the stored chunks one at a time (keeping only the hash); :class:`DocumentDamaged` unless they
    are all there and hash to the document's SHA-256."""
    assert document.id is not None
    digest = hashlib.sha256()
    size = 0
    for seq in range(repository.chunk_count(session, document.id)):
        block = repository.chunk(session, document.id, seq)
        if block is None:
            raise _damaged(document)
        size += len(block)
        digest.update(block)
    if size != document.size or digest.hexdigest() != document.sha256:
        raise _damaged(document)


def record_download(db: Database, actor: Actor, document: Document) -> None:
    """A donor's download is in the audit trail, written at once in a transaction of its own (a read
    request writes nothing else)."""
    with db.session(write=True) as session:
        audit.record(session, actor, "download", "document", document.id, {}, _project_of(session, document))


class StreamBroken(RuntimeError):
    """The bytes changed between the check and the sending: the response is cut short, never completed
    with other bytes."""


@dataclass(frozen=True)
class Stored:
    """What sending a document's bytes needs to know of it, read before its session ends."""

    id: int
    size: int
    sha256: str


def stored(document: Document) -> Stored:
    assert document.id is not None
    return Stored(document.id, document.size, document.sha256)


def stream(db: Database, document: Stored) -> Iterator[bytes]:
    """The document's bytes, one chunk at a time, each read in a short session of its own (no connection
    is held while the client reads); hashed again on the way, and the last chunk withheld (the response cut
    short) if they no longer match what :func:`verify` found."""
    digest = hashlib.sha256()
    seq = 0
    sent = 0
    while sent < document.size:
        with db.session(statements=True) as session:
            block = repository.chunk(session, document.id, seq)
        if not block:
            raise StreamBroken(f"document {document.id}: chunk {seq} is gone")
        digest.update(block)
        sent += len(block)
        seq += 1
        if sent >= document.size and (sent != document.size or digest.hexdigest() != document.sha256):
            raise StreamBroken(f"document {document.id}: the bytes changed while being sent")
        yield block


def publishable(session: Session, project_ids: list[int]) -> list[Document]:
    """The documents the IATI export may link: shared with donors, public, of these projects."""
    return repository.publishable(session, project_ids)
