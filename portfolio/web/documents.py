"""Documents on the staff pages: the panel that lists a record's documents (a project's, an agreement's, an
obligation's, and any other owner's) with their download links, the upload form, and deleting one. Uploads
go through the documents' own rules (the type judged from the bytes, the size capped); downloads keep the
API's headers: always an attachment, in the type found in the content, never sniffed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlsplit

from babel import Locale
from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel
from sqlmodel import Session
from starlette.datastructures import UploadFile

from portfolio.config import Settings
from portfolio.db import Database, SessionDep
from portfolio.documents import content
from portfolio.documents import service as documents_service
from portfolio.documents.models import Document
from portfolio.documents.schemas import Category, Language, OwnerType, Title, document_categories
from portfolio.errors import AppError, FieldError, NotFound, ValidationFailed
from portfolio.marking import mark as _
from portfolio.pagination import PageParams
from portfolio.preconditions import Precondition
from portfolio.users import service as users_service
from portfolio.users.models import User
from portfolio.web.core import safe_next
from portfolio.web.forms import Form, typed
from portfolio.web.i18n import request_lang, translations
from portfolio.web.render import templates
from portfolio.web.session import PageUser, actor_of, csrf_protect, may, writer_of
from portfolio.web.submit import Attempt

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
DocumentWriter = Annotated[User, Depends(writer_of("documents"))]
UPLOAD_FIELDS = ("file", "title", "category", "language", "shared_with_donor")
PANEL_ROWS = 100
# The languages offered first: the OSCE's six official languages, then those of the States it assists.
LANGUAGES = (
    "en",
    "fr",
    "de",
    "ru",
    "es",
    "it",
    "sq",
    "hy",
    "az",
    "bs",
    "ka",
    "kk",
    "ky",
    "mk",
    "mn",
    "ro",
    "sr",
    "tg",
    "tk",
    "uk",
    "uz",
)


NOTICES = {
    "document-uploaded": _("The document was uploaded."),
    "document-deleted": _("The document was deleted."),
}


class UploadFields(BaseModel):
    """What the upload form names besides its file, checked by the API's own field types."""

    owner_type: OwnerType
    owner_id: int
    category: Category
    title: Title
    language: Language = "en"
    shared_with_donor: bool = False


def category_options() -> list[tuple[str, str]]:
    """The IATI DocumentCategory codelist as (code, "name (code)"), by name."""
    return sorted(((c, f"{n} ({c})") for c, n in document_categories().items()), key=lambda o: o[1])


def language_options(lang: str) -> list[tuple[str, str]]:
    names = Locale.parse(lang).languages
    return [(code, names.get(code, code)) for code in LANGUAGES]


@dataclass
class DocumentsPanel:
    """What the documents panel shows of one owner: its documents with who uploaded them, and the upload
    form (for those who may write documents), coming back to ``back`` after an upload or a deletion."""

    owner_type: str
    owner_id: int
    back: str
    items: list[tuple[Document, str, str]]
    total: int
    writer: bool
    categories: list[tuple[str, str]]
    category_names: dict[str, str]
    languages: list[tuple[str, str]]
    form: Form = field(default_factory=Form)
    donor_note: bool = False  # whether the "shared with donor" choice applies (documents of projects)


def size_text(size: int, lang: str) -> str:
    """A file's size as people read it: 830 bytes, 12.5 KB, 3.1 MB (in the page's number format)."""
    if size < 1024:
        return f"{format_decimal(size, locale=lang)} B"
    if size < 1024 * 1024:
        return f"{format_decimal(round(size / 1024, 1), locale=lang)} KB"
    return f"{format_decimal(round(size / (1024 * 1024), 1), locale=lang)} MB"


def uploader_names(session: Session) -> dict[int, str]:
    """Every account's name by id (one statement), to say who uploaded each document."""
    found, _count = users_service.list_users(session, PageParams(500, 0))
    return {u.id: (u.full_name or u.email) for u in found if u.id is not None}


def documents_panel(
    session: Session, user: User, lang: str, owner_type: OwnerType, owner_id: int, back: str
) -> DocumentsPanel:
    """The documents panel of one record, as this account may see it (a donor: what it may read)."""
    filters = documents_service.DocumentFilters(owner_type, owner_id)  # type: ignore[attr-defined]
    items, total = documents_service.list_documents(
        session, actor_of(user), filters, PageParams(PANEL_ROWS, 0)
    )
    names = uploader_names(session) if items else {}
    return DocumentsPanel(
        owner_type=owner_type.value,
        owner_id=owner_id,
        back=safe_next(back),
        items=[(d, names.get(d.uploaded_by or 0, "–"), size_text(d.size, lang)) for d in items],
        total=total,
        writer=may(user, "documents", "write"),
        categories=category_options(),
        category_names=document_categories(),
        languages=language_options(lang),
        form=Form({"language": lang, "category": default_category(owner_type)}),
        donor_note=owner_type == OwnerType.project,
    )


