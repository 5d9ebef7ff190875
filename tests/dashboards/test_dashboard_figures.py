"""Dashboard figures carry exactly the sums the SQL computes, to the cent.

A known portfolio is built through the API (four projects, several currencies at awkward rates, a
withdrawn pledge, partly and fully received pledges, an in-kind pledge, milestones, indicators and
national processes). Every expected amount is computed here, independently, with Decimal; the SQL
aggregates in ``dashboards.queries``, the traces and tables of ``dashboards.figures`` and the KPIs of
the funding page must show exactly those amounts.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any

import pytest
from sqlalchemy import event

from dashboards import figures, queries
from dashboards.filters import Filters
from dashboards.labels import Labels
from dashboards.pages import build
from tests.factories import make_pledge, make_project, make_rate, move, ok, receive

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
EN = Labels("en")
ALL = Filters()

# Euros per unit, by currency and month: deliberately awkward, eight decimals.
RATES = {
    ("USD", "2024-03"): "0.91234567",
    ("USD", "2024-05"): "0.92876543",
    ("GBP", "2023-11"): "1.14285714",
    ("GBP", "2024-04"): "1.16666667",
    ("JPY", "2024-02"): "0.00612345",
    ("JPY", "2024-06"): "0.00598765",
}

STATE_NAMES = {
    "BIH": "Bosnia and Herzegovina",
    "CHE": "Switzerland",
    "DEU": "Germany",
    "GBR": "United Kingdom",
    "JPN": "Japan",
    "MDA": "Moldova",
    "MNE": "Montenegro",
    "NOR": "Norway",
    "SRB": "Serbia",
    "UKR": "Ukraine",
    "USA": "United States of America",
    # the donors added to the larger portfolio
    "AUT": "Austria",
    "BEL": "Belgium",
    "DNK": "Denmark",
    "ESP": "Spain",
    "FIN": "Finland",
    "FRA": "France",
    "IRL": "Ireland",
    "ITA": "Italy",
    "LUX": "Luxembourg",
    "NLD": "Netherlands",
    "POL": "Poland",
    "SWE": "Sweden",
}

XSS = "<script>alert(1)</script>"

STATUS_PATHS = {
    "seeking_funding": ("assessment", "planning", "seeking_funding"),
    "implementation": ("assessment", "planning", "seeking_funding", "implementation"),
    "on_hold": ("assessment", "planning", "seeking_funding", "on_hold"),
    "completed": ("assessment", "planning", "seeking_funding", "implementation", "completed"),
}

PROJECTS: dict[str, dict[str, Any]] = {
    "alpha": {
        "code": "FIG-ALPHA",
        "title": "Marking and tracing of small arms",
        "areas": ["SALW"],
        "activity_types": ["marking_and_tracing", "record_keeping"],
        "beneficiaries": ["SRB"],
        "request_date": "2022-05-10",
        "start_date": "2023-01-01",
        "end_date": "2025-12-31",
        "budget_eur": "1000000.00",
        "status": "seeking_funding",
    },
    "bravo": {
        "code": "FIG-BRAVO",
        "title": "Ammunition depots in two States",
        "areas": ["SCA"],
        "activity_types": ["stockpile_security"],
        "beneficiaries": ["MNE", "BIH"],
        "request_date": "2023-02-01",
        "start_date": "2023-06-01",
        "end_date": "2026-05-31",
        "budget_eur": "750000.50",
        "status": "implementation",
    },
    "charlie": {
        "code": "FIG-CHARLIE",
        "title": "Surplus ammunition destruction",
        "areas": ["SALW", "SCA"],
        "activity_types": ["surplus_destruction_ammunition", "stockpile_security"],
        "beneficiaries": ["MDA"],
        "request_date": "2024-01-30",
        "start_date": "2022-09-01",
        "end_date": "2027-08-31",
        "budget_eur": "2500000.00",
        "status": "on_hold",
    },
    "xss": {
        "code": "FIG-XSS",
        "title": XSS,
        "areas": ["SCA"],
        "activity_types": ["other"],
        "beneficiaries": ["UKR"],
        "request_date": "2024-02-01",
        "budget_eur": "300000.00",
        "status": "seeking_funding",
    },
    # completed short of its budget: its shortfall is part of the gap, not of the open gap
    "delta": {
        "code": "FIG-DELTA",
        "title": "Record-keeping software, delivered",
        "areas": ["SALW"],
        "activity_types": ["record_keeping"],
        "beneficiaries": ["SRB"],
        "request_date": "2021-04-01",
        "budget_eur": "400000.00",
        "status": "completed",
    },
}


@dataclass(frozen=True)
class PledgeSpec:
    donor: str
    project: str
    currency: str
    amount: str
    pledged_on: str
    kind: str = "cash"
    status: str = "pledged"  # at creation; receipts may turn it paid
    receipts: tuple[tuple[str, str], ...] = ()  # (amount, received on)
    withdrawn: bool = False


PLEDGES = [
    # partly received
    PledgeSpec("DEU", "alpha", "EUR", "250000.00", "2023-09-15", status="committed",
               receipts=(("100000.00", "2023-12-01"),)),
    # fully received at a later month's rate: paid
    PledgeSpec("USA", "alpha", "USD", "333333.33", "2024-03-20", receipts=(("333333.33", "2024-05-10"),)),
    PledgeSpec("CHE", "alpha", "USD", "1000.01", "2024-03-01"),
    PledgeSpec("GBR", "bravo", "GBP", "123456.78", "2023-11-05", status="committed",
               receipts=(("50000.01", "2024-04-15"),)),
    PledgeSpec("DEU", "bravo", "EUR", "700000.00", "2024-01-10", status="committed",
               receipts=(("200000.00", "2024-02-01"),)),
    PledgeSpec("JPN", "charlie", "JPY", "98765432.00", "2024-02-29", kind="in_kind",
               receipts=(("12345678.00", "2024-06-03"),)),
    PledgeSpec("NOR", "charlie", "EUR", "80000.00", "2024-07-01", withdrawn=True),
    # 1500000 × 1.16666667 = 1750000.005: rounds half up to .01
    PledgeSpec("GBR", "charlie", "GBP", "1500000.00", "2024-04-22"),
]  # fmt: skip

# (project, title, due on, done on, weight): the past-due ones not done are overdue.
MILESTONES = [
    ("alpha", "Inception", "2024-01-31", "2024-01-20", "1"),
    ("alpha", "Baseline survey", "2024-03-31", None, "2"),
    ("bravo", "Fences built", "2024-05-31", "2024-05-30", "3"),
    ("bravo", "Handover", None, None, "1"),
    ("charlie", "Site survey", "2023-06-01", None, "1"),
    ("charlie", "Last demolition", "2099-12-31", None, "1"),
]

# (project, name, unit, target, actual)
INDICATORS = [
    ("alpha", "Weapons marked", "weapons", "5000", "1200"),
    ("charlie", "Weapons marked", "weapons", "2500.5", None),
    ("bravo", "Ammunition destroyed", "tonnes", "300", "310.25"),
    ("charlie", "Ammunition destroyed", "tonnes", "120.125", "80.0625"),
    ("charlie", "Depots & sites <secured>", "sites", "4", "1"),
]


def to_eur(amount: str, currency: str, day: str) -> Decimal:
    rate = Decimal(1) if currency == "EUR" else Decimal(RATES[(currency, day[:7])])
    return (Decimal(amount) * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def quarter(day: str) -> str:
    return f"{day[:4]}-Q{(int(day[5:7]) - 1) // 3 + 1}"


@dataclass
class PledgeFact:
    donor: str
    project: str
    kind: str
    currency: str
    amount: Decimal
    pledged_on: str
    status: str
    eur: Decimal
    receipts: list[tuple[str, Decimal]] = field(default_factory=list)  # (received on, euros)
    received_amounts: list[Decimal] = field(default_factory=list)  # the same receipts, in the currency

    @property
    def active(self) -> bool:
        return self.status != "withdrawn"

    @property
    def received_eur(self) -> Decimal:
        return sum((eur for _, eur in self.receipts), ZERO)

    @property
    def fx_difference(self) -> Decimal:
        """Received in euros at the receipts' rates − the same amounts at the pledge's rate (half up)."""
        if not self.active:
            return ZERO
        at_pledge_rate = to_eur(str(sum(self.received_amounts, Decimal(0))), self.currency, self.pledged_on)
        return self.received_eur - at_pledge_rate


@dataclass
class Portfolio:
    """What the API was told, and the euro values computed here from it (never read back from SQL)."""

    ids: dict[str, int]
    pledges: list[PledgeFact]

    def code(self, key: str) -> str:
        return str(PROJECTS[key]["code"])

    def budget(self, key: str) -> Decimal:
        return Decimal(PROJECTS[key]["budget_eur"])

    def selected(self, filters: Filters) -> list[str]:
        keys = []
        for key, spec in PROJECTS.items():
            year = int(spec["request_date"][:4])
            if filters.status and spec["status"] != filters.status:
                continue
            if filters.year_from and year < filters.year_from:
                continue
            if filters.year_to and year > filters.year_to:
                continue
            if filters.area and filters.area not in spec["areas"]:
                continue
            if filters.beneficiary and filters.beneficiary not in spec["beneficiaries"]:
                continue
            keys.append(key)
        return keys

    def pledges_in(self, filters: Filters) -> list[PledgeFact]:
        keys = self.selected(filters)
        return [p for p in self.pledges if p.project in keys]

    def pledged(self, key: str) -> Decimal:
        return sum((p.eur for p in self.pledges if p.project == key and p.active), ZERO)

    def gap(self, key: str) -> Decimal:
        return max(self.budget(key) - self.pledged(key), ZERO)

    def is_open(self, key: str) -> bool:
        return PROJECTS[key]["status"] not in ("completed", "cancelled")

    def sums_by(
        self, filters: Filters, keys_of: Callable[[PledgeFact], Iterable[str]]
    ) -> dict[str, list[Decimal]]:
        """{key: [pledged (withdrawn left out), received]}; a key only with something pledged or received."""
        out: dict[str, list[Decimal]] = {}
        for p in self.pledges_in(filters):
            for k in keys_of(p):
                if p.active:
                    out.setdefault(k, [ZERO, ZERO])[0] += p.eur
                if p.receipts:
                    out.setdefault(k, [ZERO, ZERO])[1] += p.received_eur
        return out


def build_portfolio(client: Any) -> Portfolio:
    for (currency, month), rate in RATES.items():
        make_rate(client, currency, month, rate)
    ids: dict[str, int] = {}
    for key, spec in PROJECTS.items():
        body = {k: v for k, v in spec.items() if k != "status"}
        project = make_project(client, **body)
        ids[key] = project["id"]
        move(client, project["id"], *STATUS_PATHS[spec["status"]])
    facts = []
    for spec in PLEDGES:
        fact = PledgeFact(
            spec.donor,
            spec.project,
            spec.kind,
            spec.currency,
            Decimal(spec.amount),
            spec.pledged_on,
            spec.status,
            to_eur(spec.amount, spec.currency, spec.pledged_on),
        )
        pledge = make_pledge(
            client,
            ids[spec.project],
            donor=spec.donor,
            kind=spec.kind,
            currency=spec.currency,
            amount=spec.amount,
            pledged_on=spec.pledged_on,
            status=spec.status,
        )
        assert pledge["amount_eur"] == str(fact.eur), "the API values a pledge at amount × rate, half up"
        for received, received_on in spec.receipts:
            receipt = ok(receive(client, pledge["id"], received, received_on), 201)
            fact.receipts.append((received_on, to_eur(received, spec.currency, received_on)))
            fact.received_amounts.append(Decimal(received))
            assert receipt["amount_eur"] == str(fact.receipts[-1][1])
        if spec.withdrawn:
            pledge = ok(client.patch(f"/api/v1/pledges/{pledge['id']}", json={"status": "withdrawn"}))
        pledge = ok(client.get(f"/api/v1/pledges/{pledge['id']}"))
        fact.status = pledge["status"]
        assert pledge["received_eur"] == str(fact.received_eur)
        facts.append(fact)
    for key, title, due_on, done_on, weight in MILESTONES:
        body = {"title": title, "due_on": due_on, "done_on": done_on, "weight": weight}
        ok(client.post(f"/api/v1/projects/{ids[key]}/milestones", json=body), 201)
    for key, name, unit, target, actual in INDICATORS:
        body = {"name": name, "unit": unit, "target": target, "actual": actual}
        ok(client.post(f"/api/v1/projects/{ids[key]}/indicators", json=body), 201)
    return Portfolio(ids, facts)


def build_processes(client: Any, ids: dict[str, int]) -> None:
    url = "/api/v1/national-processes"
    commission = ok(
        client.post(
            url,
            json={
                "state": "SRB",
                "name": "National SALW Commission",
                "kind": "structure",
                "areas": ["SALW"],
                "stage": "established",
                "established_on": "2022-03-01",
                "stage_changed_on": "2022-03-01",
                "project_ids": [ids["alpha"]],
            },
        ),
        201,
    )
    ok(
        client.patch(
            f"{url}/{commission['id']}", json={"stage": "operational", "stage_changed_on": "2023-05-10"}
        )
    )
    sop = ok(
        client.post(
            url,
            json={
                "state": "BIH",
                "name": "Ammunition depot SOP",
                "kind": "procedure",
                "areas": ["SCA"],
                "stage": "planned",
                "stage_changed_on": "2023-01-15",
                "project_ids": [ids["bravo"]],
            },
        ),
        201,
    )
    ok(client.patch(f"{url}/{sop['id']}", json={"stage": "established", "stage_changed_on": "2024-02-20"}))
    ok(
        client.post(
            url,
            json={
                "state": "MDA",
                "name": "Stockpile inspection body",
                "kind": "structure",
                "areas": ["SALW", "SCA"],
                "stage": "planned",
                "stage_changed_on": "2024-07-01",
                "project_ids": [ids["charlie"]],
            },
        ),
        201,
    )


@pytest.fixture
def portfolio(client) -> Portfolio:
    return build_portfolio(client)


# -- helpers over panels ---------------------------------------------------------------------------


def money(amount: Decimal) -> str:
    return EN.money(amount)


def whole(amount: Decimal, lang: str = "en") -> str:
    """A hover's amount, to the euro, written here without Babel: €5,492,943 or 5 492 943 €."""
    digits = f"{amount.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"
    return f"€{digits}" if lang == "en" else digits.replace(",", "\u202f") + "\u00a0€"


