"""The report to the biennial implementation meetings: what happened in a period, as a page, a PDF and CSVs.

``/reports/period?from=YYYY-MM-DD&to=YYYY-MM-DD`` (FSC staff, managers and admins; a donor account is
refused, since the report shows every donor's money): the requests received, assessments, starts,
completions and cancellations; the money pledged, committed and received, by donor, area and beneficiary;
the outputs by standard measure; the national processes that moved stage; the projects with an open gap at
the end. Each figure carries its definition; each table is also a CSV (``/reports/period/{table}.csv``) and
the whole an A4 PDF (``/reports/period.pdf``), in each language of the registry. Every number is read by
:mod:`dashboards.period_queries`; this module only shapes and writes it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from dashboards import period_queries as q
from dashboards.labels import Labels
from dashboards.printing import bar_chart_svg, pdf_from_html
from portfolio.db import SessionDep
from portfolio.errors import Forbidden, NotFound
from portfolio.marking import mark as _
from portfolio.projects.measures import BY_CODE
from portfolio.transfer.sheets import formula_guard
from portfolio.users.models import User
from portfolio.web.i18n import DEFAULT, Formats, request_lang, translations
from portfolio.web.render import SECURITY_HEADERS, Templates
from portfolio.web.session import page_user

HERE = Path(__file__).parent
templates = Templates(HERE / "templates")
router = APIRouter(prefix="/reports", include_in_schema=False)
# Rows of one list shown on the page, and printed in the PDF (a document for a meeting, laid out at about
# a third of a second a page); the CSV always holds them all.
SHOWN = 500
PRINTED = 100
CHART_ROWS = 10


# -- the period asked for ------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodForm:
    """The period from the query string (both ends included), what was typed, and what was refused."""

    start: date
    end: date
    lang: str
    typed: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def period(self) -> q.Period:
        return q.Period(self.start, self.end)

    def query(self, **extra: str) -> str:
        from urllib.parse import urlencode

        return "?" + urlencode({"from": self.start.isoformat(), "to": self.end.isoformat(), **extra})


def default_period(today: date | None = None) -> tuple[date, date]:
    """From the first of January of last year to today: the two years a biennial meeting looks back on."""
    today = today or date.today()
    return date(today.year - 1, 1, 1), today


def parse_period(params: Mapping[str, str], lang: str, today: date | None = None) -> PeriodForm:
    gettext = translations(lang).gettext
    start, end = default_period(today)
    typed = {k: params.get(k, "").strip() for k in ("from", "to")}
    errors: dict[str, str] = {}
    parsed: dict[str, date] = {}
    for name in ("from", "to"):
        if not typed[name]:
            continue
        try:
            parsed[name] = date.fromisoformat(typed[name])
        except ValueError:
            errors[name] = gettext(_("Enter a date as YYYY-MM-DD, e.g. 2025-01-01."))
            continue
        if not 1990 <= parsed[name].year <= 2100:
            errors[name] = gettext(_("Enter a date between 1990 and 2100."))
    start, end = parsed.get("from", start), parsed.get("to", end)
    if not errors and start > end:
        errors["from"] = gettext(_("The start of the period must not be after its end."))
    return PeriodForm(start, end, lang, typed, errors)


# -- what the report holds -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str  # as the page shows it
    value: str  # as the CSV holds it: codes, ISO dates, plain decimals
    href: str | None = None
    num: bool = False


@dataclass(frozen=True)
class Table:
    id: str
    title: str
    definition: str
    columns: list[str]
    rows: list[list[Cell]]
    numeric: frozenset[int] = frozenset()

    @property
    def shown(self) -> list[list[Cell]]:
        return self.rows[:SHOWN]


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: Decimal | int
    text: str
    definition: str
    table: str

    @property
    def data_value(self) -> str:
        return str(self.value) if isinstance(self.value, int) else format(self.value, "f")


@dataclass
class Report:
    form: PeriodForm
    title: str
    period_text: str
    kpis: list[Kpi]
    sections: list[tuple[str, str, list[Table]]]  # (id, heading, tables)
    charts: list[str] = field(default_factory=list)  # inline SVG, for the PDF

    def table(self, table_id: str) -> Table | None:
        return next((t for _s, _h, tables in self.sections for t in tables if t.id == table_id), None)

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)


TABLES = (
    "requests",
    "assessments",
    "started",
    "completed",
    "cancelled",
    "by-donor",
    "by-area",
    "by-beneficiary",
    "outputs",
    "processes",
    "open-needs",
)


class Words:
    """The report's texts and formats in one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.gettext = translations(lang).gettext
        self.labels = Labels(lang)
        self.fmt = Formats(lang)

    def __call__(self, text: str) -> str:
        return self.gettext(text)

    def money(self, amount: Decimal) -> Cell:
        return Cell(self.fmt.money(amount), format(amount, "f"), num=True)

    def number(self, value: Decimal | int) -> Cell:
        plain = value if isinstance(value, int) else value.normalize()
        text = self.fmt.number(plain)
        return Cell(text, str(plain) if isinstance(plain, int) else format(plain, "f"), num=True)

    def day(self, value: date) -> Cell:
        return Cell(self.fmt.date(value), value.isoformat())

    def word(self, value: str | None) -> Cell:
        return Cell(self.labels.word(value) if value else "–", value or "")


