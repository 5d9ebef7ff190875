"""Spreadsheets in and out: templates, CSV/XLSX imports (dry run, all-or-nothing, natural keys) and exports.

The acceptance test moves the whole sample portfolio through exported spreadsheets into an empty database and
compares what the API answers about both, as tests/transfer/test_backup.py does for backups.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from portfolio import migrate
from portfolio.cli import app as cli
from portfolio.demo import load_demo_data
from portfolio.main import create_app
from portfolio.security import create_token
from portfolio.users.models import User
from tests.factories import (
    PASSWORD,
    TEST_KEY,
    assert_problem,
    make_pledge,
    make_project,
    make_rate,
    make_settings,
    move,
    ok,
    receive,
)

# The order in which the README says to import, so that whatever a row names already exists.
KINDS = (
    "exchange-rates",
    "projects",
    "pledges",
    "receipts",
    "milestones",
    "indicators",
    "national-processes",
    "agreements",
)

# The columns as the README and the templates document them (written out here, not read from the code, so
# that a column renamed or dropped by accident breaks this test).
COLUMNS = {
    "projects": [
        "code", "title", "description", "areas", "activity_types", "beneficiaries", "implementing_partner",
        "request_date", "start_date", "end_date", "budget_eur", "gender_marker", "sdg_targets", "status",
        "status_on", "norms",
    ],
    "pledges": ["project_code", "donor", "kind", "amount", "currency", "pledged_on", "status", "note"],
    "receipts": ["project_code", "donor", "pledged_on", "currency", "pledge_amount", "received_on", "amount"],
    "milestones": ["project_code", "title", "due_on", "done_on", "weight"],
    "indicators": [
        "project_code",
        "name",
        "measure",
        "unit",
        "baseline",
        "target",
        "actual",
        "target_women",
        "target_men",
        "actual_women",
        "actual_men",
    ],
    "national-processes": [
        "state", "name", "kind", "areas", "stage", "established_on", "stage_changed_on", "project_codes",
        "description",
    ],
    "exchange-rates": ["currency", "month", "eur_per_unit"],
    "agreements": [
        "project_code", "donor", "donor_name", "pledged_on", "pledge_amount", "reference", "signed_on",
        "valid_until", "earmarking", "conditions", "interim_every_months", "final_after_months",
        "audit_certificate", "contact_name", "contact_email",
    ],
}  # fmt: skip
# Exported, never imported: no template.
OBLIGATION_COLUMNS = [
    "project_code", "donor", "donor_name", "pledged_on", "reference", "kind", "due_on", "status",
    "submitted_on", "accepted_on", "owner_email", "note", "generated",
]  # fmt: skip

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# -- helpers ------------------------------------------------------------------------------------


def upload(client: TestClient, kind: str, body: bytes, *, dry_run: bool = False, name: str = "") -> Any:
    return client.post(
        f"/api/v1/imports/{kind}",
        params={"dry_run": "true" if dry_run else "false"},
        files={"file": (name or f"{kind}.csv", body)},
    )


def imported(client: TestClient, kind: str, body: bytes, **kwargs: Any) -> dict[str, Any]:
    """A report of an import that went through without a problem."""
    report: dict[str, Any] = ok(upload(client, kind, body, **kwargs))
    assert report["problems"] == [], report["problems"]
    return report


def counts(report: dict[str, Any]) -> tuple[int, int, int, int]:
    return report["rows"], report["created"], report["updated"], report["unchanged"]


def download(client: TestClient, url: str, **params: Any) -> bytes:
    response = client.get(url, params=params)
    assert response.status_code == 200, (url, response.text)
    return response.content


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def sheet(kind: str, *rows: list[str]) -> bytes:
    """A CSV file of ``kind`` with every documented column."""
    return csv_bytes([COLUMNS[kind], *rows])


def csv_rows(body: bytes) -> list[list[str]]:
    """The rows of an exported CSV, which must be UTF-8 with a byte-order mark."""
    assert body.startswith(codecs.BOM_UTF8), body[:20]
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def xlsx_bytes(sheets: dict[str, list[list[Any]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_sheets(body: bytes) -> dict[str, list[list[Any]]]:
    workbook = load_workbook(io.BytesIO(body))
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in workbook.worksheets}


def audit_total(client: TestClient, **params: Any) -> int:
    return int(ok(client.get("/api/v1/audit", params={"limit": 1, **params}))["total"])


def total(client: TestClient, url: str) -> int:
    return int(ok(client.get(url, params={"limit": 1}))["total"])


def staff_headers(target: FastAPI) -> dict[str, str]:
    """A staff account in ``target``'s database, and a token for it."""
    with target.state.db.session(write=True) as session:
        user = User(
            email="importer@test.example.org",
            full_name="Importing staff",
            role="staff",
            password_hash=target.state.hasher.hash(PASSWORD),
        )
        session.add(user)
        session.flush()
        assert user.id is not None
        token = create_token(TEST_KEY, user.id, user.token_version, timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


PROJECT_HEADER = ["code", "title", "areas", "beneficiaries", "request_date", "budget_eur"]


def project_rows(*rows: list[str], header: list[str] = PROJECT_HEADER) -> bytes:
    return csv_bytes([header, *rows])


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def sample(app: FastAPI) -> FastAPI:
    with app.state.db.session(write=True) as session:
        load_demo_data(session, app.state.hasher)
    return app


@pytest.fixture
def copy(empty_database_url: str):
    """A second database, migrated and empty, with its own app and a staff account: where imports land."""
    migrate.upgrade(empty_database_url)
    target = create_app(make_settings(empty_database_url))
    try:
        with TestClient(target, headers=staff_headers(target)) as client:
            yield client
    finally:
        target.state.db.dispose()


# -- 1. the acceptance test: a whole portfolio through spreadsheets ----------------------------------------

# What the comparison leaves out, and why:
# * database ids (`id`, `project_id`, `project_ids`, `pledge_id`): a spreadsheet names records by natural key,
#   so the copy numbers them afresh. Projects are compared by code, pledges by their natural key, receipts
#   under their pledge, national processes by State and name; ids pointing at projects are mapped to codes.
# * `created_at`, `updated_at`, `recorded_at` and `version`: they say when and how often a row was written,
#   and in the copy every row was written once, by the import.
# * the projects' status history and the national processes' stage history: a spreadsheet holds where a
#   record stands, not how it got there. A project imported with a status has the request and one change,
#   noted 'Imported' and dated by the file's status_on: the day it reached that status (asserted below); a
#   backup carries the whole history.
# * the reporting obligations: the copy generates them again from each agreement's schedule, all due (a
#   spreadsheet of obligations is exported, never imported: their submissions stay with the API).
# * the audit trail (the copy's records what the import did), the accounts (no spreadsheet holds them) and
#   the dashboards' "stale projects" and "stage changes" tables, computed from update times and stage history.
VOLATILE = {"id", "version", "created_at", "updated_at", "recorded_at", "pledge_id"}


def portfolio_view(client: TestClient) -> dict[str, Any]:
    """What the API answers about every project, pledge, receipt, rate and process, keyed by natural keys."""

    def get(url: str) -> Any:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
        return response.json() if "json" in response.headers["content-type"] else response.text

    projects = get("/api/v1/projects?limit=500")
    code_of = {p["id"]: p["code"] for p in projects["items"]}

    def clean(record: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in record.items() if k not in VOLATILE}
        if "project_id" in out:
            out["project_code"] = code_of[out.pop("project_id")]
        if "project_ids" in out:
            out["project_codes"] = sorted(code_of[i] for i in out.pop("project_ids"))
        return out

    view: dict[str, Any] = {"project list": [clean(p) for p in projects["items"]], "total": projects["total"]}
    for project in projects["items"]:
        base, code = f"/api/v1/projects/{project['id']}", project["code"]
        view[f"project {code}"] = clean(get(base))
        view[f"milestones {code}"] = [clean(m) for m in get(f"{base}/milestones")]
        view[f"indicators {code}"] = [clean(i) for i in get(f"{base}/indicators")]
    pledges = get("/api/v1/pledges?limit=500")
    assert pledges["total"] == len(pledges["items"])
    seen: dict[tuple[Any, ...], int] = {}
    for pledge in pledges["items"]:
        key = (code_of[pledge["project_id"]], pledge["donor"], pledge["pledged_on"], pledge["currency"])
        key += (pledge["amount"],)
        seen[key] = seen.get(key, -1) + 1
        receipts = [clean(r) for r in get(f"/api/v1/pledges/{pledge['id']}/receipts")]
        found = client.get(f"/api/v1/pledges/{pledge['id']}/agreement")
        agreement = clean(found.json()) if found.status_code == 200 else None
        view[f"pledge {key} #{seen[key]}"] = clean(pledge) | {"receipts": receipts, "agreement": agreement}
    processes = get("/api/v1/national-processes?limit=500")
    assert processes["total"] == len(processes["items"])
    for process in processes["items"]:
        # A spreadsheet carries no follow-up checks: an operational process gets its checks again from the
        # day it became operational; one imported at a later stage has no check history.
        checks = process.pop("follow_ups")
        if process["stage"] == "operational":
            process["follow_ups"] = [(c["months_after"], c["due_on"], c["status"]) for c in checks]
        view[f"process {process['state']} {process['name']}"] = clean(process)
    rates: list[dict[str, Any]] = []
    while True:
        page = get(f"/api/v1/exchange-rates?limit=500&offset={len(rates)}")
        rates += [clean(r) for r in page["items"]]
        if len(rates) >= page["total"] or not page["items"]:
            break
    view["exchange rates"] = rates
    tables = {
        "funding": ["by-donor", "by-beneficiary", "map", "over-time", "by-area", "by-activity", "by-kind"],
        "gaps": ["gaps"],
        "progress": ["by-status", "timeline", "indicators"],
        "national-processes": ["matrix"],
        "donors/DEU": ["projects", "pledges", "receipts", "outstanding", "results", "processes"],
        "data-quality": ["overdue_milestones", "unpaid_commitments", "missing_rates"],
    }
    for page_name, ids in tables.items():
        for table in ids:
            url = f"/dashboards/{page_name}.csv?table={table}"
            view[url] = get(url)
    return view


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_sample_portfolio_moves_through_spreadsheets_into_an_empty_database(sample, client, copy, fmt):
    files = {kind: download(client, f"/api/v1/exports/{kind}.{fmt}") for kind in KINDS}
    for kind in KINDS:
        report = imported(copy, kind, files[kind], name=f"{kind}.{fmt}")
        assert report["written"] is True
        assert report["rows"] > 0
        assert counts(report) == (report["rows"], report["rows"], 0, 0), kind

    before, after = portfolio_view(client), portfolio_view(copy)
    assert len(before["project list"]) == 30 and any(k.startswith("pledge ") for k in before)
    assert after.keys() == before.keys()
    for key in before:
        assert after[key] == before[key], key

    # A spreadsheet has no status history: the request, then one change to the status, 'Imported' and
    # dated the day the project reached it.
    original = {p["code"]: p["id"] for p in ok(client.get("/api/v1/projects?limit=500"))["items"]}
    for project in ok(copy.get("/api/v1/projects?limit=500"))["items"]:
        history = ok(copy.get(f"/api/v1/projects/{project['id']}/history"))
        reached = ok(client.get(f"/api/v1/projects/{original[project['code']]}/history"))[-1]["on"]
        assert history[0]["to"] == "requested" and history[0]["on"] == project["request_date"]
        if project["status"] == "requested":
            assert len(history) == 1
        else:
            assert [(h["from"], h["to"], h["note"]) for h in history[1:]] == [
                ("requested", project["status"], "Imported")
            ]
            assert history[1]["on"] == reached

    # Every record the import wrote is in the audit trail, under the importing account.
    me = ok(copy.get("/api/v1/users/me"))
    written = audit_total(copy)
    assert written >= len(after["exchange rates"]) + len(after["project list"])
    assert audit_total(copy, user_id=me["id"]) == written

    # The same files again change nothing at all.
    for kind in KINDS:
        report = imported(copy, kind, files[kind], name=f"{kind}.{fmt}")
        assert counts(report) == (report["rows"], 0, 0, report["rows"]), kind
    assert audit_total(copy) == written  # every write is audited: no entry, no write


# -- 2. a dry run reports every bad row ------------------------------------------------------------------


def test_a_dry_run_lists_every_bad_row_with_its_cell_and_writes_nothing(sample, client):
    rows = csv_rows(download(client, "/api/v1/exports/pledges.csv"))
    assert rows[0] == COLUMNS["pledges"]
    col = {name: i for i, name in enumerate(rows[0])}
    good = len(rows) - 1
    assert good == 57

    def spoil(row: int, column: str, value: str) -> None:  # row as the spreadsheet numbers it
        rows[row - 1][col[column]] = value

    spoil(3, "project_code", "SAMPLE-NO-SUCH-1")
    spoil(8, "donor", "XXX")
    spoil(13, "amount", "-5.00")
    spoil(21, "pledged_on", "2024-02-30")
    spoil(34, "currency", "ZZZ")
    spoil(40, "amount", "100.123")
    spoil(55, "status", "promised")
    spoil(10, "note", "Second tranche confirmed by note verbale")  # a good change: updated
    project = next(
        p for p in ok(client.get("/api/v1/projects?status=implementation&limit=1"))["items"]
    )  # a good new row: created
    rows.append([project["code"], "AUT", "cash", "12345.00", "EUR", "2024-06-01", "pledged", ""])
    pledges_before = ok(client.get("/api/v1/pledges?limit=500"))
    audit_before = audit_total(client)

    report = ok(upload(client, "pledges", csv_bytes(rows), dry_run=True))

    assert report["dry_run"] is True and report["written"] is False
    assert counts(report) == (good + 1, 1, 1, good - 7 - 1)
    found = {(p["row"], p["column"], p["value"]): p["message"] for p in report["problems"]}
    expected = {
        (3, "project_code", "SAMPLE-NO-SUCH-1"): "no project has the code 'SAMPLE-NO-SUCH-1'",
        (8, "donor", "XXX"): "'XXX' is not an OSCE participating State or Partner code",
        (13, "amount", "-5.00"): "greater than 0",
        (21, "pledged_on", "2024-02-30"): "valid date",
        (34, "currency", "ZZZ"): "'ZZZ' is not an ISO 4217 currency code",
        (40, "amount", "100.123"): "at most 2 decimal places",
        (55, "status", "promised"): "'committed'",
    }
    assert found.keys() == expected.keys()
    for cell, message in expected.items():
        assert message in found[cell], (cell, found[cell])
    # Nothing was written: not the new pledge, not the changed note, no audit entry.
    assert ok(client.get("/api/v1/pledges?limit=500")) == pledges_before
    assert audit_total(client) == audit_before


# -- 3. all or nothing ---------------------------------------------------------------------------------


def test_one_bad_row_keeps_every_good_row_out(client):
    make_project(client, code="AON-1")
    header = COLUMNS["pledges"]
    rows = [["AON-1", "DEU", "cash", f"{1000 + n}.00", "EUR", "2024-03-10", "pledged", ""] for n in range(20)]
    rows[13][1] = "XXX"  # spreadsheet row 15
    audit_before = audit_total(client)

    response = upload(client, "pledges", csv_bytes([header, *rows]))

    body = assert_problem(response, 422, ["file", 15, "donor"])
    assert body["type"].endswith("/problems/import-failed")
    assert [e["loc"] for e in body["errors"]] == [["file", 15, "donor"]]
    assert "XXX" in body["errors"][0]["msg"]
    assert "nothing was imported" in body["detail"]
    assert total(client, "/api/v1/pledges") == 0
    assert audit_total(client) == audit_before

    rows[13][1] = "FRA"
    assert counts(imported(client, "pledges", csv_bytes([header, *rows]))) == (20, 20, 0, 0)
    assert total(client, "/api/v1/pledges") == 20


def test_rows_are_checked_against_the_rows_above_them(client):
    """Two receipts, each fine on its own, together pass the pledge: the second is the problem."""
    project = make_project(client, code="RCPT-1")
    pledge = make_pledge(client, project["id"], amount="100000.00")
    key = ["RCPT-1", "DEU", "2024-03-10", "EUR", "100000.00"]
    file = sheet("receipts", [*key, "2024-05-02", "60000.00"], [*key, "2024-06-02", "50000.00"])

    report = ok(upload(client, "receipts", file, dry_run=True))
    assert counts(report) == (2, 1, 0, 0)
    assert [p["row"] for p in report["problems"]] == [3], report["problems"]
    assert "50000.00 EUR" in report["problems"][0]["message"]
    assert "past its 100000.00 EUR (40000.00 EUR outstanding)" in report["problems"][0]["message"]

    problem = assert_problem(upload(client, "receipts", file), 422)
    assert problem["type"].endswith("/problems/import-failed")
    assert [e["loc"][:2] for e in problem["errors"]] == [["file", 3]]
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["received"] == "0.00"
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}/receipts")) == []


