"""Documents: upload, list, read what is known of one, download its bytes, change, delete and purge."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse

from portfolio.auth import CurrentActor, requires
from portfolio.config import Settings
from portfolio.db import Database, SessionDep
from portfolio.documents import content, service
from portfolio.documents.repository import DocumentFilters
from portfolio.documents.schemas import (
    PUBLIC_DESCRIPTION,
    SHARED_DESCRIPTION,
    Category,
    DocumentPage,
    DocumentRead,
    DocumentUpdate,
    Language,
    OwnerType,
    Title,
)
from portfolio.errors import Problem, problem_responses
from portfolio.pagination import Paging
from portfolio.preconditions import IfMatch, set_etag

router = APIRouter(prefix="/api/v1/documents", tags=["Documents"], dependencies=requires("documents"))

UNSUPPORTED: dict[int | str, dict[str, Any]] = {
    415: {"model": Problem, "description": f"The file's content is not {content.ACCEPTED}"}
}
CONTENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}} for media in content.EXTENSIONS
        },
        "description": "The document's bytes, as an attachment, in the type found in its content.",
    },
}


def read_one(document: Any, response: Response) -> DocumentRead:
    set_etag(response, document.version)
    return DocumentRead.model_validate(document)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a document (PDF, DOCX, XLSX, ODT, ODS, PNG or JPEG)",
    description=(
        "A multipart form: the `file` and what it is. The type is judged from the content, never from the "
        "name or the declared type: anything else is a 415, and a PDF named `report.docx` is stored as the "
        "PDF it is, as `report.pdf`. A file larger than `PORTFOLIO_DOCUMENT_MAX_BYTES` (default 20 MB) is a "
        "413. The owner must exist (422 naming `owner_id` otherwise). The SHA-256 of the bytes is kept and "
        "checked on every download. Staff and admins upload."
    ),
    responses={**problem_responses(400, 401, 403, 413, 422, 503), **UNSUPPORTED},
)
def upload(
    request: Request,
    session: SessionDep,
    actor: CurrentActor,
    response: Response,
    file: Annotated[UploadFile, File(description="The document's bytes.")],
    owner_type: Annotated[OwnerType, Form(description="What the document belongs to.")],
    owner_id: Annotated[
        int, Form(description="The id of that project, agreement, obligation, national process or indicator.")
    ],
    category: Annotated[Category, Form()],
    title: Annotated[Title, Form()],
    language: Annotated[Language, Form()] = "en",
    shared_with_donor: Annotated[bool, Form(description=SHARED_DESCRIPTION)] = False,
    public: Annotated[bool, Form(description=PUBLIC_DESCRIPTION)] = False,
) -> DocumentRead:
    settings: Settings = request.app.state.settings
    data = service.Upload(owner_type, owner_id, category, title, language, shared_with_donor, public)
    document = service.upload(session, actor, data, file.file, file.filename, settings.document_max_bytes)
    return read_one(document, response)


@router.get(
    "",
    summary="List documents (a donor account: those it may read)",
    description=(
        "Newest first, deleted ones left out. Staff and managers see every document; a donor account sees "
        "the documents shared with donors on projects its State funds (a pledge that is not withdrawn) and "
        "those of its own agreements and obligations."
    ),
    responses=problem_responses(401, 403, 422, 503),
)
def list_documents(
    session: SessionDep,
    actor: CurrentActor,
    paging: Paging,
    owner_type: OwnerType | None = None,
    owner_id: int | None = None,
) -> DocumentPage:
    items, total = service.list_documents(session, actor, DocumentFilters(owner_type, owner_id), paging)
    return DocumentPage.of([DocumentRead.model_validate(d) for d in items], total, paging)


@router.get(
    "/{document_id}",
    summary="What is known of one document (a donor account: only one it may read)",
    responses=problem_responses(401, 403, 404, 503),
)
def get_document(
    session: SessionDep, actor: CurrentActor, document_id: int, response: Response
) -> DocumentRead:
    return read_one(service.get_document(session, actor, document_id), response)


@router.get(
    "/{document_id}/content",
    summary="Download a document's bytes",
    description=(
        "Always as an attachment (`Content-Disposition: attachment` with a safe ASCII `filename` and the "
        "exact name as `filename*`), in the type found in its content, with `X-Content-Type-Options: "
        "nosniff`: never shown inline from this origin. The stored bytes are hashed before anything is sent; "
        "bytes that no longer match their SHA-256 are refused with a 409 that says so. A donor's download "
        "is recorded in the audit trail."
    ),
    response_class=StreamingResponse,
    responses={**CONTENT_RESPONSES, **problem_responses(401, 403, 404, 409, 503)},
)
def download(
    request: Request, session: SessionDep, actor: CurrentActor, document_id: int
) -> StreamingResponse:
    db: Database = request.app.state.db
    document = service.get_document(session, actor, document_id)
    service.verify(session, document)
    if actor.is_donor:
        service.record_download(db, actor, document)
    headers = {
        "Content-Disposition": content.content_disposition(document.filename),
        "Content-Length": str(document.size),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
        "ETag": f'"{document.sha256}"',
    }
    return StreamingResponse(
        service.stream(db, service.stored(document)), media_type=document.media_type, headers=headers
    )


@router.patch(
    "/{document_id}",
    summary="Change what is said of a document: category, title, language, sharing",
    description="The bytes cannot change: upload a new document. Send the ETag as If-Match (412 when stale).",
    responses=problem_responses(401, 403, 404, 412, 422, 503),
)
def update_document(
    session: SessionDep,
    actor: CurrentActor,
    document_id: int,
    data: DocumentUpdate,
    precondition: IfMatch,
    response: Response,
) -> DocumentRead:
    return read_one(service.update(session, actor, document_id, data, precondition), response)


@router.delete(
    "/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a document (an admin may purge it for good)",
    description=(
        "Without `purge`, staff and admins mark the document deleted: it is no longer listed or served, "
        "but it is kept, bytes and all, in the database and its backups. With `purge=true` an admin removes "
        "the record and its bytes for good (a document already marked deleted included); another role gets "
        "403. Both are in the audit trail."
    ),
    responses=problem_responses(401, 403, 404, 412, 503),
)
def delete_document(
    session: SessionDep,
    actor: CurrentActor,
    document_id: int,
    precondition: IfMatch,
    purge: Annotated[bool, Query(description="Remove the record and its bytes for good (admins).")] = False,
) -> None:
    service.delete(session, actor, document_id, purge=purge, precondition=precondition)
