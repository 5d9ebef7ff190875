"""Accounts as their holders and the administrator meet them: logging in, tokens, revocation,
lockout, the users API, the signing key, and `portfolio users create`."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from portfolio.cli import app as cli_app
from portfolio.main import create_app
from portfolio.security import SecretKeyError, create_token, key_file_for
from portfolio.users.models import User
from tests.factories import PASSWORD, TEST_KEY, assert_problem, make_settings, ok

TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret
NEW_PASSWORD = "a brand new passphrase 2024"  # noqa: S105 - test accounts only
USER_KEYS = {
    *(
        "id",
        "email",
        "full_name",
        "role",
        "state",
        "active",
        "language",
        "version",
        "created_at",
        "updated_at",
    ),
}


def login(client: TestClient, username: str, password: str):
    return client.post(TOKEN_URL, data={"username": username, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unauthorized(response) -> dict:
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    return body


@contextmanager
def running(application) -> Iterator[TestClient]:
    """A client for an application of the test's own making; its database is let go afterwards."""
    try:
        yield TestClient(application)
    finally:
        application.state.db.dispose()


@pytest.fixture
def admin(app, accounts) -> Iterator[TestClient]:
    """A client logged in as the administrator (``anon`` stays anonymous beside it)."""
    with TestClient(app, headers=accounts["admin"].headers) as test_client:
        yield test_client


def user_body(**overrides):
    body = {
        "email": "new.person@example.org",
        "full_name": "New Person",
        "role": "staff",
        "password": NEW_PASSWORD,
    }
    body.update(overrides)
    return body


# -- logging in ---------------------------------------------------------------------------------


def test_login_returns_a_bearer_token_that_opens_the_account(anon, accounts, settings):
    token = ok(login(anon, accounts["manager"].email, PASSWORD))
    assert set(token) == {"access_token", "token_type", "expires_in"}
    assert token["token_type"] == "bearer"  # noqa: S105 - the OAuth2 token type
    assert token["expires_in"] == settings.token_ttl_minutes * 60

    me = ok(anon.get("/api/v1/users/me", headers=bearer(token["access_token"])))
    assert set(me) == USER_KEYS
    assert me["id"] == accounts["manager"].id
    assert (me["email"], me["role"], me["state"], me["active"]) == (
        "manager@test.example.org",
        "manager",
        None,
        True,
    )


def test_the_email_is_case_insensitive_at_login(anon, accounts):
    token = ok(login(anon, "Donor@TEST.Example.ORG", PASSWORD))["access_token"]
    me = ok(anon.get("/api/v1/users/me", headers=bearer(token)))
    assert (me["id"], me["state"]) == (accounts["donor"].id, "DEU")


def test_a_wrong_password_and_an_unknown_email_look_the_same(anon, accounts):
    wrong = assert_unauthorized(login(anon, accounts["staff"].email, "not the right password"))
    unknown = assert_unauthorized(login(anon, "nobody@test.example.org", PASSWORD))
    assert wrong["detail"] == unknown["detail"]
    assert wrong["title"] == unknown["title"]
    assert "access_token" not in wrong and "access_token" not in unknown


def test_a_deactivated_account_cannot_log_in_even_with_the_right_password(anon, admin, accounts):
    ok(admin.patch(f"/api/v1/users/{accounts['manager'].id}", json={"active": False}))
    body = assert_unauthorized(login(anon, accounts["manager"].email, PASSWORD))
    wrong = assert_unauthorized(login(anon, accounts["staff"].email, "not the right password"))
    assert body["detail"] == wrong["detail"]  # nothing tells the account exists but is switched off


@pytest.mark.parametrize(
    ("form", "loc"),
    [
        pytest.param({"password": PASSWORD}, ["body", "username"], id="no-username"),
        pytest.param({"username": "staff@test.example.org"}, ["body", "password"], id="no-password"),
    ],
)
def test_an_incomplete_login_form_is_a_422(anon, accounts, form, loc):
    assert_problem(anon.post(TOKEN_URL, data=form), 422, loc)


def test_a_password_with_surrounding_spaces_logs_in_as_typed(anon, admin):
    spaced = "  spaces around this passphrase  "
    ok(admin.post("/api/v1/users", json=user_body(password=spaced)), 201)
    ok(login(anon, "new.person@example.org", spaced))


