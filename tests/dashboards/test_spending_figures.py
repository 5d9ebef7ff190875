"""Money out on the dashboards: the funding overview's spent, delivery rate, committed and
pledged-not-committed figures, its delivery tables by area, beneficiary State and donor, and the donor's
statement's spent and balance with what its money paid for — on the page, as CSV and in the PDF.

Three projects: a depot (Germany and Norway paid in, the United States only pledged), a marking project
(Germany paid, the United Kingdom paid part, Switzerland withdrew) and a project that spent before any
money arrived. Expenditures on budget lines and on none, in euros and in kroner, shared in proportion and
earmarked by hand, one of them reversed. Every figure is checked to the cent against sums worked out here
over the API's own lists (expenditures with their charges, each project's spending, the pledges and their
receipts), and nothing of another donor's share reaches Germany's statement."""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dashboards.filters import Filters
from dashboards.labels import Labels
from dashboards.pages import build
from portfolio.security import Actor
from tests.factories import make_pledge, make_project, make_rate, ok, receive

D = Decimal
ZERO = D("0.00")
EN = Labels("en")
YEAR_2025 = {"from": "2025-01-01", "to": "2025-12-31"}
FIRST_QUARTER = {"from": "2025-01-01", "to": "2025-03-31"}  # before the reversal of 1 June

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")

# What each project is, as the dashboards' filters see it.
PROJECTS: dict[str, dict[str, Any]] = {
    "depot": {
        "code": "SP-DEPOT",
        "areas": ["SCA"],
        "beneficiaries": ["SRB"],
        "request_date": "2024-01-15",
        "budget_eur": "1000000.00",
    },
    "marking": {
        "code": "SP-MARK",
        "areas": ["SALW", "SCA"],
        "beneficiaries": ["MDA", "BIH"],
        "request_date": "2025-02-01",
        "budget_eur": "200000.00",
    },
    "early": {
        "code": "SP-EARLY",
        "areas": ["SALW"],
        "beneficiaries": ["SRB"],
        "request_date": "2025-03-01",
        "budget_eur": "50000.00",
    },
}


def spend(client: Any, project_id: int, amount: str, spent_on: str, **body: Any) -> dict[str, Any]:
    payload = {"project_id": project_id, "spent_on": spent_on, "amount": amount, "currency": "EUR"} | body
    return ok(client.post("/api/v1/expenditures", json=payload), 201)  # type: ignore[no-any-return]


def budget_line(client: Any, project_id: int, category: str, amount: str) -> dict[str, Any]:
    body = {"category": category, "amount_eur": amount}
    return ok(client.post(f"/api/v1/projects/{project_id}/budget-lines", json=body), 201)  # type: ignore[no-any-return]