# -- 4. natural keys: importing again, and changing a row ----------------------------------------------


def test_importing_again_changes_nothing_and_a_changed_row_updates_just_its_record(client):
    projects = [
        ["UPD-1", "Depot security in Serbia", "SCA", "SRB", "2024-01-15", "1000000.00"],
        ["UPD-2", "Marking of small arms", "SALW", "BIH", "2024-02-01", "500000.00"],
        ["UPD-3", "Destruction of surplus rounds", "SCA", "MNE", "2024-03-01", "750000.00"],
    ]
    assert counts(imported(client, "projects", project_rows(*projects))) == (3, 3, 0, 0)
    pledges = [
        ["UPD-1", "DEU", "cash", "400000.00", "EUR", "2024-03-10", "committed", ""],
        ["UPD-2", "FRA", "in_kind", "50000.00", "EUR", "2024-04-10", "pledged", "Experts"],
    ]
    assert counts(imported(client, "pledges", sheet("pledges", *pledges))) == (2, 2, 0, 0)
    milestones = [["UPD-1", "Site surveys completed", "2024-06-30", "", "1"]]
    assert counts(imported(client, "milestones", sheet("milestones", *milestones))) == (1, 1, 0, 0)
    audit_before = audit_total(client)

    assert counts(imported(client, "projects", project_rows(*projects))) == (3, 0, 0, 3)
    assert counts(imported(client, "pledges", sheet("pledges", *pledges))) == (2, 0, 0, 2)
    assert counts(imported(client, "milestones", sheet("milestones", *milestones))) == (1, 0, 0, 1)
    assert audit_total(client) == audit_before

    projects[0][1] = "Depot security and fire safety in Serbia"
    projects[2][5] = "800000.00"
    pledges[1][7] = "Two experts for six months"
    milestones[0][3] = "2024-06-20"
    assert counts(imported(client, "projects", project_rows(*projects))) == (3, 0, 2, 1)
    assert counts(imported(client, "pledges", sheet("pledges", *pledges))) == (2, 0, 1, 1)
    assert counts(imported(client, "milestones", sheet("milestones", *milestones))) == (1, 0, 1, 0)

    by_code = {p["code"]: p for p in ok(client.get("/api/v1/projects"))["items"]}
    assert len(by_code) == 3
    assert by_code["UPD-1"]["title"] == "Depot security and fire safety in Serbia"
    assert by_code["UPD-1"]["progress"]["milestones_done"] == 1
    assert by_code["UPD-2"]["title"] == "Marking of small arms" and by_code["UPD-2"]["version"] == 1
    assert by_code["UPD-3"]["budget_eur"] == "800000.00"
    assert by_code["UPD-3"]["funding"]["gap_eur"] == "800000.00"
    assert total(client, "/api/v1/pledges") == 2

    updates = ok(client.get("/api/v1/audit", params={"action": "update", "limit": 50}))["items"]
    changed = {(e["entity"], e["entity_id"]): e["changes"] for e in updates}
    assert changed[("project", by_code["UPD-1"]["id"])] == {
        "title": ["Depot security in Serbia", "Depot security and fire safety in Serbia"]
    }
    assert list(changed[("project", by_code["UPD-3"]["id"])]) == ["budget_eur"]
    assert [str(Decimal(v)) for v in changed[("project", by_code["UPD-3"]["id"])]["budget_eur"]] == [
        "750000.00",
        "800000.00",
    ]
    pledge_changes = [c for (entity, _), c in changed.items() if entity == "pledge"]
    assert pledge_changes == [{"note": ["Experts", "Two experts for six months"]}]
    assert len(updates) == 4  # two projects, one pledge, one milestone: nothing else was touched