# -- tokens -------------------------------------------------------------------------------------


def _unsigned(user_id: int) -> str:
    exp = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    return jwt.encode({"sub": str(user_id), "tv": 1, "exp": exp}, None, algorithm="none")


BAD_TOKENS = [
    pytest.param(lambda _uid: None, id="no-token"),
    pytest.param(lambda _uid: "not-a-jwt-at-all", id="garbage"),
    pytest.param(
        lambda uid: create_token("another-servers-key-" * 3, uid, 1, timedelta(hours=1)),
        id="signed-with-another-key",
    ),
    pytest.param(lambda uid: create_token(TEST_KEY, uid, 1, timedelta(minutes=-1)), id="expired"),
    pytest.param(_unsigned, id="unsigned-alg-none"),
    pytest.param(lambda uid: create_token(TEST_KEY, uid + 1000, 1, timedelta(hours=1)), id="no-such-user"),
    pytest.param(lambda uid: create_token(TEST_KEY, uid, 2, timedelta(hours=1)), id="wrong-token-version"),
]


@pytest.mark.parametrize("make_token", BAD_TOKENS)
def test_requests_without_a_valid_token_are_401(anon, accounts, make_token):
    token = make_token(accounts["staff"].id)
    headers = bearer(token) if token is not None else {}
    for path in ("/api/v1/projects", "/api/v1/users/me"):
        response = anon.get(path, headers=headers)
        assert_unauthorized(response)
        assert "items" not in response.json()


def test_a_valid_token_made_the_same_way_is_accepted(anon, accounts):
    """The counterpart of the table above: the same construction with this server's key works."""
    token = create_token(TEST_KEY, accounts["staff"].id, 1, timedelta(hours=1))
    assert ok(anon.get("/api/v1/projects", headers=bearer(token)))["total"] == 0


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        pytest.param("/healthz", "ok", id="healthz"),
        pytest.param("/readyz", "revision", id="readyz"),
        pytest.param("/openapi.json", "/api/v1/auth/token", id="openapi"),
        pytest.param("/docs", "swagger", id="docs"),
    ],
)
def test_public_pages_need_no_token(anon, path, marker):
    response = anon.get(path)
    assert response.status_code == 200, response.text
    assert marker in response.text


# -- revocation ---------------------------------------------------------------------------------


def test_deactivating_an_account_revokes_its_token_at_once(anon, admin, accounts):
    staff = accounts["staff"]
    ok(anon.get("/api/v1/users/me", headers=staff.headers))
    changed = ok(admin.patch(f"/api/v1/users/{staff.id}", json={"active": False}))
    assert changed["active"] is False
    assert_unauthorized(anon.get("/api/v1/users/me", headers=staff.headers))
    assert_unauthorized(anon.get("/api/v1/projects", headers=staff.headers))
    # Other people's tokens are untouched.
    ok(anon.get("/api/v1/projects", headers=accounts["manager"].headers))
    ok(admin.get("/api/v1/users/me"))

    # Switched back on, it logs in again, but the old token stays dead.
    ok(admin.patch(f"/api/v1/users/{staff.id}", json={"active": True}))
    assert_unauthorized(anon.get("/api/v1/users/me", headers=staff.headers))
    ok(login(anon, staff.email, PASSWORD))


def test_resetting_a_password_revokes_old_tokens_and_the_old_password(anon, admin, accounts):
    donor = accounts["donor"]
    ok(admin.patch(f"/api/v1/users/{donor.id}", json={"password": NEW_PASSWORD}))
    assert_unauthorized(anon.get("/api/v1/users/me", headers=donor.headers))
    assert_unauthorized(login(anon, donor.email, PASSWORD))
    token = ok(login(anon, donor.email, NEW_PASSWORD))["access_token"]
    assert ok(anon.get("/api/v1/users/me", headers=bearer(token)))["id"] == donor.id
    ok(anon.get("/api/v1/projects", headers=accounts["manager"].headers))