def customdata(trace: Any) -> list[Any]:
    return [list(c) if isinstance(c, list | tuple) else c for c in trace.customdata]


def amounts(trace: Any) -> list[str]:
    """Each point's exact amount: the first item of its customdata."""
    return [c[0] for c in customdata(trace)]


def hovers(trace: Any) -> list[str]:
    """Each point's amount as its hover writes it: the second item of its customdata."""
    return [c[1] for c in customdata(trace)]


def links(trace: Any) -> list[str]:
    """Each point's page: the last item of its customdata."""
    return [c[-1] for c in customdata(trace)]


def categories(trace: Any) -> list[str]:
    return list(trace.y if trace.orientation == "h" else trace.x)


def heights(trace: Any) -> list[float]:
    return list(trace.x if trace.orientation == "h" else trace.y)


def assert_split_panel(panel: figures.Panel, expected: list[tuple[str, Decimal, Decimal]]) -> None:
    """Pledged and received traces and the table carry exactly these (label, pledged, received); with the
    budget and the gap (areas, activities), those traces come before and after them."""
    traces = {t.name: t for t in panel.figure.data}
    pledged, received = traces[EN["pledged"]], traces[EN["received"]]
    labels = [html.escape(label, quote=False) for label, _, _ in expected]
    assert categories(pledged) == categories(received) == labels
    assert amounts(pledged) == [str(p) for _, p, _ in expected]
    assert amounts(received) == [str(r) for _, _, r in expected]
    assert hovers(pledged) == [whole(p) for _, p, _ in expected]
    assert heights(pledged) == [float(p) for _, p, _ in expected]
    assert heights(received) == [float(r) for _, _, r in expected]
    first = 2 if EN["budget"] in traces else 1
    assert [[row[0], *row[first : first + 2]] for row in panel.table.rows] == [
        [label, money(p), money(r)] for label, p, r in expected
    ]


def splits_as_tuples(splits: list[queries.Split]) -> list[tuple[str, Decimal, Decimal]]:
    return [(s.label, s.pledged_eur, s.received_eur) for s in splits]


def count_statements(db: Any, action: Callable[[], object]) -> int:
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return len(seen)


# -- expected aggregates, computed here ------------------------------------------------------------


def expected_totals(pf: Portfolio, filters: Filters) -> queries.Totals:
    keys = pf.selected(filters)
    return queries.Totals(
        projects=len(keys),
        budget_eur=sum((pf.budget(k) for k in keys), ZERO),
        pledged_eur=sum((pf.pledged(k) for k in keys), ZERO),
        received_eur=sum((p.received_eur for p in pf.pledges_in(filters)), ZERO),
        gap_eur=sum((pf.gap(k) for k in keys), ZERO),
        seeking_funding=sum(1 for k in keys if PROJECTS[k]["status"] == "seeking_funding"),
        open_gap_eur=sum((pf.gap(k) for k in keys if pf.is_open(k)), ZERO),
        open_budget_eur=sum((pf.budget(k) for k in keys if pf.is_open(k)), ZERO),
        open_pledged_eur=sum((pf.pledged(k) for k in keys if pf.is_open(k)), ZERO),
    )


def expected_by_donor(pf: Portfolio, filters: Filters) -> list[tuple[str, Decimal, Decimal]]:
    sums = pf.sums_by(filters, lambda p: [p.donor])
    order = sorted(sums, key=lambda k: (-sums[k][0], k))
    return [(STATE_NAMES[k], *sums[k]) for k in order]


def expected_by_beneficiary(pf: Portfolio, filters: Filters) -> list[queries.Split]:
    sums = pf.sums_by(filters, lambda p: PROJECTS[p.project]["beneficiaries"])
    budgets: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for key in pf.selected(filters):
        for state in PROJECTS[key]["beneficiaries"]:
            budgets[state] += pf.budget(key)
    order = sorted(budgets, key=lambda k: (-budgets[k], k))
    return [
        queries.Split(k, STATE_NAMES[k], *sums.get(k, [ZERO, ZERO]), budget_eur=budgets[k]) for k in order
    ]


