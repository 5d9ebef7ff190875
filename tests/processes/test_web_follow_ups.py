"""Sustainability follow-ups on the national-process pages, used as a person uses them: the checks listed on
the process page, the form that records a check's outcome (date, outcome, note, an evidence file) with its
refusals beside the fields in English and French, and the process list's column of the last check."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.days import resolved, tomorrow
from tests.factories import ok
from tests.funding.test_web_funding import ARTIFACTS, browse_as
from tests.pages import error_of, hidden, log_in, token_of
from tests.processes.test_web_processes import create, edit

PROCESSES = "/api/v1/national-processes"


@pytest.fixture
def staff(anon: TestClient, accounts: dict[str, Any]) -> TestClient:
    return log_in(anon, "staff")


def operational(client: TestClient, on: str = "2024-03-31", **overrides: Any) -> dict[str, Any]:
    body = {"state": "MDA", "name": "National SALW Commission", "kind": "structure", "stage": "operational"}
    return ok(client.post(PROCESSES, json={**body, "stage_changed_on": on, **overrides}), 201)


def record(
    staff: TestClient, process_id: int, files: dict[str, Any] | None = None, lang: str = "en", **fields: Any
) -> Any:
    """Open the process page and send its follow-up form, as a browser does."""
    url = f"/processes/{process_id}"
    page = staff.get(url, params={"lang": lang})
    assert page.status_code == 200, page.text
    data = {
        "check_id": hidden(page, "check_id"),
        "version": hidden(page, "version"),
        "csrf_token": token_of(page),
        "checked_on": date.today().isoformat(),
        "note": "",
        **fields,
    }
    return staff.post(f"{url}/follow-ups?lang={lang}", data=data, files=files, follow_redirects=False)


def test_the_page_lists_the_checks_and_records_an_outcome_with_an_evidence_file(client, staff):
    process = operational(client)
    pdf = {"evidence": ("minutes.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")}
    response = record(
        staff,
        process["id"],
        files=pdf,
        outcome="sustained",
        checked_on="2025-04-02",
        note="On the 2025 budget",
    )
    assert response.status_code == 303, response.text
    page = staff.get(response.headers["location"])
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "The outcome of the follow-up check has been recorded." in text
    assert "12 months Mar 31, 2025 Done Apr 2, 2025 Sustained On the 2025 budget" in text
    assert "Evidence of the 12-month follow-up check" in text
    assert "Record the 24-month check (due Mar 31, 2026)" in text  # the next open one
    api = ok(client.get(f"{PROCESSES}/{process['id']}"))
    assert api["stage"] == "sustained"
    check = ok(client.get(f"/api/v1/follow-ups/{api['follow_ups'][0]['id']}"))
    document = ok(client.get(f"/api/v1/documents/{check['evidence_document_id']}"))
    assert (document["owner_type"], document["owner_id"]) == ("national_process", process["id"])


def test_moving_a_process_to_operational_on_its_form_gives_it_its_checks(client, staff):
    process_id = create(staff, stage="established", stage_changed_on="2023-05-01")
    assert "No follow-up check" in staff.get(f"/processes/{process_id}").text
    response = edit(staff, process_id, stage="operational", stage_changed_on="2024-01-31", stage_note="")
    assert response.status_code == 303, response.text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", staff.get(f"/processes/{process_id}").text))
    assert "12 months Jan 31, 2025 Overdue" in text and "24 months Jan 31, 2026" in text
    assert "Record the 12-month check (due Jan 31, 2025)" in text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"outcome": "sustained", "checked_on": tomorrow}, "checked_on", "Give the day of the check"),
        ({"outcome": "sustained", "checked_on": "2024-01-01"}, "checked_on", "Give the day of the check"),
        ({"outcome": "sustained", "checked_on": "31/12/2024"}, "checked_on", "Give the day of the check"),
        ({}, "outcome", "Choose the outcome of the check."),
        ({"outcome": "sustained", "note": "x" * 4001}, "note", "at most 4000 characters"),
    ],
)
def test_a_refusal_is_beside_its_field_and_nothing_is_written(client, staff, fields, field, message):
    process = operational(client)
    fields = resolved(fields)  # a copy: the parameters are shared by both databases
    response = record(staff, process["id"], note=fields.pop("note", "Kept"), **fields)
    assert response.status_code == 422
    assert message in error_of(response, field)
    assert "Kept" in response.text or field == "note"  # what was typed is still there
    assert ok(client.get(f"{PROCESSES}/{process['id']}"))["stage"] == "operational"
    assert [c["status"] for c in ok(client.get(f"{PROCESSES}/{process['id']}"))["follow_ups"]] == [
        "overdue"
    ] * 2


def test_a_file_that_is_no_document_is_refused_beside_the_field_and_nothing_is_kept(client, staff):
    process = operational(client)
    exe = {"evidence": ("minutes.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")}
    response = record(staff, process["id"], files=exe, outcome="sustained")
    assert response.status_code == 415
    assert "The evidence must be a PDF, DOCX" in error_of(response, "evidence")
    assert ok(client.get("/api/v1/documents"))["total"] == 0
    assert ok(client.get(f"{PROCESSES}/{process['id']}"))["stage"] == "operational"


def test_the_refusals_are_in_french_with_lang_fr(client, staff):
    process = operational(client)
    response = record(staff, process["id"], lang="fr", checked_on="2024-01-01")
    assert response.status_code == 422
    assert error_of(response, "outcome") == "Choisissez le résultat du contrôle."
    page = staff.get(f"/processes/{process['id']}?lang=fr")
    assert "Suivi de la pérennité" in page.text and "Jour du contrôle" in page.text
    assert "Enregistrer le résultat" in page.text and "En retard" in page.text


def test_the_list_shows_the_last_check_or_that_one_is_overdue(client, staff):
    late = operational(client)
    checked = operational(client, name="Central weapons registry", on=date.today().isoformat())
    first = ok(client.get(f"{PROCESSES}/{checked['id']}"))["follow_ups"][0]
    ok(client.patch(f"/api/v1/follow-ups/{first['id']}", json={"outcome": "regressed"}))
    page = staff.get("/processes")
    rows = {
        name: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
        for row in re.findall(r"<tr>(.*?)</tr>", page.text, re.S)
        for name in ("National SALW Commission", "Central weapons registry")
        if name in row
    }
    assert "Check overdue" in rows["National SALW Commission"]
    assert f"Regressed, {date.today():%b %-d, %Y}" in rows["Central weapons registry"]
    assert late["id"] != checked["id"]


def test_a_manager_sees_the_checks_without_the_form_and_is_refused_a_forged_post(
    client, staff, anon, accounts
):
    process = operational(client)
    page = staff.get(f"/processes/{process['id']}")
    token, check_id = token_of(page), hidden(page, "check_id")
    with TestClient(anon.app) as other:
        manager = log_in(other, "manager")
        seen = manager.get(f"/processes/{process['id']}")
        assert "Sustainability follow-ups" in seen.text and "Record the outcome" not in seen.text
        forged = {"csrf_token": token_of(seen), "check_id": check_id, "outcome": "sustained"}
        assert manager.post(f"/processes/{process['id']}/follow-ups", data=forged).status_code == 403
    assert token  # the staff member's own form carried its token
    assert ok(client.get(f"{PROCESSES}/{process['id']}"))["stage"] == "operational"


def test_a_check_is_recorded_in_the_browser(demo_site, browser):
    server, app = demo_site
    from sqlmodel import col, select

    from portfolio.processes.models import FollowUpCheck, NationalProcess

    with app.state.db.session() as session:
        process = session.exec(
            select(NationalProcess)
            .join(FollowUpCheck, col(FollowUpCheck.process_id) == col(NationalProcess.id))
            .where(col(NationalProcess.stage) == "operational", col(FollowUpCheck.status) == "due")
            .order_by(col(NationalProcess.id))
        ).first()
        assert process is not None, "the sample data has an operational process with a check to record"
        process_id, name, state = process.id, process.name, process.state
    ARTIFACTS.mkdir(exist_ok=True)
    context, page, problems = browse_as(browser, server, "staff@example.org")
    try:
        page.goto(f"{server}/processes")
        page.get_by_label("State").select_option(value=state)
        page.get_by_label("Stage").select_option(label="Operational")
        page.get_by_role("button", name="Show").click()
        page.get_by_role("link", name=name, exact=True).click()
        assert page.url.endswith(f"/processes/{process_id}")
        page.get_by_label("Day of the check").fill((date.today() + timedelta(days=2)).isoformat())
        page.get_by_label("Sustained: it still runs on national resources").check()
        page.get_by_label("Note").fill("Running on the ministry's own budget since January")
        page.get_by_role("button", name="Record the outcome").click()
        assert "Give the day of the check" in page.locator("#f-checked_on-error").text_content()
        assert page.get_by_label("Note").input_value() == "Running on the ministry's own budget since January"
        page.get_by_label("Day of the check").fill(date.today().isoformat())
        page.get_by_role("button", name="Record the outcome").click()
        main = page.text_content("main")
        assert "The outcome of the follow-up check has been recorded." in main
        assert page.locator("dd .status").first.text_content() == "Sustained"
        assert "Running on the ministry's own budget since January" in main
        row = page.locator("table", has_text="Follow-up checks").locator("tbody tr").filter(has_text="Done")
        assert row.count() >= 1
        page.screenshot(path=str(ARTIFACTS / "staff-process-follow-ups.png"), full_page=True)
        page.goto(f"{server}/processes/{process_id}?lang=fr")
        french = page.text_content("main")
        assert "Suivi de la pérennité" in french and "Contrôlé le" in french and "Pérennisé" in french
    finally:
        context.close()
    assert problems == []
