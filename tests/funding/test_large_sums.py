"""The largest amounts the API accepts, many times over: every page and file that sums them still answers,
with the exact figures, on both databases (SQLite keeps money as 64-bit integer cents, which one hundred of
the largest pledges would overflow)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from portfolio.errors import install_handlers
from portfolio.money import MAX_AMOUNT, MAX_EUR, MAX_RATE
from tests.factories import assert_problem, make_project, make_rate, ok, pledge_body

COUNT = 100
PERIOD = {"from": "2024-01-01", "to": "2024-12-31"}
EACH_EUR = MAX_AMOUNT * MAX_RATE  # the largest euro value one pledge (or receipt) can hold


@pytest.fixture
def largest(client):
    """One project at the largest budget, one hundred pledges at the largest amount and rate from Germany,
    half of them received in full at the same rate."""
    project = make_project(client, budget_eur=str(MAX_AMOUNT))
    make_rate(client, "KWD", "2024-03", str(MAX_RATE))
    for number in range(COUNT):
        body = pledge_body(project["id"], currency="KWD", amount=str(MAX_AMOUNT), status="committed")
        pledge = ok(client.post("/api/v1/pledges", json=body), 201)
        assert Decimal(pledge["amount_eur"]) == EACH_EUR
        if number % 2 == 0:
            receipt = {"amount": str(MAX_AMOUNT), "received_on": "2024-03-20"}
            ok(client.post(f"/api/v1/pledges/{pledge['id']}/receipts", json=receipt), 201)
    return project


def _kpis(html: str) -> dict[str, Decimal]:
    found = re.findall(r'data-kpi="([^"]+)" data-value="([^"]*)"', html)
    return {key: Decimal(value) for key, value in found if value}


def test_the_euro_value_of_a_pledge_is_bounded():
    assert EACH_EUR <= MAX_EUR
    # One record fits NUMERIC(18,2) and one 64-bit count of cents; no bound on a record bounds a sum.
    assert MAX_EUR * 100 < 2**63 and Decimal(10) ** 16 > MAX_EUR


def test_the_largest_pledges_many_times_over_are_summed_exactly_everywhere(client, largest):
    pledged = EACH_EUR * COUNT
    received = EACH_EUR * (COUNT // 2)
    assert pledged * 100 >= 2**63  # beyond a 64-bit count of cents: SQLite's SUM() alone would overflow

    funding = ok(client.get(f"/api/v1/projects/{largest['id']}"))["funding"]
    assert Decimal(funding["pledged_eur"]) == pledged
    assert Decimal(funding["received_eur"]) == received
    assert Decimal(funding["gap_eur"]) == 0
    listed = ok(client.get("/api/v1/projects", params={"limit": 10}))["items"]
    assert Decimal(listed[0]["funding"]["pledged_eur"]) == pledged

    pages = [
        "/",
        "/projects",
        f"/projects/{largest['id']}",
        "/dashboards/funding",
        "/dashboards/gaps",
        "/dashboards/progress",
        "/dashboards/results",
        "/dashboards/national-processes",
        "/dashboards/data-quality",
        "/dashboards/donors",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.text[:300])

    statement = client.get("/dashboards/donors/DEU", params=PERIOD)
    assert statement.status_code == 200, statement.text[:300]
    figures = _kpis(statement.text)
    assert pledged in figures.values(), figures
    assert received in figures.values(), figures
    for suffix, params in ((".csv", {"table": "pledges"}), (".pdf", {})):
        response = client.get(f"/dashboards/donors/DEU{suffix}", params=PERIOD | params)
        assert response.status_code == 200, (suffix, response.text[:300])

    report = client.get("/reports/period", params=PERIOD)
    assert report.status_code == 200, report.text[:300]
    figures = _kpis(report.text)
    assert pledged in figures.values(), figures
    assert received in figures.values(), figures
    assert client.get("/reports/period.pdf", params=PERIOD).status_code == 200

    funding_page = _kpis(client.get("/dashboards/funding").text)
    assert pledged in funding_page.values(), funding_page
    assert received in funding_page.values(), funding_page


def test_a_figure_the_database_cannot_compute_is_an_error_on_it_not_a_database_outage(db, backend):
    """SQLite says "integer overflow" as it says "database is locked": only the second is a 503."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL reports arithmetic out of range as a DataError, never as unavailability")
    app = FastAPI()
    install_handlers(app)

    @app.get("/overflow")
    def overflow() -> dict[str, int]:
        with db.session() as session:
            return {"value": session.execute(text("SELECT abs(-9223372036854775807 - 1)")).scalar_one()}

    with TestClient(app) as client:
        response = client.get("/overflow")
    body = assert_problem(response, 500)
    assert body["title"] == "A figure cannot be computed"
    assert "integer overflow" in body["detail"] and "unreachable" not in body["detail"]
    assert "Retry-After" not in response.headers