def test_a_status_in_the_file_sets_a_new_project_and_steps_an_existing_one(client):
    header = [*PROJECT_HEADER, "status"]
    stepping = make_project(client, code="STEP-1")
    jumping = make_project(client, code="JUMP-1")
    file = project_rows(
        ["NEW-1", "Imported while running", "SCA", "SRB", "2023-01-10", "1000.00", "implementation"],
        ["STEP-1", stepping["title"], "SCA", "SRB", "2024-01-15", "1000000.00", "assessment"],
        ["JUMP-1", jumping["title"], "SCA", "SRB", "2024-01-15", "1000000.00", "completed"],
        header=header,
    )

    report = ok(upload(client, "projects", file, dry_run=True))

    assert counts(report) == (3, 1, 1, 0)
    assert len(report["problems"]) == 1
    problem = report["problems"][0]
    assert problem["row"] == 4
    assert "cannot move from requested to completed" in problem["message"]
    # The report names the cell at fault, as it does for every other problem.
    assert (problem["column"], problem["value"]) == ("status", "completed"), problem

    fixed = file.replace(b"completed", b"")
    assert counts(imported(client, "projects", fixed)) == (3, 1, 1, 1)
    by_code = {p["code"]: p for p in ok(client.get("/api/v1/projects"))["items"]}
    assert by_code["NEW-1"]["status"] == "implementation"
    history = ok(client.get(f"/api/v1/projects/{by_code['NEW-1']['id']}/history"))
    assert [(h["from"], h["to"], h["on"]) for h in history] == [
        (None, "requested", "2023-01-10"),
        ("requested", "implementation", date.today().isoformat()),
    ]
    assert by_code["STEP-1"]["status"] == "assessment"
    assert by_code["JUMP-1"]["status"] == "requested"  # an empty status leaves it where it is


def test_paid_follows_from_receipts_and_withdrawn_pledges_import_onto_cancelled_projects(client):
    open_project = make_project(client, code="PST-OPEN")
    closed = make_project(client, code="PST-GONE")
    move(client, closed["id"], "cancelled", on="2024-03-11")
    file = sheet(
        "pledges",
        ["PST-OPEN", "DEU", "cash", "1000.00", "EUR", "2024-03-10", "paid", ""],
        ["PST-GONE", "FRA", "cash", "2000.00", "EUR", "2024-03-11", "withdrawn", "Project cancelled"],
    )
    assert counts(imported(client, "pledges", file)) == (2, 2, 0, 0)
    status = {p["project_id"]: p["status"] for p in ok(client.get("/api/v1/pledges"))["items"]}
    assert status == {open_project["id"]: "committed", closed["id"]: "withdrawn"}
    assert ok(client.get(f"/api/v1/projects/{closed['id']}"))["funding"]["pledged_eur"] == "0.00"

    receipt = ["PST-OPEN", "DEU", "2024-03-10", "EUR", "1000.00", "2024-04-01", "1000.00"]
    imported(client, "receipts", sheet("receipts", receipt))
    assert ok(client.get("/api/v1/pledges", params={"donor": "DEU"}))["items"][0]["status"] == "paid"
    # The file still says paid: that is what the pledge is, so importing it again changes nothing.
    assert counts(imported(client, "pledges", file)) == (2, 0, 0, 2)
    # History: a cancelled project keeps the pledges made before it was cancelled, and takes none after.
    before = ["PST-GONE", "ITA", "cash", "5.00", "EUR", "2024-03-11", "committed", ""]
    late = ["PST-GONE", "ITA", "cash", "5.00", "EUR", "2024-03-12", "pledged", ""]
    report = ok(upload(client, "pledges", sheet("pledges", before, late), dry_run=True))
    assert (report["created"], [p["row"] for p in report["problems"]]) == (1, [3])
    assert report["problems"][0]["column"] == "project_code"
    assert "cancelled on 2024-03-11" in report["problems"][0]["message"]


# -- 5. files that are not what they should be ---------------------------------------------------------


def _two_sheets() -> bytes:
    return xlsx_bytes({"Sheet1": [PROJECT_HEADER], "Notes": [["nothing to see"]]})


