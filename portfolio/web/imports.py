"""Importing a spreadsheet from the pages: choose what the file holds, upload it, read the dry run's
report (every problem by row, column, value and message, in the importer's words), then confirm.

The check and the import run the API's own importer (:func:`portfolio.transfer.importer.import_table`),
first with the dry run on, then for real: the check takes no write lock (others keep writing while a file
is checked), the import takes it only to write. Between the two requests the file is kept nowhere: the app
runs on several hosts over one database, so the confirmation form asks for the same file again, and carries
the SHA-256 of the file that was checked. A different file is checked afresh instead of being imported
unseen; the real run checks every row again anyway, and writes all of them or none."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.types import Scope

from portfolio.db import Database, SessionDep, writes_on_its_own
from portfolio.errors import AppError
from portfolio.transfer import exporter, importer
from portfolio.transfer.exporter import MEDIA_TYPES, Format
from portfolio.transfer.kinds import IMPORTABLE, Kind
from portfolio.transfer.router import UploadLimit
from portfolio.transfer.sheets import NotASpreadsheet
from portfolio.users.models import User
from portfolio.web.errors import error_page
from portfolio.web.forms import Form, typed
from portfolio.web.i18n import request_lang, translations
from portfolio.web.render import templates
from portfolio.web.session import actor_of, csrf_protect, writer_of

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
Writer = Annotated[User, Depends(writer_of("imports"))]
FIELDS = ("kind", "file")
PAGES = ("/imports",)
SHOWN = 1000  # problems and changed records listed on the report page (as many as the API's 422 names)

# Where the records of each kind are listed once imported.
REGISTERS: dict[Kind, str] = {
    Kind.projects: "/projects",
    Kind.pledges: "/projects",
    Kind.receipts: "/projects",
    Kind.milestones: "/projects",
    Kind.indicators: "/projects",
    Kind.national_processes: "/processes",
    Kind.exchange_rates: "/exchange-rates",
    Kind.agreements: "/obligations",
}


def kind_labels(lang: str) -> dict[Kind, str]:
    """What each kind of file holds, in the page's language."""
    _ = translations(lang).gettext
    return {
        Kind.projects: _("Projects"),
        Kind.pledges: _("Pledges"),
        Kind.receipts: _("Receipts"),
        Kind.milestones: _("Milestones"),
        Kind.indicators: _("Indicators"),
        Kind.national_processes: _("National processes"),
        Kind.exchange_rates: _("Exchange rates"),
        Kind.agreements: _("Contribution agreements"),
        Kind.expenditures: _("Expenditures"),
    }