def test_a_password_change_is_audited_without_the_password(admin, client, accounts):
    ok(admin.patch(f"/api/v1/users/{accounts['donor'].id}", json={"password": NEW_PASSWORD}))
    trail = ok(client.get("/api/v1/audit", params={"entity": "user", "entity_id": accounts["donor"].id}))[
        "items"
    ]
    assert trail, "the password reset left no audit entry"
    assert NEW_PASSWORD not in str(trail)
    assert "argon2" not in str(trail)


# -- lockout ------------------------------------------------------------------------------------


def fail_logins(client: TestClient, email: str, times: int) -> None:
    for attempt in range(times):
        response = login(client, email, f"wrong password number {attempt}")
        assert_unauthorized(response)


def assert_locked(response, settings) -> None:
    body = assert_problem(response, 429)
    assert "access_token" not in body
    retry_after = int(response.headers["retry-after"])
    lock_seconds = settings.login_lock_minutes * 60
    assert lock_seconds - 60 < retry_after <= lock_seconds + 1


def test_too_many_failures_lock_the_account_even_for_the_right_password(anon, accounts, settings):
    staff = accounts["staff"]
    fail_logins(anon, staff.email, settings.login_max_failures)
    assert_locked(login(anon, staff.email, PASSWORD), settings)
    assert_locked(login(anon, staff.email.upper(), PASSWORD), settings)
    # The existing token still works: the lock is on logging in, not on the account.
    ok(anon.get("/api/v1/users/me", headers=staff.headers))
    # Another account is not affected.
    ok(login(anon, accounts["manager"].email, PASSWORD))


def test_the_lock_is_kept_in_the_database_so_every_worker_sees_it(anon, accounts, settings):
    fail_logins(anon, accounts["donor"].email, settings.login_max_failures)
    with running(create_app(make_settings(settings.database_url))) as other_worker:
        assert_locked(login(other_worker, accounts["donor"].email, PASSWORD), settings)
        ok(login(other_worker, accounts["admin"].email, PASSWORD))


def test_failures_on_different_workers_add_up(anon, accounts, settings):
    email = accounts["manager"].email
    first = settings.login_max_failures // 2
    fail_logins(anon, email, first)
    with running(create_app(make_settings(settings.database_url))) as other_worker:
        fail_logins(other_worker, email, settings.login_max_failures - first)
    assert_locked(login(anon, email, PASSWORD), settings)


def test_one_failure_short_of_the_limit_does_not_lock(anon, accounts, settings):
    fail_logins(anon, accounts["staff"].email, settings.login_max_failures - 1)
    token = ok(login(anon, accounts["staff"].email, PASSWORD))
    assert token["access_token"]


def test_an_admins_password_reset_lifts_the_lock(anon, admin, accounts, settings):
    staff = accounts["staff"]
    fail_logins(anon, staff.email, settings.login_max_failures)
    assert_locked(login(anon, staff.email, PASSWORD), settings)
    ok(admin.patch(f"/api/v1/users/{staff.id}", json={"password": NEW_PASSWORD}))
    ok(login(anon, staff.email, NEW_PASSWORD))


def test_one_typo_after_an_unlocking_reset_does_not_lock_again(anon, admin, accounts, settings):
    staff = accounts["staff"]
    fail_logins(anon, staff.email, settings.login_max_failures)
    ok(admin.patch(f"/api/v1/users/{staff.id}", json={"password": NEW_PASSWORD}))
    fail_logins(anon, staff.email, 1)
    ok(login(anon, staff.email, NEW_PASSWORD))


# -- the users API (admin) ----------------------------------------------------------------------


