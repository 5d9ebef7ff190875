"""Exporting records as spreadsheet rows in the import templates' columns, so that an export can be
edited and imported back. A donor account gets only what it may read: its own State's pledges, and the
agreements and reporting obligations that go with them; the expenditures of the projects its State funds
(never which pledge paid for them: no charge, its own State's or another's, is exported)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from portfolio.agreements.repository import ObligationFilters
from portfolio.agreements.schemas import Earmarking, ObligationKind, ObligationState
from portfolio.funding.repository import PledgeFilters
from portfolio.funding.schemas import PledgeKind, PledgeStatus
from portfolio.money import currency_codes
from portfolio.processes.repository import ProcessFilters
from portfolio.processes.schemas import ProcessKind, Stage
from portfolio.projects.measures import MEASURES
from portfolio.projects.models import Indicator, Milestone
from portfolio.projects.repository import ProjectFilters
from portfolio.projects.schemas import ActivityType, Area, ProjectStatus
from portfolio.reference import sdg_targets
from portfolio.security import Actor
from portfolio.spending.schemas import BudgetCategory
from portfolio.states.schemas import StateKind
from portfolio.transfer import repository
from portfolio.transfer.kinds import CodeList, Kind, column_names
from portfolio.transfer.sheets import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    importable,
    write_csv,
    write_template,
    write_xlsx,
)


class Format(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


MEDIA_TYPES = {Format.csv: CSV_MEDIA_TYPE, Format.xlsx: XLSX_MEDIA_TYPE}


@dataclass(frozen=True)
class RateFilters:
    currency: str | None = None
    month_from: str | None = None
    month_to: str | None = None


@dataclass(frozen=True)
class ExportFilters:
    projects: ProjectFilters = field(default_factory=ProjectFilters)
    pledges: PledgeFilters = field(default_factory=PledgeFilters)
    processes: ProcessFilters = field(default_factory=ProcessFilters)
    rates: RateFilters = field(default_factory=RateFilters)
    obligations: ObligationFilters = field(default_factory=ObligationFilters)
    # The projects whose spending is listed line by line: set by :func:`seen_by` from ``projects``.
    spending: ProjectFilters = field(default_factory=ProjectFilters)


Rows = list[list[Any]]


def rows(session: Session, viewer: Actor, kind: Kind, filters: ExportFilters) -> Rows:
    """The rows of one kind, in the order of its columns, as ``viewer`` may see them: every filter naming
    a donor goes through the account's donor rule (:meth:`Actor.donor_filter`) before anything is read."""
    return ROWS[kind](session, seen_by(viewer, filters))


def _projects(session: Session, filters: ExportFilters) -> Rows:
    reached = repository.status_dates(session, filters.projects)
    return [
        [
            p.code,
            p.title,
            p.description,
            p.areas,
            p.activity_types,
            p.beneficiaries,
            p.implementing_partner,
            p.request_date,
            p.start_date,
            p.end_date,
            p.budget_eur,
            p.gender_marker,
            p.sdg_targets,
            p.status,
            reached.get(p.id) if p.id is not None and p.status != ProjectStatus.requested else None,
            p.norms,
        ]
        for p in repository.projects(session, filters.projects)
    ]


def _milestones(session: Session, filters: ExportFilters) -> Rows:
    return [
        [code, m.title, m.due_on, m.done_on, m.weight]
        for m, code in repository.parts(session, Milestone, filters.projects)
    ]


def _indicators(session: Session, filters: ExportFilters) -> Rows:
    return [
        [
            code,
            i.name,
            i.measure,
            i.unit,
            i.baseline,
            i.target,
            i.actual,
            *(_people(n) for n in (i.target_women, i.target_men, i.actual_women, i.actual_men)),
        ]
        for i, code in repository.parts(session, Indicator, filters.projects)
    ]


def _pledges(session: Session, filters: ExportFilters) -> Rows:
    return [
        [code, p.donor, p.kind, p.amount, p.currency, p.pledged_on, p.status, p.note]
        for p, code in repository.pledges(session, filters.pledges)
    ]


def _receipts(session: Session, filters: ExportFilters) -> Rows:
    return [
        [code, p.donor, p.pledged_on, p.currency, p.amount, r.received_on, r.amount]
        for r, p, code in repository.receipts(session, filters.pledges)
    ]


def _agreements(session: Session, filters: ExportFilters) -> Rows:
    crowded = repository.crowded_pledges(session, filters.pledges)
    out: Rows = []
    for a, p, code, donor_name in repository.agreements(session, filters.pledges):
        schedule = a.schedule or {}
        out.append(
            [
                code,
                p.donor,
                donor_name,
                p.pledged_on,
                p.amount if p.id in crowded else None,
                a.reference,
                a.signed_on,
                a.valid_until,
                a.earmarking,
                a.conditions,
                schedule.get("interim_every_months"),
                schedule.get("final_after_months", 3),
                _yes_no(bool(schedule.get("audit_certificate", False))),
                a.contact_name,
                a.contact_email,
            ]
        )
    return out