@pytest.fixture
def spent(client) -> dict[str, int]:
    """The three projects with their pledges, receipts and expenditures; their ids by name."""
    make_rate(client, "NOK", "2024-03", "0.08000000")
    make_rate(client, "NOK", "2024-05", "0.10000000")
    ids = {key: make_project(client, **spec)["id"] for key, spec in PROJECTS.items()}
    depot, marking, early = ids["depot"], ids["marking"], ids["early"]

    deu = make_pledge(client, depot, donor="DEU", amount="400000.00", status="committed")
    nor = make_pledge(client, depot, donor="NOR", amount="1000003.00", currency="NOK", status="committed")
    make_pledge(client, depot, donor="USA", amount="50000.00")  # announced only: nothing arrived
    ok(receive(client, deu["id"], "300000.00"), 201)
    ok(receive(client, nor["id"], "1000003.00"), 201)  # €100,000.30 at May's rate
    deu_marking = make_pledge(
        client, marking, donor="DEU", amount="20000.00", status="committed", pledged_on="2025-02-10"
    )
    ok(receive(client, deu_marking["id"], "20000.00", "2025-02-20"), 201)  # paid in full
    gbr = make_pledge(client, marking, donor="GBR", amount="60000.00", pledged_on="2025-02-12")
    ok(receive(client, gbr["id"], "12345.67", "2025-02-25"), 201)
    che = make_pledge(client, marking, donor="CHE", amount="5000.00", pledged_on="2025-02-12")
    ok(client.patch(f"/api/v1/pledges/{che['id']}", json={"status": "withdrawn"}))

    equipment = budget_line(client, depot, "equipment", "250000.00")
    travel = budget_line(client, marking, "travel", "10000.00")
    spend(client, depot, "1000.01", "2024-06-10", line_id=equipment["id"])
    spend(client, depot, "5000.00", "2024-05-31", currency="NOK", line_id=equipment["id"])  # €500.00
    spend(client, depot, "40000.00", "2025-03-10")  # on no line: unallocated
    wrong = spend(client, depot, "8000.00", "2025-02-01", reference="FIN-WRONG")
    ok(
        client.post(
            f"/api/v1/expenditures/{wrong['id']}/reversal",
            json={"reason": "Booked twice", "reversed_on": "2025-06-01"},
            headers={"If-Match": f'"{wrong["version"]}"'},
        ),
        201,
    )
    spend(client, marking, "3000.00", "2025-03-15", line_id=travel["id"])  # Germany's and Britain's
    spend(
        client,
        marking,
        "777.77",
        "2025-04-01",
        charges=[{"pledge_id": gbr["id"], "amount_eur": "777.77"}],  # earmarked British money
    )
    spend(client, early, "999.99", "2025-04-02")  # no money yet: no pledge pays for it
    return ids


# -- the API's own lists, and the sums worked out over them ------------------------------------------------


@dataclass
class Ledger:
    """What the API lists, as plain records."""

    ids: dict[str, int]
    expenditures: list[dict[str, Any]]
    pledges: list[dict[str, Any]]
    spending: dict[str, dict[str, Any]]  # project name → GET /projects/{id}/spending
    categories: dict[int, str]  # budget line id → its category

    def selected(self, filters: Filters) -> list[str]:
        keys = []
        for key, spec in PROJECTS.items():
            year = int(spec["request_date"][:4])
            if filters.area and filters.area not in spec["areas"]:
                continue
            if filters.beneficiary and filters.beneficiary not in spec["beneficiaries"]:
                continue
            if (filters.year_from and year < filters.year_from) or (
                filters.year_to and year > filters.year_to
            ):
                continue
            keys.append(key)
        return keys

    def project_of(self, project_id: int) -> str:
        return next(k for k, i in self.ids.items() if i == project_id)


def read_api(client: Any, ids: dict[str, int]) -> Ledger:
    expenditures = ok(client.get("/api/v1/expenditures", params={"limit": 500}))
    assert expenditures["total"] == len(expenditures["items"])
    pledges = ok(client.get("/api/v1/pledges", params={"limit": 500}))
    assert pledges["total"] == len(pledges["items"])
    spending = {k: ok(client.get(f"/api/v1/projects/{i}/spending")) for k, i in ids.items()}
    categories = {}
    for project_id in ids.values():
        for line in ok(client.get(f"/api/v1/projects/{project_id}/budget"))["lines"]:
            if line["id"] is not None:
                categories[line["id"]] = line["category"]
    return Ledger(ids, expenditures["items"], pledges["items"], spending, categories)


def ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if whole == 0 else (part / whole).quantize(D("0.0001"), rounding=ROUND_HALF_UP)


def percent(rate: Decimal | None) -> str:
    """A rate as the CSV writes it: per cent to a tenth."""
    return "" if rate is None else str((rate * 100).quantize(D("0.1"), rounding=ROUND_HALF_UP))