def expected_budget_and_gap(
    pf: Portfolio, filters: Filters, field: str
) -> dict[str, tuple[Decimal, Decimal]]:
    """{area or activity type: (Σ budget, Σ max(budget − pledged, 0) over the open projects)}."""
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for key in pf.selected(filters):
        for k in PROJECTS[key][field]:
            budget, gap = out.get(k, (ZERO, ZERO))
            out[k] = (budget + pf.budget(key), gap + (pf.gap(key) if pf.is_open(key) else ZERO))
    return out


def expected_by_area(pf: Portfolio, filters: Filters) -> list[tuple[str, Decimal, Decimal]]:
    """Every area with a project selected (pledged or not), its pledged and received."""
    sums = pf.sums_by(filters, lambda p: PROJECTS[p.project]["areas"])
    keys = sums.keys() | expected_budget_and_gap(pf, filters, "areas").keys()
    return [(k, *sums.get(k, [ZERO, ZERO])) for k in sorted(keys)]


def expected_by_activity(pf: Portfolio, filters: Filters) -> list[tuple[str, Decimal, Decimal]]:
    sums = pf.sums_by(filters, lambda p: PROJECTS[p.project]["activity_types"])
    keys = sums.keys() | expected_budget_and_gap(pf, filters, "activity_types").keys()
    order = sorted(keys, key=lambda k: (-sums.get(k, [ZERO])[0], k))
    return [(EN.word(k), *sums.get(k, [ZERO, ZERO])) for k in order]


def expected_by_kind(pf: Portfolio, filters: Filters) -> list[tuple[str, Decimal, Decimal]]:
    sums = pf.sums_by(filters, lambda p: [p.kind])
    return [(EN.word(k), *sums[k]) for k in sorted(sums)]


def expected_over_time(pf: Portfolio, filters: Filters) -> list[queries.Quarter]:
    per: dict[str, list[Decimal]] = {}
    for p in pf.pledges_in(filters):
        if p.active:
            per.setdefault(quarter(p.pledged_on), [ZERO, ZERO])[0] += p.eur
        for received_on, eur in p.receipts:
            per.setdefault(quarter(received_on), [ZERO, ZERO])[1] += eur
    out, running_p, running_r = [], ZERO, ZERO
    for label in sorted(per):
        running_p += per[label][0]
        running_r += per[label][1]
        out.append(queries.Quarter(label, per[label][0], per[label][1], running_p, running_r))
    return out


def expected_fx_by_donor(pf: Portfolio, filters: Filters) -> dict[str, Decimal]:
    out: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for p in pf.pledges_in(filters):
        out[STATE_NAMES[p.donor]] += p.fx_difference
    return dict(out)


def expected_gap_lines(pf: Portfolio, filters: Filters) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """(code, budget, pledged, gap) of the projects in the open gap (any stage but completed or
    cancelled, budget above what is pledged), largest gap first."""
    keys = [k for k in pf.selected(filters) if pf.is_open(k) and pf.gap(k) > 0]
    keys.sort(key=lambda k: (-pf.gap(k), pf.code(k)))
    return [(pf.code(k), pf.budget(k), pf.pledged(k), pf.gap(k)) for k in keys]


def expected_by_status(pf: Portfolio, filters: Filters) -> dict[str, tuple[int, Decimal]]:
    out: dict[str, tuple[int, Decimal]] = {}
    for key in pf.selected(filters):
        n, budget = out.get(PROJECTS[key]["status"], (0, ZERO))
        out[PROJECTS[key]["status"]] = (n + 1, budget + pf.budget(key))
    return out


def expected_indicators(pf: Portfolio, filters: Filters) -> list[tuple[str, str, int, Decimal, Decimal]]:
    keys = pf.selected(filters)
    per: dict[tuple[str, str], list[Any]] = {}
    for key, name, unit, target, actual in INDICATORS:
        if key in keys:
            line = per.setdefault((name, unit), [set(), Decimal(0), Decimal(0)])
            line[0].add(key)
            line[1] += Decimal(target)
            line[2] += Decimal(actual or 0)
    return [(n, u, len(v[0]), v[1], v[2]) for (n, u), v in sorted(per.items())]


def expected_overdue(key: str) -> int:
    today = date.today().isoformat()
    return sum(1 for k, _, due, done, _ in MILESTONES if k == key and done is None and due and due < today)


def expected_percent(key: str) -> Decimal | None:
    weights = [(Decimal(w), done is not None) for k, _, _, done, w in MILESTONES if k == key]
    if not weights:
        return None
    done = sum((w for w, d in weights if d), Decimal(0))
    return (done / sum(w for w, _ in weights) * 100).quantize(Decimal("0.1"))


# -- the fixture portfolio itself ------------------------------------------------------------------


def test_the_fixture_portfolio_is_what_the_figures_are_checked_against(portfolio):
    """The pledges turned out as planned: one paid, partly paid ones, one withdrawn, one in kind."""
    statuses = {(p.donor, p.project): p.status for p in portfolio.pledges}
    assert statuses[("USA", "alpha")] == "paid"
    assert statuses[("DEU", "alpha")] == "committed"
    assert statuses[("NOR", "charlie")] == "withdrawn"
    assert [p.kind for p in portfolio.pledges].count("in_kind") == 1
    # A few values worked out by hand, so that the helpers above are checked too.
    usa = next(p for p in portfolio.pledges if p.donor == "USA")
    assert usa.eur == Decimal("304115.22")  # 333333.33 × 0.91234567 = 304115.2203…
    assert usa.received_eur == Decimal("309588.47")  # 333333.33 × 0.92876543 = 309588.4735…
    jpn = next(p for p in portfolio.pledges if p.donor == "JPN")
    assert jpn.eur == Decimal("604785.18")  # 98765432 × 0.00612345 = 604785.1845…
    # Half up, not half even: 1500000 × 1.16666667 = 1750000.005 → .01 (half even would give .00).
    gbr = next(p for p in portfolio.pledges if (p.donor, p.project) == ("GBR", "charlie"))
    assert gbr.eur == Decimal("1750000.01")
    assert portfolio.gap("bravo") == ZERO  # over-pledged: counts 0, not a negative gap
    assert expected_overdue("alpha") == 1
    assert expected_overdue("charlie") == 1
    assert expected_percent("bravo") == Decimal("75.0")


# -- totals and the funding page KPIs --------------------------------------------------------------


def test_totals_to_the_cent(db, portfolio):
    with db.session() as session:
        totals = queries.totals(session, ALL)
    expected = expected_totals(portfolio, ALL)
    assert totals == expected
    assert str(totals.budget_eur) == "4950000.50"
    # Σ max(budget − pledged, 0) per project, not Σ budget − Σ pledged (bravo is over-pledged).
    assert totals.gap_eur != totals.budget_eur - totals.pledged_eur
    # The open gap leaves out the completed project's shortfall (delta: 400000.00, nothing pledged).
    assert totals.open_gap_eur == totals.gap_eur - Decimal("400000.00")
    assert totals.seeking_funding == 2
    for value in (totals.budget_eur, totals.pledged_eur, totals.received_eur, totals.gap_eur):
        assert value.as_tuple().exponent == -2


def kpis(page_html: str) -> dict[str, str]:
    pairs = re.findall(
        r'<div class="kpi-label">(.*?)</div><div class="kpi-value">(.*?)</div>', page_html, flags=re.S
    )
    return {html.unescape(k): html.unescape(v) for k, v in pairs}


PAGE_QUERIES = [
    ("", ALL),
    ("?area=SALW", Filters(area="SALW")),
    ("?beneficiary=MNE", Filters(beneficiary="MNE")),
    ("?status=seeking_funding", Filters(status="seeking_funding")),
    ("?year_from=2024&year_to=2024", Filters(year_from=2024, year_to=2024)),
    ("?beneficiary=FRA", Filters(beneficiary="FRA")),
]


def test_funding_page_kpis_show_the_totals(client, portfolio, subtests):
    for query, filters in PAGE_QUERIES:
        with subtests.test(query=query):
            response = client.get(f"/dashboards/funding{query}")  # the bearer token logs the client in
            assert response.status_code == 200, response.text
            t = expected_totals(portfolio, filters)
            # budget and coverage: the projects the open gap counts (neither completed nor cancelled)
            coverage = (
                None
                if t.open_budget_eur == 0
                else (t.open_pledged_eur / t.open_budget_eur).quantize(Decimal("0.0001"))
            )
            # money out (tests/dashboards/test_spending_figures.py checks it with expenditures): none here
            chosen = portfolio.pledges_in(filters)
            committed = sum((p.eur for p in chosen if p.status in ("committed", "paid")), ZERO)
            pledged_only = sum((p.eur for p in chosen if p.status == "pledged"), ZERO)
            delivery = None if t.received_eur == 0 else Decimal("0.0000")
            assert kpis(response.text) == {
                EN["open_budget"]: money(t.open_budget_eur),
                EN["pledged_any"]: money(t.pledged_eur),
                EN["committed_any"]: money(committed),
                EN["pledged_only"]: money(pledged_only),
                EN["received_any"]: money(t.received_eur),
                EN["spent_any"]: money(ZERO),
                EN["delivery_rate"]: EN.percent(delivery),
                EN["open_gap"]: money(t.open_gap_eur),
                EN["open_coverage"]: EN.percent(coverage),
                EN["seeking_funding_count"]: str(t.seeking_funding),
                # This portfolio has no interests; tests/interests/test_web_interests.py checks it with some.
                "Open interests (not pledges)": money(Decimal("0.00")),
            }
            values = dict(re.findall(r'data-kpi="([^"]+)" data-value="([^"]*)"', response.text))
            assert values == {
                "budget": str(t.open_budget_eur),
                "pledged": str(t.pledged_eur),
                "committed": str(committed),
                "pledged-not-committed": str(pledged_only),
                "received": str(t.received_eur),
                "spent": "0.00",
                "delivery-rate": "" if delivery is None else str(delivery),
                "open-gap": str(t.open_gap_eur),
                "coverage": "" if coverage is None else str(coverage),
                "seeking-funding": str(t.seeking_funding),
                "open-interests": "0.00",
            }


