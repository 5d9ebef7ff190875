"""The rules an account's holder and its administrator meet: what a failed sign-in leaves behind and who
sees it, which passwords are refused, and the last administrator, on the API and on the pages."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from portfolio.users.models import LoginThrottle, SignInFailure
from tests.conftest import Account
from tests.factories import PASSWORD, assert_problem, ok
from tests.pages import csrf_of, log_in, text_of

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret
GOOD = "a brand new passphrase of five words"


@pytest.fixture
def admin(app: FastAPI, accounts: dict[str, Account]) -> Iterator[TestClient]:
    with TestClient(app, headers=accounts["admin"].headers) as client:
        yield client


# -- 4. failed sign-ins: bounded, and the administrators' -----------------------------------------------


def test_a_failed_login_keeps_at_most_254_characters_of_the_typed_email(app, anon):
    typed = "x" * 900_000 + "@example.org"
    response = anon.post(TOKEN_URL, data={"username": typed, "password": "whatever it may be"})
    assert_problem(response, 401)
    with app.state.db.session() as session:
        failures = [(f.email, f.address, f.user_id) for f in session.exec(select(SignInFailure)).all()]
        counters = [len(c.email) for c in session.exec(select(LoginThrottle)).all()]
    assert failures == [("x" * 254, "testclient", None)]
    assert counters == [254, 254]


def test_failed_sign_ins_are_listed_for_administrators_only(anon, admin, accounts):
    manager = accounts["manager"]
    assert_problem(anon.post(TOKEN_URL, data={"username": manager.email, "password": "not it at all"}), 401)
    assert_problem(
        anon.post(TOKEN_URL, data={"username": "Who.Knows@Example.org", "password": "nor this"}), 401
    )
    page = ok(admin.get("/api/v1/users/sign-in-failures"))
    assert page["total"] == 2
    newest, oldest = page["items"]
    assert (newest["email"], newest["user_id"], newest["reason"]) == (
        "who.knows@example.org",
        None,
        "unknown-email",
    )
    assert (oldest["email"], oldest["user_id"], oldest["reason"]) == (
        manager.email,
        manager.id,
        "wrong-password",
    )
    assert oldest["address"] == "testclient" and oldest["at"]
    assert "not it at all" not in str(page)
    for role in ("staff", "manager", "donor"):
        response = anon.get("/api/v1/users/sign-in-failures", headers=accounts[role].headers)
        assert_problem(response, 403)


def test_failed_sign_ins_stay_out_of_the_audit_trail_and_staffs_recent_changes(app, anon, accounts):
    probe = "intruder.probe@elsewhere.example.org"
    assert_problem(anon.post(TOKEN_URL, data={"username": probe, "password": "guess guess guess"}), 401)
    staff = accounts["staff"].headers
    assert ok(anon.get("/api/v1/audit", params={"action": "login_failed"}, headers=staff))["total"] == 0
    with log_in(app, accounts["staff"].email) as browser:
        home = browser.get("/")
        assert home.status_code == 200
        assert probe not in home.text
        assert browser.get("/accounts/sign-in-failures").status_code == 403
    with log_in(app, accounts["admin"].email) as browser:
        listing = browser.get("/accounts")
        assert 'href="/accounts/sign-in-failures"' in listing.text
        view = browser.get("/accounts/sign-in-failures")
        assert view.status_code == 200
        assert probe in text_of(view.text)
        assert "No such account" in text_of(view.text)
        browser.cookies.set("portfolio_lang", "fr")
        assert "Connexions refusées" in browser.get("/accounts/sign-in-failures").text


# -- 5. passwords that are refused ----------------------------------------------------------------------

WEAK = ["aaaaaaaaaaaa", "123456789012", "password1234", "qwertyuiop12", "1q2w3e4r5t6y", "iloveyou1234"]


@pytest.mark.parametrize("password", WEAK)
def test_a_common_or_guessable_password_is_a_422_naming_the_field(admin, accounts, password):
    body = {"email": "new.person@example.org", "full_name": "New Person", "role": "staff"}
    refused = admin.post("/api/v1/users", json={**body, "password": password})
    assert_problem(refused, 422, ["body", "password"])
    assert "too easy to guess" in refused.text
    reset = admin.patch(f"/api/v1/users/{accounts['staff'].id}", json={"password": password})
    assert_problem(reset, 422, ["body", "password"])
    ok(admin.post("/api/v1/users", json={**body, "password": GOOD}), 201)


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("new.person@example.org", "new.person@example.org"),
        ("new.person@example.org", "NEW.PERSON@EXAMPLE.ORG"),
        ("ana.analyst.petrova@example.org", "ana.analyst.petrova"),
    ],
)
def test_the_accounts_own_email_is_not_a_password(admin, email, password):
    body = {"email": email, "full_name": "Ana Analyst", "role": "staff", "password": password}
    assert_problem(admin.post("/api/v1/users", json=body), 422, ["body", "password"])


def test_the_account_page_refuses_a_weak_new_password_beside_the_field_in_french(app, accounts):
    with log_in(app, accounts["manager"].email) as browser:
        browser.cookies.set("portfolio_lang", "fr")
        form = browser.get("/account/password").text
        answer = browser.post(
            "/account/password",
            data={
                "csrf_token": csrf_of(form),
                "current_password": PASSWORD,
                "new_password": "password1234",
                "repeat_password": "password1234",
            },
        )
        assert answer.status_code == 422
        beside = re.search(r'id="f-new_password-error">([^<]*)<', answer.text)
        assert beside and "trop facile à deviner" in beside.group(1)
    with TestClient(app) as anon:
        ok(anon.post(TOKEN_URL, data={"username": accounts["manager"].email, "password": PASSWORD}))


def test_the_accounts_page_refuses_a_weak_password_beside_the_field(app, accounts):
    with log_in(app, accounts["admin"].email) as browser:
        form = browser.get("/accounts/new").text
        answer = browser.post(
            "/accounts/new",
            data={
                "csrf_token": csrf_of(form),
                "email": "someone@example.org",
                "full_name": "Some One",
                "role": "staff",
                "state": "",
                "password": "aaaaaaaaaaaa",
            },
        )
        assert answer.status_code == 422
        beside = re.search(r'id="f-password-error">([^<]*)<', answer.text)
        assert beside and "too easy to guess" in beside.group(1)


# -- 6. the last administrator ----------------------------------------------------------------------


@pytest.mark.parametrize("change", [{"role": "staff"}, {"active": False}])
def test_the_only_active_admin_cannot_demote_or_deactivate_itself(admin, accounts, change):
    me = accounts["admin"]
    body = assert_problem(admin.patch(f"/api/v1/users/{me.id}", json=change), 409)
    assert "only active administrator" in body["detail"]
    assert ok(admin.get("/api/v1/users/me"))["role"] == "admin"
    # With a second active administrator, it may.
    ok(admin.patch(f"/api/v1/users/{accounts['staff'].id}", json={"role": "admin"}))
    ok(admin.patch(f"/api/v1/users/{me.id}", json=change))


def test_an_inactive_admin_does_not_count_as_the_other_one(admin, accounts):
    other = ok(
        admin.post(
            "/api/v1/users",
            json={
                "email": "second.admin@example.org",
                "full_name": "Second",
                "role": "admin",
                "password": GOOD,
            },
        ),
        201,
    )
    ok(admin.patch(f"/api/v1/users/{other['id']}", json={"active": False}))
    assert_problem(admin.patch(f"/api/v1/users/{accounts['admin'].id}", json={"active": False}), 409)


def test_the_accounts_page_refuses_to_deactivate_the_last_admin(app, accounts):
    me = accounts["admin"]
    with log_in(app, me.email) as browser:
        page = browser.get(f"/accounts/{me.id}").text
        data = {
            "csrf_token": csrf_of(page),
            "action": "deactivate",
            "version": _hidden(page, "version"),
            "loaded_at": _hidden(page, "loaded_at"),
        }
        answer = browser.post(f"/accounts/{me.id}", data=data, follow_redirects=False)
        assert answer.status_code == 409
        assert "only active administrator" in text_of(answer.text)
        browser.cookies.set("portfolio_lang", "fr")
        again = browser.post(f"/accounts/{me.id}", data=data, follow_redirects=False)
        assert "seul compte administrateur actif" in again.text
    with TestClient(app, headers=me.headers) as still:
        assert ok(still.get("/api/v1/users/me"))["active"] is True


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, name
    return found.group(1)
