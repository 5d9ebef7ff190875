"""The norms pages as people use them: an administrator adds a norm on /norms, staff tick it on a
project's edit form, and the Results dashboard counts that project under the norm."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.browser import log_in as log_in_by_form
from tests.browser import shoot
from tests.factories import make_project, ok
from tests.pages import TOKEN, error_of, log_in

axe_module = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python")


def send(client: TestClient, url: str, data: dict[str, Any], form_url: str) -> Any:
    page = client.get(form_url)
    assert page.status_code == 200, page.text
    token = TOKEN.findall(page.text)[-1]
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


# -- the forms, without a browser (both databases) -------------------------------------------------


def test_only_an_administrator_opens_the_norms_page_and_its_menu_link(app, accounts):
    admin = log_in(app, "admin")
    assert 'href="/norms"' in admin.get("/").text
    page = admin.get("/norms")
    assert page.status_code == 200 and "bpg-sca-transport" in page.text
    staff = log_in(app, "staff")
    assert 'href="/norms"' not in staff.get("/").text
    assert staff.get("/norms").status_code == 403


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("code", "Bad Code", "String should match pattern"),
        ("code", "doc-sca", "already has a norm"),
        ("title", "", "Required."),
        ("adopted", "1900", "At least 1975."),
    ],
)
def test_a_refused_norm_says_why_beside_its_field_and_keeps_what_was_typed(
    app, accounts, client, field, value, words
):
    admin = log_in(app, "admin")
    data = {"code": "bpg-new", "title": "A guide", "title_fr": "Un guide", "kind": "guide", "adopted": "2025"}
    data[field] = value
    page = send(admin, "/norms", data, "/norms")
    assert page.status_code in (409, 422)
    assert words in error_of(page, field)
    assert f'value="{html.escape(value)}"' in page.text or value == ""
    assert len(ok(client.get("/api/v1/norms"))) == 15


def test_an_administrator_retitles_a_norm_and_the_project_page_shows_it(app, accounts, client):
    admin = log_in(app, "admin")
    page = send(
        admin,
        "/norms/doc-sca/edit",
        {
            "title": "OSCE Document on SCA (2003, updated)",
            "title_fr": "Document sur les munitions",
            "adopted": "2011",
        },
        "/norms/doc-sca/edit",
    )
    assert page.status_code == 303 and page.headers["location"] == "/norms?done=saved"
    assert "The norm was saved." in admin.get("/norms?done=saved").text
    pid = make_project(client, norms=["doc-sca"])["id"]
    shown = admin.get(f"/projects/{pid}").text
    assert "OSCE Document on SCA (2003, updated)" in shown
    assert "Document sur les munitions" in admin.get(f"/projects/{pid}?lang=fr").text
    assert ok(client.get("/api/v1/norms/doc-sca"))["kind"] == "document"


def test_the_project_form_saves_the_ticked_norms_and_refuses_a_forged_one(app, accounts, client):
    staff = log_in(app, "staff")
    pid = make_project(client, norms=["doc-salw"])["id"]
    form = staff.get(f"/projects/{pid}/edit").text
    assert "<legend>OSCE Documents</legend>" in form and "<legend>Best Practice Guides</legend>" in form
    assert re.search(r'value="doc-salw" checked', form)
    fields = {
        "version": re.search(r'name="version" value="(\d+)"', form).group(1),  # type: ignore[union-attr]
        "loaded_at": re.search(r'name="loaded_at" value="([^"]*)"', form).group(1),  # type: ignore[union-attr]
        "code": ok(client.get(f"/api/v1/projects/{pid}"))["code"],
        "title": "Upgrading ammunition depot security",
        "areas": "SCA",
        "beneficiaries": "SRB",
        "request_date": "2024-01-15",
        "budget_eur": "1000000.00",
    }
    url = f"/projects/{pid}/edit"
    forged = staff.post(
        url,
        data={**fields, "norms": ["doc-sca", "no-such-norm"], "csrf_token": TOKEN.findall(form)[-1]},
        follow_redirects=False,
    )
    assert forged.status_code == 422
    assert "no-such-norm" in error_of(forged, "norms")
    assert ok(client.get(f"/api/v1/projects/{pid}"))["norms"] == ["doc-salw"]
    saved = send(staff, url, {**fields, "norms": ["doc-sca", "bpg-sca-security"]}, url)
    assert saved.status_code == 303, saved.text
    assert ok(client.get(f"/api/v1/projects/{pid}"))["norms"] == ["bpg-sca-security", "doc-sca"]
    cleared = send(staff, url, {**fields, "version": str(int(fields["version"]) + 1)}, url)
    assert cleared.status_code == 303, cleared.text
    assert ok(client.get(f"/api/v1/projects/{pid}"))["norms"] == []


# -- in a real browser --------------------------------------------------------------------------------

REFUSED = ("the server responded with a status of",)


def serious(axe: Any, page: Any) -> list[str]:
    results = axe.run(page)
    return [
        f"{v['id']}: {'; '.join(n['target'][0] for n in v['nodes'][:3])}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def first_project(app: Any) -> tuple[int, str]:
    from sqlmodel import col, select

    from portfolio.projects.models import Project

    with app.state.db.session() as session:
        project = session.exec(select(Project).where(col(Project.status) == "implementation")).first()
        assert project is not None and project.id is not None
        return project.id, project.code


# The sample indicators by name, and the standard measure each counts in.
SAMPLE_MEASURES = {
    "Storage sites upgraded": "depots_upgraded",
    "Weapons destroyed": "weapons_destroyed",
    "Ammunition destroyed": "ammunition_destroyed",
    "Melange disposed of": "propellant_disposed",
    "Weapons marked": "weapons_marked",
    "Weapons deactivated": "weapons_deactivated",
    "Officials trained": "people_trained",
    "People trained": "people_trained",
    "Border and customs officers trained": "people_trained",
    "Personnel trained": "people_trained",
    "Women reached by the campaign": "people_reached",
}


def measure_the_sample_indicators(app: Any) -> None:
    """Give the sample indicators their standard measures (people: 40 % women, 45 % men recorded)."""
    from decimal import Decimal

    from sqlmodel import select

    from portfolio.projects.models import Indicator

    with app.state.db.session(write=True) as session:
        for ind in session.exec(select(Indicator)):
            ind.measure = SAMPLE_MEASURES.get(ind.name)
            if ind.measure and ind.measure.startswith("people") and ind.actual:
                ind.actual_women = (ind.actual * Decimal("0.4")).quantize(Decimal(1))
                ind.actual_men = (ind.actual * Decimal("0.45")).quantize(Decimal(1))


def test_admin_adds_a_norm_staff_tick_it_and_the_results_count_the_project(demo_site, browser):
    server, app = demo_site
    axe = axe_module.Axe()
    title = "Best Practice Guide on Weapons Collection Programmes"
    context, page, problems = log_in_by_form(browser, server, "admin@example.org", ignore=REFUSED)
    try:
        page.get_by_role("link", name="Norms").click()
        assert page.url.endswith("/norms")
        page.get_by_label("Code").fill("bpg-salw-collection")
        page.get_by_label("Kind").select_option(label="Best Practice Guide")
        page.get_by_label("Year adopted").fill("2025")
        page.get_by_label("Title in English").fill(title)
        page.get_by_label("Title in French").fill("Guide des meilleures pratiques sur la collecte d'armes")
        page.get_by_role("button", name="Add the norm").click()
        assert "The norm was added." in page.text_content("main")
        row = page.get_by_role("row").filter(has_text="bpg-salw-collection")
        assert title in row.text_content()
        assert serious(axe, page) == []
        shoot(page, "norms-admin")
    finally:
        context.close()

    project_id, _code = first_project(app)
    context, page, problems_staff = log_in_by_form(browser, server, "staff@example.org", ignore=REFUSED)
    try:
        page.goto(f"{server}/projects/{project_id}")
        page.get_by_role("link", name="Edit details").first.click()
        box = page.get_by_role("checkbox", name=title)
        assert not box.is_checked()
        box.check()
        assert serious(axe, page) == []
        shoot(page, "norms-project-form")
        page.get_by_role("button", name="Save changes").click()
        assert page.url.endswith(f"/projects/{project_id}?done=saved")
        assert title in page.text_content("main")

        measure_the_sample_indicators(app)
        page.goto(f"{server}/dashboards/results")
        norms_table = page.locator("#results-norms table")
        row = norms_table.locator("tr").filter(has_text=title)
        cells = row.locator("td").all_text_contents()
        assert cells[2] == "1", cells  # one project names the new guide
        assert serious(axe, page) == []
        shoot(page, "results-dashboard")
        page.goto(f"{server}/dashboards/results?lang=fr")
        row = page.locator("#results-norms table tr").filter(
            has_text="Guide des meilleures pratiques sur la collecte"
        )
        assert row.locator("td").all_text_contents()[2] == "1"
        assert page.locator("h1").text_content() == "Résultats"
        shoot(page, "results-dashboard-fr")
    finally:
        context.close()
    assert problems == [] and problems_staff == []
