"""The Results dashboard: outputs in standard measures that add up across projects, the cost per unit of
output, and the projects under each norm, checked against sums of our own over what the API holds."""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from portfolio.db import Database
from portfolio.projects.models import Indicator
from tests.factories import make_pledge, make_project, ok, receive

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Output:
    measure: str | None
    target: str
    actual: str | None
    women: str | None = None
    men: str | None = None


# project: (code, areas, beneficiaries, end_date, budget, norms, outputs, pledged, received)
PORTFOLIO: list[tuple[Any, ...]] = [
    ("RES-1", ["SALW"], ["SRB"], "2025-06-30", "120000.00", ["doc-salw", "bpg-salw-destruction"],
     [Output("weapons_destroyed", "2000", "1500"), Output("people_trained", "50", "40", "15", "20")],
     "100000.00", "60000.00"),
    ("RES-2", ["SALW", "SCA"], ["MDA", "SRB"], "2026-03-31", "450000.50", ["doc-salw"],
     [Output("weapons_destroyed", "800", "700"), Output("ammunition_destroyed", "300", "120.25")],
     "200000.00", "150000.25"),
    ("RES-3", ["SCA"], ["BIH"], None, "99999.99", [],
     [Output("ammunition_destroyed", "50", "30.5"), Output("depots_upgraded", "2", "0"),
      Output(None, "1000", "999"), Output("people_trained", "10", None)],
     None, None),
]  # fmt: skip


def set_measure(db: Database, indicator_id: int, out: Output) -> None:
    """The standard measure of an indicator (and its women and men), as stored."""
    with db.session(write=True) as session:
        row = session.exec(select(Indicator).where(Indicator.id == indicator_id)).one()
        row.measure = out.measure
        row.actual_women = Decimal(out.women) if out.women else None
        row.actual_men = Decimal(out.men) if out.men else None


@pytest.fixture
def built(client: TestClient, db: Database) -> dict[str, Any]:
    ids: dict[str, int] = {}
    for code, areas, states, end, budget, norms, outputs, pledged, received in PORTFOLIO:
        body: dict[str, Any] = {"areas": areas, "beneficiaries": states, "budget_eur": budget, "norms": norms}
        if end:
            body |= {"start_date": "2024-02-01", "end_date": end}
        project = make_project(client, code=code, **body)
        ids[code] = project["id"]
        for out in outputs:
            made = ok(
                client.post(
                    f"/api/v1/projects/{project['id']}/indicators",
                    json={"name": out.measure or "free", "unit": "x", "target": out.target}
                    | ({"actual": out.actual} if out.actual is not None else {}),
                ),
                201,
            )
            set_measure(db, made["id"], out)
        if pledged:
            pledge = make_pledge(client, project["id"], amount=pledged)
            assert receive(client, pledge["id"], received).status_code == 201
    return ids


def table(client: TestClient, name: str, **params: str) -> list[dict[str, str]]:
    response = client.get("/dashboards/results.csv", params={"table": name, **params})
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def api_view(client: TestClient) -> dict[int, dict[str, Any]]:
    """Each project as the API reads it: budget, funding, norms, areas, States, end date."""
    return {p["id"]: p for p in ok(client.get("/api/v1/projects", params={"limit": 500}))["items"]}


def measured(client: TestClient, projects: dict[int, dict[str, Any]]) -> list[tuple[int, str, Output]]:
    """(project id, its code, output) for every indicator with a standard measure: targets and actuals as
    the API reads them, the measures (and women and men) as we set them."""
    planned = {row[0]: row[6] for row in PORTFOLIO}
    found = []
    for pid, project in projects.items():
        read = ok(client.get(f"/api/v1/projects/{pid}/indicators"))
        for ind, out in zip(read, planned[project["code"]], strict=True):
            if out.measure:
                found.append(
                    (
                        pid,
                        project["code"],
                        Output(out.measure, ind["target"], ind["actual"], out.women, out.men),
                    )
                )
    return found


