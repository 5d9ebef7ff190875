"""A reproducible synthetic portfolio for benchmarks and load tests.

:func:`generate` fills an already-migrated database that holds no projects yet with as many projects and
pledges as asked for — and with what goes with them: status histories, receipts (about one and a half per
pledge), monthly exchange rates, milestones, indicators and national processes. The same seed and sizes
give the same rows, to the cent and the day (on a database that held none of them before).

The data obeys the application's rules, so that every page answers on it as on real input:

* projects are requested between 2010 and the reference date and walk the lifecycle by allowed moves
  only (requested → … → completed; on hold and back; cancelled), each move dated and kept in the status
  history; completed projects started and ended in the past; nothing is dated after the reference date
  (:data:`REFERENCE_DATE`, or today if that is earlier) — only planned dates (a planned start or end, a
  milestone's due date) may lie ahead;
* pledges come from participating States and Partners (a handful of large donors give most of the
  money), on projects that reached "seeking funding", dated inside the project's funding window (never
  before the request, before its cancellation on a cancelled project); their euro values are converted
  with the rate of their month exactly as the application converts them (:func:`portfolio.money.to_eur`;
  EUR at 1, with no rate rows of its own);
* receipts never add up past their pledge, a pledge is ``paid`` exactly when they reach its amount, a
  withdrawn pledge has none, and none is dated before its pledge;
* national processes belong to participating States, are unique by State and name, are linked to
  projects of their State and carry their stage history.

It is fast because it plans everything in Python, with the ids assigned here (from the highest id the
database ever issued, plus one), and writes with SQLAlchemy Core ``insert(table)`` in batches of
executemany — through the tables' own column types, so that money is stored exactly on each database —
in one transaction. Afterwards new records continue after the synthetic ones (PostgreSQL's sequences are
advanced; SQLite's ``sqlite_sequence`` follows explicit ids by itself).

Synthetic data has no audit trail: no ``audit_entry`` row is written. Every project code starts with
``SYN-`` and every description says that it is synthetic.
"""

from __future__ import annotations

import math
import random
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import Connection, Engine

from portfolio import ids, migrate
from portfolio.funding.models import ExchangeRate, Pledge, Receipt
from portfolio.money import EUR, RATE_QUANTUM, to_eur
from portfolio.processes.models import NationalProcess, NationalProcessProject, NationalProcessStageChange
from portfolio.processes.schemas import ProcessKind, Stage
from portfolio.projects.measures import BY_CODE, Measure
from portfolio.projects.models import (
    FINAL,
    HOLDABLE,
    PIPELINE,
    Indicator,
    Milestone,
    Project,
    ProjectActivity,
    ProjectArea,
    ProjectBeneficiary,
    ProjectStatusChange,
)
from portfolio.projects.schemas import ActivityType, Area, ProjectStatus
from portfolio.states.models import State

__all__ = ["REFERENCE_DATE", "SyntheticReport", "generate"]

REFERENCE_DATE = date(2026, 9, 30)
"""Nothing synthetic happens after this day (or after today, if that comes first)."""
FIRST_REQUEST = date(2010, 1, 1)
BATCH = 5000
RECEIPTS_PER_PLEDGE = Decimal("1.5")
MAX_RECEIPTS_PER_PLEDGE = 12
MIN_PLEDGE_EUR = 1000
MIN_BUDGET, MEDIAN_BUDGET, MAX_BUDGET = 50_000, 550_000, 5_000_000
SYNTHETIC_NOTE = "Synthetic data — generated for benchmarks and load tests; not an OSCE record."
PROCESS_NOTE = "Synthetic data — a national process generated for benchmarks and load tests."

Progress = Callable[[str, int, int], None]


@dataclass
class SyntheticReport:
    """What :func:`generate` wrote: rows per kind of record, and how long it took."""

    projects: int
    pledges: int
    receipts: int
    rates: int
    milestones: int
    indicators: int
    processes: int
    seconds: float

    def __str__(self) -> str:
        return (
            f"Synthetic data: {self.projects} projects, {self.pledges} pledges, {self.receipts} receipts, "
            f"{self.rates} exchange rates, {self.milestones} milestones, {self.indicators} indicators, "
            f"{self.processes} national processes in {self.seconds:.1f} s."
        )


# -- reference tables of the generator ----------------------------------------------------------

S = ProjectStatus
A = ActivityType

# Euros per unit, roughly, and how much the rate wanders from month to month.
CURRENCIES: dict[str, tuple[float, float]] = {
    "USD": (0.85, 0.020),
    "GBP": (1.15, 0.015),
    "CHF": (0.90, 0.012),
    "NOK": (0.090, 0.018),
    "SEK": (0.092, 0.015),
    "DKK": (0.134, 0.001),
    "CAD": (0.65, 0.018),
    "JPY": (0.0070, 0.022),
    "AUD": (0.62, 0.020),
    "KRW": (0.00068, 0.020),
    "PLN": (0.23, 0.012),
    "CZK": (0.039, 0.010),
    "HUF": (0.0028, 0.014),
}
# Currencies whose pledges are rounded to ten thousand units rather than a hundred.
SMALL_UNIT = ("JPY", "KRW", "HUF")