def expected_kpis(api: Ledger, filters: Filters) -> dict[str, Decimal | None]:
    keys = api.selected(filters)
    chosen = {api.ids[k] for k in keys}
    spent = sum((D(e["amount_eur"]) for e in api.expenditures if e["project_id"] in chosen), ZERO)
    # the same over each project's own spending, which counts reversals too
    assert spent == sum((D(api.spending[k]["spent_eur"]) for k in keys), ZERO)
    received = sum((D(api.spending[k]["received_eur"]) for k in keys), ZERO)
    assert received == sum((D(p["received_eur"]) for p in api.pledges if p["project_id"] in chosen), ZERO)
    mine = [p for p in api.pledges if p["project_id"] in chosen]
    return {
        "spent": spent,
        "received": received,
        "delivery-rate": ratio(spent, received),
        "committed": sum((D(p["amount_eur"]) for p in mine if p["status"] in ("committed", "paid")), ZERO),
        "pledged-not-committed": sum((D(p["amount_eur"]) for p in mine if p["status"] == "pledged"), ZERO),
        "pledged": sum((D(p["amount_eur"]) for p in mine if p["status"] != "withdrawn"), ZERO),
    }


def expected_delivery(api: Ledger, filters: Filters, by: str) -> dict[str, tuple[Decimal, Decimal]]:
    """{area or State code: (received, spent)}, a project counting in full for each of its own."""
    out: dict[str, list[Decimal]] = {}
    for key in api.selected(filters):
        for label in PROJECTS[key][by]:
            sums = out.setdefault(label, [ZERO, ZERO])
            sums[0] += D(api.spending[key]["received_eur"])
            sums[1] += D(api.spending[key]["spent_eur"])
    return {k: (r, s) for k, (r, s) in out.items() if r or s}


def expected_by_donor(api: Ledger, filters: Filters) -> dict[str, tuple[Decimal, Decimal]]:
    """{donor: (received on its pledges, charged to them)} over the projects selected."""
    chosen = {api.ids[k] for k in api.selected(filters)}
    out: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for p in api.pledges:
        if p["project_id"] in chosen and D(p["received_eur"]):
            out[p["donor"]][0] += D(p["received_eur"])
    for e in api.expenditures:
        if e["project_id"] in chosen:
            for c in e["charges"]:
                out[c["donor"]][1] += D(c["amount_eur"])
    return {k: (r, s) for k, (r, s) in out.items() if r or s}


# -- reading what a person sees ----------------------------------------------------------------------------


def kpis(page: str) -> dict[str, tuple[str, str, str, str]]:
    """Each headline figure of a dashboard page: its exact value, label, text and definition."""
    found = re.findall(
        r'data-kpi="([^"]+)" data-value="([^"]*)"><div class="kpi-label">(.*?)</div>'
        r'<div class="kpi-value">(.*?)</div><div class="kpi-definition">(.*?)</div>',
        page,
        flags=re.S,
    )
    return {k: (v, html.unescape(lab), html.unescape(t), html.unescape(d)) for k, v, lab, t, d in found}


def statement_kpis(page: str) -> dict[str, Decimal]:
    return {k: D(v) for k, v in re.findall(r'data-kpi="([^"]+)" data-value="([^"]*)"', page)}


def csv_table(client: Any, path: str, **params: str) -> list[dict[str, str]]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def flat(text: str) -> str:
    return " ".join(html.unescape(text).replace("\u202f", " ").replace("\u00a0", " ").split())


def poppler(*command: str) -> str:
    return subprocess.run(list(command), check=True, capture_output=True, text=True).stdout


# -- 1. the funding overview's headline figures ------------------------------------------------------------

FILTERS = [
    ("", Filters()),
    ("?area=SALW", Filters(area="SALW")),
    ("?beneficiary=SRB", Filters(beneficiary="SRB")),
    ("?year_from=2025", Filters(year_from=2025)),
    ("?area=SCA&year_to=2024", Filters(area="SCA", year_to=2024)),
]


