"""Contribution agreements and reporting obligations through the API: the schedule's dates, the default
final pair, the pledge a signature commits, end dates that move what is not yet submitted, If-Match,
refusals naming their field, who sees which, the list's filters and overdue read from the date."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from portfolio.agreements.models import Obligation
from tests.days import resolved, today, tomorrow
from tests.factories import assert_problem, make_pledge, make_project, ok


def agreement_body(**overrides: Any) -> dict[str, Any]:
    return {"reference": "SAMPLE-CA-001", "signed_on": "2024-04-01"} | overrides


def pledge_with_project(
    client: TestClient, end_date: str | None = "2025-12-31", **pledge: Any
) -> dict[str, Any]:
    project = make_project(client, start_date="2024-01-01", **({"end_date": end_date} if end_date else {}))
    return make_pledge(client, project["id"], **pledge)


def record(client: TestClient, pledge_id: int, headers: dict[str, str] | None = None, **body: Any) -> Any:
    return client.post(
        f"/api/v1/pledges/{pledge_id}/agreement", json=agreement_body(**body), headers=headers or {}
    )


def obligations(
    client: TestClient, headers: dict[str, str] | None = None, **params: Any
) -> list[dict[str, Any]]:
    page = ok(client.get("/api/v1/obligations", params=params, headers=headers or {}))
    return page["items"]  # type: ignore[no-any-return]


def schedule_of(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(o["kind"], o["due_on"]) for o in items]


def test_a_signed_agreement_generates_its_schedule_to_the_day(client):
    pledge = pledge_with_project(client)
    schedule = {"interim_every_months": 6, "final_after_months": 3, "audit_certificate": True}
    created = ok(record(client, pledge["id"], schedule=schedule, valid_until="2026-06-30"), 201)
    assert (created["pledge_id"], created["donor"], created["schedule"]) == (pledge["id"], "DEU", schedule)
    items = obligations(client, project=pledge["project_id"])
    assert schedule_of(items) == [
        ("interim_narrative", "2024-10-01"),
        ("interim_narrative", "2025-04-01"),
        ("interim_narrative", "2025-10-01"),
        ("audit_certificate", "2026-03-31"),
        ("final_narrative", "2026-03-31"),
        ("financial_statement", "2026-03-31"),
    ]
    assert all(o["generated"] for o in items)


def test_interim_dates_keep_to_the_month_end(client):
    pledge = pledge_with_project(client, end_date="2025-09-30")
    ok(record(client, pledge["id"], signed_on="2024-08-31", schedule={"interim_every_months": 6}), 201)
    interims = obligations(client, project=pledge["project_id"], kind="interim_narrative")
    assert [o["due_on"] for o in interims] == ["2025-02-28", "2025-08-31"]


def test_an_agreement_without_a_schedule_gets_the_final_pair(client):
    pledge = pledge_with_project(client)
    created = ok(record(client, pledge["id"]), 201)
    assert created["schedule"] == {
        "interim_every_months": None,
        "final_after_months": 3,
        "audit_certificate": False,
    }
    assert schedule_of(obligations(client, project=pledge["project_id"])) == [
        ("final_narrative", "2026-03-31"),
        ("financial_statement", "2026-03-31"),
    ]


def test_a_signed_agreement_commits_the_pledge_with_its_audit_entry(client):
    pledge = pledge_with_project(client)
    assert pledge["status"] == "pledged"
    created = ok(record(client, pledge["id"]), 201)
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["status"] == "committed"
    trail = ok(client.get("/api/v1/audit", params={"entity": "pledge", "entity_id": pledge["id"]}))["items"]
    assert any(
        e["action"] == "update" and e["changes"].get("status") == ["pledged", "committed"] for e in trail
    )
    made = ok(client.get("/api/v1/audit", params={"entity": "agreement", "entity_id": created["id"]}))[
        "items"
    ]
    assert [e["action"] for e in made] == ["create"]
    generated = ok(client.get("/api/v1/audit", params={"entity": "obligation"}))["items"]
    assert len(generated) == 2


def test_an_unsigned_agreement_commits_nothing_until_it_is_signed(client):
    pledge = pledge_with_project(client)
    created = ok(record(client, pledge["id"], signed_on=None), 201)
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["status"] == "pledged"
    assert obligations(client, project=pledge["project_id"]) == []
    headers = {"If-Match": f'"{created["version"]}"'}
    signed = ok(
        client.patch(
            f"/api/v1/pledges/{pledge['id']}/agreement", json={"signed_on": "2024-05-02"}, headers=headers
        )
    )
    assert signed["signed_on"] == "2024-05-02"
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["status"] == "committed"
    assert len(obligations(client, project=pledge["project_id"])) == 2


def test_a_pledge_has_one_agreement_and_a_withdrawn_one_none(client):
    pledge = pledge_with_project(client)
    ok(record(client, pledge["id"]), 201)
    assert_problem(record(client, pledge["id"], reference="OTHER"), 409)
    withdrawn = pledge_with_project(client)
    ok(client.patch(f"/api/v1/pledges/{withdrawn['id']}", json={"status": "withdrawn"}))
    assert_problem(record(client, withdrawn["id"]), 409)
    assert_problem(client.get(f"/api/v1/pledges/{withdrawn['id']}/agreement"), 404)


def test_an_end_date_change_moves_only_what_is_not_yet_submitted(client):
    pledge = pledge_with_project(client)
    ok(record(client, pledge["id"]), 201)
    final, financial = obligations(client, project=pledge["project_id"])
    ok(
        client.patch(
            f"/api/v1/obligations/{final['id']}", json={"status": "submitted", "submitted_on": "2026-03-15"}
        )
    )
    extra = ok(
        client.post(
            "/api/v1/obligations",
            json={"agreement_id": final["agreement_id"], "kind": "other", "due_on": "2026-01-15"},
        ),
        201,
    )
    assert extra["generated"] is False
    project = ok(client.get(f"/api/v1/projects/{pledge['project_id']}"))
    moved = client.patch(
        f"/api/v1/projects/{project['id']}",
        json={"end_date": "2026-06-30"},
        headers={"If-Match": f'"{project["version"]}"'},
    )
    assert ok(moved)["end_date"] == "2026-06-30"
    after = {o["id"]: o for o in obligations(client, project=pledge["project_id"])}
    assert after[final["id"]]["due_on"] == "2026-03-31"  # submitted: stays
    assert after[financial["id"]]["due_on"] == "2026-09-30"  # not yet submitted: moves
    assert after[extra["id"]]["due_on"] == "2026-01-15"  # added by hand: stays
    trail = ok(client.get("/api/v1/audit", params={"entity": "obligation", "entity_id": financial["id"]}))[
        "items"
    ]
    assert trail[0]["changes"] == {"due_on": ["2026-03-31", "2026-09-30"]}


def test_a_project_without_an_end_date_gets_its_final_pair_when_it_gets_one(client):
    pledge = pledge_with_project(client, end_date=None)
    ok(record(client, pledge["id"], schedule={"interim_every_months": 6}), 201)
    assert obligations(client, project=pledge["project_id"]) == []
    project = ok(client.get(f"/api/v1/projects/{pledge['project_id']}"))
    ok(client.patch(f"/api/v1/projects/{project['id']}", json={"end_date": "2025-01-31"}))
    assert schedule_of(obligations(client, project=pledge["project_id"])) == [
        ("interim_narrative", "2024-10-01"),
        ("final_narrative", "2025-04-30"),
        ("financial_statement", "2025-04-30"),
    ]


def test_a_shorter_project_drops_the_interim_reports_past_its_end(client):
    pledge = pledge_with_project(client)
    ok(record(client, pledge["id"], schedule={"interim_every_months": 6}), 201)
    project = ok(client.get(f"/api/v1/projects/{pledge['project_id']}"))
    ok(client.patch(f"/api/v1/projects/{project['id']}", json={"end_date": "2025-01-31"}))
    interims = obligations(client, project=pledge["project_id"], kind="interim_narrative")
    assert [o["due_on"] for o in interims] == ["2024-10-01"]


def test_edits_carry_if_match(client):
    pledge = pledge_with_project(client)
    created = ok(record(client, pledge["id"]), 201)
    url = f"/api/v1/pledges/{pledge['id']}/agreement"
    stale = {"If-Match": f'"{created["version"] + 5}"'}
    assert_problem(client.patch(url, json={"conditions": "Changed"}, headers=stale), 412)
    assert ok(client.get(url))["conditions"] == ""
    response = client.patch(
        url, json={"conditions": "Changed"}, headers={"If-Match": f'"{created["version"]}"'}
    )
    assert ok(response)["conditions"] == "Changed"
    assert response.headers["etag"] == f'"{created["version"] + 1}"'

    obligation = obligations(client, project=pledge["project_id"])[0]
    ob_url = f"/api/v1/obligations/{obligation['id']}"
    stale = {"If-Match": f'"{obligation["version"] + 1}"'}
    assert_problem(client.patch(ob_url, json={"note": "x"}, headers=stale), 412)
    assert ok(client.get(ob_url))["note"] == ""
    done = client.patch(ob_url, json={"note": "x"}, headers={"If-Match": f'"{obligation["version"]}"'})
    assert ok(done)["note"] == "x"
    assert done.headers["etag"] == f'"{obligation["version"] + 1}"'


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"signed_on": "2024-05-01", "valid_until": "2024-04-30"}, ["body", "valid_until"]),
        ({"signed_on": tomorrow}, ["body", "signed_on"]),
        ({"earmarking": "somewhere"}, ["body", "earmarking"]),
        ({"reference": ""}, ["body", "reference"]),
        ({"schedule": {"interim_every_months": 0}}, ["body", "schedule", "interim_every_months"]),
        ({"contact_email": "not-an-address"}, ["body", "contact_email"]),
    ],
)
def test_a_bad_agreement_is_refused_naming_the_field(client, body, loc):
    pledge = pledge_with_project(client)
    assert_problem(record(client, pledge["id"], **resolved(body)), 422, loc)
    assert_problem(client.get(f"/api/v1/pledges/{pledge['id']}/agreement"), 404)
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["status"] == "pledged"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"status": "submitted", "submitted_on": tomorrow}, ["body", "submitted_on"]),
        ({"status": "overdue"}, ["body", "status"]),
        ({"kind": "poem"}, ["body", "kind"]),
        ({"status": "accepted"}, ["body", "submitted_on"]),
        (
            {"status": "accepted", "submitted_on": "2026-03-10", "accepted_on": "2026-03-01"},
            ["body", "accepted_on"],
        ),
        ({"owner_id": 999999}, ["body", "owner_id"]),
        ({"due_on": None}, ["body", "due_on"]),
        ({"document_id": 0}, ["body", "document_id"]),
    ],
)
def test_a_bad_obligation_change_is_refused_naming_the_field(client, body, loc):
    pledge = pledge_with_project(client)
    ok(record(client, pledge["id"]), 201)
    obligation = obligations(client, project=pledge["project_id"])[0]
    assert_problem(client.patch(f"/api/v1/obligations/{obligation['id']}", json=resolved(body)), 422, loc)
    assert ok(client.get(f"/api/v1/obligations/{obligation['id']}"))["version"] == obligation["version"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"agreement_id": 999999, "kind": "other", "due_on": "2026-01-01"}, ["body", "agreement_id"]),
        ({"kind": "poem", "due_on": "2026-01-01"}, ["body", "kind"]),
        ({"kind": "other"}, ["body", "due_on"]),
    ],
)
def test_a_bad_new_obligation_is_refused_naming_the_field(client, body, loc):
    pledge = pledge_with_project(client)
    agreement = ok(record(client, pledge["id"]), 201)
    assert_problem(
        client.post("/api/v1/obligations", json={"agreement_id": agreement["id"]} | body), 422, loc
    )


def test_a_manager_cannot_name_itself_owner(client, accounts):
    pledge = pledge_with_project(client)
    ok(record(client, pledge["id"]), 201)
    obligation = obligations(client, project=pledge["project_id"])[0]
    url = f"/api/v1/obligations/{obligation['id']}"
    assert_problem(client.patch(url, json={"owner_id": accounts["manager"].id}), 422, ["body", "owner_id"])
    assert ok(client.patch(url, json={"owner_id": accounts["staff"].id}))["owner_id"] == accounts["staff"].id


def test_submission_then_acceptance(client):
    pledge = pledge_with_project(client)
    ok(record(client, pledge["id"]), 201)
    obligation = obligations(client, project=pledge["project_id"])[0]
    url = f"/api/v1/obligations/{obligation['id']}"
    submitted = ok(client.patch(url, json={"submitted_on": "2026-03-20", "document_id": 12}))
    assert (submitted["status"], submitted["overdue"], submitted["document_id"]) == ("submitted", False, 12)
    accepted = ok(client.patch(url, json={"status": "accepted"}))
    assert (accepted["status"], accepted["submitted_on"], accepted["accepted_on"]) == (
        "accepted",
        "2026-03-20",
        today().isoformat(),
    )


def test_a_donor_sees_its_own_agreements_and_obligations_only(client, accounts):
    own = pledge_with_project(client)
    other = pledge_with_project(client, donor="USA")
    ok(record(client, own["id"]), 201)
    ok(record(client, other["id"], reference="SAMPLE-CA-USA"), 201)
    donor = accounts["donor"].headers
    assert ok(client.get(f"/api/v1/pledges/{own['id']}/agreement", headers=donor))["donor"] == "DEU"
    assert_problem(client.get(f"/api/v1/pledges/{other['id']}/agreement", headers=donor), 404)
    mine = obligations(client, donor)
    assert {o["donor"] for o in mine} == {"DEU"} and len(mine) == 2
    assert obligations(client, donor, donor="USA") == []
    theirs = obligations(client, donor="USA")[0]
    assert_problem(client.get(f"/api/v1/obligations/{theirs['id']}", headers=donor), 404)
    assert_problem(
        client.patch(f"/api/v1/obligations/{mine[0]['id']}", json={"note": "x"}, headers=donor), 403
    )
    assert_problem(record(client, own["id"], donor), 403)
    assert len(obligations(client, accounts["manager"].headers)) == 4


def test_the_list_filters(client):
    early = pledge_with_project(client)  # final pair due 2026-03-31: overdue
    late = pledge_with_project(client, end_date="2027-06-30", donor="USA")  # due 2027-09-30
    ok(record(client, early["id"]), 201)
    ok(record(client, late["id"], schedule={"audit_certificate": True}), 201)
    assert len(obligations(client)) == 5
    assert {o["project_id"] for o in obligations(client, project=late["project_id"])} == {late["project_id"]}
    assert {o["donor"] for o in obligations(client, donor="USA")} == {"USA"}
    assert schedule_of(obligations(client, kind="audit_certificate")) == [("audit_certificate", "2027-09-30")]
    assert {o["project_id"] for o in obligations(client, status="overdue")} == {early["project_id"]}
    assert {o["project_id"] for o in obligations(client, status="due")} == {late["project_id"]}
    assert len(obligations(client, due_before="2026-12-31")) == 2
    assert len(obligations(client, due_after="2026-12-31")) == 3
    assert obligations(client, due_after="2026-03-31", due_before="2027-09-30") == []
    assert_problem(client.get("/api/v1/obligations", params={"status": "late"}), 422, ["query", "status"])
    assert_problem(
        client.get("/api/v1/obligations", params={"due_before": "soon"}), 422, ["query", "due_before"]
    )


def test_overdue_is_read_from_the_date_never_stored(client, db):
    pledge = pledge_with_project(client)
    ok(record(client, pledge["id"]), 201)
    final, financial = obligations(client, project=pledge["project_id"])
    assert (final["status"], final["overdue"]) == ("overdue", True)
    with db.session() as session:
        stored = session.exec(select(Obligation).where(Obligation.id == final["id"])).one()
        assert stored.status == "due"
    moved = ok(
        client.patch(
            f"/api/v1/obligations/{final['id']}", json={"due_on": (today() + timedelta(days=30)).isoformat()}
        )
    )
    assert (moved["status"], moved["overdue"]) == ("due", False)
    submitted = ok(client.patch(f"/api/v1/obligations/{financial['id']}", json={"status": "submitted"}))
    assert (submitted["status"], submitted["overdue"], submitted["submitted_on"]) == (
        "submitted",
        False,
        today().isoformat(),
    )


def quality_table(client: TestClient, table: str) -> list[list[str]]:
    response = client.get("/dashboards/data-quality.csv", params={"table": table})
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.text)))[1:]


def test_the_data_quality_page_shows_unsigned_commitments_and_overdue_reports(client):
    committed = pledge_with_project(client, status="committed", amount="1234.00")
    signed = pledge_with_project(client, amount="5678.00")
    ok(record(client, signed["id"]), 201)  # final pair due 2026-03-31: overdue
    unsigned = quality_table(client, "pledges_without_agreement")
    codes = {row[0] for row in unsigned}
    project_codes = {
        p["id"]: p["code"] for p in ok(client.get("/api/v1/projects", params={"limit": 500}))["items"]
    }
    assert codes == {project_codes[committed["project_id"]]}  # the signed one is committed, with an agreement
    assert unsigned[0][1] == "DEU: 1234.00 EUR"
    late = quality_table(client, "overdue_obligations")
    assert [row[1:] for row in late] == [
        ["DEU, SAMPLE-CA-001: final narrative", "2026-03-31"],
        ["DEU, SAMPLE-CA-001: financial statement", "2026-03-31"],
    ]
    page = client.get("/dashboards/data-quality", params={"lang": "fr"}).text
    assert "Engagements sans accord de contribution" in page
    assert "Obligations de rapport en retard" in page
    final = obligations(client, project=signed["project_id"])[0]
    ok(client.patch(f"/api/v1/obligations/{final['id']}", json={"status": "submitted"}))
    assert len(quality_table(client, "overdue_obligations")) == 1


def test_the_home_page_lists_overdue_reports_and_a_donor_sees_its_own(client, accounts):
    own = pledge_with_project(client)
    other = pledge_with_project(client, donor="USA")
    ok(record(client, own["id"]), 201)
    ok(record(client, other["id"], reference="SAMPLE-CA-USA"), 201)
    staff = client.get("/", headers=accounts["staff"].headers)
    assert staff.status_code == 200
    section = staff.text.split('id="h-reports"')[1].split("</section>")[0]
    assert "(4)" in section and "Final narrative report" in section and "United States" in section
    donor = client.get("/", headers=accounts["donor"].headers)
    section = donor.text.split('id="h-reports"')[1].split("</section>")[0]
    assert "(2)" in section and "Germany" in section and "United States" not in section
    french = client.get("/", headers=accounts["staff"].headers | {"Accept-Language": "fr"})
    assert "Rapport narratif final" in french.text


def test_the_donors_statement_lists_its_overdue_reports_only(client, accounts):
    own = pledge_with_project(client)
    other = pledge_with_project(client, donor="USA")
    ok(record(client, own["id"], reference="SAMPLE-CA-DEU-7"), 201)
    ok(record(client, other["id"], reference="SAMPLE-CA-USA-8"), 201)
    donor = accounts["donor"].headers
    url = "/dashboards/donors/DEU.csv"
    response = client.get(url, params={"table": "obligations", "from": "2024-01-01"}, headers=donor)
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.text)))[1:]
    late = str((today() - date(2026, 3, 31)).days)
    assert [row[1:] for row in rows] == [
        ["SAMPLE-CA-DEU-7", "final_narrative", "2026-03-31", late],
        ["SAMPLE-CA-DEU-7", "financial_statement", "2026-03-31", late],
    ]
    page = client.get("/dashboards/donors/DEU", params={"from": "2024-01-01"}, headers=donor).text
    assert "Final narrative report" in page and "SAMPLE-CA-USA-8" not in page


def test_a_pledge_with_an_agreement_is_withdrawn_not_deleted(client):
    pledge = pledge_with_project(client)
    ok(record(client, pledge["id"], signed_on=None), 201)
    problem = assert_problem(client.delete(f"/api/v1/pledges/{pledge['id']}"), 409)
    assert "withdraw it instead" in problem["detail"]
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}/agreement"))["pledge_id"] == pledge["id"]
    bare = pledge_with_project(client)
    assert client.delete(f"/api/v1/pledges/{bare['id']}").status_code == 204


def test_a_generated_report_given_another_kind_is_staffs_own_and_stays(client):
    pledge = pledge_with_project(client)
    ok(record(client, pledge["id"]), 201)
    final, _financial = obligations(client, project=pledge["project_id"])
    changed = ok(client.patch(f"/api/v1/obligations/{final['id']}", json={"kind": "other"}))
    assert (changed["kind"], changed["generated"]) == ("other", False)
    project = ok(client.get(f"/api/v1/projects/{pledge['project_id']}"))
    ok(client.patch(f"/api/v1/projects/{project['id']}", json={"end_date": "2026-06-30"}))
    after = obligations(client, project=pledge["project_id"])
    assert sorted(schedule_of(after)) == [
        ("final_narrative", "2026-09-30"),
        ("financial_statement", "2026-09-30"),
        ("other", "2026-03-31"),
    ]


def test_an_imported_end_date_moves_the_reports_too(client):
    pledge = pledge_with_project(client)
    ok(record(client, pledge["id"]), 201)
    exported = client.get("/api/v1/exports/projects.csv", params={"q": ""}).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    code = ok(client.get(f"/api/v1/projects/{pledge['project_id']}"))["code"]
    row = next(r for r in rows if r["code"] == code)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row), lineterminator="\n")
    writer.writeheader()
    writer.writerow(row | {"end_date": "2026-01-31"})
    files = {"file": ("projects.csv", out.getvalue().encode())}
    report = ok(client.post("/api/v1/imports/projects", params={"dry_run": "false"}, files=files))
    assert report["updated"] == 1, report
    assert {o["due_on"] for o in obligations(client, project=pledge["project_id"])} == {"2026-04-30"}