def test_outputs_add_up_to_our_own_sums_by_measure_area_state_and_year(client, built):
    projects = api_view(client)
    outputs = measured(client, projects)
    target: dict[str, Decimal] = defaultdict(Decimal)
    actual: dict[str, Decimal] = defaultdict(Decimal)
    with_measure: dict[str, set[int]] = defaultdict(set)
    by_state: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    by_area: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    by_year: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for pid, _code, out in outputs:
        got = Decimal(out.actual or 0)
        target[out.measure or ""] += Decimal(out.target)
        actual[out.measure or ""] += got
        with_measure[out.measure or ""].add(pid)
        for state in projects[pid]["beneficiaries"]:
            by_state[(state, out.measure or "")] += got
        for area in projects[pid]["areas"]:
            by_area[(area, out.measure or "")] += got
        # an output counts in the year its actual was recorded (results carry no dates of their own yet):
        # this year, whatever the project's end date
        by_year[(str(date.today().year), out.measure or "")] += got

    rows = {r["Measure"]: r for r in table(client, "results-measures")}
    assert set(rows) == {
        "Weapons destroyed", "People trained", "Ammunition destroyed", "Storage sites upgraded",
    }  # fmt: skip
    codes = {
        "Weapons destroyed": "weapons_destroyed",
        "People trained": "people_trained",
        "Ammunition destroyed": "ammunition_destroyed",
        "Storage sites upgraded": "depots_upgraded",
    }
    for label, code in codes.items():
        assert Decimal(rows[label]["Achieved"]) == actual[code], label
        assert Decimal(rows[label]["Target"]) == target[code], label
        assert int(rows[label]["Projects"]) == len(with_measure[code]), label
    assert (
        Decimal(rows["Weapons destroyed"]["Achieved"]) == 2200
    )  # 1500 + 700; the free indicator is not counted
    assert Decimal(rows["Weapons destroyed"]["% of target (%)"]) == Decimal("78.6")  # 2200 / 2800

    states = {r["State"]: r for r in table(client, "results-by-beneficiary")}
    assert Decimal(states["Serbia"]["Weapons destroyed (weapons)"]) == by_state[("SRB", "weapons_destroyed")]
    assert (
        Decimal(states["Moldova"]["Ammunition destroyed (tonnes)"])
        == by_state[("MDA", "ammunition_destroyed")]
    )
    areas = {r["Area"]: r for r in table(client, "results-by-area")}
    assert Decimal(areas["SCA"]["Ammunition destroyed (tonnes)"]) == by_area[("SCA", "ammunition_destroyed")]
    assert Decimal(areas["SALW"]["Weapons destroyed (weapons)"]) == by_area[("SALW", "weapons_destroyed")]
    years = {r["Year"]: r for r in table(client, "results-by-year")}
    for (year, code), value in by_year.items():
        column = {"weapons_destroyed": "Weapons destroyed (weapons)",
                  "ammunition_destroyed": "Ammunition destroyed (tonnes)",
                  "people_trained": "People trained (people)",
                  "depots_upgraded": "Storage sites upgraded (sites)"}[code]  # fmt: skip
        assert Decimal(years[year][column]) == value, (year, code)
    assert set(years) == {str(date.today().year)}  # not 2025 or 2026, the projects' end years
    assert Decimal(years[str(date.today().year)]["Ammunition destroyed (tonnes)"]) == Decimal("150.75")


def test_people_are_split_into_women_men_and_not_recorded(client, built):
    (row,) = table(client, "results-people")
    assert row["Measure"] == "People trained"
    got = [Decimal(row[k]) for k in ("Women", "Men", "Not recorded", "Total")]
    assert got == [15, 20, 5, 40]


def _per_unit(amount: Decimal, units: Decimal) -> Decimal:
    return (amount / units).quantize(CENT, rounding=ROUND_HALF_UP)


