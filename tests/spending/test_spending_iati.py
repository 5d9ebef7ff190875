"""Money out in the IATI file: budgets by year from the budget lines (original, and revised where a line
was), and expenditures as transactions of type 4, a reversal negative — valid against the IATI schema."""

from __future__ import annotations

from decimal import Decimal

from tests.factories import make_pledge, ok, receive
from tests.transfer.test_iati import activity, export, make_project, transactions


def budgets(element) -> list[tuple[str, str, str, str]]:
    return [
        (
            b.get("type"),
            b.find("period-start").get("iso-date"),
            b.find("period-end").get("iso-date"),
            b.findtext("value"),
        )
        for b in element.findall("budget")
    ]


def test_yearly_lines_are_the_yearly_budgets_original_and_revised(client, db, settings):
    project = make_project(client, start_date="2024-03-01", end_date="2025-06-30", budget_eur="300000.00")
    url = f"/api/v1/projects/{project['id']}/budget-lines"
    first = ok(client.post(url, json={"category": "equipment", "year": 2024, "amount_eur": "200000.00"}), 201)
    ok(client.post(url, json={"category": "travel", "year": 2025, "amount_eur": "100000.00"}), 201)
    revision = {"amount_eur": "150000.00", "reason": "Fewer sites", "from_unallocated": False}
    ok(client.patch(f"/api/v1/budget-lines/{first['id']}", json=revision))

    published = activity(export(db, settings), project["code"])
    assert budgets(published) == [
        ("1", "2024-03-01", "2024-12-31", "200000.00"),
        ("2", "2024-03-01", "2024-12-31", "150000.00"),
        ("1", "2025-01-01", "2025-06-30", "100000.00"),
    ]


def test_a_budget_not_wholly_in_yearly_lines_is_spread_over_the_years_as_before(client, db, settings):
    project = make_project(client, start_date="2024-01-01", end_date="2025-12-31", budget_eur="200000.00")
    ok(
        client.post(
            f"/api/v1/projects/{project['id']}/budget-lines",
            json={"category": "staff", "year": 2024, "amount_eur": "50000.00"},
        ),
        201,
    )
    published = budgets(activity(export(db, settings), project["code"]))
    assert [b[0] for b in published] == ["1", "1"]
    assert sum(Decimal(b[3]) for b in published) == Decimal("200000")


def test_expenditures_are_published_as_type_4_with_their_category_and_a_reversal_negative(
    client, db, settings
):
    project = make_project(client, start_date="2024-01-01", end_date="2025-12-31")
    pledge = make_pledge(client, project["id"], status="committed")
    ok(receive(client, pledge["id"], "100000.00"), 201)
    line = ok(
        client.post(
            f"/api/v1/projects/{project['id']}/budget-lines",
            json={"category": "equipment", "amount_eur": "1000.00"},
        ),
        201,
    )
    body = {"project_id": project["id"], "spent_on": "2024-06-10", "currency": "EUR"}
    spent = ok(
        client.post(
            "/api/v1/expenditures",
            json=body | {"amount": "750.00", "line_id": line["id"], "description": "Invoice 4471, Acme Ltd"},
        ),
        201,
    )
    ok(client.post("/api/v1/expenditures", json=body | {"amount": "20.00"}), 201)
    ok(
        client.post(
            f"/api/v1/expenditures/{spent['id']}/reversal",
            json={"reason": "Wrong project", "reversed_on": "2024-07-01"},
        ),
        201,
    )

    published = activity(export(db, settings), project["code"])
    out = transactions(published, "4")
    assert [(t["date"], t["value"]) for t in out] == [
        ("2024-06-10", "750.00"),
        ("2024-06-10", "20.00"),
        ("2024-07-01", "-750.00"),
    ]
    narratives = [
        t.findtext("description/narrative")
        for t in published.findall("transaction")
        if t.find("transaction-type").get("code") == "4"
    ]
    assert narratives == ["Equipment and supplies", "Unallocated", "Equipment and supplies (reversal)"]
    assert b"Acme" not in etree_bytes(published)  # what the finance system says of a purchase stays inside


def etree_bytes(element) -> bytes:
    from lxml import etree

    return bytes(etree.tostring(element))
