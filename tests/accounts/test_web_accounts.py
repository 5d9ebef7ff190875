"""The accounts pages, as the administrator uses them: the list, a new account, one account's edit,
deactivation and password reset, and a stale edit; every other role gets the 403 page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.browser import needs_browser, shoot
from tests.conftest import Account
from tests.factories import PASSWORD
from tests.pages import csrf_of, hidden, log_in, send_login, text_of
from tests.transfer.test_web_imports import logged_in

NEW_PASSWORD = "a brand new passphrase of five words"  # noqa: S105 - a test account's


@pytest.fixture
def admin(app: FastAPI, accounts: dict[str, Account]) -> Iterator[TestClient]:
    with log_in(app, accounts["admin"].email) as client:
        yield client


def create(admin: TestClient, **fields: str):
    token = csrf_of(admin.get("/accounts/new").text)
    data = {"email": "", "full_name": "", "role": "staff", "state": "", "password": "", **fields}
    return admin.post("/accounts/new", data={**data, "csrf_token": token}, follow_redirects=False)


def edit(admin: TestClient, uid: int, page: str | None = None, **fields: str):
    """Submit one of the account page's forms (``action``: save, deactivate, reactivate, password)."""
    html = page if page is not None else admin.get(f"/accounts/{uid}").text
    data = {
        "csrf_token": csrf_of(html),
        "version": hidden(html, "version"),
        "loaded_at": hidden(html, "loaded_at"),
    }
    return admin.post(f"/accounts/{uid}", data={**data, **fields}, follow_redirects=False)


def can_log_in(app: FastAPI, email: str, password: str) -> bool:
    with TestClient(app) as client:
        return send_login(client, email, password=password).status_code == 303


def test_the_list_shows_every_account_without_passwords(admin, accounts):
    page = admin.get("/accounts")
    assert page.status_code == 200
    text = text_of(page.text)
    for account in accounts.values():
        assert account.email in text
    assert "Germany" in text  # the donor's State, by name
    assert "argon2" not in page.text
    assert '<th scope="col">' in page.text


def test_an_admin_creates_an_account_through_the_form(admin, app):
    made = create(
        admin,
        email="Ana@Example.org",
        full_name="Ana Analyst",
        role="donor",
        state="AUT",
        password=NEW_PASSWORD,
    )
    assert made.status_code == 303
    assert made.headers["location"].endswith("?done=created")
    page = admin.get(made.headers["location"])
    assert "The account was created." in page.text
    assert 'value="ana@example.org"' in page.text
    assert '<option value="AUT" selected>' in page.text
    assert NEW_PASSWORD not in page.text
    assert can_log_in(app, "ana@example.org", NEW_PASSWORD)


def test_a_duplicate_email_is_a_message_beside_the_email(admin, accounts):
    page = create(admin, email=accounts["staff"].email, full_name="Someone", password=NEW_PASSWORD)
    assert page.status_code == 409
    error = re.search(r'id="f-email-error">([^<]*)<', page.text)
    assert error
    assert "already has an account" in error.group(1)
    assert 'value="Someone"' in page.text  # what was typed is kept …
    assert NEW_PASSWORD not in page.text  # … but never the password


def test_a_donor_without_a_state_is_a_message_beside_the_state(admin):
    page = create(admin, email="d@example.org", full_name="Donor", role="donor", password=NEW_PASSWORD)
    assert page.status_code == 422
    error = re.search(r'id="f-state-error">([^<]*)<', page.text)
    assert error
    assert "must name the State it speaks for" in error.group(1)
    assert 'id="f-state"' in page.text
    assert "autofocus" in page.text.split('id="f-state"', 1)[1].split(">", 1)[0]


def test_a_short_password_is_a_message_beside_the_password(admin):
    page = create(admin, email="s@example.org", full_name="Short", password="short")
    assert page.status_code == 422
    assert 'id="f-password-error"' in page.text


def test_editing_name_and_role_saves_and_says_so(admin, accounts, app):
    uid = accounts["manager"].id
    saved = edit(
        admin,
        uid,
        action="save",
        email=accounts["manager"].email,
        full_name="Maria Manager",
        role="staff",
        state="",
    )
    assert saved.status_code == 303
    page = admin.get(saved.headers["location"])
    assert "The account was saved." in page.text
    with TestClient(app, headers=accounts["admin"].headers) as api:
        user = api.get(f"/api/v1/users/{uid}").json()
    assert (user["full_name"], user["role"]) == ("Maria Manager", "staff")


def test_deactivating_stops_the_login_and_the_api_token_then_reactivating_restores_the_login(
    admin, accounts, app
):
    staff = accounts["staff"]
    with TestClient(app, headers=staff.headers) as api:
        assert api.get("/api/v1/projects").status_code == 200
        done = edit(admin, staff.id, action="deactivate")
        assert done.status_code == 303
        assert "The account was deactivated" in admin.get(done.headers["location"]).text
        assert api.get("/api/v1/projects").status_code == 401
    assert not can_log_in(app, staff.email, PASSWORD)
    assert "No (deactivated)" in text_of(admin.get("/accounts").text)
    back = edit(admin, staff.id, action="reactivate")
    assert back.status_code == 303
    assert can_log_in(app, staff.email, PASSWORD)


