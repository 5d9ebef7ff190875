"""Publication of the portfolio as IATI 2.03 activities (https://iatistandard.org/en/iati-standard/203/).

One ``iati-activity`` per project selected by the project list's filters, in project-code order. The
document is built with lxml, element by element in the order the 2.03 schema's sequences demand, and
follows the Standard Ruleset where the schema says nothing: an identifier without ``/ & | ?``, a planned
or actual start date in every activity, no actual date and no transaction in the future, budget periods
of at most one year, recipient-country and sector percentages that add up to exactly 100.

Everything is read in a fixed number of statements whatever the number of projects: the projects (with
their areas, activity types and beneficiaries), the States, the pledges, the receipts, the indicators
and the dates projects entered implementation or completion — each loaded once for the whole selection
and grouped here.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources
from urllib.parse import quote

from lxml import etree
from sqlmodel import Session

from portfolio.config import Settings
from portfolio.documents import service as documents_service
from portfolio.documents.models import Document
from portfolio.errors import Conflict
from portfolio.funding.models import Pledge, Receipt
from portfolio.projects import repository as projects_repository
from portfolio.projects.measures import BY_CODE
from portfolio.projects.models import Indicator, Project
from portfolio.projects.repository import AnySelect, ProjectFilters
from portfolio.security import SYSTEM, Actor
from portfolio.spending import repository as spending_repository
from portfolio.spending.models import BudgetLine, Expenditure
from portfolio.spending.schemas import BudgetCategory
from portfolio.states import repository as states_repository
from portfolio.states.models import State
from portfolio.transfer import repository

IATI_VERSION = "2.03"
EUR = "EUR"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CENT = Decimal("0.01")
HUNDRED = Decimal(100)

# Codes from the IATI 2.03 codelists.
ORG_TYPE_GOVERNMENT = "10"
ORG_TYPE_MULTILATERAL = "40"
ROLE_FUNDING, ROLE_ACCOUNTABLE, ROLE_IMPLEMENTING = "1", "2", "4"
ACTIVITY_STATUS = {  # ActivityStatus: 1 pipeline, 2 implementation, 4 closed, 5 cancelled, 6 suspended
    "requested": "1",
    "assessment": "1",
    "planning": "1",
    "seeking_funding": "1",
    "implementation": "2",
    "completed": "4",
    "cancelled": "5",
    "on_hold": "6",
}
STATUS_FINALISATION = "3"  # completed, but pledged money is still to arrive
DATE_PLANNED_START, DATE_ACTUAL_START, DATE_PLANNED_END, DATE_ACTUAL_END = "1", "2", "3", "4"
SECTOR_VOCABULARY_DAC5 = "1"
# DAC 5 sectors by activity type. 15240 "Reintegration and SALW control" (control, prevent and/or reduce
# the proliferation of small arms and light weapons); 15210 "Security system management and reform";
# 14050 "Waste management/disposal" (hazardous and toxic waste). 15250 (land mines and explosive
# remnants of war) fits none of them: depots, surplus stocks and melange are not mines or ERW.
SALW_CONTROL, SECURITY_SYSTEM_REFORM, WASTE_DISPOSAL = "15240", "15210", "14050"
SECTORS = {
    "stockpile_security": SALW_CONTROL,
    "surplus_destruction_salw": SALW_CONTROL,
    "surplus_destruction_ammunition": SALW_CONTROL,
    "hazardous_propellant_disposal": WASTE_DISPOSAL,
    "marking_and_tracing": SALW_CONTROL,
    "record_keeping": SALW_CONTROL,
    "deactivation": SALW_CONTROL,
    "border_and_export_controls": SALW_CONTROL,
    "collection_and_awareness": SALW_CONTROL,
    "training_and_capacity": SALW_CONTROL,
    "legislation_and_policy": SECURITY_SYSTEM_REFORM,
    "other": SALW_CONTROL,
}
AID_TYPE_OTHER_TECHNICAL_ASSISTANCE = "D02"  # AidType (OECD DAC): the type of an in-kind contribution
POLICY_VOCABULARY_OECD, POLICY_GENDER_EQUALITY = "1", "1"
TAG_VOCABULARY_SDG_TARGETS = "3"
BUDGET_TYPE_ORIGINAL, BUDGET_TYPE_REVISED, BUDGET_STATUS_INDICATIVE = "1", "2", "1"
TX_INCOMING_FUNDS, TX_INCOMING_COMMITMENT, TX_INCOMING_PLEDGE = "1", "11", "13"
# Money spent on goods and services for the activity (TransactionType 4); a reversal is the same type with a
# negative value, as the Standard allows ("the value of a transaction can be positive or negative").
TX_EXPENDITURE = "4"
RESULT_OUTPUT, MEASURE_UNIT = "1", "1"
# Women and men of a people count, each as a target or actual of its own carrying a ``dimension``
# (result/indicator/period/target|actual/dimension, 2.03: name and value are free text, "a category used
# for disaggregating the result by gender, age, etc."). IATI has no codelist for sex: the shipped
# codelists (portfolio/reference/iati/codelists) hold none, nor does the full set the Standard publishes, and
# the Standard's annotated activity example writes <dimension name="sex" value="female"/>; that spelling
# is used, rather than 1 and 2, which ISO/IEC 5218 reads the other way round (1 male, 2 female).
SEX_DIMENSION = "sex"
WOMEN, MEN = "female", "male"
COMMITTED = {"committed", "paid"}
NO_START = "no start date"

# XML 1.0 allows tab, LF, CR and everything from U+0020 but the surrogates, U+FFFE and U+FFFF.
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_IN_IDENTIFIER = re.compile(r"[/&|?\s]")


class IatiIdentifierClash(Conflict):
    slug = "iati-identifier-clash"
    title = "Two projects would share an IATI identifier"


@dataclass(frozen=True)
class Skipped:
    """A selected project that the file leaves out, and why."""

    code: str
    reason: str


@dataclass(frozen=True)
class IatiExport:
    body: bytes
    published: int
    skipped: list[Skipped]


@cache
def donor_org_ids() -> dict[str, str]:
    """``{State code: IATI organisation identifier}`` for the donor States a public list identifies
    (``portfolio/reference/iati/donor_org_ids.csv``, from the IATI OrganisationIdentifier codelist)."""
    source = resources.files("portfolio.reference").joinpath("iati", "donor_org_ids.csv")
    rows = csv.DictReader(io.StringIO(source.read_text(encoding="utf-8")))
    return {row["state"]: row["ref"] for row in rows}


# -- pure helpers -----------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Text that XML 1.0 can carry: control characters other than tab, LF and CR left out."""
    return _NOT_XML_CHAR.sub("", text)