# Donors, largest first: the pledges' donors follow a Zipf law over this ranking (other States, those
# that usually receive help aside, follow at the end of the tail).
DONOR_RANKING = [
    "USA", "DEU", "GBR", "CHE", "NOR", "SWE", "CAN", "NLD", "FRA", "FIN", "DNK", "AUT", "JPN", "ITA",
    "IRL", "BEL", "LUX", "ESP", "CZE", "POL", "AUS", "KOR", "LIE", "EST", "LVA", "LTU", "SVK", "SVN",
    "HUN", "PRT", "GRC", "ISL", "MCO", "AND", "CYP", "MLT", "HRV", "ROU", "BGR", "TUR", "ISR", "THA",
]  # fmt: skip
DONOR_CURRENCY = {
    "USA": "USD", "GBR": "GBP", "CHE": "CHF", "LIE": "CHF", "NOR": "NOK", "SWE": "SEK", "DNK": "DKK",
    "CAN": "CAD", "JPN": "JPY", "AUS": "AUD", "KOR": "KRW", "POL": "PLN", "CZE": "CZK", "HUN": "HUF",
    "ISR": "USD", "THA": "USD", "TUR": "USD", "EGY": "USD", "MAR": "USD", "TUN": "USD", "JOR": "USD",
    "DZA": "USD", "AFG": "USD", "ISL": "USD", "KAZ": "USD", "UZB": "USD", "TKM": "USD",
}  # fmt: skip
ZIPF_DONORS = 1.15

# Participating States that usually request assistance, most projects first; grouped into regions for
# projects with several beneficiaries.
REGIONS = [
    ["SRB", "BIH", "ALB", "MNE", "MKD"],
    ["UKR", "MDA", "BLR"],
    ["GEO", "ARM", "AZE"],
    ["KGZ", "TJK", "KAZ", "UZB", "TKM"],
    ["MNG"],
]
RECIPIENT_RANKING = [
    "UKR", "SRB", "BIH", "MDA", "ALB", "MNE", "KGZ", "TJK", "MKD", "GEO", "ARM", "KAZ", "UZB", "BLR",
    "AZE", "TKM", "MNG",
]  # fmt: skip
ZIPF_RECIPIENTS = 0.8

FIELD_OPERATIONS = {
    "ALB": "OSCE Presence in Albania",
    "BIH": "OSCE Mission to Bosnia and Herzegovina",
    "MNE": "OSCE Mission to Montenegro",
    "SRB": "OSCE Mission to Serbia",
    "MKD": "OSCE Mission to Skopje",
    "MDA": "OSCE Mission to Moldova",
    "KGZ": "OSCE Programme Office in Bishkek",
    "TJK": "OSCE Programme Office in Dushanbe",
    "KAZ": "OSCE Programme Office in Astana",
    "UZB": "OSCE Project Co-ordinator in Uzbekistan",
    "TKM": "OSCE Centre in Ashgabat",
}
SECRETARIAT = "OSCE Secretariat, Conflict Prevention Centre"


@dataclass(frozen=True)
class Activity:
    areas: tuple[str, ...]
    title: str  # completed with " in {beneficiaries}"
    milestones: tuple[str, ...]
    indicators: tuple[tuple[str, str, int, int], ...]  # name, unit, target from, target to


SALW, SCA = Area.SALW.value, Area.SCA.value

# The standard measure each generated indicator is counted in (the others are free indicators), and the
# share of women among the people a people count holds: trainees of security forces are mostly men, an
# awareness campaign reaches about as many women as men.
MEASURE_OF = {
    "Storage sites upgraded": "depots_upgraded",
    "Weapons destroyed": "weapons_destroyed",
    "Ammunition destroyed": "ammunition_destroyed",
    "Melange disposed of": "propellant_disposed",
    "Weapons marked": "weapons_marked",
    "Weapons deactivated": "weapons_deactivated",
    "Border and customs officers trained": "people_trained",
    "People reached by the campaign": "people_reached",
    "Personnel trained": "people_trained",
    "Officials trained": "people_trained",
}
WOMEN_SHARE = {"people_trained": (0.08, 0.35), "people_reached": (0.42, 0.6)}
NO_BREAKDOWN = dict.fromkeys(("target_women", "target_men", "actual_women", "actual_men"))


def _women_and_men(
    indicator_id: int, measure: Measure | None, target: Decimal, actual: Decimal | None
) -> dict[str, Decimal | None]:
    """Women and men of a people count (none for other indicators), from a generator of the indicator's
    own, so that adding them left every other generated row as it was: the same for the same id. A few
    percent are people whose sex was not recorded; one count in ten records no breakdown at all."""
    if measure is None or not measure.people:
        return NO_BREAKDOWN
    rng = random.Random(f"women-and-men-{indicator_id}")  # noqa: S311 - reproducible test data
    if rng.random() < 0.1:
        return NO_BREAKDOWN
    low, high = WOMEN_SHARE[measure.code]
    women_share = Decimal(str(round(rng.uniform(low, high), 3)))
    unrecorded = Decimal(str(round(rng.uniform(0, 0.06), 3)))
    values: dict[str, Decimal | None] = dict(NO_BREAKDOWN)
    for name, total in (("target", target), ("actual", actual)):
        if total is not None:
            women = (total * women_share).quantize(Decimal(1))
            men = max(total - women - (total * unrecorded).quantize(Decimal(1)), Decimal(0))
            values |= {f"{name}_women": women, f"{name}_men": men}
    return values


