"""Money out in spreadsheets: the finance system's export of expenditures imported (a dry run, then the real
run; every problem by row and column with nothing written; idempotent on the finance system's reference;
charged exactly as the API charges), expenditures and budget lines exported as staff and as a donor, and the
money-out tables through a backup and a restore."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portfolio.backup import dump, restore
from tests.conftest import Account
from tests.days import tomorrow
from tests.factories import assert_problem, make_pledge, make_project, make_rate, ok, receive
from tests.pages import csrf_of, log_in, text_of
from tests.transfer.test_backup import restored_app
from tests.transfer.test_transfer import (
    KINDS,
    audit_total,
    counts,
    csv_bytes,
    csv_rows,
    download,
    imported,
    template_examples,
    upload,
    xlsx_bytes,
    xlsx_sheets,
)

D = Decimal
# The columns as the templates document them (written out here, so that a column renamed by accident fails).
COLUMNS = [
    "project_code", "spent_on", "amount", "currency", "line_id", "description", "reference", "amount_eur",
    "reverses",
]  # fmt: skip
IMPORTED = COLUMNS[:7]  # what the finance system's export gives; the last two are for reading
BUDGET_LINE_COLUMNS = ["project_code", "line_id", "category", "label", "year", "original_eur", "amount_eur"]
MONEY_OUT = ("budget_line", "budget_revision", "expenditure", "charge")


# -- helpers ------------------------------------------------------------------------------------


def rates(client: TestClient) -> None:
    make_rate(client, "NOK", "2024-03", "0.08000000")
    make_rate(client, "NOK", "2024-05", "0.10000000")
    make_rate(client, "NOK", "2024-06", "0.09000000")


def funded(client: TestClient, code: str) -> dict[str, Any]:
    """A project of €1,000,000 whose pledges brought in €300,000 (DEU) and €100,000 (NOR, in NOK); USA's
    brought nothing yet. Needs :func:`rates`."""
    made = make_project(client, code=code)
    deu = make_pledge(client, made["id"], donor="DEU", amount="400000.00", status="committed")
    nor = make_pledge(
        client, made["id"], donor="NOR", amount="1000000.00", currency="NOK", status="committed"
    )
    make_pledge(client, made["id"], donor="USA", amount="50000.00")
    ok(receive(client, deu["id"], "300000.00"), 201)
    ok(receive(client, nor["id"], "1000000.00"), 201)
    return made  # type: ignore[no-any-return]


def add_line(client: TestClient, project_id: int, **body: Any) -> dict[str, Any]:
    payload = {"category": "equipment", "label": "Shears", "amount_eur": "250000.00"} | body
    return ok(client.post(f"/api/v1/projects/{project_id}/budget-lines", json=payload), 201)  # type: ignore[no-any-return]


def sheet(*rows: list[str], header: list[str] = IMPORTED) -> bytes:
    return csv_bytes([header, *rows])


def spending_rows(line_id: int | str) -> list[list[str]]:
    """Five expenditures, without their project code and reference: one on a budget line, one in NOK at
    June's rate, one more than the pledges have left (part of it uncharged) and one after the money ran
    out (uncharged)."""
    return [
        ["2024-06-10", "1000.00", "EUR", "", "Depot fencing"],
        ["2024-06-11", "33333.33", "EUR", str(line_id), "Hydraulic shears"],
        ["2024-06-12", "250000.00", "NOK", "", "Transport"],
        ["2024-06-13", "350000.00", "EUR", "", "Destruction, lot 1"],
        ["2024-06-14", "10.01", "EUR", "", "Fuel"],
    ]


def expenditures(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    found = ok(client.get("/api/v1/expenditures", params={"limit": 500, **params}))["items"]
    return sorted(found, key=lambda e: (e["spent_on"], e["id"]))


def what_was_charged(client: TestClient, project_id: int) -> list[tuple[Any, ...]]:
    """Each expenditure of the project as recorded and charged, ids and references left out."""
    return [
        (
            e["spent_on"],
            e["amount"],
            e["currency"],
            e["eur_per_unit"],
            e["amount_eur"],
            e["line_id"] is not None,
            e["description"],
            e["charging"],
            e["uncharged_eur"],
            sorted((c["donor"], c["amount_eur"]) for c in e["charges"]),
        )
        for e in expenditures(client, project_id=project_id)
    ]


def balances(client: TestClient, project_id: int) -> dict[str, Any]:
    spending = ok(client.get(f"/api/v1/projects/{project_id}/spending"))
    spending.pop("project_id")
    spending["pledges"] = [
        (p["donor"], p["received_eur"], p["spent_eur"], p["balance_eur"]) for p in spending["pledges"]
    ]
    return spending  # type: ignore[no-any-return]


@pytest.fixture
def donor(app: FastAPI, accounts: dict[str, Account]) -> Iterator[TestClient]:
    """Germany's account."""
    with TestClient(app, headers=accounts["donor"].headers) as client:
        yield client


