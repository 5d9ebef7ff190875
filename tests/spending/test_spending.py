"""Money out through the API: a budget by line and its revisions, expenditures shared among the pledges
that brought the money, corrections and reversals, balances that reconcile to the cent, and what a donor
sees of them."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.days import today
from tests.factories import assert_problem, live_server, make_pledge, make_project, make_rate, ok, receive
from tests.platform.test_concurrency import in_parallel

D = Decimal


@pytest.fixture
def server(app: Any) -> Iterator[str]:
    with live_server(app) as url:
        yield url


def funded(client: TestClient, **project: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A project of €1,000,000 with three pledges that brought in €300,000 (DEU), €100,000 (NOR, in NOK)
    and nothing yet (USA)."""
    made = make_project(client, **project)
    make_rate(client, "NOK", "2024-03", "0.08000000")
    make_rate(client, "NOK", "2024-05", "0.10000000")
    deu = make_pledge(client, made["id"], donor="DEU", amount="400000.00", status="committed")
    nor = make_pledge(
        client, made["id"], donor="NOR", amount="1000000.00", currency="NOK", status="committed"
    )
    usa = make_pledge(client, made["id"], donor="USA", amount="50000.00")
    ok(receive(client, deu["id"], "300000.00"), 201)
    ok(receive(client, nor["id"], "1000000.00"), 201)  # 100,000 euros at May's rate
    return made, [deu, nor, usa]


def spend(client: TestClient, project_id: int, amount: str, **body: Any) -> Any:
    payload = {"project_id": project_id, "spent_on": "2024-06-10", "amount": amount, "currency": "EUR"} | body
    return client.post("/api/v1/expenditures", json=payload)


def line(client: TestClient, project_id: int, **body: Any) -> Any:
    payload = {"category": "equipment", "amount_eur": "250000.00"} | body
    return client.post(f"/api/v1/projects/{project_id}/budget-lines", json=payload)


def budget(client: TestClient, project_id: int) -> dict[str, Any]:
    return ok(client.get(f"/api/v1/projects/{project_id}/budget"))  # type: ignore[no-any-return]


def test_an_existing_budget_reads_as_one_unallocated_line_and_lines_are_taken_from_it(client):
    project = make_project(client)
    before = budget(client, project["id"])
    assert (before["budget_eur"], before["allocated_eur"], before["unallocated_eur"]) == (
        "1000000.00",
        "0.00",
        "1000000.00",
    )
    assert [(x["id"], x["category"], x["amount_eur"]) for x in before["lines"]] == [
        (None, None, "1000000.00")
    ]

    equipment = ok(line(client, project["id"], label="Shears", year=2024), 201)
    assert (equipment["original_eur"], equipment["amount_eur"], equipment["version"]) == (
        "250000.00",
    ) * 2 + (1,)
    after = budget(client, project["id"])
    assert (after["budget_eur"], after["allocated_eur"], after["unallocated_eur"]) == (
        "1000000.00",
        "250000.00",
        "750000.00",
    )
    # more than the unallocated remainder holds is refused, naming the amount; nothing is written
    assert_problem(line(client, project["id"], amount_eur="750000.01"), 422, ["body", "amount_eur"])
    assert len(budget(client, project["id"])["lines"]) == 2
    # unless the project's budget rises with it
    ok(line(client, project["id"], category="travel", amount_eur="100000.00", from_unallocated=False), 201)
    grown = budget(client, project["id"])
    assert (grown["budget_eur"], grown["unallocated_eur"]) == ("1100000.00", "750000.00")
    assert ok(client.get(f"/api/v1/projects/{project['id']}"))["budget_eur"] == "1100000.00"