ACTIVITIES: dict[str, Activity] = {
    A.stockpile_security: Activity(
        (SALW, SCA),
        "Upgrading the physical security of weapons and ammunition depots",
        ("Site surveys completed", "Perimeter and intrusion detection installed", "Depot staff trained"),
        (("Storage sites upgraded", "sites", 2, 12),),
    ),
    A.surplus_destruction_salw: Activity(
        (SALW,),
        "Destruction of surplus small arms and light weapons",
        ("Surplus verified and transported", "Cutting line commissioned", "Destruction verified"),
        (("Weapons destroyed", "pieces", 2000, 40000),),
    ),
    A.surplus_destruction_ammunition: Activity(
        (SCA,),
        "Demilitarisation of surplus conventional ammunition",
        ("Ammunition inventory and risk assessment", "Demilitarisation plant refurbished", "Stock destroyed"),
        (("Ammunition destroyed", "tonnes", 100, 3000),),
    ),
    A.hazardous_propellant_disposal: Activity(
        (SCA,),
        "Disposal of melange and other hazardous rocket-fuel components",
        ("Environmental impact assessment", "Conversion unit installed", "Storage sites decontaminated"),
        (("Melange disposed of", "tonnes", 50, 1500),),
    ),
    A.marking_and_tracing: Activity(
        (SALW,),
        "Marking and tracing of small arms",
        ("Marking machines procured", "Backlog of weapons marked"),
        (("Weapons marked", "pieces", 5000, 80000),),
    ),
    A.record_keeping: Activity(
        (SALW, SCA),
        "Record-keeping of state-held weapons and ammunition",
        ("Central registry software deployed", "Records migrated to the registry"),
        (("Records entered in the registry", "records", 10000, 200000),),
    ),
    A.deactivation: Activity(
        (SALW,),
        "Deactivation of small arms to the OSCE minimum standard",
        ("Deactivation procedure adopted", "Workshop equipped", "Deactivated weapons certified"),
        (("Weapons deactivated", "pieces", 500, 10000),),
    ),
    A.border_and_export_controls: Activity(
        (SALW,),
        "Strengthening controls against illicit SALW trafficking",
        ("Training needs assessment", "Detection equipment delivered", "Joint exercises held"),
        (("Border and customs officers trained", "persons", 50, 600),),
    ),
    A.collection_and_awareness: Activity(
        (SALW,),
        "Awareness-raising and voluntary weapons collection",
        ("Campaign designed with local communities", "Collection points opened"),
        (
            ("Weapons collected", "weapons", 300, 8000),
            ("People reached by the campaign", "persons", 2000, 50000),
        ),
    ),
    A.training_and_capacity: Activity(
        (SALW, SCA),
        "Stockpile management training for the armed forces and police",
        ("Trainers certified", "Training courses held"),
        (("Personnel trained", "persons", 40, 500), ("Women among personnel trained", "persons", 5, 120)),
    ),
    A.legislation_and_policy: Activity(
        (SALW, SCA),
        "Support to the national SALW and ammunition strategy",
        ("National strategy drafted", "Action plan adopted"),
        (("Laws and by-laws drafted", "texts", 1, 8),),
    ),
    A.other: Activity(
        (SALW, SCA),
        "Assistance on small arms and conventional ammunition",
        ("Needs assessment report", "Equipment delivered"),
        (("Officials trained", "persons", 20, 200),),
    ),
}

NOTES: dict[str, str] = {
    S.assessment: "Expert assessment visit agreed with the requesting State.",
    S.planning: "Needs confirmed on site; project plan and budget in preparation.",
    S.seeking_funding: "Plan approved; circulated to delegations for extra-budgetary support.",
    S.implementation: "Funding sufficient to start; implementation agreement signed.",
    S.completed: "Final report submitted to donors.",
    S.on_hold: "Paused at the request of the host authorities.",
    S.cancelled: "Request withdrawn by the authorities.",
}
RESUMED = "Resumed after the pause."

# Days a project stays in a status before its next move, and the chance that the move is a cancellation
# (or, from a status that may pause, a pause).
STAY: dict[str, tuple[int, int]] = {
    S.requested: (15, 150),
    S.assessment: (30, 220),
    S.planning: (30, 260),
    S.seeking_funding: (60, 600),
    S.implementation: (300, 1500),
    S.on_hold: (60, 540),
}
CANCEL_CHANCE: dict[str, float] = {
    S.requested: 0.03,
    S.assessment: 0.03,
    S.planning: 0.02,
    S.seeking_funding: 0.04,
    S.implementation: 0.01,
}
HOLD_CHANCE = 0.04

# Per project status: the share of the budget pledged, the chance that a pledge is withdrawn, and the
# chances that a pledge that stands is paid in full or in part.
FUNDING: dict[str, tuple[tuple[float, float], float, float, float]] = {
    S.seeking_funding: ((0.05, 0.85), 0.04, 0.04, 0.20),
    S.implementation: ((0.75, 1.08), 0.04, 0.45, 0.35),
    S.completed: ((0.95, 1.12), 0.03, 0.88, 0.09),
    S.on_hold: ((0.40, 0.95), 0.06, 0.25, 0.40),
    S.cancelled: ((0.10, 0.60), 0.55, 0.30, 0.40),
}
PLEDGE_WEIGHT: dict[str, float] = {
    S.seeking_funding: 0.6,
    S.implementation: 1.0,
    S.completed: 1.0,
    S.on_hold: 0.8,
    S.cancelled: 0.4,
}

# The share of its indicators' targets that a project achieved, by status.
ACHIEVED: dict[str, float] = {S.completed: 1.0, S.implementation: 0.5, S.on_hold: 0.4, S.cancelled: 0.2}

