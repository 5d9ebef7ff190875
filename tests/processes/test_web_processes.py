"""The national-process pages, used as a person uses them: the list and its filters, recording a process,
editing it, moving its stage with a date and a note, and linking the projects that built it by code."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import make_project, ok
from tests.funding.test_web_funding import ARTIFACTS, browse_as, open_project, send
from tests.pages import error_of, hidden, log_in, token_of, value_of

NEW = {
    "state": "MDA",
    "name": "National SALW Commission",
    "kind": "structure",
    "areas": ["SALW"],
    "stage": "planned",
    "project_codes": "",
    "description": "Coordinates the national SALW policy.",
}


@pytest.fixture
def staff(anon: TestClient, accounts: dict[str, Any]) -> TestClient:
    return log_in(anon, "staff")


def create(staff: TestClient, **changes: Any) -> int:
    response = send(staff, "/processes/new", {**NEW, **changes})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.endswith("?done=created")
    return int(location.split("/")[2].split("?")[0])


def edit(staff: TestClient, process_id: int, **changes: Any) -> Any:
    url = f"/processes/{process_id}/edit"
    form = staff.get(url)
    assert form.status_code == 200
    data = {
        **NEW,
        "project_codes": value_of(form, "project_codes"),
        "version": hidden(form, "version"),
        "loaded_at": hidden(form, "loaded_at"),
        "csrf_token": token_of(form),
        **changes,
    }
    return staff.post(url, data=data, follow_redirects=False)


def test_create_a_process_linked_to_projects_by_code(client, staff):
    one = make_project(client, code="WEB-PROC-1", title="SALW registry")
    two = make_project(client, code="WEB-PROC-2", title="Marking machines")
    process_id = create(staff, project_codes="web-proc-1, WEB-PROC-2")
    page = staff.get(f"/processes/{process_id}?done=created")
    assert "The national process has been recorded." in page.text
    assert f'<a href="/projects/{one["id"]}">WEB-PROC-1 — SALW registry</a>' in page.text
    assert f'<a href="/projects/{two["id"]}">WEB-PROC-2 — Marking machines</a>' in page.text
    assert "Moldova" in page.text
    api = ok(client.get(f"/api/v1/national-processes/{process_id}"))
    assert api["project_ids"] == sorted([one["id"], two["id"]])


def test_an_unknown_code_is_named_beside_the_field(client, staff):
    make_project(client, code="WEB-PROC-1")
    response = send(staff, "/processes/new", {**NEW, "project_codes": "WEB-PROC-1, NOPE-9"})
    assert response.status_code == 422
    assert error_of(response, "project_codes") == "No project has the code NOPE-9."
    assert value_of(response, "project_codes") == "WEB-PROC-1, NOPE-9"
    assert value_of(response, "name") == "National SALW Commission"
    assert ok(client.get("/api/v1/national-processes"))["total"] == 0


def test_a_partner_state_is_refused_beside_the_state(client, staff):
    response = send(staff, "/processes/new", {**NEW, "state": "EGY"})
    assert response.status_code == 422
    assert "not a participating State" in error_of(response, "state")


def test_edit_and_move_the_stage_with_a_date_and_a_note(client, staff):
    project = make_project(client, code="WEB-PROC-3", title="Depot SOPs")
    process_id = create(staff, stage_changed_on="2025-01-10")
    renamed = {"name": "National SALW and SCA Commission", "areas": ["SALW", "SCA"]}
    response = edit(staff, process_id, **renamed)
    assert response.headers["location"] == f"/processes/{process_id}?done=saved"
    response = edit(
        staff,
        process_id,
        **renamed,
        stage="established",
        stage_changed_on="2025-06-01",
        stage_note="Decree signed",
        project_codes="WEB-PROC-3",
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/processes/{process_id}?done=moved"
    page = staff.get(f"/processes/{process_id}?done=moved")
    assert "The stage has been changed." in page.text
    assert "Decree signed" in page.text and "Established" in page.text
    assert "WEB-PROC-3 — Depot SOPs" in page.text
    api = ok(client.get(f"/api/v1/national-processes/{process_id}"))
    assert (api["name"], api["areas"], api["stage"], api["established_on"], api["project_ids"]) == (
        "National SALW and SCA Commission",
        ["SALW", "SCA"],
        "established",
        "2025-06-01",
        [project["id"]],
    )
    history = ok(client.get(f"/api/v1/national-processes/{process_id}/history"))
    assert [(h["to"], h["on"], h["note"]) for h in history][-1] == (
        "established",
        "2025-06-01",
        "Decree signed",
    )


def test_a_stage_move_before_the_last_one_is_refused_beside_its_date(client, staff):
    process_id = create(staff, stage_changed_on="2025-01-10")
    response = edit(staff, process_id, stage="established", stage_changed_on="2024-01-01")
    assert response.status_code == 422
    assert "before the previous stage change" in error_of(response, "stage_changed_on")
    assert ok(client.get(f"/api/v1/national-processes/{process_id}"))["stage"] == "planned"


def test_a_stale_edit_shows_what_changed(client, staff):
    process_id = create(staff)
    form = staff.get(f"/processes/{process_id}/edit")
    patch = {"description": "Changed meanwhile"}
    ok(client.patch(f"/api/v1/national-processes/{process_id}", json=patch, headers={"If-Match": '"1"'}))
    data = {**NEW, "version": hidden(form, "version"), "loaded_at": hidden(form, "loaded_at")}
    response = staff.post(
        f"/processes/{process_id}/edit",
        data={**data, "name": "Mine", "csrf_token": token_of(form)},
        follow_redirects=False,
    )
    assert response.status_code == 412
    assert "Changed meanwhile" in response.text
    assert hidden(response, "version") == "2"
    assert value_of(response, "name") == "Mine"


def test_the_list_filters_by_state_kind_stage_and_area(client, staff):
    create(staff)
    create(staff, state="SRB", name="Ammunition SOPs", kind="procedure", areas=["SCA"], stage="established")
    everything = staff.get("/processes")
    assert "National SALW Commission" in everything.text and "Ammunition SOPs" in everything.text
    for query in ({"area": "SCA"}, {"kind": "procedure"}, {"stage": "established"}, {"state": "SRB"}):
        page = staff.get("/processes", params=query)
        assert "Ammunition SOPs" in page.text and "National SALW Commission" not in page.text, query
    page = staff.get("/processes", params={"area": "SALW", "state": "", "kind": ""})
    assert "National SALW Commission" in page.text and "Ammunition SOPs" not in page.text


def test_a_manager_reads_without_write_controls_and_is_refused_a_forged_post(client, staff, anon, accounts):
    process_id = create(staff)
    staff.cookies.clear()
    manager = log_in(anon, "manager")
    page = manager.get(f"/processes/{process_id}")
    assert page.status_code == 200 and "Edit or change the stage" not in page.text
    assert "Record a national process" not in manager.get("/processes").text
    assert manager.get(f"/processes/{process_id}/edit").status_code == 403
    forged = manager.post(
        f"/processes/{process_id}/edit",
        data={**NEW, "name": "Forged", "version": "1", "csrf_token": token_of(page)},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert ok(client.get(f"/api/v1/national-processes/{process_id}"))["name"] == NEW["name"]


def test_no_csrf_token_no_process(client, staff):
    response = staff.post("/processes/new", data=NEW, follow_redirects=False)
    assert response.status_code == 403
    assert ok(client.get("/api/v1/national-processes"))["total"] == 0


def test_a_process_recorded_and_moved_in_the_browser(demo_site, browser):
    server, app = demo_site
    _project_id, code = open_project(app)
    ARTIFACTS.mkdir(exist_ok=True)
    context, page, problems = browse_as(browser, server, "staff@example.org")
    try:
        page.goto(f"{server}/processes")
        page.get_by_role("link", name="Record a national process").click()
        page.get_by_label("State").select_option(label="Montenegro")
        page.get_by_label("Name").fill("Weapons registry inspection unit")
        page.get_by_label("Kind").select_option(label="Structure")
        page.get_by_label("SALW").check()
        page.get_by_label("Projects that helped build it").fill(f"{code.lower()}, NOPE-1")
        page.get_by_label("Description").fill("Inspects the civilian weapons registry every year.")
        page.get_by_role("button", name="Record national process").click()
        assert page.locator("#f-project_codes-error").text_content() == "No project has the code NOPE-1."
        page.screenshot(path=str(ARTIFACTS / "staff-process-form.png"), full_page=True)
        page.get_by_label("Projects that helped build it").fill(code)
        page.get_by_role("button", name="Record national process").click()
        assert "The national process has been recorded." in page.text_content("main")
        assert page.get_by_role("link", name=code).count() == 1
        page.get_by_role("link", name="Edit or change the stage").click()
        page.get_by_label("New stage").select_option(label="Established")
        page.get_by_label("Stage note").fill("Unit staffed and trained")
        page.get_by_role("button", name="Save changes").click()
        assert "The stage has been changed." in page.text_content("main")
        assert "Unit staffed and trained" in page.text_content("main")
        page.goto(f"{server}/processes")
        page.get_by_label("State").select_option(label="Montenegro")
        page.get_by_role("button", name="Show").click()
        assert "Weapons registry inspection unit" in page.text_content("main")
        page.goto(f"{server}/processes")
        page.screenshot(path=str(ARTIFACTS / "staff-processes.png"), full_page=True)
        page.goto(f"{server}/language?to=fr&next=/processes")
        page.screenshot(path=str(ARTIFACTS / "staff-processes-fr.png"), full_page=True)
    finally:
        context.close()
    assert problems == []
