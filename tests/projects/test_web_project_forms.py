"""The project's forms as a person uses them: log in, open the form, type, save, and see the record as the
API shows it (the project page itself belongs to the register's side of the pages)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.browser import log_in as log_in_by_form
from tests.browser import shoot
from tests.conftest import Account
from tests.days import today
from tests.pages import csrf_of, log_in

HIDDEN = re.compile(r'<input type="hidden" name="(version|loaded_at)" value="([^"]*)"')


def form_of(page: Any) -> dict[str, str]:
    """The hidden fields a form page carries: its CSRF token, and on an edit form version and loaded_at."""
    return {"csrf_token": csrf_of(page), **dict(HIDDEN.findall(page.text))}


def submit(browser: TestClient, url: str, data: dict[str, Any], page_url: str | None = None) -> Any:
    """Open the form's page, then post ``data`` with what the page carries."""
    page = browser.get(page_url or url)
    assert page.status_code == 200, page.text
    return browser.post(url, data={**form_of(page), **data}, follow_redirects=False)


NEW = {
    "code": "MDA-SCA-2026-01",
    "title": "Destruction of surplus artillery ammunition",
    "description": "Safe destruction of 430 tonnes at two depots.",
    "areas": ["SCA", "SALW"],
    "activity_types": ["surplus_destruction_ammunition", "stockpile_security"],
    "beneficiaries": ["MDA", "UKR"],
    "implementing_partner": "OSCE Mission to Moldova",
    "request_date": "2026-03-02",
    "start_date": "2026-09-01",
    "end_date": "2028-06-30",
    "budget_eur": "1850000.00",
    "gender_marker": "1",
    "sdg_targets": ["16.4", "5.5"],
}


@pytest.fixture
def staff(app: FastAPI, accounts: dict[str, Account]) -> TestClient:
    return log_in(app, accounts["staff"])


def api_project(client: TestClient, project_id: int) -> dict[str, Any]:
    answer = client.get(f"/api/v1/projects/{project_id}")
    assert answer.status_code == 200
    return answer.json()  # type: ignore[no-any-return]


def created_id(answer: Any, done: str = "created") -> int:
    assert answer.status_code == 303, answer.text
    match = re.fullmatch(rf"/projects/(\d+)\?done={done}", answer.headers["location"])
    assert match, answer.headers["location"]
    return int(match.group(1))