# -- funding figures -------------------------------------------------------------------------------


def test_by_donor_traces_carry_the_per_donor_sums(db, portfolio):
    with db.session() as session:
        names = queries.state_names(session, "en")
        splits = queries.by_donor(session, ALL, names)
    expected = expected_by_donor(portfolio, ALL)
    assert splits_as_tuples(splits) == expected
    assert "Norway" not in [s.label for s in splits]  # its only pledge was withdrawn
    panel = figures.pledged_received("by-donor", EN["by_donor"], EN["donor_col"], splits, EN, horizontal=True)
    assert panel.figure.data[0].orientation == "h"
    assert_split_panel(panel, expected)
    # Σ over the donors is the portfolio's total.
    totals = expected_totals(portfolio, ALL)
    assert sum((p for _, p, _ in expected), ZERO) == totals.pledged_eur
    assert sum((r for _, _, r in expected), ZERO) == totals.received_eur


def test_top_with_others_sums_the_tail_exactly(db, portfolio):
    with db.session() as session:
        splits = queries.by_donor(session, ALL, queries.state_names(session, "en"))
    expected = expected_by_donor(portfolio, ALL)
    assert len(expected) == 5
    top = figures.top_with_others(splits, EN, 3)
    tail = expected[3:]
    others = (
        "Others (2)",
        sum((p for _, p, _ in tail), ZERO),
        sum((r for _, _, r in tail), ZERO),
    )
    assert splits_as_tuples(top) == [*expected[:3], others]
    assert top[-1].key == "_others"
    panel = figures.pledged_received("by-donor", EN["by_donor"], EN["donor_col"], top, EN, horizontal=True)
    assert_split_panel(panel, [*expected[:3], others])
    # Nothing is lost: the bars still add up to the total.
    assert sum((s.pledged_eur for s in top), ZERO) == expected_totals(portfolio, ALL).pledged_eur
    # Up to ``top`` rows, nothing is folded.
    assert figures.top_with_others(splits, EN, 5) == splits
    assert figures.top_with_others(splits, EN, 10) == splits


def test_by_beneficiary_counts_a_two_state_project_in_full_for_each(db, portfolio):
    with db.session() as session:
        splits = queries.by_beneficiary(session, ALL, queries.state_names(session, "en"))
    expected = expected_by_beneficiary(portfolio, ALL)
    assert splits == expected
    bih = next(s for s in splits if s.key == "BIH")
    mne = next(s for s in splits if s.key == "MNE")
    assert (bih.budget_eur, bih.pledged_eur, bih.received_eur) == (
        mne.budget_eur,
        mne.pledged_eur,
        mne.received_eur,
    )
    assert bih.pledged_eur == portfolio.pledged("bravo")
    assert bih.budget_eur == Decimal("750000.50")
    assert next(s for s in splits if s.key == "UKR").pledged_eur == ZERO  # no pledge: zero, still listed

    panel = figures.by_beneficiary(splits, EN)
    budget, pledged, received = panel.figure.data
    assert categories(budget) == [s.label for s in expected]
    assert amounts(budget) == [str(s.budget_eur) for s in expected]
    assert amounts(pledged) == [str(s.pledged_eur) for s in expected]
    assert amounts(received) == [str(s.received_eur) for s in expected]
    # each bar and each row opens the register on that State
    assert links(pledged) == [f"/projects?beneficiary={s.key}" for s in expected] == panel.table.links
    assert panel.table.rows == [
        [s.label, money(s.budget_eur), money(s.pledged_eur), money(s.received_eur)] for s in expected
    ]
    assert panel.table.columns == [EN["state_col"], EN["budget"], EN["pledged"], EN["received"]]

    choropleth = figures.beneficiary_map(splits, EN)
    (trace,) = choropleth.figure.data
    assert list(trace.locations) == [s.key for s in expected]
    assert amounts(trace) == [str(s.pledged_eur) for s in expected]
    assert hovers(trace) == [whole(s.pledged_eur) for s in expected]
    assert links(trace) == [f"/projects?beneficiary={s.key}" for s in expected]
    assert choropleth.table.rows == [[s.label, money(s.pledged_eur)] for s in expected]


def test_by_area_counts_a_two_area_project_for_each(db, portfolio):
    with db.session() as session:
        splits = queries.by_area(session, ALL)
    expected = expected_by_area(portfolio, ALL)
    assert splits_as_tuples(splits) == expected
    salw, sca = (s.pledged_eur for s in splits)
    # charlie is in both areas: the two bars add up to more than the total, by charlie's pledges.
    assert salw + sca == expected_totals(portfolio, ALL).pledged_eur + portfolio.pledged("charlie")
    budgets = expected_budget_and_gap(portfolio, ALL, "areas")
    assert [(s.key, s.budget_eur, s.gap_eur) for s in splits] == [(k, *budgets[k]) for k, _, _ in expected]
    panel = figures.pledged_received("by-area", EN["by_area"], EN["area"], splits, EN, with_budget=True)
    assert_split_panel(panel, expected)
    # budget, pledged, received and the open gap, in that order, in the chart and in the table
    budget, _, _, gap = panel.figure.data
    assert (budget.name, gap.name) == (EN["budget"], EN["gap"])
    assert amounts(budget) == [str(budgets[k][0]) for k, _, _ in expected]
    assert amounts(gap) == [str(budgets[k][1]) for k, _, _ in expected]
    assert panel.table.columns == [EN["area"], EN["budget"], EN["pledged"], EN["received"], EN["gap"]]
    assert [row[4] for row in panel.table.rows] == [money(budgets[k][1]) for k, _, _ in expected]


def test_by_activity_and_by_kind(db, portfolio):
    words = EN.words(sorted({a for spec in PROJECTS.values() for a in spec["activity_types"]}))
    with db.session() as session:
        activities = queries.by_activity(session, ALL, words)
        kinds = queries.by_kind(session, ALL, EN.words(["cash", "in_kind"]))
    expected = expected_by_activity(portfolio, ALL)
    assert splits_as_tuples(activities) == expected
    # stockpile security is in bravo and charlie: both projects' pledges, in full.
    stockpile = next(s for s in activities if s.key == "stockpile_security")
    assert stockpile.pledged_eur == portfolio.pledged("bravo") + portfolio.pledged("charlie")
    # the project of type "other" has no pledge: the type is listed with its budget, all of it a gap
    other = next(s for s in activities if s.key == "other")
    budgets = expected_budget_and_gap(portfolio, ALL, "activity_types")
    assert (other.pledged_eur, other.received_eur, other.budget_eur, other.gap_eur) == (
        ZERO,
        ZERO,
        *budgets["other"],
    )
    assert {s.key: (s.budget_eur, s.gap_eur) for s in activities} == budgets
    panel = figures.pledged_received(
        "by-activity", EN["by_activity"], EN["activity"], activities, EN, True, with_budget=True
    )
    assert_split_panel(panel, expected)

    expected_kinds = expected_by_kind(portfolio, ALL)
    assert [s.key for s in kinds] == ["cash", "in_kind"]
    assert splits_as_tuples(kinds) == expected_kinds
    jpn = next(p for p in portfolio.pledges if p.kind == "in_kind")
    assert (kinds[1].pledged_eur, kinds[1].received_eur) == (jpn.eur, jpn.received_eur)
    assert kinds[0].pledged_eur + kinds[1].pledged_eur == expected_totals(portfolio, ALL).pledged_eur
    assert_split_panel(
        figures.pledged_received("by-kind", EN["by_kind"], EN["kind"], kinds, EN), expected_kinds
    )


def test_over_time_quarters_and_cumulative_sums(db, portfolio):
    with db.session() as session:
        quarters = queries.over_time(session, ALL)
    expected = expected_over_time(portfolio, ALL)
    assert quarters == expected
    assert [q.label for q in quarters] == ["2023-Q3", "2023-Q4", "2024-Q1", "2024-Q2"]
    # The withdrawn pledge (2024-Q3) adds no quarter; the running totals end at the totals.
    totals = expected_totals(portfolio, ALL)
    assert (quarters[-1].pledged_cumulative, quarters[-1].received_cumulative) == (
        totals.pledged_eur,
        totals.received_eur,
    )
    panel = figures.over_time(quarters, EN)
    pledged, received = panel.figure.data
    # on a date axis, each quarter at its first day
    assert list(pledged.x) == list(received.x) == ["2023-07-01", "2023-10-01", "2024-01-01", "2024-04-01"]
    assert panel.figure.layout.xaxis.type == "date"
    assert amounts(pledged) == [str(q.pledged_cumulative) for q in expected]
    assert amounts(received) == [str(q.received_cumulative) for q in expected]
    assert hovers(received) == [whole(q.received_cumulative) for q in expected]
    assert list(pledged.y) == [float(q.pledged_cumulative) for q in expected]
    assert panel.table.rows == [
        [
            q.label,
            money(q.pledged_eur),
            money(q.received_eur),
            money(q.pledged_cumulative),
            money(q.received_cumulative),
        ]
        for q in expected
    ]


