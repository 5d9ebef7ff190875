from decimal import Decimal

import pytest
from sqlalchemy import event

from tests.factories import assert_problem, make_pledge, make_project, make_rate, move, ok, project_body


def test_creating_a_project_returns_it_with_empty_funding_and_progress(client):
    body = project_body(
        code="OSCE/SCA-2024.07",
        title="Demilitarisation of surplus ammunition",
        description="Surplus rounds in three depots.",
        areas=["SCA", "SALW"],
        activity_types=["surplus_destruction_ammunition", "stockpile_security"],
        beneficiaries=["MNE", "SRB"],
        implementing_partner="OSCE Mission to Montenegro",
        start_date="2024-06-01",
        end_date="2026-05-31",
        budget_eur="2450000.50",
        gender_marker=1,
        sdg_targets=["16.4", "5.5"],
    )
    project = ok(client.post("/api/v1/projects", json=body), 201)
    assert project["id"] > 0
    for name in (
        "code",
        "title",
        "description",
        "implementing_partner",
        "start_date",
        "end_date",
        "budget_eur",
    ):
        assert project[name] == body[name]
    assert project["areas"] == ["SALW", "SCA"]
    assert project["activity_types"] == ["stockpile_security", "surplus_destruction_ammunition"]
    assert project["beneficiaries"] == ["MNE", "SRB"]
    assert project["gender_marker"] == 1
    assert project["sdg_targets"] == ["16.4", "5.5"]
    assert project["status"] == "requested"
    assert project["version"] == 1
    assert project["funding"] == {
        "budget_eur": "2450000.50",
        "pledged_eur": "0.00",
        "received_eur": "0.00",
        "gap_eur": "2450000.50",
        "coverage": "0.0000",
    }
    assert project["progress"] == {"milestones_total": 0, "milestones_done": 0, "percent": None}
    assert ok(client.get(f"/api/v1/projects/{project['id']}")) == project


def test_zero_budget_has_no_coverage(client):
    project = make_project(client, budget_eur="0")
    assert project["funding"]["coverage"] is None
    assert project["funding"]["gap_eur"] == "0.00"


def test_duplicate_code_is_a_409(client):
    make_project(client, code="DUP-1")
    body = assert_problem(client.post("/api/v1/projects", json=project_body(code="DUP-1")), 409)
    assert "DUP-1" in body["detail"]


BAD_PROJECTS = [
    pytest.param({"code": "AB"}, ["body", "code"], id="code-too-short"),
    pytest.param({"code": "A" * 41}, ["body", "code"], id="code-too-long"),
    pytest.param({"code": "BAD CODE"}, ["body", "code"], id="code-space"),
    pytest.param({"code": "A&B-1"}, ["body", "code"], id="code-ampersand"),
    pytest.param({"title": ""}, ["body", "title"], id="title-empty"),
    pytest.param({"title": "x" * 301}, ["body", "title"], id="title-too-long"),
    pytest.param({"areas": []}, ["body", "areas"], id="areas-empty"),
    pytest.param({"areas": ["MANPADS"]}, ["body", "areas", 0], id="area-unknown"),
    pytest.param({"activity_types": ["juggling"]}, ["body", "activity_types", 0], id="activity-unknown"),
    pytest.param({"beneficiaries": []}, ["body", "beneficiaries"], id="beneficiaries-empty"),
    pytest.param({"beneficiaries": ["XXX"]}, ["body", "beneficiaries", 0], id="beneficiary-unknown"),
    pytest.param({"beneficiaries": ["SRB", "JPN"]}, ["body", "beneficiaries", 1], id="beneficiary-partner"),
    pytest.param({"budget_eur": "-1.00"}, ["body", "budget_eur"], id="budget-negative"),
    pytest.param({"budget_eur": "12.345"}, ["body", "budget_eur"], id="budget-sub-cent"),
    pytest.param({"budget_eur": "lots"}, ["body", "budget_eur"], id="budget-text"),
    pytest.param({"budget_eur": 1000.5}, ["body", "budget_eur"], id="budget-float"),
    pytest.param({"budget_eur": "NaN"}, ["body", "budget_eur"], id="budget-nan"),
    pytest.param({"gender_marker": 3}, ["body", "gender_marker"], id="gender-marker-3"),
    pytest.param({"sdg_targets": ["16.99"]}, ["body", "sdg_targets"], id="sdg-unknown"),
    pytest.param({"request_date": "2024-13-01"}, ["body", "request_date"], id="date-invalid"),
    pytest.param(
        {"start_date": "2025-01-01", "end_date": "2024-12-31"}, ["body", "end_date"], id="end-before-start"
    ),
    pytest.param({"status": "completed"}, ["body", "status"], id="status-read-only"),
    pytest.param({"bugdet_eur": "1.00"}, ["body", "bugdet_eur"], id="misspelt-field"),
]


