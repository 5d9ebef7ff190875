"""The agreement, obligation and document pages and the calendar feed section, used as a person uses them:
log in through the form, open the page, fill it in, send it, and read what comes back; then the same in
Chromium, on SQLite and on PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.browser import VIEWPORT, shoot
from tests.factories import PASSWORD, live_server, make_pledge, make_project, ok
from tests.pages import error_of, hidden, log_in, text_of, token_of

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
AGREEMENT = {
    "reference": "SAMPLE-CA-2026-014",
    "signed_on": "2025-01-15",
    "valid_until": "2026-12-31",
    "earmarking": "project",
    "conditions": "Sample data: the depot upgrade only.",
    "interim_every_months": "6",
    "final_after_months": "3",
    "audit_certificate": "yes",
    "contact_name": "Sample contact",
    "contact_email": "contact@example.org",
}


@pytest.fixture
def staff(app: FastAPI, accounts: dict[str, Any]) -> TestClient:
    return log_in(app, "staff")


@pytest.fixture
def donor(app: FastAPI, accounts: dict[str, Any]) -> TestClient:
    return log_in(app, "donor")  # speaks for Germany


@pytest.fixture
def funded(client: TestClient) -> dict[str, Any]:
    """A project ending 2025-12-31 with a German pledge and a Norwegian one, the Norwegian signed."""
    project = make_project(client, code="WEB-AGR-1", start_date="2024-06-01", end_date="2025-12-31")
    german = make_pledge(client, project["id"], donor="DEU", amount="120000.00")
    norwegian = make_pledge(client, project["id"], donor="NOR", amount="50000.00")
    body = {"reference": "SAMPLE-NOR-1", "signed_on": "2024-07-01"}
    ok(client.post(f"/api/v1/pledges/{norwegian['id']}/agreement", json=body), 201)
    theirs = ok(client.get("/api/v1/obligations", params={"donor": "NOR"}))["items"]
    return {"project": project, "german": german, "norwegian": norwegian, "theirs": theirs}


def record_agreement(staff: TestClient, pledge_id: int, **overrides: str) -> Any:
    url = f"/pledges/{pledge_id}/agreement"
    page = staff.get(url)
    assert page.status_code == 200
    return staff.post(
        url, data={**AGREEMENT, **overrides, "csrf_token": token_of(page)}, follow_redirects=False
    )


def test_staff_record_an_agreement_and_see_its_reports_and_the_pledge_committed(client, staff, funded):
    pledge_id = funded["german"]["id"]
    project = staff.get(f"/projects/{funded['project']['id']}")
    assert f'href="/pledges/{pledge_id}/agreement">Record the agreement' in project.text
    form = staff.get(f"/pledges/{pledge_id}/agreement")
    assert "Record the agreement" in form.text and "Germany" in form.text
    assert '<option value="area">To an area of work (SALW or SCA), not to one project</option>' in form.text
    response = record_agreement(staff, pledge_id)
    assert response.status_code == 303
    assert response.headers["location"] == f"/pledges/{pledge_id}/agreement?done=agreement-recorded"
    page = staff.get(response.headers["location"])
    words = text_of(page)
    assert "The agreement was recorded." in words
    assert re.search(r'id="pledge-status"><strong>Committed</strong>', page.text)
    api = ok(client.get("/api/v1/obligations", params={"project": funded["project"]["id"], "donor": "DEU"}))
    kinds = [(o["kind"], o["due_on"]) for o in api["items"]]
    assert kinds == [
        ("interim_narrative", "2025-07-15"),
        ("audit_certificate", "2026-03-31"),
        ("final_narrative", "2026-03-31"),
        ("financial_statement", "2026-03-31"),
    ]
    for item in api["items"]:
        assert f'href="/obligations/{item["id"]}"' in page.text
    assert "Audit certificate" in words and "Interim narrative report" in words
    assert ok(client.get(f"/api/v1/pledges/{pledge_id}"))["status"] == "committed"
    hub = staff.get(f"/projects/{funded['project']['id']}")
    assert f'href="/pledges/{pledge_id}/agreement">Agreement' in hub.text
    assert 'id="h-obligations"' in hub.text and "overdue-marker" in hub.text  # 2025 dates are past


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("signed_on", "2025-02-30", "date"),
        ("reference", "", "Required."),  # a person's words, not pydantic's "Field required"
        ("interim_every_months", "0", "At least 1."),
        ("contact_email", "not-an-address", "email"),
        ("valid_until", "2024-01-01", "before the signature"),
    ],
)
def test_a_bad_agreement_is_refused_beside_its_field(client, staff, funded, field, value, message):
    response = record_agreement(staff, funded["german"]["id"], **{field: value})
    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"]
    assert message in error_of(response, field)
    assert ok(client.get("/api/v1/obligations", params={"donor": "DEU"}))["total"] == 0
    assert ok(client.get(f"/api/v1/pledges/{funded['german']['id']}"))["status"] == "pledged"


def test_an_edit_met_by_a_newer_version_shows_what_changed(client, staff, funded):
    pledge_id = funded["norwegian"]["id"]
    form = staff.get(f"/pledges/{pledge_id}/agreement/edit")
    assert form.status_code == 200
    data = {**AGREEMENT, "reference": "SAMPLE-NOR-1", "signed_on": "2024-07-01", "valid_until": ""}
    data |= {"version": hidden(form, "version"), "loaded_at": hidden(form, "loaded_at")}
    etag = client.get(f"/api/v1/pledges/{pledge_id}/agreement").headers["etag"]
    changed = client.patch(
        f"/api/v1/pledges/{pledge_id}/agreement",
        json={"conditions": "Changed by a colleague"},
        headers={"If-Match": etag},
    )
    ok(changed)
    response = staff.post(
        f"/pledges/{pledge_id}/agreement/edit",
        data={**data, "csrf_token": token_of(form)},
        follow_redirects=False,
    )
    assert response.status_code == 412
    assert "Someone else changed this record while you were editing it" in response.text
    assert "Changed by a colleague" in response.text
    again = {**data, "version": hidden(response, "version"), "loaded_at": hidden(response, "loaded_at")}
    saved = staff.post(
        f"/pledges/{pledge_id}/agreement/edit",
        data={**again, "csrf_token": token_of(response)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    after = ok(client.get(f"/api/v1/pledges/{pledge_id}/agreement"))
    assert after["conditions"] == AGREEMENT["conditions"] and after["schedule"]["interim_every_months"] == 6


def obligation_form(staff: TestClient, obligation_id: int) -> tuple[Any, dict[str, str]]:
    page = staff.get(f"/obligations/{obligation_id}")
    assert page.status_code == 200
    fields = {
        "status": "due",
        "submitted_on": "",
        "accepted_on": "",
        "due_on": hidden_value(page, "due_on"),
        "owner_id": "",
        "note": "",
        "title": hidden_value(page, "title"),
        "category": "A08",
        "version": hidden(page, "version"),
        "loaded_at": hidden(page, "loaded_at"),
        "csrf_token": token_of(page),
    }
    return page, fields


def hidden_value(page: Any, name: str) -> str:
    found = re.search(rf'id="f-{name}" name="{name}" type="[a-z]+" value="([^"]*)"', page.text)
    assert found, f"no field {name}"
    return html.unescape(found.group(1))


def test_a_report_submitted_with_its_file_then_accepted(client, staff, funded, accounts):
    obligation = funded["theirs"][0]
    _page, fields = obligation_form(staff, obligation["id"])
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    fields |= {"status": "submitted", "submitted_on": yesterday, "owner_id": str(accounts["staff"].id)}
    response = staff.post(
        f"/obligations/{obligation['id']}",
        data=fields,
        files={"file": ("interim report.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    after = ok(client.get(f"/api/v1/obligations/{obligation['id']}"))
    assert (after["status"], after["submitted_on"], after["owner_id"]) == (
        "submitted",
        yesterday,
        accounts["staff"].id,
    )
    document = ok(client.get(f"/api/v1/documents/{after['document_id']}"))
    assert (document["owner_type"], document["owner_id"], document["filename"]) == (
        "obligation",
        obligation["id"],
        "interim report.pdf",
    )
    page = staff.get(f"/obligations/{obligation['id']}")
    assert f'href="/documents/{document["id"]}/download"' in page.text and "Test staff" in page.text
    download = staff.get(f"/documents/{document['id']}/download")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    _page, fields = obligation_form(staff, obligation["id"])
    fields |= {"status": "accepted", "submitted_on": yesterday, "accepted_on": date.today().isoformat()}
    assert (
        staff.post(f"/obligations/{obligation['id']}", data=fields, follow_redirects=False).status_code == 303
    )
    assert ok(client.get(f"/api/v1/obligations/{obligation['id']}"))["status"] == "accepted"


@pytest.mark.parametrize(
    ("changes", "file", "field", "status", "message"),
    [
        ({"status": "submitted", "submitted_on": "2025-13-01"}, None, "submitted_on", 422, "date"),
        ({"status": "submitted", "submitted_on": "2999-01-01"}, None, "submitted_on", 422, "in the future"),
        (
            {"status": "submitted", "submitted_on": "2025-01-01"},
            b"<html>not a pdf</html>",
            "file",
            415,
            "is not PDF",
        ),
        ({"status": "due", "due_on": ""}, None, "due_on", 422, "may not be null"),
        ({"status": "accepted", "accepted_on": "2025-01-01"}, None, "submitted_on", 422, "once submitted"),
    ],
)
def test_a_bad_obligation_change_is_refused_beside_its_field(
    client, staff, funded, changes, file, field, status, message
):
    obligation = funded["theirs"][0]
    _page, fields = obligation_form(staff, obligation["id"])
    files = {"file": ("report.pdf", file, "application/pdf")} if file is not None else None
    response = staff.post(f"/obligations/{obligation['id']}", data=fields | changes, files=files)
    assert response.status_code == status
    assert "text/html" in response.headers["content-type"]
    assert message in error_of(response, field), response.text
    after = ok(client.get(f"/api/v1/obligations/{obligation['id']}"))
    assert (after["status"], after["document_id"]) == ("overdue", None)
    assert ok(client.get("/api/v1/documents"))["total"] == 0  # a refusal leaves no file behind


def test_an_obligation_saved_over_a_newer_version_shows_what_changed(client, staff, funded):
    obligation = funded["theirs"][0]
    _page, fields = obligation_form(staff, obligation["id"])
    etag = client.get(f"/api/v1/obligations/{obligation['id']}").headers["etag"]
    moved = {"due_on": "2026-06-30", "note": "Moved by a colleague"}
    ok(client.patch(f"/api/v1/obligations/{obligation['id']}", json=moved, headers={"If-Match": etag}))
    response = staff.post(f"/obligations/{obligation['id']}", data=fields | {"note": "Mine"})
    assert response.status_code == 412
    assert "Someone else changed this record while you were editing it" in response.text
    assert "Moved by a colleague" in response.text and ">Mine</textarea>" in response.text
    assert ok(client.get(f"/api/v1/obligations/{obligation['id']}"))["note"] == "Moved by a colleague"


def test_a_withdrawn_pledge_offers_no_agreement_form(client, staff, funded):
    pledge = funded["german"]
    etag = client.get(f"/api/v1/pledges/{pledge['id']}").headers["etag"]
    ok(
        client.patch(
            f"/api/v1/pledges/{pledge['id']}", json={"status": "withdrawn"}, headers={"If-Match": etag}
        )
    )
    page = staff.get(f"/pledges/{pledge['id']}/agreement")
    assert page.status_code == 200 and 'action="/pledges/' not in page.text
    refused = record_agreement(
        staff, funded["norwegian"]["id"]
    )  # it has one already: 409, said above the form
    assert refused.status_code == 409 and "already has an agreement" in refused.text


def test_a_report_added_by_hand_from_the_agreement_page(client, staff, funded, accounts):
    pledge_id = funded["norwegian"]["id"]
    agreement_page = staff.get(f"/pledges/{pledge_id}/agreement")
    assert f'href="/pledges/{pledge_id}/agreement/obligations/new"' in agreement_page.text
    url = f"/pledges/{pledge_id}/agreement/obligations/new"
    form = staff.get(url)
    assert f'<option value="{accounts["staff"].id}">Test staff (staff@test.example.org)</option>' in form.text
    assert f'value="{accounts["manager"].id}"' not in form.text  # only staff and admins may be responsible
    bad = staff.post(url, data={"kind": "other", "due_on": "31/03/2026", "csrf_token": token_of(form)})
    assert bad.status_code == 422 and "date" in error_of(bad, "due_on")
    data = {
        "kind": "other",
        "due_on": "2026-03-31",
        "owner_id": str(accounts["staff"].id),
        "note": "Mid-term",
    }
    response = staff.post(url, data={**data, "csrf_token": token_of(form)}, follow_redirects=False)
    assert response.status_code == 303
    added = ok(client.get("/api/v1/obligations", params={"kind": "other"}))["items"]
    assert [(o["due_on"], o["generated"], o["note"]) for o in added] == [("2026-03-31", False, "Mid-term")]
    assert response.headers["location"] == f"/obligations/{added[0]['id']}?done=obligation-added"


def test_the_obligations_list_filters_and_links(client, staff, funded):
    record_agreement(staff, funded["german"]["id"])
    page = staff.get("/obligations")
    assert page.status_code == 200
    words = text_of(page)
    assert "Showing 1–6 of 6 obligations" in words
    overdue = staff.get("/obligations", params={"status": "overdue", "donor": "DEU"})
    assert "Showing 1–4 of 4 obligations" in text_of(overdue)  # all four fell due before today
    assert "<td>Germany</td>" in overdue.text and "<td>Norway</td>" not in overdue.text
    assert '<option value="DEU" selected>Germany</option>' in overdue.text
    project = funded["project"]
    assert f'<option value="{project["id"]}">WEB-AGR-1 — ' in page.text  # projects by code and title
    window = staff.get("/obligations", params={"due_after": "2026-01-01", "kind": "final_narrative"})
    assert "Showing 1–2 of 2 obligations" in text_of(window)
    bad = staff.get("/obligations", params={"due_before": "soon", "status": "late"})
    assert bad.status_code == 422
    assert "is not a date" in error_of(bad, "due_before") and "not one of the choices" in error_of(
        bad, "status"
    )
    home = staff.get("/")
    assert 'href="/obligations?status=overdue"' in home.text
    assert 'href="/obligations"' in home.text  # the top navigation


def test_documents_on_the_project_page_upload_share_and_delete(client, staff, donor, funded):
    project_id = funded["project"]["id"]
    hub = staff.get(f"/projects/{project_id}")
    assert 'action="/documents/new"' in hub.text and "Objectives / Purpose of activity (A02)" in hub.text
    data = {"owner_type": "project", "owner_id": str(project_id), "next": f"/projects/{project_id}"}
    data |= {"title": "Depot assessment", "category": "A01", "language": "en", "csrf_token": token_of(hub)}
    refused = staff.post(
        "/documents/new", data=data, files={"file": ("fake.pdf", b"MZ\x90\x00", "application/pdf")}
    )
    assert refused.status_code == 415 and "is not PDF" in error_of(refused, "file")
    assert (
        staff.post("/documents/new", data={**data, "title": ""}, files={"file": ("a.pdf", PDF)}).status_code
        == 422
    )
    kept = staff.post(
        "/documents/new", data=data, files={"file": ("assessment.pdf", PDF)}, follow_redirects=False
    )
    assert (
        kept.status_code == 303
        and kept.headers["location"] == f"/projects/{project_id}?done=document-uploaded"
    )
    shared = staff.post(
        "/documents/new",
        data={**data, "title": "Shared summary", "shared_with_donor": "yes"},
        files={"file": ("summary.pdf", PDF)},
        follow_redirects=False,
    )
    assert shared.status_code == 303
    docs = {d["title"]: d for d in ok(client.get("/api/v1/documents"))["items"]}
    assert (docs["Depot assessment"]["shared_with_donor"], docs["Shared summary"]["shared_with_donor"]) == (
        False,
        True,
    )
    page = staff.get(f"/projects/{project_id}?done=document-uploaded")
    assert "The document was uploaded." in page.text and "Pre- and post-project impact appraisal" in page.text
    seen = donor.get(f"/projects/{project_id}")
    assert "Shared summary" in seen.text and "Depot assessment" not in seen.text
    assert 'action="/documents/new"' not in seen.text
    assert donor.get(f"/documents/{docs['Depot assessment']['id']}/download").status_code == 404
    assert donor.get(f"/documents/{docs['Shared summary']['id']}/download").content == PDF
    page = staff.get(f"/projects/{project_id}")
    gone = staff.post(
        f"/documents/{docs['Depot assessment']['id']}/delete",
        data={"version": "1", "next": f"/projects/{project_id}", "csrf_token": token_of(page)},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert (
        f'href="/documents/{docs["Depot assessment"]["id"]}/download"'
        not in staff.get(f"/projects/{project_id}").text
    )
    assert staff.get(f"/documents/{docs['Depot assessment']['id']}/download").status_code == 404


def test_the_obligations_list_shows_what_is_still_to_deliver_unless_asked_for_more(client, staff, funded):
    record_agreement(staff, funded["german"]["id"])
    items = ok(client.get("/api/v1/obligations", params={"donor": "DEU"}))["items"]
    done = items[0]
    ok(
        client.patch(
            f"/api/v1/obligations/{done['id']}",
            json={"status": "submitted", "submitted_on": "2025-07-10"},
            headers={"If-Match": f'"{done["version"]}"'},
        )
    )
    page = staff.get("/obligations")
    assert '<option value="open" selected>Still to deliver (due or overdue)</option>' in page.text
    assert f'href="/obligations/{done["id"]}"' not in page.text
    assert "Showing 1–5 of 5 obligations" in text_of(page)  # six for Germany and Norway, one delivered
    every = staff.get("/obligations", params={"status": "any"})
    assert f'href="/obligations/{done["id"]}"' in every.text and "Showing 1–6 of 6 obligations" in text_of(
        every
    )
    submitted = staff.get("/obligations", params={"status": "submitted"})
    assert "Showing 1–1 of 1 obligation" in text_of(submitted)
    # "All reporting obligations" on the home page means all of them, the delivered one too.
    home = staff.get("/")
    link = re.search(r'<a href="([^"]+)">All reporting obligations</a>', home.text)
    assert link is not None
    followed = staff.get(html.unescape(link.group(1)))
    assert f'href="/obligations/{done["id"]}"' in followed.text


def test_a_donor_sees_its_own_obligations_and_gets_404_pages_for_others(client, staff, donor, funded):
    record_agreement(staff, funded["german"]["id"])
    own = ok(client.get("/api/v1/obligations", params={"donor": "DEU"}))["items"]
    listed = donor.get("/obligations")
    assert listed.status_code == 200
    for item in own:
        assert f'href="/obligations/{item["id"]}"' in listed.text
    for item in funded["theirs"]:
        assert f'href="/obligations/{item["id"]}"' not in listed.text
        refused = donor.get(f"/obligations/{item['id']}")
        assert refused.status_code == 404 and "text/html" in refused.headers["content-type"]
        assert "Not found" in refused.text
    assert donor.get("/obligations?donor=NOR").text.count('href="/obligations/') == 0
    page = donor.get(f"/obligations/{own[0]['id']}")
    assert page.status_code == 200 and 'action="/obligations/' not in page.text  # no forms for a donor
    assert donor.get(f"/pledges/{funded['norwegian']['id']}/agreement").status_code == 404
    assert donor.get(f"/pledges/{funded['german']['id']}/agreement").status_code == 200
    assert donor.post(f"/pledges/{funded['german']['id']}/agreement/edit", data={}).status_code == 403
    norwegian_agreement = ok(client.get(f"/api/v1/pledges/{funded['norwegian']['id']}/agreement"))
    form = staff.get(f"/pledges/{funded['norwegian']['id']}/agreement")
    data = {"owner_type": "agreement", "owner_id": str(norwegian_agreement["id"]), "next": "/"}
    data |= {
        "title": "Signed agreement NOR",
        "category": "A11",
        "language": "en",
        "csrf_token": token_of(form),
    }
    assert (
        staff.post(
            "/documents/new", data=data, files={"file": ("nor.pdf", PDF)}, follow_redirects=False
        ).status_code
        == 303
    )
    theirs = ok(client.get("/api/v1/documents"))["items"][0]
    assert donor.get(f"/documents/{theirs['id']}/download").status_code == 404
    assert "Signed agreement NOR" not in donor.get(f"/projects/{funded['project']['id']}").text


def test_the_calendar_feed_is_made_shown_once_and_revoked(anon, staff):
    page = staff.get("/account/password")
    assert "Calendar feed" in page.text and "This account has no calendar feed yet." in page.text
    made = staff.post("/account/calendar-feed", data={"csrf_token": token_of(page)})
    assert made.status_code == 200
    url = hidden_value_readonly(made)
    assert "/api/v1/calendar.ics?token=" in url and "Outlook" in made.text and "Thunderbird" in made.text
    feed = anon.get(url)
    assert feed.status_code == 200 and feed.text.startswith("BEGIN:VCALENDAR")
    again = staff.get("/account/password")
    assert url not in again.text and "This account has a calendar feed URL." in again.text
    revoked = staff.post(
        "/account/calendar-feed/revoke", data={"csrf_token": token_of(again)}, follow_redirects=True
    )
    assert "Your calendar feed URL was revoked" in revoked.text
    assert anon.get(url).status_code == 404


def hidden_value_readonly(page: Any) -> str:
    found = re.search(r'id="f-feed_url" type="text" readonly value="([^"]+)"', page.text)
    assert found, page.text
    return html.unescape(found.group(1))


def test_the_french_pages_speak_french(client, staff, funded):
    staff.cookies.set("portfolio_lang", "fr")
    page = staff.get(f"/pledges/{funded['german']['id']}/agreement")
    words = text_of(page)
    assert "Enregistrer l’accord" in words and "Calendrier des rapports" in words
    listed = text_of(staff.get("/obligations"))
    assert "Obligations de rapport" in listed and "En retard" in listed


def test_the_pages_cost_the_same_statements_however_many_reports_and_documents(app, client, staff):
    from tests.dashboards.test_dashboard_figures import count_statements

    pages = {}
    for n in (1, 6):
        project = make_project(client, start_date="2024-01-01", end_date="2026-12-31")
        pledge = make_pledge(client, project["id"], donor="NOR")
        body = {
            "reference": f"SAMPLE-{n}",
            "signed_on": "2024-04-01",
            "schedule": {"interim_every_months": 12 // n},
        }
        agreement = ok(client.post(f"/api/v1/pledges/{pledge['id']}/agreement", json=body), 201)
        for i in range(n):
            files = {"file": (f"doc{i}.pdf", PDF, "application/pdf")}
            for owner_type, owner_id in (("project", project["id"]), ("agreement", agreement["id"])):
                data = {"owner_type": owner_type, "owner_id": owner_id, "category": "A07", "title": f"D{i}"}
                ok(client.post("/api/v1/documents", data=data, files=files), 201)
        pages[n] = (
            f"/projects/{project['id']}",
            f"/pledges/{pledge['id']}/agreement",
            f"/obligations?project={project['id']}",
        )
    staff.get(pages[1][0])  # warm up
    counts = {
        n: [count_statements(app.state.db, lambda url=url: staff.get(url)) for url in urls]
        for n, urls in pages.items()
    }
    assert counts[1] == counts[6], counts


# -- in a browser, on SQLite and on PostgreSQL -------------------------------------------------------


def browse_as(browser: Any, server: str, role: str, problems: list[str]) -> tuple[Any, Any]:
    """A new browser context logged in through the form as one of the test accounts."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.on(
        "console",
        lambda m: problems.append(m.text) if m.type == "error" and "status of 4" not in m.text else None,
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{server}/login")
    page.get_by_label("E-mail").fill(f"{role}@test.example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")
    return context, page


