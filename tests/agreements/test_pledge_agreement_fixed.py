"""Once a contribution agreement is recorded on a pledge, the pledge's donor, currency and project are the
ones the agreement was made with: changing them is refused, through the API and on the pledge page, beside
the field, saying why — so Germany's agreement, its reports and documents never become France's."""

from __future__ import annotations

import pytest

from tests.factories import assert_problem, make_pledge, make_project, make_rate, ok
from tests.pages import error_of, hidden, log_in, token_of


@pytest.fixture
def signed(client):
    make_rate(client, "USD", "2024-03", "0.9")
    project = make_project(client, start_date="2024-03-01")
    pledge = make_pledge(client, project["id"], donor="DEU", amount="250000.00")
    agreement = {"reference": "CA-2024-017", "signed_on": "2024-04-01"}
    ok(client.post(f"/api/v1/pledges/{pledge['id']}/agreement", json=agreement), 201)
    return {"project": project, "pledge": ok(client.get(f"/api/v1/pledges/{pledge['id']}"))}


def _patch(client, pledge_id, body):
    etag = client.get(f"/api/v1/pledges/{pledge_id}").headers["etag"]
    return client.patch(f"/api/v1/pledges/{pledge_id}", json=body, headers={"If-Match": etag})


@pytest.mark.parametrize(("field", "value"), [("donor", "FRA"), ("currency", "USD"), ("project_id", "other")])
def test_the_api_refuses_to_move_a_pledge_from_under_its_agreement(client, signed, field, value):
    pledge = signed["pledge"]
    if value == "other":
        value = make_project(client, code="OTHER-1")["id"]
    problem = assert_problem(_patch(client, pledge["id"], {field: value}), 422, ["body", field])
    assert "CA-2024-017" in problem["errors"][0]["msg"] and "withdraw" in problem["errors"][0]["msg"]
    after = ok(client.get(f"/api/v1/pledges/{pledge['id']}"))
    assert (after["donor"], after["currency"], after["project_id"]) == ("DEU", "EUR", pledge["project_id"])
    assert after["version"] == pledge["version"]  # nothing written


def test_what_the_agreement_does_not_fix_still_changes(client, signed):
    pledge = signed["pledge"]
    ok(_patch(client, pledge["id"], {"note": "Second tranche expected in May", "donor": "DEU"}))
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["note"] == "Second tranche expected in May"


def test_a_pledge_without_an_agreement_may_still_change_donor(client):
    project = make_project(client)
    pledge = make_pledge(client, project["id"], donor="DEU")
    assert ok(_patch(client, pledge["id"], {"donor": "FRA"}))["donor"] == "FRA"


def test_the_pledge_page_says_why_beside_the_donor(client, anon, accounts, signed):
    staff = log_in(anon, "staff")
    pledge = signed["pledge"]
    url = f"/pledges/{pledge['id']}/edit"
    form = staff.get(url)
    data = {
        "donor": "FRA",
        "kind": pledge["kind"],
        "amount": pledge["amount"],
        "currency": pledge["currency"],
        "pledged_on": pledge["pledged_on"],
        "status": pledge["status"],
        "note": "",
        "version": hidden(form, "version"),
        "loaded_at": hidden(form, "loaded_at"),
        "csrf_token": token_of(form),
    }
    page = staff.post(url, data=data, follow_redirects=False)
    assert page.status_code == 422, page.text[:300]
    assert "CA-2024-017" in error_of(page, "donor")
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["donor"] == "DEU"