def test_resetting_a_password_makes_the_old_one_fail_and_the_new_one_work(admin, accounts, app):
    staff = accounts["staff"]
    done = edit(admin, staff.id, action="password", password=NEW_PASSWORD)
    assert done.status_code == 303
    page = admin.get(done.headers["location"])
    assert "The new password was set" in page.text
    assert NEW_PASSWORD not in page.text
    assert not can_log_in(app, staff.email, PASSWORD)
    assert can_log_in(app, staff.email, NEW_PASSWORD)
    with TestClient(app, headers=staff.headers) as api:
        assert api.get("/api/v1/projects").status_code == 401  # the token issued before


def test_a_stale_edit_gets_412_with_what_changed_and_the_typed_values(admin, accounts, app):
    uid = accounts["manager"].id
    form = admin.get(f"/accounts/{uid}").text
    with TestClient(app, headers=accounts["admin"].headers) as api:
        changed = api.patch(f"/api/v1/users/{uid}", json={"full_name": "Changed Meanwhile"})
        assert changed.status_code == 200
    page = edit(
        admin,
        uid,
        form,
        action="save",
        email=accounts["manager"].email,
        full_name="My Typing",
        role="manager",
        state="",
    )
    assert page.status_code == 412
    assert "Someone else changed this record" in page.text
    assert "Changed Meanwhile" in text_of(page.text)  # what changed, in the conflict table
    assert 'value="My Typing"' in page.text  # the person's values, ready to save again
    assert hidden(page.text, "version") == str(changed.json()["version"])
    again = edit(
        admin,
        uid,
        page.text,
        action="save",
        email=accounts["manager"].email,
        full_name="My Typing",
        role="manager",
        state="",
    )
    assert again.status_code == 303


def test_an_unknown_account_is_the_404_page(admin):
    page = admin.get("/accounts/999999")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("role", ["staff", "manager", "donor"])
def test_any_other_role_gets_the_403_page(app, accounts, role):
    with log_in(app, accounts[role].email) as client:
        home = client.get("/")
        assert 'href="/accounts"' not in home.text
        for path in ("/accounts", "/accounts/new", f"/accounts/{accounts['admin'].id}"):
            page = client.get(path)
            assert page.status_code == 403, path
            assert page.headers["content-type"].startswith("text/html")
        forged = client.post(
            f"/accounts/{accounts[role].id}",
            data={"csrf_token": csrf_of(home.text), "action": "save", "role": "admin", "version": "1"},
        )
        assert forged.status_code == 403
    with TestClient(app, headers=accounts["admin"].headers) as api:
        assert api.get(f"/api/v1/users/{accounts[role].id}").json()["role"] == role


def test_a_post_without_the_csrf_token_is_refused(admin, accounts):
    page = admin.post(f"/accounts/{accounts['staff'].id}", data={"action": "deactivate", "version": "1"})
    assert page.status_code == 403
    assert "Yes" in text_of(admin.get("/accounts").text)


def test_the_form_is_in_french(admin):
    admin.cookies.set("portfolio_lang", "fr")
    page = admin.get("/accounts/new")
    assert "Nouveau compte" in page.text
    assert "Allemagne" in page.text  # the States by their French names


@needs_browser
def test_an_account_is_created_through_the_form_in_the_browser(browser, server):
    page = logged_in(browser, server, "admin@example.org")
    page.get_by_role("link", name="Accounts").click()
    assert page.get_by_role("row").count() == 5  # the header and the four sample accounts
    shoot(page, "staff-accounts")
    page.get_by_role("link", name="New account").click()
    page.get_by_label("E-mail").fill("delegation.aut@example.org")
    page.get_by_label("Full name").fill("Delegation of Austria")
    page.get_by_label("Role").select_option(label="Donor (its State's pledges)")
    page.get_by_label("Initial password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    error = page.locator("#f-state-error")
    assert "must name the State it speaks for" in error.inner_text()
    assert page.get_by_label("E-mail").input_value() == "delegation.aut@example.org"
    assert page.get_by_label("Initial password").input_value() == ""
    shoot(page, "staff-account-form")
    page.get_by_label("State", exact=False).first.select_option(label="Austria")
    page.get_by_label("Initial password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    assert page.get_by_role("status").inner_text() == "The account was created."
    assert page.get_by_label("State").first.locator("option:checked").inner_text() == "Austria"
    shoot(page, "staff-account-edit")
    page.get_by_role("link", name="All accounts").click()
    page.get_by_role("link", name="Français").click()
    assert page.get_by_role("heading", name="Comptes").count() == 1
    assert "Autriche" in page.locator("table").inner_text()
    shoot(page, "staff-accounts-fr")
    page.context.close()


def statements_of(app: FastAPI, client: TestClient, path: str) -> int:
    seen: list[str] = []
    engine = app.state.db.engine

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(seen)


def test_the_list_runs_as_many_statements_for_many_accounts_as_for_a_few(admin, app):
    admin.get("/accounts")  # warm-up: first-use statements
    few = statements_of(app, admin, "/accounts")
    for n in range(12):
        assert (
            create(admin, email=f"u{n}@example.org", full_name=f"User {n}", password=NEW_PASSWORD).status_code
            == 303
        )
    assert statements_of(app, admin, "/accounts") == few
    assert few <= 5, few