# -- the import ----------------------------------------------------------------------------------------


def test_a_dry_run_then_the_import_charges_every_row_as_the_api_does_and_a_second_import_adds_nothing(client):
    rates(client)
    by_file, by_api = funded(client, "EXP-FILE"), funded(client, "EXP-API")
    file_line, api_line = add_line(client, by_file["id"]), add_line(client, by_api["id"])
    rows = [["EXP-FILE", *row, f"FIN-{n}"] for n, row in enumerate(spending_rows(file_line["id"]), start=1)]
    body = sheet(*rows)
    written = audit_total(client)

    check = imported(client, "expenditures", body, dry_run=True)
    assert (check["dry_run"], check["written"], counts(check)) == (True, False, (5, 5, 0, 0))
    assert expenditures(client) == [] and audit_total(client) == written  # nothing was written

    report = imported(client, "expenditures", body)
    assert (report["dry_run"], report["written"], counts(report)) == (False, True, (5, 5, 0, 0))

    # The same rows through the API, on a project funded the same way.
    for date_, amount, currency, line_id, description in spending_rows(api_line["id"]):
        payload = {
            "project_id": by_api["id"],
            "spent_on": date_,
            "amount": amount,
            "currency": currency,
            "line_id": int(line_id) if line_id else None,
            "description": description,
        }
        ok(client.post("/api/v1/expenditures", json=payload), 201)

    from_file, from_api = what_was_charged(client, by_file["id"]), what_was_charged(client, by_api["id"])
    assert from_file == from_api  # to the cent, row by row
    assert balances(client, by_file["id"]) == balances(client, by_api["id"])
    # what the rows say: June's NOK rate, the money running out on the fourth row, none left for the fifth
    assert [(e[3], e[4], e[8]) for e in from_file] == [
        ("1.00000000", "1000.00", "0.00"),
        ("1.00000000", "33333.33", "0.00"),
        ("0.09000000", "22500.00", "0.00"),
        ("1.00000000", "350000.00", "6833.33"),
        ("1.00000000", "10.01", "10.01"),
    ]
    assert from_file[0][9] == [("DEU", "750.00"), ("NOR", "250.00")]  # 3 : 1, as they brought it in
    spending = balances(client, by_file["id"])
    assert (spending["received_eur"], spending["spent_eur"], spending["uncharged_eur"]) == (
        "400000.00",
        "406843.34",
        "6843.34",
    )
    assert [p[3] for p in spending["pledges"]] == ["0.00", "0.00"]
    stored = expenditures(client, project_id=by_file["id"])
    assert [e["reference"] for e in stored] == [f"FIN-{n}" for n in range(1, 6)]
    assert stored[1]["line_id"] == file_line["id"]
    # each imported record is in the audit trail, under the importing account, with its charges
    trail = ok(client.get("/api/v1/audit", params={"entity": "expenditure", "entity_id": stored[0]["id"]}))
    (entry,) = trail["items"]
    assert entry["action"] == "create" and entry["changes"]["reference"] == [None, "FIN-1"]
    assert sorted(entry["changes"]["charges"][1].values()) == ["250.00", "750.00"]
    after = audit_total(client)

    # The same file again, as CSV or as XLSX, adds nothing: every row is already recorded.
    again = imported(client, "expenditures", body)
    assert (again["written"], counts(again)) == (True, (5, 0, 0, 5))
    book = xlsx_bytes({"expenditures": [IMPORTED, *rows]})
    again = imported(client, "expenditures", book, name="finance.xlsx")
    assert counts(again) == (5, 0, 0, 5)
    # a file holding old rows and a new one adds the new one only
    more = sheet(*rows, ["EXP-FILE", "2024-06-20", "5.00", "EUR", "", "Padlocks", "FIN-6"])
    assert counts(imported(client, "expenditures", more)) == (6, 1, 0, 5)
    assert len(expenditures(client, project_id=by_file["id"])) == 6
    assert audit_total(client) == after + 1


