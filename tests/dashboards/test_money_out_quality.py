"""The data-quality page's checks of money out, as AMP's performance rules flag activities: a project that
spent more than it received, one holding money with nothing spent for six months, spending dated after a
project's end, and spending far behind the time gone — each listed, in the page's language, and in its CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from tests.days import today
from tests.factories import make_pledge, make_project, move, ok, receive


def spend(client, project_id: int, amount: str, on: str) -> None:
    body = {"project_id": project_id, "spent_on": on, "amount": amount, "currency": "EUR"}
    ok(client.post("/api/v1/expenditures", json=body), 201)


def table(client, name: str, lang: str = "en") -> list[list[str]]:
    response = client.get("/dashboards/data-quality.csv", params={"table": name, "lang": lang})
    return list(csv.reader(io.StringIO(response.text)))[1:]


def test_the_money_out_checks_list_what_needs_a_look(client):
    start = today() - timedelta(days=400)
    end = today() + timedelta(days=400)
    dates = {
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "request_date": (start - timedelta(days=30)).isoformat(),
    }
    over = make_project(client, code="DQ-OVER", **dates)
    idle = make_project(client, code="DQ-IDLE", **dates)
    ended = make_project(
        client, code="DQ-ENDED", start_date="2023-01-01", end_date="2023-12-31", request_date="2022-06-01"
    )
    fine = make_project(client, code="DQ-FINE", **dates)
    for project in (over, idle, fine):
        move(
            client,
            project["id"],
            "assessment",
            "planning",
            "seeking_funding",
            "implementation",
            on=(start + timedelta(days=1)).isoformat(),
        )
    for project, amount in ((over, "1000.00"), (idle, "5000.00"), (ended, "100.00"), (fine, "1000000.00")):
        day = "2022-07-01" if project is ended else start.isoformat()
        pledge = make_pledge(client, project["id"], amount=amount, status="committed", pledged_on=day)
        ok(receive(client, pledge["id"], amount, received_on=(start + timedelta(days=2)).isoformat()), 201)
    spend(client, over["id"], "1500.00", (start + timedelta(days=10)).isoformat())  # more than it received
    spend(client, ended["id"], "40.00", "2024-02-01")  # after its end
    spend(client, ended["id"], "10.00", "2024-03-01")
    spend(client, fine["id"], "500000.00", (today() - timedelta(days=5)).isoformat())  # on time

    assert table(client, "spent_over_received") == [
        ["DQ-OVER", "spent 1500.00 EUR, received 1000.00 EUR", ""]
    ]
    # DQ-OVER spent all it received; DQ-FINE spent lately
    assert [r[0] for r in table(client, "money_idle")] == ["DQ-IDLE"]
    assert table(client, "spending_after_end") == [["DQ-ENDED", "2 expenditures, 50.00 EUR", "2023-12-31"]]
    behind = [r[0] for r in table(client, "delivery_behind")]
    assert "DQ-IDLE" in behind and "DQ-FINE" not in behind  # half its time gone, half its budget spent

    page = client.get("/dashboards/data-quality").text
    assert "Projects that spent more than they received" in page
    assert "spent €1,500.00, received €1,000.00" in page
    french = client.get("/dashboards/data-quality", params={"lang": "fr"}).text
    assert "Dépenses datées après la fin du projet" in french
    assert "2 dépenses, 50,00" in french