def _states(codes: tuple[str, ...], names: dict[str, str]) -> Cell:
    return Cell(", ".join(names.get(c, c) for c in codes), "; ".join(codes))


def _project_table(
    w: Words,
    table_id: str,
    title: str,
    definition: str,
    date_column: str,
    moves: list[q.ProjectMove],
    names: dict[str, str],
) -> Table:
    rows = [
        [
            Cell(m.code, m.code, href=f"/projects/{m.id}"),
            Cell(m.title, m.title),
            _states(m.beneficiaries, names),
            w.day(m.on),
        ]
        for m in moves
    ]
    columns = [w(_("Code")), w(_("Title")), w(_("Beneficiary States")), date_column]
    return Table(table_id, title, definition, columns, rows)


def _money_table(
    w: Words,
    table_id: str,
    title: str,
    definition: str,
    key_columns: list[str],
    lines: list[q.MoneyLine],
    key: Callable[[str], list[Cell]],
) -> Table:
    rows = [
        [*key(m.key), w.money(m.pledged_eur), w.money(m.committed_eur), w.money(m.received_eur)]
        for m in lines
    ]
    columns = [*key_columns, w(_("Pledged (EUR)")), w(_("Committed (EUR)")), w(_("Received (EUR)"))]
    return Table(table_id, title, definition, columns, rows)


DEFINITIONS = {
    "requests": _("Projects whose request date lies in the period."),
    "assessments": _("Projects moved into assessment in the period, each once (on the first such day)."),
    "started": _(
        "Projects moved into implementation in the period from an earlier stage; a resumption after a hold"
        " or a reopening is not a start."
    ),
    "completed": _("Projects moved into completed in the period, each once."),
    "cancelled": _("Projects moved into cancelled in the period, each once."),
    "pledged": _(
        "Σ pledges not withdrawn whose pledge date lies in the period, in euros at each pledge's own rate."
    ),
    "committed": _(
        "Of those pledges, the ones now committed or paid. The records keep no date of commitment, so a"
        " pledge counts in the period in which it was pledged."
    ),
    "received": _(
        "Σ receipts whose date lies in the period, in euros at the rate of the month each arrived,"
        " whenever the pledge was made."
    ),
    "by-donor": _("Pledged, committed and received in the period, as defined above, per donor State."),
    "by-area": _(
        "A project in both areas counts in full under each, as on the dashboards, so the rows may add up"
        " to more than the totals."
    ),
    "by-beneficiary": _(
        "A project helping several States counts in full under each, as on the dashboards, so the rows may"
        " add up to more than the totals."
    ),
    "outputs": _(
        "Indicators with a standard measure, of the projects in implementation at some time in the period"
        " (in implementation when it began, or started or completed during it). Target and actual as last"
        " recorded: actual values carry no date. Women and men are counted in the actual of people"
        " measures; not recorded is the rest of it."
    ),
    "processes": _(
        "Every change of stage dated in the period; a process recorded for the first time has no earlier"
        " stage (–)."
    ),
    "open-needs": _(
        "Projects neither completed nor cancelled at the end of the period (by their status history), at any"
        " stage, whose budget exceeds the pledges not withdrawn made up to that day: the projects the"
        " dashboards' open gap counts, on the period's last day. Budget as it stands today;"
        " gap = budget − pledged."
    ),
    "stage-changes": _("Changes of stage of national structures and procedures dated in the period."),
    "open-gap": _(
        "Σ max(budget − pledged, 0) over the projects neither completed nor cancelled at the end of the"
        " period, with the pledges made up to that day: the dashboards' open gap on the period's last day."
    ),
}