def default_category(owner_type: OwnerType) -> str:
    """The category an upload form starts on: the agreement for an agreement, a results report for an
    obligation, the project's objectives otherwise."""
    return {OwnerType.agreement: "A11", OwnerType.obligation: "A08"}.get(owner_type, "A02")


def with_notice(target: str, done: str) -> str:
    """``target`` (a path of this site) with ``done=`` added to its query."""
    target = safe_next(target)
    return f"{target}{'&' if urlsplit(target).query else '?'}done={done}"


def chosen_file(form: Any) -> UploadFile | None:
    """The file of a multipart form, or None when the person chose none (an empty part without a name)."""
    sent = form.get("file")
    if not isinstance(sent, UploadFile) or not sent.filename:
        return None
    return sent


def file_refused(exc: AppError) -> ValidationFailed | AppError:
    """A 413 or 415 of the documents' rules, as a message beside the file field."""
    if isinstance(exc, documents_service.DocumentTooLarge | documents_service.UnsupportedDocumentType):
        refused = ValidationFailed(exc.detail, errors=[FieldError(("file",), exc.detail)])
        refused.status = exc.status
        return refused
    return exc


def _upload_page(
    request: Request, session: Session, user: User, panel_form: Form, values: dict[str, Any], status: int
) -> Response:
    lang = request_lang(request)
    try:
        owner_type = OwnerType(str(values.get("owner_type", "")))
        owner_id = int(str(values.get("owner_id", "")))
    except ValueError as exc:
        raise NotFound("There is no such record to attach a document to.") from exc
    panel = documents_panel(
        session, user, lang, owner_type, owner_id, safe_next(str(values.get("next", "/")))
    )
    panel.form = panel_form
    return templates.render(request, "documents/document_upload.html", status, panel=panel)


@router.get("/documents/new")
def upload_form(
    request: Request,
    session: SessionDep,
    user: DocumentWriter,
    owner_type: str = "",
    owner_id: str = "",
    next: str = "/",
) -> Response:
    values = {"owner_type": owner_type, "owner_id": owner_id, "next": safe_next(next)}
    try:
        kind = OwnerType(owner_type)
    except ValueError:
        kind = OwnerType.project
    form = Form({"language": request_lang(request), "category": default_category(kind)})
    return _upload_page(request, session, user, form, values, 200)


@router.post("/documents/new")
async def upload(request: Request, session: SessionDep, user: DocumentWriter) -> Response:
    """Store an uploaded document of a project, agreement, obligation or other record; back where the
    person came from, or the form again with the message beside the field."""
    sent = await request.form()
    values: dict[str, Any] = typed(sent)
    values.pop("file", None)
    values["next"] = safe_next(str(values.get("next", "/")))  # the Back link and where an upload returns
    form = Form(values)
    settings: Settings = request.app.state.settings
    gettext = translations(request_lang(request)).gettext
    attempt = Attempt(session)
    with attempt:
        fields = UploadFields.model_validate(
            {**values, "shared_with_donor": values.get("shared_with_donor") == "yes"}
        )
        file = chosen_file(sent)
        if file is None:
            raise ValidationFailed.field(("file",), gettext("Choose the file to upload."))
        data = documents_service.Upload(
            fields.owner_type,
            fields.owner_id,
            fields.category,
            fields.title,
            fields.language,
            fields.shared_with_donor,
        )
        documents_service.upload(
            session, actor_of(user), data, file.file, file.filename, settings.document_max_bytes
        )
    if attempt.error is not None:
        refused = file_refused(attempt.error) if isinstance(attempt.error, AppError) else attempt.error
        status = refused.status if isinstance(refused, AppError) else 422
        return _upload_page(request, session, user, form.refused(refused, UPLOAD_FIELDS), values, status)
    return RedirectResponse(with_notice(str(values.get("next", "/")), "document-uploaded"), status_code=303)


@router.post("/documents/{document_id}/delete")
async def delete(request: Request, session: SessionDep, user: DocumentWriter, document_id: int) -> Response:
    """Mark a document deleted (it is kept, but no longer listed or served) and go back."""
    values = typed(await request.form())
    precondition = Precondition(frozenset({str(values.get("version", ""))}))
    documents_service.delete(session, actor_of(user), document_id, precondition=precondition)
    return RedirectResponse(with_notice(str(values.get("next", "/")), "document-deleted"), status_code=303)


@router.get("/documents/{document_id}/download")
def download(request: Request, session: SessionDep, user: PageUser, document_id: int) -> StreamingResponse:
    """A document's bytes, as the API's download sends them: an attachment in the type found in its
    content, never shown inline; a donor's download is in the audit trail. A document the account may
    not read is a 404."""
    db: Database = request.app.state.db
    actor = actor_of(user)
    document = documents_service.get_document(session, actor, document_id)
    documents_service.verify(session, document)
    if actor.is_donor:
        documents_service.record_download(db, actor, document)
    headers = {
        "Content-Disposition": content.content_disposition(document.filename),
        "Content-Length": str(document.size),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
        "ETag": f'"{document.sha256}"',
    }
    return StreamingResponse(
        documents_service.stream(db, documents_service.stored(document)),
        media_type=document.media_type,
        headers=headers,
    )