def test_cost_per_unit_to_the_cent_with_the_median_and_range(client, built):
    projects = api_view(client)
    outputs = measured(client, projects)
    expected: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for pid, code, out in outputs:
        units = Decimal(out.actual or 0)
        if units > 0:
            funding = projects[pid]["funding"]
            expected[(out.measure or "", code)] = (
                _per_unit(Decimal(funding["budget_eur"]), units),
                _per_unit(Decimal(funding["received_eur"]), units),
            )
    rows = table(client, "results-cost")
    names = {"Weapons destroyed": "weapons_destroyed", "Ammunition destroyed": "ammunition_destroyed",
             "People trained": "people_trained"}  # fmt: skip
    got = {
        (names[r["Measure"]], r["Project"].split(" — ")[0]): (
            Decimal(r["Budget per unit (EUR)"]),
            Decimal(r["Received per unit (EUR)"]),
        )
        for r in rows
    }
    assert got == expected
    assert got[("weapons_destroyed", "RES-1")] == (Decimal("80.00"), Decimal("40.00"))
    assert got[("weapons_destroyed", "RES-2")] == (Decimal("642.86"), Decimal("214.29"))
    assert ("depots_upgraded", "RES-3") not in got  # nothing achieved: no cost per unit

    spread = {r["Measure"]: r for r in table(client, "results-cost-spread")}
    for label, code in names.items():
        budgets = [b for (m, _), (b, _r) in expected.items() if m == code]
        receipts = [r for (m, _), (_b, r) in expected.items() if m == code]
        row = spread[label]
        assert int(row["Projects"]) == len(budgets)
        median = Decimal(statistics.median(budgets)).quantize(CENT, rounding=ROUND_HALF_UP)
        assert Decimal(row["Budget per unit: Median (EUR)"]) == median, label
        assert Decimal(row["Budget per unit: Lowest (EUR)"]) == min(budgets)
        assert Decimal(row["Budget per unit: Highest (EUR)"]) == max(budgets)
        assert Decimal(row["Received per unit: Median (EUR)"]) == Decimal(
            statistics.median(receipts)
        ).quantize(CENT, rounding=ROUND_HALF_UP)
    assert Decimal(spread["Weapons destroyed"]["Budget per unit: Median (EUR)"]) == Decimal("361.43")


def test_each_norm_counts_its_projects_budget_pledges_and_outputs(client, built):
    projects = api_view(client)
    outputs = measured(client, projects)
    rows = {r["Norm"].split(":")[0]: r for r in table(client, "results-norms")}
    assert len(rows) == 15
    for norm in ("doc-salw", "bpg-salw-destruction", "doc-sca"):
        mine = [p for p in projects.values() if norm in p["norms"]]
        row = rows[norm]
        assert int(row["Projects"]) == len(mine)
        assert Decimal(row["Budget (EUR)"]) == sum((Decimal(p["budget_eur"]) for p in mine), Decimal(0))
        assert Decimal(row["Pledged (EUR)"]) == sum(
            (Decimal(p["funding"]["pledged_eur"]) for p in mine), Decimal(0)
        )
        weapons = sum(
            (Decimal(o.actual or 0) for pid, _c, o in outputs if norm in projects[pid]["norms"]
             and o.measure == "weapons_destroyed"),
            Decimal(0),
        )  # fmt: skip
        assert Decimal(row["Weapons destroyed (weapons)"]) == weapons
    assert Decimal(rows["doc-salw"]["Budget (EUR)"]) == Decimal("570000.50")
    assert int(rows["doc-sca"]["Projects"]) == 0


def test_the_page_filters_links_projects_and_states_and_defines_each_figure(client, built):
    page = client.get("/dashboards/results")
    assert page.status_code == 200
    html = page.text
    for code, pid in built.items():
        if code != "RES-3" or "RES-3" in html:
            assert f'href="/projects/{pid}"' in html, code
    assert 'href="/projects?beneficiary=SRB"' in html
    assert "the whole budget is divided by one output; compare like with like" in html
    assert html.count('class="note"') >= 8  # a definition under each panel's title
    # Filtered to SCA: the SALW-only project's weapons leave the totals.
    rows = {r["Measure"]: r for r in table(client, "results-measures", area="SCA")}
    assert Decimal(rows["Weapons destroyed"]["Achieved"]) == 700
    assert "People trained" in rows and Decimal(rows["People trained"]["Achieved"]) == 0
    french = client.get("/dashboards/results", params={"lang": "fr"}).text
    assert re.search(r"<h1>Résultats</h1>", french)
    assert (
        "Document de l&#39;OSCE sur les armes légères" in french
        or "Document de l'OSCE sur les armes" in french
    )


def test_donors_do_not_see_the_portfolio_wide_results(app, accounts, built):
    with TestClient(app, headers=accounts["donor"].headers) as donor:
        page = donor.get("/dashboards/results", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/dashboards/donors/DEU")
        csv_table = donor.get(
            "/dashboards/results.csv", params={"table": "results-norms"}, follow_redirects=False
        )
        assert csv_table.status_code == 303