def build(session: Session, form: PeriodForm, *, charts: bool = False) -> Report:
    w = Words(form.lang)
    period = form.period
    names = q.state_names(session, form.lang)
    requests = q.requests_received(session, period)
    moves = {
        s: q.moves_into(session, period, s)
        for s in ("assessment", "implementation", "completed", "cancelled")
    }
    totals = q.money_totals(session, period)
    by_donor = q.money_by_donor(session, period)
    by_area = q.money_by_area(session, period)
    by_beneficiary = q.money_by_beneficiary(session, period)
    outputs = q.outputs(session, period)
    stages = q.stage_moves(session, period)
    needs = q.open_needs(session, period)

    d = {k: w(v) for k, v in DEFINITIONS.items()}
    changed_on = w(_("Date of the move"))
    projects = [
        _project_table(
            w, "requests", w(_("Requests received")), d["requests"], w(_("Request date")), requests, names
        ),
        _project_table(
            w,
            "assessments",
            w(_("Assessments made")),
            d["assessments"],
            changed_on,
            moves["assessment"],
            names,
        ),
        _project_table(
            w, "started", w(_("Projects started")), d["started"], changed_on, moves["implementation"], names
        ),
        _project_table(
            w, "completed", w(_("Projects completed")), d["completed"], changed_on, moves["completed"], names
        ),
        _project_table(
            w, "cancelled", w(_("Projects cancelled")), d["cancelled"], changed_on, moves["cancelled"], names
        ),
    ]

    def state(code: str) -> list[Cell]:
        return [Cell(code, code), Cell(names.get(code, code), names.get(code, code))]

    money = [
        _money_table(
            w, "by-donor", w(_("By donor")), d["by-donor"], [w(_("Code")), w(_("Donor"))], by_donor, state
        ),
        _money_table(
            w, "by-area", w(_("By area")), d["by-area"], [w(_("Area"))], by_area, lambda a: [Cell(a, a)]
        ),
        _money_table(
            w,
            "by-beneficiary",
            w(_("By beneficiary State")),
            d["by-beneficiary"],
            [w(_("Code")), w(_("Beneficiary State"))],
            by_beneficiary,
            state,
        ),
    ]

    output_rows = []
    for o in sorted(outputs, key=lambda o: list(BY_CODE).index(o.measure) if o.measure in BY_CODE else 99):
        measure = BY_CODE.get(o.measure)
        people = measure is not None and measure.people
        blank = Cell("–", "")
        output_rows.append(
            [
                Cell(w(measure.label) if measure else o.measure, o.measure),
                Cell(w(measure.unit) if measure else "", measure.unit if measure else ""),
                w.number(o.projects),
                w.number(o.indicators),
                w.number(o.target),
                w.number(o.actual),
                w.number(o.actual_women) if people else blank,
                w.number(o.actual_men) if people else blank,
                w.number(o.not_recorded) if people else blank,
            ]
        )
    output_columns = [
        w(_("Measure")),
        w(_("Unit")),
        w(_("Projects")),
        w(_("Indicators")),
        w(_("Target")),
        w(_("Actual")),
        w(_("Women")),
        w(_("Men")),
        w(_("Not recorded")),
    ]
    output_table = Table(
        "outputs", w(_("Outputs by standard measure")), d["outputs"], output_columns, output_rows
    )

    process_rows = [
        [
            w.day(s.on),
            Cell(names.get(s.state, s.state), s.state),
            Cell(s.name, s.name, href=f"/processes/{s.process_id}"),
            w.word(s.kind),
            w.word(s.from_stage),
            w.word(s.to_stage),
        ]
        for s in stages
    ]
    process_columns = [
        w(_("Date")),
        w(_("State")),
        w(_("Structure or procedure")),
        w(_("Kind")),
        w(_("From")),
        w(_("To")),
    ]
    process_table = Table(
        "processes",
        w(_("National processes that moved stage")),
        d["processes"],
        process_columns,
        process_rows,
    )

    need_rows = [
        [
            Cell(n.code, n.code, href=f"/projects/{n.id}"),
            Cell(n.title, n.title),
            _states(n.beneficiaries, names),
            w.word(n.status),
            w.money(n.budget_eur),
            w.money(n.pledged_eur),
            w.money(n.gap_eur),
        ]
        for n in needs
    ]
    need_columns = [
        w(_("Code")),
        w(_("Title")),
        w(_("Beneficiary States")),
        w(_("Status at the end")),
        w(_("Budget (EUR)")),
        w(_("Pledged by the end (EUR)")),
        w(_("Gap (EUR)")),
    ]
    needs_table = Table(
        "open-needs",
        w(_("Projects with an open gap at the end of the period")),
        d["open-needs"],
        need_columns,
        need_rows,
    )

    open_gap = sum((n.gap_eur for n in needs), q.ZERO)
    kpis = [
        Kpi(t.id, t.title, len(t.rows), w.fmt.number(len(t.rows)), t.definition, t.id) for t in projects
    ] + [
        Kpi(
            "pledged",
            w(_("Pledged")),
            totals.pledged_eur,
            w.fmt.money(totals.pledged_eur),
            d["pledged"],
            "by-donor",
        ),
        Kpi(
            "committed",
            w(_("Committed")),
            totals.committed_eur,
            w.fmt.money(totals.committed_eur),
            d["committed"],
            "by-donor",
        ),
        Kpi(
            "received",
            w(_("Received")),
            totals.received_eur,
            w.fmt.money(totals.received_eur),
            d["received"],
            "by-donor",
        ),
        Kpi(
            "stage-changes",
            w(_("Stage changes of national processes")),
            len(stages),
            w.fmt.number(len(stages)),
            d["stage-changes"],
            "processes",
        ),
        Kpi(
            "open-needs",
            w(_("Projects with an open gap")),
            len(needs),
            w.fmt.number(len(needs)),
            d["open-needs"],
            "open-needs",
        ),
        Kpi(
            "open-gap",
            w(_("Open gap at the end")),
            open_gap,
            w.fmt.money(open_gap),
            d["open-gap"],
            "open-needs",
        ),
    ]
    sections = [
        ("projects", w(_("Projects")), projects),
        ("money", w(_("Money")), money),
        ("outputs", w(_("Outputs")), [output_table]),
        ("processes", w(_("National processes")), [process_table]),
        ("needs", w(_("Open gap")), [needs_table]),
    ]
    report = Report(
        form,
        w(_("Period report")),
        w(_("{start} to {end}, both days included")).format(
            start=w.fmt.date(form.start), end=w.fmt.date(form.end)
        ),
        kpis,
        sections,
    )
    if charts:
        report.charts = _charts(w, by_donor, by_beneficiary, names)
    return report


