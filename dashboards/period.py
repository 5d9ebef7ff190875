"""The report to the biennial implementation meetings: what happened in a period, as a page, a PDF and CSVs.

``/reports/period?from=YYYY-MM-DD&to=YYYY-MM-DD`` (FSC staff, managers and admins; a donor account is
refused, since the report shows every donor's money): the requests received, assessments, starts,
completions and cancellations; the money pledged, committed and received, by donor, area and beneficiary;
the outputs by standard measure; the national processes that moved stage; the projects with an open gap at
the end. Each figure carries its definition; each table is also a CSV (``/reports/period/{table}.csv``) and
the whole an A4 PDF (``/reports/period.pdf``), in each language of the registry. Every number is read by
:mod:`dashboards.period_queries`; this module only shapes and writes it."""

from __future__ import annotations

from collections.abc import Callable
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
from dashboards.kit import Cell, Kpi, PeriodForm, Table, parse_period
from dashboards.kit import default_period as default_period
from dashboards.kit import table_csv as csv_text
from dashboards.labels import Labels
from dashboards.printing import bar_chart_svg, pdf_from_html
from portfolio.db import SessionDep
from portfolio.errors import Forbidden, NotFound
from portfolio.marking import mark as _
from portfolio.projects.measures import BY_CODE
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


# -- what the report holds -----------------------------------------------------------------------


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
    """The report's texts and formats in one language, and its cells: each as the page writes it and as
    the CSV holds it."""

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


@dataclass(frozen=True)
class _Read:
    """Everything the report counts, read once (:mod:`dashboards.period_queries`)."""

    names: dict[str, str]
    requests: list[q.ProjectMove]
    moves: dict[str, list[q.ProjectMove]]  # status → the projects moved into it
    totals: q.MoneyLine
    by_donor: list[q.MoneyLine]
    by_area: list[q.MoneyLine]
    by_beneficiary: list[q.MoneyLine]
    outputs: list[q.OutputLine]
    stages: list[q.StageMove]
    needs: list[q.OpenNeed]


def _read(session: Session, period: q.Period, lang: str) -> _Read:
    return _Read(
        q.state_names(session, lang),
        q.requests_received(session, period),
        {
            s: q.moves_into(session, period, s)
            for s in ("assessment", "implementation", "completed", "cancelled")
        },
        q.money_totals(session, period),
        q.money_by_donor(session, period),
        q.money_by_area(session, period),
        q.money_by_beneficiary(session, period),
        q.outputs(session, period),
        q.stage_moves(session, period),
        q.open_needs(session, period),
    )


def build(session: Session, form: PeriodForm, *, charts: bool = False) -> Report:
    """The report for the form's period: its headline figures, then one section per kind of list."""
    w = Words(form.lang)
    data = _read(session, form.period, form.lang)
    projects = _project_tables(w, data)
    sections = [
        ("projects", w(_("Projects")), projects),
        ("money", w(_("Money")), _money_tables(w, data)),
        ("outputs", w(_("Outputs")), [_output_table(w, data.outputs)]),
        ("processes", w(_("National processes")), [_process_table(w, data.stages, data.names)]),
        ("needs", w(_("Open gap")), [_needs_table(w, data.needs, data.names)]),
    ]
    report = Report(
        form,
        w(_("Period report")),
        w(_("{start} to {end}, both days included")).format(
            start=w.fmt.date(form.start), end=w.fmt.date(form.end)
        ),
        [*_count_kpis(w, projects), *_kpis(w, data)],
        sections,
    )
    if charts:
        report.charts = _charts(w, data.by_donor, data.by_beneficiary, data.names)
    return report


# -- the sections ----------------------------------------------------------------------------------


def _project_table(
    w: Words, table_id: str, title: str, date_column: str, moves: list[q.ProjectMove], names: dict[str, str]
) -> Table:
    def write(m: q.ProjectMove) -> list[Cell]:
        return [
            Cell(m.code, m.code, href=f"/projects/{m.id}"),
            Cell(m.title, m.title),
            _states(m.beneficiaries, names),
            w.day(m.on),
        ]

    columns = [w(_("Code")), w(_("Title")), w(_("Beneficiary States")), date_column]
    return Table(table_id, title, columns, moves, write, note=w(DEFINITIONS[table_id]))


def _project_tables(w: Words, data: _Read) -> list[Table]:
    """Requests received, assessments made, projects started, completed and cancelled."""
    changed_on = w(_("Date of the move"))
    return [
        _project_table(
            w, "requests", w(_("Requests received")), w(_("Request date")), data.requests, data.names
        ),
        _project_table(
            w, "assessments", w(_("Assessments made")), changed_on, data.moves["assessment"], data.names
        ),
        _project_table(
            w, "started", w(_("Projects started")), changed_on, data.moves["implementation"], data.names
        ),
        _project_table(
            w, "completed", w(_("Projects completed")), changed_on, data.moves["completed"], data.names
        ),
        _project_table(
            w, "cancelled", w(_("Projects cancelled")), changed_on, data.moves["cancelled"], data.names
        ),
    ]