def test_a_revision_is_dated_says_who_and_why_and_is_audited(client, accounts):
    project = make_project(client)
    made = ok(line(client, project["id"], reason="Approved plan"), 201)
    url = f"/api/v1/budget-lines/{made['id']}"
    assert_problem(
        client.patch(url, json={"amount_eur": "260000.00"}, headers={"If-Match": '"1"'}),
        422,
        ["body", "reason"],
    )
    assert_problem(
        client.patch(url, json={"amount_eur": "1", "reason": "x"}, headers={"If-Match": '"7"'}), 412
    )
    revised = client.patch(
        url, json={"amount_eur": "280000.00", "reason": "Prices rose"}, headers={"If-Match": '"1"'}
    )
    assert ok(revised)["amount_eur"] == "280000.00" and revised.headers["etag"] == '"2"'
    assert ok(revised)["original_eur"] == "250000.00"
    history = ok(client.get(f"{url}/revisions"))
    assert [(r["before_eur"], r["after_eur"], r["reason"], r["user_id"]) for r in history] == [
        ("0.00", "250000.00", "Approved plan", accounts["staff"].id),
        ("250000.00", "280000.00", "Prices rose", accounts["staff"].id),
    ]
    assert all(r["revised_on"] == today().isoformat() for r in history)
    trail = ok(client.get("/api/v1/audit", params={"entity": "budget_line", "entity_id": made["id"]}))[
        "items"
    ]
    assert any(e["changes"].get("amount_eur") == ["250000.00", "280000.00"] for e in trail), trail
    assert budget(client, project["id"])["budget_eur"] == "1000000.00"  # taken from the unallocated remainder


def test_a_project_budget_below_its_lines_is_refused(client):
    project = make_project(client)
    ok(line(client, project["id"], amount_eur="600000.00"), 201)
    url = f"/api/v1/projects/{project['id']}"
    assert_problem(client.patch(url, json={"budget_eur": "599999.99"}), 409, ["body", "budget_eur"])
    assert ok(client.get(url))["budget_eur"] == "1000000.00"
    assert ok(client.patch(url, json={"budget_eur": "600000.00"}))["budget_eur"] == "600000.00"
    assert budget(client, project["id"])["unallocated_eur"] == "0.00"


def test_an_expenditure_is_shared_in_proportion_to_what_each_pledge_brought_in(client):
    project, (_deu, _nor, _usa) = funded(client)
    spent = ok(spend(client, project["id"], "1000.01", description="Shears", reference="FIN-1"), 201)
    shares = {c["donor"]: c["amount_eur"] for c in spent["charges"]}
    assert shares == {"DEU": "750.01", "NOR": "250.00"}  # 3 : 1, to the cent, adding up exactly
    assert spent["uncharged_eur"] == "0.00" and spent["charging"] == "proportional"
    # in another currency, at its month's rate
    in_nok = ok(spend(client, project["id"], "1000.00", currency="NOK", spent_on="2024-05-31"), 201)
    assert (in_nok["eur_per_unit"], in_nok["amount_eur"]) == ("0.10000000", "100.00")
    assert_problem(
        spend(client, project["id"], "10.00", currency="NOK", spent_on="2024-07-01"),
        422,
        ["body", "spent_on"],
    )


def test_no_pledge_pays_more_than_it_brought_in_and_the_rest_is_uncharged(client):
    project, (_deu, _nor, _usa) = funded(client)
    first = ok(spend(client, project["id"], "380000.00"), 201)
    assert {c["donor"]: c["amount_eur"] for c in first["charges"]} == {"DEU": "285000.00", "NOR": "95000.00"}
    second = ok(spend(client, project["id"], "30000.00"), 201)
    # DEU has 15,000 left, NOR 5,000: both are emptied and 10,000 is spent before any money for it arrived
    assert {c["donor"]: c["amount_eur"] for c in second["charges"]} == {"DEU": "15000.00", "NOR": "5000.00"}
    assert second["uncharged_eur"] == "10000.00"
    money = ok(client.get(f"/api/v1/projects/{project['id']}/spending"))
    assert {p["donor"]: p["balance_eur"] for p in money["pledges"]} == {"DEU": "0.00", "NOR": "0.00"}
    assert (money["received_eur"], money["spent_eur"], money["balance_eur"], money["uncharged_eur"]) == (
        "400000.00",
        "410000.00",
        "-10000.00",
        "10000.00",
    )
    assert money["delivery_rate"] == "1.0250" and money["budget_used"] == "0.4100"