def iati_identifier(org_ref: str, code: str) -> str:
    """``{org_ref}-{code}`` with the characters IATI forbids in identifiers (and whitespace) as ``-``."""
    return _NOT_IN_IDENTIFIER.sub("-", clean_text(f"{org_ref}-{code}"))


def plain(value: Decimal) -> str:
    """A decimal as plain digits: no exponent, no float, trailing zeros kept as stored."""
    return format(value, "f")


def plain_short(value: Decimal) -> str:
    """A decimal as plain digits without trailing zeros (``100``, ``33.33``, ``12.5``)."""
    normal = value.normalize()
    return format(normal if normal != 0 else Decimal(0), "f")


def even_percentages(count: int) -> list[Decimal]:
    """``count`` shares of 100 to the hundredth; the last takes what rounding left, so they add up to 100."""
    if count <= 0:
        return []
    share = (HUNDRED / count).quantize(CENT, rounding=ROUND_DOWN)
    return [share] * (count - 1) + [HUNDRED - share * (count - 1)]


def _one_year_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return date(day.year + 1, 3, 1)


def budget_periods(start: date, end: date, amount: Decimal) -> list[tuple[date, date, Decimal]]:
    """``amount`` split over consecutive periods of at most one year from ``start`` to ``end`` (both
    included), pro rata to their days, to the cent; the last period takes the remainder."""
    if end < start:
        return []
    spans: list[tuple[date, date]] = []
    first = start
    while first <= end:
        last = min(_one_year_later(first) - timedelta(days=1), end)
        spans.append((first, last))
        first = last + timedelta(days=1)
    total_days = Decimal((end - start).days + 1)
    periods: list[tuple[date, date, Decimal]] = []
    allotted = Decimal("0.00")
    for i, (first, last) in enumerate(spans):
        if i == len(spans) - 1:
            part = amount - allotted
        else:
            days = Decimal((last - first).days + 1)
            part = (amount * days / total_days).quantize(CENT, rounding=ROUND_HALF_UP)
        allotted += part
        periods.append((first, last, part))
    return periods