def test_funding_page_panels_carry_the_same_sums(db, portfolio):
    """The page as built for the browser: every panel's trace and table, the KPIs too."""
    with db.session() as session:
        page = build("funding", session, ALL)
    panels = {p.id: p for p in page.panels}
    assert list(panels) == [
        "by-donor",
        "map",
        "by-beneficiary",
        "over-time",
        "by-area",
        "by-activity",
        "by-kind",
        "delivery-by-area",
        "delivery-by-beneficiary",
        "delivery-by-donor",
        "open-interests",
    ]
    assert_split_panel(panels["by-donor"], expected_by_donor(portfolio, ALL))
    assert_split_panel(panels["by-area"], expected_by_area(portfolio, ALL))
    assert_split_panel(panels["by-activity"], expected_by_activity(portfolio, ALL))
    assert_split_panel(panels["by-kind"], expected_by_kind(portfolio, ALL))
    beneficiaries = expected_by_beneficiary(portfolio, ALL)
    assert amounts(panels["by-beneficiary"].figure.data[1]) == [str(s.pledged_eur) for s in beneficiaries]
    assert amounts(panels["map"].figure.data[0]) == [str(s.pledged_eur) for s in beneficiaries]
    quarters = expected_over_time(portfolio, ALL)
    assert amounts(panels["over-time"].figure.data[0]) == [str(q.pledged_cumulative) for q in quarters]
    # the donors' bars and rows open each donor's view (the "others" bar, folded, opens nothing)
    donors = panels["by-donor"]
    codes = {name: code for code, name in STATE_NAMES.items()}
    expected_links = [
        f"/dashboards/donors/{codes[label]}" for label, _, _ in expected_by_donor(portfolio, ALL)
    ]
    assert links(donors.figure.data[0]) == expected_links == donors.table.links
    # areas and activity types open the register filtered on them
    assert panels["by-area"].table.links == ["/projects?area=SALW", "/projects?area=SCA"]
    assert "/projects?activity_type=stockpile_security" in links(panels["by-activity"].figure.data[0])
    t = expected_totals(portfolio, ALL)
    assert page.kpi("open-gap").value == t.open_gap_eur


def test_each_donor_total_carries_its_rate_effect(db, portfolio):
    """fx_difference_eur per donor, to the cent, computed here from the receipts' amounts and rates."""
    expected = expected_fx_by_donor(portfolio, ALL)
    # USA: 333333.33 received at 0.92876543 (309588.47) − the same at the pledge's 0.91234567 (304115.22)
    assert expected["United States of America"] == Decimal("5473.25")
    assert expected["Germany"] == ZERO  # in euros: no rate effect
    with db.session() as session:
        page = build("funding", session, ALL)
        donors = queries.by_donor(session, ALL, queries.state_names(session, "en"))
    assert {s.label: s.fx_difference_eur for s in donors} == {
        label: expected.get(label, ZERO) for label in (s.label for s in donors)
    }
    panel = {p.id: p for p in page.panels}["by-donor"]
    assert panel.table.columns[-1] == EN["fx_difference"]
    assert {row[0]: row[-1] for row in panel.table.rows} == {
        s.label: money(s.fx_difference_eur) for s in donors
    }
    assert {row[0]: row[-1] for row in panel.table.values} == {
        s.label: str(s.fx_difference_eur) for s in donors
    }
    # Received above pledged only for the United States: said, with how much the rate explains
    assert "United States of America received €5,473.25 more than it pledged; €5,473.25" in panel.note
    assert "Germany received" not in panel.note
    with db.session() as session:
        usa = build("donor", session, ALL, "USA")
    assert usa.kpi("fx-difference").value == Decimal("5473.25")
    assert "€5,473.25 of it is the rate effect" in usa.note


# -- gaps and progress -----------------------------------------------------------------------------


def test_gaps_every_open_project_short_of_its_budget_largest_gap_first(db, portfolio):
    with db.session() as session:
        lines = queries.project_lines(session, ALL, open_gaps_only=True)
    expected = expected_gap_lines(portfolio, ALL)
    assert [(p.code, p.budget_eur, p.pledged_eur, p.gap_eur) for p in lines] == expected
    # on hold counts; over-pledged bravo (no gap) and completed delta do not
    assert [p.code for p in lines] == ["FIG-ALPHA", "FIG-XSS", "FIG-CHARLIE"]
    panel = figures.gaps(lines, EN)
    pledged, gap = panel.figure.data  # stacked: what is pledged, then what is missing up to the budget
    assert (gap.name, pledged.name) == (EN["gap"], EN["pledged"])
    assert amounts(gap) == [str(g) for _, _, _, g in expected]
    assert amounts(pledged) == [str(p) for _, _, p, _ in expected]
    assert list(gap.x) == [float(g) for _, _, _, g in expected]
    # every bar and every row opens the project's page
    pages = [f"/projects/{portfolio.ids[k]}" for k in ["alpha", "xss", "charlie"]]
    assert links(gap) == links(pledged) == pages == panel.table.links
    assert panel.table.rows == [
        [
            code,
            PROJECTS[key]["title"],
            EN.word(PROJECTS[key]["status"]),
            "/".join(sorted(PROJECTS[key]["areas"])),
            ", ".join(sorted(PROJECTS[key]["beneficiaries"])),
            money(budget),
            money(pledged_eur),
            money(gap_eur),
            EN.percent((pledged_eur / budget).quantize(Decimal("0.0001"))),
        ]
        for (code, budget, pledged_eur, gap_eur), key in zip(
            expected, ["alpha", "xss", "charlie"], strict=True
        )
    ]


def test_user_text_is_escaped_in_figures(client, db, portfolio):
    with db.session() as session:
        gaps = figures.gaps(queries.project_lines(session, ALL, open_gaps_only=True), EN)
        indicators = figures.indicators(queries.project_indicators(session, ALL), EN)
    labels = categories(gaps.figure.data[0])
    assert "FIG-XSS — &lt;script&gt;alert(1)&lt;/script&gt;" in labels
    assert not any("<script" in label for label in labels)
    assert "<script" not in gaps.figure.to_json()
    assert XSS in [row[1] for row in gaps.table.rows]  # the table keeps the text; the template escapes it
    assert "FIG-CHARLIE · Depots &amp; sites &lt;secured&gt;" in list(indicators.figure.data[0].y)
    assert "<secured" not in indicators.figure.to_json()
    # The page: the table cell escaped by the template, the figure JSON unable to close its <script>.
    page = client.get("/dashboards/gaps")
    assert page.status_code == 200
    assert XSS not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def panel_amounts(panel: figures.Panel) -> list[Decimal]:
    """Every amount a money trace of the panel carries in its customdata."""
    amounts: list[Decimal] = []
    for trace in panel.figure.data:
        for point in customdata(trace) if trace.customdata is not None else []:
            value = point[0] if isinstance(point, list) else point
            if isinstance(value, str) and re.fullmatch(r"-?\d+\.\d\d", value):
                amounts.append(Decimal(value))
    return amounts


@pytest.mark.parametrize(
    ("name", "code", "money_panels"),
    [
        ("funding", None, 7),
        ("gaps", None, 1),
        ("progress", None, 1),
        ("donor", "GBR", 2),
    ],
)
def test_every_table_shows_the_amounts_of_its_trace(db, portfolio, name, code, money_panels):
    with db.session() as session:
        page = build(name, session, ALL, code)
    checked = 0
    for panel in page.panels:
        amounts = panel_amounts(panel) if panel.figure is not None else []
        if not amounts:
            continue
        checked += 1
        cells = {cell for row in panel.table.rows for cell in row}
        missing = [a for a in amounts if a != 0 and money(a) not in cells]
        assert not missing, f"{panel.id}: {missing} drawn but not in the table"
    assert checked == money_panels


def test_by_status_projects_and_budget(db, portfolio):
    with db.session() as session:
        lines = queries.by_status(session, ALL)
    expected = expected_by_status(portfolio, ALL)
    assert {s.status: (s.projects, s.budget_eur) for s in lines} == expected
    panel = figures.by_status(lines, EN)
    (bar,) = panel.figure.data
    order = ["seeking_funding", "implementation", "on_hold", "completed"]
    assert list(bar.x) == [EN.word(s) for s in order]
    assert amounts(bar) == [str(expected[s][1]) for s in order]
    assert hovers(bar) == [whole(expected[s][1]) for s in order]
    assert links(bar) == [f"/projects?status={s}" for s in order] == panel.table.links
    assert list(bar.text) == [str(expected[s][0]) for s in order]
    assert panel.table.rows == [[EN.word(s), str(expected[s][0]), money(expected[s][1])] for s in order]
    assert sum((b for _, b in expected.values()), ZERO) == expected_totals(portfolio, ALL).budget_eur


def test_indicators_summed_per_name_and_unit(db, portfolio):
    with db.session() as session:
        lines = queries.indicators(session, ALL)
    expected = expected_indicators(portfolio, ALL)
    assert [(i.name, i.unit, i.projects, i.target, i.actual) for i in lines] == expected
    weapons = next(i for i in lines if i.name == "Weapons marked")
    assert (weapons.projects, weapons.target, weapons.actual) == (2, Decimal("7500.5"), Decimal("1200"))