def test_earmarked_money_is_charged_by_hand_within_what_a_pledge_has_left(client):
    project, (deu, nor, usa) = funded(client)
    earmarked = ok(
        spend(client, project["id"], "5000.00", charges=[{"pledge_id": nor["id"], "amount_eur": "5000.00"}]),
        201,
    )
    assert [(c["donor"], c["amount_eur"]) for c in earmarked["charges"]] == [("NOR", "5000.00")]
    assert earmarked["charging"] == "manual"
    too_much = spend(
        client, project["id"], "200000.00", charges=[{"pledge_id": nor["id"], "amount_eur": "95000.01"}]
    )
    assert_problem(too_much, 422, ["body", "charges", 0, "amount_eur"])
    no_money = spend(
        client, project["id"], "10.00", charges=[{"pledge_id": usa["id"], "amount_eur": "10.00"}]
    )
    assert_problem(no_money, 422, ["body", "charges", 0, "pledge_id"])
    over = spend(client, project["id"], "10.00", charges=[{"pledge_id": deu["id"], "amount_eur": "10.01"}])
    assert_problem(over, 422, ["body", "charges"])
    assert ok(client.get("/api/v1/expenditures", params={"project_id": project["id"]}))["total"] == 1


def test_a_correction_shares_again_and_a_reversal_negates_and_nothing_is_deleted(client):
    project, _pledges = funded(client)
    made = ok(spend(client, project["id"], "4000.00", reference="FIN-7"), 201)
    url = f"/api/v1/expenditures/{made['id']}"
    fixed = client.patch(url, json={"amount": "8000.00"}, headers={"If-Match": '"1"'})
    assert {c["donor"]: c["amount_eur"] for c in ok(fixed)["charges"]} == {"DEU": "6000.00", "NOR": "2000.00"}
    assert fixed.headers["etag"] == '"2"'
    assert_problem(client.patch(url, json={"amount": "1.00"}, headers={"If-Match": '"1"'}), 412)
    assert_problem(spend(client, project["id"], "1.00", reference="FIN-7"), 409, ["body", "reference"])
    reversal = ok(
        client.post(f"{url}/reversal", json={"reason": "Wrong project"}, headers={"If-Match": '"2"'}), 201
    )
    assert (reversal["amount_eur"], reversal["reverses_id"]) == ("-8000.00", made["id"])
    assert {c["donor"]: c["amount_eur"] for c in reversal["charges"]} == {
        "DEU": "-6000.00",
        "NOR": "-2000.00",
    }
    assert ok(client.get(url))["reversed_by_id"] == reversal["id"]
    assert_problem(client.post(f"{url}/reversal", json={"reason": "again"}), 409)
    assert_problem(client.patch(url, json={"description": "x"}), 409)
    assert client.delete(url).status_code == 405
    money = ok(client.get(f"/api/v1/projects/{project['id']}/spending"))
    assert money["spent_eur"] == "0.00" and money["balance_eur"] == "400000.00"