def test_the_funding_overview_shows_spent_delivery_and_firm_money_reconciled_with_the_api(client, spent):
    api = read_api(client, spent)
    for query, filters in FILTERS:
        shown = kpis(client.get(f"/dashboards/funding{query}").text)
        expected = expected_kpis(api, filters)
        for key in ("spent", "committed", "pledged-not-committed", "received", "pledged"):
            value = expected[key]
            assert isinstance(value, Decimal)
            assert shown[key][0] == str(value), (query, key)
            assert shown[key][2] == EN.money(value), (query, key)
        rate = expected["delivery-rate"]
        assert shown["delivery-rate"][0] == ("" if rate is None else str(rate)), query
        assert shown["delivery-rate"][2] == EN.percent(rate), query
        # the page's figures agree with one another
        assert D(shown["committed"][0]) + D(shown["pledged-not-committed"][0]) == D(shown["pledged"][0])
        assert ratio(D(shown["spent"][0]), D(shown["received"][0])) == rate
    # worked out by hand too, so that the API's sums above cannot both be wrong:
    # 1000.01 + 500 + 40000 + 8000 − 8000 + 3000 + 777.77 + 999.99
    everything = kpis(client.get("/dashboards/funding").text)
    assert everything["spent"][0] == "46277.77"
    assert everything["received"][0] == "432345.97"  # 300000 + 100000.30 + 20000 + 12345.67
    assert everything["committed"][0] == "500000.24"  # 400000 + 80000.24 (NOK at March's rate) + 20000
    assert everything["pledged-not-committed"][0] == "110000.00"  # the USA's 50000 and the UK's 60000
    assert everything["delivery-rate"][:3] == ("0.1070", "Delivery rate", "10.7%")


def test_each_new_figure_says_what_it_counts_in_every_language(client, spent):
    shown = kpis(client.get("/dashboards/funding").text)
    assert shown["spent"][1] == "Spent (projects of any status)"
    assert "reversals deducted" in shown["spent"][3]
    assert "UN MPTF Office" in shown["delivery-rate"][3] and "Spent ÷ received" in shown["delivery-rate"][3]
    assert "committed or paid" in shown["committed"][3]
    assert "not yet committed" in shown["pledged-not-committed"][3]
    assert "withdrawn pledge is in neither" in shown["pledged-not-committed"][3]
    french = kpis(client.get("/dashboards/funding", params={"lang": "fr"}).text)
    assert french["spent"][1:3] == ("Dépensé (projets de tout statut)", Labels("fr").money(D("46277.77")))
    assert french["delivery-rate"][1:3] == ("Taux d’exécution", "10,7\u00a0%")
    assert french["committed"][1] == "Engagé (projets de tout statut)"
    assert french["pledged-not-committed"][1] == "Annoncé, pas encore engagé"
    russian = kpis(client.get("/dashboards/funding", params={"lang": "ru"}).text)
    assert russian["spent"][1] == "Израсходовано (проекты с любым статусом)"
    assert russian["delivery-rate"][1] == "Уровень освоения средств"
    for key in ("spent", "delivery-rate", "committed", "pledged-not-committed"):
        assert french[key][3] and french[key][3] != shown[key][3], key
        assert russian[key][3] and russian[key][3] != shown[key][3], key


# -- 2. delivery by area, beneficiary State and donor ------------------------------------------------------