def _charts(
    w: Words, by_donor: list[q.MoneyLine], by_beneficiary: list[q.MoneyLine], names: dict[str, str]
) -> list[str]:
    def tick(x: float) -> str:
        return format_decimal(round(x), locale=w.lang)

    out = []
    for lines, title in (
        (by_donor, w(_("Pledged and received in the period by donor (EUR, the ten largest)"))),
        (
            by_beneficiary,
            w(_("Pledged and received in the period by beneficiary State (EUR, the ten largest)")),
        ),
    ):
        top = lines[:CHART_ROWS]
        if not top:
            continue
        out.append(
            bar_chart_svg(
                [names.get(m.key, m.key) for m in top],
                [
                    (w(_("Pledged")), [m.pledged_eur for m in top]),
                    (w(_("Received")), [m.received_eur for m in top]),
                ],
                title=title,
                tick=tick,
            )
        )
    return out


# -- outputs: page, CSV, PDF ---------------------------------------------------------------------


def csv_text(table: Table) -> str:
    """One table as CSV: its columns, codes and ISO dates, amounts as plain numbers (250000.00)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([formula_guard(c.value) for c in row])
    return out.getvalue()


def pdf_bytes(session: Session, form: PeriodForm) -> bytes:
    report = build(session, form, charts=True)
    html = (
        templates.env(form.lang)
        .get_template("period_print.html")
        .render(report=report, lang=form.lang, shown=PRINTED)
    )
    return pdf_from_html(html, title=f"{report.title} — {report.period_text}", lang=form.lang)


def file_stem(form: PeriodForm) -> str:
    return f"period-report-{form.start.isoformat()}-{form.end.isoformat()}"


def reader(request: Request, session: SessionDep) -> User:
    """Staff, managers and admins: the report shows every donor's money, so a donor account is refused."""
    user = page_user(request, session)
    if user.role == "donor":
        raise Forbidden(
            "The period report shows every donor's contributions; a donor account may not open it."
        )
    return user


