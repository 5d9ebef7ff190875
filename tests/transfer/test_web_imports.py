"""The import pages, as a person uses them: log in, choose what the file holds and the file, read the
dry run's report, confirm; and the refusals (a bad row, not a spreadsheet, too large, a role that may
not import) as pages, never JSON."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col, select

from portfolio.main import create_app
from portfolio.projects.models import Project
from tests.browser import log_in as log_in_by_form
from tests.browser import needs_browser, shoot
from tests.conftest import Account
from tests.factories import make_settings
from tests.pages import csrf_of, log_in, text_of
from tests.transfer.test_transfer import PROJECT_HEADER, project_rows

CHECKED = re.compile(r'name="checked" value="([0-9a-f]{64})"')


@pytest.fixture
def staff(app: FastAPI, accounts: dict[str, Account]) -> Iterator[TestClient]:
    with log_in(app, accounts["staff"].email) as client:
        yield client


def check(client: TestClient, body: bytes, *, kind: str = "projects", name: str = "projects.csv") -> Any:
    """Upload the form on /imports, as the page's form sends it."""
    token = csrf_of(client.get("/imports").text)
    return client.post(
        "/imports",
        data={"kind": kind, "csrf_token": token},
        files={"file": (name, body, "text/csv")},
    )


def problem_rows(html: str) -> list[list[str]]:
    table = html.split('<table class="problems">', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [
        [text_of(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


GOOD = ["WEB-1", "Depot fencing", "SCA", "SRB", "2024-01-15", "1000.00"]
BAD = ["WEB-2", "Depot lighting", "SCA", "Serbia", "2024-01-15", "2000.00"]


def projects_via_api(app: FastAPI, account: Account) -> list[str]:
    with TestClient(app, headers=account.headers) as api:
        response = api.get("/api/v1/projects")
        assert response.status_code == 200, response.text
        return sorted(p["code"] for p in response.json()["items"])


def test_the_form_offers_every_kind_the_templates_and_a_file_chooser(staff):
    page = staff.get("/imports")
    assert page.status_code == 200
    html = page.text
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file"' in html
    assert '<label for="f-file">' in html
    kinds = ("projects", "pledges", "receipts", "milestones", "indicators", "national-processes")
    kinds += ("agreements",)
    for kind in kinds:
        assert f'<option value="{kind}"' in html
        assert f'href="/imports/templates/{kind}.csv"' in html
        assert f'href="/imports/templates/{kind}.xlsx"' in html


def test_the_templates_are_the_apis_as_downloads(staff, accounts, app):
    with TestClient(app, headers=accounts["staff"].headers) as api:
        for fmt in ("csv", "xlsx"):
            page = staff.get(f"/imports/templates/pledges.{fmt}")
            assert page.status_code == 200
            assert page.headers["content-disposition"] == f'attachment; filename="pledges-template.{fmt}"'
            if fmt == "csv":
                assert page.content == api.get(f"/api/v1/imports/templates/pledges.{fmt}").content


def test_a_bad_row_is_listed_by_row_column_value_and_message_and_nothing_is_written(staff, app, accounts):
    report = check(staff, project_rows(GOOD, BAD))
    assert report.status_code == 200
    html = report.text
    rows = problem_rows(html)
    assert len(rows) == 1
    row, column, value, message = rows[0]
    assert (row, column, value) == ("3", "beneficiaries", "Serbia")
    assert "SRB" in message  # the importer's own advice: the State's code for its name
    text = text_of(html)
    assert "Rows read 2" in text
    assert "Would create 1" in text
    assert "Rows refused 1" in text
    assert "Confirm import" not in text
    assert projects_via_api(app, accounts["staff"]) == []


def test_a_clean_file_is_confirmed_and_its_records_exist(staff, app, accounts):
    body = project_rows(GOOD, ["WEB-3", "Training", "SALW", "BIH", "2024-02-01", "500.00"])
    report = check(staff, body)
    assert report.status_code == 200
    assert "Confirm import" in report.text
    assert projects_via_api(app, accounts["staff"]) == []  # the dry run wrote nothing
    checked = CHECKED.search(report.text)
    assert checked
    done = staff.post(
        "/imports/confirm",
        data={"kind": "projects", "checked": checked.group(1), "csrf_token": csrf_of(report.text)},
        files={"file": ("projects.csv", body, "text/csv")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"].startswith("/imports?done=imported&kind=projects")
    result = staff.get(done.headers["location"])
    text = text_of(result.text)
    assert "The file was imported." in text
    assert "Created 2" in text
    assert 'href="/projects"' in result.text
    assert projects_via_api(app, accounts["staff"]) == ["WEB-1", "WEB-3"]


def test_confirming_with_another_file_checks_that_file_instead_of_importing_it(staff, app, accounts):
    report = check(staff, project_rows(GOOD))
    checked = CHECKED.search(report.text)
    assert checked
    other = project_rows(BAD)
    again = staff.post(
        "/imports/confirm",
        data={"kind": "projects", "checked": checked.group(1), "csrf_token": csrf_of(report.text)},
        files={"file": ("projects.csv", other, "text/csv")},
    )
    assert again.status_code == 409
    assert "This is not the file that was checked" in text_of(again.text)
    assert problem_rows(again.text)[0][:3] == ["2", "beneficiaries", "Serbia"]
    assert projects_via_api(app, accounts["staff"]) == []


def test_a_file_that_is_no_spreadsheet_gets_the_415_message_on_the_form(staff):
    page = check(staff, b"%PDF-1.7 not a table", name="report.pdf")
    assert page.status_code == 415
    assert 'id="f-file-error"' in page.text
    assert "is not a spreadsheet" in page.text
    assert 'enctype="multipart/form-data"' in page.text  # the form, ready for another file


@pytest.mark.parametrize("kind", ["obligations", "nonsense"])
def test_a_kind_the_form_does_not_offer_is_a_message_beside_the_kind_field(staff, kind):
    # Reporting obligations are exported, never imported: the schedule of an agreement makes them.
    assert '<option value="obligations"' not in staff.get("/imports").text
    page = check(staff, b"kind,due_on\r\n", kind=kind, name="obligations.csv")
    assert page.status_code == 422
    assert "Choose what the file holds." in text_of(page.text)
    assert 'id="f-kind-error"' in page.text


def test_no_file_chosen_is_a_message_beside_the_file_field(staff):
    token = csrf_of(staff.get("/imports").text)
    page = staff.post("/imports", data={"kind": "projects", "csrf_token": token}, files={"file": ("", b"")})
    assert page.status_code == 422
    assert 'id="f-file-error"' in page.text


def test_a_file_over_the_limit_gets_the_html_413_page(database_url, accounts):
    capped = create_app(make_settings(database_url, import_max_bytes=2048))
    try:
        with log_in(capped, accounts["staff"].email) as client:
            token = csrf_of(client.get("/imports").text)
            big = project_rows(*[["CAP-1", "x" * 200, "SCA", "SRB", "2024-01-15", "1.00"]] * 2000)
            page = client.post(
                "/imports", data={"kind": "projects", "csrf_token": token}, files={"file": ("big.csv", big)}
            )
            assert page.status_code == 413
            assert page.headers["content-type"].startswith("text/html")
            assert "The file is larger than 2 KB" in page.text
            # The API still answers with its problem document.
            with TestClient(capped, headers=accounts["staff"].headers) as api:
                refused = api.post("/api/v1/imports/projects", files={"file": ("big.csv", big)})
                assert refused.status_code == 413
                assert refused.headers["content-type"].startswith("application/problem+json")
    finally:
        capped.state.db.dispose()


@pytest.mark.parametrize("role", ["manager", "donor"])
def test_a_manager_or_a_donor_gets_the_403_page(app, accounts, role):
    with log_in(app, accounts[role].email) as client:
        assert "/imports" not in client.get("/").text  # no menu entry
        page = client.get("/imports")
        assert page.status_code == 403
        assert page.headers["content-type"].startswith("text/html")
        token = csrf_of(page.text)  # the layout's logout form
        forged = client.post(
            "/imports",
            data={"kind": "projects", "csrf_token": token},
            files={"file": ("p.csv", project_rows(GOOD))},
        )
        assert forged.status_code == 403
        assert forged.headers["content-type"].startswith("text/html")
        assert client.get("/imports/templates/projects.csv").status_code == 403


def test_an_upload_without_the_csrf_token_is_refused(staff, app, accounts):
    page = staff.post("/imports", data={"kind": "projects"}, files={"file": ("p.csv", project_rows(GOOD))})
    assert page.status_code == 403
    assert "This form has expired" in page.text
    assert projects_via_api(app, accounts["staff"]) == []


def test_the_report_is_in_french(staff):
    staff.cookies.set("portfolio_lang", "fr")
    html = check(staff, project_rows(BAD)).text
    assert "Problèmes" in html
    assert "Lignes refusées" in html


# -- in a real browser ------------------------------------------------------------------------------


def logged_in(browser: Any, server: str, email: str) -> Any:
    """A page logged in through the login form, as a person types it."""
    _context, page, _problems = log_in_by_form(browser, server, email)
    return page


@needs_browser
def test_a_file_with_a_bad_row_then_a_good_one_through_the_file_chooser(browser, demo_site, tmp_path):
    server, site_app = demo_site
    bad = tmp_path / "projects-bad.csv"
    bad.write_bytes(project_rows(["BROWSER-1", "Depot fencing", "SCA", "SRB", "2024-01-15", "1000.00"], BAD))
    good = tmp_path / "projects.csv"
    good.write_bytes(project_rows(["BROWSER-1", "Depot fencing", "SCA", "SRB", "2024-01-15", "1000.00"]))
    page = logged_in(browser, server, "staff@example.org")
    page.get_by_role("link", name="Import").click()
    page.get_by_label("What the file holds").select_option(label="Projects")
    shoot(page, "staff-import")
    page.get_by_label(re.compile("^File")).set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    table = page.locator("table.problems")
    assert table.locator("tbody tr").count() == 1
    assert table.locator("tbody td").nth(2).inner_text() == "Serbia"
    assert page.get_by_role("button", name="Confirm import").count() == 0
    shoot(page, "staff-import-report")

    page.get_by_label(re.compile("^File")).set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    assert page.locator("table.problems").count() == 0
    page.get_by_label("The same file again").set_input_files(str(good))
    page.get_by_role("button", name="Confirm import").click()
    assert page.get_by_role("status").inner_text() == "The file was imported."
    assert "/imports?done=imported" in page.url
    with site_app.state.db.session() as session:
        titles = session.exec(select(Project.title).where(col(Project.code) == "BROWSER-1")).all()
    assert list(titles) == ["Depot fencing"]
    page.context.close()


def test_an_xlsx_filled_in_from_the_pages_template_is_checked_and_imported(staff, app, accounts):
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(staff.get("/imports/templates/projects.xlsx").content))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    values = dict(zip(PROJECT_HEADER, GOOD, strict=True))
    sheet.append([values.get(str(name)) for name in header])
    buffer = BytesIO()
    book.save(buffer)
    body = buffer.getvalue()
    report = check(staff, body, name="projects.xlsx")
    assert report.status_code == 200, text_of(report.text)[:2000]
    assert "Would create 1" in text_of(report.text)
    checked = CHECKED.search(report.text)
    assert checked
    done = staff.post(
        "/imports/confirm",
        data={"kind": "projects", "checked": checked.group(1), "csrf_token": csrf_of(report.text)},
        files={"file": ("projects.xlsx", body)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert projects_via_api(app, accounts["staff"]) == ["WEB-1"]