def test_every_bad_row_is_listed_by_row_and_column_and_nothing_is_written(client):
    rates(client)
    project = funded(client, "EXP-BAD")
    other = make_project(client, code="EXP-OTHER")
    foreign_line = add_line(client, other["id"])
    future = tomorrow()
    body = sheet(
        ["EXP-BAD", "2024-06-10", "100.00", "EUR", "", "Good", "G-1"],  # 2
        ["EXP-NOPE", "2024-06-10", "100.00", "EUR", "", "Unknown project", "G-2"],  # 3
        ["EXP-BAD", "10.06.2024", "100.00", "EUR", "", "Bad date", "G-3"],  # 4
        ["EXP-BAD", "2023-01-10", "100.00", "NOK", "", "No NOK rate for January 2023", "G-4"],  # 5
        ["EXP-BAD", "2024-06-11", "100.00", "EUR", "", "Reference twice", "G-1"],  # 6
        ["EXP-BAD", "2024-06-11", "100.00", "EUR", "", "No reference", ""],  # 7
        ["EXP-BAD", "2024-06-11", "100.00", "EUR", str(foreign_line["id"]), "Another's line", "G-7"],  # 8
        ["EXP-BAD", future, "100.00", "EUR", "", "Not spent yet", "G-8"],  # 9
        ["EXP-BAD", "2024-06-12", "1.000,50", "EUR", "", "Decimal comma", "G-9"],  # 10
        ["EXP-BAD", "2024-06-12", "100.00", "EUR", "²", "A line that is no number", "G-10"],  # 11
    )
    written = audit_total(client)

    report = ok(upload(client, "expenditures", body, dry_run=True))
    found = [(p["row"], p["column"]) for p in report["problems"]]
    assert found == [
        (3, "project_code"),
        (4, "spent_on"),
        (5, "spent_on"),
        (6, "reference"),
        (7, "reference"),
        (8, "line_id"),
        (9, "spent_on"),
        (10, "amount"),
        (11, "line_id"),
    ]
    message = {(p["row"], p["column"]): p["message"] for p in report["problems"]}
    assert "EXP-NOPE" in message[(3, "project_code")]
    assert "2024-06-10" in message[(4, "spent_on")]  # what to type instead
    assert "no exchange rate for NOK in 2023-01" in message[(5, "spent_on")]
    assert "exchange-rates" in message[(5, "spent_on")]  # how to add it
    assert "row 2" in message[(6, "reference")]
    assert "required" in message[(7, "reference")]
    assert "not a line of this project" in message[(8, "line_id")]
    assert "future" in message[(9, "spent_on")]
    assert "1000.50" in message[(10, "amount")]
    assert (report["rows"], report["created"], report["written"]) == (10, 1, False)

    # The real run refuses the file whole: 422 naming every cell, and nothing written.
    refused = assert_problem(upload(client, "expenditures", body), 422)
    assert [e["loc"] for e in refused["errors"]] == [["file", r, c] for r, c in found]
    assert refused["written"] is False and refused["rows"] == 10
    assert expenditures(client) == [] and audit_total(client) == written
    assert balances(client, project["id"])["spent_eur"] == "0.00"

    # Without its bad rows the file goes in.
    good = sheet(["EXP-BAD", "2024-06-10", "100.00", "EUR", "", "Good", "G-1"])
    assert counts(imported(client, "expenditures", good)) == (1, 1, 0, 0)


