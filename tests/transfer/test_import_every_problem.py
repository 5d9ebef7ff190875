"""An import names every problem of a row on the first pass: a rule that compares cells or looks at the
database is not hidden behind a cell that is wrong on its own (a pledge of -5000 dated 2030 gets both), and
nothing is said of a cell that is right."""

from __future__ import annotations

from portfolio.transfer.kinds import COLUMNS
from tests.factories import make_project, ok
from tests.transfer.test_transfer import sheet, upload
from tests.transfer.test_web_imports import check, problem_rows, staff  # noqa: F401 - the page's logged-in client


def pledge_row(**cells: str) -> list[str]:
    base = {"project_code": "IMP-1", "donor": "DEU", "kind": "cash", "amount": "5000.00", "currency": "EUR"}
    values = {**base, "pledged_on": "2024-05-01", "status": "pledged", "note": "", **cells}
    return [values[c.name] for c in COLUMNS["pledges"]]


def problems(client, *rows: list[str]) -> list[tuple[int, str, str]]:
    report = upload(client, "pledges", sheet("pledges", *rows), dry_run=True)
    assert report.status_code in (200, 422), report.text
    return sorted((p["row"], p["column"], p["value"]) for p in report.json()["problems"])


def test_a_negative_amount_and_a_future_date_are_both_named_at_once(client):
    make_project(client, code="IMP-1", request_date="2024-01-10")
    found = problems(client, pledge_row(amount="-5000", pledged_on="2030-01-01"))
    assert found == [(2, "amount", "-5000"), (2, "pledged_on", "2030-01-01")]


def test_a_bad_state_code_does_not_hide_a_future_date(client):
    make_project(client, code="IMP-1", request_date="2024-01-10")
    found = problems(client, pledge_row(donor="XXX", pledged_on="2030-01-01"))
    assert found == [(2, "donor", "XXX"), (2, "pledged_on", "2030-01-01")]


def test_a_row_with_one_problem_gets_that_one_only_and_later_rows_are_judged_alone(client):
    make_project(client, code="IMP-1", request_date="2024-01-10")
    found = problems(client, pledge_row(amount="-5000"), pledge_row(amount="5000.00"))
    assert found == [(2, "amount", "-5000")]
    # the example put in the bad cell's place was not counted as a row seen: the next row is no duplicate
    assert ok(upload(client, "pledges", sheet("pledges", pledge_row(amount="250000.00"))))["created"] == 1


def test_the_import_page_lists_both_problems_of_the_row(client, staff):  # noqa: F811
    make_project(client, code="IMP-1", request_date="2024-01-10")
    page = check(staff, sheet("pledges", pledge_row(amount="-5000", pledged_on="2030-01-01")), kind="pledges")
    rows = problem_rows(page.text)
    assert [r[:3] for r in rows] == [["2", "amount", "-5000"], ["2", "pledged_on", "2030-01-01"]], rows