def test_delivery_tables_reconcile_with_the_api_under_every_filter(client, spent):
    api = read_api(client, spent)
    names = {"SRB": "Serbia", "MDA": "Moldova", "BIH": "Bosnia and Herzegovina"}
    donors = {"DEU": "Germany", "NOR": "Norway", "GBR": "United Kingdom"}
    for query, filters in FILTERS:
        params = dict(p.split("=") for p in query[1:].split("&")) if query else {}
        areas = csv_table(client, "/dashboards/funding.csv", table="delivery-by-area", **params)
        expected = expected_delivery(api, filters, "areas")
        assert {
            r["Area"]: (r["Received (EUR)"], r["Spent (EUR)"], r["Delivery rate (%)"]) for r in areas
        } == {k: (str(r), str(s), percent(ratio(s, r))) for k, (r, s) in expected.items()}, query
        states = csv_table(client, "/dashboards/funding.csv", table="delivery-by-beneficiary", **params)
        expected = expected_delivery(api, filters, "beneficiaries")
        assert {r["State"]: (r["Received (EUR)"], r["Spent (EUR)"]) for r in states} == {
            names[k]: (str(r), str(s)) for k, (r, s) in expected.items()
        }, query
        by_donor = csv_table(client, "/dashboards/funding.csv", table="delivery-by-donor", **params)
        expected = expected_by_donor(api, filters)
        assert {
            r["Donor"]: (r["Received (EUR)"], r["Spent (EUR)"], r["Delivery rate (%)"]) for r in by_donor
        } == {donors[k]: (str(r), str(s), percent(ratio(s, r))) for k, (r, s) in expected.items()}, query
        # the donors' lines hold every receipt, and every euro spent but what no pledge paid for
        shown = kpis(client.get(f"/dashboards/funding{query}").text)
        chosen = api.selected(filters)
        uncharged = sum((D(api.spending[k]["uncharged_eur"]) for k in chosen), ZERO)
        assert sum((D(r["Received (EUR)"]) for r in by_donor), ZERO) == D(shown["received"][0])
        assert sum((D(r["Spent (EUR)"]) for r in by_donor), ZERO) == D(shown["spent"][0]) - uncharged
    # by hand: the early project's €999.99 was paid by no pledge; the withdrawn Swiss pledge brought nothing
    everything = {
        r["Donor"]: (r["Received (EUR)"], r["Spent (EUR)"])
        for r in csv_table(client, "/dashboards/funding.csv", table="delivery-by-donor")
    }
    assert set(everything) == {"Germany", "Norway", "United Kingdom"}
    assert everything["United Kingdom"][0] == "12345.67"


def test_the_delivery_tables_are_on_the_page_with_their_words(client, spent):
    page = client.get("/dashboards/funding").text
    for panel, title in (
        ("delivery-by-area", "Delivery by area"),
        ("delivery-by-beneficiary", "Delivery by beneficiary State"),
        ("delivery-by-donor", "Delivery by donor"),
    ):
        section = page.split(f'<section class="panel" id="{panel}"')[1].split("</section>")[0]
        assert title in section
        assert '<th scope="col">Delivery rate</th>' in section
        assert f"table={panel}" in section  # its CSV
    donors = page.split('id="delivery-by-donor"')[1].split("</section>")[0]
    assert "Spending no pledge paid for" in html.unescape(donors)
    assert "€12,345.67" in donors  # the United Kingdom's receipts, on the portfolio-wide page


def test_a_donor_account_reads_only_its_own_line_of_delivery_by_donor(client, app, accounts, db, spent):
    german = Actor(accounts["donor"].id, "donor", "DEU")
    staff = Actor(accounts["staff"].id, "staff", None)
    with db.session() as session:
        own = build("funding", session, Filters(), viewer=german)
        every = build("funding", session, Filters(), viewer=staff)
    panel = next(p for p in own.panels if p.id == "delivery-by-donor")
    assert [row[0] for row in panel.table.rows] == ["Germany"]
    assert [row[0] for row in next(p for p in every.panels if p.id == "delivery-by-donor").table.rows] == [
        "Germany",
        "Norway",
        "United Kingdom",
    ]
    # and the pages themselves send a donor's account to its own statement
    with TestClient(app, headers=accounts["donor"].headers) as donor:
        for path in ("/dashboards/funding", "/dashboards/funding.csv?table=delivery-by-donor"):
            response = donor.get(path, follow_redirects=False)
            assert response.status_code == 303 and response.headers["location"] == "/dashboards/donors/DEU"


# -- 3. the donor's statement: spent, balance and what its money paid for ---------------------------------