PROCESSES: list[tuple[str, ProcessKind, tuple[str, ...]]] = [
    ("National SALW Commission", ProcessKind.structure, (SALW,)),
    ("Central weapons registry", ProcessKind.structure, (SALW,)),
    ("Inter-agency working group on conventional ammunition", ProcessKind.structure, (SCA,)),
    ("Ammunition depot inspection body", ProcessKind.structure, (SCA,)),
    ("Stockpile-management standard operating procedures", ProcessKind.procedure, (SALW, SCA)),
    ("Ammunition destruction procedure", ProcessKind.procedure, (SCA,)),
    ("Weapons deactivation procedure", ProcessKind.procedure, (SALW,)),
    ("Record-keeping rules for state-held weapons", ProcessKind.procedure, (SALW,)),
    ("Risk assessment of ammunition depots", ProcessKind.procedure, (SCA,)),
    ("Marking and tracing procedure", ProcessKind.procedure, (SALW,)),
    ("Training centre for stockpile management", ProcessKind.structure, (SALW, SCA)),
    ("Export and border control licensing procedure", ProcessKind.procedure, (SALW,)),
]
OWNERS = [
    "",
    " of the Ministry of Defence",
    " of the Ministry of Interior",
    " of the Border Police",
    " of the Customs Service",
    " of the National Police",
    " of the General Staff",
    " of the Ministry of Emergency Situations",
    " of the Ministry of Justice",
    " of the Northern Region",
    " of the Southern Region",
    " of the Capital Region",
]
STAGES: list[str] = [s.value for s in Stage]
STAGE_NOTES: dict[str, str] = {
    Stage.planned: "Synthetic: planned with the national authorities.",
    Stage.established: "Synthetic: established by decree.",
    Stage.operational: "Synthetic: operational, as reported by the national authorities.",
    Stage.sustained: "Synthetic: running on national resources.",
}


# -- the plan ------------------------------------------------------------------------------------


@dataclass
class _Move:
    before: str | None
    after: str
    on: date


@dataclass
class _Project:
    index: int
    request: date
    moves: list[_Move]
    areas: list[str]
    activities: list[str]
    beneficiaries: list[str]
    budget: int  # whole euros
    id: int = 0
    code: str = ""
    start: date | None = None
    end: date | None = None
    last_activity: date = FIRST_REQUEST
    pledges: int = 0

    @property
    def status(self) -> str:
        return self.moves[-1].after

    def reached(self, status: str) -> date | None:
        return next((m.on for m in self.moves if m.after == status), None)


@dataclass
class _Tables:
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def count(self, table: str) -> int:
        return len(self.rows.get(table, []))


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _months(first: date, last: date) -> list[str]:
    out: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _day(rng: random.Random, first: date, last: date) -> date:
    if last <= first:
        return first
    return first + timedelta(days=rng.randint(0, (last - first).days))


def _zipf(n: int, exponent: float) -> list[float]:
    return [1 / (rank**exponent) for rank in range(1, n + 1)]