def test_an_admin_creates_lists_reads_and_changes_an_account(anon, admin):
    created = ok(
        admin.post("/api/v1/users", json=user_body(email="New.Person@Example.ORG", role="manager")), 201
    )
    assert set(created) == USER_KEYS
    assert created == created | {
        "email": "new.person@example.org",
        "full_name": "New Person",
        "role": "manager",
        "state": None,
        "active": True,
        "version": 1,
    }

    listed = ok(admin.get("/api/v1/users"))
    assert listed["total"] == 5
    assert "new.person@example.org" in [u["email"] for u in listed["items"]]
    assert all(set(u) == USER_KEYS for u in listed["items"])

    response = admin.get(f"/api/v1/users/{created['id']}")
    assert ok(response) == created
    assert response.headers["etag"] == '"1"'

    response = admin.patch(
        f"/api/v1/users/{created['id']}",
        json={"role": "donor", "state": "fra", "full_name": "Nouvelle Personne"},
        headers={"If-Match": '"1"'},
    )
    changed = ok(response)
    assert (changed["role"], changed["state"], changed["full_name"], changed["version"]) == (
        "donor",
        "FRA",
        "Nouvelle Personne",
        2,
    )
    assert response.headers["etag"] == '"2"'
    assert ok(admin.get(f"/api/v1/users/{created['id']}")) == changed

    # The new account logs in (with any case of its e-mail) and sees itself as changed.
    token = ok(login(anon, "NEW.person@example.org", NEW_PASSWORD))["access_token"]
    assert ok(anon.get("/api/v1/users/me", headers=bearer(token))) == changed


def test_leaving_the_donor_role_drops_the_state(admin, accounts):
    changed = ok(admin.patch(f"/api/v1/users/{accounts['donor'].id}", json={"role": "manager"}))
    assert (changed["role"], changed["state"]) == ("manager", None)


BAD_NEW_USERS = [
    pytest.param({"role": "donor"}, ["body", "state"], id="donor-without-state"),
    pytest.param({"role": "staff", "state": "DEU"}, ["body", "state"], id="staff-with-state"),
    pytest.param({"role": "admin", "state": "DEU"}, ["body", "state"], id="admin-with-state"),
    pytest.param({"role": "donor", "state": "XXX"}, ["body", "state"], id="state-unknown"),
    pytest.param({"role": "donor", "state": "DE"}, ["body", "state"], id="state-alpha-2"),
    pytest.param({"password": "elevenchars"}, ["body", "password"], id="password-11-chars"),
    pytest.param({"password": ""}, ["body", "password"], id="password-empty"),
    pytest.param({"email": "not-an-email"}, ["body", "email"], id="email-no-at"),
    pytest.param({"email": "two@@example.org"}, ["body", "email"], id="email-double-at"),
    pytest.param({"email": ""}, ["body", "email"], id="email-empty"),
    pytest.param({"role": "superuser"}, ["body", "role"], id="role-unknown"),
    pytest.param({"full_name": ""}, ["body", "full_name"], id="name-empty"),
    pytest.param({"password_hash": "x"}, ["body", "password_hash"], id="hash-not-settable"),
]


@pytest.mark.parametrize(("change", "loc"), BAD_NEW_USERS)
def test_bad_new_accounts_are_a_422_naming_the_field(admin, change, loc):
    assert_problem(admin.post("/api/v1/users", json=user_body(**change)), 422, loc)
    assert ok(admin.get("/api/v1/users"))["total"] == 4


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("staff@test.example.org", id="same-case"),
        pytest.param("STAFF@Test.Example.Org", id="other-case"),
    ],
)
def test_an_email_can_have_only_one_account(admin, email):
    assert_problem(admin.post("/api/v1/users", json=user_body(email=email)), 409)
    assert ok(admin.get("/api/v1/users"))["total"] == 4


def test_an_account_cannot_take_another_accounts_email(admin, accounts):
    path = f"/api/v1/users/{accounts['manager'].id}"
    response = admin.patch(path, json={"email": "Staff@test.example.org"})
    assert_problem(response, 409)
    assert ok(admin.get(path))["email"] == "manager@test.example.org"


BAD_CHANGES = [
    pytest.param("staff", {"role": "donor"}, ["body", "state"], id="donor-without-state"),
    pytest.param("staff", {"state": "DEU"}, ["body", "state"], id="staff-given-state"),
    pytest.param("donor", {"state": "XXX"}, ["body", "state"], id="state-unknown"),
    pytest.param("donor", {"state": None}, ["body", "state"], id="donor-state-removed"),
    pytest.param("staff", {"password": "tooshort"}, ["body", "password"], id="password-short"),
    pytest.param("staff", {"password": None}, ["body", "password"], id="password-null"),
    pytest.param("staff", {"email": "nope"}, ["body", "email"], id="email-bad"),
    pytest.param("staff", {"role": None}, ["body", "role"], id="role-null"),
    pytest.param("staff", {"active": None}, ["body", "active"], id="active-null"),
]


