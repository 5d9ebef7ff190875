"""A refusal about one field is shown beside that field on the page, and named in the API's problem
document: a pledge reduced below what was received, its currency changed under receipts, a receipt past
the pledge."""

from __future__ import annotations

import re

from tests.factories import make_pledge, make_project, ok, pledge_body, receive
from tests.pages import log_in


def field_error(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="f-{field}-error">([^<]*)</p>', html)
    return found.group(1) if found else ""


def form_values(html: str) -> dict[str, str]:
    values = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    values |= dict(
        re.findall(r'<select[^>]*name="([^"]+)"[^>]*>.*?<option value="([^"]*)" selected', html, re.S)
    )
    return values


def test_a_pledge_below_what_was_received_is_refused_beside_the_amount(app, client, accounts):
    project = make_project(client)
    pledge = make_pledge(client, project["id"], amount="10000.00", pledged_on="2024-05-01")
    receive(client, pledge["id"], "6000.00", received_on="2024-05-02")

    api = client.patch(f"/api/v1/pledges/{pledge['id']}", json={"amount": "5000.00"})
    assert api.status_code == 409
    assert [e["loc"] for e in api.json()["errors"]] == [["body", "amount"]]

    staff = log_in(app, accounts["staff"].email)
    form = staff.get(f"/pledges/{pledge['id']}/edit").text
    values = form_values(form) | {"amount": "5000.00"}
    refused = staff.post(f"/pledges/{pledge['id']}/edit", data=values)
    assert refused.status_code == 409
    assert "€6,000.00 has already been received" in field_error(refused.text, "amount")
    values = form_values(form) | {"currency": "USD"}
    refused = staff.post(f"/pledges/{pledge['id']}/edit", data=values)
    assert "its currency cannot change" in field_error(refused.text, "currency")


def test_a_receipt_past_the_pledge_is_refused_beside_its_amount_on_the_api_too(client):
    project = make_project(client)
    pledge = make_pledge(client, project["id"], amount="1000.00", pledged_on="2024-05-01")
    api = client.post(
        f"/api/v1/pledges/{pledge['id']}/receipts", json={"amount": "1500.00", "received_on": "2024-05-03"}
    )
    assert api.status_code == 409
    assert [e["loc"] for e in api.json()["errors"]] == [["body", "amount"]]


def test_the_currency_list_offers_money_only_those_in_use_first(app, client, accounts):
    project = make_project(client)
    ok(
        client.post(
            "/api/v1/exchange-rates", json={"currency": "NOK", "month": "2024-05", "eur_per_unit": "0.085"}
        ),
        201,
    )
    make_pledge(client, project["id"], currency="NOK", amount="1000.00", pledged_on="2024-05-01")
    staff = log_in(app, accounts["staff"].email)
    page = staff.get(f"/projects/{project['id']}/pledges/new").text
    select = page.split('name="currency"', 1)[1].split("</select>", 1)[0]
    codes = re.findall(r'<option value="([A-Z]{3})"', select)
    assert codes[:2] == ["EUR", "NOK"] and "USD" in codes and "JPY" in codes
    assert not {"XAU", "XTS", "XXX", "XDR", "CLF"} & set(codes)
    refused = client.post("/api/v1/pledges", json={**pledge_body(project["id"]), "currency": "XAU"})
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["errors"]] == [["body", "currency"]]