def test_a_reversal_is_not_imported_and_a_file_without_a_reference_column_is_refused(client):
    rates(client)
    funded(client, "EXP-REV")
    header_only = sheet(["EXP-REV", "2024-06-10", "100.00", "EUR", "", "x"], header=IMPORTED[:6])
    refused = assert_problem(upload(client, "expenditures", header_only), 422, ["file", "columns"])
    assert "reference" in refused["detail"]

    reversal = sheet(
        ["EXP-REV", "2024-06-10", "-100.00", "EUR", "", "Wrong project", "", "-100.00", "FIN-9"],
        header=COLUMNS,
    )
    report = ok(upload(client, "expenditures", reversal, dry_run=True))
    assert "reverses" in {p["column"] for p in report["problems"] if p["row"] == 2}, report["problems"]
    assert "reversal" in report["problems"][0]["message"]


def test_the_template_documents_the_columns_and_its_example_imports_after_the_others(client):
    assert csv_rows(download(client, "/api/v1/imports/templates/expenditures.csv")) == [COLUMNS]
    notes = xlsx_sheets(download(client, "/api/v1/imports/templates/expenditures.xlsx"))["columns"]
    assert [row[0] for row in notes[1:]] == COLUMNS
    assert {row[0]: row[1] for row in notes[1:]}["reference"] == "yes"
    # budget lines are exported only: no template, no import
    assert_problem(client.get("/api/v1/imports/templates/budget-lines.csv"), 422, ["path", "kind"])
    assert_problem(upload(client, "budget-lines", csv_bytes([BUDGET_LINE_COLUMNS])), 422, ["path", "kind"])

    for kind in KINDS:
        imported(client, kind, template_examples(client, kind, "csv"), name="t.csv")
    report = imported(
        client, "expenditures", template_examples(client, "expenditures", "xlsx"), name="t.xlsx"
    )
    assert counts(report) == (1, 1, 0, 0)
    (spent,) = expenditures(client)
    assert (spent["amount_eur"], spent["reference"]) == ("18250.00", "FIN-2024-004211")
    assert [(c["donor"], c["amount_eur"]) for c in spent["charges"]] == [("DEU", "18250.00")]


# -- the export ----------------------------------------------------------------------------------------


@pytest.fixture
def spent(client: TestClient) -> dict[str, Any]:
    """EXP-DEU (funded by Germany, Norway and the United States) with five expenditures, one of them
    reversed, and a budget line; EXP-NOR (funded by Norway alone) with one expenditure."""
    rates(client)
    deu = funded(client, "EXP-DEU")
    line = add_line(client, deu["id"], year=2024)
    nor = make_project(client, code="EXP-NOR")
    pledge = make_pledge(client, nor["id"], donor="NOR", amount="50000.00", status="committed")
    ok(receive(client, pledge["id"], "50000.00"), 201)
    add_line(client, nor["id"], category="travel", label="Missions", amount_eur="10000.00")
    rows = [["EXP-DEU", *row, f"DEU-{n}"] for n, row in enumerate(spending_rows(line["id"]), start=1)]
    rows.append(["EXP-NOR", "2024-06-15", "4200.00", "EUR", "", "Norwegian-funded training", "NOR-1"])
    imported(client, "expenditures", sheet(*rows))
    first = expenditures(client, project_id=deu["id"])[0]
    reversed_ = client.post(
        f"/api/v1/expenditures/{first['id']}/reversal",
        json={"reason": "Booked twice"},
        headers={"If-Match": '"1"'},
    )
    ok(reversed_, 201)
    return {"deu": deu, "nor": nor, "line": line, "rows": rows}


