"""A request for assistance has no budget yet: it is saved without one, on the page, through the API and
from a spreadsheet; from planning on a project has one, and the figures count a request without a budget
in no budget, gap or coverage."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories import assert_problem, make_pledge, make_project, move, ok, project_body
from tests.pages import log_in, text_of
from tests.projects.test_web_project_forms import NEW, created_id, form_of, submit
from tests.transfer.test_web_imports import check, problem_rows


def without_budget(**overrides: Any) -> dict[str, Any]:
    body = project_body(**overrides)
    del body["budget_eur"]
    return body


def test_a_request_is_saved_without_a_budget_and_has_no_gap(client):
    request = ok(client.post("/api/v1/projects", json=without_budget()), 201)
    assert request["budget_eur"] is None and request["status"] == "requested"
    assert request["funding"] | {"pledged_eur": "0.00"} == {
        "budget_eur": None,
        "pledged_eur": "0.00",
        "received_eur": "0.00",
        "gap_eur": None,
        "coverage": None,
    }
    move(client, request["id"], "assessment")  # an assessment needs none either


def test_moving_to_planning_without_a_budget_is_refused_beside_the_budget(client):
    request = ok(client.post("/api/v1/projects", json=without_budget()), 201)
    move(client, request["id"], "assessment")
    refused = assert_problem(
        client.post(f"/api/v1/projects/{request['id']}/transitions", json={"to": "planning"}),
        409,
        ["body", "budget_eur"],
    )
    assert "has no budget yet" in refused["detail"]
    assert ok(client.get(f"/api/v1/projects/{request['id']}"))["status"] == "assessment"
    ok(client.patch(f"/api/v1/projects/{request['id']}", json={"budget_eur": "250000.00"}))
    move(client, request["id"], "planning")
    # once planned, the budget stays: emptying it is refused beside it
    assert_problem(
        client.patch(f"/api/v1/projects/{request['id']}", json={"budget_eur": None}),
        422,
        ["body", "budget_eur"],
    )
    assert ok(client.get(f"/api/v1/projects/{request['id']}"))["budget_eur"] == "250000.00"


def test_a_request_may_have_its_budget_emptied_again(client):
    project = make_project(client)
    emptied = ok(client.patch(f"/api/v1/projects/{project['id']}", json={"budget_eur": None}))
    assert emptied["budget_eur"] is None and emptied["funding"]["gap_eur"] is None


def test_the_figures_count_a_request_without_a_budget_in_no_budget_gap_or_coverage(client):
    planned = make_project(client, budget_eur="100000.00")
    move(client, planned["id"], "assessment", "planning", "seeking_funding")
    make_pledge(client, planned["id"], amount="40000.00", currency="EUR")
    request = ok(client.post("/api/v1/projects", json=without_budget(code="REQ-NO-BUDGET")), 201)
    make_pledge(client, request["id"], amount="5000.00", currency="EUR")
    projects = ok(client.get("/api/v1/projects", params={"funding": "underfunded"}))["items"]
    assert [p["code"] for p in projects] == [planned["code"]]  # unknown is not underfunded
    listed = ok(client.get("/api/v1/projects", params={"sort": "-budget_eur"}))["items"]
    assert [p["code"] for p in listed] == [planned["code"], "REQ-NO-BUDGET"]  # no budget: last


def test_the_funding_overview_counts_only_budgeted_projects_in_its_coverage(app, client, accounts):
    planned = make_project(client, budget_eur="100000.00")
    move(client, planned["id"], "assessment", "planning", "seeking_funding")
    make_pledge(client, planned["id"], amount="40000.00", currency="EUR")
    request = ok(client.post("/api/v1/projects", json=without_budget(code="REQ-NO-BUDGET")), 201)
    make_pledge(client, request["id"], amount="5000.00", currency="EUR")
    manager = log_in(app, accounts["manager"].email)
    page = text_of(manager.get("/dashboards/funding").text)
    # budget €100,000 of the budgeted open project; coverage 40 % (its €40,000), not 45 %
    assert "€100,000.00" in page and "40.0%" in page and "45.0%" not in page, page


def test_a_spreadsheet_request_without_a_budget_is_taken_a_planned_one_is_refused(app, accounts):
    staff = log_in(app, accounts["staff"].email)
    header = "code,title,areas,beneficiaries,request_date,budget_eur,status\n"
    rows = "REQ-1,Marking,SALW,SRB,2025-01-10,,requested\nPLAN-1,Fencing,SCA,SRB,2025-01-10,,planning\n"
    report = check(staff, (header + rows).encode())
    problems = problem_rows(report.text)
    assert len(problems) == 1, problems  # the request is fine; the planned project lacks its budget
    assert "3" in problems[0] and "budget_eur" in problems[0], problems
    assert any("needs a budget" in cell for cell in problems[0]), problems


def test_a_new_request_is_saved_from_the_page_without_a_budget(app, accounts, client):
    staff = log_in(app, accounts["staff"].email)
    page = staff.get("/projects/new")
    assert 'id="f-budget_eur"' in page.text and "needed from planning on" in text_of(page.text)
    project_id = created_id(submit(staff, "/projects/new", {**NEW, "budget_eur": ""}))
    assert ok(client.get(f"/api/v1/projects/{project_id}"))["budget_eur"] is None
    shown = text_of(staff.get(f"/projects/{project_id}").text)
    assert "Budget –" in shown


def test_the_move_to_planning_page_asks_for_the_budget_first_in_the_pages_language(
    app, accounts, client: TestClient
):
    request = ok(client.post("/api/v1/projects", json=without_budget()), 201)
    move(client, request["id"], "assessment")
    staff = log_in(app, accounts["staff"].email)
    url = f"/projects/{request['id']}/transition"
    page = staff.get(url, params={"to": "planning"})
    assert "This project has no budget yet." in text_of(page.text)
    assert f'href="/projects/{request["id"]}/edit#f-budget_eur"' in page.text
    assert "Move to" not in text_of(page.text)  # no button that can only be refused
    french = text_of(staff.get(url, params={"to": "planning", "lang": "fr"}).text)
    assert "Ce projet n’a pas encore de budget." in french
    # a forged post is refused the same way, and the project stays where it was
    forged = staff.post(url, data={**form_of(staff.get(url, params={"to": "cancelled"})), "to": "planning"})
    assert forged.status_code == 409 and "This project has no budget yet." in text_of(forged.text)
    assert ok(client.get(f"/api/v1/projects/{request['id']}"))["status"] == "assessment"
