"""Dates that follow one another stay in order: a project's request, then its pledges, then the money
received against each and the agreement that commits it — on every path (the API, the staff pages, the
spreadsheet import), and when the earlier date is moved later. A national process's stage history keeps
the day a person gives for it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.dashboards.test_period_report import table_values
from tests.factories import (
    assert_problem,
    make_pledge,
    make_project,
    ok,
    receive,
)
from tests.pages import TOKEN, error_of, log_in
from tests.transfer.test_transfer import agreement_sheet, counts, csv_bytes, imported, sheet, upload

HIDDEN = re.compile(r'<input type="hidden" name="(version|loaded_at)" value="([^"]*)"')
PROCESSES = "/api/v1/national-processes"


def refused(response: Any, field: str, words: str) -> dict[str, Any]:
    """A 422 problem whose errors name ``field`` with a message that says ``words``."""
    body = assert_problem(response, 422, ["body", field])
    messages = [e["msg"] for e in body["errors"] if e["loc"] == ["body", field]]
    assert any(words in m for m in messages), messages
    return body


def patch(client: TestClient, url: str, **body: Any) -> Any:
    etag = client.get(url).headers["etag"]
    return client.patch(url, json=body, headers={"If-Match": etag})


# -- the API -------------------------------------------------------------------------------------------


def test_money_is_not_received_before_its_pledge(client):
    project = make_project(client, request_date="2025-10-01")
    pledge = make_pledge(client, project["id"], pledged_on="2025-12-07", amount="1000.00")

    for day in ("2020-06-30", "2025-12-03", "2025-12-06"):
        response = receive(client, pledge["id"], "100.00", received_on=day)
        refused(
            response, "received_on", "A receipt cannot be dated before its pledge (pledged on 2025-12-07)."
        )
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}/receipts")) == []

    ok(receive(client, pledge["id"], "100.00", received_on="2025-12-07"), 201)  # the same day is fine
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["received"] == "100.00"


def test_a_pledge_is_not_made_before_its_projects_request(client):
    project = make_project(client, request_date="2025-06-02")
    body = {"project_id": project["id"], "donor": "DEU", "amount": "5000.00", "currency": "EUR"}

    response = client.post("/api/v1/pledges", json={**body, "pledged_on": "2025-06-01"})
    refused(response, "pledged_on", "requested on 2025-06-02")
    assert ok(client.get("/api/v1/pledges", params={"project_id": project["id"]}))["total"] == 0

    pledge = ok(client.post("/api/v1/pledges", json={**body, "pledged_on": "2025-06-02"}), 201)
    refused(
        patch(client, f"/api/v1/pledges/{pledge['id']}", pledged_on="2025-05-20"), "pledged_on", "2025-06-02"
    )
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["pledged_on"] == "2025-06-02"


def test_an_agreement_is_not_signed_before_its_pledge(client):
    project = make_project(client, request_date="2025-01-15", end_date="2027-12-31")
    pledge = make_pledge(client, project["id"], pledged_on="2025-12-07")
    url = f"/api/v1/pledges/{pledge['id']}/agreement"

    response = client.post(url, json={"reference": "CA-EARLY", "signed_on": "2025-12-06"})
    refused(response, "signed_on", "An agreement cannot be signed before its pledge (pledged on 2025-12-07).")
    assert_problem(client.get(url), 404)
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["status"] == "pledged"

    ok(client.post(url, json={"reference": "CA-UNSIGNED"}), 201)  # not signed yet: nothing to compare
    refused(patch(client, url, signed_on="2025-11-30"), "signed_on", "pledged on 2025-12-07")
    assert ok(client.get(url))["signed_on"] is None
    assert ok(patch(client, url, signed_on="2025-12-07"))["signed_on"] == "2025-12-07"


def test_a_pledge_is_not_moved_after_its_receipts_or_its_agreement(client):
    project = make_project(client, request_date="2025-01-15")
    received = make_pledge(client, project["id"], pledged_on="2025-03-10")
    ok(receive(client, received["id"], "100.00", received_on="2025-05-02"), 201)
    response = patch(client, f"/api/v1/pledges/{received['id']}", pledged_on="2025-05-03")
    refused(response, "pledged_on", "received on 2025-05-02")
    assert ok(patch(client, f"/api/v1/pledges/{received['id']}", pledged_on="2025-05-02"))["pledged_on"] == (
        "2025-05-02"
    )

    signed = make_pledge(client, project["id"], donor="NOR", pledged_on="2025-03-10")
    agreement = {"reference": "CA-NOR", "signed_on": "2025-04-01"}
    ok(client.post(f"/api/v1/pledges/{signed['id']}/agreement", json=agreement), 201)
    refused(
        patch(client, f"/api/v1/pledges/{signed['id']}", pledged_on="2025-04-02"), "pledged_on", "2025-04-01"
    )
    assert ok(client.get(f"/api/v1/pledges/{signed['id']}"))["pledged_on"] == "2025-03-10"


def test_a_request_is_not_moved_after_a_pledge_nor_a_pledge_to_a_later_request(client):
    project = make_project(client, request_date="2025-01-15")
    make_pledge(client, project["id"], pledged_on="2025-03-10")
    make_pledge(client, project["id"], donor="NOR", pledged_on="2025-04-20")
    url = f"/api/v1/projects/{project['id']}"

    refused(patch(client, url, request_date="2025-03-11"), "request_date", "pledged on 2025-03-10")
    assert ok(client.get(url))["request_date"] == "2025-01-15"
    assert ok(patch(client, url, request_date="2025-03-10"))["request_date"] == "2025-03-10"

    later = make_project(client, request_date="2025-06-01")
    pledge = make_pledge(client, project["id"], donor="FRA", pledged_on="2025-05-05")
    moved = patch(client, f"/api/v1/pledges/{pledge['id']}", project_id=later["id"])
    refused(moved, "project_id", "requested on 2025-06-01")
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["project_id"] == project["id"]


def test_a_process_established_on_a_day_records_that_day_in_its_history(client):
    created = ok(
        client.post(
            PROCESSES,
            json={
                "state": "SRB",
                "name": "National SALW Commission",
                "kind": "structure",
                "stage": "established",
                "established_on": "2025-11-15",
            },
        ),
        201,
    )
    history = ok(client.get(f"{PROCESSES}/{created['id']}/history"))
    assert [(h["from"], h["to"], h["on"]) for h in history] == [(None, "established", "2025-11-15")]

    operational = ok(
        client.post(
            PROCESSES,
            json={
                "state": "MDA",
                "name": "Depot inspection unit",
                "kind": "structure",
                "stage": "operational",
                "established_on": "2025-02-03",
            },
        ),
        201,
    )
    history = ok(client.get(f"{PROCESSES}/{operational['id']}/history"))
    assert [(h["to"], h["on"]) for h in history] == [("operational", "2025-02-03")]
    assert [f["due_on"] for f in operational["follow_ups"]] == ["2026-02-03", "2027-02-03"]

    # the period report repeats the day given, not the day it was typed in
    report = client.get("/reports/period?from=2025-11-01&to=2025-11-30").text
    assert ["2025-11-15", "SRB", "National SALW Commission", "structure", "", "established"] in table_values(
        report, "processes"
    )


def test_a_process_leaving_planned_is_moved_on_the_established_on_given(client):
    body = {"state": "BIH", "name": "Weapons registry", "kind": "structure", "stage_changed_on": "2024-01-10"}
    process = ok(client.post(PROCESSES, json=body), 201)
    url = f"{PROCESSES}/{process['id']}"

    updated = ok(patch(client, url, stage="established", established_on="2025-11-15"))
    assert updated["established_on"] == "2025-11-15"
    history = ok(client.get(f"{url}/history"))
    assert [(h["to"], h["on"]) for h in history] == [("planned", "2024-01-10"), ("established", "2025-11-15")]

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    refused(
        client.post(PROCESSES, json={**body, "name": "Other", "established_on": tomorrow}),
        "established_on",
        "",
    )
    early = ok(client.post(PROCESSES, json={**body, "name": "Early"}), 201)
    response = patch(client, f"{PROCESSES}/{early['id']}", stage="established", established_on="2023-12-31")
    refused(response, "established_on", "before the previous stage change on 2024-01-10")


# -- the staff pages -----------------------------------------------------------------------------------


@pytest.fixture
def staff(app: FastAPI, accounts: dict[str, Any]) -> TestClient:
    return log_in(app, "staff")


def send(browser: TestClient, url: str, data: dict[str, Any], form_url: str | None = None) -> Any:
    """Open the form's page, then send it with what the page carries (token, version), as a browser does."""
    page = browser.get(form_url or url)
    assert page.status_code == 200, page.text
    carried = {"csrf_token": TOKEN.findall(page.text)[-1], **dict(HIDDEN.findall(page.text))}
    return browser.post(url, data={**carried, **data}, follow_redirects=False)


