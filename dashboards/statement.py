"""A donor's statement for one period: what it pledged, what arrived, what is still outstanding, its share
of each project it funds and what those projects achieved — on a page, as CSV tables and as an A4 PDF.

Every figure is the donor's own: its pledges, its receipts, its share (its own pledges ÷ the project's
budget). The one figure that involves the other donors is a project's gap (budget − every pledge, as the
project page shows it); no other donor's name, pledge, amount or note is ever read into a statement."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session

from dashboards import queries as dashboard_queries
from dashboards import statement_queries as sq
from dashboards.labels import Labels
from dashboards.printing import bar_chart_svg, pdf_from_html
from dashboards.statement_queries import Period
from portfolio import money
from portfolio.agreements.schemas import ObligationKind
from portfolio.marking import mark as _
from portfolio.projects.measures import BY_CODE
from portfolio.transfer.sheets import formula_guard
from portfolio.web.i18n import Formats, label, translations
from portfolio.web.render import Templates

HERE = Path(__file__).parent
ZERO = Decimal("0.00")
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
    "bad_date": _("“{value}” is not a date: write it as YYYY-MM-DD."),
    "bad_order": _("The end of the period ({value}) comes before its start."),
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
    # tables
    "t_projects": _("Projects it funds"),
    "t_pledges": _("Its pledges"),
    "n_pledges": _("Pledges made in the period, with money received in it, or still outstanding at its end."),
    "t_receipts": _("Money received in the period"),
    "t_outstanding": _("Outstanding at the period's end, by currency"),
    "t_results": _("What the projects achieved: indicators"),
    "t_processes": _("National structures and procedures the projects support"),
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


# -- the period ---------------------------------------------------------------------------------------


def default_period(today: date | None = None) -> Period:
    today = today or date.today()
    return Period(date(today.year - 1, 1, 1), today)


@dataclass(frozen=True)
class Asked:
    """The period as the form sent it: what was applied, what was typed, and the messages for refusals."""

    period: Period
    typed: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


def parse_period(raw: Mapping[str, str], lang: str, today: date | None = None) -> Asked:
    """``from`` and ``to`` (YYYY-MM-DD); blank means the default; a refused date is named, not applied."""
    words = Words(lang)
    fallback = default_period(today)
    typed = {k: (raw.get(k) or "").strip() for k in ("from", "to")}
    errors: dict[str, str] = {}
    days: dict[str, date] = {}
    for key, default in (("from", fallback.start), ("to", fallback.end)):
        if not typed[key]:
            days[key] = default
            continue
        try:
            days[key] = date.fromisoformat(typed[key])
        except ValueError:
            errors[key] = words["bad_date"].format(value=typed[key])
            days[key] = default
    if not errors and days["to"] < days["from"]:
        errors["to"] = words["bad_order"].format(value=typed["to"] or days["to"].isoformat())
        days = {"from": fallback.start, "to": fallback.end}
    return Asked(Period(days["from"], days["to"]), typed, errors)


# -- what a statement holds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: Decimal | int
    text: str
    definition: str

    @property
    def data_value(self) -> str:
        return str(self.value) if isinstance(self.value, int) else format(self.value, "f")


@dataclass
class Table:
    """One list of the statement. Its rows are written out only when asked for: the page shows the first
    ``SHOWN``, the PDF the first ``PRINTED``, and the CSV holds them all."""

    id: str
    title: str
    columns: list[str]
    items: Sequence[Any]  # the records, one per row
    show: Callable[[Any], list[str]]  # a row as the page writes it
    plain: Callable[[Any], list[str]]  # a row as the CSV holds it: plain numbers, ISO dates
    numeric: set[int] = field(default_factory=set)  # the columns aligned right
    link: Callable[[Any], str | None] | None = None  # the first cell's link
    note: str = ""
    foot: list[str] = field(default_factory=list)  # a totals row, when the table has one
    csv_columns: list[str] = field(default_factory=list)  # when the CSV splits a column (amount, currency)

    @property
    def count(self) -> int:
        return len(self.items)

    def first(self, limit: int) -> list[tuple[list[str], str | None]]:
        """The first ``limit`` rows as the page writes them, each with its link."""
        return [(self.show(item), self.link(item) if self.link else None) for item in self.items[:limit]]

    @property
    def rows(self) -> list[list[str]]:
        return [self.show(item) for item in self.items]

    @property
    def values(self) -> list[list[str]]:
        return [self.plain(item) for item in self.items]


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


def _fx(amount: Decimal, amount_eur: Decimal, pledge_rate: Decimal) -> Decimal:
    """What a receipt is worth in euros at its own month's rate beyond the same amount at its pledge's."""
    return money.rate_effect(amount, amount_eur, pledge_rate)


def _stage(words: Words, stage: str | None) -> str:
    return words.word(stage) if stage else "–"


def _tick(words: Words) -> Any:
    return lambda x: words.formats.number(round(x))


def build(session: Session, code: str, period: Period, lang: str) -> Statement:
    words = Words(lang)
    names = dashboard_queries.state_names(session, lang)
    pledges = sq.pledges(session, code, period)
    receipts = sq.receipts(session, code, period)
    projects = sq.projects(session, code, period)
    indicators = sq.indicators(session, code, period, projects)
    processes, moves = sq.processes(session, code, period, projects)
    by_id = {p.id: p for p in projects}

    counted = [p for p in pledges if p.status != "withdrawn"]
    in_period = [p for p in counted if p.pledged_on >= period.start]
    outstanding = {p.id: p.amount - p.received for p in counted if p.amount > p.received}
    fx_to_date = sum((_fx(p.received, p.received_eur, p.eur_per_unit) for p in counted), ZERO)
    received_to_date = sum((p.received_eur for p in pledges), ZERO)
    fx_rows = [_fx(r.amount, r.amount_eur, r.pledge_eur_per_unit) for r in receipts]
    outstanding_eur = {
        p.id: money.to_eur(left, p.eur_per_unit) for p in counted if (left := outstanding.get(p.id))
    }

    def money_kpi(key: str, value: Decimal) -> Kpi:
        return Kpi(
            key,
            words[f"k_{key.replace('-', '_')}"],
            value,
            words.money(value),
            words[f"d_{key.replace('-', '_')}"],
        )

    kpis = [
        Kpi("projects", words["k_projects"], len(projects), str(len(projects)), words["d_projects"]),
        money_kpi("pledged-period", sum((p.amount_eur for p in in_period), ZERO)),
        money_kpi("received-period", sum((r.amount_eur for r in receipts), ZERO)),
        money_kpi("fx-period", sum(fx_rows, ZERO)),
        money_kpi("pledged", sum((p.amount_eur for p in counted), ZERO)),
        money_kpi("received", received_to_date),
        money_kpi("outstanding", sum(outstanding_eur.values(), ZERO)),
        Kpi("fx-difference", words["k_fx"], fx_to_date, words.money(fx_to_date), words["d_fx"]),
    ]

    # -- per project: its own pledges and receipts ----------------------------------------------------
    own: dict[int, Decimal] = {}
    own_received: dict[int, Decimal] = {}
    for p in pledges:
        if p.status != "withdrawn":
            own[p.project_id] = own.get(p.project_id, ZERO) + p.amount_eur
        own_received[p.project_id] = own_received.get(p.project_id, ZERO) + p.received_eur

    def project_line(pr: sq.ProjectRow) -> tuple[Decimal, Decimal | None, Decimal, Decimal | None]:
        mine = own.get(pr.id, ZERO)
        return (
            mine,
            money.ratio(mine, pr.budget_eur),
            own_received.get(pr.id, ZERO),
            money.shortfall(pr.budget_eur, pr.project_pledged_eur),
        )

    def project_show(pr: sq.ProjectRow) -> list[str]:
        mine, share, received, gap = project_line(pr)
        return [
            pr.code,
            pr.title,
            words.word(pr.status),
            words.money(pr.budget_eur),
            words.money(mine),
            words.percent(share),
            words.money(received),
            words.money(gap),
            words["of"].format(done=pr.milestones_done, total=pr.milestones),
        ]

    def project_plain(pr: sq.ProjectRow) -> list[str]:
        mine, share, received, gap = project_line(pr)
        return [
            pr.code,
            pr.title,
            pr.status,
            _plain(pr.budget_eur),
            _plain(mine),
            _plain(share),
            _plain(received),
            _plain(gap),
            f"{pr.milestones_done}/{pr.milestones}",
        ]

    def project_link(pr: sq.ProjectRow) -> str:
        return f"/projects/{pr.id}"

    def its_project(row: sq.PledgeRow | sq.IndicatorRow) -> str:
        return f"/projects/{row.project_id}"

    t = words.__getitem__
    project_table = Table(
        "projects",
        t("t_projects"),
        [
            t(k)
            for k in (
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
        ],
        projects,
        project_show,
        project_plain,
        {3, 4, 5, 6, 7},
        project_link,
    )

    # -- its pledges that concern the period ----------------------------------------------------------
    shown = [
        p
        for p in pledges
        if p.project_id in by_id
        and (p.pledged_on >= period.start or p.receipts_in_period or p.id in outstanding)
    ]
    shown.sort(key=lambda p: (by_id[p.project_id].code, p.pledged_on, p.id))  # as the projects' list

    def pledge_show(p: sq.PledgeRow) -> list[str]:
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

    def pledge_plain(p: sq.PledgeRow) -> list[str]:
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

    pledge_table = Table(
        "pledges",
        t("t_pledges"),
        [
            t(k)
            for k in (
                "c_project",
                "c_pledged_on",
                "c_kind",
                "c_amount",
                "c_rate",
                "c_amount_eur",
                "c_pledge_status",
                "c_received_cur",
                "c_outstanding_cur",
            )
        ],
        shown,
        pledge_show,
        pledge_plain,
        {3, 4, 5, 7, 8},
        its_project,
        note=t("n_pledges"),
    )
    pledge_csv_columns = [
        t("c_project"),
        t("c_pledged_on"),
        t("c_kind"),
        t("c_currency"),
        t("c_amount"),
        t("c_rate"),
        t("c_amount_eur"),
        t("c_pledge_status"),
        t("c_received_cur"),
        t("c_outstanding_cur"),
    ]

    # -- receipts in the period -----------------------------------------------------------------------
    at_pledge = [money.to_eur(r.amount, r.pledge_eur_per_unit) for r in receipts]

    def receipt_code(r: sq.ReceiptRow) -> str:
        project = by_id.get(r.project_id)
        return project.code if project else ""

    receipt_lines = sorted(
        zip(receipts, at_pledge, fx_rows, strict=True),
        key=lambda line: (line[0].received_on, receipt_code(line[0])),  # stable: by id within a day
    )

    def receipt_show(line: tuple[sq.ReceiptRow, Decimal, Decimal]) -> list[str]:
        r, eur_at_pledge, fx = line
        return [
            receipt_code(r),
            words.date(r.received_on),
            words.money(r.amount, r.currency),
            words.money(r.amount_eur),
            words.money(eur_at_pledge),
            words.money(fx),
        ]

    def receipt_plain(line: tuple[sq.ReceiptRow, Decimal, Decimal]) -> list[str]:
        r, eur_at_pledge, fx = line
        return [
            receipt_code(r),
            r.received_on.isoformat(),
            r.currency,
            _plain(r.amount),
            _plain(r.amount_eur),
            _plain(eur_at_pledge),
            _plain(fx),
        ]

    def receipt_link(line: tuple[sq.ReceiptRow, Decimal, Decimal]) -> str | None:
        return f"/projects/{line[0].project_id}" if line[0].project_id in by_id else None

    receipt_table = Table(
        "receipts",
        t("t_receipts"),
        [t(k) for k in ("c_project", "c_received_on", "c_amount", "c_receipt_eur", "c_pledge_eur", "c_fx")],
        receipt_lines,
        receipt_show,
        receipt_plain,
        {2, 3, 4, 5},
        receipt_link,
    )
    if receipts:
        receipt_table.foot = [
            t("total"),
            "",
            "",
            words.money(sum((r.amount_eur for r in receipts), ZERO)),
            words.money(sum(at_pledge, ZERO)),
            words.money(sum(fx_rows, ZERO)),
        ]

    # -- outstanding by currency ----------------------------------------------------------------------
    per_currency: dict[str, list[Any]] = {}
    for p in counted:
        if p.id in outstanding:
            line = per_currency.setdefault(p.currency, [ZERO, ZERO, 0])
            line[0] += outstanding[p.id]
            line[1] += outstanding_eur[p.id]
            line[2] += 1
    currencies = sorted(per_currency, key=lambda c: (-per_currency[c][1], c))
    outstanding_table = Table(
        "outstanding",
        t("t_outstanding"),
        [t("c_currency"), t("c_outstanding_cur"), t("c_outstanding_eur"), t("c_pledge_count")],
        currencies,
        lambda c: [
            c,
            words.money(per_currency[c][0], c),
            words.money(per_currency[c][1]),
            str(per_currency[c][2]),
        ],
        lambda c: [c, _plain(per_currency[c][0]), _plain(per_currency[c][1]), str(per_currency[c][2])],
        {1, 2, 3},
    )
    if currencies:
        outstanding_table.foot = [
            t("total"),
            "",
            words.money(sum(outstanding_eur.values(), ZERO)),
            str(len(outstanding)),
        ]

    # -- results: indicators --------------------------------------------------------------------------
    def result_parts(ind: sq.IndicatorRow) -> tuple[Any, bool, str]:
        measure = BY_CODE.get(ind.measure or "")
        return (
            measure,
            measure is not None and measure.people,
            measure.unit if measure is not None else ind.unit,
        )

    def result_show(ind: sq.IndicatorRow) -> list[str]:
        measure, people, unit = result_parts(ind)
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

    def result_plain(ind: sq.IndicatorRow) -> list[str]:
        _measure, people, unit = result_parts(ind)
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

    result_table = Table(
        "results",
        t("t_results"),
        [
            t(k)
            for k in (
                "c_project",
                "c_indicator",
                "c_measure",
                "c_unit",
                "c_target",
                "c_actual",
                "c_women",
                "c_men",
            )
        ],
        indicators,
        result_show,
        result_plain,
        {4, 5, 6, 7},
        its_project,
    )

    # -- national processes ---------------------------------------------------------------------------
    moved: dict[int, list[sq.StageMove]] = {}
    for m in moves:
        moved.setdefault(m.process_id, []).append(m)

    def process_codes(proc: sq.ProcessRow) -> str:
        return ", ".join(by_id[i].code for i in proc.project_ids if i in by_id)

    def process_show(proc: sq.ProcessRow) -> list[str]:
        steps = "; ".join(
            f"{words.date(m.changed_on)}: {_stage(words, m.from_stage)} → {words.word(m.to_stage)}"
            for m in moved.get(proc.id, [])
        )
        return [
            names.get(proc.state, proc.state),
            proc.name,
            words.word(proc.kind),
            words.word(proc.stage),
            process_codes(proc),
            steps,
        ]

    def process_plain(proc: sq.ProcessRow) -> list[str]:
        steps = "; ".join(
            f"{m.changed_on.isoformat()}:{m.from_stage or ''}>{m.to_stage}" for m in moved.get(proc.id, [])
        )
        return [proc.state, proc.name, proc.kind, proc.stage, process_codes(proc), steps]

    process_table = Table(
        "processes",
        t("t_processes"),
        [t("c_state"), t("c_process"), t("c_kind"), t("c_stage"), t("c_projects"), t("c_moves")],
        processes,
        process_show,
        process_plain,
    )

    # -- reporting obligations overdue ----------------------------------------------------------------
    today = date.today()
    obligations = sq.overdue_obligations(session, code, today)
    kinds = {k: label(k, ObligationKind, words.lang) for k in sorted({o.kind for o in obligations})}

    def obligation_code(ob: sq.ObligationRow) -> str:
        found = by_id.get(ob.project_id)
        return found.code if found is not None else str(ob.project_id)

    obligation_table = Table(
        "obligations",
        t("t_obligations"),
        [t("c_project"), t("c_agreement"), t("c_report"), t("c_due_on"), t("c_days_late")],
        obligations,
        lambda ob: [
            obligation_code(ob),
            ob.reference,
            kinds[ob.kind],
            words.date(ob.due_on),
            words.number(Decimal((today - ob.due_on).days)),
        ],
        lambda ob: [
            obligation_code(ob),
            ob.reference,
            ob.kind,
            ob.due_on.isoformat(),
            str((today - ob.due_on).days),
        ],
        {4},
        lambda ob: f"/projects/{ob.project_id}",
        note=t("n_obligations"),
    )

    # -- charts ---------------------------------------------------------------------------------------
    charts: list[Chart] = []
    largest = sorted(projects, key=lambda pr: (-own.get(pr.id, ZERO), pr.code))
    largest = [pr for pr in largest if own.get(pr.id, ZERO) > 0 or own_received.get(pr.id, ZERO) > 0]
    if largest:
        top = largest[:CHART_ROWS]
        title = (
            t("ch_projects")
            if len(largest) <= CHART_ROWS
            else t("ch_projects_top").format(n=CHART_ROWS, total=len(largest))
        )
        charts.append(
            Chart(
                "chart-projects",
                title,
                bar_chart_svg(
                    [pr.code for pr in top],
                    [
                        (t("s_pledged"), [own.get(pr.id, ZERO) for pr in top]),
                        (t("s_received"), [own_received.get(pr.id, ZERO) for pr in top]),
                    ],
                    title=title,
                    tick=_tick(words),
                ),
            )
        )
        # the projects with a budget to hold a share of (a request may have none yet), with that budget
        shared = [(pr, pr.budget_eur) for pr in largest if pr.budget_eur][:CHART_ROWS]
        if shared:
            share_title = (
                t("ch_share")
                if len(largest) <= CHART_ROWS
                else t("ch_share_top").format(n=CHART_ROWS, total=len(largest))
            )
            charts.append(
                Chart(
                    "chart-share",
                    share_title,
                    bar_chart_svg(
                        [pr.code for pr, _budget in shared],
                        [
                            (
                                t("s_share"),
                                [own.get(pr.id, ZERO) / budget * 100 for pr, budget in shared],
                            )
                        ],
                        title=share_title,
                        tick=lambda x: words.percent(Decimal(str(x)) / 100),
                    ),
                )
            )
    if currencies:
        charts.append(
            Chart(
                "chart-outstanding",
                t("ch_outstanding"),
                bar_chart_svg(
                    currencies,
                    [(t("s_outstanding"), [per_currency[c][1] for c in currencies])],
                    title=t("ch_outstanding"),
                    tick=_tick(words),
                ),
            )
        )

    charts = [Chart(c.id, c.title, _own_ids(c.svg, c.id)) for c in charts]
    tables = [project_table, pledge_table, receipt_table, outstanding_table, result_table, process_table]
    tables.append(obligation_table)
    pledge_table.csv_columns = pledge_csv_columns
    receipt_table.csv_columns = [
        t("c_project"),
        t("c_received_on"),
        t("c_currency"),
        t("c_amount"),
        t("c_receipt_eur"),
        t("c_pledge_eur"),
        t("c_fx"),
    ]
    result_table.csv_columns = [
        t("c_project"),
        t("c_indicator"),
        t("c_measure"),
        t("c_unit"),
        t("c_target"),
        t("c_actual"),
        "actual_women",
        "target_women",
        "actual_men",
        "target_men",
    ]
    donor = names.get(code, code)
    pledged_to_date = sum((p.amount_eur for p in counted), ZERO)
    note = ""
    if any(p.currency != "EUR" for p in counted):
        note = words.labels["fx_explained"]
    if received_to_date > pledged_to_date:
        above = words.labels["fx_above"].format(
            donor=donor, excess=words.money(received_to_date - pledged_to_date), fx=words.money(fx_to_date)
        )
        note = f"{note} {above}"
    # Sample projects are recognised by their code (the sample loader gives every one SAMPLE-…): the
    # statement is called fictitious only when everything it lists is.
    sample = sum(1 for pr in projects if dashboard_queries.is_sample(pr.code))
    return Statement(
        code,
        donor,
        lang,
        period,
        kpis,
        charts,
        tables,
        sample=bool(projects) and sample == len(projects),
        written=words.date(datetime.now(UTC).date()),
        note=note,
        some_sample=0 < sample < len(projects),
    )


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
    if table is None:
        return None
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.csv_columns or table.columns)
    for row in table.values:
        # A cell that starts like a formula is written as text, so that no spreadsheet ever runs it.
        writer.writerow([formula_guard(c) for c in row])
    return out.getvalue()


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