def germany_expected(api: Ledger, start: date, end: date, client: Any) -> dict[str, Any]:
    """Germany's spent (in the period and to its end), received to its end, balance and what its money paid
    for by project and category, from the API's lists."""
    german = {
        p["id"]: p for p in api.pledges if p["donor"] == "DEU" and date.fromisoformat(p["pledged_on"]) <= end
    }
    received = ZERO
    for pledge_id in german:
        for r in ok(client.get(f"/api/v1/pledges/{pledge_id}/receipts")):
            if date.fromisoformat(r["received_on"]) <= end:
                received += D(r["amount_eur"])
    rows: dict[tuple[str, str], list[Decimal]] = {}
    for e in api.expenditures:
        day = date.fromisoformat(e["spent_on"])
        if day > end:
            continue
        category = api.categories[e["line_id"]] if e["line_id"] is not None else "unallocated"
        code = PROJECTS[api.project_of(e["project_id"])]["code"]
        for c in e["charges"]:
            if c["pledge_id"] in german:
                sums = rows.setdefault((code, category), [ZERO, ZERO])
                sums[1] += D(c["amount_eur"])
                if day >= start:
                    sums[0] += D(c["amount_eur"])
    paid_for = {k: (w, t) for k, (w, t) in rows.items() if w or t}
    spent = sum((t for _, t in paid_for.values()), ZERO)
    return {
        "spent": spent,
        "spent-period": sum((w for w, _ in paid_for.values()), ZERO),
        "received": received,
        "balance": received - spent,
        "paid-for": paid_for,
    }


def other_donors_secrets(api: Ledger) -> list[str]:
    """What only the other donors' money holds, as an English page writes it: their names, and each
    share charged to their pledges, with their total charged and received."""
    secrets = ["United Kingdom", "Norway", "GBR", "NOR", "NOK"]
    charged: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for e in api.expenditures:
        for c in e["charges"]:
            if c["donor"] != "DEU":
                charged[c["donor"]] += D(c["amount_eur"])
                secrets.append(EN.money(abs(D(c["amount_eur"]))))
    for donor, total in charged.items():
        received = sum((D(p["received_eur"]) for p in api.pledges if p["donor"] == donor), ZERO)
        secrets += [EN.money(total), EN.money(received), EN.money(received - total)]
    return secrets


@pytest.mark.parametrize("period", [YEAR_2025, FIRST_QUARTER])
def test_the_donors_statement_shows_its_own_spent_and_balance_reconciled_with_the_api(
    anon, client, accounts, spent, period
):
    api = read_api(client, spent)
    start, end = date.fromisoformat(period["from"]), date.fromisoformat(period["to"])
    expected = germany_expected(api, start, end, client)
    donor = accounts["donor"].headers
    page = anon.get("/dashboards/donors/DEU", params=period, headers=donor)
    assert page.status_code == 200, page.text[:300]
    shown = statement_kpis(page.text)
    for key in ("spent", "spent-period", "received", "balance"):
        assert shown[key] == expected[key], key
    assert shown["balance"] == shown["received"] - shown["spent"]
    paid_for = anon.get("/dashboards/donors/DEU.csv", params=period | {"table": "paid-for"}, headers=donor)
    assert paid_for.status_code == 200, paid_for.text
    rows = list(csv.DictReader(io.StringIO(paid_for.text)))
    assert {
        (r["Project"], r["Budget line category"]): (D(r["Paid in the period (€)"]), D(r["Paid to date (€)"]))
        for r in rows
    } == expected["paid-for"]
    assert sum((D(r["Paid to date (€)"]) for r in rows), ZERO) == shown["spent"]
    text = flat(re.sub(r"<[^>]+>", " ", page.text))  # what the page reads, without its tags
    assert "What its money paid for" in text and "Unallocated" in text
    assert f"Total {EN.money(shown['spent-period'])} {EN.money(shown['spent'])}" in text  # the table's foot
    raw = flat(page.text)  # the page's words and its markup's attributes
    for secret in other_donors_secrets(api):
        assert secret not in raw, secret
        for row in rows:
            assert secret not in row.values(), secret