@pytest.mark.parametrize(("change", "loc"), BAD_PROJECTS)
def test_bad_project_input_is_a_422_naming_the_field_and_stores_nothing(client, change, loc):
    assert_problem(client.post("/api/v1/projects", json=project_body(**change)), 422, loc)
    assert ok(client.get("/api/v1/projects"))["total"] == 0


@pytest.mark.parametrize("missing", ["code", "title", "areas", "beneficiaries", "request_date"])
def test_missing_required_field_is_named(client, missing):
    body = project_body()
    del body[missing]
    assert_problem(client.post("/api/v1/projects", json=body), 422, ["body", missing])


def test_patch_changes_fields_and_bumps_the_version(client):
    project = make_project(client)
    changed = ok(
        client.patch(
            f"/api/v1/projects/{project['id']}",
            json={"title": "New title", "beneficiaries": ["ALB", "SRB"], "budget_eur": "5.00"},
        )
    )
    assert changed["title"] == "New title"
    assert changed["beneficiaries"] == ["ALB", "SRB"]
    assert changed["funding"]["budget_eur"] == "5.00"
    assert changed["version"] == project["version"] + 1
    assert changed["updated_at"] > project["updated_at"]
    # The same values again change nothing.
    same = ok(
        client.patch(f"/api/v1/projects/{project['id']}", json={"title": "New title", "areas": ["SCA"]})
    )
    assert same["version"] == changed["version"]


BAD_PATCHES = [
    pytest.param({"title": None}, ["body", "title"], id="title-null"),
    pytest.param({"areas": None}, ["body", "areas"], id="areas-null"),
    pytest.param({"budget_eur": "-5"}, ["body", "budget_eur"], id="budget-negative"),
    pytest.param({"beneficiaries": ["TUN"]}, ["body", "beneficiaries", 0], id="beneficiary-partner"),
    pytest.param({"end_date": "2020-01-01", "start_date": "2021-01-01"}, ["body", "end_date"], id="dates"),
    pytest.param({"status": "completed"}, ["body", "status"], id="status-read-only"),
    pytest.param({"version": 7}, ["body", "version"], id="version-read-only"),
]


@pytest.mark.parametrize(("change", "loc"), BAD_PATCHES)
def test_bad_patch_is_a_422_and_changes_nothing(client, change, loc):
    project = make_project(client)
    assert_problem(client.patch(f"/api/v1/projects/{project['id']}", json=change), 422, loc)
    assert ok(client.get(f"/api/v1/projects/{project['id']}")) == project


def test_patch_end_date_before_existing_start_date_is_refused(client):
    project = make_project(client, start_date="2024-06-01", end_date="2025-06-01")
    assert_problem(
        client.patch(f"/api/v1/projects/{project['id']}", json={"end_date": "2024-05-31"}),
        422,
        ["body", "end_date"],
    )


def test_patch_to_a_code_in_use_is_a_409(client):
    make_project(client, code="TAKEN-1")
    project = make_project(client)
    assert_problem(client.patch(f"/api/v1/projects/{project['id']}", json={"code": "TAKEN-1"}), 409)


def test_unknown_project_is_a_404_problem(client):
    assert_problem(client.get("/api/v1/projects/999"), 404)
    assert_problem(client.patch("/api/v1/projects/999", json={"title": "x"}), 404)
    assert_problem(client.delete("/api/v1/projects/999"), 404)


def test_delete_removes_a_project_without_pledges(client):
    project = make_project(client)
    client.post(f"/api/v1/projects/{project['id']}/milestones", json={"title": "Survey"})
    assert client.delete(f"/api/v1/projects/{project['id']}").status_code == 204
    assert_problem(client.get(f"/api/v1/projects/{project['id']}"), 404)