def _iso_datetime(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


# -- loading: a fixed number of statements for the whole selection ------------------------------------


@dataclass
class _Portfolio:
    projects: list[Project]
    states: dict[str, State]
    pledges: dict[int, list[Pledge]] = field(default_factory=lambda: defaultdict(list))
    receipts: dict[int, list[Receipt]] = field(default_factory=lambda: defaultdict(list))
    indicators: dict[int, list[Indicator]] = field(default_factory=lambda: defaultdict(list))
    entered: dict[int, dict[str, date]] = field(default_factory=lambda: defaultdict(dict))
    outstanding: set[int] = field(default_factory=set)
    updated: dict[int, datetime] = field(default_factory=dict)
    documents: dict[int, list[Document]] = field(default_factory=lambda: defaultdict(list))
    lines: dict[int, list[BudgetLine]] = field(default_factory=lambda: defaultdict(list))
    expenditures: dict[int, list[Expenditure]] = field(default_factory=lambda: defaultdict(list))


def _load(session: Session, filters: ProjectFilters, viewer: Actor, *, documents: bool = False) -> _Portfolio:
    donor = viewer.state if viewer.is_donor else None
    ids: AnySelect = projects_repository.filtered_ids(
        replace(filters, donor=viewer.donor_filter(filters.donor))
    )
    projects = list(repository.iati_projects(session, ids))
    projects.sort(key=lambda p: p.code)  # code order, the same on every database (no collation)
    portfolio = _Portfolio(projects, {s.code: s for s in states_repository.list_states(session)})
    if not projects:
        return portfolio

    pledges = repository.iati_pledges(session, ids, donor)
    pledge_project: dict[int, int] = {}
    for pledge in pledges:
        assert pledge.id is not None
        portfolio.pledges[pledge.project_id].append(pledge)
        pledge_project[pledge.id] = pledge.project_id

    receipts = repository.iati_receipts(session, ids, donor)
    for receipt in receipts:
        if receipt.pledge_id in pledge_project:
            portfolio.receipts[receipt.pledge_id].append(receipt)

    indicators = repository.iati_indicators(session, ids)
    for indicator in indicators:
        portfolio.indicators[indicator.project_id].append(indicator)

    for line in spending_repository.lines_of_projects(session, ids):
        portfolio.lines[line.project_id].append(line)
    for expenditure in spending_repository.expenditures_of_projects(session, ids, donor):
        portfolio.expenditures[expenditure.project_id].append(expenditure)

    changes = repository.status_changes_into(session, ids, ["implementation", "completed"])
    for change in changes:
        # The first time a project entered the status (it may come back to implementation after a hold).
        portfolio.entered[change.project_id].setdefault(change.to_status, change.changed_on)
    portfolio.outstanding = repository.projects_outstanding(session, ids)
    portfolio.updated = repository.last_updated(session, ids, donor)
    if documents:  # only with a public address to link them to
        for document in documents_service.publishable(session, [p.id for p in projects if p.id is not None]):
            portfolio.documents[document.owner_id].append(document)
    return portfolio


# -- building ---------------------------------------------------------------------------------------


def _sub(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attributes.items()})


def _narrative(parent: etree._Element, text: str) -> etree._Element:
    element = etree.SubElement(parent, "narrative")
    element.text = clean_text(text)
    return element