def test_the_pages_refuse_dates_out_of_order_beside_the_field(client, staff):
    project = make_project(client, code="WEB-DATES-1", request_date="2025-06-02", end_date="2027-12-31")
    pledge = make_pledge(client, project["id"], pledged_on="2025-12-07", amount="1000.00")

    receipt = send(
        staff, f"/pledges/{pledge['id']}/receipts/new", {"received_on": "2025-12-03", "amount": "10.00"}
    )
    assert receipt.status_code == 422
    assert (
        error_of(receipt, "received_on")
        == "A receipt cannot be dated before its pledge (pledged on Dec 7, 2025)."
    )

    new_pledge = {"donor": "NOR", "kind": "cash", "amount": "500.00", "currency": "EUR", "status": "pledged"}
    response = send(
        staff, f"/projects/{project['id']}/pledges/new", {**new_pledge, "pledged_on": "2025-06-01"}
    )
    assert response.status_code == 422
    assert "requested on Jun 2, 2025" in error_of(response, "pledged_on")

    edit = {**new_pledge, "donor": "DEU", "amount": "1000.00", "pledged_on": "2025-05-01", "note": ""}
    response = send(staff, f"/pledges/{pledge['id']}/edit", edit)
    assert response.status_code == 422
    assert "requested on Jun 2, 2025" in error_of(response, "pledged_on")

    agreement = {
        "reference": "CA-WEB-1",
        "signed_on": "2025-12-01",
        "earmarking": "project",
        "final_after_months": "3",
    }
    response = send(staff, f"/pledges/{pledge['id']}/agreement", agreement)
    assert response.status_code == 422
    assert "pledged on Dec 7, 2025" in error_of(response, "signed_on")
    assert_problem(client.get(f"/api/v1/pledges/{pledge['id']}/agreement"), 404)

    project_edit = {
        "code": "WEB-DATES-1",
        "title": project["title"],
        "areas": ["SCA"],
        "beneficiaries": ["SRB"],
        "request_date": "2025-12-08",
        "budget_eur": "1000000.00",
        "end_date": "2027-12-31",
    }
    response = send(staff, f"/projects/{project['id']}/edit", project_edit)
    assert response.status_code == 422
    assert "pledged on Dec 7, 2025" in error_of(response, "request_date")

    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["received"] == "0.00"
    assert ok(client.get(f"/api/v1/projects/{project['id']}"))["request_date"] == "2025-06-02"