Reader = Annotated[User, Depends(reader)]


def _form(request: Request) -> PeriodForm:
    return parse_period(request.query_params, request_lang(request))


def _refused(form: PeriodForm) -> Response:
    return Response(
        "\n".join(f"{k}: {m}" for k, m in form.errors.items()),
        status_code=422,
        media_type="text/plain; charset=utf-8",
        headers=SECURITY_HEADERS,
    )


@router.get("/period")
def period_page(request: Request, session: SessionDep, user: Reader) -> HTMLResponse:
    form = _form(request)
    report = None if form.errors else build(session, form)
    return templates.render(
        request,
        "period.html",
        422 if form.errors else 200,
        lang=form.lang,
        user=user,
        form=form,
        report=report,
        shown=SHOWN,
    )


@router.get("/period.pdf")
def period_pdf(request: Request, session: SessionDep, user: Reader) -> Response:
    form = _form(request)
    if form.errors:
        return _refused(form)
    suffix = "" if form.lang == DEFAULT else f"-{form.lang}"
    return Response(
        pdf_bytes(session, form),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{file_stem(form)}{suffix}.pdf"',
            **SECURITY_HEADERS,
        },
    )


@router.get("/period/{table}.csv")
def period_csv(request: Request, session: SessionDep, user: Reader, table: str) -> Response:
    form = _form(request)
    if form.errors:
        return _refused(form)
    if table not in TABLES:
        raise NotFound(f"The period report has no table {table!r}.")
    found = build(session, form).table(table)
    assert found is not None
    return Response(
        csv_text(found),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{file_stem(form)}-{table}.csv"',
            **SECURITY_HEADERS,
        },
    )


def install(app: FastAPI) -> None:
    app.include_router(router)


__all__ = ["TABLES", "build", "csv_text", "install", "parse_period", "pdf_bytes"]