def make_project(client: TestClient, code: str = "SRB-SALW-2025-01", **fields: Any) -> dict[str, Any]:
    body = {
        "code": code,
        "title": "Marking and record-keeping",
        "areas": ["SALW"],
        "beneficiaries": ["SRB"],
        "request_date": "2025-01-10",
        "budget_eur": "100000.00",
        **fields,
    }
    answer = client.post("/api/v1/projects", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_a_new_project_is_recorded_with_every_field(staff: TestClient, client: TestClient) -> None:
    page = staff.get("/projects/new")
    assert page.status_code == 200
    assert '<label for="f-code">' in page.text and ">Moldova</option>" in page.text  # States by name
    assert ">Japan</option>" not in page.text  # Partners for Co-operation receive no help
    project_id = created_id(submit(staff, "/projects/new", NEW))
    shown = api_project(client, project_id)
    for name, value in NEW.items():
        expected: Any = value
        if name == "gender_marker":
            expected = int(value)  # type: ignore[arg-type]
        if isinstance(value, list):
            assert sorted(shown[name]) == sorted(value), name
        else:
            assert shown[name] == expected, name
    assert shown["status"] == "requested"


def test_a_project_is_edited(staff: TestClient, client: TestClient) -> None:
    project = make_project(client)
    url = f"/projects/{project['id']}/edit"
    page = staff.get(url)
    assert 'value="SRB-SALW-2025-01"' in page.text and 'name="version" value="1"' in page.text
    changed = {"title": "Marking, tracing and record-keeping", "budget_eur": "120000.50", "description": ""}
    values = {
        "code": project["code"],
        "areas": ["SALW"],
        "beneficiaries": ["SRB", "MNE"],
        "request_date": "2025-01-10",
        "activity_types": ["marking_and_tracing"],
        **changed,
    }
    assert created_id(submit(staff, url, values), "saved") == project["id"]
    shown = api_project(client, project["id"])
    assert shown["title"] == changed["title"] and shown["budget_eur"] == "120000.50"
    assert sorted(shown["beneficiaries"]) == ["MNE", "SRB"]
    assert shown["activity_types"] == ["marking_and_tracing"] and shown["version"] == 2


def test_a_stale_edit_shows_what_changed_meanwhile_and_saves_on_top(
    app: FastAPI, accounts: dict[str, Account], staff: TestClient, client: TestClient
) -> None:
    project = make_project(client)
    url = f"/projects/{project['id']}/edit"
    admin = log_in(app, accounts["admin"])
    first, second = form_of(staff.get(url)), form_of(admin.get(url))
    base = {
        "code": project["code"],
        "areas": ["SALW"],
        "beneficiaries": ["SRB"],
        "request_date": "2025-01-10",
    }
    one = staff.post(
        url,
        data={**first, **base, "title": "Title by staff", "budget_eur": "100000.00"},
        follow_redirects=False,
    )
    assert one.status_code == 303
    # the second form was loaded before the first save: its budget change meets the title change
    two = admin.post(
        url,
        data={**second, **base, "title": "Marking and record-keeping", "budget_eur": "99000.00"},
        follow_redirects=False,
    )
    assert two.status_code == 412
    assert "Someone else changed this record" in two.text
    table = two.text.split('class="changes"')[1].split("</table>")[0]
    assert "title" in table and "Title by staff" in table and "staff@test.example.org" in table
    assert 'value="99000.00"' in two.text  # the person's own value, kept
    assert 'value="Title by staff"' in two.text  # the field they did not touch shows the saved value
    again = form_of(two)
    assert again["version"] == "2"
    fields = {**base, "title": "Title by staff", "budget_eur": "99000.00"}
    assert admin.post(url, data={**again, **fields}, follow_redirects=False).status_code == 303
    shown = api_project(client, project["id"])
    assert (shown["title"], shown["budget_eur"], shown["version"]) == ("Title by staff", "99000.00", 3)


def test_a_duplicate_code_is_refused_beside_the_code(staff: TestClient, client: TestClient) -> None:
    make_project(client, "MDA-SCA-2026-01")
    answer = submit(staff, "/projects/new", NEW)
    assert answer.status_code == 409
    message = re.search(r'id="f-code-error">([^<]+)<', answer.text)
    assert message and "already used" in message.group(1)
    assert 'value="Destruction of surplus artillery ammunition"' in answer.text


@pytest.mark.parametrize("budget", ["12,5", "-1", "abc"])
def test_a_bad_budget_is_refused_beside_the_budget(staff: TestClient, budget: str) -> None:
    answer = submit(staff, "/projects/new", {**NEW, "budget_eur": budget})
    assert answer.status_code == 422
    assert 'id="f-budget_eur-error"' in answer.text
    field = re.search(r'<input id="f-budget_eur"[^>]*>', answer.text)
    assert field and f'value="{budget}"' in field.group(0) and "autofocus" in field.group(0)
    assert 'value="MDA-SCA-2026-01"' in answer.text and 'value="MDA" selected' in answer.text
    assert answer.text.count("autofocus") == 1


def test_a_refused_edit_keeps_the_version_and_moment_it_was_loaded(
    staff: TestClient, client: TestClient
) -> None:
    project = make_project(client)
    url = f"/projects/{project['id']}/edit"
    loaded = form_of(staff.get(url))
    base = {
        "code": project["code"],
        "areas": ["SALW"],
        "beneficiaries": ["SRB"],
        "request_date": "2025-01-10",
    }
    refused = staff.post(url, data={**loaded, **base, "title": "T", "budget_eur": "-1"})
    assert refused.status_code == 422
    assert form_of(refused)["version"] == "1" and form_of(refused)["loaded_at"] == loaded["loaded_at"]
    forged = staff.post(url, data={**loaded, **base, "version": "abc", "title": "T", "budget_eur": "x"})
    assert forged.status_code == 422 and 'id="f-budget_eur-error"' in forged.text
    stale = staff.post(url, data={**loaded, **base, "version": "abc", "title": "T", "budget_eur": "1"})
    assert stale.status_code == 412 and form_of(stale)["version"] == "1"


def test_a_final_move_asks_for_a_note(staff: TestClient, client: TestClient) -> None:
    project = make_project(client)
    url = f"/projects/{project['id']}/transition"
    page = staff.get(f"{url}?to=cancelled")
    assert "This cannot be undone by staff; a manager can reopen it." in page.text
    answer = staff.post(url, data={**form_of(page), "to": "cancelled", "note": " "}, follow_redirects=False)
    assert answer.status_code == 422 and 'id="f-note-error"' in answer.text
    assert api_project(client, project["id"])["status"] == "requested"
    answer = staff.post(
        url,
        data={**form_of(answer), "to": "cancelled", "note": "The State withdrew its request"},
        follow_redirects=False,
    )
    assert created_id(answer, "moved") == project["id"]
    assert api_project(client, project["id"])["status"] == "cancelled"


def test_a_step_posted_from_the_project_page_moves_it(staff: TestClient, client: TestClient) -> None:
    project = make_project(client)
    page = staff.get(f"/projects/{project['id']}/transition?to=assessment")
    data = form_of(page) | {"to": "assessment"}
    answer = staff.post(f"/projects/{project['id']}/transition", data=data, follow_redirects=False)
    assert created_id(answer, "moved") == project["id"]
    assert api_project(client, project["id"])["status"] == "assessment"
    # the same form again: its version is stale now
    again = staff.post(f"/projects/{project['id']}/transition", data=data, follow_redirects=False)
    assert again.status_code == 412 and "Someone else changed this record" in again.text


def test_a_move_the_lifecycle_refuses_shows_the_reason(
    app: FastAPI, accounts: dict[str, Account], staff: TestClient, client: TestClient
) -> None:
    project = make_project(client)
    url = f"/projects/{project['id']}/transition"
    answer = submit(staff, url, {"to": "implementation"}, f"{url}?to=implementation")
    assert answer.status_code == 409
    assert "cannot move from requested to implementation" in answer.text
    manager = log_in(app, accounts["manager"])
    answer = submit(manager, url, {"to": "assessment"}, f"{url}?to=assessment")
    assert answer.status_code == 403 and "<h1>Not allowed</h1>" in answer.text


def test_a_manager_reopens_a_completed_project(
    app: FastAPI, accounts: dict[str, Account], staff: TestClient, client: TestClient
) -> None:
    project = make_project(client)
    client.post(
        f"/api/v1/projects/{project['id']}/transitions", json={"to": "cancelled", "note": "withdrawn"}
    ).raise_for_status()
    manager = log_in(app, accounts["manager"])
    url = f"/projects/{project['id']}/transition"
    page = manager.get(f"{url}?to=requested")
    assert "Reopen project" in page.text
    answer = manager.post(
        url, data={**form_of(page), "to": "requested", "note": "Request renewed"}, follow_redirects=False
    )
    assert created_id(answer, "moved") == project["id"]
    assert api_project(client, project["id"])["status"] == "requested"


def test_a_donor_gets_no_form_and_a_forged_post_gets_the_403_page(
    app: FastAPI, accounts: dict[str, Account], client: TestClient
) -> None:
    project = make_project(client)
    donor = log_in(app, accounts["donor"])
    assert donor.get("/projects/new").status_code == 403
    token = form_of(donor.get("/account/password"))["csrf_token"]
    for url, data in [
        ("/projects/new", NEW),
        (f"/projects/{project['id']}/edit", {"title": "Forged", "version": "1"}),
        (f"/projects/{project['id']}/transition", {"to": "assessment", "version": "1"}),
        (f"/projects/{project['id']}/milestones/new", {"title": "Forged"}),
    ]:
        answer = donor.post(url, data={**data, "csrf_token": token}, follow_redirects=False)
        assert answer.status_code == 403, url
        assert (
            answer.headers["content-type"].startswith("text/html") and "<h1>Not allowed</h1>" in answer.text
        )
    assert api_project(client, project["id"])["version"] == 1


def test_a_post_without_the_csrf_token_is_refused(staff: TestClient, client: TestClient) -> None:
    answer = staff.post("/projects/new", data=NEW, follow_redirects=False)
    assert answer.status_code == 403 and "did not come from this site" in answer.text
    assert client.get("/api/v1/projects").json()["total"] == 0


def test_milestones_are_added_marked_done_edited_and_deleted(staff: TestClient, client: TestClient) -> None:
    project = make_project(client)
    base = f"/projects/{project['id']}/milestones"
    answer = submit(staff, f"{base}/new", {"title": "", "weight": "0"})
    assert (
        answer.status_code == 422
        and 'id="f-title-error"' in answer.text
        and 'id="f-weight-error"' in answer.text
    )
    answer = submit(staff, f"{base}/new", {"title": "Fence installed", "due_on": "2026-12-15", "weight": "2"})
    assert created_id(answer, "milestone-added") == project["id"]
    (milestone,) = client.get(f"/api/v1/projects/{project['id']}/milestones").json()
    assert (milestone["title"], milestone["due_on"], milestone["weight"]) == (
        "Fence installed",
        "2026-12-15",
        "2",
    )
    edit = f"{base}/{milestone['id']}/edit"
    page = staff.get(edit)
    done = staff.post(f"{base}/{milestone['id']}/done", data=form_of(page), follow_redirects=False)
    assert created_id(done, "milestone-done") == project["id"]
    (milestone,) = client.get(f"/api/v1/projects/{project['id']}/milestones").json()
    assert milestone["done_on"] == today().isoformat()
    # the page loaded before the milestone was marked done is stale now
    stale = staff.post(edit, data={**form_of(page), "title": "Fence", "weight": "2"}, follow_redirects=False)
    assert stale.status_code == 412 and "done_on" in stale.text and 'value="Fence"' in stale.text
    answer = submit(staff, edit, {"title": "Perimeter fence installed", "weight": "2.5", "done_on": ""})
    assert created_id(answer, "milestone-saved") == project["id"]
    (milestone,) = client.get(f"/api/v1/projects/{project['id']}/milestones").json()
    assert (milestone["title"], milestone["weight"], milestone["done_on"]) == (
        "Perimeter fence installed",
        "2.5",
        None,
    )
    future = (today() + timedelta(days=3)).isoformat()
    answer = submit(staff, edit, {"title": "Fence", "weight": "1", "done_on": future})
    assert answer.status_code == 422 and 'id="f-done_on-error"' in answer.text
    page = staff.get(edit)
    assert "Delete milestone" in page.text
    gone = staff.post(f"{base}/{milestone['id']}/delete", data=form_of(page), follow_redirects=False)
    assert created_id(gone, "milestone-deleted") == project["id"]
    assert client.get(f"/api/v1/projects/{project['id']}/milestones").json() == []
    assert staff.get(edit).status_code == 404


def test_indicators_are_added_and_their_actual_entered(staff: TestClient, client: TestClient) -> None:
    project = make_project(client)
    base = f"/projects/{project['id']}/indicators"
    answer = submit(
        staff, f"{base}/new", {"name": "Ammunition destroyed", "unit": "tonnes", "target": "430,5"}
    )
    assert answer.status_code == 422 and 'id="f-target-error"' in answer.text
    assert 'value="Ammunition destroyed"' in answer.text
    answer = submit(
        staff,
        f"{base}/new",
        {"name": "Ammunition destroyed", "unit": "tonnes", "baseline": "", "target": "430.5"},
    )
    assert created_id(answer, "indicator-added") == project["id"]
    (indicator,) = client.get(f"/api/v1/projects/{project['id']}/indicators").json()
    assert (indicator["baseline"], indicator["target"], indicator["actual"]) == ("0", "430.5", None)
    edit = f"{base}/{indicator['id']}/edit"
    assert 'value="430.5"' in staff.get(edit).text
    values = {
        "name": "Ammunition destroyed",
        "unit": "tonnes",
        "baseline": "0",
        "target": "430.5",
        "actual": "212",
    }
    assert created_id(submit(staff, edit, values), "indicator-saved") == project["id"]
    (indicator,) = client.get(f"/api/v1/projects/{project['id']}/indicators").json()
    assert indicator["actual"] == "212" and indicator["version"] == 2
    page = staff.get(edit)
    gone = staff.post(f"{base}/{indicator['id']}/delete", data=form_of(page), follow_redirects=False)
    assert created_id(gone, "indicator-deleted") == project["id"]


def test_the_forms_speak_french(staff: TestClient, client: TestClient) -> None:
    project = make_project(client)
    page = staff.get("/projects/new?lang=fr")
    assert "Nouveau projet" in page.text and ">Allemagne</option>" in page.text
    page = staff.get(f"/projects/{project['id']}/transition?to=completed&lang=fr")
    assert "un responsable peut le rouvrir" in page.text and "(obligatoire)" in page.text


def statements(app: FastAPI, browser: TestClient, url: str) -> int:
    """How many SQL statements the page at ``url`` runs."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    engine = app.state.db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert browser.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_edit_form_runs_as_many_statements_for_a_large_project_as_for_a_small_one(
    app: FastAPI, staff: TestClient, client: TestClient
) -> None:
    small = make_project(client, "SRB-SALW-2025-01")
    large = make_project(
        client,
        "SRB-SALW-2025-02",
        beneficiaries=["SRB", "MNE", "MKD", "ALB", "BIH"],
        areas=["SALW", "SCA"],
        activity_types=["marking_and_tracing", "record_keeping", "deactivation", "other"],
        sdg_targets=["16.4", "5.5"],
    )
    counts = [statements(app, staff, f"/projects/{p['id']}/edit") for p in (small, large)]
    assert counts[0] == counts[1] <= 9, counts  # one of them the norms catalogue, for its checkboxes


# -- in a real browser: Debian's Chromium against a live server with the sample portfolio ---------------

# What the browser reports on its console for a page answered with a refusal, which these tests ask for;
# and the project page, which another part of the pages provides.
EXPECTED = ("status of 404", "status of 409", "status of 412", "status of 422")


class Person:
    """One person at a browser: their own context (cookies), a page, and what went wrong on it."""

    def __init__(self, browser: Any, server: str, email: str, lang: str = "en") -> None:
        self.server = server
        self.context, self.page, self.problems = log_in_by_form(
            browser,
            server,
            email,
            lang,
            choose_language=True,
            ignore=EXPECTED,
            offline=True,
            viewport={"width": 1280, "height": 900},
            locale="en-US",
        )

    def open(self, path: str) -> Any:
        return self.page.goto(self.server + path)

    def shot(self, name: str) -> None:
        shoot(self.page, f"staff-{name}")

    def close(self) -> list[str]:
        self.context.close()
        return self.problems


def project_id_in(url: str, done: str) -> int:
    match = re.search(rf"/projects/(\d+)\?done={done}$", url)
    assert match, url
    return int(match.group(1))


def test_a_project_is_created_by_typing_and_choosing(browser: Any, server: str) -> None:
    staff = Person(browser, server, "staff@example.org")
    page = staff.page
    staff.open("/projects/new")
    page.get_by_label("Project code").fill("GEO-SALW-2026-07")
    page.get_by_label("Request date").fill("2026-02-14")
    page.get_by_label("Title").fill("Weapons marking machines for the Ministry of Internal Affairs")
    page.get_by_label("Description").fill("Two marking machines and training for twelve officers.")
    page.get_by_label("Beneficiary States").select_option(label="Georgia")
    page.get_by_label("SALW: small arms and light weapons").check()
    page.get_by_label("Marking and tracing").check()
    page.get_by_label("Implementing partner").fill("OSCE Secretariat, FSC Support Section")
    page.get_by_label("Start date").fill("2026-06-01")
    page.get_by_label("End date").fill("2026-05-01")  # before the start: refused beside the field
    page.get_by_label("Budget in euros").fill("240000")
    page.get_by_label("Gender marker").select_option(label="1: gender equality a significant objective")
    page.get_by_label("SDG targets").select_option(["16.4"])
    page.get_by_role("button", name="Create project").click()
    said = page.locator("#f-end_date-error").inner_text()
    assert said == "the end date (May 1, 2026) is before the start date (Jun 1, 2026)", said
    assert page.locator("#f-end_date").evaluate("e => e === document.activeElement")
    page.get_by_label("End date").fill("2027-05-31")
    staff.shot("project-form")
    page.get_by_role("button", name="Create project").click()
    project_id = project_id_in(page.url, "created")
    staff.open(f"/projects/{project_id}/edit")
    assert page.get_by_label("Project code").input_value() == "GEO-SALW-2026-07"
    assert page.get_by_label("Beneficiary States").evaluate(
        "s => [...s.selectedOptions].map(o => o.value)"
    ) == ["GEO"]
    assert page.get_by_label("Marking and tracing").is_checked()
    assert page.get_by_label("Budget in euros").input_value() == "240000.00"
    assert staff.close() == []


def tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def test_a_project_is_created_with_the_keyboard_alone(browser: Any, server: str) -> None:
    staff = Person(browser, server, "staff@example.org")
    page, keys = staff.page, staff.page.keyboard
    staff.open("/projects/new")
    tab_to(page, "#f-code")
    keys.type("ALB-SCA-2026-03")
    tab_to(page, "#f-title")
    keys.type("Destruction of surplus hand grenades")
    tab_to(page, "#f-beneficiaries")
    keys.type("Alban")  # the list box's type-ahead picks Albania
    tab_to(page, "input[name=areas][value=SCA]")
    keys.press("Space")
    tab_to(page, "input[name=activity_types][value=surplus_destruction_ammunition]")
    keys.press("Space")
    tab_to(page, "#f-budget_eur")
    keys.type("315000.50")
    tab_to(page, "#f-gender_marker")
    keys.press("ArrowDown")  # 0
    keys.press("ArrowDown")  # 1
    keys.press("Shift+Tab")  # back to the budget
    with page.expect_navigation():
        keys.press("Enter")  # submits the form
    project_id = project_id_in(page.url, "created")
    staff.open(f"/projects/{project_id}/edit")
    assert page.get_by_label("Project code").input_value() == "ALB-SCA-2026-03"
    chosen = page.get_by_label("Beneficiary States").evaluate("s => [...s.selectedOptions].map(o => o.value)")
    assert chosen == ["ALB"]
    assert page.get_by_label("SCA: stockpiles of conventional ammunition").is_checked()
    assert not page.get_by_label("SALW: small arms and light weapons").is_checked()
    assert page.get_by_label("Destruction of surplus ammunition").is_checked()
    assert page.get_by_label("Gender marker").input_value() == "1"
    assert page.get_by_label("Budget in euros").input_value() == "315000.50"
    assert page.get_by_label("Request date").input_value() == today().isoformat()
    assert staff.close() == []


def test_two_people_editing_one_project_see_the_conflict_page(browser: Any, server: str) -> None:
    staff = Person(browser, server, "staff@example.org")
    admin = Person(browser, server, "admin@example.org")
    staff.open("/projects/new")
    page = staff.page
    page.get_by_label("Project code").fill("MNE-SCA-2026-02")
    page.get_by_label("Title").fill("Ammunition depot upgrade at Taras")
    page.get_by_label("Beneficiary States").select_option(label="Montenegro")
    page.get_by_label("SCA: stockpiles of conventional ammunition").check()
    page.get_by_label("Budget in euros").fill("500000")
    page.get_by_role("button", name="Create project").click()
    project_id = project_id_in(page.url, "created")
    edit = f"/projects/{project_id}/edit"
    staff.open(edit)
    admin.open(edit)
    staff.page.get_by_label("Title").fill("Ammunition depot upgrade at Taras, phase I")
    staff.page.get_by_role("button", name="Save changes").click()
    project_id_in(staff.page.url, "saved")
    admin.page.get_by_label("Budget in euros").fill("560000")
    admin.page.get_by_role("button", name="Save changes").click()
    conflict = admin.page.get_by_role("alert").filter(has_text="Someone else changed this record")
    assert conflict.count() == 1
    assert "Ammunition depot upgrade at Taras, phase I" in conflict.locator("table").inner_text()
    assert "staff@example.org" in conflict.inner_text()
    assert admin.page.get_by_label("Budget in euros").input_value() == "560000"  # theirs, kept
    assert admin.page.get_by_label("Title").input_value() == "Ammunition depot upgrade at Taras, phase I"
    admin.shot("conflict")
    admin.page.get_by_role("button", name="Save changes").click()
    project_id_in(admin.page.url, "saved")
    admin.open(edit)
    assert admin.page.get_by_label("Budget in euros").input_value() == "560000.00"
    assert admin.page.get_by_label("Title").input_value() == "Ammunition depot upgrade at Taras, phase I"
    assert staff.close() == [] and admin.close() == []


def test_moves_milestones_and_indicators_in_the_browser(browser: Any, server: str) -> None:
    staff = Person(browser, server, "staff@example.org")
    page = staff.page
    staff.open("/projects/new")
    page.get_by_label("Project code").fill("BIH-SALW-2026-04")
    page.get_by_label("Title").fill("Destruction of seized small arms")
    page.get_by_label("Beneficiary States").select_option(label="Bosnia and Herzegovina")
    page.get_by_label("SALW: small arms and light weapons").check()
    page.get_by_label("Budget in euros").fill("80000")
    page.get_by_role("button", name="Create project").click()
    project_id = project_id_in(page.url, "created")

    staff.open(f"/projects/{project_id}/milestones/new")
    page.get_by_label("Title").fill("Weapons collected at the two depots")
    page.get_by_label("Due on").fill("2026-10-30")
    page.get_by_label("Weight").fill("2")
    staff.shot("milestone-form")
    page.get_by_role("button", name="Add milestone").click()
    project_id_in(page.url, "milestone-added")

    staff.open(f"/projects/{project_id}/indicators/new")
    page.get_by_label("Name").fill("Weapons destroyed")
    page.get_by_label("Unit").fill("weapons")
    page.get_by_label("Target").fill("1200")
    page.get_by_label("Actual").fill("1.200,5")  # a decimal comma: refused beside the field
    page.get_by_role("button", name="Add indicator").click()
    assert page.locator("#f-actual-error").is_visible()
    assert page.get_by_label("Actual").input_value() == "1.200,5"
    staff.shot("indicator-form")
    page.get_by_label("Actual").fill("")
    page.get_by_role("button", name="Add indicator").click()
    project_id_in(page.url, "indicator-added")

    staff.open(f"/projects/{project_id}/transition?to=cancelled")
    page.get_by_role("button", name="Move to “Cancelled”").click()
    assert page.locator("#f-note-error").is_visible()
    assert page.get_by_label("Note").evaluate("e => e === document.activeElement")
    staff.shot("transition")
    page.get_by_label("Note").fill("The ministry destroyed the weapons itself.")
    page.get_by_role("button", name="Move to “Cancelled”").click()
    project_id_in(page.url, "moved")

    staff.open(f"/projects/{project_id}/edit")
    page.get_by_role("link", name="Français").click()  # the language switch, kept for the next pages
    assert page.get_by_label("Code du projet").input_value() == "BIH-SALW-2026-04"
    staff.shot("project-form-fr")
    staff.open("/projects/new")
    page.get_by_role("button", name="Créer le projet").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Nouveau projet"
    assert page.locator(".field-error").count() >= 4
    staff.shot("project-form-refused-fr")
    assert staff.close() == []


# -- standard measures, with women and men ------------------------------------------------------------


def test_a_people_count_is_recorded_with_women_and_men(staff: TestClient, client: TestClient) -> None:
    project = make_project(client)
    base = f"/projects/{project['id']}/indicators"
    page = staff.get(f"{base}/new")
    assert '<option value="" data-unit="" data-people="0">None — free indicator</option>' in page.text
    assert "The total may include people whose sex was not recorded" in page.text
    typed = {
        "name": "Depot guards trained",
        "measure": "people_trained",
        "unit": "",
        "target": "60",
        "target_women": "25",
        "target_men": "40",
    }
    answer = submit(staff, f"{base}/new", typed)
    assert answer.status_code == 422
    assert re.search(r'id="f-target_men-error">[^<]*exceed the target of 60', answer.text), answer.text
    assert 'value="Depot guards trained"' in answer.text and 'value="40"' in answer.text
    assert client.get(f"/api/v1/projects/{project['id']}/indicators").json() == []
    answer = submit(staff, f"{base}/new", typed | {"target_men": "30", "unit": "guards"})  # the unit is fixed
    assert created_id(answer, "indicator-added") == project["id"]
    (indicator,) = client.get(f"/api/v1/projects/{project['id']}/indicators").json()
    assert (indicator["measure"], indicator["unit"]) == ("people_trained", "people")
    assert (indicator["target"], indicator["target_women"], indicator["target_men"]) == ("60", "25", "30")

    edit = f"{base}/{indicator['id']}/edit"
    form = staff.get(edit).text
    assert '<option value="people_trained" data-unit="people" data-people="1" selected>' in form
    assert re.search(r'id="f-unit" name="unit" type="text" value="people" readonly', form)
    values = {n: indicator[n] or "" for n in ("name", "measure", "target", "target_women", "target_men")}
    answer = submit(staff, edit, values | {"actual": "41", "actual_women": "18", "actual_men": "20"})
    assert created_id(answer, "indicator-saved") == project["id"]
    hub = staff.get(f"/projects/{project['id']}").text
    assert "People trained" in hub
    assert "women 25 / men 30 / total 60" in hub and "women 18 / men 20 / total 41" in hub
    french = staff.get(f"/projects/{project['id']}?lang=fr").text
    assert "Personnes formées" in french and "femmes 18 / hommes 20 / total 41" in french


def test_women_and_men_are_refused_for_a_measure_that_does_not_count_people(
    staff: TestClient, client: TestClient
) -> None:
    project = make_project(client)
    typed = {"name": "Rifles cut", "measure": "weapons_destroyed", "target": "900", "target_women": "3"}
    answer = submit(staff, f"/projects/{project['id']}/indicators/new", typed)
    assert answer.status_code == 422
    assert re.search(r'id="f-target_women-error">[^<]*only for a measure that counts people', answer.text)
    answer = submit(staff, f"/projects/{project['id']}/indicators/new", typed | {"target_women": ""})
    assert created_id(answer, "indicator-added") == project["id"]
    (indicator,) = client.get(f"/api/v1/projects/{project['id']}/indicators").json()
    assert (indicator["unit"], indicator["target_women"]) == ("weapons", None)


def test_a_people_count_with_women_and_men_in_the_browser(browser: Any, server: str) -> None:
    staff = Person(browser, server, "staff@example.org")
    page = staff.page
    staff.open("/projects/new")
    page.get_by_label("Project code").fill("MNE-SALW-2026-05")
    page.get_by_label("Title").fill("Training of police armourers")
    page.get_by_label("Beneficiary States").select_option(label="Montenegro")
    page.get_by_label("SALW: small arms and light weapons").check()
    page.get_by_label("Budget in euros").fill("45000")
    page.get_by_role("button", name="Create project").click()
    project_id = project_id_in(page.url, "created")

    staff.open(f"/projects/{project_id}/indicators/new")
    assert page.get_by_label("Women to reach").is_hidden()  # a free indicator counts no women and men
    page.get_by_label("Name").fill("Police armourers trained")
    page.get_by_label("Standard measure").select_option(label="People trained (people)")
    assert page.get_by_label("Unit").input_value() == "people"
    assert page.get_by_label("Unit").evaluate("e => e.readOnly")
    page.get_by_label("Target").fill("40")
    page.get_by_label("Women to reach").fill("18")
    page.get_by_label("Men to reach", exact=True).fill("25")
    page.get_by_label("Actual").fill("32")
    page.get_by_label("Women reached").fill("14")
    page.get_by_label("Men reached", exact=True).fill("17")
    page.get_by_role("button", name="Add indicator").click()
    error = page.locator("#f-target_men-error")
    assert error.is_visible() and "exceed the target of 40" in error.inner_text()
    assert page.get_by_label("Men to reach", exact=True).input_value() == "25"
    staff.shot("indicator-people-refused")
    page.get_by_label("Men to reach", exact=True).fill("20")
    page.get_by_role("button", name="Add indicator").click()
    project_id_in(page.url, "indicator-added")

    row = page.locator("table.indicators").get_by_role("row", name=re.compile("Police armourers trained"))
    assert "People trained" in row.inner_text()
    assert "women 18 / men 20 / total 40" in row.inner_text()
    assert "women 14 / men 17 / total 32" in row.inner_text()
    row.scroll_into_view_if_needed()
    staff.shot("indicator-people-on-project")
    assert staff.close() == []
