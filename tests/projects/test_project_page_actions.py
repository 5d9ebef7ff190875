"""What a project's page offers is what can be done: a cancelled project offers no New pledge (and its
address leads back to the page that says why); a project entered by mistake is deleted from its page after
a confirmation that says what goes with it, and one with pledges says why it cannot be."""

from __future__ import annotations

import re

from tests.factories import make_pledge, make_project, move, ok
from tests.pages import csrf_of, log_in, text_of


def test_a_cancelled_project_offers_no_new_pledge(app, client, accounts):
    open_one, cancelled = make_project(client), make_project(client)
    move(client, cancelled["id"], "cancelled")
    staff = log_in(app, accounts["staff"].email)
    assert f'href="/projects/{open_one["id"]}/pledges/new"' in staff.get(f"/projects/{open_one['id']}").text
    page = staff.get(f"/projects/{cancelled['id']}").text
    assert "/pledges/new" not in page
    assert "A cancelled project takes no new pledges." in text_of(page)
    french = text_of(staff.get(f"/projects/{cancelled['id']}", params={"lang": "fr"}).text)
    assert "Un projet annulé ne reçoit plus de nouvelle annonce." in french
    followed = staff.get(f"/projects/{cancelled['id']}/pledges/new")
    assert (
        followed.url.path == f"/projects/{cancelled['id']}"
        and "<form" not in followed.text.split("no-new-pledge")[0][-200:]
    )


# -- deleting a project entered by mistake ---------------------------------------------------------------


def test_a_project_entered_by_mistake_is_deleted_from_its_page_after_a_confirmation(app, client, accounts):
    mistake = make_project(client)
    ok(
        client.post(
            f"/api/v1/projects/{mistake['id']}/milestones", json={"title": "Kick-off", "due_on": "2025-01-15"}
        ),
        201,
    )
    staff = log_in(app, accounts["staff"].email)
    page = staff.get(f"/projects/{mistake['id']}").text
    link = re.search(r'<a class="button secondary" href="([^"]+)">Delete this project…</a>', page)
    assert link, page
    confirm = staff.get(link.group(1))
    said = text_of(confirm.text)
    assert f"Delete project {mistake['code']}" in said and "1 milestone goes with it" in said
    assert (
        client.get(f"/api/v1/projects/{mistake['id']}").status_code == 200
    )  # nothing gone before the button
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirm.text))
    done = staff.post(f"/projects/{mistake['id']}/delete", data=form)
    assert done.url.path == "/projects"
    assert f"The project {mistake['code']} was deleted." in text_of(done.text)
    assert client.get(f"/api/v1/projects/{mistake['id']}").status_code == 404
    [entry] = ok(
        client.get(
            "/api/v1/audit", params={"entity": "project", "entity_id": mistake["id"], "action": "delete"}
        )
    )["items"]
    assert entry["user_id"] == accounts["staff"].id


def test_a_project_with_a_pledge_offers_no_delete_and_its_confirmation_says_why(app, client, accounts):
    funded = make_project(client)
    make_pledge(client, funded["id"])
    staff = log_in(app, accounts["staff"].email)
    assert "/delete" not in staff.get(f"/projects/{funded['id']}").text
    page = staff.get(f"/projects/{funded['id']}/delete", params={"lang": "fr"})
    assert "Ce projet a 1 annonce : il ne peut pas être supprimé." in text_of(page.text)
    assert "Supprimer définitivement" not in page.text
    # a forged POST is refused with the reason, and the project stays
    token = csrf_of(staff.get(f"/projects/{funded['id']}").text)
    refused = staff.post(f"/projects/{funded['id']}/delete", data={"csrf_token": token, "version": "1"})
    assert refused.status_code == 409 and "The project was not deleted" in text_of(refused.text)
    assert client.get(f"/api/v1/projects/{funded['id']}").status_code == 200


def test_a_manager_or_a_donor_cannot_delete(app, client, accounts):
    project = make_project(client)
    for role in ("manager", "donor"):
        browser = log_in(app, accounts[role].email)
        assert "/delete" not in browser.get(f"/projects/{project['id']}").text
        assert browser.get(f"/projects/{project['id']}/delete").status_code == 403
