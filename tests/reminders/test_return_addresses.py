"""Every return address a page takes (``next``, the upload form's Back link) is a path of this site: one
"/" then anything but a second "/" or a backslash, no scheme, no control character. Anything else is "/"."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portfolio.web.core import safe_next
from tests.factories import make_project
from tests.pages import TOKEN, log_in

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ELSEWHERE = [
    "javascript:alert(document.domain)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "//evil.example",
    "//evil.example/projects",
    "https://evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "data:text/html,<script>alert(1)</script>",
    "",
]


@pytest.fixture
def staff(app: FastAPI, accounts: dict[str, Any]) -> TestClient:
    return log_in(app, "staff")


def back_link(page: Any) -> str:
    found = re.search(r'<p class="breadcrumb"><a href="([^"]*)">', page.text)
    assert found, page.text[:500]
    return html.unescape(found.group(1))


@pytest.mark.parametrize("target", ELSEWHERE)
def test_only_a_local_path_is_a_return_address(target):
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/", "/projects/7", "/projects?status=open&page=2", "/dashboards/gaps#x"])
def test_a_local_path_is_kept(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", ELSEWHERE)
def test_a_refused_upload_links_back_only_to_this_site(client, staff, target):
    project = make_project(client)
    form = staff.get("/documents/new", params={"owner_type": "project", "owner_id": project["id"]})
    data = {"owner_type": "project", "owner_id": str(project["id"]), "next": target, "category": "A01"}
    data |= {"title": "", "language": "en", "csrf_token": TOKEN.findall(form.text)[-1]}
    refused = staff.post("/documents/new", data=data, files={"file": ("a.pdf", PDF, "application/pdf")})
    assert refused.status_code == 422, refused.text[:300]
    assert back_link(refused) == "/"
    assert 'name="next" value="/"' in refused.text
    # Accepted, the upload goes back to this site only.
    kept = staff.post(
        "/documents/new",
        data={**data, "title": "Assessment"},
        files={"file": ("a.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    assert kept.status_code == 303 and kept.headers["location"] == "/?done=document-uploaded"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_the_upload_form_and_the_other_return_addresses_stay_on_this_site(staff, anon, client, target):
    project = make_project(client)
    form = staff.get(
        "/documents/new", params={"owner_type": "project", "owner_id": project["id"], "next": target}
    )
    assert form.status_code == 200 and back_link(form) == "/"
    switched = staff.get("/language", params={"to": "fr", "next": target}, follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/"
    login = anon.get("/login", params={"next": target})
    assert 'name="next" value="/"' in login.text
    dashboards = anon.get("/dashboards/login", params={"next": target}, follow_redirects=False)
    assert dashboards.headers["location"] == "/login?next=/dashboards"
