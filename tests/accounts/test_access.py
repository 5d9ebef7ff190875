"""Who may see and change what. The role table, route by route:

| | admin | staff | manager | donor |
|---|---|---|---|---|
| users | all | own account | own account | own account |
| projects, milestones, indicators, national processes, exchange rates | rw | rw | r | r |
| lifecycle moves | rw | rw | reopen only | – |
| pledges and receipts | rw | rw | r | r (its own State's only) |
| audit trail | r | r | r | – |
| agreements and reporting obligations | rw | rw | r | r (its own State's only) |
| imports (templates, uploads) | rw | rw | – | – |
| exports (CSV, XLSX, IATI) | r | r | r | r (pledges and receipts: its own State's only) |
"""

import html
import re

import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_problem, make_pledge, make_project, make_rate, move, ok, receive

ROLES = ["admin", "staff", "manager", "donor"]
EVERYONE = set(ROLES)
WRITERS = {"admin", "staff"}
RULES = {
    "public": None,  # no token needed
    "read": EVERYONE,
    "write": WRITERS,
    "audit": {"admin", "staff", "manager"},
    "lifecycle": {"admin", "staff", "manager"},  # managers may only reopen: the service decides the move
    "admin": {"admin"},
    "interests": {"admin", "staff", "donor"},  # a donor expresses and withdraws its own State's
}

