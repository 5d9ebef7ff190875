"""Values at the edges get a clear 4xx, never a 500 — found by a review that tried to break the API."""

import pytest

from tests.factories import assert_problem, make_pledge, make_project, make_rate, move, ok, project_body
from tests.pages import csrf_of

BIG = str(2**63)


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/projects/{BIG}",
        "/api/v1/projects/2147483648",
        f"/api/v1/pledges/{BIG}",
        f"/api/v1/pledges?project_id={BIG}",
        f"/api/v1/audit?entity_id={BIG}",
        f"/api/v1/projects?offset={BIG}",
        "/api/v1/audit?since=0001-01-01T00:00:00%2B01:00",
        "/api/v1/audit?until=9999-12-31T23:59:59-01:00",
        "/api/v1/projects?q=a%00b",
        "/api/v1/states/a%00b",
        "/api/v1/audit?action=%00",
    ],
)
def test_out_of_range_and_nul_in_the_url_are_4xx(client, url):
    response = client.get(url)
    assert 400 <= response.status_code < 500, (url, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_nul_character_in_a_body_is_a_422_naming_the_field(client):
    assert_problem(
        client.post("/api/v1/projects", json=project_body(title="a\u0000b")), 422, ["body", "title"]
    )


def test_a_nul_character_at_login_is_refused_not_a_crash(anon):
    response = anon.post("/api/v1/auth/token", data={"username": "a\u0000@x.org", "password": "x"})
    assert response.status_code in (401, 422)
    token = csrf_of(anon.get("/login").text)
    response = anon.post("/login", data={"email": "a\u0000@x.org", "password": "x", "csrf_token": token})
    assert response.status_code in (401, 422)
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("url", "body", "loc"),
    [
        (
            "/api/v1/exchange-rates",
            {"currency": "KWD", "month": "2024-03", "eur_per_unit": "1000.00000001"},
            ["body", "eur_per_unit"],
        ),
        (
            "/api/v1/exchange-rates",
            {"currency": "KWD", "month": "2024-03", "eur_per_unit": "999999999999999999"},
            ["body", "eur_per_unit"],
        ),
    ],
)
def test_rates_beyond_the_ceiling_are_refused(client, url, body, loc):
    assert_problem(client.post(url, json=body), 422, loc)


def test_the_largest_pledge_at_the_largest_rate_still_fits(client):
    project = make_project(client)
    make_rate(client, "KWD", "2024-03", "1000")
    pledge = make_pledge(client, project["id"], currency="KWD", amount="1000000000000.00")
    assert pledge["amount_eur"] == "1000000000000000.00"
    assert_problem(
        client.post(
            "/api/v1/pledges",
            json={
                "project_id": project["id"],
                "donor": "DEU",
                "amount": "1000000000000.01",
                "currency": "EUR",
                "pledged_on": "2024-03-10",
            },
        ),
        422,
        ["body", "amount"],
    )
    # Sums of many of the largest pledges stay exact.
    for _ in range(9):
        make_pledge(client, project["id"], currency="KWD", amount="1000000000000.00")
    assert (
        ok(client.get(f"/api/v1/projects/{project['id']}"))["funding"]["pledged_eur"]
        == "10000000000000000.00"
    )


@pytest.mark.parametrize(
    ("kind", "body", "loc"),
    [
        ("indicators", {"name": "Tonnes", "unit": "t", "target": "9999999999999999"}, ["body", "target"]),
        ("milestones", {"title": "Fence", "weight": "999999999"}, ["body", "weight"]),
    ],
)
def test_quantities_beyond_their_column_are_refused(client, kind, body, loc):
    project = make_project(client)
    assert_problem(client.post(f"/api/v1/projects/{project['id']}/{kind}", json=body), 422, loc)


def test_a_request_cannot_be_dated_in_the_future(client):
    assert_problem(
        client.post("/api/v1/projects", json=project_body(request_date="9999-12-31")),
        422,
        ["body", "request_date"],
    )


def test_moving_the_request_date_moves_the_start_of_the_history(client):
    project = make_project(client, request_date="2024-01-15")
    ok(client.patch(f"/api/v1/projects/{project['id']}", json={"request_date": "2023-12-01"}))
    assert ok(client.get(f"/api/v1/projects/{project['id']}/history"))[0]["on"] == "2023-12-01"
    move(client, project["id"], "assessment", on="2024-02-01")
    assert_problem(
        client.patch(f"/api/v1/projects/{project['id']}", json={"request_date": "2024-03-01"}),
        422,
        ["body", "request_date"],
    )


def test_a_process_created_past_planned_is_established_on_that_date(client):
    created = ok(
        client.post(
            "/api/v1/national-processes",
            json={
                "state": "SRB",
                "name": "Registry",
                "kind": "structure",
                "stage": "operational",
                "stage_changed_on": "2019-05-01",
            },
        ),
        201,
    )
    assert created["established_on"] == "2019-05-01"
    later = ok(
        client.patch(
            f"/api/v1/national-processes/{created['id']}",
            json={"stage": "sustained", "stage_changed_on": "2025-01-01"},
        )
    )
    assert later["established_on"] == "2019-05-01"


def test_search_ignores_case_beyond_ascii(client):
    make_project(client, code="CC-1", title="Čačak ammunition depot")
    for q in ("čačak", "ČAČAK", "Čačak"):
        assert ok(client.get("/api/v1/projects", params={"q": q}))["total"] == 1, q


def test_dashboard_coverage_rounds_like_the_api(client):
    project = make_project(client, budget_eur="20000.00")
    make_pledge(client, project["id"], amount="2469.00")
    move(client, project["id"], "assessment", "planning", "seeking_funding")
    assert ok(client.get(f"/api/v1/projects/{project['id']}"))["funding"]["coverage"] == "0.1235"
    assert "12.4%" in client.get("/dashboards/gaps").text