def test_staff_export_every_expenditure_and_the_export_imports_back_as_nothing_new(client, spent):
    exported = csv_rows(download(client, "/api/v1/exports/expenditures.csv"))
    assert exported[0] == COLUMNS
    lines = exported[1:]
    assert [(r[0], r[6]) for r in lines] == [
        ("EXP-DEU", "DEU-1"),
        ("EXP-DEU", "DEU-2"),
        ("EXP-DEU", "DEU-3"),
        ("EXP-DEU", "DEU-4"),
        ("EXP-DEU", "DEU-5"),
        ("EXP-DEU", ""),  # the reversal, dated today
        ("EXP-NOR", "NOR-1"),
    ]
    reversal = lines[5]
    assert (reversal[2], reversal[7], reversal[8], reversal[5]) == (
        "-1000.00",
        "-1000.00",
        "DEU-1",
        "Booked twice",
    )
    assert lines[2][1:5] + lines[2][7:8] == ["2024-06-12", "250000.00", "NOK", "", "22500.00"]
    assert lines[1][4] == str(spent["line"]["id"])
    # The export goes back in as nothing new: every entry is recorded, the reversal too.
    assert counts(imported(client, "expenditures", download(client, "/api/v1/exports/expenditures.csv"))) == (
        7,
        0,
        0,
        7,
    )
    book = download(client, "/api/v1/exports/expenditures.xlsx")
    assert xlsx_sheets(book)["expenditures"][0] == COLUMNS
    assert counts(imported(client, "expenditures", book, name="e.xlsx")) == (7, 0, 0, 7)
    # the project list's filters apply
    only = csv_rows(download(client, "/api/v1/exports/expenditures.csv", donor="NOR", status="requested"))
    assert {r[0] for r in only[1:]} == {"EXP-DEU", "EXP-NOR"}
    only = csv_rows(download(client, "/api/v1/exports/expenditures.csv", donor="DEU"))
    assert {r[0] for r in only[1:]} == {"EXP-DEU"}

    budget = csv_rows(download(client, "/api/v1/exports/budget-lines.csv"))
    assert budget[0] == BUDGET_LINE_COLUMNS
    assert budget[1:] == [
        ["EXP-DEU", str(spent["line"]["id"]), "equipment", "Shears", "2024", "250000.00", "250000.00"],
        ["EXP-NOR", budget[2][1], "travel", "Missions", "", "10000.00", "10000.00"],
    ]


def test_a_donor_exports_the_spending_of_the_projects_its_state_funds_and_no_charge(client, donor, spent):
    for fmt in ("csv", "xlsx"):
        body = download(donor, f"/api/v1/exports/expenditures.{fmt}")
        rows = csv_rows(body) if fmt == "csv" else xlsx_sheets(body)["expenditures"]
        assert rows[0] == COLUMNS  # no column says which pledge, its own State's or another's, paid
        assert {r[0] for r in rows[1:]} == {"EXP-DEU"}, fmt  # not EXP-NOR, which Germany does not fund
        assert len(rows) == 1 + 6
        flat = " ".join(str(c) for row in rows for c in row)
        assert "NOR-1" not in flat and "Norwegian" not in flat
    # naming another State, or the project it does not fund, gives nothing
    assert csv_rows(download(donor, "/api/v1/exports/expenditures.csv", donor="NOR")) == [COLUMNS]
    assert csv_rows(download(donor, "/api/v1/exports/expenditures.csv", q="EXP-NOR")) == [COLUMNS]
    # a budget is a project-level figure, as GET /projects/{id}/budget shows it to every account
    budget = csv_rows(download(donor, "/api/v1/exports/budget-lines.csv"))
    assert [r[0] for r in budget[1:]] == ["EXP-DEU", "EXP-NOR"]
    # a donor imports nothing
    assert_problem(upload(donor, "expenditures", sheet(*spent["rows"])), 403)