def size_text(limit: int, lang: str) -> str:
    """The upload limit as a person reads it (2 KB, 20.0 MB; ko and Mo in French)."""
    _ = translations(lang).gettext
    if limit >= 1024 * 1024:
        return _("%(size)s MB") % {"size": f"{limit / 1024 / 1024:.1f}"}
    return _("%(size)s KB") % {"size": limit // 1024}


def too_large(lang: str, limit: int) -> str:
    _ = translations(lang).gettext
    return _("The file is larger than %(size)s, the most an import accepts. Split it into smaller files.") % {
        "size": size_text(limit, lang)
    }


def too_large_page(scope: Scope, limit: int) -> Response:
    """The 413 page for an upload refused before it was read (by :class:`UploadLimit`)."""
    request = Request(scope)
    return error_page(request, 413, too_large(request_lang(request), limit))


def install(app: FastAPI) -> None:
    """Guard the pages' upload with the API's size limit, answered with an HTML page."""
    app.add_middleware(
        UploadLimit,
        limit=lambda: app.state.settings.import_max_bytes,
        paths=PAGES,
        refusal=too_large_page,
    )


def _page(
    request: Request,
    form: Form,
    status_code: int = 200,
    *,
    result: dict[str, int] | None = None,
    kind: Kind | None = None,
    notice: str = "",
) -> Response:
    lang = request_lang(request)
    return templates.render(
        request,
        "imports/imports.html",
        status_code,
        form=form,
        kinds=kind_labels(lang),
        formats=[Format.csv, Format.xlsx],
        result=result,
        result_kind=kind,
        register=REGISTERS.get(kind) if kind else None,
        limit=size_text(request.app.state.settings.import_max_bytes, lang),
        notice=notice,
    )


@router.get("/imports")
def import_form(
    request: Request,
    user: Writer,
    done: str = "",
    kind: Kind | None = None,
    rows: int = 0,
    created: int = 0,
    updated: int = 0,
    unchanged: int = 0,
) -> Response:
    """The upload form; after an import, what it created and updated, with a link to the register."""
    _ = translations(request_lang(request)).gettext
    values = {"kind": kind.value if kind else Kind.projects.value}
    if done == "imported" and kind is not None:
        result = {"rows": rows, "created": created, "updated": updated, "unchanged": unchanged}
        return _page(request, Form(values), result=result, kind=kind, notice=_("The file was imported."))
    return _page(request, Form(values))


@router.get("/imports/templates/{kind}.{fmt}")
def template_file(session: SessionDep, user: Writer, kind: Kind, fmt: Format) -> Response:
    """The same empty spreadsheet as the API's template, as a download."""
    body = exporter.template(kind, fmt, exporter.code_lists(session))
    name = f"{kind.value}-template.{fmt.value}"
    return Response(
        body, media_type=MEDIA_TYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


class _Upload:
    """The kind and file of a submitted upload form, or the form to show again with its message."""

    def __init__(self, kind: Kind, data: bytes, filename: str) -> None:
        self.kind = kind
        self.data = data
        self.filename = filename
        self.digest = hashlib.sha256(data).hexdigest()


async def _upload(request: Request) -> tuple[_Upload | None, Form, int]:
    form_data = await request.form()
    values = typed(form_data)
    values.pop("file", None)
    _ = translations(request_lang(request)).gettext
    errors: dict[str, str] = {}
    kind: Kind | None = None
    try:
        kind = Kind(str(values.get("kind", "")))
        if kind not in IMPORTABLE:
            raise ValueError(kind)
    except ValueError:
        kind = None
        errors["kind"] = _("Choose what the file holds.")
    sent = form_data.get("file")
    data = b""
    name = ""
    status = 422
    if not isinstance(sent, UploadFile) or not sent.filename:
        errors["file"] = _("Choose the file to import (CSV UTF-8 or XLSX).")
    else:
        limit: int = request.app.state.settings.import_max_bytes
        data = await sent.read(limit + 1)
        name = sent.filename
        if len(data) > limit:
            errors["file"] = too_large(request_lang(request), limit)
            status = 413
        elif not data:
            errors["file"] = _("The file is empty: the first row must name the columns.")
    form = Form(values, errors)
    if errors or kind is None:
        return None, form, status
    return _Upload(kind, data, name), form, 200


def _report(
    request: Request,
    upload: _Upload,
    report: importer.ImportReport,
    status_code: int = 200,
    *,
    message: str = "",
) -> Response:
    lang = request_lang(request)
    refused = len({p.row for p in report.problems})
    return templates.render(
        request,
        "imports/import_report.html",
        status_code,
        report=report,
        refused=refused,
        upload=upload,
        kind_label=kind_labels(lang)[upload.kind],
        kinds=kind_labels(lang),
        form=Form({"kind": upload.kind.value}),
        limit=size_text(request.app.state.settings.import_max_bytes, lang),
        message=message,
        shown=SHOWN,
    )


def _import(request: Request, user: User, upload: _Upload, *, dry_run: bool) -> importer.ImportReport:
    """The importer's dry run (a read session: no write lock), or its real run (the write lock only to
    write): :func:`portfolio.transfer.importer.import_table`."""
    db: Database = request.app.state.db
    return importer.import_file(
        db, actor_of(user), upload.kind, upload.data, upload.filename, dry_run=dry_run
    )


def _refused(request: Request, form: Form, exc: Exception) -> Response:
    """The upload form again, the reason beside the file field (a file that is no spreadsheet: 415)."""
    if isinstance(exc, NotASpreadsheet):
        return _page(request, Form(form.values, {"file": exc.detail}), 415)
    refused = form.refused(exc, FIELDS)
    if not refused.errors and refused.message:  # the file as a whole could not be read
        refused = Form(form.values, {"file": refused.message})
    status = exc.status if isinstance(exc, AppError) else 422
    return _page(request, refused, status)


@router.post("/imports")
@writes_on_its_own
async def check_file(request: Request, user: Writer) -> Response:
    """The dry run: every row checked, every problem reported, nothing written."""
    upload, form, status = await _upload(request)
    if upload is None:
        return _page(request, form, status)
    try:
        report = await run_in_threadpool(_import, request, user, upload, dry_run=True)
    except (AppError, ValidationError) as exc:
        return _refused(request, form, exc)
    return _report(request, upload, report)


@router.post("/imports/confirm")
@writes_on_its_own
async def confirm_import(request: Request, user: Writer) -> Response:
    """The real import of the file that was checked: every row in one transaction, or none."""
    upload, form, status = await _upload(request)
    if upload is None:
        return _page(request, form, status)
    _ = translations(request_lang(request)).gettext
    checked = (await request.form()).get("checked")
    try:
        if checked != upload.digest:
            report = await run_in_threadpool(_import, request, user, upload, dry_run=True)
            message = _(
                "This is not the file that was checked. Here is the check of this file; nothing was imported."
            )
            return _report(request, upload, report, 409, message=message)
        report = await run_in_threadpool(_import, request, user, upload, dry_run=False)
    except importer.ImportFailed as exc:
        message = _("The file has problems now (the records changed since the check); nothing was imported.")
        return _report(request, upload, exc.report, 422, message=message)
    except (AppError, ValidationError) as exc:
        return _refused(request, form, exc)
    query = (
        f"done=imported&kind={upload.kind.value}&rows={report.rows}&created={report.created}"
        f"&updated={report.updated}&unchanged={report.unchanged}"
    )
    return RedirectResponse(f"/imports?{query}", status_code=303)