@pytest.mark.parametrize(("role", "change", "loc"), BAD_CHANGES)
def test_bad_changes_are_a_422_and_change_nothing(admin, accounts, role, change, loc):
    path = f"/api/v1/users/{accounts[role].id}"
    before = ok(admin.get(path))
    assert_problem(admin.patch(path, json=change), 422, loc)
    assert ok(admin.get(path)) == before


def test_a_stale_if_match_is_a_412_and_changes_nothing(anon, admin, accounts):
    path = f"/api/v1/users/{accounts['staff'].id}"
    ok(admin.patch(path, json={"full_name": "Renamed once"}, headers={"If-Match": '"1"'}))
    before = ok(admin.get(path))
    assert before["version"] == 2
    response = admin.patch(path, json={"role": "manager", "active": False}, headers={"If-Match": '"1"'})
    assert_problem(response, 412)
    assert ok(admin.get(path)) == before
    ok(anon.get("/api/v1/users/me", headers=accounts["staff"].headers))  # not deactivated


def test_an_unknown_account_is_a_404(admin):
    assert_problem(admin.get("/api/v1/users/987654"), 404)
    assert_problem(admin.patch("/api/v1/users/987654", json={"full_name": "Nobody"}), 404)


@pytest.mark.parametrize("role", ["staff", "manager", "donor"])
def test_only_an_admin_manages_accounts_but_everyone_sees_their_own(anon, accounts, role):
    account = accounts[role]
    headers = account.headers
    assert_problem(anon.get("/api/v1/users", headers=headers), 403)
    assert_problem(anon.get(f"/api/v1/users/{account.id}", headers=headers), 403)
    assert_problem(anon.post("/api/v1/users", json=user_body(role="admin"), headers=headers), 403)
    assert_problem(anon.patch(f"/api/v1/users/{account.id}", json={"role": "admin"}, headers=headers), 403)
    me = ok(anon.get("/api/v1/users/me", headers=headers))
    assert (me["id"], me["role"]) == (account.id, role)
    # Nothing was created or promoted.
    users = ok(anon.get("/api/v1/users", headers=accounts["admin"].headers))
    assert users["total"] == 4
    assert sorted(u["role"] for u in users["items"]) == ["admin", "donor", "manager", "staff"]


# -- the signing key ----------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path):
    path = tmp_path / "keyed" / "portfolio.db"
    path.parent.mkdir()
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


def test_without_a_key_sqlite_gets_one_kept_beside_the_database(sqlite_url):
    key_file = key_file_for(sqlite_url)
    assert key_file is not None
    assert not key_file.exists()
    first = create_app(make_settings(sqlite_url, secret_key=None))
    first.state.db.dispose()
    assert key_file.exists()
    assert key_file.parent == Path(sqlite_url.removeprefix("sqlite:///")).parent
    assert os.stat(key_file).st_mode & 0o777 == 0o600
    assert len(key_file.read_text().strip()) >= 32
    assert first.state.secret_key == key_file.read_text().strip()


def test_a_second_worker_on_the_same_sqlite_database_accepts_the_first_ones_tokens(sqlite_url):
    first = create_app(make_settings(sqlite_url, secret_key=None))
    second = create_app(make_settings(sqlite_url, secret_key=None))
    assert first.state.secret_key == second.state.secret_key != TEST_KEY
    with first.state.db.session(write=True) as session:
        session.add(
            User(
                email="keeper@example.org",
                full_name="Key keeper",
                role="admin",
                password_hash=first.state.hasher.hash(PASSWORD),
            )
        )
    with running(first) as one, running(second) as two:
        token = ok(login(one, "keeper@example.org", PASSWORD))["access_token"]
        assert ok(two.get("/api/v1/users/me", headers=bearer(token)))["email"] == "keeper@example.org"


def test_a_different_database_gets_a_different_key(sqlite_url, tmp_path):
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    first = create_app(make_settings(sqlite_url, secret_key=None))
    other = create_app(make_settings(other_url, secret_key=None))
    for application in (first, other):
        application.state.db.dispose()
    assert first.state.secret_key != other.state.secret_key