def test_the_process_form_records_the_day_established(client, staff):
    form = {"state": "SRB", "name": "Registry of small arms", "kind": "structure", "areas": ["SALW"]}
    response = send(staff, "/processes/new", {**form, "stage": "established", "established_on": "2025-11-15"})
    assert response.status_code == 303, response.text
    process_id = int(re.search(r"/processes/(\d+)", response.headers["location"]).group(1))  # type: ignore[union-attr]
    history = ok(client.get(f"{PROCESSES}/{process_id}/history"))
    assert [(h["to"], h["on"]) for h in history] == [("established", "2025-11-15")]

    planned = send(
        staff,
        "/processes/new",
        {**form, "name": "Depot SOPs", "stage": "planned", "stage_changed_on": "2025-01-10"},
    )
    planned_id = int(re.search(r"/processes/(\d+)", planned.headers["location"]).group(1))  # type: ignore[union-attr]
    edit = {
        **form,
        "name": "Depot SOPs",
        "stage": "operational",
        "established_on": "2025-10-01",
        "stage_note": "Decree",
    }
    response = send(staff, f"/processes/{planned_id}/edit", edit)
    assert response.status_code == 303, response.text
    history = ok(client.get(f"{PROCESSES}/{planned_id}/history"))
    assert [(h["to"], h["on"]) for h in history] == [("planned", "2025-01-10"), ("operational", "2025-10-01")]
    page = staff.get(f"/processes/{planned_id}").text
    assert '<th scope="row">Oct 1, 2025</th><td>Planned</td><td>Operational</td><td>Decree</td>' in page


# -- the spreadsheet import ----------------------------------------------------------------------------


def test_an_import_names_the_column_of_each_date_out_of_order(client):
    project = make_project(client, code="IMP-DATES-1", request_date="2025-06-02", end_date="2027-12-31")
    make_pledge(client, project["id"], pledged_on="2025-12-07", amount="1000.00")

    pledges = sheet("pledges", ["IMP-DATES-1", "NOR", "cash", "500.00", "EUR", "2025-06-01", "pledged", ""])
    receipts = sheet(
        "receipts", ["IMP-DATES-1", "DEU", "2025-12-07", "EUR", "1000.00", "2025-12-03", "10.00"]
    )
    agreements = agreement_sheet(
        {
            "project_code": "IMP-DATES-1",
            "donor": "DEU",
            "pledged_on": "2025-12-07",
            "pledge_amount": "1000.00",
            "reference": "CA-IMP-1",
            "signed_on": "2025-12-01",
        }
    )
    projects = csv_bytes(
        [
            ["code", "title", "areas", "beneficiaries", "request_date", "budget_eur"],
            ["IMP-DATES-1", project["title"], "SCA", "SRB", "2025-12-08", "1000000.00"],
        ]
    )
    for kind, body, column, words in (
        ("pledges", pledges, "pledged_on", "requested on 2025-06-02"),
        (
            "receipts",
            receipts,
            "received_on",
            "A receipt cannot be dated before its pledge (pledged on 2025-12-07).",
        ),
        ("agreements", agreements, "signed_on", "pledged on 2025-12-07"),
        ("projects", projects, "request_date", "pledged on 2025-12-07"),
    ):
        report = ok(upload(client, kind, body, dry_run=True))
        found = [(p["row"], p["column"]) for p in report["problems"]]
        assert found == [(2, column)], (kind, report["problems"])
        assert words in report["problems"][0]["message"], report["problems"]
        assert_problem(upload(client, kind, body), 422)

    assert ok(client.get("/api/v1/pledges", params={"project_id": project["id"]}))["total"] == 1
    assert ok(client.get(f"/api/v1/projects/{project['id']}"))["request_date"] == "2025-06-02"
    good = sheet("receipts", ["IMP-DATES-1", "DEU", "2025-12-07", "EUR", "1000.00", "2025-12-07", "10.00"])
    assert counts(imported(client, "receipts", good)) == (1, 1, 0, 0)