def _pick(rng: random.Random, items: Sequence[str], cumulative: Sequence[float]) -> str:
    return items[bisect_left(cumulative, rng.random() * cumulative[-1])]


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _allocate(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` by the largest remainder (ties to the first)."""
    whole = sum(weights)
    if total == 0 or whole <= 0:
        return [0] * len(weights)
    quotas = [total * w / whole for w in weights]
    counts = [math.floor(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - quotas[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


class _Planner:
    """Every row to write, computed in Python from one random generator."""

    def __init__(
        self,
        rng: random.Random,
        horizon: date,
        states: list[tuple[str, str, str]],
        rates: dict[tuple[str, str], Decimal],
        taken_process_names: set[tuple[str, str]],
        next_ids: dict[str, int],
    ) -> None:
        self.rng = rng
        self.horizon = horizon
        self.names = {code: name for code, name, _ in states}
        participating = [code for code, _, kind in states if kind == "participating"]
        self.recipients = [c for c in RECIPIENT_RANKING if c in self.names] or participating
        self.recipient_cum = list(accumulate(_zipf(len(self.recipients), ZIPF_RECIPIENTS)))
        usual = set(self.recipients)
        ranked = [c for c in DONOR_RANKING if c in self.names]
        tail = [code for code, _, _ in states if code not in usual and code not in ranked]
        self.donors = ranked + tail or [code for code, _, _ in states]
        donor_weights = _zipf(len(self.donors), ZIPF_DONORS)
        self.donor_cum = list(accumulate(donor_weights))
        self.donor_size = dict(zip(self.donors, donor_weights, strict=True))
        self.rates = rates
        self.taken = taken_process_names
        self.next_ids = next_ids
        self.out = _Tables()
        self.receipt_days: dict[int, date] = {}

    def new_id(self, table: str) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value

    # projects ---------------------------------------------------------------------------------

    def request_day(self) -> date:
        """A day between 2010 and the horizon; requests grow over the years (density 1 + 2x)."""
        span = (self.horizon - FIRST_REQUEST).days
        u = self.rng.random()
        x = (-1 + math.sqrt(1 + 8 * u)) / 2  # inverse of the CDF (x + x²) / 2
        return FIRST_REQUEST + timedelta(days=min(int(x * (span + 1)), span))

    def lifecycle(self, request: date) -> list[_Move]:
        rng = self.rng
        moves = [_Move(None, S.requested.value, request)]
        status, day, before_hold, holds = S.requested.value, request, "", 0
        while status not in FINAL:
            low, high = STAY[status]
            day = day + timedelta(days=rng.randint(low, high))
            if day > self.horizon:
                break
            if status == S.on_hold:
                after = before_hold if rng.random() < 0.75 else S.cancelled.value
            else:
                roll = rng.random()
                if roll < CANCEL_CHANCE[status]:
                    after = S.cancelled.value
                elif status in HOLDABLE and holds < 2 and roll < CANCEL_CHANCE[status] + HOLD_CHANCE:
                    after, before_hold, holds = S.on_hold.value, status, holds + 1
                else:
                    after = PIPELINE[PIPELINE.index(S(status)) + 1].value
            moves.append(_Move(status, after, day))
            status = after
        return moves

    def forced_lifecycle(self, request: date) -> tuple[date, list[_Move]]:
        """A project that reached implementation (when the dice gave pledges nowhere to go)."""
        request = min(request, self.horizon - timedelta(days=400))
        steps = [s.value for s in PIPELINE[1:5]]
        gap = (self.horizon - request).days // (len(steps) + 1)
        moves = [_Move(None, S.requested.value, request)]
        for i, after in enumerate(steps, start=1):
            moves.append(_Move(moves[-1].after, after, request + timedelta(days=gap * i)))
        return request, moves

    def beneficiaries(self) -> list[str]:
        rng = self.rng
        first = _pick(rng, self.recipients, self.recipient_cum)
        count = rng.choices([1, 2, 3], [85, 11, 4])[0]
        region = next((r for r in REGIONS if first in r), [])
        pool = [c for c in region if c in self.names and c != first] or [
            c for c in self.recipients if c != first
        ]
        return [first, *rng.sample(pool, min(count - 1, len(pool)))]

    def content(self) -> tuple[list[str], list[str]]:
        rng = self.rng
        areas = rng.choices([[SALW], [SCA], [SALW, SCA]], [50, 35, 15])[0]
        fitting = [str(a) for a, act in ACTIVITIES.items() if set(act.areas) & set(areas) and a != A.other]
        main = [a for a in fitting if set(ACTIVITIES[a].areas) == set(areas)]
        first = rng.choice(main or fitting)
        extra = rng.choices([0, 1, 2], [50, 35, 15])[0]
        others = [a for a in fitting if a != first]
        return list(areas), [first, *rng.sample(others, min(extra, len(others)))]

    def budget(self) -> int:
        """Euros, log-normal around half a million, between 50,000 and 5 million, rounded to 100."""
        while True:
            budget = round(self.rng.lognormvariate(math.log(MEDIAN_BUDGET), 0.95) / 100) * 100
            if MIN_BUDGET <= budget <= MAX_BUDGET:
                return budget

    def plan_projects(self, count: int, want_pledges: bool) -> list[_Project]:
        planned: list[_Project] = []
        for index in range(count):
            request = self.request_day()
            moves = self.lifecycle(request)
            areas, activities = self.content()
            planned.append(
                _Project(index, request, moves, areas, activities, self.beneficiaries(), self.budget())
            )
        if want_pledges and planned and not any(p.reached(S.seeking_funding) for p in planned):
            oldest = min(planned, key=lambda p: (p.request, p.index))
            oldest.request, oldest.moves = self.forced_lifecycle(oldest.request)
        # Ids and codes follow the order of the requests, numbered within each year.
        planned.sort(key=lambda p: (p.request, p.index))
        per_year: dict[int, int] = {}
        for project in planned:
            project.id = self.new_id("project")
            per_year[project.request.year] = per_year.get(project.request.year, 0) + 1
            project.code = f"SYN-{project.request.year}-{per_year[project.request.year]:05d}"
            self.dates(project)
        return planned

    def dates(self, project: _Project) -> None:
        """Start and end: actual once implementation began, planned (ahead) while planning."""
        rng = self.rng
        began = project.reached(S.implementation)
        planning = project.reached(S.planning)
        if began is not None:
            project.start = began
            finished = project.reached(S.completed) or project.reached(S.cancelled)
            if finished is not None and finished >= began:
                project.end = finished
            else:
                project.end = began + timedelta(days=rng.randint(365, 1460))
        elif planning is not None and project.status != S.cancelled:
            ahead = max(planning, self.horizon) + timedelta(days=rng.randint(60, 360))
            project.start = ahead
            project.end = ahead + timedelta(days=rng.randint(365, 1460))
        project.last_activity = project.moves[-1].on

    def write_projects(self, projects: list[_Project]) -> None:
        rng = self.rng
        for p in projects:
            gender = rng.choices([0, 1, 2], [40, 45, 15])[0]
            sdg = ["16.4"] + (["5.5"] if gender == 2 else []) + (["16.1"] if rng.random() < 0.2 else [])
            names = [self.names[c] for c in p.beneficiaries]
            if len(p.beneficiaries) == 1:
                partner = FIELD_OPERATIONS.get(p.beneficiaries[0], SECRETARIAT)
            else:
                partner = SECRETARIAT
            if rng.random() < 0.1:
                partner = "UNDP (with the OSCE Secretariat)"
            status = p.status
            before_hold = p.moves[-1].before if status == S.on_hold else None
            self.out.add(
                "project",
                {
                    "id": p.id,
                    "code": p.code,
                    "title": f"{ACTIVITIES[p.activities[0]].title} in {_join(names)}",
                    "description": f"{SYNTHETIC_NOTE} Requested by the authorities of {_join(names)}.",
                    "implementing_partner": partner,
                    "request_date": p.request,
                    "start_date": p.start,
                    "end_date": p.end,
                    "budget_eur": Decimal(p.budget),
                    "gender_marker": gender,
                    "sdg_targets": sdg,
                    "status": status,
                    "status_before_hold": before_hold,
                    "version": len(p.moves),
                    "created_at": _at(p.request),
                    "updated_at": _at(p.last_activity),
                },
            )
            for area in p.areas:
                self.out.add("project_area", {"project_id": p.id, "area": area})
            for activity in p.activities:
                self.out.add("project_activity", {"project_id": p.id, "activity_type": activity})
            for state in p.beneficiaries:
                self.out.add("project_beneficiary", {"project_id": p.id, "state_code": state})
            for move in p.moves:
                self.out.add(
                    "project_status_change",
                    {
                        "id": self.new_id("project_status_change"),
                        "project_id": p.id,
                        "from_status": move.before,
                        "to_status": move.after,
                        "changed_on": move.on,
                        "note": (
                            "Request for assistance received"
                            if move.before is None
                            else RESUMED
                            if move.before == S.on_hold and move.after != S.cancelled
                            else NOTES[move.after]
                        ),
                        "recorded_at": _at(move.on),
                    },
                )

    # milestones and indicators ---------------------------------------------------------------

    def write_progress(self, projects: list[_Project]) -> None:
        rng = self.rng
        for p in projects:
            if p.start is None or p.end is None or p.reached(S.planning) is None:
                continue
            planned_on = p.reached(S.planning) or p.request
            began = p.reached(S.implementation)
            stopped = p.reached(S.cancelled) or p.reached(S.completed)
            last_work = min(stopped or self.horizon, self.horizon)
            completed = p.status == S.completed
            titles = ["Inception report approved"]
            for activity in p.activities:
                titles += ACTIVITIES[activity].milestones
            titles.append("Final report submitted to donors")
            count = rng.choices(range(7), [6, 6, 10, 20, 25, 18, 15])[0]
            chosen = sorted(rng.sample(range(len(titles)), min(count, len(titles))))
            span = max((p.end - p.start).days, 1)
            for k, t in enumerate(chosen):
                due = p.start + timedelta(days=span * (k + 1) // len(chosen))
                done: date | None = None
                if began is not None:
                    if completed:
                        done = min(max(due + timedelta(days=rng.randint(-30, 30)), began), last_work)
                    elif due <= last_work and rng.random() < 0.85:
                        done = min(max(due + timedelta(days=rng.randint(-20, 45)), began), last_work)
                    elif due > last_work and rng.random() < 0.08:
                        done = _day(rng, began, last_work)
                weight = rng.choice([1, 1, 1, 2, 2, 3])
                if done is not None:
                    p.last_activity = max(p.last_activity, done)
                self.out.add(
                    "milestone",
                    {
                        "id": self.new_id("milestone"),
                        "project_id": p.id,
                        "title": titles[t],
                        "due_on": due,
                        "done_on": done,
                        "weight": Decimal(weight),
                        "version": 2 if done else 1,
                        "created_at": _at(planned_on),
                        "updated_at": _at(done or planned_on),
                    },
                )
            candidates: list[tuple[str, str, int, int]] = []
            for activity in p.activities:
                candidates += [i for i in ACTIVITIES[activity].indicators if i not in candidates]
            share = ACHIEVED.get(p.status, 0.0)
            for name, unit, low, high in rng.sample(
                candidates, min(rng.choices(range(4), [15, 45, 30, 10])[0], len(candidates))
            ):
                baseline = 0 if rng.random() < 0.7 else rng.randint(0, low)
                target = baseline + rng.randint(low, high)
                actual: Decimal | None = None
                if began is not None and share:
                    achieved = (target - baseline) * share * rng.uniform(0.7, 1.15)
                    actual = Decimal(baseline + round(achieved))
                indicator_id = self.new_id("indicator")
                measure = BY_CODE.get(MEASURE_OF.get(name, ""))
                self.out.add(
                    "indicator",
                    {
                        "id": indicator_id,
                        "project_id": p.id,
                        "name": name,
                        "measure": measure.code if measure else None,
                        "unit": measure.unit if measure else unit,
                        "baseline": Decimal(baseline),
                        "target": Decimal(target),
                        "actual": actual,
                        **_women_and_men(indicator_id, measure, Decimal(target), actual),
                        "version": 2 if actual is not None else 1,
                        "created_at": _at(planned_on),
                        "updated_at": _at(last_work if actual is not None else planned_on),
                    },
                )

    # exchange rates ------------------------------------------------------------------------

    def write_rates(self) -> None:
        rng = self.rng
        for currency, (base, wander) in CURRENCIES.items():
            drift = 0.0
            for month in _months(FIRST_REQUEST, self.horizon):
                drift += -0.08 * drift + rng.gauss(0, wander)
                if (currency, month) in self.rates:
                    continue
                rate = Decimal(repr(base * math.exp(drift))).quantize(RATE_QUANTUM)
                self.rates[currency, month] = rate
                self.out.add(
                    "exchange_rate",
                    {
                        "id": self.new_id("exchange_rate"),
                        "currency": currency,
                        "month": month,
                        "eur_per_unit": rate,
                        "created_at": _at(date(int(month[:4]), int(month[5:]), 1)),
                    },
                )

    def rate(self, currency: str, day: date) -> Decimal:
        return Decimal("1.00000000") if currency == EUR else self.rates[currency, _month(day)]

    # pledges and receipts ------------------------------------------------------------------

    def donor(self, project: _Project) -> str:
        for _ in range(20):
            code = _pick(self.rng, self.donors, self.donor_cum)
            if code not in project.beneficiaries:
                return code
        return code

    def write_funding(self, projects: list[_Project], count: int) -> None:
        rng = self.rng
        fundable = [p for p in projects if p.reached(S.seeking_funding) is not None]
        weights = [
            math.sqrt(p.budget / 100_000) * PLEDGE_WEIGHT[p.status] * rng.uniform(0.5, 1.5) for p in fundable
        ]
        for project, n in zip(fundable, _allocate(count, weights), strict=True):
            project.pledges = n
        # (pledge row, units received in all, receipt window) for every pledge that gets money.
        paying: list[tuple[dict[str, Any], int, date]] = []
        for p in fundable:
            if p.pledges:
                paying += self.plan_pledges(p)
        self.write_receipts(paying, int(count * RECEIPTS_PER_PLEDGE))

    def plan_pledges(self, p: _Project) -> list[tuple[dict[str, Any], int, date]]:
        rng = self.rng
        status = p.status
        (low, high), withdraw, full, part = FUNDING[status]
        opened = p.reached(S.seeking_funding) or p.request
        cancelled = p.reached(S.cancelled)
        completed = p.reached(S.completed)
        if cancelled is not None:
            close = max(cancelled - timedelta(days=1), opened)  # no pledge on a cancelled project
            pay_until = close
        elif completed is not None:
            close = completed
            pay_until = min(completed + timedelta(days=180), self.horizon)
        else:
            close = pay_until = self.horizon
        donors = [self.donor(p) for _ in range(p.pledges)]
        shares = [math.sqrt(self.donor_size[d]) * rng.lognormvariate(0, 0.6) for d in donors]
        pledged_eur = p.budget * rng.uniform(low, high)
        paying: list[tuple[dict[str, Any], int, date]] = []
        for donor, share in zip(donors, shares, strict=True):
            currency = DONOR_CURRENCY.get(donor, EUR) if rng.random() < 0.85 else EUR
            pledged_on = opened + timedelta(days=int((close - opened).days * rng.random() ** 1.5))
            rate = self.rate(currency, pledged_on)
            eur = max(pledged_eur * share / sum(shares), MIN_PLEDGE_EUR)
            unit = 10_000 if currency in SMALL_UNIT else 100
            units = max(round(eur / float(rate) / unit), 1) * unit
            amount = Decimal(units)
            roll = rng.random()
            withdrawn = rng.random() < withdraw
            received = 0
            if not withdrawn and roll < full:
                received = units
            elif not withdrawn and roll < full + part:
                received = max(int(units * rng.uniform(0.15, 0.9)), 1)
            if withdrawn:
                state = "withdrawn"
            elif received == units:
                state = "paid"
            elif received or rng.random() < (
                0.25 if pledged_on < self.horizon - timedelta(days=365) else 0.6
            ):
                state = "committed"
            else:
                state = "pledged"
            in_kind = rng.random() < 0.08
            changed = pledged_on
            if withdrawn:
                changed = _day(rng, pledged_on, min(pay_until, pledged_on + timedelta(days=365)))
            row = {
                "id": self.new_id("pledge"),
                "project_id": p.id,
                "donor": donor,
                "kind": "in_kind" if in_kind else "cash",
                "amount": amount,
                "currency": currency,
                "pledged_on": pledged_on,
                "status": state,
                "eur_per_unit": rate,
                "amount_eur": to_eur(amount, rate),
                "note": "Seconded experts and equipment, valued at cost." if in_kind else "",
                "version": 2 if withdrawn else 1,
                "created_at": _at(pledged_on),
                "updated_at": _at(changed),
            }
            self.out.add("pledge", row)
            p.last_activity = max(p.last_activity, changed)
            if received:
                paying.append((row, received, pay_until))
        return paying

    def write_receipts(self, paying: list[tuple[dict[str, Any], int, date]], wanted: int) -> None:
        """Receipts for the pledges that get money: one each, and the rest spread at random among them
        (as many in all as ``wanted``, as far as the pledges allow)."""
        rng = self.rng
        counts = [1] * len(paying)
        caps = [min(MAX_RECEIPTS_PER_PLEDGE, received) for _, received, _ in paying]
        extra = wanted - len(paying)
        room = sum(caps) - len(paying)
        if extra >= room:
            counts = caps
        elif paying:
            while extra > 0:
                i = rng.randrange(len(paying))
                if counts[i] < caps[i]:
                    counts[i] += 1
                    extra -= 1
        projects: dict[int, date] = {}
        for (row, received, pay_until), n in zip(paying, counts, strict=True):
            pledged_on: date = row["pledged_on"]
            first = min(pledged_on + timedelta(days=rng.randint(0, 90)), pay_until)
            days = sorted(_day(rng, first, pay_until) for _ in range(n))
            cuts = sorted(rng.sample(range(1, received), n - 1)) if n > 1 else []
            parts = [b - a for a, b in zip([0, *cuts], [*cuts, received], strict=True)]
            for day, part in zip(days, parts, strict=True):
                rate = self.rate(row["currency"], day)
                amount = Decimal(part)
                self.out.add(
                    "receipt",
                    {
                        "id": self.new_id("receipt"),
                        "pledge_id": row["id"],
                        "amount": amount,
                        "received_on": day,
                        "eur_per_unit": rate,
                        "amount_eur": to_eur(amount, rate),
                        "created_at": _at(day),
                    },
                )
            row["version"] += n
            row["updated_at"] = max(row["updated_at"], _at(days[-1]))
            projects[row["project_id"]] = max(projects.get(row["project_id"], days[-1]), days[-1])
        self.receipt_days = projects

    # national processes --------------------------------------------------------------------

    def write_processes(self, projects: list[_Project], count: int) -> None:
        rng = self.rng
        anchors = [p for p in projects if p.reached(S.planning) is not None] or projects
        by_state: dict[str, list[_Project]] = {}
        for p in projects:
            for state in p.beneficiaries:
                by_state.setdefault(state, []).append(p)
        for _ in range(count if anchors else 0):
            anchor = rng.choice(anchors)
            state = rng.choice(anchor.beneficiaries)
            name, kind, areas = self.process_name(state, anchor.areas)
            others = [p for p in by_state[state] if p is not anchor]
            linked = sorted([anchor, *rng.sample(others, min(rng.choice([0, 0, 1, 2]), len(others)))],
                            key=lambda p: p.id)  # fmt: skip
            day = anchor.reached(S.planning) or anchor.request
            process_id = self.new_id("national_process")
            stage: str = Stage.planned.value
            established: date | None = None
            changes: list[tuple[str | None, str, date]] = [(None, stage, day)]
            for following, chance in zip(STAGES[1:], (0.8, 0.6, 0.4), strict=True):
                day = day + timedelta(days=rng.randint(150, 720))
                if day > self.horizon or rng.random() > chance:
                    break
                changes.append((stage, following, day))
                stage = following
                established = established or day
            self.out.add(
                "national_process",
                {
                    "id": process_id,
                    "state": state,
                    "name": name,
                    "kind": kind.value,
                    "areas": sorted(areas),
                    "stage": stage,
                    "established_on": established,
                    "description": PROCESS_NOTE,
                    "version": len(changes),
                    "created_at": _at(changes[0][2]),
                    "updated_at": _at(changes[-1][2]),
                },
            )
            for p in linked:
                self.out.add("national_process_project", {"process_id": process_id, "project_id": p.id})
            for before, after, on in changes:
                self.out.add(
                    "national_process_stage_change",
                    {
                        "id": self.new_id("national_process_stage_change"),
                        "process_id": process_id,
                        "from_stage": before,
                        "to_stage": after,
                        "changed_on": on,
                        "note": STAGE_NOTES[after],
                        "recorded_at": _at(on),
                    },
                )

    def process_name(self, state: str, areas: list[str]) -> tuple[str, ProcessKind, tuple[str, ...]]:
        """A name this State has not used yet, preferably for a process of the project's areas."""
        rng = self.rng
        fitting = [p for p in PROCESSES if set(p[2]) & set(areas)]
        other = [p for p in PROCESSES if p not in fitting]
        for base, kind, process_areas in rng.sample(fitting, len(fitting)) + rng.sample(other, len(other)):
            for owner in OWNERS:
                if (state, base + owner) not in self.taken:
                    self.taken.add((state, base + owner))
                    return base + owner, kind, process_areas
        base, kind, process_areas = rng.choice(fitting or PROCESSES)
        number = 2
        while (state, f"{base} ({number})") in self.taken:
            number += 1
        self.taken.add((state, f"{base} ({number})"))
        return f"{base} ({number})", kind, process_areas

    # everything ---------------------------------------------------------------------------

    def plan(self, projects: int, pledges: int) -> _Tables:
        planned = self.plan_projects(projects, pledges > 0)
        if planned:
            self.write_rates()
        self.write_funding(planned, pledges)
        self.write_progress(planned)
        for p in planned:
            p.last_activity = max(p.last_activity, self.receipt_days.get(p.id, p.last_activity))
        self.write_projects(planned)
        self.write_processes(planned, round(projects / 10))
        return self.out


# -- writing -------------------------------------------------------------------------------------

ORDER: list[type[Any]] = [
    Project,
    ProjectArea,
    ProjectActivity,
    ProjectBeneficiary,
    ProjectStatusChange,
    Milestone,
    Indicator,
    ExchangeRate,
    Pledge,
    Receipt,
    NationalProcess,
    NationalProcessProject,
    NationalProcessStageChange,
]


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


def _id_tables() -> list[Table]:
    return [_table(m) for m in ORDER if "id" in _table(m).c]


def _batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _check_target(conn: Connection) -> None:
    revision, head = migrate.current_revision_of(conn), migrate.head_revision()
    if revision != head:
        raise ValueError(
            f"The database is at schema revision {revision or 'none'}, not {head}: "
            "run `portfolio db upgrade` first."
        )
    if conn.dialect.name == "postgresql":
        # Nobody adds a project while the synthetic ones are written (reading goes on).
        conn.execute(text("LOCK TABLE project IN EXCLUSIVE MODE"))
    existing = conn.execute(select(func.count()).select_from(_table(Project))).scalar_one()
    if existing:
        raise ValueError(
            f"The database already holds {existing} project(s): synthetic data goes only into a "
            "database without projects."
        )


def generate(
    engine: Engine,
    *,
    projects: int,
    pledges: int,
    seed: int = 1,
    progress: Progress | None = None,
) -> SyntheticReport:
    """Write a synthetic portfolio of ``projects`` projects and ``pledges`` pledges into ``engine``'s
    database, in one transaction, and say what was written.

    The database must be migrated and hold no project yet (a :class:`ValueError` says so otherwise);
    exchange rates or national processes already there are kept and used. ``progress``, if given, is
    called as ``progress(table, rows_written, rows_in_table)`` after each batch. No audit trail is
    written: synthetic data has none.
    """
    if projects < 0 or pledges < 0:
        raise ValueError("the numbers of projects and pledges cannot be negative")
    if pledges and not projects:
        raise ValueError("pledges need projects: ask for at least one project")
    started = time.perf_counter()
    horizon = min(REFERENCE_DATE, date.today())
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    with engine.execution_options(sqlite_begin="IMMEDIATE").begin() as conn:
        _check_target(conn)
        state = _table(State)
        states = [
            (str(c), str(n), str(k))
            for c, n, k in conn.execute(
                select(state.c.code, state.c.name, state.c.kind).order_by(state.c.code)
            ).all()
        ]
        rate_table = _table(ExchangeRate)
        rates = {
            (str(c), str(m)): Decimal(r)
            for c, m, r in conn.execute(
                select(rate_table.c.currency, rate_table.c.month, rate_table.c.eur_per_unit)
            ).all()
        }
        process_table = _table(NationalProcess)
        taken = {
            (str(s), str(n))
            for s, n in conn.execute(select(process_table.c.state, process_table.c.name)).all()
        }
        next_ids = {name: last + 1 for name, last in ids.last_issued(conn, _id_tables()).items()}
        tables = _Planner(rng, horizon, states, rates, taken, next_ids).plan(projects, pledges)

        if conn.dialect.name == "postgresql":
            # New records continue after the synthetic ones.
            for table in _id_tables():
                if tables.count(table.name):
                    ids.continue_after(conn, table, next_ids[table.name] - 1)
        for model in ORDER:
            table = _table(model)
            rows = tables.rows.get(table.name, [])
            done = 0
            for batch in _batches(rows):
                conn.execute(insert(table), batch)
                done += len(batch)
                if progress is not None:
                    progress(table.name, done, len(rows))
    return SyntheticReport(
        projects=tables.count("project"),
        pledges=tables.count("pledge"),
        receipts=tables.count("receipt"),
        rates=tables.count("exchange_rate"),
        milestones=tables.count("milestone"),
        indicators=tables.count("indicator"),
        processes=tables.count("national_process"),
        seconds=round(time.perf_counter() - started, 3),
    )
