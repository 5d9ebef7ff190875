"""A donor's statement for one period: what it pledged, what arrived, what is still outstanding, its share
of each project it funds and what those projects achieved — on a page, as CSV tables and as an A4 PDF.

Every figure is the donor's own: its pledges, its receipts, its share (its own pledges ÷ the project's
budget). The one figure that involves the other donors is a project's gap (budget − every pledge, as the
project page shows it); no other donor's name, pledge, amount or note is ever read into a statement."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session

from dashboards import queries as dashboard_queries
from dashboards import statement_queries as sq
from dashboards.kit import ZERO, Cell, Kpi, Period, Table, cells, table_csv
from dashboards.kit import default_period as default_period
from dashboards.kit import parse_period as parse_period
from dashboards.labels import Labels
from dashboards.printing import bar_chart_svg, pdf_from_html
from portfolio.agreements.schemas import ObligationKind
from portfolio.marking import mark as _
from portfolio.projects.measures import BY_CODE
from portfolio.spending.schemas import BudgetCategory
from portfolio.web.i18n import Formats, label, translations
from portfolio.web.render import Templates

HERE = Path(__file__).parent
CHART_ROWS = 12  # bars a chart draws: the largest; the tables hold every line
# Rows of one list shown on the page and printed in the PDF (a document to forward, laid out at about a
# third of a second a page); the CSV always holds them all.
SHOWN = 500
PRINTED = 100
templates = Templates(HERE / "templates")


TEXT: dict[str, str] = {
    "title": _("Statement of contributions: {donor}"),
    "period": _("Period"),
    "period_from": _("From (date)"),
    "period_to": _("To (date)"),
    "show": _("Show the period"),
    "default_period": _("Unless another period is chosen: from 1 January of last year to today."),
    "period_line": _("Period: {start} to {end}"),
    "written": _("Written on {day}"),
    "download_pdf": _("Download this statement as PDF"),
    "refused": _("The period was not applied: see the messages beside the dates."),
    "sample": _("Sample data: the projects and amounts in this statement are fictitious."),
    "some_sample": _("Records whose code starts with SAMPLE- are fictitious sample data."),
    "only_own": _(
        "This statement shows this donor's own pledges and receipts only; a project's gap is the project's"
        " figure (budget minus every donor's pledges)."
    ),
    # headline figures
    "k_projects": _("Projects in this statement"),
    "d_projects": _(
        "Projects with a pledge made in the period, money received in it, money still outstanding at its"
        " end, or that were not yet closed when it began."
    ),
    "k_pledged_period": _("Pledged in the period"),
    "d_pledged_period": _("Σ pledges made in the period and not withdrawn, in euros at each pledge's rate."),
    "k_received_period": _("Received in the period"),
    "d_received_period": _("Σ receipts dated in the period, in euros at the rate of the month each arrived."),
    "k_fx_period": _("Exchange difference in the period"),
    "d_fx_period": _(
        "Σ over the period's receipts of (euros at the receipt's month rate − the same amount at its"
        " pledge's rate)."
    ),
    "k_pledged": _("Pledged to date"),
    "d_pledged": _(
        "Σ pledges made by the period's end and not withdrawn, to every project, in euros at each pledge's"
        " rate."
    ),
    "k_received": _("Received to date"),
    "d_received": _("Σ receipts dated by the period's end, in euros at the rate of the month each arrived."),
    "k_outstanding": _("Outstanding at the period's end"),
    "d_outstanding": _(
        "Σ over pledges not withdrawn of (amount − received by the period's end), in each pledge's currency,"
        " valued in euros at the pledge's own rate."
    ),
    "k_fx": _("Exchange difference to date"),
    "d_fx": _(
        "Received in euros at the receipts' months' rates, minus the same amounts at each pledge's own rate,"
        " rounded per pledge."
    ),
    "k_spent_period": _("Spent from its money in the period"),
    "d_spent_period": _(
        "Σ the shares of the projects' expenditures dated in the period charged to its own pledges,"
        " reversals deducted, in euros."
    ),
    "k_spent": _("Spent from its money to date"),
    "d_spent": _(
        "Σ the shares of the projects' expenditures dated by the period's end charged to its pledges made by"
        " then, reversals deducted, in euros: its own share only."
    ),
    "k_balance": _("Its balance at the period's end"),
    "d_balance": _(
        "Received to date − spent from its money to date: what it has paid in that the projects have not"
        " yet spent."
    ),
    # tables
    "t_projects": _("Projects it funds"),
    "t_pledges": _("Its pledges"),
    "n_pledges": _("Pledges made in the period, with money received in it, or still outstanding at its end."),
    "t_receipts": _("Money received in the period"),
    "t_outstanding": _("Outstanding at the period's end, by currency"),
    "t_results": _("What the projects achieved: indicators"),
    "t_processes": _("National structures and procedures the projects support"),
    "t_paid_for": _("What its money paid for"),
    "n_paid_for": _(
        "The part of each project's expenditures charged to its own pledges, by budget line category;"
        " spending booked on no budget line is “Unallocated”. Other donors' shares are not shown."
    ),
    "c_category": _("Budget line category"),
    "c_paid_period": _("Paid in the period (€)"),
    "c_paid_to_date": _("Paid to date (€)"),
    "unallocated": _("Unallocated"),
    "t_obligations": _("Reports to it now overdue"),
    "n_obligations": _(
        "Reports its agreements call for, due and not yet submitted on the day this was written."
    ),
    "c_agreement": _("Agreement"),
    "c_report": _("Report"),
    "c_due_on": _("Due on"),
    "c_days_late": _("Days late"),
    "c_project": _("Project"),
    "c_title": _("Title"),
    "c_status": _("Status"),
    "c_budget": _("Project budget (€)"),
    "c_own": _("Its pledges (€)"),
    "c_share": _("Its share of the budget"),
    "c_own_received": _("Received from it (€)"),
    "c_gap": _("Project gap (€)"),
    "c_milestones": _("Milestones done"),
    "c_pledged_on": _("Pledged on"),
    "c_kind": _("Kind"),
    "c_currency": _("Currency"),
    "c_amount": _("Amount"),
    "c_rate": _("Rate (€ per unit)"),
    "c_amount_eur": _("Euros at the pledge's rate"),
    "c_pledge_status": _("Pledge status"),
    "c_received_cur": _("Received by the end"),
    "c_outstanding_cur": _("Outstanding"),
    "c_received_on": _("Received on"),
    "c_receipt_eur": _("Euros at the receipt's rate"),
    "c_pledge_eur": _("Euros at the pledge's rate"),
    "c_fx": _("Exchange difference (€)"),
    "c_outstanding_eur": _("Outstanding (€ at the pledges' rates)"),
    "c_pledge_count": _("Pledges"),
    "c_indicator": _("Indicator"),
    "c_measure": _("Standard measure"),
    "c_unit": _("Unit"),
    "c_target": _("Target"),
    "c_actual": _("Actual"),
    "c_women": _("Women (actual / target)"),
    "c_men": _("Men (actual / target)"),
    "c_state": _("State"),
    "c_process": _("Structure or procedure"),
    "c_stage": _("Stage now"),
    "c_moves": _("Stage moves in the period"),
    "c_projects": _("Its projects"),
    "of": _("{done} of {total}"),
    "nothing": _("Nothing in this period."),
    "first_rows": _("The first {shown} rows of {count}; the CSV holds them all."),
    "total": _("Total"),
    # charts
    "ch_projects": _("Its pledges and receipts by project, in euros"),
    "ch_projects_top": _("Its pledges and receipts by project, in euros (the {n} largest of {total})"),
    "ch_outstanding": _("Outstanding at the period's end by currency, in euros at the pledges' rates"),
    "ch_share": _("Its share of each project's budget, in per cent"),
    "ch_share_top": _("Its share of each project's budget, in per cent (the {n} largest pledges of {total})"),
    "s_pledged": _("Its pledges"),
    "s_received": _("Received from it"),
    "s_outstanding": _("Outstanding"),
    "s_share": _("Share of the budget"),
}


class Words:
    """The statement's texts in one language, and the dashboards' words for statuses and stages."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.gettext = translations(lang).gettext
        self.labels = Labels(lang)
        self.formats = Formats(lang)

    def __getitem__(self, key: str) -> str:
        return self.gettext(TEXT[key])

    def word(self, value: str) -> str:
        return self.labels.word(value)

    def money(self, amount: Decimal | None, currency: str = "EUR") -> str:
        return self.formats.money(amount, currency)

    def number(self, value: Decimal | None) -> str:
        return "–" if value is None else self.formats.number(value.normalize())

    def percent(self, ratio: Decimal | None) -> str:
        return self.formats.percent(ratio)

    def date(self, day: date) -> str:
        return self.formats.date(day)