@pytest.mark.parametrize(
    ("url", "key"),
    [
        pytest.param("postgresql+psycopg://portfolio@db.invalid:5432/portfolio", None, id="postgres-no-key"),
        pytest.param("sqlite:///{tmp}/short.db", "too-short", id="key-too-short"),
    ],
)
def test_an_unusable_key_stops_the_app_from_starting(tmp_path, url, key):
    with pytest.raises(SecretKeyError):
        create_app(make_settings(url.format(tmp=tmp_path), secret_key=key))


# -- portfolio users create ---------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def cli_env(empty_database_url, monkeypatch):
    from portfolio.config import get_settings

    monkeypatch.setenv("PORTFOLIO_DATABASE_URL", empty_database_url)
    get_settings.cache_clear()
    yield empty_database_url
    get_settings.cache_clear()


def users_create(*args: str, stdin: str | None = None):
    return runner.invoke(cli_app, ["users", "create", *args], input=stdin, catch_exceptions=False)


def assert_logs_in(database_url: str, email: str, password: str, role: str) -> None:
    with running(create_app(make_settings(database_url))) as client:
        token = ok(login(client, email, password))["access_token"]
        me = ok(client.get("/api/v1/users/me", headers=bearer(token)))
    assert (me["email"], me["role"]) == (email.lower(), role)


def test_the_first_admin_is_created_on_the_command_line(cli_env):
    result = users_create("--email", "First.Admin@Example.org", "--role", "admin", "--password", NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert "first.admin@example.org" in result.output
    assert NEW_PASSWORD not in result.output
    assert_logs_in(cli_env, "first.admin@example.org", NEW_PASSWORD, "admin")


def test_a_password_left_out_is_asked_for_twice(cli_env):
    result = users_create(
        "--email", "donor@example.org", "--role", "donor", "--state", "aut", stdin=f"{NEW_PASSWORD}\n" * 2
    )
    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    assert NEW_PASSWORD not in result.output  # hidden while typed
    assert_logs_in(cli_env, "donor@example.org", NEW_PASSWORD, "donor")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        pytest.param(("--role", "donor"), "state", id="donor-without-state"),
        pytest.param(("--role", "donor", "--state", "XXX"), "state", id="state-unknown"),
        pytest.param(("--role", "staff", "--state", "DEU"), "state", id="staff-with-state"),
        pytest.param(("--role", "emperor"), "role", id="role-unknown"),
        pytest.param(("--role", "admin", "--password", "short"), "password", id="password-short"),
        pytest.param(("--role", "admin", "--email", "not-an-email"), "email", id="email-bad"),
    ],
)
def test_the_command_refuses_bad_accounts(cli_env, args, named):
    options = dict(zip(args[::2], args[1::2], strict=True))
    options = {"--email": "someone@example.org", "--password": NEW_PASSWORD} | options
    result = users_create(*[part for pair in options.items() for part in pair])
    assert result.exit_code != 0
    assert named in result.output.lower()
    with running(create_app(make_settings(cli_env))) as client:
        assert_unauthorized(login(client, options["--email"], options["--password"]))


def test_the_command_refuses_a_second_account_for_the_same_email(cli_env):
    first = users_create("--email", "twice@example.org", "--role", "staff", "--password", NEW_PASSWORD)
    assert first.exit_code == 0, first.output
    second = users_create("--email", "TWICE@example.org", "--role", "admin", "--password", PASSWORD)
    assert second.exit_code != 0
    assert "twice@example.org" in second.output
    assert_logs_in(cli_env, "twice@example.org", NEW_PASSWORD, "staff")
    with running(create_app(make_settings(cli_env))) as client:
        assert_unauthorized(login(client, "twice@example.org", PASSWORD))


def test_a_successful_login_wipes_earlier_failures(anon, accounts, settings):
    staff = accounts["staff"]
    fail_logins(anon, staff.email, settings.login_max_failures - 1)
    ok(login(anon, staff.email, PASSWORD))
    fail_logins(anon, staff.email, settings.login_max_failures - 1)
    ok(login(anon, staff.email, PASSWORD))