def _money_table(
    w: Words,
    table_id: str,
    title: str,
    key_columns: list[str],
    lines: list[q.MoneyLine],
    key: Callable[[str], list[Cell]],
) -> Table:
    def write(m: q.MoneyLine) -> list[Cell]:
        return [*key(m.key), w.money(m.pledged_eur), w.money(m.committed_eur), w.money(m.received_eur)]

    columns = [*key_columns, w(_("Pledged (EUR)")), w(_("Committed (EUR)")), w(_("Received (EUR)"))]
    return Table(table_id, title, columns, lines, write, note=w(DEFINITIONS[table_id]))


def _money_tables(w: Words, data: _Read) -> list[Table]:
    """Pledged, committed and received by donor, by area and by beneficiary State."""
    names = data.names

    def state(code: str) -> list[Cell]:
        return [Cell(code, code), Cell(names.get(code, code), names.get(code, code))]

    code = w(_("Code"))
    return [
        _money_table(w, "by-donor", w(_("By donor")), [code, w(_("Donor"))], data.by_donor, state),
        _money_table(w, "by-area", w(_("By area")), [w(_("Area"))], data.by_area, lambda a: [Cell(a, a)]),
        _money_table(
            w,
            "by-beneficiary",
            w(_("By beneficiary State")),
            [code, w(_("Beneficiary State"))],
            data.by_beneficiary,
            state,
        ),
    ]


def _output_table(w: Words, outputs: list[q.OutputLine]) -> Table:
    """Outputs by standard measure, in the measures' own order; women, men and not recorded for people."""

    def write(o: q.OutputLine) -> list[Cell]:
        measure = BY_CODE.get(o.measure)
        people = measure is not None and measure.people
        blank = Cell("–", "")
        return [
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

    ordered = sorted(outputs, key=lambda o: list(BY_CODE).index(o.measure) if o.measure in BY_CODE else 99)
    columns = [
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
    title = w(_("Outputs by standard measure"))
    return Table("outputs", title, columns, ordered, write, note=w(DEFINITIONS["outputs"]))


def _process_table(w: Words, stages: list[q.StageMove], names: dict[str, str]) -> Table:
    def write(s: q.StageMove) -> list[Cell]:
        return [
            w.day(s.on),
            Cell(names.get(s.state, s.state), s.state),
            Cell(s.name, s.name, href=f"/processes/{s.process_id}"),
            w.word(s.kind),
            w.word(s.from_stage),
            w.word(s.to_stage),
        ]

    columns = [
        w(_("Date")),
        w(_("State")),
        w(_("Structure or procedure")),
        w(_("Kind")),
        w(_("From")),
        w(_("To")),
    ]
    title = w(_("National processes that moved stage"))
    return Table("processes", title, columns, stages, write, note=w(DEFINITIONS["processes"]))


def _needs_table(w: Words, needs: list[q.OpenNeed], names: dict[str, str]) -> Table:
    def write(n: q.OpenNeed) -> list[Cell]:
        return [
            Cell(n.code, n.code, href=f"/projects/{n.id}"),
            Cell(n.title, n.title),
            _states(n.beneficiaries, names),
            w.word(n.status),
            w.money(n.budget_eur),
            w.money(n.pledged_eur),
            w.money(n.gap_eur),
        ]

    columns = [
        w(_("Code")),
        w(_("Title")),
        w(_("Beneficiary States")),
        w(_("Status at the end")),
        w(_("Budget (EUR)")),
        w(_("Pledged by the end (EUR)")),
        w(_("Gap (EUR)")),
    ]
    title = w(_("Projects with an open gap at the end of the period"))
    return Table("open-needs", title, columns, needs, write, note=w(DEFINITIONS["open-needs"]))


# -- the headline figures --------------------------------------------------------------------------


def _count_kpis(w: Words, projects: list[Table]) -> list[Kpi]:
    """One count per list of projects, linked to its list."""
    return [Kpi(t.id, t.title, t.count, w.fmt.number(t.count), t.note, t.id) for t in projects]


def _kpis(w: Words, data: _Read) -> list[Kpi]:
    """The money, the stage changes and the open gap, each linked to the list that breaks it down."""

    def money(key: str, label: str, value: Decimal, table: str) -> Kpi:
        return Kpi(key, w(label), value, w.fmt.money(value), w(DEFINITIONS[key]), table)

    def count(key: str, label: str, value: int, table: str) -> Kpi:
        return Kpi(key, w(label), value, w.fmt.number(value), w(DEFINITIONS[key]), table)

    totals = data.totals
    return [
        money("pledged", _("Pledged"), totals.pledged_eur, "by-donor"),
        money("committed", _("Committed"), totals.committed_eur, "by-donor"),
        money("received", _("Received"), totals.received_eur, "by-donor"),
        count("stage-changes", _("Stage changes of national processes"), len(data.stages), "processes"),
        count("open-needs", _("Projects with an open gap"), len(data.needs), "open-needs"),
        money("open-gap", _("Open gap at the end"), q.open_gap(data.needs), "open-needs"),
    ]


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


__all__ = [
    "TABLES",
    "build",
    "csv_text",
    "default_period",
    "file_stem",
    "install",
    "parse_period",
    "pdf_bytes",
]
