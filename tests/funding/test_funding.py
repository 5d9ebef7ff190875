"""Extra-budgetary pledges, receipts against them, and the monthly exchange rates that value them in euros."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.factories import (
    assert_problem,
    make_pledge,
    make_project,
    make_rate,
    move,
    ok,
    pledge_body,
    receive,
)


def eur(amount: str, rate: str) -> str:
    return str((Decimal(amount) * Decimal(rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


@pytest.fixture
def project(client):
    return make_project(client, budget_eur="500000.00")


# -- pledges -------------------------------------------------------------------------------------


def test_a_euro_pledge(client, project):
    pledge = make_pledge(
        client, project["id"], donor="deu", amount="125000.00", note="Federal Foreign Office"
    )
    assert pledge == pledge | {
        "project_id": project["id"],
        "donor": "DEU",
        "kind": "cash",
        "amount": "125000.00",
        "currency": "EUR",
        "pledged_on": "2024-03-10",
        "status": "pledged",
        "eur_per_unit": "1.00000000",
        "amount_eur": "125000.00",
        "received": "0.00",
        "received_eur": "0.00",
        "outstanding": "125000.00",
        "note": "Federal Foreign Office",
        "version": 1,
    }
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}")) == pledge
    funding = ok(client.get(f"/api/v1/projects/{project['id']}"))["funding"]
    assert (funding["pledged_eur"], funding["gap_eur"], funding["coverage"]) == (
        "125000.00",
        "375000.00",
        "0.2500",
    )


def test_a_foreign_currency_pledge_is_valued_at_its_months_rate_and_frozen(client, project):
    make_rate(client, "USD", "2024-03", "0.91500000")
    make_rate(client, "USD", "2024-04", "0.50000000")
    pledge = make_pledge(
        client, project["id"], donor="USA", currency="usd", amount="200000.00", pledged_on="2024-03-31"
    )
    assert pledge["currency"] == "USD"
    assert pledge["eur_per_unit"] == "0.91500000"
    assert pledge["amount_eur"] == "183000.00"
    # A later month's rate does not touch it; a change of date revalues it at that month's rate.
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["amount_eur"] == "183000.00"
    moved = ok(client.patch(f"/api/v1/pledges/{pledge['id']}", json={"pledged_on": "2024-04-02"}))
    assert moved["amount_eur"] == "100000.00"


def test_partners_for_co_operation_may_pledge(client, project):
    make_rate(client, "JPY", "2024-03", "0.00612345")
    pledge = make_pledge(client, project["id"], donor="JPN", currency="JPY", amount="50000000.00")
    assert pledge["amount_eur"] == eur("50000000.00", "0.00612345")


def test_in_kind_pledges_count_as_pledged(client, project):
    make_pledge(client, project["id"], kind="in_kind", amount="40000.00", note="Two seconded EOD experts")
    assert ok(client.get(f"/api/v1/projects/{project['id']}"))["funding"]["pledged_eur"] == "40000.00"


def test_missing_rate_names_the_currency_and_the_month(client, project):
    body = assert_problem(
        client.post(
            "/api/v1/pledges", json=pledge_body(project["id"], currency="CHF", pledged_on="2025-02-14")
        ),
        422,
        ["body", "currency"],
    )
    assert "CHF" in body["detail"] and "2025-02" in body["detail"]
    assert ok(client.get("/api/v1/pledges"))["total"] == 0


BAD_PLEDGES = [
    pytest.param({"amount": "0"}, ["body", "amount"], id="amount-zero"),
    pytest.param({"amount": "-10.00"}, ["body", "amount"], id="amount-negative"),
    pytest.param({"amount": "10.001"}, ["body", "amount"], id="amount-sub-cent"),
    pytest.param({"amount": 10.5}, ["body", "amount"], id="amount-float"),
    pytest.param({"amount": "Infinity"}, ["body", "amount"], id="amount-infinite"),
    pytest.param({"amount": "1e30"}, ["body", "amount"], id="amount-huge"),
    pytest.param({"currency": "EURO"}, ["body", "currency"], id="currency-long"),
    pytest.param({"currency": "XYZ"}, ["body", "currency"], id="currency-unknown"),
    pytest.param({"donor": "XXX"}, ["body", "donor"], id="donor-unknown"),
    pytest.param({"donor": "GERMANY"}, ["body", "donor"], id="donor-name"),
    pytest.param({"project_id": 98765}, ["body", "project_id"], id="project-unknown"),
    pytest.param({"kind": "loan"}, ["body", "kind"], id="kind-unknown"),
    pytest.param({"status": "paid"}, ["body", "status"], id="status-paid"),
    pytest.param({"status": "withdrawn"}, ["body", "status"], id="status-withdrawn"),
    pytest.param({"pledged_on": "10/03/2024"}, ["body", "pledged_on"], id="date-format"),
    pytest.param({"amount_eur": "5.00"}, ["body", "amount_eur"], id="amount-eur-read-only"),
]


@pytest.mark.parametrize(("change", "loc"), BAD_PLEDGES)
def test_bad_pledge_input_is_a_422_naming_the_field(client, project, change, loc):
    body = pledge_body(project["id"]) | change
    assert_problem(client.post("/api/v1/pledges", json=body), 422, loc)
    assert ok(client.get("/api/v1/pledges"))["total"] == 0


def test_a_cancelled_project_takes_no_pledges(client, project):
    move(client, project["id"], "cancelled")
    assert_problem(client.post("/api/v1/pledges", json=pledge_body(project["id"])), 409)


def test_withdrawn_pledges_are_not_counted(client, project):
    kept = make_pledge(client, project["id"], amount="100000.00")
    gone = make_pledge(client, project["id"], amount="50000.00", donor="NLD")
    withdrawn = ok(client.patch(f"/api/v1/pledges/{gone['id']}", json={"status": "withdrawn"}))
    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["outstanding"] == "0.00"
    assert withdrawn["version"] == gone["version"] + 1
    funding = ok(client.get(f"/api/v1/projects/{project['id']}"))["funding"]
    assert funding["pledged_eur"] == kept["amount_eur"]


def test_pledge_list_filters(client):
    project = make_project(client, request_date="2023-05-02")
    other = make_project(client, request_date="2022-11-21")
    make_rate(client, "USD", "2023-06", "0.92")
    make_pledge(client, project["id"], donor="DEU", pledged_on="2024-03-01")
    make_pledge(
        client, project["id"], donor="USA", currency="USD", pledged_on="2023-06-01", status="committed"
    )
    make_pledge(client, other["id"], donor="DEU", pledged_on="2023-01-05")

    def donors(**params):
        page = ok(client.get("/api/v1/pledges", params=params))
        assert page["total"] == len(page["items"])
        return sorted((p["donor"], p["pledged_on"]) for p in page["items"])

    assert donors(donor="DEU") == [("DEU", "2023-01-05"), ("DEU", "2024-03-01")]
    assert donors(project_id=other["id"]) == [("DEU", "2023-01-05")]
    assert donors(status="committed") == [("USA", "2023-06-01")]
    assert donors(currency="USD") == [("USA", "2023-06-01")]
    assert donors(year=2023) == [("DEU", "2023-01-05"), ("USA", "2023-06-01")]
    page = ok(client.get("/api/v1/pledges", params={"limit": 1}))
    assert (page["total"], len(page["items"])) == (3, 1)


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"currency": "EU"}, ["query", "currency"]),
        ({"status": "gone"}, ["query", "status"]),
        ({"year": "last"}, ["query", "year"]),
        ({"limit": 1000}, ["query", "limit"]),
    ],
)
def test_bad_pledge_filters_are_422(client, params, loc):
    assert_problem(client.get("/api/v1/pledges", params=params), 422, loc)


def test_patch_refuses_nulls_and_unknown_donors_and_changes_nothing(client, project):
    pledge = make_pledge(client, project["id"])
    assert_problem(
        client.patch(f"/api/v1/pledges/{pledge['id']}", json={"amount": None}), 422, ["body", "amount"]
    )
    assert_problem(
        client.patch(f"/api/v1/pledges/{pledge['id']}", json={"donor": "ZZZ"}), 422, ["body", "donor"]
    )
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}")) == pledge


def test_a_failed_patch_is_rolled_back_whole(client, project):
    make_rate(client, "USD", "2024-03", "0.9")
    pledge = make_pledge(client, project["id"], currency="USD", amount="1000.00", pledged_on="2024-03-05")
    # The note and date are applied before the missing May rate is discovered: none of it may stay.
    response = client.patch(
        f"/api/v1/pledges/{pledge['id']}", json={"note": "moved", "pledged_on": "2024-05-01"}
    )
    assert "2024-05" in assert_problem(response, 422, ["body", "currency"])["detail"]
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}")) == pledge


def test_delete_a_pledge_without_receipts(client, project):
    pledge = make_pledge(client, project["id"])
    assert client.delete(f"/api/v1/pledges/{pledge['id']}").status_code == 204
    assert_problem(client.get(f"/api/v1/pledges/{pledge['id']}"), 404)


def test_unknown_pledge_is_404(client):
    assert_problem(client.get("/api/v1/pledges/777"), 404)
    assert_problem(client.patch("/api/v1/pledges/777", json={"note": "x"}), 404)
    assert_problem(client.delete("/api/v1/pledges/777"), 404)
    assert_problem(receive(client, 777, "1.00"), 404)
    assert_problem(client.get("/api/v1/pledges/777/receipts"), 404)


# -- receipts ------------------------------------------------------------------------------------


def test_receipts_in_the_pledge_currency_at_their_months_rate(client, project):
    make_rate(client, "GBP", "2024-03", "1.15")
    make_rate(client, "GBP", "2024-06", "1.18")
    pledge = make_pledge(client, project["id"], donor="GBR", currency="GBP", amount="10000.00")
    receipt = ok(receive(client, pledge["id"], "4000.00", "2024-06-20"), 201)
    assert receipt == receipt | {
        "amount": "4000.00",
        "currency": "GBP",
        "received_on": "2024-06-20",
        "eur_per_unit": "1.18000000",
        "amount_eur": "4720.00",
    }
    after = ok(client.get(f"/api/v1/pledges/{pledge['id']}"))
    assert (after["received"], after["received_eur"], after["outstanding"]) == (
        "4000.00",
        "4720.00",
        "6000.00",
    )
    assert after["status"] == "pledged"
    funding = ok(client.get(f"/api/v1/projects/{project['id']}"))["funding"]
    assert (funding["pledged_eur"], funding["received_eur"]) == ("11500.00", "4720.00")
    assert [r["id"] for r in ok(client.get(f"/api/v1/pledges/{pledge['id']}/receipts"))] == [receipt["id"]]


def test_a_pledge_turns_paid_when_receipts_reach_it(client, project):
    pledge = make_pledge(client, project["id"], amount="1000.00", status="committed")
    ok(receive(client, pledge["id"], "999.99"), 201)
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["status"] == "committed"
    ok(receive(client, pledge["id"], "0.01"), 201)
    paid = ok(client.get(f"/api/v1/pledges/{pledge['id']}"))
    assert (paid["status"], paid["outstanding"]) == ("paid", "0.00")
    # Raising the amount later reopens it.
    reopened = ok(client.patch(f"/api/v1/pledges/{pledge['id']}", json={"amount": "1500.00"}))
    assert (reopened["status"], reopened["outstanding"]) == ("committed", "500.00")


def test_receipts_never_add_up_past_the_pledge(client, project):
    pledge = make_pledge(client, project["id"], amount="1000.00")
    ok(receive(client, pledge["id"], "600.00"), 201)
    body = assert_problem(receive(client, pledge["id"], "400.01"), 409)
    assert "400.00" in body["detail"]  # what is still outstanding
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["received"] == "600.00"
    assert len(ok(client.get(f"/api/v1/pledges/{pledge['id']}/receipts"))) == 1


def test_amount_cannot_drop_below_what_was_received(client, project):
    pledge = make_pledge(client, project["id"], amount="1000.00")
    ok(receive(client, pledge["id"], "600.00"), 201)
    assert_problem(client.patch(f"/api/v1/pledges/{pledge['id']}", json={"amount": "599.99"}), 409)
    lowered = ok(client.patch(f"/api/v1/pledges/{pledge['id']}", json={"amount": "600.00"}))
    assert lowered["status"] == "paid"


def test_a_withdrawn_pledge_takes_no_receipts(client, project):
    pledge = make_pledge(client, project["id"])
    ok(client.patch(f"/api/v1/pledges/{pledge['id']}", json={"status": "withdrawn"}))
    assert_problem(receive(client, pledge["id"], "1.00"), 409)


def test_a_pledge_with_receipts_cannot_be_withdrawn_deleted_or_change_currency(client, project):
    make_rate(client, "USD", "2024-03", "0.9")
    pledge = make_pledge(client, project["id"])
    ok(receive(client, pledge["id"], "1.00"), 201)
    assert_problem(client.patch(f"/api/v1/pledges/{pledge['id']}", json={"status": "withdrawn"}), 409)
    assert_problem(client.patch(f"/api/v1/pledges/{pledge['id']}", json={"currency": "USD"}), 409)
    assert_problem(client.delete(f"/api/v1/pledges/{pledge['id']}"), 409)


def test_paid_cannot_be_set_by_hand(client, project):
    pledge = make_pledge(client, project["id"])
    assert_problem(
        client.patch(f"/api/v1/pledges/{pledge['id']}", json={"status": "paid"}), 422, ["body", "status"]
    )


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"amount": "0.00", "received_on": "2024-04-01"}, ["body", "amount"]),
        ({"amount": "-1", "received_on": "2024-04-01"}, ["body", "amount"]),
        ({"amount": "1.00"}, ["body", "received_on"]),
        ({"amount": "1.00", "received_on": "tomorrow"}, ["body", "received_on"]),  # resolved when run
        ({"amount": "1.00", "received_on": "2024-04-01", "currency": "USD"}, ["body", "currency"]),
    ],
)
def test_bad_receipts_are_422(client, project, body, loc):
    if body.get("received_on") == "tomorrow":
        body = {**body, "received_on": (date.today() + timedelta(days=1)).isoformat()}
    pledge = make_pledge(client, project["id"])
    assert_problem(client.post(f"/api/v1/pledges/{pledge['id']}/receipts", json=body), 422, loc)
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["received"] == "0.00"


def test_a_receipt_in_a_month_without_rate_names_currency_and_month(client, project):
    make_rate(client, "CHF", "2024-03", "1.02")
    pledge = make_pledge(client, project["id"], donor="CHE", currency="CHF", amount="100.00")
    body = assert_problem(receive(client, pledge["id"], "50.00", "2024-09-09"), 422, ["body", "received_on"])
    assert "CHF" in body["detail"] and "2024-09" in body["detail"]


# -- exchange rates ------------------------------------------------------------------------------


def test_rates_are_recorded_and_listed(client):
    make_rate(client, "USD", "2024-01", "0.92")
    make_rate(client, "USD", "2024-02", "0.93")
    make_rate(client, "NOK", "2024-01", "0.0874")
    page = ok(client.get("/api/v1/exchange-rates"))
    assert page["total"] == 3
    assert [(r["currency"], r["month"], r["eur_per_unit"]) for r in page["items"]] == [
        ("NOK", "2024-01", "0.08740000"),
        ("USD", "2024-02", "0.93000000"),
        ("USD", "2024-01", "0.92000000"),
    ]
    usd = ok(client.get("/api/v1/exchange-rates", params={"currency": "USD", "from": "2024-02"}))
    assert [r["month"] for r in usd["items"]] == ["2024-02"]


def test_a_second_rate_for_the_same_month_is_a_409(client):
    make_rate(client, "SEK", "2024-01", "0.088")
    body = assert_problem(
        client.post(
            "/api/v1/exchange-rates", json={"currency": "SEK", "month": "2024-01", "eur_per_unit": "0.09"}
        ),
        409,
    )
    assert "0.08800000" in body["detail"]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"currency": "EUR"}, ["body", "currency"]),
        ({"currency": "ABC"}, ["body", "currency"]),
        ({"month": "2024-13"}, ["body", "month"]),
        ({"month": "2024-1"}, ["body", "month"]),
        ({"month": "March"}, ["body", "month"]),
        ({"eur_per_unit": "0"}, ["body", "eur_per_unit"]),
        ({"eur_per_unit": "-0.5"}, ["body", "eur_per_unit"]),
        ({"eur_per_unit": "0.123456789"}, ["body", "eur_per_unit"]),
        ({"eur_per_unit": 0.9}, ["body", "eur_per_unit"]),
    ],
)
def test_bad_rates_are_422(client, change, loc):
    body = {"currency": "USD", "month": "2024-01", "eur_per_unit": "0.92"} | change
    assert_problem(client.post("/api/v1/exchange-rates", json=body), 422, loc)
    assert ok(client.get("/api/v1/exchange-rates"))["total"] == 0


def test_received_above_pledged_in_euros_is_explained_as_a_rate_effect(client):
    """A USD pledge frozen at 0.90, received in full, three fifths of it when the dollar stood at 0.92:
    600 EUR more received than pledged, all of it the rates' doing."""
    project = make_project(client)
    make_rate(client, "USD", "2024-03", "0.90")
    make_rate(client, "USD", "2024-06", "0.92")
    pledge = make_pledge(client, project["id"], donor="CAN", amount="50000.00", currency="USD")
    assert pledge["fx_difference_eur"] == "0.00"
    ok(receive(client, pledge["id"], "20000.00", "2024-03-20"), 201)
    ok(receive(client, pledge["id"], "30000.00", "2024-06-10"), 201)
    paid = ok(client.get(f"/api/v1/pledges/{pledge['id']}"))
    assert (paid["amount_eur"], paid["received_eur"]) == ("45000.00", "45600.00")
    assert paid["fx_difference_eur"] == "600.00"
    assert Decimal(paid["received_eur"]) - Decimal(paid["fx_difference_eur"]) == Decimal(paid["amount_eur"])
    euro = make_pledge(client, project["id"], donor="DEU", amount="1000.00")
    ok(receive(client, euro["id"], "400.00"), 201)
    assert ok(client.get(f"/api/v1/pledges/{euro['id']}"))["fx_difference_eur"] == "0.00"
