"""A pledge's payment schedule: instalments set whole with If-Match, paid earliest first by the receipts,
overdue read from the day, shown on the home page — a donor sees its own State's only."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.days import today
from tests.factories import assert_problem, make_pledge, make_project, ok, receive
from tests.pages import log_in

SCHEDULE = [
    {"due_on": "2024-04-30", "amount": "40000.00", "note": "On signature"},
    {"due_on": "2024-09-30", "amount": "40000.00"},
]


def schedule(client: TestClient, pledge_id: int, items: list[dict], version: int = 1):
    url = f"/api/v1/pledges/{pledge_id}/instalments"
    return client.put(url, json={"instalments": items}, headers={"If-Match": f'"{version}"'})


def test_receipts_pay_the_earliest_instalment_first_and_the_rest_is_overdue(client):
    pledge = make_pledge(client, make_project(client)["id"], amount="100000.00", status="committed")
    later = (today() + timedelta(days=30)).isoformat()
    set_ = schedule(client, pledge["id"], [*SCHEDULE, {"due_on": later, "amount": "20000.00"}])
    assert set_.headers["etag"] == '"2"'
    ok(receive(client, pledge["id"], "50000.00"), 201)
    rows = ok(client.get(f"/api/v1/pledges/{pledge['id']}/instalments"))
    assert [(r["due_on"], r["received"], r["outstanding"], r["status"]) for r in rows] == [
        ("2024-04-30", "40000.00", "0.00", "received"),
        ("2024-09-30", "10000.00", "30000.00", "overdue"),
        (later, "0.00", "20000.00", "due"),
    ]
    assert rows[0]["note"] == "On signature" and rows[0]["currency"] == "EUR"
    trail = ok(client.get("/api/v1/audit", params={"entity": "pledge", "entity_id": pledge["id"]}))["items"]
    assert any("instalments" in e["changes"] for e in trail)


def test_a_schedule_past_the_pledge_or_before_it_or_on_a_stale_version_is_refused(client):
    pledge = make_pledge(client, make_project(client)["id"], amount="100000.00")
    too_much = [*SCHEDULE, {"due_on": "2025-01-31", "amount": "20000.01"}]
    assert_problem(schedule(client, pledge["id"], too_much), 422, ["body", "instalments"])
    early = [{"due_on": "2024-03-09", "amount": "1.00"}]  # the pledge was made on 10 March 2024
    assert_problem(schedule(client, pledge["id"], early), 422, ["body", "instalments", 0, "due_on"])
    assert_problem(schedule(client, pledge["id"], SCHEDULE, version=5), 412)
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}/instalments")) == []
    ok(schedule(client, pledge["id"], SCHEDULE))
    assert len(ok(client.get(f"/api/v1/pledges/{pledge['id']}/instalments"))) == 2
    ok(schedule(client, pledge["id"], [], version=2))
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}/instalments")) == []


def test_overdue_instalments_are_on_the_home_page_and_a_donor_sees_its_own(app, client, accounts):
    project = make_project(client, code="INST-1")
    german = make_pledge(client, project["id"], donor="DEU", amount="80000.00", status="committed")
    american = make_pledge(client, project["id"], donor="USA", amount="90000.00", currency="EUR")
    ok(schedule(client, german["id"], SCHEDULE))
    ok(schedule(client, american["id"], [{"due_on": "2024-05-31", "amount": "90000.00"}]))
    ok(receive(client, german["id"], "40000.00"), 201)

    staff_page = log_in(app, accounts["staff"]).get("/").text
    assert "Overdue instalments" in staff_page and "INST-1" in staff_page
    assert "Sep 30, 2024" in staff_page and "May 31, 2024" in staff_page
    assert "Apr 30, 2024" not in staff_page  # paid

    donor_page = log_in(app, accounts["donor"]).get("/").text  # Germany
    section = donor_page[donor_page.index("Overdue instalments") :]
    assert "Sep 30, 2024" in section and "May 31, 2024" not in section and "United States" not in section

    french = log_in(app, accounts["staff"]).get("/", params={"lang": "fr"}).text
    assert "Versements en retard" in french
