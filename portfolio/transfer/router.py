"""HTTP routes of data in and out: templates, imports, CSV/XLSX exports and the IATI publication."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portfolio.agreements.repository import ObligationFilters
from portfolio.agreements.schemas import ObligationKind, ObligationState
from portfolio.auth import CurrentActor, requires
from portfolio.config import Settings
from portfolio.db import SessionDep, writes_on_its_own
from portfolio.errors import AppError, NotFound, problem, problem_responses
from portfolio.funding.router import PledgeFilterParams
from portfolio.funding.schemas import Month
from portfolio.money import CurrencyCode
from portfolio.processes.router import ProcessFilterParams
from portfolio.projects.router import ProjectFilterParams
from portfolio.schemas import StateCode
from portfolio.security import Actor
from portfolio.transfer import exporter, iati, importer
from portfolio.transfer.exporter import MEDIA_TYPES, ExportFilters, Format, RateFilters
from portfolio.transfer.kinds import Kind

imports_router = APIRouter(
    prefix="/api/v1/imports", tags=["Import and export"], dependencies=requires("imports")
)
exports_router = APIRouter(
    prefix="/api/v1/exports", tags=["Import and export"], dependencies=requires("exports")
)

FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            MEDIA_TYPES[Format.csv]: {"schema": {"type": "string"}},
            MEDIA_TYPES[Format.xlsx]: {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "The file (CSV UTF-8, or an XLSX workbook).",
    },
}


class PayloadTooLarge(AppError):
    status = 413
    slug = "payload-too-large"
    title = "File too large"


class RowProblemRead(BaseModel):
    row: int = Field(description="Row number as the spreadsheet shows it (the header is row 1).")
    column: str | None = Field(description="The column at fault; null when the row as a whole is.")
    value: str | None = Field(description="The cell's content as read.")
    message: str


class FieldChangeRead(BaseModel):
    old: Any = Field(description="The stored value (amounts as decimal strings, dates as YYYY-MM-DD).")
    new: Any = Field(description="The value the file gives.")


class RowChangeRead(BaseModel):
    row: int = Field(description="Row number as the spreadsheet shows it (the header is row 1).")
    record: str = Field(description="The stored record the row updates, named by its natural key.")
    fields: dict[str, FieldChangeRead] = Field(description="Each field that changes, from what to what.")


class ImportReportRead(BaseModel):
    kind: Kind
    dry_run: bool
    written: bool = Field(description="True when the rows were stored (a real run without problems).")
    rows: int = Field(description="Data rows read (empty rows are skipped).")
    created: int
    updated: int
    unchanged: int
    problems: list[RowProblemRead] = Field(description="Every problem found; empty when the file is good.")
    changes: list[RowChangeRead] = Field(
        description="For each row that updates a stored record, the fields it changes (rows with "
        "problems left out)."
    )


def _report(report: importer.ImportReport) -> ImportReportRead:
    return ImportReportRead(
        kind=report.kind,
        dry_run=report.dry_run,
        written=report.written,
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        problems=[RowProblemRead(**vars(p)) for p in report.problems],
        changes=[
            RowChangeRead(
                row=c.row,
                record=c.record,
                fields={n: FieldChangeRead(old=old, new=new) for n, (old, new) in c.fields.items()},
            )
            for c in report.changes
        ],
    )


# -- templates and imports --------------------------------------------------------------------


@imports_router.get(
    "/templates/{kind}.{fmt}",
    summary="An empty spreadsheet to fill in: the header row, no data row",
    description=(
        "The CSV holds the header row only. The XLSX adds a `columns` sheet with each column's meaning, "
        "an example and its allowed values, and offers the allowed values of every coded column as a "
        "drop-down (read from a hidden `lists` sheet). Obligations and budget lines, which are exported "
        "only, have none (422)."
    ),
    response_class=Response,
    responses={**FILE_RESPONSES, **problem_responses(401, 403, 422, 503)},
)
def template(session: SessionDep, kind: Kind, fmt: Format) -> Response:
    body = exporter.template(kind, fmt, exporter.code_lists(session))
    return _file(body, fmt, f"{kind.value}-template.{fmt.value}")


@imports_router.post(
    "/{kind}",
    summary="Import a CSV or XLSX file (all rows or none)",
    description=(
        "Column names are the API's field names (see the templates); lists are separated by `;`, dates "
        "are YYYY-MM-DD, amounts use `.` as the decimal mark. Rows are matched to stored records by "
        "natural key (project `code`; pledge: project code + donor + pledged_on + currency + amount; "
        "receipt: the pledge's key + received_on + amount; national process: state + name; milestone: "
        "project code + title; indicator: project code + name; rate: currency + month; agreement: its "
        "pledge's project code + donor + pledged_on, and pledge_amount where that day's pledges need "
        "telling apart), so importing a file twice changes nothing and changed rows update their records.\n\n"
        "An expenditure row must give the finance system's `reference`: a row whose reference is already "
        "recorded is skipped (counted in `unchanged`, never changed: corrections go through the API), so "
        "the same export imported twice adds nothing; a reference twice in one file is refused. Each new "
        "one goes through the rules of `POST /api/v1/expenditures` (its month's rate, shared among the "
        "project's pledges in proportion to what each brought in, none beyond what it has left).\n\n"
        "With `dry_run=true` every row is checked and every problem reported (row, column, value, "
        "message saying what to type instead, e.g. a State's three-letter code for its name), and "
        "`changes` lists, for each row that updates a stored record, the fields it changes "
        "from what to what; nothing is written. A real run writes every row in one transaction, or — with "
        "any problem — nothing, answering 422: a problem document whose `errors` name each cell "
        '(`loc`: `["file", row, column]`) and which carries the same members as a dry run\'s report '
        "(`rows`, `created`, `updated`, `unchanged`, `problems`, `changes`…).\n\n"
        "An agreement row goes through the same rules as `POST|PATCH /api/v1/pledges/{id}/agreement`: a "
        "signed one commits its pledge and generates its reporting obligations. Obligations and budget "
        "lines are exported only (422)."
    ),
    responses=problem_responses(400, 401, 403, 413, 415, 422, 503),
)
@writes_on_its_own
def import_file(
    request: Request,
    actor: CurrentActor,
    kind: Kind,
    file: Annotated[UploadFile, File(description="The CSV (UTF-8) or XLSX file.")],
    dry_run: Annotated[bool, Query(description="Check every row and report; write nothing.")] = False,
) -> ImportReportRead:
    settings: Settings = request.app.state.settings
    data = file.file.read(settings.import_max_bytes + 1)
    if len(data) > settings.import_max_bytes:
        raise PayloadTooLarge(_too_large(settings.import_max_bytes))
    try:
        report = importer.import_file(request.app.state.db, actor, kind, data, file.filename, dry_run=dry_run)
    except importer.ImportFailed as exc:
        exc.extensions = _report(exc.report).model_dump(mode="json")  # the dry run's shape
        raise
    return _report(report)


# -- exports ----------------------------------------------------------------------------------

EXPORT_ERRORS = problem_responses(401, 403, 422, 503)
EXPORT_DESCRIPTION = (
    "The columns of the import template, so that the file can be edited and imported back. Text that "
    "a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) is prefixed "
    "with an apostrophe; the import takes it off again. Control characters other than tab, LF and CR, "
    "which no workbook can hold, are left out of every cell."
)


SKIPPED_LISTED = 20  # projects named in the X-IATI-Skipped header; the document's comment names all

IATI_DESCRIPTION = (
    "One `iati-activity` per project; takes the project list's filters. Mapping: docs/api.md, section "
    "IATI 2.03. A donor account's file holds its own State's pledges, receipts and participation only "
    "(project-level figures such as the budget stay). A project with neither a start date nor an "
    "actual start (entry into implementation) is left out: `X-IATI-Skipped-Count` gives how many "
    f"were, `X-IATI-Skipped` names the first {SKIPPED_LISTED} with the reason (`CODE (no start date), "
    "…`), and a comment at the top of the document names them all. 404 when nothing is left to "
    "publish."
)
SKIPPED_HEADERS = {
    "X-IATI-Skipped-Count": {
        "description": "How many selected projects the file leaves out.",
        "schema": {"type": "integer"},
    },
    "X-IATI-Skipped": {
        "description": f"The first {SKIPPED_LISTED} projects left out, as `CODE (reason)`, comma-separated.",
        "schema": {"type": "string"},
    },
}


def skipped_headers(skipped: list[iati.Skipped]) -> dict[str, str]:
    if not skipped:
        return {"X-IATI-Skipped-Count": "0"}
    listed = ", ".join(f"{s.code} ({s.reason})" for s in skipped[:SKIPPED_LISTED])
    if len(skipped) > SKIPPED_LISTED:
        listed += f", and {len(skipped) - SKIPPED_LISTED} more"
    return {"X-IATI-Skipped-Count": str(len(skipped)), "X-IATI-Skipped": listed}


@exports_router.get(
    "/iati.xml",
    summary="The selected projects as IATI 2.03 activities",
    description=IATI_DESCRIPTION,
    response_class=Response,
    responses={
        200: {
            "content": {"application/xml": {"schema": {"type": "string"}}},
            "description": "IATI XML.",
            "headers": SKIPPED_HEADERS,
        },
        **problem_responses(401, 403, 404, 409, 422, 503),
    },
)
def export_iati(
    request: Request, session: SessionDep, actor: CurrentActor, filters: ProjectFilterParams
) -> Response:
    result = iati.iati_export(session, filters, request.app.state.settings, viewer=actor)
    if not result.published:
        why = f" ({len(result.skipped)} left out for want of a start date)" if result.skipped else ""
        raise NotFound(f"No project matches these filters{why}: there is nothing to publish.")
    return Response(
        result.body,
        media_type="application/xml",
        headers={
            "Content-Disposition": f'attachment; filename="iati-activities-{date.today()}.xml"',
            **skipped_headers(result.skipped),
        },
    )


def _export(session: Session, actor: Actor, kind: Kind, fmt: Format, filters: ExportFilters) -> Response:
    data = exporter.rows(session, actor, kind, filters)
    return _file(
        exporter.render(kind, fmt, data), fmt, exporter.filename(kind, fmt, date.today().isoformat())
    )


def _project_export(kind: Kind) -> Callable[..., Response]:
    def export(
        session: SessionDep, actor: CurrentActor, fmt: Format, filters: ProjectFilterParams
    ) -> Response:
        return _export(session, actor, kind, fmt, ExportFilters(projects=filters))

    return export


def _pledge_export(kind: Kind) -> Callable[..., Response]:
    def export(
        session: SessionDep, actor: CurrentActor, fmt: Format, filters: PledgeFilterParams
    ) -> Response:
        return _export(session, actor, kind, fmt, ExportFilters(pledges=filters))

    return export


def _process_export(
    session: SessionDep, actor: CurrentActor, fmt: Format, filters: ProcessFilterParams
) -> Response:
    return _export(session, actor, Kind.national_processes, fmt, ExportFilters(processes=filters))


def _rate_export(
    session: SessionDep,
    actor: CurrentActor,
    fmt: Format,
    currency: CurrencyCode | None = None,
    month_from: Annotated[Month | None, Query(alias="from")] = None,
    month_to: Annotated[Month | None, Query(alias="to")] = None,
) -> Response:
    filters = ExportFilters(rates=RateFilters(currency, month_from, month_to))
    return _export(session, actor, Kind.exchange_rates, fmt, filters)


def _obligation_export(
    session: SessionDep,
    actor: CurrentActor,
    fmt: Format,
    project: Annotated[int | None, Query(description="The project's id.")] = None,
    donor: StateCode | None = None,
    kind: ObligationKind | None = None,
    status_: Annotated[ObligationState | None, Query(alias="status")] = None,
    due_before: Annotated[date | None, Query(description="Due strictly before this day.")] = None,
    due_after: Annotated[date | None, Query(description="Due strictly after this day.")] = None,
) -> Response:
    chosen = ObligationFilters(project, donor, kind, status_, due_before, due_after)
    return _export(session, actor, Kind.obligations, fmt, ExportFilters(obligations=chosen))


EXPORTS: list[tuple[Kind, Callable[..., Response], str]] = [
    (Kind.projects, _project_export(Kind.projects), "the project list's filters"),
    (Kind.milestones, _project_export(Kind.milestones), "the project list's filters (whose milestones)"),
    (Kind.indicators, _project_export(Kind.indicators), "the project list's filters (whose indicators)"),
    (Kind.pledges, _pledge_export(Kind.pledges), "the pledge list's filters; a donor gets its own State's"),
    (Kind.receipts, _pledge_export(Kind.receipts), "the pledge list's filters (whose receipts)"),
    (Kind.national_processes, _process_export, "the national-process list's filters"),
    (Kind.exchange_rates, _rate_export, "the exchange-rate list's filters"),
    (
        Kind.agreements,
        _pledge_export(Kind.agreements),
        "the pledge list's filters (whose agreements); a donor gets its own State's. No amounts, except a "
        "pledge's where the project has several from the donor on that day (the import's key)",
    ),
    (
        Kind.expenditures,
        _project_export(Kind.expenditures),
        "the project list's filters (whose expenditures); a donor gets those of the projects its own State "
        "funds. Which pledge paid for each is not exported. `amount_eur` and `reverses` are for reading: an "
        "import ignores the first and skips or refuses a row with the second",
    ),
    (
        Kind.budget_lines,
        _project_export(Kind.budget_lines),
        "the project list's filters (whose budget lines). Exported only: a line and its revisions are "
        "recorded through the API; an expenditure row names its line by `line_id`",
    ),
    (
        Kind.obligations,
        _obligation_export,
        "the obligation list's filters (`status=overdue` as there); a donor gets its own State's. Exported "
        "only: obligations are not imported",
    ),
]
for _kind, _endpoint, _filters in EXPORTS:
    exports_router.add_api_route(
        f"/{_kind.value}.{{fmt}}",
        _endpoint,
        methods=["GET"],
        summary=f"Export {_kind.value.replace('-', ' ')} as CSV or XLSX",
        description=f"Takes {_filters}. {EXPORT_DESCRIPTION}",
        response_class=Response,
        responses={**FILE_RESPONSES, **EXPORT_ERRORS},
        operation_id=f"export_{_kind.value.replace('-', '_')}",
    )


def _file(body: bytes, fmt: Format, name: str) -> Response:
    return Response(
        body, media_type=MEDIA_TYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


# -- upload size ------------------------------------------------------------------------------


def _too_large(limit: int) -> str:
    size = f"{limit / 1024 / 1024:.1f} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
    return f"The file is larger than {size}, the most an import accepts."


class _TooLarge(Exception):
    pass


Refusal = Callable[[Scope, int], Response]


class UploadLimit:
    """Refuse an import larger than the limit with 413 before reading it, or as soon as it passes.

    The API's imports get a problem document. Another instance guards the staff pages' upload (``paths``)
    and answers with ``refusal``: the page in the person's language, never JSON."""

    def __init__(
        self,
        app: ASGIApp,
        limit: Callable[[], int],
        paths: tuple[str, ...] = ("/api/v1/imports",),
        refusal: Refusal | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.paths = paths
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith(self.paths):
            await self.app(scope, receive, send)
            return
        limit = self.limit() + 64 * 1024  # room for the multipart envelope around the file
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        limit = self.limit()
        if self.refusal is not None:
            response = self.refusal(scope, limit)
        else:
            response = problem(413, "File too large", _too_large(limit), "payload-too-large")
        await response({"type": "http"}, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
