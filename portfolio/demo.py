"""A realistic, clearly labelled sample portfolio for trying the tracker out.

Every project code starts with ``SAMPLE-`` and every description with "Sample data"; the amounts,
dates and agreements are invented. Everything goes through the services, so the sample obeys the
same rules as real input. Loading it twice changes nothing: what exists (by project code, by
currency and month, by State and name) is left alone.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from pwdlib import PasswordHash
from sqlmodel import Session

from portfolio.agreements import service as agreements_service
from portfolio.agreements.schemas import (
    AgreementCreate,
    Earmarking,
    ObligationCreate,
    ObligationKind,
    ObligationStatus,
    ObligationUpdate,
    Schedule,
)
from portfolio.documents import service as documents_service
from portfolio.documents.schemas import OwnerType
from portfolio.flows import agreements as agreements_flow
from portfolio.funding import repository as funding_repository
from portfolio.funding import service as funding_service
from portfolio.funding.schemas import (
    ExchangeRateCreate,
    PledgeCreate,
    PledgeStatus,
    PledgeUpdate,
    ReceiptCreate,
)
from portfolio.money import EUR
from portfolio.processes import repository as processes_repository
from portfolio.processes import service as processes_service
from portfolio.processes.schemas import (
    FollowUpOutcome,
    FollowUpUpdate,
    NationalProcessCreate,
    NationalProcessUpdate,
    Stage,
)
from portfolio.projects import repository as projects_repository
from portfolio.projects import service as projects_service
from portfolio.projects.facts import LiveFacts
from portfolio.projects.models import PIPELINE, Indicator, Milestone
from portfolio.projects.schemas import (
    IndicatorCreate,
    MilestoneCreate,
    ProjectCreate,
    ProjectStatus,
    ProjectUpdate,
)
from portfolio.security import SYSTEM
from portfolio.spending import service as spending_service
from portfolio.spending.schemas import (
    BudgetCategory,
    BudgetLineCreate,
    BudgetLineRevision,
    ExpenditureCreate,
    ReversalCreate,
)
from portfolio.states import service as states_service
from portfolio.users import repository as users_repository
from portfolio.users import service as users_service
from portfolio.users.schemas import Role, UserCreate

SEED = 2018
LAST_DAY = date(2026, 9, 30)  # nothing in the sample lies after this date
SAMPLE_NOTE = "Sample data — a fictitious project for demonstration; not an OSCE record."

# Euros per unit, roughly; the sample rates wander a few per cent around these.
BASE_RATES = {
    "USD": Decimal("0.90"),
    "GBP": Decimal("1.16"),
    "CHF": Decimal("0.95"),
    "NOK": Decimal("0.088"),
    "SEK": Decimal("0.090"),
    "DKK": Decimal("0.134"),
    "CAD": Decimal("0.67"),
    "JPY": Decimal("0.0066"),
}

# Donor → (currency, relative weight: a few large donors, a long tail of small ones)
DONORS = {
    "DEU": ("EUR", 10),
    "USA": ("USD", 12),
    "GBR": ("GBP", 6),
    "CHE": ("CHF", 5),
    "NOR": ("NOK", 5),
    "SWE": ("SEK", 4),
    "DNK": ("DKK", 2),
    "CAN": ("CAD", 3),
    "JPN": ("JPY", 3),
    "FRA": ("EUR", 3),
    "NLD": ("EUR", 3),
    "AUT": ("EUR", 2),
    "FIN": ("EUR", 2),
    "ITA": ("EUR", 1),
    "IRL": ("EUR", 1),
    "KOR": ("USD", 1),
}

BENEFICIARIES = [
    "ALB",
    "BIH",
    "MNE",
    "SRB",
    "MKD",
    "MDA",
    "UKR",
    "GEO",
    "ARM",
    "KGZ",
    "TJK",
    "KAZ",
    "UZB",
    "MNG",
]

PARTNERS = {
    "ALB": "OSCE Presence in Albania",
    "BIH": "OSCE Mission to Bosnia and Herzegovina",
    "MNE": "OSCE Mission to Montenegro",
    "SRB": "OSCE Mission to Serbia",
    "MKD": "OSCE Mission to Skopje",
    "MDA": "OSCE Mission to Moldova",
    "UKR": "OSCE Secretariat, Conflict Prevention Centre",
    "GEO": "UNDP (with the OSCE Secretariat)",
    "ARM": "OSCE Secretariat, Conflict Prevention Centre",
    "KGZ": "OSCE Programme Office in Bishkek",
    "TJK": "OSCE Programme Office in Dushanbe",
    "KAZ": "OSCE Programme Office in Astana",
    "UZB": "OSCE Project Co-ordinator in Uzbekistan",
    "MNG": "OSCE Secretariat, Conflict Prevention Centre",
}


@dataclass(frozen=True)
class Template:
    slug: str
    title: str
    areas: tuple[str, ...]
    activities: tuple[str, ...]
    indicators: tuple[tuple[str, str, int, int], ...]  # name, unit, target from, target to
    budget: tuple[int, int]  # thousands of euros
    milestones: tuple[str, ...]
    gender: int = 1


TEMPLATES = [
    Template(
        "DEPOT",
        "Upgrading the physical security of ammunition depots in {state}",
        ("SCA",),
        ("stockpile_security",),
        (("Depots brought to the security standard", "sites", 2, 6),),
        (600, 3200),
        (
            "Site surveys completed",
            "Perimeter and intrusion detection installed",
            "Lightning protection and fire suppression installed",
            "Depot staff trained on new SOPs",
        ),
        1,
    ),
    Template(
        "SALWD",
        "Destruction of surplus small arms and light weapons in {state}",
        ("SALW",),
        ("surplus_destruction_salw",),
        (("Surplus weapons destroyed", "weapons", 5000, 30000),),
        (250, 900),
        (
            "Surplus verified and transported",
            "Cutting line commissioned",
            "Destruction completed and verified",
        ),
    ),
    Template(
        "AMMO",
        "Demilitarisation of surplus conventional ammunition in {state}",
        ("SCA",),
        ("surplus_destruction_ammunition",),
        (("Surplus ammunition destroyed", "tonnes", 200, 1500),),
        (900, 4500),
        (
            "Ammunition inventory and risk assessment",
            "Demilitarisation plant refurbished",
            "First half of stock destroyed",
            "Remaining stock destroyed and site cleared",
        ),
    ),
    Template(
        "MEL",
        "Disposal of melange rocket-fuel oxidiser in {state}",
        ("SCA",),
        ("hazardous_propellant_disposal",),
        (("Melange disposed of", "tonnes", 100, 900),),
        (700, 3800),
        (
            "Environmental impact assessment",
            "Conversion unit installed",
            "Melange transported and converted",
            "Storage sites decontaminated",
        ),
        0,
    ),
    Template(
        "MARK",
        "Marking, record-keeping and tracing of small arms in {state}",
        ("SALW",),
        ("marking_and_tracing", "record_keeping"),
        (("Weapons marked", "weapons", 10000, 60000), ("Officials trained", "people", 40, 200)),
        (300, 1200),
        ("Marking machines procured", "Central registry software deployed", "Backlog of weapons marked"),
    ),
    Template(
        "NC",
        "Support to the national SALW commission of {state}",
        ("SALW",),
        ("legislation_and_policy", "training_and_capacity"),
        (("Officials and experts trained", "people", 60, 300),),
        (150, 600),
        ("National SALW strategy drafted", "Action plan adopted", "Annual review held"),
        2,
    ),
    Template(
        "DEACT",
        "Deactivation of small arms to the OSCE minimum standard in {state}",
        ("SALW",),
        ("deactivation", "legislation_and_policy"),
        (("Weapons deactivated to the OSCE standard", "weapons", 1000, 8000),),
        (200, 700),
        ("Deactivation procedure adopted", "Workshop equipped", "Deactivated weapons certified"),
    ),
    Template(
        "BORDER",
        "Strengthening controls against illicit SALW trafficking at the borders of {state}",
        ("SALW",),
        ("border_and_export_controls", "training_and_capacity"),
        (("Border and customs officers trained", "people", 80, 400),),
        (400, 1800),
        ("Training needs assessment", "Detection equipment delivered", "Joint exercises held"),
        1,
    ),
    Template(
        "AWARE",
        "Awareness-raising and voluntary weapons collection in {state}",
        ("SALW",),
        ("collection_and_awareness",),
        (
            ("Weapons collected", "weapons", 500, 5000),
            ("People reached by the campaign", "people", 2000, 20000),
        ),
        (150, 500),
        (
            "Campaign designed with local communities",
            "Collection points opened",
            "Collected weapons destroyed",
        ),
        2,
    ),
    Template(
        "SOP",
        "Stockpile management training and SOPs for the armed forces of {state}",
        ("SALW", "SCA"),
        ("training_and_capacity", "stockpile_security"),
        (("Personnel trained", "people", 50, 250),),
        (200, 900),
        ("SOPs drafted with the Ministry of Defence", "Trainers certified", "SOPs in force"),
    ),
]

# Target status for each of the 30 sample projects (in creation order).
STATUSES = (
    ["completed"] * 6
    + ["implementation"] * 10
    + ["seeking_funding"] * 6
    + ["planning"] * 2
    + ["assessment"] * 2
    + ["requested"] * 2
    + ["on_hold", "cancelled"]
)

PROCESSES = [
    ("National SALW Commission", "structure", ("SALW",)),
    ("Central weapons registry", "structure", ("SALW",)),
    ("Inter-agency working group on conventional ammunition", "structure", ("SCA",)),
    ("Ammunition depot inspection body", "structure", ("SCA",)),
    ("Stockpile-management standard operating procedures", "procedure", ("SALW", "SCA")),
    ("Ammunition destruction procedure", "procedure", ("SCA",)),
    ("Weapons deactivation procedure", "procedure", ("SALW",)),
    ("Record-keeping rules for state-held weapons", "procedure", ("SALW",)),
    ("Risk assessment of ammunition depots", "procedure", ("SCA",)),
]
STAGES = [Stage.planned, Stage.established, Stage.operational, Stage.sustained]


@dataclass
class Report:
    projects: int = 0
    pledges: int = 0
    receipts: int = 0
    rates: int = 0
    processes: int = 0
    agreements: int = 0
    obligations: int = 0
    documents: int = 0
    budget_lines: int = 0
    expenditures: int = 0
    overdue: int = 0  # reports left unsent (see OVERDUE_REPORTS)
    accounts: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        created = (
            f"{self.projects} projects, {self.pledges} pledges, {self.receipts} receipts, "
            f"{self.rates} exchange rates, {self.processes} national processes, {self.agreements} "
            f"agreements with {self.obligations} reporting obligations, {self.documents} documents, "
            f"{self.budget_lines} budget lines, {self.expenditures} expenditures"
        )
        text = f"Sample data: created {created}" + (
            f"; {len(self.skipped)} already present" if self.skipped else ""
        )
        accounts = ", ".join(f"{email} ({role})" for email, _, role, _ in DEMO_ACCOUNTS)
        return f"{text}.\nSample accounts, each with the password '{DEMO_PASSWORD}': {accounts}."


def _months(first: date, last: date) -> list[date]:
    out, day = [], first.replace(day=1)
    while day <= last:
        out.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return out


def sample_rate(currency: str, month: date) -> Decimal:
    """A deterministic, plausible monthly rate: the base rate wandering a few per cent."""
    i = month.year * 12 + month.month
    wobble = Decimal(str(round(1 + 0.035 * math.sin(i / 5 + len(currency)) + 0.01 * math.cos(i / 2), 6)))
    return (BASE_RATES[currency] * wobble).quantize(Decimal("0.000001"))


def _load_rates(session: Session, report: Report) -> None:
    """Sample rates from 2018 through the current month, so that a pledge in any sample currency can be
    recorded today; a later run adds the months that have begun since."""
    for currency in BASE_RATES:
        for month in _months(date(2018, 1, 1), max(LAST_DAY, date.today())):
            key = f"{month.year:04d}-{month.month:02d}"
            if funding_repository.get_rate(session, currency, key) is None:
                funding_service.create_rate(
                    session,
                    SYSTEM,
                    ExchangeRateCreate(
                        currency=currency, month=key, eur_per_unit=sample_rate(currency, month)
                    ),
                )
                report.rates += 1


def _round_thousands(value: Decimal) -> Decimal:
    return max((value / 1000).quantize(Decimal(1), rounding=ROUND_DOWN) * 1000, Decimal(1000))


def _day_between(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _pick_donors(rng: random.Random, n: int) -> list[str]:
    names = list(DONORS)
    weights = [DONORS[d][1] for d in names]
    chosen: list[str] = []
    while len(chosen) < n:
        d = rng.choices(names, weights)[0]
        if d not in chosen:
            chosen.append(d)
    return chosen


def _load_project(session: Session, n: int, report: Report) -> None:
    rng = random.Random(SEED * 100 + n)  # one generator per project: skipping one never shifts the others
    template = TEMPLATES[n % len(TEMPLATES)]
    state = BENEFICIARIES[(n * 5) % len(BENEFICIARIES)]
    target = ProjectStatus(STATUSES[n])
    # Older projects for later stages: completed ones were requested 2019–2021, requests 2026.
    stage_index = {
        "completed": 0,
        "implementation": 1,
        "cancelled": 1,
        "on_hold": 1,
        "seeking_funding": 2,
        "planning": 3,
        "assessment": 3,
        "requested": 4,
    }[target]
    request = _day_between(
        rng, date(2019 + stage_index, 1, 10), date(2020 + stage_index + (stage_index > 3), 6, 30)
    )
    request = min(request, LAST_DAY - timedelta(days=60))
    code = f"SAMPLE-{template.slug}-{state}-{request.year}-{n + 1:02d}"
    if projects_repository.get_project_by_code(session, code) is not None:
        report.skipped.append(code)
        return

    budget = Decimal(rng.randint(*template.budget) * 1000)
    start = request + timedelta(days=rng.randint(150, 300))
    end = start + timedelta(days=rng.randint(540, 1100))
    project = projects_service.create_project(
        session,
        SYSTEM,
        ProjectCreate(
            code=code,
            title=template.title.format(state=states_service.get_state(session, state).name),
            description=f"{SAMPLE_NOTE} Requested by the authorities of {state}; assessed on site.",
            areas=list(template.areas),
            activity_types=list(template.activities),
            beneficiaries=[state],
            implementing_partner=PARTNERS[state],
            request_date=request,
            start_date=start if stage_index <= 3 else None,
            end_date=end if stage_index <= 3 else None,
            budget_eur=budget,
            gender_marker=template.gender,
            sdg_targets=["16.4"] + (["5.5"] if template.gender == 2 else []),
        ),
    )
    report.projects += 1
    assert project.id is not None

    # Walk the lifecycle up to the target status, with plausible dates.
    if target == ProjectStatus.on_hold:
        path = ["assessment", "planning", "seeking_funding", "implementation", "on_hold"]
    elif target == ProjectStatus.cancelled:
        path = ["assessment", "planning", "cancelled"]
    else:
        path = [s.value for s in PIPELINE[1 : PIPELINE.index(target) + 1]]
    on = request
    funding_open: date | None = None
    for step in path:
        gap = 400 if step == "completed" else 45
        on = min(on + timedelta(days=rng.randint(gap, gap + 90)), LAST_DAY)
        if step == "completed":
            on = min(max(on, end), LAST_DAY)
        note = {
            "assessment": "Expert assessment visit agreed with the requesting State.",
            "planning": "Needs confirmed on site; project plan and budget in preparation.",
            "seeking_funding": "Plan approved; circulated to delegations for extra-budgetary support.",
            "implementation": "Funding sufficient to start; implementation agreement signed.",
            "completed": "Final report submitted to donors.",
            "on_hold": "Paused at the request of the host authorities.",
            "cancelled": "Request withdrawn by the authorities.",
        }[step]
        projects_service.transition(session, SYSTEM, project.id, ProjectStatus(step), note, on)
        if step == "seeking_funding":
            funding_open = on

    if funding_open is not None:
        _load_pledges(session, rng, project.id, budget, target, funding_open, report)
    if target in (ProjectStatus.implementation, ProjectStatus.completed, ProjectStatus.on_hold):
        _load_progress(session, rng, project.id, template, start, end, target)
    if funding_open is not None:
        _load_agreements(session, n, project.id, code, template, end, target, report)
    if target in (ProjectStatus.implementation, ProjectStatus.completed, ProjectStatus.on_hold):
        _load_spending(session, n, project.id, state, budget, start, end, report)


def _load_pledges(
    session: Session,
    rng: random.Random,
    project_id: int,
    budget: Decimal,
    target: ProjectStatus,
    opened: date,
    report: Report,
) -> None:
    low, high = {ProjectStatus.completed: (100, 104), ProjectStatus.seeking_funding: (10, 80)}.get(
        target, (70, 105)
    )
    share = Decimal(rng.randint(low, high)) / 100
    donors = _pick_donors(rng, rng.randint(1, 4))
    weights = [Decimal(rng.randint(1, 5)) for _ in donors]
    for donor, weight in zip(donors, weights, strict=True):
        currency = DONORS[donor][0]
        pledged_on = _day_between(rng, opened, min(opened + timedelta(days=200), LAST_DAY))
        rate = Decimal(1) if currency == EUR else sample_rate(currency, pledged_on)
        eur = budget * share * weight / sum(weights)
        amount = (
            _round_thousands(eur / rate) if currency != "JPY" else _round_thousands(eur / rate / 1000) * 1000
        )
        in_kind = rng.random() < 0.12
        status = (
            PledgeStatus.committed
            if target != ProjectStatus.seeking_funding or rng.random() < 0.3
            else (PledgeStatus.pledged)
        )
        pledge = funding_service.create_pledge(
            session,
            SYSTEM,
            PledgeCreate(
                project_id=project_id,
                donor=donor,
                kind="in_kind" if in_kind else "cash",
                amount=amount,
                currency=currency,
                pledged_on=pledged_on,
                status=status,
                note="Seconded experts and equipment, valued at cost." if in_kind else "",
            ),
            LiveFacts(session),
        )
        report.pledges += 1
        assert pledge.id is not None
        if target == ProjectStatus.seeking_funding:
            continue
        # Instalments: all of it for completed projects, part of it while implementing.
        portion = (
            Decimal(1) if target == ProjectStatus.completed else Decimal(rng.choice(["0.4", "0.6", "1"]))
        )
        instalments = rng.randint(1, 3)
        left = (amount * portion).quantize(Decimal("0.01"))
        day = pledged_on
        for i in range(instalments):
            part = left if i == instalments - 1 else (left / (instalments - i)).quantize(Decimal("0.01"))
            day = min(day + timedelta(days=rng.randint(30, 150)), LAST_DAY)
            if part <= 0:
                break
            funding_service.add_receipt(
                session, SYSTEM, pledge.id, ReceiptCreate(amount=part, received_on=day)
            )
            report.receipts += 1
            left -= part
    if target == ProjectStatus.implementation and rng.random() < 0.25:
        # A donor that changed its mind before paying anything.
        donor = _pick_donors(rng, 1)[0]
        currency = DONORS[donor][0]
        rate = Decimal(1) if currency == EUR else sample_rate(currency, opened)
        withdrawn = funding_service.create_pledge(
            session,
            SYSTEM,
            PledgeCreate(
                project_id=project_id,
                donor=donor,
                amount=_round_thousands(budget * Decimal("0.1") / rate),
                currency=currency,
                pledged_on=opened,
                note="Sample: withdrawn after budget review.",
            ),
            LiveFacts(session),
        )
        assert withdrawn.id is not None
        funding_service.update_pledge(
            session, SYSTEM, withdrawn.id, PledgeUpdate(status=PledgeStatus.withdrawn), LiveFacts(session)
        )
        report.pledges += 1


def _load_progress(
    session: Session,
    rng: random.Random,
    project_id: int,
    template: Template,
    start: date,
    end: date,
    target: ProjectStatus,
) -> None:
    names = template.milestones
    span = (end - start).days
    done_count = len(names) if target == ProjectStatus.completed else rng.randint(0, len(names) - 1)
    for i, title in enumerate(names):
        due = start + timedelta(days=span * (i + 1) // len(names))
        done = min(due + timedelta(days=rng.randint(-20, 40)), LAST_DAY) if i < done_count else None
        projects_service.add_part(
            session,
            SYSTEM,
            Milestone,
            project_id,
            MilestoneCreate(title=title, due_on=due, done_on=done, weight=Decimal(rng.choice([1, 1, 2]))),
        )
    ratio = Decimal(done_count) / Decimal(len(names))
    for name, unit, low, high in template.indicators:
        target_value = Decimal(rng.randint(low, high))
        actual = (target_value * ratio * Decimal(rng.choice(["0.9", "1", "1.05"]))).quantize(Decimal(1))
        measure = MEASURE_OF.get(name)
        breakdown = _women_and_men(project_id, name, target_value, actual) if measure in PEOPLE else {}
        projects_service.add_part(
            session,
            SYSTEM,
            Indicator,
            project_id,
            IndicatorCreate(
                name=name,
                measure=measure,
                unit=None if measure else unit,
                baseline=Decimal(0),
                target=target_value,
                actual=actual,
                **breakdown,
            ),
        )


# -- budget lines and what was spent ----------------------------------------------------------------------

# A project's budget by category: equipment and contracted services year by year, the rest for the whole
# project; what is left stays unallocated.
BUDGET_SHARES = {
    BudgetCategory.equipment: (Decimal("0.45"), True),
    BudgetCategory.contracted_services: (Decimal("0.20"), True),
    BudgetCategory.staff: (Decimal("0.12"), False),
    BudgetCategory.travel: (Decimal("0.05"), False),
    BudgetCategory.programme_support: (Decimal("0.07"), False),
}
PURCHASES = {
    BudgetCategory.equipment: ["Hydraulic shears", "Cutting torches and gas", "Depot fencing and lighting"],
    BudgetCategory.contracted_services: [
        "Destruction contractor",
        "Site security contract",
        "Transport of lots",
    ],
    BudgetCategory.staff: ["Project officer", "National project assistant"],
    BudgetCategory.travel: ["Expert mission", "Monitoring visit"],
    BudgetCategory.programme_support: ["Support-cost share (7 %)"],
}


def _load_spending(
    session: Session,
    n: int,
    project_id: int,
    state: str,
    budget: Decimal,
    start: date,
    end: date,
    report: Report,
) -> None:
    """Budget lines (one revised), then month by month what was spent up to the last day of the sample
    (a completed project most of what it received), shared among its pledges as the rules share it; one
    project reverses an entry booked in error."""
    rng = random.Random(SEED * 1000 + n)  # its own generator: the rest of the sample does not shift
    years = list(range(start.year, end.year + 1))
    lines = []
    for category, (share, by_year) in BUDGET_SHARES.items():
        amount = _round_thousands(budget * share)
        parts = (
            [(year, _round_thousands(amount / len(years))) for year in years] if by_year else [(None, amount)]
        )
        for year, part in parts:
            line, _moved = spending_service.add_line(
                session,
                SYSTEM,
                project_id,
                BudgetLineCreate(
                    category=category,
                    year=year,
                    amount_eur=part,
                    reason="Approved project budget",
                    revised_on=start,
                ),
            )
            lines.append(line)
            report.budget_lines += 1
    if n % 2 == 0:
        first = lines[0]
        spending_service.revise_line(
            session,
            SYSTEM,
            first.id or 0,
            BudgetLineRevision(
                amount_eur=first.amount_eur + _round_thousands(first.amount_eur / 10),
                reason="Prices of destruction equipment rose",
                revised_on=min(start + timedelta(days=120), LAST_DAY),
            ),
        )
    facts = LiveFacts(session)
    last = min(end, LAST_DAY)
    months = _months(start, last)
    received = spending_service.spending(session, SYSTEM, project_id).received_eur
    share = Decimal("0.93") if end <= LAST_DAY else Decimal("0.85")
    monthly = (received * share / max(len(months), 1)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    weights = [float(line.amount_eur) for line in lines]
    k = 0
    for month in months:
        for _ in range(rng.choice([1, 1, 1, 2])):
            line = rng.choices(lines, weights=weights)[0]
            day = min(month.replace(day=rng.randint(1, 28)), last)
            amount = (monthly * Decimal(rng.choice(["0.6", "0.75", "0.9"]))).quantize(Decimal("0.01"))
            if amount <= 0 or day < start:
                continue
            k += 1
            category = BudgetCategory(line.category)
            spent = spending_service.record_expenditure(
                session,
                SYSTEM,
                ExpenditureCreate(
                    project_id=project_id,
                    line_id=line.id,
                    spent_on=day,
                    amount=amount,
                    currency=EUR,
                    description=f"{rng.choice(PURCHASES[category])} ({state})",
                    reference=f"SAMPLE-FIN-{project_id:03d}-{k:03d}",
                ),
                facts,
            )
            report.expenditures += 1
            if n == 6 and k == 2:  # booked on the wrong project: reversed a fortnight later
                spending_service.reverse_expenditure(
                    session,
                    SYSTEM,
                    spent.id or 0,
                    ReversalCreate(
                        reason="Booked on the wrong project", reversed_on=min(day + timedelta(days=14), last)
                    ),
                )
                report.expenditures += 1


# -- contribution agreements, the reports they ask for, and a few documents -------------------------------


OVERDUE_REPORTS = 2  # the first financial statements of implementation projects left unsent: overdue
# Reports a donor asked for on top of the schedule, added by hand and due after the sample's last day.
EXTRA_REPORTS = [
    date(2027, 1, 31),
    date(2027, 3, 31),
    date(2027, 6, 30),
    date(2027, 9, 30),
    date(2028, 1, 31),
]


def sample_pdf(title: str, *lines: str) -> bytes:
    """A small, valid one-page PDF (PDF 1.4, Helvetica) that says it is sample data: written by hand, with
    its cross-reference table, so that no library and no download is needed."""

    def text(value: str) -> bytes:
        plain = value.encode("cp1252", "replace")  # the font's WinAnsiEncoding
        return plain.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")

    body = [b"BT /F1 16 Tf 56 780 Td (" + text(title) + b") Tj ET"]
    for i, line in enumerate((SAMPLE_NOTE, *lines)):
        body.append(b"BT /F1 10 Tf 56 %d Td (" % (750 - 16 * i) + text(line) + b") Tj ET")
    stream = b"\n".join(body)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _add_document(
    session: Session,
    owner_type: OwnerType,
    owner_id: int,
    title: str,
    category: str,
    filename: str,
    lines: tuple[str, ...],
    report: Report,
    *,
    shared: bool,
    public: bool = False,
) -> int:
    data = documents_service.Upload(
        owner_type=owner_type,
        owner_id=owner_id,
        category=category,
        title=title,
        language="en",
        shared_with_donor=shared,
        public=public,
    )
    pdf = io.BytesIO(sample_pdf(title, *lines))
    document = documents_service.upload(session, SYSTEM, data, pdf, filename, limit=1024 * 1024)
    report.documents += 1
    assert document.id is not None
    return document.id


def _load_agreements(
    session: Session,
    n: int,
    project_id: int,
    code: str,
    template: Template,
    end: date,
    target: ProjectStatus,
    report: Report,
) -> None:
    """A contribution agreement on most committed pledges (a draft on a few still only pledged), the
    reports their schedules ask for — accepted, submitted or still due, a few overdue — and a few
    documents. A generator of its own, so that the rest of the sample stays as it was."""
    rng = random.Random(f"{SEED}-agreements-{n}")
    staff = users_repository.get_by_email(session, "staff@example.org")
    owner = staff.id if staff is not None else None
    rows = funding_repository.project_pledge_rows(session, project_id)
    for k, row in enumerate(rows):
        pledge = row.pledge
        assert pledge.id is not None
        if pledge.status == PledgeStatus.withdrawn:
            continue
        committed = pledge.status != PledgeStatus.pledged
        if committed and rng.random() < 0.15:
            continue  # committed before any agreement was recorded: the data-quality page lists it
        if not committed and rng.random() < 0.6:
            continue
        signed = min(pledge.pledged_on + timedelta(days=rng.randint(14, 75)), LAST_DAY) if committed else None
        interim = rng.choices([None, 6, 12], [45, 40, 15])[0]
        schedule = Schedule(
            interim_every_months=interim,
            final_after_months=rng.choice([3, 3, 3, 6]),
            audit_certificate=rng.random() < 0.2,
        )
        donor = states_service.get_state(session, pledge.donor).name
        reference = f"SAMPLE-CA-{(signed or pledge.pledged_on).year}-{n * 4 + k + 1:03d}"
        earmarking = Earmarking.project if rng.random() < 0.8 else Earmarking.area
        conditions = rng.choice(
            [
                "",
                f"Sample data: funds to be spent on {template.title.split(' {')[0].lower()} only.",
                "Sample data: unspent funds to be returned within six months of the end date.",
                "Sample data: donor visibility at the destruction site; prior notice of media events.",
            ]
        )
        agreement = agreements_flow.record_agreement(
            session,
            SYSTEM,
            LiveFacts(session),
            pledge.id,
            AgreementCreate(
                reference=reference,
                signed_on=signed,
                valid_until=agreements_service.add_months(end, 6) if signed else None,
                earmarking=earmarking,
                conditions=conditions,
                schedule=schedule,
                contact_name=f"Sample contact, Ministry of Foreign Affairs of {donor}",
                contact_email=f"contact.{pledge.donor.lower()}@example.org",
            ),
        )
        report.agreements += 1
        assert agreement.id is not None
        if signed is not None and rng.random() < 0.2:
            _add_document(
                session,
                OwnerType.agreement,
                agreement.id,
                f"Contribution agreement {reference}, signed copy",
                "A11",
                f"{reference}.pdf",
                (f"Project {code}; donor: {donor}.", f"Signed on {signed.isoformat()}."),
                report,
                shared=True,
            )
        running = target == ProjectStatus.implementation
        _settle_reports(session, rng, agreement.id, reference, code, owner, report, running=running)
        if running and signed is not None and report.agreements % 3 == 0 and len(EXTRA_REPORTS) > 0:
            due = EXTRA_REPORTS[(report.agreements // 3) % len(EXTRA_REPORTS)]
            extra = agreements_service.create_obligation(
                session,
                SYSTEM,
                ObligationCreate(
                    agreement_id=agreement.id,
                    kind=ObligationKind.other,
                    due_on=due,
                    owner_id=owner,
                    note="Sample data: a briefing note the donor asked for, for its annual review.",
                ),
            )
            assert extra.id is not None
            report.obligations += 1
    if n % 6 == 1 and rows:
        _add_document(
            session,
            OwnerType.project,
            project_id,
            "Project plan and budget",
            "A05",
            f"{code}-plan.pdf",
            (f"Project {code}.", "Outputs, activities, timeline and budget as approved."),
            report,
            shared=True,
            public=n % 12 == 1,
        )
    if n % 10 == 2:
        _add_document(
            session,
            OwnerType.project,
            project_id,
            "Needs assessment visit, internal notes",
            "A01",
            f"{code}-assessment.pdf",
            (f"Project {code}.", "Internal: not shared with donors."),
            report,
            shared=False,
        )


def _settle_reports(
    session: Session,
    rng: random.Random,
    agreement_id: int,
    reference: str,
    code: str,
    owner: int | None,
    report: Report,
    *,
    running: bool,
) -> None:
    """What became of the reports an agreement asks for, as of the sample's last day: those due before
    it accepted (some only submitted, awaiting the donor's acceptance), those due after it still due;
    the first :data:`OVERDUE_REPORTS` financial statements of projects still running never sent."""
    obligations = agreements_service.obligations_of_agreement(session, agreement_id)
    report.obligations += len(obligations)
    for obligation in obligations:
        assert obligation.id is not None
        due = obligation.due_on
        if due > LAST_DAY - timedelta(days=15):
            if owner is not None:
                agreements_service.update_obligation(
                    session, SYSTEM, obligation.id, ObligationUpdate(owner_id=owner)
                )
            continue
        if running and obligation.kind == "financial_statement" and report.overdue < OVERDUE_REPORTS:
            report.overdue += 1
            agreements_service.update_obligation(
                session, SYSTEM, obligation.id, ObligationUpdate(owner_id=owner)
            )
            continue  # never sent: overdue
        submitted = min(due + timedelta(days=rng.randint(-12, 18)), LAST_DAY)
        accepted = submitted + timedelta(days=rng.randint(10, 45))
        values: dict[str, object] = {
            "status": ObligationStatus.submitted,
            "submitted_on": submitted,
            "owner_id": owner,
        }
        if accepted <= LAST_DAY and rng.random() < 0.85:
            values |= {"status": ObligationStatus.accepted, "accepted_on": accepted}
        if obligation.kind == "interim_narrative" and rng.random() < 0.12:
            values["document_id"] = _add_document(
                session,
                OwnerType.obligation,
                obligation.id,
                f"Interim narrative report, {reference}",
                "A07",
                f"{reference}-interim-{due.isoformat()}.pdf",
                (f"Project {code}.", f"Report due {due.isoformat()}, sent {submitted.isoformat()}."),
                report,
                shared=True,
            )
        update = ObligationUpdate.model_validate(values)
        agreements_service.update_obligation(session, SYSTEM, obligation.id, update)


# The standard measure each sample indicator is counted in (the others are free indicators).
MEASURE_OF = {
    "Depots brought to the security standard": "depots_upgraded",
    "Surplus weapons destroyed": "weapons_destroyed",
    "Surplus ammunition destroyed": "ammunition_destroyed",
    "Melange disposed of": "propellant_disposed",
    "Weapons marked": "weapons_marked",
    "Weapons deactivated to the OSCE standard": "weapons_deactivated",
    "Officials trained": "people_trained",
    "Officials and experts trained": "people_trained",
    "Border and customs officers trained": "people_trained",
    "Personnel trained": "people_trained",
    "People reached by the campaign": "people_reached",
}
PEOPLE = {m.code for m in projects_service.measures() if m.people}
# The share of women among the people an indicator counts: trainees of security forces are mostly men,
# an awareness campaign reaches about as many women as men.
WOMEN_SHARE = {"people_trained": (0.12, 0.35), "people_reached": (0.45, 0.6)}


def _women_and_men(project_id: int, name: str, target: Decimal, actual: Decimal | None) -> dict[str, Decimal]:
    """Women and men of a sample people count, drawn from a generator of their own (so that the rest of
    the sample data stays as it was); a few percent are people whose sex was not recorded."""
    rng = random.Random(f"{project_id}-{name}")
    low, high = WOMEN_SHARE[MEASURE_OF[name]]
    women_share = Decimal(str(round(rng.uniform(low, high), 3)))
    unrecorded = Decimal(str(round(rng.uniform(0, 0.05), 3)))
    values: dict[str, Decimal] = {}
    for total_name, total in (("target", target), ("actual", actual)):
        if total is None:
            continue
        women = (total * women_share).quantize(Decimal(1))
        men = max(total - women - (total * unrecorded).quantize(Decimal(1)), Decimal(0))
        values |= {f"{total_name}_women": women, f"{total_name}_men": men}
    return values


def _load_processes(session: Session, report: Report) -> None:
    from portfolio.projects.repository import ProjectFilters

    for n, state in enumerate(BENEFICIARIES):
        rows, _ = projects_repository.list_projects(
            session, ProjectFilters(beneficiary=state), "request_date", 50, 0
        )
        sample = [r.project for r in rows if r.project.code.startswith("SAMPLE-")]
        picks = [PROCESSES[(n * 2 + k) % len(PROCESSES)] for k in range(2 if n % 3 else 3)]
        for name, kind, areas in picks:
            if processes_repository.get_by_name(session, state, name) is not None:
                report.skipped.append(f"{state}: {name}")
                continue
            related = [p for p in sample if set(areas) & set(p.areas)] or sample
            first_day = related[0].request_date if related else date(2019, 3, 1)
            process = processes_service.create_process(
                session,
                SYSTEM,
                NationalProcessCreate(
                    state=state,
                    name=name,
                    kind=kind,
                    areas=list(areas),
                    stage=Stage.planned,
                    project_ids=[p.id for p in related if p.id is not None][:3],
                    description=f"{SAMPLE_NOTE.replace('project', 'national process')}",
                    stage_changed_on=first_day,
                ),
            )
            report.processes += 1
            assert process.id is not None
            rng = random.Random(f"{SEED}-{state}-{name}")
            reached = rng.choice([0, 1, 1, 2, 2, 3])
            on = first_day
            for stage in STAGES[1 : reached + 1]:
                on = min(on + timedelta(days=rng.randint(200, 500)), LAST_DAY)
                processes_service.update_process(
                    session,
                    SYSTEM,
                    process.id,
                    NationalProcessUpdate(
                        stage=stage,
                        stage_changed_on=on,
                        stage_note=f"Sample: {stage.value} as reported by the national authorities.",
                    ),
                )


DEMO_PASSWORD = "demo-password"  # noqa: S105 - published on purpose: sample accounts for trying the tracker
DEMO_ACCOUNTS = [
    ("admin@example.org", "Sample Administrator", Role.admin, None),
    ("staff@example.org", "Sample FSC Support Officer", Role.staff, None),
    ("manager@example.org", "Sample Manager", Role.manager, None),
    ("donor.deu@example.org", "Sample Delegation of Germany", Role.donor, "DEU"),
]


def _load_accounts(session: Session, hasher: PasswordHash, report: Report) -> None:
    for email, name, role, state in DEMO_ACCOUNTS:
        if users_repository.get_by_email(session, email) is not None:
            report.skipped.append(email)
            continue
        users_service.create_user(
            session,
            SYSTEM,
            UserCreate(email=email, full_name=name, role=role, state=state, password=DEMO_PASSWORD),
            hasher,
        )
        report.accounts.append(email)


def load_demo_accounts(session: Session, hasher: PasswordHash) -> list[str]:
    """The sample accounts alone (one per role, password ``demo-password``); existing ones are kept."""
    report = Report()
    _load_accounts(session, hasher, report)
    return report.accounts


def load_demo_data(session: Session, hasher: PasswordHash) -> Report:
    """Load the sample portfolio and one account per role into ``session`` (the caller commits)."""
    report = Report()
    _load_accounts(session, hasher, report)
    _load_rates(session, report)
    for n in range(len(STATUSES)):
        _load_project(session, n, report)
    _load_processes(session, report)
    _check_sustained_processes(session)
    _load_norms(session)
    return report


def _check_sustained_processes(session: Session) -> None:
    """A sample process that reached ``sustained`` passed its follow-up checks: each one that fell due is
    recorded done, on its due day or, when it fell due before the process became sustained, on that day."""
    today = date.today()
    for process in processes_repository.list_processes(
        session, processes_repository.ProcessFilters(stage=Stage.sustained), 1000, 0
    )[0]:
        assert process.id is not None
        history = processes_repository.stage_history(session, process.id)
        for check in process.follow_ups:
            if check.status != "due" or check.due_on > today:
                continue
            assert check.id is not None
            processes_service.update_follow_up(
                session,
                SYSTEM,
                check.id,
                FollowUpUpdate(
                    outcome=FollowUpOutcome.sustained,
                    checked_on=max(check.due_on, history[-1].changed_on),
                    note="Sample data: still running on the national budget.",
                ),
            )


# -- the norms the sample projects implement --------------------------------------------------------

# The OSCE Document of each area, and the Best Practice Guides each kind of activity follows.
AREA_NORMS = {"SALW": "doc-salw", "SCA": "doc-sca"}
ACTIVITY_NORMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("SALW", "stockpile_security"): ("bpg-salw-stockpile",),
    ("SCA", "stockpile_security"): ("bpg-sca-stockpile", "bpg-sca-security"),
    ("SALW", "surplus_destruction_salw"): ("bpg-salw-destruction", "bpg-salw-surplus"),
    ("SCA", "surplus_destruction_ammunition"): ("bpg-sca-destruction", "bpg-sca-surplus"),
    ("SCA", "hazardous_propellant_disposal"): ("bpg-sca-destruction",),
    ("SALW", "marking_and_tracing"): ("bpg-salw-marking",),
    ("SALW", "record_keeping"): ("bpg-salw-marking",),
    ("SCA", "record_keeping"): ("bpg-sca-marking",),
    ("SALW", "deactivation"): ("bpg-salw-deactivation",),
    ("SALW", "border_and_export_controls"): ("bpg-salw-export", "bpg-salw-brokering"),
}


def _load_norms(session: Session) -> None:
    """Each sample project without norms names those its areas and activities follow (an update, audited)."""
    rows, _ = projects_service.list_projects(
        session, SYSTEM, projects_repository.ProjectFilters(q="SAMPLE-"), "code", 500, 0
    )
    for row in rows:
        if row.lists["norms"] or row.project.id is None:
            continue
        areas, activities = row.lists["areas"], row.lists["activity_types"]
        norms = {AREA_NORMS[a] for a in areas if a in AREA_NORMS}
        norms.update(n for a in areas for t in activities for n in ACTIVITY_NORMS.get((a, t), ()))
        if norms:
            projects_service.update_project(
                session, SYSTEM, row.project.id, ProjectUpdate(norms=sorted(norms))
            )