# Every route the application declares, with the rule that governs it. A route missing here fails
# test_every_route_has_a_rule, so no new route can ship without someone deciding who may use it.
TABLE = {
    ("POST", "/api/v1/auth/token"): "public",
    ("GET", "/healthz"): "public",
    ("GET", "/readyz"): "public",
    ("GET", "/api/v1/users/me"): "read",
    ("GET", "/api/v1/users"): "admin",
    ("POST", "/api/v1/users"): "admin",
    ("GET", "/api/v1/users/{user_id}"): "admin",
    ("GET", "/api/v1/users/sign-in-failures"): "admin",
    ("PATCH", "/api/v1/users/{user_id}"): "admin",
    ("GET", "/api/v1/states"): "read",
    ("GET", "/api/v1/states/{code}"): "read",
    ("GET", "/api/v1/projects"): "read",
    ("POST", "/api/v1/projects"): "write",
    ("GET", "/api/v1/projects/{project_id}"): "read",
    ("PATCH", "/api/v1/projects/{project_id}"): "write",
    ("DELETE", "/api/v1/projects/{project_id}"): "write",
    ("POST", "/api/v1/projects/{project_id}/transitions"): "lifecycle",
    ("GET", "/api/v1/projects/by-code/{project_code}"): "read",
    ("GET", "/api/v1/projects/{project_id}/history"): "read",
    ("GET", "/api/v1/projects/{project_id}/milestones"): "read",
    ("POST", "/api/v1/projects/{project_id}/milestones"): "write",
    ("PATCH", "/api/v1/projects/{project_id}/milestones/{milestone_id}"): "write",
    ("DELETE", "/api/v1/projects/{project_id}/milestones/{milestone_id}"): "write",
    ("GET", "/api/v1/projects/{project_id}/indicators"): "read",
    ("POST", "/api/v1/projects/{project_id}/indicators"): "write",
    ("PATCH", "/api/v1/projects/{project_id}/indicators/{indicator_id}"): "write",
    ("DELETE", "/api/v1/projects/{project_id}/indicators/{indicator_id}"): "write",
    ("GET", "/api/v1/projects/{project_id}/audit"): "audit",
    ("GET", "/api/v1/pledges"): "read",
    ("POST", "/api/v1/pledges"): "write",
    ("GET", "/api/v1/pledges/{pledge_id}"): "read",
    ("PATCH", "/api/v1/pledges/{pledge_id}"): "write",
    ("DELETE", "/api/v1/pledges/{pledge_id}"): "write",
    ("GET", "/api/v1/pledges/{pledge_id}/receipts"): "read",
    ("POST", "/api/v1/pledges/{pledge_id}/receipts"): "write",
    ("GET", "/api/v1/exchange-rates"): "read",
    ("POST", "/api/v1/exchange-rates"): "write",
    ("GET", "/api/v1/national-processes"): "read",
    ("POST", "/api/v1/national-processes"): "write",
    ("GET", "/api/v1/national-processes/{process_id}"): "read",
    ("PATCH", "/api/v1/national-processes/{process_id}"): "write",
    ("DELETE", "/api/v1/national-processes/{process_id}"): "write",
    ("GET", "/api/v1/national-processes/{process_id}/history"): "read",
    ("GET", "/api/v1/audit"): "audit",
    ("GET", "/api/v1/imports/templates/{kind}.{fmt}"): "write",
    ("POST", "/api/v1/imports/{kind}"): "write",
    ("GET", "/api/v1/exports/iati.xml"): "read",
    ("GET", "/api/v1/exports/projects.{fmt}"): "read",
    ("GET", "/api/v1/exports/milestones.{fmt}"): "read",
    ("GET", "/api/v1/exports/indicators.{fmt}"): "read",
    ("GET", "/api/v1/exports/pledges.{fmt}"): "read",
    ("GET", "/api/v1/exports/receipts.{fmt}"): "read",
    ("GET", "/api/v1/exports/national-processes.{fmt}"): "read",
    ("GET", "/api/v1/exports/exchange-rates.{fmt}"): "read",
    ("GET", "/api/v1/exports/agreements.{fmt}"): "read",
    ("GET", "/api/v1/exports/obligations.{fmt}"): "read",
    ("GET", "/api/v1/exports/expenditures.{fmt}"): "read",
    ("GET", "/api/v1/exports/budget-lines.{fmt}"): "read",
    ("GET", "/api/v1/projects/{project_id}/budget"): "read",
    ("POST", "/api/v1/projects/{project_id}/budget-lines"): "write",
    ("PATCH", "/api/v1/budget-lines/{line_id}"): "write",
    ("GET", "/api/v1/budget-lines/{line_id}/revisions"): "read",
    ("GET", "/api/v1/projects/{project_id}/spending"): "read",
    ("GET", "/api/v1/expenditures"): "read",
    ("POST", "/api/v1/expenditures"): "write",
    ("GET", "/api/v1/expenditures/{expenditure_id}"): "read",
    ("PATCH", "/api/v1/expenditures/{expenditure_id}"): "write",
    ("POST", "/api/v1/expenditures/{expenditure_id}/reversal"): "write",
    ("GET", "/api/v1/pledges/{pledge_id}/instalments"): "read",
    ("PUT", "/api/v1/pledges/{pledge_id}/instalments"): "write",
    ("POST", "/api/v1/projects/{project_id}/interests"): "interests",
    ("GET", "/api/v1/interests"): "read",
    ("GET", "/api/v1/interests/{interest_id}"): "read",
    ("POST", "/api/v1/interests/{interest_id}/withdraw"): "interests",
    ("POST", "/api/v1/interests/{interest_id}/pledge"): "write",
    ("GET", "/api/v1/measures"): "read",
    ("GET", "/api/v1/norms"): "read",
    ("GET", "/api/v1/norms/{norm_code}"): "read",
    ("POST", "/api/v1/norms"): "admin",
    ("PATCH", "/api/v1/norms/{norm_code}"): "admin",
    ("DELETE", "/api/v1/norms/{norm_code}"): "admin",
    ("POST", "/api/v1/documents"): "write",
    ("GET", "/api/v1/documents"): "read",
    ("GET", "/api/v1/documents/{document_id}"): "read",
    ("GET", "/api/v1/documents/{document_id}/content"): "read",
    ("PATCH", "/api/v1/documents/{document_id}"): "write",
    ("DELETE", "/api/v1/documents/{document_id}"): "write",
    ("GET", "/api/v1/pledges/{pledge_id}/agreement"): "read",
    ("POST", "/api/v1/pledges/{pledge_id}/agreement"): "write",
    ("PATCH", "/api/v1/pledges/{pledge_id}/agreement"): "write",
    ("GET", "/api/v1/obligations"): "read",
    ("POST", "/api/v1/obligations"): "write",
    ("GET", "/api/v1/obligations/{obligation_id}"): "read",
    ("PATCH", "/api/v1/obligations/{obligation_id}"): "write",
    ("POST", "/api/v1/users/me/calendar-feed"): "read",  # every account makes and revokes its own
    ("DELETE", "/api/v1/users/me/calendar-feed"): "read",
    ("GET", "/api/v1/calendar.ics"): "public",  # by the feed's token: calendar clients cannot log in
    ("GET", "/api/v1/follow-ups"): "read",
    ("GET", "/api/v1/follow-ups/{follow_up_id}"): "read",
    ("PATCH", "/api/v1/follow-ups/{follow_up_id}"): "write",
}