def test_indicators_per_project_against_their_own_targets(db, portfolio):
    """Each project's indicator at actual ÷ its own target, a target mark per row at 100 %, the numbers in
    the indicator's unit beside it; never one bar of summed targets drawn at 100 % for everyone."""
    with db.session() as session:
        lines = queries.project_indicators(session, ALL)
    code = {k: str(PROJECTS[k]["code"]) for k in PROJECTS}
    expected = sorted(
        (code[k], name, unit, Decimal(t), None if a is None else Decimal(a))
        for k, name, unit, t, a in INDICATORS
    )
    assert [(i.project_code, i.name, i.unit, i.target, i.actual) for i in lines] == expected
    panel = figures.indicators(lines, EN)
    bars, targets, words = panel.figure.data
    assert bars.type == "bar" and bars.orientation == "h"
    assert list(bars.y) == [html.escape(f"{c} · {n}", quote=False) for c, n, _, _, _ in expected]
    # Bravo destroyed 310.25 of its own 300 tonnes: 103.42 %, beyond its target; charlie's 80.0625 of
    # 120.125 tonnes is 66.65 %; charlie's weapons marked have no actual yet: 0, written as a dash.
    shares = dict(zip(bars.y, bars.x, strict=True))
    assert shares["FIG-BRAVO · Ammunition destroyed"] == pytest.approx(103.42, abs=0.005)
    assert shares["FIG-CHARLIE · Ammunition destroyed"] == pytest.approx(66.65, abs=0.005)
    assert shares["FIG-CHARLIE · Weapons marked"] == 0
    assert shares["FIG-ALPHA · Weapons marked"] == 24.0  # 1200 of 5000, not of the 7500.5 summed
    # one target mark per row, each at 100 % of that row's own target
    assert targets.mode == "markers" and list(targets.x) == [100.0] * len(expected)
    assert list(targets.y) == list(bars.y)
    assert "310.25 of 300 tonnes" in list(words.text)
    assert "– of 2,500.5 weapons" in list(words.text)
    assert panel.figure.layout.xaxis.title.text == "% of its own target"
    assert "own target" in panel.note
    ids = {str(PROJECTS[k]["code"]): portfolio.ids[k] for k in PROJECTS}
    assert links(bars) == [f"/projects/{ids[c]}" for c, _, _, _, _ in expected] == panel.table.links
    assert panel.table.rows[1] == [
        "FIG-BRAVO",
        "Ammunition destroyed",
        "tonnes",
        "300",
        "310.25",
        "103.4%",
        "0",  # its baseline
    ]


def test_timeline_counts_overdue_milestones_per_project(db, portfolio):
    with db.session() as session:
        lines = queries.project_lines(session, ALL)
    by_code = {p.code: p for p in lines}
    for key in PROJECTS:
        line = by_code[portfolio.code(key)]
        assert line.overdue_milestones == expected_overdue(key)
        assert line.percent == expected_percent(key)
        assert (line.budget_eur, line.pledged_eur, line.gap_eur) == (
            portfolio.budget(key),
            portfolio.pledged(key),
            portfolio.gap(key),
        )
    panel = figures.timeline(lines, EN)
    (bar,) = panel.figure.data
    dated = sorted(
        (k for k in PROJECTS if "start_date" in PROJECTS[k]), key=lambda k: PROJECTS[k]["start_date"]
    )
    # the project without dates is left out; each is named by code and (shortened) title
    assert list(bar.y) == [
        html.escape(f"{portfolio.code(k)} — {figures.shortened(str(PROJECTS[k]['title']))}", quote=False)
        for k in dated
    ]
    assert [c[3] for c in customdata(bar)] == [expected_overdue(k) for k in dated]
    assert list(bar.marker.color) == ["#d0623b" if expected_overdue(k) else "#1f5f99" for k in dated]
    # charlie, alpha (still seeking funding years after its planned start: flagged), bravo
    assert list(bar.text) == ["0.0% ⚠ 1", "⚑ 33.3% ⚠ 1", "75.0%"]
    assert [row[6] for row in panel.table.rows] == [str(expected_overdue(k)) for k in dated]
    assert [row[5] for row in panel.table.rows] == ["0.0%", "33.3%", "75.0%"]


# -- one donor -------------------------------------------------------------------------------------


def test_donor_figures_for_one_donor(db, portfolio):
    mine = sorted(
        (p for p in portfolio.pledges if p.donor == "GBR"),
        key=lambda p: (portfolio.code(p.project), p.pledged_on),
    )
    with db.session() as session:
        rows = queries.donor_pledges(session, ALL, "GBR")
    assert [
        (r.project_code, r.status, r.kind, r.currency, r.amount, r.amount_eur, r.received_eur) for r in rows
    ] == [
        (portfolio.code(p.project), p.status, p.kind, p.currency, p.amount, p.eur, p.received_eur)
        for p in mine
    ]

    panel = figures.donor_pledges(rows, EN)
    traces = {t.name: t for t in panel.figure.data}
    assert set(traces) == {EN.word("pledged"), EN.word("committed")}  # no paid or withdrawn pledge of GBR
    codes = ["FIG-BRAVO", "FIG-CHARLIE"]
    for status, trace in ((s, traces[EN.word(s)]) for s in ("pledged", "committed")):
        assert list(trace.x) == codes
        assert customdata(trace) == [
            str(sum((p.eur for p in mine if portfolio.code(p.project) == c and p.status == status), ZERO))
            for c in codes
        ]
    assert [row[6:] for row in panel.table.rows] == [[money(p.eur), money(p.received_eur)] for p in mine]

    pledged = sum((p.eur for p in mine), ZERO)
    received = sum((p.received_eur for p in mine), ZERO)
    received_panel = figures.donor_received(rows, EN)
    assert customdata(received_panel.figure.data[0]) == [str(received), str(pledged - received)]
    assert received_panel.table.rows == [[money(pledged), money(received), money(pledged - received)]]


def test_donor_page_leaves_a_withdrawn_pledge_out_of_received_and_share(db, portfolio):
    with db.session() as session:
        page = build("donor", session, ALL, code="NOR")
    panels = {p.id: p for p in page.panels}
    (withdrawn,) = panels["donor-pledges"].figure.data
    assert withdrawn.name == EN.word("withdrawn")
    assert customdata(withdrawn) == ["80000.00"]
    assert customdata(panels["donor-received"].figure.data[0]) == ["0.00", "0.00"]
    # No panel compares it with every donor's pledges: that total carries other donors' money.
    assert "donor-share" not in panels


def test_donor_page_for_a_donor_with_a_paid_pledge(db, portfolio):
    usa = next(p for p in portfolio.pledges if p.donor == "USA")
    with db.session() as session:
        page = build("donor", session, ALL, code="USA")
    panels = {p.id: p for p in page.panels}
    (paid,) = panels["donor-pledges"].figure.data
    assert (paid.name, customdata(paid)) == (EN.word("paid"), [str(usa.eur)])
    # Received at a later month's rate: more euros arrived than were pledged; nothing is outstanding.
    assert usa.received_eur > usa.eur
    assert customdata(panels["donor-received"].figure.data[0]) == [str(usa.received_eur), "0.00"]


# -- national processes ----------------------------------------------------------------------------


def test_maturity_matrix_and_stage_changes(client, db, portfolio):
    build_processes(client, portfolio.ids)
    with db.session() as session:
        names = queries.state_names(session, "en")
        cells = queries.process_matrix(session, ALL)
        counts = queries.stage_changes(session, ALL)
        salw_cells = queries.process_matrix(session, Filters(area="SALW"))
        srb_counts = queries.stage_changes(session, Filters(beneficiary="SRB"))
    assert [(c.state, c.name, c.kind, c.stage, c.established_on) for c in cells] == [
        ("BIH", "Ammunition depot SOP", "procedure", "established", date(2024, 2, 20)),
        ("MDA", "Stockpile inspection body", "structure", "planned", None),
        ("SRB", "National SALW Commission", "structure", "operational", date(2022, 3, 1)),
    ]
    assert [c.state for c in salw_cells] == ["MDA", "SRB"]
    panel = figures.maturity_matrix(cells, names, EN)
    (heat,) = panel.figure.data
    assert list(heat.y) == ["Bosnia and Herzegovina", "Moldova", "Serbia"]
    assert list(heat.x) == ["Ammunition depot SOP", "National SALW Commission", "Stockpile inspection body"]
    assert [list(row) for row in heat.z] == [[1.0, None, None], [None, None, 0.0], [None, 2.0, None]]
    assert panel.table.rows[0] == [
        "Bosnia and Herzegovina",
        "Ammunition depot SOP",
        "procedure",
        "established",
        "2024-02-20",
    ]

    assert sorted((c.year, c.stage, c.changes) for c in counts) == [
        (2022, "established", 1),
        (2023, "operational", 1),
        (2023, "planned", 1),
        (2024, "established", 1),
        (2024, "planned", 1),
    ]
    assert [c.year for c in counts] == sorted(c.year for c in counts)
    assert sorted((c.year, c.stage, c.changes) for c in srb_counts) == [
        (2022, "established", 1),
        (2023, "operational", 1),
    ]
    stages = figures.stage_changes(counts, EN)
    per_stage = {t.name: list(t.y) for t in stages.figure.data}
    assert list(stages.figure.data[0].x) == ["2022", "2023", "2024"]
    assert per_stage == {
        "planned": [0, 1, 1],
        "established": [1, 0, 1],
        "operational": [0, 1, 0],
        "sustained": [0, 0, 0],
    }