def test_delete_refuses_a_project_with_pledges(client):
    project = make_project(client)
    make_pledge(client, project["id"])
    body = assert_problem(client.delete(f"/api/v1/projects/{project['id']}"), 409)
    assert "cancel" in body["detail"]
    assert ok(client.get(f"/api/v1/projects/{project['id']}"))["id"] == project["id"]


# -- list ----------------------------------------------------------------------------------------


@pytest.fixture
def portfolio(client):
    """Four projects with distinct areas, beneficiaries, donors and funding."""
    depot = make_project(
        client,
        code="P-DEPOT",
        title="Depot security in Serbia",
        areas=["SCA"],
        beneficiaries=["SRB"],
        budget_eur="1000.00",
        request_date="2023-05-01",
        activity_types=["stockpile_security"],
    )
    marking = make_project(
        client,
        code="P-MARK",
        title="Weapons marking",
        areas=["SALW"],
        beneficiaries=["ALB", "MNE"],
        budget_eur="500.00",
        request_date="2022-01-01",
        activity_types=["marking_and_tracing"],
    )
    melange = make_project(
        client,
        code="P-MEL",
        title="Melange disposal",
        areas=["SCA"],
        beneficiaries=["UKR"],
        budget_eur="3000.00",
        request_date="2024-02-01",
        activity_types=["hazardous_propellant_disposal"],
    )
    commission = make_project(
        client,
        code="P-NC",
        title="National commission",
        areas=["SALW", "SCA"],
        beneficiaries=["MNE"],
        budget_eur="0.00",
        request_date="2021-03-03",
        activity_types=["legislation_and_policy"],
    )
    make_pledge(client, depot["id"], donor="DEU", amount="1000.00")  # fully funded
    make_pledge(client, marking["id"], donor="USA", amount="100.00")  # gap 400
    make_pledge(client, melange["id"], donor="DEU", amount="500.00")  # gap 2500
    withdrawn = make_pledge(client, melange["id"], donor="NOR", amount="2500.00")
    ok(client.patch(f"/api/v1/pledges/{withdrawn['id']}", json={"status": "withdrawn"}))
    move(client, melange["id"], "assessment")
    return {"depot": depot, "marking": marking, "melange": melange, "commission": commission}


def codes(client, **params):
    page = ok(client.get("/api/v1/projects", params=params))
    return [p["code"] for p in page["items"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["P-DEPOT", "P-MARK", "P-MEL", "P-NC"]),
        ({"status": "assessment"}, ["P-MEL"]),
        ({"area": "SALW"}, ["P-MARK", "P-NC"]),
        ({"beneficiary": "MNE"}, ["P-MARK", "P-NC"]),
        ({"beneficiary": "mne"}, ["P-MARK", "P-NC"]),
        ({"donor": "DEU"}, ["P-DEPOT", "P-MEL"]),
        ({"donor": "NOR"}, ["P-MEL"]),
        ({"activity_type": "marking_and_tracing"}, ["P-MARK"]),
        ({"q": "depot"}, ["P-DEPOT"]),
        ({"q": "p-m"}, ["P-MARK", "P-MEL"]),
        ({"q": "%"}, []),
        ({"funding": "underfunded"}, ["P-MARK", "P-MEL"]),
        ({"funding": "funded"}, ["P-DEPOT", "P-NC"]),
        ({"area": "SCA", "funding": "underfunded"}, ["P-MEL"]),
    ],
)
def test_list_filters(client, portfolio, params, expected):
    assert codes(client, **params) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("code", ["P-DEPOT", "P-MARK", "P-MEL", "P-NC"]),
        ("-code", ["P-NC", "P-MEL", "P-MARK", "P-DEPOT"]),
        ("title", ["P-DEPOT", "P-MEL", "P-NC", "P-MARK"]),
        ("request_date", ["P-NC", "P-MARK", "P-DEPOT", "P-MEL"]),
        ("-budget_eur", ["P-MEL", "P-DEPOT", "P-MARK", "P-NC"]),
        ("-gap_eur", ["P-MEL", "P-MARK", "P-DEPOT", "P-NC"]),
        ("gap_eur", ["P-DEPOT", "P-NC", "P-MARK", "P-MEL"]),
    ],
)
def test_list_sorts(client, portfolio, sort, expected):
    assert codes(client, sort=sort) == expected


