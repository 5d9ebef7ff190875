"""A document's name and title keep no invisible character: "report\u202eexe.pdf" would show as
"reportfdp.exe". Direction controls, zero-width and other format characters are removed on upload, through
the API and the page alike, and never reach a listing, a page or a download's name."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from fastapi.testclient import TestClient

from portfolio.documents.content import PDF, stored_filename, without_invisible
from tests.factories import assert_problem, make_project, ok
from tests.pages import TOKEN, log_in

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
OTHER_FORMAT = ["\u00ad", "\u2028", "\u2029", "\U000e0041"]  # soft hyphen, separators, a tag
INVISIBLE = BIDI + ZERO_WIDTH + OTHER_FORMAT

CASES = [
    ("report\u202eexe.pdf", "Report\u202eexe.pdf", "reportexe.pdf", "Reportexe.pdf"),
    ("\u2067Budget\u2069 2026.pdf", "\u200fBudget\u200e\u2060 2026", "Budget 2026.pdf", "Budget 2026"),
    ("\ufeffa\u200bb\u200cc\u200dd.pdf", "a\u200bb\u061cc", "abcd.pdf", "abc"),
    ("Доклад\u202b.pdf", "Доклад\u00ad за\u2028год", "Доклад.pdf", "Доклад за год"),
]


def visible(text: str) -> bool:
    return not any(unicodedata.category(c) in {"Cf", "Cc", "Zl", "Zp"} for c in text)


@pytest.mark.parametrize("char", INVISIBLE)
def test_every_invisible_character_is_removed_from_a_stored_name(char):
    assert stored_filename(f"re{char}port.pdf", PDF) == "report.pdf"
    assert without_invisible(f"a{char}b") == "ab"


def api_upload(client: TestClient, owner: int, filename: str, title: str) -> Any:
    fields = {"owner_type": "project", "owner_id": str(owner), "category": "A07", "title": title}
    return client.post(
        "/api/v1/documents", data=fields, files={"file": (filename, PDF_BYTES, "application/pdf")}
    )


@pytest.mark.parametrize(("filename", "title", "stored", "shown"), CASES)
def test_the_api_stores_names_and_titles_without_invisible_characters(client, filename, title, stored, shown):
    project = make_project(client)
    created = ok(api_upload(client, project["id"], filename, title), 201)
    assert (created["filename"], created["title"]) == (stored, shown)
    read = ok(client.get(f"/api/v1/documents/{created['id']}"))
    assert visible(read["filename"]) and visible(read["title"])
    disposition = client.get(f"/api/v1/documents/{created['id']}/content").headers["content-disposition"]
    assert "%E2%80%AE" not in disposition and "%E2%80%8B" not in disposition
    # A change of title is cleaned the same way.
    changed = client.patch(
        f"/api/v1/documents/{created['id']}",
        json={"title": "Final\u202e report\u200b"},
        headers={"If-Match": client.get(f"/api/v1/documents/{created['id']}").headers["etag"]},
    )
    assert ok(changed)["title"] == "Final report"


def test_a_title_of_nothing_but_invisible_characters_is_refused_naming_it(client):
    project = make_project(client)
    assert_problem(api_upload(client, project["id"], "a.pdf", "\u202e\u200b\ufeff"), 422, ["body", "title"])


@pytest.mark.parametrize(("filename", "title", "stored", "shown"), CASES)
def test_the_page_stores_and_shows_names_and_titles_without_invisible_characters(
    app, accounts, client, filename, title, stored, shown
):
    staff = log_in(app, "staff")
    project = make_project(client)
    hub = staff.get(f"/projects/{project['id']}")
    data = {"owner_type": "project", "owner_id": str(project["id"]), "next": f"/projects/{project['id']}"}
    data |= {"title": title, "category": "A01", "language": "en", "csrf_token": TOKEN.findall(hub.text)[-1]}
    kept = staff.post(
        "/documents/new",
        data=data,
        files={"file": (filename, PDF_BYTES, "application/pdf")},
        follow_redirects=False,
    )
    assert kept.status_code == 303, kept.text[:500]
    document = ok(
        client.get("/api/v1/documents", params={"owner_type": "project", "owner_id": project["id"]})
    )
    assert (document["items"][0]["filename"], document["items"][0]["title"]) == (stored, shown)
    page = staff.get(f"/projects/{project['id']}").text
    assert shown in page
    assert not any(char in page for char in [*BIDI, "\u200b", "\u2060", "\ufeff"])