def test_a_reversal_cancels_from_its_own_day(anon, client, accounts, spent):
    api = read_api(client, spent)
    wrong = next(e for e in api.expenditures if e["reference"] == "FIN-WRONG")
    share = next(D(c["amount_eur"]) for c in wrong["charges"] if c["donor"] == "DEU")
    reversal = next(e for e in api.expenditures if e["reverses_id"] == wrong["id"])
    assert reversal["spent_on"] == "2025-06-01"
    assert next(D(c["amount_eur"]) for c in reversal["charges"] if c["donor"] == "DEU") == -share
    donor = accounts["donor"].headers
    quarter = statement_kpis(anon.get("/dashboards/donors/DEU", params=FIRST_QUARTER, headers=donor).text)
    year = statement_kpis(anon.get("/dashboards/donors/DEU", params=YEAR_2025, headers=donor).text)
    # Germany's share of the €8,000 booked on 1 February counts until its reversal of 1 June; no other
    # German charge falls between April and December
    assert quarter["spent"] == year["spent"] + share
    assert quarter["balance"] == year["balance"] - share


def test_the_statement_by_hand(anon, accounts, spent):
    """Germany's figures worked out by hand, so that the API's sums cannot both be wrong: to the end of
    2025 it paid in 300,000 and 20,000; the depot's 2024 spending (1,000.01 and 500.00) and its 2025
    spending (40,000, and 8,000 less its reversal) are shared with Norway's 100,000.30, three parts in
    four; the marking's 3,000 with the United Kingdom's 12,345.67; the earmarked 777.77 is British only."""
    donor = accounts["donor"].headers
    shown = statement_kpis(anon.get("/dashboards/donors/DEU", params=YEAR_2025, headers=donor).text)
    assert shown["received"] == D("320000.00")
    norway = D("100000.30") / D("400000.30")
    by_hand_2025 = D("40000.00") * (1 - norway) + D("3000.00") * D("20000.00") / D("32345.67")
    assert abs(shown["spent-period"] - by_hand_2025) < D("0.03")
    by_hand = by_hand_2025 + D("1500.01") * (1 - norway)
    assert abs(shown["spent"] - by_hand) < D("0.05")
    assert shown["balance"] == shown["received"] - shown["spent"]


@needs_poppler
def test_the_statement_pdf_holds_its_spent_balance_and_paid_for_and_nothing_of_another_donor(
    anon, client, accounts, spent, tmp_path
):
    api = read_api(client, spent)
    donor = accounts["donor"].headers
    shown = statement_kpis(anon.get("/dashboards/donors/DEU", params=YEAR_2025, headers=donor).text)
    response = anon.get("/dashboards/donors/DEU.pdf", params=YEAR_2025, headers=donor)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    path = tmp_path / "deu.pdf"
    path.write_bytes(response.content)
    text = flat(poppler("pdftotext", str(path), "-"))
    assert "Spent from its money to date" in text and EN.money(shown["spent"]) in text
    assert "Its balance at the period's end" in text and EN.money(shown["balance"]) in text
    assert "What its money paid for" in text and "Unallocated" in text and "SP-DEPOT" in text
    for secret in other_donors_secrets(api):
        assert secret not in text, secret
    french = anon.get("/dashboards/donors/DEU.pdf", params=YEAR_2025 | {"lang": "fr"}, headers=donor)
    path.write_bytes(french.content)
    text = flat(poppler("pdftotext", str(path), "-"))
    assert "Dépensé de son argent à ce jour" in text and "Son solde à la fin de la période" in text
    assert "Ce que son argent a payé" in text and "Non affecté" in text
    assert flat(Labels("fr").money(shown["balance"])) in text