def _with_narrative(parent: etree._Element, tag: str, text: str, **attributes: str) -> etree._Element:
    element = _sub(parent, tag, **attributes)
    _narrative(element, text)
    return element


def _value(parent: etree._Element, amount: Decimal, currency: str, value_date: date) -> None:
    attributes = {"value-date": value_date.isoformat()}
    if currency != EUR:
        attributes["currency"] = currency
    element = etree.SubElement(parent, "value", attributes)
    element.text = plain(amount)


@dataclass(frozen=True)
class _Transaction:
    on: date
    order: int
    type_code: str
    amount: Decimal
    currency: str
    donor: str
    in_kind: bool


def sector_shares(activity_types: list[str]) -> list[tuple[str, Decimal]]:
    """DAC 5 sector codes with their percentages: each activity type an equal share of 100 (to the
    hundredth, adding up to exactly 100), shares of one sector added up; a project without activity
    types is SALW control (15240) as a whole."""
    codes = [SECTORS[t] for t in sorted(activity_types)] or [SALW_CONTROL]
    shares: dict[str, Decimal] = {}
    for code, share in zip(codes, even_percentages(len(codes)), strict=True):
        shares[code] = shares.get(code, Decimal(0)) + share
    return sorted(shares.items())


class _Builder:
    def __init__(self, portfolio: _Portfolio, settings: Settings, today: date) -> None:
        self.portfolio = portfolio
        self.org_ref = clean_text(settings.iati_org_ref)
        self.org_name = settings.iati_org_name
        self.today = today
        self.document_base = (settings.public_document_base_url or "").rstrip("/")

    def state_name(self, code: str) -> str:
        state = self.portfolio.states.get(code)
        return state.name if state is not None else code

    def starts(self, project: Project) -> tuple[date | None, date | None]:
        """The planned start (start_date) and the actual one (first entry into implementation, if not
        after today)."""
        assert project.id is not None
        actual = self.portfolio.entered.get(project.id, {}).get("implementation")
        return project.start_date, actual if actual is not None and actual <= self.today else None

    def activity(self, parent: etree._Element, project: Project) -> None:
        assert project.id is not None
        updated = max(project.updated_at, self.portfolio.updated.get(project.id, project.updated_at))
        activity = _sub(
            parent,
            "iati-activity",
            last_updated_datetime=_iso_datetime(updated),
            default_currency=EUR,
            humanitarian="0",
        )
        activity.set(XML_LANG, "en")
        pledges = [p for p in self.portfolio.pledges.get(project.id, []) if p.status != "withdrawn"]

        etree.SubElement(activity, "iati-identifier").text = iati_identifier(self.org_ref, project.code)
        _with_narrative(
            activity, "reporting-org", self.org_name, ref=self.org_ref, type=ORG_TYPE_MULTILATERAL
        )
        _with_narrative(activity, "title", project.title)
        # The schema requires a description; a project without one repeats its title.
        _with_narrative(
            activity, "description", clean_text(project.description).strip() or project.title, type="1"
        )
        self.participating_orgs(activity, project, pledges)
        status = ACTIVITY_STATUS[project.status]
        if project.status == "completed" and project.id in self.portfolio.outstanding:
            status = STATUS_FINALISATION
        _sub(activity, "activity-status", code=status)
        self.activity_dates(activity, project)
        self.recipient_countries(activity, project)
        for code, percentage in sector_shares(project.activity_types):
            _sub(
                activity,
                "sector",
                vocabulary=SECTOR_VOCABULARY_DAC5,
                code=code,
                percentage=plain_short(percentage),
            )
        for target in dict.fromkeys(project.sdg_targets):
            _sub(activity, "tag", vocabulary=TAG_VOCABULARY_SDG_TARGETS, code=target)
        if project.gender_marker is not None:  # null: nobody has screened it (0 would say "not targeted")
            _sub(
                activity,
                "policy-marker",
                vocabulary=POLICY_VOCABULARY_OECD,
                code=POLICY_GENDER_EQUALITY,
                significance=str(project.gender_marker),
            )
        self.budgets(activity, project)
        for transaction in self.transactions(pledges):
            self.transaction(activity, transaction)
        for expenditure in self.portfolio.expenditures.get(project.id, []):
            if expenditure.spent_on <= self.today:
                self.expenditure(activity, expenditure, project)
        for document in self.portfolio.documents.get(project.id, []):
            self.document_link(activity, document)
        for indicator in self.portfolio.indicators.get(project.id, []):
            self.result(activity, project, indicator)

    def document_link(self, activity: etree._Element, document: Document) -> None:
        """A document shared with donors and public, at its address under the public base URL."""
        url = f"{self.document_base}/{document.id}/{quote(document.filename, safe='')}"
        link = _sub(activity, "document-link", url=url, format=document.media_type)
        _with_narrative(link, "title", document.title)
        _sub(link, "category", code=document.category)
        _sub(link, "language", code=document.language)

    def budgets(self, activity: etree._Element, project: Project) -> None:
        """The budget in yearly (or shorter) periods; none without a budget, a start and an end date.

        When the budget lines hold the whole budget year by year, each year is a period (cut to the
        project's dates) with its lines' original amounts, and a revised budget beside it where they were
        revised. Otherwise the budget is spread over periods of a year pro rata to their days."""
        if project.budget_eur is None or project.start_date is None or project.end_date is None:
            return
        assert project.id is not None
        for first, last, amount, revised in self.yearly_budgets(project) or [
            (first, last, amount, amount)
            for first, last, amount in budget_periods(
                project.start_date, project.end_date, project.budget_eur
            )
        ]:
            for type_code, value in ((BUDGET_TYPE_ORIGINAL, amount), (BUDGET_TYPE_REVISED, revised)):
                if type_code == BUDGET_TYPE_REVISED and revised == amount:
                    continue
                budget = _sub(activity, "budget", type=type_code, status=BUDGET_STATUS_INDICATIVE)
                _sub(budget, "period-start", iso_date=first.isoformat())
                _sub(budget, "period-end", iso_date=last.isoformat())
                _value(budget, value, EUR, first)

    def yearly_budgets(self, project: Project) -> list[tuple[date, date, Decimal, Decimal]]:
        """(start, end, original, revised) a year, when the lines hold the whole budget year by year."""
        assert project.id is not None
        assert project.start_date is not None
        assert project.end_date is not None
        lines = self.portfolio.lines.get(project.id, [])
        if not lines or any(line.year is None for line in lines):
            return []
        if sum((line.amount_eur for line in lines), Decimal("0.00")) != project.budget_eur:
            return []
        years: dict[int, tuple[Decimal, Decimal]] = {}
        for line in lines:
            assert line.year is not None
            original, revised = years.get(line.year, (Decimal("0.00"), Decimal("0.00")))
            years[line.year] = (original + line.original_eur, revised + line.amount_eur)
        periods = []
        for year, (original, revised) in sorted(years.items()):
            first = max(project.start_date, date(year, 1, 1))
            last = min(project.end_date, date(year, 12, 31))
            if first > last:  # a year outside the project's dates: the lines cannot be placed
                return []
            periods.append((first, last, original, revised))
        return periods

    def participating_orgs(self, activity: etree._Element, project: Project, pledges: list[Pledge]) -> None:
        donors = sorted({p.donor for p in pledges}, key=lambda code: (self.state_name(code), code))
        for donor in donors:
            _with_narrative(
                activity,
                "participating-org",
                self.state_name(donor),
                **self.donor_ref(donor),
                role=ROLE_FUNDING,
                type=ORG_TYPE_GOVERNMENT,
            )
        _with_narrative(
            activity,
            "participating-org",
            self.org_name,
            ref=self.org_ref,
            role=ROLE_ACCOUNTABLE,
            type=ORG_TYPE_MULTILATERAL,
        )
        partner = (project.implementing_partner or "").strip()
        if partner:
            _with_narrative(activity, "participating-org", partner, role=ROLE_IMPLEMENTING)

    def donor_ref(self, donor: str) -> dict[str, str]:
        ref = donor_org_ids().get(donor)
        return {"ref": ref} if ref is not None else {}

    def activity_dates(self, activity: etree._Element, project: Project) -> None:
        assert project.id is not None
        actual_end = self.portfolio.entered.get(project.id, {}).get("completed")
        actual_end = actual_end if actual_end is not None and actual_end <= self.today else None
        # Only projects with a start of either kind are published (the Standard Ruleset wants one).
        planned_start, actual_start = self.starts(project)
        for type_code, day in (
            (DATE_PLANNED_START, planned_start),
            (DATE_ACTUAL_START, actual_start),
            (DATE_PLANNED_END, project.end_date),
            (DATE_ACTUAL_END, actual_end),
        ):
            if day is not None:
                _sub(activity, "activity-date", type=type_code, iso_date=day.isoformat())

    def recipient_countries(self, activity: etree._Element, project: Project) -> None:
        beneficiaries = project.beneficiaries
        for code, percentage in zip(beneficiaries, even_percentages(len(beneficiaries)), strict=True):
            state = self.portfolio.states.get(code)
            iso2 = state.iso2 if state is not None else code
            _sub(activity, "recipient-country", code=iso2, percentage=plain_short(percentage))

    def transactions(self, pledges: Iterable[Pledge]) -> list[_Transaction]:
        found: list[_Transaction] = []
        for pledge in pledges:
            assert pledge.id is not None
            in_kind = pledge.kind == "in_kind"
            if pledge.pledged_on <= self.today:
                type_code = TX_INCOMING_COMMITMENT if pledge.status in COMMITTED else TX_INCOMING_PLEDGE
                found.append(
                    _Transaction(
                        pledge.pledged_on, 0, type_code, pledge.amount, pledge.currency, pledge.donor, in_kind
                    )
                )
            for receipt in self.portfolio.receipts.get(pledge.id, []):
                if receipt.received_on <= self.today:
                    found.append(
                        _Transaction(
                            receipt.received_on,
                            1,
                            TX_INCOMING_FUNDS,
                            receipt.amount,
                            pledge.currency,
                            pledge.donor,
                            in_kind,
                        )
                    )
        found.sort(key=lambda t: (t.on, t.order))  # stable: pledges and receipts keep their load order
        return found

    def transaction(self, activity: etree._Element, item: _Transaction) -> None:
        transaction = _sub(activity, "transaction")
        _sub(transaction, "transaction-type", code=item.type_code)
        _sub(transaction, "transaction-date", iso_date=item.on.isoformat())
        _value(transaction, item.amount, item.currency, item.on)
        _with_narrative(
            transaction,
            "provider-org",
            self.state_name(item.donor),
            **self.donor_ref(item.donor),
            type=ORG_TYPE_GOVERNMENT,
        )
        _with_narrative(
            transaction, "receiver-org", self.org_name, ref=self.org_ref, type=ORG_TYPE_MULTILATERAL
        )
        if item.in_kind:
            _sub(transaction, "aid-type", code=AID_TYPE_OTHER_TECHNICAL_ASSISTANCE)

    def expenditure(self, activity: etree._Element, expenditure: Expenditure, project: Project) -> None:
        """Money spent on the activity's goods and services. Its description is the budget category it was
        booked on (what the finance system says of a purchase stays inside: supplier names, invoices)."""
        lines = {line.id: line for line in self.portfolio.lines.get(project.id or 0, [])}
        line = lines.get(expenditure.line_id)
        transaction = _sub(activity, "transaction", ref=f"E{expenditure.id}")
        _sub(transaction, "transaction-type", code=TX_EXPENDITURE)
        _sub(transaction, "transaction-date", iso_date=expenditure.spent_on.isoformat())
        _value(transaction, expenditure.amount, expenditure.currency, expenditure.spent_on)
        kind = BudgetCategory(line.category).label if line is not None else "Unallocated"
        reversal = " (reversal)" if expenditure.reverses_id is not None else ""
        _with_narrative(transaction, "description", f"{kind}{reversal}")
        _with_narrative(
            transaction, "provider-org", self.org_name, ref=self.org_ref, type=ORG_TYPE_MULTILATERAL
        )

    def result(self, activity: etree._Element, project: Project, indicator: Indicator) -> None:
        planned_start, actual_start = self.starts(project)
        start = planned_start or actual_start or project.request_date
        end = max(project.end_date or self.today, start)
        result = _sub(activity, "result", type=RESULT_OUTPUT)
        _with_narrative(result, "title", indicator.name)
        element = _sub(result, "indicator", measure=MEASURE_UNIT)
        _with_narrative(element, "title", f"{indicator.name} ({indicator.unit})")
        _sub(element, "baseline", year=str(start.year), value=plain_short(indicator.baseline))
        period = _sub(element, "period")
        _sub(period, "period-start", iso_date=start.isoformat())
        _sub(period, "period-end", iso_date=end.isoformat())
        people = BY_CODE[indicator.measure].people if indicator.measure in BY_CODE else False
        for name, total, women, men in (
            ("target", indicator.target, indicator.target_women, indicator.target_men),
            ("actual", indicator.actual, indicator.actual_women, indicator.actual_men),
        ):
            if total is None:
                continue
            _sub(period, name, value=plain_short(total))
            for sex, count in ((WOMEN, women), (MEN, men)):
                if people and count is not None:
                    part = _sub(period, name, value=plain_short(count))
                    _sub(part, "dimension", name=SEX_DIMENSION, value=sex)