def declared_routes(app):
    """Every (method, path) the application serves, as its OpenAPI document declares them."""
    return {(method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item}


def test_every_route_has_a_rule(app):
    declared = declared_routes(app)
    assert declared - TABLE.keys() == set(), "routes without a rule in the role table"
    assert TABLE.keys() - declared == set(), "rules for routes that no longer exist"


@pytest.fixture
def world(client, accounts):
    """One of everything, so that every path parameter names a real record."""
    project = make_project(client, start_date="2024-03-01")  # a start: published in the IATI file
    make_rate(client, "USD", "2024-03", "0.9")
    pledge = make_pledge(client, project["id"], donor="DEU")
    ok(receive(client, pledge["id"], "10.00"), 201)
    milestone = ok(client.post(f"/api/v1/projects/{project['id']}/milestones", json={"title": "Survey"}), 201)
    indicator = ok(
        client.post(
            f"/api/v1/projects/{project['id']}/indicators",
            json={"name": "Sites", "unit": "sites", "target": "3"},
        ),
        201,
    )
    process = ok(
        client.post(
            "/api/v1/national-processes", json={"state": "SRB", "name": "Commission", "kind": "structure"}
        ),
        201,
    )
    operational = {"state": "BIH", "name": "Registry", "kind": "structure", "stage": "operational"}
    follow_up = ok(client.post("/api/v1/national-processes", json=operational), 201)["follow_ups"][0]
    seeking = make_project(client)
    move(client, seeking["id"], "assessment", "planning", "seeking_funding")
    body = {"donor": "DEU", "amount": "10.00", "currency": "EUR"}
    interest = ok(client.post(f"/api/v1/projects/{seeking['id']}/interests", json=body), 201)
    form = {"owner_type": "project", "owner_id": project["id"], "category": "A07", "title": "Review"}
    shared = form | {"shared_with_donor": "true"}  # the donor's State funds the project: it may read it
    files = {"file": ("review.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}
    document = ok(client.post("/api/v1/documents", data=shared, files=files), 201)
    agreement = {"reference": "SAMPLE-CA-1", "signed_on": "2024-04-01"}
    agreement = ok(client.post(f"/api/v1/pledges/{pledge['id']}/agreement", json=agreement), 201)
    due = {"agreement_id": agreement["id"], "kind": "other", "due_on": "2024-09-30"}
    obligation = ok(client.post("/api/v1/obligations", json=due), 201)
    line = ok(
        client.post(
            f"/api/v1/projects/{project['id']}/budget-lines",
            json={"category": "travel", "amount_eur": "5.00"},
        ),
        201,
    )
    spent = {"project_id": project["id"], "spent_on": "2024-06-01", "amount": "1.00", "currency": "EUR"}
    expenditure = ok(client.post("/api/v1/expenditures", json=spent), 201)
    return {
        "line_id": line["id"],
        "expenditure_id": expenditure["id"],
        "document_id": document["id"],
        "obligation_id": obligation["id"],
        "follow_up_id": follow_up["id"],
        "interest_id": interest["id"],
        "project_id": project["id"],
        "project_code": project["code"],
        "pledge_id": pledge["id"],
        "milestone_id": milestone["id"],
        "indicator_id": indicator["id"],
        "process_id": process["id"],
        "user_id": accounts["manager"].id,
        "code": "SRB",
        "norm_code": "doc-sca",
        "kind": "pledges",
        "fmt": "xlsx",
    }


def call(client: TestClient, method: str, path: str, ids: dict, headers: dict):
    url = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)
    if path == "/api/v1/auth/token":
        return client.request(method, url, data={}, headers=headers)
    body = {} if method in ("POST", "PATCH") else None
    return client.request(method, url, json=body, headers=headers)


ORDERED = sorted(TABLE, key=lambda key: (key[0] == "DELETE", key[1]))  # deletes last: they remove records


@pytest.mark.parametrize(("method", "path"), ORDERED, ids=[f"{m} {p}" for m, p in ORDERED])
def test_role_table(anon, accounts, world, method, path):
    rule = RULES[TABLE[(method, path)]]
    anonymous = call(anon, method, path, world, {})
    if rule is None:
        assert anonymous.status_code not in (401, 403), anonymous.text
        return
    assert_problem(anonymous, 401)
    assert anonymous.headers["www-authenticate"] == "Bearer"
    # Roles that may not go first, so that a permitted DELETE cannot hide a missing 403.
    for role in sorted(ROLES, key=lambda r: r in rule):
        response = call(anon, method, path, world, accounts[role].headers)
        if role in rule:
            assert response.status_code != 403, f"{role} was refused: {response.text}"
            assert response.status_code < 500, response.text
            if method == "GET":
                assert response.status_code == 200, f"{role}: {response.text}"
        else:
            assert_problem(response, 403)


# -- donor isolation -----------------------------------------------------------------------------


@pytest.fixture
def two_donors(client):
    project = make_project(client, budget_eur="1000.00")
    make_rate(client, "USD", "2024-03", "0.5")
    own = make_pledge(client, project["id"], donor="DEU", amount="300.00")
    other = make_pledge(client, project["id"], donor="USA", amount="400.00", currency="USD")
    ok(receive(client, own["id"], "100.00"), 201)
    ok(receive(client, other["id"], "50.00", "2024-03-20"), 201)
    return {"project": project, "own": own, "other": other}


def test_a_donor_lists_only_its_own_states_pledges(anon, accounts, two_donors):
    donor = accounts["donor"].headers
    page = ok(anon.get("/api/v1/pledges", headers=donor))
    assert [p["id"] for p in page["items"]] == [two_donors["own"]["id"]]
    assert page["total"] == 1
    assert ok(anon.get("/api/v1/pledges", headers=accounts["manager"].headers))["total"] == 2


@pytest.mark.parametrize("params", [{"donor": "USA"}, {"donor": "usa", "status": "pledged"}])
def test_a_donor_asking_for_another_states_pledges_gets_nothing(anon, accounts, two_donors, params):
    page = ok(anon.get("/api/v1/pledges", params=params, headers=accounts["donor"].headers))
    assert (page["items"], page["total"]) == ([], 0)


def test_another_states_pledge_does_not_exist_for_a_donor(anon, accounts, two_donors):
    donor = accounts["donor"].headers
    other = two_donors["other"]["id"]
    assert_problem(anon.get(f"/api/v1/pledges/{other}", headers=donor), 404)
    assert_problem(anon.get(f"/api/v1/pledges/{other}/receipts", headers=donor), 404)
    # ...exactly as a pledge that was never made.
    assert_problem(anon.get("/api/v1/pledges/999999", headers=donor), 404)
    own = two_donors["own"]["id"]
    assert ok(anon.get(f"/api/v1/pledges/{own}", headers=donor))["donor"] == "DEU"
    assert len(ok(anon.get(f"/api/v1/pledges/{own}/receipts", headers=donor))) == 1


def test_a_donor_sees_project_totals_but_not_who_else_funds_them(anon, accounts, two_donors):
    donor = accounts["donor"].headers
    project_id = two_donors["project"]["id"]
    staff_view = ok(anon.get(f"/api/v1/projects/{project_id}", headers=accounts["staff"].headers))
    donor_view = ok(anon.get(f"/api/v1/projects/{project_id}", headers=donor))
    assert donor_view["funding"] == staff_view["funding"]  # totals of every donor: 300 + 200 EUR
    assert donor_view["funding"]["pledged_eur"] == "500.00"
    assert ok(anon.get("/api/v1/projects", params={"donor": "USA"}, headers=donor))["total"] == 0
    assert ok(anon.get("/api/v1/projects", params={"donor": "DEU"}, headers=donor))["total"] == 1
    assert (
        ok(anon.get("/api/v1/projects", params={"donor": "USA"}, headers=accounts["manager"].headers))[
            "total"
        ]
        == 1
    )


def test_a_donor_cannot_write_even_its_own_pledges(anon, accounts, two_donors):
    donor = accounts["donor"].headers
    own = two_donors["own"]["id"]
    assert_problem(anon.patch(f"/api/v1/pledges/{own}", json={"note": "x"}, headers=donor), 403)
    assert_problem(
        anon.post(
            f"/api/v1/pledges/{own}/receipts",
            json={"amount": "1.00", "received_on": "2024-05-01"},
            headers=donor,
        ),
        403,
    )
    assert ok(anon.get(f"/api/v1/pledges/{own}", headers=donor))["note"] == ""


def test_a_manager_reads_everything_and_writes_nothing(anon, accounts, two_donors):
    manager = accounts["manager"].headers
    assert ok(anon.get("/api/v1/pledges", headers=manager))["total"] == 2
    project_id = two_donors["project"]["id"]
    assert_problem(anon.patch(f"/api/v1/projects/{project_id}", json={"title": "x"}, headers=manager), 403)
    assert ok(anon.get(f"/api/v1/projects/{project_id}", headers=manager))["title"] != "x"


# -- every output, as a donor ----------------------------------------------------------------------

SECRET_NOTE = "Parliament approval pending"  # noqa: S105 - the other donor's note


@pytest.fixture
def confidential(client, accounts):
    """Germany's pledge and the United States' on one project, with amounts found nowhere else."""
    project = make_project(client, budget_eur="10000.00")
    make_rate(client, "USD", "2024-03", "0.5")
    own = make_pledge(client, project["id"], donor="DEU", amount="300.00")
    other = make_pledge(
        client, project["id"], donor="USA", amount="4321.98", currency="USD", note=SECRET_NOTE
    )
    ok(receive(client, own["id"], "100.00"), 201)
    ok(receive(client, other["id"], "123.46", "2024-03-20"), 201)
    milestone = ok(client.post(f"/api/v1/projects/{project['id']}/milestones", json={"title": "Survey"}), 201)
    indicator = ok(
        client.post(
            f"/api/v1/projects/{project['id']}/indicators",
            json={"name": "Sites", "unit": "sites", "target": "3"},
        ),
        201,
    )
    process = ok(
        client.post(
            "/api/v1/national-processes",
            json={"state": "SRB", "name": "Commission", "kind": "structure", "project_ids": [project["id"]]},
        ),
        201,
    )
    operational = {"state": "BIH", "name": "Registry", "kind": "structure", "stage": "operational"}
    follow_up = ok(client.post("/api/v1/national-processes", json=operational), 201)["follow_ups"][0]
    move(
        client, project["id"], "assessment", "planning", "seeking_funding", "implementation", on="2024-06-01"
    )
    interest = {"amount": "555.55", "currency": "EUR"}
    own_interest = ok(
        client.post(
            f"/api/v1/projects/{project['id']}/interests", json=interest, headers=accounts["donor"].headers
        ),
        201,
    )
    other_interest = {"donor": "USA", "amount": "7654.32", "currency": "EUR", "note": SECRET_NOTE}
    ok(client.post(f"/api/v1/projects/{project['id']}/interests", json=other_interest), 201)
    form = {"owner_type": "project", "owner_id": project["id"], "category": "A07", "title": "Review"}
    files = {"file": ("review.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}
    shared = form | {"shared_with_donor": "true"}
    document = ok(client.post("/api/v1/documents", data=shared, files=files), 201)
    internal = form | {"title": SECRET_NOTE}  # not shared with donors: no output may show it
    ok(client.post("/api/v1/documents", data=internal, files=files), 201)
    own_agreement = {"reference": "SAMPLE-CA-DEU", "signed_on": "2024-04-01"}
    own_agreement = ok(client.post(f"/api/v1/pledges/{own['id']}/agreement", json=own_agreement), 201)
    other_agreement = {"reference": "SAMPLE-CA-9876", "signed_on": "2024-04-01", "conditions": SECRET_NOTE}
    other_agreement = ok(client.post(f"/api/v1/pledges/{other['id']}/agreement", json=other_agreement), 201)
    for agreement in (own_agreement, other_agreement):
        due = {"agreement_id": agreement["id"], "kind": "other", "due_on": "2024-09-30"}
        obligation = ok(client.post("/api/v1/obligations", json=due), 201)
    ok(client.patch(f"/api/v1/obligations/{obligation['id']}", json={"note": SECRET_NOTE}))
    own_obligation = ok(client.get("/api/v1/obligations", params={"donor": "DEU"}))["items"][0]
    line = ok(
        client.post(
            f"/api/v1/projects/{project['id']}/budget-lines",
            json={"category": "travel", "amount_eur": "5.00"},
        ),
        201,
    )
    # spending paid from the other State's money alone: its share is the other State's too
    charged = {"charges": [{"pledge_id": other["id"], "amount_eur": "55.55"}], "line_id": line["id"]}
    spent = {"project_id": project["id"], "spent_on": "2024-06-01", "amount": "60.00", "currency": "EUR"}
    expenditure = ok(client.post("/api/v1/expenditures", json=spent | charged), 201)
    ids = {
        "line_id": line["id"],
        "expenditure_id": expenditure["id"],
        "document_id": document["id"],
        "obligation_id": own_obligation["id"],
        "interest_id": own_interest["id"],
        "project_id": project["id"],
        "project_code": project["code"],
        "milestone_id": milestone["id"],
        "indicator_id": indicator["id"],
        "process_id": process["id"],
        "follow_up_id": follow_up["id"],
        "user_id": accounts["donor"].id,
        "code": "DEU",
        "norm_code": "doc-sca",
    }
    # What no output may show Germany: the other State's identity, its pledge and receipt, its note. (What
    # all other donors pledged together, project total minus Germany's own, is the project's total.)
    forbidden = ["USA", "United States", "4321.98", "4,321.98", "123.46", "61.73", SECRET_NOTE]
    forbidden += ["7654.32", "7,654.32"]  # the other State's expression of interest
    forbidden += ["SAMPLE-CA-9876"]  # the other State's agreement
    forbidden += ["55.55", "55,55"]  # what the other State's money paid for
    return {"ids": ids, "own": own["id"], "other": other["id"], "forbidden": forbidden}


def _text_of(response) -> str:
    kind = response.headers.get("content-type", "")
    if "spreadsheetml" in kind:
        from io import BytesIO

        from openpyxl import load_workbook

        book = load_workbook(BytesIO(response.content), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
        )
    return response.text


def _donor_urls(app, confidential):
    """Every GET a donor may make, with each path parameter naming a real record: its own pledge and,
    where a pledge is named, the other State's too."""
    ids = confidential["ids"]
    urls = []
    for method, path in TABLE:
        if method != "GET" or "donor" not in (RULES[TABLE[(method, path)]] or EVERYONE):
            continue
        if path.startswith("/api/v1/states"):
            continue  # the list of OSCE States names every State, as it should
        fmts = ["csv", "xlsx"] if "{fmt}" in path else [None]
        pledges = [confidential["own"], confidential["other"]] if "{pledge_id}" in path else [None]
        for fmt in fmts:
            for pledge in pledges:
                values = {**ids, "fmt": fmt, "pledge_id": pledge}
                urls.append(re.sub(r"\{(\w+)\}", lambda m, v=values: str(v[m.group(1)]), path))
    urls += ["/dashboards/donors/DEU"]
    urls += [
        f"/dashboards/{page}"
        for page in ("funding", "gaps", "progress", "national-processes", "data-quality", "results")
    ]
    return urls


def test_no_output_shows_a_donor_another_states_money(app, anon, accounts, confidential):
    """Lists, details, exports (CSV, XLSX, IATI) and dashboard pages, as Germany's account: the project's
    totals are there, and nothing of the United States' pledge — not its donor, amounts or note."""
    donor = accounts["donor"].headers
    urls = _donor_urls(app, confidential)
    assert any("iati" in u for u in urls) and any(u.endswith(".xlsx") for u in urls)
    # The calendar feed is read with its token, as a calendar client would.
    feed = ok(anon.post("/api/v1/users/me/calendar-feed", headers=donor), 201)["token"]
    urls = [f"{u}?token={feed}" if u == "/api/v1/calendar.ics" else u for u in urls]
    seen = 0
    for url in urls:
        response = anon.get(url, headers=donor, follow_redirects=True)
        assert response.status_code in (200, 404), f"{url}: {response.status_code} {response.text[:200]}"
        if str(confidential["other"]) in url and "/pledges/" in url:
            assert response.status_code == 404, url
            continue
        assert response.status_code == 200, url
        text = re.sub(r"<select.*?</select>", "", _text_of(response), flags=re.S)  # the list of States
        if url.startswith("/dashboards/") and ".csv" not in url:  # and every download it links to
            links = set(re.findall(r'href="(/dashboards/[^"]+\.csv[^"]*)"', text))
            assert links, url
            urls += sorted(html.unescape(link) for link in links if html.unescape(link) not in urls)
        leaked = [
            f for f in confidential["forbidden"] if re.search(rf"(?<![\w.,]){re.escape(f)}(?![\w])", text)
        ]
        assert leaked == [], f"{url} shows Germany {leaked}"
        seen += 1
    assert seen >= 20
    # The rule: project totals of every donor stay visible.
    project = ok(anon.get(f"/api/v1/projects/{confidential['ids']['project_id']}", headers=donor))
    assert project["funding"]["pledged_eur"] == "2460.99"
    # ...and staff do see the other pledge in the same outputs (the check above can fail).
    staff = anon.get("/api/v1/exports/pledges.csv", headers=accounts["staff"].headers)
    assert "4321.98" in staff.text and "USA" in staff.text