def accessible(page: Any) -> list[str]:
    """The serious and critical axe-core findings on the page (none when axe is not installed)."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        return []
    found = Axe().run(page).response["violations"]
    return [f"{page.url}: {v['id']}" for v in found if v["impact"] in ("serious", "critical")]


def test_an_agreement_its_reports_and_documents_in_the_browser(app, client, funded, browser):
    project_id, german, norwegian = funded["project"]["id"], funded["german"]["id"], funded["norwegian"]["id"]
    problems: list[str] = []
    findings: list[str] = []
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    with live_server(app) as server:
        context, page = browse_as(browser, server, "staff", problems)
        try:
            page.goto(f"{server}/projects/{project_id}")
            page.get_by_role("link", name="Record the agreement of Germany").click()
            page.wait_for_load_state("load")
            assert page.url == f"{server}/pledges/{german}/agreement"
            page.get_by_label("Reference").fill("SAMPLE-CA-2026-014")
            page.get_by_label("Signed on").fill("2025-01-15")
            page.get_by_label("Valid until").fill("2024-12-31")  # before the signature: refused
            page.get_by_label("Earmarking").select_option(label="To this project")
            page.get_by_label("Conditions").fill("Sample data: the depot upgrade only.")
            page.get_by_label("Interim report every … months").fill("6")
            page.get_by_label("An audit certificate is due with the final reports").check()
            page.get_by_label("Donor contact name").fill("Sample contact, Federal Foreign Office")
            page.get_by_label("Donor contact e-mail").fill("contact@example.org")
            page.get_by_role("button", name="Record the agreement").click()
            page.wait_for_load_state("load")
            assert "is before the signature" in page.locator("#f-valid_until-error").text_content()
            assert page.evaluate("document.activeElement.id") == "f-valid_until"
            assert page.get_by_label("Reference").input_value() == "SAMPLE-CA-2026-014"
            page.get_by_label("Valid until").fill("2026-12-31")
            page.get_by_role("button", name="Record the agreement").click()
            page.wait_for_load_state("load")
            assert "The agreement was recorded." in page.locator("main").text_content()
            assert page.locator("#pledge-status").text_content().startswith("Committed")
            reports = page.locator("table.obligations tbody tr")
            assert reports.count() == 4
            assert "Interim narrative report" in reports.nth(0).text_content()
            assert "Audit certificate" in page.locator("table.obligations").text_content()

            page.get_by_text("Upload a document").click()
            page.get_by_label("File (required)").set_input_files(
                files=[{"name": "signed agreement.pdf", "mimeType": "application/pdf", "buffer": PDF}]
            )
            page.get_by_label("Title").fill("Signed contribution agreement")
            page.get_by_label("Category").select_option(label="Contract (A11)")
            page.get_by_role("button", name="Upload document").click()
            page.wait_for_load_state("load")
            assert "The document was uploaded." in page.locator("main").text_content()
            assert page.get_by_role("link", name="Signed contribution agreement", exact=True).is_visible()
            findings += accessible(page)
            shoot(page, "staff-agreement")

            page.get_by_text("Upload a document").click()
            page.get_by_label("File (required)").set_input_files(
                files=[
                    {"name": "minutes.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00not a pdf"}
                ]
            )
            page.get_by_label("Title").fill("Minutes")
            page.get_by_role("button", name="Upload document").click()
            page.wait_for_load_state("load")
            assert "is not PDF, DOCX" in page.locator("#f-file-error").text_content()
            assert page.get_by_label("Title").input_value() == "Minutes"
            shoot(page, "staff-upload-refused")

            page.get_by_role("link", name="Back").click()
            page.get_by_role("link", name=f"{funded['project']['code']} — ").click()
            page.wait_for_load_state("load")
            assert "6 overdue." in page.locator("#h-obligations + p").text_content()
            findings += accessible(page)
            shoot(page, "staff-project-obligations")

            page.get_by_role("navigation", name="Main").get_by_role(
                "link", name="Reporting obligations"
            ).click()
            page.get_by_label("Donor State").select_option(label="Germany")
            page.get_by_label("Status").select_option(label="Overdue")
            page.get_by_role("button", name="Show obligations").click()
            page.wait_for_load_state("load")
            assert "Showing 1–4 of 4 obligations" in page.locator("main").text_content()
            findings += accessible(page)
            shoot(page, "staff-obligations")
            page.get_by_role("link", name="Interim narrative report").click()
            page.wait_for_load_state("load")
            assert "Overdue" in page.locator("#obligation-status").text_content()
            page.get_by_label("Status").select_option(label="Submitted")
            page.get_by_label("Submitted on").fill("2999-01-01")
            page.get_by_role("button", name="Save the obligation").click()
            page.wait_for_load_state("load")
            assert "is in the future" in page.locator("#f-submitted_on-error").text_content()
            page.get_by_label("Submitted on").fill(yesterday)
            page.get_by_label("Report file").set_input_files(
                files=[{"name": "interim report.pdf", "mimeType": "application/pdf", "buffer": PDF}]
            )
            page.get_by_label("Responsible").select_option(label="Test staff (staff@test.example.org)")
            page.get_by_role("button", name="Save the obligation").click()
            page.wait_for_load_state("load")
            assert "The obligation was saved." in page.locator("main").text_content()
            assert page.locator("#obligation-status").text_content().strip() == "Submitted"
            assert page.get_by_role("link", name="Interim narrative report (").first.is_visible()
            findings += accessible(page)
            shoot(page, "staff-obligation")

            page.get_by_role("link", name="Français").click()
            page.wait_for_load_state("load")
            assert page.get_by_role("heading", name="Enregistrer l’avancement").is_visible()
            assert page.get_by_label("Remis le").input_value() == yesterday
            assert page.get_by_role("heading", name="Documents de l’obligation").is_visible()
            shoot(page, "staff-obligation-fr")
            page.goto(f"{server}/pledges/{german}/agreement")
            assert page.get_by_role("heading", name="Calendrier des rapports").count() == 0  # shown as facts
            assert "Calendrier des rapports" in page.locator("main").text_content()
            page.goto(f"{server}/language?to=en&next=/")
        finally:
            context.close()

        theirs = funded["theirs"][0]["id"]
        context, page = browse_as(browser, server, "donor", problems)
        try:
            page.get_by_role("navigation", name="Main").get_by_role(
                "link", name="Reporting obligations"
            ).click()
            page.wait_for_load_state("load")
            # Germany's own four, one of them submitted: three still to deliver unless asked for all.
            assert page.locator("table.obligations tbody tr").count() == 3
            page.get_by_label("Status").select_option(label="Any status")
            page.get_by_role("button", name="Show obligations").click()
            page.wait_for_load_state("load")
            assert page.locator("table.obligations tbody tr").count() == 4
            page.goto(f"{server}/pledges/{german}/agreement")
            with page.expect_download() as download:
                page.get_by_role("link", name="Signed contribution agreement", exact=True).click()
            assert download.value.suggested_filename == "signed agreement.pdf"
            assert Path(download.value.path()).read_bytes() == PDF
            answer = page.goto(f"{server}/obligations/{theirs}")
            assert answer is not None and answer.status == 404
            assert answer.headers["content-type"].startswith("text/html")
            assert page.get_by_role("heading", name="Not found").is_visible()
            answer = page.goto(f"{server}/pledges/{norwegian}/agreement")
            assert answer is not None and answer.status == 404
            shoot(page, "donor-other-obligation-404")
        finally:
            context.close()
    assert problems == []
    assert findings == []
    first = ok(client.get("/api/v1/obligations", params={"donor": "DEU"}))["items"][0]
    submitted = ok(client.get(f"/api/v1/obligations/{first['id']}"))
    assert (submitted["status"], submitted["submitted_on"]) == ("submitted", yesterday)