# -- what a statement holds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    svg: str


ID = re.compile(r'\bid="([^"]+)"')


def _own_ids(svg: str, prefix: str) -> str:
    """The chart's element ids prefixed with its own, so that two charts on one page (or in one PDF) never
    share an id and each one's clip paths and references stay its own."""
    ids = set(ID.findall(svg))
    for name in sorted(ids, key=len, reverse=True):
        svg = svg.replace(f'id="{name}"', f'id="{prefix}-{name}"').replace(f"#{name})", f"#{prefix}-{name})")
        svg = svg.replace(f'href="#{name}"', f'href="#{prefix}-{name}"')
    return svg


@dataclass
class Statement:
    code: str
    donor: str
    lang: str
    period: Period
    kpis: list[Kpi]
    charts: list[Chart]
    tables: list[Table]
    sample: bool  # every project listed is sample data: the whole statement is fictitious
    written: str
    note: str = ""  # why more euros may have arrived than were pledged
    some_sample: bool = False  # some of the projects listed are sample data, the others real

    def kpi(self, key: str) -> Kpi:
        return next(k for k in self.kpis if k.key == key)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.id == key)


def _plain(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def _count(value: Decimal | None) -> str:
    """An indicator's value as a plain number without trailing zeros: 40, 12.5."""
    return "" if value is None else format(value.normalize(), "f")


def _stage(words: Words, stage: str | None) -> str:
    return words.word(stage) if stage else "–"


def _tick(words: Words) -> Any:
    return lambda x: words.formats.number(round(x))


def _table(
    key: str,
    title: str,
    columns: list[str],
    items: Sequence[Any],
    show: Callable[[Any], list[str]],
    plain: Callable[[Any], list[str]],
    numeric: Iterable[int] = (),
    link: Callable[[Any], str | None] | None = None,
    *,
    note: str = "",
    csv_columns: list[str] | None = None,
) -> Table:
    """One of the statement's lists: ``show`` writes a row for the page, ``plain`` for the CSV; the columns
    in ``numeric`` are aligned right, and ``link`` is the address of a row's first cell."""
    right = frozenset(numeric)

    def write(item: Any) -> list[Cell]:
        return cells(show(item), numeric=right, href=link(item) if link else None)

    return Table(key, title, columns, items, write, note=note, plain=plain, csv_columns=csv_columns or [])


# -- building it --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Read:
    """What a statement reads (:mod:`dashboards.statement_queries`), with its sums, in one language."""

    words: Words
    period: Period
    names: dict[str, str]
    pledges: list[sq.PledgeRow]
    projects: list[sq.ProjectRow]
    indicators: list[sq.IndicatorRow]
    processes: list[sq.ProcessRow]
    moves: list[sq.StageMove]
    ledger: sq.Ledger
    paid_for: list[sq.PaidForRow]

    @property
    def spent_eur(self) -> Decimal:
        """Charged to its pledges to the period's end: what its money paid for."""
        return sum((r.to_end_eur for r in self.paid_for), ZERO)

    @property
    def spent_in_period_eur(self) -> Decimal:
        return sum((r.in_period_eur for r in self.paid_for), ZERO)

    @property
    def balance_eur(self) -> Decimal:
        """Received to date − spent from its money to date, over the same pledges (made by the end)."""
        return self.ledger.received_eur - self.spent_eur

    @property
    def by_id(self) -> dict[int, sq.ProjectRow]:
        return {p.id: p for p in self.projects}

    def t(self, key: str) -> str:
        return self.words[key]

    def headings(self, *keys: str) -> list[str]:
        return [self.words[k] for k in keys]


def _read(session: Session, code: str, period: Period, lang: str) -> _Read:
    names = dashboard_queries.state_names(session, lang)
    pledges = sq.pledges(session, code, period)
    receipts = sq.receipts(session, code, period)
    projects = sq.projects(session, code, period)
    indicators = sq.indicators(session, code, period, projects)
    processes, moves = sq.processes(session, code, period, projects)
    ledger = sq.ledger(pledges, receipts, period)
    paid_for = sq.paid_for(session, code, period)
    return _Read(
        Words(lang), period, names, pledges, projects, indicators, processes, moves, ledger, paid_for
    )


def build(session: Session, code: str, period: Period, lang: str) -> Statement:
    """The donor's statement for ``period``: headline figures, charts, then one list per section."""
    s = _read(session, code, period, lang)
    today = date.today()
    obligations = sq.overdue_obligations(session, code, today)
    tables = [
        _projects(s),
        _pledges(s),
        _receipts(s),
        _outstanding(s),
        _paid_for(s),
        _results(s),
        _processes(s),
        _obligations(s, obligations, today),
    ]
    donor = s.names.get(code, code)
    # Sample projects are recognised by their code (the sample loader gives every one SAMPLE-…): the
    # statement is called fictitious only when everything it lists is.
    sample = sum(1 for pr in s.projects if dashboard_queries.is_sample(pr.code))
    return Statement(
        code,
        donor,
        lang,
        period,
        _kpis(s),
        _charts(s),
        tables,
        sample=bool(s.projects) and sample == len(s.projects),
        written=s.words.date(datetime.now(UTC).date()),
        note=_note(s, donor),
        some_sample=0 < sample < len(s.projects),
    )


def _kpis(s: _Read) -> list[Kpi]:
    """The headline figures: the period's, then to date."""
    words, ledger = s.words, s.ledger

    def money_kpi(key: str, value: Decimal) -> Kpi:
        name = key.replace("-", "_")
        return Kpi(key, words[f"k_{name}"], value, words.money(value), words[f"d_{name}"])

    count = len(s.projects)
    return [
        Kpi("projects", words["k_projects"], count, str(count), words["d_projects"]),
        money_kpi("pledged-period", ledger.pledged_in_period_eur),
        money_kpi("received-period", ledger.received_in_period_eur),
        money_kpi("spent-period", s.spent_in_period_eur),
        money_kpi("fx-period", ledger.fx_in_period_eur),
        money_kpi("pledged", ledger.pledged_eur),
        money_kpi("received", ledger.received_eur),
        money_kpi("spent", s.spent_eur),
        money_kpi("balance", s.balance_eur),
        money_kpi("outstanding", ledger.outstanding_total_eur),
        Kpi("fx-difference", words["k_fx"], ledger.fx_eur, words.money(ledger.fx_eur), words["d_fx"]),
    ]


def _note(s: _Read, donor: str) -> str:
    """Why the euros received may differ from those pledged: exchange rates."""
    words, ledger = s.words, s.ledger
    note = ""
    if any(p.currency != "EUR" for p in ledger.counted):
        note = words.labels["fx_explained"]
    if ledger.excess_eur is not None:
        above = words.labels["fx_above"].format(
            donor=donor, excess=words.money(ledger.excess_eur), fx=words.money(ledger.fx_eur)
        )
        note = f"{note} {above}"
    return note


def _project_page(pr: sq.ProjectRow) -> str:
    return f"/projects/{pr.id}"


def _its_project(row: sq.PledgeRow | sq.IndicatorRow | sq.ObligationRow) -> str:
    return f"/projects/{row.project_id}"


def _projects(s: _Read) -> Table:
    """The projects it funds: its pledges, its share of the budget, what it paid, the project's gap."""
    words = s.words

    def show(pr: sq.ProjectRow) -> list[str]:
        line = s.ledger.project(pr)
        return [
            pr.code,
            pr.title,
            words.word(pr.status),
            words.money(pr.budget_eur),
            words.money(line.own_eur),
            words.percent(line.share),
            words.money(line.received_eur),
            words.money(line.gap_eur),
            words["of"].format(done=pr.milestones_done, total=pr.milestones),
        ]

    def plain(pr: sq.ProjectRow) -> list[str]:
        line = s.ledger.project(pr)
        return [
            pr.code,
            pr.title,
            pr.status,
            _plain(pr.budget_eur),
            _plain(line.own_eur),
            _plain(line.share),
            _plain(line.received_eur),
            _plain(line.gap_eur),
            f"{pr.milestones_done}/{pr.milestones}",
        ]

    columns = s.headings(
        "c_project",
        "c_title",
        "c_status",
        "c_budget",
        "c_own",
        "c_share",
        "c_own_received",
        "c_gap",
        "c_milestones",
    )
    return _table(
        "projects", s.t("t_projects"), columns, s.projects, show, plain, {3, 4, 5, 6, 7}, _project_page
    )


def _pledges(s: _Read) -> Table:
    """Its pledges made in the period, with money received in it, or still outstanding at its end."""
    words, by_id, outstanding = s.words, s.by_id, s.ledger.outstanding
    shown = [
        p
        for p in s.pledges
        if p.project_id in by_id
        and (p.pledged_on >= s.period.start or p.receipts_in_period or p.id in outstanding)
    ]
    shown.sort(key=lambda p: (by_id[p.project_id].code, p.pledged_on, p.id))  # as the projects' list

    def show(p: sq.PledgeRow) -> list[str]:
        return [
            by_id[p.project_id].code,
            words.date(p.pledged_on),
            words.word(p.kind),
            words.money(p.amount, p.currency),
            words.number(p.eur_per_unit),
            words.money(p.amount_eur),
            words.word(p.status),
            words.money(p.received, p.currency),
            words.money(outstanding.get(p.id, ZERO), p.currency),
        ]

    def plain(p: sq.PledgeRow) -> list[str]:
        return [
            by_id[p.project_id].code,
            p.pledged_on.isoformat(),
            p.kind,
            p.currency,
            _plain(p.amount),
            _plain(p.eur_per_unit),
            _plain(p.amount_eur),
            p.status,
            _plain(p.received),
            _plain(outstanding.get(p.id, ZERO)),
        ]

    first = ("c_project", "c_pledged_on", "c_kind")
    last = ("c_amount", "c_rate", "c_amount_eur", "c_pledge_status", "c_received_cur", "c_outstanding_cur")
    return _table(
        "pledges",
        s.t("t_pledges"),
        s.headings(*first, *last),
        shown,
        show,
        plain,
        {3, 4, 5, 7, 8},
        _its_project,
        note=s.t("n_pledges"),
        csv_columns=s.headings(*first, "c_currency", *last),  # the amount and its currency apart
    )


def _receipts(s: _Read) -> Table:
    """The money received in the period, in euros at its month's rate and at its pledge's, with totals."""
    words, by_id, ledger = s.words, s.by_id, s.ledger

    def code(line: sq.ReceiptLine) -> str:
        project = by_id.get(line.receipt.project_id)
        return project.code if project else ""

    # stable: by id within a day
    lines = sorted(ledger.receipts, key=lambda line: (line.receipt.received_on, code(line)))

    def show(line: sq.ReceiptLine) -> list[str]:
        r = line.receipt
        return [
            code(line),
            words.date(r.received_on),
            words.money(r.amount, r.currency),
            words.money(r.amount_eur),
            words.money(line.eur_at_pledge),
            words.money(line.fx_eur),
        ]

    def plain(line: sq.ReceiptLine) -> list[str]:
        r = line.receipt
        return [
            code(line),
            r.received_on.isoformat(),
            r.currency,
            _plain(r.amount),
            _plain(r.amount_eur),
            _plain(line.eur_at_pledge),
            _plain(line.fx_eur),
        ]

    def link(line: sq.ReceiptLine) -> str | None:
        return f"/projects/{line.receipt.project_id}" if line.receipt.project_id in by_id else None

    first, last = ("c_project", "c_received_on"), ("c_amount", "c_receipt_eur", "c_pledge_eur", "c_fx")
    table = _table(
        "receipts",
        s.t("t_receipts"),
        s.headings(*first, *last),
        lines,
        show,
        plain,
        {2, 3, 4, 5},
        link,
        csv_columns=s.headings(*first, "c_currency", *last),
    )
    if lines:
        table.foot = [
            s.t("total"),
            "",
            "",
            words.money(ledger.received_in_period_eur),
            words.money(ledger.at_pledge_in_period_eur),
            words.money(ledger.fx_in_period_eur),
        ]
    return table


def _outstanding(s: _Read) -> Table:
    """What is still outstanding at the period's end, by currency, with its total in euros."""
    words, ledger = s.words, s.ledger
    table = _table(
        "outstanding",
        s.t("t_outstanding"),
        s.headings("c_currency", "c_outstanding_cur", "c_outstanding_eur", "c_pledge_count"),
        ledger.by_currency,
        lambda c: [
            c.currency,
            words.money(c.outstanding, c.currency),
            words.money(c.outstanding_eur),
            str(c.pledges),
        ],
        lambda c: [c.currency, _plain(c.outstanding), _plain(c.outstanding_eur), str(c.pledges)],
        {1, 2, 3},
    )
    if ledger.by_currency:
        table.foot = [
            s.t("total"),
            "",
            words.money(ledger.outstanding_total_eur),
            str(len(ledger.outstanding)),
        ]
    return table


def _paid_for(s: _Read) -> Table:
    """What its money paid for: its pledges' charges by project and budget line category, with totals."""
    words = s.words

    def category(row: sq.PaidForRow) -> str:
        return s.t("unallocated") if row.category is None else label(row.category, BudgetCategory, words.lang)

    table = _table(
        "paid-for",
        s.t("t_paid_for"),
        s.headings("c_project", "c_category", "c_paid_period", "c_paid_to_date"),
        s.paid_for,
        lambda r: [r.project_code, category(r), words.money(r.in_period_eur), words.money(r.to_end_eur)],
        lambda r: [
            r.project_code,
            r.category or "unallocated",
            _plain(r.in_period_eur),
            _plain(r.to_end_eur),
        ],
        {2, 3},
        lambda r: f"/projects/{r.project_id}",
        note=s.t("n_paid_for"),
    )
    if s.paid_for:
        table.foot = [s.t("total"), "", words.money(s.spent_in_period_eur), words.money(s.spent_eur)]
    return table


def _results(s: _Read) -> Table:
    """What the projects achieved: their indicators, women and men apart for people measures."""
    words, by_id = s.words, s.by_id

    def parts(ind: sq.IndicatorRow) -> tuple[Any, bool, str]:
        measure = BY_CODE.get(ind.measure or "")
        return (
            measure,
            measure is not None and measure.people,
            measure.unit if measure is not None else ind.unit,
        )

    def show(ind: sq.IndicatorRow) -> list[str]:
        measure, people, unit = parts(ind)
        women = f"{words.number(ind.actual_women)} / {words.number(ind.target_women)}" if people else ""
        men = f"{words.number(ind.actual_men)} / {words.number(ind.target_men)}" if people else ""
        return [
            by_id[ind.project_id].code,
            ind.name,
            words.gettext(measure.label) if measure else "",
            words.gettext(unit),
            words.number(ind.target),
            words.number(ind.actual),
            women,
            men,
        ]

    def plain(ind: sq.IndicatorRow) -> list[str]:
        _measure, people, unit = parts(ind)
        return [
            by_id[ind.project_id].code,
            ind.name,
            ind.measure or "",
            unit,
            _count(ind.target),
            _count(ind.actual),
            _count(ind.actual_women) if people else "",
            _count(ind.target_women) if people else "",
            _count(ind.actual_men) if people else "",
            _count(ind.target_men) if people else "",
        ]

    first = ("c_project", "c_indicator", "c_measure", "c_unit", "c_target", "c_actual")
    return _table(
        "results",
        s.t("t_results"),
        s.headings(*first, "c_women", "c_men"),
        s.indicators,
        show,
        plain,
        {4, 5, 6, 7},
        _its_project,
        csv_columns=[*s.headings(*first), "actual_women", "target_women", "actual_men", "target_men"],
    )


def _processes(s: _Read) -> Table:
    """The national structures and procedures its projects support, with their stage moves in the period."""
    words, by_id = s.words, s.by_id
    moved: dict[int, list[sq.StageMove]] = {}
    for m in s.moves:
        moved.setdefault(m.process_id, []).append(m)

    def codes(proc: sq.ProcessRow) -> str:
        return ", ".join(by_id[i].code for i in proc.project_ids if i in by_id)

    def show(proc: sq.ProcessRow) -> list[str]:
        steps = "; ".join(
            f"{words.date(m.changed_on)}: {_stage(words, m.from_stage)} → {words.word(m.to_stage)}"
            for m in moved.get(proc.id, [])
        )
        state = s.names.get(proc.state, proc.state)
        return [state, proc.name, words.word(proc.kind), words.word(proc.stage), codes(proc), steps]

    def plain(proc: sq.ProcessRow) -> list[str]:
        steps = "; ".join(
            f"{m.changed_on.isoformat()}:{m.from_stage or ''}>{m.to_stage}" for m in moved.get(proc.id, [])
        )
        return [proc.state, proc.name, proc.kind, proc.stage, codes(proc), steps]

    columns = s.headings("c_state", "c_process", "c_kind", "c_stage", "c_projects", "c_moves")
    return _table("processes", s.t("t_processes"), columns, s.processes, show, plain)


def _obligations(s: _Read, obligations: list[sq.ObligationRow], today: date) -> Table:
    """The reports its agreements call for, due and not yet submitted on ``today``."""
    words, by_id = s.words, s.by_id
    kinds = {k: label(k, ObligationKind, words.lang) for k in sorted({o.kind for o in obligations})}

    def code(ob: sq.ObligationRow) -> str:
        found = by_id.get(ob.project_id)
        return found.code if found is not None else str(ob.project_id)

    return _table(
        "obligations",
        s.t("t_obligations"),
        s.headings("c_project", "c_agreement", "c_report", "c_due_on", "c_days_late"),
        obligations,
        lambda ob: [
            code(ob),
            ob.reference,
            kinds[ob.kind],
            words.date(ob.due_on),
            words.number(Decimal((today - ob.due_on).days)),
        ],
        lambda ob: [code(ob), ob.reference, ob.kind, ob.due_on.isoformat(), str((today - ob.due_on).days)],
        {4},
        _its_project,
        note=s.t("n_obligations"),
    )


def _charts(s: _Read) -> list[Chart]:
    """Its pledges and receipts by project, its share of each budget, and what is outstanding by currency."""
    words, ledger = s.words, s.ledger
    own, received = ledger.own, ledger.own_received
    largest = sorted(s.projects, key=lambda pr: (-own.get(pr.id, ZERO), pr.code))
    largest = [pr for pr in largest if own.get(pr.id, ZERO) > 0 or received.get(pr.id, ZERO) > 0]
    charts: list[Chart] = []
    if largest:
        top = largest[:CHART_ROWS]
        title = _top_title(s, "ch_projects", "ch_projects_top", len(largest))
        series = [
            (s.t("s_pledged"), [own.get(pr.id, ZERO) for pr in top]),
            (s.t("s_received"), [received.get(pr.id, ZERO) for pr in top]),
        ]
        svg = bar_chart_svg([pr.code for pr in top], series, title=title, tick=_tick(words))
        charts.append(Chart("chart-projects", title, svg))
        # the projects with a budget to hold a share of (a request may have none yet)
        shared = [pr for pr in largest if pr.budget_eur][:CHART_ROWS]
        if shared:
            title = _top_title(s, "ch_share", "ch_share_top", len(largest))
            svg = bar_chart_svg(
                [pr.code for pr in shared],
                [(s.t("s_share"), [ledger.share_percent(pr) for pr in shared])],
                title=title,
                tick=lambda x: words.percent(Decimal(str(x)) / 100),
            )
            charts.append(Chart("chart-share", title, svg))
    if ledger.by_currency:
        title = s.t("ch_outstanding")
        svg = bar_chart_svg(
            [c.currency for c in ledger.by_currency],
            [(s.t("s_outstanding"), [c.outstanding_eur for c in ledger.by_currency])],
            title=title,
            tick=_tick(words),
        )
        charts.append(Chart("chart-outstanding", title, svg))
    return [Chart(c.id, c.title, _own_ids(c.svg, c.id)) for c in charts]


def _top_title(s: _Read, whole: str, top: str, total: int) -> str:
    """A chart's title; "the 12 largest of 30" when it draws only the largest."""
    return s.t(whole) if total <= CHART_ROWS else s.t(top).format(n=CHART_ROWS, total=total)


# -- writing it out -----------------------------------------------------------------------------------


def filename(statement: Statement, extension: str) -> str:
    """The file's name says what it is in the statement's own language: "releve-DEU-…" for a French one
    (a file name's word: ASCII letters only)."""
    period = statement.period
    word = translations(statement.lang).pgettext("file name", "statement")
    return f"{word}-{statement.code}-{period.start.isoformat()}-{period.end.isoformat()}.{extension}"


def csv_text(statement: Statement, table_id: str) -> str | None:
    """One table as CSV: amounts as plain numbers (250000.00), ratios as numbers, dates ISO; None when the
    statement has no such table."""
    table = next((t for t in statement.tables if t.id == table_id), None)
    return None if table is None else table_csv(table)


def context(statement: Statement) -> dict[str, Any]:
    words = Words(statement.lang)
    return {
        "st": statement,
        "words": words,
        "shown_rows": SHOWN,
        "printed_rows": PRINTED,
        "title": words["title"].format(donor=statement.donor),
        "period_line": words["period_line"].format(
            start=words.date(statement.period.start), end=words.date(statement.period.end)
        ),
    }


def print_html(statement: Statement) -> str:
    return (
        templates.env(statement.lang)
        .get_template("statement_print.html")
        .render(lang=statement.lang, **context(statement))
    )


def pdf(statement: Statement) -> bytes:
    """The statement on A4: fonts embedded, charts as vectors, nothing fetched (it prints offline)."""
    words = Words(statement.lang)
    return pdf_from_html(
        print_html(statement), title=words["title"].format(donor=statement.donor), lang=statement.lang
    )