def iati_export(
    session: Session,
    filters: ProjectFilters,
    settings: Settings,
    *,
    viewer: Actor = SYSTEM,
    generated: datetime | None = None,
    today: date | None = None,
) -> IatiExport:
    """The projects the project list selects with ``filters``, as an IATI 2.03 ``iati-activities``
    document in UTF-8. Nothing dated after ``today`` (default: today) is published as having happened.
    A donor ``viewer`` gets its own State's pledges, receipts and participation only.

    A project with neither a start date nor an actual start (entry into implementation) is left out
    and listed in ``skipped``; the document names them in a comment.

    Raises :class:`IatiIdentifierClash` when two selected projects' codes differ only in characters
    IATI identifiers may not contain (``A/1`` and ``A-1``): an identifier must name one activity.
    """
    portfolio = _load(session, filters, viewer, documents=bool(settings.public_document_base_url))
    builder = _Builder(portfolio, settings, today or date.today())
    seen: dict[str, str] = {}
    for project in portfolio.projects:
        identifier = iati_identifier(builder.org_ref, project.code)
        if identifier in seen:
            raise IatiIdentifierClash(
                f"Projects {seen[identifier]} and {project.code} would both be published as {identifier}; "
                "rename one of them."
            )
        seen[identifier] = project.code
    root = etree.Element(
        "iati-activities",
        {"version": IATI_VERSION, "generated-datetime": _iso_datetime(generated or datetime.now(UTC))},
    )
    skipped: list[Skipped] = []
    published = 0
    for project in portfolio.projects:
        if builder.starts(project) == (None, None):
            skipped.append(Skipped(project.code, NO_START))
            continue
        builder.activity(root, project)
        published += 1
    if skipped:
        listed = ", ".join(f"{s.code} ({s.reason})" for s in skipped)
        root.insert(0, etree.Comment(re.sub("-(?=-)", "- ", clean_text(f" Left out: {listed} "))))
    body = bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
    return IatiExport(body, published, skipped)


def iati_activities(
    session: Session,
    filters: ProjectFilters,
    settings: Settings,
    *,
    viewer: Actor = SYSTEM,
    generated: datetime | None = None,
    today: date | None = None,
) -> bytes:
    """The document of :func:`iati_export` alone."""
    return iati_export(session, filters, settings, viewer=viewer, generated=generated, today=today).body