def test_list_reports_each_projects_funding(client, portfolio):
    page = ok(client.get("/api/v1/projects", params={"sort": "-gap_eur"}))
    melange = page["items"][0]
    # The withdrawn NOK 2,500 does not count as pledged.
    assert melange["funding"] == {
        "budget_eur": "3000.00",
        "pledged_eur": "500.00",
        "received_eur": "0.00",
        "gap_eur": "2500.00",
        "coverage": "0.1667",
    }


def test_list_pages(client, portfolio):
    page = ok(client.get("/api/v1/projects", params={"limit": 2, "offset": 1}))
    assert page["total"] == 4
    assert page["limit"] == 2
    assert page["offset"] == 1
    assert [p["code"] for p in page["items"]] == ["P-MARK", "P-MEL"]
    assert ok(client.get("/api/v1/projects"))["limit"] == 50


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"limit": 501}, ["query", "limit"]),
        ({"limit": 0}, ["query", "limit"]),
        ({"offset": -1}, ["query", "offset"]),
        ({"sort": "budget"}, ["query", "sort"]),
        ({"status": "done"}, ["query", "status"]),
        ({"funding": "some"}, ["query", "funding"]),
        ({"area": "NUKES"}, ["query", "area"]),
    ],
)
def test_bad_list_parameters_are_422(client, params, loc):
    assert_problem(client.get("/api/v1/projects", params=params), 422, loc)


def test_list_issues_the_same_number_of_queries_whatever_the_page_size(client, db):
    for n in range(12):
        project = make_project(client, beneficiaries=["SRB", "ALB"], areas=["SALW", "SCA"])
        make_pledge(client, project["id"])
        client.post(f"/api/v1/projects/{project['id']}/milestones", json={"title": f"M{n}"})
    statements: list[str] = []

    def count(*_args):
        statements.append("x")

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        ok(client.get("/api/v1/projects", params={"limit": 2}))
        small = len(statements)
        statements.clear()
        ok(client.get("/api/v1/projects", params={"limit": 12}))
        large = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert small == large
    assert large <= 8


def test_large_budget_round_trips_exactly(client):
    project = make_project(client, budget_eur="999999999999.99")
    assert project["budget_eur"] == "999999999999.99"
    assert Decimal(project["funding"]["gap_eur"]) == Decimal("999999999999.99")


@pytest.mark.parametrize("budget", ["1000000000000.01", "9999999999999999"])
def test_a_budget_past_one_trillion_is_refused(client, budget):
    assert_problem(
        client.post("/api/v1/projects", json=project_body(budget_eur=budget)), 422, ["body", "budget_eur"]
    )


def test_multi_currency_funding_is_exact_to_the_cent(client):
    project = make_project(client, budget_eur="1000000.00")
    make_rate(client, "USD", "2024-03", "0.91234567")
    make_rate(client, "GBP", "2024-03", "1.16666666")
    make_rate(client, "JPY", "2024-03", "0.00612345")
    amounts = [
        ("USD", "333333.33"),
        ("GBP", "0.01"),
        ("JPY", "12345678.00"),
        ("EUR", "0.10"),
        ("EUR", "0.20"),
    ]
    expected = Decimal("0.00")
    rates = {
        "USD": Decimal("0.91234567"),
        "GBP": Decimal("1.16666666"),
        "JPY": Decimal("0.00612345"),
        "EUR": Decimal(1),
    }
    for currency, amount in amounts:
        pledge = make_pledge(client, project["id"], currency=currency, amount=amount, donor="CHE")
        eur = (Decimal(amount) * rates[currency]).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        assert pledge["amount_eur"] == str(eur)
        expected += eur
    funding = ok(client.get(f"/api/v1/projects/{project['id']}"))["funding"]
    assert funding["pledged_eur"] == str(expected)
    assert funding["gap_eur"] == str(Decimal("1000000.00") - expected)


def test_a_project_is_found_by_its_code(client):
    project = make_project(client, code="SRB-DEPOT/2024.1")
    found = client.get("/api/v1/projects/by-code/SRB-DEPOT/2024.1")
    assert found.status_code == 200, found.text
    assert found.json() == ok(client.get(f"/api/v1/projects/{project['id']}"))
    assert found.headers["etag"] == f'"{project["version"]}"'
    body = assert_problem(client.get("/api/v1/projects/by-code/NO-SUCH-CODE"), 404)
    assert "NO-SUCH-CODE" in body["detail"]