BAD_FILES = [
    # name, body, status, problem type, words the message must contain
    ("pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\n", 415, "not-a-spreadsheet", ["not a spreadsheet"]),
    ("binary", b"code,title\x00\x00\x01\x02", 415, "not-a-spreadsheet", ["not a spreadsheet"]),
    ("old xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, 415, "not-a-spreadsheet", [".xls"]),
    ("broken zip", b"PK\x03\x04" + b"\x14\x00garbage" * 50, 415, "not-a-spreadsheet", ["XLSX"]),
    (
        "latin-1",
        "code,title,areas,beneficiaries,request_date,budget_eur\nLAT-1,Dépôt,SCA,SRB,2024-01-15,1.00\n".encode(
            "latin-1"
        ),
        422,
        "bad-spreadsheet",
        ["UTF-8", "0xe9"],
    ),
    (
        "unknown column",
        b"code,title,colour,areas,beneficiaries,request_date,budget_eur\n",
        422,
        "bad-spreadsheet",
        ["unknown columns: colour"],
    ),
    (
        "missing columns",
        b"code,title,areas,request_date\nMISS-1,x,SCA,2024-01-15\n",
        422,
        "bad-spreadsheet",
        ["missing columns: beneficiaries)"],
    ),
    (
        "semicolons",
        b"code;title;areas;beneficiaries;request_date;budget_eur\nSEMI-1;x;SCA;SRB;2024-01-15;1.00\n",
        422,
        "bad-spreadsheet",
        ["separated by ';'"],
    ),
    ("empty", b"", 422, "bad-spreadsheet", ["empty"]),
    ("sheets", None, 422, "bad-spreadsheet", ["'projects'", "Sheet1", "Notes"]),
]


@pytest.mark.parametrize(
    ("body", "status", "slug", "words"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES]
)
def test_a_file_that_cannot_be_read_is_refused_with_the_reason(client, body, status, slug, words):
    body = _two_sheets() if body is None else body
    for dry_run in (True, False):
        problem = assert_problem(upload(client, "projects", body, dry_run=dry_run, name="upload.csv"), status)
        assert problem["type"].endswith(f"/problems/{slug}")
        for word in words:
            assert word in problem["detail"], (word, problem["detail"])
    assert total(client, "/api/v1/projects") == 0


def test_a_workbook_finds_the_sheet_named_after_the_kind_among_others(client):
    row = ["SHEET-1", "From the second sheet", "SCA", "SRB", date(2024, 1, 15), 1000]
    body = xlsx_bytes({"Notes": [["read me"]], "Projects": [PROJECT_HEADER, row]})
    assert counts(imported(client, "projects", body, name="book.xlsx")) == (1, 1, 0, 0)
    assert ok(client.get("/api/v1/projects"))["items"][0]["budget_eur"] == "1000.00"


def test_a_formula_cell_is_a_row_problem(client):
    body = xlsx_bytes(
        {
            "projects": [
                PROJECT_HEADER,
                ["FORM-1", "Plain values", "SCA", "SRB", date(2024, 1, 15), 1000],
                ["FORM-2", "A computed budget", "SCA", "SRB", date(2024, 1, 15), "=1000*2"],
            ]
        }
    )
    report = ok(upload(client, "projects", body, dry_run=True, name="book.xlsx"))
    assert counts(report)[:2] == (2, 1)
    assert [(p["row"], p["column"], p["value"]) for p in report["problems"]] == [(3, "budget_eur", "=1000*2")]
    assert "a formula, not a value" in report["problems"][0]["message"]
    assert_problem(upload(client, "projects", body, name="book.xlsx"), 422, ["file", 3, "budget_eur"])
    assert total(client, "/api/v1/projects") == 0


def test_an_upload_over_the_cap_is_refused_with_413(app, accounts, database_url):
    capped = create_app(make_settings(database_url, import_max_bytes=2048))
    try:
        with TestClient(capped, headers=accounts["staff"].headers) as client:
            small = project_rows(["CAP-1", "Small enough", "SCA", "SRB", "2024-01-15", "1.00"])
            assert counts(imported(client, "projects", small, dry_run=True)) == (1, 1, 0, 0)
            filler = ["CAP-2", "x" * 200, "SCA", "SRB", "2024-01-15", "1.00"]
            for rows in (15, 2000):  # just over the cap; and far over it (refused before it is read)
                big = project_rows(*[filler] * rows)
                assert len(big) > 2048
                problem = assert_problem(upload(client, "projects", big, dry_run=True), 413)
                assert problem["type"].endswith("/problems/payload-too-large")
                assert "2 KB" in problem["detail"]
            assert total(client, "/api/v1/projects") == 0
    finally:
        capped.state.db.dispose()


def test_only_staff_and_admin_import(client, accounts):
    body = project_rows(["ROLE-1", "x", "SCA", "SRB", "2024-01-15", "1.00"])
    for role in ("manager", "donor"):
        headers = accounts[role].headers
        assert upload_as(client, headers, body).status_code == 403
        assert client.get("/api/v1/imports/templates/projects.csv", headers=headers).status_code == 403
    assert upload_as(client, accounts["admin"].headers, body).status_code == 200
    assert upload_as(client, {"Authorization": ""}, body).status_code == 401
    assert total(client, "/api/v1/projects") == 1


def upload_as(client: TestClient, headers: dict[str, str], body: bytes) -> Any:
    return client.post("/api/v1/imports/projects", files={"file": ("x.csv", body)}, headers=headers)


# -- 6. exports ----------------------------------------------------------------------------------------


@pytest.fixture
def small_portfolio(client) -> dict[str, int]:
    """Two projects that differ in every filter, with what belongs to them."""
    for month in ("2023-01", "2023-02", "2023-03", "2023-04"):
        make_rate(client, "USD", month, "0.92")
    make_rate(client, "GBP", "2023-03", "1.15")
    srb = make_project(
        client,
        code="EXP-SRB-1",
        title="Depot security in Serbia",
        areas=["SCA"],
        activity_types=["stockpile_security"],
        beneficiaries=["SRB"],
        budget_eur="1000000.00",
    )
    move(client, srb["id"], "assessment", "planning", "seeking_funding", "implementation")
    bih = make_project(
        client,
        code="EXP-BIH-2",
        title="Marking of small arms",
        areas=["SALW"],
        activity_types=["marking_and_tracing"],
        beneficiaries=["BIH"],
        request_date="2023-02-20",
        budget_eur="500000.00",
    )
    deu = make_pledge(client, srb["id"], donor="DEU", amount="1000000.00", status="committed")
    ok(receive(client, deu["id"], "400000.00", "2024-05-02"), 201)
    usa = make_pledge(
        client, bih["id"], donor="USA", amount="1000.00", currency="USD", pledged_on="2023-03-05"
    )
    ok(receive(client, usa["id"], "500.00", "2023-04-01"), 201)
    for project, title in ((srb, "Depot fenced"), (bih, "Marking machines delivered")):
        ok(client.post(f"/api/v1/projects/{project['id']}/milestones", json={"title": title}), 201)
    for project, name in ((srb, "Sites upgraded"), (bih, "Weapons marked")):
        body = {"name": name, "unit": "pieces", "target": "10"}
        ok(client.post(f"/api/v1/projects/{project['id']}/indicators", json=body), 201)
    processes = [
        {"state": "SRB", "name": "National SALW Commission", "kind": "structure", "stage": "operational",
         "project_ids": [srb["id"]]},
        {"state": "BIH", "name": "Marking SOP", "kind": "procedure", "stage": "planned",
         "project_ids": [bih["id"]]},
    ]  # fmt: skip
    for process in processes:
        ok(client.post("/api/v1/national-processes", json=process), 201)
    return {"srb": srb["id"], "bih": bih["id"]}


def test_exports_take_the_list_filters(client, small_portfolio):
    srb, bih = small_portfolio["srb"], small_portfolio["bih"]
    cases: list[tuple[str, dict[str, Any], list[tuple[str, ...]]]] = [
        ("projects", {}, [("EXP-BIH-2",), ("EXP-SRB-1",)]),
        ("projects", {"status": "implementation"}, [("EXP-SRB-1",)]),
        ("projects", {"area": "SALW"}, [("EXP-BIH-2",)]),
        ("projects", {"beneficiary": "SRB"}, [("EXP-SRB-1",)]),
        ("projects", {"donor": "USA"}, [("EXP-BIH-2",)]),
        ("projects", {"activity_type": "stockpile_security"}, [("EXP-SRB-1",)]),
        ("projects", {"q": "marking"}, [("EXP-BIH-2",)]),
        ("projects", {"funding": "underfunded"}, [("EXP-BIH-2",)]),
        ("projects", {"funding": "funded"}, [("EXP-SRB-1",)]),
        ("milestones", {"beneficiary": "BIH"}, [("EXP-BIH-2", "Marking machines delivered")]),
        ("milestones", {"status": "implementation"}, [("EXP-SRB-1", "Depot fenced")]),
        ("indicators", {"area": "SCA"}, [("EXP-SRB-1", "Sites upgraded")]),
        ("indicators", {"donor": "USA"}, [("EXP-BIH-2", "Weapons marked")]),
        ("pledges", {}, [("EXP-BIH-2", "USA"), ("EXP-SRB-1", "DEU")]),
        ("pledges", {"donor": "USA"}, [("EXP-BIH-2", "USA")]),
        ("pledges", {"project_id": srb}, [("EXP-SRB-1", "DEU")]),
        ("pledges", {"status": "committed"}, [("EXP-SRB-1", "DEU")]),
        ("pledges", {"currency": "USD"}, [("EXP-BIH-2", "USA")]),
        ("pledges", {"year": 2024}, [("EXP-SRB-1", "DEU")]),
        ("receipts", {"donor": "DEU"}, [("EXP-SRB-1", "DEU")]),
        ("receipts", {"year": 2023}, [("EXP-BIH-2", "USA")]),
        ("national-processes", {}, [("BIH", "Marking SOP"), ("SRB", "National SALW Commission")]),
        ("national-processes", {"state": "SRB"}, [("SRB", "National SALW Commission")]),
        ("national-processes", {"kind": "procedure"}, [("BIH", "Marking SOP")]),
        ("national-processes", {"stage": "operational"}, [("SRB", "National SALW Commission")]),
        ("national-processes", {"project_id": bih}, [("BIH", "Marking SOP")]),
        ("exchange-rates", {"currency": "USD", "from": "2023-02", "to": "2023-03"},
         [("USD", "2023-02"), ("USD", "2023-03")]),
        ("exchange-rates", {"from": "2023-03", "to": "2023-03"}, [("GBP", "2023-03"), ("USD", "2023-03")]),
    ]  # fmt: skip
    for kind, params, expected in cases:
        rows = csv_rows(download(client, f"/api/v1/exports/{kind}.csv", **params))
        assert rows[0] == COLUMNS[kind]
        keys = sorted(tuple(row[: len(expected[0])]) for row in rows[1:])
        assert keys == expected, (kind, params, keys)
    # A filter value the list refuses, the export refuses the same way.
    assert_problem(client.get("/api/v1/exports/pledges.csv", params={"currency": "EURO"}), 422)
    assert_problem(client.get("/api/v1/exports/projects.xlsx", params={"status": "dreaming"}), 422)


def test_a_donor_exports_only_its_own_states_pledges_and_receipts(client, accounts, small_portfolio):
    donor = accounts["donor"].headers
    for kind in ("pledges", "receipts"):
        everything = csv_rows(download(client, f"/api/v1/exports/{kind}.csv"))
        assert {row[1] for row in everything[1:]} == {"DEU", "USA"}
        own = client.get(f"/api/v1/exports/{kind}.csv", headers=donor)
        assert own.status_code == 200, own.text
        assert [row[1] for row in csv_rows(own.content)[1:]] == ["DEU"]
        others = client.get(f"/api/v1/exports/{kind}.csv", params={"donor": "USA"}, headers=donor)
        assert csv_rows(others.content) == [COLUMNS[kind]]
        book = client.get(f"/api/v1/exports/{kind}.xlsx", headers=donor)
        assert [row[1] for row in xlsx_sheets(book.content)[kind][1:]] == ["DEU"]
    # Every role reads the exports; the manager sees every donor's pledges.
    manager = client.get("/api/v1/exports/pledges.csv", headers=accounts["manager"].headers)
    assert {row[1] for row in csv_rows(manager.content)[1:]} == {"DEU", "USA"}
    projects = client.get("/api/v1/exports/projects.csv", headers=donor)
    assert [row[0] for row in csv_rows(projects.content)[1:]] == ["EXP-BIH-2", "EXP-SRB-1"]
    assert client.get("/api/v1/exports/projects.csv", headers={"Authorization": ""}).status_code == 401


def test_exports_are_typed_files_ready_for_excel(client, small_portfolio):
    response = client.get("/api/v1/exports/pledges.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(codecs.BOM_UTF8)
    assert response.headers["content-disposition"] == (
        f'attachment; filename="pledges-{date.today().isoformat()}.csv"'
    )
    assert csv_rows(response.content)[1] == [
        "EXP-BIH-2", "USA", "cash", "1000.00", "USD", "2023-03-05", "pledged", "",
    ]  # fmt: skip

    book = client.get("/api/v1/exports/pledges.xlsx")
    assert book.headers["content-type"] == XLSX
    assert book.headers["content-disposition"].endswith('.xlsx"')
    sheets = xlsx_sheets(book.content)
    assert list(sheets) == ["pledges"]
    header, first, second = sheets["pledges"]
    assert header == COLUMNS["pledges"]
    assert first[:6] == ["EXP-BIH-2", "USA", "cash", 1000, "USD", datetime(2023, 3, 5)]
    assert second[3] == 1000000 and isinstance(second[5], datetime)
    projects = xlsx_sheets(download(client, "/api/v1/exports/projects.xlsx"))["projects"]
    srb = dict(zip(projects[0], projects[2], strict=True))
    assert srb["code"] == "EXP-SRB-1"
    assert srb["budget_eur"] == 1000000 and not isinstance(srb["budget_eur"], str)
    assert srb["request_date"] == datetime(2024, 1, 15)
    assert srb["start_date"] is None and srb["status"] == "implementation"
    rates = xlsx_sheets(download(client, "/api/v1/exports/exchange-rates.xlsx"))["exchange-rates"]
    assert rates[1] == ["GBP", "2023-03", pytest.approx(1.15)]


def test_text_a_spreadsheet_would_run_is_neutralised_and_imports_back_exactly(client):
    title = '=HYPERLINK("http://x")'
    notes = ["+1", "@SUM(A1)", "-2"]
    cyrillic = "Уничтожение излишков боеприпасов — Сербия"
    project = make_project(client, code="FORM-X", title=title)
    make_project(client, code="CYR-1", title=cyrillic, implementing_partner="Миссия ОБСЕ в Сербии")
    for n, note in enumerate(notes):
        make_pledge(client, project["id"], amount=f"{100 + n}.00", note=note)
    files = {}
    for fmt in ("csv", "xlsx"):
        for kind in ("projects", "pledges"):
            files[kind, fmt] = download(client, f"/api/v1/exports/{kind}.{fmt}")

    projects_csv = {row[0]: row for row in csv_rows(files["projects", "csv"])[1:]}
    assert projects_csv["FORM-X"][1] == "'" + title
    assert projects_csv["CYR-1"][1] == cyrillic and projects_csv["CYR-1"][6] == "Миссия ОБСЕ в Сербии"
    assert [row[7] for row in csv_rows(files["pledges", "csv"])[1:]] == ["'+1", "'@SUM(A1)", "'-2"]
    book = load_workbook(io.BytesIO(files["projects", "xlsx"]))
    cells = {row[0].value: row[1] for row in book["projects"].iter_rows(min_row=2)}
    assert cells["FORM-X"].value == "'" + title and cells["FORM-X"].data_type == "s"
    assert cells["CYR-1"].value == cyrillic
    pledges_book = load_workbook(io.BytesIO(files["pledges", "xlsx"]))
    note_cells = [row[7] for row in pledges_book["pledges"].iter_rows(min_row=2)]
    assert [c.value for c in note_cells] == ["'+1", "'@SUM(A1)", "'-2"]
    assert {c.data_type for c in note_cells} == {"s"}  # text, not formulas

    audit_before = audit_total(client)
    for (kind, fmt), body in files.items():
        report = imported(client, kind, body, name=f"{kind}.{fmt}")
        assert counts(report) == (report["rows"], 0, 0, report["rows"]), (kind, fmt)
    assert audit_total(client) == audit_before
    titles = {p["code"]: p["title"] for p in ok(client.get("/api/v1/projects"))["items"]}
    assert titles == {"FORM-X": title, "CYR-1": cyrillic}
    assert sorted(p["note"] for p in ok(client.get("/api/v1/pledges"))["items"]) == sorted(notes)


def test_text_that_starts_with_an_apostrophe_survives_the_round_trip(client):
    """An export imports back unchanged: also a note whose own text begins with an apostrophe."""
    project = make_project(client, code="APOS-1", title="'=' marks the estimate")
    make_pledge(client, project["id"], note="'+5%' uplift agreed with the donor")
    for fmt in ("csv", "xlsx"):
        for kind in ("projects", "pledges"):
            body = download(client, f"/api/v1/exports/{kind}.{fmt}")
            report = imported(client, kind, body, name=f"{kind}.{fmt}")
            assert counts(report) == (1, 0, 0, 1), (kind, fmt)
    assert ok(client.get(f"/api/v1/projects/{project['id']}"))["title"] == "'=' marks the estimate"
    assert ok(client.get("/api/v1/pledges"))["items"][0]["note"] == "'+5%' uplift agreed with the donor"


# Characters a record may hold from before the API refused them, and that no workbook can hold.
UNWRITABLE = "\x07\x1b\x7f\ufffe"


def test_every_export_of_every_kind_writes_records_that_hold_control_characters(
    app, client, agreed_portfolio, backend
):
    from sqlalchemy import text, update

    from portfolio.agreements.models import Agreement, Obligation
    from portfolio.funding.models import Pledge
    from portfolio.processes.models import NationalProcess
    from portfolio.projects.models import Indicator, Milestone, Project

    bell = f"Depot{UNWRITABLE} fenced"
    with app.state.db.session(write=True) as session:  # straight into the database, past the API
        session.execute(update(Project).values(title=bell, description=bell, implementing_partner=bell))
        session.execute(update(Milestone).values(title=bell + Milestone.title))
        session.execute(update(Indicator).values(name=bell + Indicator.name, unit=bell))
        session.execute(update(Pledge).values(note=bell))
        session.execute(update(NationalProcess).values(name=bell + NationalProcess.name, description=bell))
        session.execute(update(Agreement).values(conditions=bell, contact_name=bell))
        session.execute(update(Obligation).values(note=bell))
        if backend == "sqlite":  # SQLite keeps text even in a number column
            session.execute(text("UPDATE project SET gender_marker = 'high' WHERE code = 'EXP-SRB-1'"))

    for kind in [*COLUMNS, "obligations"]:
        for fmt in ("csv", "xlsx"):
            body = download(client, f"/api/v1/exports/{kind}.{fmt}")
            if fmt == "csv":
                cells = [c for row in csv_rows(body) for c in row]
            else:
                cells = [str(c) for rows in xlsx_sheets(body).values() for row in rows for c in row]
            assert not any(ch in c for c in cells for ch in UNWRITABLE), (kind, fmt)
            if kind not in ("receipts", "exchange-rates"):
                assert any(c.startswith("Depot fenced") for c in cells), (kind, fmt)


# -- 6b. agreements and obligations in spreadsheets -------------------------------------------------------


@pytest.fixture
def agreed_portfolio(client, small_portfolio) -> dict[str, int]:
    """The small portfolio with a signed agreement on each pledge: Germany's, every six months with an
    audit certificate, on a project ending in 2025; the United States', without a schedule."""
    srb = small_portfolio["srb"]
    etag = client.get(f"/api/v1/projects/{srb}").headers["etag"]
    ok(client.patch(f"/api/v1/projects/{srb}", json={"end_date": "2025-12-31"}, headers={"If-Match": etag}))
    pledges = {p["donor"]: p["id"] for p in ok(client.get("/api/v1/pledges"))["items"]}
    germany = {
        "reference": "EXP-CA-2024-001",
        "signed_on": "2024-04-01",
        "valid_until": "2026-06-30",
        "conditions": "Depot fenced first",
        "schedule": {"interim_every_months": 6, "final_after_months": 3, "audit_certificate": True},
        "contact_name": "Ms Example",
        "contact_email": "contact@example.org",
    }
    ok(client.post(f"/api/v1/pledges/{pledges['DEU']}/agreement", json=germany), 201)
    usa = {"reference": "EXP-CA-2023-002", "signed_on": "2023-03-20", "earmarking": "area"}
    ok(client.post(f"/api/v1/pledges/{pledges['USA']}/agreement", json=usa), 201)
    first = ok(client.get("/api/v1/obligations", params={"donor": "DEU"}))["items"][0]
    body = {"status": "submitted", "submitted_on": "2024-09-28", "note": "Sent by e-mail"}
    ok(
        client.patch(
            f"/api/v1/obligations/{first['id']}", json=body, headers={"If-Match": f'"{first["version"]}"'}
        )
    )
    return small_portfolio | {"deu_pledge": pledges["DEU"], "usa_pledge": pledges["USA"]}


def test_agreements_and_obligations_export_with_their_pledges_and_donors_and_no_money(
    client, agreed_portfolio
):
    rows = csv_rows(download(client, "/api/v1/exports/agreements.csv"))
    assert rows == [
        COLUMNS["agreements"],
        ["EXP-BIH-2", "USA", "United States of America", "2023-03-05", "", "EXP-CA-2023-002", "2023-03-20",
         "", "area", "", "", "3", "no", "", ""],
        ["EXP-SRB-1", "DEU", "Germany", "2024-03-10", "", "EXP-CA-2024-001", "2024-04-01", "2026-06-30",
         "project", "Depot fenced first", "6", "3", "yes", "Ms Example", "contact@example.org"],
    ]  # fmt: skip
    assert not any("1000" in cell for row in rows for cell in row)  # no amount: neither pledge needs one

    obligations = csv_rows(download(client, "/api/v1/exports/obligations.csv"))
    assert obligations[0] == OBLIGATION_COLUMNS
    cells = [dict(zip(OBLIGATION_COLUMNS, row, strict=True)) for row in obligations[1:]]
    germany = [(c["kind"], c["due_on"], c["status"]) for c in cells if c["donor"] == "DEU"]
    assert germany == [
        ("interim_narrative", "2024-10-01", "submitted"),
        ("interim_narrative", "2025-04-01", "overdue"),
        ("interim_narrative", "2025-10-01", "overdue"),
        ("audit_certificate", "2026-03-31", "overdue" if date.today() > date(2026, 3, 31) else "due"),
        ("final_narrative", "2026-03-31", "overdue" if date.today() > date(2026, 3, 31) else "due"),
        ("financial_statement", "2026-03-31", "overdue" if date.today() > date(2026, 3, 31) else "due"),
    ]
    submitted = cells[0]
    assert (submitted["reference"], submitted["submitted_on"], submitted["note"]) == (
        "EXP-CA-2024-001",
        "2024-09-28",
        "Sent by e-mail",
    )
    assert submitted["generated"] == "yes" and submitted["donor_name"] == "Germany"
    assert not [c for c in cells if c["donor"] == "USA"]  # its project has no end date: nothing due yet

    # The obligation list's filters, as the list reads them.
    def kinds(**params: Any) -> list[tuple[str, str]]:
        found = csv_rows(download(client, "/api/v1/exports/obligations.csv", **params))[1:]
        return [(row[5], row[6]) for row in found]

    assert kinds(status="submitted") == [("interim_narrative", "2024-10-01")]
    assert kinds(kind="interim_narrative", due_after="2025-01-01") == [
        ("interim_narrative", "2025-04-01"), ("interim_narrative", "2025-10-01"),
    ]  # fmt: skip
    assert kinds(project=agreed_portfolio["bih"]) == []
    assert kinds(status="overdue", due_before="2025-06-01") == [("interim_narrative", "2025-04-01")]
    assert_problem(client.get("/api/v1/exports/obligations.csv", params={"status": "late"}), 422)
    agreements = csv_rows(download(client, "/api/v1/exports/agreements.csv", donor="USA"))
    assert [row[5] for row in agreements[1:]] == ["EXP-CA-2023-002"]

    book = xlsx_sheets(download(client, "/api/v1/exports/obligations.xlsx"))
    assert list(book) == ["obligations"] and book["obligations"][1][6] == datetime(2024, 10, 1)
    book = xlsx_sheets(download(client, "/api/v1/exports/agreements.xlsx"))
    assert book["agreements"][2][6] == datetime(2024, 4, 1)


def test_a_donor_exports_only_its_own_states_agreements_and_obligations(client, accounts, agreed_portfolio):
    donor = accounts["donor"].headers
    for kind, columns in (("agreements", COLUMNS["agreements"]), ("obligations", OBLIGATION_COLUMNS)):
        everything = csv_rows(download(client, f"/api/v1/exports/{kind}.csv"))
        assert {row[1] for row in everything[1:]} >= {"DEU"}
        for fmt in ("csv", "xlsx"):
            own = client.get(f"/api/v1/exports/{kind}.{fmt}", headers=donor)
            assert own.status_code == 200, own.text
            rows = csv_rows(own.content) if fmt == "csv" else xlsx_sheets(own.content)[kind]
            assert {row[1] for row in rows[1:]} == {"DEU"}
            text = own.content if fmt == "csv" else str(rows).encode()
            assert b"USA" not in text and b"United States" not in text and b"EXP-CA-2023" not in text
        others = client.get(f"/api/v1/exports/{kind}.csv", params={"donor": "USA"}, headers=donor)
        assert csv_rows(others.content) == [columns]
    usa_rows = csv_rows(download(client, "/api/v1/exports/agreements.csv"))
    assert "USA" in {row[1] for row in usa_rows[1:]}  # staff see the other State's


def agreement_sheet(*rows: dict[str, str], header: list[str] | None = None) -> bytes:
    columns = header or COLUMNS["agreements"]
    return csv_bytes([columns, *[[row.get(c, "") for c in columns] for row in rows]])


def test_an_agreements_import_commits_the_pledge_and_generates_its_obligations_once(client):
    project = make_project(client, code="AGR-1", end_date="2025-12-31", start_date="2024-02-01")
    pledge = make_pledge(client, project["id"], pledged_on="2024-03-10")
    assert pledge["status"] == "pledged"
    row = {
        "project_code": "AGR-1", "donor": "DEU", "pledged_on": "2024-03-10", "reference": "AGR-CA-2024-009",
        "signed_on": "2024-04-01", "interim_every_months": "6", "audit_certificate": "yes",
        "contact_email": "contact@example.org",
    }  # fmt: skip
    body = agreement_sheet(row)
    dry = imported(client, "agreements", body, dry_run=True)
    assert counts(dry) == (1, 1, 0, 0) and dry["written"] is False
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["status"] == "pledged"
    assert_problem(client.get(f"/api/v1/pledges/{pledge['id']}/agreement"), 404)

    assert counts(imported(client, "agreements", body)) == (1, 1, 0, 0)
    assert ok(client.get(f"/api/v1/pledges/{pledge['id']}"))["status"] == "committed"
    agreement = ok(client.get(f"/api/v1/pledges/{pledge['id']}/agreement"))
    assert agreement["schedule"] == {
        "interim_every_months": 6,
        "final_after_months": 3,
        "audit_certificate": True,
    }
    due = [(o["kind"], o["due_on"]) for o in ok(client.get("/api/v1/obligations"))["items"]]
    assert due == [
        ("interim_narrative", "2024-10-01"), ("interim_narrative", "2025-04-01"),
        ("interim_narrative", "2025-10-01"), ("audit_certificate", "2026-03-31"),
        ("final_narrative", "2026-03-31"), ("financial_statement", "2026-03-31"),
    ]  # fmt: skip

    # The same file again changes nothing; a changed schedule updates the agreement and its obligations.
    assert counts(imported(client, "agreements", body)) == (1, 0, 0, 1)
    changed = agreement_sheet(row | {"interim_every_months": "", "valid_until": "2026-06-30"})
    report = imported(client, "agreements", changed)
    assert counts(report) == (1, 0, 1, 0)
    assert report["changes"] == [
        {"row": 2, "record": "agreement AGR-CA-2024-009 of the pledge from DEU on 2024-03-10 to AGR-1",
         "fields": {"valid_until": {"old": None, "new": "2026-06-30"},
                    "interim_every_months": {"old": 6, "new": None}}},
    ]  # fmt: skip
    due = [o["kind"] for o in ok(client.get("/api/v1/obligations"))["items"]]
    assert due == ["audit_certificate", "final_narrative", "financial_statement"]
    # A file without the schedule's columns leaves the schedule alone.
    short = [c for c in COLUMNS["agreements"] if c not in ("interim_every_months", "audit_certificate")]
    same = row | {"valid_until": "2026-06-30"}
    assert counts(imported(client, "agreements", agreement_sheet(same, header=short))) == (1, 0, 0, 1)
    assert (
        ok(client.get(f"/api/v1/pledges/{pledge['id']}/agreement"))["schedule"]["audit_certificate"] is True
    )

    # What the export writes imports back unchanged.
    exported = download(client, "/api/v1/exports/agreements.xlsx")
    assert counts(imported(client, "agreements", exported, name="a.xlsx")) == (1, 0, 0, 1)


def test_an_agreements_import_reports_every_bad_cell_and_writes_nothing(client):
    project = make_project(client, code="AGR-2", end_date="2025-12-31")
    make_pledge(client, project["id"], pledged_on="2024-03-10", amount="1000.00")
    make_pledge(client, project["id"], pledged_on="2024-03-10", amount="2000.00")
    for day in range(1, 6):  # one pledge for each row with a bad agreement cell
        make_pledge(client, project["id"], pledged_on=f"2024-06-0{day}")
    single = make_pledge(client, project["id"], donor="NOR", currency="EUR", pledged_on="2024-05-01")
    ok(
        client.patch(
            f"/api/v1/pledges/{single['id']}", json={"status": "withdrawn"}, headers={"If-Match": '"1"'}
        )
    )
    base = {"project_code": "AGR-2", "donor": "DEU", "pledged_on": "2024-03-10", "pledge_amount": "1000.00",
            "reference": "AGR-CA-1"}  # fmt: skip
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    rows = [
        base,  # row 2: good
        base | {"reference": "AGR-CA-2"},  # 3: the same pledge again
        base | {"pledge_amount": ""},  # 4: two pledges that day
        base | {"pledge_amount": "1500.00"},  # 5: none of that amount
        base | {"project_code": "NOPE"},  # 6
        base | {"donor": "Germany"},  # 7
        base | {"pledged_on": "10/03/2024"},  # 8
        base | {"pledged_on": "2024-06-01", "pledge_amount": "", "signed_on": tomorrow},  # 9
        base
        | {
            "pledged_on": "2024-06-02",
            "pledge_amount": "",
            "signed_on": "2024-07-01",
            "valid_until": "2024-01-01",
        },  # 10
        base
        | {
            "pledged_on": "2024-06-03",
            "pledge_amount": "",
            "earmarking": "tight",
            "interim_every_months": "0",
        },  # 11
        base
        | {
            "pledged_on": "2024-06-04",
            "pledge_amount": "",
            "audit_certificate": "perhaps",
            "contact_email": "nobody",
        },  # 12
        base | {"pledged_on": "2024-06-05", "pledge_amount": "", "reference": ""},  # 13
        {"project_code": "AGR-2", "donor": "NOR", "pledged_on": "2024-05-01", "reference": "AGR-CA-3"},  # 14
        base | {"pledged_on": "2024-03-11"},  # 15
    ]
    report = ok(upload(client, "agreements", agreement_sheet(*rows), dry_run=True))
    found = sorted((p["row"], p["column"]) for p in report["problems"])
    assert found == [
        (3, None), (4, "pledge_amount"), (5, "pledge_amount"), (6, "project_code"), (7, "donor"),
        (8, "pledged_on"), (9, "signed_on"), (10, "valid_until"), (11, "earmarking"),
        (11, "interim_every_months"), (12, "audit_certificate"), (12, "contact_email"), (13, "reference"),
        (14, "pledged_on"), (15, "pledged_on"),
    ]  # fmt: skip
    messages = {(p["row"], p["column"]): p["message"] for p in report["problems"]}
    assert "give the pledge's amount" in messages[(4, "pledge_amount")]
    assert "1000.00 EUR, 2000.00 EUR" in messages[(4, "pledge_amount")]
    assert "already appears on row 2" in messages[(3, None)]
    assert "withdrawn" in messages[(14, "pledged_on")]
    assert "e.g. DEU" in messages[(7, "donor")]
    # A real run: the same problems as a 422, and nothing written.
    problem = assert_problem(upload(client, "agreements", agreement_sheet(*rows)), 422)
    assert len(problem["problems"]) == len(report["problems"])
    assert ok(client.get("/api/v1/obligations"))["total"] == 0
    assert {p["status"] for p in ok(client.get("/api/v1/pledges"))["items"]} == {"pledged", "withdrawn"}
    # The good row alone goes in.
    assert counts(imported(client, "agreements", agreement_sheet(base))) == (1, 1, 0, 0)


def test_obligations_are_exported_but_never_imported(client):
    body = csv_bytes([OBLIGATION_COLUMNS])
    assert_problem(upload(client, "obligations", body), 422, ["path", "kind"])
    assert_problem(client.get("/api/v1/imports/templates/obligations.csv"), 422, ["path", "kind"])
    assert csv_rows(download(client, "/api/v1/exports/obligations.csv")) == [OBLIGATION_COLUMNS]


# -- 7. templates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(COLUMNS))
def test_each_template_holds_the_documented_columns_and_no_data_row(client, kind):
    assert csv_rows(download(client, f"/api/v1/imports/templates/{kind}.csv")) == [COLUMNS[kind]]

    book = client.get(f"/api/v1/imports/templates/{kind}.xlsx")
    assert book.headers["content-type"] == XLSX
    assert f'filename="{kind}-template.xlsx"' in book.headers["content-disposition"]
    sheets = xlsx_sheets(book.content)
    assert list(sheets)[:2] == [kind, "columns"]
    assert sheets[kind] == [COLUMNS[kind]]  # the sheet that is imported holds no example to delete
    assert sheets["columns"][0] == ["column", "required", "meaning", "example", "allowed values"]
    assert [row[0] for row in sheets["columns"][1:]] == COLUMNS[kind]
    assert all(row[1] in ("yes", "no") and row[2] for row in sheets["columns"][1:])


# Every coded column, and values its allowed list must hold (and one it must not).
CODED = {
    ("projects", "areas"): (["SALW", "SCA"], None),
    ("projects", "activity_types"): (["stockpile_security", "training_and_capacity"], None),
    ("projects", "beneficiaries"): (["SRB", "UKR", "USA"], "JPN"),  # participating States only
    ("projects", "gender_marker"): (["0", "1", "2"], None),
    ("projects", "sdg_targets"): (["16.4", "5.5"], None),
    ("projects", "status"): (["requested", "implementation", "on_hold"], None),
    ("pledges", "donor"): (["DEU", "JPN"], None),
    ("pledges", "kind"): (["cash", "in_kind"], None),
    ("pledges", "currency"): (["EUR", "NOK", "USD"], None),
    ("pledges", "status"): (["pledged", "committed", "withdrawn"], None),
    ("receipts", "donor"): (["DEU"], None),
    ("receipts", "currency"): (["EUR"], None),
    ("national-processes", "state"): (["SRB"], "JPN"),
    ("national-processes", "kind"): (["structure", "procedure"], None),
    ("national-processes", "areas"): (["SALW", "SCA"], None),
    ("national-processes", "stage"): (["planned", "established", "operational", "sustained"], None),
    ("exchange-rates", "currency"): (["USD", "NOK"], None),
    ("indicators", "measure"): (["people_trained", "ammunition_destroyed"], "people"),
    ("agreements", "donor"): (["DEU", "JPN"], None),
    ("agreements", "earmarking"): (["project", "area", "unearmarked"], None),
    ("agreements", "audit_certificate"): (["yes", "no"], None),
}


@pytest.mark.parametrize("kind", list(COLUMNS))
def test_a_template_lists_the_allowed_values_of_each_coded_column_and_offers_them_as_drop_downs(client, kind):
    body = download(client, f"/api/v1/imports/templates/{kind}.xlsx")
    book = load_workbook(io.BytesIO(body))
    notes = {row[0]: row for row in xlsx_sheets(body)["columns"][1:]}
    coded = {column: values for (k, column), values in CODED.items() if k == kind}
    assert {column for column, row in notes.items() if row[4] is not None} == set(coded)
    validations = {str(v.sqref): v for v in book[kind].data_validations.dataValidation}
    assert len(validations) == len(coded)
    for column, (wanted, refused) in coded.items():
        allowed = [v.strip() for v in notes[column][4].split(",")]
        assert set(wanted) <= set(allowed), (kind, column)
        assert refused not in allowed
        letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[COLUMNS[kind].index(column)]
        choice = validations[f"{letter}2:{letter}1048576"]
        assert choice.type == "list"
        # The drop-down reads its values from the hidden sheet: the same list as the columns sheet's.
        sheet_name, cells = choice.formula1.split("!")
        assert book[sheet_name].sheet_state == "hidden"
        first, last = cells.replace("$", "").split(":")
        values = [c.value for (c,) in book[sheet_name][first:last]]
        assert [str(v) for v in values] == allowed, (kind, column)
        # A list column takes several values separated by ';': the drop-down offers, never refuses.
        assert choice.showErrorMessage is (COLUMNS_OF_LISTS.get(kind, set()).isdisjoint({column}))


COLUMNS_OF_LISTS = {
    "projects": {"areas", "activity_types", "beneficiaries", "sdg_targets"},
    "national-processes": {"areas"},
}


def template_examples(client: TestClient, kind: str, fmt: str) -> bytes:
    """A file of ``kind`` holding the one example row the XLSX template's columns sheet gives."""
    notes = xlsx_sheets(download(client, f"/api/v1/imports/templates/{kind}.xlsx"))["columns"][1:]
    example = ["" if row[3] is None else str(row[3]) for row in notes]
    if fmt == "csv":
        return csv_bytes([[row[0] for row in notes], example])
    return xlsx_bytes({kind: [[row[0] for row in notes], example]})


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_templates_examples_import_in_order(client, fmt):
    # A template as downloaded imports as nothing at all: no example row to forget to delete.
    for kind in KINDS:
        empty = download(client, f"/api/v1/imports/templates/{kind}.{fmt}")
        assert counts(imported(client, kind, empty, name=f"t.{fmt}")) == (0, 0, 0, 0), kind

    # A pledge names a project that is not there yet: the report says which.
    body = template_examples(client, "pledges", fmt)
    report = ok(upload(client, "pledges", body, dry_run=True, name=f"t.{fmt}"))
    assert [(p["row"], p["column"]) for p in report["problems"]] == [(2, "project_code")]
    assert "SAMPLE-SCA-2024-03" in report["problems"][0]["message"]

    for kind in KINDS:
        body = template_examples(client, kind, fmt)
        assert counts(imported(client, kind, body, dry_run=True, name=f"t.{fmt}")) == (1, 1, 0, 0), kind
        assert counts(imported(client, kind, body, name=f"t.{fmt}")) == (1, 1, 0, 0), kind
    project = ok(client.get("/api/v1/projects"))["items"][0]
    assert (project["code"], project["status"]) == ("SAMPLE-SCA-2024-03", "implementation")
    funding = project["funding"]
    assert (funding["pledged_eur"], funding["received_eur"]) == ("250000.00", "100000.00")
    assert ok(client.get("/api/v1/national-processes"))["items"][0]["project_ids"] == [project["id"]]


# -- 8. the command line -----------------------------------------------------------------------------------


@pytest.fixture
def cli_env(settings, monkeypatch):
    from portfolio.config import get_settings

    monkeypatch.setenv("PORTFOLIO_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_import_and_export_commands(client, cli_env, tmp_path):
    runner = cli_env
    good = tmp_path / "projects.csv"
    good.write_bytes(
        project_rows(
            ["CLI-1", "Depot security", "SCA", "SRB", "2024-01-15", "1000.00"],
            ["CLI-2", "Marking", "SALW", "BIH", "2024-01-16", "2000.00"],
        )
    )
    dry = runner.invoke(cli, ["import", str(good), "--kind", "projects", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run, nothing written. 2 rows: 2 new" in dry.stdout
    assert total(client, "/api/v1/projects") == 0

    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        project_rows(
            ["CLI-1", "Depot security", "SCA", "SRB", "2024-01-15", "1000.00"],
            ["CLI-3", "Negative", "SCA", "SRB", "2024-01-15", "-5"],
            ["CLI-4", "Nowhere", "SCA", "XXX", "2024-01-15", "5.00"],
        )
    )
    failed = runner.invoke(cli, ["import", str(bad), "--kind", "projects"])
    assert failed.exit_code == 1, failed.output
    assert "row 3, budget_eur ('-5'): " in failed.stderr
    assert "row 4, beneficiaries ('XXX'): " in failed.stderr
    assert "nothing was written" in failed.stderr
    assert total(client, "/api/v1/projects") == 0

    pdf = tmp_path / "projects.pdf"
    pdf.write_bytes(b"%PDF-1.7\n...")
    for args in (
        [str(pdf), "--kind", "projects"],
        [str(tmp_path / "missing.csv"), "--kind", "projects"],
        [str(good), "--kind", "donkeys"],
    ):
        unreadable = runner.invoke(cli, ["import", *args])
        assert unreadable.exit_code == 2, (args, unreadable.output)
        assert unreadable.stderr.strip(), args
    assert "not a spreadsheet" in runner.invoke(cli, ["import", str(pdf), "--kind", "projects"]).stderr

    done = runner.invoke(cli, ["import", str(good), "--kind", "projects"])
    assert done.exit_code == 0, done.output
    assert "Imported. 2 rows: 2 new" in done.stdout
    assert sorted(p["code"] for p in ok(client.get("/api/v1/projects"))["items"]) == ["CLI-1", "CLI-2"]

    out_csv, out_xlsx = tmp_path / "out.csv", tmp_path / "out.xlsx"
    written = runner.invoke(cli, ["export", "--kind", "projects", "--format", "csv", "--out", str(out_csv)])
    assert written.exit_code == 0, written.output
    assert "Wrote 2 projects" in written.stdout
    assert [row[0] for row in csv_rows(out_csv.read_bytes())] == ["code", "CLI-1", "CLI-2"]
    written = runner.invoke(cli, ["export", "--kind", "projects", "--format", "xlsx", "--out", str(out_xlsx)])
    assert written.exit_code == 0, written.output
    assert [row[0] for row in xlsx_sheets(out_xlsx.read_bytes())["projects"]] == ["code", "CLI-1", "CLI-2"]
    # What the command exported, the command imports back unchanged.
    again = runner.invoke(cli, ["import", str(out_xlsx), "--kind", "projects"])
    assert "2 rows: 0 new, 0 changed, 2 unchanged" in again.stdout
    # A dry run says what it would change.
    good.write_bytes(good.read_bytes().replace(b"Depot security", b"Depot fences"))
    dry = runner.invoke(cli, ["import", str(good), "--kind", "projects", "--dry-run"])
    assert "row 2, project CLI-1: title 'Depot security' → 'Depot fences'" in dry.stdout, dry.output


# -- files as other programs write them ------------------------------------------------------------

MINIMAL = ["code", "title", "areas", "beneficiaries", "request_date", "budget_eur"]


def minimal_project(code: str) -> list[str]:
    return [code, f"Depot {code}", "SCA", "SRB", "2024-01-15", "1000.00"]


def rezipped(body: bytes, member: str, change: Any) -> bytes:
    """The workbook with one of its XML parts changed, as a damaged or odd file would have it."""
    source = zipfile.ZipFile(io.BytesIO(body))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, change(data) if name == member else data)
    return out.getvalue()


def test_a_csv_with_empty_columns_after_the_data_imports(client):
    # Excel writes trailing commas when formatting reaches past the last column.
    body = csv_bytes([[*MINIMAL, "", ""], [*minimal_project("EX-1"), "", ""]])
    assert counts(ok(upload(client, "projects", body, dry_run=True))) == (1, 1, 0, 0)


def test_an_unclosed_quote_is_a_422_naming_the_line_not_a_crash(client):
    rows = [MINIMAL] + [minimal_project(f"Q-{i}") for i in range(3000)]
    lines = [",".join(r) for r in rows]
    lines[10] = 'Q-9,"12.7 mm rounds, 2nd batch,SCA,SRB,2024-01-15,1000.00'  # the quote never closes
    response = upload(client, "projects", "\r\n".join(lines).encode(), dry_run=True)
    problem = assert_problem(response, 422)
    assert problem["type"] == "/problems/bad-spreadsheet"
    assert "cannot be read near line" in problem["detail"]


def test_a_workbook_that_declares_too_small_a_sheet_is_read_whole(client):
    good = xlsx_bytes({"projects": [MINIMAL, *(minimal_project(f"DIM-{i}") for i in range(3))]})
    stale = rezipped(
        good,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:F2"/>', xml),
    )
    assert counts(ok(upload(client, "projects", stale, dry_run=True, name="p.xlsx"))) == (3, 3, 0, 0)


@pytest.mark.parametrize("member", ["xl/worksheets/sheet1.xml", "xl/styles.xml"])
def test_a_workbook_with_damaged_xml_is_a_415(client, member):
    good = xlsx_bytes({"projects": [MINIMAL, minimal_project("DMG-1")]})
    damaged = rezipped(good, member, lambda xml: xml[: len(xml) // 2])
    problem = assert_problem(upload(client, "projects", damaged, name="p.xlsx"), 415)
    assert "save it again as .xlsx" in problem["detail"]


def test_a_month_that_excel_turned_into_a_date_is_read_as_the_month(client):
    body = xlsx_bytes(
        {"exchange-rates": [["currency", "month", "eur_per_unit"], ["USD", datetime(2024, 10, 1), 0.9172]]}
    )
    imported(client, "exchange-rates", body, name="r.xlsx")
    rates = ok(client.get("/api/v1/exchange-rates", params={"currency": "USD"}))["items"]
    assert [(r["month"], r["eur_per_unit"]) for r in rates] == [("2024-10", "0.91720000")]


# -- for people: what to type instead, every problem at once, what a run would change ---------------------


@pytest.mark.parametrize(
    ("column", "value", "advice"),
    [
        ("beneficiaries", "Serbia", "use the State's three-letter code, e.g. SRB"),
        ("beneficiaries", "SRB;Bosnie-Herzégovine", "use the State's three-letter code, e.g. BIH"),
        ("request_date", "05/10/2024", "write dates as YYYY-MM-DD (2024-05-10 or 2024-10-05)"),
        ("request_date", "15 March 2024", "write dates as YYYY-MM-DD"),
        ("budget_eur", "1,200,000.00", "no thousands separators: 1200000.00"),
        ("budget_eur", "1.200.000,50", "use '.' as the decimal mark and no thousands separators: 1200000.50"),
    ],
)
def test_a_row_problem_says_what_to_type_instead(client, column, value, advice):
    row = dict(zip(PROJECT_HEADER, minimal_project("HINT-1"), strict=True)) | {column: value}
    report = ok(upload(client, "projects", project_rows(list(row.values())), dry_run=True))
    [problem] = report["problems"]
    assert (problem["row"], problem["column"], problem["value"]) == (2, column, value)
    assert advice in problem["message"], problem["message"]


def test_a_missing_exchange_rate_names_the_currency_and_month_and_how_to_add_it(client):
    make_project(client, code="NOK-1")
    file = sheet("pledges", ["NOK-1", "NOR", "cash", "1000.00", "NOK", "2024-05-10", "pledged", ""])
    [problem] = ok(upload(client, "pledges", file, dry_run=True))["problems"]
    assert problem["column"] == "currency"
    assert "no exchange rate for NOK in 2024-05: add the NOK rate for 2024-05" in problem["message"]
    assert "exchange-rates" in problem["message"] and "/api/" not in problem["message"]


def test_every_problem_of_a_row_is_reported_in_the_first_pass(client):
    make_project(client, code="ALL-1")
    bad = ["NO-SUCH-9", "Germany", "cash", "1,000.00", "EUR", "10/03/2024", "pledged", ""]
    report = ok(upload(client, "pledges", sheet("pledges", bad), dry_run=True))
    found = {p["column"]: p["message"] for p in report["problems"]}
    assert found.keys() == {"project_code", "donor", "amount", "pledged_on"}, report["problems"]
    assert "no project has the code 'NO-SUCH-9'" in found["project_code"]
    assert "e.g. DEU" in found["donor"]
    assert "no thousands separators: 1000.00" in found["amount"]
    assert "write dates as YYYY-MM-DD" in found["pledged_on"]
    assert counts(report) == (1, 0, 0, 0)

    # A formula cell does not hide the other cells' problems, nor does a project's bad status its dates.
    header = [*PROJECT_HEADER, "status"]
    body = xlsx_bytes({"projects": [header, ["F-1", "=A1", "SCA", "Serbia", "2024-01-15", "1 000", "done"]]})
    report = ok(upload(client, "projects", body, dry_run=True, name="p.xlsx"))
    assert {p["column"] for p in report["problems"]} == {"title", "beneficiaries", "budget_eur", "status"}
    assert total(client, "/api/v1/projects") == 1

    # Rules a new project breaks together are reported together.
    late = [["LATE-1", "Depot", "SCA", "SRB", "2999-01-01", "10.00", "2025-06-01", "2025-01-01"]]
    report = ok(
        upload(
            client,
            "projects",
            project_rows(*late, header=[*PROJECT_HEADER, "start_date", "end_date"]),
            dry_run=True,
        )
    )
    assert {p["column"] for p in report["problems"]} == {"request_date", "end_date"}, report["problems"]


def test_a_dry_run_and_a_real_run_report_problems_in_one_shape_and_list_what_would_change(client):
    projects = [
        ["SHP-1", "Depot security", "SCA", "SRB", "2024-01-15", "1000.00"],
        ["SHP-2", "Marking", "SALW", "BIH", "2024-02-01", "500.00"],
    ]
    imported(client, "projects", project_rows(*projects))
    projects[0][1], projects[0][5] = "Depot security and fire safety", "1500.00"
    projects.append(["SHP-3", "Bad", "SCA", "Serbia", "2024-02-01", "1.00"])
    body = project_rows(*projects)

    dry = ok(upload(client, "projects", body, dry_run=True))
    assert dry["changes"] == [
        {
            "row": 2,
            "record": "project SHP-1",
            "fields": {
                "title": {"old": "Depot security", "new": "Depot security and fire safety"},
                "budget_eur": {"old": "1000.00", "new": "1500.00"},
            },
        }
    ]
    real = assert_problem(upload(client, "projects", body), 422, ["file", 4, "beneficiaries"])
    for member in ("kind", "rows", "created", "updated", "unchanged", "problems", "changes"):
        assert real[member] == dry[member], member
    assert (real["dry_run"], real["written"]) == (False, False)
    assert real["problems"][0]["message"].startswith("'Serbia' is not a State code")
    assert ok(client.get("/api/v1/projects", params={"q": "SHP-1"}))["items"][0]["title"] == "Depot security"


def test_an_imported_status_is_dated_by_status_on_else_by_the_projects_own_dates(client):
    header = [*PROJECT_HEADER, "start_date", "end_date", "status", "status_on"]
    make_project(client, code="DATE-STEP", request_date="2024-01-15")

    def dated(code: str, requested: str, start: str, end: str, status: str, on: str = "") -> list[str]:
        return [code, f"Project {code}", "SCA", "SRB", requested, "1.00", start, end, status, on]

    rows = [
        dated("DATE-DONE", "2018-03-01", "2018-09-01", "2020-06-30", "completed"),
        dated("DATE-RUN", "2023-01-10", "2023-04-01", "2099-12-31", "implementation"),
        dated("DATE-SAID", "2019-01-10", "2019-04-01", "2020-12-31", "completed", "2021-02-15"),
        dated("DATE-PLAN", "2019-01-10", "", "", "planning"),
        dated("DATE-STEP", "2024-01-15", "", "", "assessment", "2024-02-01"),
    ]
    imported(client, "projects", project_rows(*rows, header=header))
    by_code = {p["code"]: p["id"] for p in ok(client.get("/api/v1/projects"))["items"]}

    def reached(code: str) -> tuple[str, str]:
        last = ok(client.get(f"/api/v1/projects/{by_code[code]}/history"))[-1]
        return last["to"], last["on"]

    assert reached("DATE-DONE") == ("completed", "2020-06-30")  # not the day of the import
    assert reached("DATE-RUN") == ("implementation", "2023-04-01")
    assert reached("DATE-SAID") == ("completed", "2021-02-15")
    assert reached("DATE-PLAN") == ("planning", date.today().isoformat())
    assert reached("DATE-STEP") == ("assessment", "2024-02-01")  # an existing project's step too

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    bad = [
        dated("DATE-SOON", "2019-01-10", "", "", "planning", tomorrow),
        dated("DATE-EARLY", "2019-01-10", "", "", "planning", "2018-12-31"),
        dated("DATE-SLASH", "2019-01-10", "", "", "planning", "31/12/2019"),
    ]
    report = ok(upload(client, "projects", project_rows(*bad, header=header), dry_run=True))
    found = {(p["row"], p["column"]): p["message"] for p in report["problems"]}
    assert found.keys() == {(2, "status_on"), (3, "status_on"), (4, "status_on")}, report["problems"]
    assert "in the future" in found[2, "status_on"]
    assert "before the request on 2019-01-10" in found[3, "status_on"]
    assert "write dates as YYYY-MM-DD" in found[4, "status_on"]


# -- standard measures on the indicator sheet -------------------------------------------------------------


def indicator_row(**cells: str) -> list[str]:
    row = dict.fromkeys(COLUMNS["indicators"], "") | {"project_code": "MEA-1", "name": "Guards trained"}
    return list((row | cells).values())


def test_indicators_with_measures_and_women_and_men_go_out_and_come_back(client):
    project = make_project(client, code="MEA-1")
    file = sheet(
        "indicators",
        indicator_row(measure="people_trained", target="60", target_women="25", target_men="30", actual="41",
                      actual_women="18", actual_men="20"),
        indicator_row(name="Shells destroyed", measure="ammunition_destroyed", unit="tonnes", target="430.5"),
        indicator_row(name="Doors replaced", unit="doors", target="12"),
    )  # fmt: skip
    assert counts(imported(client, "indicators", file)) == (3, 3, 0, 0)
    stored = {i["name"]: i for i in ok(client.get(f"/api/v1/projects/{project['id']}/indicators"))}
    trained = stored["Guards trained"]
    assert (trained["measure"], trained["unit"]) == ("people_trained", "people")
    assert [trained[n] for n in ("target_women", "target_men", "actual_women", "actual_men")] == [
        "25",
        "30",
        "18",
        "20",
    ]
    assert (stored["Doors replaced"]["measure"], stored["Doors replaced"]["unit"]) == (None, "doors")

    exported = csv_rows(download(client, "/api/v1/exports/indicators.csv"))
    assert exported[0] == COLUMNS["indicators"]
    rows = {r[1]: dict(zip(exported[0], r, strict=True)) for r in exported[1:]}
    assert {k: rows["Guards trained"][k] for k in ("measure", "unit", "target_women", "actual_men")} == {
        "measure": "people_trained",
        "unit": "people",
        "target_women": "25",
        "actual_men": "20",
    }
    assert rows["Doors replaced"]["measure"] == "" and rows["Shells destroyed"]["target_women"] == ""
    again = download(client, "/api/v1/exports/indicators.csv")
    assert counts(imported(client, "indicators", again)) == (3, 0, 0, 3)  # the round trip changes nothing
    edited = [dict(zip(exported[0], r, strict=True)) for r in csv_rows(again)[1:]]
    for row in edited:
        if row["name"] == "Guards trained":
            row |= {"unit": "", "actual_women": "19"}  # the measure's unit may be left empty
    changed = csv_bytes([exported[0], *[list(r.values()) for r in edited]])
    assert counts(imported(client, "indicators", changed)) == (3, 0, 1, 2)
    trained = ok(client.get(f"/api/v1/projects/{project['id']}/indicators"))[0]
    assert (trained["unit"], trained["actual_women"]) == ("people", "19")


@pytest.mark.parametrize(
    ("cells", "column", "advice"),
    [
        ({"measure": "weapons_melted", "target": "5"}, "measure", "use one of: weapons_destroyed"),
        ({"measure": "ammunition_destroyed", "unit": "kg", "target": "5"}, "unit", "leave the unit empty"),
        ({"measure": "weapons_destroyed", "target": "5", "target_women": "2"}, "target_women",
         "leave them empty"),
        ({"measure": "people_trained", "target": "10", "target_women": "6", "target_men": "5"}, "target_men",
         "women + men may be at most the target"),
        ({"measure": "people_trained", "target": "10", "actual_women": "3"}, "actual_women",
         "need the actual"),
        ({"measure": "people_trained", "target": "10", "target_men": "2.5"}, "target_men", "whole number"),
        ({"target": "10"}, "unit", "a free indicator needs a unit"),
    ],
)  # fmt: skip
def test_an_indicator_row_against_the_measures_rules_says_what_to_type_instead(client, cells, column, advice):
    make_project(client, code="MEA-1")
    report = ok(upload(client, "indicators", sheet("indicators", indicator_row(**cells)), dry_run=True))
    [problem] = report["problems"]
    assert (problem["row"], problem["column"]) == (2, column)
    assert advice in problem["message"], problem["message"]