def _obligations(session: Session, filters: ExportFilters) -> Rows:
    today = date.today()
    return [
        [
            code,
            p.donor,
            donor_name,
            p.pledged_on,
            a.reference,
            o.kind,
            o.due_on,
            ObligationState.overdue.value
            if o.status == ObligationState.due and o.due_on < today
            else o.status,
            o.submitted_on,
            o.accepted_on,
            owner,
            o.note,
            _yes_no(o.generated),
        ]
        for o, a, p, code, donor_name, owner in repository.obligations(session, filters.obligations, today)
    ]


def _expenditures(session: Session, filters: ExportFilters) -> Rows:
    return [
        [
            code,
            e.spent_on,
            e.amount,
            e.currency,
            e.line_id,
            e.description,
            e.reference,
            e.amount_eur,
            reverses if e.reverses_id is not None else None,
        ]
        for e, code, reverses in repository.expenditures(session, filters.spending)
    ]


def _budget_lines(session: Session, filters: ExportFilters) -> Rows:
    return [
        [code, b.id, b.category, b.label, b.year, b.original_eur, b.amount_eur]
        for b, code in repository.budget_lines(session, filters.projects)
    ]


def _national_processes(session: Session, filters: ExportFilters) -> Rows:
    found, codes = repository.processes(session, filters.processes)
    reached = repository.stage_dates(session)
    return [
        [
            n.state,
            n.name,
            n.kind,
            n.areas,
            n.stage,
            n.established_on,
            reached.get(n.id) if n.id is not None else None,
            sorted(codes[i] for i in n.project_ids if i in codes),
            n.description,
        ]
        for n in found
    ]


def _rates(session: Session, filters: ExportFilters) -> Rows:
    rates = filters.rates
    return [
        [r.currency, r.month, r.eur_per_unit]
        for r in repository.rates(session, rates.currency, rates.month_from, rates.month_to)
    ]


# Each kind's rows, by kind: every kind has one (tests/transfer/test_transfer.py exports each).
ROWS: dict[Kind, Callable[[Session, ExportFilters], Rows]] = {
    Kind.projects: _projects,
    Kind.milestones: _milestones,
    Kind.indicators: _indicators,
    Kind.pledges: _pledges,
    Kind.receipts: _receipts,
    Kind.agreements: _agreements,
    Kind.obligations: _obligations,
    Kind.national_processes: _national_processes,
    Kind.exchange_rates: _rates,
    Kind.expenditures: _expenditures,
    Kind.budget_lines: _budget_lines,
}


def seen_by(viewer: Actor, filters: ExportFilters) -> ExportFilters:
    """The filters as ``viewer`` may apply them: which projects a donor funds, whose pledges, agreements
    and obligations are listed line by line, and whose projects' spending (a donor's: the projects its
    own State funds, as the expenditures' API shows them)."""
    return replace(
        filters,
        projects=replace(filters.projects, donor=viewer.donor_filter(filters.projects.donor)),
        pledges=replace(filters.pledges, donor=viewer.own_donor_filter(filters.pledges.donor)),
        obligations=replace(filters.obligations, donor=viewer.own_donor_filter(filters.obligations.donor)),
        spending=replace(filters.projects, donor=viewer.own_donor_filter(filters.projects.donor)),
    )


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def render(kind: Kind, fmt: Format, data: Sequence[Sequence[Any]]) -> bytes:
    if fmt == Format.csv:
        return write_csv(column_names(kind), data)
    return write_xlsx(kind, data)


def _people(count: Decimal | None) -> Decimal | None:
    """A count of women or men, as the whole number it is (25, not 25.0000)."""
    return None if count is None else count.quantize(Decimal(1))


def code_lists(session: Session) -> dict[CodeList, list[str]]:
    """The allowed values of every coded column, in the order a person looks them up."""
    states = repository.states(session)
    return {
        "areas": [a.value for a in Area],
        "activity_types": [a.value for a in ActivityType],
        "participating_states": [s.code for s in states if s.kind == StateKind.participating],
        "states": [s.code for s in states],
        "currencies": currency_codes(),  # what the API accepts
        "sdg_targets": list(sdg_targets()),
        "gender_markers": ["0", "1", "2"],
        "project_statuses": [s.value for s in ProjectStatus],
        "pledge_kinds": [k.value for k in PledgeKind],
        "pledge_statuses": [s.value for s in PledgeStatus],
        "process_kinds": [k.value for k in ProcessKind],
        "stages": [s.value for s in Stage],
        "measures": [m.code for m in MEASURES],
        "earmarkings": [e.value for e in Earmarking],
        "obligation_kinds": [k.value for k in ObligationKind],
        "obligation_states": [s.value for s in ObligationState],
        "yes_no": ["yes", "no"],
        "budget_categories": [c.value for c in BudgetCategory],
    }


def template(kind: Kind, fmt: Format, codes: dict[CodeList, list[str]]) -> bytes:
    """An empty file for ``kind``: the header row and no data row. The XLSX adds a sheet describing
    each column with an example and its allowed values, and offers those values as drop-downs. A kind
    that is only exported has no template (422)."""
    importable(kind)
    if fmt == Format.csv:
        return write_csv(column_names(kind), [])
    return write_template(kind, codes)


def filename(kind: Kind, fmt: Format, today: str) -> str:
    return f"{kind.value}-{today}.{fmt.value}"