def test_a_donor_sees_the_spending_of_what_it_funds_and_only_its_own_share(client, app, accounts):
    project, _pledges = funded(client)
    other = make_project(client)
    ok(spend(client, project["id"], "4000.00"), 201)
    ok(spend(client, other["id"], "10.00"), 201)
    with TestClient(app, headers=accounts["donor"].headers) as donor:  # Germany
        listed = ok(donor.get("/api/v1/expenditures"))
        assert listed["total"] == 1
        assert [c["donor"] for c in listed["items"][0]["charges"]] == ["DEU"]
        assert listed["items"][0]["uncharged_eur"] == "0.00"
        money = ok(donor.get(f"/api/v1/projects/{project['id']}/spending"))
        assert [p["donor"] for p in money["pledges"]] == ["DEU"]
        assert_problem(donor.get(f"/api/v1/projects/{other['id']}/spending"), 404)
        assert ok(donor.get("/api/v1/expenditures", params={"project_id": other["id"]}))["total"] == 0
        assert_problem(spend(donor, project["id"], "1.00"), 403)


def test_delivery_figures_reconcile_with_independent_sums_over_the_api(client):
    project, _pledges = funded(client)
    equipment = ok(line(client, project["id"]), 201)
    amounts = ["1234.56", "99.99", "50000.00", "0.01", "77777.77", "310000.00"]
    for i, amount in enumerate(amounts):
        ok(
            spend(
                client,
                project["id"],
                amount,
                line_id=equipment["id"] if i % 2 else None,
                spent_on=f"202{4 + i % 2}-06-0{i + 1}",
            ),
            201,
        )
    items = ok(client.get("/api/v1/expenditures", params={"project_id": project["id"], "limit": 100}))[
        "items"
    ]
    spent = sum(D(e["amount_eur"]) for e in items)
    charged = {}
    for e in items:
        for c in e["charges"]:
            charged[c["pledge_id"]] = charged.get(c["pledge_id"], D(0)) + D(c["amount_eur"])
    money = ok(client.get(f"/api/v1/projects/{project['id']}/spending"))
    assert D(money["spent_eur"]) == spent == sum(D(a) for a in amounts)
    assert D(money["uncharged_eur"]) == spent - sum(charged.values())
    for p in money["pledges"]:
        assert D(p["spent_eur"]) == charged.get(p["pledge_id"], D(0))
        assert D(p["balance_eur"]) == D(p["received_eur"]) - D(p["spent_eur"]) >= 0
    assert sum(D(v) for v in money["by_year"].values()) == spent
    lines = {x["id"]: x for x in budget(client, project["id"])["lines"]}
    assert D(lines[equipment["id"]]["spent_eur"]) == sum(D(a) for i, a in enumerate(amounts) if i % 2)
    assert D(lines[None]["spent_eur"]) == sum(D(a) for i, a in enumerate(amounts) if not i % 2)


@pytest.mark.parametrize("charging", ["proportional", "manual"])
def test_concurrent_expenditures_never_overspend_a_pledge(client, server, accounts, charging):
    headers = accounts["staff"].headers
    project = make_project(client)
    pledge = make_pledge(client, project["id"], amount="1000.00", status="committed")
    ok(receive(client, pledge["id"], "1000.00"), 201)
    by_hand = (
        {"charges": [{"pledge_id": pledge["id"], "amount_eur": "100.00"}]} if charging == "manual" else {}
    )

    def expenditure(i: int) -> httpx.Response:
        body = {"project_id": project["id"], "spent_on": "2024-06-10", "amount": "100.00", "currency": "EUR"}
        return httpx.post(f"{server}/api/v1/expenditures", json=body | by_hand, headers=headers, timeout=60)

    responses = in_parallel(16, expenditure)
    statuses = sorted(r.status_code for r in responses)
    if charging == "manual":
        assert statuses == [201] * 10 + [422] * 6, [r.text for r in responses]
    else:
        assert statuses == [201] * 16, [r.text for r in responses]
    money = ok(client.get(f"/api/v1/projects/{project['id']}/spending"))
    assert money["pledges"] == [
        {
            "pledge_id": pledge["id"],
            "donor": "DEU",
            "received_eur": "1000.00",
            "spent_eur": "1000.00",
            "balance_eur": "0.00",
        }
    ]
    assert money["uncharged_eur"] == ("0.00" if charging == "manual" else "600.00")