def test_stage_changes_follow_the_area_filter_like_the_matrix(client, db, portfolio):
    build_processes(client, portfolio.ids)
    with db.session() as session:
        counts = queries.stage_changes(session, Filters(area="SALW"))
    # Only the SALW processes (SRB's commission, MDA's inspection body); not BIH's SCA depot SOP.
    assert sorted((c.year, c.stage, c.changes) for c in counts) == [
        (2022, "established", 1),
        (2023, "operational", 1),
        (2024, "planned", 1),
    ]


# -- filters narrow every aggregate ----------------------------------------------------------------

FILTER_CASES: list[tuple[str, Filters, list[str]]] = [
    ("none", ALL, ["alpha", "bravo", "charlie", "xss", "delta"]),
    ("area=SALW", Filters(area="SALW"), ["alpha", "charlie", "delta"]),
    ("area=SCA", Filters(area="SCA"), ["bravo", "charlie", "xss"]),
    ("beneficiary=MNE", Filters(beneficiary="MNE"), ["bravo"]),
    ("beneficiary=SRB", Filters(beneficiary="SRB"), ["alpha", "delta"]),
    ("beneficiary=FRA", Filters(beneficiary="FRA"), []),
    ("status=seeking_funding", Filters(status="seeking_funding"), ["alpha", "xss"]),
    ("status=on_hold", Filters(status="on_hold"), ["charlie"]),
    ("years 2023-2023", Filters(year_from=2023, year_to=2023), ["bravo"]),
    ("from 2024", Filters(year_from=2024), ["charlie", "xss"]),
    ("to 2023", Filters(year_to=2023), ["alpha", "bravo", "delta"]),
    ("status=completed", Filters(status="completed"), ["delta"]),
    ("SCA, from 2024, seeking", Filters(area="SCA", year_from=2024, status="seeking_funding"), ["xss"]),
]


def check_filtered_aggregates(session: Any, pf: Portfolio, filters: Filters, keys: list[str]) -> None:
    assert pf.selected(filters) == keys
    names = queries.state_names(session, "en")
    words = EN.words(sorted({a for spec in PROJECTS.values() for a in spec["activity_types"]}))
    assert queries.totals(session, filters) == expected_totals(pf, filters)
    assert splits_as_tuples(queries.by_donor(session, filters, names)) == expected_by_donor(pf, filters)
    assert queries.by_beneficiary(session, filters, names) == expected_by_beneficiary(pf, filters)
    assert splits_as_tuples(queries.by_area(session, filters)) == expected_by_area(pf, filters)
    activities = queries.by_activity(session, filters, words)
    assert splits_as_tuples(activities) == expected_by_activity(pf, filters)
    kinds = queries.by_kind(session, filters, EN.words(["cash", "in_kind"]))
    assert splits_as_tuples(kinds) == expected_by_kind(pf, filters)
    assert queries.over_time(session, filters) == expected_over_time(pf, filters)
    gap_lines = queries.project_lines(session, filters, open_gaps_only=True)
    assert [(p.code, p.budget_eur, p.pledged_eur, p.gap_eur) for p in gap_lines] == expected_gap_lines(
        pf, filters
    )
    all_lines = queries.project_lines(session, filters)
    assert {p.code: p.overdue_milestones for p in all_lines} == {
        pf.code(k): expected_overdue(k) for k in keys
    }
    statuses = queries.by_status(session, filters)
    assert {s.status: (s.projects, s.budget_eur) for s in statuses} == expected_by_status(pf, filters)
    indicators = [
        (i.name, i.unit, i.projects, i.target, i.actual) for i in queries.indicators(session, filters)
    ]
    assert indicators == expected_indicators(pf, filters)
    for donor in ("DEU", "GBR"):
        rows = queries.donor_pledges(session, filters, donor)
        mine = [p for p in pf.pledges_in(filters) if p.donor == donor]
        assert sorted((r.project_code, r.amount_eur, r.received_eur) for r in rows) == sorted(
            (pf.code(p.project), p.eur, p.received_eur) for p in mine
        )
    # The page built from them shows the same amounts.
    page = build("funding", session, filters)
    t = expected_totals(pf, filters)
    assert page.kpi("pledged").text == money(t.pledged_eur)
    assert page.kpi("open-gap").value == t.open_gap_eur
    fx = expected_fx_by_donor(pf, filters)
    assert {s.label: s.fx_difference_eur for s in queries.by_donor(session, filters, names)} == {
        label: fx.get(label, ZERO) for label, _, _ in expected_by_donor(pf, filters)
    }
    panels = {p.id: p for p in page.panels}
    assert_split_panel(panels["by-area"], [(EN.word(k), p, r) for k, p, r in expected_by_area(pf, filters)])
    budgets = expected_budget_and_gap(pf, filters, "areas")
    assert [(s.budget_eur, s.gap_eur) for s in queries.by_area(session, filters)] == [
        budgets[k] for k, _, _ in expected_by_area(pf, filters)
    ]
    assert_split_panel(panels["by-kind"], expected_by_kind(pf, filters))
    gaps = figures.gaps(gap_lines, EN)
    assert amounts(gaps.figure.data[1]) == [str(g) for _, _, _, g in expected_gap_lines(pf, filters)]


def test_filters_narrow_every_aggregate(db, portfolio, subtests):
    """Each filter on its own and together; every aggregate matches the sums over the same projects."""
    for case, filters, keys in FILTER_CASES:
        with subtests.test(filters=case), db.session() as session:
            check_filtered_aggregates(session, portfolio, filters, keys)


# -- the number of SQL statements does not grow with the portfolio ---------------------------------

MORE_DONORS = ["AUT", "BEL", "DNK", "FIN", "FRA", "ITA", "NLD", "POL", "SWE", "ESP", "LUX", "IRL"]
COUNTED_PAGES = [("funding", None), ("gaps", None), ("progress", None), ("donor", "DEU")]


def statements_per_page(db: Any) -> dict[str, int]:
    counts = {}
    with db.session() as session:
        for name, code in COUNTED_PAGES:
            build(name, session, ALL, code)  # warm: the connection and its first-use statements
            counts[name] = count_statements(db, partial(build, name, session, ALL, code))
    return counts


def test_page_queries_do_not_grow_with_pledges(client, db, portfolio):
    small = statements_per_page(db)
    more: list[PledgeFact] = []
    for i, donor in enumerate([*MORE_DONORS * 3, "DEU", "DEU", "DEU", "DEU"]):
        key = ["alpha", "bravo", "charlie", "xss"][i % 4]
        amount = f"{1000 + 17 * i}.{i:02d}"
        currency = ["EUR", "USD", "GBP"][i % 3]
        pledged_on = {"EUR": "2024-05-07", "USD": "2024-03-11", "GBP": "2024-04-09"}[currency]
        pledge = make_pledge(
            client, portfolio.ids[key], donor=donor, amount=amount, currency=currency, pledged_on=pledged_on
        )
        fact = PledgeFact(
            donor,
            key,
            "cash",
            currency,
            Decimal(amount),
            pledged_on,
            "pledged",
            to_eur(amount, currency, pledged_on),
        )
        assert pledge["amount_eur"] == str(fact.eur)
        if i % 2:
            received_on = "2024-04-25" if currency == "GBP" else "2024-05-20"
            ok(receive(client, pledge["id"], "100.00", received_on), 201)
            fact.receipts.append((received_on, to_eur("100.00", currency, received_on)))
            fact.received_amounts.append(Decimal("100.00"))
        more.append(fact)
    portfolio.pledges.extend(more)
    assert len(portfolio.pledges) == len(PLEDGES) + 40
    large = statements_per_page(db)
    assert large == small
    assert 0 < small["funding"] <= 22  # money out: one statement for its headline figures, one for delivery

    # The larger portfolio's donors overflow the top ten: the tail folds into one bar, to the cent.
    with db.session() as session:
        page = build("funding", session, ALL)
    expected = expected_by_donor(portfolio, ALL)
    tail = expected[10:]
    others = (f"Others ({len(tail)})", sum((p for _, p, _ in tail), ZERO), sum((r for _, _, r in tail), ZERO))
    assert len(tail) > 1
    assert_split_panel({p.id: p for p in page.panels}["by-donor"], [*expected[:10], others])
    assert page.kpi("pledged").value == expected_totals(portfolio, ALL).pledged_eur
    assert page.kpi("received").value == expected_totals(portfolio, ALL).received_eur


def test_outstanding_is_owed_pledge_by_pledge():
    from dashboards.queries import DonorPledge

    pledges = [
        # paid in full at a later month's rate: more euros arrived than were pledged
        DonorPledge(
            "P-1", "One", "paid", "cash", "USD", Decimal("100.00"), Decimal("90.00"), Decimal("95.00")
        ),
        # still owed
        DonorPledge(
            "P-2", "Two", "committed", "cash", "EUR", Decimal("50.00"), Decimal("50.00"), Decimal("10.00")
        ),
        # withdrawn: neither received nor owed
        DonorPledge(
            "P-3", "Three", "withdrawn", "cash", "EUR", Decimal("70.00"), Decimal("70.00"), Decimal("0.00")
        ),
    ]
    panel = figures.donor_received(pledges, EN)
    assert list(panel.figure.data[0].customdata) == ["105.00", "40.00"]