# -- the pages -----------------------------------------------------------------------------------------


def test_the_import_page_offers_expenditures_and_counts_rows_already_recorded(app, client, accounts):
    rates(client)
    funded(client, "EXP-WEB")
    body = sheet(["EXP-WEB", "2024-06-10", "100.00", "EUR", "", "Fencing", "WEB-1"])
    imported(client, "expenditures", body)
    with log_in(app, accounts["staff"].email) as staff:
        page = staff.get("/imports")
        assert '<option value="expenditures"' in page.text
        assert 'href="/imports/templates/expenditures.xlsx"' in page.text
        assert 'value="budget-lines"' not in page.text
        checked = staff.post(
            "/imports",
            data={"kind": "expenditures", "csrf_token": csrf_of(page.text)},
            files={"file": ("finance.csv", body, "text/csv")},
        )
        assert checked.status_code == 200
        assert "Already recorded 1" in text_of(checked.text)


# -- backups -------------------------------------------------------------------------------------------


def test_a_backup_keeps_the_budget_lines_expenditures_and_charges(
    app, client, accounts, spent, empty_database_url
):
    revised = client.patch(
        f"/api/v1/budget-lines/{spent['line']['id']}",
        json={"amount_eur": "260000.00", "reason": "Prices rose"},
        headers={"If-Match": '"1"'},
    )
    ok(revised)
    with app.state.db.session() as session:
        document = dump(session)
    held = {name: len(document["tables"][name]) for name in MONEY_OUT}
    assert held == {"budget_line": 2, "budget_revision": 3, "expenditure": 7, "charge": held["charge"]}
    assert held["charge"] >= 8

    def seen(api: TestClient) -> dict[str, Any]:
        answers: dict[str, Any] = {"expenditures": expenditures(api)}
        for project in (spent["deu"], spent["nor"]):
            for part in ("budget", "spending"):
                answers[f"{project['code']} {part}"] = ok(api.get(f"/api/v1/projects/{project['id']}/{part}"))
        answers["revisions"] = ok(api.get(f"/api/v1/budget-lines/{spent['line']['id']}/revisions"))
        answers["export"] = api.get("/api/v1/exports/expenditures.csv").content
        return answers

    before = seen(client)
    target = restored_app(empty_database_url, document)
    try:
        with target.state.db.session() as session:
            again = dump(session)
        for name in MONEY_OUT:
            assert again["tables"][name] == document["tables"][name], name
        with TestClient(target, headers=accounts["staff"].headers) as moved:
            assert seen(moved) == before
            # the restored references still keep a second import from adding anything
            assert counts(imported(moved, "expenditures", sheet(*spent["rows"]))) == (6, 0, 0, 6)
            # and new records continue after the restored ones
            made = ok(
                moved.post(
                    "/api/v1/expenditures",
                    json={
                        "project_id": spent["nor"]["id"],
                        "spent_on": "2024-07-01",
                        "amount": "10.00",
                        "currency": "EUR",
                        "reference": "NOR-2",
                    },
                ),
                201,
            )
            assert made["id"] > max(e["id"] for e in before["expenditures"])
            assert made["charges"][0]["amount_eur"] == "10.00"
    finally:
        target.state.db.dispose()


def test_a_restore_replaces_a_database_holding_reversals(app, spent):
    """An expenditure cannot go before the reversal that names it: a restore over a database clears those
    links first."""
    with app.state.db.session() as session:
        document = dump(session)
    assert any(e["reverses_id"] for e in document["tables"]["expenditure"])
    with app.state.db.session(write=True) as session:
        restore(session, document, replace=True)
    with app.state.db.session() as session:
        assert dump(session)["tables"] == document["tables"]