# -- charts that tell the truth: axes, frames, titles, legends, the page's language ---------------

FR = Labels("fr")


def quarters_of(*rows: tuple[str, str, str]) -> list[queries.Quarter]:
    out, running_p, running_r = [], ZERO, ZERO
    for label, p, r in rows:
        running_p += Decimal(p)
        running_r += Decimal(r)
        out.append(queries.Quarter(label, Decimal(p), Decimal(r), running_p, running_r))
    return out


def test_over_time_puts_quarters_on_a_date_axis_with_the_missing_ones_in_between():
    """2023-Q2 and 2026-Q4 are 14 quarters apart, not neighbours: every quarter between is drawn and
    listed, adding nothing, so the line is flat where no money moved."""
    panel = figures.over_time(quarters_of(("2023-Q2", "100.00", "0.00"), ("2026-Q4", "50.50", "25.25")), EN)
    pledged, received = panel.figure.data
    axis = panel.figure.layout.xaxis
    assert axis.type == "date" and axis.tickformat == "%Y-Q%q" and axis.dtick == "M3"
    assert len(pledged.x) == 15
    assert (pledged.x[0], pledged.x[1], pledged.x[-1]) == ("2023-04-01", "2023-07-01", "2026-10-01")
    assert amounts(pledged) == ["100.00"] * 14 + ["150.50"]
    assert amounts(received) == ["0.00"] * 14 + ["25.25"]
    assert [row[0] for row in panel.table.rows][:3] == ["2023-Q2", "2023-Q3", "2023-Q4"]
    assert panel.table.rows[5] == ["2024-Q3", "€0.00", "€0.00", "€100.00", "€0.00"]
    assert panel.table.rows[-1] == ["2026-Q4", "€50.50", "€25.25", "€150.50", "€25.25"]
    # hovers: the quarter, the running total and what the quarter added, in words
    assert customdata(pledged)[-1][1:] == ["€151", "", "2026-Q4", "€51"]
    # in French the quarters are "T" (trimestre)
    french = figures.over_time(quarters_of(("2023-Q2", "100.00", "0.00"), ("2023-Q4", "1.00", "0.00")), FR)
    assert french.figure.layout.xaxis.tickformat == "%Y-T%q"
    assert [row[0] for row in french.table.rows] == ["2023-T2", "2023-T3", "2023-T4"]
    # many years: a tick a year, not one per quarter
    long = figures.over_time(quarters_of(("2015-Q1", "1.00", "0.00"), ("2024-Q4", "1.00", "0.00")), EN)
    assert long.figure.layout.xaxis.dtick == "M12" and len(long.figure.data[0].x) == 40
    assert figures.over_time([], EN).table.rows == []


@pytest.mark.parametrize(
    ("labels", "expected"),
    [(EN, "€5,492,943"), (FR, "5\u202f492\u202f943\u00a0€")],
    ids=["en", "fr"],
)
def test_hovers_write_money_in_the_pages_language(labels, expected):
    splits = [queries.Split("DEU", "Germany", Decimal("5492943.00"), Decimal("5492942.50"))]
    panel = figures.pledged_received("by-donor", "t", "Donor", splits, labels, horizontal=True)
    pledged, received = panel.figure.data
    assert hovers(pledged) == [expected]
    assert hovers(received) == [expected]  # .50 rounds half up to the euro
    assert amounts(pledged) == ["5492943.00"]  # the exact amount stays beside it
    for trace in panel.figure.data:
        assert "%{customdata[1]}" in trace.hovertemplate and "€ %{customdata}" not in trace.hovertemplate
    assert hovers(figures.beneficiary_map([replace_key(splits[0], "SRB")], labels).figure.data[0]) == [
        expected
    ]
    assert whole(Decimal("5492943.00"), labels.lang) == expected  # written without Babel, the same
    layout = panel.figure.layout
    assert layout.separators == (", " if labels.lang == "fr" else ".,")
    axis = layout.xaxis
    assert (axis.tickprefix, axis.ticksuffix) == (("", "\u00a0€") if labels.lang == "fr" else ("€", ""))
    assert axis.tickformat == "~s" and axis.rangemode == "tozero"


def replace_key(split: queries.Split, key: str) -> queries.Split:
    from dataclasses import replace

    return replace(split, key=key)


def beneficiaries(*rows: tuple[str, str]) -> list[queries.Split]:
    return [queries.Split(code, STATE_NAMES.get(code, code), Decimal(p), ZERO) for code, p in rows]


def test_the_map_frames_the_osce_area_with_a_colour_scale_from_zero():
    panel = figures.beneficiary_map(beneficiaries(("SRB", "335200.00"), ("MDA", "1000.00")), EN)
    geo = panel.figure.layout.geo
    west, east = geo.lonaxis.range
    south, north = geo.lataxis.range
    # Lisbon (−9.1°) to Mongolia's east (119.9°), Cyprus (34.6°N) to the Arctic coast of Scandinavia (70°N)
    assert west <= -9.1 and east >= 119.9 and south <= 34.6 and north >= 70
    assert east - west < 180 and north - south < 45  # not the whole world: the Balkans stay readable
    (trace,) = panel.figure.data
    assert (trace.zmin, trace.zmax) == (0, 335200.0) and trace.showscale is True
    assert trace.colorbar.tickprefix == "€" and trace.colorbar.tickformat == "~s"
    # one State: a colour bar from 335.1998k to 335.2004k would compare nothing; it is hidden
    one = figures.beneficiary_map(beneficiaries(("SRB", "335200.00")), EN)
    (single,) = one.figure.data
    assert single.showscale is False and (single.zmin, single.zmax) == (0, 335200.0)
    assert "One State only" in one.note
    # a beneficiary in North America widens the frame to it
    wide = figures.beneficiary_map(beneficiaries(("SRB", "1.00"), ("USA", "1.00")), EN).figure.layout.geo
    assert wide.lonaxis.range[0] <= -125 and wide.lonaxis.range[1] >= 119.9
    assert figures.beneficiary_map([], EN).figure.data[0].showscale is False


def figures_of(session: Any) -> list[tuple[str, figures.Panel]]:
    out = []
    for name in ["funding", "gaps", "progress", "national-processes", "data-quality", "donors"]:
        for panel in build(name, session, ALL).panels:
            if panel.figure is not None:
                out.append((name, panel))
    return out


def test_every_chart_has_one_title_and_its_legend_clear_of_the_axes(db, portfolio):
    with db.session() as session:
        panels = figures_of(session)
    assert len(panels) == 13
    for name, panel in panels:
        layout = panel.figure.layout
        # the page's <h2> is the chart's one title: the figure draws none of its own
        assert layout.title.text is None, (name, panel.id)
        assert panel.title
        # the legend to the right of the plot area (x ≥ 1, anchored on its left), never over a tick label
        assert layout.legend.x >= 1 and layout.legend.xanchor == "left", (name, panel.id)
        assert layout.legend.orientation == "v", (name, panel.id)


def test_money_axes_start_at_zero_and_count_axes_tick_whole_numbers(db, portfolio):
    with db.session() as session:
        panels = {p.id: p for _, p in figures_of(session)}
    for key in ["by-donor", "by-activity", "gaps"]:
        assert panels[key].figure.layout.xaxis.rangemode == "tozero", key
        assert panels[key].figure.layout.xaxis.tickprefix == "€", key
    for key in ["by-beneficiary", "over-time", "by-area", "by-kind", "by-status"]:
        assert panels[key].figure.layout.yaxis.rangemode == "tozero", key
    changes = panels["stage-changes"].figure.layout.yaxis
    assert changes.tickformat == ",d" and changes.dtick >= 1 and changes.dtick == int(changes.dtick)
    assert panels["stage-changes"].figure.layout.xaxis.type == "category"  # years are names, not 2,020.5
    assert panels["timeline"].figure.layout.xaxis.type == "date"


@pytest.mark.parametrize(
    ("largest", "step"), [(0, 1), (1, 1), (5, 1), (7, 2), (12, 2), (30, 5), (45, 10), (400, 100)]
)
def test_a_count_axis_steps_by_a_whole_number(largest, step):
    axis = figures.count_axis("Changes", largest)
    assert axis["dtick"] == step and axis["tickformat"] == ",d" and axis["tick0"] == 0


def test_every_point_that_stands_for_a_project_state_or_donor_links_to_its_page(db, portfolio):
    with db.session() as session:
        panels = {p.id: p for _, p in figures_of(session)}
    project_pages = {f"/projects/{i}" for i in portfolio.ids.values()}
    for key in ["gaps", "timeline", "indicators"]:
        bars = panels[key].figure.data[0]
        assert set(links(bars)) <= project_pages and links(bars), key
        assert panels[key].table.links == links(bars), key
    assert links(panels["map"].figure.data[0]) == panels["map"].table.links
    assert all(u.startswith("/projects?beneficiary=") for u in links(panels["map"].figure.data[0]))
    assert all(u.startswith("/dashboards/donors/") for u in links(panels["by-donor"].figure.data[0]))
    # the kinds (cash, in kind) have no page: no links
    assert set(links(panels["by-kind"].figure.data[0])) == {""} and panels["by-kind"].table.links is None
